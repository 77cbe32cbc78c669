//! Property tests of the record parser.
//!
//! - Round trip: a random record is rendered the way the kernel and auditd
//!   write it (as a log line, RAW or ENRICHED, and as a netlink datagram),
//!   parsed back, and every field must decode to exactly the bytes it was made
//!   from.
//! - Fast path equals naive: the memchr tokenizer and the LUT hex decoder
//!   against the byte-by-byte references, and the tokenizer loses no byte.
//! - No panics on arbitrary input.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::{
    decode_hex, naive_decode_hex, naive_fields, Field, Fields, Quote, Record, RecordType, Value,
    NLMSG_HDRLEN,
};
use crate::decode::{Endian, SockAddr};

// ---------------------------------------------------------------------------
// The model: what a record holds, and how the kernel writes it.

/// What a field's `value()` must decode to.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Bytes(Vec<u8>),
    Null,
    Unknown,
    Unset,
    Nested(Vec<(Vec<u8>, Expect, String)>),
}

/// The value of one generated field.
#[derive(Debug, Clone)]
enum Val {
    /// An encoded string: quoted when plain, upper-case hex otherwise.
    Str(Vec<u8>),
    /// `(null)`: no string.
    Null,
    /// `?`.
    Unknown,
    /// A bare token written as is (numbers, words).
    Bare(String),
    /// An id that is 4294967295 or -1 (auid, uid, ses ...): unset.
    UnsetId(&'static str),
    /// `key=` with several keys: joined by 0x01, always hex.
    Keys(Vec<Vec<u8>>),
}

/// The kernel's rule (`audit_string_contains_control`): a string is written
/// as hex when one byte is `"`, below 0x21 or above 0x7e.
fn needs_hex(s: &[u8]) -> bool {
    s.iter().any(|&c| c == b'"' || !(0x21..=0x7e).contains(&c))
}

/// `audit_log_n_hex`: upper-case hex.
fn hex_upper(s: &[u8]) -> String {
    s.iter().map(|b| format!("{b:02X}")).collect()
}

/// `audit_log_n_untrustedstring`.
fn render_str(s: &[u8]) -> String {
    if needs_hex(s) {
        hex_upper(s)
    } else {
        // Plain: printable ASCII without '"' or space.
        format!("\"{}\"", std::str::from_utf8(s).unwrap())
    }
}

impl Val {
    fn render(&self) -> String {
        match self {
            Val::Str(s) => render_str(s),
            Val::Null => "(null)".into(),
            Val::Unknown => "?".into(),
            Val::Bare(s) => s.clone(),
            Val::UnsetId(s) => (*s).into(),
            Val::Keys(k) => hex_upper(&k.join(&1u8)),
        }
    }

    fn expect(&self) -> Expect {
        match self {
            Val::Str(s) => Expect::Bytes(s.clone()),
            Val::Null => Expect::Null,
            Val::Unknown => Expect::Unknown,
            Val::Bare(s) => Expect::Bytes(s.clone().into_bytes()),
            Val::UnsetId(_) => Expect::Unset,
            Val::Keys(k) => Expect::Bytes(k.join(&1u8)),
        }
    }
}

/// One rendered field: key, text after `=`, expected value.
#[derive(Debug, Clone)]
struct Rendered {
    key: String,
    /// The key as written, when it differs (old LOGIN form `old auid`).
    written: Option<&'static str>,
    text: String,
    expect: Expect,
}

fn plain(key: &str, v: &Val) -> Rendered {
    Rendered {
        key: key.into(),
        written: None,
        text: v.render(),
        expect: v.expect(),
    }
}

/// A generated record.
#[derive(Debug, Clone)]
struct Model {
    rtype: RecordType,
    node: Option<String>,
    sec: u64,
    msec: u16,
    serial: u32,
    fields: Vec<Rendered>,
    /// The ENRICHED part (after 0x1D), rendered, with its keys.
    enrichment: Option<(String, Vec<String>)>,
}

impl Model {
    fn body(&self) -> String {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|f| format!("{}={}", f.written.unwrap_or(&f.key), f.text))
            .collect();
        parts.join(" ")
    }

    fn payload(&self) -> String {
        format!(
            "audit({}.{:03}:{}): {}",
            self.sec,
            self.msec,
            self.serial,
            self.body()
        )
    }

