//! User and group names of the ids in an event: those an ENRICHED log wrote
//! (the truth at the time), else this machine's user database, cached.

use std::time::{Duration, Instant};

use crate::reassemble::hash::KeyMap;

/// The id fields of an event that have names, in output order.
pub const ID_FIELDS: [(&str, IdKind); 9] = [
    ("uid", IdKind::User),
    ("gid", IdKind::Group),
    ("euid", IdKind::User),
    ("egid", IdKind::Group),
    ("suid", IdKind::User),
    ("sgid", IdKind::Group),
    ("fsuid", IdKind::User),
    ("fsgid", IdKind::Group),
    ("auid", IdKind::User),
];

/// Whether an id is a user's or a group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A user id.
    User,
    /// A group id.
    Group,
}

struct Cached {
    name: Option<Box<[u8]>>,
    at: Instant,
}

/// Names looked up in the user database, each kept for a time to live; at
/// most `max` of users and of groups each.
pub(crate) struct NameCache {
    users: KeyMap<u32, Cached>,
    groups: KeyMap<u32, Cached>,
    ttl: Duration,
    max: usize,
    pub lookups: u64,
    pub dropped: u64,
}

impl NameCache {
    pub fn new(ttl: Duration, max: usize) -> NameCache {
        NameCache {
            users: KeyMap::default(),
            groups: KeyMap::default(),
            ttl,
            max: max.max(1),
            lookups: 0,
            dropped: 0,
        }
    }

    /// Looks `id` up unless a fresh answer is cached.
    pub fn refresh(&mut self, kind: IdKind, id: u32, now: Instant) {
        let (map, ttl, max) = match kind {
            IdKind::User => (&mut self.users, self.ttl, self.max),
            IdKind::Group => (&mut self.groups, self.ttl, self.max),
        };
        if map
            .get(&id)
            .is_some_and(|c| now.saturating_duration_since(c.at) < ttl)
        {
            return;
        }
        if map.len() >= max && !map.contains_key(&id) {
            map.retain(|_, c| now.saturating_duration_since(c.at) < ttl);
            if map.len() >= max {
                self.dropped += map.len() as u64;
                map.clear();
            }
        }
        self.lookups += 1;
        let name = lookup(kind, id).map(Vec::into_boxed_slice);
        map.insert(id, Cached { name, at: now });
    }

    /// The cached name of `id`.
    pub fn get(&self, kind: IdKind, id: u32) -> Option<&[u8]> {
        let map = match kind {
            IdKind::User => &self.users,
            IdKind::Group => &self.groups,
        };
        map.get(&id)?.name.as_deref()
    }

    pub fn len(&self) -> usize {
        self.users.len() + self.groups.len()
    }
}

#[cfg(unix)]
fn lookup(kind: IdKind, id: u32) -> Option<Vec<u8>> {
    match kind {
        IdKind::User => crate::sys::user_name(id),
        IdKind::Group => crate::sys::group_name(id),
    }
}

#[cfg(not(unix))]
fn lookup(_: IdKind, _: u32) -> Option<Vec<u8>> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_and_is_cached() {
        let mut c = NameCache::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        c.refresh(IdKind::User, 0, now);
        c.refresh(IdKind::User, 0, now);
        assert_eq!(c.lookups, 1);
        assert_eq!(c.get(IdKind::User, 0), Some(&b"root"[..]));
        c.refresh(IdKind::Group, 0, now);
        assert_eq!(c.get(IdKind::Group, 0), Some(&b"root"[..]));
        // an id no one has: cached as nameless
        c.refresh(IdKind::User, 3_999_999_999, now);
        assert_eq!(c.get(IdKind::User, 3_999_999_999), None);
        // the bound: a third user id empties the full map
        c.refresh(IdKind::User, 1, now);
        assert!(c.users.len() <= 2);
        assert_eq!(c.dropped, 2);
        // expired: looked up again
        c.refresh(IdKind::User, 1, now + Duration::from_secs(61));
        assert_eq!(c.lookups, 4 + 1);
    }
}
