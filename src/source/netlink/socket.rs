//! The `NETLINK_AUDIT` socket: opening in daemon or read-only mode, its
//! options, and receiving raw datagrams (batched by `recvmmsg`), records kept
//! during control calls first. The control calls' request/ack exchange is in
//! `control.rs`.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use netlink_sys::{protocols::NETLINK_AUDIT, Socket, SocketAddr};

use super::error::{NetlinkError, Request};
use super::wire::{self, RECV_BUFFER_LEN};
use crate::record::{is_record_type, RecordType};
use crate::sys;

/// The multicast group of read-only listeners (`AUDIT_NLGRP_READLOG`).
pub const AUDIT_NLGRP_READLOG: u32 = 1;

/// How long a control call waits for the kernel's answer, by default.
pub const DEFAULT_CONTROL_TIMEOUT: Duration = Duration::from_secs(3);

/// How many records arriving during control calls are kept for [`AuditSocket::recv`], by default.
pub const DEFAULT_QUEUE_LIMIT: usize = 1024;

/// How the socket receives audit records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Register as the audit daemon (`AUDIT_SET` pid): the kernel unicasts
    /// every record to this socket and waits for it when it is slow. Needs
    /// `CAP_AUDIT_CONTROL`; only one process can hold it (usually auditd).
    Daemon,
    /// Join the multicast group `AUDIT_NLGRP_READLOG`: a copy of every record,
    /// next to whatever daemon runs. Needs `CAP_AUDIT_READ`. The kernel does
    /// not wait for multicast readers: a full receive buffer loses records
    /// ([`Received::Overrun`]).
    ReadOnly,
    /// Neither: no records at all, only the answers to this socket's own
    /// status and rule requests (as `auditctl` does). For controlling audit
    /// next to a daemon or a listener without a receive queue that a burst of
    /// records could fill.
    Control,
}

/// The outcome of one [`AuditSocket::recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// A datagram from the kernel (port id 0) of this many bytes is at the
    /// start of the buffer: a netlink header, then the record's payload
    /// ([`Record::parse_netlink`](crate::Record::parse_netlink) parses it).
    Datagram(usize),
    /// `ENOBUFS`: the socket's receive queue overflowed and the kernel dropped
    /// datagrams since the last receive. The socket is still usable. (In
    /// daemon mode the kernel usually retries the unicast later.)
    Overrun,
    /// `MSG_TRUNC`: a datagram of this many bytes did not fit in the buffer;
    /// it is gone and must not be parsed.
    Truncated(usize),
    /// The read timeout ([`AuditSocket::set_read_timeout`]) passed without a datagram.
    Timeout,
    /// [`AuditSocket::try_recv`] found no datagram waiting.
    WouldBlock,
    /// A signal interrupted the wait (`EINTR`); with a read timeout set the
    /// kernel reports this even for `SA_RESTART` handlers, so a loop can stop.
    Interrupted,
}

/// Counters of what the socket received and did not hand to the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketStats {
    /// Datagrams handed to the caller.
    pub datagrams: u64,
    /// `ENOBUFS` errors (receive queue overflows).
    pub overruns: u64,
    /// Receive syscalls (`recvmmsg`) that returned datagrams: `datagrams /
    /// receive_calls` is the mean batch.
    pub receive_calls: u64,
    /// Datagrams larger than the caller's buffer.
    pub truncated: u64,
    /// Datagrams from a port other than the kernel's (spoofed), dropped.
    pub foreign_dropped: u64,
    /// Records that arrived during control calls and were kept for `recv`.
    pub queued: u64,
    /// Records that arrived during control calls and did not fit the queue, dropped.
    pub queue_dropped: u64,
    /// Control replies nobody waited for (late, or for another sequence number), dropped.
    pub stale_replies: u64,
    /// Datagrams shorter than a netlink header, dropped.
    pub runts: u64,
}

/// An event kept for the next [`AuditSocket::recv`] while a control call waited.
#[derive(Debug)]
pub(super) enum Queued {
    Datagram(Vec<u8>),
    Overrun,
    Truncated(usize),
}