    /// `[node=N ]type=NAME msg=audit(...): BODY` without enrichment or `\n`.
    fn line_text(&self) -> String {
        let node = match &self.node {
            Some(n) => format!("node={n} "),
            None => String::new(),
        };
        format!("{node}type={} msg={}", self.rtype, self.payload())
    }

    fn line(&self, newline: bool) -> Vec<u8> {
        let mut l = self.line_text().into_bytes();
        if let Some((e, _)) = &self.enrichment {
            l.push(0x1d);
            l.extend_from_slice(e.as_bytes());
        }
        if newline {
            l.push(b'\n');
        }
        l
    }

    fn datagram(&self, len_field: LenField, tail: &[u8], hdr: (u16, u32, u32)) -> Vec<u8> {
        let mut p = self.payload().into_bytes();
        p.extend_from_slice(tail);
        let len = match len_field {
            LenField::Right => (NLMSG_HDRLEN + p.len()) as u32,
            LenField::PayloadOnly => p.len() as u32,
            LenField::Padded => ((NLMSG_HDRLEN + p.len() + 3) & !3) as u32,
            LenField::Any(n) => n,
        };
        let mut d = Vec::with_capacity(NLMSG_HDRLEN + p.len());
        d.extend_from_slice(&len.to_ne_bytes());
        d.extend_from_slice(&self.rtype.0.to_ne_bytes());
        d.extend_from_slice(&hdr.0.to_ne_bytes());
        d.extend_from_slice(&hdr.1.to_ne_bytes());
        d.extend_from_slice(&hdr.2.to_ne_bytes());
        d.extend_from_slice(&p);
        d
    }
}

/// What `nlmsg_len` says.
#[derive(Debug, Clone, Copy)]
enum LenField {
    Right,
    PayloadOnly,
    Padded,
    Any(u32),
}

// ---------------------------------------------------------------------------
// Strategies.

/// Random string bytes: mostly printable, with the bytes that force hex
/// (space, `"`, 0x1D, 0x01, NUL, non-UTF-8) and the tokenizer's specials.
fn string_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => proptest::char::range('!', '~').prop_map(|c| c as u8),
        2 => select(&b" \"'={}"[..]),
        1 => select(&[0x1du8, 0x01, 0x00, b'\n', b'\t', 0x7f][..]),
        1 => 0x80u8..=0xff,
        1 => any::<u8>(),
    ];
    // Plain strings are written quoted: printable ASCII but `"`.
    let printable = prop_oneof![
        8 => proptest::char::range('!', '~').prop_filter("quote", |&c| c != '"'),
        1 => select(&['\'', '=', '{', '}', '(', ')', '?'][..]),
    ]
    .prop_map(|c| c as u8);
    prop_oneof![
        1 => Just(Vec::new()),
        6 => vec(printable, 1..24),
        6 => vec(byte.clone(), 1..24),
        1 => vec(byte, 24..200),
    ]
}

fn str_val() -> impl Strategy<Value = Val> {
    prop_oneof![
        10 => string_bytes().prop_map(Val::Str),
        1 => Just(Val::Null),
    ]
}

fn num() -> impl Strategy<Value = Val> {
    prop_oneof![
        3 => (0u64..100_000).prop_map(|n| Val::Bare(n.to_string())),
        1 => any::<u64>().prop_map(|n| Val::Bare(n.to_string())),
        1 => Just(Val::Bare("4294967295".into())),
    ]
}

fn signed() -> impl Strategy<Value = Val> {
    prop_oneof![
        any::<i64>().prop_map(|n| Val::Bare(n.to_string())),
        (-200i64..200).prop_map(|n| Val::Bare(n.to_string())),
    ]
}

fn id() -> impl Strategy<Value = Val> {
    prop_oneof![
        3 => (0u32..70_000).prop_map(|n| Val::Bare(n.to_string())),
        1 => (0u32..u32::MAX).prop_map(|n| Val::Bare(n.to_string())),
        1 => select(&["4294967295", "-1"][..]).prop_map(Val::UnsetId),
    ]
}

fn hexnum() -> impl Strategy<Value = Val> {
    any::<u64>().prop_map(|n| Val::Bare(format!("{n:x}")))
}

fn word(words: &'static [&'static str]) -> impl Strategy<Value = Val> {
    select(words).prop_map(|w| Val::Bare(w.into()))
}

