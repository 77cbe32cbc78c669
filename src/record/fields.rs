//! The body tokenizer: `key=value` fields, lazily, without allocating.
//!
//! Grammar (what the kernel, auditd and user-space writers produce):
//! fields are separated by one or more spaces; a field is `key=value`, where the
//! value is bare (up to the next space), double-quoted (`"..."`, up to the next
//! `"`), single-quoted (`'...'`, the nested body of user-space messages, up to
//! the last `'` of the body: the kernel writes `msg='...'` last, and the text
//! inside comes from the sending process, which may put quotes in it) or braced (`{ ... }`, up to a `}` followed
//! by a space or the end). A token without `=` (`avc:`, `denied`, `{ read }`,
//! `for`) is kept as a field with an empty key. The old LOGIN form
//! `old auid=1 new auid=2 old ses=3 new ses=4` reads as `old-auid`, `auid`,
//! `old-ses`, `ses`, as newer kernels write it.
//!
//! Nothing is lost: every byte of the body belongs to a field or to the spaces
//! between fields, and an unterminated quote runs to the end of the body.

use memchr::{memchr, memchr2, memrchr};

use super::types::RecordType;
use super::value::Quote;
use super::Field;

/// An iterator over the fields of a record body (or of a nested `msg='...'`).
///
/// Cheap to clone; created by [`Record::fields`](super::Record::fields).
#[derive(Clone)]
pub struct Fields<'a> {
    rest: &'a [u8],
    rtype: RecordType,
}

impl std::fmt::Debug for Fields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fields")
            .field("rest", &crate::bytes::BStr(self.rest))
            .field("rtype", &self.rtype)
            .finish()
    }
}

impl<'a> Fields<'a> {
    /// Fields of `body`, decoded by the rules of record type `rtype`.
    pub fn new(body: &'a [u8], rtype: RecordType) -> Self {
        Fields { rest: body, rtype }
    }

    /// The part of the body not yet read.
    pub fn remainder(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    #[inline]
    fn next(&mut self) -> Option<Field<'a>> {
        let mut s = self.rest;
        while let [b' ', tail @ ..] = s {
            s = tail;
        }
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        let (field, used) = next_field(s, self.rtype);
        self.rest = &s[used..];
        Some(field)
    }
}

/// Reads one field from `s` (which starts with a non-space byte); returns it and
/// the number of bytes it spans.
#[inline]
fn next_field(s: &[u8], rtype: RecordType) -> (Field<'_>, usize) {
    match memchr2(b'=', b' ', s) {
        Some(eq) if s[eq] == b'=' => {
            let key = &s[..eq];
            let (raw, quote, used) = value_token(&s[eq + 1..]);
            (Field::new(key, raw, quote, rtype), eq + 1 + used)
        }
        found => {
            // A token without '='.
            if s[0] == b'{' {
                let (raw, used) = braced(s);
                return (Field::new(b"", raw, Quote::Brace, rtype), used);
            }
            let end = found.unwrap_or(s.len());
            let word = &s[..end];
            if let Some(merged) = old_login_form(word, &s[end..], rtype) {
                return merged;
            }
            (Field::new(b"", word, Quote::None, rtype), end)
        }
    }
}

/// `old auid=` / `new ses=` of old kernels' LOGIN records.
#[cold]
fn old_login_form<'a>(
    word: &[u8],
    after: &'a [u8],
    rtype: RecordType,
) -> Option<(Field<'a>, usize)> {
    if rtype != RecordType::LOGIN || (word != b"old" && word != b"new") {
        return None;
    }
    let old = word == b"old";
    let tail = after.strip_prefix(b" ")?;
    let (key, vstart): (&'static [u8], usize) = if tail.starts_with(b"auid=") {
        (if old { b"old-auid" } else { b"auid" }, 5)
    } else if tail.starts_with(b"ses=") {
        (if old { b"old-ses" } else { b"ses" }, 4)
    } else {
        return None;
    };
    let (raw, quote, used) = value_token(&tail[vstart..]);
    Some((
        Field::new(key, raw, quote, rtype),
        word.len() + 1 + vstart + used,
    ))
}

