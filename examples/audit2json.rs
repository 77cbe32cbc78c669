//! audit2json: audit logs or netlink captures to JSON lines.
//!
//! ```text
//! audit2json [--format native|ecs|ocsf] [--host NAME] [--records] [--netlink] [--stats] [--hex-bytes]
//!            [--context | --context-local] [--label RULE]... [--only-label LABEL] FILE...
//! audit2json [--format ...] [--host NAME] [--hex-bytes] --follow PATH [--checkpoint FILE]
//! audit2json [--format ...] [--host NAME] [--hex-bytes] --follow -
//! audit2json --plugin OUTPUT
//! ```
//!
//! `--context` adds each event's process context (parent, ancestry, names,
//! container, unit, labels; `auditstream::context`), built from the log's
//! own events: nothing of this machine is read, unless `--context-local`
//! says the log is this machine's (then `/proc` and the user database fill
//! in what the log lacks, for records without `node=` or with this host's
//! name). `--label LABEL:exe:GLOB` (or `:argv:`, `:key:`; repeatable) adds a
//! label rule; `--only-label LABEL` writes only the events whose process
//! has that label. A context summary goes to stderr at the end.
//!
//! `--output FILE` appends the JSON lines to FILE instead of stdout (an
//! auditd plugin's stdout goes nowhere). `--plugin OUTPUT` is `--follow -
//! --output OUTPUT` in the two arguments auditd passes a plugin at most.
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
//! `--follow PATH` follows an audit.log as auditd writes and rotates it
//! (`tail -F`: renamed files are read to their end, then the files rotated
//! after them; copy-truncate is followed too) and writes events until SIGINT
//! or SIGTERM. With `--checkpoint FILE` it then writes where it stood, with
//! the events still being assembled, to FILE, and exits 0; started again
//! with the same FILE it resumes after it: no event lost, none twice, also
//! when auditd rotated the file in between. A FILE that is corrupt, from
//! another log, or from a newer version is refused (exit 2), never skipped
//! silently. Without `--checkpoint`, pending events are written at the end.
//! `--follow -` reads records from stdin as auditd's dispatcher writes them to
//! a plugin (`format = string`, see `examples/plugin/`) until the end of the
//! input. In both, each event is written out (flushed) as it comes, and an
//! event that gets no record for 2 s of wall time is written then, flagged
//! `timed_out`.
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
use std::path::PathBuf;
use std::process::ExitCode;

use auditstream::context::{ContextConfig, LabelRule, ProcessTracker};
use auditstream::output::json::{write_record, Format, JsonOptions};
use auditstream::reassemble::Stats;
use auditstream::source::capture::{CaptureEvents, CaptureReader};
use auditstream::source::log::{LineReader, LogEvents};
use auditstream::source::{
    Checkpoint, CheckpointErrorKind, EventSource, FollowConfig, FollowEvents, StreamEvents,
};
use auditstream::{Error, EventBuf, Record};

#[path = "common/signals.rs"]
mod signals;
use signals::stop_on_signals;

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
    /// `--follow PATH` (or `-`).
    follow: Option<String>,
    /// `--checkpoint FILE`.
    checkpoint: Option<PathBuf>,
    /// `--output FILE`.
    output: Option<PathBuf>,
    /// `--context`, `--context-local`.
    context: bool,
    context_local: bool,
    /// `--label`.
    labels: Vec<LabelRule>,
    /// `--only-label`.
    only_label: Option<String>,
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

/// Writes one event in the chosen format into `buf` (nothing when
/// `--only-label` filters it out).
fn render(buf: &mut Vec<u8>, ev: &EventBuf, o: &Opts, tracker: Option<&mut ProcessTracker>) {
    let event = ev.event();
    let process = tracker.and_then(|t| t.observe(&event, ev.records()));
    if let Some(label) = &o.only_label {
        if !process.as_ref().is_some_and(|c| c.has_label(label)) {
            return;
        }
    }
    if o.stats {
        // --stats measures building the structured event (and its context)
        std::hint::black_box((&event, &process));
        return;
    }
    let host = o.host.as_deref().map(str::as_bytes);
    o.format
        .write_event(buf, &event, ev.records(), process.as_ref(), host, o.json);
}

/// The tracker `--context` asks for.
fn tracker(o: &Opts) -> Option<ProcessTracker> {
    if !o.context {
        return None;
    }
    let mut cfg = if o.context_local {
        ContextConfig::live()
    } else {
        ContextConfig::offline()
    };
    cfg.labels = o.labels.clone();
    match ProcessTracker::new(cfg) {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("audit2json: {e}");
            None
        }
    }
}

