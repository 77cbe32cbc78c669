//! auditctl-style rule text: `-a always,exit -F arch=b64 -S execve -k exec`.

use super::field::{ValueKind, UNSUPPORTED_FIELDS};
use super::vocab::OPS;
use super::{Action, Condition, List, Op, Rule, RuleField, Syscalls};
use crate::decode::Arch;
use crate::source::netlink::error::{RuleError, RuleErrorKind as K};
use crate::tables;

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let base = text.as_ptr() as usize;
    text.split_ascii_whitespace()
        .map(move |t| (t.as_ptr() as usize - base, t))
}

pub(super) fn parse(text: &str) -> Result<Rule, RuleError> {
    let mut toks = tokens(text);
    let mut rule: Option<Rule> = None;
    let mut conditions = Vec::new();
    let mut keys: Option<usize> = None; // index of the Key condition
    let mut names: Vec<(usize, &str)> = Vec::new();
    let mut all = false;
    let mut saw_any = false;

    while let Some((pos, tok)) = toks.next() {
        saw_any = true;
        let mut value = |opt: &str| -> Result<(usize, &str), RuleError> {
            toks.next()
                .ok_or_else(|| RuleError::new(K::MissingValue, Some(pos), opt))
        };
        match tok {
            "-a" | "-A" => {
                let (vpos, v) = value(tok)?;
                if rule.is_some() {
                    return Err(RuleError::new(K::MissingList, Some(pos), tok));
                }
                let mut r = parse_list_action(vpos, v)?;
                if tok == "-A" {
                    r = r.prepend();
                }
                rule = Some(r);
            }
            "-S" => {
                let (vpos, v) = value(tok)?;
                for (off, name) in split_commas(v) {
                    if name.is_empty() {
                        return Err(RuleError::new(K::UnknownSyscall, Some(vpos + off), v));
                    }
                    if name == "all" {
                        all = true;
                    } else {
                        names.push((vpos + off, name));
                    }
                }
            }
            "-k" => {
                let (_, v) = value(tok)?;
                push_key(&mut conditions, &mut keys, v);
            }
            "-F" => {
                let (vpos, v) = value(tok)?;
                match parse_field(vpos, v)? {
                    Parsed::Key(k) => push_key(&mut conditions, &mut keys, k),
                    Parsed::Cond(c) => conditions.push(c),
                }
            }
            _ => return Err(RuleError::new(K::UnknownOption, Some(pos), tok)),
        }
    }
    if !saw_any {
        return Err(RuleError::new(K::Empty, Some(0), ""));
    }
    let mut rule = rule.ok_or_else(|| RuleError::new(K::MissingList, None, ""))?;
    rule.conditions = conditions;
    if all {
        rule.syscalls = Syscalls::All;
    }
    let mut numbers = Vec::with_capacity(names.len());
    for (pos, name) in names {
        numbers.push(rule.resolve_syscall(name, Some(pos))?);
    }
    let rule = rule.syscall_numbers(&numbers);
    rule.validate()?;
    Ok(rule)
}

fn push_key(conditions: &mut Vec<Condition>, at: &mut Option<usize>, key: &str) {
    match *at {
        Some(i) => {
            if let Condition::Key(k) = &mut conditions[i] {
                k.push(key.to_owned());
            }
        }
        None => {
            *at = Some(conditions.len());
            conditions.push(Condition::Key(vec![key.to_owned()]));
        }
    }
}

fn split_commas(v: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut off = 0;
    v.split(',').map(move |part| {
        let at = off;
        off += part.len() + 1;
        (at, part)
    })
}

fn parse_list_action(pos: usize, v: &str) -> Result<Rule, RuleError> {
    let Some((a, b)) = v.split_once(',') else {
        return Err(RuleError::new(K::UnknownList, Some(pos), v));
    };
    if let (Some(list), Some(action)) = (List::from_name(a), Action::from_name(b)) {
        return Ok(Rule::new(list, action));
    }
    if let (Some(action), Some(list)) = (Action::from_name(a), List::from_name(b)) {
        return Ok(Rule::new(list, action));
    }
    // name the half that is wrong
    let is_list = |s: &str| List::from_name(s).is_some();
    let is_action = |s: &str| Action::from_name(s).is_some();
    let (kind, bad, off) = if is_list(a) {
        (K::UnknownAction, b, a.len() + 1)
    } else if is_action(a) {
        (K::UnknownList, b, a.len() + 1)
    } else if is_list(b) {
        (K::UnknownAction, a, 0)
    } else {
        (K::UnknownList, a, 0)
    };
    Err(RuleError::new(kind, Some(pos + off), bad))
}

