//! The Elastic Common Schema view: the shape Auditbeat's auditd module writes.

use super::{joined, Context, Facts, IsoTime, Num, Outcome, UnixName, ECS_VERSION};
use crate::decode::SockAddr;
use crate::event::{EventKind, PathRecord, SocketEvent, SocketOp};
use crate::output::{Describe, Key, Map, Node, Seq, Visitor};

/// An event in the Elastic Common Schema (ECS 8.17.0), as Auditbeat's auditd
/// module shapes it; see the [module documentation](super) for the mapping.
/// A [`Describe`]: write it with [`json::write`](crate::output::json::write)
/// or serialize it with serde (feature `serde`).
pub struct Ecs<'a> {
    f: Facts<'a>,
}

impl<'a> Ecs<'a> {
    /// The ECS view of `event`, with what `ctx` knows beyond it.
    pub fn new(event: &'a crate::event::Event<'a>, ctx: Context<'a>) -> Self {
        Ecs {
            f: Facts::new(event, ctx),
        }
    }

    fn obj(&self, o: Obj) -> Node<'_> {
        Node::Map(Map::Ecs(EcsPart(Part::Obj(self, o))))
    }

    fn socket(&self) -> Option<&SocketEvent<'a>> {
        match &self.f.event.kind {
            EventKind::Socket(s) => Some(s),
            _ => None,
        }
    }

    /// The endpoint a socket event names, and whether it is the source.
    fn endpoint(&self) -> Option<(&SockAddr, bool)> {
        let s = self.socket()?;
        let a = s.sockaddr()?;
        let named = match a {
            SockAddr::Inet(_) | SockAddr::Inet6(_) => true,
            SockAddr::Unix(u) => !u.is_unnamed(),
            _ => false,
        };
        named.then_some((a, s.op != SocketOp::Connect))
    }
}

/// An object of the [`Ecs`] view (a [`Map`] variant; opaque).
#[derive(Clone, Copy)]
pub struct EcsPart<'a>(Part<'a>);

#[derive(Clone, Copy)]
enum Part<'a> {
    Obj(&'a Ecs<'a>, Obj),
    Path(&'a PathRecord<'a>),
}

/// A list of the [`Ecs`] view (a [`Seq`] variant; opaque).
#[derive(Clone, Copy)]
pub struct EcsSeq<'a>(List<'a>);

#[derive(Clone, Copy)]
enum List<'a> {
    Paths(&'a [PathRecord<'a>]),
    /// `tags`: the rule keys, then the labels.
    Tags(&'a [std::borrow::Cow<'a, [u8]>], &'a [&'a str]),
}

impl EcsSeq<'_> {
    pub(crate) fn items(&self, mut item: impl FnMut(Node<'_>)) {
        match self.0 {
            List::Paths(paths) => {
                for p in paths {
                    item(Node::Map(Map::Ecs(EcsPart(Part::Path(p)))));
                }
            }
            List::Tags(keys, labels) => {
                for k in keys {
                    item(Node::Text(k));
                }
                for l in labels {
                    item(Node::Text(l.as_bytes()));
                }
            }
        }
    }
}

/// The ids a `user.*` object holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ids {
    Real,
    Effective,
    Saved,
    Filesystem,
}

#[derive(Clone, Copy)]
enum Obj {
    Ecs,
    Event,
    Host,
    Process,
    Parent,
    User,
    /// `user.effective`, `user.saved`, `user.filesystem`.
    OtherIds(Ids),
    /// `user.group`, `user.effective.group`, ...; `group` (Real).
    Group(Ids),
    Audit,
    Container,
    Endpoint,
    Network,
    Auditd,
    Data,
    Socket,
    Lost,
}

