//! Following a log file as auditd appends to it and rotates it (`tail -F`),
//! with exact checkpoints.

use std::collections::VecDeque;
use std::fs::{File, Metadata};
use std::io::{self, BufReader, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::checkpoint::{fingerprint, Checkpoint, FileMark, CHECKPOINT_VERSION};
use super::log::{rotated_set, LineReader, DEFAULT_MAX_LINE};
use super::pump::Pump;
use super::{Closed, EventSource, SourceStats};
use crate::error::{Error, ErrorKind, ParseError};
use crate::event::EventBuf;
use crate::reassemble::ReassemblerConfig;
use crate::source::{CheckpointError, CheckpointErrorKind};

/// How many first bytes of a file name it (its fingerprint): they survive
/// rotation by rename and copy-truncate, where the inode does not.
const HEAD: usize = 4096;

/// Where a follower without a checkpoint starts in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Start {
    /// At the beginning: everything the file holds comes out (default).
    #[default]
    Beginning,
    /// At the end: only what is written from now on (`tail -f`).
    End,
}

/// How a [`FollowEvents`] follows.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct FollowConfig {
    /// Reassembly limits and timeout (on event time while records come).
    pub reassembler: ReassemblerConfig,
    /// Wall time without new records after which every event in flight is
    /// completed, flagged `timed_out`. Default: the reassembler's timeout
    /// (2 s).
    pub idle_timeout: Duration,
    /// How often the file is looked at for growth and rotation while idle.
    /// With [`watch`](Self::watch) it is looked at as soon as its directory
    /// changes, and at this interval besides. Default 100 ms.
    pub poll_interval: Duration,
    /// Wake on inotify events of the file's directory (Linux), so that new
    /// records are read as soon as they are written, and fall back to
    /// polling where inotify is unavailable or out of watches. Default on.
    pub watch: bool,
    /// The longest line read whole. Default [`DEFAULT_MAX_LINE`].
    pub max_line: usize,
    /// Where to start without a checkpoint. Default [`Start::Beginning`].
    pub start: Start,
}

impl Default for FollowConfig {
    fn default() -> Self {
        let reassembler = ReassemblerConfig::default();
        FollowConfig {
            idle_timeout: Duration::from_millis(reassembler.timeout_ms),
            reassembler,
            poll_interval: Duration::from_millis(100),
            watch: true,
            max_line: DEFAULT_MAX_LINE,
            start: Start::Beginning,
        }
    }
}

/// A file read through a check that it still is the file: before each read
/// its first bytes are compared with those seen. A copy-truncate refilled
/// past our offset before we looked keeps the size but not the first bytes.
struct Watched {
    file: File,
    /// The file's first bytes (up to [`HEAD`]), read as it grows.
    head: Vec<u8>,
    /// The first bytes changed: the file was truncated and rewritten.
    replaced: bool,
}

impl Watched {
    /// Reads the file's first bytes again: longer if the file grew (until
    /// [`HEAD`]), and compared with those seen; whether they still are.
    fn check_head(&mut self) -> io::Result<bool> {
        let mut now = vec![0u8; HEAD];
        let n = self.file.read_at(&mut now, 0)?;
        now.truncate(n);
        if !now.starts_with(&self.head) {
            self.replaced = true;
            return Ok(false);
        }
        if now.len() > self.head.len() {
            self.head = now;
        }
        Ok(true)
    }
}

impl io::Read for Watched {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.replaced || !self.check_head()? {
            return Ok(0);
        }
        let n = self.file.read(out)?;
        // what was just read may be the file's first bytes
        if n > 0 && self.head.len() < HEAD && !self.check_head()? {
            return Ok(0);
        }
        Ok(n)
    }
}

/// The file being read.
struct Current {
    lines: LineReader<BufReader<Watched>>,
    dev: u64,
    ino: u64,
    /// Offset in the file where `lines` started.
    start: u64,
    /// A rotated copy: read to its end, never waited on.
    copy: bool,
}

