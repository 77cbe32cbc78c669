//! A socket that undoes its changes to the kernel: rules added, status changed,
//! daemon pid registered.

use super::error::NetlinkError;
use super::rules::Rule;
use super::socket::{AuditSocket, Mode, Received};
use super::status::{FailureMode, Status};

/// Status fields as they were before this session first changed them.
#[derive(Debug, Default, Clone, Copy)]
struct Saved {
    enabled: Option<u32>,
    failure: Option<u32>,
    rate_limit: Option<u32>,
    backlog_limit: Option<u32>,
    backlog_wait_time: Option<u32>,
}

/// An [`AuditSocket`] that remembers what it changed in the kernel and puts
/// it back: [`close`](AuditSession::close) deletes the rules it added,
/// restores every status field it set (enabled last but one), and unregisters
/// the daemon pid (last). Dropping an unclosed session does the same, best
/// effort, so an early return or a panic leaves the kernel as found.
///
/// Changes made through [`socket_mut`](AuditSession::socket_mut) are not
/// tracked (except the daemon pid, which the socket itself undoes).
///
/// ```no_run
/// use auditstream::source::netlink::{recv_buffer, AuditSession, Mode, Received, Rule};
///
/// let mut session = AuditSession::open(Mode::Daemon)?;
/// session.set_backlog_limit(8192)?;
/// session.add_rules(&Rule::standard_set())?;
/// session.set_enabled(true)?;
/// let mut buf = recv_buffer();
/// if let Received::Datagram(n) = session.recv(&mut buf)? {
///     println!("{}", String::from_utf8_lossy(&buf[16..n]));
/// }
/// session.close()?; // rules deleted, audit disabled, backlog and pid restored
/// # Ok::<(), auditstream::source::netlink::NetlinkError>(())
/// ```
#[derive(Debug)]
pub struct AuditSession {
    socket: AuditSocket,
    saved: Saved,
    added: Vec<Rule>,
    closed: bool,
}

impl AuditSession {
    /// Opens a socket in `mode` (see [`AuditSocket::open`]) and tracks it.
    pub fn open(mode: Mode) -> Result<Self, NetlinkError> {
        Ok(Self::from_socket(AuditSocket::open(mode)?))
    }

    /// Tracks changes made from now on through an open socket.
    pub fn from_socket(socket: AuditSocket) -> Self {
        AuditSession {
            socket,
            saved: Saved::default(),
            added: Vec::new(),
            closed: false,
        }
    }

    /// The socket.
    pub fn socket(&self) -> &AuditSocket {
        &self.socket
    }

    /// The socket, for calls the session does not wrap; status and rule
    /// changes made through it are not undone.
    pub fn socket_mut(&mut self) -> &mut AuditSocket {
        &mut self.socket
    }

    /// Receives the next datagram; see [`AuditSocket::recv`].
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<Received, NetlinkError> {
        self.socket.recv(buf)
    }

    /// Reads the kernel's audit status.
    pub fn status(&mut self) -> Result<Status, NetlinkError> {
        self.socket.status()
    }

    fn save(
        &mut self,
        pick: fn(&mut Saved) -> &mut Option<u32>,
        get: fn(&Status) -> Option<u32>,
    ) -> Result<(), NetlinkError> {
        if pick(&mut self.saved).is_none() {
            let status = self.socket.status()?;
            *pick(&mut self.saved) = get(&status);
        }
        Ok(())
    }

    /// Turns auditing on or off; restored on close.
    pub fn set_enabled(&mut self, enabled: bool) -> Result<(), NetlinkError> {
        self.save(|s| &mut s.enabled, |st| Some(st.enabled))?;
        self.socket.set_enabled(enabled)
    }

    /// Sets the failure mode; restored on close.
    pub fn set_failure(&mut self, mode: FailureMode) -> Result<(), NetlinkError> {
        self.save(|s| &mut s.failure, |st| Some(st.failure))?;
        self.socket.set_failure(mode)
    }

