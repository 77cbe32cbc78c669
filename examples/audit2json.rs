//! audit2json: audit logs or netlink captures to JSON lines.
//!
//! ```text
//! audit2json [--records] [--netlink] [--stats] [--hex-bytes] FILE...
//! ```
//!
//! By default every event (exec, socket, other, lost) is written as one JSON
//! object per line; `--records` writes every record instead. `FILE` is an
//! audit.log (RAW or ENRICHED), or with `--netlink` a capture of raw netlink
//! datagrams (`[u32 LE length][nlmsghdr + payload]`); `-` is stdin. Several
//! files are read in order as one stream (oldest first for a rotated set).
//! `--stats` parses and reassembles without writing JSON (with `--records`:
//! parses and decodes every field). `--hex-bytes`
//! writes byte strings as lowercase hex. The JSON format is documented in
//! `auditstream::json`. A one-line summary goes to stderr.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::process::ExitCode;

use auditstream::json::{write_event, write_record, JsonOptions};
use auditstream::reassemble::Stats;
use auditstream::source::capture::{CaptureEvents, CaptureReader};
use auditstream::source::log::{LineReader, LogEvents};
use auditstream::source::{Events, RecordInput};
use auditstream::{Error, Record};

const BUF: usize = 1 << 20;
const SHOW_ERRORS: u64 = 10;

#[derive(Default)]
struct Opts {
    records: bool,
    netlink: bool,
    stats: bool,
    json: JsonOptions,
    files: Vec<String>,
}

#[derive(Default)]
struct Summary {
    records: u64,
    events: u64,
    errors: u64,
    bytes: u64,
    stats: Stats,
}

fn open(name: &str) -> io::Result<Box<dyn BufRead>> {
    Ok(if name == "-" {
        Box::new(BufReader::with_capacity(BUF, io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(BUF, File::open(name)?))
    })
}

fn report(sum: &mut Summary, what: &str) {
    sum.errors += 1;
    if sum.errors <= SHOW_ERRORS {
        eprintln!("audit2json: {what}");
    }
}

/// Writes one line to `out` unless `--stats`.
fn emit(out: &mut impl Write, buf: &mut Vec<u8>, o: &Opts) -> io::Result<()> {
    if !o.stats {
        buf.push(b'\n');
        out.write_all(buf)?;
    }
    buf.clear();
    Ok(())
}

/// `--records --stats`: every field tokenized and its value decoded, no output.
fn decode_all(rec: &Record<'_>) {
    for f in rec.fields().chain(rec.enriched_fields()) {
        std::hint::black_box(f.value());
    }
}

fn log_records(o: &Opts, out: &mut impl Write, sum: &mut Summary) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for name in &o.files {
        let mut lines = LineReader::new(open(name)?);
        while let Some(r) = lines.next_record() {
            match r? {
                Ok(rec) => {
                    sum.records += 1;
                    if o.stats {
                        decode_all(&rec);
                    } else {
                        write_record(&mut buf, &rec, o.json);
                    }
                    emit(out, &mut buf, o)?;
                }
                Err((e, _)) => {
                    let n = lines.line_number();
                    report(sum, &format!("{name}:{n}: {e}"));
                }
            }
        }
        sum.bytes += lines.bytes_read();
    }
    Ok(())
}

fn events<I: RecordInput>(
    mut events: Events<I>,
    o: &Opts,
    out: &mut impl Write,
    sum: &mut Summary,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    while let Some(ev) = events.next_event() {
        match ev {
            Ok(ev) => {
                sum.events += 1;
                if !o.stats {
                    write_event(&mut buf, ev, o.json);
                } else {
                    // Build the structured event all the same: --stats measures it.
                    std::hint::black_box(ev.event());
                }
                emit(out, &mut buf, o)?;
            }
            Err(Error::Parse { index, source, .. }) => {
                let what = if o.netlink { "datagram" } else { "line" };
                report(sum, &format!("{what} {index}: {source}"))
            }
            Err(Error::Io(e)) => return Err(e),
            Err(e) => report(sum, &e.to_string()),
        }
    }
    sum.stats = *events.stats();
    sum.records = sum.stats.records;
    sum.bytes = events.bytes_read();
    Ok(())
}

fn netlink_records(o: &Opts, out: &mut impl Write, sum: &mut Summary) -> io::Result<()> {
    let mut rbuf = Vec::with_capacity(1 << 16);
    for name in &o.files {
        let mut cap = CaptureReader::new(open(name)?);
        while let Some(d) = cap.next_datagram()? {
            match Record::parse_netlink(d) {
                Ok(rec) => {
                    sum.records += 1;
                    if o.stats {
                        decode_all(&rec);
                    } else {
                        write_record(&mut rbuf, &rec, o.json);
                    }
                    emit(out, &mut rbuf, o)?;
                }
                Err(e) => report(sum, &format!("{name}: datagram {}: {e}", cap.count())),
            }
        }
        sum.bytes += cap.bytes_read();
    }
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: audit2json [--records] [--netlink] [--stats] [--hex-bytes] FILE... ('-' is stdin)"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut o = Opts::default();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--records" => o.records = true,
            "--netlink" => o.netlink = true,
            "--stats" => o.stats = true,
            "--hex-bytes" => o.json.hex_bytes = true,
            "-h" | "--help" => return usage(),
            s if s.starts_with("--") => return usage(),
            _ => o.files.push(a),
        }
    }
    if o.files.is_empty() {
        return usage();
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(BUF, stdout.lock());
    let mut sum = Summary::default();
    let t0 = std::time::Instant::now();
    let inputs = || {
        o.files
            .iter()
            .map(|f| open(f))
            .collect::<io::Result<Vec<_>>>()
    };
    let res = match (o.netlink, o.records) {
        (true, true) => netlink_records(&o, &mut out, &mut sum),
        (false, true) => log_records(&o, &mut out, &mut sum),
        (true, false) => inputs().and_then(|i| {
            events(
                CaptureEvents::with_config(i, Default::default()),
                &o,
                &mut out,
                &mut sum,
            )
        }),
        (false, false) => inputs().and_then(|i| {
            events(
                LogEvents::with_config(i, Default::default()),
                &o,
                &mut out,
                &mut sum,
            )
        }),
    };
    let res = res.and_then(|()| out.flush());
    let secs = t0.elapsed().as_secs_f64();
    let s = sum.stats;
    eprintln!(
        "audit2json: records {} events {} errors {} incomplete {} late {} gaps {} bytes {} seconds {:.3} MB/s {:.1} events/s {:.0}",
        sum.records,
        sum.events,
        sum.errors,
        s.incomplete,
        s.late,
        s.gap_serials,
        sum.bytes,
        secs,
        sum.bytes as f64 / secs / 1e6,
        sum.events as f64 / secs,
    );
    match res {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (| head) is a normal end.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("audit2json: {e}");
            ExitCode::FAILURE
        }
    }
}
