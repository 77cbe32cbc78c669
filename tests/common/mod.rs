//! Shared by the integration tests: [`skip`], and (feature `netlink`) the
//! kernel-test harness in `kernel.rs`.
#![allow(dead_code)]

#[cfg(target_os = "linux")]
pub mod fakeproc;

#[cfg(all(feature = "netlink", target_os = "linux"))]
mod kernel;
#[cfg(all(feature = "netlink", target_os = "linux"))]
#[allow(unused_imports)]
pub use kernel::*;

/// A test that cannot run here says why and passes, except under CI
/// (`CI=true`, which `.ci/run` sets): there every test must run, so a
/// missing tool, capability or kernel feature fails it.
pub fn skip(why: &str) {
    if matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1")) {
        panic!("cannot run under CI: {why}");
    }
    eprintln!("skipping: {why}");
}
