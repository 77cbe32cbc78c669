//! The one description of events and records that every output format walks.
//!
//! An event, a record, a path, a list of arguments: each says once what it
//! holds, as ordered `key: value` entries ([`Describe`]) whose values are
//! [`Node`]s (numbers, text, byte strings, lists, nested maps). The formats
//! walk that description and never look at the events themselves:
//!
//! - [`json`]: the native JSON lines of `audit2json` and `audit-tail`;
//! - `serde` (feature `serde`): `Serialize` for `Event`, `EventBuf`,
//!   `ExecEvent`, `SocketEvent`, `PathRecord`, `Record` and `RecordBuf`,
//!   equal to the native JSON by construction;
//! - [`WithContext`]: an event with its process context
//!   ([`crate::context`]) after its own keys;
//! - [`schema`]: the events in the Elastic Common Schema and in OCSF, as
//!   descriptions of their own ([`schema::Ecs`], [`schema::Ocsf`]) that the
//!   two writers above write (with byte strings always as text, by
//!   [`schema::Text`]'s rule).
//!
//! # Shape
//!
//! **Events** (`kind` = `exec`, `socket`, `other`, `lost`) carry `node`
//! (string or null), `time` (the header's `"SEC.MSEC"`) and `serial`; exec and
//! socket events the SYSCALL fields (`arch`, `syscall`, `success`, `exit`,
//! `errno`, `pid`, `ppid`, the ids, `auid` and `ses` null when unset, `tty`,
//! `comm`, `exe`, `key` as an array); exec adds `argc`, `argv`, `cwd`,
//! `proctitle` (an array of its NUL-separated items), `paths`; socket adds
//! `op`, `family` (`unix`, `inet`, `inet6`, `netlink` or the number), `addr`,
//! `port` and `path` (an abstract unix name is `@` and the name, as `ss` shows
//! it); other adds `records`; lost adds `source` and `count`. `incomplete`,
//! `late`, `timed_out` and `argv_complete` appear only when they say
//! something is missing.
//!
//! **Context** ([`WithContext`], an event with a process): after the event's
//! keys, `parent` (`{"pid","exe","comm","argv","exec"}`, `exec` the
//! `{"time","serial"}` of the exec event that started the parent's program
//! or null; `"argv_complete": false` when argv was cut; or null), `ancestry`
//! (the executables of the parent, its parent, ...), `names` (id field to
//! user or group name, only the ids that resolved), `container`
//! (`{"id","runtime"}` or null), `unit` (string or null) and `labels`; and,
//! when the tracker has the option on, `env` (variable to value, those set),
//! `exe_sha256` (lowercase hex or null) and `script` (or null).
//!
//! **Records** carry `type`, `node`, `time`, `serial` and `fields`: an object
//! of decoded values (`(null)`, `?` and unset ids are null, `msg='...'` a
//! nested object, `key` an array). ENRICHED lines add `enriched`, the
//! interpreted fields. `type` is the name a log line writes (`SYSCALL`,
//! `UNKNOWN[1999]`), or the name as written for one this crate does not know.
//!
//! # Byte strings
//!
//! Audit strings are bytes. A byte string that is valid UTF-8 is a string;
//! any other is an object `{"hex":"<lowercase hex of the exact bytes>"}`, so
//! the output is lossless and a reader tells the two apart by type. (The JSON
//! writer can write every byte string as plain hex instead:
//! [`json::JsonOptions::hex_bytes`].)
//!
//! # Keys of `fields` objects
//!
//! Field keys come from the input, which a hostile process partly controls.
//! They are written losslessly and never collide:
//!
//! - every byte of a key that is not printable ASCII (`0x21..=0x7e`), and the
//!   bytes `%`, `@`, `"` and `\`, is written as `%XX` (two upper-case hex
//!   digits), so a key that is not UTF-8, or one holding a `%`, reads back to
//!   its exact bytes;
//! - a key seen again in the same object is written with `@2`, `@3`, ... after
//!   it (`a`, `a@2`): a literal `a@2` in the input is written `a%402`;
//! - tokens without a key (`avc:  denied  { read }`) go, in order, to an
//!   array under `@tokens`, a key no field can produce.
//!
//! Real keys (`pid`, `a1[0]`, `old-auid`, `SADDR`) need no escape and are
//! written as they are.
//!
//! # Limits
//!
//! A `msg='...'` nested in a `msg='...'` is described as a nested object down
//! to [`MAX_NESTING`] levels; deeper values are byte strings of their raw text.
//! Every format walks the description recursively, so the depth of the output
//! (at most `MAX_NESTING + 4`) bounds the stack every format uses, and stays
//! far below the 128 levels that serde_json's and Python's parsers accept.

