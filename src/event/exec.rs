//! Exec events: argv rebuilt from EXECVE records, cwd, paths, proctitle.

use std::borrow::Cow;
use std::fmt;

use super::syscall::{own, Syscall};
use crate::bytes::{opt, List};
use crate::record::{is_execve_arg, parse_decimal, Field, Record, RecordType};

/// One execve/execveat.
#[derive(Clone, PartialEq, Eq)]
pub struct ExecEvent<'a> {
    /// The syscall, its result and the process (before the exec took effect:
    /// `comm` is the old name, `exe` the new program).
    pub syscall: Syscall<'a>,
    /// `argc=` of the EXECVE record (`None` for a failed exec: it has none).
    pub argc: Option<u32>,
    /// The arguments, each rebuilt from all its chunks and decoded exactly.
    pub argv: Vec<Cow<'a, [u8]>>,
    /// False when the EXECVE records did not hold all `argc` arguments (a lost
    /// record, an old kernel) or a split argument is missing chunks.
    pub argv_complete: bool,
    /// The working directory (CWD record).
    pub cwd: Option<Cow<'a, [u8]>>,
    /// The process title: argv as the kernel saw it, cut at 128 bytes, split
    /// at NUL bytes.
    pub proctitle: Vec<Cow<'a, [u8]>>,
    /// The PATH records, in item order.
    pub paths: Vec<PathRecord<'a>>,
}

/// One PATH record.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PathRecord<'a> {
    /// `item=`.
    pub item: Option<u32>,
    /// `name=` (`None` for `(null)`).
    pub name: Option<Cow<'a, [u8]>>,
    /// `inode=`.
    pub inode: Option<u64>,
    /// `dev=` as written (`fd:01`).
    pub dev: Option<Cow<'a, [u8]>>,
    /// `mode=` (octal in the record).
    pub mode: Option<u32>,
    /// `ouid=`.
    pub ouid: Option<u32>,
    /// `ogid=`.
    pub ogid: Option<u32>,
    /// `nametype=` (`NORMAL`, `PARENT`, `CREATE`, `DELETE`, `UNKNOWN`).
    pub nametype: Option<Cow<'a, [u8]>>,
}

impl fmt::Debug for ExecEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ExecEvent {
            syscall,
            argc,
            argv,
            argv_complete,
            cwd,
            proctitle,
            paths,
        } = self;
        f.debug_struct("ExecEvent")
            .field("syscall", syscall)
            .field("argc", argc)
            .field("argv", &List(argv))
            .field("argv_complete", argv_complete)
            .field("cwd", &opt(cwd))
            .field("proctitle", &List(proctitle))
            .field("paths", paths)
            .finish()
    }
}

impl fmt::Debug for PathRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let PathRecord {
            item,
            name,
            inode,
            dev,
            mode,
            ouid,
            ogid,
            nametype,
        } = self;
        f.debug_struct("PathRecord")
            .field("item", item)
            .field("name", &opt(name))
            .field("inode", inode)
            .field("dev", &opt(dev))
            .field("mode", &mode.map(Octal))
            .field("ouid", ouid)
            .field("ogid", ogid)
            .field("nametype", &opt(nametype))
            .finish()
    }
}

/// A mode shown in octal, as PATH records write it.
struct Octal(u32);

impl fmt::Debug for Octal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0o{:o}", self.0)
    }
}

impl<'a> PathRecord<'a> {
    pub(crate) fn from_record(r: &Record<'a>) -> PathRecord<'a> {
        let mut p = PathRecord::default();
        for f in r.fields() {
            match f.key() {
                b"item" => p.item = f.as_u64().and_then(|n| u32::try_from(n).ok()),
                b"name" => p.name = f.bytes(),
                b"inode" => p.inode = f.as_u64(),
                b"dev" => p.dev = Some(Cow::Borrowed(f.raw())),
                b"mode" => p.mode = parse_octal(f.raw()),
                b"ouid" => p.ouid = f.as_id().flatten(),
                b"ogid" => p.ogid = f.as_id().flatten(),
                b"nametype" => p.nametype = Some(Cow::Borrowed(f.raw())),
                _ => {}
            }
        }
        p
    }

    /// An owned copy.
    pub fn into_owned(self) -> PathRecord<'static> {
        PathRecord {
            item: self.item,
            name: self.name.map(own),
            inode: self.inode,
            dev: self.dev.map(own),
            mode: self.mode,
            ouid: self.ouid,
            ogid: self.ogid,
            nametype: self.nametype.map(own),
        }
    }
}

fn parse_octal(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 11 {
        return None;
    }
    s.iter().try_fold(0u32, |n, &c| {
        let d = c.wrapping_sub(b'0');
        (d < 8).then(|| n.checked_mul(8)?.checked_add(u32::from(d)))?
    })
}

/// Most missing arguments an exec's argv is padded with (empty, and the event
/// flagged `argv_complete: false`) when the EXECVE records skip indexes (a lost
/// record). An argument further out is dropped (and flagged): indexes come from
/// the input, and never size an allocation beyond the arguments really seen
/// plus this many.
pub const MAX_ARGV_HOLES: usize = 4096;

