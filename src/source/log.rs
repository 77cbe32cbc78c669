//! audit.log lines from any [`BufRead`]: a file, stdin, a set of rotated logs.

use std::io::{self, BufRead, ErrorKind as IoErrorKind};

use memchr::memchr;

use super::{Events, RecordInput};
use crate::error::{ErrorKind, ParseError};
use crate::reassemble::ReassemblerConfig;
use crate::record::Record;

/// A parsed line, or why it did not parse and its bytes.
pub type LineRecord<'a> = Result<Record<'a>, (ParseError, &'a [u8])>;

/// The longest log line read whole, by default: 64 KiB. The kernel writes at
/// most 8,970 bytes of record text; auditd adds the `type=` header, a `node=`
/// name and, in ENRICHED logs, the interpreted fields.
pub const DEFAULT_MAX_LINE: usize = 64 << 10;

/// Reads lines from a [`BufRead`] without copying them when they lie inside the
/// reader's buffer (give it a large one: `BufReader::with_capacity(1 << 20, f)`).
///
/// A last line without a newline (a log cut while auditd wrote it) is returned
/// like any other; the caller sees it has no `\n`. A line longer than the
/// maximum ([`DEFAULT_MAX_LINE`]) is cut to its first maximum bytes, the rest
/// of it skipped up to its newline, and [`next_record`](Self::next_record)
/// reports it as [`ErrorKind::LineTooLong`]: memory stays bounded whatever
/// the input.
pub struct LineReader<R> {
    inner: R,
    pending: usize,
    line: Vec<u8>,
    max_line: usize,
    /// The line just returned was over the maximum and cut.
    cut: bool,
    /// Keep a last line without newline for more input (following).
    hold_partial: bool,
    /// Bytes of a held partial line consumed from `inner` (0: none held).
    held: u64,
    lines: u64,
    bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Lines of `inner`, at most [`DEFAULT_MAX_LINE`] bytes each.
    pub fn new(inner: R) -> Self {
        Self::with_max_line(inner, DEFAULT_MAX_LINE)
    }

    /// Lines of `inner`, at most `max_line` bytes each (at least 1).
    pub fn with_max_line(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            pending: 0,
            line: Vec::new(),
            max_line: max_line.max(1),
            cut: false,
            hold_partial: false,
            held: 0,
            lines: 0,
            bytes: 0,
        }
    }

    /// Makes a last line without newline wait for more input instead of
    /// being returned at the end of what is there: for a file being written
    /// or a pipe. [`next_line`](Self::next_line) then returns `None` until
    /// the newline comes, and an I/O error keeps what was read of the line.
    pub fn hold_partial_lines(&mut self, hold: bool) {
        self.hold_partial = hold;
    }

    /// Bytes of a last line held for its newline.
    pub fn held_bytes(&self) -> u64 {
        self.held
    }

    /// Returns a held partial line as a line of its own (the input ended for
    /// good: a file that was rotated away).
    pub fn release_held(&mut self) -> Option<&[u8]> {
        if self.held == 0 {
            return None;
        }
        self.lines += 1;
        self.bytes += std::mem::take(&mut self.held);
        Some(&self.line)
    }

    /// The reader inside.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader inside, mutably: reading from it directly skips what this
    /// reader holds.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Number of lines returned so far (the 1-based number of the last one).
    pub fn line_number(&self) -> u64 {
        self.lines
    }

    /// Number of bytes consumed so far (whole lines, also those cut).
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Whether the line last returned was longer than the maximum and cut.
    pub fn was_cut(&self) -> bool {
        self.cut
    }

    /// The next line with its `\n` (cut to the maximum length, see
    /// [`was_cut`](Self::was_cut)), or `None` at the end of the input (or,
    /// holding partial lines, when no whole line is there yet).
    pub fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        // Bytes of the current line consumed so far (kept or skipped).
        let mut taken = std::mem::take(&mut self.held);
        if taken == 0 {
            if self.line.capacity() > 2 * self.max_line.min(1 << 20) {
                self.line = Vec::new();
            }
            self.line.clear();
            self.cut = false;
        }
        loop {
            let (found, avail) = match self.inner.fill_buf() {
                Ok(buf) => (memchr(b'\n', buf), buf.len()),
                Err(e) if e.kind() == IoErrorKind::Interrupted => continue,
                Err(e) if self.hold_partial => {
                    self.held = taken;
                    return Err(e);
                }
                Err(e) => {
                    // What was taken of this line is consumed: count it, and
                    // keep nothing (the line is lost at an I/O error).
                    self.bytes += taken;
                    return Err(e);
                }
            };
            if avail == 0 {
                if taken == 0 {
                    return Ok(None);
                }
                if self.hold_partial {
                    self.held = taken;
                    return Ok(None);
                }
                self.lines += 1;
                self.bytes += taken;
                return Ok(Some(&self.line));
            }
            match found {
                Some(n) if taken == 0 && n < self.max_line => {
                    self.pending = n + 1;
                    self.lines += 1;
                    self.bytes += n as u64 + 1;
                    let buf = self.inner.fill_buf()?;
                    return Ok(Some(&buf[..n + 1]));
                }
                Some(n) => {
                    self.keep(n + 1)?;
                    self.lines += 1;
                    self.bytes += taken + n as u64 + 1;
                    return Ok(Some(&self.line));
                }
                None => {
                    self.keep(avail)?;
                    taken += avail as u64;
                }
            }
        }
    }

    /// Consumes `n` bytes of the reader's buffer, keeping what fits in the
    /// line.
    fn keep(&mut self, n: usize) -> io::Result<()> {
        let room = self.max_line.saturating_sub(self.line.len());
        if n > room {
            self.cut = true;
        }
        let buf = self.inner.fill_buf()?;
        self.line.extend_from_slice(&buf[..n.min(room)]);
        self.inner.consume(n);
        Ok(())
    }

    /// The next line parsed as a record. A line that does not parse gives its
    /// error together with the line's bytes (the first maximum bytes of a line
    /// cut for its length), and the next call goes on with the next line.
    /// Empty lines are skipped.
    pub fn next_record(&mut self) -> Option<io::Result<LineRecord<'_>>> {
        loop {
            let line = match self.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if line.iter().all(|&c| c == b'\n' || c == b'\r') && !self.cut {
                continue;
            }
            return Some(Ok(self.parse_current()));
        }
    }

    /// The line last returned, parsed (or cut: `LineTooLong`).
    fn parse_current(&mut self) -> LineRecord<'_> {
        // Re-borrowed here to be returned: the line lives in self.
        let line: &[u8] = match self.pending {
            0 => &self.line,
            n => match self.inner.fill_buf() {
                Ok(b) => &b[..n],
                // a BufRead hands out what it holds again
                Err(_) => &[],
            },
        };
        if self.cut {
            let e = ParseError::new(ErrorKind::LineTooLong, self.max_line);
            return Err((e, line));
        }
        Record::parse_line(line).map_err(|e| (e, line))
    }
}

