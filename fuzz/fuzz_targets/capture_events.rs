//! Fuzz target: netlink capture bytes through the whole pipeline (framing,
//! datagrams, reassembly, typed events, JSON, serde), as `pipeline` does
//! for logs. The checks live in `fuzz/checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::capture_events(data));
