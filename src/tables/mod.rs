//! Lookup tables: audit arches, syscalls, errno values, record types, the
//! field dictionary, and Auditbeat's ECS vocabulary.
//!
//! The data lives in `tools/gen-tables/data/*.tsv` (facts gathered from the
//! kernel headers and audit-userspace; see `tools/gen-tables/data/SOURCES.md`);
//! `tools/gen-tables` turns it into `src/tables/generated/`, and
//! `tests/tables_current.rs` checks that the generated files are current.
//!
//! ```
//! use auditstream::tables::{self, FieldKind, AUDIT_ARCH_X86_64};
//!
//! assert_eq!(tables::arch_name(0xc000003e), Some("x86_64"));
//! assert_eq!(tables::syscall_name(AUDIT_ARCH_X86_64, 59), Some("execve"));
//! assert_eq!(tables::errno_name(115), Some("EINPROGRESS"));
//! assert_eq!(tables::record_type_from_name(b"SYSCALL"), Some(1300));
//! assert_eq!(tables::field_kind(b"auid"), FieldKind::Uid);
//! ```

mod generated;

pub use self::generated::arch_consts::*;
use self::generated::{arches, ecs, errno, fields, record_types, syscalls};

/// The name of an audit arch value (the `arch=` field of a SYSCALL record),
/// as auparse prints it: `0xc000003e` is `"x86_64"`.
///
/// Names of arches auparse does not know are the `AUDIT_ARCH_` constant's
/// suffix in lower case (`"mips64"`). Little-endian 32-bit ARM is `"arm"`
/// (auparse 3.0.9 prints `"armeb"` for it) and big-endian ARM `"armeb"`.
pub fn arch_name(arch: u32) -> Option<&'static str> {
    arches::name_of(arch)
}

/// The audit arch value of an exact arch name as [`arch_name`] returns it
/// (`"x86_64"`, `"i386"`, `"aarch64"`, ...). Aliases such as `"b64"` or
/// `"i686"` are not accepted.
pub fn arch_from_name(name: &str) -> Option<u32> {
    arches::value_of(name)
}

/// The name of syscall `nr` on an audit arch, if the arch has a syscall table
/// here (x86_64, i386, aarch64, arm and armeb (EABI), ppc64 and ppc64le,
/// s390x, riscv64, loongarch64) and the number is assigned.
pub fn syscall_name(arch: u32, nr: u32) -> Option<&'static str> {
    let table = syscalls::table(arch)?;
    let index = usize::try_from(nr).ok()?;
    table.by_number.get(index).copied().flatten()
}

/// The number of a syscall by its kernel name (`"execve"`) on an audit arch.
pub fn syscall_number(arch: u32, name: &str) -> Option<u32> {
    let table = syscalls::table(arch)?;
    let i = table
        .by_name
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()?;
    Some(u32::from(table.by_name[i].1))
}

/// The symbolic name of a (positive) errno value: `2` is `"ENOENT"`.
///
/// Numbers are the asm-generic ones, used by x86, arm, arm64, riscv,
/// loongarch, s390 and powerpc (powerpc differs only for `EDEADLOCK`), plus
/// the kernel-internal restart codes 512..=516 (`ERESTARTSYS`, ...) that
/// appear as `exit=-512` in SYSCALL records.
pub fn errno_name(errno: u32) -> Option<&'static str> {
    errno::name_of(errno)
}

/// The errno value of a symbolic name (`"ENOENT"` is 2); aliases such as
/// `"EWOULDBLOCK"` and `"EDEADLOCK"` are accepted.
pub fn errno_number(name: &str) -> Option<u32> {
    errno::number_of(name)
}

/// The name of a record type as auditd writes it in `type=`: 1300 is
/// `"SYSCALL"`.
///
/// Names come from audit-userspace's table, and for kernel types it lacks,
/// from the kernel's `AUDIT_*` constant without its prefix.
pub fn record_type_name(t: u16) -> Option<&'static str> {
    record_types::name_of(t)
}

/// The record type number of a `type=` name: `b"SYSCALL"` is 1300. Exact,
/// case-sensitive match; `UNKNOWN[1336]` is not handled here.
pub fn record_type_from_name(name: &[u8]) -> Option<u16> {
    record_types::number_of(name)
}

