//! Kernel audit status: `AUDIT_GET` and the `AUDIT_SET` setters.

use super::control::Expect;
use super::error::{NetlinkError, Request};
use super::socket::AuditSocket;
use super::uapi::{
    AUDIT_GET, AUDIT_SET, AUDIT_STATUS_BACKLOG_LIMIT, AUDIT_STATUS_BACKLOG_WAIT_TIME,
    AUDIT_STATUS_ENABLED, AUDIT_STATUS_FAILURE, AUDIT_STATUS_LOST, AUDIT_STATUS_PID,
    AUDIT_STATUS_RATE_LIMIT, AUDIT_STATUS_WORDS,
};

// Word indices of `struct audit_status` (u32 each, host order).
const MASK: usize = 0;
const ENABLED: usize = 1;
const FAILURE: usize = 2;
const PID: usize = 3;
const RATE_LIMIT: usize = 4;
const BACKLOG_LIMIT: usize = 5;
const LOST: usize = 6;
const BACKLOG: usize = 7;
const FEATURE_BITMAP: usize = 8;
const BACKLOG_WAIT_TIME: usize = 9;
const BACKLOG_WAIT_TIME_ACTUAL: usize = 10;

/// The shortest `struct audit_status` a kernel returns (up to `backlog`;
/// kernels before 3.14).
const AUDIT_STATUS_MIN_LEN: usize = 4 * (BACKLOG + 1);

/// An `AUDIT_SET` payload: a whole `struct audit_status` whose `mask` is
/// `mask` and whose word `index` is `value`, the rest zero.
fn encode_set(mask: u32, index: usize, value: u32) -> [u8; 4 * AUDIT_STATUS_WORDS] {
    let mut words = [0u32; AUDIT_STATUS_WORDS];
    words[MASK] = mask;
    words[index] = value;
    let mut out = [0u8; 4 * AUDIT_STATUS_WORDS];
    for (chunk, w) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_ne_bytes());
    }
    out
}

/// The kernel's audit status (`struct audit_status`, as `AUDIT_GET` returns it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Status {
    /// 0 disabled, 1 enabled, 2 enabled and locked (immutable until reboot).
    pub enabled: u32,
    /// What the kernel does when it must drop a record: 0 silent, 1 printk, 2 panic.
    pub failure: u32,
    /// The registered audit daemon's pid, 0 when none.
    pub pid: u32,
    /// Records per second the kernel sends at most, 0 for no limit.
    pub rate_limit: u32,
    /// Records the kernel queues at most before it waits, then drops.
    pub backlog_limit: u32,
    /// Records the kernel dropped since boot or the last reset (a counter).
    pub lost: u32,
    /// Records queued in the kernel now.
    pub backlog: u32,
    /// Bitmap of kernel audit features (kernels since 3.14).
    pub feature_bitmap: Option<u32>,
    /// How long (in jiffies) a task waits for room in a full backlog before
    /// the record is dropped (kernels since 3.14).
    pub backlog_wait_time: Option<u32>,
    /// Jiffies tasks have spent waiting for backlog room (kernels since 5.10).
    pub backlog_wait_time_actual: Option<u32>,
}

impl Status {
    /// Whether auditing is on (enabled 1 or 2).
    pub fn is_enabled(&self) -> bool {
        self.enabled != 0
    }

    /// Whether the configuration is locked (enabled 2): no rule or status
    /// change is possible until reboot.
    pub fn is_locked(&self) -> bool {
        self.enabled == 2
    }

    /// The failure mode, if it is one of the three the kernel knows.
    pub fn failure_mode(&self) -> Option<FailureMode> {
        FailureMode::from_raw(self.failure)
    }

    /// Decodes an `AUDIT_GET` reply payload (a `struct audit_status` of at
    /// least 32 bytes; the words older kernels lack are `None`).
    pub(crate) fn parse(p: &[u8]) -> Option<Status> {
        if p.len() < AUDIT_STATUS_MIN_LEN {
            return None;
        }
        let word = |i: usize| -> Option<u32> {
            let b = p.get(i * 4..i * 4 + 4)?;
            Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        Some(Status {
            enabled: word(ENABLED)?,
            failure: word(FAILURE)?,
            pid: word(PID)?,
            rate_limit: word(RATE_LIMIT)?,
            backlog_limit: word(BACKLOG_LIMIT)?,
            lost: word(LOST)?,
            backlog: word(BACKLOG)?,
            feature_bitmap: word(FEATURE_BITMAP),
            backlog_wait_time: word(BACKLOG_WAIT_TIME),
            backlog_wait_time_actual: word(BACKLOG_WAIT_TIME_ACTUAL),
        })
    }
}

/// What the kernel does when it cannot send or queue a record (`-f` of auditctl).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureMode {
    /// Drop silently (0).
    Silent,
    /// Log to the kernel log (1, the default).
    Printk,
    /// Panic the machine (2).
    Panic,
}

impl FailureMode {
    /// The kernel's number for the mode.
    pub fn raw(self) -> u32 {
        match self {
            FailureMode::Silent => 0,
            FailureMode::Printk => 1,
            FailureMode::Panic => 2,
        }
    }

    /// The mode of a kernel number.
    pub fn from_raw(v: u32) -> Option<Self> {
        match v {
            0 => Some(FailureMode::Silent),
            1 => Some(FailureMode::Printk),
            2 => Some(FailureMode::Panic),
            _ => None,
        }
    }
}