fn k(name: &'static str) -> Key<'static> {
    Key::Name(name)
}

/// `key: "<n>"` (ECS ids are keywords).
fn id<V: Visitor + ?Sized>(v: &mut V, key: &'static str, n: Option<u32>) {
    if let Some(n) = n {
        v.entry(k(key), Node::Text(Num::Dec(n.into()).text().as_bytes()));
    }
}

fn text<V: Visitor + ?Sized>(v: &mut V, key: &'static str, b: Option<&[u8]>) {
    if let Some(b) = b {
        v.entry(k(key), Node::Text(b));
    }
}

impl Describe for Ecs<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        let f = &self.f;
        v.entry(
            k("@timestamp"),
            Node::Text(IsoTime::new(f.event.id.time).as_bytes()),
        );
        v.entry(k("ecs"), self.obj(Obj::Ecs));
        v.entry(k("event"), self.obj(Obj::Event));
        if f.host.is_some() {
            v.entry(k("host"), self.obj(Obj::Host));
        }
        if let Some(s) = f.syscall() {
            if s.pid.is_some() || s.comm.is_some() || s.exe.is_some() {
                v.entry(k("process"), self.obj(Obj::Process));
            }
            if s.uid.is_some() || s.auid.is_some() || s.euid.is_some() {
                v.entry(k("user"), self.obj(Obj::User));
            }
            if s.gid.is_some() {
                v.entry(k("group"), self.obj(Obj::Group(Ids::Real)));
            }
        }
        if f.process.is_some_and(|c| c.container.is_some()) {
            v.entry(k("container"), self.obj(Obj::Container));
        }
        if let Some((addr, source)) = self.endpoint() {
            let name = if source { "source" } else { "destination" };
            v.entry(k(name), self.obj(Obj::Endpoint));
            if matches!(addr, SockAddr::Inet(_) | SockAddr::Inet6(_)) {
                v.entry(k("network"), self.obj(Obj::Network));
            }
        }
        let keys = f.syscall().map_or(&[][..], |s| &s.keys[..]);
        let labels = f.process.map_or(&[][..], |c| &c.labels[..]);
        if !keys.is_empty() || !labels.is_empty() {
            v.entry(
                k("tags"),
                Node::Seq(Seq::Ecs(EcsSeq(List::Tags(keys, labels)))),
            );
        }
        v.entry(k("auditd"), self.obj(Obj::Auditd));
    }
}

impl Describe for EcsPart<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        match self.0 {
            Part::Obj(view, o) => view.describe_obj(o, v),
            Part::Path(p) => describe_path(p, v),
        }
    }
}

