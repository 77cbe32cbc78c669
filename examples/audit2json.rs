//! audit2json: audit logs or netlink captures to JSON lines.
//!
//! ```text
//! audit2json [--format native|ecs|ocsf] [--host NAME] [--records] [--netlink] [--stats] [--hex-bytes] FILE...
//! ```
//!
//! By default every event (exec, socket, other, lost) is written as one JSON
//! object per line; `--records` writes every record instead. `--format`
//! picks the shape of events: `native` (default, documented in
//! `auditstream::output`), `ecs` (Elastic Common Schema 8.17.0, as Auditbeat
//! writes it) or `ocsf` (OCSF 1.8.0), see `auditstream::output::schema`. In
//! the schemas, events whose records carry no `node=` are attributed to
//! `--host NAME`, by default this machine's host name. `FILE` is an
//! audit.log (RAW or ENRICHED), or with `--netlink` a capture of raw netlink
//! datagrams (`[u32 LE length][nlmsghdr + payload]`); `-` is stdin. Several
//! files are read in order as one stream (oldest first for a rotated set).
//! `--stats` parses and reassembles without writing JSON (with `--records`:
//! parses and decodes every field). `--hex-bytes` writes byte strings as
//! lowercase hex. The JSON format is documented in `auditstream::output`.
//!
//! Lines (datagrams) that do not parse are reported on stderr with their file
//! and line number (the first 10; all are counted) and skipped; the events
//! around them still come out. A one-line summary goes to stderr at the end,
//! also after an error.
//!
//! Exit status:
//! - 0: every input was read to its end and every line parsed;
//! - 1: every input was read, but some lines or datagrams were rejected
//!   (the summary's `errors`);
//! - 2: a usage error, or an input could not be opened or read (the other
//!   inputs are still read), or the output could not be written.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::process::ExitCode;

use auditstream::output::json::{self, write_event, write_record, JsonOptions};
use auditstream::output::schema::{Context, Ecs, Ocsf};
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
    format: Format,
    /// The host of records without `node=` (schemas).
    host: Option<String>,
    files: Vec<String>,
}

/// The shape of events.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Format {
    #[default]
    Native,
    Ecs,
    Ocsf,
}

#[derive(Default)]
struct Summary {
    records: u64,
    events: u64,
    /// Lines or datagrams rejected.
    errors: u64,
    /// Inputs that could not be opened or read.
    failed_inputs: u64,
    bytes: u64,
    stats: Stats,
}

impl Summary {
    fn reject(&mut self, what: &str) {
        self.errors += 1;
        if self.errors <= SHOW_ERRORS {
            eprintln!("audit2json: {what}");
        }
        if self.errors == SHOW_ERRORS + 1 {
            eprintln!("audit2json: (further errors are counted, not shown)");
        }
    }

    fn input_failed(&mut self, name: &str, e: &io::Error) {
        self.failed_inputs += 1;
        eprintln!("audit2json: {name}: {e}");
    }
}

fn open(name: &str) -> io::Result<Box<dyn BufRead>> {
    Ok(if name == "-" {
        Box::new(BufReader::with_capacity(BUF, io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(BUF, File::open(name)?))
    })
}

/// Opens every input; those that fail are reported and left out.
fn open_all(o: &Opts, sum: &mut Summary) -> Vec<(String, Box<dyn BufRead>)> {
    let mut out = Vec::new();
    for name in &o.files {
        match open(name) {
            Ok(r) => out.push((name.clone(), r)),
            Err(e) => sum.input_failed(name, &e),
        }
    }
    out
}

/// Writes one line to `out` unless `--stats`.
fn emit(out: &mut impl Write, buf: &mut Vec<u8>, o: &Opts) -> io::Result<()> {
    if !o.stats {
        buf.push(b'\n');
        out.write_all(buf)?;
    }
    buf.clear();
    if buf.capacity() > BUF {
        // one huge event does not keep its buffer
        *buf = Vec::with_capacity(1 << 16);
    }
    Ok(())
}

/// `--records --stats`: every field tokenized and its value decoded, no output.
fn decode_all(rec: &Record<'_>) {
    for f in rec.fields().chain(rec.enriched_fields()) {
        std::hint::black_box(f.value());
    }
}

fn one_record(rec: &Record<'_>, o: &Opts, buf: &mut Vec<u8>, sum: &mut Summary) {
    sum.records += 1;
    if o.stats {
        decode_all(rec);
    } else {
        write_record(buf, rec, o.json);
    }
}

fn log_records(o: &Opts, out: &mut impl Write, sum: &mut Summary) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for (name, input) in open_all(o, sum) {
        let mut lines = LineReader::new(input);
        while let Some(r) = lines.next_record() {
            match r {
                Ok(Ok(rec)) => {
                    one_record(&rec, o, &mut buf, sum);
                    emit(out, &mut buf, o)?;
                }
                Ok(Err((e, _))) => {
                    let n = lines.line_number();
                    sum.reject(&format!("{name}:{n}: {e}"));
                }
                Err(e) => {
                    sum.input_failed(&format!("{name}:{}", lines.line_number() + 1), &e);
                    break;
                }
            }
        }
        sum.bytes += lines.bytes_read();
    }
    Ok(())
}

