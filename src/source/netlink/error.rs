//! Errors of the netlink source: socket, control requests and rules.

use std::fmt;
use std::io;

/// A control request sent to the kernel, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// Opening or binding the `NETLINK_AUDIT` socket.
    Open,
    /// Joining the read-only multicast group `AUDIT_NLGRP_READLOG`.
    JoinReadLog,
    /// Setting the socket's receive buffer size.
    SetReceiveBuffer,
    /// Setting the socket's receive timeout.
    SetReadTimeout,
    /// Receiving a datagram.
    Receive,
    /// `AUDIT_GET`: read the status.
    GetStatus,
    /// `AUDIT_SET` with `AUDIT_STATUS_ENABLED`.
    SetEnabled,
    /// `AUDIT_SET` with `AUDIT_STATUS_FAILURE`.
    SetFailure,
    /// `AUDIT_SET` with `AUDIT_STATUS_PID`.
    SetPid,
    /// `AUDIT_SET` with `AUDIT_STATUS_RATE_LIMIT`.
    SetRateLimit,
    /// `AUDIT_SET` with `AUDIT_STATUS_BACKLOG_LIMIT`.
    SetBacklogLimit,
    /// `AUDIT_SET` with `AUDIT_STATUS_BACKLOG_WAIT_TIME`.
    SetBacklogWaitTime,
    /// `AUDIT_SET` with `AUDIT_STATUS_LOST` (reset the lost counter).
    ResetLost,
    /// `AUDIT_ADD_RULE`.
    AddRule,
    /// `AUDIT_DEL_RULE`.
    DeleteRule,
    /// `AUDIT_LIST_RULES`.
    ListRules,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Request::Open => "open NETLINK_AUDIT socket",
            Request::JoinReadLog => "join AUDIT_NLGRP_READLOG",
            Request::SetReceiveBuffer => "set receive buffer size",
            Request::SetReadTimeout => "set receive timeout",
            Request::Receive => "receive",
            Request::GetStatus => "AUDIT_GET",
            Request::SetEnabled => "AUDIT_SET enabled",
            Request::SetFailure => "AUDIT_SET failure",
            Request::SetPid => "AUDIT_SET pid",
            Request::SetRateLimit => "AUDIT_SET rate_limit",
            Request::SetBacklogLimit => "AUDIT_SET backlog_limit",
            Request::SetBacklogWaitTime => "AUDIT_SET backlog_wait_time",
            Request::ResetLost => "AUDIT_SET reset lost",
            Request::AddRule => "AUDIT_ADD_RULE",
            Request::DeleteRule => "AUDIT_DEL_RULE",
            Request::ListRules => "AUDIT_LIST_RULES",
        })
    }
}

/// An error of the audit netlink socket or of a control request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetlinkError {
    /// A system call on the socket failed.
    #[error("{request}: {source}")]
    Io {
        /// What was being done.
        request: Request,
        /// The operating system error (see `raw_os_error()` for the errno).
        #[source]
        source: io::Error,
    },
    /// The kernel has no audit support (`NETLINK_AUDIT` is not available).
    #[error("the kernel has no audit support (NETLINK_AUDIT: {0})")]
    Unsupported(#[source] io::Error),
    /// Another process is registered as the audit daemon.
    #[error("another process (pid {pid}) is registered as the audit daemon")]
    AlreadyRegistered {
        /// The registered daemon's pid (for example auditd's).
        pid: u32,
    },
    /// The request needs a capability this process lacks
    /// (`CAP_AUDIT_CONTROL` for control, `CAP_AUDIT_READ` for read-only mode).
    #[error("{request}: permission denied (needs CAP_AUDIT_CONTROL or CAP_AUDIT_READ)")]
    PermissionDenied {
        /// The refused request.
        request: Request,
    },
    /// The kernel answered a control request with an error.
    #[error("{request}: the kernel rejected it: {}", io::Error::from_raw_os_error(*errno))]
    KernelRejected {
        /// The positive errno the kernel returned.
        errno: i32,
        /// The rejected request.
        request: Request,
    },
    /// No answer from the kernel to a control request in time.
    #[error("{request}: no answer from the kernel in time")]
    NoReply {
        /// The request left unanswered.
        request: Request,
    },
    /// The kernel's answer could not be decoded.
    #[error("{request}: malformed reply from the kernel ({what})")]
    MalformedReply {
        /// The request whose answer was malformed.
        request: Request,
        /// What was wrong with it.
        what: &'static str,
    },
    /// A rule is invalid (text or builder).
    #[error(transparent)]
    BadRule(#[from] RuleError),
}

impl NetlinkError {
    /// Maps an errno answered by the kernel (positive) to a typed error.
    pub(crate) fn from_kernel(errno: i32, request: Request) -> Self {
        if errno == libc::EPERM || errno == libc::EACCES {
            NetlinkError::PermissionDenied { request }
        } else {
            NetlinkError::KernelRejected { errno, request }
        }
    }

    /// Maps a failed system call to a typed error.
    pub(crate) fn io(request: Request, source: io::Error) -> Self {
        match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => NetlinkError::PermissionDenied { request },
            _ => NetlinkError::Io { request, source },
        }
    }

    /// Whether trying again may succeed: an interrupted, timed-out or
    /// overrun receive, or a control request the kernel did not answer in
    /// time.
    pub fn is_transient(&self) -> bool {
        match self {
            NetlinkError::Io { source, .. } => {
                crate::source::is_transient(source)
                    || matches!(
                        source.raw_os_error(),
                        Some(libc::EINTR | libc::EAGAIN | libc::ENOBUFS | libc::ETIMEDOUT)
                    )
            }
            NetlinkError::NoReply { .. } => true,
            _ => false,
        }
    }

    /// The errno behind this error, if there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            NetlinkError::Io { source, .. } | NetlinkError::Unsupported(source) => {
                source.raw_os_error()
            }
            NetlinkError::KernelRejected { errno, .. } => Some(*errno),
            NetlinkError::PermissionDenied { .. } => Some(libc::EPERM),
            NetlinkError::AlreadyRegistered { .. } => Some(libc::EEXIST),
            _ => None,
        }
    }
}

