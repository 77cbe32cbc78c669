//! Checkpoints of a follower (see [`Checkpoint`]).

use std::fmt;
use std::str::FromStr;

use crate::event::{EventFlags, LossSource, LostEvent};
use crate::record::{decode_hex, EventId, Timestamp};

/// The checkpoint format this crate writes (and the newest it reads).
pub const CHECKPOINT_VERSION: u32 = 1;

const MAGIC: &str = "auditstream-checkpoint";

/// Where a follower stood, so that a new process resumes and
/// emits exactly the events not yet emitted.
///
/// A checkpoint holds
/// - the position: the file (device, inode, and a fingerprint of its first
///   bytes, which survives rotation by rename and copy-truncate) and the
///   offset of the first byte not yet read;
/// - the events not yet handed out at that moment: complete ones waiting in
///   the queue and those still being assembled, as their raw records (an
///   event whose records straddle the position resumes whole);
/// - the keys of events completed before their last record came (evicted,
///   cut, timed out), so that a later record of theirs is a late fragment
///   after the restart as before it;
/// - the serial counts per node (highest serial, missing ranges), so that
///   gaps are counted across the restart.
///
/// It is small: typically the handful of events in flight. ausearch's
/// `--checkpoint` keeps the last event's time and serial and the file's
/// inode; this keeps what is needed to lose nothing and repeat nothing when
/// events interleave.
///
/// The text form ([`Display`](std::fmt::Display), [`FromStr`]) is stable
/// and versioned; with feature `serde` it serializes too.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Checkpoint {
    /// Format version ([`CHECKPOINT_VERSION`]).
    pub(crate) version: u32,
    /// The path that was followed (bytes of the OS path), for messages.
    pub(crate) path: Vec<u8>,
    /// The file being read and where.
    pub(crate) file: FileMark,
    /// The newest file known not to be read again (read to its end, or the
    /// newest rotated file when following began): what precedes `file`.
    pub(crate) prev: Option<FileMark>,
    /// Events not yet handed out, in order.
    pub(crate) events: Vec<SavedEvent>,
    /// Events completed before their last record.
    pub(crate) early: Vec<SavedKey>,
    /// Serial counts per node.
    pub(crate) serials: Vec<SavedSerials>,
}

/// Which file, and where in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct FileMark {
    pub dev: u64,
    pub ino: u64,
    /// The first byte not yet read.
    pub offset: u64,
    /// How many first bytes the fingerprint covers.
    pub head_len: u32,
    /// FNV-1a 64 of those bytes.
    pub head_hash: u64,
}

/// An event not yet handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct SavedEvent {
    /// `None`: complete, waiting to be handed out; `Some(start)`: still being
    /// assembled, since `start` on the reassembler's clock.
    pub in_flight: Option<u64>,
    pub id: EventId,
    pub node: Option<Vec<u8>>,
    pub flags: EventFlags,
    pub lost: Option<LostEvent>,
    /// The raw log lines of its records, in order.
    pub records: Vec<Vec<u8>>,
}

/// The key of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct SavedKey {
    pub node: Option<Vec<u8>>,
    pub id: EventId,
}

/// The serial count of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct SavedSerials {
    pub node: Option<Vec<u8>>,
    pub max: u32,
    pub max_time: u64,
    /// Missing serials as `(first, count)`.
    pub missing: Vec<(u32, u32)>,
}

impl Checkpoint {
    /// The offset in its file of the first byte not yet read.
    pub fn offset(&self) -> u64 {
        self.file.offset
    }

    /// The device and inode of the file it was taken in.
    pub fn file_id(&self) -> (u64, u64) {
        (self.file.dev, self.file.ino)
    }