impl AuditSocket {
    /// Reads the kernel's audit status (`AUDIT_GET`).
    pub fn status(&mut self) -> Result<Status, NetlinkError> {
        let replies = self.transact(Request::GetStatus, AUDIT_GET, &[], Expect::Reply)?;
        let p = replies.first().map(Vec::as_slice).unwrap_or_default();
        Status::parse(p).ok_or(NetlinkError::MalformedReply {
            request: Request::GetStatus,
            what: "short audit_status",
        })
    }

    /// Sends `AUDIT_SET` with `mask` and word `index` set to `value`.
    fn set_status(
        &mut self,
        request: Request,
        mask: u32,
        index: usize,
        value: u32,
    ) -> Result<(), NetlinkError> {
        let payload = encode_set(mask, index, value);
        self.transact(request, AUDIT_SET, &payload, Expect::Ack)
            .map(drop)
    }

    /// Turns auditing on or off (`auditctl -e 1|0`). Fails with
    /// [`NetlinkError::PermissionDenied`] when the configuration is locked.
    pub fn set_enabled(&mut self, enabled: bool) -> Result<(), NetlinkError> {
        let enabled = u32::from(enabled);
        self.set_status(Request::SetEnabled, AUDIT_STATUS_ENABLED, ENABLED, enabled)
    }

    /// Sets the failure mode (`auditctl -f`).
    pub fn set_failure(&mut self, mode: FailureMode) -> Result<(), NetlinkError> {
        self.set_status(
            Request::SetFailure,
            AUDIT_STATUS_FAILURE,
            FAILURE,
            mode.raw(),
        )
    }

    /// Sets the rate limit in records per second, 0 for none (`auditctl -r`).
    pub fn set_rate_limit(&mut self, per_second: u32) -> Result<(), NetlinkError> {
        let mask = AUDIT_STATUS_RATE_LIMIT;
        self.set_status(Request::SetRateLimit, mask, RATE_LIMIT, per_second)
    }

    /// Sets the backlog limit in records (`auditctl -b`).
    pub fn set_backlog_limit(&mut self, records: u32) -> Result<(), NetlinkError> {
        let mask = AUDIT_STATUS_BACKLOG_LIMIT;
        self.set_status(Request::SetBacklogLimit, mask, BACKLOG_LIMIT, records)
    }

    /// Sets how long, in jiffies, a task waits for backlog room before its
    /// record is dropped; 0 drops at once (`auditctl --backlog_wait_time`).
    pub fn set_backlog_wait_time(&mut self, jiffies: u32) -> Result<(), NetlinkError> {
        let mask = AUDIT_STATUS_BACKLOG_WAIT_TIME;
        self.set_status(
            Request::SetBacklogWaitTime,
            mask,
            BACKLOG_WAIT_TIME,
            jiffies,
        )
    }

    /// Sets the kernel's `lost` counter back to 0 (`auditctl --reset-lost`;
    /// the kernel logs a CONFIG_CHANGE with the old value).
    pub fn reset_lost(&mut self) -> Result<(), NetlinkError> {
        self.set_status(Request::ResetLost, AUDIT_STATUS_LOST, LOST, 0)
    }

    /// Registers `pid` as the audit daemon, or unregisters with 0.
    ///
    /// The kernel accepts only the calling process's own pid, refuses with
    /// `EEXIST` while another daemon is registered, and lets only the
    /// registered process unregister. Records are then unicast to *this*
    /// socket; the socket remembers the registration and undoes it on
    /// [`close`](AuditSocket::close) or drop. [`AuditSocket::open`] with
    /// [`Mode::Daemon`](super::Mode::Daemon) calls this.
    pub fn set_pid(&mut self, pid: u32) -> Result<(), NetlinkError> {
        self.set_status(Request::SetPid, AUDIT_STATUS_PID, PID, pid)?;
        self.note_pid(pid);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_status_lengths() {
        let words: Vec<u8> = (0u32..11).flat_map(|w| (w * 10).to_ne_bytes()).collect();
        let s = Status::parse(&words).unwrap();
        assert_eq!((s.enabled, s.pid, s.backlog), (10, 30, 70));
        assert_eq!(s.backlog_wait_time_actual, Some(100));
        let old = Status::parse(&words[..32]).unwrap();
        assert_eq!((old.feature_bitmap, old.backlog_wait_time), (None, None));
        assert!(Status::parse(&words[..31]).is_none());
        assert_eq!(FailureMode::from_raw(2), Some(FailureMode::Panic));
    }

    #[test]
    fn set_payload_layout() {
        let p = encode_set(AUDIT_STATUS_PID, PID, 4242);
        assert_eq!(p.len(), 44); // sizeof(struct audit_status)
        let words: Vec<u32> = p
            .chunks_exact(4)
            .map(|w| u32::from_ne_bytes(w.try_into().unwrap()))
            .collect();
        assert_eq!(words, [4, 0, 0, 4242, 0, 0, 0, 0, 0, 0, 0]);
        let p = encode_set(AUDIT_STATUS_BACKLOG_WAIT_TIME, BACKLOG_WAIT_TIME, 7);
        assert_eq!(Status::parse(&p).unwrap().backlog_wait_time, Some(7));
    }
}
