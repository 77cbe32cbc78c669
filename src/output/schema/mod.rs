//! Events in the schemas SIEMs already speak: the Elastic Common Schema
//! ([`Ecs`], ECS 8.17.0, the shape of Auditbeat's auditd module) and the Open
//! Cybersecurity Schema Framework ([`Ocsf`], OCSF 1.8.0).
//!
//! Each view is a [`Describe`](super::Describe) over a typed [`Event`], so the
//! native JSON writer ([`json::write`](super::json::write)) and serde (feature
//! `serde`) write it; no second writer. A view adds to the event what it
//! does not carry through a [`Context`]: the host name for records without
//! `node=`, and user and group names (ENRICHED logs).
//!
//! ```
//! use auditstream::output::json::{write, JsonOptions};
//! use auditstream::output::schema::{Context, Ecs, Ocsf};
//! use auditstream::source::log::LogEvents;
//!
//! let log = b"type=SYSCALL msg=audit(1795839101.190:463939): arch=c000003e syscall=59 \
//! success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=1 ppid=1 pid=42 auid=1000 uid=0 gid=0 \
//! euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm=\"ls\" exe=\"/bin/ls\" \
//! key=\"exec\"\ntype=EXECVE msg=audit(1795839101.190:463939): argc=2 a0=\"ls\" a1=\"-l\"\n\
//! type=EOE msg=audit(1795839101.190:463939): \n";
//! let mut events = LogEvents::new(&log[..]);
//! let buf = events.next_event().unwrap()?;
//! let event = buf.event();
//! let ctx = Context::default().names_from(buf.records());
//! let mut out = Vec::new();
//! write(&mut out, &Ecs::new(&event, ctx), JsonOptions::default());
//! let ecs = String::from_utf8(out)?;
//! assert!(ecs.starts_with(r#"{"@timestamp":"2026-11-28T04:11:41.190Z","#));
//! assert!(ecs.contains(r#""action":"executed""#));
//! assert!(ecs.contains(r#""args":["ls","-l"],"args_count":2,"command_line":"ls -l""#));
//! let mut out = Vec::new();
//! write(&mut out, &Ocsf::new(&event, ctx), JsonOptions::default());
//! assert!(String::from_utf8(out)?.contains(r#""class_uid":1007"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Byte strings
//!
//! A schema field is a string, so a byte string is always written as one, by
//! one lossless rule ([`Text`]): its bytes as UTF-8 text, except that
//!
//! - a backslash is written `\\`, and
//! - every byte that is not part of valid UTF-8, and every byte of a control
//!   character (U+0000..U+001F, U+007F, U+0080..U+009F), is written `\xNN`
//!   (two lowercase hex digits), one escape per byte.
//!
//! So `\` always starts `\\` or `\xNN`, and [`text_to_bytes`] gives back the
//! exact bytes: `"a\\b\xff\x1d"` is the bytes `a`, `\`, `b`, 0xFF, 0x1D. (JSON
//! then escapes `"` as `\"` around it, as for any string.) The one exception
//! is a field that joins byte strings with spaces (`process.command_line`,
//! `process.title`, OCSF `cmd_line`): the list it joins is written too
//! (`process.args`; `unmapped.argv`, `unmapped.proctitle`).
//!
//! # ECS
//!
//! Exec events: `event.action` `executed` (category `process`, type `start`);
//! socket events: `connected-to`, `bound-socket`, `accepted-connection-from`
//! (category `network`): Auditbeat's vocabulary, from elastic/go-libaudit
//! `aucoalesce/normalizations.yaml` ([`tables::ecs_syscall`],
//! [`tables::ecs_record_type`]). Other events get the kind, category, type
//! and action Auditbeat gives their record type (logins, user and group
//! management, configuration changes, AVC, anomalies, ...) and that of their
//! syscall; without one, the action is the syscall name or the record type in
//! lower case. Fields: `@timestamp` (ms, UTC), `event.{kind, module,
//! category, type, action, outcome, sequence}` (`outcome` is `unknown` for a
//! connect in progress, `EINPROGRESS`), `host.name` (`node=`, else the
//! context's host), `process.{pid, name, executable, args, args_count,
//! command_line, working_directory, title, parent.pid}`, `user.{id, name}`,
//! `user.group.*`, `group.*` (the real group), `user.effective.*`,
//! `user.saved.*`, `user.filesystem.*`, `user.audit.*` (the login user),
//! `source.*`/`destination.*` (`ip`, `port`, `address`: connect writes the
//! destination, bind the (local) source, accept the peer as source; a unix
//! socket's path is the `address`), `network.type` (`ipv4`, `ipv6`), `tags`
//! (the rule keys), and under `auditd` what Auditbeat puts there: `sequence`,
//! `result`, `session`, `data` (syscall, arch, exit, a0..a3, items, tty, argc,
//! socket), `paths`, plus `records` (the records of other events, as the
//! native format has them but with text byte strings), `lost` (loss events),
//! `incomplete`, `late` and `argv_complete: false`.
//!
//! # OCSF
//!
//! Exec events are Process Activity (1007) `Launch` with `launch_type`
//! `Exec`: `process` is the program after the exec (`pid`, `name` = comm,
//! `cmd_line`, `file`, `working_directory`, `user`, `parent_process.pid`),
//! `actor` the same pid (the process that called exec), the login user and
//! the session. Socket events are Network Activity (4001): connect `Open`
//! (`Refuse` for `ECONNREFUSED`, `Fail` for another error), accept `Open`,
//! bind `Listen`; the address goes to `dst_endpoint` (connect) or
//! `src_endpoint` (bind, and the peer of accept), with
//! `is_src_dst_assignment_known` false for bind; `connection_info` has the
//! direction (`Local` for loopback and unix) and IP version. A socket event
//! without an address it can name, and every other event, is a Base Event
//! (class 0, activity `Other` named by the ECS action). Every event has
//! `metadata` (`product`, `version`, `uid` = `SEC.MSEC:SERIAL`,
//! `original_time`, `profiles: ["host"]`), `device` (hostname from `node=`
//! or the context), `severity` (`Medium` for anomalies and loss, else
//! `Informational`) and `status`, and `unmapped` holds everything the class
//! has no attribute for (syscall, arch, exit, the ids, argv, paths, records).
//!
//! The schema definitions these views are tested against (field lists,
//! types, requirements, enum values) are checked in under
//! `testdata/schemas/`, with their sources.
//!
//! [`tables::ecs_syscall`]: crate::tables::ecs_syscall
//! [`tables::ecs_record_type`]: crate::tables::ecs_record_type