fn multi_key() -> impl Strategy<Value = Val> {
    prop_oneof![
        3 => str_val(),
        1 => vec(vec(proptest::char::range('a', 'z').prop_map(|c| c as u8), 0..6), 2..4)
            .prop_map(Val::Keys),
    ]
}

fn field(key: &'static str, v: impl Strategy<Value = Val> + 'static) -> BoxedStrategy<Rendered> {
    v.prop_map(move |v| plain(key, &v)).boxed()
}

fn syscall_field() -> BoxedStrategy<Rendered> {
    prop_oneof![
        field(
            "arch",
            select(&["c000003e", "40000003", "c00000b7"][..]).prop_map(|w| Val::Bare(w.into()))
        ),
        field("syscall", num()),
        field("success", word(&["yes", "no"])),
        field("exit", signed()),
        field("a0", hexnum()),
        field("a1", hexnum()),
        field("a2", hexnum()),
        field("a3", hexnum()),
        field("items", num()),
        field("ppid", num()),
        field("pid", num()),
        field("auid", id()),
        field("uid", id()),
        field("gid", id()),
        field("euid", id()),
        field("fsgid", id()),
        field("ses", id()),
        field("tty", word(&["(none)", "pts0", "tty1"])),
        field("comm", str_val()),
        field("exe", str_val()),
        field("subj", word(&["unconfined", "system_u:system_r:sshd_t:s0"])),
        field("key", multi_key()),
    ]
    .boxed()
}

fn path_field() -> BoxedStrategy<Rendered> {
    prop_oneof![
        field("item", num()),
        field("name", str_val()),
        field("inode", num()),
        field("dev", word(&["fd:01", "00:1f"])),
        field("mode", word(&["0100755", "040755", "0140777"])),
        field("ouid", id()),
        field("ogid", id()),
        field("rdev", word(&["00:00"])),
        field("nametype", word(&["NORMAL", "PARENT", "CREATE", "UNKNOWN"])),
        field("cap_fp", hexnum()),
        field("cap_frootid", num()),
    ]
    .boxed()
}

fn login_field() -> BoxedStrategy<Rendered> {
    prop_oneof![
        field("pid", num()),
        field("uid", id()),
        field("subj", word(&["unconfined"])),
        field("old-auid", id()),
        field("auid", id()),
        field("tty", word(&["(none)", "pts0"])),
        field("old-ses", id()),
        field("ses", id()),
        field("res", word(&["1", "0"])),
        // Old kernels: `old auid=1 new auid=2 old ses=3 new ses=4`.
        old_form("old auid", "old-auid"),
        old_form("new auid", "auid"),
        old_form("old ses", "old-ses"),
        old_form("new ses", "ses"),
    ]
    .boxed()
}

fn old_form(written: &'static str, key: &'static str) -> BoxedStrategy<Rendered> {
    id().prop_map(move |v| Rendered {
        written: Some(written),
        ..plain(key, &v)
    })
    .boxed()
}

/// The fields inside `msg='...'` of a user-space record.
fn user_msg_field() -> BoxedStrategy<Rendered> {
    prop_oneof![
        field(
            "op",
            word(&["PAM:authentication", "PAM:accounting", "login"])
        ),
        field("acct", str_val()),
        field("exe", str_val()),
        field(
            "hostname",
            prop_oneof![Just(Val::Unknown), word(&["localhost", "web-1"])]
        ),
        field(
            "addr",
            prop_oneof![Just(Val::Unknown), word(&["127.0.0.1", "::1"])]
        ),
        field(
            "terminal",
            prop_oneof![Just(Val::Unknown), word(&["ssh", "pts/0", "tty1"])]
        ),
        field("res", word(&["success", "failed"])),
    ]
    .boxed()
}

fn user_fields() -> impl Strategy<Value = Vec<Rendered>> {
    (num(), id(), id(), id(), vec(user_msg_field(), 0..8)).prop_map(|(pid, uid, auid, ses, msg)| {
        let text = msg
            .iter()
            .map(|f| format!("{}={}", f.key, f.text))
            .collect::<Vec<_>>()
            .join(" ");
        let nested = msg
            .into_iter()
            .map(|f| (f.key.into_bytes(), f.expect, f.text))
            .collect();
        vec![
            plain("pid", &pid),
            plain("uid", &uid),
            plain("auid", &auid),
            plain("ses", &ses),
            Rendered {
                key: "msg".into(),
                written: None,
                text: format!("'{text}'"),
                expect: Expect::Nested(nested),
            },
        ]
    })
}

