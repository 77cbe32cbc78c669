//! Audit rules: a typed [`Rule`] with a builder, auditctl-style text in both
//! directions, and the kernel's `audit_rule_data` encoding.

mod control;
mod text;
mod wire;

use std::fmt;
use std::str::FromStr;

use super::error::{RuleError, RuleErrorKind};
use super::uapi;
use crate::decode::Arch;
use crate::tables;

/// The key length limit of the kernel (`AUDIT_MAX_KEY_LEN`), all keys together.
pub const MAX_KEY_LEN: usize = uapi::AUDIT_MAX_KEY_LEN;

/// The field limit of the kernel (`AUDIT_MAX_FIELDS`), keys and arch included.
pub const MAX_FIELDS: usize = uapi::AUDIT_MAX_FIELDS;

/// The filter list a rule belongs to (the first half of `-a list,action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum List {
    /// `user`: user-space messages sent to the kernel.
    User,
    /// `task`: at fork/clone.
    Task,
    /// `exit`: at syscall exit, the list of syscall rules.
    Exit,
    /// `exclude`: records to drop by type.
    Exclude,
    /// `filesystem`: by filesystem type.
    Filesystem,
    /// `io_uring`: io_uring operations.
    IoUring,
}

impl List {
    /// The kernel's list number (`AUDIT_FILTER_*`).
    pub fn raw(self) -> u32 {
        match self {
            List::User => uapi::AUDIT_FILTER_USER,
            List::Task => uapi::AUDIT_FILTER_TASK,
            List::Exit => uapi::AUDIT_FILTER_EXIT,
            List::Exclude => uapi::AUDIT_FILTER_EXCLUDE,
            List::Filesystem => uapi::AUDIT_FILTER_FS,
            List::IoUring => uapi::AUDIT_FILTER_URING_EXIT,
        }
    }

    /// The list of a kernel list number.
    pub fn from_raw(v: u32) -> Option<Self> {
        [
            List::User,
            List::Task,
            List::Exit,
            List::Exclude,
            List::Filesystem,
            List::IoUring,
        ]
        .into_iter()
        .find(|l| l.raw() == v)
    }

    /// The name auditctl uses.
    pub fn name(self) -> &'static str {
        match self {
            List::User => "user",
            List::Task => "task",
            List::Exit => "exit",
            List::Exclude => "exclude",
            List::Filesystem => "filesystem",
            List::IoUring => "io_uring",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        [
            List::User,
            List::Task,
            List::Exit,
            List::Exclude,
            List::Filesystem,
            List::IoUring,
        ]
        .into_iter()
        .find(|l| l.name() == s)
    }

    /// Whether rules of this list filter by syscall (`-S`).
    pub fn takes_syscalls(self) -> bool {
        matches!(self, List::Exit | List::IoUring)
    }
}

/// What a matching rule does (the second half of `-a list,action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `never`: no record.
    Never,
    /// `always`: a record.
    Always,
}

impl Action {
    /// The kernel's number (`AUDIT_NEVER`, `AUDIT_ALWAYS`).
    pub fn raw(self) -> u32 {
        match self {
            Action::Never => uapi::AUDIT_NEVER,
            Action::Always => uapi::AUDIT_ALWAYS,
        }
    }

    /// The action of a kernel number.
    pub fn from_raw(v: u32) -> Option<Self> {
        match v {
            uapi::AUDIT_NEVER => Some(Action::Never),
            uapi::AUDIT_ALWAYS => Some(Action::Always),
            _ => None,
        }
    }

    /// The name auditctl uses.
    pub fn name(self) -> &'static str {
        match self {
            Action::Never => "never",
            Action::Always => "always",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        match s {
            "never" => Some(Action::Never),
            "always" => Some(Action::Always),
            _ => None,
        }
    }
}

/// An arch as auditctl writes it in a rule: `b64` and `b32` for the
/// machine's own arches ([`Arch::B64`], [`Arch::B32`]), else the name
/// (`aarch64`), else `0x` and the hex value.
pub(super) struct AuditctlArch(pub(super) Arch);

impl fmt::Display for AuditctlArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arch = self.0;
        if arch.0 != 0 && arch == Arch::B64 {
            f.write_str("b64")
        } else if arch.0 != 0 && arch == Arch::B32 {
            f.write_str("b32")
        } else if let Some(n) = arch.name() {
            f.write_str(n)
        } else {
            write!(f, "0x{:x}", arch.0)
        }
    }
}