fn netlink_records(o: &Opts, out: &mut impl Write, sum: &mut Summary) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for (name, input) in open_all(o, sum) {
        let mut cap = CaptureReader::new(input);
        loop {
            match cap.next_datagram() {
                Ok(Some(d)) => match Record::parse_netlink(d) {
                    Ok(rec) => {
                        one_record(&rec, o, &mut buf, sum);
                        emit(out, &mut buf, o)?;
                    }
                    Err(e) => sum.reject(&format!("{name}: datagram {}: {e}", cap.count())),
                },
                Ok(None) => break,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    // framing lost: a rejected datagram, and the end of this file
                    sum.reject(&format!("{name}: datagram {}: {e}", cap.count()));
                }
                Err(e) => {
                    sum.input_failed(name.as_str(), &e);
                    break;
                }
            }
        }
        sum.bytes += cap.bytes_read();
    }
    Ok(())
}

fn events<I: RecordInput>(
    mut events: Events<I>,
    names: &[String],
    o: &Opts,
    out: &mut impl Write,
    sum: &mut Summary,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    let what = if o.netlink { "datagram" } else { "line" };
    let name = |i: usize| names.get(i).map_or("?", String::as_str);
    let mut res = Ok(());
    while let Some(ev) = events.next_event() {
        match ev {
            Ok(ev) => {
                sum.events += 1;
                let event = ev.event();
                if o.stats {
                    // --stats measures building the structured event
                    std::hint::black_box(&event);
                } else {
                    let ctx = || {
                        let ctx = Context::default().names_from(ev.records());
                        match &o.host {
                            Some(h) => ctx.host(h.as_bytes()),
                            None => ctx,
                        }
                    };
                    match o.format {
                        Format::Native => write_event(&mut buf, &event, o.json),
                        Format::Ecs => json::write(&mut buf, &Ecs::new(&event, ctx()), o.json),
                        Format::Ocsf => json::write(&mut buf, &Ocsf::new(&event, ctx()), o.json),
                    }
                }
                if let Err(e) = emit(out, &mut buf, o) {
                    res = Err(e);
                    break;
                }
            }
            Err(Error::Parse {
                input,
                index,
                source,
                ..
            }) => sum.reject(&format!("{}: {what} {index}: {source}", name(input))),
            Err(Error::Io(e)) => sum.input_failed(name(events.input_number()), &e),
            Err(e) => sum.reject(&e.to_string()),
        }
    }
    sum.stats = events.stats().events;
    sum.records = sum.stats.records;
    sum.bytes = events.bytes_read();
    res
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: audit2json [--format native|ecs|ocsf] [--host NAME] [--records] [--netlink] \
         [--stats] [--hex-bytes] FILE... ('-' is stdin; --records and --hex-bytes are native only)"
    );
    ExitCode::from(2)
}

/// This machine's host name, if the kernel says.
fn local_host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim_end();
    (!name.is_empty()).then(|| name.to_string())
}

fn main() -> ExitCode {
    let mut o = Opts::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => o.records = true,
            "--netlink" => o.netlink = true,
            "--stats" => o.stats = true,
            "--hex-bytes" => o.json.hex_bytes = true,
            "--format" => {
                o.format = match args.next().as_deref() {
                    Some("native") => Format::Native,
                    Some("ecs") => Format::Ecs,
                    Some("ocsf") => Format::Ocsf,
                    _ => return usage(),
                }
            }
            "--host" => match args.next() {
                Some(h) => o.host = Some(h),
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            s if s.starts_with("--") => return usage(),
            _ => o.files.push(a),
        }
    }
    if o.files.is_empty() || (o.format != Format::Native && (o.records || o.json.hex_bytes)) {
        return usage();
    }
    if o.host.is_none() {
        o.host = local_host();
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(BUF, stdout.lock());
    let mut sum = Summary::default();
    let t0 = std::time::Instant::now();
    let res = match (o.netlink, o.records) {
        (true, true) => netlink_records(&o, &mut out, &mut sum),
        (false, true) => log_records(&o, &mut out, &mut sum),
        (netlink, false) => {
            let (names, inputs): (Vec<_>, Vec<_>) = open_all(&o, &mut sum).into_iter().unzip();
            if netlink {
                let ev = CaptureEvents::with_config(inputs, Default::default());
                events(ev, &names, &o, &mut out, &mut sum)
            } else {
                let ev = LogEvents::with_config(inputs, Default::default());
                events(ev, &names, &o, &mut out, &mut sum)
            }
        }
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
        // A closed pipe (| head) is a normal end.
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("audit2json: writing the output: {e}");
            ExitCode::from(2)
        }
        _ if sum.failed_inputs > 0 => ExitCode::from(2),
        _ if sum.errors > 0 => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
