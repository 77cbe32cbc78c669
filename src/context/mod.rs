//! Process, user and container context for events: who ran it (user and
//! group names), under what (the parent's program and arguments, the
//! ancestors' programs) and where (container, systemd unit), and labels.
//!
//! A [`ProcessTracker`] keeps a table of processes fed by the events
//! themselves (execs; forks and exits when rules for them exist) and, for
//! this machine's events, by one `/proc` scan at start and `/proc` reads on
//! demand. [`ProcessTracker::observe`] takes each event in stream order and
//! gives its [`EventContext`]; the output formats write it beside the event
//! ([`output::WithContext`](crate::output::WithContext), and the schema
//! views through their [`Context`](crate::output::schema::Context)).
//!
//! ```
//! use auditstream::context::{ContextConfig, ProcessTracker};
//! use auditstream::output::{json, WithContext};
//! use auditstream::source::log::LogEvents;
//!
//! let log = std::fs::File::open("testdata/audit-raw.log")?;
//! let mut events = LogEvents::new(std::io::BufReader::new(log));
//! // a saved log: only its own events, nothing of this machine
//! let mut tracker = ProcessTracker::new(ContextConfig::offline())?;
//! let mut out = Vec::new();
//! while let Some(buf) = events.next_event() {
//!     let buf = buf?;
//!     let event = buf.event();
//!     let ctx = tracker.observe(&event, buf.records());
//!     out.clear();
//!     json::write(&mut out, &WithContext::new(&event, ctx.as_ref()), Default::default());
//! }
//! assert!(tracker.stats().processes > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Right or absent
//!
//! A process is a pid *and* its start: an entry is known to hold its pid
//! from its exec or fork event (or, read from `/proc`, from its start time,
//! field 22 of `stat`) until its exit event or until `/proc` shows the pid
//! held by another process. An event's process and its parent are given
//! only when the table shows which process held the pid at the event's
//! time; otherwise they are absent (and counted in [`ContextStats`]):
//!
//! - **Live** (this machine's events): an entry is confirmed by reading
//!   `/proc/PID/stat` again: the same start means the same process, alive
//!   since before the event. A process read from `/proc` holds its pid at an
//!   event's time if it started at least one clock tick before it, or if the
//!   event's process (alive, with the start it had at its exec) is its child
//!   now (a process whose parent is pid N now had pid N's holder as parent
//!   at every moment since: re-parenting goes to an ancestor or pid 1, which
//!   never shares the dead parent's pid); a start later than now is not
//!   trusted. Each process's files are read
//!   through one open `/proc/PID` directory, so a read never mixes two
//!   processes. An exec's own process is confirmed when `/proc` shows the
//!   program the event names with the event's parent (or a start before the
//!   event); a process already gone gets its container and unit from its
//!   parent (a child starts in its parent's cgroup), except from pid 1, a
//!   parent of unknown program or one of [`CGROUP_MOVERS`], or when its own
//!   image before the exec was one of them.
//! - **A saved log** (or another machine's events): the table holds what the
//!   log's own events say. A pid's last exec is its process until its exit
//!   event, a fork event that returns that pid, or an event of that pid that
//!   names another program (a process that forked without exec has its
//!   parent's program). A pid reused by a process that never exec'd and
//!   made no event before its child's exec cannot be seen: a log carries no
//!   start times to tell.
//! - **Gone before read**: live, a process that exited (and was not
//!   confirmed alive after the event) before an event naming it is read is
//!   absent: its pid may already be another process's (fork events cannot
//!   close that gap: a fork is reported when the caller returns, which can
//!   be after the child's own events).
//! - **Re-parenting**: the parent is always the process holding the
//!   event's `ppid` at the event's time (pid 1 or a subreaper for an orphan),
//!   never the process that forked it if that one has exited; it is shown
//!   with the program it ran then (a later exec of the same process: live
//!   the same start, offline the same parent pid with no end between). The
//!   ancestry stops at an ancestor known re-parented (an event or `/proc`
//!   shows another parent pid) or whose parent had ended by the event.
//! - The program an event names (`exe=`) must be the entry's: an entry of
//!   another program is not the event's process, and from that event on no
//!   longer holds the pid (an exec not seen, or the pid reused by a process
//!   that forked without exec: counted as `exe_mismatch`).
//!
//! # Limits
//!
//! Every table has a limit ([`ContextConfig`]): processes (32,768; evicted
//! by the clock algorithm, entries used recently last, counted in
//! `evicted`), their bytes (64 MiB), argv bytes kept per process (1 KiB,
//! each argument counting one byte more than its length; cut argv is
//! flagged), the script name (4 KiB; longer: not kept), nodes (1,024;
//! events of further nodes get no context, counted), user and group names
//! cached (4,096 each, for 60 s), exe hashes cached (4,096), and files read
//! from `/proc` (`cgroup` 16 KiB, `environ` 64 KiB, `stat` 4 KiB). An exited process is kept while an entry
//! links to it as parent.
//!
//! With no tracker, or [`ProcessTracker::observe`] not called, nothing of
//! this runs: the event path costs nothing more.

mod cgroup;
mod labels;
mod names;
#[cfg(target_os = "linux")]
mod procfs;
mod table;

pub use cgroup::{container_of, unit_of, CgroupInfo, Container, Runtime, MAX_CGROUP_FILE};
pub use labels::{LabelRule, Match, Pattern, MAX_LABEL_RULES};
pub use names::{IdKind, ID_FIELDS};

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::event::{Event, EventKind, Syscall};
use crate::output::schema::Names;
use crate::reassemble::hash::KeyMap;
use crate::record::{EventId, Record, RecordType};
use labels::Labeler;
use names::NameCache;
use table::{Argv, Id, Proc, Stamp, Table};

/// Where a tracker may look beyond the events.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum System {
    /// Nowhere: only the events (saved logs, other machines' events).
    EventsOnly,
    /// This machine: `/proc` under `proc_root` and the user database, for
    /// events without `node=` and events whose `node=` is one of `nodes`.
    Local {
        /// `/proc` (another directory of its shape in tests).
        proc_root: PathBuf,
        /// The `node=` names of this machine.
        nodes: Vec<Vec<u8>>,
    },
}

