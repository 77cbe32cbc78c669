//! audit-tail: live kernel audit events as JSON lines.
//!
//! ```text
//! audit-tail [--format native|ecs|ocsf] [--read-only [--rules]] [--hex-bytes] [--no-rules]
//!            [--backlog-limit N] [--async] [--no-context] [--label RULE]... [--only-label LABEL]
//! ```
//!
//! Opens the kernel's audit netlink socket as the audit daemon (default; fails
//! when auditd or another daemon holds it), installs the exec and network
//! rules (`Rule::standard_set`, unless `--no-rules`) and enables audit; or as
//! a read-only listener (`--read-only`, beside auditd), which changes nothing
//! in the kernel unless `--rules` asks for the same rules and enabling. It
//! prints
//! every event as one JSON object per line on stdout, in the audit2json format
//! (`--hex-bytes`: byte strings as hex; `--format ecs` or `ocsf`: in the
//! Elastic Common Schema or OCSF, with this machine's host name), until
//! SIGINT or SIGTERM. Each event carries its process context (parent,
//! ancestry, user names, container, systemd unit, labels; see
//! `auditstream::context`) from a process table fed by the events and this
//! machine's `/proc` (one scan at start, then reads on demand);
//! `--no-context` leaves it out. `--label LABEL:exe:GLOB` (or `:argv:`,
//! `:key:`; repeatable) adds a label rule, `--only-label LABEL` prints only
//! the events whose process has that label. Then it
//! drains what is queued, restores the kernel as it found it (rules deleted,
//! audit setting, backlog limit and daemon pid restored), and writes the
//! kernel status and the loss counters to stderr. Needs root.
//!
//! `--async` (built with `--features tokio`) reads the same events through
//! the async `LiveStream` in a tokio runtime, in a `select!` loop with the
//! signals, as an async agent would.

#[cfg(all(feature = "netlink", target_os = "linux"))]
#[path = "common/signals.rs"]
mod signals;

#[cfg(all(feature = "netlink", target_os = "linux"))]
mod tail {
    use std::io::{self, BufWriter, Write};
    use std::process::ExitCode;

    use auditstream::context::{ContextConfig, EventContext, LabelRule, ProcessTracker};
    use auditstream::event::EventBuf;
    use auditstream::output::json::{Format, JsonOptions};
    use auditstream::source::netlink::{AuditSocket, LiveConfig, LiveEvents, Mode, NetlinkError};
    use auditstream::source::SourceStats;
    use auditstream::Error;

    const USAGE: &str = "usage: audit-tail [--format native|ecs|ocsf] [--read-only [--rules]] \
         [--hex-bytes] [--no-rules] [--backlog-limit N] [--async] [--no-context] \
         [--label LABEL:exe|argv|key:PATTERN]... [--only-label LABEL] (--hex-bytes is native only)";

    /// Consecutive receive errors after which the loop gives up.
    const MAX_ERRORS: u32 = 10;

    struct Opts {
        cfg: LiveConfig,
        out: Output,
        /// Read through the async `LiveStream`.
        async_stream: bool,
        /// `None`: `--no-context`.
        context: Option<ContextConfig>,
    }

    struct Output {
        format: Format,
        json: JsonOptions,
        /// This machine's host name (the schemas' host of records without
        /// `node=`).
        host: Option<String>,
        /// `--only-label`.
        only_label: Option<String>,
    }

    fn parse_args() -> Result<Opts, String> {
        let mut json = JsonOptions::default();
        let mut format = Format::Native;
        let (mut read_only, mut rules, mut no_rules, mut backlog) = (false, false, false, None);
        let mut async_stream = false;
        let (mut context, mut labels, mut only_label) = (true, Vec::new(), None);
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--read-only" => read_only = true,
                "--rules" => rules = true,
                "--hex-bytes" => json.hex_bytes = true,
                "--format" => {
                    let name = args.next().unwrap_or_default();
                    format = name.parse().map_err(|e| format!("--format: {e}"))?;
                }
                "--no-rules" => no_rules = true,
                "--async" if cfg!(feature = "tokio") => async_stream = true,
                "--async" => return Err("--async needs a build with --features tokio".into()),
                "--backlog-limit" => {
                    let n = args.next().and_then(|v| v.parse().ok());
                    backlog = Some(n.ok_or("--backlog-limit needs a number")?);
                }
                "--no-context" => context = false,
                "--label" => match args.next().as_deref().and_then(LabelRule::parse) {
                    Some(r) => labels.push(r),
                    None => return Err("--label needs LABEL:exe|argv|key:PATTERN".into()),
                },
                "--only-label" => {
                    only_label = Some(args.next().ok_or("--only-label needs a label")?);
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if rules && no_rules {
            return Err("--rules and --no-rules contradict each other".into());
        }
        // read-only changes nothing in the kernel unless asked (--rules);
        // the daemon adds the standard rules unless asked not to
        let mut cfg = LiveConfig::new(if read_only {
            Mode::ReadOnly
        } else {
            Mode::Daemon
        });
        if rules {
            cfg = cfg.with_standard_rules();
        }
        if no_rules {
            cfg.rules.clear();
        }
        cfg.backlog_limit = backlog;
        if format != Format::Native && json.hex_bytes {
            return Err("--hex-bytes is for the native format".into());
        }
        if !context && (!labels.is_empty() || only_label.is_some()) {
            return Err("--label and --only-label need the context".into());
        }
        if let Some(l) = &only_label {
            if !labels.iter().any(|r: &LabelRule| &r.label == l) {
                return Err(format!("--only-label {l}: no --label rule gives it"));
            }
        }
        let context = context.then(|| {
            let mut c = ContextConfig::live();
            c.labels = labels;
            c
        });
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim_end().to_string())
            .filter(|h| !h.is_empty());
        Ok(Opts {
            cfg,
            out: Output {
                format,
                json,
                host,
                only_label,
            },
            async_stream,
            context,
        })
    }

