//! Netlink capture files: every datagram as `[u32 little-endian length][nlmsghdr
//! + payload]`, the format of `../shared/corpus/*.netlink.bin` (written by a
//! multicast listener that stores what `recv` returned).

use std::io::{self, Read};

use super::log::LineRecord;
use super::{Events, RecordInput};
use crate::error::{ErrorKind, ParseError};
use crate::reassemble::ReassemblerConfig;
use crate::record::Record;

/// Largest datagram accepted from a capture (a netlink audit message is at
/// most 16 + 8970 bytes; control replies are smaller still).
pub const MAX_CAPTURE_DATAGRAM: usize = 1 << 20;

/// Reads the datagrams of a capture file one by one into a reused buffer.
pub struct CaptureReader<R> {
    inner: R,
    buf: Vec<u8>,
    count: u64,
    bytes: u64,
}

impl<R: Read> CaptureReader<R> {
    /// Datagrams of `inner` (wrap files in a `BufReader`).
    pub fn new(inner: R) -> Self {
        CaptureReader {
            inner,
            buf: Vec::with_capacity(16 + 8970),
            count: 0,
            bytes: 0,
        }
    }

    /// Number of datagrams returned so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of input bytes consumed so far (length prefixes included).
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The next datagram, or `None` at the end. A capture cut inside a
    /// datagram, or a length over [`MAX_CAPTURE_DATAGRAM`], is an
    /// `InvalidData` error carrying a [`ParseError`] (the reader is then done).
    pub fn next_datagram(&mut self) -> io::Result<Option<&[u8]>> {
        let mut len = [0u8; 4];
        let got = read_full(&mut self.inner, &mut len)?;
        if got == 0 {
            return Ok(None);
        }
        let at = self.bytes as usize;
        if got < 4 {
            return Err(truncated(at));
        }
        let n = u32::from_le_bytes(len) as usize;
        if n > MAX_CAPTURE_DATAGRAM {
            return Err(truncated(at));
        }
        self.buf.resize(n, 0);
        if read_full(&mut self.inner, &mut self.buf)? < n {
            return Err(truncated(at));
        }
        self.count += 1;
        self.bytes += 4 + n as u64;
        Ok(Some(&self.buf))
    }
}

impl<R: Read> RecordInput for CaptureReader<R> {
    fn next_input_record(&mut self) -> Option<io::Result<LineRecord<'_>>> {
        match self.next_datagram() {
            Err(e) => Some(Err(e)),
            Ok(None) => None,
            Ok(Some(d)) => Some(Ok(Record::parse_netlink(d).map_err(|e| (e, d)))),
        }
    }

    fn position(&self) -> u64 {
        self.count
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

/// Events from netlink capture files (one or more, read in order as one
/// stream), joined on event time as [`LogEvents`](super::log::LogEvents)
/// joins log lines. A datagram that does not parse (or is no audit record)
/// is reported as an [`Error::Parse`](crate::Error::Parse) with its number.
pub type CaptureEvents<R> = Events<CaptureReader<R>>;

impl<R: Read> Events<CaptureReader<R>> {
    /// Events of one capture.
    pub fn new(input: R) -> Self {
        Self::with_config([input], ReassemblerConfig::default())
    }

    /// Events of several captures read in order, with these reassembly limits.
    pub fn with_config(inputs: impl IntoIterator<Item = R>, cfg: ReassemblerConfig) -> Self {
        Events::from_inputs(inputs.into_iter().map(CaptureReader::new), cfg)
    }
}

fn truncated(offset: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        ParseError {
            kind: ErrorKind::TruncatedCapture,
            offset,
        },
    )
}

fn read_full(r: &mut impl Read, mut buf: &mut [u8]) -> io::Result<usize> {
    let want = buf.len();
    while !buf.is_empty() {
        match r.read(buf) {
            Ok(0) => break,
            Ok(n) => buf = &mut buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(want - buf.len())
}

/// Appends one datagram to a capture in the same format.
pub fn write_datagram(out: &mut impl io::Write, datagram: &[u8]) -> io::Result<()> {
    let len = u32::try_from(datagram.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "datagram over 4 GiB"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(datagram)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut f = Vec::new();
        write_datagram(&mut f, b"first").unwrap();
        write_datagram(&mut f, b"").unwrap();
        write_datagram(&mut f, b"third one").unwrap();
        let mut r = CaptureReader::new(&f[..]);
        assert_eq!(r.next_datagram().unwrap().unwrap(), b"first");
        assert_eq!(r.next_datagram().unwrap().unwrap(), b"");
        assert_eq!(r.next_datagram().unwrap().unwrap(), b"third one");
        assert!(r.next_datagram().unwrap().is_none());
        assert_eq!(r.count(), 3);
        for cut in 1..f.len() {
            let mut r = CaptureReader::new(&f[..cut]);
            let mut res = Ok(());
            while let Some(d) = r.next_datagram().transpose() {
                if let Err(e) = d {
                    res = Err(e);
                    break;
                }
            }
            let boundaries = [9, 13, 26];
            if boundaries.contains(&cut) {
                assert!(res.is_ok(), "cut {cut}");
            } else {
                assert_eq!(
                    res.unwrap_err().kind(),
                    io::ErrorKind::InvalidData,
                    "cut {cut}"
                );
            }
        }
    }
}