    /// Sets the rate limit; restored on close.
    pub fn set_rate_limit(&mut self, per_second: u32) -> Result<(), NetlinkError> {
        self.save(|s| &mut s.rate_limit, |st| Some(st.rate_limit))?;
        self.socket.set_rate_limit(per_second)
    }

    /// Sets the backlog limit; restored on close.
    pub fn set_backlog_limit(&mut self, records: u32) -> Result<(), NetlinkError> {
        self.save(|s| &mut s.backlog_limit, |st| Some(st.backlog_limit))?;
        self.socket.set_backlog_limit(records)
    }

    /// Sets the backlog wait time (jiffies); restored on close.
    pub fn set_backlog_wait_time(&mut self, jiffies: u32) -> Result<(), NetlinkError> {
        self.save(|s| &mut s.backlog_wait_time, |st| st.backlog_wait_time)?;
        self.socket.set_backlog_wait_time(jiffies)
    }

    /// Adds a rule; deleted on close.
    pub fn add_rule(&mut self, rule: &Rule) -> Result<(), NetlinkError> {
        self.socket.add_rule(rule)?;
        self.added.push(rule.clone());
        Ok(())
    }

    /// Adds rules in order, stopping at the first error (those added before
    /// it stay added, and are deleted on close).
    pub fn add_rules(&mut self, rules: &[Rule]) -> Result<(), NetlinkError> {
        rules.iter().try_for_each(|r| self.add_rule(r))
    }

    /// Deletes a rule (and forgets it if this session added it).
    pub fn delete_rule(&mut self, rule: &Rule) -> Result<(), NetlinkError> {
        self.socket.delete_rule(rule)?;
        if let Some(i) = self.added.iter().rposition(|r| r == rule) {
            self.added.remove(i);
        }
        Ok(())
    }

    /// The rules the kernel has (ours and others').
    pub fn list_rules(&mut self) -> Result<Vec<Rule>, NetlinkError> {
        self.socket.list_rules()
    }

    /// The rules this session added and has not deleted, in order.
    pub fn added_rules(&self) -> &[Rule] {
        &self.added
    }

    /// Deletes every rule this session added, newest first. A rule someone
    /// else already deleted (`ENOENT`) counts as deleted. Tries all; returns
    /// the first error.
    pub fn delete_all_rules_added_by_us(&mut self) -> Result<(), NetlinkError> {
        let mut first = None;
        while let Some(rule) = self.added.pop() {
            match self.socket.delete_rule(&rule) {
                Ok(()) => {}
                Err(NetlinkError::KernelRejected { errno, .. }) if errno == libc::ENOENT => {}
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Puts back everything this session changed. Tries every step; returns
    /// the first error.
    fn restore(&mut self) -> Result<(), NetlinkError> {
        let mut first: Option<NetlinkError> = None;
        let mut note = |r: Result<(), NetlinkError>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        // rules first, so nothing new is audited while the rest is undone
        note(self.delete_all_rules_added_by_us());
        let saved = std::mem::take(&mut self.saved);
        if let Some(v) = saved.enabled {
            note(self.socket.set_enabled(v != 0));
        }
        if let Some(v) = saved.failure {
            if let Some(mode) = FailureMode::from_raw(v) {
                note(self.socket.set_failure(mode));
            }
        }
        if let Some(v) = saved.rate_limit {
            note(self.socket.set_rate_limit(v));
        }
        if let Some(v) = saved.backlog_limit {
            note(self.socket.set_backlog_limit(v));
        }
        if let Some(v) = saved.backlog_wait_time {
            note(self.socket.set_backlog_wait_time(v));
        }
        // last: the daemon keeps receiving until everything else is undone
        note(self.socket.unregister());
        first.map_or(Ok(()), Err)
    }

    /// Restores the kernel (see [`AuditSession`]) and closes the socket.
    pub fn close(mut self) -> Result<(), NetlinkError> {
        self.closed = true;
        self.restore()
    }
}

impl Drop for AuditSession {
    fn drop(&mut self) {
        if !self.closed {
            let _ = self.restore();
        }
    }
}
