//! Records to events.
//!
//! Records with the same (node, time, serial) form one event. Records of
//! different events interleave; records of one event arrive in order. An event
//! is complete, and leaves at once (no head-of-line blocking), when
//!
//! 1. its EOE arrives (netlink), or its PROCTITLE (the kernel writes it last:
//!    in 1.4 M records of real captures nothing but EOE ever followed it), so
//!    that audit.log input, which has no EOE, completes without waiting;
//! 2. it can only be one record ([`RecordType::is_standalone`]);
//! 3. it timed out: `timeout_ms` after its first record, on the clock given
//!    to [`Reassembler::push`] (event time for files, wall time live);
//! 4. the in-flight window is full: the oldest event is evicted and flagged
//!    incomplete.
//!
//! A record of an event already emitted is emitted alone as a *late fragment*
//! (flagged and counted), never glued to another event. An EOE that follows a
//! PROCTITLE-completed event is expected and dropped.
//!
//! Serial gaps are counted per node with wrapping arithmetic: a missing serial
//! is confirmed lost only when the stream has moved `reorder_serials` past it
//! (events interleave) or at the end, and is surfaced as a [`LossSource::Gap`]
//! event. auditd's own records (DAEMON_*, 1200..=1299) carry auditd's serials
//! and are left out of gap counting. A jump of more than 2^20 serials either
//! way is a discontinuity (reboot, another log), not loss.
//!
//! Memory is bounded whatever the input: `max_in_flight` events of at most
//! `max_event_records` records / `max_event_bytes` bytes, `late_memory`
//! remembered keys, and a bounded list of missing serials.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::event::{EventBuf, LossSource};
use crate::record::{EventId, Record, RecordType};

/// Limits and timeouts of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblerConfig {
    /// Most events in flight at once; past it the oldest is evicted, incomplete.
    pub max_in_flight: usize,
    /// An event is complete this long after its first record.
    pub timeout_ms: u64,
    /// Most records in one event; past it the event is cut, incomplete.
    pub max_event_records: usize,
    /// Most bytes in one event; past it the event is cut, incomplete.
    pub max_event_bytes: usize,
    /// How many emitted events are remembered to recognize late records.
    pub late_memory: usize,
    /// How far the serials must move past a missing one before it counts as
    /// lost.
    pub reorder_serials: u32,
}

impl Default for ReassemblerConfig {
    fn default() -> Self {
        ReassemblerConfig {
            max_in_flight: 2048,
            timeout_ms: 2000,
            max_event_records: 4096,
            max_event_bytes: 16 << 20,
            late_memory: 8192,
            reorder_serials: 2048,
        }
    }
}

/// Counters of a [`Reassembler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Stats {
    /// Records pushed (EOE included).
    pub records: u64,
    /// Events emitted (loss events excluded, late fragments included).
    pub events: u64,
    /// Events emitted incomplete (evicted, cut, or without their SYSCALL).
    pub incomplete: u64,
    /// Of those, evicted from a full window.
    pub evicted: u64,
    /// Events completed by the timeout.
    pub timed_out: u64,
    /// Late fragments.
    pub late: u64,
    /// Serials confirmed missing.
    pub gap_serials: u64,
    /// Serial discontinuities (jumps over 2^20: reboot, another log).
    pub discontinuities: u64,
    /// EOE records for events never seen.
    pub orphan_eoe: u64,
}

const DISCONTINUITY: u32 = 1 << 20;
const MAX_MISSING: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    id: EventId,
    node: u64,
}

/// FxHash-style hasher: keys are small fixed-size integers.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<KeyHasher>>;

