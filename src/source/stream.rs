//! Events from a stream of log lines that pauses: a pipe, stdin, a socket.
//! This is what auditd's dispatcher writes to a plugin (`format = string`:
//! every record as one line, EOE records included).

use std::io::{self, BufReader, Read};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::log::{LineReader, DEFAULT_MAX_LINE};
use super::pump::Pump;
use super::{Closed, EventSource, SourceStats};
use crate::error::{Error, ErrorKind, ParseError};
use crate::event::EventBuf;
use crate::reassemble::ReassemblerConfig;

/// How long one wait for input lasts before the stop flag and the idle
/// timeout are looked at.
const WAKE: Duration = Duration::from_millis(100);

/// How a [`StreamEvents`] reads.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StreamConfig {
    /// Reassembly limits and timeout (on event time while records come).
    pub reassembler: ReassemblerConfig,
    /// Wall time without any input after which every event in flight is
    /// completed, flagged `timed_out`. Default: the reassembler's timeout
    /// (2 s).
    pub idle_timeout: Duration,
    /// The longest line read whole. Default [`DEFAULT_MAX_LINE`].
    pub max_line: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        let reassembler = ReassemblerConfig::default();
        StreamConfig {
            idle_timeout: Duration::from_millis(reassembler.timeout_ms),
            reassembler,
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

/// A reader that waits at most [`WAKE`] for input, then says `TimedOut`.
struct Polled<R> {
    inner: R,
}

impl<R: Read + AsFd> Read for Polled<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !crate::sys::poll_readable(self.inner.as_fd(), WAKE)? {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.inner.read(out)
    }
}

/// Events from log lines on a pipe, stdin or a socket: auditd's plugin
/// input.
///
/// Lines are reassembled as they come (a line cut by a pause is held until
/// its newline). When no input comes for
/// [`idle_timeout`](StreamConfig::idle_timeout) of wall time, every event in
/// flight is completed, flagged `timed_out` (and `incomplete` when it lacks
/// records the kernel always writes): an event that lost its last record
/// does not wait for the next burst. At the end of the input everything
/// pending comes out and the stream ends; [`stop_handle`](Self::stop_handle)
/// ends it early (then [`close`](EventSource::close) drains).
///
/// ```no_run
/// use auditstream::source::{EventSource, StreamEvents};
///
/// // as an auditd plugin: records on stdin
/// let mut events = StreamEvents::new(std::io::stdin());
/// while let Some(ev) = events.next_event() {
///     println!("{:?}", ev?.event());
/// }
/// # Ok::<(), auditstream::Error>(())
/// ```
pub struct StreamEvents<R: Read + AsFd> {
    lines: LineReader<BufReader<Polled<R>>>,
    pump: Pump,
    stop: Arc<AtomicBool>,
    idle: Duration,
    last_input: Instant,
    finished: bool,
}

impl<R: Read + AsFd> StreamEvents<R> {
    /// Events of `input` with the defaults.
    pub fn new(input: R) -> Self {
        Self::with_config(input, StreamConfig::default())
    }

    /// Events of `input` read as `cfg` says.
    pub fn with_config(input: R, cfg: StreamConfig) -> Self {
        let mut lines = LineReader::with_max_line(
            BufReader::with_capacity(1 << 16, Polled { inner: input }),
            cfg.max_line,
        );
        lines.hold_partial_lines(true);
        StreamEvents {
            lines,
            pump: Pump::new(cfg.reassembler),
            stop: Arc::new(AtomicBool::new(false)),
            idle: cfg.idle_timeout,
            last_input: Instant::now(),
            finished: false,
        }
    }