impl Current {
    fn open(path: &Path, offset: u64, copy: bool, max_line: usize) -> io::Result<Current> {
        Current::from_file(File::open(path)?, offset, copy, max_line)
    }

    /// A file already open (so that a rename after it was chosen does not
    /// swap it for another).
    fn from_file(mut f: File, offset: u64, copy: bool, max_line: usize) -> io::Result<Current> {
        let meta = f.metadata()?;
        f.seek(SeekFrom::Start(offset))?;
        let mut watched = Watched {
            file: f,
            head: Vec::new(),
            replaced: false,
        };
        // its first bytes, now: from here on a rewrite is seen
        watched.check_head()?;
        let mut lines =
            LineReader::with_max_line(BufReader::with_capacity(1 << 20, watched), max_line);
        lines.hold_partial_lines(true);
        Ok(Current {
            lines,
            dev: meta.dev(),
            ino: meta.ino(),
            start: offset,
            copy,
        })
    }

    /// The offset of the first byte not yet consumed as a whole line.
    fn position(&self) -> u64 {
        self.start + self.lines.bytes_read()
    }

    fn file(&self) -> &File {
        &self.lines.get_ref().get_ref().file
    }

    fn head(&self) -> &[u8] {
        &self.lines.get_ref().get_ref().head
    }

    /// Whether the file's first bytes are no longer those seen.
    fn replaced(&self) -> bool {
        self.lines.get_ref().get_ref().replaced
    }

    /// Reads the first bytes of the file again (see [`Watched::check_head`]).
    fn read_head(&mut self) {
        let w = self.lines.get_mut().get_mut();
        if !w.replaced {
            let _ = w.check_head();
        }
    }

    fn mark(&self) -> FileMark {
        FileMark {
            dev: self.dev,
            ino: self.ino,
            offset: self.position(),
            head_len: self.head().len() as u32,
            head_hash: fingerprint(self.head()),
        }
    }

    fn is(&self, meta: &Metadata) -> bool {
        meta.dev() == self.dev && meta.ino() == self.ino
    }
}

/// The mark of the file at `p` at its end: its inode and first bytes.
fn mark_of(p: &Path) -> Option<FileMark> {
    let f = File::open(p).ok()?;
    let m = f.metadata().ok()?;
    let mut head = vec![0u8; HEAD];
    let n = f.read_at(&mut head, 0).ok()?;
    head.truncate(n);
    Some(FileMark {
        dev: m.dev(),
        ino: m.ino(),
        offset: m.len(),
        head_len: head.len() as u32,
        head_hash: fingerprint(&head),
    })
}

/// Whether the file at `p` is the file `m` names: the same first bytes as
/// far as `m` saw them, or the same inode when `m` saw none.
fn names(p: &Path, m: &FileMark) -> bool {
    let Ok(f) = File::open(p) else { return false };
    let Ok(meta) = f.metadata() else { return false };
    if m.head_len == 0 {
        return (meta.dev(), meta.ino()) == (m.dev, m.ino);
    }
    let mut head = vec![0u8; m.head_len as usize];
    f.read_exact_at(&mut head, 0).is_ok() && fingerprint(&head) == m.head_hash
}

/// A file known not to be read again: read to its end, or history the
/// follower started after. A file is its inode and its first bytes:
/// copy-truncate keeps the inode and changes the content.
struct Seen {
    dev: u64,
    ino: u64,
    head: Vec<u8>,
}

impl Seen {
    /// The file at `p` as it is now (first bytes up to [`HEAD`]).
    fn of(p: &Path) -> Option<Seen> {
        let f = File::open(p).ok()?;
        let m = f.metadata().ok()?;
        let mut head = vec![0u8; HEAD];
        let n = f.read_at(&mut head, 0).ok()?;
        head.truncate(n);
        Some(Seen {
            dev: m.dev(),
            ino: m.ino(),
            head,
        })
    }

