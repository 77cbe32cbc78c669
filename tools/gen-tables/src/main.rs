//! Writes auditstream's generated lookup tables.
//!
//! Usage: `cargo run --manifest-path tools/gen-tables/Cargo.toml [REPO_ROOT]`
//! (REPO_ROOT defaults to the repository holding this tool). Reads
//! `tools/gen-tables/data/*.tsv`, writes `src/tables/generated/*.rs`.

mod gen;

use std::path::PathBuf;

fn main() {
    let root = match std::env::args_os().nth(1) {
        Some(arg) => PathBuf::from(arg),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    };
    let data = root.join("tools/gen-tables/data");
    let out = root.join("src/tables/generated");
    std::fs::create_dir_all(&out).expect("create src/tables/generated");
    for (name, text) in gen::generate(&data) {
        let path = out.join(&name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
    }
}
