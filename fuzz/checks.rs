//! The checks run by the fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the
//! corpus replay test (`tests/fuzz_corpus.rs`): one function per target, each
//! total on any input and panicking only when an invariant is broken.
//!
//! Included by both with `#[path]`, so it may only use `std` and the public API
//! of `auditstream`.

#![allow(dead_code)]

use std::borrow::Cow;

use auditstream::context::{ContextConfig, LabelRule, ProcessTracker};
use auditstream::decode::{Endian, SockAddr, SockAddrError};
use auditstream::event::{EventBuf, EventKind};
use auditstream::output::json::{self, write_event, JsonOptions};
use auditstream::output::schema::{text_to_bytes, Context, Ecs, Ocsf};
use auditstream::output::WithContext;
use auditstream::reassemble::ReassemblerConfig;
use auditstream::record::{decode_hex, decode_hex_into, Quote, NLMSG_HDRLEN};
use auditstream::source::capture::{CaptureEvents, CaptureReader};
use auditstream::source::log::LogEvents;
use auditstream::source::{Events, RecordInput};
use auditstream::tables::{field_kind, FieldKind};
use auditstream::{Error, ErrorKind, Field, Fields, Record, RecordType, Value};

/// How deep nested `msg='...'` bodies are walked.
const MAX_DEPTH: usize = 4;
/// How many datagrams of a capture are read.
const MAX_DATAGRAMS: usize = 4096;

// ---------------------------------------------------------------------------
// Entry points, one per fuzz target.

/// `parse_line`: `Record::parse_line` and everything a record offers.
pub fn parse_line(data: &[u8]) {
    let Ok(rec) = Record::parse_line(data) else {
        return;
    };
    assert_eq!(rec.raw(), data);
    check_record(&rec);
    // The body stops at the first 0x1D, which starts the enrichment.
    assert!(!rec.body().contains(&0x1d));
    if let Some(e) = rec.enrichment() {
        let at = offset(data, rec.body()) + rec.body().len();
        assert_eq!(data[at], 0x1d);
        assert_eq!(offset(data, e), at + 1);
    }

    // Display writes the line back; it parses to the same record when nothing
    // was lost (lossy UTF-8) or trimmed (a body ending in a line ending before
    // the 0x1D).
    let text = rec.to_string();
    let is_utf8 = |b: &[u8]| std::str::from_utf8(b).is_ok();
    let utf8 = is_utf8(rec.body())
        && rec.node().is_none_or(is_utf8)
        && rec.unrecognized_type().is_none_or(is_utf8);
    if utf8 && !ends_trimmed(rec.body()) {
        let again = Record::parse_line(text.as_bytes()).expect("Display output parses");
        assert_eq!(again, rec, "{text:?}");
    }

    // The same record as a netlink payload.
    if !ends_trimmed(rec.body()) {
        let mut payload = format!("audit({}): ", rec.id()).into_bytes();
        payload.extend_from_slice(rec.body());
        let nl = Record::parse_payload(rec.record_type(), &payload).expect("payload parses");
        assert_same_but_node(&rec, &nl);
    }
}

/// `parse_netlink`: `Record::parse_netlink` on the input as one datagram, and
/// `CaptureReader` on the input as a capture file.
pub fn parse_netlink(data: &[u8]) {
    netlink_datagram(data);
    capture(data);
}

/// `decode_value`: the first byte picks a record type, the rest is a body; every
/// field (and nested field) is tokenized without loss and decoded as the
/// reference rules say.
pub fn decode_value(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let rtype = match sel % 10 {
        0 => RecordType::SYSCALL,
        1 => RecordType::EXECVE,
        2 => RecordType::LOGIN,
        3 => RecordType::USER,
        4 => RecordType(1100), // USER_AUTH
        5 => RecordType::SOCKADDR,
        6 => RecordType::PATH,
        7 => RecordType(1400), // AVC
        8 => RecordType::PROCTITLE,
        _ => RecordType(u16::from(sel) * 37),
    };
    check_fields(body, rtype, 0);
    check_hex(body);
    if let Some(half) = body.get(..body.len() / 2 * 2) {
        check_hex(half);
    }
}