/// One EXECVE argument: whole, or split into `aN_len=` and `aN[i]=` chunks.
fn execve_fields() -> impl Strategy<Value = Vec<Rendered>> {
    vec(
        (
            string_bytes(),
            prop_oneof![3 => Just(None), 1 => (1usize..9).prop_map(Some)],
        ),
        0..8,
    )
    .prop_map(|args| {
        let mut out = vec![plain("argc", &Val::Bare(args.len().to_string()))];
        for (i, (arg, split)) in args.into_iter().enumerate() {
            let hex = needs_hex(&arg);
            match split {
                Some(size) if arg.len() > size => {
                    let len = if hex { 2 * arg.len() } else { arg.len() };
                    out.push(plain(&format!("a{i}_len"), &Val::Bare(len.to_string())));
                    for (j, chunk) in arg.chunks(size).enumerate() {
                        // The whole argument decides: a plain chunk of a
                        // hex argument is hex too.
                        let text = if hex {
                            hex_upper(chunk)
                        } else {
                            render_str(chunk)
                        };
                        out.push(Rendered {
                            key: format!("a{i}[{j}]"),
                            written: None,
                            text,
                            expect: Expect::Bytes(chunk.to_vec()),
                        });
                    }
                }
                _ => out.push(plain(&format!("a{i}"), &Val::Str(arg))),
            }
        }
        out
    })
}

fn sockaddr_bytes() -> impl Strategy<Value = Vec<u8>> {
    (select(&[1u16, 2, 10, 16, 42][..]), vec(any::<u8>(), 0..40)).prop_map(|(fam, rest)| {
        let mut b = fam.to_le_bytes().to_vec();
        b.extend_from_slice(&rest);
        b
    })
}

fn fields_of(rtype: RecordType) -> BoxedStrategy<Vec<Rendered>> {
    match rtype {
        RecordType::SYSCALL => vec(syscall_field(), 0..16).boxed(),
        RecordType::EXECVE => execve_fields().boxed(),
        RecordType::PATH => vec(path_field(), 0..12).boxed(),
        RecordType::CWD => field("cwd", str_val()).prop_map(|f| vec![f]).boxed(),
        RecordType::SOCKADDR => prop_oneof![sockaddr_bytes(), vec(any::<u8>(), 0..130),]
            .prop_map(|b| {
                vec![Rendered {
                    key: "saddr".into(),
                    written: None,
                    text: hex_upper(&b),
                    // saddr is not an encoded string: value() keeps the hex.
                    expect: Expect::Bytes(hex_upper(&b).into_bytes()),
                }]
            })
            .boxed(),
        RecordType::PROCTITLE => field("proctitle", str_val()).prop_map(|f| vec![f]).boxed(),
        RecordType::USER => user_fields().boxed(),
        RecordType::LOGIN => vec(login_field(), 0..9).boxed(),
        _ => unreachable!(),
    }
}

fn enrichment() -> impl Strategy<Value = Option<(String, Vec<String>)>> {
    let pair = select(
        &[
            ("AUID", "\"root\""),
            ("UID", "\"cloudsdk\""),
            ("ARCH", "x86_64"),
            ("SYSCALL", "execve"),
            ("OUID", "\"unknown(4242)\""),
            ("SADDR", "{ saddr_fam=inet laddr=127.0.0.1 lport=9 }"),
            ("SADDR", "{ saddr_fam=local path=/tmp/x y.sock }"),
        ][..],
    );
    proptest::option::of(vec(pair, 1..5)).prop_map(|o| {
        o.map(|pairs| {
            let text = pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            (text, pairs.iter().map(|(k, _)| (*k).to_string()).collect())
        })
    })
}

fn model() -> impl Strategy<Value = Model> {
    let rtype = select(
        &[
            RecordType::SYSCALL,
            RecordType::EXECVE,
            RecordType::PATH,
            RecordType::CWD,
            RecordType::SOCKADDR,
            RecordType::PROCTITLE,
            RecordType::USER,
            RecordType::LOGIN,
        ][..],
    );
    let node = proptest::option::of("[a-z0-9][a-z0-9.-]{0,11}");
    let sec = prop_oneof![1_600_000_000u64..1_900_000_000, any::<u64>()];
    (rtype, node, sec, 0u16..=999, any::<u32>(), enrichment()).prop_flat_map(
        |(rtype, node, sec, msec, serial, enrichment)| {
            fields_of(rtype).prop_map(move |fields| Model {
                rtype,
                node: node.clone(),
                sec,
                msec,
                serial,
                fields,
                enrichment: enrichment.clone(),
            })
        },
    )
}

