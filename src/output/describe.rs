//! How each event and record describes itself: the one place that says which
//! keys an output has, in which order, with which values.

use std::collections::HashMap;
use std::fmt;

use super::{Describe, Key, Map, Node, Seq, Visitor, WithContext};
use crate::context::{ContainerRef, EventContext, IdNames, ProcessInfo};
use crate::decode::SockAddr;
use crate::event::{Event, EventBuf, EventKind, ExecEvent, PathRecord, SocketEvent, Syscall};
use crate::record::EventId;
use crate::record::{Fields, Keys, Record, RecordBuf, Value};

/// How many `msg='...'` levels inside each other are described as nested
/// objects; a value deeper than this is a byte string of its raw text.
pub const MAX_NESTING: usize = 8;

/// `{:x}` of an arch value the tables have no name for.
struct Hex32(u32);

impl fmt::Display for Hex32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

/// `{:o}` of a file mode.
struct Octal(u32);

impl fmt::Display for Octal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:o}", self.0)
    }
}

fn opt_u32(v: Option<u32>) -> Node<'static> {
    v.map_or(Node::Null, |n| Node::U64(u64::from(n)))
}

fn opt_bytes(v: Option<&[u8]>) -> Node<'_> {
    v.map_or(Node::Null, Node::Bytes)
}

fn header<V: Visitor + ?Sized>(v: &mut V, node: Option<&[u8]>, id: crate::EventId) {
    v.entry(Key::Name("node"), opt_bytes(node));
    v.entry(Key::Name("time"), Node::Time(id.time));
    v.entry(Key::Name("serial"), Node::U64(u64::from(id.serial)));
}

impl Describe for Event<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        v.entry(Key::Name("kind"), Node::Str(self.kind.name()));
        header(v, self.node.as_deref(), self.id);
        if self.flags.incomplete {
            v.entry(Key::Name("incomplete"), Node::Bool(true));
        }
        if self.flags.late {
            v.entry(Key::Name("late"), Node::Bool(true));
        }
        if self.flags.timed_out {
            v.entry(Key::Name("timed_out"), Node::Bool(true));
        }
        match &self.kind {
            EventKind::Exec(x) => x.describe(v),
            EventKind::Socket(s) => s.describe(v),
            EventKind::Other(records) => {
                v.entry(Key::Name("records"), Node::Seq(Seq::Records(records)));
            }
            EventKind::Lost(l) => {
                v.entry(Key::Name("source"), Node::Str(l.source.name()));
                v.entry(Key::Name("count"), Node::U64(l.count));
            }
        }
    }
}

impl Describe for EventBuf {
    /// As its [`Event`] (built once here).
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        self.event().describe(v)
    }
}

impl Describe for Syscall<'_> {
    /// The SYSCALL fields, as exec and socket events begin.
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        match self.arch {
            Some(a) => match a.name() {
                Some(n) => v.entry(Key::Name("arch"), Node::Str(n)),
                None => v.entry(Key::Name("arch"), Node::Display(&Hex32(a.0))),
            },
            None => v.entry(Key::Name("arch"), Node::Null),
        }
        match (self.name(), self.syscall) {
            (Some(n), _) => v.entry(Key::Name("syscall"), Node::Str(n)),
            (None, n) => v.entry(Key::Name("syscall"), opt_u32(n)),
        }
        v.entry(
            Key::Name("success"),
            self.success.map_or(Node::Null, Node::Bool),
        );
        v.entry(Key::Name("exit"), self.exit.map_or(Node::Null, Node::I64));
        v.entry(
            Key::Name("errno"),
            self.errno().map_or(Node::Null, Node::Str),
        );
        for (k, id) in [
            ("pid", self.pid),
            ("ppid", self.ppid),
            ("uid", self.uid),
            ("gid", self.gid),
            ("euid", self.euid),
            ("egid", self.egid),
            ("suid", self.suid),
            ("sgid", self.sgid),
            ("fsuid", self.fsuid),
            ("fsgid", self.fsgid),
            ("auid", self.auid),
            ("ses", self.ses),
        ] {
            v.entry(Key::Name(k), opt_u32(id));
        }
        v.entry(Key::Name("tty"), opt_bytes(self.tty.as_deref()));
        v.entry(Key::Name("comm"), opt_bytes(self.comm.as_deref()));
        v.entry(Key::Name("exe"), opt_bytes(self.exe.as_deref()));
        v.entry(Key::Name("key"), Node::Seq(Seq::Bytes(&self.keys)));
    }
}

