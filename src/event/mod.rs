//! Events: the records of one (node, time, serial) joined into one structured
//! event.
//!
//! The reassembler emits [`EventBuf`]s, which own their records' bytes. An
//! `EventBuf` gives its structured, borrowed view with [`EventBuf::event`]:
//! an [`Event`] with the header (time, serial, node, flags) and its
//! [`EventKind`]: an [`ExecEvent`] for execve/execveat, a [`SocketEvent`] for
//! connect/bind/accept/accept4, the records themselves for every other event,
//! or a [`LostEvent`] for loss the stream could see. Build it once per event
//! and hand it to the output formats ([`crate::output`]).

mod exec;
mod socket;
mod syscall;

use std::borrow::Cow;
use std::fmt;

pub use exec::{ExecEvent, PathRecord, MAX_ARGV_HOLES};
pub use socket::SocketEvent;
pub use syscall::{SocketOp, Syscall, SyscallClass};

use crate::record::{EventId, Record, RecordType, Spans};

/// How an event left the reassembler, beyond "complete".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EventFlags {
    /// Records are missing: evicted from a full window, cut at a size limit,
    /// or a syscall event without its SYSCALL record.
    pub incomplete: bool,
    /// A record that arrived after its event had been emitted: a fragment,
    /// not joined to anything.
    pub late: bool,
    /// Completed because no record came for the reassembler's timeout (of
    /// event time in files, of wall time live or when a stream is idle),
    /// not by its last record.
    pub timed_out: bool,
}

/// Where a loss was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum LossSource {
    /// The kernel's `lost` counter went up: records it dropped.
    Kernel,
    /// The netlink socket overflowed (ENOBUFS): records dropped in between.
    Socket,
    /// Serials missing from the stream (a hint: the kernel drops whole events
    /// before they take a serial).
    Gap,
    /// Events a consumer-side queue dropped because it was full (the async
    /// streams' drop policy).
    Consumer,
}

impl LossSource {
    /// `kernel`, `socket`, `gap` or `consumer`.
    pub fn name(self) -> &'static str {
        match self {
            LossSource::Kernel => "kernel",
            LossSource::Socket => "socket",
            LossSource::Gap => "gap",
            LossSource::Consumer => "consumer",
        }
    }
}

impl fmt::Display for LossSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Loss, surfaced in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LostEvent {
    /// Where the loss was seen.
    pub source: LossSource,
    /// How many: records (kernel), overruns (socket), serials (gap), or
    /// events (consumer).
    pub count: u64,
}

/// An event: its header and what it is. Borrowed from its [`EventBuf`]
/// (see [`Event::into_owned`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The time and serial of its records (of a loss event: of the record
    /// that revealed the loss, or the default id).
    pub id: EventId,
    /// The `node=` name of its records, if they carry one.
    pub node: Option<Cow<'a, [u8]>>,
    /// How it was completed.
    pub flags: EventFlags,
    /// What it is.
    pub kind: EventKind<'a>,
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Event {
            id,
            node,
            flags,
            kind,
        } = self;
        f.debug_struct("Event")
            .field("id", id)
            .field("node", &crate::bytes::opt(node))
            .field("flags", flags)
            .field("kind", kind)
            .finish()
    }
}

/// What an [`Event`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind<'a> {
    /// execve or execveat.
    Exec(ExecEvent<'a>),
    /// connect, bind, accept, accept4.
    Socket(SocketEvent<'a>),
    /// Any other event, with all its records (EOE excluded).
    Other(Records<'a>),
    /// Loss.
    Lost(LostEvent),
}

impl EventKind<'_> {
    /// `exec`, `socket`, `other` or `lost`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Exec(_) => "exec",
            EventKind::Socket(_) => "socket",
            EventKind::Other(_) => "other",
            EventKind::Lost(_) => "lost",
        }
    }
}

