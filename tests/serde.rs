//! With feature `serde`: events and records serialize exactly as the JSON
//! lines writer writes them, on every event and record of the real captures.
#![cfg(feature = "serde")]

use std::fs::File;
use std::io::BufReader;

use auditstream::json::{write_event, write_record, JsonOptions};
use auditstream::source::log::{LineReader, LogEvents};

#[test]
fn serde_matches_the_json_writer() {
    for name in ["audit-raw.log", "audit-enriched.log"] {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for ev in LogEvents::new(BufReader::new(File::open(&path).unwrap())) {
            let ev = ev.unwrap();
            let mut line = Vec::new();
            write_event(&mut line, &ev, JsonOptions::default());
            let a: serde_json::Value = serde_json::from_slice(&line).unwrap();
            let b = serde_json::to_value(&ev).unwrap();
            assert_eq!(a, b, "{name}: {}", String::from_utf8_lossy(&line));
            n += 1;
        }
        assert!(n > 500);
        let mut lines = LineReader::new(BufReader::new(File::open(&path).unwrap()));
        while let Some(r) = lines.next_record() {
            let r = r.unwrap().unwrap();
            let mut line = Vec::new();
            write_record(&mut line, &r, JsonOptions::default());
            let a: serde_json::Value = serde_json::from_slice(&line).unwrap();
            assert_eq!(a, serde_json::to_value(r).unwrap());
            assert_eq!(a, serde_json::to_value(r.to_owned_record()).unwrap());
        }
    }
}
