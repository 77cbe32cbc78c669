//! With feature `serde`: events and records serialize exactly as the JSON
//! lines writer writes them, on every event and record of the real captures
//! (both walk one description; `fuzz/checks.rs` `pipeline` compares them on
//! generated and fuzzed input too).
#![cfg(feature = "serde")]

use std::fs::File;
use std::io::BufReader;

use auditstream::output::json::{write_event, write_record, JsonOptions};
use auditstream::source::capture::CaptureEvents;
use auditstream::source::log::{LineReader, LogEvents};

fn path(name: &str) -> String {
    format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn serde_matches_the_json_writer() {
    for name in ["audit-raw.log", "audit-enriched.log"] {
        let mut n = 0;
        for ev in LogEvents::new(BufReader::new(File::open(path(name)).unwrap())) {
            let ev = ev.unwrap();
            let event = ev.event();
            let mut line = Vec::new();
            write_event(&mut line, &event, JsonOptions::default());
            let a: serde_json::Value = serde_json::from_slice(&line).unwrap();
            assert_eq!(a, serde_json::to_value(&ev).unwrap(), "{name}");
            assert_eq!(a, serde_json::to_value(&event).unwrap(), "{name}");
            n += 1;
        }
        assert!(n > 500);
        let mut lines = LineReader::new(BufReader::new(File::open(path(name)).unwrap()));
        let mut records = 0;
        while let Some(r) = lines.next_record() {
            let r = r.unwrap().unwrap();
            let mut line = Vec::new();
            write_record(&mut line, &r, JsonOptions::default());
            let a: serde_json::Value = serde_json::from_slice(&line).unwrap();
            assert_eq!(a, serde_json::to_value(r).unwrap());
            assert_eq!(a, serde_json::to_value(r.to_owned_record()).unwrap());
            records += 1;
        }
        assert!(records > 2000);
    }
    for name in ["audit-raw.netlink.bin", "audit-enriched.netlink.bin"] {
        for ev in CaptureEvents::new(BufReader::new(File::open(path(name)).unwrap())) {
            let ev = ev.unwrap();
            let event = ev.event();
            let mut line = Vec::new();
            write_event(&mut line, &event, JsonOptions::default());
            let a: serde_json::Value = serde_json::from_slice(&line).unwrap();
            assert_eq!(a, serde_json::to_value(&event).unwrap());
        }
    }
}

#[test]
fn typed_events_serialize_alone() {
    let log = b"type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=59 success=yes exit=0 pid=9 comm=\"sh\" exe=\"/bin/ls\" key=(null)\ntype=EXECVE msg=audit(1.000:7): argc=2 a0=\"ls\" a1=2D6CFF\ntype=PROCTITLE msg=audit(1.000:7): proctitle=\"ls\"\n";
    let ev = LogEvents::new(&log[..]).next().unwrap().unwrap();
    let auditstream::event::EventKind::Exec(e) = ev.event().kind else {
        panic!()
    };
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["argv"], serde_json::json!(["ls", {"hex": "2d6cff"}]));
    assert_eq!(v["exe"], "/bin/ls");
    assert!(v.get("kind").is_none(), "the header belongs to Event");
}
