//! JSON lines for records and events: the format of the `audit2json` and
//! `audit-tail` examples.
//!
//! **Byte strings.** Audit strings are bytes. A byte string that is valid
//! UTF-8 is written as a JSON string. Any other byte string is written as an
//! object `{"hex":"<lowercase hex of the exact bytes>"}`, so the output is
//! lossless and a reader tells the two apart by type. With
//! [`JsonOptions::hex_bytes`], every byte string (argv and proctitle items,
//! cwd, exe, comm, tty, path names, unix socket paths, keys, record values) is
//! written as a plain string of lowercase hex instead.
//!
//! **Events** (`kind` = `exec`, `socket`, `other`, `lost`) carry `node`
//! (string or null), `time` (the header's `"SEC.MSEC"`) and `serial`; exec and
//! socket events the SYSCALL fields (`arch`, `syscall`, `success`, `exit`,
//! `errno`, `pid`, `ppid`, the ids, `auid` and `ses` null when unset, `tty`,
//! `comm`, `exe`, `key` as an array); exec adds `argc`, `argv`, `cwd`,
//! `proctitle` (an array of its NUL-separated items), `paths`; socket adds `op`,
//! `family` (`unix`, `inet`, `inet6`, `netlink` or the number), `addr`, `port`
//! and `path` (an abstract unix name is `@` and the name, as `ss` shows it);
//! other adds `records`; lost adds `source` and `count`. `incomplete`, `late`
//! and `argv_complete` appear only when they say something is missing.
//!
//! **Records** carry `type`, `node`, `time`, `serial` and `fields`: an object
//! of decoded values (`(null)`, `?` and unset ids are null, `msg='...'` a
//! nested object, `key` an array). Tokens without a key (`avc:  denied  {
//! read }`) go to an array `_tokens`; a key seen again is written as
//! `key@2`, `key@3`. ENRICHED lines add `enriched`, the interpreted fields.

use std::borrow::Cow;

use crate::decode::Endpoint;
use crate::event::{Event, EventBuf, ExecEvent, PathRecord, SocketEvent, Syscall};
use crate::record::{EventId, Fields, Keys, Record, Value};

/// How to write JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// Write every byte string as lowercase hex.
    pub hex_bytes: bool,
}

/// Appends one event as a JSON object (no newline) to `out`.
pub fn write_event(out: &mut Vec<u8>, ev: &EventBuf, opt: JsonOptions) {
    let w = &mut W { out, opt };
    let event = ev.event();
    w.raw(b"{\"kind\":\"");
    w.raw(event.kind().as_bytes());
    w.raw(b"\",");
    w.header(ev.node(), ev.id());
    let flags = ev.flags();
    if flags.incomplete {
        w.raw(b",\"incomplete\":true");
    }
    if flags.late {
        w.raw(b",\"late\":true");
    }
    match &event {
        Event::Exec(e) => w.exec(e),
        Event::Socket(s) => w.socket(s),
        Event::Other(records) => {
            w.raw(b",\"records\":[");
            for (i, r) in records.iter().enumerate() {
                if i > 0 {
                    w.raw(b",");
                }
                w.record(r);
            }
            w.raw(b"]");
        }
        Event::Lost(l) => {
            w.raw(b",\"source\":\"");
            w.raw(l.source.name().as_bytes());
            w.raw(b"\",\"count\":");
            w.u64(l.count);
        }
    }
    w.raw(b"}");
}

/// Appends one record as a JSON object (no newline) to `out`.
pub fn write_record(out: &mut Vec<u8>, r: &Record<'_>, opt: JsonOptions) {
    W { out, opt }.record(r);
}

/// Appends `s` as a JSON string, escaped.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s.as_bytes());
    out.push(b'"');
}

/// Appends a byte string: a JSON string if it is UTF-8, else `{"hex":"..."}`.
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8], opt: JsonOptions) {
    W { out, opt }.bytes(b);
}

struct W<'o> {
    out: &'o mut Vec<u8>,
    opt: JsonOptions,
}