/// `sockaddr`: `SockAddr::from_hex` and `from_bytes`, both byte orders.
pub fn sockaddr(data: &[u8]) {
    for e in [Endian::Little, Endian::Big] {
        let from_bytes = SockAddr::from_bytes(data, e);
        check_sockaddr_bytes(data, e, &from_bytes);

        // The input as hex text.
        let from_hex = SockAddr::from_hex(data, e);
        let want = if data.len() > 2 * 128 {
            Err(SockAddrError::TooLong(data.len() / 2))
        } else {
            match ref_hex(data) {
                Some(b) => SockAddr::from_bytes(&b, e),
                None => Err(SockAddrError::NotHex),
            }
        };
        assert_eq!(from_hex, want);
        if let Ok(a) = from_hex {
            let _ = (a.to_string(), format!("{a:?}"));
        }

        // The hex of the input decodes like the input.
        let upper = hex(data, b"0123456789ABCDEF");
        let lower = hex(data, b"0123456789abcdef");
        assert_eq!(SockAddr::from_hex(&upper, e), from_bytes);
        assert_eq!(SockAddr::from_hex(&lower, e), from_bytes);
    }
}

/// `pipeline`: log bytes through the whole pipeline, with the default limits
/// and with tiny ones (so that eviction, cutting, the node table and the
/// missing-serial budget are exercised): every event builds, its JSON (both
/// byte-string modes) is valid with no duplicate key in any object, serde
/// gives the same value, and the owned copy describes the same.
pub fn pipeline(data: &[u8]) {
    for cfg in [ReassemblerConfig::default(), tiny_limits()] {
        let events = LogEvents::with_config([data], cfg);
        run_events(events, data.len());
    }
}

/// `capture_events`: capture bytes through the whole pipeline, as `pipeline`.
pub fn capture_events(data: &[u8]) {
    for cfg in [ReassemblerConfig::default(), tiny_limits()] {
        let events = CaptureEvents::with_config([data], cfg);
        run_events(events, data.len());
    }
}

fn tiny_limits() -> ReassemblerConfig {
    ReassemblerConfig {
        max_in_flight: 3,
        max_in_flight_bytes: 2048,
        max_event_records: 5,
        max_event_bytes: 1024,
        late_memory: 4,
        reorder_serials: 3,
        max_nodes: 2,
        max_missing_ranges: 3,
        ..ReassemblerConfig::default()
    }
}

/// An offline process tracker with small tables (so that eviction runs),
/// a label rule and script detection.
fn tracker() -> ProcessTracker {
    let mut cfg = ContextConfig::offline();
    cfg.max_processes = 8;
    cfg.max_bytes = 16 << 10;
    cfg.max_argv_bytes = 64;
    cfg.max_nodes = 2;
    cfg.ancestry_depth = 3;
    cfg.scripts = true;
    cfg.labels = vec![
        LabelRule::parse("l:exe:*a*").expect("a rule"),
        LabelRule::parse("k!:key:exec").expect("a rule"),
    ];
    ProcessTracker::new(cfg).expect("a valid configuration")
}

fn run_events<I: RecordInput>(mut events: Events<I>, input_len: usize) {
    let mut n = 0usize;
    let mut tracker = tracker();
    while let Some(ev) = events.next_event() {
        match ev {
            Ok(ev) => check_event(ev, &mut tracker),
            Err(Error::Parse { raw, source, .. }) => {
                assert!(raw.len() <= input_len);
                assert!(source.offset <= input_len.max(raw.len()));
            }
            Err(e) => panic!("unexpected error on a byte slice: {e}"),
        }
        n += 1;
        // every item of input gives at most a few events and errors
        assert!(n <= 4 * input_len + 16, "the stream does not end");
    }
    let st = events.stats().events;
    assert!(st.incomplete <= st.events);
    assert!(st.evicted + st.cut <= st.incomplete);
    assert!(events.bytes_read() <= input_len as u64);
}

