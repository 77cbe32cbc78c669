//! The ECS and OCSF views (`auditstream::output::schema`) against the
//! published schema definitions checked in under testdata/schemas/ (see its
//! SOURCES.md): every event of the real captures validates; golden files of
//! real events in both schemas; exec and socket events carry every field
//! they can, exactly; hostile bytes give valid JSON and round-trip by the
//! documented text rule.
//!
//! `BLESS=1 cargo test --test schemas` rewrites the golden files
//! (testdata/golden/*.ecs.json, *.ocsf.json); review the diff.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::BufReader;
use std::net::IpAddr;
use std::path::Path;

use auditstream::event::{EventBuf, EventKind, SocketOp, Syscall};
use auditstream::output::json::{self, JsonOptions};
use auditstream::output::schema::{
    text_to_bytes, Context, Ecs, Ocsf, Text, ECS_VERSION, OCSF_VERSION,
};
use auditstream::source::capture::CaptureEvents;
use auditstream::source::log::LogEvents;
use auditstream::{decode::SockAddr, RecordType};
use serde_json::Value;

mod common;

/// The host the captures' events (no `node=`) are attributed to.
const HOST: &[u8] = b"capture-host";

fn data(rel: &str) -> String {
    format!("{}/testdata/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Every event of the four real captures (RAW and ENRICHED, log and netlink).
fn corpus() -> Vec<(&'static str, Vec<EventBuf>)> {
    let log = |name| {
        let f = BufReader::new(File::open(data(name)).unwrap());
        LogEvents::new(f).map(|e| e.unwrap()).collect()
    };
    let cap = |name| {
        let f = BufReader::new(File::open(data(name)).unwrap());
        CaptureEvents::new(f).map(|e| e.unwrap()).collect()
    };
    vec![
        ("audit-raw.log", log("audit-raw.log")),
        ("audit-enriched.log", log("audit-enriched.log")),
        ("audit-raw.netlink.bin", cap("audit-raw.netlink.bin")),
        (
            "audit-enriched.netlink.bin",
            cap("audit-enriched.netlink.bin"),
        ),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Schema {
    Ecs,
    Ocsf,
}

fn ctx(ev: &EventBuf) -> Context<'_> {
    Context::default().host(HOST).names_from(ev.records())
}

/// The view's JSON line as the JSON writer writes it.
fn render(ev: &EventBuf, schema: Schema) -> Vec<u8> {
    let event = ev.event();
    let mut out = Vec::new();
    match schema {
        Schema::Ecs => json::write(&mut out, &Ecs::new(&event, ctx(ev)), JsonOptions::default()),
        Schema::Ocsf => json::write(
            &mut out,
            &Ocsf::new(&event, ctx(ev)),
            JsonOptions::default(),
        ),
    }
    out
}

fn parse(line: &[u8]) -> Value {
    serde_json::from_slice(line)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(line)))
}

/// The value at a dotted path of nested objects.
fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn text(b: &[u8]) -> Value {
    Value::String(Text(b).to_string())
}

fn rows(file: &str) -> Vec<Vec<String>> {
    fs::read_to_string(data(file))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

// ---- the definitions --------------------------------------------------------

#[test]
fn schema_sources_are_dated() {
    // The versions the views follow and the files they are checked against,
    // taken 2026-12-05 (testdata/schemas/SOURCES.md).
    assert_eq!(ECS_VERSION, "8.17.0");
    assert_eq!(OCSF_VERSION, "1.8.0");
    let sources = fs::read_to_string(data("schemas/SOURCES.md")).unwrap();
    for fact in [
        "Taken 2026-12-05.",
        "`v8.17.0` = `e3103a213a4e84cbcd3ef36da7001483ddc60230` (2025-01-29)",
        "`1.8.0` = `6fa6499a0f8c9f449d342816e90e5f687c224b0a` (2026-03-18)",
        "`0268ead7d9fcf6a4a52af876e75da7ad1a530718`",
        "`057ae5676f6187643c18b7f7e6e008cde7053b18`",
    ] {
        assert!(sources.contains(fact), "SOURCES.md lacks {fact:?}");
    }
    let tables = fs::read_to_string(format!(
        "{}/tools/gen-tables/data/SOURCES.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(tables.contains("`bc9ea4581bf8fad62760036e6aa90aaacbbfd0e8` (2025-05-16"));
    assert!(tables.contains("Taken 2026-12-05."));
    let ocsf = fs::read_to_string(data("schemas/ocsf-1.8.0.tsv")).unwrap();
    assert!(ocsf.starts_with("# OCSF 1.8.0:"));
    let ecs = fs::read_to_string(data("schemas/ecs-8.17.0-fields.csv")).unwrap();
    assert!(ecs.starts_with("Field,Type,Level,Normalization\n"));
    assert!(ecs.lines().count() > 1700);
}

/// ECS fields: name -> (type, holds an array).
struct EcsDefs {
    fields: HashMap<String, (String, bool)>,
    allowed: HashMap<String, HashSet<String>>,
    /// event.category -> its expected event.type values.
    expected: HashMap<String, HashSet<String>>,
}

/// auditstream's own fields under `auditd.*`, beside Auditbeat's: event
/// flags, loss, a sockaddr that does not decode, the records of other
/// events (their native description, byte strings as text), and the process
/// context's ancestry and systemd unit. (name, type, array)
const OWN_ECS_FIELDS: &[(&str, &str, bool)] = &[
    ("auditd.incomplete", "boolean", false),
    ("auditd.late", "boolean", false),
    ("auditd.argv_complete", "boolean", false),
    ("auditd.lost.source", "keyword", false),
    ("auditd.lost.count", "long", false),
    ("auditd.data.socket.error", "keyword", false),
    ("auditd.records", "object", false),
    ("auditd.ancestry", "keyword", true),
    ("auditd.unit", "keyword", false),
];

fn ecs_defs() -> EcsDefs {
    let csv = fs::read_to_string(data("schemas/ecs-8.17.0-fields.csv")).unwrap();
    let mut fields = HashMap::new();
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        assert_eq!(c.len(), 4, "{line}");
        fields.insert(c[0].to_string(), (c[1].to_string(), c[3] == "array"));
    }
    for r in rows("schemas/auditbeat-fields.tsv") {
        let old = fields.insert(r[0].clone(), (r[1].clone(), false));
        assert!(old.is_none(), "Auditbeat redefines ECS field {}", r[0]);
    }
    for (name, ty, array) in OWN_ECS_FIELDS {
        let old = fields.insert(name.to_string(), (ty.to_string(), *array));
        assert!(old.is_none(), "{name} is defined already");
    }
    let mut allowed: HashMap<String, HashSet<String>> = HashMap::new();
    let mut expected = HashMap::new();
    for r in rows("schemas/ecs-8.17.0-allowed-values.tsv") {
        allowed
            .entry(r[0].clone())
            .or_default()
            .insert(r[1].clone());
        if r[0] == "event.category" {
            let types = r[2].split(',').filter(|s| !s.is_empty());
            expected.insert(r[1].clone(), types.map(str::to_string).collect());
        }
    }
    EcsDefs {
        fields,
        allowed,
        expected,
    }
}

/// Leaves of a document: (dotted path, value); arrays of objects are walked
/// into, arrays of scalars are leaves.
fn leaves<'v>(prefix: &str, v: &'v Value, out: &mut Vec<(String, &'v Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&path, x, out);
            }
        }
        Value::Array(a) if a.iter().any(Value::is_object) => {
            a.iter().for_each(|x| leaves(prefix, x, out));
        }
        _ => out.push((prefix.to_string(), v)),
    }
}

fn is_iso_ms(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    n >= 24
        && s.ends_with('Z')
        && b[n - 5] == b'.'
        && b[n - 8] == b':'
        && b[n - 11] == b':'
        && b[n - 14] == b'T'
        && b[n - 17] == b'-'
        && b[n - 20] == b'-'
        && b.iter().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || [n - 1, n - 5, n - 8, n - 11, n - 14, n - 17, n - 20].contains(&i)
        })
}

