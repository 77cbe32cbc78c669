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
//! 4. a limit is reached: the in-flight window or its byte budget is full (the
//!    oldest event is evicted), or the event itself is too large (it is cut);
//!    either way the event is flagged incomplete.
//!
//! A record of an event already emitted is emitted alone as a *late fragment*
//! (flagged and counted), never glued to another event. An EOE that follows a
//! PROCTITLE-completed event is expected and dropped.
//!
//! Events are keyed on the exact `node=` name: names are interned, each with
//! an id never reused, so two hosts' events never meet, whatever the names.
//!
//! Serial gaps are counted per node with wrapping arithmetic: a missing serial
//! is confirmed lost only when the stream has moved `reorder_serials` past it
//! (events interleave) or at the end, and is surfaced as a [`LossSource::Gap`]
//! event (carrying the node). auditd's own records (DAEMON_*, 1200..=1299)
//! carry auditd's serials and are left out of gap counting. A jump of more than
//! 2^20 serials either way is a discontinuity (reboot, another log), not loss.
//!
//! # Limits
//!
//! Memory is bounded whatever the input (every limit is a field of
//! [`ReassemblerConfig`], with its default):
//!
//! | limit | default | past it |
//! | --- | ---: | --- |
//! | events in flight (`max_in_flight`) | 2048 | the oldest is evicted, incomplete |
//! | bytes of record text in flight (`max_in_flight_bytes`) | 16 MiB | the oldest is evicted, incomplete |
//! | records in one event (`max_event_records`) | 4096 | the event is cut, incomplete; the rest are late |
//! | bytes in one event (`max_event_bytes`) | 4 MiB | the event is cut, incomplete; the rest are late |
//! | emitted events remembered to spot late records (`late_memory`) | 8192 | older ones are forgotten |
//! | `node=` names tracked (`max_nodes`) | 4096 | the least recently seen without events in flight is forgotten ([`Stats::nodes_forgotten`]) |
//! | missing-serial ranges, all nodes (`max_missing_ranges`) | 65536 | the node's oldest are confirmed lost early ([`Stats::gap_serials_early`]) |
//!
//! and 4096 missing-serial ranges per node. Time per record is constant on
//! average (hash lookups), and logarithmic in the missing ranges for a late
//! first record.

pub(crate) mod hash;
mod nodes;
mod serials;

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use hash::{KeyMap, KeySet};

use nodes::{NodeRef, Nodes};
use serials::RangeBudget;

use crate::event::{EventBuf, LossSource};
use crate::record::{EventId, Record, RecordType};
use crate::source::{SavedEvent, SavedKey, SavedSerials};

/// Limits and timeouts of a [`Reassembler`] (see the [module
/// documentation](self) for what happens at each limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblerConfig {
    /// Most events in flight at once; past it the oldest is evicted,
    /// incomplete. Default 2048.
    pub max_in_flight: usize,
    /// Most bytes of record text in flight, all events together; past it the
    /// oldest is evicted, incomplete. Default 16 MiB.
    pub max_in_flight_bytes: usize,
    /// An event is complete this long after its first record. Default 2 s.
    pub timeout_ms: u64,
    /// Most records in one event; past it the event is cut, incomplete.
    /// Default 4096.
    pub max_event_records: usize,
    /// Most bytes in one event; past it the event is cut, incomplete
    /// (at most `max_in_flight_bytes`). Default 4 MiB: an exec with 2 MB of
    /// arguments, hex-encoded.
    pub max_event_bytes: usize,
    /// How many emitted events are remembered to recognize late records.
    /// Default 8192.
    pub late_memory: usize,
    /// How far the serials must move past a missing one before it counts as
    /// lost. Default 2048.
    pub reorder_serials: u32,
    /// Most `node=` names tracked (more than `max_in_flight`). Default 4096.
    pub max_nodes: usize,
    /// Most missing-serial ranges kept, all nodes together. Default 65536.
    pub max_missing_ranges: usize,
}