/// A `NETLINK_AUDIT` socket (Linux).
///
/// Opened in [`Mode::Daemon`] it has registered this process as the audit
/// daemon; [`close`](AuditSocket::close) (or, best effort, dropping it)
/// unregisters. It restores nothing else: use
/// [`AuditSession`](super::AuditSession) to undo status changes and rules.
///
/// ```no_run
/// use auditstream::source::netlink::{recv_buffer, AuditSocket, Mode, Received};
/// use std::time::Duration;
///
/// let mut socket = AuditSocket::open(Mode::ReadOnly)?;
/// socket.set_read_timeout(Some(Duration::from_millis(500)))?;
/// let mut buf = recv_buffer();
/// match socket.recv(&mut buf)? {
///     Received::Datagram(n) => println!("{} bytes", n),
///     other => println!("{other:?}"),
/// }
/// # Ok::<(), auditstream::source::netlink::NetlinkError>(())
/// ```
pub struct AuditSocket {
    pub(super) sock: Socket,
    mode: Mode,
    pub(super) seq: u32,
    registered_pid: Option<u32>,
    queue: VecDeque<Queued>,
    queue_limit: usize,
    /// Datagrams taken by the last `recvmmsg`, not yet handed out.
    batch: Option<Box<sys::RecvBatch>>,
    pub(super) read_timeout: Option<Duration>,
    pub(super) control_timeout: Duration,
    pub(super) scratch: Box<[u8]>,
    pub(super) stats: SocketStats,
}

