//! The kernel's audit ABI: the constants of `include/uapi/linux/audit.h` this
//! crate uses, named as the kernel names them and written only here. The
//! structs they describe are encoded next to their users: `struct
//! audit_status` in `status.rs`, `struct audit_rule_data` in `rules/wire.rs`.

// Message types of control requests and their replies (1000..=1099).

/// Get the status (`struct audit_status`).
pub(crate) const AUDIT_GET: u16 = 1000;
/// Set status fields (`struct audit_status` and its `mask`).
pub(crate) const AUDIT_SET: u16 = 1001;
/// Add a rule (`struct audit_rule_data`).
pub(crate) const AUDIT_ADD_RULE: u16 = 1011;
/// Delete a rule (`struct audit_rule_data`).
pub(crate) const AUDIT_DEL_RULE: u16 = 1012;
/// List rules: one `struct audit_rule_data` per reply, then `NLMSG_DONE`.
pub(crate) const AUDIT_LIST_RULES: u16 = 1013;

// `struct audit_status`: eleven u32 in host order, in this order:
// mask, enabled, failure, pid, rate_limit, backlog_limit, lost, backlog,
// feature_bitmap (was `version`), backlog_wait_time, backlog_wait_time_actual.

/// Words of `struct audit_status` (kernels since 5.10; older ones return fewer).
pub(crate) const AUDIT_STATUS_WORDS: usize = 11;

// `audit_status.mask` bits: which fields an `AUDIT_SET` sets.
pub(crate) const AUDIT_STATUS_ENABLED: u32 = 0x0001;
pub(crate) const AUDIT_STATUS_FAILURE: u32 = 0x0002;
pub(crate) const AUDIT_STATUS_PID: u32 = 0x0004;
pub(crate) const AUDIT_STATUS_RATE_LIMIT: u32 = 0x0008;
pub(crate) const AUDIT_STATUS_BACKLOG_LIMIT: u32 = 0x0010;
pub(crate) const AUDIT_STATUS_BACKLOG_WAIT_TIME: u32 = 0x0020;
pub(crate) const AUDIT_STATUS_LOST: u32 = 0x0040;

// `struct audit_rule_data`: u32 in host order: flags, action, field_count,
// mask[AUDIT_BITMASK_SIZE], fields[AUDIT_MAX_FIELDS], values[AUDIT_MAX_FIELDS],
// fieldflags[AUDIT_MAX_FIELDS], buflen; then buflen bytes of strings.

/// Words of the syscall bitmask `audit_rule_data.mask`.
pub(crate) const AUDIT_BITMASK_SIZE: usize = 64;
/// Fields of one rule (`fields`, `values`, `fieldflags` entries).
pub(crate) const AUDIT_MAX_FIELDS: usize = 64;
/// Bytes of all keys of one rule together.
pub(crate) const AUDIT_MAX_KEY_LEN: usize = 256;

// Filter lists (`audit_rule_data.flags`).
pub(crate) const AUDIT_FILTER_USER: u32 = 0x00;
pub(crate) const AUDIT_FILTER_TASK: u32 = 0x01;
pub(crate) const AUDIT_FILTER_EXIT: u32 = 0x04;
/// Formerly `AUDIT_FILTER_TYPE`: auditctl's `exclude` list.
pub(crate) const AUDIT_FILTER_EXCLUDE: u32 = 0x05;
pub(crate) const AUDIT_FILTER_FS: u32 = 0x06;
pub(crate) const AUDIT_FILTER_URING_EXIT: u32 = 0x07;
/// Flag: insert the rule at the head of its list (auditctl `-A`).
pub(crate) const AUDIT_FILTER_PREPEND: u32 = 0x10;

// Rule actions (`audit_rule_data.action`).
pub(crate) const AUDIT_NEVER: u32 = 0;
pub(crate) const AUDIT_ALWAYS: u32 = 2;

