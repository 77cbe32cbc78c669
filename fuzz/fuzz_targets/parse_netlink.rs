//! Fuzz target: Record::parse_netlink on the input as one datagram, and CaptureReader on the
//! input as a capture file.
//! The checks live in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::parse_netlink(data));
