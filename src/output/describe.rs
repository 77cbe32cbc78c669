//! How each event and record describes itself: the one place that says which
//! keys an output has, in which order, with which values.

use std::collections::HashMap;
use std::fmt;

use super::{ByteList, Describe, Items, Key, MapList, Node};
use crate::decode::SockAddr;
use crate::event::{Event, EventBuf, EventKind, ExecEvent, PathRecord, SocketEvent, Syscall};
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

type Entry<'e> = &'e mut dyn FnMut(Key<'_>, Node<'_>);

fn header(e: Entry<'_>, node: Option<&[u8]>, id: crate::EventId) {
    e(Key::Name("node"), opt_bytes(node));
    e(Key::Name("time"), Node::Time(id.time));
    e(Key::Name("serial"), Node::U64(u64::from(id.serial)));
}

impl Describe for Event<'_> {
    fn describe(&self, e: Entry<'_>) {
        e(Key::Name("kind"), Node::Str(self.kind.name()));
        header(e, self.node.as_deref(), self.id);
        if self.flags.incomplete {
            e(Key::Name("incomplete"), Node::Bool(true));
        }
        if self.flags.late {
            e(Key::Name("late"), Node::Bool(true));
        }
        match &self.kind {
            EventKind::Exec(x) => x.describe(e),
            EventKind::Socket(s) => s.describe(e),
            EventKind::Other(records) => {
                let list = RecordList(records);
                e(Key::Name("records"), Node::Seq(&list));
            }
            EventKind::Lost(l) => {
                e(Key::Name("source"), Node::Str(l.source.name()));
                e(Key::Name("count"), Node::U64(l.count));
            }
        }
    }
}

impl Describe for EventBuf {
    /// As its [`Event`] (built once here).
    fn describe(&self, e: Entry<'_>) {
        self.event().describe(e)
    }
}

struct RecordList<'r, 'a>(&'r crate::event::Records<'a>);

impl Items for RecordList<'_, '_> {
    fn items(&self, item: &mut dyn FnMut(Node<'_>)) {
        for r in self.0.iter() {
            item(Node::Map(&r));
        }
    }
}

impl Describe for Syscall<'_> {
    /// The SYSCALL fields, as exec and socket events begin.
    fn describe(&self, e: Entry<'_>) {
        match self.arch {
            Some(a) => match a.name() {
                Some(n) => e(Key::Name("arch"), Node::Str(n)),
                None => e(Key::Name("arch"), Node::Display(&Hex32(a.0))),
            },
            None => e(Key::Name("arch"), Node::Null),
        }
        match (self.name(), self.syscall) {
            (Some(n), _) => e(Key::Name("syscall"), Node::Str(n)),
            (None, n) => e(Key::Name("syscall"), opt_u32(n)),
        }
        e(
            Key::Name("success"),
            self.success.map_or(Node::Null, Node::Bool),
        );
        e(Key::Name("exit"), self.exit.map_or(Node::Null, Node::I64));
        e(
            Key::Name("errno"),
            self.errno().map_or(Node::Null, Node::Str),
        );
        for (k, v) in [
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
            e(Key::Name(k), opt_u32(v));
        }
        e(Key::Name("tty"), opt_bytes(self.tty.as_deref()));
        e(Key::Name("comm"), opt_bytes(self.comm.as_deref()));
        e(Key::Name("exe"), opt_bytes(self.exe.as_deref()));
        e(Key::Name("key"), Node::Seq(&ByteList(&self.keys)));
    }
}

impl Describe for ExecEvent<'_> {
    fn describe(&self, e: Entry<'_>) {
        self.syscall.describe(e);
        e(Key::Name("argc"), opt_u32(self.argc));
        e(Key::Name("argv"), Node::Seq(&ByteList(&self.argv)));
        if !self.argv_complete {
            e(Key::Name("argv_complete"), Node::Bool(false));
        }
        e(Key::Name("cwd"), opt_bytes(self.cwd.as_deref()));
        e(
            Key::Name("proctitle"),
            Node::Seq(&ByteList(&self.proctitle)),
        );
        e(Key::Name("paths"), Node::Seq(&MapList(&self.paths)));
    }
}