impl Describe for ExecEvent<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        self.syscall.describe(v);
        v.entry(Key::Name("argc"), opt_u32(self.argc));
        v.entry(Key::Name("argv"), Node::Seq(Seq::Bytes(&self.argv)));
        if !self.argv_complete {
            v.entry(Key::Name("argv_complete"), Node::Bool(false));
        }
        v.entry(Key::Name("cwd"), opt_bytes(self.cwd.as_deref()));
        v.entry(
            Key::Name("proctitle"),
            Node::Seq(Seq::Bytes(&self.proctitle)),
        );
        v.entry(Key::Name("paths"), Node::Seq(Seq::Paths(&self.paths)));
    }
}

impl Describe for PathRecord<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        v.entry(Key::Name("item"), opt_u32(self.item));
        v.entry(Key::Name("name"), opt_bytes(self.name.as_deref()));
        v.entry(Key::Name("inode"), self.inode.map_or(Node::Null, Node::U64));
        v.entry(Key::Name("dev"), opt_bytes(self.dev.as_deref()));
        match self.mode {
            Some(m) => v.entry(Key::Name("mode"), Node::Display(&Octal(m))),
            None => v.entry(Key::Name("mode"), Node::Null),
        }
        v.entry(Key::Name("ouid"), opt_u32(self.ouid));
        v.entry(Key::Name("ogid"), opt_u32(self.ogid));
        v.entry(Key::Name("nametype"), opt_bytes(self.nametype.as_deref()));
    }
}

impl Describe for SocketEvent<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        self.syscall.describe(v);
        v.entry(Key::Name("op"), Node::Str(self.op.name()));
        let addr = self.sockaddr();
        match addr {
            Some(a) => match a.family_name() {
                Some(n) => v.entry(Key::Name("family"), Node::Str(n)),
                None => v.entry(Key::Name("family"), Node::U64(u64::from(a.family()))),
            },
            None => v.entry(Key::Name("family"), Node::Null),
        }
        // The address split for output: IP and port for inet and inet6, the
        // unix name (`@` and the name when abstract) as path, the netlink port
        // id as address.
        let (mut a, mut port, mut path) = (Node::Null, Node::Null, None);
        let (ip4, ip6, nl_pid);
        match addr {
            Some(SockAddr::Inet(s)) => {
                ip4 = *s.ip();
                a = Node::Display(&ip4);
                port = Node::U64(u64::from(s.port()));
            }
            Some(SockAddr::Inet6(s)) => {
                ip6 = *s.ip();
                a = Node::Display(&ip6);
                port = Node::U64(u64::from(s.port()));
            }
            Some(SockAddr::Unix(u)) if !u.is_unnamed() => path = Some(u.display_bytes()),
            Some(SockAddr::Netlink { pid, .. }) => {
                nl_pid = *pid;
                a = Node::Display(&nl_pid);
            }
            _ => {}
        }
        v.entry(Key::Name("addr"), a);
        v.entry(Key::Name("port"), port);
        v.entry(Key::Name("path"), opt_bytes(path.as_deref()));
        if let Some(Err(err)) = &self.addr {
            v.entry(Key::Name("addr_error"), Node::Display(err));
        }
    }
}

