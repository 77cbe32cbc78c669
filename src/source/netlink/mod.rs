//! The live kernel source: a `NETLINK_AUDIT` socket as the audit daemon or as
//! a read-only listener, the kernel's audit status, and audit rules.
//!
//! - [`AuditSocket`] receives raw datagrams ([`Received`]) into the caller's
//!   buffer, without copying or decoding them; [`Record::parse_netlink`](crate::Record::parse_netlink)
//!   parses one in place.
//! - Control calls ([`AuditSocket::status`], the setters,
//!   [`AuditSocket::add_rule`], ...) wait for the kernel's ack and return its
//!   errno as a typed [`NetlinkError`]; records arriving meanwhile are kept
//!   for the next receive.
//! - [`Rule`] builds and parses auditctl-style rules and encodes the kernel's
//!   `audit_rule_data`.
//! - [`AuditSession`] undoes what it changed (rules, status, daemon pid) on
//!   close or drop.
//! - [`LiveEvents`] reads a session as a stream of events: parsed in place,
//!   reassembled, with socket overruns and the kernel's lost counter as loss
//!   events, a stop flag, and a draining close.
//!
//! Everything here needs root, or `CAP_AUDIT_CONTROL` (daemon mode, control)
//! and `CAP_AUDIT_READ` (read-only mode).
//!
//! ```no_run
//! use auditstream::source::netlink::{recv_buffer, AuditSession, Mode, Received, Rule};
//! use auditstream::Record;
//! use std::time::Duration;
//!
//! let mut session = AuditSession::open(Mode::ReadOnly)?;
//! session.add_rule(&"-a always,exit -F arch=b64 -S execve -k exec".parse()?)?;
//! session.set_enabled(true)?;
//! session.socket_mut().set_read_timeout(Some(Duration::from_secs(1)))?;
//! let mut buf = recv_buffer();
//! for _ in 0..10 {
//!     if let Received::Datagram(n) = session.recv(&mut buf)? {
//!         if let Ok(record) = Record::parse_netlink(&buf[..n]) {
//!             println!("{record}");
//!         }
//!     }
//! }
//! session.close()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod control;
mod error;
mod live;
mod rules;
mod session;
mod socket;
mod status;
mod uapi;
mod wire;

pub use error::{NetlinkError, Request, RuleError, RuleErrorKind};
pub use live::{LiveConfig, LiveEvents, LiveRecord, LiveStats};
pub use rules::{Action, Condition, List, Op, Rule, RuleField, Syscalls, MAX_FIELDS, MAX_KEY_LEN};
pub use session::AuditSession;
pub use socket::{
    AuditSocket, Mode, Received, SocketStats, AUDIT_NLGRP_READLOG, DEFAULT_CONTROL_TIMEOUT,
    DEFAULT_QUEUE_LIMIT,
};
pub use status::{FailureMode, Status};
pub use wire::{recv_buffer, MAX_AUDIT_MESSAGE_LENGTH, NLMSG_HDRLEN, RECV_BUFFER_LEN};
