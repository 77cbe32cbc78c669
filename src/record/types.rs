//! Record types, timestamps and event identities.

use std::fmt;

/// An audit record type: the kernel's `nlmsg_type`, or the number behind a
/// log line's `type=NAME`.
///
/// Open ended: any `u16` is a record type; the constants name the ones this
/// crate acts on, and [`RecordType::name`] knows every type the kernel and
/// auditd define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RecordType(pub u16);

impl RecordType {
    /// A log line's `type=` name that names no type this crate knows (a newer
    /// kernel's or auditd's). The record keeps the name as written
    /// ([`Record::unrecognized_type`](crate::Record::unrecognized_type)); 0 is no audit type.
    pub const UNRECOGNIZED: RecordType = RecordType(0);
    /// `USER` (1005): a message sent by `auditctl -m`.
    pub const USER: RecordType = RecordType(1005);
    /// `LOGIN` (1006): loginuid changed.
    pub const LOGIN: RecordType = RecordType(1006);
    /// `DAEMON_START` (1200), written by auditd with its own serial.
    pub const DAEMON_START: RecordType = RecordType(1200);
    /// `DAEMON_END` (1201), written by auditd with its own serial.
    pub const DAEMON_END: RecordType = RecordType(1201);
    /// `SYSCALL` (1300): the syscall record that opens a syscall event.
    pub const SYSCALL: RecordType = RecordType(1300);
    /// `PATH` (1302): one file name the syscall touched.
    pub const PATH: RecordType = RecordType(1302);
    /// `CONFIG_CHANGE` (1305).
    pub const CONFIG_CHANGE: RecordType = RecordType(1305);
    /// `SOCKADDR` (1306): the socket address of connect/bind/accept.
    pub const SOCKADDR: RecordType = RecordType(1306);
    /// `CWD` (1307): the working directory.
    pub const CWD: RecordType = RecordType(1307);
    /// `EXECVE` (1309): the arguments of an exec.
    pub const EXECVE: RecordType = RecordType(1309);
    /// `EOE` (1320): end of a multi-record event (netlink only).
    pub const EOE: RecordType = RecordType(1320);
    /// `BPRM_FCAPS` (1321): file capabilities of an exec.
    pub const BPRM_FCAPS: RecordType = RecordType(1321);
    /// `PROCTITLE` (1327): the process title (argv, cut at 128 bytes).
    pub const PROCTITLE: RecordType = RecordType(1327);
    /// `EVENT_LISTENER` (1335): a multicast listener joined or left.
    pub const EVENT_LISTENER: RecordType = RecordType(1335);
    /// `ANOM_ABEND` (1701): a process ended with a core-dumping signal.
    pub const ANOM_ABEND: RecordType = RecordType(1701);
    /// `KERNEL` (2000): the kernel's own audit status messages.
    pub const KERNEL: RecordType = RecordType(2000);

    /// The name auditd writes for this type (`SYSCALL`), if known.
    pub fn name(self) -> Option<&'static str> {
        crate::tables::record_type_name(self.0)
    }

    /// The type whose name is `name`, as in a log line's `type=NAME`
    /// (`UNKNOWN[1999]` gives 1999).
    pub fn from_name(name: &[u8]) -> Option<RecordType> {
        if let Some(n) = crate::tables::record_type_from_name(name) {
            return Some(RecordType(n));
        }
        let digits = name.strip_prefix(b"UNKNOWN[")?.strip_suffix(b"]")?;
        parse_decimal(digits)
            .and_then(|n| u16::try_from(n).ok())
            .map(RecordType)
    }

    /// Whether a record of this type can only stand alone: user-space and
    /// daemon messages, anomalies, the kernel's own messages. Every other type
    /// may belong to a syscall event and waits for its end.
    pub fn is_standalone(self) -> bool {
        match self.0 {
            // LOGIN is logged inside the write() that changes loginuid and is
            // followed by that syscall's records; USER (1005) stands alone.
            1005 | 1007..=1299 => true,
            // FEATURE_CHANGE, REPLACE, KERN_MODULE, FANOTIFY ... (1328..) belong
            // to syscalls; the 1400s of LSMs are standalone MAC messages except
            // where the kernel attaches them to a syscall (AVC 1400 can be either).
            1406..=1419 => true,
            1700..=1799 => true,
            2000..=2099 => true,
            // User-space ranges (2100-2999: USER_AVC, TTY, integrity ...).
            2100..=2999 => true,
            _ => false,
        }
    }
}

impl fmt::Display for RecordType {
    /// The log-line name: `SYSCALL`, or `UNKNOWN[n]` for a type without a name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "UNKNOWN[{}]", self.0),
        }
    }
}

/// The time in a record header: `audit(SEC.MSEC:...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub sec: u64,
    /// Milliseconds, 0..=999.
    pub msec: u16,
}

impl Timestamp {
    /// The time in milliseconds since the epoch.
    pub fn as_millis(self) -> u64 {
        self.sec
            .saturating_mul(1000)
            .saturating_add(u64::from(self.msec))
    }
}

impl fmt::Display for Timestamp {
    /// `SEC.MSEC`, exactly as the header writes it (`1795836514.962`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.sec, self.msec)
    }
}

/// The identity of an event: its header's time and serial. Records with the same
/// `EventId` (and node) belong to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EventId {
    /// The header's time.
    pub time: Timestamp,
    /// The header's serial (the kernel's is a wrapping `u32`).
    pub serial: u32,
}

impl fmt::Display for EventId {
    /// `SEC.MSEC:SERIAL`, as inside `audit(...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.time, self.serial)
    }
}

/// Parses an unsigned decimal with no sign, no spaces and no overflow.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(RecordType::from_name(b"SYSCALL"), Some(RecordType::SYSCALL));
        assert_eq!(
            RecordType::from_name(b"UNKNOWN[1336]"),
            Some(RecordType(1336))
        );
        assert_eq!(RecordType::from_name(b"UNKNOWN[70000]"), None);
        assert_eq!(RecordType::from_name(b"UNKNOWN[]"), None);
        assert_eq!(RecordType::from_name(b"NOPE"), None);
        assert_eq!(RecordType::SYSCALL.to_string(), "SYSCALL");
        assert_eq!(RecordType(65000).to_string(), "UNKNOWN[65000]");
    }

    #[test]
    fn decimal() {
        for (s, v) in [
            (&b"0"[..], Some(0)),
            (b"42", Some(42)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"", None),
            (b"-1", None),
            (b"1a", None),
        ] {
            assert_eq!(parse_decimal(s), v, "{:?}", s);
        }
    }

    #[test]
    fn timestamp_display() {
        let t = Timestamp {
            sec: 1795836514,
            msec: 7,
        };
        assert_eq!(t.to_string(), "1795836514.007");
        assert_eq!(
            EventId { time: t, serial: 9 }.to_string(),
            "1795836514.007:9"
        );
    }
}