impl Default for ReassemblerConfig {
    fn default() -> Self {
        ReassemblerConfig {
            max_in_flight: 2048,
            max_in_flight_bytes: 16 << 20,
            timeout_ms: 2000,
            max_event_records: 4096,
            max_event_bytes: 4 << 20,
            late_memory: 8192,
            reorder_serials: 2048,
            max_nodes: 4096,
            max_missing_ranges: 1 << 16,
        }
    }
}

/// Counters of a [`Reassembler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Stats {
    /// Records pushed (EOE included).
    pub records: u64,
    /// Events emitted (loss events excluded, late fragments included).
    pub events: u64,
    /// Events emitted incomplete (evicted, cut, or without their SYSCALL).
    pub incomplete: u64,
    /// Of those, evicted from a full window or byte budget.
    pub evicted: u64,
    /// Of those, cut at `max_event_records` or `max_event_bytes`.
    pub cut: u64,
    /// Events completed by the timeout (event time, wall time live, or an
    /// idle stream).
    pub timed_out: u64,
    /// Syscall events completed (by timeout, EOE or the end of input)
    /// without records the kernel always writes for them (PROCTITLE, the
    /// EXECVE of a successful exec, a PATH per `items=`): loss that took no
    /// serial. Flagged incomplete, and counted in `incomplete` too.
    pub missing_records: u64,
    /// Late fragments.
    pub late: u64,
    /// Serials confirmed missing.
    pub gap_serials: u64,
    /// Of those, confirmed before the stream moved `reorder_serials` past
    /// them, because the missing-serial table was full.
    pub gap_serials_early: u64,
    /// Serial discontinuities (jumps over 2^20: reboot, another log).
    pub discontinuities: u64,
    /// EOE records for events never seen.
    pub orphan_eoe: u64,
    /// `node=` names forgotten to stay within `max_nodes`.
    pub nodes_forgotten: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    id: EventId,
    /// The node's unique id (0: no `node=`).
    node: u64,
}

impl Hash for Key {
    /// Two words: time, and serial with node. (Equality stays exact; this
    /// only spreads the keys.)
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.id.time.as_millis());
        h.write_u64(u64::from(self.id.serial) ^ self.node.rotate_left(32));
    }
}

struct Slot {
    ev: EventBuf,
    key: Key,
    node: NodeRef,
    start: u64,
    gen: u64,
}

/// Why an event left the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// Its PROCTITLE: the kernel writes it last.
    Proctitle,
    /// Its EOE.
    Eoe,
    /// No record for the timeout.
    TimedOut,
    /// The window or byte budget was full.
    Evicted,
    /// It reached the size limits.
    Cut,
    /// End of input.
    Finished,
}

/// Buffers kept for reuse: at most this many ...
const POOL_BUFFERS: usize = 64;
/// ... of at most this many bytes each.
const POOL_BUFFER_BYTES: usize = 64 << 10;