/// Events from audit.log input: records parsed line by line and joined by a
/// [`Reassembler`](crate::reassemble::Reassembler) on event time.
///
/// Several inputs (a rotated set: `audit.log.3`, ..., `audit.log`) are read
/// in the order given, as one stream; see [`rotated_set`]. A line that does
/// not parse is reported once as an [`Error::Parse`](crate::Error::Parse) (with its line number and
/// bytes) and reading goes on with the next line. A last line without a
/// newline (a log cut while auditd wrote it) is reported as
/// [`ErrorKind::TruncatedLine`] and not used; the rest of its event still
/// comes out.
///
/// ```
/// use auditstream::source::log::LogEvents;
/// use auditstream::event::EventKind;
///
/// let log = &b"type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=42 success=no exit=-111 pid=9 comm=\"nc\" exe=\"/bin/nc\" key=\"net\"
/// type=SOCKADDR msg=audit(1.000:7): saddr=020000507F0000010000000000000000
/// type=PROCTITLE msg=audit(1.000:7): proctitle=\"nc\"
/// "[..];
/// let mut events = LogEvents::new(log);
/// let ev = events.next_event().unwrap().unwrap();
/// let EventKind::Socket(s) = ev.event().kind else { panic!() };
/// assert_eq!(s.sockaddr().unwrap().to_string(), "127.0.0.1:80");
/// assert_eq!(s.syscall.errno(), Some("ECONNREFUSED"));
/// ```
pub type LogEvents<R> = Events<LineReader<R>>;

