//! Socket events: connect, bind, accept and accept4 with their address.

use std::borrow::Cow;

use super::exec::PathRecord;
use super::syscall::{own, SocketOp, Syscall};
use crate::bytes::opt;
use crate::decode::{Endian, SockAddr, SockAddrError};
use crate::record::{Record, RecordType};

/// One connect, bind, accept or accept4.
#[derive(Clone, PartialEq, Eq)]
pub struct SocketEvent<'a> {
    /// The syscall, its result (`exit=-115` with errno `EINPROGRESS` is the
    /// normal non-blocking connect) and the process.
    pub syscall: Syscall<'a>,
    /// Which socket call.
    pub op: SocketOp,
    /// The address (SOCKADDR record): the peer for connect and accept, the
    /// local address for bind. `None` when the event has no SOCKADDR record.
    pub addr: Option<Result<SockAddr, SockAddrError>>,
    /// The working directory (CWD record; unix sockets with relative paths).
    pub cwd: Option<Cow<'a, [u8]>>,
    /// PATH records (unix sockets: the socket file).
    pub paths: Vec<PathRecord<'a>>,
}

impl std::fmt::Debug for SocketEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let SocketEvent {
            syscall,
            op,
            addr,
            cwd,
            paths,
        } = self;
        f.debug_struct("SocketEvent")
            .field("syscall", syscall)
            .field("op", op)
            .field("addr", addr)
            .field("cwd", &opt(cwd))
            .field("paths", paths)
            .finish()
    }
}

impl<'a> SocketEvent<'a> {
    pub(crate) fn build(
        syscall: Syscall<'a>,
        op: SocketOp,
        records: impl Iterator<Item = Record<'a>>,
    ) -> Self {
        let endian = match syscall.arch {
            Some(a) if !a.is_little_endian() => Endian::Big,
            _ => Endian::Little,
        };
        let mut addr = None;
        let mut cwd = None;
        let mut paths = Vec::new();
        for r in records {
            match r.record_type() {
                RecordType::SOCKADDR => {
                    addr = r.get(b"saddr").map(|f| SockAddr::from_hex(f.raw(), endian))
                }
                RecordType::CWD => cwd = r.get(b"cwd").and_then(|f| f.bytes()),
                RecordType::PATH => paths.push(PathRecord::from_record(&r)),
                _ => {}
            }
        }
        SocketEvent {
            syscall,
            op,
            addr,
            cwd,
            paths,
        }
    }

    /// The decoded address, if there is one and it decoded.
    pub fn sockaddr(&self) -> Option<&SockAddr> {
        self.addr.as_ref()?.as_ref().ok()
    }

    /// An owned copy.
    pub fn into_owned(self) -> SocketEvent<'static> {
        SocketEvent {
            syscall: self.syscall.into_owned(),
            op: self.op,
            addr: self.addr,
            cwd: self.cwd.map(own),
            paths: self.paths.into_iter().map(PathRecord::into_owned).collect(),
        }
    }
}