fn ecs_type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "keyword" | "wildcard" | "match_only_text" | "text" | "constant_keyword" => v.is_string(),
        "long" | "integer" | "short" | "byte" | "unsigned_long" => v.is_i64() || v.is_u64(),
        "float" | "double" | "half_float" | "scaled_float" => v.is_number(),
        "boolean" => v.is_boolean(),
        "date" => v.as_str().is_some_and(is_iso_ms),
        "ip" => v.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
        "object" | "flattened" | "nested" => v.is_object(),
        _ => false,
    }
}

/// Problems of one ECS document.
fn check_ecs(defs: &EcsDefs, doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let mut ls = Vec::new();
    leaves("", doc, &mut ls);
    for (path, v) in &ls {
        if path == "auditd.records" || path.starts_with("auditd.records.") {
            // free-form (the native description of the records), but byte
            // strings are text, never {"hex": ...}
            if has_hex_object(v) || path.ends_with(".hex") {
                errs.push(format!("{path}: {v}"));
            }
            continue;
        }
        let Some((ty, array)) = defs.fields.get(path.as_str()) else {
            errs.push(format!("{path}: not an ECS 8.17.0 or Auditbeat field"));
            continue;
        };
        match v {
            Value::Array(items) if *array => {
                if let Some(bad) = items.iter().find(|x| !ecs_type_ok(ty, x)) {
                    errs.push(format!("{path}: {bad} is not {ty}"));
                }
            }
            Value::Array(_) => errs.push(format!("{path}: an array, but not one by ECS")),
            _ if *array => errs.push(format!("{path}: {v} should be an array")),
            _ if !ecs_type_ok(ty, v) => errs.push(format!("{path}: {v} is not {ty}")),
            _ => {}
        }
    }
    for (field, _) in &ls {
        if let Some(allowed) = defs.allowed.get(field.as_str()) {
            let v = get(doc, field).unwrap();
            let values: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for x in values {
                if !x.as_str().is_some_and(|s| allowed.contains(s)) {
                    errs.push(format!("{field}: {x} is not an allowed value"));
                }
            }
        }
    }
    let cats: Vec<&str> = get(doc, "event.category")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !cats.is_empty() {
        for t in get(doc, "event.type")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let t = t.as_str().unwrap_or_default();
            if !cats
                .iter()
                .any(|c| defs.expected.get(*c).is_some_and(|e| e.contains(t)))
            {
                errs.push(format!("event.type {t} is expected by none of {cats:?}"));
            }
        }
    }
    if get(doc, "ecs.version") != Some(&Value::from(ECS_VERSION)) {
        errs.push("ecs.version".into());
    }
    errs
}

#[derive(Debug)]
struct Attr {
    ty: String,
    array: bool,
    required: bool,
    profile: Option<String>,
    sibling: Option<String>,
    /// id -> caption
    values: Option<BTreeMap<String, String>>,
}

#[derive(Default, Debug)]
struct Owner {
    attrs: HashMap<String, Attr>,
    at_least_one: Vec<Vec<String>>,
    just_one: Vec<Vec<String>>,
}

struct OcsfDefs {
    /// "class:1007", "object:process" -> definition
    owners: HashMap<String, Owner>,
    /// type -> (base type, range)
    types: HashMap<String, (String, Option<(i64, i64)>)>,
}

fn ocsf_defs() -> OcsfDefs {
    let mut owners: HashMap<String, Owner> = HashMap::new();
    let mut types = HashMap::new();
    for r in rows("schemas/ocsf-1.8.0.tsv") {
        match r[0].as_str() {
            "attr" => {
                let values = (r[8] != "-").then(|| {
                    r[8].split('|')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap();
                            (k.to_string(), v.to_string())
                        })
                        .collect()
                });
                let attr = Attr {
                    ty: r[3].clone(),
                    array: r[4] == "1",
                    required: r[5] == "required",
                    profile: (r[6] != "-").then(|| r[6].clone()),
                    sibling: (r[7] != "-").then(|| r[7].clone()),
                    values,
                };
                owners
                    .entry(r[1].clone())
                    .or_default()
                    .attrs
                    .insert(r[2].clone(), attr);
            }
            "constraint" => {
                let list = r[3].split(',').map(str::to_string).collect();
                let o = owners.entry(r[1].clone()).or_default();
                match r[2].as_str() {
                    "at_least_one" => o.at_least_one.push(list),
                    "just_one" => o.just_one.push(list),
                    other => panic!("constraint {other}"),
                }
            }
            "type" => {
                let range = r[3]
                    .split_once("..")
                    .map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap()));
                types.insert(r[1].clone(), (r[2].clone(), range));
            }
            "class" | "object" => {}
            other => panic!("row {other}"),
        }
    }
    OcsfDefs { owners, types }
}