fn len_field() -> impl Strategy<Value = LenField> {
    prop_oneof![
        3 => Just(LenField::Right),
        1 => Just(LenField::PayloadOnly),
        1 => Just(LenField::Padded),
        1 => Just(LenField::Any(0)),
        1 => any::<u32>().prop_map(LenField::Any),
    ]
}

// ---------------------------------------------------------------------------
// Checks.

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The field decodes to what was rendered.
fn check_value(f: &Field<'_>, want: &Expect, text: &str) -> Result<(), TestCaseError> {
    let got = f.value();
    let ctx = || format!("{}={text} -> {got:?}, want {want:?}", show(f.key()));
    match (want, &got) {
        (Expect::Bytes(b), Value::Bytes(g)) => prop_assert_eq!(&g[..], &b[..], "{}", ctx()),
        (Expect::Null, Value::Null)
        | (Expect::Unknown, Value::Unknown)
        | (Expect::Unset, Value::Unset) => {}
        (Expect::Nested(inner), Value::Nested(nf)) => {
            let got: Vec<Field<'_>> = nf.clone().collect();
            prop_assert_eq!(got.len(), inner.len(), "{}", ctx());
            for (g, (k, e, t)) in got.iter().zip(inner) {
                prop_assert_eq!(g.key(), &k[..]);
                check_value(g, e, t)?;
            }
            prop_assert_eq!(f.nested().map(|n| n.remainder()), Some(f.raw()));
        }
        _ => prop_assert!(false, "{}", ctx()),
    }
    // The `key` field: its keys joined by 0x01 are its bytes.
    if f.key() == b"key" {
        match f.bytes() {
            Some(b) => {
                let joined = f.keys().collect::<Vec<_>>().join(&1u8);
                prop_assert_eq!(joined, b.into_owned());
            }
            None => prop_assert_eq!(f.keys().count(), 0),
        }
    }
    // A rendered string never needs the raw text to be taken as is.
    if let (Expect::Bytes(b), Quote::Double) = (want, f.quote()) {
        prop_assert_eq!(f.raw(), &b[..]);
    }
    Ok(())
}

fn check_record(rec: &Record<'_>, m: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(rec.record_type(), m.rtype);
    prop_assert_eq!(rec.id().time.sec, m.sec);
    prop_assert_eq!(rec.id().time.msec, m.msec);
    prop_assert_eq!(rec.id().serial, m.serial);
    let body = m.body();
    prop_assert_eq!(rec.body(), body.as_bytes());
    let got: Vec<Field<'_>> = rec.fields().collect();
    let keys: Vec<String> = got.iter().map(|f| show(f.key())).collect();
    let want: Vec<&str> = m.fields.iter().map(|f| f.key.as_str()).collect();
    prop_assert_eq!(keys, want);
    for (g, w) in got.iter().zip(&m.fields) {
        check_value(g, &w.expect, &w.text)?;
        prop_assert_eq!(g.record_type(), m.rtype);
    }
    // get() finds the first field of a key.
    if let Some(w) = m.fields.first() {
        let first = rec.get(w.key.as_bytes()).unwrap();
        check_value(&first, &w.expect, &w.text)?;
    }
    // EXECVE: the chunks of an argument concatenate to the argument.
    // (Checked per chunk above; here the owned copy must agree too.)
    let owned = rec.to_owned_record();
    let back = owned.as_record();
    prop_assert_eq!(&back, rec);
    prop_assert_eq!(back.node(), rec.node());
    prop_assert_eq!(back.enrichment(), rec.enrichment());
    Ok(())
}

// ---------------------------------------------------------------------------
// The properties.