impl Describe for Record<'_> {
    /// `type`, `node`, `time`, `serial`, `fields` (and `enriched` for ENRICHED
    /// lines), as `audit2json --records` writes it.
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        let t = self.record_type();
        match (self.unrecognized_type(), t.name()) {
            (Some(written), _) => v.entry(Key::Name("type"), Node::Bytes(written)),
            (None, Some(n)) => v.entry(Key::Name("type"), Node::Str(n)),
            (None, None) => v.entry(Key::Name("type"), Node::Display(&t)),
        }
        header(v, self.node(), self.id());
        v.entry(
            Key::Name("fields"),
            Node::Map(Map::Fields(&RecordFields::new(self.fields()))),
        );
        if self.enrichment().is_some() {
            v.entry(
                Key::Name("enriched"),
                Node::Map(Map::Fields(&RecordFields::new(self.enriched_fields()))),
            );
        }
    }
}

impl Describe for RecordBuf {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        self.as_record().describe(v)
    }
}

/// The fields of a record body (or of a nested `msg='...'`) as an object of
/// decoded values; see the [module documentation](super) for its keys.
#[derive(Debug, Clone)]
pub struct RecordFields<'a> {
    fields: Fields<'a>,
    depth: usize,
}

impl<'a> RecordFields<'a> {
    /// The fields of a record body.
    pub fn new(fields: Fields<'a>) -> Self {
        RecordFields { fields, depth: 0 }
    }
}

/// Counts keys to number repeats (`key@2`): a linear scan while the object
/// is small, a hash map past [`SMALL`] distinct keys (so that an object of
/// many distinct keys costs linear time, not quadratic).
struct KeyCounts<'a> {
    small: [(&'a [u8], u32); SMALL],
    len: usize,
    large: Option<HashMap<&'a [u8], u32>>,
}

const SMALL: usize = 32;

impl<'a> KeyCounts<'a> {
    fn new() -> Self {
        KeyCounts {
            small: [(&[], 0); SMALL],
            len: 0,
            large: None,
        }
    }

    /// Notes one more `key`; how many times it has now been seen.
    fn note(&mut self, key: &'a [u8]) -> u32 {
        if let Some(map) = &mut self.large {
            let n = map.entry(key).or_insert(0);
            *n = n.saturating_add(1);
            return *n;
        }
        if let Some((_, n)) = self.small[..self.len].iter_mut().find(|(k, _)| *k == key) {
            *n = n.saturating_add(1);
            return *n;
        }
        if self.len < SMALL {
            self.small[self.len] = (key, 1);
            self.len += 1;
            return 1;
        }
        let mut map: HashMap<&'a [u8], u32> = self.small.iter().copied().collect();
        map.insert(key, 1);
        self.large = Some(map);
        1
    }
}

impl Describe for RecordFields<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        let mut counts = KeyCounts::new();
        let mut tokens = false;
        for f in self.fields.clone() {
            let name = f.key();
            if name.is_empty() {
                tokens = true;
                continue;
            }
            let key = Key::Field {
                name,
                nth: counts.note(name),
            };
            match f.value() {
                Value::Null | Value::Unknown | Value::Unset => v.entry(key, Node::Null),
                Value::Bytes(b) if name == b"key" => {
                    v.entry(key, Node::Seq(Seq::Keys(&Keys::of(Some(b)))))
                }
                Value::Bytes(b) => v.entry(key, Node::Bytes(&b)),
                Value::Nested(n) if self.depth < MAX_NESTING => {
                    let nested = RecordFields {
                        fields: n,
                        depth: self.depth + 1,
                    };
                    v.entry(key, Node::Map(Map::Fields(&nested)))
                }
                // Too deep: the raw text, not another level.
                Value::Nested(_) => v.entry(key, Node::Bytes(f.raw())),
            }
        }
        if tokens {
            v.entry(Key::Tokens, Node::Seq(Seq::Tokens(&self.fields)));
        }
    }
}

impl Describe for WithContext<'_> {
    /// The event's keys, then its context's.
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        self.event.describe(v);
        if let Some(c) = self.context {
            c.describe(v);
        }
    }
}