    /// A flag that ends the stream when set (from a signal handler or another
    /// thread): [`next_event`](Self::next_event) returns `None` within
    /// 100 ms; [`close`](EventSource::close) then hands out what is pending.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// The next event, lent until the next call (as
    /// [`EventSource::next_event`]).
    pub fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        EventSource::next_event(self)
    }

    fn advance(&mut self) -> Option<Result<(), Error>> {
        loop {
            if self.pump.next_ready() {
                return Some(Ok(()));
            }
            if self.finished || self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let r = self.feed();
            if let Err(e) = r {
                self.pump.count(&e);
                return Some(Err(e));
            }
        }
    }

    /// Reads what input there is (waiting at most [`WAKE`]) into the
    /// reassembler.
    fn feed(&mut self) -> Result<(), Error> {
        let r = match self.lines.next_record() {
            None => {
                // the end of the input: a last line without newline is cut
                if let Some(line) = self.lines.release_held() {
                    let e = ParseError::new(ErrorKind::TruncatedLine, line.len());
                    let raw = line.to_vec();
                    self.end();
                    return Err(Error::Parse {
                        input: 0,
                        index: self.lines.line_number(),
                        source: e,
                        raw,
                    });
                }
                self.end();
                return Ok(());
            }
            Some(r) => r,
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                if self.last_input.elapsed() >= self.idle && self.pump.re.in_flight() > 0 {
                    self.pump.re.flush_idle();
                }
                Ok(())
            }
            Err(e) if super::is_transient(&e) => Ok(()),
            Err(e) => {
                // a pipe that fails does not come back
                self.end();
                Err(Error::Io(e))
            }
            Ok(rec) => {
                self.last_input = Instant::now();
                match rec {
                    Ok(rec) => {
                        self.pump.re.push(&rec, None);
                        Ok(())
                    }
                    Err((source, raw)) => {
                        let raw = raw.to_vec();
                        Err(Error::Parse {
                            input: 0,
                            index: self.lines.line_number(),
                            source,
                            raw,
                        })
                    }
                }
            }
        }
    }

    fn end(&mut self) {
        self.pump.re.finish();
        self.finished = true;
    }
}

impl<R: Read + AsFd> EventSource for StreamEvents<R> {
    fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        self.pump.release(true);
        match self.advance()? {
            Ok(()) => self.pump.current.as_ref().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }

    fn has_ready(&self) -> bool {
        self.pump.re.has_output()
    }

    fn stats(&self) -> SourceStats {
        self.pump.stats(self.lines.bytes_read())
    }

    /// Completes every event in flight (without reading on) and returns
    /// those not yet handed out.
    fn close(mut self) -> Result<Closed, Error> {
        let events = self.pump.drain();
        Ok(Closed {
            events,
            stats: self.stats(),
        })
    }
}

impl<R: Read + AsFd> Iterator for StreamEvents<R> {
    type Item = Result<EventBuf, Error>;

    /// The next event, owned.
    fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        self.pump.release(false);
        match self.advance()? {
            Ok(()) => self.pump.current.take().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    #[test]
    fn an_event_without_its_last_record_comes_out_when_the_stream_pauses() {
        let (mut tx, rx) = UnixStream::pair().unwrap();
        let cfg = StreamConfig {
            idle_timeout: Duration::from_millis(300),
            ..StreamConfig::default()
        };
        let mut ev = StreamEvents::with_config(rx, cfg);
        // an exec without its PROCTITLE, and half of the next line
        tx.write_all(b"type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=59 success=yes exit=0 items=0 pid=1 comm=\"x\" exe=\"/x\"\ntype=EXECVE msg=audit(1.000:7): argc=1 a0=\"x\"\ntype=CWD msg=au")
            .unwrap();
        let t0 = Instant::now();
        let e = ev.next_event().unwrap().unwrap();
        let waited = t0.elapsed();
        assert_eq!(e.id().serial, 7);
        assert!(e.flags().timed_out && e.flags().incomplete, "{e:?}");
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        // the cut line is held, completed by the next write
        tx.write_all(b"dit(1.000:8): cwd=\"/\"\ntype=PROCTITLE msg=audit(1.000:8): proctitle=78\n")
            .unwrap();
        let e = ev.next_event().unwrap().unwrap();
        assert_eq!((e.id().serial, e.len()), (8, 2));
        assert!(!e.flags().timed_out);
        // the end of the input ends the stream; a cut last line is reported
        tx.write_all(b"type=CWD msg=audit(1.000:9): cwd").unwrap();
        drop(tx);
        match ev.next_event() {
            Some(Err(Error::Parse { source, .. })) => {
                assert_eq!(source.kind, ErrorKind::TruncatedLine)
            }
            other => panic!("{other:?}"),
        }
        assert!(ev.next_event().is_none());
        let st = ev.stats();
        assert_eq!((st.events.events, st.parse_errors), (2, 1));
    }
}
