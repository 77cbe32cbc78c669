//! Rules as auditctl text, in `auditctl -l` form: `Display` for [`Rule`],
//! its conditions, fields and operators, and arches as rules name them.

use std::fmt;

use super::field::{ValueKind, TEXT_FIELDS};
use super::{Condition, Op, Rule, RuleField, Syscalls};
use crate::decode::Arch;
use crate::tables;

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

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
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

impl Rule {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trip() {
        let texts = [
            "-a always,exit -F arch=b64 -S execve,execveat -F key=exec",
            "-a always,exit -F arch=b32 -S execve -F key=a -F key=b",
            "-a always,exit -F arch=b64 -S connect -F auid>=1000 -F auid!=-1 -F key=net",
            "-a always,exit -F arch=b64 -S openat -F exit=-ENOENT -F success=0",
            "-a never,exit -S all",
            "-A always,exit -F arch=b64 -S socket -F a0&=0x2",
            "-a always,exit -F uid=0 -F arch=b32 -S socketcall -F a0>=0x2 -F a0<=0x5 -F a1&0xFF -F key=net",
            "-a never,exclude -F msgtype=CWD",
            "-a always,exit -F arch=b64 -S 1999",
        ];
        for text in texts {
            let rule = Rule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(rule.to_string(), text);
            assert_eq!(Rule::parse(&rule.to_string()).unwrap(), rule);
        }
        // normalising forms print as auditctl -l does
        let r = Rule::parse("-a exit,always -S execve -F arch=b64 -k exec -F exit=-2").unwrap();
        assert_eq!(
            r.to_string(),
            "-a always,exit -F arch=b64 -S execve -F key=exec -F exit=-ENOENT"
        );
    }
}