/// Reads a value starting right after `=`; returns (value without quotes, quote
/// kind, bytes spanned including quotes).
#[inline]
fn value_token(v: &[u8]) -> (&[u8], Quote, usize) {
    match v.first() {
        Some(b'"') => match memchr(b'"', &v[1..]) {
            Some(end) => (&v[1..1 + end], Quote::Double, end + 2),
            None => (&v[1..], Quote::Double, v.len()),
        },
        Some(b'\'') => {
            let (inner, used) = single_quoted(v);
            (inner, Quote::Single, used)
        }
        Some(b'{') => {
            let (raw, used) = braced(v);
            (raw, Quote::Brace, used)
        }
        _ => {
            let end = memchr(b' ', v).unwrap_or(v.len());
            (&v[..end], Quote::None, end)
        }
    }
}

/// `'...'` closed by the last `'` of the body (`v` runs to its end).
fn single_quoted(v: &[u8]) -> (&[u8], usize) {
    match memrchr(b'\'', &v[1..]) {
        Some(q) => (&v[1..1 + q], q + 2),
        None => (&v[1..], v.len()),
    }
}

/// `{ ... }` closed by a `}` that ends the body or is followed by a space; the
/// braces are kept in the value.
fn braced(v: &[u8]) -> (&[u8], usize) {
    let mut from = 1;
    while let Some(p) = memchr(b'}', &v[from..]) {
        let q = from + p;
        if q + 1 == v.len() || v[q + 1] == b' ' {
            return (&v[..q + 1], q + 1);
        }
        from = q + 1;
    }
    (v, v.len())
}

