//! Field values: how they were written and what they decode to.

use std::borrow::Cow;

use super::fields::Fields;
use super::types::{parse_decimal, RecordType};
use crate::bytes::BStr;
use crate::tables::{field_kind, FieldKind};

/// How a value was written in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Quote {
    /// Bare: `pid=42`, `a1=2F746D70`, `tty=(none)`.
    None,
    /// Double-quoted: `comm="ls"`.
    Double,
    /// Single-quoted: the nested `msg='...'` of user-space records.
    Single,
    /// Braced: `{ read write }` of AVC records, `SADDR={ ... }` of ENRICHED logs.
    Brace,
}

/// A decoded value.
#[derive(Clone)]
pub enum Value<'a> {
    /// The value's bytes: a quoted string without its quotes, a decoded
    /// hex-encoded string, or a bare token as written (numbers stay text; use
    /// [`Field::as_u64`] and friends).
    Bytes(Cow<'a, [u8]>),
    /// `(null)`: the writer had no string at all.
    Null,
    /// `?`: the writer did not know the value.
    Unknown,
    /// An id field (`auid`, `ses`, `uid`, ...) holding 4294967295 or -1:
    /// not set, not a user.
    Unset,
    /// The nested `key=value` body of a single-quoted `msg='...'`.
    Nested(Fields<'a>),
}

impl<'a> Value<'a> {
    /// The bytes, if the value is [`Value::Bytes`].
    pub fn into_bytes(self) -> Option<Cow<'a, [u8]>> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Null, Value::Null)
            | (Value::Unknown, Value::Unknown)
            | (Value::Unset, Value::Unset) => true,
            (Value::Nested(a), Value::Nested(b)) => a.remainder() == b.remainder(),
            _ => false,
        }
    }
}

/// One `key=value` field of a record, borrowed from the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    key: &'a [u8],
    raw: &'a [u8],
    quote: Quote,
    rtype: RecordType,
}

impl std::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bytes(b) => f.debug_tuple("Bytes").field(&BStr(b)).finish(),
            Value::Null => f.write_str("Null"),
            Value::Unknown => f.write_str("Unknown"),
            Value::Unset => f.write_str("Unset"),
            Value::Nested(n) => f.debug_tuple("Nested").field(n).finish(),
        }
    }
}

impl std::fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<_> = self.clone().collect();
        crate::bytes::List(&keys).fmt(f)
    }
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("key", &BStr(self.key))
            .field("raw", &BStr(self.raw))
            .field("quote", &self.quote)
            .field("rtype", &self.rtype)
            .finish()
    }
}

impl<'a> Field<'a> {
    #[inline]
    pub(crate) fn new(key: &'a [u8], raw: &'a [u8], quote: Quote, rtype: RecordType) -> Self {
        Field {
            key,
            raw,
            quote,
            rtype,
        }
    }

    /// The key (`pid`, `a1[0]`). Empty for a token without `=` (`avc:`).
    #[inline]
    pub fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The value as written, without its quotes (braces are kept).
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// How the value was written.
    #[inline]
    pub fn quote(&self) -> Quote {
        self.quote
    }

    /// The type of the record the field belongs to.
    #[inline]
    pub fn record_type(&self) -> RecordType {
        self.rtype
    }

    /// Whether this field holds an *encoded string*: a string the kernel writes
    /// quoted when it is plain and as upper-case hex otherwise (`name`, `exe`,
    /// `proctitle`, `key`, the arguments `aN` / `aN[i]` of EXECVE, ...).
    #[inline]
    pub fn is_encoded(&self) -> bool {
        if self.rtype == RecordType::EXECVE && is_execve_arg(self.key) {
            return true;
        }
        field_kind(self.key) == FieldKind::Encoded
    }

