//! Events from saved inputs: records read one by one from a [`RecordInput`]
//! (log lines, capture datagrams) and joined by a reassembler on event time.

use std::collections::VecDeque;
use std::io;

use super::log::LineRecord;
use super::pump::Pump;
use super::{is_transient, Closed, EventSource, SourceStats};
use crate::error::Error;
use crate::event::EventBuf;
use crate::reassemble::{ReassemblerConfig, Stats};

/// A reader of records from one saved input: the lines of a log
/// ([`LineReader`](super::log::LineReader)) or the datagrams of a capture
/// ([`CaptureReader`](super::capture::CaptureReader)).
pub trait RecordInput {
    /// The next record, or why the next item did not parse together with its
    /// bytes; `None` at the end.
    fn next_input_record(&mut self) -> Option<io::Result<LineRecord<'_>>>;
    /// The 1-based number of the last item read (line, datagram).
    fn position(&self) -> u64;
    /// Bytes consumed so far.
    fn bytes_read(&self) -> u64;
}

/// Events from one or more saved inputs read in order as one stream:
/// [`LogEvents`](super::log::LogEvents) for audit.log,
/// [`CaptureEvents`](super::capture::CaptureEvents) for netlink captures.
///
/// An item that does not parse is reported once as an [`Error::Parse`] (with
/// the input it is in, its number there and its bytes) and reading goes on
/// with the next. An I/O error is reported as [`Error::Io`]: a transient one
/// (`Interrupted`, `WouldBlock`, `TimedOut`) leaves the input as it was, so
/// the next call retries it; any other ends that input (the next one is read,
/// and the events in flight still come out at the end). Nothing already read
/// is dropped either way.
pub struct Events<I> {
    inputs: VecDeque<I>,
    current_input: Option<I>,
    /// 0-based number of the input being read (or last read).
    input_no: usize,
    pump: Pump,
    bytes_base: u64,
    /// An input has been taken.
    started: bool,
    finished: bool,
}

impl<I: RecordInput> Events<I> {
    /// Events of `inputs`, in order, with these reassembly limits.
    pub fn from_inputs(inputs: impl IntoIterator<Item = I>, cfg: ReassemblerConfig) -> Self {
        Events {
            inputs: inputs.into_iter().collect(),
            current_input: None,
            input_no: 0,
            pump: Pump::new(cfg),
            bytes_base: 0,
            started: false,
            finished: false,
        }
    }

    /// The reassembler's counters.
    pub fn reassembly_stats(&self) -> &Stats {
        self.pump.re.stats()
    }

    /// Items (lines, datagrams) that did not parse.
    pub fn parse_errors(&self) -> u64 {
        self.pump.parse_errors
    }

    /// The 0-based number of the input being read (of those given, in
    /// order): where the last item or error came from.
    pub fn input_number(&self) -> usize {
        self.input_no
    }

    /// The reassembler's limits.
    pub fn config(&self) -> &ReassemblerConfig {
        self.pump.re.config()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_base + self.current_input.as_ref().map_or(0, |i| i.bytes_read())
    }

    /// Moves the next event into the pump's `current`.
    fn advance(&mut self) -> Option<Result<(), Error>> {
        loop {
            if self.pump.next_ready() {
                return Some(Ok(()));
            }
            if self.finished {
                return None;
            }
            if let Err(e) = self.feed() {
                self.pump.count(&e);
                return Some(Err(e));
            }
        }
    }

    /// Reads records until the reassembler has output or the input ends.
    fn feed(&mut self) -> Result<(), Error> {
        loop {
            let input = match &mut self.current_input {
                Some(i) => i,
                None => match self.inputs.pop_front() {
                    Some(i) => {
                        if self.started {
                            self.input_no += 1;
                        }
                        self.started = true;
                        self.current_input.insert(i)
                    }
                    None => {
                        self.pump.re.finish();
                        self.finished = true;
                        return Ok(());
                    }
                },
            };
            match input.next_input_record() {
                None => {
                    self.bytes_base += input.bytes_read();
                    self.current_input = None;
                }
                Some(Err(e)) => {
                    if !is_transient(&e) {
                        // This input cannot go on; what it gave stays.
                        self.bytes_base += input.bytes_read();
                        self.current_input = None;
                    }
                    return Err(Error::Io(e));
                }
                Some(Ok(Ok(rec))) => {
                    self.pump.re.push(&rec, None);
                    if self.pump.re.has_output() {
                        return Ok(());
                    }
                }
                Some(Ok(Err((source, raw)))) => {
                    let raw = raw.to_vec();
                    return Err(Error::Parse {
                        input: self.input_no,
                        index: input.position(),
                        source,
                        raw,
                    });
                }
            }
        }
    }
}

impl<I: RecordInput> EventSource for Events<I> {
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
        self.pump.stats(self.bytes_read())
    }

    /// Completes the events in flight without reading further, and returns
    /// those not yet handed out.
    fn close(mut self) -> Result<Closed, Error> {
        let events = self.pump.drain();
        Ok(Closed {
            events,
            stats: self.stats(),
        })
    }
}

impl<I: RecordInput> Events<I> {
    /// The next event, borrowed until the next call (its buffers are then
    /// reused). `None` at the end of the input. (As
    /// [`EventSource::next_event`], without importing the trait.)
    pub fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        EventSource::next_event(self)
    }

    /// The counters so far. (As [`EventSource::stats`].)
    pub fn stats(&self) -> SourceStats {
        EventSource::stats(self)
    }
}

impl<I: RecordInput> Iterator for Events<I> {
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