enum Parsed<'a> {
    Key(&'a str),
    Cond(Condition),
}

fn parse_field(pos: usize, v: &str) -> Result<Parsed<'_>, RuleError> {
    let op_at = v
        .find(['=', '!', '<', '>', '&'])
        .ok_or_else(|| RuleError::new(K::BadOperator, Some(pos), v))?;
    let name = &v[..op_at];
    let rest = &v[op_at..];
    let op = OPS
        .into_iter()
        .find(|o| rest.starts_with(o.symbol()))
        .ok_or_else(|| RuleError::new(K::BadOperator, Some(pos + op_at), v))?;
    let vpos = pos + op_at + op.symbol().len();
    let value = &rest[op.symbol().len()..];
    if name == "key" {
        if op != Op::Equal {
            return Err(RuleError::new(K::BadOperator, Some(pos + op_at), v));
        }
        return Ok(Parsed::Key(value));
    }
    let field = match RuleField::from_name(name) {
        Some(f) => f,
        None if UNSUPPORTED_FIELDS.contains(&name) => {
            return Err(RuleError::new(K::UnsupportedField, Some(pos), name));
        }
        None => return Err(RuleError::new(K::UnknownField, Some(pos), name)),
    };
    let eq_only = matches!(
        field,
        RuleField::Arch | RuleField::Success | RuleField::Perm
    );
    if eq_only && !matches!(op, Op::Equal | Op::NotEqual) {
        return Err(RuleError::new(K::BadOperator, Some(pos + op_at), v));
    }
    if value.is_empty() {
        return Err(RuleError::new(K::BadValue, Some(vpos), v));
    }
    let bad = |kind| RuleError::new(kind, Some(vpos), value);
    let n = match field.kind() {
        ValueKind::Id => match value {
            "unset" | "-1" => Some(u32::MAX),
            _ => value.parse::<u32>().ok(),
        },
        ValueKind::Exit => parse_exit(value),
        ValueKind::Number | ValueKind::Hex => parse_number(value),
        ValueKind::Arch => Some(parse_arch(value).ok_or_else(|| bad(K::UnknownArch))?.0),
        ValueKind::MsgType => parse_number(value)
            .or_else(|| tables::record_type_from_name(value.as_bytes()).map(u32::from)),
        ValueKind::Perm => parse_perm(value),
    };
    let value = n.ok_or_else(|| bad(K::BadValue))?;
    Ok(Parsed::Cond(Condition::Field { field, op, value }))
}

/// An arch as auditctl's `-F arch=` takes it: `b64` and `b32` (the
/// machine's own arches, [`Arch::B64`] and [`Arch::B32`]), a name as
/// [`Arch::from_name`] takes it (`x86_64`, `aarch64`, ...), `i486`, `i586`
/// or `i686` for `i386`, or a `0x` hex value. Never `Arch(0)`.
fn parse_arch(name: &str) -> Option<Arch> {
    let arch = match name {
        "b64" => Arch::B64,
        "b32" => Arch::B32,
        "i486" | "i586" | "i686" => Arch::I386,
        _ => match name.strip_prefix("0x") {
            Some(hex) => Arch(u32::from_str_radix(hex, 16).ok()?),
            None => Arch::from_name(name)?,
        },
    };
    (arch.0 != 0).then_some(arch)
}

/// Decimal, `0x` hex, or a negative decimal (two's complement).
fn parse_number(v: &str) -> Option<u32> {
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if v.starts_with('-') {
        return v.parse::<i32>().ok().map(|n| n as u32);
    }
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u32>().ok()
}

/// A syscall return value: signed decimal, or an errno name (`-ENOENT`).
fn parse_exit(v: &str) -> Option<u32> {
    if let Some(n) = parse_number(v) {
        return Some(n);
    }
    let (neg, name) = match v.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, v),
    };
    let e = i32::try_from(tables::errno_number(name)?).ok()?;
    Some(if neg {
        e.wrapping_neg() as u32
    } else {
        e as u32
    })
}