    fn write(
        out: &mut impl Write,
        line: &mut Vec<u8>,
        ev: &EventBuf,
        o: &Output,
        tracker: Option<&mut ProcessTracker>,
    ) -> bool {
        line.clear();
        let event = ev.event();
        let process: Option<EventContext<'_>> =
            tracker.and_then(|t| t.observe(&event, ev.records()));
        if let Some(l) = &o.only_label {
            if !process.as_ref().is_some_and(|c| c.has_label(l)) {
                return true;
            }
        }
        let host = o.host.as_deref().map(str::as_bytes);
        o.format
            .write_event(line, &event, ev.records(), process.as_ref(), host, o.json);
        line.push(b'\n');
        out.write_all(line).is_ok()
    }

    fn summary(stats: &SourceStats) {
        let live = stats.live.unwrap_or_default();
        if let Some(st) = live.status {
            eprintln!(
                "audit-tail: kernel: enabled {} pid {} backlog {}/{} lost {} backlog_wait_time_actual {:?}",
                st.enabled,
                st.pid,
                st.backlog,
                st.backlog_limit,
                st.lost,
                st.backlog_wait_time_actual
            );
        }
        let e = &stats.events;
        let s = &live.socket;
        eprintln!(
            "audit-tail: {} records, {} events ({} incomplete, {} timed out, {} late), \
             loss: kernel {}, socket {} (overruns {}, truncated {}, queue dropped {}), \
             serial gaps {}; {} parse errors, {} non-records, {} receive errors",
            e.records,
            e.events,
            e.incomplete,
            e.timed_out,
            e.late,
            live.kernel_lost,
            live.socket_lost,
            s.overruns,
            s.truncated,
            s.queue_dropped,
            e.gap_serials,
            stats.parse_errors,
            live.not_records,
            stats.io_errors
        );
    }

    /// How a run ended.
    struct Ended {
        stats: SourceStats,
        /// Writing failed, or receiving failed too often.
        failed: bool,
        restored: Result<(), Error>,
    }