proptest! {
    /// A rendered record parses back, from a log line and from a datagram, to
    /// the same record, with every value decoding to the original bytes.
    #[test]
    fn round_trip_line_and_netlink(
        m in model(),
        newline in any::<bool>(),
        len in len_field(),
        tail in select(vec![&b""[..], b"\0", b"\0\0\0"]),
        hdr in any::<(u16, u32, u32)>(),
    ) {
        let line = m.line(newline);
        let from_line = Record::parse_line(&line)
            .map_err(|e| TestCaseError::fail(format!("{e}: {}", show(&line))))?;
        check_record(&from_line, &m)?;
        prop_assert_eq!(from_line.node(), m.node.as_deref().map(str::as_bytes));
        prop_assert_eq!(from_line.raw(), &line[..]);
        match &m.enrichment {
            Some((text, keys)) => {
                prop_assert_eq!(from_line.enrichment(), Some(text.as_bytes()));
                let got: Vec<String> =
                    from_line.enriched_fields().map(|f| show(f.key())).collect();
                prop_assert_eq!(&got, keys);
            }
            None => {
                prop_assert_eq!(from_line.enrichment(), None);
                prop_assert_eq!(from_line.enriched_fields().count(), 0);
            }
        }

        // Display writes the line back (without enrichment and newline), and
        // that parses to the same record.
        let text = from_line.to_string();
        prop_assert_eq!(&text, &m.line_text());
        let again = Record::parse_line(text.as_bytes()).unwrap();
        prop_assert_eq!(again, from_line);

        let d = m.datagram(len, tail, hdr);
        let from_nl = Record::parse_netlink(&d)
            .map_err(|e| TestCaseError::fail(format!("{e}: {:?}", show(&d))))?;
        check_record(&from_nl, &m)?;
        prop_assert_eq!(from_nl.node(), None);
        prop_assert_eq!(from_nl.enrichment(), None);
        let from_payload = Record::parse_payload(m.rtype, &d[NLMSG_HDRLEN..]).unwrap();
        prop_assert_eq!(from_payload, from_nl);
        if m.node.is_none() {
            prop_assert_eq!(from_line, from_nl);
        } else {
            // Only the node differs.
            prop_assert_ne!(from_line, from_nl);
            prop_assert_eq!(from_line.body(), from_nl.body());
            prop_assert_eq!(from_line.id(), from_nl.id());
        }
    }

    /// EXECVE: `aN[i]` chunks decode, in order, to the whole argument.
    #[test]
    fn execve_chunks_concatenate(
        args in vec((string_bytes(), 1usize..9), 1..5),
    ) {
        let mut body = format!("argc={}", args.len());
        for (i, (arg, size)) in args.iter().enumerate() {
            let hex = needs_hex(arg);
            let len = if hex { 2 * arg.len() } else { arg.len() };
            body.push_str(&format!(" a{i}_len={len}"));
            for (j, chunk) in arg.chunks(*size).enumerate() {
                let t = if hex { hex_upper(chunk) } else { render_str(chunk) };
                body.push_str(&format!(" a{i}[{j}]={t}"));
            }
        }
        let mut got: Vec<Vec<u8>> = vec![Vec::new(); args.len()];
        for f in Fields::new(body.as_bytes(), RecordType::EXECVE) {
            let k = f.key();
            if let Some(rest) = k.strip_prefix(b"a") {
                if let Some(open) = rest.iter().position(|&c| c == b'[') {
                    prop_assert!(f.is_encoded());
                    let i: usize = show(&rest[..open]).parse().unwrap();
                    got[i].extend_from_slice(&f.bytes().unwrap());
                }
            }
        }
        let want: Vec<Vec<u8>> = args.into_iter().map(|(a, _)| a).collect();
        prop_assert_eq!(got, want);
    }
}

/// Bodies biased toward the tokenizer's special bytes.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        6 => select(&b"= \"'{}"[..]),
        4 => select(&b"abk01"[..]),
        1 => any::<u8>(),
    ];
    vec(byte, 0..64)
}

fn hexish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        10 => select(&b"0123456789abcdefABCDEF"[..]),
        1 => select(&b"gG+- x\0"[..]),
        1 => any::<u8>(),
    ];
    vec(byte, 0..34)
}

/// Offset of `part` in `whole`, if `part` lies inside it.
fn inside(whole: &[u8], part: &[u8]) -> Option<usize> {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    (p >= w && p + part.len() <= w + whole.len()).then(|| p - w)
}

