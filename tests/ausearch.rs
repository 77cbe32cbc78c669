//! Cross-check with ausearch (Debian package auditd, installed by .ci/run):
//! on the real logs in testdata/, every event ausearch finds has the same
//! records as ours. ausearch puts a LOGIN record in a group of its own,
//! apart from the SYSCALL and PROCTITLE of the same serial; auditstream keeps
//! one event per (time, serial), so ausearch's groups are merged by
//! (time, serial) before comparing. Skipped, with a message, without ausearch
//! (failed under CI).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::process::Command;

use auditstream::source::log::LogEvents;

mod common;

type Key = (String, u32);

fn ausearch_events(path: &str) -> Option<BTreeMap<Key, Vec<String>>> {
    let out = Command::new("ausearch").args(["-if", path]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut events: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let Some(ty) = line.strip_prefix("type=").and_then(|r| r.split(' ').next()) else {
            continue;
        };
        let Some(hdr) = line
            .split("msg=audit(")
            .nth(1)
            .and_then(|r| r.split(')').next())
        else {
            continue;
        };
        let (time, serial) = hdr.split_once(':').expect("time:serial");
        events
            .entry((time.to_string(), serial.parse().expect("serial")))
            .or_default()
            .push(ty.to_string());
    }
    Some(events)
}

#[test]
fn events_match_ausearch() {
    for name in ["audit-raw.log", "audit-enriched.log"] {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        let Some(mut theirs) = ausearch_events(&path) else {
            common::skip("ausearch is not installed");
            return;
        };
        let mut ours: BTreeMap<Key, Vec<String>> = BTreeMap::new();
        for ev in LogEvents::new(BufReader::new(File::open(&path).unwrap())) {
            let ev = ev.unwrap();
            let key = (ev.id().time.to_string(), ev.id().serial);
            let types: Vec<String> = ev.records().map(|r| r.record_type().to_string()).collect();
            assert!(
                ours.insert(key, types).is_none(),
                "one event per (time, serial)"
            );
        }
        assert!(ours.len() > 500, "{name}: {}", ours.len());
        for types in theirs.values_mut().chain(ours.values_mut()) {
            types.sort();
        }
        assert_eq!(ours, theirs, "{name}");
    }
}
