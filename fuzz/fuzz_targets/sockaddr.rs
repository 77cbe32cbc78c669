//! Fuzz target: SockAddr::from_hex and SockAddr::from_bytes in both byte orders.
//! The checks live in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::sockaddr(data));
