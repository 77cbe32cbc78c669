//! Audit records: one line of audit.log or one NETLINK_AUDIT datagram.
//!
//! [`Record::parse_line`] and [`Record::parse_netlink`] read the two input forms
//! of the kernel's audit stream into the same [`Record`], borrowing from the
//! input. Fields are tokenized lazily ([`Record::fields`], [`Record::get`]) and
//! values decoded on demand ([`Field::value`]).
//!
//! ```
//! use auditstream::{Record, RecordType, Value};
//!
//! let line = b"type=EXECVE msg=audit(1795836514.910:16022): argc=2 a0=\"ls\" a1=2D6C2061\n";
//! let rec = Record::parse_line(line).unwrap();
//! assert_eq!(rec.record_type(), RecordType::EXECVE);
//! assert_eq!(rec.id().serial, 16022);
//! assert_eq!(rec.get(b"a1").unwrap().bytes().unwrap(), &b"-l a"[..]);
//! ```

mod fields;
mod header;
mod types;
mod value;

#[cfg(test)]
mod proptests;

use std::fmt;

pub use fields::Fields;
pub use types::{EventId, RecordType, Timestamp};
pub use value::{decode_hex, decode_hex_into, Field, Keys, Quote, Value};

#[cfg(test)]
pub(crate) use fields::naive_fields;
#[cfg(test)]
pub(crate) use value::naive_decode_hex;

pub(crate) use header::offset;
pub(crate) use types::parse_decimal;
pub(crate) use value::{decode_hex_to_slice, is_execve_arg};

use crate::bytes::BStr;
use crate::error::{ErrorKind, ParseError};

/// The separator auditd's ENRICHED format puts between the kernel's text and
/// the interpreted fields.
pub const ENRICHMENT_SEPARATOR: u8 = 0x1d;

/// Size of a netlink message header (`struct nlmsghdr`).
pub const NLMSG_HDRLEN: usize = 16;

/// One audit record, borrowed from the line or datagram it was parsed from.
///
/// Two records are equal when their type, node, id and body are equal: the
/// same record read from a log line and from a netlink datagram compares equal
/// (the enrichment of an ENRICHED log and the raw framing are not compared).
#[derive(Clone, Copy)]
pub struct Record<'a> {
    raw: &'a [u8],
    node: Option<&'a [u8]>,
    rtype: RecordType,
    type_name: Option<&'a [u8]>,
    id: EventId,
    body: &'a [u8],
    enrichment: Option<&'a [u8]>,
}

impl<'a> Record<'a> {
    /// Parses one audit.log line (RAW or ENRICHED), with or without its line
    /// ending: `[node=NAME ]type=NAME msg=audit(SEC.MSEC:SERIAL): BODY`.
    pub fn parse_line(line: &'a [u8]) -> Result<Record<'a>, ParseError> {
        let trimmed = trim_end(line);
        if trimmed.is_empty() {
            return Err(ParseError::new(ErrorKind::Empty, 0));
        }
        let h = header::line_header(trimmed)?;
        let (body, enrichment) = match memchr::memchr(ENRICHMENT_SEPARATOR, h.rest) {
            Some(p) => (&h.rest[..p], Some(&h.rest[p + 1..])),
            None => (h.rest, None),
        };
        Ok(Record {
            raw: line,
            node: h.node,
            rtype: h.rtype,
            type_name: h.type_name,
            id: h.id,
            body,
            enrichment,
        })
    }

    /// Parses one NETLINK_AUDIT datagram: a `nlmsghdr` and the payload
    /// `audit(SEC.MSEC:SERIAL): BODY`. The record type is `nlmsg_type`. The
    /// header's `nlmsg_len` is not trusted (the kernel gets it wrong on some
    /// paths): the payload is the rest of the datagram, less trailing NULs and
    /// newlines.
    pub fn parse_netlink(datagram: &'a [u8]) -> Result<Record<'a>, ParseError> {
        let Some(hdr) = datagram.get(..NLMSG_HDRLEN) else {
            return Err(ParseError::new(ErrorKind::ShortDatagram, datagram.len()));
        };
        let rtype = RecordType(u16::from_ne_bytes([hdr[4], hdr[5]]));
        if !is_record_type(rtype) {
            return Err(ParseError::new(ErrorKind::NotARecord, 4));
        }
        Self::parse_payload_in(datagram, rtype, &datagram[NLMSG_HDRLEN..])
    }

    /// Parses a netlink payload without its `nlmsghdr`, of record type `rtype`.
    pub fn parse_payload(rtype: RecordType, payload: &'a [u8]) -> Result<Record<'a>, ParseError> {
        Self::parse_payload_in(payload, rtype, payload)
    }

    fn parse_payload_in(
        raw: &'a [u8],
        rtype: RecordType,
        payload: &'a [u8],
    ) -> Result<Record<'a>, ParseError> {
        let payload = trim_end(payload);
        if payload.is_empty() {
            return Err(ParseError::new(ErrorKind::Empty, offset(raw, payload)));
        }
        let (id, body) = header::audit_header(raw, payload)?;
        Ok(Record {
            raw,
            node: None,
            rtype,
            type_name: None,
            id,
            body,
            enrichment: None,
        })
    }

    /// The record type ([`RecordType::UNRECOGNIZED`] for a log line whose
    /// `type=` name this crate does not know; see
    /// [`unrecognized_type`](Self::unrecognized_type)).
    #[inline]
    pub fn record_type(&self) -> RecordType {
        self.rtype
    }

    /// The `type=` name as written in the line, when it names no type this
    /// crate knows (a newer kernel's or auditd's): such a line is kept, as
    /// ausearch keeps it, with [`RecordType::UNRECOGNIZED`].
    #[inline]
    pub fn unrecognized_type(&self) -> Option<&'a [u8]> {
        self.type_name
    }

    /// The `node=` name of a log line written with auditd's `name_format`.
    #[inline]
    pub fn node(&self) -> Option<&'a [u8]> {
        self.node
    }