proptest! {
    /// The memchr tokenizer yields what the byte-by-byte reference does.
    #[test]
    fn tokenizer_equals_naive(body in body_bytes()) {
        let fast: Vec<(Vec<u8>, Vec<u8>, Quote)> = Fields::new(&body, RecordType(1300))
            .map(|f| (f.key().to_vec(), f.raw().to_vec(), f.quote()))
            .collect();
        prop_assert_eq!(fast, naive_fields(&body), "{:?}", show(&body));
    }

    /// The tokenizer loses no byte: after each field, the text it consumed is
    /// spaces, then exactly `key` `=` opening-quote `raw` closing-quote (key
    /// and raw borrowed from the body at those places); nothing but spaces is
    /// skipped, and the consumed parts cover the body.
    #[test]
    fn tokenizer_loses_no_byte(body in body_bytes(), login in any::<bool>()) {
        let rtype = if login { RecordType::LOGIN } else { RecordType(1300) };
        let mut it = Fields::new(&body, rtype);
        let mut pos = 0;
        while let Some(f) = it.next() {
            let end = body.len() - it.remainder().len();
            prop_assert_eq!(inside(&body, it.remainder()), Some(end));
            let seg = &body[pos..end];
            let lead = seg.iter().take_while(|&&c| c == b' ').count();
            prop_assert!(lead < seg.len(), "empty field at {} in {:?}", pos, show(&body));
            let start = pos + lead;
            let seg = &body[start..end];
            let raw_at = inside(&body, f.raw()).expect("raw borrowed from the body");
            prop_assert!(raw_at >= start && raw_at + f.raw().len() <= end);
            // Between the key and raw: "", "=", "=\"" or "='" (the LOGIN
            // old form "old auid=" has a key that is not in the text).
            let merged_login = login && (seg.starts_with(b"old ") || seg.starts_with(b"new "));
            let opening = if merged_login {
                let sp = seg.iter().position(|&c| c == b'=').unwrap();
                prop_assert!(f.key() == b"old-auid" || f.key() == b"auid"
                    || f.key() == b"old-ses" || f.key() == b"ses");
                &body[start + sp..raw_at]
            } else {
                let k = f.key();
                if !k.is_empty() {
                    prop_assert_eq!(inside(&body, k), Some(start));
                }
                prop_assert_eq!(&seg[..k.len()], k);
                &body[start + k.len()..raw_at]
            };
            let want_open: &[&[u8]] = match f.quote() {
                Quote::None | Quote::Brace => &[b"", b"="],
                Quote::Double => &[b"=\""],
                Quote::Single => &[b"='"],
            };
            prop_assert!(want_open.contains(&opening), "opening {:?}", show(opening));
            if opening.is_empty() {
                prop_assert!(f.key().is_empty());
            }
            // After raw: the closing quote, if the value was closed.
            let closing = &body[raw_at + f.raw().len()..end];
            let want_close: &[&[u8]] = match f.quote() {
                Quote::None | Quote::Brace => &[b""],
                Quote::Double => &[b"\"", b""],
                Quote::Single => &[b"'", b""],
            };
            prop_assert!(want_close.contains(&closing), "closing {:?}", show(closing));
            if closing.is_empty() && f.quote() != Quote::None && f.quote() != Quote::Brace {
                // An unterminated quote runs to the end of the body.
                prop_assert_eq!(end, body.len());
            }
            if f.quote() == Quote::Brace {
                prop_assert!(f.raw().first() == Some(&b'{'), "brace {:?}", show(f.raw()));
            }
            // (A closed quote may be followed directly by the next field:
            // `a="x"y` is `a`="x" and a word `y`.)
            pos = end;
        }
        // Only spaces remain.
        prop_assert!(body[pos..].iter().all(|&c| c == b' '));
        prop_assert!(it.remainder().is_empty());
    }

    /// The LUT hex decoder agrees with the reference.
    #[test]
    fn decode_hex_equals_naive(s in hexish()) {
        prop_assert_eq!(decode_hex(&s), naive_decode_hex(&s), "{:?}", show(&s));
    }

    /// Upper-case hex of any bytes decodes back.
    #[test]
    fn hex_round_trip(b in vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(decode_hex(hex_upper(&b).as_bytes()), Some(b.clone()));
        let lower = hex_upper(&b).to_ascii_lowercase();
        prop_assert_eq!(decode_hex(lower.as_bytes()), Some(b));
    }
}