impl OcsfDefs {
    fn base(&self, ty: &str) -> String {
        let mut t = ty.to_string();
        while let Some((base, _)) = self.types.get(&t) {
            if *base == t {
                break;
            }
            t = base.clone();
        }
        t
    }

    /// Checks object `v` against `owner`'s attributes.
    fn check(
        &self,
        owner: &str,
        v: &Value,
        path: &str,
        profiles: &[String],
        errs: &mut Vec<String>,
    ) {
        let Some(def) = self.owners.get(owner) else {
            errs.push(format!("{path}: no definition {owner}"));
            return;
        };
        let Some(m) = v.as_object() else {
            errs.push(format!("{path}: not an object"));
            return;
        };
        for (k, x) in m {
            let p = format!("{path}.{k}");
            let Some(a) = def.attrs.get(k) else {
                errs.push(format!("{p}: not an attribute of {owner}"));
                continue;
            };
            if let Some(prof) = &a.profile {
                if !profiles.contains(prof) {
                    errs.push(format!("{p}: needs profile {prof}"));
                }
            }
            let items: Vec<&Value> = match (a.array, x) {
                (true, Value::Array(xs)) => xs.iter().collect(),
                (true, _) => {
                    errs.push(format!("{p}: should be an array"));
                    continue;
                }
                (false, x) => vec![x],
            };
            for x in items {
                self.check_value(a, x, &p, profiles, errs);
            }
            if let (Some(values), Some(id)) = (&a.values, x.as_i64()) {
                match values.get(&id.to_string()) {
                    None => errs.push(format!("{p}: {id} not in its enum")),
                    Some(caption) => {
                        let sib = a.sibling.as_ref().and_then(|s| m.get(s));
                        if id != 99 && sib.is_some_and(|s| s.as_str() != Some(caption.as_str())) {
                            errs.push(format!("{p}: sibling is not {caption:?}"));
                        }
                    }
                }
            }
        }
        for (name, a) in &def.attrs {
            let on = a.profile.as_ref().is_none_or(|p| profiles.contains(p));
            if a.required && on && m.get(name).is_none_or(Value::is_null) {
                errs.push(format!("{path}.{name}: required by {owner}, missing"));
            }
        }
        let present = |names: &Vec<String>| {
            names
                .iter()
                .filter(|n| m.get(*n).is_some_and(|v| !v.is_null()))
                .count()
        };
        for c in &def.at_least_one {
            if present(c) == 0 {
                errs.push(format!("{path}: {owner} needs one of {c:?}"));
            }
        }
        for c in &def.just_one {
            if present(c) != 1 {
                errs.push(format!("{path}: {owner} needs exactly one of {c:?}"));
            }
        }
    }

    fn check_value(
        &self,
        a: &Attr,
        x: &Value,
        p: &str,
        profiles: &[String],
        errs: &mut Vec<String>,
    ) {
        let object = format!("object:{}", a.ty);
        if self.owners.contains_key(&object) {
            return self.check(&object, x, p, profiles, errs);
        }
        let ok = match a.ty.as_str() {
            // free-form (`unmapped`, `xattributes`): byte strings are text
            "object" => x.is_object() && !has_hex_object(x),
            _ => match self.base(&a.ty).as_str() {
                "string_t" => {
                    x.is_string()
                        && (a.ty != "ip_t"
                            || x.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()))
                }
                "integer_t" => x.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                "long_t" => x.is_i64() || x.is_u64(),
                "float_t" => x.is_number(),
                "boolean_t" => x.is_boolean(),
                "json_t" => true,
                _ => false,
            },
        };
        if !ok {
            errs.push(format!("{p}: {x} is not {}", a.ty));
        }
        if let (Some((lo, hi)), Some(n)) = (self.types.get(&a.ty).and_then(|t| t.1), x.as_i64()) {
            if n < lo || n > hi {
                errs.push(format!("{p}: {n} out of range"));
            }
        }
    }
}

fn has_hex_object(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            (m.len() == 1 && m.contains_key("hex")) || m.values().any(has_hex_object)
        }
        Value::Array(a) => a.iter().any(has_hex_object),
        _ => false,
    }
}