/// A comparison operator of a `-F` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `<`
    Less,
    /// `>`
    Greater,
    /// `<=`
    LessOrEqual,
    /// `>=`
    GreaterOrEqual,
    /// `&`: any of the bits set.
    BitMask,
    /// `&=`: all of the bits set.
    BitTest,
}

const OPS: [Op; 8] = [
    // longest symbols first, for parsing
    Op::NotEqual,
    Op::LessOrEqual,
    Op::GreaterOrEqual,
    Op::BitTest,
    Op::Equal,
    Op::Less,
    Op::Greater,
    Op::BitMask,
];

impl Op {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Less => "<",
            Op::Greater => ">",
            Op::LessOrEqual => "<=",
            Op::GreaterOrEqual => ">=",
            Op::BitMask => "&",
            Op::BitTest => "&=",
        }
    }

    /// The kernel's operator bits (`AUDIT_EQUAL`, ...).
    pub fn raw(self) -> u32 {
        match self {
            Op::Equal => uapi::AUDIT_EQUAL,
            Op::NotEqual => uapi::AUDIT_NOT_EQUAL,
            Op::Less => uapi::AUDIT_LESS_THAN,
            Op::Greater => uapi::AUDIT_GREATER_THAN,
            Op::LessOrEqual => uapi::AUDIT_LESS_THAN_OR_EQUAL,
            Op::GreaterOrEqual => uapi::AUDIT_GREATER_THAN_OR_EQUAL,
            Op::BitMask => uapi::AUDIT_BIT_MASK,
            Op::BitTest => uapi::AUDIT_BIT_TEST,
        }
    }

    /// The operator of kernel operator bits.
    pub fn from_raw(v: u32) -> Option<Self> {
        OPS.into_iter().find(|o| o.raw() == v)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// How a numeric field's value is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
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
const TEXT_FIELDS: &[(u32, &str)] = &[
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
const UNSUPPORTED_FIELDS: &[&str] = &[
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

    fn kind(self) -> ValueKind {
        FIELDS
            .iter()
            .find(|e| e.0 == self)
            .map(|e| e.3)
            .unwrap_or(ValueKind::Number)
    }
}

impl fmt::Display for RuleField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "field{}", self.raw()),
        }
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

/// An audit rule, as `auditctl -a` takes and `auditctl -l` shows it.
///
/// Made with the builder ([`Rule::exit_always`], ...) or parsed from text
/// ([`Rule::parse`]); shown as auditctl text by `Display`; equal rules encode
/// to the same kernel rule, and [`AuditSocket::list_rules`](super::AuditSocket::list_rules)
/// returns rules equal to those added.
///
/// ```
/// use auditstream::decode::Arch;
/// use auditstream::source::netlink::{RuleField, Op, Rule};
///
/// let built = Rule::exit_always()
///     .arch(Arch::B64)
///     .syscalls(&["execve", "execveat"])?
///     .filter(RuleField::Auid, Op::NotEqual, u32::MAX)
///     .key("exec");
/// let parsed: Rule = "-a always,exit -F arch=b64 -S execve,execveat -F auid!=unset -k exec".parse()?;
/// assert_eq!(built, parsed);
/// assert_eq!(
///     built.to_string(),
///     "-a always,exit -F arch=b64 -S execve,execveat -F auid!=-1 -F key=exec"
/// );
/// # Ok::<(), auditstream::source::netlink::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    list: List,
    action: Action,
    prepend: bool,
    syscalls: Syscalls,
    conditions: Vec<Condition>,
}

impl Rule {
    /// An empty rule for `list` and `action`.
    pub fn new(list: List, action: Action) -> Rule {
        Rule {
            list,
            action,
            prepend: false,
            syscalls: Syscalls::Empty,
            conditions: Vec::new(),
        }
    }

    /// An empty `-a always,exit` rule (add `arch` and `syscalls`).
    pub fn exit_always() -> Rule {
        Rule::new(List::Exit, Action::Always)
    }

    /// An empty `-a never,exit` rule.
    pub fn exit_never() -> Rule {
        Rule::new(List::Exit, Action::Never)
    }

    /// Puts the rule at the head of its list (`-A` instead of `-a`).
    pub fn prepend(mut self) -> Rule {
        self.prepend = true;
        self
    }