/// Everything a [`ProcessTracker`] does, in one place.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ContextConfig {
    /// Where to look beyond the events.
    pub system: System,
    /// Most processes in the table (default 32,768).
    pub max_processes: usize,
    /// Most bytes the table's entries account for (default 64 MiB).
    pub max_bytes: usize,
    /// Most argv bytes kept per process (default 1 KiB; each argument
    /// counts its length plus one, its NUL, so empty ones count too; a cut
    /// argv is written with `"argv_complete": false`).
    pub max_argv_bytes: usize,
    /// How many ancestors `ancestry` lists (default 8).
    pub ancestry_depth: usize,
    /// Most distinct `node=` names (default 1,024); events of further nodes
    /// get no context.
    pub max_nodes: usize,
    /// How long a user or group name looked up is kept (default 60 s).
    pub names_ttl: Duration,
    /// Most user and group names cached, each (default 4,096).
    pub max_names: usize,
    /// Label rules (at most [`MAX_LABEL_RULES`]).
    pub labels: Vec<LabelRule>,
    /// Environment variables read at each exec of this machine (off: empty;
    /// e.g. `LD_PRELOAD`), from `/proc/PID/environ`.
    pub env: Vec<Vec<u8>>,
    /// Most bytes of one environment variable's value kept (default 1 KiB).
    pub max_env_value: usize,
    /// The SHA-256 of each exec'd program of this machine (feature
    /// `exe-hash`; off by default): the file `/proc/PID/exe` opens, cached
    /// by device, inode, size and mtime.
    #[cfg(feature = "exe-hash")]
    pub exe_hash: bool,
    /// Largest file hashed (default 256 MiB).
    #[cfg(feature = "exe-hash")]
    pub max_hash_file: u64,
    /// Most hashes cached (default 4,096).
    #[cfg(feature = "exe-hash")]
    pub max_hashes: usize,
    /// Script detection (off by default): the script an interpreter runs,
    /// from the exec's PATH records (a `#!` script exec'd) or its first
    /// argument that is not an option; one longer than [`MAX_SCRIPT`] is
    /// not kept.
    pub scripts: bool,
}

impl Default for ContextConfig {
    /// [`ContextConfig::offline`].
    fn default() -> Self {
        ContextConfig::offline()
    }
}

impl ContextConfig {
    /// For saved logs: only the events, nothing of this machine.
    pub fn offline() -> ContextConfig {
        ContextConfig {
            system: System::EventsOnly,
            max_processes: 32_768,
            max_bytes: 64 << 20,
            max_argv_bytes: 1024,
            ancestry_depth: 8,
            max_nodes: 1024,
            names_ttl: Duration::from_secs(60),
            max_names: 4096,
            labels: Vec::new(),
            env: Vec::new(),
            max_env_value: 1024,
            #[cfg(feature = "exe-hash")]
            exe_hash: false,
            #[cfg(feature = "exe-hash")]
            max_hash_file: 256 << 20,
            #[cfg(feature = "exe-hash")]
            max_hashes: 4096,
            scripts: false,
        }
    }

    /// For this machine's events (the live socket, its own audit.log):
    /// `/proc` and the user database too, for events without `node=` or
    /// with this machine's host name.
    pub fn live() -> ContextConfig {
        let host = std::fs::read("/proc/sys/kernel/hostname")
            .map(|mut h| {
                while h.last().is_some_and(u8::is_ascii_whitespace) {
                    h.pop();
                }
                h
            })
            .unwrap_or_default();
        let nodes = if host.is_empty() { vec![] } else { vec![host] };
        ContextConfig {
            system: System::Local {
                proc_root: PathBuf::from("/proc"),
                nodes,
            },
            ..ContextConfig::offline()
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// More label rules than [`MAX_LABEL_RULES`].
    #[error("{0} label rules, at most {MAX_LABEL_RULES}")]
    TooManyLabels(usize),
}

/// Counters of a [`ProcessTracker`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContextStats {
    /// Entries in the table now.
    pub processes: usize,
    /// Bytes they account for.
    pub bytes: usize,
    /// Entries evicted to stay within the limits.
    pub evicted: u64,
    /// Events whose process was found.
    pub found: u64,
    /// Events whose process could not be told (absent context).
    pub unknown: u64,
    /// Events whose parent was found.
    pub parent_found: u64,
    /// Events whose parent could not be told.
    pub parent_unknown: u64,
    /// An entry was of another program than the event names.
    pub exe_mismatch: u64,
    /// `/proc/PID` directories read.
    pub proc_reads: u64,
    /// Processes entered from the `/proc` scan at start.
    pub scanned: u64,
    /// `/proc` was not used: this process is not in the initial pid
    /// namespace, so its `/proc` pids are not the pids audit reports.
    pub proc_disabled: bool,
    /// Events of nodes past the node limit.
    pub nodes_dropped: u64,
    /// User and group names cached now.
    pub names_cached: usize,
    /// User and group lookups made.
    pub name_lookups: u64,
    /// Cached names dropped at the limit.
    pub names_dropped: u64,
    /// Loss events seen.
    pub losses: u64,
}

/// A process as an event's context shows it (the parent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo<'a> {
    /// Its pid.
    pub pid: u32,
    /// Its executable, if known.
    pub exe: Option<&'a [u8]>,
    /// Its `comm`, if known.
    pub comm: Option<&'a [u8]>,
    /// Its arguments (possibly cut: see `argv_complete`).
    pub argv: &'a [Cow<'a, [u8]>],
    /// False when argv was cut at the tracker's limit, or the exec's own
    /// argv was not complete (a lost EXECVE record).
    pub argv_complete: bool,
    /// The exec event that started its program, when the stream had it.
    pub exec: Option<EventId>,
}

/// The container of an event's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerRef<'a> {
    /// Its id.
    pub id: &'a [u8],
    /// Its runtime.
    pub runtime: Runtime,
}

/// User and group names of an event's ids: for each of [`ID_FIELDS`], the
/// name when it resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdNames<'a>(pub [Option<&'a [u8]>; 9]);

impl<'a> IdNames<'a> {
    /// The names as the schema views take them.
    pub fn as_names(&self) -> Names<'a> {
        let n = &self.0;
        Names {
            uid: n[0],
            gid: n[1],
            euid: n[2],
            egid: n[3],
            suid: n[4],
            sgid: n[5],
            fsuid: n[6],
            fsgid: n[7],
            auid: n[8],
        }
    }

    fn from_names(n: &Names<'a>) -> Self {
        IdNames([
            n.uid, n.gid, n.euid, n.egid, n.suid, n.sgid, n.fsuid, n.fsgid, n.auid,
        ])
    }

    /// The resolved ones: (field, name).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'a [u8])> + '_ {
        ID_FIELDS
            .iter()
            .zip(self.0)
            .filter_map(|((f, _), n)| Some((*f, n?)))
    }
}

/// An event's context: its process's parent, ancestors, names, container,
/// unit and labels (and what the options add).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventContext<'a> {
    /// The process holding the event's `ppid` at its time, when known.
    pub parent: Option<ProcessInfo<'a>>,
    /// The executable of each ancestor, the parent first, as far as known
    /// without a gap, up to the configured depth.
    pub ancestry: Vec<&'a [u8]>,
    /// User and group names.
    pub names: IdNames<'a>,
    /// The container, when the cgroup path names one.
    pub container: Option<ContainerRef<'a>>,
    /// The systemd unit.
    pub unit: Option<&'a [u8]>,
    /// Labels, in rule order.
    pub labels: Vec<&'a str>,
    /// The environment variables asked for, as read at the exec (only those
    /// set).
    pub env: Vec<(&'a [u8], &'a [u8])>,
    /// SHA-256 of the executable (feature `exe-hash`).
    pub exe_sha256: Option<[u8; 32]>,
    /// The script an interpreter runs (option `scripts`).
    pub script: Option<&'a [u8]>,
    /// Whether the option fields (`env`, `exe_sha256`, `script`) are
    /// written: the tracker has them on.
    pub(crate) options: Options,
}