    /// Whether `p` is this file: same inode, same first bytes.
    fn is(&self, p: &Path) -> bool {
        let Ok(f) = File::open(p) else { return false };
        let Ok(m) = f.metadata() else { return false };
        if (m.dev(), m.ino()) != (self.dev, self.ino) {
            return false;
        }
        let mut h = vec![0u8; self.head.len()];
        f.read_exact_at(&mut h, 0).is_ok() && h == self.head
    }
}

/// Files known not to be read again, at most this many.
const SEEN: usize = 64;

/// Events of a log file that auditd appends to and rotates, followed like
/// `tail -F`.
///
/// - It waits for the file to grow, reading whole lines (a last line without
///   newline is held until it is complete).
/// - auditd's rotation by rename (`audit.log` -> `audit.log.1`, a new
///   `audit.log`): the rest of the renamed file is read, then the files
///   rotated after it, oldest first, and the new file. A file removed and
///   created again later is picked up when it appears. An empty file is
///   never held: it is looked for again at each poll, so that what a
///   rotation made of it meanwhile is read in rotation order.
/// - logrotate's copy-truncate: the rest is read from the copy (found by the
///   fingerprint of its first bytes), then the truncated file from its start.
///   (What is written between the copy and the truncation is lost to every
///   reader: that is copy-truncate's own race.)
/// - Wall-clock idle flush: with no new record for
///   [`idle_timeout`](FollowConfig::idle_timeout), every event in flight is
///   completed, flagged `timed_out`.
/// - [`checkpoint`](Self::checkpoint) at any moment, also with events half
///   assembled; [`resume`](Self::resume) in a new process emits exactly the
///   events not yet emitted, also when auditd rotated the file in between
///   (within the rotated set it keeps).
///
/// The rotated files present when it starts are history: it reads the
/// followed path itself (from [`FollowConfig::start`]) and what is written
/// and rotated from then on.
///
/// It runs until stopped ([`stop_handle`](Self::stop_handle)): then
/// `next_event` returns `None`; take a [`checkpoint`](Self::checkpoint) to
/// resume later, or [`close`](EventSource::close) to have what is pending.
///
/// ```no_run
/// use auditstream::source::{Checkpoint, EventSource, FollowConfig, FollowEvents};
/// use std::path::Path;
///
/// let path = Path::new("/var/log/audit/audit.log");
/// let saved = Path::new("/var/lib/agent/audit.checkpoint");
/// let mut events = match Checkpoint::load(saved) {
///     Ok(cp) => FollowEvents::resume(path, FollowConfig::default(), &cp)?,
///     Err(_) => FollowEvents::open(path, FollowConfig::default())?,
/// };
/// let stop = events.stop_handle(); // set it from a signal handler
/// while let Some(ev) = events.next_event() {
///     println!("{:?}", ev?.event());
/// }
/// events.checkpoint().save(saved)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FollowEvents {
    path: PathBuf,
    cfg: FollowConfig,
    pump: Pump,
    cur: Option<Current>,
    /// Files not to read again, newest last.
    seen: VecDeque<Seen>,
    /// The mark of the last file read to its end (for a checkpoint between
    /// files).
    last_mark: FileMark,
    /// The newest file known not to be read again (see `Checkpoint::prev`).
    prev: Option<FileMark>,
    stop: Arc<AtomicBool>,
    /// When input was last seen (updated when it stops: see `input_seen`).
    last_input: Instant,
    /// A record came since `last_input` was set.
    input_seen: bool,
    bytes: u64,
    files: u64,
    /// The directory watch (`None`: polling).
    #[cfg(target_os = "linux")]
    watch: Option<crate::sys::DirWatch>,
}