    /// Adds `-F arch=arch`. Set it before [`syscalls`](Self::syscalls): it
    /// names the table syscall names resolve in.
    pub fn arch(mut self, arch: Arch) -> Rule {
        self.conditions.push(Condition::Field {
            field: RuleField::Arch,
            op: Op::Equal,
            value: arch.0,
        });
        self
    }

    /// Adds syscalls by name in the rule's arch (`"all"` for every syscall).
    /// Fails on a name the arch does not have, or when no arch is set.
    pub fn syscalls(mut self, names: &[&str]) -> Result<Rule, RuleError> {
        let mut numbers = Vec::with_capacity(names.len());
        for name in names {
            if *name == "all" {
                self.syscalls = Syscalls::All;
                continue;
            }
            numbers.push(self.resolve_syscall(name, None)?);
        }
        Ok(self.syscall_numbers(&numbers))
    }

    fn resolve_syscall(&self, name: &str, position: Option<usize>) -> Result<u32, RuleError> {
        let arch = self
            .primary_arch()
            .ok_or_else(|| RuleError::new(RuleErrorKind::SyscallNeedsArch, position, name))?;
        if let Ok(n) = name.parse::<u32>() {
            return Ok(n);
        }
        arch.syscall_number(name).ok_or_else(|| {
            RuleError::new(
                RuleErrorKind::UnknownSyscall,
                position,
                format!("{name} ({})", AuditctlArch(arch)),
            )
        })
    }

    /// Adds syscalls by number (in the rule's arch).
    pub fn syscall_numbers(mut self, numbers: &[u32]) -> Rule {
        match &mut self.syscalls {
            Syscalls::All => {}
            Syscalls::Empty if numbers.is_empty() => {}
            Syscalls::Empty => {
                let mut v = numbers.to_vec();
                v.sort_unstable();
                v.dedup();
                self.syscalls = Syscalls::Numbers(v);
            }
            Syscalls::Numbers(v) => {
                v.extend_from_slice(numbers);
                v.sort_unstable();
                v.dedup();
            }
        }
        self
    }

    /// Makes the rule apply to every syscall (`-S all`).
    pub fn all_syscalls(mut self) -> Rule {
        self.syscalls = Syscalls::All;
        self
    }

    /// Adds `-F field op value`.
    pub fn filter(mut self, field: RuleField, op: Op, value: u32) -> Rule {
        self.conditions.push(Condition::Field { field, op, value });
        self
    }

    /// Adds a key (`-k key`). Several keys share one kernel field.
    /// Keys are checked when the rule is encoded: not empty, no whitespace or
    /// byte 0x01, at most [`MAX_KEY_LEN`] bytes in all.
    pub fn key(mut self, key: &str) -> Rule {
        for cond in &mut self.conditions {
            if let Condition::Key(keys) = cond {
                keys.push(key.to_owned());
                return self;
            }
        }
        self.conditions.push(Condition::Key(vec![key.to_owned()]));
        self
    }

    /// The filter list.
    pub fn list(&self) -> List {
        self.list
    }

    /// The action.
    pub fn action(&self) -> Action {
        self.action
    }

    /// Whether the rule goes to the head of its list (`-A`).
    pub fn is_prepend(&self) -> bool {
        self.prepend
    }

    /// The syscalls.
    pub fn syscall_set(&self) -> &Syscalls {
        &self.syscalls
    }

    /// The conditions, in kernel field order.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The first `-F arch=` (the arch the syscall numbers belong to).
    pub fn primary_arch(&self) -> Option<Arch> {
        self.conditions.iter().find_map(|c| match c {
            Condition::Field {
                field: RuleField::Arch,
                op: Op::Equal,
                value,
            } => Some(Arch(*value)),
            _ => None,
        })
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.conditions
            .iter()
            .filter_map(|c| match c {
                Condition::Key(k) => Some(k.iter().map(String::as_str)),
                _ => None,
            })
            .flatten()
    }

