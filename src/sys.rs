//! The only unsafe code of the crate: `poll(2)` for streamed inputs, the
//! socket options and batch receive that netlink-sys does not expose, and
//! the registration of a socket with tokio's reactor.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// Waits until `fd` is readable (or at its end, or in error), at most
/// `timeout`; whether it is. `EINTR` counts as not yet.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(libc::c_int::MAX as u128) as libc::c_int;
    // SAFETY: `p` is one live, initialised pollfd for the call's duration, and
    // the count passed is 1; `fd` is borrowed open for the call.
    let rc = unsafe { libc::poll(&mut p, 1, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0)
}

/// `setsockopt(fd, level, name, &value, sizeof value)` for a plain-data value.
#[cfg(all(feature = "netlink", target_os = "linux"))]
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

#[cfg(all(feature = "netlink", target_os = "linux"))]
/// `SO_RCVBUFFORCE`: set the receive buffer above `rmem_max` (needs `CAP_NET_ADMIN`).
pub(crate) fn set_rcvbuf_force(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    let v: libc::c_int = bytes.min(libc::c_int::MAX as usize) as libc::c_int;
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &v)
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
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

#[cfg(all(feature = "netlink", target_os = "linux"))]
/// Most datagrams taken by one [`recvmmsg`].
pub(crate) const BATCH_SLOTS: usize = 64;

#[cfg(all(feature = "netlink", target_os = "linux"))]
/// Datagrams received by one `recvmmsg(2)`, handed out one by one.
pub(crate) struct RecvBatch {
    data: Box<[u8]>,
    slot: usize,
    /// Per received datagram: its full length (past `slot` when truncated)
    /// and the sender's port id.
    got: Vec<(usize, u32)>,
    next: usize,
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
impl RecvBatch {
    /// Room for [`BATCH_SLOTS`] datagrams of up to `slot` bytes.
    pub(crate) fn new(slot: usize) -> RecvBatch {
        RecvBatch {
            data: vec![0; slot * BATCH_SLOTS].into_boxed_slice(),
            slot,
            got: Vec::with_capacity(BATCH_SLOTS),
            next: 0,
        }
    }

