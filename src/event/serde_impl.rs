//! `serde::Serialize` for events and records (feature `serde`), in the shape of
//! the JSON lines of [`crate::json`]: byte strings that are UTF-8 as strings,
//! others as `{"hex": "..."}` (hex with serializers that are not human
//! readable too). `tests/serde.rs` checks both writers agree on every event of
//! the real captures.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{Event, EventBuf, ExecEvent, PathRecord, SocketEvent, Syscall};
use crate::decode::Endpoint;
use crate::json::{Entries, EntryValue};
use crate::record::{EventId, Fields, Record};

/// A byte string: a string if UTF-8, else `{"hex": "..."}`.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(t) => s.serialize_str(t),
            Err(_) => {
                let mut m = s.serialize_map(Some(1))?;
                let mut hex = Vec::with_capacity(self.0.len() * 2);
                crate::json::hex_into(&mut hex, self.0);
                let hex = String::from_utf8(hex).expect("hex digits are ASCII");
                m.serialize_entry("hex", &hex)?;
                m.end()
            }
        }
    }
}

struct OptBytes<'a>(Option<&'a [u8]>);

impl Serialize for OptBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(b) => Bytes(b).serialize(s),
            None => s.serialize_none(),
        }
    }
}

struct List<'a, 'b>(&'a [Cow<'b, [u8]>]);

impl Serialize for List<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&Bytes(b))?;
        }
        seq.end()
    }
}

fn header<M: SerializeMap>(m: &mut M, node: Option<&[u8]>, id: EventId) -> Result<(), M::Error> {
    m.serialize_entry("node", &OptBytes(node))?;
    m.serialize_entry("time", &id.time.to_string())?;
    m.serialize_entry("serial", &id.serial)
}

fn syscall<M: SerializeMap>(m: &mut M, s: &Syscall<'_>) -> Result<(), M::Error> {
    match s.arch {
        Some(a) => match a.name() {
            Some(n) => m.serialize_entry("arch", n)?,
            None => m.serialize_entry("arch", &format!("{:x}", a.0))?,
        },
        None => m.serialize_entry("arch", &None::<&str>)?,
    }
    match (s.name(), s.syscall) {
        (Some(n), _) => m.serialize_entry("syscall", n)?,
        (None, n) => m.serialize_entry("syscall", &n)?,
    }
    m.serialize_entry("success", &s.success)?;
    m.serialize_entry("exit", &s.exit)?;
    m.serialize_entry("errno", &s.errno())?;
    for (k, v) in [
        ("pid", s.pid),
        ("ppid", s.ppid),
        ("uid", s.uid),
        ("gid", s.gid),
        ("euid", s.euid),
        ("egid", s.egid),
        ("suid", s.suid),
        ("sgid", s.sgid),
        ("fsuid", s.fsuid),
        ("fsgid", s.fsgid),
        ("auid", s.auid),
        ("ses", s.ses),
    ] {
        m.serialize_entry(k, &v)?;
    }
    m.serialize_entry("tty", &OptBytes(s.tty.as_deref()))?;
    m.serialize_entry("comm", &OptBytes(s.comm.as_deref()))?;
    m.serialize_entry("exe", &OptBytes(s.exe.as_deref()))?;
    m.serialize_entry("key", &List(&s.keys))
}

impl Serialize for PathRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("item", &self.item)?;
        m.serialize_entry("name", &OptBytes(self.name.as_deref()))?;
        m.serialize_entry("inode", &self.inode)?;
        m.serialize_entry("dev", &OptBytes(self.dev.as_deref()))?;
        m.serialize_entry("mode", &self.mode.map(|v| format!("{v:o}")))?;
        m.serialize_entry("ouid", &self.ouid)?;
        m.serialize_entry("ogid", &self.ogid)?;
        m.serialize_entry("nametype", &OptBytes(self.nametype.as_deref()))?;
        m.end()
    }
}

fn exec<M: SerializeMap>(m: &mut M, e: &ExecEvent<'_>) -> Result<(), M::Error> {
    syscall(m, &e.syscall)?;
    m.serialize_entry("argc", &e.argc)?;
    m.serialize_entry("argv", &List(&e.argv))?;
    if !e.argv_complete {
        m.serialize_entry("argv_complete", &false)?;
    }
    m.serialize_entry("cwd", &OptBytes(e.cwd.as_deref()))?;
    m.serialize_entry("proctitle", &List(&e.proctitle))?;
    m.serialize_entry("paths", &e.paths)
}

fn socket<M: SerializeMap>(m: &mut M, e: &SocketEvent<'_>) -> Result<(), M::Error> {
    syscall(m, &e.syscall)?;
    m.serialize_entry("op", e.op.name())?;
    let mut ep = Endpoint::default();
    match &e.addr {
        Some(Ok(a)) => {
            match a.family_name() {
                Some(n) => m.serialize_entry("family", n)?,
                None => m.serialize_entry("family", &a.family())?,
            }
            ep = a.endpoint();
        }
        _ => m.serialize_entry("family", &None::<&str>)?,
    }
    m.serialize_entry("addr", &ep.addr)?;
    m.serialize_entry("port", &ep.port)?;
    m.serialize_entry("path", &OptBytes(ep.path.as_deref()))?;
    if let Some(Err(err)) = &e.addr {
        m.serialize_entry("addr_error", &err.to_string())?;
    }
    Ok(())
}

struct FieldsMap<'a>(Fields<'a>);

impl Serialize for FieldsMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let mut entries = Entries::new(self.0.clone());
        for e in &mut entries {
            let key = String::from_utf8_lossy(e.key);
            let key = if e.nth > 1 {
                format!("{key}@{}", e.nth)
            } else {
                key.into_owned()
            };
            match e.value {
                EntryValue::Bytes(b) => m.serialize_entry(&key, &Bytes(&b))?,
                EntryValue::Null => m.serialize_entry(&key, &None::<&str>)?,
                EntryValue::Keys(keys) => {
                    let keys: Vec<_> = keys.collect();
                    m.serialize_entry(&key, &List(&keys))?
                }
                EntryValue::Nested(n) => m.serialize_entry(&key, &FieldsMap(n))?,
            }
        }
        if !entries.tokens().is_empty() {
            let t: Vec<Bytes> = entries.tokens().iter().map(|t| Bytes(t)).collect();
            m.serialize_entry("_tokens", &t)?;
        }
        m.end()
    }
}

impl Serialize for Record<'_> {
    /// `type`, `node`, `time`, `serial`, `fields` (and `enriched` for
    /// ENRICHED lines), as `audit2json --records` writes it.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", &self.record_type().to_string())?;
        header(&mut m, self.node(), self.id())?;
        m.serialize_entry("fields", &FieldsMap(self.fields()))?;
        if self.enrichment().is_some() {
            m.serialize_entry("enriched", &FieldsMap(self.enriched_fields()))?;
        }
        m.end()
    }
}

impl Serialize for EventBuf {
    /// The event as `audit2json` writes it.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let event = self.event();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", event.kind())?;
        header(&mut m, self.node(), self.id())?;
        if self.flags().incomplete {
            m.serialize_entry("incomplete", &true)?;
        }
        if self.flags().late {
            m.serialize_entry("late", &true)?;
        }
        match &event {
            Event::Exec(e) => exec(&mut m, e)?,
            Event::Socket(e) => socket(&mut m, e)?,
            Event::Other(records) => m.serialize_entry("records", records)?,
            Event::Lost(l) => {
                m.serialize_entry("source", l.source.name())?;
                m.serialize_entry("count", &l.count)?;
            }
        }
        m.end()
    }
}
