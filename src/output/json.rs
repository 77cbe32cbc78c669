//! JSON lines: the native format of the `audit2json` and `audit-tail`
//! examples, written straight into a byte buffer from the
//! [description](super) (shape, byte strings and keys are documented there).
//!
//! ```
//! use auditstream::output::json::{write_event, JsonOptions};
//! use auditstream::source::log::LogEvents;
//!
//! let log = b"type=USER msg=audit(1.000:7): pid=1 uid=0 msg='op=login acct=\"r\xfft\" res=success'\n";
//! let mut events = LogEvents::new(&log[..]);
//! let ev = events.next_event().unwrap()?.event();
//! let mut out = Vec::new();
//! write_event(&mut out, &ev, JsonOptions::default());
//! let json = String::from_utf8(out)?;
//! assert!(json.contains(r#""msg":{"op":"login","acct":{"hex":"72ff74"},"res":"success"}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::{self, Write as _};
use std::str::FromStr;

use super::schema::{Context, Ecs, Ocsf};
use super::{Describe, Key, Node, Visitor, WithContext};
use crate::context::EventContext;
use crate::event::Event;
use crate::record::{Record, Timestamp};

/// How to write JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// Write every byte string as a plain string of lowercase hex (instead of
    /// a string when UTF-8 and `{"hex": ...}` otherwise).
    pub hex_bytes: bool,
}

/// Appends one event as a JSON object (no newline) to `out`.
pub fn write_event(out: &mut Vec<u8>, ev: &Event<'_>, opt: JsonOptions) {
    write(out, ev, opt)
}

/// Appends one record as a JSON object (no newline) to `out`.
pub fn write_record(out: &mut Vec<u8>, r: &Record<'_>, opt: JsonOptions) {
    write(out, r, opt)
}

/// Appends anything described (an event, a record, an
/// [`EventBuf`](crate::event::EventBuf), a path) as a JSON object (no newline)
/// to `out`.
pub fn write<D: Describe + ?Sized>(out: &mut Vec<u8>, value: &D, opt: JsonOptions) {
    W {
        out,
        opt,
        first: true,
    }
    .map(value)
}

/// Appends a byte string by the rule of [`JsonOptions`]: a JSON string if it
/// is UTF-8, else `{"hex":"..."}`.
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8], opt: JsonOptions) {
    W {
        out,
        opt,
        first: true,
    }
    .bytes(b)
}

/// The shape events are written in: auditstream's own JSON, the Elastic
/// Common Schema or OCSF (`audit2json --format`, `audit-tail --format`).
///
/// ```
/// use auditstream::output::json::{Format, JsonOptions};
/// use auditstream::source::log::LogEvents;
///
/// let log = b"type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=42 success=yes exit=0 pid=9 comm=\"nc\" exe=\"/usr/bin/nc\"\n\
///             type=SOCKADDR msg=audit(1.000:7): saddr=02000050C0A800010000000000000000\n\
///             type=PROCTITLE msg=audit(1.000:7): proctitle=6E63\n\
///             type=EOE msg=audit(1.000:7): \n";
/// let mut events = LogEvents::new(&log[..]);
/// let ev = events.next_event().unwrap()?;
/// let event = ev.event();
/// let format: Format = "ecs".parse()?;
/// let mut out = Vec::new();
/// format.write_event(&mut out, &event, ev.records(), None, Some(b"web-1"), JsonOptions::default());
/// let json = String::from_utf8(out)?;
/// assert!(json.contains(r#""destination":{"address":"192.168.0.1","ip":"192.168.0.1","port":80}"#), "{json}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// The native JSON ([the description](super)), with the process context
    /// after the event's keys when there is one ([`WithContext`]).
    #[default]
    Native,
    /// The Elastic Common Schema view ([`Ecs`]).
    Ecs,
    /// The OCSF view ([`Ocsf`]).
    Ocsf,
}

impl Format {
    /// Every format, in the order of their names in [`FromStr`]'s error.
    pub const ALL: [Format; 3] = [Format::Native, Format::Ecs, Format::Ocsf];