// Rule fields (`audit_rule_data.fields`).
pub(crate) const AUDIT_PID: u32 = 0;
pub(crate) const AUDIT_UID: u32 = 1;
pub(crate) const AUDIT_EUID: u32 = 2;
pub(crate) const AUDIT_SUID: u32 = 3;
pub(crate) const AUDIT_FSUID: u32 = 4;
pub(crate) const AUDIT_GID: u32 = 5;
pub(crate) const AUDIT_EGID: u32 = 6;
pub(crate) const AUDIT_SGID: u32 = 7;
pub(crate) const AUDIT_FSGID: u32 = 8;
pub(crate) const AUDIT_LOGINUID: u32 = 9;
pub(crate) const AUDIT_PERS: u32 = 10;
pub(crate) const AUDIT_ARCH: u32 = 11;
pub(crate) const AUDIT_MSGTYPE: u32 = 12;
pub(crate) const AUDIT_SUBJ_USER: u32 = 13;
pub(crate) const AUDIT_SUBJ_ROLE: u32 = 14;
pub(crate) const AUDIT_SUBJ_TYPE: u32 = 15;
pub(crate) const AUDIT_SUBJ_SEN: u32 = 16;
pub(crate) const AUDIT_SUBJ_CLR: u32 = 17;
pub(crate) const AUDIT_PPID: u32 = 18;
pub(crate) const AUDIT_OBJ_USER: u32 = 19;
pub(crate) const AUDIT_OBJ_ROLE: u32 = 20;
pub(crate) const AUDIT_OBJ_TYPE: u32 = 21;
pub(crate) const AUDIT_OBJ_LEV_LOW: u32 = 22;
pub(crate) const AUDIT_OBJ_LEV_HIGH: u32 = 23;
pub(crate) const AUDIT_LOGINUID_SET: u32 = 24;
pub(crate) const AUDIT_SESSIONID: u32 = 25;
pub(crate) const AUDIT_DEVMAJOR: u32 = 100;
pub(crate) const AUDIT_DEVMINOR: u32 = 101;
pub(crate) const AUDIT_INODE: u32 = 102;
pub(crate) const AUDIT_EXIT: u32 = 103;
pub(crate) const AUDIT_SUCCESS: u32 = 104;
pub(crate) const AUDIT_WATCH: u32 = 105;
pub(crate) const AUDIT_PERM: u32 = 106;
pub(crate) const AUDIT_DIR: u32 = 107;
pub(crate) const AUDIT_OBJ_UID: u32 = 109;
pub(crate) const AUDIT_OBJ_GID: u32 = 110;
pub(crate) const AUDIT_EXE: u32 = 112;
pub(crate) const AUDIT_ARG0: u32 = 200;
pub(crate) const AUDIT_ARG1: u32 = AUDIT_ARG0 + 1;
pub(crate) const AUDIT_ARG2: u32 = AUDIT_ARG0 + 2;
pub(crate) const AUDIT_ARG3: u32 = AUDIT_ARG0 + 3;
pub(crate) const AUDIT_FILTERKEY: u32 = 210;

// Comparison operators (`audit_rule_data.fieldflags`).
pub(crate) const AUDIT_BIT_MASK: u32 = 0x0800_0000;
pub(crate) const AUDIT_LESS_THAN: u32 = 0x1000_0000;
pub(crate) const AUDIT_GREATER_THAN: u32 = 0x2000_0000;
pub(crate) const AUDIT_NOT_EQUAL: u32 = 0x3000_0000;
pub(crate) const AUDIT_EQUAL: u32 = 0x4000_0000;
pub(crate) const AUDIT_BIT_TEST: u32 = AUDIT_BIT_MASK | AUDIT_EQUAL;
pub(crate) const AUDIT_LESS_THAN_OR_EQUAL: u32 = AUDIT_LESS_THAN | AUDIT_EQUAL;
pub(crate) const AUDIT_GREATER_THAN_OR_EQUAL: u32 = AUDIT_GREATER_THAN | AUDIT_EQUAL;
