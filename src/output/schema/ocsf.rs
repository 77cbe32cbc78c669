//! The OCSF view: Process Activity, Network Activity, and the Base Event.

use std::fmt;
use std::net::IpAddr;

use super::{basename, joined, Context, Facts, Num, Outcome, UnixName, OCSF_VERSION};
use crate::decode::SockAddr;
use crate::event::{Event, EventKind, ExecEvent, SocketEvent, SocketOp};
use crate::output::{Describe, Key, Map, Node, Seq, Visitor};

/// An event in the Open Cybersecurity Schema Framework (OCSF 1.8.0): exec
/// events as Process Activity, socket events as Network Activity, anything
/// else as a Base Event; see the [module documentation](super) for the
/// mapping. A [`Describe`]: write it with
/// [`json::write`](crate::output::json::write) or serialize it with serde
/// (feature `serde`).
pub struct Ocsf<'a> {
    f: Facts<'a>,
    class: Class,
    /// `activity_id` and its caption (`None`: the ECS action, for `Other`).
    activity: (u8, Option<&'static str>),
}

/// The event classes the view writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Process Activity (1007).
    Process,
    /// Network Activity (4001).
    Network,
    /// Base Event (0).
    Base,
}

impl Class {
    fn uid(self) -> u64 {
        match self {
            Class::Process => 1007,
            Class::Network => 4001,
            Class::Base => 0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::Process => "Process Activity",
            Class::Network => "Network Activity",
            Class::Base => "Base Event",
        }
    }

    /// `category_uid` and its caption.
    fn category(self) -> (u64, &'static str) {
        match self {
            Class::Process => (1, "System Activity"),
            Class::Network => (4, "Network Activity"),
            Class::Base => (0, "Uncategorized"),
        }
    }
}

impl<'a> Ocsf<'a> {
    /// The OCSF view of `event`, with what `ctx` knows beyond it.
    pub fn new(event: &'a Event<'a>, ctx: Context<'a>) -> Self {
        let f = Facts::new(event, ctx);
        let (class, activity) = match &event.kind {
            EventKind::Exec(_) => (Class::Process, (1, Some("Launch"))),
            EventKind::Socket(s) if endpoint(s).is_some() => {
                let activity = match s.op {
                    SocketOp::Bind => (7, Some("Listen")),
                    _ if f.outcome != Some(Outcome::Failure) => (1, Some("Open")),
                    _ if s.syscall.errno() == Some("ECONNREFUSED") => (5, Some("Refuse")),
                    _ => (4, Some("Fail")),
                };
                (Class::Network, activity)
            }
            _ => (Class::Base, (99, None)),
        };
        Ocsf { f, class, activity }
    }

    fn obj(&self, o: Obj) -> Node<'_> {
        Node::Map(Map::Ocsf(OcsfPart { view: self, obj: o }))
    }

    fn exec(&self) -> Option<&ExecEvent<'a>> {
        match &self.f.event.kind {
            EventKind::Exec(x) => Some(x),
            _ => None,
        }
    }

    fn socket(&self) -> Option<&SocketEvent<'a>> {
        match &self.f.event.kind {
            EventKind::Socket(x) => Some(x),
            _ => None,
        }
    }

    fn cwd(&self) -> Option<&[u8]> {
        match &self.f.event.kind {
            EventKind::Exec(x) => x.cwd.as_deref(),
            EventKind::Socket(x) => x.cwd.as_deref(),
            _ => None,
        }
    }
}

/// The address of a socket event as an OCSF network endpoint can name it:
/// inet, inet6, or a unix socket with a name.
fn endpoint<'s>(s: &'s SocketEvent<'_>) -> Option<&'s SockAddr> {
    s.sockaddr().filter(|a| match a {
        SockAddr::Inet(_) | SockAddr::Inet6(_) => true,
        SockAddr::Unix(u) => !u.is_unnamed(),
        _ => false,
    })
}

