//! What a rule compares and holds: the numeric fields of `-F` ([`RuleField`],
//! with its table of kernel numbers, auditctl names and value kinds), the
//! string fields kept as read from the kernel, a rule's [`Condition`]s and
//! its [`Syscalls`].

use super::Op;
use crate::source::netlink::uapi;

/// How a numeric field's value is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueKind {
    /// decimal, `-1` or `unset` for 4294967295
    Id,
    /// signed decimal or `-ENAME`
    Exit,
    /// decimal or `0x` hex
    Number,
    /// printed as `0x` hex
    Hex,
    /// an arch name
    Arch,
    /// a record type name or number
    MsgType,
    /// `rwxa` letters
    Perm,
}

/// A numeric field of a rule's `-F` comparison (`-F auid>=1000`); not to be
/// confused with a record's `key=value` field, [`crate::Field`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleField {
    /// `pid`
    Pid,
    /// `ppid`
    Ppid,
    /// `uid`
    Uid,
    /// `euid`
    Euid,
    /// `suid`
    Suid,
    /// `fsuid`
    Fsuid,
    /// `gid`
    Gid,
    /// `egid`
    Egid,
    /// `sgid`
    Sgid,
    /// `fsgid`
    Fsgid,
    /// `auid` (login uid; 4294967295, written `-1` or `unset`, is "not set")
    Auid,
    /// `loginuid_set`
    LoginuidSet,
    /// `sessionid` (also read as `ses`; 4294967295 = unset)
    Ses,
    /// `pers` (personality)
    Pers,
    /// `arch`
    Arch,
    /// `msgtype` (record type, for the exclude and user lists)
    MsgType,
    /// `devmajor`
    Devmajor,
    /// `devminor`
    Devminor,
    /// `inode`
    Inode,
    /// `exit` (syscall return value, signed)
    Exit,
    /// `success` (1 success, 0 failure)
    Success,
    /// `perm` (watch permissions `rwxa`)
    Perm,
    /// `a0`
    A0,
    /// `a1`
    A1,
    /// `a2`
    A2,
    /// `a3`
    A3,
    /// `obj_uid`
    ObjUid,
    /// `obj_gid`
    ObjGid,
    /// A numeric field this library has no name for (kernel field number),
    /// read from the kernel; printed as `fieldN`, not parsed.
    Other(u32),
}

const FIELDS: &[(RuleField, u32, &str, ValueKind)] = &[
    (RuleField::Pid, uapi::AUDIT_PID, "pid", ValueKind::Number),
    (RuleField::Ppid, uapi::AUDIT_PPID, "ppid", ValueKind::Number),
    (RuleField::Uid, uapi::AUDIT_UID, "uid", ValueKind::Id),
    (RuleField::Euid, uapi::AUDIT_EUID, "euid", ValueKind::Id),
    (RuleField::Suid, uapi::AUDIT_SUID, "suid", ValueKind::Id),
    (RuleField::Fsuid, uapi::AUDIT_FSUID, "fsuid", ValueKind::Id),
    (RuleField::Gid, uapi::AUDIT_GID, "gid", ValueKind::Id),
    (RuleField::Egid, uapi::AUDIT_EGID, "egid", ValueKind::Id),
    (RuleField::Sgid, uapi::AUDIT_SGID, "sgid", ValueKind::Id),
    (RuleField::Fsgid, uapi::AUDIT_FSGID, "fsgid", ValueKind::Id),
    (RuleField::Auid, uapi::AUDIT_LOGINUID, "auid", ValueKind::Id),
    (
        RuleField::LoginuidSet,
        uapi::AUDIT_LOGINUID_SET,
        "loginuid_set",
        ValueKind::Number,
    ),
    (
        RuleField::Ses,
        uapi::AUDIT_SESSIONID,
        "sessionid",
        ValueKind::Id,
    ),
    (RuleField::Pers, uapi::AUDIT_PERS, "pers", ValueKind::Hex),
    (RuleField::Arch, uapi::AUDIT_ARCH, "arch", ValueKind::Arch),
    (
        RuleField::MsgType,
        uapi::AUDIT_MSGTYPE,
        "msgtype",
        ValueKind::MsgType,
    ),
    (
        RuleField::Devmajor,
        uapi::AUDIT_DEVMAJOR,
        "devmajor",
        ValueKind::Number,
    ),
    (
        RuleField::Devminor,
        uapi::AUDIT_DEVMINOR,
        "devminor",
        ValueKind::Number,
    ),
    (
        RuleField::Inode,
        uapi::AUDIT_INODE,
        "inode",
        ValueKind::Number,
    ),
    (RuleField::Exit, uapi::AUDIT_EXIT, "exit", ValueKind::Exit),
    (
        RuleField::Success,
        uapi::AUDIT_SUCCESS,
        "success",
        ValueKind::Number,
    ),
    (RuleField::Perm, uapi::AUDIT_PERM, "perm", ValueKind::Perm),
    (RuleField::A0, uapi::AUDIT_ARG0, "a0", ValueKind::Hex),
    (RuleField::A1, uapi::AUDIT_ARG1, "a1", ValueKind::Hex),
    (RuleField::A2, uapi::AUDIT_ARG2, "a2", ValueKind::Hex),
    (RuleField::A3, uapi::AUDIT_ARG3, "a3", ValueKind::Hex),
    (
        RuleField::ObjUid,
        uapi::AUDIT_OBJ_UID,
        "obj_uid",
        ValueKind::Id,
    ),
    (
        RuleField::ObjGid,
        uapi::AUDIT_OBJ_GID,
        "obj_gid",
        ValueKind::Id,
    ),
];