/// Joins records into events. See the module documentation for the rules.
///
/// ```
/// use auditstream::reassemble::Reassembler;
/// use auditstream::event::EventKind;
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
/// let EventKind::Exec(exec) = ev.event().kind else { panic!() };
/// assert_eq!(exec.argv, vec![&b"ls"[..], b"-l"]);
/// ```
pub struct Reassembler {
    cfg: ReassemblerConfig,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    index: KeyMap<Key, usize>,
    order: VecDeque<(usize, u64)>,
    recent: KeySet<Key>,
    recent_order: VecDeque<Key>,
    nodes: Nodes,
    ranges: RangeBudget,
    in_flight_bytes: usize,
    ready: VecDeque<EventBuf>,
    /// Keys of events completed before their last record (evicted, cut,
    /// timed out): a later record of theirs is a late fragment, and a
    /// checkpoint keeps them.
    early: VecDeque<Key>,
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
    /// A reassembler with these limits (raised where they contradict each
    /// other: at least one event and one record, `max_event_bytes` at most
    /// `max_in_flight_bytes`, `max_nodes` above `max_in_flight`).
    pub fn new(cfg: ReassemblerConfig) -> Self {
        let max_in_flight = cfg.max_in_flight.max(1);
        let max_in_flight_bytes = cfg.max_in_flight_bytes.max(1);
        let cfg = ReassemblerConfig {
            max_in_flight,
            max_in_flight_bytes,
            max_event_records: cfg.max_event_records.max(1),
            max_event_bytes: cfg.max_event_bytes.clamp(1, max_in_flight_bytes),
            max_nodes: cfg.max_nodes.max(max_in_flight + 1),
            ..cfg
        };
        Reassembler {
            cfg,
            slots: Vec::new(),
            free: Vec::new(),
            index: KeyMap::default(),
            order: VecDeque::new(),
            recent: KeySet::default(),
            recent_order: VecDeque::new(),
            nodes: Nodes::new(cfg.max_nodes),
            ranges: RangeBudget {
                used: 0,
                limit: cfg.max_missing_ranges,
            },
            in_flight_bytes: 0,
            ready: VecDeque::new(),
            early: VecDeque::new(),
            pool: Vec::new(),
            gen: 0,
            stats: Stats::default(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &ReassemblerConfig {
        &self.cfg
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Events in flight.
    pub fn in_flight(&self) -> usize {
        self.index.len()
    }

    /// Bytes of record text in flight.
    pub fn in_flight_bytes(&self) -> usize {
        self.in_flight_bytes
    }

    /// `node=` names tracked now.
    pub fn nodes(&self) -> usize {
        self.nodes.len()
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
        let node = self.find_node(rec.node());
        let key = Key {
            id: rec.id(),
            node: self.nodes.get(node).uid,
        };
        if let Some(&slot) = self.index.get(&key) {
            if t == RecordType::EOE {
                self.complete(slot, Done::Eoe);
                return;
            }
            let s = self.slots[slot].as_mut().expect("indexed slot is live");
            s.ev.push_record(rec);
            self.in_flight_bytes += rec.raw().len();
            let full = s.ev.len() >= self.cfg.max_event_records
                || s.ev.bytes() >= self.cfg.max_event_bytes;
            if full {
                self.complete(slot, Done::Cut);
            } else if t == RecordType::PROCTITLE {
                self.complete(slot, Done::Proctitle);
            }
            self.within_bytes();
            return;
        }
        if self.recent.contains(&key) {
            if t != RecordType::EOE {
                self.stats.late += 1;
                let mut ev = self.take_buf();
                ev.push_record(rec);
                ev.set_late();
                self.emit(ev);
            }
            return;
        }
        if t == RecordType::EOE {
            self.stats.orphan_eoe += 1;
            return;
        }
        if !(1200..1300).contains(&t.0) {
            self.observe_serial(node, rec);
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
        self.in_flight_bytes += rec.raw().len();
        self.nodes.get(node).in_flight += 1;
        self.gen += 1;
        let slot = Slot {
            ev,
            key,
            node,
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
            self.complete(i, Done::Proctitle);
        } else if self.slots[i].as_ref().is_some_and(|s| {
            s.ev.bytes() >= self.cfg.max_event_bytes || s.ev.len() >= self.cfg.max_event_records
        }) {
            self.complete(i, Done::Cut);
        }
        self.within_bytes();
    }

    /// The node of a record, made if new; a node forgotten to make room has
    /// its missing serials reported.
    fn find_node(&mut self, name: Option<&[u8]>) -> NodeRef {
        let ready = &mut self.ready;
        let stats = &mut self.stats;
        let ranges = &mut self.ranges;
        self.nodes.find(name, |mut old| {
            stats.nodes_forgotten += 1;
            let lost = old.serials.take_missing(ranges);
            if lost > 0 {
                stats.gap_serials += lost;
                ready.push_back(EventBuf::lost_on(
                    LossSource::Gap,
                    lost,
                    EventId::default(),
                    &old.name,
                ));
            }
        })
    }

    fn observe_serial(&mut self, node: NodeRef, rec: &Record<'_>) {
        let id = rec.id();
        let o = self.nodes.get(node).serials.observe(
            id.serial,
            id.time.as_millis(),
            self.cfg.reorder_serials,
            self.cfg.timeout_ms,
            &mut self.ranges,
        );
        self.stats.discontinuities += u64::from(o.discontinuity);
        self.stats.gap_serials_early += o.early;
        if o.lost > 0 {
            self.stats.gap_serials += o.lost;
            let ev = match rec.node() {
                Some(n) => EventBuf::lost_on(LossSource::Gap, o.lost, id, n),
                None => EventBuf::lost(LossSource::Gap, o.lost, id),
            };
            self.ready.push_back(ev);
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

    /// Completes every event in flight as timed out: a streamed input has
    /// been idle for the timeout of wall time, so none of them got a record
    /// for that long.
    pub fn flush_idle(&mut self) {
        while let Some((slot, gen)) = self.order.pop_front() {
            if self.live(slot, gen) {
                self.stats.timed_out += 1;
                self.complete(slot, Done::TimedOut);
            }
        }
    }

    /// End of input: completes every event in flight, oldest first, and
    /// confirms missing serials as lost (one loss event per node that has
    /// any, the stream without `node=` first, then by name).
    pub fn finish(&mut self) {
        while let Some((slot, gen)) = self.order.pop_front() {
            if self.live(slot, gen) {
                self.complete(slot, Done::Finished);
            }
        }
        for (name, named, lost) in self.nodes.drain_sorted(&mut self.ranges) {
            if lost > 0 {
                self.stats.gap_serials += lost;
                let id = EventId::default();
                self.ready.push_back(if named {
                    EventBuf::lost_on(LossSource::Gap, lost, id, &name)
                } else {
                    EventBuf::lost(LossSource::Gap, lost, id)
                });
            }
        }
    }

    /// What a checkpoint keeps: the events not yet popped (complete ones,
    /// then those in flight, oldest first), the keys of events completed
    /// before their last record, and the serial counts.
    pub(crate) fn save(&self) -> (Vec<SavedEvent>, Vec<SavedKey>, Vec<SavedSerials>) {
        let saved = |ev: &EventBuf, in_flight| SavedEvent {
            in_flight,
            id: ev.id(),
            node: ev.node().map(<[u8]>::to_vec),
            flags: ev.flags(),
            lost: ev.lost_event(),
            records: ev.records().map(|r| r.raw().to_vec()).collect(),
        };
        let mut events: Vec<SavedEvent> = self.ready.iter().map(|e| saved(e, None)).collect();
        for &(slot, gen) in &self.order {
            if let Some(s) = self.slots[slot].as_ref().filter(|s| s.gen == gen) {
                events.push(saved(&s.ev, Some(s.start)));
            }
        }
        let early = self
            .early
            .iter()
            .filter(|k| self.recent.contains(k))
            .filter_map(|k| {
                let node = self.nodes.name_of(k.node)?;
                Some(SavedKey {
                    node: node.map(<[u8]>::to_vec),
                    id: k.id,
                })
            })
            .collect();
        let serials = self
            .nodes
            .all()
            .filter_map(|(name, n)| {
                let (max, max_time, missing) = n.serials.save()?;
                Some(SavedSerials {
                    node: name.map(<[u8]>::to_vec),
                    max,
                    max_time,
                    missing,
                })
            })
            .collect();
        (events, early, serials)
    }

    /// Takes back what [`save`](Self::save) kept (into a new reassembler);
    /// `false` if a saved record does not parse.
    pub(crate) fn restore(
        &mut self,
        events: &[SavedEvent],
        early: &[SavedKey],
        serials: &[SavedSerials],
    ) -> bool {
        for s in serials {
            let node = self.find_node(s.node.as_deref());
            let n = self.nodes.get(node);
            n.serials
                .restore(s.max, s.max_time, &s.missing, &mut self.ranges);
        }
        for k in early {
            let node = self.find_node(k.node.as_deref());
            let key = Key {
                id: k.id,
                node: self.nodes.get(node).uid,
            };
            self.remember(key);
            self.early.push_back(key);
        }
        for e in events {
            let Some(ev) =
                EventBuf::from_saved(e.id, e.node.as_deref(), e.flags, e.lost, &e.records)
            else {
                return false;
            };
            let Some(start) = e.in_flight else {
                self.ready.push_back(ev);
                continue;
            };
            let node = self.find_node(ev.node());
            let key = Key {
                id: ev.id(),
                node: self.nodes.get(node).uid,
            };
            if self.index.contains_key(&key) || ev.is_empty() {
                return false;
            }
            self.in_flight_bytes += ev.bytes();
            self.nodes.get(node).in_flight += 1;
            self.gen += 1;
            self.slots.push(Some(Slot {
                ev,
                key,
                node,
                start,
                gen: self.gen,
            }));
            self.index.insert(key, self.slots.len() - 1);
            self.order.push_back((self.slots.len() - 1, self.gen));
        }
        true
    }

    /// Whether complete events are waiting for [`Reassembler::pop`].
    pub fn has_output(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The next complete event, if any.
    pub fn pop(&mut self) -> Option<EventBuf> {
        self.ready.pop_front()
    }

    /// Gives an event's buffers back for reuse (small ones only: at most 64
    /// buffers of 64 KiB are kept).
    pub fn recycle(&mut self, mut ev: EventBuf) {
        if self.pool.len() < POOL_BUFFERS && ev.capacity_bytes() <= POOL_BUFFER_BYTES {
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
            self.complete(slot, Done::TimedOut);
        }
    }

    /// Evicts the oldest events while the bytes in flight exceed the budget.
    fn within_bytes(&mut self) {
        while self.in_flight_bytes > self.cfg.max_in_flight_bytes && !self.index.is_empty() {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((slot, gen)) = self.order.pop_front() {
            if self.live(slot, gen) {
                self.complete(slot, Done::Evicted);
                return;
            }
        }
    }

    fn compact_order(&mut self) {
        let slots = &self.slots;
        self.order
            .retain(|&(i, g)| matches!(&slots[i], Some(s) if s.gen == g));
    }

    fn complete(&mut self, slot: usize, done: Done) {
        let s = self.slots[slot].take().expect("completing a live slot");
        self.free.push(slot);
        self.index.remove(&s.key);
        self.in_flight_bytes -= s.ev.bytes();
        self.nodes.get(s.node).in_flight -= 1;
        self.remember(s.key);
        let mut ev = s.ev;
        let mut incomplete = ev.lacks_syscall();
        match done {
            Done::Proctitle => {}
            Done::Evicted => {
                self.stats.evicted += 1;
                incomplete = true;
            }
            Done::Cut => {
                self.stats.cut += 1;
                incomplete = true;
            }
            Done::TimedOut | Done::Eoe | Done::Finished => {
                if done == Done::TimedOut {
                    ev.set_timed_out();
                }
                if ev.lacks_kernel_records() {
                    self.stats.missing_records += 1;
                    incomplete = true;
                }
            }
        }
        if matches!(done, Done::Evicted | Done::Cut | Done::TimedOut) {
            self.early.push_back(s.key);
            if self.early.len() > self.cfg.late_memory {
                self.early.pop_front();
            }
        }
        if incomplete {
            ev.set_incomplete();
        }
        self.emit(ev);
    }

    fn emit(&mut self, ev: EventBuf) {
        self.stats.events += 1;
        if ev.flags().incomplete {
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
