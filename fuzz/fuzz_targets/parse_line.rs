//! Fuzz target: Record::parse_line and everything a parsed record offers (fields, values, nested
//! fields, keys, numbers, enrichment, owned copy, Display round trip).
//! The checks live in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::parse_line(data));