mod ecs;
mod ocsf;

pub use ecs::{Ecs, EcsPart, EcsSeq};
pub use ocsf::{Ocsf, OcsfPart};

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::context::EventContext;
use crate::decode::UnixAddr;
use crate::event::{Event, EventKind, Records, SocketOp, Syscall};
use crate::record::{Fields, Record, RecordType, Timestamp, Value};
use crate::tables::{self, EcsNormalization};

/// The ECS release the [`Ecs`] view follows.
pub const ECS_VERSION: &str = "8.17.0";

/// The OCSF release the [`Ocsf`] view follows.
pub const OCSF_VERSION: &str = "1.8.0";

/// A byte string written as schema text: UTF-8 as it is, `\` as `\\`, and
/// each byte of invalid UTF-8 or of a control character as `\xNN` (see the
/// [module documentation](self)). [`text_to_bytes`] reverses it.
///
/// ```
/// use auditstream::output::schema::{text_to_bytes, Text};
///
/// let raw = b"ls \"-l\" a\\b \xff\x1d\n\xc2\x85 \xc3\xbc";
/// let text = Text(raw).to_string();
/// assert_eq!(text, r#"ls "-l" a\\b \xff\x1d\x0a\xc2\x85 ü"#);
/// assert_eq!(text_to_bytes(&text).unwrap(), raw);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Text<'a>(pub &'a [u8]);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Most audit strings are printable ASCII without a backslash.
        if plain_prefix(self.0) == self.0.len() {
            return f.write_str(std::str::from_utf8(self.0).unwrap_or_default());
        }
        for chunk in self.0.utf8_chunks() {
            let mut rest = chunk.valid();
            while !rest.is_empty() {
                // printable ASCII but `\`: as it is, a run at a time
                let plain = plain_prefix(rest.as_bytes());
                f.write_str(&rest[..plain])?;
                rest = &rest[plain..];
                let Some(c) = rest.chars().next() else {
                    break;
                };
                if c == '\\' {
                    f.write_str("\\\\")?;
                } else if c.is_control() {
                    let mut enc = [0u8; 4];
                    for &byte in c.encode_utf8(&mut enc).as_bytes() {
                        write_hex(f, byte)?;
                    }
                } else {
                    // a run of printable non-ASCII characters: up to an ASCII
                    // byte or a C1 control (0xC2 0x80..=0x9F), both of which
                    // start a character
                    let b = rest.as_bytes();
                    let mut end = 0;
                    while end < b.len()
                        && b[end] >= 0x80
                        && !(b[end] == 0xc2 && b.get(end + 1).is_some_and(|&n| n < 0xa0))
                    {
                        end += 1;
                    }
                    f.write_str(&rest[..end])?;
                    rest = &rest[end..];
                    continue;
                }
                rest = &rest[c.len_utf8()..];
            }
            for &byte in chunk.invalid() {
                write_hex(f, byte)?;
            }
        }
        Ok(())
    }
}