    /// The decoded value. Allocates only to decode hex.
    pub fn value(&self) -> Value<'a> {
        match self.quote {
            Quote::Double | Quote::Brace => Value::Bytes(Cow::Borrowed(self.raw)),
            Quote::Single => Value::Nested(Fields::new(self.raw, self.rtype)),
            Quote::None => self.bare_value(),
        }
    }

    #[inline]
    fn bare_value(&self) -> Value<'a> {
        let raw = self.raw;
        match raw {
            b"(null)" => return Value::Null,
            b"?" => return Value::Unknown,
            _ => {}
        }
        if self.rtype == RecordType::EXECVE && is_execve_arg(self.key) {
            return decode_encoded(raw);
        }
        match field_kind(self.key) {
            FieldKind::Encoded => decode_encoded(raw),
            FieldKind::Uid | FieldKind::Gid | FieldKind::Session
                if raw == b"4294967295" || raw == b"-1" =>
            {
                Value::Unset
            }
            _ => Value::Bytes(Cow::Borrowed(raw)),
        }
    }

    /// The decoded bytes, or `None` for `(null)`, `?`, unset ids and nested bodies.
    pub fn bytes(&self) -> Option<Cow<'a, [u8]>> {
        self.value().into_bytes()
    }

    /// The nested fields of a `msg='...'` value.
    pub fn nested(&self) -> Option<Fields<'a>> {
        (self.quote == Quote::Single).then(|| Fields::new(self.raw, self.rtype))
    }

    /// The value as an unsigned decimal (`pid=42`).
    #[inline]
    pub fn as_u64(&self) -> Option<u64> {
        parse_decimal(self.raw)
    }

    /// The value as a signed decimal (`exit=-2`).
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match self.raw.strip_prefix(b"-") {
            Some(d) => {
                let n = parse_decimal(d)?;
                if n == 1 << 63 {
                    Some(i64::MIN)
                } else {
                    i64::try_from(n).ok().map(|n| -n)
                }
            }
            None => parse_decimal(self.raw).and_then(|n| i64::try_from(n).ok()),
        }
    }

    /// The value as a hexadecimal number without prefix (`arch=c000003e`,
    /// SYSCALL `a0=7ffd2c`).
    #[inline]
    pub fn as_hex(&self) -> Option<u64> {
        let r = self.raw;
        if r.is_empty() || r.len() > 16 {
            return None;
        }
        let mut n = 0u64;
        for &c in r {
            n = (n << 4) | u64::from(hex_val(c)?);
        }
        Some(n)
    }

    /// An id field (`uid`, `auid`, `ses`, ...): `Some(None)` when unset
    /// (4294967295 or -1), `Some(Some(id))` for an id, `None` if not a number.
    #[inline]
    pub fn as_id(&self) -> Option<Option<u32>> {
        match self.raw {
            b"4294967295" | b"-1" => Some(None),
            r => parse_decimal(r)
                .and_then(|n| u32::try_from(n).ok())
                .map(Some),
        }
    }

    /// The keys of a `key` field: one or more, separated by byte 0x01 in the
    /// decoded value. Empty for `key=(null)`.
    pub fn keys(&self) -> Keys<'a> {
        Keys::of(self.bytes())
    }
}

/// The keys of a multi-key `key` field; see [`Field::keys`].
#[derive(Clone)]
pub struct Keys<'a> {
    value: Option<Cow<'a, [u8]>>,
    pos: usize,
}

impl<'a> Keys<'a> {
    /// The keys in an already decoded `key` value (none for `None`).
    pub(crate) fn of(value: Option<Cow<'a, [u8]>>) -> Keys<'a> {
        Keys { value, pos: 0 }
    }
}

impl<'a> Iterator for Keys<'a> {
    type Item = Cow<'a, [u8]>;
    fn next(&mut self) -> Option<Cow<'a, [u8]>> {
        let v = self.value.as_ref()?;
        if self.pos > v.len() {
            return None;
        }
        let rest = &v[self.pos..];
        let end = memchr::memchr(1, rest).unwrap_or(rest.len());
        let (start, stop) = (self.pos, self.pos + end);
        self.pos = stop + 1;
        Some(match v {
            Cow::Borrowed(b) => Cow::Borrowed(&b[start..stop]),
            Cow::Owned(o) => Cow::Owned(o[start..stop].to_vec()),
        })
    }
}

