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
    /// Framing was lost (cut or oversized datagram): nothing more is read.
    done: bool,
}

impl<R: Read> CaptureReader<R> {
    /// Datagrams of `inner` (wrap files in a `BufReader`).
    pub fn new(inner: R) -> Self {
        CaptureReader {
            inner,
            buf: Vec::with_capacity(16 + 8970),
            count: 0,
            bytes: 0,
            done: false,
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

    /// The next datagram, or `None` at the end.
    ///
    /// A capture cut inside a datagram ([`ErrorKind::TruncatedCapture`]) or a
    /// length over [`MAX_CAPTURE_DATAGRAM`] ([`ErrorKind::OversizedDatagram`])
    /// is an `InvalidData` error carrying a [`ParseError`] whose offset is
    /// that of the datagram's length prefix in the file; the bytes read of it
    /// are then in [`partial`](Self::partial). Framing is lost there, so the
    /// reader is done: it returns `None` from then on.
    pub fn next_datagram(&mut self) -> io::Result<Option<&[u8]>> {
        if self.done {
            return Ok(None);
        }
        let at = self.bytes as usize;
        let mut len = [0u8; 4];
        let got = read_full(&mut self.inner, &mut len)?;
        self.buf.clear();
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            return Err(self.framing_lost(&len[..got], ErrorKind::TruncatedCapture, at));
        }
        let n = u32::from_le_bytes(len) as usize;
        if n > MAX_CAPTURE_DATAGRAM {
            return Err(self.framing_lost(&len, ErrorKind::OversizedDatagram, at));
        }
        self.buf.resize(n, 0);
        let got = read_full(&mut self.inner, &mut self.buf)?;
        if got < n {
            self.buf.truncate(got);
            let mut raw = len.to_vec();
            raw.extend_from_slice(&self.buf);
            return Err(self.framing_lost(&raw, ErrorKind::TruncatedCapture, at));
        }
        self.count += 1;
        self.bytes += 4 + n as u64;
        Ok(Some(&self.buf))
    }

    /// The bytes read of the datagram whose framing was lost (length prefix
    /// included), after [`next_datagram`](Self::next_datagram) reported it.
    pub fn partial(&self) -> &[u8] {
        if self.done {
            &self.buf
        } else {
            &[]
        }
    }

    fn framing_lost(&mut self, raw: &[u8], kind: ErrorKind, at: usize) -> io::Error {
        self.done = true;
        self.buf.clear();
        self.buf.extend_from_slice(raw);
        self.count += 1;
        self.bytes += raw.len() as u64;
        io::Error::new(io::ErrorKind::InvalidData, ParseError::new(kind, at))
    }
}

impl<R: Read> RecordInput for CaptureReader<R> {
    fn next_input_record(&mut self) -> Option<io::Result<LineRecord<'_>>> {
        let got = self.next_datagram().map(|d| d.is_some());
        match got {
            Err(e) if self.done => {
                // framing lost: a record error with the bytes read, then the end
                let pe = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<ParseError>())
                    .copied()
                    .unwrap_or(ParseError::new(ErrorKind::TruncatedCapture, 0));
                Some(Ok(Err((pe, self.partial()))))
            }
            Err(e) => Some(Err(e)),
            Ok(false) => None,
            Ok(true) => {
                let d = &self.buf[..];
                Some(Ok(Record::parse_netlink(d).map_err(|e| (e, d))))
            }
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
/// is reported as an [`Error::Parse`](crate::Error::Parse) with its number;
/// so is a capture cut inside a datagram or with an impossible length,
/// after which that file ends (the events in flight still come out).
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
                let e = res.unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::InvalidData, "cut {cut}");
                let pe = e.get_ref().unwrap().downcast_ref::<ParseError>().unwrap();
                assert_eq!(pe.kind, ErrorKind::TruncatedCapture);
                let start = boundaries
                    .iter()
                    .rev()
                    .find(|b| **b < cut)
                    .copied()
                    .unwrap_or(0);
                assert_eq!(pe.offset, start, "cut {cut}");
                assert_eq!(r.partial(), &f[start..cut], "cut {cut}");
                assert!(r.next_datagram().unwrap().is_none());
            }
        }
    }

    #[test]
    fn oversized_length_is_its_own_error_and_ends_the_file() {
        let mut f = Vec::new();
        write_datagram(&mut f, b"one").unwrap();
        f.extend_from_slice(&u32::MAX.to_le_bytes());
        f.extend_from_slice(b"whatever follows");
        let mut r = CaptureReader::new(&f[..]);
        assert_eq!(r.next_datagram().unwrap().unwrap(), b"one");
        let e = r.next_datagram().unwrap_err();
        let pe = e.get_ref().unwrap().downcast_ref::<ParseError>().unwrap();
        assert_eq!((pe.kind, pe.offset), (ErrorKind::OversizedDatagram, 7));
        assert_eq!(r.partial(), &u32::MAX.to_le_bytes());
        assert!(r.next_datagram().unwrap().is_none());
    }
}