fn node_hash(node: Option<&[u8]>) -> u64 {
    match node {
        None => 0,
        Some(n) => {
            // FNV-1a; 0 is kept for "no node".
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for &b in n {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            h | 1
        }
    }
}

struct Slot {
    ev: EventBuf,
    key: Key,
    start: u64,
    gen: u64,
}

#[derive(Default)]
struct SerialTracker {
    max: Option<u32>,
    max_time: u64,
    missing: VecDeque<u32>,
}

impl SerialTracker {
    /// Sees the first record of an event with serial `s`; returns serials now
    /// confirmed lost.
    fn observe(&mut self, s: u32, time: u64, cfg: &ReassemblerConfig, stats: &mut Stats) -> u64 {
        let reorder = cfg.reorder_serials;
        let Some(max) = self.max else {
            self.max = Some(s);
            self.max_time = time;
            return 0;
        };
        let d = s.wrapping_sub(max) as i32;
        let mut lost = 0;
        // A jump too far either way, or serials starting over while time moves
        // on (a reboot: the kernel counts from 1 again), is a discontinuity.
        // Interleaving never steps back `reorder` serials with a later time.
        let restarted =
            d < 0 && d.unsigned_abs() > reorder && time > self.max_time + cfg.timeout_ms;
        if d.unsigned_abs() > DISCONTINUITY || restarted {
            stats.discontinuities += 1;
            self.missing.clear();
            self.max = Some(s);
            self.max_time = time;
            return 0;
        }
        if d > 0 {
            let mut m = max.wrapping_add(1);
            while m != s {
                if self.missing.len() >= MAX_MISSING {
                    self.missing.pop_front();
                    lost += 1;
                }
                self.missing.push_back(m);
                m = m.wrapping_add(1);
            }
            self.max = Some(s);
            self.max_time = time;
            while let Some(&front) = self.missing.front() {
                if s.wrapping_sub(front) > reorder {
                    self.missing.pop_front();
                    lost += 1;
                } else {
                    break;
                }
            }
        } else if d < 0 {
            if let Some(p) = self.missing.iter().rposition(|&m| m == s) {
                self.missing.remove(p);
            }
        }
        lost
    }
}

/// Joins records into events. See the module documentation for the rules.
///
/// ```
/// use auditstream::reassemble::Reassembler;
/// use auditstream::event::Event;
/// use auditstream::Record;
///
/// let log = b"type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=59 success=yes exit=0 pid=10 comm=\"ls\" exe=\"/bin/ls\" key=\"exec\"
/// type=EXECVE msg=audit(1.000:7): argc=2 a0=\"ls\" a1=\"-l\"
/// type=PROCTITLE msg=audit(1.000:7): proctitle=6C73002D6C
/// ";
/// let mut r = Reassembler::default();
/// for line in log.split_inclusive(|&c| c == b'\n') {
///     r.push(&Record::parse_line(line).unwrap(), None);
/// }
/// let ev = r.pop().unwrap();
/// let Event::Exec(exec) = ev.event() else { panic!() };
/// assert_eq!(exec.argv, vec![&b"ls"[..], b"-l"]);
/// ```
pub struct Reassembler {
    cfg: ReassemblerConfig,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    index: FastMap<Key, usize>,
    order: VecDeque<(usize, u64)>,
    recent: FastSet<Key>,
    recent_order: VecDeque<Key>,
    serials: FastMap<u64, SerialTracker>,
    ready: VecDeque<EventBuf>,
    pool: Vec<EventBuf>,
    gen: u64,
    stats: Stats,
}

impl Default for Reassembler {
    fn default() -> Self {
        Reassembler::new(ReassemblerConfig::default())
    }
}

impl Reassembler {
    /// A reassembler with these limits.
    pub fn new(cfg: ReassemblerConfig) -> Self {
        let cfg = ReassemblerConfig {
            max_in_flight: cfg.max_in_flight.max(1),
            max_event_records: cfg.max_event_records.max(1),
            ..cfg
        };
        Reassembler {
            cfg,
            slots: Vec::new(),
            free: Vec::new(),
            index: FastMap::default(),
            order: VecDeque::new(),
            recent: FastSet::default(),
            recent_order: VecDeque::new(),
            serials: FastMap::default(),
            ready: VecDeque::new(),
            pool: Vec::new(),
            gen: 0,
            stats: Stats::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Events in flight.
    pub fn in_flight(&self) -> usize {
        self.index.len()
    }

    /// Adds a record. `now_ms` is the clock for timeouts: `None` uses the
    /// record's own time (files), `Some(wall clock ms)` the caller's (live).
    pub fn push(&mut self, rec: &Record<'_>, now_ms: Option<u64>) {
        self.stats.records += 1;
        let clock = now_ms.unwrap_or_else(|| rec.id().time.as_millis());
        if now_ms.is_none() {
            self.expire(clock);
        }
        let t = rec.record_type();
        let key = Key {
            id: rec.id(),
            node: node_hash(rec.node()),
        };
        if let Some(&slot) = self.index.get(&key) {
            if t == RecordType::EOE {
                self.complete(slot, false);
                return;
            }
            let full = {
                let s = self.slots[slot].as_mut().expect("indexed slot is live");
                s.ev.push_record(rec);
                s.ev.recs.len() >= self.cfg.max_event_records
                    || s.ev.data.len() >= self.cfg.max_event_bytes
            };
            if full {
                self.complete(slot, true);
            } else if t == RecordType::PROCTITLE {
                self.complete(slot, false);
            }
            return;
        }
        if self.recent.contains(&key) {
            if t != RecordType::EOE {
                self.stats.late += 1;
                let mut ev = self.take_buf();
                ev.push_record(rec);
                ev.flags.late = true;
                self.emit(ev);
            }
            return;
        }
        if t == RecordType::EOE {
            self.stats.orphan_eoe += 1;
            return;
        }
        if !(1200..1300).contains(&t.0) {
            let tracker = self.serials.entry(key.node).or_default();
            let time = key.id.time.as_millis();
            let lost = tracker.observe(key.id.serial, time, &self.cfg, &mut self.stats);
            if lost > 0 {
                self.stats.gap_serials += lost;
                self.ready
                    .push_back(EventBuf::lost(LossSource::Gap, lost, key.id));
            }
        }
        if t.is_standalone() {
            let mut ev = self.take_buf();
            ev.push_record(rec);
            self.remember(key);
            self.emit(ev);
            return;
        }
        if self.index.len() >= self.cfg.max_in_flight {
            self.evict_oldest();
        }
        let mut ev = self.take_buf();
        ev.push_record(rec);
        self.gen += 1;
        let slot = Slot {
            ev,
            key,
            start: clock,
            gen: self.gen,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, i);
        self.order.push_back((i, self.gen));
        if self.order.len() > 2 * self.cfg.max_in_flight + 64 {
            self.compact_order();
        }
        if t == RecordType::PROCTITLE {
            self.complete(i, false);
        }
    }

    /// Reports loss seen outside the record stream (the kernel's lost counter,
    /// socket overruns): a loss event joins the output.
    pub fn push_loss(&mut self, source: LossSource, count: u64, id: EventId) {
        if count > 0 {
            self.ready.push_back(EventBuf::lost(source, count, id));
        }
    }

    /// Completes every event whose timeout has passed at clock `now_ms` (live
    /// input calls this while idle).
    pub fn flush_expired(&mut self, now_ms: u64) {
        self.expire(now_ms);
    }

    /// End of input: completes every event in flight, oldest first, and
    /// confirms missing serials as lost.
    pub fn finish(&mut self) {
        while let Some((slot, gen)) = self.order.pop_front() {
            if self.live(slot, gen) {
                self.complete(slot, false);
            }
        }
        let mut trackers: Vec<_> = self.serials.drain().collect();
        trackers.sort_by_key(|(node, _)| *node);
        for (_, t) in trackers {
            let lost = t.missing.len() as u64;
            if lost > 0 {
                self.stats.gap_serials += lost;
                self.ready
                    .push_back(EventBuf::lost(LossSource::Gap, lost, EventId::default()));
            }
        }
    }

    /// Whether complete events are waiting for [`Reassembler::pop`].
    pub fn has_output(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The next complete event, if any.
    pub fn pop(&mut self) -> Option<EventBuf> {
        self.ready.pop_front()
    }

    /// Gives an event's buffers back for reuse.
    pub fn recycle(&mut self, mut ev: EventBuf) {
        if self.pool.len() < 64 && ev.data.capacity() <= 1 << 20 {
            ev.clear();
            self.pool.push(ev);
        }
    }

    fn take_buf(&mut self) -> EventBuf {
        self.pool.pop().unwrap_or_else(EventBuf::empty)
    }

    fn live(&self, slot: usize, gen: u64) -> bool {
        matches!(&self.slots[slot], Some(s) if s.gen == gen)
    }

    fn expire(&mut self, clock: u64) {
        while let Some(&(slot, gen)) = self.order.front() {
            let Some(s) = self.slots[slot].as_ref().filter(|s| s.gen == gen) else {
                self.order.pop_front();
                continue;
            };
            if s.start.saturating_add(self.cfg.timeout_ms) > clock {
                break;
            }
            self.order.pop_front();
            self.stats.timed_out += 1;
            self.complete(slot, false);
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((slot, gen)) = self.order.pop_front() {
            if self.live(slot, gen) {
                self.stats.evicted += 1;
                self.complete(slot, true);
                return;
            }
        }
    }

    fn compact_order(&mut self) {
        let slots = &self.slots;
        self.order
            .retain(|&(i, g)| matches!(&slots[i], Some(s) if s.gen == g));
    }

    fn complete(&mut self, slot: usize, incomplete: bool) {
        let s = self.slots[slot].take().expect("completing a live slot");
        self.free.push(slot);
        self.index.remove(&s.key);
        self.remember(s.key);
        let mut ev = s.ev;
        ev.flags.incomplete |= incomplete || ev.lacks_syscall();
        self.emit(ev);
    }

    fn emit(&mut self, ev: EventBuf) {
        self.stats.events += 1;
        if ev.flags.incomplete {
            self.stats.incomplete += 1;
        }
        self.ready.push_back(ev);
    }

    fn remember(&mut self, key: Key) {
        if self.recent.insert(key) {
            self.recent_order.push_back(key);
            if self.recent_order.len() > self.cfg.late_memory {
                if let Some(old) = self.recent_order.pop_front() {
                    self.recent.remove(&old);
                }
            }
        }
    }
}