impl Describe for PathRecord<'_> {
    fn describe(&self, e: Entry<'_>) {
        e(Key::Name("item"), opt_u32(self.item));
        e(Key::Name("name"), opt_bytes(self.name.as_deref()));
        e(Key::Name("inode"), self.inode.map_or(Node::Null, Node::U64));
        e(Key::Name("dev"), opt_bytes(self.dev.as_deref()));
        match self.mode {
            Some(m) => e(Key::Name("mode"), Node::Display(&Octal(m))),
            None => e(Key::Name("mode"), Node::Null),
        }
        e(Key::Name("ouid"), opt_u32(self.ouid));
        e(Key::Name("ogid"), opt_u32(self.ogid));
        e(Key::Name("nametype"), opt_bytes(self.nametype.as_deref()));
    }
}

impl Describe for SocketEvent<'_> {
    fn describe(&self, e: Entry<'_>) {
        self.syscall.describe(e);
        e(Key::Name("op"), Node::Str(self.op.name()));
        let addr = self.sockaddr();
        match addr {
            Some(a) => match a.family_name() {
                Some(n) => e(Key::Name("family"), Node::Str(n)),
                None => e(Key::Name("family"), Node::U64(u64::from(a.family()))),
            },
            None => e(Key::Name("family"), Node::Null),
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
        e(Key::Name("addr"), a);
        e(Key::Name("port"), port);
        e(Key::Name("path"), opt_bytes(path.as_deref()));
        if let Some(Err(err)) = &self.addr {
            e(Key::Name("addr_error"), Node::Display(err));
        }
    }
}

impl Describe for Record<'_> {
    /// `type`, `node`, `time`, `serial`, `fields` (and `enriched` for ENRICHED
    /// lines), as `audit2json --records` writes it.
    fn describe(&self, e: Entry<'_>) {
        let t = self.record_type();
        match (self.unrecognized_type(), t.name()) {
            (Some(written), _) => e(Key::Name("type"), Node::Bytes(written)),
            (None, Some(n)) => e(Key::Name("type"), Node::Str(n)),
            (None, None) => e(Key::Name("type"), Node::Display(&t)),
        }
        header(e, self.node(), self.id());
        e(
            Key::Name("fields"),
            Node::Map(&RecordFields::new(self.fields())),
        );
        if self.enrichment().is_some() {
            e(
                Key::Name("enriched"),
                Node::Map(&RecordFields::new(self.enriched_fields())),
            );
        }
    }
}

impl Describe for RecordBuf {
    fn describe(&self, e: Entry<'_>) {
        self.as_record().describe(e)
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
    fn describe(&self, e: Entry<'_>) {
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
                Value::Null | Value::Unknown | Value::Unset => e(key, Node::Null),
                Value::Bytes(b) if name == b"key" => e(key, Node::Seq(&KeyList(Keys::of(Some(b))))),
                Value::Bytes(b) => e(key, Node::Bytes(&b)),
                Value::Nested(n) if self.depth < MAX_NESTING => {
                    let nested = RecordFields {
                        fields: n,
                        depth: self.depth + 1,
                    };
                    e(key, Node::Map(&nested))
                }
                // Too deep: the raw text, not another level.
                Value::Nested(_) => e(key, Node::Bytes(f.raw())),
            }
        }
        if tokens {
            e(Key::Tokens, Node::Seq(&Tokens(self.fields.clone())));
        }
    }
}

/// The keys of a `key` field.
struct KeyList<'a>(Keys<'a>);

impl Items for KeyList<'_> {
    fn items(&self, item: &mut dyn FnMut(Node<'_>)) {
        for k in self.0.clone() {
            item(Node::Bytes(&k));
        }
    }
}

/// The tokens without a key, in order.
struct Tokens<'a>(Fields<'a>);

impl Items for Tokens<'_> {
    fn items(&self, item: &mut dyn FnMut(Node<'_>)) {
        for f in self.0.clone().filter(|f| f.key().is_empty()) {
            item(Node::Bytes(f.raw()));
        }
    }
}