/// Collects argv from EXECVE records: `aN`, and `aN_len` + `aN[i]` chunks that
/// may continue in the next record.
pub(crate) struct ArgvBuilder<'a> {
    argc: Option<u32>,
    args: Vec<Option<Cow<'a, [u8]>>>,
    /// The argument being assembled from chunks, and the next chunk index.
    chunked: Option<(usize, usize)>,
    /// Missing arguments that may still be padded.
    holes_left: usize,
    broken: bool,
}

impl Default for ArgvBuilder<'_> {
    fn default() -> Self {
        ArgvBuilder {
            argc: None,
            args: Vec::new(),
            chunked: None,
            holes_left: MAX_ARGV_HOLES,
            broken: false,
        }
    }
}

impl<'a> ArgvBuilder<'a> {
    pub(crate) fn add_record(&mut self, r: &Record<'a>) {
        for f in r.fields() {
            self.add_field(&f);
        }
    }

    /// The slot of argument `n`, or `None` (and the argv flagged) when `n`
    /// is past `argc` or further past the arguments seen than the padding
    /// allows.
    fn slot(&mut self, n: usize) -> Option<&mut Option<Cow<'a, [u8]>>> {
        if self.argc.is_some_and(|c| n >= c as usize) {
            self.broken = true;
            return None;
        }
        if n >= self.args.len() {
            let holes = n - self.args.len();
            if holes > self.holes_left {
                self.broken = true;
                return None;
            }
            self.holes_left -= holes;
            self.args.resize(n + 1, None);
        }
        Some(&mut self.args[n])
    }

    fn add_field(&mut self, f: &Field<'a>) {
        let key = f.key();
        if key == b"argc" {
            self.argc = f.as_u64().and_then(|n| u32::try_from(n).ok());
            return;
        }
        if !is_execve_arg(key) {
            // argc, aN_len (the declared length is of the logged text; the
            // decoded chunks are what counts), anything else
            return;
        }
        let digits = key[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let Some(n) = parse_decimal(&key[1..1 + digits]).and_then(|n| usize::try_from(n).ok())
        else {
            self.broken = true;
            return;
        };
        let whole = digits + 1 == key.len();
        // aN[i]: the chunk index
        let idx = if whole {
            0
        } else {
            parse_decimal(&key[2 + digits..key.len() - 1]).unwrap_or(u64::MAX)
        };
        let chunked = self.chunked;
        let Some(slot) = self.slot(n) else {
            return;
        };
        let bytes = f.bytes().unwrap_or(Cow::Borrowed(&[]));
        if whole {
            let dup = slot.is_some();
            *slot = Some(bytes);
            self.broken |= dup;
            self.chunked = None;
            return;
        }
        match (chunked, slot) {
            (Some((cn, next)), Some(acc)) if cn == n && idx == next as u64 => {
                acc.to_mut().extend_from_slice(&bytes);
                self.chunked = Some((n, next + 1));
            }
            (_, slot) if idx == 0 && slot.is_none() => {
                *slot = Some(Cow::Owned(bytes.into_owned()));
                self.chunked = Some((n, 1));
            }
            _ => self.broken = true,
        }
    }

    pub(crate) fn finish(self) -> (Option<u32>, Vec<Cow<'a, [u8]>>, bool) {
        let mut complete = !self.broken;
        if let Some(c) = self.argc {
            complete &= self.args.len() == c as usize;
        }
        let argv = self
            .args
            .into_iter()
            .map(|a| {
                a.unwrap_or_else(|| {
                    complete = false;
                    Cow::Borrowed(&[])
                })
            })
            .collect();
        (self.argc, argv, complete)
    }
}

impl<'a> ExecEvent<'a> {
    pub(crate) fn build(
        syscall: Syscall<'a>,
        records: impl Iterator<Item = Record<'a>>,
    ) -> ExecEvent<'a> {
        let mut argv = ArgvBuilder::default();
        let mut cwd = None;
        let mut proctitle = Vec::new();
        let mut paths = Vec::new();
        let mut saw_execve = false;
        for r in records {
            match r.record_type() {
                RecordType::EXECVE => {
                    saw_execve = true;
                    argv.add_record(&r);
                }
                RecordType::CWD => cwd = r.get(b"cwd").and_then(|f| f.bytes()),
                RecordType::PATH => paths.push(PathRecord::from_record(&r)),
                RecordType::PROCTITLE => {
                    if let Some(t) = r.get(b"proctitle").and_then(|f| f.bytes()) {
                        proctitle = split_nul(t);
                    }
                }
                _ => {}
            }
        }
        let (argc, argv, mut argv_complete) = argv.finish();
        // A successful exec always has its EXECVE record.
        if !saw_execve && syscall.success == Some(true) {
            argv_complete = false;
        }
        ExecEvent {
            syscall,
            argc,
            argv,
            argv_complete,
            cwd,
            proctitle,
            paths,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> ExecEvent<'static> {
        ExecEvent {
            syscall: self.syscall.into_owned(),
            argc: self.argc,
            argv: self.argv.into_iter().map(own).collect(),
            argv_complete: self.argv_complete,
            cwd: self.cwd.map(own),
            proctitle: self.proctitle.into_iter().map(own).collect(),
            paths: self.paths.into_iter().map(PathRecord::into_owned).collect(),
        }
    }
}