/// `\xNN`.
fn write_hex(f: &mut fmt::Formatter<'_>, byte: u8) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let s = [
        b'\\',
        b'x',
        HEX[usize::from(byte >> 4)],
        HEX[usize::from(byte & 15)],
    ];
    f.write_str(std::str::from_utf8(&s).unwrap_or_default())
}

/// The length of the leading run of printable ASCII other than `\` in `b`,
/// eight bytes at a time.
fn plain_prefix(b: &[u8]) -> usize {
    use crate::bytes::{below_bytes, eq_bytes, run_len, HI};
    let special = |w: u64| (w & HI) | below_bytes(w, 0x20) | eq_bytes(w, b'\\') | eq_bytes(w, 0x7f);
    run_len(b, special, |c| (0x20..0x7f).contains(&c) && c != b'\\')
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// The bytes of schema text written by the [`Text`] rule; `None` when `s`
/// holds a `\` that does not start `\\` or `\xNN`.
pub fn text_to_bytes(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => match b.get(i + 1)? {
                b'\\' => {
                    out.push(b'\\');
                    i += 2;
                }
                b'x' => {
                    let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return None;
                    }
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 4;
                }
                _ => return None,
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Byte strings joined by single spaces (written by the [`Text`] rule as a
/// whole, which is the same as item by item: a space is a character).
fn joined(items: &[Cow<'_, [u8]>]) -> Vec<u8> {
    let len = items.iter().map(|b| b.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(item);
    }
    out
}

/// A timestamp as ISO 8601 UTC with milliseconds: `2026-11-28T04:11:41.190Z`,
/// rendered into a stack buffer.
struct IsoTime {
    buf: [u8; 40],
    len: usize,
}

impl IsoTime {
    fn new(t: Timestamp) -> Self {
        let days = t.sec / 86_400;
        let secs = t.sec % 86_400;
        // days since 1970-01-01 to a civil date (H. Hinnant's algorithm),
        // all in u64: every u64 number of seconds has a date
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z % 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        let mut s = IsoTime {
            buf: [0; 40],
            len: 0,
        };
        let year = Num::Dec(year).text();
        for _ in year.as_bytes().len()..4 {
            s.push(b'0');
        }
        for &c in year.as_bytes() {
            s.push(c);
        }
        for (sep, n) in [
            (b'-', month),
            (b'-', day),
            (b'T', secs / 3600),
            (b':', secs / 60 % 60),
            (b':', secs % 60),
        ] {
            s.push(sep);
            s.push(b'0' + (n / 10) as u8);
            s.push(b'0' + (n % 10) as u8);
        }
        let ms = t.msec % 1000;
        s.push(b'.');
        s.push(b'0' + (ms / 100) as u8);
        s.push(b'0' + (ms / 10 % 10) as u8);
        s.push(b'0' + (ms % 10) as u8);
        s.push(b'Z');
        s
    }

    fn push(&mut self, c: u8) {
        self.buf[self.len] = c;
        self.len += 1;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Display for IsoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(self.as_bytes()).unwrap_or_default())
    }
}

/// Text in ASCII lower case (record type names as actions).
struct Lower<'a>(&'a str);

impl fmt::Display for Lower<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            f.write_char(c.to_ascii_lowercase())?;
        }
        Ok(())
    }
}

