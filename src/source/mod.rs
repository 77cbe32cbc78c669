//! Inputs: audit.log files (and stdin), netlink capture files, and (feature
//! `netlink`, Linux) the kernel's audit netlink socket.

pub mod capture;
pub mod log;
// netlink module: added by the netlink work (cfg feature = "netlink", linux)
