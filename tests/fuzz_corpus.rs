//! Replays the saved fuzz corpus (`fuzz/corpus/<target>/`) and the crash
//! regressions (`fuzz/regressions/<target>/`) through the fuzz targets' checks,
//! so that `cargo test` catches what the fuzzers once found, without nightly.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::fs;
use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: &[(&str, Check)] = &[
    ("parse_line", checks::parse_line),
    ("parse_netlink", checks::parse_netlink),
    ("decode_value", checks::decode_value),
    ("sockaddr", checks::sockaddr),
    ("pipeline", checks::pipeline),
    ("capture_events", checks::capture_events),
    #[cfg(all(feature = "netlink", target_os = "linux"))]
    ("rules", checks::rules),
];

/// Runs `check` on every file of `dir` (if it exists); returns how many.
fn replay(dir: &Path, check: Check) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in &files {
        let data = fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| check(&data));
        if r.is_err() {
            panic!("{} fails its check", f.display());
        }
    }
    files.len()
}

#[test]
fn fuzz_corpus_and_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut corpus = 0;
    for (name, check) in TARGETS {
        corpus += replay(&root.join("corpus").join(name), *check);
        replay(&root.join("regressions").join(name), *check);
    }
    // The corpus is part of the repository: it must not vanish unnoticed.
    assert!(corpus > 0, "no fuzz corpus under {}", root.display());
}
