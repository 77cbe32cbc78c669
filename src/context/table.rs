//! The process table: entries in a slab, the current entry of each
//! (node, pid), parent links checked by generation, and eviction by the
//! clock algorithm within a count and a byte budget.

use std::collections::VecDeque;
use std::sync::Arc;

use super::cgroup::CgroupInfo;
use super::labels::LabelSet;
use crate::reassemble::hash::KeyMap;

/// A handle to an entry: its slot and the slot's generation, so that a link
/// to an entry that was freed (and its slot reused) leads nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Id {
    idx: u32,
    gen: u32,
}

/// A point in the event stream: milliseconds since the epoch, and the serial
/// (0 for a time that is not an event's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Stamp {
    pub ms: u64,
    pub serial: u32,
}

/// The arguments of a process image, shared by the processes it forks.
#[derive(Debug, Default)]
pub(crate) struct Argv {
    pub args: Vec<std::borrow::Cow<'static, [u8]>>,
    /// Not complete: cut at the per-process limit, or the exec's own argv
    /// had holes.
    pub cut: bool,
}

impl Argv {
    /// `args` cut to at most `limit` bytes in all, each argument counting
    /// its length and one byte more (its NUL, as the kernel counts argv and
    /// `/proc/PID/cmdline` holds it): empty arguments count too, so at most
    /// `limit` arguments are kept.
    pub fn new<A: AsRef<[u8]>>(args: &[A], limit: usize) -> Argv {
        let mut out = Argv::default();
        let mut left = limit;
        for a in args {
            let a = a.as_ref();
            let cost = a.len().saturating_add(1);
            if cost > left {
                out.cut = true;
                break;
            }
            left -= cost;
            out.args.push(std::borrow::Cow::Owned(a.to_vec()));
        }
        out
    }

    fn bytes(&self) -> usize {
        self.args.iter().map(|a| a.len() + 24).sum()
    }
}

/// One process image: what an exec, a fork or `/proc` told about a process.
#[derive(Debug)]
pub(crate) struct Proc {
    /// The node it runs on (0: no `node=`).
    pub node: u32,
    pub pid: u32,
    /// The parent pid it was created with.
    pub ppid: Option<u32>,
    /// Its parent, checked when it was created.
    pub parent: Option<Id>,
    /// Entries whose `parent` (or `next`) is this one.
    pub children: u32,
    /// The image that replaced this one in the same process (its next
    /// exec), kept while this one is.
    pub next: Option<Id>,
    /// Its parent pid is no longer the one it was made with (an event or
    /// `/proc` showed another): `parent` is not its parent any more.
    pub reparented: bool,
    /// From when it is known to hold its pid: its exec or fork event, or
    /// (from `/proc`) the latest its start can be.
    pub since: Stamp,
    /// The exec event that made this image.
    pub exec: Option<crate::EventId>,
    /// Start time in clock ticks since boot (`/proc/PID/stat`), when read.
    pub start: Option<u64>,
    /// The last wall time (ms) `/proc` showed it alive.
    pub verified: u64,
    /// From when it is dead or no longer holds its pid.
    pub dead: Option<Stamp>,
    /// A later image of the same pid replaced it as the current entry.
    pub superseded: bool,
    /// Used since the clock hand last passed.
    pub used: bool,
    pub exe: Option<Box<[u8]>>,
    pub comm: Option<Box<[u8]>>,
    pub argv: Arc<Argv>,
    pub cgroup: Arc<CgroupInfo>,
    /// The cgroup was read for this process, not inherited.
    pub cgroup_own: bool,
    pub labels: LabelSet,
    pub env: Vec<(usize, Box<[u8]>)>,
    pub exe_sha256: Option<[u8; 32]>,
    pub script: Option<Box<[u8]>>,
}

impl Proc {
    pub fn new(node: u32, pid: u32, since: Stamp) -> Proc {
        Proc {
            node,
            pid,
            ppid: None,
            parent: None,
            children: 0,
            next: None,
            reparented: false,
            since,
            exec: None,
            start: None,
            verified: 0,
            dead: None,
            superseded: false,
            used: true,
            exe: None,
            comm: None,
            argv: Arc::default(),
            cgroup: Arc::default(),
            cgroup_own: false,
            labels: 0,
            env: Vec::new(),
            exe_sha256: None,
            script: None,
        }
    }

    /// Bytes it accounts for (its own strings; shared ones counted by each).
    fn bytes(&self) -> usize {
        std::mem::size_of::<Proc>()
            + self.exe.as_ref().map_or(0, |e| e.len())
            + self.comm.as_ref().map_or(0, |c| c.len())
            + self.argv.bytes()
            + self.env.iter().map(|(_, v)| v.len() + 24).sum::<usize>()
            + self.script.as_ref().map_or(0, |s| s.len())
            + self.cgroup.unit.as_ref().map_or(0, Vec::len)
            + self.cgroup.container.as_ref().map_or(0, |c| c.id.len())
    }
}

struct Slot {
    gen: u32,
    proc: Option<Proc>,
    bytes: usize,
}

/// The table.
pub(crate) struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    current: KeyMap<u64, Id>,
    clock: VecDeque<Id>,
    live: usize,
    bytes: usize,
    max: usize,
    max_bytes: usize,
    pub evicted: u64,
}

/// The key of a (node, pid).
pub(crate) fn key(node: u32, pid: u32) -> u64 {
    (u64::from(node) << 32) | u64::from(pid)
}