/// `a0`, `a12`, `a1[0]`, `a1[34]` (not `a1_len`, not `argc`).
#[inline]
pub(crate) fn is_execve_arg(key: &[u8]) -> bool {
    let Some(rest) = key.strip_prefix(b"a") else {
        return false;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    match &rest[digits..] {
        [] => true,
        [b'[', idx @ .., b']'] => !idx.is_empty() && idx.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// An unquoted encoded string: hex if it is even-length hex, else as written.
#[inline]
fn decode_encoded(raw: &[u8]) -> Value<'_> {
    match decode_hex(raw) {
        Some(v) => Value::Bytes(Cow::Owned(v)),
        None => Value::Bytes(Cow::Borrowed(raw)),
    }
}

const HEX_INVALID: u8 = 0xff;

static HEX_LUT: [u8; 256] = {
    let mut t = [HEX_INVALID; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'A' as usize + i] = 10 + i as u8;
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

#[inline]
fn hex_val(c: u8) -> Option<u8> {
    let v = HEX_LUT[c as usize];
    (v != HEX_INVALID).then_some(v)
}

/// Decodes even-length hex (either case) into bytes; `None` if `s` is not that.
pub fn decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    decode_hex_into(s, &mut out).then_some(out)
}

/// Appends the bytes of even-length hex `s` to `out`; false (and `out` left as
/// it was) if `s` is not even-length hex.
pub fn decode_hex_into(s: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    out.resize(start + s.len() / 2, 0);
    if decode_hex_to_slice(s, &mut out[start..]) {
        true
    } else {
        out.truncate(start);
        false
    }
}

/// Decodes even-length hex `s` into `out`, which must be `s.len() / 2` bytes
/// long; false if `s` is not even-length hex (`out` is then unspecified).
pub(crate) fn decode_hex_to_slice(s: &[u8], out: &mut [u8]) -> bool {
    if !s.len().is_multiple_of(2) || out.len() != s.len() / 2 {
        return false;
    }
    let mut bad = 0u8;
    for (pair, o) in s.chunks_exact(2).zip(out.iter_mut()) {
        let hi = HEX_LUT[pair[0] as usize];
        let lo = HEX_LUT[pair[1] as usize];
        // An invalid digit has all bits set, which survives the OR.
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    bad != HEX_INVALID
}

/// The reference hex decoder for tests of the fast one.
#[cfg(test)]
pub(crate) fn naive_decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let s = std::str::from_utf8(s).ok()?;
    (0..s.len())
        .step_by(2)
        .map(|i| {
            let p = s.get(i..i + 2)?;
            if p.starts_with('+') || p.starts_with('-') {
                return None;
            }
            u8::from_str_radix(p, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f<'a>(rt: RecordType, key: &'a [u8], raw: &'a [u8], q: Quote) -> Field<'a> {
        Field::new(key, raw, q, rt)
    }

    fn b(s: &[u8]) -> Value<'_> {
        Value::Bytes(Cow::Borrowed(s))
    }

    #[test]
    fn decoding_table() {
        use Quote::*;
        let sc = RecordType::SYSCALL;
        let ex = RecordType::EXECVE;
        let cases: Vec<(Field, Value)> = vec![
            (f(sc, b"pid", b"42", None), b(b"42")),
            (f(sc, b"comm", b"ls", Double), b(b"ls")),
            (f(sc, b"comm", b"6C73", None), b(b"ls")),
            (f(sc, b"comm", b"6c73", None), b(b"ls")),
            (f(sc, b"comm", b"", Double), b(b"")),
            (f(sc, b"exe", b"(null)", None), Value::Null),
            (f(sc, b"exe", b"?", None), Value::Unknown),
            (f(sc, b"key", b"(null)", None), Value::Null),
            (f(sc, b"name", b"ABC", None), b(b"ABC")), // odd length: kept as written
            (f(sc, b"name", b"ZZ", None), b(b"ZZ")),
            (f(sc, b"a0", b"55fe3123", None), b(b"55fe3123")), // SYSCALL a0 is a number
            (f(ex, b"a0", b"2F62696E", None), b(b"/bin")),
            (f(ex, b"a1[3]", b"41", None), b(b"A")),
            (f(ex, b"a1_len", b"18", None), b(b"18")),
            (f(ex, b"argc", b"12", None), b(b"12")),
            (f(ex, b"a1", b"hello", Double), b(b"hello")),
            (f(sc, b"auid", b"4294967295", None), Value::Unset),
            (f(sc, b"ses", b"-1", None), Value::Unset),
            (f(sc, b"uid", b"4294967295", None), Value::Unset),
            (f(sc, b"auid", b"1000", None), b(b"1000")),
            (f(sc, b"pid", b"4294967295", None), b(b"4294967295")),
            (f(sc, b"tty", b"(none)", None), b(b"(none)")),
            (f(sc, b"hostname", b"?", None), Value::Unknown),
            (f(sc, b"perm", b"{ read }", Brace), b(b"{ read }")),
        ];
        for (field, want) in cases {
            assert_eq!(field.value(), want, "{:?}", field);
        }
        let nested = f(RecordType(1100), b"msg", b"op=x res=1", Single);
        let inner: Vec<_> = nested.nested().unwrap().map(|f| f.key()).collect();
        assert_eq!(inner, vec![&b"op"[..], b"res"]);
        assert!(matches!(nested.value(), Value::Nested(_)));
    }

    #[test]
    fn numbers() {
        let sc = RecordType::SYSCALL;
        let q = Quote::None;
        assert_eq!(f(sc, b"exit", b"-115", q).as_i64(), Some(-115));
        assert_eq!(f(sc, b"exit", b"0", q).as_i64(), Some(0));
        assert_eq!(
            f(sc, b"exit", b"-9223372036854775808", q).as_i64(),
            Some(i64::MIN)
        );
        assert_eq!(f(sc, b"exit", b"-9223372036854775809", q).as_i64(), None);
        assert_eq!(f(sc, b"exit", b"9223372036854775808", q).as_i64(), None);
        assert_eq!(f(sc, b"exit", b"-", q).as_i64(), None);
        assert_eq!(f(sc, b"arch", b"c000003e", q).as_hex(), Some(0xc000003e));
        assert_eq!(
            f(sc, b"a0", b"ffffffffffffffff", q).as_hex(),
            Some(u64::MAX)
        );
        assert_eq!(f(sc, b"a0", b"1ffffffffffffffff", q).as_hex(), None);
        assert_eq!(f(sc, b"a0", b"", q).as_hex(), None);
        assert_eq!(f(sc, b"a0", b"0x1", q).as_hex(), None);
        assert_eq!(f(sc, b"auid", b"4294967295", q).as_id(), Some(None));
        assert_eq!(f(sc, b"auid", b"-1", q).as_id(), Some(None));
        assert_eq!(f(sc, b"auid", b"0", q).as_id(), Some(Some(0)));
        assert_eq!(f(sc, b"auid", b"4294967296", q).as_id(), None);
    }

    #[test]
    fn multi_key() {
        let sc = RecordType::SYSCALL;
        // "exec" 0x01 "net"
        let k = f(sc, b"key", b"65786563016E6574", Quote::None);
        let keys: Vec<_> = k.keys().collect();
        assert_eq!(
            keys,
            vec![Cow::Borrowed(&b"exec"[..]), Cow::Borrowed(b"net")]
        );
        let k = f(sc, b"key", b"exec", Quote::Double);
        assert_eq!(
            k.keys().collect::<Vec<_>>(),
            vec![Cow::Borrowed(&b"exec"[..])]
        );
        let k = f(sc, b"key", b"(null)", Quote::None);
        assert_eq!(k.keys().count(), 0);
    }

    #[test]
    fn execve_arg_keys() {
        for (k, want) in [
            (&b"a0"[..], true),
            (b"a123", true),
            (b"a1[0]", true),
            (b"a1[12]", true),
            (b"a1_len", false),
            (b"argc", false),
            (b"a", false),
            (b"a1[]", false),
            (b"a1[x]", false),
            (b"a1[0", false),
            (b"b1", false),
        ] {
            assert_eq!(is_execve_arg(k), want, "{}", String::from_utf8_lossy(k));
        }
    }

    #[test]
    fn hex() {
        for s in [
            &b""[..],
            b"00",
            b"ff",
            b"FF",
            b"0g",
            b"abc",
            b"+1",
            b"-1",
            b"2F746D70",
        ] {
            assert_eq!(decode_hex(s), naive_decode_hex(s), "{:?}", s);
        }
        let mut out = b"keep".to_vec();
        assert!(!decode_hex_into(b"zz", &mut out));
        assert_eq!(out, b"keep");
    }
}
