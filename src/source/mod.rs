//! Where audit records come from: audit.log files ([`log`]), netlink capture
//! files ([`capture`]), and the kernel's `NETLINK_AUDIT` socket ([`netlink`],
//! Linux, feature `netlink`) with its status and rule control.
pub mod capture;
mod events;
pub mod log;

pub use events::{Events, RecordInput};
#[cfg(all(feature = "netlink", target_os = "linux"))]
pub mod netlink;