impl Event<'_> {
    /// An owned copy, independent of the [`EventBuf`] it was built from.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            id: self.id,
            node: self.node.map(syscall::own),
            flags: self.flags,
            kind: match self.kind {
                EventKind::Exec(e) => EventKind::Exec(e.into_owned()),
                EventKind::Socket(s) => EventKind::Socket(s.into_owned()),
                EventKind::Other(r) => EventKind::Other(r.into_owned()),
                EventKind::Lost(l) => EventKind::Lost(l),
            },
        }
    }
}

/// The records of an event, in arrival order, without copying them.
#[derive(Clone, PartialEq, Eq)]
pub struct Records<'a> {
    data: Cow<'a, [u8]>,
    spans: Cow<'a, [Spans]>,
}

impl<'a> Records<'a> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The records.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
        self.spans.iter().map(|s| Record::from_spans(&self.data, s))
    }

    /// The `i`-th record.
    pub fn get(&self, i: usize) -> Option<Record<'_>> {
        self.spans.get(i).map(|s| Record::from_spans(&self.data, s))
    }

    /// An owned copy.
    pub fn into_owned(self) -> Records<'static> {
        Records {
            data: Cow::Owned(self.data.into_owned()),
            spans: Cow::Owned(self.spans.into_owned()),
        }
    }
}

impl fmt::Debug for Records<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// An event as the reassembler emits it: owns its records' bytes.
///
/// Cheap to move and to keep; [`event`](EventBuf::event) builds the
/// structured view (call it once per event: it decodes).
#[derive(Clone, PartialEq, Eq)]
pub struct EventBuf {
    id: EventId,
    node: Option<(usize, usize)>,
    data: Vec<u8>,
    recs: Vec<Spans>,
    flags: EventFlags,
    lost: Option<LostEvent>,
}

impl EventBuf {
    pub(crate) fn empty() -> EventBuf {
        EventBuf {
            id: EventId::default(),
            node: None,
            data: Vec::new(),
            recs: Vec::new(),
            flags: EventFlags::default(),
            lost: None,
        }
    }

    /// A loss event at `id` (the record that revealed it, or the default id).
    pub fn lost(source: LossSource, count: u64, id: EventId) -> EventBuf {
        EventBuf {
            id,
            lost: Some(LostEvent { source, count }),
            ..EventBuf::empty()
        }
    }

    /// A loss event on `node` (whose serials had the gap).
    pub(crate) fn lost_on(source: LossSource, count: u64, id: EventId, node: &[u8]) -> EventBuf {
        let mut ev = EventBuf::lost(source, count, id);
        ev.data.extend_from_slice(node);
        ev.node = Some((0, node.len()));
        ev
    }