impl Ecs<'_> {
    fn describe_obj<V: Visitor + ?Sized>(&self, o: Obj, v: &mut V) {
        let f = &self.f;
        let s = f.syscall();
        match o {
            Obj::Ecs => v.entry(k("version"), Node::Str(ECS_VERSION)),
            Obj::Event => {
                let c = &f.class;
                v.entry(k("kind"), Node::Str(c.kind));
                v.entry(k("module"), Node::Str("auditd"));
                if c.category.len > 0 {
                    v.entry(k("category"), Node::Seq(Seq::Words(c.category.as_slice())));
                }
                if c.types.len > 0 {
                    v.entry(k("type"), Node::Seq(Seq::Words(c.types.as_slice())));
                }
                c.action.with_node(|n| v.entry(k("action"), n));
                if let Some(o) = f.outcome {
                    let word = match o {
                        Outcome::Success => "success",
                        Outcome::Failure => "failure",
                        Outcome::InProgress => "unknown",
                    };
                    v.entry(k("outcome"), Node::Str(word));
                }
                v.entry(k("sequence"), Node::U64(u64::from(f.event.id.serial)));
            }
            Obj::Host => text(v, "name", f.host),
            Obj::Process => {
                let Some(s) = s else { return };
                if let Some(pid) = s.pid {
                    v.entry(k("pid"), Node::U64(u64::from(pid)));
                }
                text(v, "name", s.comm.as_deref());
                text(v, "executable", s.exe.as_deref());
                let cwd = match &f.event.kind {
                    EventKind::Exec(x) => {
                        if !x.argv.is_empty() {
                            v.entry(k("args"), Node::Seq(Seq::Text(&Seq::Bytes(&x.argv))));
                        }
                        let count = x.argc.map_or(x.argv.len() as u64, u64::from);
                        if x.argc.is_some() || !x.argv.is_empty() {
                            v.entry(k("args_count"), Node::U64(count));
                        }
                        if !x.argv.is_empty() {
                            v.entry(k("command_line"), Node::Text(&joined(&x.argv)));
                        }
                        if !x.proctitle.is_empty() {
                            v.entry(k("title"), Node::Text(&joined(&x.proctitle)));
                        }
                        x.cwd.as_deref()
                    }
                    EventKind::Socket(x) => x.cwd.as_deref(),
                    _ => None,
                };
                text(v, "working_directory", cwd);
                if s.ppid.is_some() {
                    v.entry(k("parent"), self.obj(Obj::Parent));
                }
            }
            Obj::Parent => {
                let Some(ppid) = s.and_then(|s| s.ppid) else {
                    return;
                };
                v.entry(k("pid"), Node::U64(u64::from(ppid)));
                let parent = f.process.and_then(|c| c.parent.as_ref());
                let Some(p) = parent.filter(|p| p.pid == ppid) else {
                    return;
                };
                text(v, "name", p.comm);
                text(v, "executable", p.exe);
                if !p.argv.is_empty() {
                    v.entry(k("args"), Node::Seq(Seq::Text(&Seq::Bytes(p.argv))));
                    if p.argv_complete {
                        v.entry(k("args_count"), Node::U64(p.argv.len() as u64));
                    }
                    v.entry(k("command_line"), Node::Text(&joined(p.argv)));
                }
            }
            Obj::Container => {
                if let Some(c) = f.process.and_then(|c| c.container.as_ref()) {
                    v.entry(k("id"), Node::Text(c.id));
                    v.entry(k("runtime"), Node::Str(c.runtime.name()));
                }
            }
            Obj::User => {
                let Some(s) = s else { return };
                self.describe_ids(Ids::Real, v);
                for (ids, key, present) in [
                    (
                        Ids::Effective,
                        "effective",
                        s.euid.is_some() || s.egid.is_some(),
                    ),
                    (Ids::Saved, "saved", s.suid.is_some() || s.sgid.is_some()),
                    (
                        Ids::Filesystem,
                        "filesystem",
                        s.fsuid.is_some() || s.fsgid.is_some(),
                    ),
                ] {
                    if present {
                        v.entry(k(key), self.obj(Obj::OtherIds(ids)));
                    }
                }
                if s.auid.is_some() {
                    v.entry(k("audit"), self.obj(Obj::Audit));
                }
            }
            Obj::OtherIds(ids) => self.describe_ids(ids, v),
            Obj::Group(ids) => {
                let Some(s) = s else { return };
                let n = &f.names;
                let (gid, name) = match ids {
                    Ids::Real => (s.gid, n.gid),
                    Ids::Effective => (s.egid, n.egid),
                    Ids::Saved => (s.sgid, n.sgid),
                    Ids::Filesystem => (s.fsgid, n.fsgid),
                };
                id(v, "id", gid);
                text(v, "name", name);
            }
            Obj::Audit => {
                id(v, "id", s.and_then(|s| s.auid));
                text(v, "name", f.names.auid);
            }
            Obj::Endpoint => {
                let Some((addr, _)) = self.endpoint() else {
                    return;
                };
                match addr {
                    SockAddr::Inet(a) => {
                        let ip = *a.ip();
                        v.entry(k("address"), Node::Display(&ip));
                        v.entry(k("ip"), Node::Display(&ip));
                        v.entry(k("port"), Node::U64(u64::from(a.port())));
                    }
                    SockAddr::Inet6(a) => {
                        let ip = *a.ip();
                        v.entry(k("address"), Node::Display(&ip));
                        v.entry(k("ip"), Node::Display(&ip));
                        v.entry(k("port"), Node::U64(u64::from(a.port())));
                    }
                    SockAddr::Unix(u) => v.entry(k("address"), Node::Display(&UnixName(u))),
                    _ => {}
                }
            }
            Obj::Network => {
                let ty = match self.endpoint() {
                    Some((SockAddr::Inet(_), _)) => "ipv4",
                    Some((SockAddr::Inet6(_), _)) => "ipv6",
                    _ => return,
                };
                v.entry(k("type"), Node::Str(ty));
            }
            Obj::Auditd => {
                v.entry(k("sequence"), Node::U64(u64::from(f.event.id.serial)));
                if let Some(o) = f.outcome {
                    let word = if o == Outcome::Success {
                        "success"
                    } else {
                        "fail"
                    };
                    v.entry(k("result"), Node::Str(word));
                }
                id(v, "session", s.and_then(|s| s.ses));
                if self.has_data() {
                    v.entry(k("data"), self.obj(Obj::Data));
                }
                let paths = match &f.event.kind {
                    EventKind::Exec(x) => &x.paths[..],
                    EventKind::Socket(x) => &x.paths[..],
                    _ => &[],
                };
                if !paths.is_empty() {
                    v.entry(k("paths"), Node::Seq(Seq::Ecs(EcsSeq(List::Paths(paths)))));
                }
                if let Some(c) = f.process {
                    if !c.ancestry.is_empty() {
                        v.entry(
                            k("ancestry"),
                            Node::Seq(Seq::Text(&Seq::Slices(&c.ancestry))),
                        );
                    }
                    text(v, "unit", c.unit);
                }
                match &f.event.kind {
                    EventKind::Other(records) => {
                        v.entry(k("records"), Node::Seq(Seq::Text(&Seq::Records(records))));
                    }
                    EventKind::Lost(_) => v.entry(k("lost"), self.obj(Obj::Lost)),
                    _ => {}
                }
                if f.event.flags.incomplete {
                    v.entry(k("incomplete"), Node::Bool(true));
                }
                if f.event.flags.late {
                    v.entry(k("late"), Node::Bool(true));
                }
                if let EventKind::Exec(x) = &f.event.kind {
                    if !x.argv_complete {
                        v.entry(k("argv_complete"), Node::Bool(false));
                    }
                }
            }
            Obj::Data => {
                let Some(s) = s else { return };
                match (s.name(), s.syscall) {
                    (Some(n), _) => v.entry(k("syscall"), Node::Str(n)),
                    (None, Some(n)) => v.entry(
                        k("syscall"),
                        Node::Text(Num::Dec(n.into()).text().as_bytes()),
                    ),
                    (None, None) => {}
                }
                if let Some(a) = s.arch {
                    match a.name() {
                        Some(n) => v.entry(k("arch"), Node::Str(n)),
                        None => v.entry(
                            k("arch"),
                            Node::Text(Num::Hex(a.0.into()).text().as_bytes()),
                        ),
                    }
                }
                if let Some(exit) = s.exit {
                    v.entry(k("exit"), Node::Text(Num::Signed(exit).text().as_bytes()));
                }
                for (key, a) in ["a0", "a1", "a2", "a3"].into_iter().zip(s.args) {
                    if let Some(a) = a {
                        v.entry(k(key), Node::Text(Num::Hex(a).text().as_bytes()));
                    }
                }
                id(v, "items", s.items);
                text(v, "tty", s.tty.as_deref());
                if let EventKind::Exec(x) = &f.event.kind {
                    id(v, "argc", x.argc);
                }
                if self.socket().is_some_and(|x| x.addr.is_some()) {
                    v.entry(k("socket"), self.obj(Obj::Socket));
                }
            }
            Obj::Socket => {
                let Some(x) = self.socket() else { return };
                match &x.addr {
                    Some(Ok(a)) => describe_socket(a, v),
                    Some(Err(e)) => v.entry(k("error"), Node::Display(e)),
                    None => {}
                }
            }
            Obj::Lost => {
                if let EventKind::Lost(l) = &f.event.kind {
                    v.entry(k("source"), Node::Str(l.source.name()));
                    v.entry(k("count"), Node::U64(l.count));
                }
            }
        }
    }

    /// Whether `auditd.data` has anything: the SYSCALL record's own fields.
    fn has_data(&self) -> bool {
        let Some(s) = self.f.syscall() else {
            return false;
        };
        s.syscall.is_some()
            || s.arch.is_some()
            || s.exit.is_some()
            || s.args.iter().any(Option::is_some)
            || s.items.is_some()
            || s.tty.is_some()
            || matches!(&self.f.event.kind, EventKind::Exec(x) if x.argc.is_some())
            || self.socket().is_some_and(|x| x.addr.is_some())
    }

    /// `id`, `name` and `group` of one kind of ids.
    fn describe_ids<V: Visitor + ?Sized>(&self, ids: Ids, v: &mut V) {
        let Some(s) = self.f.syscall() else { return };
        let n = &self.f.names;
        let (uid, name, gid) = match ids {
            Ids::Real => (s.uid, n.uid, s.gid),
            Ids::Effective => (s.euid, n.euid, s.egid),
            Ids::Saved => (s.suid, n.suid, s.sgid),
            Ids::Filesystem => (s.fsuid, n.fsuid, s.fsgid),
        };
        id(v, "id", uid);
        text(v, "name", name);
        if gid.is_some() {
            v.entry(k("group"), self.obj(Obj::Group(ids)));
        }
    }
}