/// How the value of a field is to be read, by field name (from auparse's field
/// dictionary, `auparse/typetab.h`); [`FieldKind::Other`] for names not listed.
///
/// The kind depends on the name only. Record-type rules stay with the caller:
/// in EXECVE records `aN`, `aN[i]` are encoded strings, while `a0`..`a3`
/// here are the SYSCALL record's hex arguments ([`FieldKind::Hex`]).
pub fn field_kind(name: &[u8]) -> FieldKind {
    fields::kind_of(name)
}

/// How Auditbeat classifies an event in ECS (elastic/go-libaudit
/// `aucoalesce/normalizations.yaml`): the `event.action` word and the
/// `event.kind`, `event.category` and `event.type` values.
///
/// ```
/// use auditstream::tables;
///
/// let n = tables::ecs_syscall("connect");
/// assert_eq!(n.action, Some("connected-to"));
/// assert_eq!(n.category, ["network"]);
/// assert_eq!(n.types, ["connection", "start"]);
/// assert_eq!(tables::ecs_record_type(b"LOGIN")[0].action, Some("changed-login-id-to"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcsNormalization {
    /// `event.action` (Auditbeat's vocabulary: `executed`, `bound-socket`).
    pub action: Option<&'static str>,
    /// `event.kind` when not `event` (`alert` for the anomaly records).
    pub kind: Option<&'static str>,
    /// `event.category` values.
    pub category: &'static [&'static str],
    /// `event.type` values.
    pub types: &'static [&'static str],
    /// Applies only to a record that has this field (AVC: `seresult` for
    /// SELinux, `apparmor` for AppArmor).
    pub has_field: Option<&'static str>,
}

/// The normalization of a syscall by name; syscalls Auditbeat does not name
/// get its default (category `process`, type `info`, no action).
pub fn ecs_syscall(name: &str) -> &'static EcsNormalization {
    ecs::by_syscall(name).unwrap_or(&ecs::SYSCALL_DEFAULT)
}

/// The normalizations of a record type by its `type=` name (empty when
/// Auditbeat has none; more than one when a field of the record chooses, see
/// [`EcsNormalization::has_field`]).
pub fn ecs_record_type(name: &[u8]) -> &'static [EcsNormalization] {
    ecs::by_record_type(name)
}