/// What is wrong with a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The text is empty.
    Empty,
    /// An option auditctl has but this library does not take (`-w`, `-D`, ...)
    /// or one that does not exist.
    UnknownOption,
    /// An option is missing its value (`-S` at the end).
    MissingValue,
    /// No `-a`/`-A` list,action pair was given, or it was given twice.
    MissingList,
    /// `-a` names an unknown list (`exit`, `task`, `user`, `exclude`, `filesystem`).
    UnknownList,
    /// `-a` names an unknown action (`always`, `never`).
    UnknownAction,
    /// `-F` names a field this library does not know.
    UnknownField,
    /// `-F` names a field auditctl knows but this library does not encode
    /// (paths, SELinux labels, `perm`, ...).
    UnsupportedField,
    /// `-F` has no operator or an operator the field does not take.
    BadOperator,
    /// `-F` has a value that does not fit the field (a user name, `abc` for a
    /// number, a value out of range).
    BadValue,
    /// `-F arch=` names an unknown architecture.
    UnknownArch,
    /// `-S` names a syscall that does not exist on the rule's architecture.
    UnknownSyscall,
    /// `-S` by name or number without a `-F arch=` to resolve it.
    SyscallNeedsArch,
    /// An exit rule has no `-S` (write `-S all` for every syscall).
    MissingSyscalls,
    /// `-S` on a list that does not filter syscalls.
    SyscallsNotAllowed,
    /// A key is empty, holds whitespace or byte 0x01, or all keys together are
    /// longer than 256 bytes.
    BadKey,
    /// More than 64 fields (the kernel's `AUDIT_MAX_FIELDS`).
    TooManyFields,
    /// A kernel rule record (`audit_rule_data`) is malformed.
    Malformed,
}

impl fmt::Display for RuleErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleErrorKind::Empty => "empty rule",
            RuleErrorKind::UnknownOption => "unknown or unsupported option",
            RuleErrorKind::MissingValue => "option without a value",
            RuleErrorKind::MissingList => "need exactly one -a list,action",
            RuleErrorKind::UnknownList => "unknown filter list",
            RuleErrorKind::UnknownAction => "unknown action",
            RuleErrorKind::UnknownField => "unknown field",
            RuleErrorKind::UnsupportedField => "field not supported by this library",
            RuleErrorKind::BadOperator => "missing or unsupported operator",
            RuleErrorKind::BadValue => "bad value for the field",
            RuleErrorKind::UnknownArch => "unknown architecture",
            RuleErrorKind::UnknownSyscall => "unknown syscall for the rule's architecture",
            RuleErrorKind::SyscallNeedsArch => "-S needs -F arch= (b64, b32, ...)",
            RuleErrorKind::MissingSyscalls => {
                "exit rule without -S (write -S all for every syscall)"
            }
            RuleErrorKind::SyscallsNotAllowed => "-S is only allowed on the exit list",
            RuleErrorKind::BadKey => "bad key (empty, whitespace, 0x01, or over 256 bytes in all)",
            RuleErrorKind::TooManyFields => "more than 64 fields",
            RuleErrorKind::Malformed => "malformed audit_rule_data",
        })
    }
}

/// An invalid rule: what is wrong, and where in the rule text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct RuleError {
    /// What is wrong.
    pub kind: RuleErrorKind,
    /// Byte offset of the offending token in the rule text (`None` for rules
    /// made with the builder or read from the kernel).
    pub position: Option<usize>,
    /// The offending token (option, field, syscall name, value), if any.
    pub token: String,
}

impl RuleError {
    pub(crate) fn new(
        kind: RuleErrorKind,
        position: Option<usize>,
        token: impl Into<String>,
    ) -> Self {
        RuleError {
            kind,
            position,
            token: token.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad rule: {}", self.kind)?;
        if !self.token.is_empty() {
            write!(f, ": `{}`", self.token)?;
        }
        if let Some(p) = self.position {
            write!(f, " at byte {p}")?;
        }
        Ok(())
    }
}