mod describe;
pub mod json;
pub mod schema;
#[cfg(feature = "serde")]
mod serde;

pub use describe::{ContextPart, RecordFields, MAX_NESTING};

/// An event followed by its process context (see the module documentation);
/// without a context, the event alone.
#[derive(Debug, Clone, Copy)]
pub struct WithContext<'a> {
    /// The event.
    pub event: &'a Event<'a>,
    /// Its context.
    pub context: Option<&'a EventContext<'a>>,
}

impl<'a> WithContext<'a> {
    /// `event` with `context`.
    pub fn new(event: &'a Event<'a>, context: Option<&'a EventContext<'a>>) -> Self {
        WithContext { event, context }
    }
}

use std::borrow::Cow;
use std::fmt;

use crate::context::EventContext;
use crate::event::{Event, ExecEvent, PathRecord, Records, SocketEvent};
use crate::record::{Fields, Keys, Record, Timestamp};

/// One value of the description.
#[derive(Clone, Copy)]
pub enum Node<'a> {
    /// Absent or unknown.
    Null,
    /// A flag.
    Bool(bool),
    /// An unsigned number.
    U64(u64),
    /// A signed number.
    I64(i64),
    /// A name from the crate's own vocabulary (a syscall, arch, errno or
    /// family name, an event kind): printable ASCII without `"` or `\\`, so
    /// formats write it as it is.
    Str(&'static str),
    /// Text the crate renders on demand (an IP address, an octal mode, an
    /// arch number as hex): UTF-8.
    Display(&'a dyn fmt::Display),
    /// A timestamp, written as the header's `"SEC.MSEC"`.
    Time(Timestamp),
    /// An audit byte string (see the module documentation).
    Bytes(&'a [u8]),
    /// An audit byte string that the schema views write as a string by the
    /// [`schema::Text`] rule (lossless, never an object).
    Text(&'a [u8]),
    /// A list.
    Seq(Seq<'a>),
    /// A nested object.
    Map(Map<'a>),
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Null => f.write_str("Null"),
            Node::Bool(b) => write!(f, "Bool({b})"),
            Node::U64(n) => write!(f, "U64({n})"),
            Node::I64(n) => write!(f, "I64({n})"),
            Node::Str(s) => write!(f, "Str({s:?})"),
            Node::Display(d) => write!(f, "Display({:?})", d.to_string()),
            Node::Time(t) => write!(f, "Time({t})"),
            Node::Bytes(b) => write!(f, "Bytes({:?})", crate::BStr(b)),
            Node::Text(b) => write!(f, "Text({:?})", schema::Text(b)),
            Node::Seq(_) => f.write_str("Seq(..)"),
            Node::Map(_) => f.write_str("Map(..)"),
        }
    }
}

/// What walks a description: receives each `key: value` entry of an object,
/// in order. The formats ([`json`], serde, the schema views) are visitors.
pub trait Visitor {
    /// One entry.
    fn entry(&mut self, key: Key<'_>, value: Node<'_>);
}

/// Something described as an object: ordered `key: value` entries.
pub trait Describe {
    /// Hands each entry, in order, to `v`.
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V);
}

/// A nested object of the description: one of the crate's own types.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Map<'a> {
    /// An event with its header.
    Event(&'a Event<'a>),
    /// A record.
    Record(&'a Record<'a>),
    /// The fields of a record body or of a nested `msg='...'`.
    Fields(&'a RecordFields<'a>),
    /// A PATH record of an exec or socket event.
    Path(&'a PathRecord<'a>),
    /// An exec event without its header.
    Exec(&'a ExecEvent<'a>),
    /// A socket event without its header.
    Socket(&'a SocketEvent<'a>),
    /// An object of the ECS view.
    Ecs(schema::EcsPart<'a>),
    /// An object of the OCSF view.
    Ocsf(schema::OcsfPart<'a>),
    /// An object of an event's process context.
    Context(ContextPart<'a>),
    /// Another map with every byte string written as text ([`schema::Text`]),
    /// in nested maps and lists too.
    Text(&'a Map<'a>),
}

impl Describe for Map<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        match *self {
            Map::Event(x) => x.describe(v),
            Map::Record(x) => x.describe(v),
            Map::Fields(x) => x.describe(v),
            Map::Path(x) => x.describe(v),
            Map::Exec(x) => x.describe(v),
            Map::Socket(x) => x.describe(v),
            Map::Ecs(x) => x.describe(v),
            Map::Ocsf(x) => x.describe(v),
            Map::Context(x) => x.describe(v),
            // (through `dyn`: one visitor type however deep the nesting)
            Map::Text(x) => x.describe(&mut AsText(&mut Forward(v))),
        }
    }
}

/// Forwards entries to a visitor that may be unsized.
struct Forward<'v, V: ?Sized>(&'v mut V);

impl<V: Visitor + ?Sized> Visitor for Forward<'_, V> {
    #[inline]
    fn entry(&mut self, key: Key<'_>, value: Node<'_>) {
        self.0.entry(key, value);
    }
}

