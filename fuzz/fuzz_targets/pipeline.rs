//! Fuzz target: audit.log bytes through the whole pipeline (lines, records,
//! reassembly with default and tiny limits, typed events, JSON in both
//! byte-string modes, serde, the ECS and OCSF views): valid JSON without
//! duplicate keys, serde equal, schema strings in the text rule.
//! The checks live in `fuzz/checks.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::pipeline(data));