/// A number as text: ids (keywords in ECS), syscall arguments and arches
/// in hex, modes in octal as PATH records write them. Rendered into a stack
/// buffer ([`Num::text`]) and written as a [`Node::Text`](crate::output::Node).
#[derive(Clone, Copy)]
enum Num {
    Dec(u64),
    Signed(i64),
    /// `{:x}`.
    Hex(u64),
    /// `0{:o}` (`0` for zero).
    Oct(u64),
}

/// The digits of a [`Num`].
struct NumText {
    buf: [u8; 24],
    start: usize,
}

impl NumText {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl Num {
    fn text(self) -> NumText {
        let mut t = NumText {
            buf: [0; 24],
            start: 24,
        };
        match self {
            Num::Dec(n) => t.digits::<10>(n),
            Num::Signed(n) => {
                t.digits::<10>(n.unsigned_abs());
                if n < 0 {
                    t.prepend(b'-');
                }
            }
            Num::Hex(n) => t.digits::<16>(n),
            Num::Oct(n) => {
                t.digits::<8>(n);
                if n != 0 {
                    t.prepend(b'0');
                }
            }
        }
        t
    }
}

impl NumText {
    /// Writes the digits of `n` in base `B` (a constant: no division
    /// instruction) in front of what is there.
    fn digits<const B: u64>(&mut self, mut n: u64) {
        loop {
            self.prepend(b"0123456789abcdef"[(n % B) as usize]);
            n /= B;
            if n == 0 {
                break;
            }
        }
    }

    fn prepend(&mut self, c: u8) {
        self.start -= 1;
        self.buf[self.start] = c;
    }
}

/// A unix socket's name as `ss` shows it: the path, or `@` and the abstract
/// name (each by the [`Text`] rule).
struct UnixName<'a>(&'a UnixAddr);

impl fmt::Display for UnixName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.abstract_name(), self.0.path()) {
            (Some(a), _) => {
                f.write_str("@")?;
                Text(a).fmt(f)
            }
            (None, Some(p)) => Text(p).fmt(f),
            (None, None) => Ok(()),
        }
    }
}

/// The part of a path after its last `/`.
fn basename(path: &[u8]) -> &[u8] {
    match memchr::memrchr(b'/', path) {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// What a schema view knows beyond the event: the host, user and group
/// names, and the process context of a
/// [`ProcessTracker`](crate::context::ProcessTracker) (parent, ancestry,
/// container, unit, labels). `Copy`; build one per event, or reuse one that
/// holds only the host.
///
/// ```
/// use auditstream::output::schema::Context;
///
/// let ctx = Context::default().host(b"web-1");
/// assert_eq!(ctx.host_name(), Some(&b"web-1"[..]));
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Context<'a> {
    host: Option<&'a [u8]>,
    names: Names<'a>,
    process: Option<&'a EventContext<'a>>,
}

impl<'a> Context<'a> {
    /// The host the events come from, for events whose records carry no
    /// `node=` (ECS `host.name`, OCSF `device.hostname`).
    pub fn host(mut self, name: &'a [u8]) -> Self {
        self.host = Some(name);
        self
    }

    /// The host name set with [`host`](Self::host).
    pub fn host_name(&self) -> Option<&'a [u8]> {
        self.host
    }

    /// The user and group names of an ENRICHED log (`UID="root"`, ...) from
    /// the event's records: those of its SYSCALL record, else of its first
    /// record with interpreted fields. Nothing for RAW logs and netlink.
    pub fn names_from(mut self, records: impl IntoIterator<Item = Record<'a>>) -> Self {
        self.names = Names::from_records(records).unwrap_or_default();
        self
    }

    /// The user and group names.
    pub fn names(&self) -> &Names<'a> {
        &self.names
    }

    /// The event's process context: ECS `process.parent.*`, `container.*`,
    /// labels in `tags`, `auditd.ancestry` and `auditd.unit`; OCSF
    /// `process.parent_process`, `process.container`, `process.lineage`,
    /// `metadata.labels` and `unmapped.unit`. Its names are the event's
    /// names unless the context already has some.
    pub fn process(mut self, ctx: Option<&'a EventContext<'a>>) -> Self {
        self.process = ctx;
        if let Some(c) = ctx {
            if self.names.is_empty() {
                self.names = c.names.as_names();
            }
        }
        self
    }

    /// The process context set with [`process`](Self::process).
    pub fn process_context(&self) -> Option<&'a EventContext<'a>> {
        self.process
    }
}