/// Problems of one OCSF event.
fn check_ocsf(defs: &OcsfDefs, doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let class = doc["class_uid"].as_u64().unwrap_or(u64::MAX);
    let activity = doc["activity_id"].as_u64().unwrap_or(u64::MAX);
    if doc["type_uid"].as_u64() != Some(class * 100 + activity) {
        errs.push("type_uid is not class_uid * 100 + activity_id".into());
    }
    if doc["metadata"]["version"] != OCSF_VERSION {
        errs.push("metadata.version".into());
    }
    let profiles: Vec<String> = doc["metadata"]["profiles"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    defs.check(&format!("class:{class}"), doc, "", &profiles, &mut errs);
    errs
}

#[test]
fn every_corpus_event_conforms_to_both_schemas() {
    let (ecs, ocsf) = (ecs_defs(), ocsf_defs());
    let mut classes = BTreeMap::new();
    let mut actions = BTreeMap::new();
    for (name, events) in corpus() {
        assert!(events.len() > 400, "{name}");
        for ev in &events {
            let e = parse(&render(ev, Schema::Ecs));
            let errs = check_ecs(&ecs, &e);
            assert!(errs.is_empty(), "{name} {:?}: ECS: {errs:#?}\n{e}", ev.id());
            *actions
                .entry(e["event"]["action"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
            let o = parse(&render(ev, Schema::Ocsf));
            let errs = check_ocsf(&ocsf, &o);
            assert!(
                errs.is_empty(),
                "{name} {:?}: OCSF: {errs:#?}\n{o}",
                ev.id()
            );
            *classes.entry(o["type_uid"].as_u64().unwrap()).or_insert(0) += 1;
        }
    }
    // what the captures hold: execs, connects and binds (launch, open,
    // refuse/fail, listen), and the other events as Base Events
    eprintln!("OCSF type_uid counts: {classes:?}\nECS actions: {actions:?}");
    for t in [100701, 400101, 400107, 99] {
        assert!(classes.contains_key(&t), "no {t} in {classes:?}");
    }
    for a in [
        "executed",
        "connected-to",
        "bound-socket",
        "changed-login-id-to",
        "crashed-program",
        "changed-audit-configuration",
        "sent-message",
        "started-audit",
    ] {
        assert!(actions.contains_key(a), "no {a} in {actions:?}");
    }
}

/// With a process context (offline from the captures' own events, with a
/// label rule; and live from a `/proc`-shaped directory, for a container and
/// a unit), every event still conforms, and the parent, container, labels,
/// ancestry and unit are where the views put them.
#[test]
fn events_with_context_conform_to_both_schemas() {
    use auditstream::context::{ContextConfig, LabelRule, ProcessTracker, System};
    let (ecs, ocsf) = (ecs_defs(), ocsf_defs());
    let render_ctx = |ev: &EventBuf, t: &mut ProcessTracker| -> (Value, Value) {
        let event = ev.event();
        let pc = t.observe(&event, ev.records());
        let ctx = Context::default()
            .host(HOST)
            .names_from(ev.records())
            .process(pc.as_ref());
        let mut e = Vec::new();
        json::write(&mut e, &Ecs::new(&event, ctx), JsonOptions::default());
        let mut o = Vec::new();
        json::write(&mut o, &Ocsf::new(&event, ctx), JsonOptions::default());
        (parse(&e), parse(&o))
    };
    let (mut parents, mut labelled) = (0, 0);
    for (name, events) in corpus() {
        let mut cfg = ContextConfig::offline();
        cfg.labels = vec![LabelRule::parse("py:exe:*/python3*").unwrap()];
        let mut t = ProcessTracker::new(cfg).unwrap();
        for ev in &events {
            let (e, o) = render_ctx(ev, &mut t);
            let errs = check_ecs(&ecs, &e);
            assert!(errs.is_empty(), "{name} {:?}: ECS: {errs:#?}\n{e}", ev.id());
            let errs = check_ocsf(&ocsf, &o);
            assert!(
                errs.is_empty(),
                "{name} {:?}: OCSF: {errs:#?}\n{o}",
                ev.id()
            );
            if let Some(exe) = e["process"]["parent"]["executable"].as_str() {
                parents += 1;
                // the exec's process, or the actor of other events
                let proc_ = match o.get("process") {
                    Some(p) => p,
                    None => &o["actor"]["process"],
                };
                assert_eq!(proc_["parent_process"]["file"]["path"], exe, "{o}");
                assert_eq!(e["auditd"]["ancestry"][0], exe);
            }
            if e["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&Value::from("py")))
            {
                labelled += 1;
                assert_eq!(o["metadata"]["labels"], serde_json::json!(["py"]));
            }
        }
    }
    assert!(parents > 400 && labelled > 400, "{parents} {labelled}");
    // live: a container and a unit
    let fake = common::fakeproc::FakeProc::new("schemas");
    let id = "ab".repeat(32);
    let cg = format!("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-{id}.scope\n");
    fake.add(&common::fakeproc::FakeProcess::default());
    fake.add(&common::fakeproc::FakeProcess {
        pid: 50,
        ppid: 1,
        age_secs: 10.0,
        comm: "sh",
        exe: Some("/bin/sh"),
        argv: &["sh", "-c", "x"],
        cgroup: cg.as_bytes(),
        ..Default::default()
    });
    let mut cfg = ContextConfig::offline();
    cfg.system = System::Local {
        proc_root: fake.path().to_path_buf(),
        nodes: vec![],
    };
    let mut t = ProcessTracker::new(cfg).unwrap();
    let now = common::fakeproc::now_ms();
    let log = common::fakeproc::exec_event(now, 1, 51, 50, "/bin/true", &["/bin/true"]);
    let ev = LogEvents::new(log.as_bytes()).next().unwrap().unwrap();
    let (e, o) = render_ctx(&ev, &mut t);
    assert!(
        check_ecs(&ecs, &e).is_empty(),
        "{:?}\n{e}",
        check_ecs(&ecs, &e)
    );
    assert!(
        check_ocsf(&ocsf, &o).is_empty(),
        "{:?}\n{o}",
        check_ocsf(&ocsf, &o)
    );
    assert_eq!(e["container"]["id"], id.as_str());
    assert_eq!(e["container"]["runtime"], "containerd");
    assert_eq!(e["auditd"]["unit"], format!("cri-containerd-{id}.scope"));
    assert_eq!(
        e["process"]["parent"]["args"],
        serde_json::json!(["sh", "-c", "x"])
    );
    assert_eq!(
        e["auditd"]["ancestry"],
        serde_json::json!(["/bin/sh", "/sbin/init"])
    );
    assert_eq!(o["process"]["container"]["uid"], id.as_str());
    assert_eq!(
        o["process"]["lineage"],
        serde_json::json!(["/bin/sh", "/sbin/init"])
    );
    assert_eq!(
        o["metadata"]["profiles"],
        serde_json::json!(["host", "container"])
    );
    assert_eq!(o["unmapped"]["unit"], format!("cri-containerd-{id}.scope"));
}

#[test]
fn the_validators_catch_what_they_check() {
    let (ecs, ocsf) = (ecs_defs(), ocsf_defs());
    let events = &corpus()[0].1;
    let exec = events
        .iter()
        .find(|e| matches!(e.event().kind, EventKind::Exec(_)))
        .unwrap();
    let good = parse(&render(exec, Schema::Ecs));
    for (path, value, what) in [
        ("process.pid", Value::from("1"), "is not long"),
        ("process.args", Value::from("ls"), "should be an array"),
        ("process.nonsense", Value::from(1), "not an ECS"),
        (
            "event.kind",
            Value::from("happening"),
            "not an allowed value",
        ),
        (
            "event.type",
            serde_json::json!(["denied"]),
            "expected by none",
        ),
        ("@timestamp", Value::from("yesterday"), "is not date"),
    ] {
        let mut bad = good.clone();
        let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
        let obj = if parent.is_empty() {
            &mut bad
        } else {
            parent.split('.').fold(&mut bad, |v, k| &mut v[k])
        };
        obj[key] = value;
        let errs = check_ecs(&ecs, &bad);
        assert!(errs.iter().any(|e| e.contains(what)), "{path}: {errs:?}");
    }
    let good = parse(&render(exec, Schema::Ocsf));
    for (edit, what) in [
        ("/process/pid", "is not integer_t"),
        ("/activity_id", "not in its enum"),
        ("/device/type_id", "not in its enum"),
        ("/metadata/product", "required by"),
        ("/process/file/name", "required by"),
        ("/actor", "required by"),
        ("/process/user/uid", "not an attribute"),
    ] {
        let mut bad = good.clone();
        let (parent, key) = edit.rsplit_once('/').unwrap();
        let obj = bad
            .pointer_mut(if parent.is_empty() { "" } else { parent })
            .unwrap();
        match what {
            "is not integer_t" => obj[key] = Value::from("1"),
            "not in its enum" => obj[key] = Value::from(42),
            "not an attribute" => {
                obj.as_object_mut()
                    .unwrap()
                    .insert("bogus".into(), Value::from(1));
            }
            _ => {
                obj.as_object_mut().unwrap().remove(key);
            }
        }
        let errs = check_ocsf(&ocsf, &bad);
        assert!(errs.iter().any(|e| e.contains(what)), "{edit}: {errs:?}");
    }
}

// ---- golden files -----------------------------------------------------------

#[test]
fn golden_schemas() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden");
    let bless = std::env::var("BLESS").as_deref() == Ok("1");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("log") {
            continue;
        }
        let log = fs::read(&path).unwrap();
        let events: Vec<EventBuf> = LogEvents::new(&log[..]).map(|e| e.unwrap()).collect();
        for (schema, suffix) in [(Schema::Ecs, "ecs.json"), (Schema::Ocsf, "ocsf.json")] {
            let mut got = Vec::new();
            for ev in &events {
                got.extend_from_slice(&render(ev, schema));
                got.push(b'\n');
            }
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let golden = dir.join(format!("{stem}.{suffix}"));
            if bless {
                fs::write(&golden, &got).unwrap();
                continue;
            }
            let want = fs::read(&golden)
                .unwrap_or_else(|e| panic!("{}: {e} (BLESS=1 makes it)", golden.display()));
            if want != got {
                let (w, g) = (
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&got),
                );
                let first = w.lines().zip(g.lines()).position(|(a, b)| a != b);
                panic!(
                    "{} differs at line {:?}:\nwant {}\ngot  {}",
                    golden.display(),
                    first.map(|i| i + 1),
                    first.map_or("", |i| w.lines().nth(i).unwrap()),
                    first.map_or("", |i| g.lines().nth(i).unwrap()),
                );
            }
            checked += 1;
        }
    }
    assert!(bless || checked >= 4, "{checked} golden files checked");
}

// ---- exact fields of exec and socket events ----------------------------------

/// The ENRICHED name of `key` in the SYSCALL record, as the view must write it.
fn enriched_name(ev: &EventBuf, key: &str) -> Option<Value> {
    let sc = ev
        .records()
        .find(|r| r.record_type() == RecordType::SYSCALL)?;
    let f = sc.enriched_fields().find(|f| f.key() == key.as_bytes())?;
    let v = f.bytes()?;
    (v.as_ref() != b"unset" && !v.starts_with(b"unknown(")).then(|| text(&v))
}

/// Asserts `doc[path] == want` (or absent when `want` is `None`).
#[track_caller]
fn expect(doc: &Value, path: &str, want: Option<Value>) {
    assert_eq!(get(doc, path), want.as_ref(), "{path} in {doc}");
}

fn id(n: Option<u32>) -> Option<Value> {
    n.map(|n| Value::from(n.to_string()))
}

fn num(n: Option<u32>) -> Option<Value> {
    n.map(Value::from)
}

fn opt_text(b: Option<&[u8]>) -> Option<Value> {
    b.map(text)
}

fn texts(list: &[std::borrow::Cow<'_, [u8]>]) -> Value {
    Value::Array(list.iter().map(|b| text(b)).collect())
}

fn joined(list: &[std::borrow::Cow<'_, [u8]>]) -> Value {
    text(&list.join(&b' '))
}

/// Days from 1970-01-01 of a civil date (the inverse of the view's
/// algorithm, written the other way round).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn iso_to_millis(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let days = days_from_civil(n(0..4), n(5..7), n(8..10));
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60_000 + n(17..19) * 1000 + n(20..23)
}

/// The SYSCALL fields both schemas carry, checked in the ECS document.
fn check_ecs_syscall(doc: &Value, ev: &EventBuf, s: &Syscall<'_>) {
    let id_ = ev.id();
    assert_eq!(
        iso_to_millis(doc["@timestamp"].as_str().unwrap()),
        id_.time.as_millis() as i64
    );
    expect(doc, "event.sequence", Some(Value::from(id_.serial)));
    expect(doc, "auditd.sequence", Some(Value::from(id_.serial)));
    expect(doc, "event.kind", Some("event".into()));
    expect(doc, "host.name", Some(text(HOST)));
    expect(doc, "process.pid", num(s.pid));
    expect(doc, "process.parent.pid", num(s.ppid));
    expect(doc, "process.name", opt_text(s.comm.as_deref()));
    expect(doc, "process.executable", opt_text(s.exe.as_deref()));
    for (path, n, name) in [
        ("user.id", s.uid, "UID"),
        ("user.group.id", s.gid, "GID"),
        ("group.id", s.gid, "GID"),
        ("user.effective.id", s.euid, "EUID"),
        ("user.effective.group.id", s.egid, "EGID"),
        ("user.saved.id", s.suid, "SUID"),
        ("user.saved.group.id", s.sgid, "SGID"),
        ("user.filesystem.id", s.fsuid, "FSUID"),
        ("user.filesystem.group.id", s.fsgid, "FSGID"),
        ("user.audit.id", s.auid, "AUID"),
    ] {
        expect(doc, path, id(n));
        let name_path = path.replace(".id", ".name");
        expect(doc, &name_path, n.and_then(|_| enriched_name(ev, name)));
    }
    expect(doc, "auditd.session", id(s.ses));
    let tags = (!s.keys.is_empty()).then(|| texts(&s.keys));
    expect(doc, "tags", tags);
    expect(doc, "auditd.data.syscall", s.name().map(Value::from));
    expect(
        doc,
        "auditd.data.arch",
        s.arch.and_then(|a| a.name()).map(Value::from),
    );
    expect(
        doc,
        "auditd.data.exit",
        s.exit.map(|e| e.to_string().into()),
    );
    for (i, a) in s.args.iter().enumerate() {
        expect(
            doc,
            &format!("auditd.data.a{i}"),
            a.map(|a| format!("{a:x}").into()),
        );
    }
    expect(doc, "auditd.data.items", id(s.items));
    expect(doc, "auditd.data.tty", opt_text(s.tty.as_deref()));
    let (outcome, result) = match s.success {
        Some(true) => (Some("success"), Some("success")),
        Some(false) if s.errno() == Some("EINPROGRESS") && s.name() == Some("connect") => {
            (Some("unknown"), Some("fail"))
        }
        Some(false) => (Some("failure"), Some("fail")),
        None => (None, None),
    };
    expect(doc, "event.outcome", outcome.map(Value::from));
    expect(doc, "auditd.result", result.map(Value::from));
}

/// The SYSCALL fields in the OCSF document; `proc_path` is where the
/// process is (`process` for execs, `actor.process` for sockets).
fn check_ocsf_syscall(doc: &Value, ev: &EventBuf, s: &Syscall<'_>, proc_path: &str) {
    let id_ = ev.id();
    expect(doc, "time", Some(Value::from(id_.time.as_millis())));
    expect(doc, "metadata.uid", Some(id_.to_string().into()));
    expect(doc, "device.hostname", Some(text(HOST)));
    expect(doc, &format!("{proc_path}.pid"), num(s.pid));
    expect(
        doc,
        &format!("{proc_path}.name"),
        opt_text(s.comm.as_deref()),
    );
    expect(
        doc,
        &format!("{proc_path}.file.path"),
        opt_text(s.exe.as_deref()),
    );
    let base = s
        .exe
        .as_deref()
        .map(|e| &e[e.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1)..]);
    expect(doc, &format!("{proc_path}.file.name"), opt_text(base));
    expect(doc, &format!("{proc_path}.user.uid"), id(s.uid));
    expect(
        doc,
        &format!("{proc_path}.user.name"),
        s.uid.and_then(|_| enriched_name(ev, "UID")),
    );
    expect(doc, &format!("{proc_path}.parent_process.pid"), num(s.ppid));
    expect(doc, "actor.user.uid", id(s.auid));
    expect(
        doc,
        "actor.user.name",
        s.auid.and_then(|_| enriched_name(ev, "AUID")),
    );
    expect(doc, "actor.session.uid", id(s.ses));
    let status = match s.success {
        Some(true) => Some(1),
        Some(false) if s.errno() == Some("EINPROGRESS") && s.name() == Some("connect") => Some(99),
        Some(false) => Some(2),
        None => None,
    };
    expect(doc, "status_id", status.map(Value::from));
    let code = s
        .success
        .filter(|ok| !ok)
        .and_then(|_| s.errno())
        .map(Value::from);
    expect(doc, "status_code", code);
    let u = &doc["unmapped"];
    expect(u, "serial", Some(Value::from(id_.serial)));
    expect(u, "syscall", s.name().map(Value::from));
    expect(u, "exit", s.exit.map(Value::from));
    expect(u, "errno", s.errno().map(Value::from));
    for (key, n) in [
        ("gid", s.gid),
        ("euid", s.euid),
        ("egid", s.egid),
        ("suid", s.suid),
        ("sgid", s.sgid),
        ("fsuid", s.fsuid),
        ("fsgid", s.fsgid),
        ("items", s.items),
    ] {
        expect(u, key, num(n));
    }
    expect(u, "tty", opt_text(s.tty.as_deref()));
    expect(u, "key", (!s.keys.is_empty()).then(|| texts(&s.keys)));
}

#[test]
fn exec_and_socket_events_carry_every_field_exactly() {
    let (mut execs, mut sockets, mut named) = (0, 0, 0);
    for (name, events) in corpus() {
        for ev in &events {
            let event = ev.event();
            let e = parse(&render(ev, Schema::Ecs));
            let o = parse(&render(ev, Schema::Ocsf));
            match &event.kind {
                EventKind::Exec(x) => {
                    execs += 1;
                    let s = &x.syscall;
                    check_ecs_syscall(&e, ev, s);
                    expect(&e, "event.action", Some("executed".into()));
                    expect(&e, "event.category", Some(serde_json::json!(["process"])));
                    expect(&e, "event.type", Some(serde_json::json!(["start"])));
                    let nonempty = !x.argv.is_empty();
                    expect(&e, "process.args", nonempty.then(|| texts(&x.argv)));
                    let count = x.argc.map_or(x.argv.len() as u64, u64::from);
                    let has_count = x.argc.is_some() || nonempty;
                    expect(
                        &e,
                        "process.args_count",
                        has_count.then(|| Value::from(count)),
                    );
                    expect(
                        &e,
                        "process.command_line",
                        nonempty.then(|| joined(&x.argv)),
                    );
                    let title = (!x.proctitle.is_empty()).then(|| joined(&x.proctitle));
                    expect(&e, "process.title", title);
                    expect(&e, "process.working_directory", opt_text(x.cwd.as_deref()));
                    expect(&e, "auditd.data.argc", id(x.argc));
                    let paths = get(&e, "auditd.paths").and_then(Value::as_array);
                    assert_eq!(paths.map_or(0, Vec::len), x.paths.len(), "{name}");
                    for (p, want) in paths.into_iter().flatten().zip(&x.paths) {
                        expect(p, "name", opt_text(want.name.as_deref()));
                        expect(p, "inode", want.inode.map(|i| i.to_string().into()));
                        expect(p, "mode", want.mode.map(|m| format!("0{m:o}").into()));
                        expect(p, "item", id(want.item));
                    }
                    let complete = (!x.argv_complete).then_some(Value::Bool(false));
                    expect(&e, "auditd.argv_complete", complete);

                    check_ocsf_syscall(&o, ev, s, "process");
                    expect(&o, "class_uid", Some(1007.into()));
                    expect(&o, "activity_id", Some(1.into()));
                    expect(&o, "launch_type_id", Some(3.into()));
                    expect(&o, "actor.process.pid", num(s.pid));
                    expect(&o, "process.cmd_line", nonempty.then(|| joined(&x.argv)));
                    expect(&o, "process.working_directory", opt_text(x.cwd.as_deref()));
                    let u = &o["unmapped"];
                    expect(u, "argv", Some(texts(&x.argv)));
                    expect(u, "argc", num(x.argc));
                    let pt = (!x.proctitle.is_empty()).then(|| texts(&x.proctitle));
                    expect(u, "proctitle", pt);
                    let n = u.get("paths").and_then(Value::as_array).map_or(0, Vec::len);
                    assert_eq!(n, x.paths.len());
                }
                EventKind::Socket(x) => {
                    sockets += 1;
                    let s = &x.syscall;
                    check_ecs_syscall(&e, ev, s);
                    let action = match x.op {
                        SocketOp::Connect => "connected-to",
                        SocketOp::Bind => "bound-socket",
                        SocketOp::Accept | SocketOp::Accept4 => "accepted-connection-from",
                    };
                    expect(&e, "event.action", Some(action.into()));
                    expect(&e, "event.category", Some(serde_json::json!(["network"])));
                    expect(&e, "process.working_directory", opt_text(x.cwd.as_deref()));
                    let (ours, other) = if x.op == SocketOp::Connect {
                        ("destination", "source")
                    } else {
                        ("source", "destination")
                    };
                    assert!(e.get(other).is_none(), "{e}");
                    let (ip, port, address, net, family) = match x.sockaddr() {
                        Some(SockAddr::Inet(a)) => (
                            Some(a.ip().to_string()),
                            Some(a.port()),
                            Some(a.ip().to_string().into()),
                            Some("ipv4"),
                            Some("ipv4"),
                        ),
                        Some(SockAddr::Inet6(a)) => (
                            Some(a.ip().to_string()),
                            Some(a.port()),
                            Some(a.ip().to_string().into()),
                            Some("ipv6"),
                            Some("ipv6"),
                        ),
                        Some(SockAddr::Unix(u)) => {
                            let name = (!u.is_unnamed()).then(|| text(&u.display_bytes()));
                            (None, None, name, None, Some("unix"))
                        }
                        Some(SockAddr::Netlink { .. }) => (None, None, None, None, Some("netlink")),
                        _ => (None, None, None, None, None),
                    };
                    named += usize::from(address.is_some());
                    expect(&e, &format!("{ours}.ip"), ip.clone().map(Value::from));
                    expect(&e, &format!("{ours}.port"), port.map(Value::from));
                    expect(&e, &format!("{ours}.address"), address.clone());
                    expect(&e, "network.type", net.map(Value::from));
                    expect(&e, "auditd.data.socket.family", family.map(Value::from));

                    if address.is_none() {
                        expect(&o, "class_uid", Some(0.into()));
                        continue;
                    }
                    check_ocsf_syscall(&o, ev, s, "actor.process");
                    expect(&o, "class_uid", Some(4001.into()));
                    let activity = match (x.op, s.success, s.errno()) {
                        (SocketOp::Bind, ..) => 7,
                        (_, Some(false), Some("ECONNREFUSED")) => 5,
                        (_, Some(false), Some("EINPROGRESS")) => 1,
                        (_, Some(false), _) => 4,
                        _ => 1,
                    };
                    expect(&o, "activity_id", Some(activity.into()));
                    let side = if x.op == SocketOp::Connect {
                        "dst_endpoint"
                    } else {
                        "src_endpoint"
                    };
                    let ep = &o[side];
                    if ip.is_some() {
                        expect(ep, "ip", ip.map(Value::from));
                        expect(ep, "port", port.map(Value::from));
                    } else {
                        expect(ep, "name", address);
                    }
                    expect(
                        &o,
                        "actor.process.working_directory",
                        opt_text(x.cwd.as_deref()),
                    );
                    let known = Value::Bool(x.op != SocketOp::Bind);
                    expect(&o, "is_src_dst_assignment_known", Some(known));
                }
                _ => {}
            }
        }
    }
    assert!(
        execs > 1000 && sockets > 400 && named > 300,
        "{execs} {sockets} {named}"
    );
}

/// serde and the JSON writer give the same document for both views.
#[cfg(feature = "serde")]
#[test]
fn serde_equals_the_json_writer() {
    for (_, events) in corpus() {
        for ev in events.iter().step_by(3) {
            let event = ev.event();
            let e = serde_json::to_value(Ecs::new(&event, ctx(ev))).unwrap();
            assert_eq!(e, parse(&render(ev, Schema::Ecs)));
            let o = serde_json::to_value(Ocsf::new(&event, ctx(ev))).unwrap();
            assert_eq!(o, parse(&render(ev, Schema::Ocsf)));
        }
    }
}

// ---- hostile bytes -------------------------------------------------------------

fn hex(b: &[u8]) -> String {
    b.iter().map(|c| format!("{c:02X}")).collect()
}

/// Byte strings a process can put in argv, paths, names and socket names.
const HOSTILE: &[&[u8]] = &[
    b"quote\"d",
    b"back\\slash \\x41 \\\\",
    b"ctl\x01\x1b[31m\n\t\r\x7f",
    b"gs\x1dinside",
    b"\xff\xfe invalid \xc3",
    b"c1 \xc2\x85 \xc2\x9b",
    "ü€😀".as_bytes(),
    b"",
    b"{\"hex\":\"41\"}",
];

/// One exec event and one connect to a unix socket, both made of hostile
/// bytes, as an audit.log.
fn hostile_log() -> Vec<u8> {
    let argv: Vec<String> = HOSTILE.iter().map(|a| hex(a)).collect();
    let comm = hex(b"c\"o\x1dm\xff");
    let exe = hex(b"/tmp/e\x1dx\\e\xff\"");
    let cwd = hex(b"/tmp/\x1d\"dir\xfe");
    let keys = hex(b"k\"ey\x01k\x1d2\xff");
    let mut log = String::new();
    let sc = |serial: u32, nr: u32| {
        format!(
            "type=SYSCALL msg=audit(1795839101.190:{serial}): arch=c000003e syscall={nr} \
             success=yes exit=0 a0=3 a1=1 a2=2 a3=0 items=1 ppid=1 pid=42 auid=1000 uid=0 \
             gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm={comm} \
             exe={exe} key={keys}\n"
        )
    };
    log += &sc(7, 59);
    log += &format!(
        "type=EXECVE msg=audit(1795839101.190:7): argc={}",
        argv.len()
    );
    for (i, a) in argv.iter().enumerate() {
        // an empty argument is written quoted: `a7=""`
        if a.is_empty() {
            log += &format!(" a{i}=\"\"");
        } else {
            log += &format!(" a{i}={a}");
        }
    }
    log += "\n";
    log += &format!("type=CWD msg=audit(1795839101.190:7): cwd={cwd}\n");
    log += &format!(
        "type=PATH msg=audit(1795839101.190:7): item=0 name={exe} inode=1 dev=fd:01 \
         mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n"
    );
    let title: Vec<u8> = HOSTILE[..3].join(&0u8);
    log += &format!(
        "type=PROCTITLE msg=audit(1795839101.190:7): proctitle={}\n",
        hex(&title)
    );
    log += "type=EOE msg=audit(1795839101.190:7): \n";
    // connect to an abstract unix socket whose name holds NUL, 0x1D, quotes
    log += &sc(8, 42);
    let mut sa = vec![1u8, 0, 0];
    sa.extend_from_slice(b"ab\x00s\x1dt\"r\xff\\");
    log += &format!(
        "type=SOCKADDR msg=audit(1795839101.190:8): saddr={}\n",
        hex(&sa)
    );
    log += "type=EOE msg=audit(1795839101.190:8): \n";
    log.into_bytes()
}

fn back(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    text_to_bytes(s).unwrap_or_else(|| panic!("not the text rule: {s:?}"))
}

#[test]
fn hostile_bytes_give_valid_json_and_round_trip() {
    let log = hostile_log();
    let events: Vec<EventBuf> = LogEvents::new(&log[..]).map(|e| e.unwrap()).collect();
    assert_eq!(events.len(), 2);
    let (ecs, ocsf) = (ecs_defs(), ocsf_defs());
    for ev in &events {
        let event = ev.event();
        let e = parse(&render(ev, Schema::Ecs));
        let o = parse(&render(ev, Schema::Ocsf));
        assert!(check_ecs(&ecs, &e).is_empty(), "{:?}", check_ecs(&ecs, &e));
        assert!(
            check_ocsf(&ocsf, &o).is_empty(),
            "{:?}",
            check_ocsf(&ocsf, &o)
        );
        assert!(!has_hex_object(&e) && !has_hex_object(&o));
        let s = match &event.kind {
            EventKind::Exec(x) => &x.syscall,
            EventKind::Socket(x) => &x.syscall,
            other => panic!("{other:?}"),
        };
        let (exe, comm) = (s.exe.as_deref().unwrap(), s.comm.as_deref().unwrap());
        assert_eq!(back(&e["process"]["executable"]), exe);
        assert_eq!(back(&e["process"]["name"]), comm);
        let keys: Vec<Vec<u8>> = e["tags"].as_array().unwrap().iter().map(back).collect();
        assert_eq!(keys, s.keys.iter().map(|k| k.to_vec()).collect::<Vec<_>>());
        assert_eq!(keys, [&b"k\"ey"[..], b"k\x1d2\xff"]);
        match &event.kind {
            EventKind::Exec(x) => {
                assert_eq!(x.argv.len(), HOSTILE.len());
                let args: Vec<Vec<u8>> = e["process"]["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(back)
                    .collect();
                assert_eq!(args, HOSTILE);
                let u: Vec<Vec<u8>> = o["unmapped"]["argv"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(back)
                    .collect();
                assert_eq!(u, HOSTILE);
                assert_eq!(back(&e["process"]["command_line"]), HOSTILE.join(&b' '));
                assert_eq!(back(&o["process"]["cmd_line"]), HOSTILE.join(&b' '));
                assert_eq!(back(&e["process"]["title"]), HOSTILE[..3].join(&b' '));
                assert_eq!(
                    back(&e["process"]["working_directory"]),
                    b"/tmp/\x1d\"dir\xfe"
                );
                assert_eq!(
                    back(&o["process"]["working_directory"]),
                    b"/tmp/\x1d\"dir\xfe"
                );
                assert_eq!(back(&o["process"]["file"]["path"]), exe);
                assert_eq!(back(&e["auditd"]["paths"][0]["name"]), exe);
                assert_eq!(back(&o["unmapped"]["paths"][0]["name"]), exe);
            }
            EventKind::Socket(_) => {
                let want = b"@ab\x00s\x1dt\"r\xff\\";
                assert_eq!(back(&e["destination"]["address"]), want);
                assert_eq!(back(&e["auditd"]["data"]["socket"]["path"]), want);
                assert_eq!(back(&o["dst_endpoint"]["name"]), want);
            }
            _ => unreachable!(),
        }
        #[cfg(feature = "serde")]
        {
            assert_eq!(serde_json::to_value(Ecs::new(&event, ctx(ev))).unwrap(), e);
            assert_eq!(serde_json::to_value(Ocsf::new(&event, ctx(ev))).unwrap(), o);
        }
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any argv, exe and cwd bytes: valid JSON in both schemas, and the
        /// text rule gives the exact bytes back.
        #[test]
        fn any_bytes_round_trip(
            argv in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 1..6),
            exe in proptest::collection::vec(any::<u8>(), 1..40),
            cwd in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let mut log = format!(
                "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes exit=0 \
                 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=2 uid=0 exe={}\n\
                 type=EXECVE msg=audit(1.000:1): argc={}",
                hex(&exe),
                argv.len()
            );
            for (i, a) in argv.iter().enumerate() {
                log += &format!(" a{i}={}", hex(a));
            }
            log += &format!("\ntype=CWD msg=audit(1.000:1): cwd={}\ntype=EOE msg=audit(1.000:1): \n", hex(&cwd));
            let events: Vec<EventBuf> = LogEvents::new(log.as_bytes()).map(|e| e.unwrap()).collect();
            prop_assert_eq!(events.len(), 1);
            let e = parse(&render(&events[0], Schema::Ecs));
            let o = parse(&render(&events[0], Schema::Ocsf));
            let args: Vec<Vec<u8>> = e["process"]["args"].as_array().unwrap().iter().map(back).collect();
            prop_assert_eq!(&args, &argv);
            let u: Vec<Vec<u8>> = o["unmapped"]["argv"].as_array().unwrap().iter().map(back).collect();
            prop_assert_eq!(&u, &argv);
            prop_assert_eq!(back(&e["process"]["executable"]), exe.clone());
            prop_assert_eq!(back(&o["process"]["file"]["path"]), exe);
            prop_assert_eq!(back(&e["process"]["working_directory"]), cwd.clone());
            prop_assert_eq!(back(&o["process"]["working_directory"]), cwd);
        }
    }
}