/// Splits the NUL-separated proctitle into its items (a trailing NUL, as when
/// the title was cut, ends the last item).
fn split_nul(t: Cow<'_, [u8]>) -> Vec<Cow<'_, [u8]>> {
    match t {
        Cow::Borrowed(b) => b.split(|&c| c == 0).map(Cow::Borrowed).collect(),
        Cow::Owned(o) => o
            .split(|&c| c == 0)
            .map(|s| Cow::Owned(s.to_vec()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(lines: &[&str]) -> (Option<u32>, Vec<Vec<u8>>, bool) {
        let owned: Vec<String> = lines
            .iter()
            .map(|l| format!("type=EXECVE msg=audit(1.000:1): {l}"))
            .collect();
        let mut b = ArgvBuilder::default();
        for l in &owned {
            b.add_record(&Record::parse_line(l.as_bytes()).unwrap());
        }
        let (c, v, ok) = b.finish();
        (c, v.into_iter().map(|a| a.into_owned()).collect(), ok)
    }

    #[test]
    fn argv_forms() {
        let (c, v, ok) = argv(&["argc=3 a0=\"ls\" a1=\"\" a2=2D6C2061"]);
        assert_eq!((c, ok), (Some(3), true));
        assert_eq!(v, vec![b"ls".to_vec(), b"".to_vec(), b"-l a".to_vec()]);

        // Split argument continued in the next record (which starts with two spaces).
        let (c, v, ok) = argv(&[
            "argc=3 a0=\"/bin/true\" a1_len=6 a1[0]=\"abc\"",
            " a1[1]=\"def\" a2=\"z\"",
        ]);
        assert_eq!((c, ok), (Some(3), true));
        assert_eq!(v[1], b"abcdef");
        assert_eq!(v[2], b"z");

        // Hex chunks.
        let (_, v, ok) = argv(&["argc=2 a0=\"t\" a1_len=8 a1[0]=4142 a1[1]=4344"]);
        assert!(ok);
        assert_eq!(v[1], b"ABCD");

        // argc larger than what was seen: kept, flagged.
        let (c, v, ok) = argv(&["argc=3 a0=\"a\" a1=\"b\""]);
        assert_eq!((c, v.len(), ok), (Some(3), 2, false));

        // A hole.
        let (_, v, ok) = argv(&["argc=3 a0=\"a\" a2=\"c\""]);
        assert_eq!((v.len(), ok), (3, false));
        assert_eq!(v[1], b"");

        // Chunks out of order, duplicate args.
        let (_, _, ok) = argv(&["argc=2 a0=\"a\" a1[1]=\"x\""]);
        assert!(!ok);
        let (_, _, ok) = argv(&["argc=1 a0=\"a\" a0=\"b\""]);
        assert!(!ok);

        // A hostile index does not allocate gigabytes.
        let (_, v, ok) = argv(&["argc=1 a0=\"a\" a4294967295=\"x\""]);
        assert!(!ok);
        assert_eq!(v.len(), 1);
        // Nor does a hostile argc with a far index (this aborted the process).
        let (_, v, ok) = argv(&["argc=4294967295 a0=\"a\" a4294967294=\"x\""]);
        assert!(!ok);
        assert_eq!(v.len(), 1);
        let (_, v, ok) = argv(&["argc=100000000 a99999999=\"x\""]);
        assert!(!ok);
        assert!(v.is_empty());
        // Without argc, indexes stepping far apart are padded at most
        // MAX_ARGV_HOLES in all.
        let fields: String = (0..1000)
            .map(|i| format!(" a{}=\"x\"", i * 65536))
            .collect();
        let (_, v, ok) = argv(&[fields.trim_start()]);
        assert!(!ok);
        assert!(v.len() <= 1000 + MAX_ARGV_HOLES, "{}", v.len());
        // A lost record in the middle: the hole is padded, argv keeps positions.
        let (_, v, ok) = argv(&["argc=5 a0=\"a\" a1=\"b\"", "a4=\"e\""]);
        assert!(!ok);
        assert_eq!(
            v,
            vec![b"a".to_vec(), b"b".to_vec(), vec![], vec![], b"e".to_vec()]
        );
    }

    #[test]
    fn octal_and_nul() {
        assert_eq!(parse_octal(b"0100755"), Some(0o100755));
        assert_eq!(parse_octal(b"0140755"), Some(0o140755));
        assert_eq!(parse_octal(b"8"), None);
        assert_eq!(parse_octal(b""), None);
        assert_eq!(
            split_nul(Cow::Borrowed(b"ls\0-l\0")),
            vec![
                Cow::Borrowed(&b"ls"[..]),
                Cow::Borrowed(b"-l"),
                Cow::Borrowed(b"")
            ]
        );
    }
}
