//! Fuzz target: auditctl rule text (parse, print, parse again; encode and
//! decode `audit_rule_data`) and the same bytes as kernel rule data. The
//! checks live in `fuzz/checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::rules(data));