impl<R: BufRead> Events<LineReader<R>> {
    /// Events of one log.
    pub fn new(input: R) -> Self {
        Self::with_config([input], ReassemblerConfig::default())
    }

    /// Events of several logs read in order as one stream, with these
    /// reassembly limits.
    pub fn with_config(inputs: impl IntoIterator<Item = R>, cfg: ReassemblerConfig) -> Self {
        Events::from_inputs(inputs.into_iter().map(LineReader::new), cfg)
    }
}

impl<R: BufRead> RecordInput for LineReader<R> {
    fn next_input_record(&mut self) -> Option<io::Result<LineRecord<'_>>> {
        match self.next_record()? {
            // A log cut while auditd wrote its last line: the record may be
            // cut inside a value. Reported, not used.
            Ok(Ok(rec)) if !rec.raw().ends_with(b"\n") => Some(Ok(Err((
                ParseError::new(ErrorKind::TruncatedLine, rec.raw().len()),
                rec.raw(),
            )))),
            other => Some(other),
        }
    }

    fn position(&self) -> u64 {
        self.line_number()
    }

    fn bytes_read(&self) -> u64 {
        LineReader::bytes_read(self)
    }
}

/// The files of a rotated audit log, oldest first: `PATH.N`, ..., `PATH.1`,
/// `PATH` (those that exist), as auditd's `num_logs` rotation names them.
///
/// One missing number is skipped over: auditd renames `PATH.N-1` to `PATH.N`
/// one file at a time, so a look in the middle of a rotation sees one gap.
pub fn rotated_set(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut n = 1;
    let mut missing = 0;
    while missing < 2 {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{n}"));
        let p = std::path::PathBuf::from(p);
        if p.exists() {
            out.push(p);
            missing = 0;
        } else {
            missing += 1;
        }
        n += 1;
    }
    out.reverse();
    if path.exists() {
        out.push(path.to_path_buf());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn lines_across_buffer_edges() {
        let text = b"one\ntwo two\n\nlast-without-newline";
        for cap in 1..text.len() + 2 {
            let mut r = LineReader::new(BufReader::with_capacity(cap, &text[..]));
            let mut got = Vec::new();
            while let Some(l) = r.next_line().unwrap() {
                got.push(l.to_vec());
            }
            assert_eq!(
                got,
                vec![
                    b"one\n".to_vec(),
                    b"two two\n".to_vec(),
                    b"\n".to_vec(),
                    b"last-without-newline".to_vec()
                ],
                "capacity {cap}"
            );
            assert_eq!(r.line_number(), 4);
            assert_eq!(r.bytes_read(), text.len() as u64);
        }
    }

    use crate::error::Error;

    #[test]
    fn truncated_last_line_is_reported_and_the_event_still_comes_out() {
        let log = b"type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=59 success=yes exit=0 pid=1\ntype=EXECVE msg=audit(1.000:7): argc=2 a0=\"ls\" a1=\"-";
        let mut ev = LogEvents::new(&log[..]);
        match ev.next_event() {
            Some(Err(Error::Parse {
                input,
                index,
                source,
                raw,
            })) => {
                assert_eq!(input, 0);
                assert_eq!(index, 2);
                assert_eq!(source.kind, ErrorKind::TruncatedLine);
                assert!(raw.starts_with(b"type=EXECVE"));
            }
            other => panic!("{other:?}"),
        }
        let e = ev.next_event().unwrap().unwrap();
        assert_eq!(e.len(), 1);
        assert!(ev.next_event().is_none());
        assert_eq!(ev.parse_errors(), 1);
    }

    #[test]
    fn long_lines_are_cut_and_reading_goes_on() {
        let mut text = b"type=CWD msg=audit(1.000:1): cwd=\"/\"\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 10_000));
        text.extend_from_slice(b"\ntype=CWD msg=audit(1.000:2): cwd=\"/\"\n");
        text.extend(std::iter::repeat_n(b'y', 300));
        for cap in [7, 64, 100, 1 << 16] {
            let mut r = LineReader::with_max_line(BufReader::with_capacity(cap, &text[..]), 100);
            assert_eq!(r.next_record().unwrap().unwrap().unwrap().id().serial, 1);
            let (e, raw) = r.next_record().unwrap().unwrap().unwrap_err();
            assert_eq!((e.kind, e.offset), (crate::ErrorKind::LineTooLong, 100));
            assert_eq!(raw, &[b'x'; 100][..]);
            assert_eq!(r.next_record().unwrap().unwrap().unwrap().id().serial, 2);
            // a last line without newline, over the limit
            let (e, raw) = r.next_record().unwrap().unwrap().unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::LineTooLong);
            assert_eq!(raw.len(), 100);
            assert!(r.next_record().is_none());
            assert_eq!(r.bytes_read(), text.len() as u64, "capacity {cap}");
            assert_eq!(r.line_number(), 4);
            assert!(r.line.capacity() <= 1024, "{}", r.line.capacity());
        }
    }

    #[test]
    fn partial_lines_are_held_for_their_newline() {
        struct Growing(Vec<&'static [u8]>, usize);
        impl std::io::Read for Growing {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                // one chunk per read, then "end of file" once, then the next
                let Some(c) = self.0.get(self.1 / 2) else {
                    return Ok(0);
                };
                self.1 += 1;
                if self.1.is_multiple_of(2) {
                    return Ok(0);
                }
                out[..c.len()].copy_from_slice(c);
                Ok(c.len())
            }
        }
        let src = Growing(
            vec![b"type=CWD msg=audit(1.000:1): cw", b"d=\"/\"\nx", b"y\n"],
            0,
        );
        let mut r = LineReader::new(BufReader::with_capacity(64, src));
        r.hold_partial_lines(true);
        assert!(r.next_line().unwrap().is_none());
        assert_eq!(r.held_bytes(), 31);
        assert_eq!(r.bytes_read(), 0);
        let rec = r.next_record().unwrap().unwrap().unwrap();
        assert_eq!(rec.get(b"cwd").unwrap().bytes().unwrap(), &b"/"[..]);
        assert!(r.next_line().unwrap().is_none());
        assert_eq!(r.held_bytes(), 1);
        assert_eq!(r.next_line().unwrap().unwrap(), b"xy\n");
        assert_eq!(r.bytes_read(), 40);
        assert!(r.release_held().is_none());
    }

    #[test]
    fn records_and_errors() {
        let text = b"type=CWD msg=audit(1.000:1): cwd=\"/\"\ngarbage\n\ntype=CWD msg=audit(1.000:2): cwd=\"/\"";
        let mut r = LineReader::new(BufReader::with_capacity(7, &text[..]));
        let a = r.next_record().unwrap().unwrap().unwrap().id().serial;
        assert_eq!(a, 1);
        let (e, raw) = r.next_record().unwrap().unwrap().unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::MissingType);
        assert_eq!(raw, b"garbage\n");
        let b = r.next_record().unwrap().unwrap().unwrap().id().serial;
        assert_eq!(b, 2);
        assert!(r.next_record().is_none());
    }
}
