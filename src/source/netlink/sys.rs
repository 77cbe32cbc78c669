//! The only unsafe code of the crate: socket options netlink-sys does not expose.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// `setsockopt(fd, level, name, &value, sizeof value)` for a plain-data value.
fn setsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `fd` is an open socket borrowed for the call; `value` points to a
    // live, initialised `T` of exactly `len` bytes that the kernel only reads.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `SO_RCVBUFFORCE`: set the receive buffer above `rmem_max` (needs `CAP_NET_ADMIN`).
pub(crate) fn set_rcvbuf_force(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    let v: libc::c_int = bytes.min(libc::c_int::MAX as usize) as libc::c_int;
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &v)
}

/// `SO_RCVTIMEO`: a blocking receive fails with `EAGAIN` after `timeout`
/// (`None` or zero: block forever).
pub(crate) fn set_rcvtimeo(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
    let tv = match timeout {
        None => libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        Some(d) => {
            let mut tv = libc::timeval {
                tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
                tv_usec: d.subsec_micros() as libc::suseconds_t,
            };
            // a zero timeval means "forever": round a tiny timeout up to 1 µs
            if tv.tv_sec == 0 && tv.tv_usec == 0 {
                tv.tv_usec = 1;
            }
            tv
        }
    };
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)
}
