//! Netlink framing: the 16-byte `nlmsghdr`, request encoding, the messages
//! of a reply datagram.

pub use crate::record::NLMSG_HDRLEN;

/// The payload limit of one audit record (`MAX_AUDIT_MESSAGE_LENGTH`).
pub const MAX_AUDIT_MESSAGE_LENGTH: usize = 8970;

/// The smallest receive buffer that holds any audit datagram: header + payload.
pub const RECV_BUFFER_LEN: usize = NLMSG_HDRLEN + MAX_AUDIT_MESSAGE_LENGTH;

pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;

pub(crate) const NLM_F_REQUEST: u16 = 1;
pub(crate) const NLM_F_ACK: u16 = 4;

/// Allocates a zeroed receive buffer of [`RECV_BUFFER_LEN`] bytes.
pub fn recv_buffer() -> Box<[u8]> {
    vec![0u8; RECV_BUFFER_LEN].into_boxed_slice()
}

/// The fields of a `struct nlmsghdr` (host byte order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub len: u32,
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

fn ne_u32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_ne_bytes(w)
}

/// Reads the header at the start of `b`, if `b` is long enough.
pub(crate) fn header(b: &[u8]) -> Option<Header> {
    if b.len() < NLMSG_HDRLEN {
        return None;
    }
    Some(Header {
        len: ne_u32(b, 0),
        ty: u16::from_ne_bytes([b[4], b[5]]),
        flags: u16::from_ne_bytes([b[6], b[7]]),
        seq: ne_u32(b, 8),
        pid: ne_u32(b, 12),
    })
}

/// Appends a request (header + payload, padded to 4 bytes) to `out`.
pub(crate) fn encode_request(out: &mut Vec<u8>, ty: u16, flags: u16, seq: u32, payload: &[u8]) {
    let len = NLMSG_HDRLEN + payload.len();
    out.extend_from_slice(&(len as u32).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize((out.len() + 3) & !3, 0);
}

/// The messages of one datagram holding control replies (these, unlike audit
/// records, have correct `nlmsg_len` values). Stops at the first malformed one.
pub(crate) fn messages(mut d: &[u8]) -> impl Iterator<Item = (Header, &[u8])> {
    std::iter::from_fn(move || {
        let h = header(d)?;
        let len = h.len as usize;
        if len < NLMSG_HDRLEN || len > d.len() {
            // a single message whose length is off: take the datagram
            let whole = d;
            d = &[];
            return Some((h, &whole[NLMSG_HDRLEN..]));
        }
        let payload = &d[NLMSG_HDRLEN..len];
        let next = (len + 3) & !3;
        d = if next >= d.len() { &[] } else { &d[next..] };
        Some((h, payload))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{is_record_type, RecordType};
    use crate::source::netlink::uapi::{AUDIT_GET, AUDIT_LIST_RULES};

    #[test]
    fn request_round_trip() {
        let mut out = Vec::new();
        encode_request(
            &mut out,
            AUDIT_GET,
            NLM_F_REQUEST | NLM_F_ACK,
            7,
            &[1, 2, 3],
        );
        assert_eq!(out.len(), 20);
        let h = header(&out).unwrap();
        assert_eq!(
            h,
            Header {
                len: 19,
                ty: AUDIT_GET,
                flags: 5,
                seq: 7,
                pid: 0
            }
        );
        let all: Vec<_> = messages(&out).collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].1, &[1, 2, 3]);
    }

    #[test]
    fn two_messages_in_one_datagram() {
        let mut out = Vec::new();
        encode_request(&mut out, AUDIT_LIST_RULES, 2, 1, &[9; 5]);
        encode_request(&mut out, NLMSG_DONE, 2, 1, &[0; 4]);
        let all: Vec<_> = messages(&out).map(|(h, p)| (h.ty, p.len())).collect();
        assert_eq!(all, vec![(AUDIT_LIST_RULES, 5), (NLMSG_DONE, 4)]);
    }

    #[test]
    fn control_replies_are_not_records() {
        // The socket tells records from control replies with
        // record::is_record_type. (Record::parse_netlink's tests cover a
        // wrong nlmsg_len.)
        let is_record = |t: u16| is_record_type(RecordType(t));
        // NLMSG_NOOP, _ERROR, _DONE, _OVERRUN; AUDIT_GET, _SET, _LIST,
        // _SIGNAL_INFO, _ADD_RULE, _DEL_RULE, _LIST_RULES, _TTY_GET,
        // _GET_FEATURE, _SIGNAL_INFO2
        let control = [
            1, 2, 3, 4, 1000, 1001, 1002, 1010, 1011, 1012, 1013, 1016, 1019, 1021,
        ];
        assert!(control.into_iter().all(|t| !is_record(t)));
        // AUDIT_USER, LOGIN, user-space, SYSCALL, EOE, EVENT_LISTENER
        let records = [1005, 1006, 1100, 1300, 1320, 1335];
        assert!(records.into_iter().all(is_record));
    }
}