/// User and group names for the ids of an event, as auditd's ENRICHED
/// format writes them (`UID="root" AUID="alice" GID="root"`). `unset` and
/// `unknown(N)` are not names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Names<'a> {
    /// `UID`.
    pub uid: Option<&'a [u8]>,
    /// `GID`.
    pub gid: Option<&'a [u8]>,
    /// `EUID`.
    pub euid: Option<&'a [u8]>,
    /// `EGID`.
    pub egid: Option<&'a [u8]>,
    /// `SUID`.
    pub suid: Option<&'a [u8]>,
    /// `SGID`.
    pub sgid: Option<&'a [u8]>,
    /// `FSUID`.
    pub fsuid: Option<&'a [u8]>,
    /// `FSGID`.
    pub fsgid: Option<&'a [u8]>,
    /// `AUID`.
    pub auid: Option<&'a [u8]>,
}

impl<'a> Names<'a> {
    /// The names an ENRICHED log gives an event: those of its SYSCALL
    /// record, else of its first record with interpreted fields; `None`
    /// when no record has interpreted fields (RAW logs, netlink).
    pub fn from_records(records: impl IntoIterator<Item = Record<'a>>) -> Option<Self> {
        let mut first = None;
        for r in records {
            if r.enrichment().is_none() {
                continue;
            }
            if r.record_type() == RecordType::SYSCALL {
                first = Some(r);
                break;
            }
            first.get_or_insert(r);
        }
        first.map(|r| Names::from_fields(r.enriched_fields()))
    }

    /// The names among interpreted fields (`Record::enriched_fields`).
    pub fn from_fields(fields: Fields<'a>) -> Self {
        let mut n = Names::default();
        for f in fields {
            let Value::Bytes(Cow::Borrowed(v)) = f.value() else {
                continue;
            };
            if v.is_empty() || v == b"unset" || v.starts_with(b"unknown(") {
                continue;
            }
            let slot = match f.key() {
                b"UID" => &mut n.uid,
                b"GID" => &mut n.gid,
                b"EUID" => &mut n.euid,
                b"EGID" => &mut n.egid,
                b"SUID" => &mut n.suid,
                b"SGID" => &mut n.sgid,
                b"FSUID" => &mut n.fsuid,
                b"FSGID" => &mut n.fsgid,
                b"AUID" => &mut n.auid,
                _ => continue,
            };
            *slot = Some(v);
        }
        n
    }

    fn is_empty(&self) -> bool {
        *self == Names::default()
    }
}

/// How an event turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    /// A connect still in progress (`EINPROGRESS`).
    InProgress,
}