fn parse_perm(v: &str) -> Option<u32> {
    let mut bits = 0;
    for ch in v.chars() {
        bits |= match ch {
            'r' => 4,
            'w' => 2,
            'x' => 1,
            'a' => 8,
            _ => return None,
        };
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::netlink::error::RuleErrorKind;

    fn b64() -> Rule {
        Rule::exit_always().arch(Arch::B64)
    }

    #[test]
    fn good_rules() {
        let cases: Vec<(&str, Rule)> = vec![
            (
                "-a always,exit -F arch=b64 -S execve,execveat -F key=exec",
                b64().syscalls(&["execve", "execveat"]).unwrap().key("exec"),
            ),
            (
                "-a exit,always -F arch=b64 -S execve -S execveat -k exec",
                b64().syscalls(&["execveat", "execve"]).unwrap().key("exec"),
            ),
            (
                "-a always,exit -F arch=b64 -S connect -F auid>=1000 -F auid!=-1 -k net",
                b64()
                    .syscalls(&["connect"])
                    .unwrap()
                    .filter(RuleField::Auid, Op::GreaterOrEqual, 1000)
                    .filter(RuleField::Auid, Op::NotEqual, u32::MAX)
                    .key("net"),
            ),
            (
                "-a always,exit -F arch=b64 -S openat -F auid!=unset -F uid=0 -F success=1",
                b64()
                    .syscalls(&["openat"])
                    .unwrap()
                    .filter(RuleField::Auid, Op::NotEqual, u32::MAX)
                    .filter(RuleField::Uid, Op::Equal, 0)
                    .filter(RuleField::Success, Op::Equal, 1),
            ),
            (
                "-a always,exit -F arch=b64 -S openat -F exit=-2",
                b64().syscalls(&["openat"]).unwrap().filter(
                    RuleField::Exit,
                    Op::Equal,
                    (-2i32) as u32,
                ),
            ),
            (
                "-a always,exit -F arch=b64 -S openat -F exit=-EACCES",
                b64().syscalls(&["openat"]).unwrap().filter(
                    RuleField::Exit,
                    Op::Equal,
                    (-13i32) as u32,
                ),
            ),
            (
                "-a always,exit -F arch=b32 -S execve -k a -k b",
                Rule::exit_always()
                    .arch(Arch::B32)
                    .syscalls(&["execve"])
                    .unwrap()
                    .key("a")
                    .key("b"),
            ),
            ("-a never,exit -S all", Rule::exit_never().all_syscalls()),
            (
                "-a always,exit -F arch=b64 -S all -F pid=1",
                b64().all_syscalls().filter(RuleField::Pid, Op::Equal, 1),
            ),
            (
                "-a always,exit -F arch=b64 -S 59",
                b64().syscall_numbers(&[59]),
            ),
            (
                "  -A always,exit  -F arch=b64\t-S socket -F a0&=0x2  ",
                b64().prepend().syscalls(&["socket"]).unwrap().filter(
                    RuleField::A0,
                    Op::BitTest,
                    2,
                ),
            ),
            (
                "-a never,exclude -F msgtype=CWD",
                Rule::new(List::Exclude, Action::Never).filter(RuleField::MsgType, Op::Equal, 1307),
            ),
            (
                "-a always,task -F ses<5",
                Rule::new(List::Task, Action::Always).filter(RuleField::Ses, Op::Less, 5),
            ),
            (
                "-a always,exit -F arch=x86_64 -S execve -F loginuid=1000 -F sessionid>0",
                Rule::exit_always()
                    .arch(Arch::X86_64)
                    .syscalls(&["execve"])
                    .unwrap()
                    .filter(RuleField::Auid, Op::Equal, 1000)
                    .filter(RuleField::Ses, Op::Greater, 0),
            ),
        ];
        for (text, want) in cases {
            let got = Rule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn arch_aliases() {
        let cases = [
            ("b64", Some(Arch::B64)),
            ("b32", Some(Arch::B32)),
            ("x86_64", Some(Arch::X86_64)),
            ("i686", Some(Arch::I386)),
            ("i386", Some(Arch::I386)),
            ("aarch64", Some(Arch::AARCH64)),
            ("0xc000003e", Some(Arch::X86_64)),
            ("0x0", None),
            ("b99", None),
            ("X86_64", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_arch(text), want, "{text}");
        }
    }

    #[test]
    fn bad_rules() {
        use RuleErrorKind as E;
        // (text, kind, token, what the text holds at the error's position)
        let cases: &[(&str, E, &str, Option<&str>)] = &[
            ("", E::Empty, "", Some("")),
            (
                "-a always,exit -F arch=b64 -S execve -w /etc",
                E::UnknownOption,
                "-w",
                Some("-w /etc"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -D",
                E::UnknownOption,
                "-D",
                Some("-D"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve exec",
                E::UnknownOption,
                "exec",
                Some("exec"),
            ),
            (
                "-a always,exit -F arch=b64 -S",
                E::MissingValue,
                "-S",
                Some("-S"),
            ),
            ("-F arch=b64 -S execve", E::MissingList, "", None),
            (
                "-a always,exit -a never,exit -S all",
                E::MissingList,
                "-a",
                Some("-a never"),
            ),
            (
                "-a always,exot -S all",
                E::UnknownList,
                "exot",
                Some("exot"),
            ),
            (
                "-a alwayz,exit -S all",
                E::UnknownAction,
                "alwayz",
                Some("alwayz"),
            ),
            (
                "-a exit,alwayz -S all",
                E::UnknownAction,
                "alwayz",
                Some("alwayz"),
            ),
            ("-a always -S all", E::UnknownList, "always", Some("always")),
            (
                "-a always,exit -F arch=b64 -S execve -F colour=red",
                E::UnknownField,
                "colour",
                Some("colour"),
            ),
            (
                "-a always,exit -F arch=b64 -S openat -F path=/etc/shadow",
                E::UnsupportedField,
                "path",
                Some("path="),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -F auid",
                E::BadOperator,
                "auid",
                Some("auid"),
            ),
            (
                "-a always,exit -F arch>b64 -S execve",
                E::BadOperator,
                "arch>b64",
                Some(">b64"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -F key!=x",
                E::BadOperator,
                "key!=x",
                Some("!=x"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -F uid=root",
                E::BadValue,
                "root",
                Some("root"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -F uid=",
                E::BadValue,
                "uid=",
                Some(""),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -F uid=4294967296",
                E::BadValue,
                "4294967296",
                Some("4294967296"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve -F exit=-ENOPE",
                E::BadValue,
                "-ENOPE",
                Some("-ENOPE"),
            ),
            (
                "-a always,exit -F arch=b99 -S execve",
                E::UnknownArch,
                "b99",
                Some("b99"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve,exceve",
                E::UnknownSyscall,
                "exceve (b64)",
                Some("exceve"),
            ),
            (
                "-a always,exit -F arch=b64 -S execve,",
                E::UnknownSyscall,
                "execve,",
                Some(""),
            ),
            (
                "-a always,exit -S execve -k exec",
                E::SyscallNeedsArch,
                "execve",
                Some("execve -k"),
            ),
            (
                "-a always,exit -S 59",
                E::SyscallNeedsArch,
                "59",
                Some("59"),
            ),
            (
                "-a always,exit -F arch=b64 -k exec",
                E::MissingSyscalls,
                "",
                None,
            ),
            (
                "-a never,exclude -F arch=b64 -S execve",
                E::SyscallsNotAllowed,
                "exclude",
                None,
            ),
            (
                "-a always,exit -F arch=b64 -S execve -k has\u{1}ctl",
                E::BadKey,
                "has\u{1}ctl",
                None,
            ),
        ];
        for (text, kind, token, anchor) in cases {
            let e = Rule::parse(text).expect_err(text);
            assert_eq!((e.kind, e.token.as_str()), (*kind, *token), "{text}: {e}");
            match (anchor, e.position) {
                (Some(a), Some(p)) => assert!(text[p..].starts_with(a), "{text}: at {p}: {e}"),
                (None, None) => {}
                (a, p) => panic!("{text}: position {p:?}, want {a:?}"),
            }
        }
        let long = format!(
            "-a always,exit -F arch=b64 -S execve -k {}",
            "k".repeat(257)
        );
        assert_eq!(Rule::parse(&long).unwrap_err().kind, E::BadKey);
    }
}
