//! Hostile streams through the whole pipeline (log bytes -> lines -> records
//! -> reassembly -> typed events -> JSON), one class of attack each: what a
//! process on the host, or on an aggregated log any host, can write.
//!
//! Each stream runs in a child process (this test binary, `--exact
//! hostile_stream`, the case in its environment), generated on the fly so
//! that the child holds nothing but the pipeline, on a thread with a 256 KiB
//! stack. The parent asserts:
//! - the child ends normally (no stack overflow, no allocation abort);
//! - its peak RSS (VmHWM) stays under 64 MB;
//! - its CPU time per byte is within a constant factor of a benign stream of
//!   the same size (the real log repeated), measured in the same run: linear,
//!   not quadratic. (A ratio, not a timed assertion.)
//!
//! Run alone (`cargo test --test hostile hostile_stream`), `hostile_stream`
//! runs every case small, in process, and checks what comes out.

use std::io::{self, BufReader, Read};
use std::process::Command;
use std::time::Duration;

use auditstream::output::json::{write_event, JsonOptions};
use auditstream::source::log::LogEvents;
use auditstream::Error;

const RSS_LIMIT_KB: u64 = 64 * 1024;
/// CPU time per byte, hostile over benign, at most.
const TIME_RATIO: f64 = 25.0;
const ENV_CASE: &str = "AUDITSTREAM_HOSTILE_CASE";
const ENV_BYTES: &str = "AUDITSTREAM_HOSTILE_BYTES";

/// A generator appends the next chunk of its stream (line `i`) to `out`.
type Gen = fn(u64, &mut Vec<u8>);

struct Case {
    name: &'static str,
    /// Stream size for the child.
    bytes: u64,
    gen: Gen,
}

fn user(serial: u64, body: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("type=USER msg=audit(1.000:{serial}): {body}\n").as_bytes());
}

const CASES: &[Case] = &[
    // msg='msg='msg='... 10,000 levels in one 60 KB line: the JSON writer
    // and serde recursed once per level.
    Case {
        name: "nested_msg",
        bytes: 24 << 20,
        gen: |i, out| {
            let depth = 10_000;
            out.extend_from_slice(format!("type=USER msg=audit(1.000:{i}): pid=1 ").as_bytes());
            out.extend(std::iter::repeat_n(b"msg='", depth).flatten());
            out.extend_from_slice(b"x=1");
            out.extend(std::iter::repeat_n(b'\'', depth));
            out.push(b'\n');
        },
    },
    // argc=4294967295 and one far index: argv was sized from them (abort).
    Case {
        name: "argv_argc",
        bytes: 16 << 20,
        gen: |i, out| {
            out.extend_from_slice(
                format!(
                    "type=EXECVE msg=audit(1.000:{i}): argc=4294967295 a0=\"a\" a4294967294=\"x\" a{}=\"y\"\n",
                    100_000_000 + i
                )
                .as_bytes(),
            );
        },
    },
    // No argc, indexes 65536 apart: 4.9 KB of input grew argv to 617 MB.
    Case {
        name: "argv_steps",
        bytes: 16 << 20,
        gen: |i, out| {
            out.extend_from_slice(format!("type=EXECVE msg=audit(1.000:{i}):").as_bytes());
            for k in 0..400u64 {
                out.extend_from_slice(format!(" a{}=\"x\"", k * 65536).as_bytes());
            }
            out.push(b'\n');
        },
    },
    // A new node= name on every line: names were never forgotten.
    Case {
        name: "node_names",
        bytes: 48 << 20,
        gen: |i, out| {
            out.extend_from_slice(format!("node=host-{i:016x}-{i:016x} ").as_bytes());
            user(i, "msg='x'", out);
        },
    },
    // Per node, one serial jump just under the discontinuity: each kept a
    // 256 KiB missing-serial buffer, and each jump walked ~1M steps.
    Case {
        name: "node_jumps",
        bytes: 16 << 20,
        gen: |i, out| {
            let node = i / 2;
            let serial = if i % 2 == 0 { 1 } else { 1_000_000 };
            out.extend_from_slice(format!("node=n{node} ").as_bytes());
            user(serial, "msg='x'", out);
        },
    },
    // One stream-long line without a newline.
    Case {
        name: "long_line",
        bytes: 100 << 20,
        gen: |_, out| out.extend(std::iter::repeat_n(b'x', 1 << 16)),
    },
    // 4,096 events in flight at once, each growing by 60 KB records: the
    // in-flight limits multiplied to ~32 GiB.
    Case {
        name: "in_flight",
        bytes: 160 << 20,
        gen: |i, out| {
            let serial = i % 4096;
            out.extend_from_slice(
                format!("type=PATH msg=audit(1.000:{serial}): item=0 name=\"").as_bytes(),
            );
            out.extend(std::iter::repeat_n(b'p', 60_000));
            out.extend_from_slice(b"\"\n");
        },
    },
    // Serials jumping forward by just under 2^20 on one node: every record
    // walked the whole jump.
    Case {
        name: "serial_walk",
        bytes: 8 << 20,
        gen: |i, out| user(i.wrapping_mul(1_040_000) % (1 << 32), "msg='x'", out),
    },
    // 60 KB lines of distinct keys: numbering repeated keys was quadratic.
    Case {
        name: "distinct_keys",
        bytes: 24 << 20,
        gen: |i, out| {
            out.extend_from_slice(format!("type=USER msg=audit(1.000:{i}):").as_bytes());
            for k in 0..6000 {
                out.extend_from_slice(format!(" k{k}=1").as_bytes());
            }
            out.push(b'\n');
        },
    },
];