/// Which optional fields a tracker fills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub env: bool,
    pub hash: bool,
    pub script: bool,
}

impl EventContext<'_> {
    /// Whether the event's process has `label`.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.contains(&label)
    }
}

/// The process fields of an event.
struct Subject<'e> {
    pid: u32,
    ppid: Option<u32>,
    exe: Option<Cow<'e, [u8]>>,
    ids: [Option<u32>; 9],
}

impl<'e> Subject<'e> {
    fn of(s: &Syscall<'e>) -> Option<Subject<'e>> {
        Some(Subject {
            pid: s.pid?,
            ppid: s.ppid,
            exe: s.exe.clone(),
            ids: [
                s.uid, s.gid, s.euid, s.egid, s.suid, s.sgid, s.fsuid, s.fsgid, s.auid,
            ],
        })
    }
}

/// What an event does to the table.
enum Act {
    Exec,
    Fork(u32),
    Exit,
    None,
}

/// CLONE_THREAD: a clone that makes a thread, not a process.
const CLONE_THREAD: u64 = 0x10000;

/// A `node=` name and its number.
type NodeName = (Box<[u8]>, u32);

/// A hash cache entry key: device, inode, size, mtime (s, ns).
#[cfg(feature = "exe-hash")]
type FileKey = (u64, u64, u64, i64, i64);

/// Keeps the process table and gives each event its context; see the
/// [module documentation](self).
pub struct ProcessTracker {
    cfg: ContextConfig,
    labeler: Labeler,
    table: Table,
    /// `node=` names by hash: (name, number).
    nodes: KeyMap<u64, Vec<NodeName>>,
    node_count: u32,
    names: NameCache,
    #[cfg(target_os = "linux")]
    proc: Option<procfs::ProcFs>,
    /// ns per clock tick, for start times.
    tick_ns: i128,
    /// The wall time of boot in ns, read at each use: the wall clock can
    /// step (NTP, a device without RTC), and a start time mapped with the
    /// boot time of before a forward step is too early (tests step it).
    boot_clock: fn() -> Option<i128>,
    /// The process of the last exit event, freed at the next event.
    exited: Option<Id>,
    stats: ContextStats,
    scratch: Vec<u8>,
    #[cfg(feature = "exe-hash")]
    hashes: KeyMap<FileKey, [u8; 32]>,
}

impl std::fmt::Debug for ProcessTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessTracker")
            .field("cfg", &self.cfg)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Slack for the kernel's coarse event clock (a few ms behind) when an
/// event's time is compared with a start time or a `/proc` read.
const CLOCK_SLACK_MS: u64 = 20;

/// The wall time of boot in ns, as the kernel's start times count it.
fn boot_wall_nanos() -> Option<i128> {
    #[cfg(target_os = "linux")]
    return crate::sys::boot_wall_nanos();
    #[cfg(not(target_os = "linux"))]
    None
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl ProcessTracker {
    /// A tracker; with [`System::Local`], after one scan of `/proc`.
    pub fn new(cfg: ContextConfig) -> Result<ProcessTracker, ConfigError> {
        ProcessTracker::with_boot_clock(cfg, boot_wall_nanos)
    }

    /// A tracker whose wall time of boot comes from `boot_clock`.
    fn with_boot_clock(
        cfg: ContextConfig,
        boot_clock: fn() -> Option<i128>,
    ) -> Result<ProcessTracker, ConfigError> {
        let labeler =
            Labeler::new(cfg.labels.clone()).ok_or(ConfigError::TooManyLabels(cfg.labels.len()))?;
        let mut t = ProcessTracker {
            table: Table::new(cfg.max_processes, cfg.max_bytes),
            names: NameCache::new(cfg.names_ttl, cfg.max_names),
            labeler,
            nodes: KeyMap::default(),
            node_count: 0,
            #[cfg(target_os = "linux")]
            proc: None,
            tick_ns: 10_000_000,
            boot_clock,
            exited: None,
            stats: ContextStats::default(),
            scratch: Vec::new(),
            #[cfg(feature = "exe-hash")]
            hashes: KeyMap::default(),
            cfg,
        };
        #[cfg(target_os = "linux")]
        if let System::Local { proc_root, .. } = &t.cfg.system {
            let fs = procfs::ProcFs::new(proc_root.clone());
            // audit reports pids of the initial pid namespace: a reader in
            // another one sees other numbers in its /proc
            let own_ns = proc_root != std::path::Path::new("/proc") || in_initial_pid_ns();
            if own_ns {
                t.tick_ns = 1_000_000_000 / i128::from(crate::sys::clock_ticks().max(1));
                t.proc = Some(fs);
                t.scan();
            } else {
                t.stats.proc_disabled = true;
            }
        }
        Ok(t)
    }

    /// The configuration.
    pub fn config(&self) -> &ContextConfig {
        &self.cfg
    }

    /// The counters.
    pub fn stats(&self) -> ContextStats {
        let mut s = self.stats;
        s.processes = self.table.len();
        s.bytes = self.table.bytes();
        s.evicted = self.table.evicted;
        s.name_lookups = self.names.lookups;
        s.names_cached = self.names.len();
        s.names_dropped = self.names.dropped;
        s
    }

    /// Whether `label` is the label of a configured rule.
    pub fn knows_label(&self, label: &str) -> bool {
        self.labeler.set_of(label) != 0
    }

    /// Takes the next event of the stream (in order) and gives its context;
    /// `None` for events without a process (loss, records without `pid`).
    /// `records` are the event's records (for an ENRICHED log's names):
    /// `EventBuf::records()`.
    pub fn observe<'a>(
        &'a mut self,
        event: &Event<'_>,
        records: impl IntoIterator<Item = Record<'a>>,
    ) -> Option<EventContext<'a>> {
        let at = Stamp {
            ms: event.id.time.as_millis(),
            serial: event.id.serial,
        };
        if let Some(id) = self.exited.take() {
            self.table.release(id);
        }
        let (subject, act) = match &event.kind {
            EventKind::Lost(_) => {
                self.stats.losses += 1;
                return None;
            }
            EventKind::Exec(x) => {
                // a failed exec (or one whose result is not known) leaves
                // the process's program as it was
                let act = if x.syscall.success == Some(true) {
                    Act::Exec
                } else {
                    Act::None
                };
                (Subject::of(&x.syscall)?, act)
            }
            EventKind::Socket(s) => (Subject::of(&s.syscall)?, Act::None),
            EventKind::Other(recs) => {
                let sc = recs
                    .iter()
                    .find(|r| r.record_type() == RecordType::SYSCALL)
                    .or_else(|| recs.iter().find(|r| r.get(b"pid").is_some()))?;
                let s = Syscall::from_record(&sc).into_owned();
                let act = match s.name() {
                    Some("fork" | "vfork") if s.success == Some(true) => {
                        fork_child(s.exit).map_or(Act::None, Act::Fork)
                    }
                    Some("clone")
                        if s.success == Some(true)
                            && s.args[0].is_some_and(|f| f & CLONE_THREAD == 0) =>
                    {
                        fork_child(s.exit).map_or(Act::None, Act::Fork)
                    }
                    Some("exit_group") => Act::Exit,
                    _ => Act::None,
                };
                let subj = Subject::of(&s)?;
                let subj = Subject {
                    exe: subj.exe.map(|e| Cow::Owned(e.into_owned())),
                    ..subj
                };
                (subj, act)
            }
        };
        let Some(node) = self.node_id(event.node.as_deref()) else {
            self.stats.nodes_dropped += 1;
            return None;
        };
        let local = self.is_local(event.node.as_deref());
        let id = match act {
            Act::Exec => match &event.kind {
                EventKind::Exec(x) => Some(self.on_exec(node, local, at, &subject, x)),
                _ => None,
            },
            _ => self.resolve(node, local, subject.pid, at, subject.exe.as_deref(), None),
        };
        if let Act::Fork(child) = act {
            self.on_fork(node, at, subject.pid, child);
        }
        // the parent at the event's time: the entry's own when the event's
        // ppid is the one it was created with (in the image it runs at the
        // event's time, if that image still held the pid), else the holder
        // of the ppid
        let entry_parent = id.and_then(|i| {
            let p = self.table.get(i)?;
            let link = p.parent.filter(|_| p.ppid == subject.ppid)?;
            let image = self.image_at(link, at)?;
            let ended = self.table.get(image)?.dead.is_some_and(|d| d <= at);
            (!ended).then_some(image)
        });
        let parent = match entry_parent {
            Some(link) => Some(link),
            None => match subject.ppid {
                Some(ppid) if ppid != 0 => {
                    let child = id.and_then(|i| {
                        let p = self.table.get(i)?;
                        Some((p.pid, p.start?))
                    });
                    self.resolve(node, local, ppid, at, None, child)
                }
                _ => None,
            },
        };
        // another parent pid than the entry's: it was re-parented (its
        // parent exited), and its link leads to a parent no more
        if let (Some(i), Some(ppid)) = (id, subject.ppid) {
            if let Some(p) = self.table.get_mut(i) {
                if p.ppid.is_some_and(|pp| pp != ppid) {
                    p.reparented = true;
                }
            }
        }
        if id.is_some() {
            self.stats.found += 1;
        } else {
            self.stats.unknown += 1;
        }
        if parent.is_some() {
            self.stats.parent_found += 1;
        } else if subject.ppid.is_some_and(|p| p != 0) {
            self.stats.parent_unknown += 1;
        }
        if let Act::Exit = act {
            if let Some(i) = id {
                if let Some(p) = self.table.get_mut(i) {
                    p.dead = Some(at);
                }
                // freed (if nothing links to it) once this context is out
                self.exited = Some(i);
            }
        }
        // names: the log's own, else this machine's
        let enriched = Names::from_records(records);
        let live_names = local && enriched.is_none();
        let names = enriched.unwrap_or_default();
        let mut idn = IdNames::from_names(&names);
        if live_names {
            let now = Instant::now();
            for (i, (_, kind)) in ID_FIELDS.iter().enumerate() {
                if let Some(n) = subject.ids[i] {
                    self.names.refresh(*kind, n, now);
                }
            }
        }
        let this = &*self;
        if live_names {
            for (i, (_, kind)) in ID_FIELDS.iter().enumerate() {
                if let Some(n) = subject.ids[i] {
                    idn.0[i] = this.names.get(*kind, n);
                }
            }
        }
        let mut ctx = EventContext {
            names: idn,
            options: this.options(),
            ..EventContext::default()
        };
        // what the process itself carries (read, or taken from its parent
        // at its exec), else (not known) its parent's when it may take it
        let own = id.and_then(|i| this.table.get(i));
        let cg_from = match own {
            Some(p) => Some(p),
            None => parent
                .and_then(|i| this.table.get(i))
                .filter(|par| may_inherit_cgroup(par, None)),
        };
        if let Some(p) = cg_from {
            if let Some(c) = &p.cgroup.container {
                ctx.container = Some(ContainerRef {
                    id: &c.id,
                    runtime: c.runtime,
                });
            }
            ctx.unit = p.cgroup.unit.as_deref();
        }
        let label_set = match own {
            Some(p) => p.labels,
            None => parent
                .and_then(|i| this.table.get(i))
                .map_or(0, |p| this.labeler.inherit(p.labels)),
        };
        this.labeler.names(label_set, &mut ctx.labels);
        if let Some(p) = own {
            for (i, v) in &p.env {
                if let Some(name) = this.cfg.env.get(*i) {
                    ctx.env.push((name, v));
                }
            }
            ctx.exe_sha256 = p.exe_sha256;
            ctx.script = p.script.as_deref();
        }
        if let Some(pid) = parent {
            if let Some(p) = this.table.get(pid) {
                ctx.parent = Some(ProcessInfo {
                    pid: p.pid,
                    exe: p.exe.as_deref(),
                    comm: p.comm.as_deref(),
                    argv: &p.argv.args,
                    argv_complete: !p.argv.cut,
                    exec: p.exec,
                });
                // each ancestor in its image at the event's time; the walk
                // stops at one re-parented (its link is not its parent), at
                // a parent known to have ended by then, and at the event's
                // own process (never its own ancestor: a link of a pid since
                // reused)
                let mut cur = Some(p);
                while let Some(a) = cur {
                    if ctx.ancestry.len() >= this.cfg.ancestry_depth {
                        break;
                    }
                    let Some(exe) = a.exe.as_deref() else { break };
                    ctx.ancestry.push(exe);
                    if a.reparented {
                        break;
                    }
                    cur = a
                        .parent
                        .and_then(|i| this.image_at(i, at))
                        .filter(|&i| Some(i) != id)
                        .and_then(|i| this.table.get(i))
                        .filter(|g| !ended_by(g, at));
                }
            }
        }
        Some(ctx)
    }