impl FollowEvents {
    /// Follows `path` from [`FollowConfig::start`]. The file need not exist
    /// yet.
    pub fn open(path: impl AsRef<Path>, cfg: FollowConfig) -> Result<Self, Error> {
        let mut f = FollowEvents::new(path.as_ref(), cfg);
        let set = rotated_set(&f.path);
        let (history, current) = set.split_at(set.len().saturating_sub(1));
        for p in history {
            f.note_seen(p);
        }
        f.prev = history.last().and_then(|p| mark_of(p));
        if let Some(p) = current.first().filter(|p| **p == f.path) {
            let len = std::fs::metadata(p)?.len();
            let offset = match cfg.start {
                Start::Beginning => 0,
                Start::End => len,
            };
            // where it stands even before its first read, for a checkpoint:
            // this file (its inode), at `offset`
            let c = Current::open(p, offset, false, cfg.max_line)?;
            f.last_mark = c.mark();
            if len > 0 {
                f.cur = Some(c);
                f.files = 1;
            }
        } else if let Some(p) = current.first() {
            // the followed path does not exist: its rotated set is history,
            // and the newest of it, at its end, is where it stands
            f.note_seen(p);
            f.prev = mark_of(p);
            f.last_mark = f.prev.unwrap_or(f.last_mark);
        }
        Ok(f)
    }

    /// Follows `path` from where `cp` was taken: the events it holds that
    /// were not yet handed out come first, then the rest of its file and the
    /// files auditd rotated after it, then `path`. Fails with a
    /// [`CheckpointError`] when no file of `path`'s rotated set holds the
    /// checkpoint's position.
    pub fn resume(
        path: impl AsRef<Path>,
        cfg: FollowConfig,
        cp: &Checkpoint,
    ) -> Result<Self, Error> {
        let mut f = FollowEvents::new(path.as_ref(), cfg);
        let set = rotated_set(&f.path);
        let mark = cp.file;
        let mut found = None;
        let mut found_file = None;
        for (i, p) in set.iter().enumerate() {
            let Ok(file) = File::open(p) else { continue };
            let Ok(meta) = file.metadata() else { continue };
            if meta.len() < mark.offset || meta.len() < u64::from(mark.head_len) {
                continue;
            }
            let same_inode = (meta.dev(), meta.ino()) == (mark.dev, mark.ino);
            if mark.head_len == 0 {
                // nothing of it was seen: only its inode names it
                if same_inode {
                    found = Some(i);
                    found_file = Some(file);
                    break;
                }
                continue;
            }
            let mut head = vec![0u8; mark.head_len as usize];
            if file.read_exact_at(&mut head, 0).is_err() || fingerprint(&head) != mark.head_hash {
                continue;
            }
            // the same inode wins; else the newest match (the set is
            // oldest first)
            found = Some(i);
            found_file = Some(file);
            if same_inode {
                break;
            }
        }
        // what precedes the position: the files up to `prev` are read
        let prev = cp.prev.and_then(|m| set.iter().position(|p| names(p, &m)));
        if let Some(j) = prev {
            for p in &set[..=j] {
                f.note_seen(p);
            }
            f.prev = cp.prev;
        }
        match found {
            // nothing of it was seen: what was rotated from it meanwhile
            // (copies) comes first, in rotation order
            Some(_) if mark.head_len == 0 => {}
            Some(i) => {
                for p in &set[..i] {
                    f.note_seen(p);
                }
                // the file found, as opened when found
                let file = found_file.expect("a file for the match");
                f.cur = Some(Current::from_file(file, mark.offset, false, cfg.max_line)?);
                f.files = 1;
            }
            // nothing of any file was seen: from what follows `prev`
            None if mark.head_len == 0 && (cp.prev.is_none() || prev.is_some()) => {}
            None => {
                let mut e = CheckpointError::new(CheckpointErrorKind::FileNotFound, 0);
                e.followed = Some(f.path.clone());
                return Err(e.into());
            }
        }
        if !f.pump.re.restore(&cp.events, &cp.early, &cp.serials) {
            return Err(CheckpointError::new(CheckpointErrorKind::Corrupt, 0).into());
        }
        Ok(f)
    }

    fn new(path: &Path, cfg: FollowConfig) -> FollowEvents {
        FollowEvents {
            path: path.to_path_buf(),
            cfg,
            pump: Pump::new(cfg.reassembler),
            cur: None,
            seen: VecDeque::new(),
            // nothing read yet: the start of whatever file appears
            last_mark: FileMark {
                head_hash: fingerprint(&[]),
                ..FileMark::default()
            },
            prev: None,
            stop: Arc::new(AtomicBool::new(false)),
            last_input: Instant::now(),
            input_seen: false,
            bytes: 0,
            files: 0,
            #[cfg(target_os = "linux")]
            watch: cfg.watch.then(|| watch_dir(path)).flatten(),
        }
    }