/// The real RAW log, repeated: the benign stream of the same size.
fn benign(i: u64, out: &mut Vec<u8>) {
    static LOG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let log = LOG.get_or_init(|| {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/audit-raw.log"
        ))
        .unwrap()
    });
    // shift serials so that repeats are new events, not late records
    let text = String::from_utf8_lossy(log);
    for line in text.lines() {
        let Some((head, rest)) = line.split_once(':') else {
            continue;
        };
        let Some((serial, body)) = rest.split_once("):") else {
            continue;
        };
        let serial: u64 = serial.parse().unwrap_or(0);
        out.extend_from_slice(format!("{head}:{}):{body}\n", serial + i * 1_000_000).as_bytes());
    }
}

/// `limit` bytes of a generated stream.
struct Stream {
    gen: Gen,
    next: u64,
    buf: Vec<u8>,
    pos: usize,
    left: u64,
}

impl Stream {
    fn new(gen: Gen, limit: u64) -> Stream {
        Stream {
            gen,
            next: 0,
            buf: Vec::new(),
            pos: 0,
            left: limit,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            (self.gen)(self.next, &mut self.buf);
            self.next += 1;
        }
        let n = out
            .len()
            .min(self.buf.len() - self.pos)
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Debug, Default)]
struct Outcome {
    events: u64,
    errors: u64,
    bytes: u64,
    max_json: usize,
}

/// The pipeline as `audit2json` runs it.
fn run(gen: Gen, limit: u64) -> Outcome {
    let mut events = LogEvents::new(BufReader::with_capacity(1 << 20, Stream::new(gen, limit)));
    let mut out = Outcome::default();
    let mut json = Vec::new();
    while let Some(ev) = events.next_event() {
        match ev {
            Ok(ev) => {
                out.events += 1;
                json.clear();
                write_event(&mut json, &ev.event(), JsonOptions::default());
                out.max_json = out.max_json.max(json.len());
                if json.capacity() > 1 << 20 {
                    json = Vec::new();
                }
            }
            Err(Error::Parse { .. }) => out.errors += 1,
            Err(e) => panic!("{e}"),
        }
    }
    out.bytes = events.bytes_read();
    out
}