impl Table {
    pub fn new(max: usize, max_bytes: usize) -> Table {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            current: KeyMap::default(),
            clock: VecDeque::new(),
            live: 0,
            bytes: 0,
            max: max.max(1),
            max_bytes,
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn get(&self, id: Id) -> Option<&Proc> {
        let s = self.slots.get(id.idx as usize)?;
        if s.gen != id.gen {
            return None;
        }
        s.proc.as_ref()
    }

    pub fn get_mut(&mut self, id: Id) -> Option<&mut Proc> {
        let s = self.slots.get_mut(id.idx as usize)?;
        if s.gen != id.gen {
            return None;
        }
        s.proc.as_mut()
    }

    /// The current entry of a (node, pid).
    pub fn current(&self, key: u64) -> Option<Id> {
        let id = *self.current.get(&key)?;
        self.get(id).map(|_| id)
    }

    /// Adds an entry as the current one of its (node, pid), with `parent`
    /// linked; the entry it replaces is superseded. Makes room first.
    pub fn insert(&mut self, mut p: Proc, parent: Option<Id>) -> Id {
        let bytes = p.bytes();
        self.make_room(bytes);
        let parent = parent.filter(|&id| self.get(id).is_some());
        p.parent = parent;
        let k = key(p.node, p.pid);
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    gen: 0,
                    proc: None,
                    bytes: 0,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[idx as usize];
        slot.gen = slot.gen.wrapping_add(1);
        slot.proc = Some(p);
        slot.bytes = bytes;
        let id = Id { idx, gen: slot.gen };
        self.live += 1;
        self.bytes += bytes;
        if let Some(pid) = parent {
            if let Some(pp) = self.get_mut(pid) {
                pp.children += 1;
                pp.used = true;
            }
        }
        if let Some(old) = self.current.insert(k, id) {
            if let Some(o) = self.get_mut(old) {
                o.superseded = true;
            }
            self.release(old);
        }
        self.clock.push_back(id);
        if self.clock.len() > 2 * self.live + 64 {
            let slots = &self.slots;
            self.clock.retain(|id| {
                slots
                    .get(id.idx as usize)
                    .is_some_and(|s| s.gen == id.gen && s.proc.is_some())
            });
        }
        id
    }

    /// Records that `next` is the image that replaced `old` in the same
    /// process: `next` is kept while `old` is.
    pub fn link_next(&mut self, old: Id, next: Id) {
        if self.get(next).is_none() {
            return;
        }
        let Some(o) = self.get_mut(old) else { return };
        if o.next.is_some() {
            return;
        }
        o.next = Some(next);
        if let Some(n) = self.get_mut(next) {
            n.children += 1;
        }
    }

    /// Frees `id` if nothing needs it any more: it is dead or superseded
    /// and no entry links to it; then the entries it links to likewise.
    pub fn release(&mut self, id: Id) {
        let mut first = Some(id);
        let mut work = Vec::new();
        while let Some(id) = first.take().or_else(|| work.pop()) {
            let Some(p) = self.get(id) else { continue };
            let gone = p.superseded || p.dead.is_some();
            if !gone || p.children > 0 {
                continue;
            }
            self.uncurrent(id);
            self.free_linked(id, &mut work);
        }
    }

    /// Frees `id`'s slot and drops its links; the entries it linked to are
    /// pushed to `work`, to be released if nothing else needs them.
    fn free_linked(&mut self, id: Id, work: &mut Vec<Id>) {
        let Some(p) = self.get(id) else { return };
        let links = [p.parent, p.next];
        self.free_slot(id);
        for l in links.into_iter().flatten() {
            if let Some(lp) = self.get_mut(l) {
                lp.children -= 1;
                work.push(l);
            }
        }
    }

    /// Removes `id` from the current map if it is current.
    fn uncurrent(&mut self, id: Id) {
        let Some(p) = self.get(id) else { return };
        let k = key(p.node, p.pid);
        if self.current.get(&k) == Some(&id) {
            self.current.remove(&k);
        }
    }

    fn free_slot(&mut self, id: Id) {
        let slot = &mut self.slots[id.idx as usize];
        slot.proc = None;
        self.bytes -= slot.bytes;
        slot.bytes = 0;
        self.live -= 1;
        self.free.push(id.idx);
    }

    /// Evicts entries (clock order: an entry used since the hand last passed
    /// gets another round) until one more of `bytes` fits.
    fn make_room(&mut self, bytes: usize) {
        while self.live >= self.max || (self.live > 0 && self.bytes + bytes > self.max_bytes) {
            let Some(id) = self.clock.pop_front() else {
                return;
            };
            let Some(p) = self.get_mut(id) else { continue };
            if p.used {
                p.used = false;
                self.clock.push_back(id);
                continue;
            }
            self.evict(id);
        }
    }

    fn evict(&mut self, id: Id) {
        if self.get(id).is_none() {
            return;
        }
        // its children keep a link that now leads nowhere (no parent: absent,
        // never another process)
        self.uncurrent(id);
        let mut work = Vec::new();
        self.free_linked(id, &mut work);
        self.evicted += 1;
        for l in work {
            self.release(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Argv;

    /// Guards the argv limit against arguments that cost nothing: every
    /// argument counts one byte more than its length.
    #[test]
    fn argv_limit_counts_each_argument() {
        let empty = vec![""; 10_000];
        let a = Argv::new(&empty, 1024);
        assert_eq!(a.args.len(), 1024);
        assert!(a.cut);
        // a cmdline's bytes (NULs included) within the limit: all kept
        let a = Argv::new(&["ab", "", "c"], 6);
        assert_eq!((a.args.len(), a.cut), (3, false));
        let a = Argv::new(&["ab", "", "c"], 5);
        assert_eq!((a.args.len(), a.cut), (2, true));
    }
}
