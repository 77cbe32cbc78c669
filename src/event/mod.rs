//! Events: the records of one (node, time, serial) joined into one structured
//! event.
//!
//! The reassembler emits [`EventBuf`]s, which own their records' bytes. An
//! `EventBuf` gives its structured, borrowed view with [`EventBuf::event`]:
//! an [`ExecEvent`] for execve/execveat, a [`SocketEvent`] for
//! connect/bind/accept/accept4, the records themselves for every other event,
//! or a [`LostEvent`] for loss the stream could see.

mod exec;
mod process;
#[cfg(feature = "serde")]
mod serde_impl;
mod socket;

use std::fmt;

pub use exec::{ExecEvent, PathRecord};
pub use process::{SocketOp, Syscall, SyscallClass};
pub use socket::SocketEvent;

use crate::record::{EventId, Record, RecordType, Spans};

/// How an event left the reassembler, beyond "complete".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EventFlags {
    /// Records are missing: evicted from a full window, or a syscall event
    /// without its SYSCALL record.
    pub incomplete: bool,
    /// A record that arrived after its event had been emitted: a fragment,
    /// not joined to anything.
    pub late: bool,
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
}

impl LossSource {
    /// `kernel`, `socket` or `gap`.
    pub fn name(self) -> &'static str {
        match self {
            LossSource::Kernel => "kernel",
            LossSource::Socket => "socket",
            LossSource::Gap => "gap",
        }
    }
}

/// Loss, surfaced in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LostEvent {
    /// Where the loss was seen.
    pub source: LossSource,
    /// How many: records (kernel), overruns (socket), or serials (gap).
    pub count: u64,
}

/// An event, borrowed from its [`EventBuf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// execve or execveat.
    Exec(ExecEvent<'a>),
    /// connect, bind, accept, accept4.
    Socket(SocketEvent<'a>),
    /// Any other event, with all its records (EOE excluded).
    Other(Vec<Record<'a>>),
    /// Loss.
    Lost(LostEvent),
}

impl Event<'_> {
    /// `exec`, `socket`, `other` or `lost`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Exec(_) => "exec",
            Event::Socket(_) => "socket",
            Event::Other(_) => "other",
            Event::Lost(_) => "lost",
        }
    }
}

/// An event as the reassembler emits it: owns its records' bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct EventBuf {
    pub(crate) id: EventId,
    pub(crate) node: Option<(usize, usize)>,
    pub(crate) data: Vec<u8>,
    pub(crate) recs: Vec<Spans>,
    pub(crate) flags: EventFlags,
    pub(crate) lost: Option<LostEvent>,
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

    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.recs.clear();
        self.node = None;
        self.flags = EventFlags::default();
        self.lost = None;
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

    /// The structured view.
    pub fn event(&self) -> Event<'_> {
        if let Some(l) = self.lost {
            return Event::Lost(l);
        }
        let records: Vec<Record<'_>> = self.records().collect();
        build(records)
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

fn build(records: Vec<Record<'_>>) -> Event<'_> {
    let Some(sc) = records
        .iter()
        .find(|r| r.record_type() == RecordType::SYSCALL)
    else {
        return Event::Other(records);
    };
    let syscall = Syscall::from_record(sc);
    match syscall.class() {
        SyscallClass::Exec => Event::Exec(ExecEvent::build(syscall, &records)),
        SyscallClass::Socket(op) => Event::Socket(SocketEvent::build(syscall, op, &records)),
        SyscallClass::Other => Event::Other(records),
    }
}

impl fmt::Debug for EventBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBuf")
            .field("id", &self.id)
            .field("flags", &self.flags)
            .field("lost", &self.lost)
            .field("records", &self.records().collect::<Vec<_>>())
            .finish()
    }
}
