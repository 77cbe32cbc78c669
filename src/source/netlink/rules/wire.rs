//! The kernel's `struct audit_rule_data` (`include/uapi/linux/audit.h`):
//! u32 words in host order, then the rule's strings.

use super::field::TEXT_FIELDS;
use super::{Action, Condition, List, Op, Rule, RuleField, Syscalls};
use crate::source::netlink::error::{RuleError, RuleErrorKind};
use crate::source::netlink::uapi::{
    AUDIT_BITMASK_SIZE, AUDIT_FILTERKEY, AUDIT_FILTER_PREPEND, AUDIT_MAX_FIELDS,
};

// Word indices of `struct audit_rule_data`.
const FLAGS: usize = 0;
const ACTION: usize = 1;
const FIELD_COUNT: usize = 2;
/// `mask[AUDIT_BITMASK_SIZE]`: the syscall bitmask.
const MASK: usize = 3;
/// `fields[AUDIT_MAX_FIELDS]`: field numbers (`AUDIT_UID`, ...).
const FIELDS: usize = MASK + AUDIT_BITMASK_SIZE;
/// `values[AUDIT_MAX_FIELDS]`: the values, or the string lengths.
const VALUES: usize = FIELDS + AUDIT_MAX_FIELDS;
/// `fieldflags[AUDIT_MAX_FIELDS]`: the operators (`AUDIT_EQUAL`, ...).
const FIELDFLAGS: usize = VALUES + AUDIT_MAX_FIELDS;
/// `buflen`: bytes of strings after the words.
const BUFLEN: usize = FIELDFLAGS + AUDIT_MAX_FIELDS;

/// Length of `audit_rule_data` without its string buffer:
/// flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64], buflen.
pub(super) const RULE_DATA_LEN: usize = 4 * (BUFLEN + 1);

/// Syscall numbers a rule can hold: the top 16 bits of the mask are the
/// kernel's syscall class markers, not syscalls.
pub(super) const SYSCALL_BITS: u32 = (AUDIT_BITMASK_SIZE as u32) * 32 - 16;

/// Writes word `index` of the struct.
fn put(data: &mut [u8], index: usize, value: u32) {
    data[index * 4..index * 4 + 4].copy_from_slice(&value.to_ne_bytes());
}

/// Reads word `index` of the struct (`data` holds at least [`RULE_DATA_LEN`] bytes).
fn get(data: &[u8], index: usize) -> u32 {
    let w = &data[index * 4..index * 4 + 4];
    u32::from_ne_bytes([w[0], w[1], w[2], w[3]])
}

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
    let prepend = if rule.prepend {
        AUDIT_FILTER_PREPEND
    } else {
        0
    };
    put(&mut data, FLAGS, rule.list.raw() | prepend);
    put(&mut data, ACTION, rule.action.raw());
    put(&mut data, FIELD_COUNT, rule.conditions.len() as u32);
    put(&mut data, BUFLEN, buflen as u32);
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
        put(&mut data, MASK + i, *word);
    }
    let mut text = Vec::with_capacity(buflen);
    for (i, (cond, s)) in rule.conditions.iter().zip(&strings).enumerate() {
        let (field, op, value) = match (cond, s) {
            (Condition::Field { field, op, value }, _) => (field.raw(), *op, *value),
            (Condition::Key(_), Some(s)) => (AUDIT_FILTERKEY, Op::Equal, s.len() as u32),
            (Condition::Text { field, op, .. }, Some(s)) => (*field, *op, s.len() as u32),
            _ => unreachable!("string conditions have strings"),
        };
        put(&mut data, FIELDS + i, field);
        put(&mut data, VALUES + i, value);
        put(&mut data, FIELDFLAGS + i, op.raw());
        if let Some(s) = s {
            text.extend_from_slice(s);
        }
    }
    data[RULE_DATA_LEN..].copy_from_slice(&text);
    Ok(data)
}

/// Words `index..index + n` of the struct.
fn words(data: &[u8], index: usize, n: usize) -> impl Iterator<Item = u32> + '_ {
    (index..index + n).map(move |i| get(data, i))
}

pub(super) fn decode(data: &[u8]) -> Result<Rule, RuleError> {
    let short = || malformed("short audit_rule_data");
    if data.len() < RULE_DATA_LEN {
        return Err(short());
    }
    let buflen = get(data, BUFLEN) as usize;
    let strings = RULE_DATA_LEN
        .checked_add(buflen)
        .and_then(|end| data.get(RULE_DATA_LEN..end))
        .ok_or_else(short)?;
    let flags = get(data, FLAGS);
    let list =
        List::from_raw(flags & !AUDIT_FILTER_PREPEND).ok_or_else(|| malformed("unknown list"))?;
    let action = Action::from_raw(get(data, ACTION)).ok_or_else(|| malformed("unknown action"))?;
    let count = get(data, FIELD_COUNT) as usize;
    if count > AUDIT_MAX_FIELDS {
        return Err(malformed("field_count over 64"));
    }
    let mask: Vec<u32> = words(data, MASK, AUDIT_BITMASK_SIZE).collect();
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
    let fields = words(data, FIELDS, count);
    let values = words(data, VALUES, count);
    let ops = words(data, FIELDFLAGS, count);
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
                field: RuleField::from_raw(field),
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
    use crate::decode::Arch;

    fn word(data: &[u8], index: usize) -> u32 {
        u32::from_ne_bytes(data[index * 4..index * 4 + 4].try_into().unwrap())
    }

    #[test]
    fn layout_is_the_kernels() {
        // word offsets of mask, fields, values, fieldflags, buflen; sizeof
        assert_eq!(
            (MASK, FIELDS, VALUES, FIELDFLAGS, BUFLEN, RULE_DATA_LEN),
            (3, 67, 131, 195, 259, 1040)
        );
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
        let (f, v, o) = (FIELDS, VALUES, FIELDFLAGS);
        assert_eq!(
            [word(&d, f), word(&d, f + 1), word(&d, f + 2)],
            [11, 9, 210]
        );
        assert_eq!(
            [word(&d, v), word(&d, v + 1), word(&d, v + 2)],
            [Arch::B64.0, u32::MAX, 4]
        );
        assert_eq!([word(&d, o), word(&d, o + 1)], [0x4000_0000, 0x3000_0000]);
        assert_eq!(word(&d, BUFLEN), 4);
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
        d[(FIELDS + 1) * 4..(FIELDS + 2) * 4].copy_from_slice(&105u32.to_ne_bytes());
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