/// Forwards entries with byte strings turned into text.
struct AsText<'v>(&'v mut dyn Visitor);

impl Visitor for AsText<'_> {
    #[inline]
    fn entry(&mut self, key: Key<'_>, value: Node<'_>) {
        as_text(value, |n| self.0.entry(key, n));
    }
}

/// `node` with its byte strings as text, handed to `f`.
#[inline]
fn as_text(node: Node<'_>, f: impl FnOnce(Node<'_>)) {
    match node {
        Node::Bytes(b) => f(Node::Text(b)),
        Node::Seq(s) => f(Node::Seq(Seq::Text(&s))),
        Node::Map(m) => f(Node::Map(Map::Text(&m))),
        other => f(other),
    }
}

/// A list of the description.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Seq<'a> {
    /// Byte strings (argv, proctitle, keys).
    Bytes(&'a [Cow<'a, [u8]>]),
    /// PATH records.
    Paths(&'a [PathRecord<'a>]),
    /// The records of an event.
    Records(&'a Records<'a>),
    /// The keys of a `key` field.
    Keys(&'a Keys<'a>),
    /// The tokens without a key of a record body.
    Tokens(&'a Fields<'a>),
    /// Words of the crate's vocabulary (ECS categories and types).
    Words(&'a [&'static str]),
    /// Byte strings (ancestry).
    Slices(&'a [&'a [u8]]),
    /// Text (labels), written as byte strings.
    Strs(&'a [&'a str]),
    /// A list of the ECS view.
    Ecs(schema::EcsSeq<'a>),
    /// Another list with every byte string written as text
    /// ([`schema::Text`]), in nested maps and lists too.
    Text(&'a Seq<'a>),
}