impl W<'_> {
    #[inline]
    fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    fn key(&mut self, k: &str) {
        self.raw(b",\"");
        self.raw(k.as_bytes());
        self.raw(b"\":");
    }

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

    fn i64(&mut self, n: i64) {
        if n < 0 {
            self.raw(b"-");
        }
        self.u64(n.unsigned_abs());
    }

    fn opt_u32(&mut self, k: &str, v: Option<u32>) {
        self.key(k);
        match v {
            Some(n) => self.u64(u64::from(n)),
            None => self.raw(b"null"),
        }
    }

    fn header(&mut self, node: Option<&[u8]>, id: EventId) {
        self.raw(b"\"node\":");
        match node {
            Some(n) => self.bytes(n),
            None => self.raw(b"null"),
        }
        self.raw(b",\"time\":\"");
        self.u64(id.time.sec);
        let ms = id.time.msec;
        self.raw(&[
            b'.',
            b'0' + (ms / 100 % 10) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
        ]);
        self.raw(b"\",\"serial\":");
        self.u64(u64::from(id.serial));
    }

    fn bytes(&mut self, b: &[u8]) {
        if self.opt.hex_bytes {
            self.out.push(b'"');
            hex_into(self.out, b);
            self.out.push(b'"');
            return;
        }
        match std::str::from_utf8(b) {
            Ok(_) => {
                self.out.push(b'"');
                escape_into(self.out, b);
                self.out.push(b'"');
            }
            Err(_) => {
                self.raw(b"{\"hex\":\"");
                hex_into(self.out, b);
                self.raw(b"\"}");
            }
        }
    }

    fn opt_bytes(&mut self, k: &str, v: Option<&[u8]>) {
        self.key(k);
        match v {
            Some(b) => self.bytes(b),
            None => self.raw(b"null"),
        }
    }

    fn list(&mut self, k: &str, items: &[Cow<'_, [u8]>]) {
        self.key(k);
        self.raw(b"[");
        for (i, a) in items.iter().enumerate() {
            if i > 0 {
                self.raw(b",");
            }
            self.bytes(a);
        }
        self.raw(b"]");
    }

    fn syscall(&mut self, s: &Syscall<'_>) {
        self.key("arch");
        match s.arch {
            Some(a) => match a.name() {
                Some(n) => {
                    self.raw(b"\"");
                    self.raw(n.as_bytes());
                    self.raw(b"\"");
                }
                None => {
                    let t = format!("\"{:x}\"", a.0);
                    self.raw(t.as_bytes());
                }
            },
            None => self.raw(b"null"),
        }
        self.key("syscall");
        match (s.name(), s.syscall) {
            (Some(n), _) => write_str(self.out, n),
            (None, Some(n)) => self.u64(u64::from(n)),
            (None, None) => self.raw(b"null"),
        }
        self.key("success");
        self.raw(match s.success {
            Some(true) => b"true",
            Some(false) => b"false",
            None => b"null",
        });
        self.key("exit");
        match s.exit {
            Some(e) => self.i64(e),
            None => self.raw(b"null"),
        }
        self.key("errno");
        match s.errno() {
            Some(e) => write_str(self.out, e),
            None => self.raw(b"null"),
        }
        self.opt_u32("pid", s.pid);
        self.opt_u32("ppid", s.ppid);
        self.opt_u32("uid", s.uid);
        self.opt_u32("gid", s.gid);
        self.opt_u32("euid", s.euid);
        self.opt_u32("egid", s.egid);
        self.opt_u32("suid", s.suid);
        self.opt_u32("sgid", s.sgid);
        self.opt_u32("fsuid", s.fsuid);
        self.opt_u32("fsgid", s.fsgid);
        self.opt_u32("auid", s.auid);
        self.opt_u32("ses", s.ses);
        self.opt_bytes("tty", s.tty.as_deref());
        self.opt_bytes("comm", s.comm.as_deref());
        self.opt_bytes("exe", s.exe.as_deref());
        self.list("key", &s.keys);
    }

    fn exec(&mut self, e: &ExecEvent<'_>) {
        self.syscall(&e.syscall);
        self.opt_u32("argc", e.argc);
        self.list("argv", &e.argv);
        if !e.argv_complete {
            self.raw(b",\"argv_complete\":false");
        }
        self.opt_bytes("cwd", e.cwd.as_deref());
        self.list("proctitle", &e.proctitle);
        self.paths(&e.paths);
    }

    fn paths(&mut self, paths: &[PathRecord<'_>]) {
        self.key("paths");
        self.raw(b"[");
        for (i, p) in paths.iter().enumerate() {
            if i > 0 {
                self.raw(b",");
            }
            self.raw(b"{\"item\":");
            match p.item {
                Some(n) => self.u64(u64::from(n)),
                None => self.raw(b"null"),
            }
            self.opt_bytes("name", p.name.as_deref());
            self.key("inode");
            match p.inode {
                Some(n) => self.u64(n),
                None => self.raw(b"null"),
            }
            self.opt_bytes("dev", p.dev.as_deref());
            self.key("mode");
            match p.mode {
                Some(m) => {
                    let t = format!("\"{m:o}\"");
                    self.raw(t.as_bytes());
                }
                None => self.raw(b"null"),
            }
            self.opt_u32("ouid", p.ouid);
            self.opt_u32("ogid", p.ogid);
            self.opt_bytes("nametype", p.nametype.as_deref());
            self.raw(b"}");
        }
        self.raw(b"]");
    }

    fn socket(&mut self, s: &SocketEvent<'_>) {
        self.syscall(&s.syscall);
        self.key("op");
        write_str(self.out, s.op.name());
        let mut ep = Endpoint::default();
        self.key("family");
        match &s.addr {
            Some(Ok(a)) => {
                match a.family_name() {
                    Some(n) => write_str(self.out, n),
                    None => self.u64(u64::from(a.family())),
                }
                ep = a.endpoint();
            }
            _ => self.raw(b"null"),
        }
        self.key("addr");
        match ep.addr {
            Some(a) => write_str(self.out, &a),
            None => self.raw(b"null"),
        }
        self.key("port");
        match ep.port {
            Some(p) => self.u64(u64::from(p)),
            None => self.raw(b"null"),
        }
        self.opt_bytes("path", ep.path.as_deref());
        if let Some(Err(e)) = &s.addr {
            self.key("addr_error");
            write_str(self.out, &e.to_string());
        }
    }

    fn record(&mut self, r: &Record<'_>) {
        self.raw(b"{\"type\":");
        write_str(self.out, &r.record_type().to_string());
        self.raw(b",");
        self.header(r.node(), r.id());
        self.key("fields");
        self.fields(r.fields());
        if r.enrichment().is_some() {
            self.key("enriched");
            self.fields(r.enriched_fields());
        }
        self.raw(b"}");
    }

    fn fields(&mut self, fields: Fields<'_>) {
        self.raw(b"{");
        let mut entries = Entries::new(fields);
        let mut first = true;
        for e in &mut entries {
            if !first {
                self.raw(b",");
            }
            first = false;
            self.out.push(b'"');
            escape_lossless_key(self.out, e.key);
            if e.nth > 1 {
                self.raw(b"@");
                self.u64(e.nth as u64);
            }
            self.raw(b"\":");
            match e.value {
                EntryValue::Bytes(b) => self.bytes(&b),
                EntryValue::Null => self.raw(b"null"),
                EntryValue::Keys(keys) => {
                    self.raw(b"[");
                    for (i, key) in keys.enumerate() {
                        if i > 0 {
                            self.raw(b",");
                        }
                        self.bytes(&key);
                    }
                    self.raw(b"]");
                }
                EntryValue::Nested(n) => self.fields(n),
            }
        }
        if !entries.tokens().is_empty() {
            if !first {
                self.raw(b",");
            }
            self.raw(b"\"_tokens\":[");
            for (i, t) in entries.tokens().iter().enumerate() {
                if i > 0 {
                    self.raw(b",");
                }
                self.bytes(t);
            }
            self.raw(b"]");
        }
        self.raw(b"}");
    }
}

/// One entry of a record's `fields` object, as both this module and the
/// serde feature write it.
pub(crate) struct Entry<'a> {
    pub key: &'a [u8],
    /// 1 for the first field with this key, 2 for the next (`key@2`), ...
    pub nth: usize,
    pub value: EntryValue<'a>,
}