    /// The path that was followed (as the follower was given it).
    pub fn path(&self) -> std::path::PathBuf {
        use std::os::unix::ffi::OsStrExt;
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&self.path))
    }

    /// How many events it holds that were not yet handed out.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Reads a checkpoint file (the text form).
    pub fn load(path: &std::path::Path) -> Result<Checkpoint, CheckpointError> {
        let text = std::fs::read(path).map_err(|e| {
            CheckpointError::new(CheckpointErrorKind::Unreadable(e.kind()), 0).in_file(path)
        })?;
        let text = std::str::from_utf8(&text)
            .map_err(|_| CheckpointError::new(CheckpointErrorKind::Corrupt, 0).in_file(path))?;
        text.parse::<Checkpoint>().map_err(|e| e.in_file(path))
    }

    /// Writes the text form to `path` atomically (a temporary file renamed
    /// over it), so that a crash leaves the old checkpoint or the new one.
    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(self.to_string().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

/// FNV-1a 64: the fingerprint of a file's first bytes (stable across
/// processes and versions; not a defence, a name).
pub(crate) fn fingerprint(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h = (h ^ u64::from(c)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Why a checkpoint could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointErrorKind {
    /// The checkpoint file could not be read.
    Unreadable(std::io::ErrorKind),
    /// Not a checkpoint, or a damaged one.
    Corrupt,
    /// Written by a newer version of the format than this crate reads.
    FutureVersion(u32),
    /// No file of the followed path's rotated set holds the checkpoint's
    /// position: it was taken on another file, or auditd rotated that file
    /// out of the set it keeps (`num_logs`) while the follower was down.
    FileNotFound,
}

/// A checkpoint that could not be used: why, where in its text (1-based
/// line, 0 for none), and the checkpoint file when it came from one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointError {
    /// Why.
    pub kind: CheckpointErrorKind,
    /// The line of the text form, 1-based; 0 when not about a line.
    pub line: usize,
    /// The checkpoint file, when it was read from one.
    pub file: Option<std::path::PathBuf>,
    /// The followed path, for [`CheckpointErrorKind::FileNotFound`].
    pub followed: Option<std::path::PathBuf>,
}

impl CheckpointError {
    pub(crate) fn new(kind: CheckpointErrorKind, line: usize) -> Self {
        CheckpointError {
            kind,
            line,
            file: None,
            followed: None,
        }
    }

    /// The same error, naming the checkpoint file it came from.
    pub fn in_file(mut self, file: &std::path::Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("checkpoint")?;
        if let Some(p) = &self.file {
            write!(f, " {}", p.display())?;
        }
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        f.write_str(": ")?;
        match self.kind {
            CheckpointErrorKind::Unreadable(k) => write!(f, "cannot be read ({k})"),
            CheckpointErrorKind::Corrupt => f.write_str("not a checkpoint, or damaged"),
            CheckpointErrorKind::FutureVersion(v) => write!(
                f,
                "format version {v} is newer than this program reads ({CHECKPOINT_VERSION})"
            ),
            CheckpointErrorKind::FileNotFound => {
                f.write_str("no file of ")?;
                match &self.followed {
                    Some(p) => write!(f, "{}", p.display())?,
                    None => f.write_str("the followed path")?,
                }
                f.write_str(
                    " or its rotated set holds its position: taken on another file, or that \
                     file was rotated out of the set while the follower was down",
                )
            }
        }
    }
}

impl std::error::Error for CheckpointError {}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 * b.len());
    for c in b {
        s.push_str(&format!("{c:02x}"));
    }
    s
}

fn node_text(n: &Option<Vec<u8>>) -> String {
    match n {
        Some(n) => hex(n),
        None => "-".into(),
    }
}

impl fmt::Display for Checkpoint {
    /// The text form: one item per line, byte strings in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{MAGIC} {}", self.version)?;
        writeln!(f, "path {}", hex(&self.path))?;
        let m = &self.file;
        writeln!(
            f,
            "file dev={} ino={} offset={} head={}:{:016x}",
            m.dev, m.ino, m.offset, m.head_len, m.head_hash
        )?;
        if let Some(m) = &self.prev {
            writeln!(
                f,
                "prev dev={} ino={} offset={} head={}:{:016x}",
                m.dev, m.ino, m.offset, m.head_len, m.head_hash
            )?;
        }
        for s in &self.serials {
            let missing: Vec<String> = s.missing.iter().map(|(a, n)| format!("{a}+{n}")).collect();
            writeln!(
                f,
                "serials node={} max={} time={} missing={}",
                node_text(&s.node),
                s.max,
                s.max_time,
                if missing.is_empty() {
                    "-".into()
                } else {
                    missing.join(",")
                }
            )?;
        }
        for k in &self.early {
            writeln!(f, "early node={} id={}", node_text(&k.node), k.id)?;
        }
        for e in &self.events {
            let state = match e.in_flight {
                Some(start) => format!("flight start={start}"),
                None => "ready".into(),
            };
            let mut flags = Vec::new();
            if e.flags.incomplete {
                flags.push("incomplete");
            }
            if e.flags.late {
                flags.push("late");
            }
            if e.flags.timed_out {
                flags.push("timed_out");
            }
            let lost = match e.lost {
                Some(l) => format!("{}+{}", l.source, l.count),
                None => "-".into(),
            };
            writeln!(
                f,
                "event {state} id={} node={} flags={} lost={lost}",
                e.id,
                node_text(&e.node),
                if flags.is_empty() {
                    "-".into()
                } else {
                    flags.join(",")
                }
            )?;
            for r in &e.records {
                writeln!(f, "record {}", hex(r))?;
            }
        }
        writeln!(f, "end")
    }
}