/// Whether traffic stays on the host: loopback addresses and unix sockets.
fn is_local(a: &SockAddr) -> bool {
    match a {
        SockAddr::Inet(s) => s.ip().is_loopback(),
        SockAddr::Inet6(s) => {
            let ip = IpAddr::V6(*s.ip());
            ip.is_loopback() || s.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        _ => true,
    }
}

/// An object of the [`Ocsf`] view (a [`Map`] variant; opaque).
#[derive(Clone, Copy)]
pub struct OcsfPart<'a> {
    view: &'a Ocsf<'a>,
    obj: Obj,
}

#[derive(Clone, Copy)]
enum Obj {
    Metadata,
    Product,
    Device,
    Actor,
    /// `actor.process` of an exec: the process that called exec.
    Caller,
    /// `process` of an exec, `actor.process` otherwise.
    Process,
    File,
    /// `process.user`: the real user.
    User,
    /// `actor.user`: the login user.
    LoginUser,
    Session,
    Parent,
    ParentFile,
    Container,
    Endpoint,
    ConnectionInfo,
    Unmapped,
}

fn k(name: &'static str) -> Key<'static> {
    Key::Name(name)
}

fn text<V: Visitor + ?Sized>(v: &mut V, key: &'static str, b: Option<&[u8]>) {
    if let Some(b) = b {
        v.entry(k(key), Node::Text(b));
    }
}

/// `"<class name>: <activity caption>"`, or `"... : Other"`.
struct TypeName(Class, &'static str);

impl fmt::Display for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.name(), self.1)
    }
}

impl Describe for Ocsf<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        let f = &self.f;
        let (activity, caption) = self.activity;
        v.entry(k("activity_id"), Node::U64(u64::from(activity)));
        match caption {
            Some(c) => v.entry(k("activity_name"), Node::Str(c)),
            None => f.class.action.with_node(|n| v.entry(k("activity_name"), n)),
        }
        let (cat, cat_name) = self.class.category();
        v.entry(k("category_uid"), Node::U64(cat));
        v.entry(k("category_name"), Node::Str(cat_name));
        v.entry(k("class_uid"), Node::U64(self.class.uid()));
        v.entry(k("class_name"), Node::Str(self.class.name()));
        v.entry(
            k("type_uid"),
            Node::U64(self.class.uid() * 100 + u64::from(activity)),
        );
        let type_name = TypeName(self.class, caption.unwrap_or("Other"));
        v.entry(k("type_name"), Node::Display(&type_name));
        let lost = matches!(f.event.kind, EventKind::Lost(_));
        let (severity, severity_name) = if f.class.is_alert() || lost {
            (3, "Medium")
        } else {
            (1, "Informational")
        };
        v.entry(k("severity_id"), Node::U64(severity));
        v.entry(k("severity"), Node::Str(severity_name));
        if let Some(o) = f.outcome {
            let (id, name) = match o {
                Outcome::Success => (1, "Success"),
                Outcome::Failure => (2, "Failure"),
                Outcome::InProgress => (99, "In Progress"),
            };
            v.entry(k("status_id"), Node::U64(id));
            v.entry(k("status"), Node::Str(name));
            if o != Outcome::Success {
                if let Some(errno) = f.syscall().and_then(|s| s.errno()) {
                    v.entry(k("status_code"), Node::Str(errno));
                }
            }
        }
        v.entry(k("time"), Node::U64(f.event.id.time.as_millis()));
        v.entry(k("metadata"), self.obj(Obj::Metadata));
        v.entry(k("device"), self.obj(Obj::Device));
        if self.has_actor() {
            v.entry(k("actor"), self.obj(Obj::Actor));
        }
        match self.class {
            Class::Process => {
                v.entry(k("process"), self.obj(Obj::Process));
                v.entry(k("launch_type_id"), Node::U64(3));
                v.entry(k("launch_type"), Node::Str("Exec"));
            }
            Class::Network => {
                let s = self.socket().expect("a network event is a socket event");
                let side = if s.op == SocketOp::Connect {
                    "dst_endpoint"
                } else {
                    "src_endpoint"
                };
                v.entry(k(side), self.obj(Obj::Endpoint));
                v.entry(k("connection_info"), self.obj(Obj::ConnectionInfo));
                v.entry(
                    k("is_src_dst_assignment_known"),
                    Node::Bool(s.op != SocketOp::Bind),
                );
            }
            Class::Base => {}
        }
        v.entry(k("unmapped"), self.obj(Obj::Unmapped));
    }
}