    /// `native`, `ecs` or `ocsf`: the name [`FromStr`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Ecs => "ecs",
            Format::Ocsf => "ocsf",
        }
    }

    /// Appends `event` in this format as one JSON object (no newline) to
    /// `out`. `records` are the event's records (the schemas take an
    /// ENRICHED log's user and group names from them), `process` its process
    /// context, and `host` the name the schemas give events whose records
    /// carry no `node=`; the native format uses only `process`.
    pub fn write_event<'a>(
        self,
        out: &mut Vec<u8>,
        event: &'a Event<'a>,
        records: impl IntoIterator<Item = Record<'a>>,
        process: Option<&'a EventContext<'a>>,
        host: Option<&'a [u8]>,
        opt: JsonOptions,
    ) {
        let ctx = || {
            let ctx = Context::default().names_from(records).process(process);
            match host {
                Some(h) => ctx.host(h),
                None => ctx,
            }
        };
        match self {
            Format::Native => write(out, &WithContext::new(event, process), opt),
            Format::Ecs => write(out, &Ecs::new(event, ctx()), opt),
            Format::Ocsf => write(out, &Ocsf::new(event, ctx()), opt),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not `native`, `ecs` or `ocsf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown format {:?}: native, ecs or ocsf", self.0)
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

struct W<'o> {
    out: &'o mut Vec<u8>,
    opt: JsonOptions,
    /// No entry written yet in the object being written.
    first: bool,
}

impl Visitor for W<'_> {
    #[inline]
    fn entry(&mut self, k: Key<'_>, v: Node<'_>) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.key(k);
        self.node(v);
    }
}

impl W<'_> {
    #[inline]
    fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    fn map<D: Describe + ?Sized>(&mut self, d: &D) {
        self.out.push(b'{');
        let outer = std::mem::replace(&mut self.first, true);
        d.describe(self);
        self.first = outer;
        self.out.push(b'}');
    }

    #[inline]
    fn key(&mut self, k: Key<'_>) {
        if let Key::Name(n) = k {
            self.out.reserve(n.len() + 3);
            self.out.push(b'"');
            self.raw(n.as_bytes());
            self.raw(b"\":");
            return;
        }
        self.out.push(b'"');
        match k.as_plain_str() {
            // printable ASCII without '"' or '\': nothing to escape
            Some(s) => self.raw(s.as_bytes()),
            None => {
                let _ = write!(Escaped(self.out), "{k}");
            }
        }
        self.raw(b"\":");
    }

    #[inline]
    fn node(&mut self, v: Node<'_>) {
        match v {
            Node::Null => self.raw(b"null"),
            Node::Bool(true) => self.raw(b"true"),
            Node::Bool(false) => self.raw(b"false"),
            Node::U64(n) => self.u64(n),
            Node::I64(n) => {
                if n < 0 {
                    self.out.push(b'-');
                }
                self.u64(n.unsigned_abs());
            }
            Node::Str(s) => {
                debug_assert!(s
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'));
                self.out.push(b'"');
                self.raw(s.as_bytes());
                self.out.push(b'"');
            }
            Node::Display(d) => {
                self.out.push(b'"');
                self.display(d);
                self.out.push(b'"');
            }
            Node::Time(t) => self.time(t),
            Node::Bytes(b) => self.bytes(b),
            Node::Text(b) => {
                // Most audit strings are printable ASCII without a backslash:
                // the rule leaves them as they are.
                let plain = plain_prefix(b);
                self.out.reserve(b.len() + 2);
                self.out.push(b'"');
                self.raw(&b[..plain]);
                if plain < b.len() {
                    // (the prefix is ASCII: the rest starts a character)
                    text_into(self.out, &b[plain..]);
                }
                self.out.push(b'"');
            }
            Node::Seq(items) => {
                self.out.push(b'[');
                let mut first = true;
                items.items(|v: Node<'_>| {
                    if !first {
                        self.out.push(b',');
                    }
                    first = false;
                    self.node(v);
                });
                self.out.push(b']');
            }
            Node::Map(m) => self.map(&m),
        }
    }

    #[inline]
    fn u64(&mut self, mut n: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.raw(&buf[i..]);
    }

    /// Text rendered by `d`, escaped for a JSON string body: written as it
    /// is, then escaped in place only if it holds a byte that needs it.
    fn display(&mut self, d: &dyn fmt::Display) {
        let start = self.out.len();
        let _ = write!(Raw(self.out), "{d}");
        let plain = plain_prefix(&self.out[start..]);
        if start + plain < self.out.len() {
            escape_in_place(self.out, start + plain);
        }
    }

    /// `"SEC.MSEC"`.
    fn time(&mut self, t: Timestamp) {
        self.out.push(b'"');
        self.u64(t.sec);
        let ms = t.msec;
        self.raw(&[
            b'.',
            b'0' + (ms / 100 % 10) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
            b'"',
        ]);
    }

    fn bytes(&mut self, b: &[u8]) {
        if self.opt.hex_bytes {
            self.out.push(b'"');
            hex_into(self.out, b);
            self.out.push(b'"');
            return;
        }
        // Most audit strings are printable ASCII: one scan, one copy.
        let plain = plain_prefix(b);
        if plain == b.len() {
            self.out.reserve(b.len() + 2);
            self.out.push(b'"');
            self.raw(b);
            self.out.push(b'"');
            return;
        }
        // (the plain prefix is ASCII: only the rest needs validating)
        match std::str::from_utf8(&b[plain..]) {
            Ok(_) => {
                self.out.push(b'"');
                self.raw(&b[..plain]);
                escape_into(self.out, &b[plain..]);
                self.out.push(b'"');
            }
            Err(_) => {
                self.raw(b"{\"hex\":\"");
                hex_into(self.out, b);
                self.raw(b"\"}");
            }
        }
    }
}

/// Whether a byte is written as it is in a JSON string: printable ASCII
/// other than `"` and `\\`.
#[inline]
fn plain_byte(c: u8) -> bool {
    (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\'
}

/// The length of the leading run of [`plain_byte`]s of `b`, eight bytes at
/// a time.
#[inline]
fn plain_prefix(b: &[u8]) -> usize {
    use crate::bytes::{below_bytes, eq_bytes, run_len, HI};
    let special = |w: u64| {
        (w & HI) | below_bytes(w, 0x20) | eq_bytes(w, b'"') | eq_bytes(w, b'\\') | eq_bytes(w, 0x7f)
    };
    run_len(b, special, plain_byte)
}

/// A `fmt::Write` that appends text as it is.
struct Raw<'o>(&'o mut Vec<u8>);

impl fmt::Write for Raw<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A `fmt::Write` that appends JSON-escaped text.
struct Escaped<'o>(&'o mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s.as_bytes());
        Ok(())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends the lowercase hex of `b`.
pub(crate) fn hex_into(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() * 2);
    for &c in b {
        out.push(HEX[(c >> 4) as usize]);
        out.push(HEX[(c & 15) as usize]);
    }
}