    /// Writes events until stopped or writing fails; counts the receive
    /// errors in a row.
    struct Sink<'a, W: Write> {
        out: &'a mut W,
        line: Vec<u8>,
        o: &'a Output,
        /// The process table (`None`: `--no-context`).
        tracker: Option<&'a mut ProcessTracker>,
        errors: u32,
        write_ok: bool,
    }

    impl<W: Write> Sink<'_, W> {
        /// Whether to go on.
        fn take(&mut self, next: Result<&EventBuf, Error>) -> bool {
            match next {
                Ok(ev) => {
                    self.errors = 0;
                    self.write_ok = write(
                        self.out,
                        &mut self.line,
                        ev,
                        self.o,
                        self.tracker.as_deref_mut(),
                    );
                    self.write_ok
                }
                Err(e) => {
                    eprintln!("audit-tail: {e}");
                    self.errors += 1;
                    self.errors < MAX_ERRORS
                }
            }
        }

        /// Flushes when no more events are ready (a reader sees each event
        /// as it comes, and a burst in one write); whether to go on.
        fn flush_unless(&mut self, more_ready: bool) -> bool {
            if self.write_ok && !more_ready {
                self.write_ok = self.out.flush().is_ok();
            }
            self.write_ok
        }

        /// Writes what the source held at the end.
        fn finish(&mut self, events: &[EventBuf]) {
            for ev in events {
                if self.write_ok {
                    self.write_ok = write(
                        self.out,
                        &mut self.line,
                        ev,
                        self.o,
                        self.tracker.as_deref_mut(),
                    );
                }
            }
            if self.write_ok {
                self.write_ok = self.out.flush().is_ok();
            }
        }

        fn failed(&self) -> bool {
            !self.write_ok || self.errors >= MAX_ERRORS
        }
    }

    fn sink<'a, W: Write>(
        out: &'a mut W,
        o: &'a Output,
        tracker: Option<&'a mut ProcessTracker>,
    ) -> Sink<'a, W> {
        Sink {
            out,
            line: Vec::with_capacity(4096),
            o,
            tracker,
            errors: 0,
            write_ok: true,
        }
    }

    /// The blocking reader, stopped by the signal handlers.
    fn run(
        mut live: LiveEvents,
        out: &mut impl Write,
        o: &Output,
        tracker: Option<&mut ProcessTracker>,
    ) -> Ended {
        crate::signals::stop_on_signals(live.stop_handle());
        let mut sink = sink(out, o, tracker);
        while let Some(next) = live.next_event() {
            if !sink.take(next) || !sink.flush_unless(live.has_ready()) {
                live.stop();
            }
        }
        let events = live.drain();
        let stats = live.stats();
        sink.finish(&events);
        // everything was drained above: close only restores the kernel
        let restored = live.close().map(drop);
        Ended {
            stats,
            failed: sink.failed(),
            restored,
        }
    }

    /// The async reader: `LiveStream` in a `select!` loop with the signals.
    #[cfg(feature = "tokio")]
    fn run_async(
        live: LiveEvents,
        out: &mut impl Write,
        o: &Output,
        tracker: Option<&mut ProcessTracker>,
    ) -> Ended {
        use auditstream::source::tokio::LiveStream;
        use tokio::signal::unix::{signal, SignalKind};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut sink = sink(out, o, tracker);
        rt.block_on(async {
            let (mut int, mut term) = (
                signal(SignalKind::interrupt()).expect("SIGINT handler"),
                signal(SignalKind::terminate()).expect("SIGTERM handler"),
            );
            let mut stream = match LiveStream::new(live) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("audit-tail: {e}");
                    return Ended {
                        stats: SourceStats::default(),
                        failed: true,
                        restored: Err(e),
                    };
                }
            };
            loop {
                tokio::select! {
                    next = stream.next() => match next {
                        Some(next) => {
                            let go_on = match next {
                                Ok(ev) => sink.take(Ok(&ev)),
                                Err(e) => sink.take(Err(e)),
                            };
                            if !go_on || !sink.flush_unless(stream.get_ref().has_ready()) {
                                break;
                            }
                        }
                        None => break,
                    },
                    _ = int.recv() => break,
                    _ = term.recv() => break,
                }
            }
            match stream.close().await {
                Ok(closed) => {
                    sink.finish(&closed.events);
                    Ended {
                        stats: closed.stats,
                        failed: sink.failed(),
                        restored: Ok(()),
                    }
                }
                Err(e) => Ended {
                    stats: SourceStats::default(),
                    failed: sink.failed(),
                    restored: Err(e),
                },
            }
        })
    }

    #[cfg(not(feature = "tokio"))]
    fn run_async(
        _: LiveEvents,
        _: &mut impl Write,
        _: &Output,
        _: Option<&mut ProcessTracker>,
    ) -> Ended {
        unreachable!("--async is refused without the tokio feature")
    }

    pub fn main() -> ExitCode {
        let opts = match parse_args() {
            Ok(o) => o,
            Err(e) => {
                if !e.is_empty() {
                    eprintln!("audit-tail: {e}");
                }
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        };
        let mode = opts.cfg.mode;
        let rules = opts.cfg.rules.len();
        // the /proc scan before the first event
        let mut tracker = match opts.context.map(ProcessTracker::new).transpose() {
            Ok(t) => t,
            Err(e) => {
                eprintln!("audit-tail: {e}");
                return ExitCode::from(2);
            }
        };
        if let Some(t) = &tracker {
            let s = t.stats();
            eprintln!(
                "audit-tail: context: {} processes from /proc{}",
                s.scanned,
                if s.proc_disabled {
                    " (not read: this process is not in the initial pid namespace)"
                } else {
                    ""
                }
            );
        }
        let live = match LiveEvents::with_config(opts.cfg) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("audit-tail: {e}");
                if matches!(e, Error::Netlink(NetlinkError::AlreadyRegistered { .. })) {
                    eprintln!("audit-tail: try --read-only");
                }
                return ExitCode::FAILURE;
            }
        };
        let rcvbuf = live.session().socket().receive_buffer().unwrap_or(0);
        eprintln!(
            "audit-tail: {mode:?} mode, {rules} rules added, receive buffer {rcvbuf} bytes; \
             SIGINT or SIGTERM to stop"
        );
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        let ended = if opts.async_stream {
            run_async(live, &mut out, &opts.out, tracker.as_mut())
        } else {
            run(live, &mut out, &opts.out, tracker.as_mut())
        };
        let Ended {
            stats,
            failed,
            restored,
        } = ended;
        summary(&stats);
        if let Some(t) = &tracker {
            eprintln!("audit-tail: context: {:?}", t.stats());
        }
        match AuditSocket::open(Mode::ReadOnly).and_then(|mut s| s.status()) {
            Ok(st) => eprintln!(
                "audit-tail: restored: enabled {} pid {} backlog_limit {} lost {}",
                st.enabled, st.pid, st.backlog_limit, st.lost
            ),
            Err(e) => eprintln!("audit-tail: status after restore: {e}"),
        }
        if failed || restored.is_err() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
fn main() -> std::process::ExitCode {
    tail::main()
}

#[cfg(not(all(feature = "netlink", target_os = "linux")))]
fn main() {
    eprintln!("audit-tail needs Linux and the `netlink` feature");
    std::process::exit(2);
}