    /// The image entry `id`'s process ran at `at`: `id`, or a later exec of
    /// the same process made by then; `None` when that later image is no
    /// longer in the table (its program at `at` is not known).
    /// A process that exec'd more than [`MAX_IMAGES`] times since is not
    /// followed (`None`): the walk is bounded per event.
    fn image_at(&self, mut id: Id, at: Stamp) -> Option<Id> {
        for _ in 0..=MAX_IMAGES {
            let next = self.table.get(id)?.next;
            match next {
                Some(n) if self.table.get(n)?.since <= at => id = n,
                _ => return Some(id),
            }
        }
        None
    }

    fn options(&self) -> Options {
        Options {
            env: !self.cfg.env.is_empty(),
            #[cfg(feature = "exe-hash")]
            hash: self.cfg.exe_hash,
            #[cfg(not(feature = "exe-hash"))]
            hash: false,
            script: self.cfg.scripts,
        }
    }

    /// The node number of `node=` (0: none); `None` past the node limit.
    fn node_id(&mut self, node: Option<&[u8]>) -> Option<u32> {
        let Some(n) = node else { return Some(0) };
        use std::hash::BuildHasher;
        let h = crate::reassemble::hash::KeyHash::default().hash_one(n);
        if let Some(list) = self.nodes.get(&h) {
            if let Some((_, id)) = list.iter().find(|(name, _)| &name[..] == n) {
                return Some(*id);
            }
        }
        if self.node_count as usize >= self.cfg.max_nodes {
            return None;
        }
        self.node_count += 1;
        let id = self.node_count;
        self.nodes.entry(h).or_default().push((n.into(), id));
        Some(id)
    }