fn proc_status(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of this process.
fn cpu_time() -> Duration {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    // fields 14 and 15 (utime, stime), counted from 1 with pid and comm
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// In the child: runs one case on a small stack and prints what it used.
fn child(case: &str, bytes: u64) {
    let gen = match case {
        "benign" => benign as Gen,
        _ => {
            CASES
                .iter()
                .find(|c| c.name == case)
                .expect("known case")
                .gen
        }
    };
    let t0 = cpu_time();
    let out = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || run(gen, bytes))
        .unwrap()
        .join()
        .expect("the pipeline thread");
    let cpu = cpu_time() - t0;
    println!(
        "RESULT rss_kb={} cpu_ms={} events={} errors={} bytes={} max_json={}",
        proc_status("VmHWM:"),
        cpu.as_millis(),
        out.events,
        out.errors,
        out.bytes,
        out.max_json
    );
}

/// Runs a case in a child; its report.
fn in_child(case: &str, bytes: u64) -> Vec<(String, u64)> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hostile_stream",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_CASE, case)
        .env(ENV_BYTES, bytes.to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{case}: the child failed ({}): {}{}",
        out.status,
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("{case}: no result in {text}"));
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn get(r: &[(String, u64)], k: &str) -> u64 {
    r.iter().find(|(n, _)| n == k).unwrap().1
}

/// Every class of hostile stream, each in a child at full size.
#[test]
fn hostile_streams_stay_bounded() {
    let mut report = Vec::new();
    // the benign baseline per byte, at each size used
    let mut baselines: Vec<(u64, f64)> = Vec::new();
    for case in CASES {
        let base = match baselines.iter().find(|(b, _)| *b == case.bytes) {
            Some(&(_, ms)) => ms,
            None => {
                let r = in_child("benign", case.bytes);
                let ms = get(&r, "cpu_ms").max(10) as f64;
                baselines.push((case.bytes, ms));
                ms
            }
        };
        let r = in_child(case.name, case.bytes);
        let (rss, ms) = (get(&r, "rss_kb"), get(&r, "cpu_ms") as f64);
        let ratio = ms / base;
        report.push(format!(
            "{:<14} {:>4} MB  peak RSS {:>6} KB  CPU {:>6} ms ({:.2} x benign)  events {}  errors {}",
            case.name,
            case.bytes >> 20,
            rss,
            ms,
            ratio,
            get(&r, "events"),
            get(&r, "errors"),
        ));
        assert_eq!(
            get(&r, "bytes"),
            case.bytes,
            "{}: all input read",
            case.name
        );
        assert!(
            rss < RSS_LIMIT_KB,
            "{}: peak RSS {rss} KB\n{}",
            case.name,
            report.join("\n")
        );
        assert!(
            ratio < TIME_RATIO,
            "{}: {ratio:.1} x benign\n{}",
            case.name,
            report.join("\n")
        );
    }
    eprintln!("{}", report.join("\n"));
}

/// The child of [`hostile_streams_stay_bounded`] when its environment names
/// a case; run alone, every case small, in process, and what comes out.
#[test]
fn hostile_stream() {
    if let (Ok(case), Ok(bytes)) = (std::env::var(ENV_CASE), std::env::var(ENV_BYTES)) {
        child(&case, bytes.parse().unwrap());
        return;
    }
    for case in CASES {
        let out = run(case.gen, 1 << 20);
        assert_eq!(out.bytes, 1 << 20, "{}", case.name);
        match case.name {
            "long_line" => assert_eq!((out.events, out.errors), (0, 1)),
            "nested_msg" | "distinct_keys" | "node_names" | "serial_walk" => {
                assert!(out.events > 0 && out.errors <= 1, "{}: {out:?}", case.name)
            }
            _ => assert!(out.events > 0, "{}: {out:?}", case.name),
        }
        // nothing is output bigger than what the limits allow
        assert!(out.max_json < 1 << 20, "{}: {out:?}", case.name);
    }
}
