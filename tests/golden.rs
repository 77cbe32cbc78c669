//! Golden files: testdata/golden/*.log (whole events picked from the real
//! captures: split and hex arguments, odd names, every socket family, failed
//! execs, LOGIN, USER, ANOM_ABEND, CONFIG_CHANGE, DAEMON_*, ENRICHED lines)
//! and their JSON as records, as events, and as events with --hex-bytes.
//! `BLESS=1 cargo test --test golden` rewrites the .json files; review the diff.

use std::fs;
use std::path::Path;

use auditstream::output::json::{write_event, write_record, JsonOptions};
use auditstream::source::log::{LineReader, LogEvents};

fn render(log: &[u8]) -> [(String, Vec<u8>); 3] {
    let mut records = Vec::new();
    let mut lines = LineReader::new(log);
    while let Some(r) = lines.next_record() {
        let r = r.unwrap().expect("golden lines parse");
        write_record(&mut records, &r, JsonOptions::default());
        records.push(b'\n');
    }
    let events = |opt| {
        let mut out = Vec::new();
        let mut ev = LogEvents::new(log);
        while let Some(e) = ev.next_event() {
            write_event(&mut out, &e.unwrap().event(), opt);
            out.push(b'\n');
        }
        out
    };
    [
        ("records.json".into(), records),
        ("events.json".into(), events(JsonOptions::default())),
        (
            "events-hex.json".into(),
            events(JsonOptions { hex_bytes: true }),
        ),
    ]
}

#[test]
fn golden_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden");
    let bless = std::env::var("BLESS").as_deref() == Ok("1");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("log") {
            continue;
        }
        let log = fs::read(&path).unwrap();
        for (suffix, got) in render(&log) {
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let golden = dir.join(format!("{stem}.{suffix}"));
            if bless {
                fs::write(&golden, &got).unwrap();
                continue;
            }
            let want = fs::read(&golden)
                .unwrap_or_else(|e| panic!("{}: {e} (BLESS=1 makes it)", golden.display()));
            if want != got {
                let (w, g) = (
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&got),
                );
                let first = w.lines().zip(g.lines()).position(|(a, b)| a != b);
                panic!(
                    "{} differs at line {:?}:\nwant {}\ngot  {}",
                    golden.display(),
                    first.map(|i| i + 1),
                    first.map_or("", |i| w.lines().nth(i).unwrap()),
                    first.map_or("", |i| g.lines().nth(i).unwrap()),
                );
            }
            // Every line is valid JSON.
            for l in got.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                serde_json::from_slice::<serde_json::Value>(l).expect("valid JSON line");
            }
            checked += 1;
        }
    }
    assert!(bless || checked >= 6, "{checked} golden files checked");
}