/// The `event.action` of an event.
#[derive(Debug, Clone, Copy)]
enum Action<'a> {
    /// A word of Auditbeat's vocabulary, or a syscall name.
    Word(&'static str),
    /// A record type name, written in lower case.
    Type(RecordType, Option<&'a [u8]>),
}

impl Action<'_> {
    /// Hands the action as a node to `f`.
    fn with_node(&self, f: impl FnOnce(crate::output::Node<'_>)) {
        match *self {
            // vocabulary words and syscall names: ASCII, no quote or backslash
            Action::Word(w) => f(crate::output::Node::Str(w)),
            _ => f(crate::output::Node::Display(self)),
        }
    }
}

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Word(w) => f.write_str(w),
            Action::Type(t, Some(written)) if t == RecordType::UNRECOGNIZED => {
                Lower(&Text(written).to_string()).fmt(f)
            }
            Action::Type(t, _) => match t.name() {
                Some(n) => Lower(n).fmt(f),
                None => Lower(&t.to_string()).fmt(f),
            },
        }
    }
}

/// Most categories (or types) an event gets: its record type's and its
/// syscall's, without repeats.
const MAX_WORDS: usize = 6;

/// A short list of vocabulary words without repeats.
#[derive(Debug, Clone, Copy, Default)]
struct Words {
    words: [&'static str; MAX_WORDS],
    len: usize,
}

impl Words {
    fn add(&mut self, list: &[&'static str]) {
        for w in list {
            if self.len < MAX_WORDS && !self.as_slice().contains(w) {
                self.words[self.len] = w;
                self.len += 1;
            }
        }
    }

    fn as_slice(&self) -> &[&'static str] {
        &self.words[..self.len]
    }
}

/// How Auditbeat classifies the event (the ECS vocabulary; OCSF names its
/// Base Events by the action too).
#[derive(Debug, Clone, Copy)]
struct Class<'a> {
    action: Action<'a>,
    kind: &'static str,
    category: Words,
    types: Words,
}

impl<'a> Class<'a> {
    fn of(norm: &EcsNormalization, action: Action<'a>) -> Self {
        let mut c = Class {
            action: norm.action.map_or(action, Action::Word),
            kind: norm.kind.unwrap_or("event"),
            category: Words::default(),
            types: Words::default(),
        };
        c.category.add(norm.category);
        c.types.add(norm.types);
        c
    }

    /// Anomalies (`event.kind: alert`) and loss.
    fn is_alert(&self) -> bool {
        self.kind == "alert"
    }
}

/// What both views read from an event: who made it, what it was, how it
/// ended, on which host.
struct Facts<'a> {
    event: &'a Event<'a>,
    /// The process fields: the SYSCALL record, else those of the main
    /// record (pid, uid, auid, ses, comm, exe; exe also from `msg='...'`).
    subject: Option<Subject<'a>>,
    names: Names<'a>,
    host: Option<&'a [u8]>,
    /// The process context, if any.
    process: Option<&'a EventContext<'a>>,
    class: Class<'a>,
    outcome: Option<Outcome>,
}

impl<'a> Facts<'a> {
    fn new(event: &'a Event<'a>, ctx: Context<'a>) -> Self {
        let host = event.node.as_deref().or(ctx.host);
        let mut names = ctx.names;
        let (subject, class, outcome) = match &event.kind {
            EventKind::Exec(x) => {
                let s = &x.syscall;
                let class = Class::of(
                    tables::ecs_syscall(s.name().unwrap_or("execve")),
                    Action::Word("executed"),
                );
                (Some(Subject::Borrowed(s)), class, syscall_outcome(s))
            }
            EventKind::Socket(x) => {
                let s = &x.syscall;
                let class = Class::of(tables::ecs_syscall(x.op.name()), Action::Word(x.op.name()));
                let mut outcome = syscall_outcome(s);
                if x.op == SocketOp::Connect && s.errno() == Some("EINPROGRESS") {
                    outcome = Some(Outcome::InProgress);
                }
                (Some(Subject::Borrowed(s)), class, outcome)
            }
            EventKind::Other(records) => {
                let (subject, class, outcome, enriched) = other_facts(records);
                if names.is_empty() {
                    if let Some(r) = enriched {
                        names = Names::from_fields(r.enriched_fields());
                    }
                }
                (subject.map(|s| Subject::Owned(Box::new(s))), class, outcome)
            }
            EventKind::Lost(_) => {
                let class = Class {
                    action: Action::Word("lost"),
                    kind: "event",
                    category: Words::default(),
                    types: Words::default(),
                };
                (None, class, None)
            }
        };
        Facts {
            event,
            subject,
            names,
            host,
            process: ctx.process,
            class,
            outcome,
        }
    }

