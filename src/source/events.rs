//! Events from saved inputs: records read one by one from a [`RecordInput`]
//! (log lines, capture datagrams) and joined by a [`Reassembler`] on event
//! time.

use std::collections::VecDeque;
use std::io;

use super::log::LineRecord;
use crate::error::Error;
use crate::event::EventBuf;
use crate::reassemble::{Reassembler, ReassemblerConfig, Stats};

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
    re: Reassembler,
    current: Option<EventBuf>,
    bytes_base: u64,
    /// An input has been taken.
    started: bool,
    errors: u64,
    finished: bool,
}

impl<I: RecordInput> Events<I> {
    /// Events of `inputs`, in order, with these reassembly limits.
    pub fn from_inputs(inputs: impl IntoIterator<Item = I>, cfg: ReassemblerConfig) -> Self {
        Events {
            inputs: inputs.into_iter().collect(),
            current_input: None,
            input_no: 0,
            re: Reassembler::new(cfg),
            current: None,
            bytes_base: 0,
            started: false,
            errors: 0,
            finished: false,
        }
    }

    /// The reassembler's counters.
    pub fn stats(&self) -> &Stats {
        self.re.stats()
    }

    /// Items (lines, datagrams) that did not parse.
    pub fn parse_errors(&self) -> u64 {
        self.errors
    }

    /// The 0-based number of the input being read (of those given, in
    /// order): where the last item or error came from.
    pub fn input_number(&self) -> usize {
        self.input_no
    }

    /// The reassembler's limits.
    pub fn config(&self) -> &ReassemblerConfig {
        self.re.config()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_base + self.current_input.as_ref().map_or(0, |i| i.bytes_read())
    }

    /// The next event, borrowed until the next call (its buffers are then
    /// reused). `None` at the end of the input.
    pub fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        if let Some(done) = self.current.take() {
            self.re.recycle(done);
        }
        match self.advance()? {
            Ok(()) => self.current.as_ref().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }

    /// Moves the next event into `current`.
    fn advance(&mut self) -> Option<Result<(), Error>> {
        loop {
            if let Some(ev) = self.re.pop() {
                self.current = Some(ev);
                return Some(Ok(()));
            }
            if self.finished {
                return None;
            }
            if let Err(e) = self.feed() {
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
                        self.re.finish();
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
                    self.re.push(&rec, None);
                    if self.re.has_output() {
                        return Ok(());
                    }
                }
                Some(Ok(Err((source, raw)))) => {
                    let raw = raw.to_vec();
                    self.errors += 1;
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

impl<I: RecordInput> Iterator for Events<I> {
    type Item = Result<EventBuf, Error>;

    /// The next event, owned.
    fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        self.current = None;
        match self.advance()? {
            Ok(()) => self.current.take().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }
}

/// Whether an I/O error may go away if the read is tried again.
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