impl Describe for OcsfPart<'_> {
    fn describe<V: Visitor + ?Sized>(&self, v: &mut V) {
        self.view.describe_obj(self.obj, v)
    }
}

impl Ocsf<'_> {
    /// The context's parent, when it is the event's `ppid`.
    fn parent(&self) -> Option<&crate::context::ProcessInfo<'_>> {
        let ppid = self.f.syscall()?.ppid?;
        self.f
            .process
            .and_then(|c| c.parent.as_ref())
            .filter(|p| p.pid == ppid)
    }

    fn has_actor(&self) -> bool {
        self.f
            .syscall()
            .is_some_and(|s| s.pid.is_some() || s.auid.is_some() || s.ses.is_some())
    }

    fn describe_obj<V: Visitor + ?Sized>(&self, o: Obj, v: &mut V) {
        let f = &self.f;
        let s = f.syscall();
        match o {
            Obj::Metadata => {
                v.entry(k("version"), Node::Str(OCSF_VERSION));
                v.entry(k("product"), self.obj(Obj::Product));
                v.entry(k("uid"), Node::Display(&f.event.id));
                v.entry(k("original_time"), Node::Time(f.event.id.time));
                let container = f.process.is_some_and(|c| c.container.is_some());
                let profiles: &[&str] = if container {
                    &["host", "container"]
                } else {
                    &["host"]
                };
                v.entry(k("profiles"), Node::Seq(Seq::Words(profiles)));
                if let Some(c) = f.process.filter(|c| !c.labels.is_empty()) {
                    v.entry(k("labels"), Node::Seq(Seq::Text(&Seq::Strs(&c.labels))));
                }
            }
            Obj::Product => {
                v.entry(k("name"), Node::Str("auditstream"));
                v.entry(k("vendor_name"), Node::Str("auditstream"));
                v.entry(k("version"), Node::Str(env!("CARGO_PKG_VERSION")));
            }
            Obj::Device => {
                text(v, "hostname", f.host);
                v.entry(k("type_id"), Node::U64(0));
                v.entry(k("type"), Node::Str("Unknown"));
            }
            Obj::Actor => {
                let Some(s) = s else { return };
                if s.pid.is_some() {
                    let who = if self.class == Class::Process {
                        Obj::Caller
                    } else {
                        Obj::Process
                    };
                    v.entry(k("process"), self.obj(who));
                }
                if s.auid.is_some() {
                    v.entry(k("user"), self.obj(Obj::LoginUser));
                }
                if s.ses.is_some() {
                    v.entry(k("session"), self.obj(Obj::Session));
                }
            }
            Obj::Caller => {
                if let Some(pid) = s.and_then(|s| s.pid) {
                    v.entry(k("pid"), Node::U64(u64::from(pid)));
                }
            }
            Obj::Process => {
                let Some(s) = s else { return };
                if let Some(pid) = s.pid {
                    v.entry(k("pid"), Node::U64(u64::from(pid)));
                }
                text(v, "name", s.comm.as_deref());
                if let Some(x) = self.exec().filter(|x| !x.argv.is_empty()) {
                    v.entry(k("cmd_line"), Node::Text(&joined(&x.argv)));
                }
                if s.exe.is_some() {
                    v.entry(k("file"), self.obj(Obj::File));
                }
                text(v, "working_directory", self.cwd());
                if s.uid.is_some() {
                    v.entry(k("user"), self.obj(Obj::User));
                }
                if s.ppid.is_some() {
                    v.entry(k("parent_process"), self.obj(Obj::Parent));
                }
                if let Some(c) = f.process {
                    if c.container.is_some() {
                        v.entry(k("container"), self.obj(Obj::Container));
                    }
                    if !c.ancestry.is_empty() {
                        v.entry(
                            k("lineage"),
                            Node::Seq(Seq::Text(&Seq::Slices(&c.ancestry))),
                        );
                    }
                }
            }
            Obj::File => {
                let Some(exe) = s.and_then(|s| s.exe.as_deref()) else {
                    return;
                };
                v.entry(k("name"), Node::Text(basename(exe)));
                v.entry(k("path"), Node::Text(exe));
                v.entry(k("type_id"), Node::U64(1));
                v.entry(k("type"), Node::Str("Regular File"));
            }
            Obj::User => {
                if let Some(uid) = s.and_then(|s| s.uid) {
                    v.entry(k("uid"), Node::Text(Num::Dec(uid.into()).text().as_bytes()));
                }
                text(v, "name", f.names.uid);
            }
            Obj::LoginUser => {
                if let Some(auid) = s.and_then(|s| s.auid) {
                    v.entry(
                        k("uid"),
                        Node::Text(Num::Dec(auid.into()).text().as_bytes()),
                    );
                }
                text(v, "name", f.names.auid);
            }
            Obj::Session => {
                if let Some(ses) = s.and_then(|s| s.ses) {
                    v.entry(k("uid"), Node::Text(Num::Dec(ses.into()).text().as_bytes()));
                }
            }
            Obj::Parent => {
                let Some(ppid) = s.and_then(|s| s.ppid) else {
                    return;
                };
                v.entry(k("pid"), Node::U64(u64::from(ppid)));
                let Some(p) = self.parent() else { return };
                text(v, "name", p.comm);
                if !p.argv.is_empty() {
                    v.entry(k("cmd_line"), Node::Text(&joined(p.argv)));
                }
                if p.exe.is_some() {
                    v.entry(k("file"), self.obj(Obj::ParentFile));
                }
            }
            Obj::ParentFile => {
                let Some(exe) = self.parent().and_then(|p| p.exe) else {
                    return;
                };
                v.entry(k("name"), Node::Text(basename(exe)));
                v.entry(k("path"), Node::Text(exe));
                v.entry(k("type_id"), Node::U64(1));
                v.entry(k("type"), Node::Str("Regular File"));
            }
            Obj::Container => {
                if let Some(c) = f.process.and_then(|c| c.container.as_ref()) {
                    v.entry(k("uid"), Node::Text(c.id));
                    v.entry(k("runtime"), Node::Str(c.runtime.name()));
                }
            }
            Obj::Endpoint => {
                let Some(a) = self.socket().and_then(endpoint) else {
                    return;
                };
                match a {
                    SockAddr::Inet(a) => {
                        let ip = *a.ip();
                        v.entry(k("ip"), Node::Display(&ip));
                        v.entry(k("port"), Node::U64(u64::from(a.port())));
                    }
                    SockAddr::Inet6(a) => {
                        let ip = *a.ip();
                        v.entry(k("ip"), Node::Display(&ip));
                        v.entry(k("port"), Node::U64(u64::from(a.port())));
                    }
                    SockAddr::Unix(u) => {
                        v.entry(k("name"), Node::Display(&UnixName(u)));
                    }
                    _ => {}
                }
            }
            Obj::ConnectionInfo => {
                let Some(x) = self.socket() else { return };
                let Some(a) = endpoint(x) else { return };
                let local = is_local(a);
                let (dir, dir_name) = match x.op {
                    _ if local => (4, "Local"),
                    SocketOp::Connect => (2, "Outbound"),
                    SocketOp::Accept | SocketOp::Accept4 => (1, "Inbound"),
                    SocketOp::Bind => (0, "Unknown"),
                };
                v.entry(k("direction_id"), Node::U64(dir));
                v.entry(k("direction"), Node::Str(dir_name));
                if local {
                    v.entry(k("boundary_id"), Node::U64(1));
                    v.entry(k("boundary"), Node::Str("Localhost"));
                }
                let ver = match a {
                    SockAddr::Inet(_) => Some((4, "Internet Protocol version 4 (IPv4)")),
                    SockAddr::Inet6(_) => Some((6, "Internet Protocol version 6 (IPv6)")),
                    _ => None,
                };
                if let Some((id, name)) = ver {
                    v.entry(k("protocol_ver_id"), Node::U64(id));
                    v.entry(k("protocol_ver"), Node::Str(name));
                }
            }
            Obj::Unmapped => self.describe_unmapped(v),
        }
    }

    /// What the class has no attribute for. A Base Event's is its whole
    /// native description, byte strings as text.
    fn describe_unmapped<V: Visitor + ?Sized>(&self, v: &mut V) {
        let f = &self.f;
        if let Some(unit) = f.process.and_then(|c| c.unit) {
            v.entry(k("unit"), Node::Text(unit));
        }
        if self.class == Class::Base {
            Map::Text(&Map::Event(f.event)).describe(v);
            return;
        }
        let Some(s) = f.syscall() else { return };
        v.entry(k("serial"), Node::U64(u64::from(f.event.id.serial)));
        match s.arch {
            Some(a) => match a.name() {
                Some(n) => v.entry(k("arch"), Node::Str(n)),
                None => v.entry(
                    k("arch"),
                    Node::Text(Num::Hex(a.0.into()).text().as_bytes()),
                ),
            },
            None => v.entry(k("arch"), Node::Null),
        }
        match (s.name(), s.syscall) {
            (Some(n), _) => v.entry(k("syscall"), Node::Str(n)),
            (None, n) => v.entry(k("syscall"), n.map_or(Node::Null, |n| Node::U64(n.into()))),
        }
        if let Some(success) = s.success {
            v.entry(k("success"), Node::Bool(success));
        }
        if let Some(exit) = s.exit {
            v.entry(k("exit"), Node::I64(exit));
        }
        if let Some(errno) = s.errno() {
            v.entry(k("errno"), Node::Str(errno));
        }
        for (key, a) in ["a0", "a1", "a2", "a3"].into_iter().zip(s.args) {
            if let Some(a) = a {
                v.entry(k(key), Node::Text(Num::Hex(a).text().as_bytes()));
            }
        }
        for (key, n) in [
            ("items", s.items),
            ("gid", s.gid),
            ("euid", s.euid),
            ("egid", s.egid),
            ("suid", s.suid),
            ("sgid", s.sgid),
            ("fsuid", s.fsuid),
            ("fsgid", s.fsgid),
        ] {
            if let Some(n) = n {
                v.entry(k(key), Node::U64(u64::from(n)));
            }
        }
        text(v, "tty", s.tty.as_deref());
        if !s.keys.is_empty() {
            v.entry(k("key"), Node::Seq(Seq::Text(&Seq::Bytes(&s.keys))));
        }
        let paths = match &f.event.kind {
            EventKind::Exec(x) => {
                if let Some(argc) = x.argc {
                    v.entry(k("argc"), Node::U64(u64::from(argc)));
                }
                v.entry(k("argv"), Node::Seq(Seq::Text(&Seq::Bytes(&x.argv))));
                if !x.argv_complete {
                    v.entry(k("argv_complete"), Node::Bool(false));
                }
                if !x.proctitle.is_empty() {
                    v.entry(
                        k("proctitle"),
                        Node::Seq(Seq::Text(&Seq::Bytes(&x.proctitle))),
                    );
                }
                &x.paths[..]
            }
            EventKind::Socket(x) => {
                if let Some(a) = x.sockaddr() {
                    match a.family_name() {
                        Some(n) => v.entry(k("family"), Node::Str(n)),
                        None => v.entry(k("family"), Node::U64(u64::from(a.family()))),
                    }
                }
                &x.paths[..]
            }
            _ => &[],
        };
        if !paths.is_empty() {
            v.entry(k("paths"), Node::Seq(Seq::Text(&Seq::Paths(paths))));
        }
        if f.event.flags.incomplete {
            v.entry(k("incomplete"), Node::Bool(true));
        }
        if f.event.flags.late {
            v.entry(k("late"), Node::Bool(true));
        }
    }
}
