//! auditstream: the Linux kernel audit stream as structured security events.
//!
//! The kernel reports each audited syscall as several text records (SYSCALL,
//! EXECVE, CWD, PATH, SOCKADDR, PROCTITLE, EOE) sharing a serial number.
//! auditstream parses them zero-copy from an audit.log line or a
//! `NETLINK_AUDIT` datagram ([`Record`]), decodes every value exactly (bytes,
//! not UTF-8), and joins them ([`reassemble::Reassembler`]) into one event per
//! exec ([`event::ExecEvent`]: argv rebuilt from split arguments, cwd, paths)
//! and per connect/bind/accept ([`event::SocketEvent`]), every other event
//! whole, with loss counted and surfaced in the stream.
//!
//! Every source of events has one shape ([`EventSource`]): a lending
//! `next_event()`, an owned `Iterator` of [`EventBuf`]s, `stats()` and a
//! draining `close()`. [`EventBuf::event`] builds the structured [`Event`].
//!
//! # From a log file
//!
//! ```
//! use auditstream::{EventKind, LogEvents};
//!
//! let log = std::fs::File::open("testdata/audit-raw.log")?;
//! let mut events = LogEvents::new(std::io::BufReader::with_capacity(1 << 20, log));
//! let mut execs = 0;
//! while let Some(ev) = events.next_event() {
//!     if let EventKind::Exec(e) = ev?.event().kind {
//!         execs += 1;
//!         assert!(e.syscall.name().unwrap().starts_with("execve"));
//!     }
//! }
//! assert_eq!(execs, 363);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Following audit.log as auditd writes and rotates it
//!
//! ```no_run
//! use auditstream::{FollowConfig, FollowEvents};
//!
//! let mut events = FollowEvents::open("/var/log/audit/audit.log", FollowConfig::default())?;
//! while let Some(ev) = events.next_event() {
//!     println!("{:?}", ev?.event());
//! }
//! // a checkpoint resumes a new process exactly where this one stood
//! events.checkpoint().save("/var/lib/agent/audit.checkpoint".as_ref())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # From the kernel (feature `netlink`, Linux, root)
//!
//! ```no_run
//! # #[cfg(all(feature = "netlink", target_os = "linux"))]
//! # fn main() -> Result<(), auditstream::Error> {
//! use auditstream::{EventKind, EventSource, LiveConfig, LiveEvents, Mode};
//!
//! // Register as the audit daemon with the exec and network rules; the
//! // kernel is restored as found on close (or drop).
//! let mut live = LiveEvents::with_config(LiveConfig::new(Mode::Daemon))?;
//! let stop = live.stop_handle(); // set it from a signal handler to end
//! while let Some(ev) = live.next_event() {
//!     match ev?.event().kind {
//!         EventKind::Exec(e) => println!("{:?} ran {:?}", e.syscall.pid, e.argv),
//!         EventKind::Lost(l) => eprintln!("lost {} ({})", l.count, l.source),
//!         _ => {}
//!     }
//! #   stop.store(true, std::sync::atomic::Ordering::Relaxed);
//! }
//! let closed = live.close()?; // drains, restores the kernel
//! eprintln!("{:?}", closed.stats);
//! # Ok(()) }
//! # #[cfg(not(all(feature = "netlink", target_os = "linux")))] fn main() {}
//! ```
//!
//! # Features
//!
//! - `netlink` (default, Linux only): the kernel's audit socket, status, rules.
//! - `serde`: `Serialize` for events and records, the same description as
//!   the native JSON ([`output`]), and for checkpoints.
//! - `regex`: label rules by regular expression ([`context::Pattern`]).
//! - `exe-hash`: the SHA-256 of each exec'd program in the process context
//!   ([`context::ContextConfig`]).
//! - `tokio`: the live socket and followed files as async `Stream`s
//!   (`source::tokio`), cancellation-safe, with back pressure or a bounded
//!   queue that reports what it drops.
//!
//! # Process context
//!
//! [`context::ProcessTracker`] gives each event its parent, ancestry, user
//! names, container, systemd unit and labels, right or absent (see
//! [`context`]); [`output::WithContext`] writes it after the event's keys.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod bytes;
pub mod context;
pub mod decode;
pub mod error;
pub mod event;
pub mod output;
pub mod reassemble;
pub mod record;
pub mod source;
#[cfg(unix)]
mod sys;
pub mod tables;

pub use bytes::BStr;
pub use error::{Error, ErrorKind, ParseError};
pub use event::{Event, EventBuf, EventKind};
pub use record::{EventId, Field, Fields, Record, RecordBuf, RecordType, Timestamp, Value};
#[cfg(all(feature = "netlink", target_os = "linux"))]
pub use source::netlink::{LiveConfig, LiveEvents, Mode};
pub use source::{
    CaptureEvents, Checkpoint, Closed, EventSource, FollowConfig, FollowEvents, LogEvents,
    SourceStats, StreamConfig, StreamEvents,
};