impl FromStr for Checkpoint {
    type Err = CheckpointError;

    fn from_str(text: &str) -> Result<Checkpoint, CheckpointError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let corrupt = |line| CheckpointError::new(CheckpointErrorKind::Corrupt, line);
        let (_, first) = lines.next().ok_or(corrupt(1))?;
        let version: u32 = first
            .strip_prefix(MAGIC)
            .and_then(|v| v.trim().parse().ok())
            .ok_or(corrupt(1))?;
        if version > CHECKPOINT_VERSION {
            return Err(CheckpointError::new(
                CheckpointErrorKind::FutureVersion(version),
                1,
            ));
        }
        if version == 0 {
            return Err(corrupt(1));
        }
        let mut cp = Checkpoint {
            version,
            path: Vec::new(),
            file: FileMark::default(),
            prev: None,
            events: Vec::new(),
            early: Vec::new(),
            serials: Vec::new(),
        };
        let (mut saw_path, mut saw_file, mut saw_end) = (false, false, false);
        for (n, line) in lines {
            if saw_end {
                return Err(corrupt(n));
            }
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            let attrs = Attrs::parse(rest);
            let bad = || corrupt(n);
            match word {
                "path" => {
                    cp.path = decode_hex(rest.as_bytes()).ok_or_else(bad)?;
                    saw_path = true;
                }
                "file" => {
                    cp.file = attrs.mark().ok_or_else(bad)?;
                    saw_file = true;
                }
                "prev" => cp.prev = Some(attrs.mark().ok_or_else(bad)?),
                "serials" => {
                    let missing = match attrs.get("missing").ok_or_else(bad)? {
                        "-" => Vec::new(),
                        m => m
                            .split(',')
                            .map(|r| {
                                let (a, c) = r.split_once('+')?;
                                Some((a.parse().ok()?, c.parse().ok()?))
                            })
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(bad)?,
                    };
                    cp.serials.push(SavedSerials {
                        node: attrs.node().ok_or_else(bad)?,
                        max: attrs.num("max").ok_or_else(bad)?,
                        max_time: attrs.num("time").ok_or_else(bad)?,
                        missing,
                    });
                }
                "early" => cp.early.push(SavedKey {
                    node: attrs.node().ok_or_else(bad)?,
                    id: attrs.get("id").and_then(parse_id).ok_or_else(bad)?,
                }),
                "event" => {
                    let in_flight = match rest.split(' ').next() {
                        Some("ready") => None,
                        Some("flight") => Some(attrs.num("start").ok_or_else(bad)?),
                        _ => return Err(bad()),
                    };
                    let mut flags = EventFlags::default();
                    match attrs.get("flags").ok_or_else(bad)? {
                        "-" => {}
                        list => {
                            for fl in list.split(',') {
                                match fl {
                                    "incomplete" => flags.incomplete = true,
                                    "late" => flags.late = true,
                                    "timed_out" => flags.timed_out = true,
                                    _ => return Err(bad()),
                                }
                            }
                        }
                    }
                    let lost = match attrs.get("lost").ok_or_else(bad)? {
                        "-" => None,
                        l => {
                            let (src, count) = l.split_once('+').ok_or_else(bad)?;
                            let source = match src {
                                "kernel" => LossSource::Kernel,
                                "socket" => LossSource::Socket,
                                "gap" => LossSource::Gap,
                                "consumer" => LossSource::Consumer,
                                _ => return Err(bad()),
                            };
                            let count = count.parse().map_err(|_| bad())?;
                            Some(LostEvent { source, count })
                        }
                    };
                    cp.events.push(SavedEvent {
                        in_flight,
                        id: attrs.get("id").and_then(parse_id).ok_or_else(bad)?,
                        node: attrs.node().ok_or_else(bad)?,
                        flags,
                        lost,
                        records: Vec::new(),
                    });
                }
                "record" => {
                    let ev = cp.events.last_mut().ok_or_else(bad)?;
                    ev.records
                        .push(decode_hex(rest.as_bytes()).ok_or_else(bad)?);
                }
                "end" => saw_end = true,
                _ => return Err(bad()),
            }
        }
        if !(saw_path && saw_file && saw_end) {
            return Err(corrupt(text.lines().count() + 1));
        }
        Ok(cp)
    }
}