    /// Whether an event of `node` is this machine's (and may be looked up
    /// in `/proc` and the user database).
    fn is_local(&self, node: Option<&[u8]>) -> bool {
        match &self.cfg.system {
            System::EventsOnly => false,
            System::Local { nodes, .. } => node.is_none_or(|n| nodes.iter().any(|m| m == n)),
        }
    }

    /// The entry of the process that held `pid` at `at`, or `None` when that
    /// cannot be told. `exe`: the program the event says it ran. `child`:
    /// (pid, start) of a live process that had `pid` as parent at `at`.
    fn resolve(
        &mut self,
        node: u32,
        local: bool,
        pid: u32,
        at: Stamp,
        exe: Option<&[u8]>,
        child: Option<(u32, u64)>,
    ) -> Option<Id> {
        let cur = self.table.current(table::key(node, pid));
        if let Some(id) = cur {
            if self.holds(id, local, at) {
                let p = self.table.get_mut(id)?;
                if let (Some(want), Some(have)) = (exe, p.exe.as_deref()) {
                    if want != have {
                        // the pid runs another program now: this image is
                        // no longer its process (an exec not seen, or the
                        // pid reused), for this event and every later one
                        self.stats.exe_mismatch += 1;
                        if p.dead.is_none_or(|d| d > at) {
                            p.dead = Some(at);
                        }
                        self.table.release(id);
                        return None;
                    }
                }
                p.used = true;
                return Some(id);
            }
        }
        if local {
            return self.load_holder(node, pid, at, exe, child);
        }
        None
    }

    /// Whether entry `id` held its pid at `at`.
    fn holds(&mut self, id: Id, local: bool, at: Stamp) -> bool {
        let Some(p) = self.table.get(id) else {
            return false;
        };
        if p.since > at || p.dead.is_some_and(|d| d < at) {
            return false;
        }
        if !local {
            return true;
        }
        #[cfg(target_os = "linux")]
        if let Some(start) = p.start {
            let pid = p.pid;
            let now = self.read_stat(pid);
            let p = self.table.get_mut(id).expect("checked");
            if let Some(now) = now.filter(|s| s.start == start) {
                p.verified = now_ms();
                if p.ppid.is_some_and(|pp| pp != now.ppid) {
                    p.reparented = true;
                }
                return true;
            }
            // gone, or another process holds the pid now
            if p.dead.is_none() {
                p.dead = Some(Stamp {
                    ms: now_ms(),
                    serial: 0,
                });
            }
            return p.verified >= at.ms + CLOCK_SLACK_MS;
        }
        // an entry never confirmed in /proc (gone before its exec was read):
        // whether its pid was reused since cannot be told
        false
    }

    #[cfg(target_os = "linux")]
    fn read_stat(&mut self, pid: u32) -> Option<procfs::Stat> {
        self.stats.proc_reads += 1;
        self.proc.as_ref()?.open(pid)?.stat()
    }

    /// Wall time (ms) of a start time in clock ticks: the earliest the start
    /// can have been, and the latest, with the boot time of now. (A start
    /// past `u64::MAX` ms saturates; with the boot time not known, every
    /// start is later than any event.)
    fn start_ms(&self, ticks: u64) -> (u64, u64) {
        // the boot time not known: a start later than any event
        let Some(boot) = (self.boot_clock)() else {
            return (u64::MAX, u64::MAX);
        };
        let ns = boot + i128::from(ticks) * self.tick_ns;
        let ms = |ns: i128| u64::try_from((ns / 1_000_000).max(0)).unwrap_or(u64::MAX);
        (ms(ns), ms(ns + self.tick_ns + 999_999))
    }

    /// Whether a start time is later than now: no process read from `/proc`
    /// has one, so the `stat` read is not to be trusted.
    fn start_in_future(&self, ticks: u64) -> bool {
        self.start_ms(ticks).0 > now_ms().saturating_add(CLOCK_SLACK_MS)
    }

    /// Reads the holder of `pid` from `/proc`: a process that held it at `at`
    /// (started a tick before, or the live `child`'s parent now), entered
    /// with its parents.
    #[cfg(target_os = "linux")]
    fn load_holder(
        &mut self,
        node: u32,
        pid: u32,
        at: Stamp,
        exe: Option<&[u8]>,
        child: Option<(u32, u64)>,
    ) -> Option<Id> {
        let fs = self.proc.clone()?;
        self.stats.proc_reads += 1;
        let dir = fs.open(pid)?;
        let st = dir.stat()?;
        if self.start_in_future(st.start) {
            return None;
        }
        let (_, hi) = self.start_ms(st.start);
        let held = hi <= at.ms
            || child.is_some_and(|(c, cstart)| {
                // the child's parent is pid now, and the directory read
                // before and after is the same process
                self.stats.proc_reads += 1;
                fs.open(c)
                    .and_then(|d| d.stat())
                    .is_some_and(|cs| cs.start == cstart && cs.ppid == pid)
                    && dir.stat().is_some_and(|s| s.start == st.start)
            });
        if !held {
            return None;
        }
        // an entry of this very process, of a later image than the event's:
        // its program at the event's time is not known
        if let Some(cur) = self.table.current(table::key(node, pid)) {
            if self
                .table
                .get(cur)
                .is_some_and(|p| p.start == Some(st.start))
            {
                return None;
            }
        }
        let id = self.enter_from_proc(node, pid, &dir, st, self.cfg.ancestry_depth)?;
        if let (Some(want), Some(have)) = (exe, self.table.get(id).and_then(|p| p.exe.as_deref())) {
            if want != have {
                self.stats.exe_mismatch += 1;
                return None;
            }
        }
        Some(id)
    }

