//! The kernel's `struct audit_rule_data`, through netlink-packet-audit's `RuleBuffer`.

use netlink_packet_audit::constants::{
    AUDIT_BITMASK_SIZE, AUDIT_FILTERKEY, AUDIT_FILTER_PREPEND, AUDIT_MAX_FIELDS,
};
use netlink_packet_audit::RuleBuffer;

use super::{Action, Condition, Field, List, Op, Rule, Syscalls, TEXT_FIELDS};
use crate::source::netlink::error::{RuleError, RuleErrorKind};

/// Length of `audit_rule_data` without its string buffer:
/// flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64], buflen.
pub(super) const RULE_DATA_LEN: usize = 4 * (3 + AUDIT_BITMASK_SIZE + 3 * AUDIT_MAX_FIELDS + 1);

/// Syscall numbers a rule can hold: the top 16 bits of the mask are the
/// kernel's syscall class markers, not syscalls.
pub(super) const SYSCALL_BITS: u32 = (AUDIT_BITMASK_SIZE as u32) * 32 - 16;

fn malformed(what: &str) -> RuleError {
    RuleError::new(RuleErrorKind::Malformed, None, what)
}

/// The string bytes a condition stores in the rule's buffer, if any.
fn string_of(cond: &Condition) -> Option<Vec<u8>> {
    match cond {
        Condition::Key(keys) => Some(keys.join("\u{1}").into_bytes()),
        Condition::Text { value, .. } => Some(value.clone()),
        Condition::Field { .. } => None,
    }
}

pub(super) fn encode(rule: &Rule) -> Result<Vec<u8>, RuleError> {
    rule.validate()?;
    let strings: Vec<Option<Vec<u8>>> = rule.conditions.iter().map(string_of).collect();
    let buflen: usize = strings.iter().flatten().map(Vec::len).sum();
    let mut data = vec![0u8; RULE_DATA_LEN + buflen];
    let mut b = RuleBuffer::new(&mut data[..]);
    let prepend = if rule.prepend {
        AUDIT_FILTER_PREPEND
    } else {
        0
    };
    b.set_flags(rule.list.raw() | prepend);
    b.set_action(rule.action.raw());
    b.set_field_count(rule.conditions.len() as u32);
    b.set_buflen(buflen as u32);
    let mut mask = [0u32; AUDIT_BITMASK_SIZE];
    match &rule.syscalls {
        Syscalls::Empty => {}
        Syscalls::All => mask = [u32::MAX; AUDIT_BITMASK_SIZE],
        Syscalls::Numbers(v) => {
            for n in v {
                mask[(n / 32) as usize] |= 1 << (n % 32);
            }
        }
    }
    for (i, word) in mask.iter().enumerate() {
        b.syscalls_mut()[i * 4..i * 4 + 4].copy_from_slice(&word.to_ne_bytes());
    }
    let mut text = Vec::with_capacity(buflen);
    for (i, (cond, s)) in rule.conditions.iter().zip(&strings).enumerate() {
        let (field, op, value) = match (cond, s) {
            (Condition::Field { field, op, value }, _) => (field.raw(), *op, *value),
            (Condition::Key(_), Some(s)) => (AUDIT_FILTERKEY, Op::Equal, s.len() as u32),
            (Condition::Text { field, op, .. }, Some(s)) => (*field, *op, s.len() as u32),
            _ => unreachable!("string conditions have strings"),
        };
        b.set_field(i, field);
        b.set_value(i, value);
        b.set_field_flags(i, op.raw());
        if let Some(s) = s {
            text.extend_from_slice(s);
        }
    }
    b.buf_mut().copy_from_slice(&text);
    Ok(data)
}

fn words(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
}