    /// The time and serial of the header.
    #[inline]
    pub fn id(&self) -> EventId {
        self.id
    }

    /// The kernel's text after the header: the `key=value` fields.
    #[inline]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The interpreted fields of an ENRICHED log line (after byte 0x1D).
    #[inline]
    pub fn enrichment(&self) -> Option<&'a [u8]> {
        self.enrichment
    }

    /// The whole input this record was parsed from (line or datagram).
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The fields of the body, in order.
    #[inline]
    pub fn fields(&self) -> Fields<'a> {
        Fields::new(self.body, self.rtype)
    }

    /// The interpreted fields of an ENRICHED line (`AUID="root"`,
    /// `SADDR={ ... }`); empty for other records.
    pub fn enriched_fields(&self) -> Fields<'a> {
        Fields::new(self.enrichment.unwrap_or_default(), self.rtype)
    }

    /// The first field whose key is `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<Field<'a>> {
        self.fields().find(|f| f.key() == key)
    }

    /// An owned copy of this record.
    pub fn to_owned_record(&self) -> RecordBuf {
        RecordBuf {
            raw: self.raw.to_vec(),
            spans: self.spans(0),
        }
    }

    /// Where the parts of this record are in `raw()`, plus `base`.
    pub(crate) fn spans(&self, base: usize) -> Spans {
        let span = |s: &[u8]| {
            let o = base + offset(self.raw, s);
            (o, o + s.len())
        };
        Spans {
            raw: (base, base + self.raw.len()),
            node: self.node.map(span),
            rtype: self.rtype,
            type_name: self.type_name.map(span),
            id: self.id,
            body: span(self.body),
            enrichment: self.enrichment.map(span),
        }
    }

    /// The record whose parts `spans` locates in `buf`.
    pub(crate) fn from_spans(buf: &'a [u8], sp: &Spans) -> Record<'a> {
        let s = |(a, b): (usize, usize)| &buf[a..b];
        Record {
            raw: s(sp.raw),
            node: sp.node.map(s),
            rtype: sp.rtype,
            type_name: sp.type_name.map(s),
            id: sp.id,
            body: s(sp.body),
            enrichment: sp.enrichment.map(s),
        }
    }
}

/// The parsed parts of a record as byte ranges of a buffer that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spans {
    pub raw: (usize, usize),
    pub node: Option<(usize, usize)>,
    pub rtype: RecordType,
    pub type_name: Option<(usize, usize)>,
    pub id: EventId,
    pub body: (usize, usize),
    pub enrichment: Option<(usize, usize)>,
}

/// Whether a netlink message type carries an audit record (rather than a
/// netlink control message or a reply to an audit control request).
///
/// Netlink's own messages (`NLMSG_ERROR`, `NLMSG_DONE`, ..., below 16) and
/// the audit control messages 1000..=1099 (`AUDIT_GET`, `AUDIT_LIST_RULES`,
/// ...) are not records, except `AUDIT_USER` (1005) and `AUDIT_LOGIN` (1006);
/// every type from 1100 on is one. The netlink source uses this to tell
/// records from control replies.
pub fn is_record_type(t: RecordType) -> bool {
    matches!(t.0, 1005 | 1006 | 1100..)
}

impl PartialEq for Record<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.rtype == other.rtype
            && self.type_name == other.type_name
            && self.id == other.id
            && self.node == other.node
            && self.body == other.body
    }
}

impl Eq for Record<'_> {}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("type", &self.rtype)
            .field("unrecognized_type", &self.type_name.map(BStr))
            .field("node", &self.node.map(BStr))
            .field("id", &self.id)
            .field("body", &BStr(self.body))
            .field("enriched", &self.enrichment.is_some())
            .finish()
    }
}