    #[cfg(not(target_os = "linux"))]
    fn load_holder(
        &mut self,
        _: u32,
        _: u32,
        _: Stamp,
        _: Option<&[u8]>,
        _: Option<(u32, u64)>,
    ) -> Option<Id> {
        None
    }

    /// Enters a process read from its open `/proc` directory, and its
    /// parent (up to `depth` generations) when the parent is sure.
    #[cfg(target_os = "linux")]
    fn enter_from_proc(
        &mut self,
        node: u32,
        pid: u32,
        dir: &procfs::ProcDir,
        st: procfs::Stat,
        depth: usize,
    ) -> Option<Id> {
        if self.start_in_future(st.start) {
            return None;
        }
        let (_, hi) = self.start_ms(st.start);
        let mut p = Proc::new(node, pid, Stamp { ms: hi, serial: 0 });
        p.start = Some(st.start);
        p.ppid = Some(st.ppid);
        p.comm = Some(st.comm.into_boxed_slice());
        p.exe = dir.exe().map(Vec::into_boxed_slice);
        if let Some(cmd) = dir.read("cmdline", self.cfg.max_argv_bytes as u64 + 1) {
            let args = procfs::split_cmdline(&cmd);
            let mut argv = Argv::new(&args, self.cfg.max_argv_bytes);
            argv.cut |= cmd.len() > self.cfg.max_argv_bytes;
            p.argv = Arc::new(argv);
        }
        if let Some(cg) = dir.read("cgroup", MAX_CGROUP_FILE as u64) {
            p.cgroup = Arc::new(CgroupInfo::parse(&cg));
            p.cgroup_own = true;
        }
        p.verified = now_ms();
        // the parent: an entry confirmed to be that process, or read now
        let parent = if depth > 0 && st.ppid != 0 {
            self.proc_parent(node, pid, st.start, st.ppid, depth - 1)
        } else {
            None
        };
        // the stat read again: still the same process (nothing above mixed
        // two processes' files)
        if dir.stat().map(|s| s.start) != Some(st.start) {
            return None;
        }
        if let Some(par) = parent.and_then(|i| self.table.get(i)) {
            p.labels = self.labeler.inherit(par.labels);
        }
        let none: [&[u8]; 0] = [];
        let exe = p.exe.clone();
        p.labels |= self.labeler.matching(
            exe.as_deref(),
            &p.argv.clone().args,
            &none,
            &mut self.scratch,
        );
        Some(self.table.insert(p, parent))
    }

    /// The parent of a live process `pid` (start `start`, parent `ppid` now).
    #[cfg(target_os = "linux")]
    fn proc_parent(
        &mut self,
        node: u32,
        pid: u32,
        start: u64,
        ppid: u32,
        depth: usize,
    ) -> Option<Id> {
        if let Some(cur) = self.table.current(table::key(node, ppid)) {
            let cstart = self.table.get(cur).and_then(|p| p.start);
            if let Some(cs) = cstart {
                if cs < start && self.read_stat(ppid).is_some_and(|s| s.start == cs) {
                    return Some(cur);
                }
            }
        }
        let fs = self.proc.clone()?;
        self.stats.proc_reads += 1;
        let dir = fs.open(ppid)?;
        let st = dir.stat()?;
        let sure = st.start < start
            || (fs
                .open(pid)
                .and_then(|d| d.stat())
                .is_some_and(|c| c.start == start && c.ppid == ppid)
                && dir.stat().is_some_and(|s| s.start == st.start));
        if !sure {
            return None;
        }
        if let Some(cur) = self.table.current(table::key(node, ppid)) {
            if self
                .table
                .get(cur)
                .is_some_and(|p| p.start == Some(st.start))
            {
                return Some(cur);
            }
        }
        self.enter_from_proc(node, ppid, &dir, st, depth)
    }

    /// One pass over `/proc`: every process, with its parent.
    #[cfg(target_os = "linux")]
    fn scan(&mut self) {
        let Some(fs) = self.proc.clone() else { return };
        let mut pids = fs.pids();
        pids.sort_unstable();
        pids.truncate(self.cfg.max_processes);
        for pid in pids {
            if self.table.current(table::key(0, pid)).is_some() {
                continue;
            }
            self.stats.proc_reads += 1;
            let Some(dir) = fs.open(pid) else { continue };
            let Some(st) = dir.stat() else { continue };
            if self
                .enter_from_proc(0, pid, &dir, st, self.cfg.ancestry_depth)
                .is_some()
            {
                self.stats.scanned += 1;
            }
        }
    }

    /// An exec: a new image of its process, with its parent.
    fn on_exec(
        &mut self,
        node: u32,
        local: bool,
        at: Stamp,
        s: &Subject<'_>,
        x: &crate::event::ExecEvent<'_>,
    ) -> Id {
        let pid = s.pid;
        let mut p = Proc::new(node, pid, at);
        p.exec = Some(EventId {
            time: crate::Timestamp {
                sec: at.ms / 1000,
                msec: (at.ms % 1000) as u16,
            },
            serial: at.serial,
        });
        p.ppid = s.ppid;
        p.exe = x.syscall.exe.as_deref().map(Box::from);
        p.comm = x.syscall.comm.as_deref().map(Box::from);
        let mut argv = Argv::new(&x.argv, self.cfg.max_argv_bytes);
        // the exec's own argv had holes (a lost record): not complete either
        argv.cut |= !x.argv_complete;
        p.argv = Arc::new(argv);
        if self.cfg.scripts {
            p.script = script_of(x)
                .filter(|s| s.len() <= MAX_SCRIPT)
                .map(Box::from);
        }
        // the process itself, read from /proc when it is still the one
        #[cfg(target_os = "linux")]
        if local {
            self.read_exec_proc(&mut p, at, s);
        }
        let old = self.table.current(table::key(node, pid));
        let same_process = old.is_some_and(|o| {
            let op = self.table.get(o);
            op.is_some_and(|op| op.start.is_some() && op.start == p.start)
        });
        // the process the old image was runs this one now: live, the same
        // start; in a log, the pid's image still held (no exit, no fork
        // returning the pid, no event naming another program since) with
        // the same parent pid (another one: a pid reused, or re-parented:
        // not told)
        let next_image = same_process
            || (!local
                && old.and_then(|o| self.table.get(o)).is_some_and(|op| {
                    op.dead.is_none() && op.since <= at && op.ppid.is_some() && op.ppid == s.ppid
                }));
        let parent = match s.ppid {
            Some(ppid) if ppid != 0 => {
                let child = p.start.map(|st| (pid, st));
                self.resolve(node, local, ppid, at, None, child)
            }
            _ => None,
        };
        let mut labels = 0;
        if let Some(par) = parent.and_then(|i| self.table.get(i)) {
            labels |= self.labeler.inherit(par.labels);
            let before = old.and_then(|o| self.table.get(o));
            if !p.cgroup_own && may_inherit_cgroup(par, before) {
                p.cgroup = Arc::clone(&par.cgroup);
            }
        }
        if same_process {
            if let Some(op) = old.and_then(|o| self.table.get(o)) {
                labels |= self.labeler.inherit(op.labels);
            }
        }
        labels |= self.labeler.matching(
            x.syscall.exe.as_deref(),
            &x.argv,
            &x.syscall.keys,
            &mut self.scratch,
        );
        p.labels = labels;
        if let Some(o) = old {
            if !same_process {
                // another process took the pid: the old one was dead by now
                if let Some(op) = self.table.get_mut(o) {
                    if op.dead.is_none() && op.since < at {
                        op.dead = Some(at);
                    }
                }
            }
        }
        let id = self.table.insert(p, parent);
        if let (Some(o), true) = (old, next_image) {
            // children linked to the old image see this one from now on
            self.table.link_next(o, id);
        }
        id
    }