    /// A flag that ends the stream when set (from a signal handler or another
    /// thread): `next_event` returns `None` within one poll interval.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Asks the stream to end (as setting [`stop_handle`](Self::stop_handle) does).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The next event, lent until the next call (as
    /// [`EventSource::next_event`]).
    pub fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        EventSource::next_event(self)
    }

    /// Where the follower stands, with every event not yet handed out (the
    /// one lent by the last `next_event` counts as handed out). A new
    /// process [`resume`](Self::resume)s from it.
    pub fn checkpoint(&self) -> Checkpoint {
        use std::os::unix::ffi::OsStrExt;
        let (events, early, serials) = self.pump.re.save();
        Checkpoint {
            version: CHECKPOINT_VERSION,
            path: self.path.as_os_str().as_bytes().to_vec(),
            file: self.cur.as_ref().map_or(self.last_mark, Current::mark),
            prev: self.prev,
            events,
            early,
            serials,
        }
    }

    /// For readers that wait themselves (the async stream): reads on without
    /// waiting, flushing idle events when there is nothing to read; whether
    /// anything was read.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn step(&mut self) -> Result<bool, Error> {
        match self.feed() {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.idle_flush();
                Ok(false)
            }
            Err(e) => {
                self.pump.count(&e);
                Err(e)
            }
        }
    }

    /// The next complete event, if one is waiting (for the async stream).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn pop_ready(&mut self) -> Option<EventBuf> {
        self.pump.re.pop()
    }

    /// How long to wait, idle, before looking again: the poll interval, or
    /// less when events in flight are due to be flushed sooner.
    pub(crate) fn wait_time(&self) -> Duration {
        let mut t = self.cfg.poll_interval;
        if self.pump.re.in_flight() > 0 {
            let idle_due = self.last_input + self.cfg.idle_timeout;
            t = t.min(idle_due.saturating_duration_since(Instant::now()));
        }
        t
    }

    /// Whether the stop flag is set.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn advance(&mut self) -> Option<Result<(), Error>> {
        loop {
            if self.pump.next_ready() {
                return Some(Ok(()));
            }
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            match self.feed() {
                Ok(true) => {}
                Ok(false) => self.wait(),
                Err(e) => {
                    self.pump.count(&e);
                    return Some(Err(e));
                }
            }
        }
    }

    /// Reads on; whether anything happened (false: idle, wait).
    fn feed(&mut self) -> Result<bool, Error> {
        if self.cur.is_none() && !self.open_next()? {
            return Ok(false);
        }
        let cur = self.cur.as_mut().expect("a current file");
        match cur.lines.next_record() {
            Some(Ok(Ok(rec))) => {
                self.input_seen = true;
                self.pump.re.push(&rec, None);
                Ok(true)
            }
            Some(Ok(Err((source, raw)))) => {
                let raw = raw.to_vec();
                self.input_seen = true;
                Err(Error::Parse {
                    input: self.files.saturating_sub(1) as usize,
                    index: cur.lines.line_number(),
                    source,
                    raw,
                })
            }
            Some(Err(e)) => Err(Error::Io(e)),
            None => self.at_end(),
        }
    }

    /// At the end of what the current file holds: rotated, truncated, or
    /// waiting for growth. Whether something changed.
    fn at_end(&mut self) -> Result<bool, Error> {
        let cur = self.cur.as_mut().expect("a current file");
        if cur.copy {
            return self.done_with_current();
        }
        let len = cur.file().metadata()?.len();
        let pos = cur.position() + cur.lines.held_bytes();
        cur.read_head();
        if len < pos || cur.replaced() {
            // copy-truncate (shorter now, or refilled past our offset with
            // other first bytes): the rest is in the copy, if one has our
            // first bytes; after it come the files rotated after it, and the
            // truncated file from its start
            let (from, head, id) = (cur.position(), cur.head().to_vec(), (cur.dev, cur.ino));
            let copy = self.find_copy(&head, from, id);
            self.retire_current(true);
            if let Some(c) = copy {
                self.files += 1;
                self.cur = Some(c);
            }
            return Ok(true);
        }
        if len > pos {
            // it grew between the read and now
            return Ok(true);
        }
        match std::fs::metadata(&self.path) {
            Ok(m) if cur.is(&m) => {
                if pos == 0 && cur.head().is_empty() {
                    // nothing in it yet: not held (see the type's doc)
                    self.cur = None;
                }
                Ok(false)
            }
            // renamed away (rotated) or removed: what was written to it up
            // to the rotation is read, then it is done
            _ => {
                if cur.file().metadata()?.len() > pos {
                    return Ok(true);
                }
                self.done_with_current()
            }
        }
    }

    /// The current file is read to its end: a line held without newline is
    /// reported as cut, and the next file is looked for.
    fn done_with_current(&mut self) -> Result<bool, Error> {
        let cur = self.cur.as_mut().expect("a current file");
        let held = cur.lines.release_held().map(<[u8]>::to_vec);
        let index = cur.lines.line_number();
        self.retire_current(true);
        match held {
            Some(raw) => Err(Error::Parse {
                input: self.files.saturating_sub(1) as usize,
                index,
                source: ParseError::new(ErrorKind::TruncatedLine, raw.len()),
                raw,
            }),
            None => Ok(true),
        }
    }

    /// Lets the current file go; `done`: it was read to its end.
    fn retire_current(&mut self, done: bool) {
        let Some(cur) = self.cur.take() else { return };
        self.bytes += cur.lines.bytes_read();
        self.last_mark = cur.mark();
        if done {
            self.prev = Some(self.last_mark);
            self.push_seen(Seen {
                dev: cur.dev,
                ino: cur.ino,
                head: cur.head().to_vec(),
            });
        }
    }

    fn note_seen(&mut self, p: &Path) {
        if let Some(s) = Seen::of(p) {
            self.push_seen(s);
        }
    }

    fn push_seen(&mut self, s: Seen) {
        self.seen.push_back(s);
        if self.seen.len() > SEEN {
            self.seen.pop_front();
        }
    }

    /// Opens the next file to read: the oldest of the rotated set (the
    /// followed path last) that has data and is not known. Whether there is
    /// one.
    fn open_next(&mut self) -> Result<bool, Error> {
        // A rotation may rename files between the look and the open: the
        // file opened is kept only if a second look finds nothing unread
        // older than it.
        for _ in 0..8 {
            let Some(c) = self.first_unread(None)? else {
                return Ok(false);
            };
            if self.first_unread(Some(&c))?.is_none() {
                self.files += 1;
                self.cur = Some(c);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The oldest file of the rotated set that has data and is not known,
    /// opened; with `before`, only if it comes before that file (`None`
    /// when it is the first).
    ///
    /// A file whose first bytes are also those of a newer file is a copy
    /// whose original still holds all of it (copy-truncate not done yet, or
    /// the copy still being written): the original is read instead, and
    /// the copy only for what the truncation takes away.
    fn first_unread(&self, before: Option<&Current>) -> Result<Option<Current>, Error> {
        let set: Vec<(PathBuf, Metadata, Vec<u8>)> = rotated_set(&self.path)
            .into_iter()
            .filter_map(|p| {
                let f = File::open(&p).ok()?;
                let m = f.metadata().ok()?;
                let mut head = vec![0u8; HEAD];
                let n = f.read_at(&mut head, 0).ok()?;
                head.truncate(n);
                Some((p, m, head))
            })
            .collect();
        for (i, (p, m, head)) in set.iter().enumerate() {
            if before.is_some_and(|b| b.is(m)) {
                return Ok(None);
            }
            if m.len() == 0 || self.seen.iter().any(|s| s.is(p)) {
                continue;
            }
            let copied = set[i + 1..].iter().any(|(_, _, h)| {
                let n = h.len().min(head.len());
                n > 0 && h[..n] == head[..n]
            });
            if copied {
                continue;
            }
            match Current::open(p, 0, false, self.cfg.max_line) {
                Ok(c) => return Ok(Some(c)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// A rotated file (not `skip`) whose first bytes are `head` and that
    /// holds at least `from` bytes, opened at `from`.
    fn find_copy(&self, head: &[u8], from: u64, skip: (u64, u64)) -> Option<Current> {
        if head.is_empty() {
            // nothing was read of it: nothing to find
            return None;
        }
        for p in rotated_set(&self.path) {
            let Ok(f) = File::open(&p) else { continue };
            let Ok(m) = f.metadata() else { continue };
            if (m.dev(), m.ino()) == skip || m.len() < from || m.len() < head.len() as u64 {
                continue;
            }
            let mut h = vec![0u8; head.len()];
            if f.read_exact_at(&mut h, 0).is_ok() && h == head {
                return Current::from_file(f, from, true, self.cfg.max_line).ok();
            }
        }
        None
    }

    /// Completes the events in flight once no record came for the idle
    /// timeout.
    fn idle_flush(&mut self) {
        if std::mem::take(&mut self.input_seen) {
            self.last_input = Instant::now();
        }
        if self.last_input.elapsed() >= self.cfg.idle_timeout && self.pump.re.in_flight() > 0 {
            self.pump.re.flush_idle();
        }
    }

    /// Nothing to read: flushes idle events, then waits a poll interval
    /// (in short steps, to see the stop flag).
    fn wait(&mut self) {
        self.idle_flush();
        if self.pump.re.has_output() {
            return;
        }
        let until = Instant::now() + self.wait_time();
        while !self.stop.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let step = left.min(Duration::from_millis(20));
            #[cfg(target_os = "linux")]
            if let Some(w) = &self.watch {
                match w.wait(step) {
                    Ok(true) => return,
                    Ok(false) => continue,
                    // the watch broke: poll from here on
                    Err(_) => self.watch = None,
                }
            }
            std::thread::sleep(step);
        }
    }

    /// Whether it wakes on inotify events of the file's directory (false:
    /// it polls every [`FollowConfig::poll_interval`], because
    /// [`FollowConfig::watch`] is off, inotify is unavailable here or out of
    /// watches, or the watch failed).
    pub fn watching(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.watch.is_some();
        #[cfg(not(target_os = "linux"))]
        return false;
    }

    /// The directory watch's descriptor, if there is one (for the async
    /// stream).
    #[cfg(all(feature = "tokio", target_os = "linux"))]
    pub(crate) fn watch_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.watch.as_ref().map(|w| w.as_fd())
    }
}

/// A watch on the directory of `path`, or `None` (then the follower polls).
#[cfg(target_os = "linux")]
fn watch_dir(path: &Path) -> Option<crate::sys::DirWatch> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    crate::sys::DirWatch::new(dir).ok()
}

impl EventSource for FollowEvents {
    fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        self.pump.release(true);
        match self.advance()? {
            Ok(()) => self.pump.current.as_ref().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }

    fn has_ready(&self) -> bool {
        self.pump.re.has_output()
    }

    fn stats(&self) -> SourceStats {
        let cur = self.cur.as_ref().map_or(0, |c| c.lines.bytes_read());
        SourceStats {
            files: self.files,
            ..self.pump.stats(self.bytes + cur)
        }
    }

    /// Completes every event in flight (without reading on) and returns
    /// those not yet handed out. (To resume later instead, take a
    /// [`checkpoint`](FollowEvents::checkpoint).)
    fn close(mut self) -> Result<Closed, Error> {
        let events = self.pump.drain();
        Ok(Closed {
            events,
            stats: self.stats(),
        })
    }
}

impl Iterator for FollowEvents {
    type Item = Result<EventBuf, Error>;

    /// The next event, owned.
    fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        self.pump.release(false);
        match self.advance()? {
            Ok(()) => self.pump.current.take().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }
}