impl fmt::Display for Record<'_> {
    /// The record as an audit.log line without enrichment and line ending:
    /// `[node=N ]type=NAME msg=audit(SEC.MSEC:SERIAL): BODY`. Bytes that are
    /// not UTF-8 are shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.node {
            write!(f, "node={} ", String::from_utf8_lossy(n))?;
        }
        match self.type_name {
            Some(name) => write!(f, "type={}", String::from_utf8_lossy(name))?,
            None => write!(f, "type={}", self.rtype)?,
        }
        write!(
            f,
            " msg=audit({}): {}",
            self.id,
            String::from_utf8_lossy(self.body)
        )
    }
}

/// An owned record: the bytes it was parsed from and where its parts are.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordBuf {
    raw: Vec<u8>,
    spans: Spans,
}

impl RecordBuf {
    /// The record, borrowed from this buffer.
    pub fn as_record(&self) -> Record<'_> {
        Record::from_spans(&self.raw, &self.spans)
    }
}

impl fmt::Debug for RecordBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_record().fmt(f)
    }
}

impl<'a> From<Record<'a>> for RecordBuf {
    fn from(r: Record<'a>) -> RecordBuf {
        r.to_owned_record()
    }
}

/// Strips trailing line endings and NULs.
#[inline]
fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | 0] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datagram(t: u16, payload: &[u8], len_field: u32) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&len_field.to_ne_bytes());
        d.extend_from_slice(&t.to_ne_bytes());
        d.extend_from_slice(&[0; 10]);
        d.extend_from_slice(payload);
        d
    }

    #[test]
    fn line_and_netlink_agree() {
        let payload = b"audit(1795836514.962:16131): arch=c000003e syscall=59 success=yes";
        let mut line = b"type=SYSCALL msg=".to_vec();
        line.extend_from_slice(payload);
        line.push(b'\n');
        let a = Record::parse_line(&line).unwrap();
        for len_field in [0, 16, (16 + payload.len()) as u32, 9999] {
            for tail in [&b""[..], b"\0", b"\n\0\0"] {
                let mut p = payload.to_vec();
                p.extend_from_slice(tail);
                let d = datagram(1300, &p, len_field);
                let b = Record::parse_netlink(&d).unwrap();
                assert_eq!(a, b);
                assert_eq!(b.get(b"syscall").unwrap().as_u64(), Some(59));
            }
        }
    }

    #[test]
    fn enriched() {
        let l = b"type=SOCKADDR msg=audit(1.000:2): saddr=0100\x1dSADDR={ saddr_fam=local path=/x y }\n";
        let r = Record::parse_line(l).unwrap();
        assert_eq!(r.body(), b"saddr=0100");
        assert_eq!(
            r.enrichment().unwrap(),
            b"SADDR={ saddr_fam=local path=/x y }"
        );
        let e: Vec<_> = r.enriched_fields().collect();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].key(), b"SADDR");
    }

    #[test]
    fn eoe_and_errors() {
        let d = datagram(1320, b"audit(1.000:2): ", 0);
        let r = Record::parse_netlink(&d).unwrap();
        assert_eq!(r.record_type(), RecordType::EOE);
        assert_eq!(r.body(), b"");
        assert_eq!(r.fields().count(), 0);

        assert_eq!(
            Record::parse_netlink(&d[..10]).unwrap_err().kind,
            ErrorKind::ShortDatagram
        );
        let d = datagram(2, b"\0\0\0\0", 0); // NLMSG_ERROR
        assert_eq!(
            Record::parse_netlink(&d).unwrap_err().kind,
            ErrorKind::NotARecord
        );
        let d = datagram(1300, b"\0\0", 0);
        assert_eq!(
            Record::parse_netlink(&d).unwrap_err().kind,
            ErrorKind::Empty
        );
        let d = datagram(1300, b"audit(1.000:x): ", 0);
        let e = Record::parse_netlink(&d).unwrap_err();
        assert_eq!((e.kind, e.offset), (ErrorKind::BadSerial, 16 + 11));
        assert_eq!(
            Record::parse_line(b"\n").unwrap_err().kind,
            ErrorKind::Empty
        );
    }

    #[test]
    fn owned() {
        let l = b"node=n1 type=CWD msg=audit(5.006:7): cwd=\"/\"\x1dX=1\n";
        let r = Record::parse_line(l).unwrap();
        let o = r.to_owned_record();
        let r2 = o.as_record();
        assert_eq!(r, r2);
        assert_eq!(r2.node(), Some(&b"n1"[..]));
        assert_eq!(r2.enrichment(), Some(&b"X=1"[..]));
        assert_eq!(
            r2.to_string(),
            "node=n1 type=CWD msg=audit(5.006:7): cwd=\"/\""
        );
    }
}
