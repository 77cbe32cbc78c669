//! The checked-in `src/tables/generated/` files are what `tools/gen-tables`
//! makes of `tools/gen-tables/data/`, byte for byte.
//!
//! After changing the data or the generator, regenerate with
//! `cargo run --manifest-path tools/gen-tables/Cargo.toml` or
//! `BLESS=1 cargo test --test tables_current`, and review the diff.

#[path = "../tools/gen-tables/src/gen.rs"]
mod gen;

use std::path::Path;

#[test]
fn generated_tables_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = root.join("src/tables/generated");
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    let files = gen::generate(&root.join("tools/gen-tables/data"));
    // A file the generator no longer makes is stale too.
    for entry in std::fs::read_dir(&out_dir).expect("read src/tables/generated") {
        let name = entry.expect("read src/tables/generated").file_name();
        let name = name.to_string_lossy().into_owned();
        if !files.iter().any(|(n, _)| *n == name) {
            if bless {
                std::fs::remove_file(out_dir.join(&name))
                    .unwrap_or_else(|e| panic!("remove {name}: {e}"));
            } else {
                stale.push(name);
            }
        }
    }
    for (name, expected) in files {
        let path = out_dir.join(&name);
        let actual = std::fs::read(&path).unwrap_or_default();
        if actual == expected.as_bytes() {
            continue;
        }
        if bless {
            std::fs::write(&path, &expected)
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        } else {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "src/tables/generated/ is out of date: {stale:?}; run \
         `BLESS=1 cargo test --test tables_current` (or tools/gen-tables) and review the diff"
    );
}
