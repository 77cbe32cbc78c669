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
//! # From a log file
//!
//! ```
//! use auditstream::event::EventKind;
//! use auditstream::source::log::LogEvents;
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
//! # From the kernel (feature `netlink`, Linux, root)
//!
//! ```no_run
//! # #[cfg(all(feature = "netlink", target_os = "linux"))]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use auditstream::source::netlink::{AuditSession, Mode, Received, Rule};
//! use auditstream::Record;
//!
//! // Register as the audit daemon; everything changed is restored on close.
//! let mut session = AuditSession::open(Mode::Daemon)?;
//! session.add_rules(&Rule::standard_set())?;
//! session.set_enabled(true)?;
//! let mut buf = auditstream::source::netlink::recv_buffer();
//! if let Received::Datagram(n) = session.recv(&mut buf)? {
//!     let rec = Record::parse_netlink(&buf[..n])?;
//!     println!("{rec}");
//! }
//! session.close()?;
//! # Ok(()) }
//! # #[cfg(not(all(feature = "netlink", target_os = "linux")))] fn main() {}
//! ```
//!
//! # Features
//!
//! - `netlink` (default, Linux only): the kernel's audit socket, status, rules.
//! - `serde`: `Serialize` for events and records, the same description as
//!   the native JSON ([`output`]).
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod bytes;
pub mod decode;
pub mod error;
pub mod event;
pub mod output;
pub mod reassemble;
pub mod record;
pub mod source;
pub mod tables;

pub use bytes::BStr;
pub use error::{Error, ErrorKind, ParseError};
pub use record::{EventId, Field, Fields, Record, RecordBuf, RecordType, Timestamp, Value};