/// String-valued kernel fields: (number, auditctl name).
pub(super) const TEXT_FIELDS: &[(u32, &str)] = &[
    (uapi::AUDIT_WATCH, "path"),
    (uapi::AUDIT_DIR, "dir"),
    (uapi::AUDIT_EXE, "exe"),
    (uapi::AUDIT_SUBJ_USER, "subj_user"),
    (uapi::AUDIT_SUBJ_ROLE, "subj_role"),
    (uapi::AUDIT_SUBJ_TYPE, "subj_type"),
    (uapi::AUDIT_SUBJ_SEN, "subj_sen"),
    (uapi::AUDIT_SUBJ_CLR, "subj_clr"),
    (uapi::AUDIT_OBJ_USER, "obj_user"),
    (uapi::AUDIT_OBJ_ROLE, "obj_role"),
    (uapi::AUDIT_OBJ_TYPE, "obj_type"),
    (uapi::AUDIT_OBJ_LEV_LOW, "obj_lev_low"),
    (uapi::AUDIT_OBJ_LEV_HIGH, "obj_lev_high"),
];

/// Names auditctl knows that this library does not encode.
pub(super) const UNSUPPORTED_FIELDS: &[&str] = &[
    "path",
    "dir",
    "exe",
    "subj_user",
    "subj_role",
    "subj_type",
    "subj_sen",
    "subj_clr",
    "obj_user",
    "obj_role",
    "obj_type",
    "obj_lev_low",
    "obj_lev_high",
    "filetype",
    "field_compare",
    "fstype",
    "saddr_fam",
    "uring_op",
];

impl RuleField {
    /// The kernel's field number (`AUDIT_UID`, ...).
    pub fn raw(self) -> u32 {
        match self {
            RuleField::Other(n) => n,
            f => FIELDS
                .iter()
                .find(|e| e.0 == f)
                .map(|e| e.1)
                .unwrap_or(u32::MAX),
        }
    }

    /// The field of a kernel field number ([`RuleField::Other`] when unnamed).
    pub fn from_raw(v: u32) -> RuleField {
        FIELDS
            .iter()
            .find(|e| e.1 == v)
            .map(|e| e.0)
            .unwrap_or(RuleField::Other(v))
    }

    /// The field of an auditctl name (`auid`; `loginuid` and `ses` are
    /// taken as `auid` and `sessionid`).
    pub fn from_name(name: &str) -> Option<RuleField> {
        let name = match name {
            "loginuid" => "auid",
            "ses" => "sessionid",
            n => n,
        };
        FIELDS.iter().find(|e| e.2 == name).map(|e| e.0)
    }

    /// The auditctl name (`None` for [`RuleField::Other`]).
    pub fn name(self) -> Option<&'static str> {
        FIELDS.iter().find(|e| e.0 == self).map(|e| e.2)
    }

    pub(super) fn kind(self) -> ValueKind {
        FIELDS
            .iter()
            .find(|e| e.0 == self)
            .map(|e| e.3)
            .unwrap_or(ValueKind::Number)
    }
}

/// One condition of a rule, in the kernel's field order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// `-F field op value` on a numeric field (value as the kernel stores it:
    /// `-1` is 4294967295, `exit=-2` is 4294967294).
    Field {
        /// The field.
        field: RuleField,
        /// The comparison.
        op: Op,
        /// The value.
        value: u32,
    },
    /// `-k key` / `-F key=key`: one or more keys (the kernel keeps them as one
    /// field, joined by byte 0x01).
    Key(Vec<String>),
    /// A string field the library does not build (`path`, `dir`, `exe`, SELinux
    /// labels), kept as read from the kernel so the rule can be shown and deleted.
    Text {
        /// The kernel field number.
        field: u32,
        /// The comparison.
        op: Op,
        /// The string.
        value: Vec<u8>,
    },
}

/// The syscalls of a rule (`-S`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Syscalls {
    /// No `-S` (rules of lists other than exit).
    #[default]
    Empty,
    /// `-S all`.
    All,
    /// These syscall numbers (sorted, no duplicates), for the rule's arch.
    Numbers(Vec<u32>),
}