/// Appends `b` as the schema text rule writes it ([`schema::Text`](super::schema::Text): `\\` for
/// a backslash, `\xNN` for each byte of invalid UTF-8 or of a control
/// character), escaped for a JSON string body, in one pass. Equal to
/// escaping `schema::Text(b).to_string()` (tested).
fn text_into(out: &mut Vec<u8>, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(_) => text_valid_into(out, b),
        Err(_) => {
            for chunk in b.utf8_chunks() {
                text_valid_into(out, chunk.valid().as_bytes());
                chunk.invalid().iter().for_each(|&x| text_hex_into(out, x));
            }
        }
    }
}

/// `\xNN` (the text rule's escape of one byte) with its backslash escaped
/// for JSON.
fn text_hex_into(out: &mut Vec<u8>, c: u8) {
    out.extend_from_slice(&[
        b'\\',
        b'\\',
        b'x',
        HEX[(c >> 4) as usize],
        HEX[(c & 15) as usize],
    ]);
}

/// [`text_into`] of valid UTF-8.
fn text_valid_into(out: &mut Vec<u8>, s: &[u8]) {
    let (mut start, mut i) = (0, 0);
    loop {
        i += text_plain_prefix(&s[i..]);
        let Some(&c) = s.get(i) else { break };
        let len = match c {
            b'"' | b'\\' | 0..=0x1f | 0x7f => 1,
            // a C1 control character, U+0080..=U+009F
            0xc2 if s.get(i + 1).is_some_and(|&n| n < 0xa0) => 2,
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&s[start..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\\\\\"),
            _ => s[i..i + len].iter().for_each(|&x| text_hex_into(out, x)),
        }
        i += len;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
}

/// The length of the leading run of bytes that [`text_valid_into`] copies
/// as they are (none of `"`, `\\`, a C0 control, DEL, or 0xC2, which may
/// start a C1 control), eight bytes at a time.
#[inline]
fn text_plain_prefix(b: &[u8]) -> usize {
    use crate::bytes::{below_bytes, eq_bytes, run_len};
    let special = |w: u64| {
        below_bytes(w, 0x20)
            | eq_bytes(w, b'"')
            | eq_bytes(w, b'\\')
            | eq_bytes(w, 0x7f)
            | eq_bytes(w, 0xc2)
    };
    run_len(b, special, |c| {
        c >= 0x20 && !matches!(c, b'"' | b'\\' | 0x7f | 0xc2)
    })
}

/// Escapes `out[from..]` (UTF-8) for a JSON string body, in place: grows
/// `out` by what the escapes add and moves the text back to front.
fn escape_in_place(out: &mut Vec<u8>, from: usize) {
    let extra: usize = out[from..]
        .iter()
        .map(|&c| match c {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' => 1,
            0..=0x1f | 0x7f => 5,
            _ => 0,
        })
        .sum();
    if extra == 0 {
        return;
    }
    let old_len = out.len();
    out.resize(old_len + extra, 0);
    let mut w = out.len();
    for r in (from..old_len).rev() {
        let c = out[r];
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ],
            _ => {
                w -= 1;
                out[w] = c;
                continue;
            }
        };
        w -= esc.len();
        out[w..w + esc.len()].copy_from_slice(esc);
    }
    debug_assert_eq!(w, from);
}