fn is_errno(e: &io::Error, errno: i32) -> bool {
    e.raw_os_error() == Some(errno)
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl AuditSocket {
    /// Opens a socket in `mode`.
    ///
    /// [`Mode::Daemon`] registers this process as the audit daemon and fails
    /// with [`NetlinkError::AlreadyRegistered`] naming the registered pid when
    /// another one (auditd, or another socket of this process) holds it.
    pub fn open(mode: Mode) -> Result<Self, NetlinkError> {
        let sock = Socket::new(NETLINK_AUDIT).map_err(|e| {
            if is_errno(&e, libc::EPROTONOSUPPORT) || is_errno(&e, libc::EAFNOSUPPORT) {
                NetlinkError::Unsupported(e)
            } else {
                NetlinkError::io(Request::Open, e)
            }
        })?;
        let mut s = AuditSocket {
            sock,
            mode,
            seq: 0,
            registered_pid: None,
            queue: VecDeque::new(),
            queue_limit: DEFAULT_QUEUE_LIMIT,
            batch: None,
            read_timeout: None,
            control_timeout: DEFAULT_CONTROL_TIMEOUT,
            scratch: wire::recv_buffer(),
            stats: SocketStats::default(),
        };
        s.sock
            .bind(&SocketAddr::new(0, 0))
            .map_err(|e| NetlinkError::io(Request::Open, e))?;
        match mode {
            Mode::ReadOnly => {
                s.sock
                    .add_membership(AUDIT_NLGRP_READLOG)
                    .map_err(|e| NetlinkError::io(Request::JoinReadLog, e))?;
            }
            Mode::Daemon => s.register()?,
            Mode::Control => {}
        }
        Ok(s)
    }

    fn register(&mut self) -> Result<(), NetlinkError> {
        let me = std::process::id();
        let current = self.status()?.pid;
        if current != 0 && pid_alive(current) {
            return Err(NetlinkError::AlreadyRegistered { pid: current });
        }
        // a registered pid that is gone: the kernel tests the old connection
        // on this request and takes ours if it is dead
        match self.set_pid(me) {
            Ok(()) => Ok(()),
            Err(NetlinkError::KernelRejected { errno, .. }) if errno == libc::EEXIST => {
                let pid = self.status().map(|s| s.pid).unwrap_or(current);
                Err(NetlinkError::AlreadyRegistered { pid })
            }
            Err(e) => {
                // no answer, yet the kernel may have taken the pid: then own
                // the registration so that dropping the socket undoes it
                if matches!(e, NetlinkError::NoReply { .. } | NetlinkError::Io { .. })
                    && matches!(self.status(), Ok(s) if s.pid == me)
                {
                    self.note_pid(me);
                }
                Err(e)
            }
        }
    }

    /// The mode the socket was opened in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The pid this socket registered as the audit daemon, while it holds it.
    pub fn registered_pid(&self) -> Option<u32> {
        self.registered_pid
    }

    pub(crate) fn note_pid(&mut self, pid: u32) {
        self.registered_pid = if pid == 0 { None } else { Some(pid) };
    }

    /// Sets the receive buffer size in bytes and returns the size the kernel
    /// actually set (it doubles the request for bookkeeping).
    ///
    /// Uses `SO_RCVBUFFORCE` (which may exceed `net.core.rmem_max`; needs
    /// `CAP_NET_ADMIN`) and falls back to `SO_RCVBUF` (capped at `rmem_max`).
    pub fn set_receive_buffer(&mut self, bytes: usize) -> Result<usize, NetlinkError> {
        if let Err(e) = sys::set_rcvbuf_force(self.sock.as_fd(), bytes) {
            if !(is_errno(&e, libc::EPERM) || is_errno(&e, libc::EACCES)) {
                return Err(NetlinkError::io(Request::SetReceiveBuffer, e));
            }
            let v: libc::c_int = bytes.min(libc::c_int::MAX as usize) as libc::c_int;
            self.sock
                .set_rx_buf_sz(v)
                .map_err(|e| NetlinkError::io(Request::SetReceiveBuffer, e))?;
        }
        self.receive_buffer()
    }

    /// The receive buffer size in bytes, as the kernel reports it.
    pub fn receive_buffer(&self) -> Result<usize, NetlinkError> {
        self.sock
            .get_rx_buf_sz()
            .map_err(|e| NetlinkError::io(Request::SetReceiveBuffer, e))
    }

    /// Sets how long [`recv`](Self::recv) waits for a datagram before it
    /// returns [`Received::Timeout`]; `None` waits forever. A timeout lets a
    /// caller flush timed-out events while idle and notice a stop request.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), NetlinkError> {
        let timeout = timeout.filter(|d| !d.is_zero());
        sys::set_rcvtimeo(self.sock.as_fd(), timeout)
            .map_err(|e| NetlinkError::io(Request::SetReadTimeout, e))?;
        self.read_timeout = timeout;
        Ok(())
    }

    /// The read timeout set by [`set_read_timeout`](Self::set_read_timeout).
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// Sets how long control calls wait for the kernel's answer
    /// (default [`DEFAULT_CONTROL_TIMEOUT`]).
    pub fn set_control_timeout(&mut self, timeout: Duration) {
        self.control_timeout = timeout.max(Duration::from_millis(1));
    }

    /// Sets how many records that arrive during a control call are kept for
    /// [`recv`](Self::recv) (default [`DEFAULT_QUEUE_LIMIT`]); more are
    /// dropped and counted in [`SocketStats::queue_dropped`].
    pub fn set_queue_limit(&mut self, datagrams: usize) {
        self.queue_limit = datagrams;
    }

    /// What the socket received and dropped so far.
    pub fn stats(&self) -> SocketStats {
        self.stats
    }

    /// Receives the next audit datagram into `buf`, blocking up to the read
    /// timeout.
    ///
    /// `buf` should hold [`RECV_BUFFER_LEN`] bytes ([`recv_buffer`](super::recv_buffer)
    /// allocates one); a larger datagram is reported as [`Received::Truncated`].
    /// Datagrams from other ports than the kernel's and stray control replies
    /// are dropped and counted, never returned. Records that arrived during a
    /// control call come first, in their order.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<Received, NetlinkError> {
        self.recv_flags(buf, 0)
    }

    /// Like [`recv`](Self::recv), but returns [`Received::WouldBlock`] at once
    /// when no datagram is waiting.
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<Received, NetlinkError> {
        self.recv_flags(buf, libc::MSG_DONTWAIT)
    }

    fn recv_flags(&mut self, buf: &mut [u8], flags: libc::c_int) -> Result<Received, NetlinkError> {
        loop {
            // 1. What the last recvmmsg took, in order.
            if let Some((bytes, len, port)) = self.batch.as_mut().and_then(|b| b.pop()) {
                if port != 0 {
                    self.stats.foreign_dropped += 1;
                    continue;
                }
                if len > bytes.len() || len > buf.len() {
                    self.stats.truncated += 1;
                    return Ok(Received::Truncated(len));
                }
                let Some(h) = wire::header(bytes) else {
                    self.stats.runts += 1;
                    continue;
                };
                if !is_record_type(RecordType(h.ty)) {
                    self.stats.stale_replies += 1;
                    continue;
                }
                buf[..len].copy_from_slice(bytes);
                self.stats.datagrams += 1;
                return Ok(Received::Datagram(len));
            }
            // 2. Records that arrived during control calls (after the batch).
            if let Some(q) = self.queue.pop_front() {
                return Ok(match q {
                    Queued::Overrun => Received::Overrun,
                    Queued::Truncated(n) => Received::Truncated(n),
                    Queued::Datagram(d) if d.len() > buf.len() => {
                        self.stats.truncated += 1;
                        Received::Truncated(d.len())
                    }
                    Queued::Datagram(d) => {
                        buf[..d.len()].copy_from_slice(&d);
                        self.stats.datagrams += 1;
                        Received::Datagram(d.len())
                    }
                });
            }
            // 3. The socket: everything waiting, in one syscall. Blocking
            // receives wait (up to the read timeout) for the first datagram
            // only (MSG_WAITFORONE).
            let batch = self
                .batch
                .get_or_insert_with(|| Box::new(sys::RecvBatch::new(RECV_BUFFER_LEN)));
            let nonblocking = flags & libc::MSG_DONTWAIT != 0;
            let wait = if nonblocking {
                libc::MSG_DONTWAIT
            } else {
                libc::MSG_WAITFORONE
            };
            match sys::recvmmsg(self.sock.as_fd(), batch, wait) {
                Ok(_) => self.stats.receive_calls += 1,
                Err(e) => {
                    return match e.raw_os_error() {
                        Some(libc::EAGAIN) if nonblocking => Ok(Received::WouldBlock),
                        Some(libc::EAGAIN) => Ok(Received::Timeout),
                        Some(libc::EINTR) => Ok(Received::Interrupted),
                        Some(libc::ENOBUFS) => {
                            self.stats.overruns += 1;
                            Ok(Received::Overrun)
                        }
                        _ => Err(NetlinkError::io(Request::Receive, e)),
                    };
                }
            }
        }
    }

    /// Keeps a record that arrived during a control call for [`recv`](Self::recv),
    /// or counts it dropped when the queue is full.
    pub(super) fn enqueue(&mut self, q: Queued) {
        if self.queue.len() >= self.queue_limit {
            self.stats.queue_dropped += 1;
        } else {
            if matches!(q, Queued::Datagram(_)) {
                self.stats.queued += 1;
            }
            self.queue.push_back(q);
        }
    }

    /// Unregisters this process as the audit daemon if this socket registered
    /// it (nothing otherwise).
    pub fn unregister(&mut self) -> Result<(), NetlinkError> {
        if self.registered_pid.is_some() {
            self.set_pid(0)?;
        }
        Ok(())
    }

    /// Closes the socket, unregistering the daemon pid first if this socket
    /// registered it. Dropping the socket does the same, ignoring errors.
    pub fn close(mut self) -> Result<(), NetlinkError> {
        self.unregister()
    }
}

impl std::fmt::Debug for AuditSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSocket")
            .field("mode", &self.mode)
            .field("registered_pid", &self.registered_pid)
            .field("queued", &self.queue.len())
            .field("read_timeout", &self.read_timeout)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl AsFd for AuditSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl Drop for AuditSocket {
    fn drop(&mut self) {
        if self.registered_pid.is_some() {
            self.control_timeout = self.control_timeout.min(Duration::from_secs(1));
            if self.set_pid(0).is_err() {
                // one retry: a burst of records may have delayed the ack
                let _ = self.set_pid(0);
            }
        }
    }
}