fn check_event(ev: &EventBuf, tracker: &mut ProcessTracker) {
    let event = ev.event();
    assert_eq!(event.id, ev.id());
    assert_eq!(event.node.as_deref(), ev.node());
    if let EventKind::Other(r) = &event.kind {
        assert_eq!(r.len(), ev.len());
    }
    let mut json = Vec::new();
    write_event(&mut json, &event, JsonOptions::default());
    let value = valid_json(&json);
    let mut hex = Vec::new();
    write_event(&mut hex, &event, JsonOptions { hex_bytes: true });
    valid_json(&hex);
    let owned = event.clone().into_owned();
    let mut again = Vec::new();
    write_event(&mut again, &owned, JsonOptions::default());
    assert_eq!(again, json);
    serde_agrees(&event, &value);
    check_context(ev, &event, &json, tracker);
}

/// The event with its process context: valid JSON without duplicate keys,
/// the event's own JSON (`plain`) as its start, serde equal; the schema
/// views with it; the table within its limits.
fn check_context(
    ev: &EventBuf,
    event: &auditstream::event::Event<'_>,
    plain: &[u8],
    tracker: &mut ProcessTracker,
) {
    let ctx = tracker.observe(event, ev.records());
    let mut with = Vec::new();
    json::write(
        &mut with,
        &WithContext::new(event, ctx.as_ref()),
        JsonOptions::default(),
    );
    let value = valid_json(&with);
    assert_eq!(with[..plain.len() - 1], plain[..plain.len() - 1]);
    serde_agrees(&WithContext::new(event, ctx.as_ref()), &value);
    if let Some(c) = &ctx {
        assert!(c.ancestry.len() <= 3);
        if let Some(p) = &c.parent {
            let bytes: usize = p.argv.iter().map(|a| a.len()).sum();
            assert!(bytes <= 64);
        }
    }
    check_schemas(ev, event, ctx.as_ref());
    drop(ctx);
    assert!(tracker.stats().processes <= 8);
}

/// The ECS and OCSF views: valid JSON without duplicate keys, every string
/// in the text rule, no `{"hex": ...}`, serde equal to the JSON writer.
fn check_schemas(
    ev: &EventBuf,
    event: &auditstream::event::Event<'_>,
    process: Option<&auditstream::context::EventContext<'_>>,
) {
    let ctx = Context::default()
        .host(b"fuzz")
        .names_from(ev.records())
        .process(process);
    let mut ecs = Vec::new();
    json::write(&mut ecs, &Ecs::new(event, ctx), JsonOptions::default());
    let value = valid_json(&ecs);
    all_text(&value);
    serde_agrees(&Ecs::new(event, ctx), &value);
    let mut ocsf = Vec::new();
    json::write(&mut ocsf, &Ocsf::new(event, ctx), JsonOptions::default());
    let value = valid_json(&ocsf);
    all_text(&value);
    serde_agrees(&Ocsf::new(event, ctx), &value);
}

/// Every string of a schema document decodes by the text rule, and no byte
/// string became an object.
fn all_text(v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            assert!(text_to_bytes(s).is_some(), "not the text rule: {s:?}");
        }
        serde_json::Value::Array(a) => a.iter().for_each(all_text),
        serde_json::Value::Object(m) => {
            assert!(!(m.len() == 1 && m.contains_key("hex")), "a hex object");
            m.values().for_each(all_text);
        }
        _ => {}
    }
}

#[cfg(feature = "serde")]
fn serde_agrees<T: serde::Serialize>(x: &T, json: &serde_json::Value) {
    let v = serde_json::to_value(x).expect("serde serializes");
    assert_eq!(&v, json, "serde and the JSON writer differ");
}

#[cfg(not(feature = "serde"))]
fn serde_agrees<T>(_: &T, _: &serde_json::Value) {}

/// Parses JSON text, failing on invalid JSON and on an object with a key
/// twice (which `serde_json::Value` would silently merge).
fn valid_json(text: &[u8]) -> serde_json::Value {
    let mut de = serde_json::Deserializer::from_slice(text);
    serde::de::Deserializer::deserialize_any(&mut de, NoDuplicateKeys)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(text)));
    de.end().expect("nothing after the JSON value");
    serde_json::from_slice(text).expect("valid JSON")
}

