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

mod generated {
    use auditstream::output::json::{write_event, JsonOptions};
    use auditstream::source::log::LogEvents;
    use proptest::prelude::*;

    /// Bytes as a log writes them: hex (the kernel's encoded form) when they
    /// hold anything but plain printable ASCII, quoted otherwise.
    fn encoded(b: &[u8]) -> String {
        if b.iter().all(|&c| c.is_ascii_graphic() && c != b'"') && !b.is_empty() {
            format!("\"{}\"", String::from_utf8_lossy(b))
        } else {
            b.iter().map(|c| format!("{c:02X}")).collect()
        }
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            "[a-z/._-]{0,12}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..12),
        ]
    }

    /// A record body from one of the shapes events have.
    fn record(serial: u32) -> impl Strategy<Value = String> {
        let head = move |t: &str| format!("type={t} msg=audit(1.000:{serial}): ");
        prop_oneof![
            (0u32..3, bytes(), bytes()).prop_map(move |(sc, comm, exe)| {
                let nr = [59, 42, 2][sc as usize];
                format!(
                    "{}arch=c000003e syscall={nr} success=no exit=-2 pid=7 uid=0 auid=4294967295 comm={} exe={} key=(null)",
                    head("SYSCALL"),
                    encoded(&comm),
                    encoded(&exe)
                )
            }),
            proptest::collection::vec(bytes(), 0..4).prop_map(move |args| {
                let a: Vec<String> = args
                    .iter()
                    .enumerate()
                    .map(|(i, x)| format!("a{i}={}", encoded(x)))
                    .collect();
                format!("{}argc={} {}", head("EXECVE"), args.len(), a.join(" "))
            }),
            proptest::collection::vec(any::<u8>(), 2..30).prop_map(move |s| {
                format!("{}saddr={}", head("SOCKADDR"), encoded(&s).trim_matches('"'))
            }),
            (bytes(), "[a-z@%]{1,3}", 0usize..4).prop_map(move |(text, key, depth)| {
                let mut body = format!("{key}=1 {key}=2 text={}", encoded(&text));
                for _ in 0..depth {
                    body = format!("msg='{body}'");
                }
                format!("{}pid=1 {body} avc: denied", head("USER"))
            }),
            bytes().prop_map(move |p| format!("{}cwd={}", head("CWD"), encoded(&p))),
            Just(format!("{}proctitle=6C73", head("PROCTITLE"))),
        ]
    }

    fn log() -> impl Strategy<Value = String> {
        proptest::collection::vec((0u32..6, prop::option::of("[a-z]{1,4}")), 1..25)
            .prop_flat_map(|ids| {
                let recs: Vec<_> = ids
                    .into_iter()
                    .map(|(serial, node)| {
                        record(serial).prop_map(move |r| match &node {
                            Some(n) => format!("node={n} {r}"),
                            None => r,
                        })
                    })
                    .collect();
                recs
            })
            .prop_map(|lines| lines.join("\n") + "\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn serde_equals_the_json_writer_on_generated_events(log in log()) {
            let mut n = 0;
            for ev in LogEvents::new(log.as_bytes()) {
                let ev = ev.unwrap();
                let event = ev.event();
                let mut line = Vec::new();
                write_event(&mut line, &event, JsonOptions::default());
                let a: serde_json::Value = serde_json::from_slice(&line).unwrap();
                prop_assert_eq!(&a, &serde_json::to_value(&event).unwrap());
                prop_assert_eq!(&a, &serde_json::to_value(event.clone().into_owned()).unwrap());
                n += 1;
            }
            prop_assert!(n > 0);
        }
    }
}
