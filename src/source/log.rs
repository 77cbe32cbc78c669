//! audit.log lines from any [`BufRead`]: a file, stdin, a set of rotated logs.

use std::io::{self, BufRead, ErrorKind as IoErrorKind};

use memchr::memchr;

use crate::error::ParseError;
use crate::record::Record;

/// Reads lines from a [`BufRead`] without copying them when they lie inside the
/// reader's buffer (give it a large one: `BufReader::with_capacity(1 << 20, f)`).
///
/// A last line without a newline (a log cut while auditd wrote it) is returned
/// like any other; the caller sees it has no `\n`.
pub struct LineReader<R> {
    inner: R,
    pending: usize,
    line: Vec<u8>,
    lines: u64,
    bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Lines of `inner`.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            pending: 0,
            line: Vec::new(),
            lines: 0,
            bytes: 0,
        }
    }

    /// Number of lines returned so far (the 1-based number of the last one).
    pub fn line_number(&self) -> u64 {
        self.lines
    }

    /// Number of bytes returned so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The next line with its `\n`, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.inner.consume(std::mem::take(&mut self.pending));
        self.line.clear();
        loop {
            let (found, avail) = match self.inner.fill_buf() {
                Ok(buf) => (memchr(b'\n', buf), buf.len()),
                Err(e) if e.kind() == IoErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail == 0 {
                if self.line.is_empty() {
                    return Ok(None);
                }
                self.lines += 1;
                self.bytes += self.line.len() as u64;
                return Ok(Some(&self.line));
            }
            match found {
                Some(n) if self.line.is_empty() => {
                    self.pending = n + 1;
                    self.lines += 1;
                    self.bytes += n as u64 + 1;
                    let buf = self.inner.fill_buf()?;
                    return Ok(Some(&buf[..n + 1]));
                }
                Some(n) => {
                    let buf = self.inner.fill_buf()?;
                    self.line.extend_from_slice(&buf[..n + 1]);
                    self.inner.consume(n + 1);
                    self.lines += 1;
                    self.bytes += self.line.len() as u64;
                    return Ok(Some(&self.line));
                }
                None => {
                    let buf = self.inner.fill_buf()?;
                    self.line.extend_from_slice(buf);
                    self.inner.consume(avail);
                }
            }
        }
    }

    /// The next line parsed as a record. A line that does not parse gives its
    /// error together with the line's bytes, and the next call goes on with
    /// the next line. Empty lines are skipped.
    pub fn next_record(&mut self) -> Option<io::Result<Result<Record<'_>, (ParseError, &[u8])>>> {
        loop {
            let line = match self.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if line.iter().all(|&c| c == b'\n' || c == b'\r') {
                continue;
            }
            // Re-borrow to return: the line lives in self.
            let line: &[u8] = match self.pending {
                0 => &self.line,
                n => &self.inner.fill_buf().ok()?[..n],
            };
            return Some(Ok(Record::parse_line(line).map_err(|e| (e, line))));
        }
    }
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
