//! SIGINT and SIGTERM ask a source to stop: the examples' one signal
//! handler (included by `#[path]`; this directory is not an example).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

extern "C" fn on_signal(_: libc::c_int) {
    if let Some(flag) = STOP.get() {
        flag.store(true, Ordering::Relaxed);
    }
}

/// SIGINT and SIGTERM set `flag` (a source's stop handle). The first flag
/// given is the one they set.
pub fn stop_on_signals(flag: Arc<AtomicBool>) {
    let _ = STOP.set(flag);
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only does an atomic load and store.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}