    /// The next datagram not yet handed out: its bytes (cut at the slot size),
    /// full length and sender port id.
    pub(crate) fn pop(&mut self) -> Option<(&[u8], usize, u32)> {
        let &(len, port) = self.got.get(self.next)?;
        let i = self.next;
        self.next += 1;
        let start = i * self.slot;
        Some((&self.data[start..start + len.min(self.slot)], len, port))
    }
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
/// `recvmmsg(fd, ..., flags | MSG_TRUNC)` into `batch` (which must be
/// drained): the number of datagrams received (at least 1), or the error of
/// the first receive (`EAGAIN`, `ENOBUFS`, `EINTR`, ...).
pub(crate) fn recvmmsg(
    fd: BorrowedFd<'_>,
    batch: &mut RecvBatch,
    flags: libc::c_int,
) -> io::Result<usize> {
    const NL_LEN: usize = std::mem::size_of::<libc::sockaddr_nl>();
    batch.got.clear();
    batch.next = 0;
    // SAFETY: sockaddr_nl, iovec and mmsghdr are plain C structs for which all
    // zero bytes are a valid value.
    let mut addrs: [libc::sockaddr_nl; BATCH_SLOTS] = unsafe { std::mem::zeroed() };
    let mut iovs: [libc::iovec; BATCH_SLOTS] = unsafe { std::mem::zeroed() };
    let mut msgs: [libc::mmsghdr; BATCH_SLOTS] = unsafe { std::mem::zeroed() };
    let slot = batch.slot;
    for (i, chunk) in batch.data.chunks_exact_mut(slot).enumerate() {
        iovs[i].iov_base = chunk.as_mut_ptr().cast();
        iovs[i].iov_len = slot;
        let h = &mut msgs[i].msg_hdr;
        h.msg_name = (&mut addrs[i] as *mut libc::sockaddr_nl).cast();
        h.msg_namelen = NL_LEN as libc::socklen_t;
        h.msg_iov = &mut iovs[i];
        h.msg_iovlen = 1;
    }
    // SAFETY: `fd` is an open socket borrowed for the call. Every mmsghdr
    // points to its own sockaddr_nl of `msg_namelen` bytes and its own iovec,
    // which points to a distinct `slot`-byte chunk of `batch.data`; all of
    // them live on this stack frame or in `batch` and outlive the call, and
    // nothing else touches them during it. The kernel writes at most the
    // given lengths. No timeout pointer is passed.
    let rc = unsafe {
        libc::recvmmsg(
            fd.as_raw_fd(),
            msgs.as_mut_ptr(),
            BATCH_SLOTS as libc::c_uint,
            flags | libc::MSG_TRUNC,
            std::ptr::null_mut(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = rc as usize;
    for i in 0..n.min(BATCH_SLOTS) {
        batch.got.push((msgs[i].msg_len as usize, addrs[i].nl_pid));
    }
    Ok(n)
}

/// The name of user `uid` in the system's user database (`getpwuid_r`, so
/// NSS sources resolve too); `None` when there is no such user or the
/// lookup failed. The name is cut at [`MAX_NAME`] bytes.
pub(crate) fn user_name(uid: u32) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: `passwd` is plain C data for which all zero bytes are valid.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer passed points to live memory owned by this
        // frame: `pw`, `buf` of `buf.len()` bytes, and `result`. The call
        // writes only into them.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pw,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < MAX_LOOKUP_BUF {
            let n = buf.len() * 4;
            buf.resize(n, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pw.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string
        // inside `buf`, which is alive here.
        let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) };
        return Some(cut_name(name.to_bytes()));
    }
}

/// The name of group `gid` (`getgrgid_r`); as [`user_name`].
pub(crate) fn group_name(gid: u32) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: `group` is plain C data for which all zero bytes are valid.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: as in `user_name`: every pointer points to live memory of
        // this frame, `buf` is `buf.len()` bytes.
        let rc = unsafe {
            libc::getgrgid_r(
                gid,
                &mut gr,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < MAX_LOOKUP_BUF {
            let n = buf.len() * 4;
            buf.resize(n, 0);
            continue;
        }
        if rc != 0 || result.is_null() || gr.gr_name.is_null() {
            return None;
        }
        // SAFETY: on success `gr_name` points to a NUL-terminated string
        // inside `buf`, which is alive here.
        let name = unsafe { std::ffi::CStr::from_ptr(gr.gr_name) };
        return Some(cut_name(name.to_bytes()));
    }
}

/// Largest buffer a user or group lookup may grow to (a group with many
/// members needs more than the first 1 KiB).
const MAX_LOOKUP_BUF: usize = 1 << 20;

/// Longest user or group name kept.
pub(crate) const MAX_NAME: usize = 256;

fn cut_name(b: &[u8]) -> Vec<u8> {
    b[..b.len().min(MAX_NAME)].to_vec()
}

/// `CLOCK_REALTIME - CLOCK_BOOTTIME` in nanoseconds: the wall-clock time of
/// boot as the kernel's process start times count it (`/proc/PID/stat`
/// field 22 is `CLOCK_BOOTTIME` in clock ticks).
#[cfg(target_os = "linux")]
pub(crate) fn boot_wall_nanos() -> Option<i128> {
    let read = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a live timespec the call writes.
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        (rc == 0).then(|| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
    };
    let boot = read(libc::CLOCK_BOOTTIME)?;
    let real = read(libc::CLOCK_REALTIME)?;
    Some(real - boot)
}

/// Clock ticks per second of `/proc` times (`sysconf(_SC_CLK_TCK)`).
#[cfg(target_os = "linux")]
pub(crate) fn clock_ticks() -> u64 {
    // SAFETY: sysconf only reads its argument.
    let n = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if n > 0 {
        n as u64
    } else {
        100
    }
}

/// Registers `fd` (a duplicate of a socket's descriptor, which refers to the
/// same open socket: epoll watches the file description, so readiness is the
/// socket's) with the current tokio reactor, for read readiness. The
/// `AsyncFd` owns it and closes it when dropped; `into_inner` deregisters it
/// and gives it back.
#[cfg(all(feature = "tokio", target_os = "linux"))]
pub(crate) fn register_readable(
    fd: std::os::fd::OwnedFd,
) -> io::Result<::tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    // SAFETY: `fd` is an open descriptor owned by the `AsyncFd` from here on:
    // it stays open, refers to the same file description, and its
    // `as_raw_fd` returns the same number until the `AsyncFd` is dropped or
    // taken apart.
    unsafe {
        ::tokio::io::unix::AsyncFd::register_with_interest(fd, ::tokio::io::Interest::READABLE)
    }
    .map_err(|e| e.into_parts().1)
}

/// An inotify watch on a directory: wakes a follower as soon as a file in it
/// is written, created, renamed or removed (Linux). Which file does not
/// matter: the follower looks at its files again after any event.
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub(crate) struct DirWatch {
    fd: std::os::fd::OwnedFd,
}

#[cfg(target_os = "linux")]
impl DirWatch {
    /// Watches `dir`. Fails where inotify is unavailable or out of watches
    /// (the caller then polls).
    pub(crate) fn new(dir: &std::path::Path) -> io::Result<DirWatch> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: no pointers; the flags are valid.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new descriptor that nothing else owns.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        let mask = libc::IN_MODIFY
            | libc::IN_CREATE
            | libc::IN_MOVED_FROM
            | libc::IN_MOVED_TO
            | libc::IN_DELETE
            | libc::IN_CLOSE_WRITE
            | libc::IN_ATTRIB;
        // SAFETY: `fd` is open; `path` is a NUL-terminated string that lives
        // for the call.
        if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), path.as_ptr(), mask) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(DirWatch { fd })
    }

    /// The descriptor (readable when events are queued).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Waits at most `timeout` for an event; whether one came. The events
    /// queued are consumed.
    pub(crate) fn wait(&self, timeout: Duration) -> io::Result<bool> {
        use std::os::fd::AsFd;
        let any = poll_readable(self.fd.as_fd(), timeout)?;
        if any {
            self.drain()?;
        }
        Ok(any)
    }

    /// Consumes the queued events.
    fn drain(&self) -> io::Result<()> {
        use std::os::fd::AsFd;
        drain_nonblocking(self.fd.as_fd())
    }
}

/// Reads and discards what a non-blocking descriptor holds (the events of
/// an inotify descriptor, or of a duplicate of one).
#[cfg(target_os = "linux")]
pub(crate) fn drain_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `fd` is borrowed open for the call; `buf` is a live,
        // writable buffer of the length given.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            continue;
        }
        if n == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock => return Ok(()),
            io::ErrorKind::Interrupted => {}
            _ => return Err(e),
        }
    }
}
