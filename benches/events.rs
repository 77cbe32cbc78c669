//! Log file to events: parse + reassembly + structured events, and the same
//! with JSON output (native, ECS, OCSF), in bytes/s and events/s.
//! `AUDITSTREAM_BENCH_LOG` picks the log (default:
//! /tmp/corpus-large/audit-raw.log if present, else the small RAW log in
//! testdata/). The README's schema figure is `json_ecs` over `json`; its
//! context figures are `reassemble_context` over `reassemble` and
//! `json_context` over `json` (an offline process tracker: the log's own
//! events, nothing of this machine).
//!
//! Group `sources`: the same log read from its file (page cache) by
//! `LogEvents` and by the follower (`FollowEvents`, which ends here when
//! the file has been read: the idle flush is set to zero, so the events in
//! flight at the end come out at once). The README's follower figure is
//! `follow_file` over `log_file`.

use std::hint::black_box;
use std::time::Duration;

use auditstream::context::{ContextConfig, ProcessTracker};
use auditstream::event::EventKind;
use auditstream::output::json::{self, write_event, JsonOptions};
use auditstream::output::schema::{Context, Ecs, Ocsf};
use auditstream::output::WithContext;
use auditstream::source::log::LogEvents;
use auditstream::{FollowConfig, FollowEvents};
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn events(data: &[u8]) -> u64 {
    let mut ev = LogEvents::new(data);
    let mut n = 0;
    while let Some(e) = ev.next_event() {
        let e = e.expect("corpus parses");
        match e.event().kind {
            EventKind::Exec(x) => n += x.argv.len() as u64,
            EventKind::Socket(s) => n += u64::from(s.sockaddr().is_some()),
            EventKind::Other(r) => n += r.len() as u64,
            EventKind::Lost(l) => n += l.count,
        }
    }
    n
}

/// As `events`, with each event's context from an offline tracker.
fn events_context(data: &[u8]) -> u64 {
    let mut ev = LogEvents::new(data);
    let mut tracker = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let mut n = 0;
    while let Some(e) = ev.next_event() {
        let e = e.expect("corpus parses");
        let event = e.event();
        let ctx = tracker.observe(&event, e.records());
        n += ctx.map_or(0, |c| c.ancestry.len() as u64);
        match event.kind {
            EventKind::Exec(x) => n += x.argv.len() as u64,
            EventKind::Socket(s) => n += u64::from(s.sockaddr().is_some()),
            EventKind::Other(r) => n += r.len() as u64,
            EventKind::Lost(l) => n += l.count,
        }
    }
    n
}

/// As `audit2json --context` writes events (native JSON).
fn json_context(data: &[u8]) -> usize {
    let mut ev = LogEvents::new(data);
    let mut tracker = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let mut out = Vec::with_capacity(1 << 20);
    let mut total = 0;
    while let Some(e) = ev.next_event() {
        let e = e.expect("corpus parses");
        let event = e.event();
        let ctx = tracker.observe(&event, e.records());
        json::write(
            &mut out,
            &WithContext::new(&event, ctx.as_ref()),
            JsonOptions::default(),
        );
        out.push(b'\n');
        if out.len() > 1 << 20 {
            total += out.len();
            out.clear();
        }
    }
    total + out.len()
}

#[derive(Clone, Copy)]
enum Format {
    Native,
    Ecs,
    Ocsf,
}

/// As `audit2json --format ...` writes events (the schemas with the
/// ENRICHED names and a host name for records without `node=`).
fn json(data: &[u8], format: Format) -> usize {
    let mut ev = LogEvents::new(data);
    let mut out = Vec::with_capacity(1 << 20);
    let mut total = 0;
    let opt = JsonOptions::default();
    while let Some(e) = ev.next_event() {
        let e = e.expect("corpus parses");
        let event = e.event();
        let ctx = || Context::default().host(b"bench").names_from(e.records());
        match format {
            Format::Native => write_event(&mut out, &event, opt),
            Format::Ecs => json::write(&mut out, &Ecs::new(&event, ctx()), opt),
            Format::Ocsf => json::write(&mut out, &Ocsf::new(&event, ctx()), opt),
        }
        out.push(b'\n');
        if out.len() > 1 << 20 {
            total += out.len();
            out.clear();
        }
    }
    total + out.len()
}

/// Events read by `LogEvents` from the file.
fn log_file(path: &str) -> u64 {
    let f = std::fs::File::open(path).unwrap();
    // as audit2json reads a file
    let mut ev = LogEvents::new(std::io::BufReader::with_capacity(1 << 20, f));
    let mut n = 0;
    while let Some(e) = ev.next_event() {
        black_box(e.expect("corpus parses"));
        n += 1;
    }
    n
}

/// Events read by the follower from the file, until it has all `want`.
fn follow_file(path: &str, want: u64) -> u64 {
    let mut cfg = FollowConfig::default();
    cfg.idle_timeout = Duration::ZERO;
    cfg.poll_interval = Duration::from_millis(1);
    let mut ev = FollowEvents::open(path, cfg).unwrap();
    let mut n = 0;
    while n < want {
        let e = ev.next_event().expect("a follower does not end");
        black_box(e.expect("corpus parses"));
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let (path, data) = common::load();
    {
        let n = log_file(&path);
        assert_eq!(follow_file(&path, n), n);
        let mut g = c.benchmark_group("sources");
        g.throughput(Throughput::Bytes(data.len() as u64));
        if data.len() > 50 << 20 {
            g.sample_size(10);
        }
        g.bench_function("log_file", |b| b.iter(|| log_file(black_box(&path))));
        g.bench_function("follow_file", |b| {
            b.iter(|| follow_file(black_box(&path), n))
        });
        g.finish();
    }
    let n_events = LogEvents::new(&data[..]).count() as u64;
    eprintln!("{} bytes, {} events", data.len(), n_events);
    for (name, tp) in [
        ("bytes", Throughput::Bytes(data.len() as u64)),
        ("events", Throughput::Elements(n_events)),
    ] {
        let mut g = c.benchmark_group(format!("events_{name}"));
        g.throughput(tp);
        if data.len() > 50 << 20 {
            g.sample_size(10);
        }
        g.bench_function("reassemble", |b| b.iter(|| events(black_box(&data))));
        g.bench_function("reassemble_context", |b| {
            b.iter(|| events_context(black_box(&data)))
        });
        g.bench_function("json_context", |b| {
            b.iter(|| json_context(black_box(&data)))
        });
        g.bench_function("json", |b| {
            b.iter(|| json(black_box(&data), Format::Native))
        });
        g.bench_function("json_ecs", |b| {
            b.iter(|| json(black_box(&data), Format::Ecs))
        });
        g.bench_function("json_ocsf", |b| {
            b.iter(|| json(black_box(&data), Format::Ocsf))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