/// The reference tokenizer: byte by byte, no memchr, for tests of the fast one.
#[cfg(test)]
pub(crate) fn naive_fields(body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>, Quote)> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = body.len();
    let find = |from: usize, pred: &dyn Fn(usize) -> bool| (from..n).find(|&j| pred(j));
    while i < n {
        if body[i] == b' ' {
            i += 1;
            continue;
        }
        let eq = find(i, &|j| body[j] == b'=' || body[j] == b' ');
        let closes = |j: usize, c: u8| body[j] == c && (j + 1 == n || body[j + 1] == b' ');
        match eq {
            Some(e) if body[e] == b'=' => {
                let key = body[i..e].to_vec();
                let v = e + 1;
                let (raw, q, next) = match body.get(v) {
                    Some(b'"') => match find(v + 1, &|j| body[j] == b'"') {
                        Some(c) => (&body[v + 1..c], Quote::Double, c + 1),
                        None => (&body[v + 1..], Quote::Double, n),
                    },
                    Some(b'\'') => match (v + 1..n).rev().find(|&j| body[j] == b'\'') {
                        Some(c) => (&body[v + 1..c], Quote::Single, c + 1),
                        None => (&body[v + 1..], Quote::Single, n),
                    },
                    Some(b'{') => match find(v + 1, &|j| closes(j, b'}')) {
                        Some(c) => (&body[v..c + 1], Quote::Brace, c + 1),
                        None => (&body[v..], Quote::Brace, n),
                    },
                    _ => {
                        let c = find(v, &|j| body[j] == b' ').unwrap_or(n);
                        (&body[v..c], Quote::None, c)
                    }
                };
                out.push((key, raw.to_vec(), q));
                i = next;
            }
            _ if body[i] == b'{' => {
                let c = find(i + 1, &|j| closes(j, b'}')).map_or(n, |c| c + 1);
                out.push((Vec::new(), body[i..c].to_vec(), Quote::Brace));
                i = c;
            }
            _ => {
                let c = find(i, &|j| body[j] == b' ').unwrap_or(n);
                out.push((Vec::new(), body[i..c].to_vec(), Quote::None));
                i = c;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(body: &[u8], rtype: RecordType) -> Vec<(String, String, Quote)> {
        Fields::new(body, rtype)
            .map(|f| {
                (
                    String::from_utf8_lossy(f.key()).into_owned(),
                    String::from_utf8_lossy(f.raw()).into_owned(),
                    f.quote(),
                )
            })
            .collect()
    }

    fn t(k: &str, v: &str, q: Quote) -> (String, String, Quote) {
        (k.into(), v.into(), q)
    }

    #[test]
    fn table() {
        use Quote::*;
        let s = RecordType::SYSCALL;
        type Case<'a> = (&'a [u8], RecordType, Vec<(String, String, Quote)>);
        let cases: Vec<Case> =
            vec![
            (b"", s, vec![]),
            (b"   ", s, vec![]),
            (b"a=1 b=2", s, vec![t("a", "1", None), t("b", "2", None)]),
            (b"  a=1   b=2 ", s, vec![t("a", "1", None), t("b", "2", None)]),
            (b"comm=\"ls -l\" x=", s, vec![t("comm", "ls -l", Double), t("x", "", None)]),
            (b"k=\"\" n=(null)", s, vec![t("k", "", Double), t("n", "(null)", None)]),
            (b"k=\"unterminated x=1", s, vec![t("k", "unterminated x=1", Double)]),
            (
                b"pid=1 msg='op=PAM:x acct=\"r t\" res=failed' z=2",
                RecordType(1100),
                vec![
                    t("pid", "1", None),
                    t("msg", "op=PAM:x acct=\"r t\" res=failed", Single),
                    t("z", "2", None),
                ],
            ),
            (b"msg='it's here'", RecordType(1100), vec![t("msg", "it's here", Single)]),
            // The sender's text may hold a quote followed by a space: msg='...'
            // runs to the body's last quote.
            (
                b"pid=1 msg='op=x text=it' s here res=1'",
                RecordType(1100),
                vec![t("pid", "1", None), t("msg", "op=x text=it' s here res=1", Single)],
            ),
            (b"msg='open", RecordType(1100), vec![t("msg", "open", Single)]),
            (b"msg=' ' x=1", RecordType(1100), vec![t("msg", " ", Single), t("x", "1", None)]),
            (
                b"avc:  denied  { read write } for  pid=3",
                RecordType(1400),
                vec![
                    t("", "avc:", None),
                    t("", "denied", None),
                    t("", "{ read write }", Brace),
                    t("", "for", None),
                    t("pid", "3", None),
                ],
            ),
            (
                b"SADDR={ saddr_fam=local path=/tmp/x y.sock }",
                RecordType::SOCKADDR,
                vec![t("SADDR", "{ saddr_fam=local path=/tmp/x y.sock }", Brace)],
            ),
            (b"a={x}y }", s, vec![t("a", "{x}y }", Brace)]),
            (b"x==y", s, vec![t("x", "=y", None)]),
            (b"=v", s, vec![t("", "v", None)]),
            (
                b"pid=1 uid=0 old auid=4294967295 new auid=1000 old ses=4294967295 new ses=2 res=1",
                RecordType::LOGIN,
                vec![
                    t("pid", "1", None),
                    t("uid", "0", None),
                    t("old-auid", "4294967295", None),
                    t("auid", "1000", None),
                    t("old-ses", "4294967295", None),
                    t("ses", "2", None),
                    t("res", "1", None),
                ],
            ),
            // "old" outside LOGIN is just a word.
            (b"old auid=1", s, vec![t("", "old", None), t("auid", "1", None)]),
            (b"old", RecordType::LOGIN, vec![t("", "old", None)]),
        ];
        for (body, rt, want) in cases {
            assert_eq!(toks(body, rt), want, "{}", String::from_utf8_lossy(body));
            if rt != RecordType::LOGIN {
                let naive: Vec<_> = naive_fields(body)
                    .into_iter()
                    .map(|(k, v, q)| {
                        (
                            String::from_utf8_lossy(&k).into_owned(),
                            String::from_utf8_lossy(&v).into_owned(),
                            q,
                        )
                    })
                    .collect();
                assert_eq!(naive, want, "naive {}", String::from_utf8_lossy(body));
            }
        }
    }
}
