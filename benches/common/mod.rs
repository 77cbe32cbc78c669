//! The log the benches read: `AUDITSTREAM_BENCH_LOG`, else the large real log
//! that `../shared/corpus/capture.sh large 300` writes, else the small RAW log
//! in testdata/.

/// The path and bytes of the bench log.
pub fn load() -> (String, Vec<u8>) {
    let path = std::env::var("AUDITSTREAM_BENCH_LOG").unwrap_or_else(|_| {
        let big = "/tmp/corpus-large/audit-raw.log";
        if std::path::Path::new(big).exists() {
            big.to_string()
        } else {
            format!("{}/testdata/audit-raw.log", env!("CARGO_MANIFEST_DIR"))
        }
    });
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    eprintln!("bench log: {path} ({} bytes)", data.len());
    (path, data)
}