/// How the value of an audit field is to be read (see [`field_kind`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A string the kernel writes either double-quoted or, when it holds a
    /// space, quote, control or non-ASCII byte, as upper-case hex
    /// (`comm`, `exe`, `name`, `cwd`, `proctitle`, `key`, ...).
    Encoded,
    /// A user id (`uid`, `euid`, `auid`, `ouid`, `old-auid`, ...);
    /// `auid` 4294967295 means unset.
    Uid,
    /// A group id (`gid`, `egid`, `ogid`, ...).
    Gid,
    /// A login session id (`ses`, `old-ses`); 4294967295 means unset.
    Session,
    /// An audit arch value in hex (`arch=c000003e`), see [`arch_name`].
    Arch,
    /// A syscall number, to be named with the record's arch (`syscall`).
    Syscall,
    /// A syscall return value in decimal; negative values are errno values
    /// (`exit=-2`).
    Exit,
    /// A positive errno value in decimal (`errno`).
    Errno,
    /// A file mode in octal (`mode=0100644`).
    Mode,
    /// A `struct sockaddr` as hex bytes (`saddr`).
    SockAddr,
    /// A result word (`res=success`, `res=failed`, `res=1`, `result`).
    Success,
    /// A number in hex without `0x` (SYSCALL `a0`..`a3`, capability sets
    /// such as `cap_pe`).
    Hex,
    /// Anything else: decimal numbers, words, labels.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_values() {
        for (value, name) in [
            (0xc000003e, "x86_64"),
            (0x40000003, "i386"),
            (0xc00000b7, "aarch64"),
            (0x40000028, "arm"),
            (0x00000028, "armeb"),
            (0xc00000f3, "riscv64"),
            (0x400000f3, "riscv32"),
            (0x80000015, "ppc64"),
            (0xc0000015, "ppc64le"),
            (0x00000014, "ppc"),
            (0x80000016, "s390x"),
            (0x00000016, "s390"),
            (0xc0000102, "loongarch64"),
            (0x40000102, "loongarch32"),
        ] {
            assert_eq!(arch_name(value), Some(name), "{value:08x}");
            assert_eq!(arch_from_name(name), Some(value), "{name}");
        }
        assert_eq!(AUDIT_ARCH_X86_64, 0xc000003e);
        assert_eq!(AUDIT_ARCH_AARCH64, 0xc00000b7);
        assert_eq!(arch_name(0), None);
        assert_eq!(arch_from_name("b64"), None);
        assert_eq!(arch_from_name("i686"), None);
        assert_eq!(arch_from_name("X86_64"), None);
    }

    /// (arch, number, name) facts checked against the kernel's syscall tables.
    const SYSCALLS: &[(u32, u32, &str)] = &[
        (AUDIT_ARCH_X86_64, 0, "read"),
        (AUDIT_ARCH_X86_64, 42, "connect"),
        (AUDIT_ARCH_X86_64, 43, "accept"),
        (AUDIT_ARCH_X86_64, 49, "bind"),
        (AUDIT_ARCH_X86_64, 59, "execve"),
        (AUDIT_ARCH_X86_64, 288, "accept4"),
        (AUDIT_ARCH_X86_64, 322, "execveat"),
        (AUDIT_ARCH_X86_64, 435, "clone3"),
        (AUDIT_ARCH_I386, 11, "execve"),
        (AUDIT_ARCH_I386, 102, "socketcall"),
        (AUDIT_ARCH_I386, 361, "bind"),
        (AUDIT_ARCH_I386, 362, "connect"),
        (AUDIT_ARCH_I386, 358, "execveat"),
        (AUDIT_ARCH_AARCH64, 200, "bind"),
        (AUDIT_ARCH_AARCH64, 202, "accept"),
        (AUDIT_ARCH_AARCH64, 203, "connect"),
        (AUDIT_ARCH_AARCH64, 221, "execve"),
        (AUDIT_ARCH_AARCH64, 242, "accept4"),
        (AUDIT_ARCH_AARCH64, 281, "execveat"),
        (AUDIT_ARCH_AARCH64, 38, "renameat"),
        (AUDIT_ARCH_ARM, 11, "execve"),
        (AUDIT_ARCH_ARM, 281, "socket"),
        (AUDIT_ARCH_ARM, 282, "bind"),
        (AUDIT_ARCH_ARM, 283, "connect"),
        (AUDIT_ARCH_ARM, 387, "execveat"),
        (AUDIT_ARCH_ARMEB, 11, "execve"),
        (AUDIT_ARCH_PPC64, 11, "execve"),
        (AUDIT_ARCH_PPC64, 327, "bind"),
        (AUDIT_ARCH_PPC64, 328, "connect"),
        (AUDIT_ARCH_PPC64LE, 362, "execveat"),
        (AUDIT_ARCH_S390X, 11, "execve"),
        (AUDIT_ARCH_S390X, 102, "socketcall"),
        (AUDIT_ARCH_S390X, 361, "bind"),
        (AUDIT_ARCH_S390X, 362, "connect"),
        (AUDIT_ARCH_S390X, 354, "execveat"),
        (AUDIT_ARCH_RISCV64, 221, "execve"),
        (AUDIT_ARCH_RISCV64, 203, "connect"),
        (AUDIT_ARCH_RISCV64, 258, "riscv_hwprobe"),
        (AUDIT_ARCH_RISCV64, 259, "riscv_flush_icache"),
        (AUDIT_ARCH_LOONGARCH64, 221, "execve"),
        (AUDIT_ARCH_LOONGARCH64, 200, "bind"),
        (AUDIT_ARCH_LOONGARCH64, 281, "execveat"),
    ];

    #[test]
    fn syscall_facts() {
        for &(arch, nr, name) in SYSCALLS {
            assert_eq!(syscall_name(arch, nr), Some(name), "{arch:08x} {nr}");
            assert_eq!(syscall_number(arch, name), Some(nr), "{arch:08x} {name}");
        }
    }

    #[test]
    fn syscall_per_arch_selection() {
        // renameat, getrlimit/setrlimit and memfd_secret are not on every
        // arch of the generic table.
        assert_eq!(syscall_number(AUDIT_ARCH_RISCV64, "renameat"), None);
        assert_eq!(syscall_number(AUDIT_ARCH_LOONGARCH64, "renameat"), None);
        assert_eq!(syscall_number(AUDIT_ARCH_LOONGARCH64, "getrlimit"), None);
        assert_eq!(syscall_number(AUDIT_ARCH_RISCV64, "getrlimit"), Some(163));
        assert_eq!(syscall_name(AUDIT_ARCH_AARCH64, 259), None);
        // x86_64 has no socketcall; x32 numbers are not x86_64's.
        assert_eq!(syscall_number(AUDIT_ARCH_X86_64, "socketcall"), None);
        assert_eq!(syscall_name(AUDIT_ARCH_X86_64, 520), None);
        // Unknown arch, out-of-range and unassigned numbers.
        assert_eq!(syscall_name(0, 59), None);
        assert_eq!(syscall_name(AUDIT_ARCH_X86_64, u32::MAX), None);
        assert_eq!(syscall_name(AUDIT_ARCH_AARCH64, 300), None);
        assert_eq!(syscall_number(AUDIT_ARCH_X86_64, "nosuchcall"), None);
    }

    #[test]
    fn errno_facts() {
        for (n, name) in [
            (1, "EPERM"),
            (2, "ENOENT"),
            (11, "EAGAIN"),
            (13, "EACCES"),
            (104, "ECONNRESET"),
            (111, "ECONNREFUSED"),
            (115, "EINPROGRESS"),
            (133, "EHWPOISON"),
            (512, "ERESTARTSYS"),
        ] {
            assert_eq!(errno_name(n), Some(name), "{n}");
            assert_eq!(errno_number(name), Some(n), "{name}");
        }
        assert_eq!(errno_number("EWOULDBLOCK"), Some(11));
        assert_eq!(errno_number("EDEADLOCK"), Some(35));
        assert_eq!(errno_name(35), Some("EDEADLK"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(134), None);
    }

    #[test]
    fn record_type_facts() {
        for (n, name) in [
            (1005, "USER"),
            (1006, "LOGIN"),
            (1100, "USER_AUTH"),
            (1112, "USER_LOGIN"),
            (1200, "DAEMON_START"),
            (1300, "SYSCALL"),
            (1302, "PATH"),
            (1306, "SOCKADDR"),
            (1307, "CWD"),
            (1309, "EXECVE"),
            (1320, "EOE"),
            (1321, "BPRM_FCAPS"),
            (1327, "PROCTITLE"),
            (1335, "EVENT_LISTENER"),
            (1400, "AVC"),
            (1701, "ANOM_ABEND"),
            (2000, "KERNEL"),
        ] {
            assert_eq!(record_type_name(n), Some(name), "{n}");
            assert_eq!(record_type_from_name(name.as_bytes()), Some(n), "{name}");
        }
        assert_eq!(record_type_from_name(b"syscall"), None);
        assert_eq!(record_type_from_name(b"SYSCALLX"), None);
        assert_eq!(record_type_from_name(b""), None);
        assert_eq!(record_type_from_name(b"UNKNOWN[1336]"), None);
        assert_eq!(record_type_name(1999), None);
    }

    #[test]
    fn every_record_type_round_trips() {
        for t in 0..=u16::MAX {
            if let Some(name) = record_type_name(t) {
                assert_eq!(record_type_from_name(name.as_bytes()), Some(t), "{name}");
            }
        }
    }

    #[test]
    fn field_kinds() {
        for name in [
            "name",
            "comm",
            "exe",
            "cwd",
            "path",
            "proctitle",
            "key",
            "acct",
            "cmd",
            "data",
            "dir",
            "file",
            "ocomm",
            "watch",
            "vm",
        ] {
            assert_eq!(field_kind(name.as_bytes()), FieldKind::Encoded, "{name}");
        }
        for name in ["uid", "euid", "suid", "fsuid", "ouid", "auid", "old-auid"] {
            assert_eq!(field_kind(name.as_bytes()), FieldKind::Uid, "{name}");
        }
        for name in ["gid", "egid", "sgid", "fsgid", "ogid"] {
            assert_eq!(field_kind(name.as_bytes()), FieldKind::Gid, "{name}");
        }
        assert_eq!(field_kind(b"ses"), FieldKind::Session);
        assert_eq!(field_kind(b"old-ses"), FieldKind::Session);
        assert_eq!(field_kind(b"a0"), FieldKind::Hex);
        assert_eq!(field_kind(b"a3"), FieldKind::Hex);
        assert_eq!(field_kind(b"a4"), FieldKind::Other);
        assert_eq!(field_kind(b"arch"), FieldKind::Arch);
        assert_eq!(field_kind(b"syscall"), FieldKind::Syscall);
        assert_eq!(field_kind(b"exit"), FieldKind::Exit);
        assert_eq!(field_kind(b"mode"), FieldKind::Mode);
        assert_eq!(field_kind(b"saddr"), FieldKind::SockAddr);
        assert_eq!(field_kind(b"res"), FieldKind::Success);
        assert_eq!(field_kind(b"pid"), FieldKind::Other);
        assert_eq!(field_kind(b""), FieldKind::Other);
        assert_eq!(field_kind(b"NAME"), FieldKind::Other);
    }
}