    /// Reads an exec'ing process from `/proc`, if it is still the one that
    /// exec'd: the program the event names, and the event's parent or a
    /// start before the event.
    #[cfg(target_os = "linux")]
    fn read_exec_proc(&mut self, p: &mut Proc, at: Stamp, s: &Subject<'_>) {
        let Some(fs) = self.proc.clone() else { return };
        self.stats.proc_reads += 1;
        let Some(dir) = fs.open(s.pid) else { return };
        let Some(st) = dir.stat() else { return };
        if self.start_in_future(st.start) {
            return;
        }
        let (lo, hi) = self.start_ms(st.start);
        let exe = dir.exe();
        let same_exe = exe.is_some() && exe.as_deref() == s.exe.as_deref();
        let before = lo <= at.ms + CLOCK_SLACK_MS;
        let sure = same_exe && before && (Some(st.ppid) == s.ppid || hi <= at.ms);
        if !sure {
            return;
        }
        if let Some(cg) = dir.read("cgroup", MAX_CGROUP_FILE as u64) {
            p.cgroup = Arc::new(CgroupInfo::parse(&cg));
            p.cgroup_own = true;
        }
        if !self.cfg.env.is_empty() {
            if let Some(environ) = dir.read("environ", procfs::MAX_ENVIRON) {
                for (i, name) in self.cfg.env.iter().enumerate() {
                    if let Some(v) = procfs::env_value(&environ, name) {
                        let v = &v[..v.len().min(self.cfg.max_env_value)];
                        p.env.push((i, Box::from(v)));
                    }
                }
            }
        }
        #[cfg(feature = "exe-hash")]
        if self.cfg.exe_hash {
            p.exe_sha256 = self.hash_exe(&dir);
        }
        // all of the above from the same process
        if dir.stat().map(|x| x.start) != Some(st.start) {
            p.cgroup = Arc::default();
            p.cgroup_own = false;
            p.env.clear();
            p.exe_sha256 = None;
            return;
        }
        p.start = Some(st.start);
        p.verified = now_ms();
    }

    #[cfg(all(feature = "exe-hash", target_os = "linux"))]
    fn hash_exe(&mut self, dir: &procfs::ProcDir) -> Option<[u8; 32]> {
        use sha2::Digest;
        use std::io::Read;
        use std::os::unix::fs::MetadataExt;
        let mut f = dir.open_exe()?;
        let m = f.metadata().ok()?;
        if !m.is_file() || m.len() > self.cfg.max_hash_file {
            return None;
        }
        let key = (m.dev(), m.ino(), m.len(), m.mtime(), m.mtime_nsec());
        if let Some(h) = self.hashes.get(&key) {
            return Some(*h);
        }
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let n = f.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > self.cfg.max_hash_file {
                return None;
            }
            hasher.update(&buf[..n]);
        }
        // a file changed while read is not the one keyed
        let after = f.metadata().ok()?;
        if (after.len(), after.mtime(), after.mtime_nsec()) != (key.2, key.3, key.4) {
            return None;
        }
        let h: [u8; 32] = hasher.finalize().into();
        if self.hashes.len() >= self.cfg.max_hashes {
            self.hashes.clear();
        }
        self.hashes.insert(key, h);
        Some(h)
    }

    /// A fork, clone or vfork that made process `child` (a pid in the
    /// caller's pid namespace): whatever held `child` before is gone by then.
    /// (When the caller is in another pid namespace, `child` is not the pid
    /// audit reports: an entry is then dropped, never a wrong one made. A
    /// fork event comes when the caller returns, which may be after the
    /// child's own events: so it only ends entries, and makes none.)
    ///
    /// The fork's time is its syscall's entry, its serial is taken when it
    /// is logged: the child's own exec can come first in the same
    /// millisecond with a lower serial. So an entry from before the fork's
    /// millisecond is ended, and one of the same millisecond only when the
    /// caller is not its parent (else it can be the child's own).
    fn on_fork(&mut self, node: u32, at: Stamp, caller: u32, child: u32) {
        if let Some(old) = self.table.current(table::key(node, child)) {
            if let Some(op) = self.table.get_mut(old) {
                let before = op.since < at && (op.since.ms < at.ms || op.ppid != Some(caller));
                if before && op.dead.is_none_or(|d| d > at) {
                    op.dead = Some(at);
                }
            }
            self.table.release(old);
        }
    }
}

/// Whether entry `p` is known to have ended (exited, or no longer held its
/// pid) by `at`: its end is an event's at or before `at`, or, noticed in
/// `/proc` later (a time that is no event's, serial 0), it was not seen
/// alive after `at`.
fn ended_by(p: &Proc, at: Stamp) -> bool {
    p.dead.is_some_and(|d| {
        d <= at || (d.serial == 0 && p.verified < at.ms.saturating_add(CLOCK_SLACK_MS))
    })
}

/// Programs that put processes (their children, or themselves before an
/// exec) into other cgroups: a child of one, or an exec of one, is not
/// taken to be in its parent's cgroup. Matched on the executable's file
/// name; a `containerd-shim` prefix covers its versions.
pub const CGROUP_MOVERS: &[&str] = &[
    "systemd",
    "systemd-run",
    "runc",
    "crun",
    "runsc",
    "conmon",
    "containerd-shim*",
    "cgexec",
];

/// Whether `exe` is one of [`CGROUP_MOVERS`] (a ` (deleted)` suffix, an
/// upgraded binary, ignored).
fn is_cgroup_mover(exe: &[u8]) -> bool {
    let exe = exe.strip_suffix(b" (deleted)").unwrap_or(exe);
    let name = exe.rsplit(|&c| c == b'/').next().unwrap_or(exe);
    CGROUP_MOVERS.iter().any(|m| match m.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix.as_bytes()),
        None => name == m.as_bytes(),
    })
}

