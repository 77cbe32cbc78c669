//! Where audit records come from: audit.log files ([`log`]) and netlink
//! capture files ([`capture`]).
pub mod capture;
pub mod log;
