//! The `node=` names of a stream, interned: each name gets an id that is
//! never reused, so events are keyed on the exact name (no hash can make two
//! hosts' events meet), and the table is bounded.

use std::collections::{HashMap, VecDeque};

use super::serials::{RangeBudget, SerialTracker};

/// One node: its name, the events it has in flight, its serials.
#[derive(Debug)]
pub(super) struct Node {
    pub name: Box<[u8]>,
    /// Unique for the life of the reassembler (0 is the stream without
    /// `node=`).
    pub uid: u64,
    pub in_flight: usize,
    /// Seen since the eviction clock last passed (second chance).
    referenced: bool,
    pub serials: SerialTracker,
}

/// Where a node lives: the stream without `node=`, or a table slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NodeRef {
    Local,
    Slot(usize),
}

/// The nodes of a stream: the one without a name, and at most `max` named
/// ones. Past `max`, the named node least recently seen that has no event in
/// flight is forgotten (CLOCK, second chance).
#[derive(Debug)]
pub(super) struct Nodes {
    local: Node,
    by_name: HashMap<Box<[u8]>, usize>,
    slots: Vec<Option<Node>>,
    free: Vec<usize>,
    clock: VecDeque<usize>,
    next_uid: u64,
    max: usize,
}

impl Nodes {
    pub fn new(max: usize) -> Nodes {
        Nodes {
            local: Node {
                name: Box::default(),
                uid: 0,
                in_flight: 0,
                referenced: false,
                serials: SerialTracker::default(),
            },
            by_name: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            clock: VecDeque::new(),
            next_uid: 1,
            max: max.max(1),
        }
    }

    pub fn get(&mut self, r: NodeRef) -> &mut Node {
        match r {
            NodeRef::Local => &mut self.local,
            NodeRef::Slot(i) => self.slots[i].as_mut().expect("live node slot"),
        }
    }

    /// The node named `name` (`None`: no `node=`), made if new. A node
    /// forgotten to make room is handed to `forget` (its missing serials are
    /// still to be reported).
    pub fn find(&mut self, name: Option<&[u8]>, mut forget: impl FnMut(Node)) -> NodeRef {
        let Some(name) = name else {
            return NodeRef::Local;
        };
        if let Some(&i) = self.by_name.get(name) {
            self.slots[i].as_mut().expect("indexed node").referenced = true;
            return NodeRef::Slot(i);
        }
        if self.by_name.len() >= self.max {
            if let Some(old) = self.evict() {
                forget(old);
            }
        }
        let node = Node {
            name: name.into(),
            uid: self.next_uid,
            in_flight: 0,
            referenced: false,
            serials: SerialTracker::default(),
        };
        self.next_uid += 1;
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(node);
                i
            }
            None => {
                self.slots.push(Some(node));
                self.slots.len() - 1
            }
        };
        self.by_name.insert(name.into(), i);
        self.clock.push_back(i);
        NodeRef::Slot(i)
    }

    /// Forgets the first node the clock finds unreferenced and without
    /// events in flight. Every node is passed at most twice, so this ends;
    /// it finds none only when every node has events in flight.
    fn evict(&mut self) -> Option<Node> {
        for _ in 0..2 * self.clock.len() {
            let i = self.clock.pop_front()?;
            let n = self.slots[i].as_mut().expect("clocked node");
            if n.in_flight > 0 || n.referenced {
                n.referenced = false;
                self.clock.push_back(i);
                continue;
            }
            let n = self.slots[i].take().expect("clocked node");
            self.by_name.remove(&n.name);
            self.free.push(i);
            return Some(n);
        }
        None
    }

    /// Every node, the one without a name first, then by name.
    pub fn drain_sorted(&mut self, budget: &mut RangeBudget) -> Vec<(Box<[u8]>, bool, u64)> {
        let mut out = vec![(
            Box::default(),
            false,
            self.local.serials.take_missing(budget),
        )];
        let mut named: Vec<_> = self
            .slots
            .iter_mut()
            .flatten()
            .map(|n| (n.name.clone(), true, n.serials.take_missing(budget)))
            .collect();
        named.sort();
        out.extend(named);
        out
    }

    /// The name of the node with this uid: `Some(None)` for the stream
    /// without `node=`, `None` if it was forgotten.
    pub fn name_of(&self, uid: u64) -> Option<Option<&[u8]>> {
        if uid == 0 {
            return Some(None);
        }
        self.slots
            .iter()
            .flatten()
            .find(|n| n.uid == uid)
            .map(|n| Some(&n.name[..]))
    }

    /// Every node with its name (`None`: no `node=`).
    pub fn all(&self) -> impl Iterator<Item = (Option<&[u8]>, &Node)> {
        std::iter::once((None, &self.local))
            .chain(self.slots.iter().flatten().map(|n| (Some(&n.name[..]), n)))
    }

    /// Named nodes tracked now.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }
}
