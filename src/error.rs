//! Errors: the crate's one [`Error`], and the record parser's [`ParseError`].
//!
//! A [`ParseError`] says what was wrong ([`ErrorKind`]) and where (`offset`, in
//! bytes from the start of the line or datagram that was handed to the parser).
//! It never copies the input: the caller still has the bytes and decides what to
//! keep (the readers in [`crate::source`] hand them back next to the error).
//!
//! [`Error`] is what every event source returns: a record that did not parse,
//! an I/O error, a netlink error, a bad checkpoint. Lower layers' errors
//! convert with `From`; [`Error::is_transient`] tells an error worth retrying
//! from one that is not.

use std::fmt;

/// What was wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line or payload was empty (or only a line ending).
    Empty,
    /// A `node=` prefix without a value or without the space after it.
    BadNode,
    /// The `type=` field of a log line is missing.
    MissingType,
    /// `type=` is empty. (A name this crate does not know is kept, see
    /// [`RecordType::UNRECOGNIZED`](crate::RecordType::UNRECOGNIZED).)
    UnknownTypeName,
    /// The `msg=audit(` header is missing.
    MissingHeader,
    /// The seconds of the `audit(SEC.MSEC:SERIAL)` header are not a number.
    BadSeconds,
    /// The milliseconds are not exactly three digits.
    BadMilliseconds,
    /// The serial is not a number that fits in 32 bits.
    BadSerial,
    /// The header does not end with `):` (or auditd 2.x's `)` and a space).
    UnterminatedHeader,
    /// A netlink datagram shorter than its 16-byte `nlmsghdr`.
    ShortDatagram,
    /// A netlink message whose type is not an audit record (a control reply,
    /// `NLMSG_ERROR`, `NLMSG_DONE`, ...).
    NotARecord,
    /// A capture file whose last datagram is cut short.
    TruncatedCapture,
    /// The last line of a log has no newline: a record cut while it was
    /// written (its values may be cut too), not parsed.
    TruncatedLine,
    /// A log line longer than the reader's maximum: its first maximum bytes
    /// are kept with the error, the rest skipped, not parsed.
    LineTooLong,
    /// A capture file's length prefix says more than
    /// [`MAX_CAPTURE_DATAGRAM`](crate::source::capture::MAX_CAPTURE_DATAGRAM):
    /// not a capture, or a corrupt one; the rest of it cannot be framed.
    OversizedDatagram,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Empty => "empty record",
            ErrorKind::BadNode => "malformed node= prefix",
            ErrorKind::MissingType => "missing type=",
            ErrorKind::UnknownTypeName => "empty record type name",
            ErrorKind::MissingHeader => "missing msg=audit( header",
            ErrorKind::BadSeconds => "bad seconds in audit() header",
            ErrorKind::BadMilliseconds => "bad milliseconds in audit() header",
            ErrorKind::BadSerial => "bad serial in audit() header",
            ErrorKind::UnterminatedHeader => "audit() header not closed by '):'",
            ErrorKind::ShortDatagram => "netlink datagram shorter than nlmsghdr",
            ErrorKind::NotARecord => "netlink message is not an audit record",
            ErrorKind::TruncatedCapture => "capture file ends inside a datagram",
            ErrorKind::TruncatedLine => "last line has no newline (cut while written)",
            ErrorKind::LineTooLong => "line longer than the maximum (cut, not parsed)",
            ErrorKind::OversizedDatagram => {
                "datagram length over the maximum (not a capture, or corrupt)"
            }
        })
    }
}

/// A record that could not be parsed: what and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct ParseError {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Byte offset into the line or datagram where the problem was found.
    pub offset: usize,
}

impl ParseError {
    /// An error of `kind` at byte `offset`.
    pub fn new(kind: ErrorKind, offset: usize) -> Self {
        ParseError { kind, offset }
    }
}

/// Any error of the crate's event sources.
///
/// After an error a source goes on where it can (see each source): a record
/// that did not parse is skipped, a transient error can be retried by
/// calling again, and a source that cannot go on ends (`None`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record did not parse: where (which input, and the 1-based line
    /// number of a log or datagram number of a capture in it), why, and its
    /// bytes.
    #[error("input {input}, record {index}: {source}")]
    Parse {
        /// 0-based number of the input (of those a reader was given, in
        /// order).
        input: usize,
        /// 1-based line or datagram number in its input.
        index: u64,
        /// The parse error itself.
        #[source]
        source: ParseError,
        /// The bytes of the line or datagram.
        raw: Vec<u8>,
    },
    /// Reading the input failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The kernel's audit socket or a control request failed.
    #[cfg(all(feature = "netlink", target_os = "linux"))]
    #[error(transparent)]
    Netlink(#[from] crate::source::netlink::NetlinkError),
    /// A checkpoint could not be used.
    #[error(transparent)]
    Checkpoint(#[from] crate::source::CheckpointError),
}

impl Error {
    /// Whether trying again may succeed: an interrupted or timed-out read, a
    /// socket overrun, a control request without an answer. A record that
    /// did not parse, a missing file, a bad checkpoint or a refused
    /// permission are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Parse { .. } | Error::Checkpoint(_) => false,
            Error::Io(e) => crate::source::is_transient(e),
            #[cfg(all(feature = "netlink", target_os = "linux"))]
            Error::Netlink(e) => e.is_transient(),
        }
    }
}
