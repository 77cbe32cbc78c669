//! The record header: `[node=NAME ]type=NAME msg=audit(SEC.MSEC:SERIAL): ` of a
//! log line, and `audit(SEC.MSEC:SERIAL): ` of a netlink payload.

use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::character::complete::char;
use nom::{IResult, Parser};

use super::types::{parse_decimal, EventId, RecordType, Timestamp};
use crate::error::{ErrorKind, ParseError};

type PResult<'a, T> = IResult<&'a [u8], T, ()>;

fn digits(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(|c: u8| c.is_ascii_digit()).parse(i)
}

/// Offset of `rest` inside `whole` (both slices of one buffer).
#[inline]
pub(crate) fn offset(whole: &[u8], rest: &[u8]) -> usize {
    rest.as_ptr() as usize - whole.as_ptr() as usize
}

/// Parses `audit(SEC.MSEC:SERIAL):` and the one space after it, if any.
/// Returns the id and the rest (the body).
///
/// auditd 2.x wrote some of its own records without the colon
/// (`msg=audit(1490239800.477:34) config changed, ...`), and ausearch reads
/// them: `)` followed by a space or the end closes the header too.
pub(crate) fn audit_header<'a>(
    whole: &'a [u8],
    i: &'a [u8],
) -> Result<(EventId, &'a [u8]), ParseError> {
    let err = |kind, at: &[u8]| ParseError::new(kind, offset(whole, at));
    let (i, _) = tag::<_, _, ()>(&b"audit("[..])
        .parse(i)
        .map_err(|_| err(ErrorKind::MissingHeader, i))?;
    let (i, sec) = digits(i).map_err(|_| err(ErrorKind::BadSeconds, i))?;
    let sec = parse_decimal(sec).ok_or_else(|| err(ErrorKind::BadSeconds, i))?;
    let (i, msec) = (
        char::<_, ()>('.'),
        take_while_m_n(3, 3, |c: u8| c.is_ascii_digit()),
    )
        .parse(i)
        .map(|(i, (_, m))| (i, m))
        .map_err(|_| err(ErrorKind::BadMilliseconds, i))?;
    if i.first().is_some_and(u8::is_ascii_digit) {
        return Err(err(ErrorKind::BadMilliseconds, i));
    }
    let msec = parse_decimal(msec).unwrap_or(0) as u16;
    let (i, serial) = (char::<_, ()>(':'), digits)
        .parse(i)
        .map(|(i, (_, s))| (i, s))
        .map_err(|_| err(ErrorKind::BadSerial, i))?;
    let serial = parse_decimal(serial)
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| err(ErrorKind::BadSerial, i))?;
    let i = match i {
        [b')', b':', rest @ ..] => rest,
        [b')', rest @ ..] if matches!(rest.first(), None | Some(b' ')) => rest,
        _ => return Err(err(ErrorKind::UnterminatedHeader, i)),
    };
    let i = i.strip_prefix(b" ").unwrap_or(i);
    Ok((
        EventId {
            time: Timestamp { sec, msec },
            serial,
        },
        i,
    ))
}

/// The header of a log line.
pub(crate) struct LineHeader<'a> {
    pub node: Option<&'a [u8]>,
    pub rtype: RecordType,
    /// The `type=` name as written when it names no type this crate knows
    /// (`rtype` is then [`RecordType::UNRECOGNIZED`]).
    pub type_name: Option<&'a [u8]>,
    pub id: EventId,
    pub rest: &'a [u8],
}

