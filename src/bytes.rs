//! Byte strings shown as text.

use std::fmt;

/// A byte string that prints as text: `Debug` writes a quoted string with
/// the bytes that are not printable UTF-8 escaped (`"ls -l\xff"`, as bstr's
/// `BStr` does), `Display` the same without the quotes. Both are lossless:
/// `\xNN` always means the one byte NN (an ASCII control, or a byte that is
/// not part of valid UTF-8), a control character beyond ASCII is written
/// `\u{NN}` (so the character U+0085 and the lone byte 0x85 differ), `\0`
/// `\n` `\r` `\t` are those bytes, and a backslash in the input is written
/// `\\`; everything else is the UTF-8 text itself.
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
                    c if c.is_ascii_control() => write!(f, "\\x{:02x}", c as u32)?,
                    c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
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

/// `Debug` of an optional byte string, as an optional [`BStr`].
pub(crate) fn opt<B: AsRef<[u8]>>(b: &Option<B>) -> Option<BStr<'_>> {
    b.as_ref().map(BStr::new)
}

/// `Debug` of a list of byte strings, as a list of [`BStr`].
pub(crate) struct List<'a, B>(pub &'a [B]);

impl<B: AsRef<[u8]>> fmt::Debug for List<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(BStr::new))
            .finish()
    }
}

impl AsRef<[u8]> for BStr<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

// Eight bytes at a time (SWAR): the scanners of the JSON writer and of the
// schema text rule find the leading run of bytes they copy as they are with
// `run_len`, each naming its byte class once as a word test and a byte test.

/// 0x01 in every byte.
const LO: u64 = 0x0101_0101_0101_0101;
/// 0x80 in every byte: set in a word's result for each byte flagged.
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// Flags every byte of `w` that is zero (a byte above a zero one may be
/// flagged too: a borrow, which only costs speed in [`run_len`]).
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LO) & !w & HI
}

/// Flags every byte of `w` equal to `b` (and maybe a byte above one).
#[inline(always)]
pub(crate) fn eq_bytes(w: u64, b: u8) -> u64 {
    zero_bytes(w ^ (u64::from(b) * LO))
}

/// Flags every byte of `w` below `n` (`n` <= 0x80; and maybe a byte above
/// one).
#[inline(always)]
pub(crate) fn below_bytes(w: u64, n: u8) -> u64 {
    w.wrapping_sub(u64::from(n) * LO) & !w & HI
}

/// The length of the leading run of bytes of `b` that `ok` accepts, eight
/// at a time: `special` must flag (with [`HI`]'s bit) every byte of a
/// little-endian word that `ok` rejects; the first word with a flag, and the
/// tail, are looked at byte by byte.
#[inline(always)]
pub(crate) fn run_len(b: &[u8], special: impl Fn(u64) -> u64, ok: impl Fn(u8) -> bool) -> usize {
    let mut i = 0;
    for chunk in b.chunks_exact(8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if special(w) != 0 {
            break;
        }
        i += 8;
    }
    i + b[i..].iter().take_while(|&&c| ok(c)).count()
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
        // the C1 control U+0085 (bytes c2 85) and the lone byte 0x85 differ
        assert_eq!(BStr::new("\u{85}".as_bytes()).to_string(), "\\u{85}");
        assert_eq!(BStr::new(b"\x85").to_string(), "\\x85");
        assert_eq!(BStr::new(b"\xc2\x85\x85").to_string(), "\\u{85}\\x85");
    }
}