/// Escapes UTF-8 `s` for a JSON string body.
fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 15) as usize]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_and_each_writes_its_view() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        let err = "json".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown format "json": native, ecs or ocsf"#
        );
        assert!("ECS".parse::<Format>().is_err());

        let log = b"node=n1 type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=59 success=yes exit=0 pid=9 uid=0 comm=\"true\" exe=\"/usr/bin/true\"\x1dUID=\"root\"\n\
                    node=n1 type=EXECVE msg=audit(1.000:7): argc=1 a0=\"true\"\n\
                    node=n1 type=EOE msg=audit(1.000:7): \n";
        let mut events = crate::source::log::LogEvents::new(&log[..]);
        let ev = events.next_event().unwrap().unwrap();
        let event = ev.event();
        let opt = JsonOptions::default();
        let written = |f: Format, host: Option<&[u8]>| {
            let mut out = Vec::new();
            f.write_event(&mut out, &event, ev.records(), None, host, opt);
            out
        };
        let mut native = Vec::new();
        write_event(&mut native, &event, opt);
        assert_eq!(written(Format::Native, Some(b"h")), native);
        let ctx = Context::default().names_from(ev.records()).host(b"h");
        let mut ecs = Vec::new();
        write(&mut ecs, &Ecs::new(&event, ctx), opt);
        assert_eq!(written(Format::Ecs, Some(b"h")), ecs);
        assert!(String::from_utf8_lossy(&ecs).contains(r#""name":"root""#));
        let mut ocsf = Vec::new();
        write(&mut ocsf, &Ocsf::new(&event, ctx), opt);
        assert_eq!(written(Format::Ocsf, Some(b"h")), ocsf);
        assert_ne!(ecs, ocsf);
        assert_ne!(ecs, native);
    }

    #[test]
    fn byte_strings() {
        let mut o = Vec::new();
        write_bytes(
            &mut o,
            b"a\"b\\c\n\x01\x1d\x7f\xc3\xbc",
            JsonOptions::default(),
        );
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "\"a\\\"b\\\\c\\n\\u0001\\u001d\\u007f\u{fc}\""
        );
        let mut o = Vec::new();
        write_bytes(&mut o, b"\xff\xfe-x", JsonOptions::default());
        assert_eq!(String::from_utf8(o).unwrap(), "{\"hex\":\"fffe2d78\"}");
        let mut o = Vec::new();
        write_bytes(&mut o, b"ls", JsonOptions { hex_bytes: true });
        assert_eq!(String::from_utf8(o).unwrap(), "\"6c73\"");
    }

    fn record_json(line: &[u8]) -> String {
        let mut o = Vec::new();
        write_record(
            &mut o,
            &Record::parse_line(line).unwrap(),
            JsonOptions::default(),
        );
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn text_into_equals_the_text_rule_escaped() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"ls".to_vec(),
            b"a\"b\\c\x1d\x00\x7f\n".to_vec(),
            "\u{85}\u{9f}\u{a0}\u{fc}\u{1f600}".as_bytes().to_vec(),
            b"\xc2\xff\xe2\x82 \xf0\x9f\x98".to_vec(),
        ];
        for a in 0..=255u8 {
            for b in [0u8, 0x20, 0x41, 0x80, 0x85, 0x9f, 0xa0, 0xbf, 0xc2, 0xff] {
                cases.push(vec![a, b]);
                cases.push(vec![b'x', a, b, 0x80, b'y']);
            }
        }
        for raw in cases {
            let mut fast = Vec::new();
            text_into(&mut fast, &raw);
            let mut slow = Vec::new();
            escape_into(
                &mut slow,
                crate::output::schema::Text(&raw).to_string().as_bytes(),
            );
            assert_eq!(fast, slow, "{:?}", crate::BStr(&raw));
        }
    }

    #[test]
    fn text_plain_prefix_is_exact() {
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut s = vec![b'a'; 20];
                s[at] = b;
                let plain = b >= 0x20 && !matches!(b, b'"' | b'\\' | 0x7f | 0xc2);
                let want = if plain { 20 } else { at };
                assert_eq!(text_plain_prefix(&s), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn escape_in_place_equals_escape_into() {
        for c in 0..=0x7fu8 {
            let s = [b'a', c, b'"', b'z'];
            let mut fast = b"pre".to_vec();
            fast.extend_from_slice(&s);
            escape_in_place(&mut fast, 3);
            let mut slow = b"pre".to_vec();
            escape_into(&mut slow, &s);
            assert_eq!(fast, slow, "{c:#x}");
        }
    }

    #[test]
    fn plain_prefix_is_exact() {
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut s = vec![b'a'; 20];
                s[at] = b;
                let want = if plain_byte(b) { 20 } else { at };
                assert_eq!(plain_prefix(&s), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn keys_never_collide() {
        let j = record_json(b"type=USER msg=audit(1.000:1): a=1 a=2 a@2=3 \xff=4 %FF=5 x y\n");
        let v = fields_of(&j);
        assert_eq!(
            v,
            r#"{"a":"1","a@2":"2","a%402":"3","%FF":"4","%25FF":"5","@tokens":["x","y"]}"#
        );
    }

    fn fields_of(j: &str) -> &str {
        let at = j.find("\"fields\":").unwrap() + 9;
        &j[at..j.len() - 1]
    }

    #[test]
    fn nesting_is_bounded() {
        // 10,000 levels of msg='...': the output is as deep as MAX_NESTING.
        let mut body = String::from("x=1");
        for _ in 0..10_000 {
            body = format!("msg='{body}'");
        }
        let j = record_json(format!("type=USER msg=audit(1.000:1): {body}\n").as_bytes());
        let depth = j
            .bytes()
            .scan(0i32, |d, c| {
                match c {
                    b'{' | b'[' => *d += 1,
                    b'}' | b']' => *d -= 1,
                    _ => {}
                }
                Some(*d)
            })
            .max()
            .unwrap();
        assert_eq!(depth as usize, 2 + super::super::MAX_NESTING);
    }
}
