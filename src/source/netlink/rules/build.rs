//! Building a rule: the builder methods and [`Rule::validate`].

use super::display::AuditctlArch;
use super::{
    wire, Action, Condition, List, Op, Rule, RuleField, Syscalls, MAX_FIELDS, MAX_KEY_LEN,
};
use crate::decode::Arch;
use crate::source::netlink::error::{RuleError, RuleErrorKind};

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

    pub(super) fn resolve_syscall(
        &self,
        name: &str,
        position: Option<usize>,
    ) -> Result<u32, RuleError> {
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
}