/// Bytes that sometimes start like a record.
fn line_like() -> impl Strategy<Value = Vec<u8>> {
    let prefix = select(vec![
        &b""[..],
        b"type=SYSCALL msg=audit(",
        b"node=x type=EXECVE msg=audit(1.000:",
        b"type=USER msg=audit(1.000:2): ",
        b"type=LOGIN msg=audit(1.000:2): old ",
        b"type=UNKNOWN[",
        b"audit(1.000:2): ",
    ]);
    let byte = prop_oneof![
        4 => select(&b"= \"'{}().:0123456789\x1d\n\0"[..]),
        2 => select(&b"akntype"[..]),
        2 => any::<u8>(),
    ];
    (prefix, vec(byte, 0..96)).prop_map(|(p, mut rest)| {
        let mut v = p.to_vec();
        v.append(&mut rest);
        v
    })
}

fn walk(rec: &Record<'_>) {
    for f in rec.fields().chain(rec.enriched_fields()) {
        let _ = f.value();
        let _ = f.is_encoded();
        let _ = (f.as_u64(), f.as_i64(), f.as_hex(), f.as_id());
        let _ = f.keys().count();
        if let Some(n) = f.nested() {
            for g in n {
                let _ = g.value();
            }
        }
    }
    let _ = rec.to_string();
    let _ = format!("{rec:?}");
    assert_eq!(rec.to_owned_record().as_record(), *rec);
}

proptest! {
    /// Arbitrary bytes never make the line parser panic.
    #[test]
    fn parse_line_never_panics(line in line_like()) {
        if let Ok(r) = Record::parse_line(&line) {
            walk(&r);
        }
    }

    /// Arbitrary datagrams never make the netlink parser panic.
    #[test]
    fn parse_netlink_never_panics(
        t in prop_oneof![select(&[2u16, 1005, 1006, 1300, 1309, 1320, 2000][..]), any::<u16>()],
        len in any::<u32>(),
        body in line_like(),
        short in 0usize..20,
    ) {
        let mut d = len.to_ne_bytes().to_vec();
        d.extend_from_slice(&t.to_ne_bytes());
        d.extend_from_slice(&[0; 10]);
        d.extend_from_slice(&body);
        let d = if short < 16 { &d[..short] } else { &d[..] };
        if let Ok(r) = Record::parse_netlink(d) {
            walk(&r);
            prop_assert_eq!(r.record_type(), RecordType(t));
        }
    }

    /// SockAddr decoding is total on arbitrary hex text and bytes, and hex
    /// text decodes like the bytes it encodes.
    #[test]
    fn sockaddr_never_panics(
        hex in hexish(),
        bytes in prop_oneof![sockaddr_bytes(), vec(any::<u8>(), 0..140)],
        big in any::<bool>(),
    ) {
        let e = if big { Endian::Big } else { Endian::Little };
        if let Ok(a) = SockAddr::from_hex(&hex, e) {
            let _ = (a.to_string(), format!("{a:?}"), a.family_name(), a.port());
        }
        let from_bytes = SockAddr::from_bytes(&bytes, e);
        prop_assert_eq!(from_bytes.is_ok(), (2..=128).contains(&bytes.len()));
        if let Ok(a) = from_bytes {
            let _ = (a.to_string(), format!("{a:?}"), a.family_name(), a.port());
            let fam = match e {
                Endian::Little => u16::from_le_bytes([bytes[0], bytes[1]]),
                Endian::Big => u16::from_be_bytes([bytes[0], bytes[1]]),
            };
            prop_assert_eq!(a.family(), fam);
        }
        prop_assert_eq!(SockAddr::from_hex(hex_upper(&bytes).as_bytes(), e), from_bytes);
        let lower = hex_upper(&bytes).to_ascii_lowercase();
        prop_assert_eq!(SockAddr::from_hex(lower.as_bytes(), e), from_bytes);
    }
}

#[test]
fn render_rules() {
    // The kernel's rule, on the edges of the printable range.
    assert!(!needs_hex(b"!~"));
    assert!(needs_hex(b" "));
    assert!(needs_hex(b"\""));
    assert!(needs_hex(b"\x7f"));
    assert_eq!(render_str(b"ls"), "\"ls\"");
    assert_eq!(render_str(b"a b"), "612062");
    assert_eq!(render_str(b""), "\"\"");
    let v = Val::Keys(vec![b"exec".to_vec(), b"net".to_vec()]);
    assert_eq!(v.render(), "65786563016E6574");
}
