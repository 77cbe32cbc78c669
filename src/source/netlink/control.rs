//! The control protocol: a request sent to the kernel and the wait for its
//! ack and replies ([`Expect`]). Records that arrive meanwhile are queued
//! for the receive path (`socket.rs`); stray replies are counted and dropped.

use std::os::fd::AsFd;
use std::time::Instant;

use netlink_sys::SocketAddr;

use super::error::{NetlinkError, Request};
use super::socket::{AuditSocket, Queued};
use super::wire::{
    self, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_REQUEST, RECV_BUFFER_LEN,
};
use crate::record::{is_record_type, RecordType};
use crate::sys;

/// What a control call waits for, beyond the kernel's ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Only the ack.
    Ack,
    /// The ack and one reply of the request's type.
    Reply,
    /// The ack and replies up to `NLMSG_DONE`.
    Dump,
}

impl AuditSocket {
    /// Sends a control request and waits for the kernel's ack (and replies,
    /// per `expect`). Records arriving meanwhile are queued for `recv`.
    pub(crate) fn transact(
        &mut self,
        request: Request,
        ty: u16,
        payload: &[u8],
        expect: Expect,
    ) -> Result<Vec<Vec<u8>>, NetlinkError> {
        self.seq = self.seq.wrapping_add(1).max(1);
        let seq = self.seq;
        let mut msg = Vec::with_capacity(NLMSG_HDRLEN + payload.len() + 3);
        wire::encode_request(&mut msg, ty, NLM_F_REQUEST | NLM_F_ACK, seq, payload);
        self.sock
            .send_to(&msg, &SocketAddr::new(0, 0), 0)
            .map_err(|e| NetlinkError::io(request, e))?;

        let fd_timeout = self.control_timeout;
        sys::set_rcvtimeo(self.sock.as_fd(), Some(fd_timeout))
            .map_err(|e| NetlinkError::io(Request::SetReadTimeout, e))?;
        let result = self.wait_reply(request, ty, seq, expect);
        let restored = sys::set_rcvtimeo(self.sock.as_fd(), self.read_timeout);
        let replies = result?;
        restored.map_err(|e| NetlinkError::io(Request::SetReadTimeout, e))?;
        Ok(replies)
    }

    fn wait_reply(
        &mut self,
        request: Request,
        ty: u16,
        seq: u32,
        expect: Expect,
    ) -> Result<Vec<Vec<u8>>, NetlinkError> {
        let deadline = Instant::now() + self.control_timeout;
        let mut acked = false;
        let mut done = false;
        let mut replies = Vec::new();
        loop {
            let complete = acked
                && match expect {
                    Expect::Ack => true,
                    Expect::Reply => !replies.is_empty(),
                    Expect::Dump => done,
                };
            if complete {
                return Ok(replies);
            }
            if Instant::now() >= deadline {
                return Err(NetlinkError::NoReply { request });
            }
            let mut slice: &mut [u8] = &mut self.scratch[..];
            let (n, addr) = match self.sock.recv_from(&mut slice, libc::MSG_TRUNC) {
                Ok(r) => r,
                Err(e) => match e.raw_os_error() {
                    Some(libc::EINTR) | Some(libc::EAGAIN) => continue,
                    Some(libc::ENOBUFS) => {
                        self.stats.overruns += 1;
                        self.enqueue(Queued::Overrun);
                        continue;
                    }
                    _ => return Err(NetlinkError::io(Request::Receive, e)),
                },
            };
            if addr.port_number() != 0 {
                self.stats.foreign_dropped += 1;
                continue;
            }
            if n > RECV_BUFFER_LEN {
                self.stats.truncated += 1;
                self.enqueue(Queued::Truncated(n));
                continue;
            }
            let d = &self.scratch[..n];
            let Some(h) = wire::header(d) else {
                self.stats.runts += 1;
                continue;
            };
            if is_record_type(RecordType(h.ty)) {
                let copy = d.to_vec();
                self.enqueue(Queued::Datagram(copy));
                continue;
            }
            let mut failed = None;
            let mut stale = 0;
            for (h, p) in wire::messages(d) {
                if h.seq != seq {
                    stale += 1;
                    continue;
                }
                match h.ty {
                    NLMSG_ERROR => {
                        if p.len() < 4 {
                            return Err(NetlinkError::MalformedReply {
                                request,
                                what: "short NLMSG_ERROR",
                            });
                        }
                        let code = i32::from_ne_bytes([p[0], p[1], p[2], p[3]]);
                        if code < 0 {
                            failed = Some(code.checked_neg().unwrap_or(i32::MAX));
                        } else {
                            // 0, or a positive count for some requests (reset lost)
                            acked = true;
                        }
                    }
                    NLMSG_DONE => done = true,
                    t if t == ty => replies.push(p.to_vec()),
                    _ => stale += 1,
                }
            }
            self.stats.stale_replies += stale;
            if let Some(errno) = failed {
                return Err(NetlinkError::from_kernel(errno, request));
            }
        }
    }
}
