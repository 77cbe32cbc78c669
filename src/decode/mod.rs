//! Typed decoders for field values: socket addresses, architectures and
//! syscalls. (errno names: [`Syscall::errno`](crate::event::Syscall::errno),
//! [`tables::errno_name`](crate::tables::errno_name).)

mod arch;
mod sockaddr;

pub use arch::Arch;
pub use sockaddr::{AddrBytes, Endian, SockAddr, SockAddrError, UnixAddr, MAX_SOCKADDR_LEN};
