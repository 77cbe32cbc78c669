//! Where events come from. Every source has the same shape
//! ([`EventSource`]): a lending [`next_event`](EventSource::next_event) for
//! loops that allocate nothing, an owned `Iterator` of [`EventBuf`]s,
//! [`stats`](EventSource::stats), and a [`close`](EventSource::close) that
//! drains what is still pending and returns the final stats.
//!
//! | source | input | end |
//! | --- | --- | --- |
//! | [`LogEvents`] | audit.log lines from any `BufRead` (a rotated set oldest first) | end of input |
//! | [`CaptureEvents`] | netlink capture files | end of input |
//! | [`FollowEvents`] | a log file auditd appends to and rotates (`tail -F`), with [`Checkpoint`]s | stopped |
//! | [`StreamEvents`] | log lines on a pipe or stdin: auditd's plugin input | end of input, or stopped |
//! | [`LiveEvents`](netlink::LiveEvents) | the kernel's audit socket (feature `netlink`) | stopped |
//!
//! With feature `tokio`, [`tokio`] has the live socket and
//! followed files as `Stream`s.
//!
//! Streamed inputs (follow, stream, live) complete an event that gets no
//! record for the reassembler's timeout of wall time ("idle flush"): it comes
//! out flagged `timed_out`.

pub mod capture;
mod checkpoint;
mod events;
mod follow;
pub mod log;
mod pump;
mod stream;

pub use capture::CaptureEvents;
pub use checkpoint::{Checkpoint, CheckpointError, CheckpointErrorKind, CHECKPOINT_VERSION};
pub(crate) use checkpoint::{SavedEvent, SavedKey, SavedSerials};
pub use events::{Events, RecordInput};
pub use follow::{FollowConfig, FollowEvents, Start};
pub use log::LogEvents;
pub use stream::{StreamConfig, StreamEvents};

#[cfg(all(feature = "netlink", target_os = "linux"))]
pub mod netlink;
#[cfg(all(feature = "tokio", unix))]
pub mod tokio;

use std::io;

use crate::error::Error;
use crate::event::EventBuf;
use crate::reassemble;

/// What every event source does; see the [module documentation](self).
pub trait EventSource {
    /// The next event, lent until the next call (its buffers are then
    /// reused); `None` at the end of the input or once stopped. After an
    /// error the source goes on where it can (see [`Error`]).
    fn next_event(&mut self) -> Option<Result<&EventBuf, Error>>;

    /// The counters so far.
    fn stats(&self) -> SourceStats;

    /// Whether complete events are waiting, so that the next `next_event`
    /// returns without reading or waiting: a caller writing events out can
    /// flush its output when this is false.
    fn has_ready(&self) -> bool;

    /// Ends the stream: completes every event still pending (reading what
    /// the source still has queued, for the live socket), and returns the
    /// events not yet handed out with the final counters. Sources that
    /// changed something (the live socket's rules and status) restore it.
    fn close(self) -> Result<Closed, Error>
    where
        Self: Sized;
}

/// What [`EventSource::close`] returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct Closed {
    /// The events that were still pending, in order.
    pub events: Vec<EventBuf>,
    /// The final counters.
    pub stats: SourceStats,
}

/// Counters of an event source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceStats {
    /// The reassembler's counters (records, events, incomplete, late, gaps, ...).
    pub events: reassemble::Stats,
    /// Input bytes consumed: whole lines of logs and streams, datagrams of
    /// captures and of the live socket.
    pub bytes: u64,
    /// Lines or datagrams that did not parse (reported, skipped).
    pub parse_errors: u64,
    /// I/O errors met (reported).
    pub io_errors: u64,
    /// Files opened in turn by a follower (the first, then each rotation).
    pub files: u64,
    /// Events dropped by a consumer-side queue that was full (the async
    /// streams' drop policy; reported as
    /// [`LossSource::Consumer`](crate::event::LossSource::Consumer) events).
    pub consumer_dropped: u64,
    /// The kernel socket's own counters (live sources).
    #[cfg(all(feature = "netlink", target_os = "linux"))]
    pub live: Option<netlink::LiveStats>,
}

/// Whether an I/O error may go away if the read is tried again.
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