    /// Parses auditctl text, e.g.
    /// `-a always,exit -F arch=b64 -S execve,execveat -F auid>=1000 -k exec`.
    ///
    /// Takes `-a`/`-A list,action` (either order), `-S` (names, numbers,
    /// `all`; needs `-F arch=`), `-F` on the numeric fields of [`RuleField`] and
    /// `key`, and `-k`. Anything else (`-w`, `-C`, paths, user names, ...)
    /// is a [`RuleError`] naming the token, never a different rule.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        text::parse(text)
    }

    /// Checks what the kernel would refuse or what would not round-trip:
    /// exit rules need `-S`, only syscall lists take `-S`, keys, field count.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.list.takes_syscalls() && self.syscalls == Syscalls::Empty {
            return Err(RuleError::new(RuleErrorKind::MissingSyscalls, None, ""));
        }
        // `-S all` is harmless (and seen from other tools) on other lists
        if !self.list.takes_syscalls() && matches!(self.syscalls, Syscalls::Numbers(_)) {
            return Err(RuleError::new(
                RuleErrorKind::SyscallsNotAllowed,
                None,
                self.list.name(),
            ));
        }
        if let Syscalls::Numbers(v) = &self.syscalls {
            if let Some(n) = v.iter().find(|n| **n >= wire::SYSCALL_BITS) {
                return Err(RuleError::new(
                    RuleErrorKind::UnknownSyscall,
                    None,
                    n.to_string(),
                ));
            }
        }
        if self.conditions.len() > MAX_FIELDS {
            return Err(RuleError::new(RuleErrorKind::TooManyFields, None, ""));
        }
        let mut key_conditions = 0;
        for cond in &self.conditions {
            if let Condition::Key(keys) = cond {
                key_conditions += 1;
                let total: usize = keys
                    .iter()
                    .map(|k| k.len() + 1)
                    .sum::<usize>()
                    .saturating_sub(1);
                let bad = keys
                    .iter()
                    .find(|k| k.is_empty() || k.bytes().any(|b| b == 1 || b.is_ascii_whitespace()));
                if let Some(k) = bad {
                    return Err(RuleError::new(RuleErrorKind::BadKey, None, k.clone()));
                }
                if keys.is_empty() || total > MAX_KEY_LEN || key_conditions > 1 {
                    return Err(RuleError::new(RuleErrorKind::BadKey, None, keys.join(",")));
                }
            }
        }
        Ok(())
    }

    /// The kernel's `audit_rule_data` for this rule (validated first).
    pub fn to_rule_data(&self) -> Result<Vec<u8>, RuleError> {
        wire::encode(self)
    }

    /// A rule from the kernel's `audit_rule_data` (an `AUDIT_LIST_RULES` reply).
    pub fn from_rule_data(data: &[u8]) -> Result<Rule, RuleError> {
        wire::decode(data)
    }

    /// The exec and network rules for the machine's 64- and 32-bit arches
    /// ([`Arch::B64`], [`Arch::B32`]), keys `exec` and `net`:
    ///
    /// ```text
    /// -a always,exit -F arch=b64 -S execve,execveat -F key=exec
    /// -a always,exit -F arch=b64 -S connect,accept,bind,accept4 -F key=net   (x86_64 order)
    /// -a always,exit -F arch=b32 -S execve,execveat -F key=exec
    /// -a always,exit -F arch=b32 -S <direct connect, bind, accept4, accept> -F key=net
    /// -a always,exit -F arch=b32 -S socketcall -F a0>=2 -F a0<=5 -F key=net   (bind, connect, listen, accept)
    /// -a always,exit -F arch=b32 -S socketcall -F a0=18 -F key=net            (accept4)
    /// ```
    ///
    /// Inbound connections (`accept`, `accept4`) are in: a network view with
    /// outbound connects only is half of one; on a busy server they are the
    /// bulk of the records, so drop them from the list if that matters.
    /// Syscalls an arch does not have (i386 has no direct `accept`; the
    /// 32-bit `socketcall` only exists on some arches) are left out, as is
    /// the 32-bit part on machines without a compat arch.
    pub fn standard_set() -> Vec<Rule> {
        let mut rules = Vec::new();
        for arch in [Arch::B64, Arch::B32] {
            if arch.0 == 0 {
                continue;
            }
            let have = |names: &[&'static str]| -> Vec<u32> {
                names
                    .iter()
                    .filter_map(|n| arch.syscall_number(n))
                    .collect()
            };
            let exec = have(&["execve", "execveat"]);
            if !exec.is_empty() {
                rules.push(
                    Rule::exit_always()
                        .arch(arch)
                        .syscall_numbers(&exec)
                        .key("exec"),
                );
            }
            let net = have(&["connect", "bind", "accept", "accept4"]);
            if !net.is_empty() {
                rules.push(
                    Rule::exit_always()
                        .arch(arch)
                        .syscall_numbers(&net)
                        .key("net"),
                );
            }
            if let Some(socketcall) = arch.syscall_number("socketcall") {
                // SYS_BIND 2, SYS_CONNECT 3, SYS_LISTEN 4, SYS_ACCEPT 5; SYS_ACCEPT4 18
                rules.push(
                    Rule::exit_always()
                        .arch(arch)
                        .syscall_numbers(&[socketcall])
                        .filter(RuleField::A0, Op::GreaterOrEqual, 2)
                        .filter(RuleField::A0, Op::LessOrEqual, 5)
                        .key("net"),
                );
                rules.push(
                    Rule::exit_always()
                        .arch(arch)
                        .syscall_numbers(&[socketcall])
                        .filter(RuleField::A0, Op::Equal, 18)
                        .key("net"),
                );
            }
        }
        rules
    }

    fn fmt_syscalls(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.syscalls {
            Syscalls::Empty => Ok(()),
            Syscalls::All => f.write_str(" -S all"),
            Syscalls::Numbers(v) => {
                let arch = self.primary_arch().unwrap_or(Arch(0));
                for (i, n) in v.iter().enumerate() {
                    f.write_str(if i == 0 { " -S " } else { "," })?;
                    match arch.syscall_name(*n) {
                        Some(name) => f.write_str(name)?,
                        None => write!(f, "{n}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

fn fmt_value(f: &mut fmt::Formatter<'_>, field: RuleField, value: u32) -> fmt::Result {
    match field.kind() {
        // as auditctl -l prints them
        ValueKind::Id if value == u32::MAX => f.write_str("-1"),
        ValueKind::Id | ValueKind::Number => write!(f, "{value}"),
        ValueKind::Hex => write!(f, "0x{value:X}"),
        ValueKind::Exit => {
            let v = value as i32;
            match tables::errno_name(v.unsigned_abs()) {
                Some(name) if v < 0 => write!(f, "-{name}"),
                _ => write!(f, "{v}"),
            }
        }
        ValueKind::Arch => write!(f, "{}", AuditctlArch(Arch(value))),
        ValueKind::MsgType => match u16::try_from(value).ok().and_then(tables::record_type_name) {
            Some(name) if tables::record_type_from_name(name.as_bytes()) == Some(value as u16) => {
                f.write_str(name)
            }
            _ => write!(f, "{value}"),
        },
        ValueKind::Perm => {
            if value == 0 || value & !0xf != 0 {
                return write!(f, "{value}");
            }
            for (bit, ch) in [(4, 'r'), (2, 'w'), (1, 'x'), (8, 'a')] {
                if value & bit != 0 {
                    write!(f, "{ch}")?;
                }
            }
            Ok(())
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Field { field, op, value } => {
                write!(f, "-F {field}{op}")?;
                fmt_value(f, *field, *value)
            }
            Condition::Key(keys) => {
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "-F key={k}")?;
                }
                Ok(())
            }
            Condition::Text { field, op, value } => {
                match TEXT_FIELDS.iter().find(|e| e.0 == *field) {
                    Some((_, name)) => write!(f, "-F {name}{op}")?,
                    None => write!(f, "-F field{field}{op}")?,
                }
                write!(f, "{}", String::from_utf8_lossy(value))
            }
        }
    }
}

impl fmt::Display for Rule {
    /// The rule as auditctl text, in `auditctl -l` order: `-a action,list`,
    /// the first `-F arch=`, `-S`, then the other conditions as stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = if self.prepend { "-A" } else { "-a" };
        write!(f, "{opt} {},{}", self.action.name(), self.list.name())?;
        let arch_at = self.conditions.iter().position(|c| {
            matches!(
                c,
                Condition::Field {
                    field: RuleField::Arch,
                    op: Op::Equal,
                    ..
                }
            )
        });
        if arch_at.is_none() {
            self.fmt_syscalls(f)?;
        }
        for (i, cond) in self.conditions.iter().enumerate() {
            write!(f, " {cond}")?;
            if Some(i) == arch_at {
                self.fmt_syscalls(f)?;
            }
        }
        Ok(())
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Rule, RuleError> {
        Rule::parse(s)
    }
}
