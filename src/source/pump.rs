//! What every source shares: the reassembler, the event lent out, and the
//! counters. A source feeds records in and hands events out through it.

use crate::error::Error;
use crate::event::EventBuf;
use crate::reassemble::{Reassembler, ReassemblerConfig};

use super::SourceStats;

pub(crate) struct Pump {
    pub re: Reassembler,
    /// The event last handed out (lent by `next_event`).
    pub current: Option<EventBuf>,
    pub parse_errors: u64,
    pub io_errors: u64,
    pub consumer_dropped: u64,
}

impl Pump {
    pub fn new(cfg: ReassemblerConfig) -> Pump {
        Pump {
            re: Reassembler::new(cfg),
            current: None,
            parse_errors: 0,
            io_errors: 0,
            consumer_dropped: 0,
        }
    }

    /// Takes back the event lent out: its buffers are reused when `recycle`.
    pub fn release(&mut self, recycle: bool) {
        if let Some(ev) = self.current.take() {
            if recycle {
                self.re.recycle(ev);
            }
        }
    }

    /// Moves the next complete event into `current`; whether there was one.
    pub fn next_ready(&mut self) -> bool {
        match self.re.pop() {
            Some(ev) => {
                self.current = Some(ev);
                true
            }
            None => false,
        }
    }

    /// Counts an error on its way out.
    pub fn count(&mut self, e: &Error) {
        match e {
            Error::Parse { .. } => self.parse_errors += 1,
            _ => self.io_errors += 1,
        }
    }

    /// The counters, with `bytes` consumed.
    pub fn stats(&self, bytes: u64) -> SourceStats {
        SourceStats {
            events: *self.re.stats(),
            bytes,
            parse_errors: self.parse_errors,
            io_errors: self.io_errors,
            consumer_dropped: self.consumer_dropped,
            ..SourceStats::default()
        }
    }

    /// Every event still pending, completed, in order.
    pub fn drain(&mut self) -> Vec<EventBuf> {
        self.release(false);
        self.re.finish();
        std::iter::from_fn(|| self.re.pop()).collect()
    }
}
