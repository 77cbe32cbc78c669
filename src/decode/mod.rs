//! Typed decoders for field values: socket addresses, architectures and
//! syscalls, errno numbers.

mod arch;
mod errno;
mod sockaddr;

pub use arch::Arch;
pub use errno::errno_name;
pub use sockaddr::{
    AddrBytes, Endian, Endpoint, SockAddr, SockAddrError, UnixAddr, MAX_SOCKADDR_LEN,
};
