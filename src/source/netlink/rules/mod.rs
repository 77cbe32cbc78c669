//! Audit rules: a typed [`Rule`] with a builder, auditctl-style text in both
//! directions, and the kernel's `audit_rule_data` encoding.
//!
//! One room per idea: `vocab.rs` (lists, actions, operators), `field.rs`
//! (fields, conditions, syscalls), `build.rs` (builder and validation),
//! `standard.rs` (the standard rule set), `text.rs` (parsing auditctl text),
//! `display.rs` (writing it), `wire.rs` (`audit_rule_data`), `control.rs`
//! (adding, deleting and listing rules over the socket).

mod build;
mod control;
mod display;
mod field;
mod standard;
mod text;
mod vocab;
mod wire;

use std::str::FromStr;

use super::error::RuleError;
use super::uapi;
use crate::decode::Arch;

pub use field::{Condition, RuleField, Syscalls};
pub use vocab::{Action, List, Op};

/// The key length limit of the kernel (`AUDIT_MAX_KEY_LEN`), all keys together.
pub const MAX_KEY_LEN: usize = uapi::AUDIT_MAX_KEY_LEN;

/// The field limit of the kernel (`AUDIT_MAX_FIELDS`), keys and arch included.
pub const MAX_FIELDS: usize = uapi::AUDIT_MAX_FIELDS;

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

    /// The kernel's `audit_rule_data` for this rule (validated first).
    pub fn to_rule_data(&self) -> Result<Vec<u8>, RuleError> {
        wire::encode(self)
    }

    /// A rule from the kernel's `audit_rule_data` (an `AUDIT_LIST_RULES` reply).
    pub fn from_rule_data(data: &[u8]) -> Result<Rule, RuleError> {
        wire::decode(data)
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Rule, RuleError> {
        Rule::parse(s)
    }
}