    fn syscall(&self) -> Option<&Syscall<'a>> {
        match &self.subject {
            Some(Subject::Borrowed(s)) => Some(s),
            Some(Subject::Owned(s)) => Some(s),
            None => None,
        }
    }
}

/// The process fields of an event (a `Cow` would make the views invariant
/// in their lifetime).
enum Subject<'a> {
    Borrowed(&'a Syscall<'a>),
    Owned(Box<Syscall<'a>>),
}

fn syscall_outcome(s: &Syscall<'_>) -> Option<Outcome> {
    s.success.map(|ok| {
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    })
}

/// `res=` (also inside `msg='...'`): `success`, `yes`, `1` or `failed`,
/// `no`, `0`.
fn result_of(r: &Record<'_>) -> Option<Outcome> {
    let word = |f: crate::record::Field<'_>| match f.raw() {
        b"success" | b"yes" | b"1" => Some(Outcome::Success),
        b"failed" | b"fail" | b"no" | b"0" => Some(Outcome::Failure),
        _ => None,
    };
    for f in r.fields() {
        if f.key() == b"res" {
            return word(f);
        }
        if let Some(nested) = f.nested() {
            if let Some(res) = nested.into_iter().find(|n| n.key() == b"res") {
                return word(res);
            }
        }
    }
    None
}

