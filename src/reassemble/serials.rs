//! Serial gap counting for one node: which serials are missing, as ranges.

use std::collections::VecDeque;

/// A jump of more serials than this either way is a discontinuity (reboot,
/// another log), not loss.
pub(super) const DISCONTINUITY: u32 = 1 << 20;

/// Missing-serial ranges of all nodes together, against a limit.
#[derive(Debug)]
pub(super) struct RangeBudget {
    pub used: usize,
    pub limit: usize,
}

impl RangeBudget {
    /// Takes room for one range, if there is some.
    fn take(&mut self) -> bool {
        if self.used < self.limit {
            self.used += 1;
            true
        } else {
            false
        }
    }

    fn release(&mut self, n: usize) {
        self.used -= n;
    }
}

/// What a serial did to the count.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Observed {
    /// Serials now confirmed lost.
    pub lost: u64,
    /// Of those, confirmed early because the range table was full.
    pub early: u64,
    /// Whether the serial started a new count (discontinuity).
    pub discontinuity: bool,
}

/// The serials seen of one node: the highest, and the missing ones below it
/// as `(first, count)` ranges, oldest first, in increasing serial order
/// (modulo 2^32 relative to the highest).
///
/// Memory is one small entry per range, whatever the size of a jump; the
/// ranges of all nodes share a [`RangeBudget`]. Time per serial is
/// logarithmic in the number of ranges.
#[derive(Debug, Default)]
pub(super) struct SerialTracker {
    max: Option<u32>,
    max_time: u64,
    missing: VecDeque<(u32, u32)>,
}

impl SerialTracker {
    /// Sees the first record of an event with serial `s` at event time
    /// `time` (ms).
    pub fn observe(
        &mut self,
        s: u32,
        time: u64,
        reorder: u32,
        timeout_ms: u64,
        budget: &mut RangeBudget,
    ) -> Observed {
        let mut out = Observed::default();
        let Some(max) = self.max else {
            self.max = Some(s);
            self.max_time = time;
            return out;
        };
        let d = s.wrapping_sub(max) as i32;
        // A jump too far either way, or serials starting over while time moves
        // on (a reboot: the kernel counts from 1 again), is a discontinuity.
        // Interleaving never steps back `reorder` serials with a later time.
        let restarted =
            d < 0 && d.unsigned_abs() > reorder && time > self.max_time.saturating_add(timeout_ms);
        if d.unsigned_abs() > DISCONTINUITY || restarted {
            budget.release(self.missing.len());
            self.missing.clear();
            self.shrink();
            self.max = Some(s);
            self.max_time = time;
            out.discontinuity = true;
            return out;
        }
        if d > 0 {
            if d > 1 {
                self.add_range(max.wrapping_add(1), d as u32 - 1, budget, &mut out);
            }
            self.max = Some(s);
            self.max_time = time;
            out.lost += self.confirm(s, reorder, budget);
        } else if d < 0 {
            self.remove(s, budget);
        }
        out
    }

    /// Confirms as lost the missing serials more than `reorder` behind `s`.
    fn confirm(&mut self, s: u32, reorder: u32, budget: &mut RangeBudget) -> u64 {
        let mut lost = 0;
        while let Some(&(a, n)) = self.missing.front() {
            // serial a + k is s - a - k behind; it is confirmed when that is
            // more than `reorder`
            let old = s.wrapping_sub(a).saturating_sub(reorder).min(n);
            if old == 0 {
                break;
            }
            lost += u64::from(old);
            if old == n {
                self.missing.pop_front();
                budget.release(1);
            } else {
                self.missing[0] = (a.wrapping_add(old), n - old);
                break;
            }
        }
        self.shrink();
        lost
    }

    fn add_range(&mut self, a: u32, n: u32, budget: &mut RangeBudget, out: &mut Observed) {
        while !budget.take() || self.missing.len() >= MAX_NODE_RANGES {
            // Full: the oldest missing serials of this node are confirmed
            // now rather than forgotten.
            match self.missing.pop_front() {
                Some((_, c)) => {
                    budget.release(1);
                    out.lost += u64::from(c);
                    out.early += u64::from(c);
                }
                None => {
                    // no room at all: these serials are confirmed at once
                    out.lost += u64::from(n);
                    out.early += u64::from(n);
                    return;
                }
            }
        }
        self.missing.push_back((a, n));
    }