/// `{:02x}` of each byte (a SHA-256).
struct HexBytes<'a>(&'a [u8]);

impl fmt::Display for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Describe for EventContext<'_> {
    /// `parent`, `ancestry`, `names`, `container`, `unit`, `labels`, and
    /// the options' keys.
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        match &self.parent {
            Some(p) => v.entry(
                Key::Name("parent"),
                Node::Map(Map::Context(ContextPart(Part::Parent(p)))),
            ),
            None => v.entry(Key::Name("parent"), Node::Null),
        }
        v.entry(
            Key::Name("ancestry"),
            Node::Seq(Seq::Slices(&self.ancestry)),
        );
        v.entry(
            Key::Name("names"),
            Node::Map(Map::Context(ContextPart(Part::Names(&self.names)))),
        );
        match &self.container {
            Some(c) => v.entry(
                Key::Name("container"),
                Node::Map(Map::Context(ContextPart(Part::Container(c)))),
            ),
            None => v.entry(Key::Name("container"), Node::Null),
        }
        v.entry(Key::Name("unit"), opt_bytes(self.unit));
        v.entry(Key::Name("labels"), Node::Seq(Seq::Strs(&self.labels)));
        let opts = self.options;
        if opts.env {
            v.entry(
                Key::Name("env"),
                Node::Map(Map::Context(ContextPart(Part::Env(&self.env)))),
            );
        }
        if opts.hash {
            match &self.exe_sha256 {
                Some(h) => v.entry(Key::Name("exe_sha256"), Node::Display(&HexBytes(h))),
                None => v.entry(Key::Name("exe_sha256"), Node::Null),
            }
        }
        if opts.script {
            v.entry(Key::Name("script"), opt_bytes(self.script));
        }
    }
}

/// An object of an event's process context (a [`Map`] variant; opaque).
#[derive(Clone, Copy)]
pub struct ContextPart<'a>(Part<'a>);

#[derive(Clone, Copy)]
enum Part<'a> {
    Parent(&'a ProcessInfo<'a>),
    Exec(EventId),
    Names(&'a IdNames<'a>),
    Container(&'a ContainerRef<'a>),
    Env(&'a [(&'a [u8], &'a [u8])]),
}

impl Describe for ContextPart<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        match self.0 {
            Part::Parent(p) => {
                v.entry(Key::Name("pid"), Node::U64(u64::from(p.pid)));
                v.entry(Key::Name("exe"), opt_bytes(p.exe));
                v.entry(Key::Name("comm"), opt_bytes(p.comm));
                v.entry(Key::Name("argv"), Node::Seq(Seq::Bytes(p.argv)));
                if !p.argv_complete {
                    v.entry(Key::Name("argv_complete"), Node::Bool(false));
                }
                match p.exec {
                    Some(id) => v.entry(
                        Key::Name("exec"),
                        Node::Map(Map::Context(ContextPart(Part::Exec(id)))),
                    ),
                    None => v.entry(Key::Name("exec"), Node::Null),
                }
            }
            Part::Exec(id) => {
                v.entry(Key::Name("time"), Node::Time(id.time));
                v.entry(Key::Name("serial"), Node::U64(u64::from(id.serial)));
            }
            Part::Names(n) => {
                for (field, name) in n.iter() {
                    v.entry(Key::Name(field), Node::Bytes(name));
                }
            }
            Part::Container(c) => {
                v.entry(Key::Name("id"), Node::Bytes(c.id));
                v.entry(Key::Name("runtime"), Node::Str(c.runtime.name()));
            }
            Part::Env(env) => {
                // names are the configured ones: unique unless configured
                // twice, numbered like repeated record keys then
                let mut counts = KeyCounts::new();
                for (name, value) in env {
                    let nth = counts.note(name);
                    v.entry(Key::Field { name, nth }, Node::Bytes(value));
                }
            }
        }
    }
}
