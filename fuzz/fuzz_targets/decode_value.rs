//! Fuzz target: Fields over an arbitrary body (the first byte picks the record type, EXECVE
//! and LOGIN among them): lossless tokenizing and value decoding against references.
//! The checks live in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decode_value(data));
