//! Audit architectures (`AUDIT_ARCH_*`, the SYSCALL record's `arch=`).

use std::fmt;

use crate::tables;

/// An `AUDIT_ARCH_*` value: the ELF machine with a 64-bit flag (`0x80000000`)
/// and a little-endian flag (`0x40000000`). Open ended: any value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Arch(pub u32);

impl Arch {
    /// x86_64 (`c000003e`).
    pub const X86_64: Arch = Arch(tables::AUDIT_ARCH_X86_64);
    /// i386 (`40000003`): 32-bit x86, also x86_64's 32-bit compat mode.
    pub const I386: Arch = Arch(tables::AUDIT_ARCH_I386);
    /// aarch64 (`c00000b7`).
    pub const AARCH64: Arch = Arch(tables::AUDIT_ARCH_AARCH64);
    /// 32-bit little-endian arm (`40000028`).
    pub const ARM: Arch = Arch(tables::AUDIT_ARCH_ARM);
    /// riscv64 (`c00000f3`).
    pub const RISCV64: Arch = Arch(tables::AUDIT_ARCH_RISCV64);
    /// ppc64le (`c0000015`).
    pub const PPC64LE: Arch = Arch(tables::AUDIT_ARCH_PPC64LE);
    /// s390x (`80000016`).
    pub const S390X: Arch = Arch(tables::AUDIT_ARCH_S390X);
    /// loongarch64 (`c0000102`).
    pub const LOONGARCH64: Arch = Arch(tables::AUDIT_ARCH_LOONGARCH64);

    /// The 64-bit arch of the machine this is built for (auditctl's `b64`).
    /// `Arch(0)` (matching nothing) on targets without one known here.
    pub const B64: Arch = native::B64;
    /// The 32-bit compat arch of the machine this is built for (auditctl's
    /// `b32`). `Arch(0)` on targets without one known here.
    pub const B32: Arch = native::B32;

    /// The name auparse uses (`x86_64`, `i386`, `aarch64`, `ppc64le`, ...).
    pub fn name(self) -> Option<&'static str> {
        tables::arch_name(self.0)
    }

    /// The arch with this name, exactly as [`name`](Self::name) gives it
    /// (auditctl's aliases `b64`, `i686`, ... belong to the rule text parser
    /// of the `netlink` feature).
    pub fn from_name(name: &str) -> Option<Arch> {
        tables::arch_from_name(name).map(Arch)
    }

    /// Whether the flag `__AUDIT_ARCH_64BIT` is set.
    pub fn is_64bit(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    /// Whether the flag `__AUDIT_ARCH_LE` is set (byte order of the traced
    /// process, and so of the host-order fields of its socket addresses).
    pub fn is_little_endian(self) -> bool {
        self.0 & 0x4000_0000 != 0
    }

    /// The name of syscall `nr` on this arch (`59` on x86_64 is `execve`).
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        tables::syscall_name(self.0, nr)
    }

    /// The number of syscall `name` on this arch.
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        tables::syscall_number(self.0, name)
    }
}

impl fmt::Display for Arch {
    /// The name, or the hex value as the record writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:x}", self.0),
        }
    }
}

/// The machine's own arches, auditctl's `b64` and `b32`.
mod native {
    use super::Arch;
    use crate::tables as t;

    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_X86_64);
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    pub const B32: Arch = Arch(t::AUDIT_ARCH_I386);

    #[cfg(any(target_arch = "aarch64", target_arch = "arm"))]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_AARCH64);
    #[cfg(any(target_arch = "aarch64", target_arch = "arm"))]
    pub const B32: Arch = Arch(t::AUDIT_ARCH_ARM);

    #[cfg(any(target_arch = "riscv64", target_arch = "riscv32"))]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_RISCV64);
    #[cfg(any(target_arch = "riscv64", target_arch = "riscv32"))]
    pub const B32: Arch = Arch(t::AUDIT_ARCH_RISCV32);

    #[cfg(all(target_arch = "powerpc64", target_endian = "little"))]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_PPC64LE);
    #[cfg(all(
        any(target_arch = "powerpc64", target_arch = "powerpc"),
        target_endian = "big"
    ))]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_PPC64);
    #[cfg(any(target_arch = "powerpc64", target_arch = "powerpc"))]
    pub const B32: Arch = Arch(t::AUDIT_ARCH_PPC);

    #[cfg(target_arch = "s390x")]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_S390X);
    #[cfg(target_arch = "s390x")]
    pub const B32: Arch = Arch(t::AUDIT_ARCH_S390);

    #[cfg(target_arch = "loongarch64")]
    pub const B64: Arch = Arch(t::AUDIT_ARCH_LOONGARCH64);
    #[cfg(target_arch = "loongarch64")]
    pub const B32: Arch = Arch(t::AUDIT_ARCH_LOONGARCH32);

    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "riscv32",
        target_arch = "powerpc64",
        target_arch = "powerpc",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )))]
    pub const B64: Arch = Arch(0);
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "riscv32",
        target_arch = "powerpc64",
        target_arch = "powerpc",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )))]
    pub const B32: Arch = Arch(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches() {
        assert_eq!(Arch::X86_64.name(), Some("x86_64"));
        assert_eq!(Arch::I386.name(), Some("i386"));
        assert!(Arch::X86_64.is_64bit() && Arch::X86_64.is_little_endian());
        assert!(!Arch::I386.is_64bit());
        assert_eq!(Arch::X86_64.syscall_name(59), Some("execve"));
        assert_eq!(Arch::I386.syscall_name(11), Some("execve"));
        assert_eq!(Arch::AARCH64.syscall_name(221), Some("execve"));
        assert_eq!(Arch::from_name("x86_64"), Some(Arch::X86_64));
        assert_eq!(Arch(0x1234).to_string(), "1234");
        assert_eq!(Arch::X86_64.syscall_number("connect"), Some(42));
        // the constants are the values records carry
        let named = [
            (Arch::X86_64, 0xc000_003e, "x86_64"),
            (Arch::I386, 0x4000_0003, "i386"),
            (Arch::AARCH64, 0xc000_00b7, "aarch64"),
            (Arch::ARM, 0x4000_0028, "arm"),
            (Arch::RISCV64, 0xc000_00f3, "riscv64"),
            (Arch::PPC64LE, 0xc000_0015, "ppc64le"),
            (Arch::S390X, 0x8000_0016, "s390x"),
            (Arch::LOONGARCH64, 0xc000_0102, "loongarch64"),
        ];
        for (arch, value, name) in named {
            assert_eq!((arch.0, arch.to_string()), (value, name.to_owned()));
        }
        #[cfg(target_arch = "x86_64")]
        assert_eq!((Arch::B64, Arch::B32), (Arch::X86_64, Arch::I386));
    }
}