/// Every event of `src`, written out. `name` names an input in messages
/// (the one a parse error gives, or for an I/O error the one being read);
/// `live`: flush each event out as it comes (streamed inputs).
fn events<S: EventSource>(
    src: &mut S,
    name: &dyn Fn(&S, Option<usize>) -> String,
    o: &Opts,
    out: &mut impl Write,
    sum: &mut Summary,
    live: bool,
    tracker: &mut Option<ProcessTracker>,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    let what = if o.netlink { "datagram" } else { "line" };
    let mut res = Ok(());
    while let Some(ev) = src.next_event() {
        match ev {
            Ok(ev) => {
                sum.events += 1;
                render(&mut buf, ev, o, tracker.as_mut());
                if buf.is_empty() && !o.stats {
                    continue;
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
            }) => sum.reject(&format!(
                "{}: {what} {index}: {source}",
                name(src, Some(input))
            )),
            Err(Error::Io(e)) => sum.input_failed(&name(src, None), &e),
            Err(e) => sum.reject(&e.to_string()),
        }
        if live && !src.has_ready() {
            if let Err(e) = out.flush() {
                res = Err(e);
                break;
            }
        }
    }
    let st = src.stats();
    sum.stats = st.events;
    sum.records = st.events.records;
    sum.bytes = st.bytes;
    res
}

/// Writes the events a closed source still held.
fn write_all(
    evs: &[EventBuf],
    o: &Opts,
    out: &mut impl Write,
    sum: &mut Summary,
    tracker: &mut Option<ProcessTracker>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    for ev in evs {
        sum.events += 1;
        render(&mut buf, ev, o, tracker.as_mut());
        if !buf.is_empty() || o.stats {
            emit(out, &mut buf, o)?;
        }
    }
    out.flush()
}

/// `--follow PATH [--checkpoint FILE]`.
fn follow(
    path: &str,
    o: &Opts,
    out: &mut impl Write,
    sum: &mut Summary,
    tracker: &mut Option<ProcessTracker>,
) -> io::Result<()> {
    let cfg = FollowConfig::default();
    let started = match &o.checkpoint {
        Some(file) => match Checkpoint::load(file) {
            Ok(cp) => FollowEvents::resume(path, cfg, &cp).map_err(|e| match e {
                Error::Checkpoint(c) => Error::Checkpoint(c.in_file(file)),
                e => e,
            }),
            // the first run: no checkpoint yet
            Err(e) if e.kind == CheckpointErrorKind::Unreadable(io::ErrorKind::NotFound) => {
                FollowEvents::open(path, cfg)
            }
            Err(e) => Err(e.into()),
        },
        None => FollowEvents::open(path, cfg),
    };
    let mut src = match started {
        Ok(s) => s,
        Err(e) => {
            eprintln!("audit2json: {e}");
            sum.failed_inputs += 1;
            return Ok(());
        }
    };
    stop_on_signals(src.stop_handle());
    let name = |_: &FollowEvents, _| path.to_string();
    let res = events(&mut src, &name, o, out, sum, true, tracker);
    match &o.checkpoint {
        Some(file) => {
            // the events still pending go into the checkpoint, not out
            if let Err(e) = src.checkpoint().save(file) {
                eprintln!("audit2json: writing the checkpoint {}: {e}", file.display());
                sum.failed_inputs += 1;
            }
            res
        }
        None => {
            res?;
            let closed = src.close().map_err(io::Error::other)?;
            write_all(&closed.events, o, out, sum, tracker)
        }
    }
}

