//! The standard rule set: exec and network syscalls of the machine's own
//! arches.

use super::{Op, Rule, RuleField};
use crate::decode::Arch;

impl Rule {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_set_round_trips() {
        let set = Rule::standard_set();
        assert!(set.len() >= 4, "{set:?}");
        for r in &set {
            r.validate().unwrap();
            assert_eq!(&Rule::parse(&r.to_string()).unwrap(), r, "{r}");
        }
        let texts: Vec<String> = set.iter().map(|r| r.to_string()).collect();
        if Arch::B64 == Arch::X86_64 {
            assert_eq!(
                texts,
                [
                    "-a always,exit -F arch=b64 -S execve,execveat -F key=exec",
                    "-a always,exit -F arch=b64 -S connect,accept,bind,accept4 -F key=net",
                    "-a always,exit -F arch=b32 -S execve,execveat -F key=exec",
                    "-a always,exit -F arch=b32 -S bind,connect,accept4 -F key=net",
                    "-a always,exit -F arch=b32 -S socketcall -F a0>=0x2 -F a0<=0x5 -F key=net",
                    "-a always,exit -F arch=b32 -S socketcall -F a0=0x12 -F key=net",
                ]
            );
        }
    }
}