struct NoDuplicateKeys;

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        while a.next_element_seed(AnyValue)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(k) = a.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
            }
            a.next_value_seed(AnyValue)?;
        }
        Ok(())
    }
}

struct AnyValue;

impl<'de> serde::de::DeserializeSeed<'de> for AnyValue {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

/// `rules`: auditctl rule text, and the same bytes as a kernel
/// `audit_rule_data`: parsing never panics; a rule that parses prints as text
/// that parses to the same rule, and one that validates encodes to rule data
/// that decodes to the same rule.
#[cfg(all(feature = "netlink", target_os = "linux"))]
pub fn rules(data: &[u8]) {
    use auditstream::source::netlink::Rule;
    if let Ok(text) = std::str::from_utf8(data) {
        match Rule::parse(text) {
            Ok(rule) => {
                let printed = rule.to_string();
                let again = Rule::parse(&printed)
                    .unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"));
                assert_eq!(again, rule, "{printed:?}");
                if rule.validate().is_ok() {
                    let d = rule.to_rule_data().expect("a valid rule encodes");
                    let back = Rule::from_rule_data(&d).expect("its data decodes");
                    assert_eq!(back, rule, "{printed:?}");
                }
            }
            Err(e) => {
                if let Some(p) = e.position {
                    assert!(p <= text.len());
                }
                let _ = e.to_string();
            }
        }
    }
    if let Ok(rule) = Rule::from_rule_data(data) {
        let _ = rule.to_string();
        if let Ok(d) = rule.to_rule_data() {
            assert_eq!(
                Rule::from_rule_data(&d).expect("re-encoded data decodes"),
                rule
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Records.

fn netlink_datagram(data: &[u8]) {
    let rec = match Record::parse_netlink(data) {
        Ok(r) => r,
        Err(e) => {
            if data.len() < NLMSG_HDRLEN {
                assert_eq!(e.kind, ErrorKind::ShortDatagram);
            }
            assert!(e.offset <= data.len());
            return;
        }
    };
    assert_eq!(rec.raw(), data);
    let t = u16::from_ne_bytes([data[4], data[5]]);
    assert_eq!(rec.record_type(), RecordType(t));
    assert!(auditstream::record::is_record_type(rec.record_type()));
    assert_eq!(rec.node(), None);
    assert_eq!(rec.enrichment(), None);
    assert!(!ends_trimmed(rec.body()));
    check_record(&rec);

    // nlmsg_len is not trusted: the payload alone parses the same.
    let p = Record::parse_payload(rec.record_type(), &data[NLMSG_HDRLEN..]).unwrap();
    assert_eq!(p, rec);

    // The same record as a log line (auditd writes `type=NAME msg=PAYLOAD`),
    // unless the body holds the enrichment separator.
    if !rec.body().contains(&0x1d) {
        let mut line = format!("type={} msg=audit({}): ", rec.record_type(), rec.id()).into_bytes();
        line.extend_from_slice(rec.body());
        line.push(b'\n');
        let l = Record::parse_line(&line).expect("log form parses");
        assert_eq!(l, rec, "{:?}", String::from_utf8_lossy(&line));
    }
}

fn capture(data: &[u8]) {
    let mut r = CaptureReader::new(data);
    let mut n = 0u64;
    let mut bytes = 0u64;
    for _ in 0..MAX_DATAGRAMS {
        match r.next_datagram() {
            Ok(Some(d)) => {
                n += 1;
                bytes += 4 + d.len() as u64;
                if let Ok(rec) = Record::parse_netlink(d) {
                    check_record(&rec);
                }
            }
            Ok(None) => {
                assert_eq!(bytes, data.len() as u64);
                break;
            }
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
                break;
            }
        }
        assert_eq!(r.count(), n);
        assert_eq!(r.bytes_read(), bytes);
    }
}

/// What every parsed record must satisfy.
fn check_record(rec: &Record<'_>) {
    let raw = rec.raw();
    assert!(within(raw, rec.body()));
    if let Some(n) = rec.node() {
        assert!(within(raw, n));
        assert!(!n.is_empty() && !n.contains(&b' '));
    }
    if let Some(e) = rec.enrichment() {
        assert!(within(raw, e));
    }
    check_fields(rec.body(), rec.record_type(), 0);
    check_fields(rec.enrichment().unwrap_or_default(), rec.record_type(), 0);
    assert_eq!(
        rec.enriched_fields().count(),
        Fields::new(rec.enrichment().unwrap_or_default(), rec.record_type()).count()
    );
    if let Some(first) = rec.fields().next() {
        let got = rec.get(first.key()).unwrap();
        assert_eq!(got, first);
    }
    assert!(rec.id().time.msec <= 999);

    let owned = rec.to_owned_record();
    let back = owned.as_record();
    assert_eq!(&back, rec);
    assert_eq!(back.raw(), raw);
    assert_eq!(back.node(), rec.node());
    assert_eq!(back.enrichment(), rec.enrichment());
    assert_eq!(owned, auditstream::RecordBuf::from(*rec));

    let text = rec.to_string();
    let _ = format!("{rec:?} {owned:?}");
    let name = match rec.unrecognized_type() {
        Some(n) => String::from_utf8_lossy(n).into_owned(),
        None => rec.record_type().to_string(),
    };
    let head = format!("type={name} msg=audit({}): ", rec.id());
    assert!(text.contains(&head), "{text:?}");
}

fn assert_same_but_node(a: &Record<'_>, b: &Record<'_>) {
    assert_eq!(a.record_type(), b.record_type());
    assert_eq!(a.id(), b.id());
    assert_eq!(a.body(), b.body());
    // A datagram carries the type as a number only: a type name the crate
    // does not know (kept by the log form) has no netlink spelling.
    assert_eq!(b.unrecognized_type(), None);
    if a.node().is_none() && b.node().is_none() && a.unrecognized_type().is_none() {
        assert_eq!(a, b);
    }
}

// ---------------------------------------------------------------------------
// Fields and values.

/// Tokenizes `body` and checks each field: nothing is lost, every value
/// decodes by the reference rules.
fn check_fields(body: &[u8], rtype: RecordType, depth: usize) {
    let mut it = Fields::new(body, rtype);
    let mut pos = 0;
    while let Some(f) = it.next() {
        let end = body.len() - it.remainder().len();
        assert!(end > pos, "no progress");
        assert_eq!(offset(body, it.remainder()), end);
        check_span(body, pos, end, &f, rtype);
        check_field(&f, depth);
        pos = end;
    }
    assert!(
        body[pos..].iter().all(|&c| c == b' '),
        "bytes lost at the end"
    );
    assert!(it.remainder().is_empty());
}

/// `body[pos..end]` is spaces, then the field exactly as written.
fn check_span(body: &[u8], pos: usize, end: usize, f: &Field<'_>, rtype: RecordType) {
    let seg = &body[pos..end];
    let lead = seg.iter().take_while(|&&c| c == b' ').count();
    assert!(lead < seg.len(), "a field of spaces only");
    let start = pos + lead;
    let seg = &body[start..end];
    assert!(within(seg, f.raw()), "raw not borrowed from its place");
    let raw_at = offset(body, f.raw());
    let key = f.key();
    let opening = if key.is_empty() {
        // A word without `=` (`avc:`), or `=value`.
        &body[start..raw_at]
    } else if within(seg, key) {
        assert_eq!(offset(body, key), start);
        &body[start + key.len()..raw_at]
    } else {
        // The old LOGIN form `old auid=`: the key is not in the text.
        assert_eq!(rtype, RecordType::LOGIN);
        assert!(seg.starts_with(b"old ") || seg.starts_with(b"new "));
        let want: &[u8] = match (&seg[..3], &seg[4..7]) {
            (b"old", b"aui") => b"old-auid",
            (b"new", b"aui") => b"auid",
            (b"old", b"ses") => b"old-ses",
            _ => b"ses",
        };
        assert_eq!(key, want);
        let eq = seg.iter().position(|&c| c == b'=').unwrap();
        &body[start + eq..raw_at]
    };
    let open_ok: &[&[u8]] = match f.quote() {
        Quote::None | Quote::Brace => &[b"", b"="],
        Quote::Double => &[b"=\""],
        Quote::Single => &[b"='"],
    };
    assert!(open_ok.contains(&opening), "opening {opening:?}");
    if opening.is_empty() {
        assert!(key.is_empty());
    }
    let closing = &body[raw_at + f.raw().len()..end];
    match f.quote() {
        Quote::None | Quote::Brace => assert!(closing.is_empty()),
        Quote::Double => assert!(closing == b"\"" || (closing.is_empty() && end == body.len())),
        Quote::Single => assert!(closing == b"'" || (closing.is_empty() && end == body.len())),
    }
    match f.quote() {
        Quote::None => assert!(!f.raw().contains(&b' ')),
        Quote::Double => assert!(!f.raw().contains(&b'"')),
        Quote::Brace => assert_eq!(f.raw().first(), Some(&b'{')),
        Quote::Single => {}
    }
}

/// One field's value, numbers and keys against reference rules.
fn check_field(f: &Field<'_>, depth: usize) {
    let raw = f.raw();
    let encoded = (f.record_type() == RecordType::EXECVE && ref_is_execve_arg(f.key()))
        || field_kind(f.key()) == FieldKind::Encoded;
    assert_eq!(f.is_encoded(), encoded);

    let v = f.value();
    match f.quote() {
        Quote::Double | Quote::Brace => match &v {
            Value::Bytes(Cow::Borrowed(b)) => assert!(std::ptr::eq(*b, raw)),
            other => panic!("quoted value {other:?}"),
        },
        Quote::Single => match &v {
            Value::Nested(n) => {
                assert_eq!(n.remainder(), raw);
                if depth < MAX_DEPTH {
                    check_fields(raw, f.record_type(), depth + 1);
                }
            }
            other => panic!("single-quoted value {other:?}"),
        },
        Quote::None => {
            let kind = field_kind(f.key());
            let want = match raw {
                b"(null)" => Value::Null,
                b"?" => Value::Unknown,
                _ if encoded => Value::Bytes(match ref_hex(raw) {
                    Some(b) => Cow::Owned(b),
                    None => Cow::Borrowed(raw),
                }),
                b"4294967295" | b"-1"
                    if matches!(kind, FieldKind::Uid | FieldKind::Gid | FieldKind::Session) =>
                {
                    Value::Unset
                }
                _ => Value::Bytes(Cow::Borrowed(raw)),
            };
            assert_eq!(v, want, "{:?}={:?}", f.key(), raw);
        }
    }
    assert_eq!(f.nested().is_some(), f.quote() == Quote::Single);

    // Numbers.
    assert_eq!(f.as_u64(), ref_u64(raw));
    assert_eq!(f.as_i64(), ref_i64(raw));
    assert_eq!(f.as_hex(), ref_hex_u64(raw));
    let id = match raw {
        b"4294967295" | b"-1" => Some(None),
        _ => ref_u64(raw).and_then(|n| u32::try_from(n).ok()).map(Some),
    };
    assert_eq!(f.as_id(), id);

    // Keys: split on 0x01, joined back they are the bytes.
    let keys: Vec<Cow<'_, [u8]>> = f.keys().collect();
    match f.bytes() {
        Some(b) => {
            assert_eq!(keys.len(), b.iter().filter(|&&c| c == 1).count() + 1);
            assert_eq!(keys.join(&1u8), b.into_owned());
        }
        None => assert!(keys.is_empty()),
    }
}

fn check_hex(s: &[u8]) {
    let got = decode_hex(s);
    assert_eq!(got, ref_hex(s));
    let mut out = b"prefix".to_vec();
    let ok = decode_hex_into(s, &mut out);
    assert_eq!(ok, got.is_some());
    let mut want = b"prefix".to_vec();
    want.extend_from_slice(&got.unwrap_or_default());
    assert_eq!(out, want);
}

// ---------------------------------------------------------------------------
// Socket addresses.

fn check_sockaddr_bytes(b: &[u8], e: Endian, got: &Result<SockAddr, SockAddrError>) {
    let a = match got {
        Err(err) => {
            let want = if b.len() > 128 {
                SockAddrError::TooLong(b.len())
            } else {
                SockAddrError::Short(b.len())
            };
            assert_eq!(*err, want);
            assert!(b.len() < 2 || b.len() > 128);
            return;
        }
        Ok(a) => *a,
    };
    assert!((2..=128).contains(&b.len()));
    let u16h = |x: &[u8]| match e {
        Endian::Little => u16::from_le_bytes([x[0], x[1]]),
        Endian::Big => u16::from_be_bytes([x[0], x[1]]),
    };
    let u32h = |x: &[u8]| {
        let a = [x[0], x[1], x[2], x[3]];
        match e {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    };
    let fam = u16h(b);
    assert_eq!(a.family(), fam);
    let _ = (a.to_string(), format!("{a:?}"), a.family_name());
    match a {
        SockAddr::Unix(u) => {
            assert_eq!(fam, 1);
            let rest = &b[2..];
            if rest.is_empty() {
                assert!(u.is_unnamed());
            } else if rest[0] == 0 {
                assert_eq!(u.abstract_name(), Some(&rest[1..]));
                let mut d = vec![b'@'];
                d.extend_from_slice(&rest[1..]);
                assert_eq!(u.display_bytes(), d);
            } else {
                let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
                assert_eq!(u.path(), Some(&rest[..end]));
                assert_eq!(u.display_bytes(), &rest[..end]);
            }
        }
        SockAddr::Inet(s) => {
            assert_eq!(fam, 2);
            assert_eq!(s.port(), u16::from_be_bytes([b[2], b[3]]));
            assert_eq!(s.ip().octets(), [b[4], b[5], b[6], b[7]]);
            assert_eq!(a.port(), Some(s.port()));
        }
        SockAddr::Inet6(s) => {
            assert_eq!(fam, 10);
            assert!(b.len() >= 24);
            assert_eq!(s.port(), u16::from_be_bytes([b[2], b[3]]));
            assert_eq!(s.ip().octets()[..], b[8..24]);
            let scope = if b.len() >= 28 { u32h(&b[24..28]) } else { 0 };
            assert_eq!(s.scope_id(), scope);
        }
        SockAddr::Netlink { pid, groups } => {
            assert_eq!(fam, 16);
            assert_eq!((pid, groups), (u32h(&b[4..8]), u32h(&b[8..12])));
        }
        SockAddr::Other { family, data } => {
            assert_eq!(family, fam);
            assert_eq!(data.as_bytes(), &b[2..]);
            let short = match fam {
                2 => b.len() < 8,
                10 => b.len() < 24,
                16 => b.len() < 12,
                1 => false,
                _ => true,
            };
            assert!(short, "known family {fam} kept as Other");
        }
    }
}

// ---------------------------------------------------------------------------
// References: slow and obvious.

fn ref_hex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks(2)
        .map(|p| Some(digit(p[0])? * 16 + digit(p[1])?))
        .collect()
}

fn ref_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn ref_i64(s: &[u8]) -> Option<i64> {
    match s.strip_prefix(b"-") {
        Some(d) => {
            let n = i128::from(ref_u64(d)?);
            i64::try_from(-n).ok()
        }
        None => i64::try_from(ref_u64(s)?).ok(),
    }
}

fn ref_hex_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 || !s.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
}

/// `a` DIGITS, optionally `[` DIGITS `]`.
fn ref_is_execve_arg(k: &[u8]) -> bool {
    let s = String::from_utf8_lossy(k);
    let Some(rest) = s.strip_prefix('a') else {
        return false;
    };
    let (num, idx) = match rest.find('[') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    digits(num)
        && match idx {
            None => true,
            Some(i) => i
                .strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .is_some_and(digits),
        }
}

fn hex(b: &[u8], digits: &[u8; 16]) -> Vec<u8> {
    b.iter()
        .flat_map(|&c| [digits[usize::from(c >> 4)], digits[usize::from(c & 15)]])
        .collect()
}

/// Whether the slice ends with a byte the parsers trim from a line's end.
fn ends_trimmed(s: &[u8]) -> bool {
    matches!(s.last(), Some(b'\n' | b'\r' | 0))
}

fn offset(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// Whether `part` lies inside `whole` (pointer-wise).
fn within(whole: &[u8], part: &[u8]) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}
