//! Audit architectures (`AUDIT_ARCH_*`, the SYSCALL record's `arch=`).

use std::fmt;

/// An `AUDIT_ARCH_*` value: the ELF machine with a 64-bit flag (`0x80000000`)
/// and a little-endian flag (`0x40000000`). Open ended: any value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Arch(pub u32);

impl Arch {
    /// x86_64 (`c000003e`).
    pub const X86_64: Arch = Arch(0xc000_003e);
    /// i386 (`40000003`).
    pub const I386: Arch = Arch(0x4000_0003);
    /// aarch64 (`c00000b7`).
    pub const AARCH64: Arch = Arch(0xc000_00b7);

    /// The name auparse uses (`x86_64`, `i386`, `aarch64`, `ppc64le`, ...).
    pub fn name(self) -> Option<&'static str> {
        crate::tables::arch_name(self.0)
    }

    /// The arch with this name.
    pub fn from_name(name: &str) -> Option<Arch> {
        crate::tables::arch_from_name(name).map(Arch)
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
        crate::tables::syscall_name(self.0, nr)
    }

    /// The number of syscall `name` on this arch.
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        crate::tables::syscall_number(self.0, name)
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
    }
}