    /// An event rebuilt from its saved parts (a checkpoint): the raw log
    /// lines of its records, or a loss. `None` if a line does not parse.
    pub(crate) fn from_saved(
        id: EventId,
        node: Option<&[u8]>,
        flags: EventFlags,
        lost: Option<LostEvent>,
        lines: &[Vec<u8>],
    ) -> Option<EventBuf> {
        let mut ev = match (lost, node) {
            (Some(l), Some(n)) => EventBuf::lost_on(l.source, l.count, id, n),
            (Some(l), None) => EventBuf::lost(l.source, l.count, id),
            (None, _) => EventBuf::empty(),
        };
        for l in lines {
            ev.push_record(&Record::parse_line(l).ok()?);
        }
        ev.flags = flags;
        Some(ev)
    }

    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.recs.clear();
        self.node = None;
        self.flags = EventFlags::default();
        self.lost = None;
    }

    /// Bytes of record text held (the in-flight memory it accounts for).
    pub(crate) fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Bytes allocated for its buffers.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.data.capacity() + self.recs.capacity() * std::mem::size_of::<Spans>()
    }

    pub(crate) fn push_record(&mut self, r: &Record<'_>) {
        let base = self.data.len();
        self.data.extend_from_slice(r.raw());
        let sp = r.spans(base);
        if self.recs.is_empty() {
            self.id = r.id();
            self.node = sp.node;
        }
        self.recs.push(sp);
    }

    /// Marks records as missing.
    pub(crate) fn set_incomplete(&mut self) {
        self.flags.incomplete = true;
    }

    /// Marks the event as a late fragment.
    pub(crate) fn set_late(&mut self) {
        self.flags.late = true;
    }

    /// Marks the event as completed by its timeout.
    pub(crate) fn set_timed_out(&mut self) {
        self.flags.timed_out = true;
    }

    /// Whether a syscall event lacks records the kernel always writes for
    /// it: its PROCTITLE (written last), the EXECVE of a successful exec, or
    /// one PATH record per `items=`. (Loss that took no serial: the kernel
    /// drops records for a full backlog before they take one.)
    pub(crate) fn lacks_kernel_records(&self) -> bool {
        let (mut syscall, mut proctitle, mut execve, mut paths) = (None, false, false, 0u32);
        for s in &self.recs {
            match s.rtype {
                RecordType::SYSCALL => syscall = Some(s),
                RecordType::PROCTITLE => proctitle = true,
                RecordType::EXECVE => execve = true,
                RecordType::PATH => paths += 1,
                _ => {}
            }
        }
        let Some(sc) = syscall else {
            return false;
        };
        if !proctitle {
            return true;
        }
        let sc = Syscall::from_record(&Record::from_spans(&self.data, sc));
        let exec_ok = sc.success == Some(true) && sc.class() == SyscallClass::Exec;
        (exec_ok && !execve) || sc.items.is_some_and(|n| paths < n)
    }

    /// The event's time and serial.
    pub fn id(&self) -> EventId {
        self.id
    }

    /// The node name of its records, if they carry one.
    pub fn node(&self) -> Option<&[u8]> {
        self.node.map(|(a, b)| &self.data[a..b])
    }

    /// How the event was completed.
    pub fn flags(&self) -> EventFlags {
        self.flags
    }

    /// The loss this event reports, if it is a loss event.
    pub fn lost_event(&self) -> Option<LostEvent> {
        self.lost
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether the event has no records (a loss event).
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// The records, in arrival order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
        self.recs.iter().map(|s| Record::from_spans(&self.data, s))
    }

    /// The structured view: decodes the records (argv, addresses, paths).
    pub fn event(&self) -> Event<'_> {
        let kind = match self.lost {
            Some(l) => EventKind::Lost(l),
            None => self.kind(),
        };
        Event {
            id: self.id,
            node: self.node().map(Cow::Borrowed),
            flags: self.flags,
            kind,
        }
    }

    fn kind(&self) -> EventKind<'_> {
        let other = || {
            EventKind::Other(Records {
                data: Cow::Borrowed(&self.data),
                spans: Cow::Borrowed(&self.recs),
            })
        };
        let Some(sc) = self
            .records()
            .find(|r| r.record_type() == RecordType::SYSCALL)
        else {
            return other();
        };
        let syscall = Syscall::from_record(&sc);
        match syscall.class() {
            SyscallClass::Exec => EventKind::Exec(ExecEvent::build(syscall, self.records())),
            SyscallClass::Socket(op) => {
                EventKind::Socket(SocketEvent::build(syscall, op, self.records()))
            }
            SyscallClass::Other => other(),
        }
    }

    /// Whether a syscall event lacks its SYSCALL record.
    pub(crate) fn lacks_syscall(&self) -> bool {
        let mut has_syscall = false;
        let mut has_aux = false;
        for s in &self.recs {
            has_syscall |= s.rtype == RecordType::SYSCALL;
            has_aux |= (1300..1400).contains(&s.rtype.0);
        }
        has_aux && !has_syscall
    }
}

impl fmt::Debug for EventBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBuf")
            .field("id", &self.id)
            .field("node", &self.node().map(crate::BStr))
            .field("flags", &self.flags)
            .field("lost", &self.lost)
            .field("records", &self.records().collect::<Vec<_>>())
            .finish()
    }
}
