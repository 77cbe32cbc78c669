//! The words of a rule: its filter list and action (`-a list,action`) and
//! the comparison operators of `-F`, with their kernel numbers.

use crate::source::netlink::uapi;

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

    pub(super) fn from_name(s: &str) -> Option<Self> {
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

    pub(super) fn from_name(s: &str) -> Option<Self> {
        match s {
            "never" => Some(Action::Never),
            "always" => Some(Action::Always),
            _ => None,
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

pub(super) const OPS: [Op; 8] = [
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
