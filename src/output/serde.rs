//! `serde::Serialize` (feature `serde`) as a walk of the [description](super):
//! the same keys, values and byte-string rule as the native JSON, for any
//! serde format; the schema views ([`Ecs`], [`Ocsf`]) likewise. Maps are
//! serialized with unknown length.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::schema::{Ecs, Ocsf};
use super::{Describe, Key, Node, Seq, Visitor, WithContext};
use crate::context::EventContext;
use crate::event::{Event, EventBuf, ExecEvent, PathRecord, SocketEvent};
use crate::record::{Record, RecordBuf};

/// Serializes anything described as a map.
struct AsMap<'d, D: ?Sized>(&'d D);

impl<D: Describe + ?Sized> Serialize for AsMap<'_, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = MapVisitor {
            map: s.serialize_map(None)?,
            err: None,
        };
        self.0.describe(&mut v);
        match v.err {
            Some(e) => Err(e),
            None => v.map.end(),
        }
    }
}

/// Feeds entries to a serde map; the first error stops the rest.
struct MapVisitor<M: SerializeMap> {
    map: M,
    err: Option<M::Error>,
}

impl<M: SerializeMap> Visitor for MapVisitor<M> {
    fn entry(&mut self, k: Key<'_>, v: Node<'_>) {
        if self.err.is_none() {
            if let Err(e) = self.map.serialize_entry(&SerKey(k), &SerNode(v)) {
                self.err = Some(e);
            }
        }
    }
}

struct SerKey<'a>(Key<'a>);

impl Serialize for SerKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_plain_str() {
            Some(k) => s.serialize_str(k),
            None => s.collect_str(&self.0),
        }
    }
}

struct SerNode<'a>(Node<'a>);

impl Serialize for SerNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Node::Null => s.serialize_none(),
            Node::Bool(b) => s.serialize_bool(b),
            Node::U64(n) => s.serialize_u64(n),
            Node::I64(n) => s.serialize_i64(n),
            Node::Str(t) => s.serialize_str(t),
            Node::Display(d) => s.collect_str(d),
            Node::Time(t) => s.collect_str(&t),
            Node::Bytes(b) => match std::str::from_utf8(b) {
                Ok(t) => s.serialize_str(t),
                Err(_) => {
                    let mut m = s.serialize_map(Some(1))?;
                    m.serialize_entry("hex", &Hex(b))?;
                    m.end()
                }
            },
            Node::Text(b) if b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'\\') => {
                // printable ASCII without `\`: the text rule leaves it as it is
                s.serialize_str(std::str::from_utf8(b).unwrap_or_default())
            }
            Node::Text(b) => s.collect_str(&super::schema::Text(b)),
            Node::Seq(items) => SerSeq(items).serialize(s),
            Node::Map(m) => AsMap(&m).serialize(s),
        }
    }
}

struct SerSeq<'a>(Seq<'a>);

impl Serialize for SerSeq<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut err = None;
        self.0.items(|v| {
            if err.is_none() {
                if let Err(e) = seq.serialize_element(&SerNode(v)) {
                    err = Some(e);
                }
            }
        });
        match err {
            Some(e) => Err(e),
            None => seq.end(),
        }
    }
}

/// Lowercase hex of bytes, written without an intermediate string.
struct Hex<'a>(&'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

macro_rules! serialize_described {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            /// As the JSON writer writes it (see [`crate::output`]).
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                AsMap(self).serialize(s)
            }
        }
    )*};
}

serialize_described!(
    Event<'_>,
    ExecEvent<'_>,
    SocketEvent<'_>,
    PathRecord<'_>,
    Record<'_>,
    RecordBuf,
    EventBuf,
    Ecs<'_>,
    Ocsf<'_>,
    WithContext<'_>,
    EventContext<'_>
);