/// Whether a process whose cgroup was not read may take its parent `par`'s
/// container and unit (a child starts in its parent's cgroup): not from
/// pid 1 (systemd moves service processes before their exec), not from a
/// parent of unknown program or one of [`CGROUP_MOVERS`], and not when the
/// process's own image before its exec (`before`) was one of them
/// (`systemd-run --scope`, `cgexec` move themselves, then exec). A
/// container comes only from a parent in one: a process in a container
/// cannot leave its cgroup subtree without the host's privileges.
fn may_inherit_cgroup(par: &Proc, before: Option<&Proc>) -> bool {
    par.pid != 1
        && par.exe.as_deref().is_some_and(|e| !is_cgroup_mover(e))
        && !before
            .and_then(|b| b.exe.as_deref())
            .is_some_and(is_cgroup_mover)
}

/// The child pid a successful fork returned.
fn fork_child(exit: Option<i64>) -> Option<u32> {
    exit.filter(|&e| e > 0).and_then(|e| u32::try_from(e).ok())
}

/// Whether this process is in the initial pid namespace, whose pids audit
/// reports: its `ns/pid` link names the kernel's fixed inode of that
/// namespace (`PROC_PID_INIT_INO`). (A process in another pid namespace with
/// its own `/proc` sees only its namespace's pids there, `NSpid` shows one.)
#[cfg(target_os = "linux")]
fn in_initial_pid_ns() -> bool {
    std::fs::read_link("/proc/self/ns/pid")
        .is_ok_and(|l| l.as_os_str().as_encoded_bytes() == b"pid:[4026531836]")
}

/// Longest script name kept (option `scripts`): `PATH_MAX`; a longer one is
/// no file the kernel opens, and is not kept.
pub const MAX_SCRIPT: usize = 4096;

/// How many later execs of one process are followed from an entry's link to
/// find the program it runs at an event's time, so that a process
/// re-exec'ing itself in a loop cannot make each of its children's events
/// walk a long chain. Past them the link is not used: the parent is then the
/// holder of the event's ppid, and an ancestor is not listed.
pub const MAX_IMAGES: usize = 64;

/// Interpreters whose first argument that is not an option is a script.
const INTERPRETERS: &[&[u8]] = &[
    b"sh", b"bash", b"dash", b"zsh", b"ksh", b"fish", b"python", b"perl", b"ruby", b"node", b"php",
    b"lua", b"tclsh", b"Rscript", b"pwsh", b"busybox",
];

/// Options after which an interpreter runs no script file (`-c` command,
/// `-e` expression, `-m` module).
const NO_SCRIPT: &[&[u8]] = &[b"-c", b"-e", b"-m", b"-E", b"--eval", b"-r"];

/// The script an exec runs: a `#!` file the kernel resolved (its PATH
/// records name the file, then the interpreter), or an interpreter's first
/// argument that is not an option.
fn script_of<'x>(x: &'x crate::event::ExecEvent<'_>) -> Option<&'x [u8]> {
    let exe = x.syscall.exe.as_deref()?;
    let normal: Vec<&[u8]> = x
        .paths
        .iter()
        .filter(|p| p.nametype.as_deref() == Some(b"NORMAL"))
        .filter_map(|p| p.name.as_deref())
        .collect();
    if normal.len() >= 2 {
        let (script, interp) = (normal[0], normal[1]);
        let base = |b: &[u8]| b.rsplit(|&c| c == b'/').next().unwrap_or(b).to_vec();
        if base(script) != base(exe) && interp.ends_with(&base(exe)) {
            return Some(script);
        }
    }
    let name = exe.rsplit(|&c| c == b'/').next()?;
    let known = INTERPRETERS.iter().any(|i| {
        name.strip_prefix(*i)
            .is_some_and(|rest| rest.iter().all(|c| c.is_ascii_digit() || *c == b'.'))
    });
    if !known {
        return None;
    }
    for a in x.argv.iter().skip(1) {
        if NO_SCRIPT.contains(&&a[..]) {
            return None;
        }
        if a.starts_with(b"-") {
            continue;
        }
        return Some(a);
    }
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::source::log::LogEvents;
    use std::sync::atomic::{AtomicI64, Ordering};

    /// How far (s) the test's wall clock is behind this machine's.
    static BEHIND_SECS: AtomicI64 = AtomicI64::new(0);

    fn stepped_boot() -> Option<i128> {
        let behind = i128::from(BEHIND_SECS.load(Ordering::SeqCst)) * 1_000_000_000;
        crate::sys::boot_wall_nanos().map(|b| b - behind)
    }

    /// Guards the wall time of boot used for `/proc` start times: after the
    /// clock steps forward (NTP, a device without RTC), a process that
    /// started after an event must not pass for one started before it,
    /// which a boot time read before the step would make it.
    #[test]
    fn boot_time_follows_a_clock_step() {
        let root =
            std::env::temp_dir().join(format!("auditstream-boot-step-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        // the clock an hour behind when the tracker starts
        BEHIND_SECS.store(3600, Ordering::SeqCst);
        let mut cfg = ContextConfig::offline();
        cfg.system = System::Local {
            proc_root: root.clone(),
            nodes: vec![],
        };
        let mut t = ProcessTracker::with_boot_clock(cfg, stepped_boot).unwrap();
        // then stepped right; pid 100 is taken by a process starting now
        BEHIND_SECS.store(0, Ordering::SeqCst);
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let ticks = (uptime * crate::sys::clock_ticks() as f64) as u64;
        let dir = root.join("100");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("stat"),
            format!("100 (later) S 1 100 100 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {ticks} 1000 100 0\n"),
        )
        .unwrap();
        std::fs::write(dir.join("cmdline"), b"later\0").unwrap();
        std::os::unix::fs::symlink("/usr/bin/later", dir.join("exe")).unwrap();
        // an event of a minute ago naming pid 100 as parent
        let ms = now_ms() - 60_000;
        let log = format!(
            "type=SYSCALL msg=audit({}.{:03}:7): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=0 ppid=100 pid=201 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"true\" exe=\"/bin/true\" key=(null)\ntype=EXECVE msg=audit({}.{:03}:7): argc=1 a0=\"true\"\ntype=EOE msg=audit({}.{:03}:7): \n",
            ms / 1000, ms % 1000, ms / 1000, ms % 1000, ms / 1000, ms % 1000
        );
        let mut parents = Vec::new();
        for buf in LogEvents::new(log.as_bytes()) {
            let buf = buf.unwrap();
            let ev = buf.event();
            let ctx = t.observe(&ev, buf.records()).unwrap();
            parents.push(ctx.parent.map(|p| p.pid));
        }
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(parents, vec![None]);
    }
}
