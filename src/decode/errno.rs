//! errno numbers, as in a SYSCALL record's `exit=-2`.

/// The name of the error in a syscall's `exit` value: `-2` gives `ENOENT`.
/// `None` for a value that is not a negative errno (a success, a pid, an fd).
///
/// The numbers are those of x86, arm, riscv, loongarch, s390 and powerpc
/// (asm-generic); the few arches with their own errno numbers (alpha, mips,
/// sparc, parisc) are not decoded here.
pub fn errno_name(exit: i64) -> Option<&'static str> {
    if !(-4095..0).contains(&exit) {
        return None;
    }
    crate::tables::errno_name((-exit) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(errno_name(-2), Some("ENOENT"));
        assert_eq!(errno_name(-13), Some("EACCES"));
        assert_eq!(errno_name(-115), Some("EINPROGRESS"));
        assert_eq!(errno_name(-111), Some("ECONNREFUSED"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(3), None);
        assert_eq!(errno_name(-5000), None);
        assert_eq!(errno_name(i64::MIN), None);
    }
}