/// The subject, class and outcome of an event of other records, and the
/// record whose interpreted fields name its ids.
#[allow(clippy::type_complexity)]
fn other_facts<'a>(
    records: &'a Records<'a>,
) -> (
    Option<Syscall<'a>>,
    Class<'a>,
    Option<Outcome>,
    Option<Record<'a>>,
) {
    let syscall_rec = records
        .iter()
        .find(|r| r.record_type() == RecordType::SYSCALL);
    let syscall = syscall_rec.as_ref().map(Syscall::from_record);
    let syscall_norm = syscall
        .as_ref()
        .map(|s| (s, tables::ecs_syscall(s.name().unwrap_or(""))));
    // The main record: the first one Auditbeat has a normalization for,
    // else the SYSCALL record, else the first.
    let normalized = records.iter().find_map(|r| {
        let type_name = r.record_type().name()?;
        let norms = tables::ecs_record_type(type_name.as_bytes());
        let norm = norms.iter().find(|n| match n.has_field {
            Some(field) => r.fields().any(|f| f.key() == field.as_bytes()),
            None => true,
        })?;
        Some((r, norm))
    });
    let first = records.iter().next();
    let main = normalized.map(|(r, _)| r).or(syscall_rec).or(first);
    let type_action = |r: &Record<'a>| Action::Type(r.record_type(), r.unrecognized_type());
    let class = match (normalized, syscall_norm) {
        (Some((r, norm)), sys) => {
            let mut c = Class::of(norm, type_action(&r));
            if let Some((_, sn)) = sys {
                c.category.add(sn.category);
                c.types.add(sn.types);
            }
            c
        }
        (None, Some((s, sn))) => Class::of(
            sn,
            s.name().map_or_else(
                || type_action(syscall_rec.as_ref().expect("a syscall has its record")),
                Action::Word,
            ),
        ),
        (None, None) => Class {
            action: main.as_ref().map_or(Action::Word("unknown"), type_action),
            kind: "event",
            category: Words::default(),
            types: Words::default(),
        },
    };
    let outcome = syscall
        .as_ref()
        .and_then(syscall_outcome)
        .or_else(|| main.as_ref().and_then(result_of));
    // The process fields of a record without a SYSCALL: pid, uid, auid,
    // ses, comm, exe, as a SYSCALL record has them; exe and comm may be
    // inside msg='...' (user-space records).
    let subject = syscall.or_else(|| {
        let r = main.as_ref()?;
        let mut s = Syscall::from_record(r);
        for f in r.fields() {
            if let Some(nested) = f.nested() {
                for n in nested {
                    match n.key() {
                        b"exe" if s.exe.is_none() => s.exe = n.bytes(),
                        b"comm" if s.comm.is_none() => s.comm = n.bytes(),
                        _ => {}
                    }
                }
            }
        }
        // only the fields a SYSCALL record and this one share
        s.arch = None;
        s.syscall = None;
        s.success = None;
        s.exit = None;
        s.args = [None; 4];
        s.items = None;
        Some(s)
    });
    let enriched = main
        .filter(|r| r.enrichment().is_some())
        .or_else(|| records.iter().find(|r| r.enrichment().is_some()));
    (subject, class, outcome, enriched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rule_is_lossless() {
        for (raw, text) in [
            (&b"ls"[..], "ls"),
            (b"a\\b", r"a\\b"),
            (b"\\x41", r"\\x41"),
            (b"\"q\"", "\"q\""),
            (b"\x00\x1d\x7f\n", r"\x00\x1d\x7f\x0a"),
            (b"\xff\xfe", r"\xff\xfe"),
            ("ü€".as_bytes(), "ü€"),
            (b"\xc2\x85", r"\xc2\x85"),
            (b"\x85", r"\x85"),
            (b"\xc3", r"\xc3"),
        ] {
            assert_eq!(Text(raw).to_string(), text);
            assert_eq!(text_to_bytes(text).as_deref(), Some(raw));
        }
        assert_eq!(text_to_bytes(r"\n"), None);
        assert_eq!(text_to_bytes(r"\x4"), None);
        assert_eq!(text_to_bytes(r"\xzz"), None);
        assert_eq!(text_to_bytes("\\"), None);
        // every 1- and 2-byte string round-trips
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let raw = [a, b];
                assert_eq!(text_to_bytes(&Text(&raw).to_string()).unwrap(), raw);
            }
        }
    }

    #[test]
    fn numbers() {
        for (n, want) in [
            (Num::Dec(0), "0"),
            (Num::Dec(u64::MAX), "18446744073709551615"),
            (Num::Signed(-115), "-115"),
            (Num::Signed(i64::MIN), "-9223372036854775808"),
            (Num::Hex(0x55b57c2516d0), "55b57c2516d0"),
            (Num::Oct(0o100755), "0100755"),
            (Num::Oct(0), "0"),
        ] {
            assert_eq!(n.text().as_bytes(), want.as_bytes());
        }
    }

    #[test]
    fn iso_time() {
        for (sec, msec, want) in [
            (0, 0, "1970-01-01T00:00:00.000Z"),
            (1795839101, 190, "2026-11-28T04:11:41.190Z"),
            (951782400, 7, "2000-02-29T00:00:00.007Z"),
            (4102444799, 999, "2099-12-31T23:59:59.999Z"),
            (253402300800, 0, "10000-01-01T00:00:00.000Z"),
        ] {
            assert_eq!(IsoTime::new(Timestamp { sec, msec }).to_string(), want);
        }
        // every u64 has a date, without overflow
        let max = IsoTime::new(Timestamp {
            sec: u64::MAX,
            msec: 999,
        })
        .to_string();
        assert_eq!(max, "584554051223-11-09T07:00:15.999Z");
    }

    #[test]
    fn names_skip_unset_and_unknown() {
        let r = Record::parse_line(
            b"type=SYSCALL msg=audit(1.000:1): uid=0\x1dAUID=\"unset\" UID=\"root\" EUID=\"unknown(1234)\" GID=\"wheel\"\n",
        )
        .unwrap();
        let n = Context::default().names_from([r]).names;
        assert_eq!(n.uid, Some(&b"root"[..]));
        assert_eq!(n.gid, Some(&b"wheel"[..]));
        assert_eq!(n.auid, None);
        assert_eq!(n.euid, None);
    }
}