pub(super) fn decode(data: &[u8]) -> Result<Rule, RuleError> {
    let b = RuleBuffer::new_checked(data).map_err(|_| malformed("short audit_rule_data"))?;
    let flags = b.flags();
    let list =
        List::from_raw(flags & !AUDIT_FILTER_PREPEND).ok_or_else(|| malformed("unknown list"))?;
    let action = Action::from_raw(b.action()).ok_or_else(|| malformed("unknown action"))?;
    let count = b.field_count() as usize;
    if count > AUDIT_MAX_FIELDS {
        return Err(malformed("field_count over 64"));
    }
    let mask: Vec<u32> = words(b.syscalls()).collect();
    // as auditctl: "all" when every word but the class-marker one is full
    let syscalls = if mask[..AUDIT_BITMASK_SIZE - 1]
        .iter()
        .all(|w| *w == u32::MAX)
    {
        Syscalls::All
    } else if mask.iter().all(|w| *w == 0) {
        Syscalls::Empty
    } else {
        let mut v = Vec::new();
        for (i, w) in mask.iter().enumerate() {
            for bit in 0..32 {
                if w & (1 << bit) != 0 {
                    v.push(i as u32 * 32 + bit);
                }
            }
        }
        Syscalls::Numbers(v)
    };
    let strings = b.buf();
    let mut offset = 0usize;
    let mut take = |len: u32| -> Result<&[u8], RuleError> {
        let end = offset
            .checked_add(len as usize)
            .filter(|e| *e <= strings.len());
        let end = end.ok_or_else(|| malformed("string past buflen"))?;
        let s = &strings[offset..end];
        offset = end;
        Ok(s)
    };
    let mut conditions = Vec::with_capacity(count);
    let fields = words(b.fields()).take(count);
    let values = words(b.values());
    let ops = words(b.field_flags());
    for ((field, value), op) in fields.zip(values).zip(ops) {
        let op = Op::from_raw(op).ok_or_else(|| malformed("unknown operator"))?;
        let cond = if field == AUDIT_FILTERKEY {
            let s = take(value)?;
            let keys = s
                .split(|b| *b == 1)
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .collect();
            Condition::Key(keys)
        } else if TEXT_FIELDS.iter().any(|e| e.0 == field) {
            Condition::Text {
                field,
                op,
                value: take(value)?.to_vec(),
            }
        } else {
            Condition::Field {
                field: Field::from_raw(field),
                op,
                value,
            }
        };
        conditions.push(cond);
    }
    Ok(Rule {
        list,
        action,
        prepend: flags & AUDIT_FILTER_PREPEND != 0,
        syscalls,
        conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::netlink::rules::Arch;

    fn word(data: &[u8], index: usize) -> u32 {
        u32::from_ne_bytes(data[index * 4..index * 4 + 4].try_into().unwrap())
    }

    #[test]
    fn layout_of_an_exec_rule() {
        let r = Rule::parse("-a always,exit -F arch=b64 -S execve,execveat -F auid!=-1 -k exec")
            .unwrap();
        let d = r.to_rule_data().unwrap();
        assert_eq!(d.len(), RULE_DATA_LEN + 4);
        assert_eq!(word(&d, 0), 4); // AUDIT_FILTER_EXIT
        assert_eq!(word(&d, 1), 2); // AUDIT_ALWAYS
        assert_eq!(word(&d, 2), 3); // arch, auid, key
        let f = 3 + AUDIT_BITMASK_SIZE;
        let (v, o) = (f + AUDIT_MAX_FIELDS, f + 2 * AUDIT_MAX_FIELDS);
        assert_eq!(
            [word(&d, f), word(&d, f + 1), word(&d, f + 2)],
            [11, 9, 210]
        );
        assert_eq!(
            [word(&d, v), word(&d, v + 1), word(&d, v + 2)],
            [Arch::B64.raw(), u32::MAX, 4]
        );
        assert_eq!([word(&d, o), word(&d, o + 1)], [0x4000_0000, 0x3000_0000]);
        assert_eq!(word(&d, o + AUDIT_MAX_FIELDS), 4); // buflen
        assert_eq!(&d[RULE_DATA_LEN..], b"exec");
        if Arch::B64 == Arch::X86_64 {
            // execve 59 and execveat 322 in the syscall bitmask
            assert_eq!(word(&d, 3 + 1), 1 << (59 - 32));
            assert_eq!(word(&d, 3 + 10), 1 << (322 - 320));
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let texts = [
            "-a always,exit -F arch=b64 -S execve,execveat -F key=exec",
            "-a always,exit -F arch=b64 -S connect,bind -F auid>=1000 -F auid!=unset -F key=a -F key=b",
            "-A never,exit -F arch=b32 -S all -F uid=0 -F success=1 -F exit=-ENOENT",
            "-a never,exclude -F msgtype=CWD",
            "-a always,exit -F arch=b64 -S 0,2031 -F a0&=0x2 -F perm=wa",
        ];
        for text in texts {
            let r = Rule::parse(text).unwrap();
            let back = Rule::from_rule_data(&r.to_rule_data().unwrap()).unwrap();
            assert_eq!(back, r, "{text}");
        }
        let r = Rule::exit_always().arch(Arch::B64).syscall_numbers(&[2032]);
        assert_eq!(
            r.to_rule_data().unwrap_err().kind,
            RuleErrorKind::UnknownSyscall
        );
    }

    #[test]
    fn kernel_all_mask_without_class_bits_is_all() {
        let r = Rule::parse("-a always,exit -S all").unwrap();
        let mut d = r.to_rule_data().unwrap();
        // the kernel clears the class-marker bits of the last word
        d[12 + 63 * 4..12 + 64 * 4].copy_from_slice(&0u32.to_ne_bytes());
        assert_eq!(Rule::from_rule_data(&d).unwrap(), r);
    }

    #[test]
    fn text_fields_from_the_kernel_are_kept() {
        let mut d = Rule::parse("-a always,exit -F arch=b64 -S openat -k k")
            .unwrap()
            .to_rule_data()
            .unwrap();
        // rewrite the key field as a path watch (AUDIT_WATCH) of the same length
        let f = 3 + AUDIT_BITMASK_SIZE;
        d[(f + 1) * 4..(f + 2) * 4].copy_from_slice(&105u32.to_ne_bytes());
        let r = Rule::from_rule_data(&d).unwrap();
        assert_eq!(
            r.to_string(),
            "-a always,exit -F arch=b64 -S openat -F path=k"
        );
        assert_eq!(Rule::from_rule_data(&r.to_rule_data().unwrap()).unwrap(), r);
        assert_eq!(
            Rule::from_rule_data(&d[..100]).unwrap_err().kind,
            RuleErrorKind::Malformed
        );
    }
}