/// `auditd.data.socket`: Auditbeat's family names (`unix`, `ipv4`, `ipv6`,
/// `netlink`, or the number) and the address, port or path.
fn describe_socket<V: Visitor + ?Sized>(a: &SockAddr, v: &mut V) {
    match a {
        SockAddr::Unix(u) => {
            v.entry(k("family"), Node::Str("unix"));
            if !u.is_unnamed() {
                v.entry(k("path"), Node::Display(&UnixName(u)));
            }
        }
        SockAddr::Inet(s) => {
            v.entry(k("family"), Node::Str("ipv4"));
            let ip = *s.ip();
            v.entry(k("addr"), Node::Display(&ip));
            v.entry(
                k("port"),
                Node::Text(Num::Dec(s.port().into()).text().as_bytes()),
            );
        }
        SockAddr::Inet6(s) => {
            v.entry(k("family"), Node::Str("ipv6"));
            let ip = *s.ip();
            v.entry(k("addr"), Node::Display(&ip));
            v.entry(
                k("port"),
                Node::Text(Num::Dec(s.port().into()).text().as_bytes()),
            );
        }
        SockAddr::Netlink { pid, .. } => {
            v.entry(k("family"), Node::Str("netlink"));
            v.entry(k("addr"), Node::Display(pid));
        }
        SockAddr::Other { family, data } => {
            v.entry(k("family"), Node::Display(family));
            v.entry(k("addr"), Node::Text(data.as_bytes()));
        }
    }
}

/// One of `auditd.paths`: the PATH record's fields as keywords.
fn describe_path<V: Visitor + ?Sized>(p: &PathRecord<'_>, v: &mut V) {
    id(v, "item", p.item);
    text(v, "name", p.name.as_deref());
    if let Some(inode) = p.inode {
        v.entry(k("inode"), Node::Text(Num::Dec(inode).text().as_bytes()));
    }
    text(v, "dev", p.dev.as_deref());
    if let Some(mode) = p.mode {
        v.entry(
            k("mode"),
            Node::Text(Num::Oct(mode.into()).text().as_bytes()),
        );
    }
    id(v, "ouid", p.ouid);
    id(v, "ogid", p.ogid);
    text(v, "nametype", p.nametype.as_deref());
}
