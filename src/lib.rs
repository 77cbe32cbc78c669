//! auditstream: the Linux kernel audit stream as structured security events.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod decode;
pub mod error;
pub mod event;
pub mod json;
pub mod reassemble;
pub mod record;
pub mod source;
pub mod tables;

pub use error::{Error, ErrorKind, ParseError};
pub use record::{EventId, Field, Fields, Record, RecordBuf, RecordType, Timestamp, Value};
