//! Byte strings shown as text.

use std::fmt;

/// A byte string that prints as text: `Debug` writes a quoted string with
/// the bytes that are not printable UTF-8 escaped (`"ls -l\xff"`, as bstr's
/// `BStr` does), `Display` writes UTF-8 as it is and every other byte as
/// `\xNN`. Both are lossless for bytes outside UTF-8: `\xNN` always means one
/// byte, and a backslash in the input is written `\\`.
///
/// ```
/// use auditstream::BStr;
///
/// assert_eq!(format!("{:?}", BStr::new(b"ls \"-l\"\xff")), r#""ls \"-l\"\xff""#);
/// assert_eq!(BStr::new(b"a\\b\xfe\n").to_string(), r"a\\b\xfe\n");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BStr<'a>(pub &'a [u8]);

impl<'a> BStr<'a> {
    /// Views `bytes` as a `BStr`.
    pub fn new<B: AsRef<[u8]> + ?Sized>(bytes: &'a B) -> BStr<'a> {
        BStr(bytes.as_ref())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    fn write_escaped(&self, f: &mut fmt::Formatter<'_>, quote: bool) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' if quote => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    '\0' => f.write_str("\\0")?,
                    c if c.is_control() => write!(f, "\\x{:02x}", c as u32)?,
                    c => write!(f, "{c}")?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for BStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        self.write_escaped(f, true)?;
        f.write_str("\"")
    }
}

impl fmt::Display for BStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_escaped(f, false)
    }
}

impl AsRef<[u8]> for BStr<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_bytes_as_text() {
        assert_eq!(format!("{:?}", BStr::new(b"ls")), "\"ls\"");
        assert_eq!(
            format!("{:?}", BStr::new("ü\u{7f}".as_bytes())),
            "\"ü\\x7f\""
        );
        assert_eq!(format!("{:?}", BStr::new(b"\xc3")), "\"\\xc3\"");
        assert_eq!(BStr::new(b"\\x41").to_string(), "\\\\x41");
        assert_eq!(BStr::new(b"\x00\x1d").to_string(), "\\0\\x1d");
    }
}