/// An entry's value, decoded once.
pub(crate) enum EntryValue<'a> {
    Bytes(Cow<'a, [u8]>),
    /// `(null)`, `?`, an unset id.
    Null,
    /// The keys of a `key` field.
    Keys(Keys<'a>),
    /// A nested `msg='...'`.
    Nested(Fields<'a>),
}

/// The entries of a `fields` object; tokens without a key are kept for
/// [`Entries::tokens`] (`_tokens`, written last). Allocates only for such
/// tokens or past 32 distinct keys.
pub(crate) struct Entries<'a> {
    fields: Fields<'a>,
    seen: [&'a [u8]; 32],
    seen_len: usize,
    seen_more: Vec<&'a [u8]>,
    tokens: Vec<&'a [u8]>,
}

impl<'a> Entries<'a> {
    pub(crate) fn new(fields: Fields<'a>) -> Self {
        Entries {
            fields,
            seen: [&[]; 32],
            seen_len: 0,
            seen_more: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// The tokens without a key seen so far (all of them once iterated).
    pub(crate) fn tokens(&self) -> &[&'a [u8]] {
        &self.tokens
    }

    /// Records `key`; how many times it has now been seen.
    fn note(&mut self, key: &'a [u8]) -> usize {
        let seen = &self.seen[..self.seen_len];
        let n = 1 + seen
            .iter()
            .chain(&self.seen_more)
            .filter(|s| **s == key)
            .count();
        if self.seen_len < self.seen.len() {
            self.seen[self.seen_len] = key;
            self.seen_len += 1;
        } else {
            self.seen_more.push(key);
        }
        n
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            let f = self.fields.next()?;
            let key = f.key();
            if key.is_empty() {
                self.tokens.push(f.raw());
                continue;
            }
            let nth = self.note(key);
            let value = match f.value() {
                Value::Null | Value::Unknown | Value::Unset => EntryValue::Null,
                Value::Bytes(b) if key == b"key" => EntryValue::Keys(Keys::of(Some(b))),
                Value::Bytes(b) => EntryValue::Bytes(b),
                Value::Nested(n) => EntryValue::Nested(n),
            };
            return Some(Entry { key, nth, value });
        }
    }
}

/// Keys are ASCII in every writer we know; anything else is escaped as
/// `\u00XX` per byte so the output stays valid JSON.
fn escape_lossless_key(out: &mut Vec<u8>, k: &[u8]) {
    if std::str::from_utf8(k).is_ok() {
        escape_into(out, k);
    } else {
        for &c in k {
            if c < 0x80 {
                escape_into(out, &[c]);
            } else {
                out.extend_from_slice(format!("\\u{:04x}", c).as_bytes());
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(crate) fn hex_into(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() * 2);
    for &c in b {
        out.push(HEX[(c >> 4) as usize]);
        out.push(HEX[(c & 15) as usize]);
    }
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
}