    /// A late first record of serial `s`: it is not missing after all.
    fn remove(&mut self, s: u32, budget: &mut RangeBudget) {
        let Some(max) = self.max else { return };
        // ranges are in increasing serial order: their distance below `max`
        // decreases along the deque
        let behind = max.wrapping_sub(s);
        let i = self
            .missing
            .partition_point(|&(a, _)| max.wrapping_sub(a) > behind);
        // the range holding s starts at or before it: the one before `i`,
        // unless s is the first serial of range `i`
        let at = match self.missing.get(i) {
            Some(&(a, _)) if a == s => i,
            _ if i > 0 => i - 1,
            _ => return,
        };
        let (a, n) = self.missing[at];
        let k = s.wrapping_sub(a);
        if k >= n {
            return;
        }
        if n == 1 {
            self.missing.remove(at);
            budget.release(1);
        } else if k == 0 {
            self.missing[at] = (a.wrapping_add(1), n - 1);
        } else if k == n - 1 {
            self.missing[at] = (a, n - 1);
        } else if budget.take() {
            self.missing[at] = (a, k);
            self.missing.insert(at + 1, (s.wrapping_add(1), n - k - 1));
        }
        // (no room to split: s stays counted as missing)
    }

    /// Every serial still missing (end of input): how many.
    pub fn take_missing(&mut self, budget: &mut RangeBudget) -> u64 {
        let n = self.missing.iter().map(|&(_, c)| u64::from(c)).sum();
        budget.release(self.missing.len());
        self.missing.clear();
        self.shrink();
        n
    }

    /// The state to keep in a checkpoint: highest serial, its time, missing
    /// ranges.
    pub fn save(&self) -> Option<SavedTracker> {
        Some((
            self.max?,
            self.max_time,
            self.missing.iter().copied().collect(),
        ))
    }

    /// Takes a saved state (the ranges that fit in the budget).
    pub fn restore(
        &mut self,
        max: u32,
        max_time: u64,
        missing: &[(u32, u32)],
        budget: &mut RangeBudget,
    ) {
        budget.release(self.missing.len());
        self.missing.clear();
        self.max = Some(max);
        self.max_time = max_time;
        for &r in missing.iter().take(MAX_NODE_RANGES) {
            if !budget.take() {
                break;
            }
            self.missing.push_back(r);
        }
    }

    /// Gives back memory after a burst of ranges.
    fn shrink(&mut self) {
        if self.missing.capacity() > 64 && self.missing.len() < self.missing.capacity() / 4 {
            self.missing.shrink_to(self.missing.len() * 2);
        }
    }
}

/// A tracker's state: highest serial, its time, missing ranges.
pub(super) type SavedTracker = (u32, u64, Vec<(u32, u32)>);

/// Most missing-serial ranges one node keeps.
pub(super) const MAX_NODE_RANGES: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    fn run(serials: &[u32], reorder: u32) -> (u64, SerialTracker, RangeBudget) {
        let mut t = SerialTracker::default();
        let mut b = RangeBudget {
            used: 0,
            limit: 1000,
        };
        let mut lost = 0;
        for &s in serials {
            lost += t.observe(s, 0, reorder, 2000, &mut b).lost;
        }
        (lost, t, b)
    }

    #[test]
    fn ranges_split_and_confirm() {
        // 2..=9 missing, then 5 arrives late: two ranges
        let (lost, t, b) = run(&[1, 10, 5], 100);
        assert_eq!(lost, 0);
        assert_eq!(t.missing, VecDeque::from(vec![(2, 3), (6, 4)]));
        assert_eq!(b.used, 2);
        // the ends of a range
        let (_, t, _) = run(&[1, 10, 2, 9], 100);
        assert_eq!(t.missing, VecDeque::from(vec![(3, 6)]));
        // confirmed once the stream is reorder past them
        let (lost, t, b) = run(&[1, 10, 5, 14], 5);
        // 2,3,4 are > 5 behind 14; 6,7,8 are (8 = 6 behind); 9 is not
        assert_eq!(lost, 6);
        assert_eq!(t.missing, VecDeque::from(vec![(9, 1), (11, 3)]));
        assert_eq!(b.used, 2);
    }

    #[test]
    fn a_jump_is_one_range_and_wraps() {
        let (lost, t, _) = run(&[u32::MAX - 1, 999_999], 2048);
        assert!(lost > 990_000);
        assert!(t.missing.len() <= 1);
        let (lost, t, _) = run(&[u32::MAX - 1, 1, u32::MAX], 2048);
        assert_eq!(lost, 0);
        assert_eq!(t.missing, VecDeque::from(vec![(0, 1)]));
    }

    #[test]
    fn budget_confirms_early() {
        let mut t = SerialTracker::default();
        let mut b = RangeBudget { used: 0, limit: 3 };
        let mut o = Observed::default();
        for s in (0..20).step_by(2) {
            let r = t.observe(s, 0, 1000, 2000, &mut b);
            o.lost += r.lost;
            o.early += r.early;
        }
        assert!(t.missing.len() <= 3);
        assert_eq!(o.lost, 6);
        assert_eq!(o.early, 6);
        assert_eq!(t.take_missing(&mut b), 3);
        assert_eq!(b.used, 0);
    }
}