/// Parses `[node=NAME ]type=NAME msg=audit(SEC.MSEC:SERIAL): `.
pub(crate) fn line_header(line: &[u8]) -> Result<LineHeader<'_>, ParseError> {
    let err = |kind, at: &[u8]| ParseError::new(kind, offset(line, at));
    let mut i = line;
    let mut node = None;
    if let Some(rest) = i.strip_prefix(b"node=") {
        let end = memchr::memchr(b' ', rest).ok_or_else(|| err(ErrorKind::BadNode, rest))?;
        if end == 0 {
            return Err(err(ErrorKind::BadNode, rest));
        }
        node = Some(&rest[..end]);
        i = &rest[end + 1..];
    }
    let Some(rest) = i.strip_prefix(b"type=") else {
        return Err(err(ErrorKind::MissingType, i));
    };
    let end = memchr::memchr(b' ', rest).ok_or_else(|| err(ErrorKind::MissingHeader, rest))?;
    let name = &rest[..end];
    if name.is_empty() {
        return Err(err(ErrorKind::UnknownTypeName, rest));
    }
    // A name we have no number for (a newer kernel's or auditd's) is kept as
    // written, as ausearch keeps it, not rejected.
    let (rtype, type_name) = match RecordType::from_name(name) {
        Some(t) => (t, None),
        None => (RecordType::UNRECOGNIZED, Some(name)),
    };
    let rest = &rest[end + 1..];
    let Some(rest) = rest.strip_prefix(b"msg=") else {
        return Err(err(ErrorKind::MissingHeader, rest));
    };
    let (id, rest) = audit_header(line, rest)?;
    Ok(LineHeader {
        node,
        rtype,
        type_name,
        id,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let l = b"node=web-1 type=SYSCALL msg=audit(1795836514.962:16131): arch=c000003e";
        let h = line_header(l).unwrap();
        assert_eq!(h.node, Some(&b"web-1"[..]));
        assert_eq!(h.rtype, RecordType::SYSCALL);
        assert_eq!(h.id.time.sec, 1795836514);
        assert_eq!(h.id.time.msec, 962);
        assert_eq!(h.id.serial, 16131);
        assert_eq!(h.rest, b"arch=c000003e");

        let h = line_header(b"type=UNKNOWN[1336] msg=audit(1.000:4294967295): ").unwrap();
        assert_eq!(h.rtype, RecordType(1336));
        assert_eq!(h.id.serial, u32::MAX);
        assert_eq!(h.rest, b"");

        // A type name we do not know is kept as written.
        let h = line_header(b"type=NOSUCH msg=audit(1.000:1): a=1").unwrap();
        assert_eq!(h.rtype, RecordType::UNRECOGNIZED);
        assert_eq!(h.type_name, Some(&b"NOSUCH"[..]));
        assert_eq!(h.rest, b"a=1");

        // auditd 2.x: no colon after the header.
        let h = line_header(b"type=DAEMON_START msg=audit(1490239800.477:34) config changed, x=1")
            .unwrap();
        assert_eq!(h.rtype, RecordType::DAEMON_START);
        assert_eq!(h.id.serial, 34);
        assert_eq!(h.rest, b"config changed, x=1");
        let h = line_header(b"type=DAEMON_END msg=audit(1.000:34)").unwrap();
        assert_eq!(h.rest, b"");
    }

    #[test]
    fn header_errors() {
        let cases: &[(&[u8], ErrorKind, usize)] = &[
            (b"", ErrorKind::MissingType, 0),
            (b"node= type=X", ErrorKind::BadNode, 5),
            (b"node=x", ErrorKind::BadNode, 5),
            (b"typo=SYSCALL", ErrorKind::MissingType, 0),
            (b"type=SYSCALL", ErrorKind::MissingHeader, 5),
            (b"type= msg=audit(1.000:1): ", ErrorKind::UnknownTypeName, 5),
            (
                b"type=SYSCALL msg=(1.000:1): ",
                ErrorKind::MissingHeader,
                17,
            ),
            (
                b"type=SYSCALL msg=audit(x.000:1): ",
                ErrorKind::BadSeconds,
                23,
            ),
            (
                b"type=SYSCALL msg=audit(1.00:1): ",
                ErrorKind::BadMilliseconds,
                24,
            ),
            (
                b"type=SYSCALL msg=audit(1.0000:1): ",
                ErrorKind::BadMilliseconds,
                28,
            ),
            (
                b"type=SYSCALL msg=audit(1.000:): ",
                ErrorKind::BadSerial,
                28,
            ),
            (
                b"type=SYSCALL msg=audit(1.000:4294967296): ",
                ErrorKind::BadSerial,
                39,
            ),
            (
                b"type=SYSCALL msg=audit(1.000:1)x ",
                ErrorKind::UnterminatedHeader,
                30,
            ),
            (
                b"type=SYSCALL msg=audit(1.000:1 ",
                ErrorKind::UnterminatedHeader,
                30,
            ),
            (
                b"type=SYSCALL msg=audit(99999999999999999999.000:1): ",
                ErrorKind::BadSeconds,
                43,
            ),
        ];
        for (l, kind, off) in cases {
            let e = line_header(l).err().unwrap_or_else(|| panic!("{:?}", l));
            assert_eq!(
                (e.kind, e.offset),
                (*kind, *off),
                "{}",
                String::from_utf8_lossy(l)
            );
        }
    }
}