/// `key=value` words of a line.
struct Attrs<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Attrs<'a> {
    fn parse(rest: &'a str) -> Self {
        Attrs(rest.split(' ').filter_map(|w| w.split_once('=')).collect())
    }

    fn get(&self, k: &str) -> Option<&'a str> {
        self.0.iter().find(|(key, _)| *key == k).map(|(_, v)| *v)
    }

    fn num<T: FromStr>(&self, k: &str) -> Option<T> {
        self.get(k)?.parse().ok()
    }

    /// `dev= ino= offset= head=LEN:HASH`.
    fn mark(&self) -> Option<FileMark> {
        let (len, hash) = self.get("head")?.split_once(':')?;
        Some(FileMark {
            dev: self.num("dev")?,
            ino: self.num("ino")?,
            offset: self.num("offset")?,
            head_len: len.parse().ok()?,
            head_hash: u64::from_str_radix(hash, 16).ok()?,
        })
    }

    /// `node=-` (none) or hex: `Some(None)`, `Some(Some(name))`, or `None`
    /// when absent or bad.
    fn node(&self) -> Option<Option<Vec<u8>>> {
        match self.get("node")? {
            "-" => Some(None),
            h => decode_hex(h.as_bytes()).map(Some),
        }
    }
}

/// `SEC.MSEC:SERIAL`.
fn parse_id(s: &str) -> Option<EventId> {
    let (time, serial) = s.split_once(':')?;
    let (sec, msec) = time.split_once('.')?;
    if msec.len() != 3 {
        return None;
    }
    Some(EventId {
        time: Timestamp {
            sec: sec.parse().ok()?,
            msec: msec.parse().ok().filter(|m| *m <= 999)?,
        },
        serial: serial.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        let id = EventId {
            time: Timestamp { sec: 7, msec: 5 },
            serial: 9,
        };
        Checkpoint {
            version: 1,
            path: b"/var/log/audit/audit.log".to_vec(),
            file: FileMark {
                dev: 2049,
                ino: 12,
                offset: 4096,
                head_len: 100,
                head_hash: 0xfeed,
            },
            prev: Some(FileMark {
                dev: 2049,
                ino: 11,
                offset: 900,
                head_len: 900,
                head_hash: 0xbeef,
            }),
            events: vec![
                SavedEvent {
                    in_flight: None,
                    id,
                    node: Some(b"h\xff".to_vec()),
                    flags: EventFlags {
                        incomplete: true,
                        late: false,
                        timed_out: true,
                    },
                    lost: None,
                    records: vec![b"type=CWD msg=audit(7.005:9): cwd=\"/\"\n".to_vec()],
                },
                SavedEvent {
                    in_flight: Some(7005),
                    id,
                    node: None,
                    flags: EventFlags::default(),
                    lost: Some(LostEvent {
                        source: LossSource::Gap,
                        count: 3,
                    }),
                    records: vec![],
                },
            ],
            early: vec![SavedKey { node: None, id }],
            serials: vec![SavedSerials {
                node: None,
                max: 9,
                max_time: 7005,
                missing: vec![(3, 2), (6, 1)],
            }],
        }
    }

    #[test]
    fn text_form_round_trips() {
        let cp = sample();
        let text = cp.to_string();
        assert!(text.starts_with("auditstream-checkpoint 1\n"), "{text}");
        assert_eq!(text.parse::<Checkpoint>().unwrap(), cp);
    }

    #[test]
    fn bad_checkpoints_say_why_and_where() {
        let text = sample().to_string();
        let kind = |t: &str| t.parse::<Checkpoint>().unwrap_err();
        assert_eq!(kind("").kind, CheckpointErrorKind::Corrupt);
        assert_eq!(kind("hello\n").kind, CheckpointErrorKind::Corrupt);
        let future = text.replacen("checkpoint 1", "checkpoint 7", 1);
        assert_eq!(kind(&future).kind, CheckpointErrorKind::FutureVersion(7));
        // cut: no `end`
        let cut = &text[..text.len() - 4];
        assert_eq!(kind(cut).kind, CheckpointErrorKind::Corrupt);
        // a damaged line is named
        let damaged = text.replacen("offset=4096", "offset=x", 1);
        let e = kind(&damaged);
        assert_eq!((e.kind, e.line), (CheckpointErrorKind::Corrupt, 3));
        let damaged = text.replacen("record 74", "record 7", 1);
        assert_eq!(kind(&damaged).kind, CheckpointErrorKind::Corrupt);
        let e = kind(&damaged).in_file(std::path::Path::new("/tmp/cp"));
        assert!(e.to_string().starts_with("checkpoint /tmp/cp line "), "{e}");
    }
}