/// `--follow -`: auditd's plugin input on stdin.
fn plugin(
    o: &Opts,
    out: &mut impl Write,
    sum: &mut Summary,
    tracker: &mut Option<ProcessTracker>,
) -> io::Result<()> {
    let mut src = StreamEvents::new(io::stdin());
    stop_on_signals(src.stop_handle());
    let name = |_: &StreamEvents<io::Stdin>, _| "stdin".to_string();
    let res = events(&mut src, &name, o, out, sum, true, tracker);
    res?;
    let closed = src.close().map_err(io::Error::other)?;
    sum.stats = closed.stats.events;
    sum.records = closed.stats.events.records;
    write_all(&closed.events, o, out, sum, tracker)
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: audit2json [--format native|ecs|ocsf] [--host NAME] [--records] [--netlink] \
         [--stats] [--hex-bytes] [--context | --context-local] [--label LABEL:exe|argv|key:PATTERN]... \
         [--only-label LABEL] [--output FILE] FILE... | --follow PATH [--checkpoint FILE] | \
         --follow - | --plugin OUTPUT ('-' is stdin; --records and --hex-bytes are native only)"
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
            "--format" => match args.next().map(|f| f.parse()) {
                Some(Ok(f)) => o.format = f,
                _ => return usage(),
            },
            "--host" => match args.next() {
                Some(h) => o.host = Some(h),
                None => return usage(),
            },
            "--follow" => match args.next() {
                Some(p) => o.follow = Some(p),
                None => return usage(),
            },
            "--checkpoint" => match args.next() {
                Some(p) => o.checkpoint = Some(PathBuf::from(p)),
                None => return usage(),
            },
            "--output" | "-o" => match args.next() {
                Some(p) => o.output = Some(PathBuf::from(p)),
                None => return usage(),
            },
            "--plugin" => match args.next() {
                Some(p) => {
                    o.follow = Some("-".into());
                    o.output = Some(PathBuf::from(p));
                }
                None => return usage(),
            },
            "--context" => o.context = true,
            "--context-local" => {
                o.context = true;
                o.context_local = true;
            }
            "--label" => match args.next().as_deref().and_then(LabelRule::parse) {
                Some(r) => {
                    o.context = true;
                    o.labels.push(r);
                }
                None => return usage(),
            },
            "--only-label" => match args.next() {
                Some(l) => {
                    o.context = true;
                    o.only_label = Some(l);
                }
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            s if s.starts_with("--") => return usage(),
            _ => o.files.push(a),
        }
    }
    let follows = o.follow.is_some();
    let bad = (o.files.is_empty() != follows)
        || (o.format != Format::Native && (o.records || o.json.hex_bytes))
        || (follows && (o.records || o.netlink || o.stats))
        || (o.checkpoint.is_some() && !follows)
        || (o.checkpoint.is_some() && o.follow.as_deref() == Some("-"))
        || (o.context && o.records)
        || o.only_label
            .as_ref()
            .is_some_and(|l| !o.labels.iter().any(|r| &r.label == l));
    if bad {
        return usage();
    }
    if o.host.is_none() {
        o.host = local_host();
    }
    let sink: Box<dyn Write> = match &o.output {
        Some(p) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("audit2json: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => Box::new(io::stdout().lock()),
    };
    let mut out = io::BufWriter::with_capacity(BUF, sink);
    let mut sum = Summary::default();
    let mut tracker = tracker(&o);
    if o.context && tracker.is_none() {
        return ExitCode::from(2);
    }
    let tr = &mut tracker;
    let t0 = std::time::Instant::now();
    let res = match (o.follow.as_deref(), o.netlink, o.records) {
        (Some("-"), _, _) => plugin(&o, &mut out, &mut sum, tr),
        (Some(path), _, _) => follow(path, &o, &mut out, &mut sum, tr),
        (None, true, true) => netlink_records(&o, &mut out, &mut sum),
        (None, false, true) => log_records(&o, &mut out, &mut sum),
        (None, netlink, false) => {
            let (names, inputs): (Vec<_>, Vec<_>) = open_all(&o, &mut sum).into_iter().unzip();
            let name = |i: usize| names.get(i).map_or("?", String::as_str).to_string();
            if netlink {
                let mut ev = CaptureEvents::with_config(inputs, Default::default());
                let name =
                    |e: &CaptureEvents<_>, i: Option<usize>| name(i.unwrap_or(e.input_number()));
                events(&mut ev, &name, &o, &mut out, &mut sum, false, tr)
            } else {
                let mut ev = LogEvents::with_config(inputs, Default::default());
                let name = |e: &LogEvents<_>, i: Option<usize>| name(i.unwrap_or(e.input_number()));
                events(&mut ev, &name, &o, &mut out, &mut sum, false, tr)
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
    if let Some(t) = &tracker {
        let c = t.stats();
        eprintln!(
            "audit2json: context: processes {} evicted {} found {} unknown {} parents {} parent unknown {} exe mismatch {} proc reads {}",
            c.processes,
            c.evicted,
            c.found,
            c.unknown,
            c.parent_found,
            c.parent_unknown,
            c.exe_mismatch,
            c.proc_reads
        );
    }
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