impl Seq<'_> {
    /// Hands each item, in order, to `item`.
    #[inline]
    pub fn items(&self, mut item: impl FnMut(Node<'_>)) {
        match *self {
            Seq::Bytes(list) => list.iter().for_each(|b| item(Node::Bytes(b))),
            Seq::Paths(list) => list.iter().for_each(|p| item(Node::Map(Map::Path(p)))),
            Seq::Records(list) => list.iter().for_each(|r| item(Node::Map(Map::Record(&r)))),
            Seq::Keys(keys) => keys.clone().for_each(|k| item(Node::Bytes(&k))),
            Seq::Tokens(fields) => fields
                .clone()
                .filter(|f| f.key().is_empty())
                .for_each(|f| item(Node::Bytes(f.raw()))),
            Seq::Words(words) => words.iter().for_each(|w| item(Node::Str(w))),
            Seq::Slices(list) => list.iter().for_each(|b| item(Node::Bytes(b))),
            Seq::Strs(list) => list.iter().for_each(|s| item(Node::Bytes(s.as_bytes()))),
            Seq::Ecs(list) => list.items(item),
            // (the common case without the `dyn` of the general one)
            Seq::Text(&Seq::Bytes(list)) => list.iter().for_each(|b| item(Node::Text(b))),
            Seq::Text(inner) => inner.items_as_text(&mut item),
        }
    }

    /// The items with byte strings as text (through `dyn`: one closure type
    /// however deep the nesting).
    fn items_as_text(&self, item: &mut dyn FnMut(Node<'_>)) {
        self.items(|n| as_text(n, &mut *item));
    }
}

/// The key of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// A key of the crate's own vocabulary (`pid`, `argv`): ASCII, written
    /// as it is.
    Name(&'static str),
    /// A field key from the input and how many times it has been seen in its
    /// object (1 the first time): written by the rules in the module
    /// documentation.
    Field {
        /// The key's bytes.
        name: &'a [u8],
        /// 1 for the first field with this key, 2 for the next (`key@2`), ...
        nth: u32,
    },
    /// The list of tokens without a key (`@tokens`).
    Tokens,
}

/// Whether a key byte is written as `%XX`.
#[inline]
pub(crate) fn key_byte_escaped(b: u8) -> bool {
    !(0x21..=0x7e).contains(&b) || matches!(b, b'%' | b'@' | b'"' | b'\\')
}

impl Key<'_> {
    /// The key as written, when it needs no escape and no `@n` (the common
    /// case): no formatting needed.
    #[inline]
    pub fn as_plain_str(&self) -> Option<&str> {
        match *self {
            Key::Name(n) => Some(n),
            Key::Tokens => Some("@tokens"),
            Key::Field { name, nth: 1 } if !name.iter().any(|&b| key_byte_escaped(b)) => {
                // only printable ASCII here
                std::str::from_utf8(name).ok()
            }
            Key::Field { .. } => None,
        }
    }
}

impl fmt::Display for Key<'_> {
    /// The key as every format writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.as_plain_str() {
            return f.write_str(s);
        }
        let Key::Field { name, nth } = *self else {
            unreachable!("names and @tokens are plain")
        };
        let mut start = 0;
        for (i, &b) in name.iter().enumerate() {
            if key_byte_escaped(b) {
                // the bytes before are printable ASCII
                f.write_str(std::str::from_utf8(&name[start..i]).unwrap_or_default())?;
                write!(f, "%{b:02X}")?;
                start = i + 1;
            }
        }
        f.write_str(std::str::from_utf8(&name[start..]).unwrap_or_default())?;
        if nth > 1 {
            write!(f, "@{nth}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &[u8], nth: u32) -> String {
        Key::Field { name, nth }.to_string()
    }

    #[test]
    fn keys_are_lossless_and_never_collide() {
        assert_eq!(key(b"pid", 1), "pid");
        assert_eq!(key(b"a1[0]", 1), "a1[0]");
        assert_eq!(key(b"old-auid", 1), "old-auid");
        assert_eq!(key(b"a", 2), "a@2");
        assert_eq!(key(b"a@2", 1), "a%402");
        assert_eq!(key(b"a%402", 1), "a%25402");
        assert_eq!(key(b"\xff", 1), "%FF");
        assert_eq!(key("ü".as_bytes(), 1), "%C3%BC");
        assert_eq!(key(b"a\"b\\c d\x01", 3), "a%22b%5Cc%20d%01@3");
        assert_eq!(Key::Tokens.to_string(), "@tokens");
        assert_eq!(Key::Name("argv").to_string(), "argv");
        assert_eq!(Key::Field { name: b"x", nth: 1 }.as_plain_str(), Some("x"));
        assert_eq!(Key::Field { name: b"x", nth: 2 }.as_plain_str(), None);
    }
}
