//! Process context (`auditstream::context`): offline on the real captures
//! against an independent computation of each exec's parent; live against a
//! directory shaped like `/proc` (parents and containers read from it, PID
//! reuse, orphans, hostile entries); labels, options, fork and exit events,
//! nodes; the JSON it adds; and the table's memory with a million pids.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use auditstream::context::{
    ContextConfig, EventContext, LabelRule, Match, Pattern, ProcessTracker, System,
};
use auditstream::event::{EventBuf, EventKind};
use auditstream::output::json::{self, JsonOptions};
use auditstream::output::WithContext;
use auditstream::source::capture::CaptureEvents;
use auditstream::source::log::LogEvents;
use auditstream::EventId;

mod common;
use common::fakeproc::{connect_event, exec_event, now_ms, uptime, FakeProc, FakeProcess};

const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn data(rel: &str) -> PathBuf {
    PathBuf::from(format!("{}/testdata/{rel}", env!("CARGO_MANIFEST_DIR")))
}

/// Every event of a log (or, `.bin`, a netlink capture), in stream order.
fn events_of(path: &PathBuf) -> Vec<EventBuf> {
    let f = BufReader::new(File::open(path).unwrap());
    if path.extension().is_some_and(|e| e == "bin") {
        CaptureEvents::new(f).map(|e| e.unwrap()).collect()
    } else {
        LogEvents::new(f).map(|e| e.unwrap()).collect()
    }
}

/// The captures: this repository's and, when present, the shared corpus;
/// with `AUDITSTREAM_CONTEXT_LARGE=DIR`, also `DIR/audit-{raw,enriched}.log`.
fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "audit-raw.log",
        "audit-enriched.log",
        "audit-raw.netlink.bin",
        "audit-enriched.netlink.bin",
    ]
    .iter()
    .map(|n| data(n))
    .collect();
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/small");
    for n in ["audit-raw.log", "audit-enriched.log"] {
        let p = shared.join(n);
        if p.exists() {
            v.push(p);
        }
    }
    // the large captures (316 MB each; minutes in a debug build) on request
    if let Some(dir) = std::env::var_os("AUDITSTREAM_CONTEXT_LARGE") {
        for n in ["audit-raw.log", "audit-enriched.log"] {
            v.push(PathBuf::from(&dir).join(n));
        }
    }
    v
}

/// What the independent computation knows of an exec.
struct Exec {
    id: EventId,
    exe: Option<Vec<u8>>,
    argv: Vec<Vec<u8>>,
    ppid: Option<u32>,
    /// Index of its parent's exec.
    parent: Option<usize>,
    /// Index of the next exec of the same process (same pid and parent pid,
    /// its image not ended before).
    next: Option<usize>,
    /// An event of its process named another parent pid.
    reparented: bool,
    /// The event from which it no longer held its pid (another exec of the
    /// pid, an event naming another program).
    ended: Option<EventId>,
}

/// The exec image that exec `i`'s process ran at event `at`.
fn image(execs: &[Exec], mut i: usize, at: EventId) -> usize {
    while let Some(n) = execs[i].next.filter(|&n| execs[n].id <= at) {
        i = n;
    }
    i
}

/// Whether exec image `i` no longer held its pid at event `at`.
fn ended(execs: &[Exec], i: usize, at: EventId) -> bool {
    execs[i].ended.is_some_and(|e| e <= at)
}

/// Offline, every exec whose parent's exec is in the log gets that parent
/// (pid, exe, argv, the exec's time and serial) and the ancestry through
/// the parents' own execs; every exec whose parent's exec is not in the log
/// gets none. Socket events get the parent of their process's exec. The
/// expectation is computed here from the events alone: the latest successful
/// exec of a pid before an event is that pid's process, until an event of
/// that pid names another program, or another exec of that pid that is
/// not its next image (from that exec on); a later exec of that pid with the same parent pid is
/// the same process's next image, and a parent or ancestor is shown in its
/// process's latest image. The ancestry stops after an image whose process
/// an event showed with another parent pid, and before an image that is no
/// longer its pid's at the event's time.
#[test]
fn offline_parents_match_an_independent_computation() {
    for path in captures() {
        let mut cfg = ContextConfig::offline();
        cfg.max_argv_bytes = 1 << 20;
        let mut tracker = ProcessTracker::new(cfg).unwrap();
        let mut execs: Vec<Exec> = Vec::new();
        let mut latest: HashMap<u32, usize> = HashMap::new();
        let (mut with_parent, mut without, mut sockets) = (0, 0, 0);
        for buf in events_of(&path) {
            let ev = buf.event();
            let ctx = tracker.observe(&ev, buf.records());
            let at = ev.id;
            // `replaced`: the image of the exec'ing pid, which this exec ends
            let ancestry = |mut i: Option<usize>, execs: &[Exec], replaced: Option<usize>| {
                let mut out = Vec::new();
                while let Some(x) = i {
                    if out.len() == 8 {
                        break;
                    }
                    let x = image(execs, x, at);
                    let Some(exe) = execs[x].exe.clone() else {
                        break;
                    };
                    out.push(exe);
                    if execs[x].reparented {
                        break;
                    }
                    i = execs[x]
                        .parent
                        .map(|g| image(execs, g, at))
                        .filter(|&g| !ended(execs, g, at) && Some(g) != replaced);
                }
                out
            };
            // an event of the process of `pid` (running `exe`) naming
            // another parent pid than its latest exec's
            let reparent = |execs: &mut [Exec],
                            latest: &HashMap<u32, usize>,
                            pid: u32,
                            exe: Option<&[u8]>,
                            ppid: Option<u32>| {
                if let (Some(&i), Some(ppid)) = (latest.get(&pid), ppid) {
                    let same_exe =
                        exe.is_none() || execs[i].exe.is_none() || execs[i].exe.as_deref() == exe;
                    if same_exe && execs[i].ppid.is_some_and(|p| p != ppid) {
                        execs[i].reparented = true;
                    }
                }
            };
            let check = |ctx: &Option<EventContext<'_>>, want: Option<usize>, what: &str| {
                let got = ctx.as_ref().and_then(|c| c.parent.as_ref());
                match (want, got) {
                    (None, None) => {}
                    (Some(w), Some(g)) => {
                        let w = &execs[w];
                        assert_eq!(g.exe, w.exe.as_deref(), "{what}");
                        let argv: Vec<&[u8]> = g.argv.iter().map(|a| &a[..]).collect();
                        let want_argv: Vec<&[u8]> = w.argv.iter().map(|a| &a[..]).collect();
                        assert_eq!(argv, want_argv, "{what}");
                        assert_eq!(g.exec, Some(w.id), "{what}");
                    }
                    (w, g) => panic!("{what}: want {:?}, got {g:?}", w.map(|w| execs[w].id)),
                }
            };
            match &ev.kind {
                EventKind::Exec(x) if x.syscall.success == Some(true) => {
                    let (pid, ppid) = (x.syscall.pid.unwrap(), x.syscall.ppid);
                    let want = ppid.and_then(|p| latest.get(&p).copied());
                    let what = format!("{} exec {}", path.display(), ev.id);
                    check(&ctx, want, &what);
                    let c = ctx.as_ref().unwrap();
                    let anc: Vec<&[u8]> = c.ancestry.to_vec();
                    let want_anc = ancestry(want, &execs, latest.get(&pid).copied());
                    let want_anc: Vec<&[u8]> = want_anc.iter().map(|a| &a[..]).collect();
                    assert_eq!(anc, want_anc, "{what}");
                    if want.is_some() {
                        with_parent += 1;
                    } else {
                        without += 1;
                    }
                    execs.push(Exec {
                        id: ev.id,
                        exe: x.syscall.exe.as_deref().map(<[u8]>::to_vec),
                        argv: x.argv.iter().map(|a| a.to_vec()).collect(),
                        ppid,
                        parent: want,
                        next: None,
                        reparented: false,
                        ended: None,
                    });
                    let new = execs.len() - 1;
                    if let Some(old) = latest.insert(pid, new) {
                        let o = &mut execs[old];
                        if o.ended.is_none() && o.id < at {
                            if ppid.is_some() && o.ppid == ppid {
                                o.next = Some(new);
                            }
                            o.ended = Some(at);
                        }
                    }
                }
                EventKind::Socket(s) => {
                    let pid = s.syscall.pid.unwrap();
                    let ppid = s.syscall.ppid;
                    // its process: the pid's latest exec, if of this program
                    let own = latest.get(&pid).copied();
                    // another program than its latest exec's: that exec no
                    // longer is its process (ended after the check)
                    let mut ends = None;
                    let own = match own {
                        Some(i) if execs[i].exe.as_deref() != s.syscall.exe.as_deref() => {
                            latest.remove(&pid);
                            ends = Some(i);
                            None
                        }
                        o => o,
                    };
                    // its exec's parent in its latest image, if that image
                    // still holds its pid; else the ppid's holder
                    let linked = match own {
                        Some(i) if execs[i].ppid == ppid => execs[i].parent,
                        _ => None,
                    };
                    let linked = linked
                        .map(|l| image(&execs, l, at))
                        .filter(|&l| !ended(&execs, l, at));
                    let want = linked.or_else(|| ppid.and_then(|p| latest.get(&p).copied()));
                    check(&ctx, want, &format!("{} socket {}", path.display(), ev.id));
                    if let Some(i) = ends {
                        execs[i].ended = Some(execs[i].ended.map_or(at, |e| e.min(at)));
                    }
                    reparent(&mut execs, &latest, pid, s.syscall.exe.as_deref(), ppid);
                    sockets += 1;
                }
                EventKind::Exec(x) => {
                    // a failed exec: the process is still its old program
                    let (Some(pid), Some(exe)) = (x.syscall.pid, x.syscall.exe.as_deref()) else {
                        continue;
                    };
                    if let Some(&i) = latest.get(&pid) {
                        if execs[i].exe.as_deref() != Some(exe) {
                            latest.remove(&pid);
                            execs[i].ended = Some(execs[i].ended.map_or(at, |e| e.min(at)));
                        }
                    }
                    reparent(&mut execs, &latest, pid, Some(exe), x.syscall.ppid);
                }
                EventKind::Other(recs) => {
                    // a record naming a process (SYSCALL first, else one with
                    // pid=) of another program than its pid's latest exec
                    let r = recs
                        .iter()
                        .find(|r| r.record_type() == auditstream::RecordType::SYSCALL)
                        .or_else(|| recs.iter().find(|r| r.get(b"pid").is_some()));
                    let Some(r) = r else { continue };
                    let pid = r.get(b"pid").and_then(|f| f.as_u64()).map(|p| p as u32);
                    let exe = r.get(b"exe").and_then(|f| f.bytes());
                    if let (Some(pid), Some(exe)) = (pid, &exe) {
                        if let Some(&i) = latest.get(&pid) {
                            if execs[i].exe.as_deref() != Some(&exe[..]) {
                                latest.remove(&pid);
                                execs[i].ended = Some(execs[i].ended.map_or(at, |e| e.min(at)));
                            }
                        }
                    }
                    let ppid = r.get(b"ppid").and_then(|f| f.as_u64()).map(|p| p as u32);
                    if let Some(pid) = pid {
                        reparent(&mut execs, &latest, pid, exe.as_deref(), ppid);
                    }
                }
                _ => {}
            }
        }
        eprintln!(
            "{}: {with_parent} execs with their parent's exec in the log, {without} without; {sockets} socket events; {:?}",
            path.display(),
            tracker.stats()
        );
        assert!(with_parent > 100, "{}", path.display());
        assert!(sockets > 50);
    }
}

/// The native JSON with context: today's keys, then the six context keys;
/// valid, and serde writes the same.
#[test]
fn json_with_context_keeps_the_keys_and_adds_six() {
    let events = events_of(&data("audit-enriched.log"));
    let mut tracker = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let (mut n, mut named) = (0, 0);
    for buf in &events {
        let ev = buf.event();
        let ctx = tracker.observe(&ev, buf.records());
        let mut plain = Vec::new();
        json::write(&mut plain, &ev, JsonOptions::default());
        let mut with = Vec::new();
        json::write(
            &mut with,
            &WithContext::new(&ev, ctx.as_ref()),
            JsonOptions::default(),
        );
        let Some(c) = &ctx else {
            assert_eq!(plain, with);
            continue;
        };
        // the event's own keys first, unchanged
        assert_eq!(&with[..plain.len() - 1], &plain[..plain.len() - 1]);
        let v: serde_json::Value = serde_json::from_slice(&with).unwrap();
        // then the six keys, in order
        let tail = String::from_utf8_lossy(&with[plain.len() - 1..]).into_owned();
        let mut at = 0;
        for k in ["parent", "ancestry", "names", "container", "unit", "labels"] {
            let i = tail[at..].find(&format!("\"{k}\":")).expect(k);
            at += i;
            assert!(v.get(k).is_some());
        }
        if c.names.iter().any(|(f, n)| f == "uid" && n == b"root") {
            named += 1;
            assert_eq!(v["names"]["uid"], "root");
        }
        #[cfg(feature = "serde")]
        assert_eq!(
            serde_json::to_value(WithContext::new(&ev, ctx.as_ref())).unwrap(),
            v
        );
        n += 1;
    }
    assert!(n > 400 && named > 300, "{n} {named}");
}

fn fake_tracker(fake: &FakeProc, cfg: impl FnOnce(&mut ContextConfig)) -> ProcessTracker {
    let mut c = ContextConfig::offline();
    c.system = System::Local {
        proc_root: fake.path().to_path_buf(),
        nodes: vec![b"this-host".to_vec()],
    };
    cfg(&mut c);
    ProcessTracker::new(c).unwrap()
}

/// Feeds log text through the tracker; the context of each event, as JSON.
fn run(tracker: &mut ProcessTracker, log: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for buf in LogEvents::new(log.as_bytes()) {
        let buf = buf.unwrap();
        let ev = buf.event();
        let ctx = tracker.observe(&ev, buf.records());
        let mut j = Vec::new();
        json::write(
            &mut j,
            &WithContext::new(&ev, ctx.as_ref()),
            JsonOptions::default(),
        );
        out.push(serde_json::from_slice(&j).unwrap());
    }
    out
}

fn init() -> FakeProcess<'static> {
    FakeProcess::default()
}

/// A short-lived process (gone from /proc) gets its parent from /proc, the
/// ancestry to pid 1, the parent's container and unit, and user names.
#[test]
fn live_parent_from_proc_and_the_container_inherited() {
    let fake = FakeProc::new("parent");
    fake.add(&init());
    let cgroup =
        format!("9:name=systemd:/system.slice/docker-{ID}.scope\n4:memory:/docker/{ID}\n0::/\n");
    fake.add(&FakeProcess {
        pid: 100,
        ppid: 1,
        age_secs: 100.0,
        comm: "bash",
        exe: Some("/bin/bash"),
        argv: &["bash", "-c", "true x; true"],
        cgroup: cgroup.as_bytes(),
        ..init()
    });
    let mut t = fake_tracker(&fake, |_| {});
    assert_eq!(t.stats().scanned, 2);
    let now = now_ms();
    let log = exec_event(now, 10, 200, 100, "/bin/true", &["/bin/true", "MARK"])
        + &connect_event(now + 1, 11, 200, 100, "/bin/true");
    let out = run(&mut t, &log);
    for v in &out {
        assert_eq!(v["parent"]["pid"], 100, "{v}");
        assert_eq!(v["parent"]["exe"], "/bin/bash");
        assert_eq!(v["parent"]["comm"], "bash");
        assert_eq!(
            v["parent"]["argv"],
            serde_json::json!(["bash", "-c", "true x; true"])
        );
        assert_eq!(v["parent"]["exec"], serde_json::Value::Null);
        assert_eq!(
            v["ancestry"],
            serde_json::json!(["/bin/bash", "/sbin/init"])
        );
        assert_eq!(v["container"]["id"], ID);
        assert_eq!(v["container"]["runtime"], "docker");
        assert_eq!(v["unit"], format!("docker-{ID}.scope"));
        assert_eq!(v["names"]["uid"], "root");
        assert_eq!(v["names"]["gid"], "root");
    }
}

/// A pid reused after the table saw its first holder: the new holder is the
/// parent when it held the pid at the event's time, and otherwise there is
/// no parent: never the old one.
#[test]
fn pid_reuse_never_gives_the_old_parent() {
    let fake = FakeProc::new("reuse");
    fake.add(&init());
    let old = FakeProcess {
        pid: 100,
        ppid: 1,
        age_secs: 100.0,
        comm: "bash",
        exe: Some("/bin/bash"),
        argv: &["bash"],
        ..init()
    };
    fake.add(&old);
    let mut t = fake_tracker(&fake, |_| {});
    // the old holder exits; a new process (started now) takes pid 100
    fake.add(&FakeProcess {
        age_secs: 0.0,
        comm: "python3",
        exe: Some("/usr/bin/python3.11"),
        argv: &["python3", "new"],
        ..old
    });
    let at = now_ms() + 3000;
    let out = run(
        &mut t,
        &exec_event(at, 20, 201, 100, "/bin/true", &["/bin/true"]),
    );
    assert_eq!(out[0]["parent"]["exe"], "/usr/bin/python3.11", "{}", out[0]);
    assert_eq!(
        out[0]["parent"]["argv"],
        serde_json::json!(["python3", "new"])
    );
    // an event from before the new holder started: neither
    let before = now_ms() - 500;
    let out = run(
        &mut t,
        &exec_event(before, 21, 202, 100, "/bin/true", &["/bin/true"]),
    );
    assert_eq!(out[0]["parent"], serde_json::Value::Null, "{}", out[0]);
    assert_eq!(out[0]["ancestry"], serde_json::json!([]));
    // and when the new holder starts after the event: none either
    let fake2 = FakeProc::new("reuse2");
    fake2.add(&init());
    fake2.add(&old);
    let mut t = fake_tracker(&fake2, |_| {});
    fake2.add(&FakeProcess {
        age_secs: -10.0,
        exe: Some("/usr/bin/python3.11"),
        ..old
    });
    let out = run(
        &mut t,
        &exec_event(now_ms(), 22, 203, 100, "/bin/true", &["/bin/true"]),
    );
    assert_eq!(out[0]["parent"], serde_json::Value::Null, "{}", out[0]);
    let s = t.stats();
    assert!(s.parent_unknown >= 1, "{s:?}");
}

/// An orphan (its forker exited before the exec) has pid 1 as parent, as
/// the kernel says, never the forker; and a parent that is gone without a
/// start time to confirm it is absent, not guessed.
#[test]
fn orphans_get_their_reaper_never_a_stale_parent() {
    let fake = FakeProc::new("orphan");
    fake.add(&init());
    let mut t = fake_tracker(&fake, |_| {});
    let now = now_ms();
    // the forker exec'd (seen), then exited before its child's exec
    let log = exec_event(now, 30, 300, 1, "/bin/sh", &["sh", "-c", "x &"])
        + &exec_event(now + 5, 31, 301, 1, "/bin/true", &["/bin/true", "orphan"]);
    let out = run(&mut t, &log);
    assert_eq!(out[1]["parent"]["pid"], 1, "{}", out[1]);
    assert_eq!(out[1]["parent"]["exe"], "/sbin/init");
    // a child whose ppid is the forker, which is gone and was never
    // confirmed in /proc: no parent (it cannot be told from a reuse)
    let out = run(
        &mut t,
        &exec_event(now + 6, 32, 302, 300, "/bin/true", &["/bin/true"]),
    );
    assert_eq!(out[0]["parent"], serde_json::Value::Null, "{}", out[0]);
}

/// Hostile `/proc` entries give missing context, never a panic and never
/// another process's context.
#[test]
fn hostile_proc_entries_give_missing_context() {
    let fake = FakeProc::new("hostile");
    fake.add(&init());
    // a stat that does not parse
    std::fs::create_dir_all(fake.dir(500)).unwrap();
    std::fs::write(fake.dir(500).join("stat"), b"500 (x\xff) Z garbage\n").unwrap();
    // a cgroup file with odd bytes and a forged line, an exe that is not a
    // link (unreadable), a comm with ") (" in it
    fake.add(&FakeProcess {
        pid: 502,
        ppid: 1,
        age_secs: 50.0,
        comm: "a) (b",
        exe: None,
        argv: &["odd\u{1}"],
        cgroup: b"0::/system.slice/\xff\x01 x.service\n",
        ..init()
    });
    std::fs::write(fake.dir(502).join("exe"), b"not a link").unwrap();
    fake.add(&FakeProcess {
        pid: 503,
        ppid: 1,
        age_secs: 50.0,
        comm: "forged",
        cgroup: format!("0::/user.slice/a\n0::/docker/{ID}\n").as_bytes(),
        ..init()
    });
    // a process that exited while read: only its stat is left
    fake.add(&FakeProcess {
        pid: 504,
        ppid: 1,
        age_secs: 50.0,
        comm: "going",
        ..init()
    });
    for f in ["cmdline", "cgroup", "environ", "exe", "status"] {
        let _ = std::fs::remove_file(fake.dir(504).join(f));
    }
    let mut t = fake_tracker(&fake, |_| {});
    // an exec'ing pid held, when read, by another process: started after
    // the event, in a container: its container is not the event's
    let at = now_ms();
    let docker = format!("0::/system.slice/docker-{ID}.scope\n");
    fake.add(&FakeProcess {
        pid: 505,
        ppid: 1,
        age_secs: -30.0,
        comm: "later",
        exe: Some("/bin/true"),
        cgroup: docker.as_bytes(),
        ..init()
    });
    // ... and one started before it, but running another program
    fake.add(&FakeProcess {
        pid: 506,
        ppid: 1,
        age_secs: 30.0,
        comm: "other",
        exe: Some("/usr/bin/other"),
        cgroup: docker.as_bytes(),
        ..init()
    });
    let log = exec_event(at, 40, 501, 500, "/bin/true", &["/bin/true"])
        + &exec_event(at, 41, 510, 502, "/bin/true", &["/bin/true"])
        + &exec_event(at, 42, 511, 503, "/bin/true", &["/bin/true"])
        + &exec_event(at, 43, 512, 504, "/bin/true", &["/bin/true"])
        + &exec_event(at, 44, 505, 1, "/bin/true", &["/bin/true"])
        + &exec_event(at, 45, 506, 1, "/bin/true", &["/bin/true"])
        + &connect_event(at, 46, 502, 1, "/bin/odd");
    let out = run(&mut t, &log);
    // 500: no parent
    assert_eq!(out[0]["parent"], serde_json::Value::Null, "{}", out[0]);
    // 502: parent without exe, its comm exact; its own unit exact, bytes
    // kept (its child, gone, takes no unit from a parent of unknown program)
    assert_eq!(out[1]["parent"]["pid"], 502);
    assert_eq!(out[1]["parent"]["exe"], serde_json::Value::Null);
    assert_eq!(out[1]["parent"]["comm"], "a) (b");
    assert_eq!(out[1]["unit"], serde_json::Value::Null, "{}", out[1]);
    assert_eq!(
        out[6]["unit"]["hex"], "ff0120782e73657276696365",
        "{}",
        out[6]
    );
    // 503: the forged cgroup file says nothing
    assert_eq!(out[2]["container"], serde_json::Value::Null);
    assert_eq!(out[2]["unit"], serde_json::Value::Null);
    // 504: what is left
    assert_eq!(out[3]["parent"]["comm"], "going");
    assert_eq!(out[3]["parent"]["argv"], serde_json::json!([]));
    // 505, 506: not the event's process: nothing of theirs
    for v in &out[4..6] {
        assert_eq!(v["container"], serde_json::Value::Null, "{v}");
        assert_eq!(v["parent"]["pid"], 1);
    }
}

/// A fork (clone without CLONE_THREAD) or exit event in a saved log: a pid
/// reused after it, or a process dead before an event, is not the parent.
#[test]
fn fork_and_exit_events_end_a_pid_holder() {
    let t0 = 1_795_839_101_000u64;
    let sys = |ms: u64, serial: u32, pid: u32, nr: u32, exit: i64, a0: &str, exe: &str| {
        let hdr = format!("msg=audit({}.{:03}:{serial}):", ms / 1000, ms % 1000);
        format!(
            "type=SYSCALL {hdr} arch=c000003e syscall={nr} success=yes exit={exit} a0={a0} a1=0 a2=0 a3=0 items=0 ppid=1 pid={pid} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"x\" exe=\"{exe}\" key=(null)\n\
             type=PROCTITLE {hdr} proctitle=78\ntype=EOE {hdr} \n"
        )
    };
    // exit_group (231) of 100, then an exec naming 100 as parent
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &sys(t0 + 1, 2, 100, 231, 0, "0", "/bin/bash")
        + &exec_event(t0 + 2, 3, 101, 100, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[2]["parent"], serde_json::Value::Null, "{}", out[2]);
    // a clone (56) returning pid 200: whatever held 200 before is gone
    let log = |a0: &str| {
        exec_event(t0, 1, 200, 1, "/bin/bash", &["bash"])
            + &sys(t0 + 1, 2, 300, 56, 200, a0, "/bin/x")
            + &exec_event(t0 + 2, 3, 201, 200, "/bin/true", &["true"])
    };
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log("1200011"));
    assert_eq!(out[2]["parent"], serde_json::Value::Null, "{}", out[2]);
    // a clone that makes a thread (CLONE_THREAD) changes nothing
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log("3d0f00"));
    assert_eq!(out[2]["parent"]["exe"], "/bin/bash", "{}", out[2]);
}

/// Labels: by program, by argv and by key, inherited by descendants unless
/// the rule says not; events filter by them.
#[test]
fn labels_are_inherited_and_filter() {
    let mut cfg = ContextConfig::offline();
    cfg.labels = vec![
        LabelRule::new("ssh", Match::Exe(Pattern::glob("*/sshd"))),
        LabelRule::new("secret", Match::Argv(Pattern::glob("* --token=*"))),
        LabelRule::new("keyed", Match::Key(b"special".to_vec())).not_inherited(),
    ];
    let mut t = ProcessTracker::new(cfg).unwrap();
    assert!(t.knows_label("ssh") && !t.knows_label("nope"));
    let t0 = 1_795_839_101_000u64;
    let keyed = exec_event(t0 + 2, 3, 12, 11, "/bin/sh", &["sh"])
        .replace("key=\"exec\"", "key=\"special\"");
    let log = exec_event(t0, 1, 10, 1, "/usr/sbin/sshd", &["sshd"])
        + &exec_event(t0 + 1, 2, 11, 10, "/bin/bash", &["bash", "--token=1"])
        + &keyed
        + &exec_event(t0 + 3, 4, 13, 12, "/bin/true", &["true"])
        + &exec_event(t0 + 4, 5, 14, 1, "/bin/true", &["true"])
        + &connect_event(t0 + 5, 6, 13, 12, "/bin/true");
    let out = run(&mut t, &log);
    let labels: Vec<&serde_json::Value> = out.iter().map(|v| &v["labels"]).collect();
    assert_eq!(
        labels,
        [
            &serde_json::json!(["ssh"]),
            &serde_json::json!(["ssh", "secret"]),
            &serde_json::json!(["ssh", "secret", "keyed"]),
            &serde_json::json!(["ssh", "secret"]),
            &serde_json::json!([]),
            &serde_json::json!(["ssh", "secret"]),
        ]
    );
    // the filter: events whose process has a label
    let mut t = ProcessTracker::new({
        let mut c = ContextConfig::offline();
        c.labels = vec![LabelRule::parse("ssh:exe:*/sshd").unwrap()];
        c
    })
    .unwrap();
    let mut kept = Vec::new();
    for buf in LogEvents::new(log.as_bytes()) {
        let buf = buf.unwrap();
        let ev = buf.event();
        if t.observe(&ev, buf.records())
            .is_some_and(|c| c.has_label("ssh"))
        {
            kept.push(ev.id.serial);
        }
    }
    assert_eq!(kept, [1, 2, 3, 4, 6]);
}

/// The options: environment variables read at exec, script detection, the
/// executable's SHA-256.
#[test]
fn options_env_script_and_hash() {
    let fake = FakeProc::new("options");
    fake.add(&init());
    let exe_file = fake.path().join("prog");
    std::fs::write(&exe_file, b"hello\n").unwrap();
    let exe_path = exe_file.to_str().unwrap().to_string();
    fake.add(&FakeProcess {
        pid: 700,
        ppid: 1,
        age_secs: 0.2,
        comm: "prog",
        exe: Some(&exe_path),
        argv: &["prog"],
        environ: b"A=1\0LD_PRELOAD=/evil.so\0HOME=/root\0",
        ..init()
    });
    let mut t = fake_tracker(&fake, |c| {
        c.env = vec![b"LD_PRELOAD".to_vec(), b"NOT_SET".to_vec()];
        c.scripts = true;
        #[cfg(feature = "exe-hash")]
        {
            c.exe_hash = true;
        }
    });
    let at = now_ms();
    let shebang = {
        let ms = at + 1;
        let hdr = format!("msg=audit({}.{:03}:51):", ms / 1000, ms % 1000);
        exec_event(ms, 51, 701, 1, "/usr/bin/bash", &["/bin/bash", "./run.sh"])
            .replace(
                &format!("type=PROCTITLE {hdr}"),
                &format!("type=PATH {hdr} item=1 name=\"/bin/bash\" inode=2 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\ntype=PROCTITLE {hdr}"),
            )
            .replace("name=\"/usr/bin/bash\" inode=1", "name=\"./run.sh\" inode=1")
    };
    let log = exec_event(at, 50, 700, 1, &exe_path, &["prog"])
        + &shebang
        + &exec_event(
            at + 2,
            52,
            702,
            1,
            "/usr/bin/python3.11",
            &["python3", "-u", "/tmp/x.py", "a"],
        )
        + &exec_event(at + 3, 53, 703, 1, "/bin/bash", &["bash", "-c", "echo"]);
    let out = run(&mut t, &log);
    assert_eq!(
        out[0]["env"],
        serde_json::json!({"LD_PRELOAD": "/evil.so"}),
        "{}",
        out[0]
    );
    #[cfg(feature = "exe-hash")]
    assert_eq!(
        out[0]["exe_sha256"],
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    );
    assert_eq!(out[0]["script"], serde_json::Value::Null);
    assert_eq!(out[1]["script"], "./run.sh", "{}", out[1]);
    assert_eq!(out[2]["script"], "/tmp/x.py");
    assert_eq!(out[3]["script"], serde_json::Value::Null);
    // processes gone from /proc: no environment, never another's
    assert_eq!(out[2]["env"], serde_json::json!({}));
}

/// Nodes are separate tables; another machine's events read nothing of
/// this one.
#[test]
fn nodes_are_apart_and_foreign_nodes_read_nothing() {
    let t0 = 1_795_839_101_000u64;
    let on = |node: &str, s: String| {
        s.lines()
            .map(|l| format!("node={node} {l}\n"))
            .collect::<String>()
    };
    let log = on("a", exec_event(t0, 1, 10, 1, "/bin/bash", &["bash"]))
        + &on("b", exec_event(t0 + 1, 2, 11, 10, "/bin/true", &["true"]))
        + &on("a", exec_event(t0 + 2, 3, 12, 10, "/bin/true", &["true"]));
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[1]["parent"], serde_json::Value::Null);
    assert_eq!(out[2]["parent"]["exe"], "/bin/bash");
    // live, with /proc holding these pids: node b is not this host
    let fake = FakeProc::new("nodes");
    fake.add(&init());
    fake.add(&FakeProcess {
        pid: 10,
        ppid: 1,
        age_secs: 100.0,
        comm: "here",
        exe: Some("/bin/here"),
        ..init()
    });
    let mut t = fake_tracker(&fake, |_| {});
    let reads = t.stats().proc_reads;
    let now = now_ms();
    let out = run(
        &mut t,
        &on("b", exec_event(now, 4, 11, 10, "/bin/true", &["true"])),
    );
    assert_eq!(out[0]["parent"], serde_json::Value::Null);
    assert_eq!(out[0]["names"], serde_json::json!({}));
    assert_eq!(t.stats().proc_reads, reads);
    // this host's name is this host
    let out = run(
        &mut t,
        &on(
            "this-host",
            exec_event(now, 5, 11, 10, "/bin/true", &["true"]),
        ),
    );
    assert_eq!(out[0]["parent"]["exe"], "/bin/here");
}

const ENV_MILLION: &str = "AUDITSTREAM_CONTEXT_MILLION";

/// A million distinct pids (each exec'd by the previous one): the table
/// stays within its limits, eviction is counted, and the peak RSS of a child
/// process doing it stays under a ceiling.
#[test]
fn a_million_pids_stay_bounded() {
    if std::env::var_os(ENV_MILLION).is_some() {
        million_child();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_million_pids_stay_bounded",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_MILLION, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .expect("a result");
    eprintln!("{line}");
    let kv: HashMap<&str, u64> = line
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k, v.parse().unwrap())
        })
        .collect();
    assert!(kv["processes"] <= 32_768);
    assert_eq!(kv["events"], 1_000_000);
    assert!(kv["evicted"] >= 1_000_000 - 32_768);
    assert!(kv["rss_kb"] < 64 * 1024, "peak RSS {} kB", kv["rss_kb"]);
}

fn million_child() {
    use auditstream::event::{Event, EventFlags, ExecEvent, Syscall};
    use std::borrow::Cow;
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let exe = b"/usr/lib/a/fairly/long/path/to/some/program".to_vec();
    let mut parents = 0u64;
    for i in 0..1_000_000u32 {
        let pid = 1000 + i;
        let arg = format!("--argument-number-{i}-{}", "x".repeat(200));
        let ev = Event {
            id: EventId {
                time: auditstream::Timestamp {
                    sec: 1_795_839_101 + u64::from(i / 1000),
                    msec: (i % 1000) as u16,
                },
                serial: i,
            },
            node: None,
            flags: EventFlags::default(),
            kind: EventKind::Exec(ExecEvent {
                syscall: Syscall {
                    arch: Some(auditstream::decode::Arch(0xc000003e)),
                    syscall: Some(59),
                    success: Some(true),
                    pid: Some(pid),
                    ppid: Some(pid - 1),
                    uid: Some(0),
                    exe: Some(Cow::Borrowed(&exe)),
                    comm: Some(Cow::Borrowed(b"program")),
                    ..Syscall::default()
                },
                argc: Some(2),
                argv: vec![Cow::Borrowed(&exe[..]), Cow::Owned(arg.into_bytes())],
                argv_complete: true,
                cwd: None,
                proctitle: Vec::new(),
                paths: Vec::new(),
            }),
        };
        let ctx = t.observe(&ev, std::iter::empty()).unwrap();
        parents += u64::from(ctx.parent.is_some());
    }
    let s = t.stats();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap();
    println!(
        "RESULT events=1000000 processes={} evicted={} bytes={} parents={parents} rss_kb={rss}",
        s.processes, s.evicted, s.bytes
    );
}

const ENV_NS_CHILD: &str = "AUDITSTREAM_CONTEXT_NS_CHILD";

/// A live tracker in another pid namespace (with its own `/proc`, where
/// `NSpid` shows one pid) reads no `/proc`: its pids are not the pids audit
/// reports. Run under `unshare --pid --fork --mount-proc` (root).
#[test]
fn a_reader_in_another_pid_namespace_reads_no_proc() {
    if std::env::var_os(ENV_NS_CHILD).is_some() {
        let t = ProcessTracker::new(ContextConfig::live()).unwrap();
        let s = t.stats();
        println!(
            "RESULT disabled={} scanned={}",
            u8::from(s.proc_disabled),
            s.scanned
        );
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let root = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        == Some("0");
    if !root {
        common::skip("unshare --pid needs root");
        return;
    }
    // here: the initial namespace, /proc read
    let here = ProcessTracker::new(ContextConfig::live()).unwrap().stats();
    assert!(!here.proc_disabled && here.scanned > 1, "{here:?}");
    let out = std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_reader_in_another_pid_namespace_reads_no_proc",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_NS_CHILD, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("RESULT disabled=1 scanned=0"), "{text}");
}

// Regressions found by review: each test guards one mechanism.

/// Guards the conversion of a `stat` start time to wall milliseconds: a
/// start so far ahead that the conversion overflows must saturate (not wrap
/// to "long ago" and count as started before the event), and a start later
/// than now (which no process has: the `stat` is not to be trusted) is not
/// taken, even for the live parent of the exec'ing process.
#[test]
fn start_times_later_than_now_are_not_trusted() {
    let fake = FakeProc::new("future");
    fake.add(&init());
    let mut t = fake_tracker(&fake, |_| {});
    // pid 100 held now by a process whose start wraps a u64 of ms
    fake.add(&FakeProcess {
        pid: 100,
        ppid: 1,
        comm: "later",
        exe: Some("/usr/bin/later"),
        argv: &["later"],
        ..init()
    });
    fake.write_stat(100, "later", 1, 1_844_674_407_370_955_162);
    // pid 101 "started" an hour from now, the parent of a live 202 now
    fake.add(&FakeProcess {
        pid: 101,
        ppid: 1,
        age_secs: -3600.0,
        comm: "ahead",
        exe: Some("/usr/bin/ahead"),
        argv: &["ahead"],
        ..init()
    });
    fake.add(&FakeProcess {
        pid: 202,
        ppid: 101,
        age_secs: 1.0,
        comm: "true",
        exe: Some("/bin/true"),
        argv: &["/bin/true"],
        ..init()
    });
    let now = now_ms();
    let log = exec_event(now, 1, 201, 100, "/bin/true", &["/bin/true"])
        + &exec_event(now, 2, 202, 101, "/bin/true", &["/bin/true"]);
    let out = run(&mut t, &log);
    for v in &out {
        assert_eq!(v["parent"], serde_json::Value::Null, "{v}");
        assert_eq!(v["ancestry"], serde_json::json!([]), "{v}");
    }
}

/// Guards `max_argv_bytes` against empty arguments (which cost no bytes of
/// their own): an exec of 200,000 empty arguments keeps at most the limit's
/// count in its children's `parent`, flagged cut, and the entry's bytes stay
/// small (else one exec could fill every child's event and `max_bytes`).
#[test]
fn empty_arguments_count_against_max_argv_bytes() {
    let t0 = 1_795_839_101_000u64;
    let n = 200_000usize;
    let hdr = format!("msg=audit({}.{:03}:1):", t0 / 1000, t0 % 1000);
    let mut log = format!(
        "type=SYSCALL {hdr} arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=0 ppid=1 pid=100 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm=\"x\" exe=\"/bin/x\" key=\"exec\"\n"
    );
    for start in (0..n).step_by(5000) {
        log.push_str(&format!("type=EXECVE {hdr}"));
        if start == 0 {
            log.push_str(&format!(" argc={n}"));
        }
        for j in start..(start + 5000).min(n) {
            log.push_str(&format!(" a{j}=\"\""));
        }
        log.push('\n');
    }
    log.push_str(&format!("type=EOE {hdr} \n"));
    log += &exec_event(t0 + 4, 2, 200, 100, "/bin/y", &["y"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[0]["argc"], n, "the event itself keeps them all");
    let parent = &out[1]["parent"];
    let kept = parent["argv"].as_array().unwrap().len();
    assert!(
        kept <= 1024,
        "{kept} arguments kept with max_argv_bytes 1024"
    );
    assert_eq!(parent["argv_complete"], false);
    assert!(t.stats().bytes < 200_000, "{:?}", t.stats());
}

/// Guards the script name kept with `scripts` on: an interpreter's first
/// argument longer than `MAX_SCRIPT` (no file the kernel opens) is not kept
/// (it was stored whole in the entry, past every argv limit).
#[test]
fn a_script_name_past_max_script_is_not_kept() {
    // MAX_SCRIPT (4096) and more
    let long = format!("/tmp/{}", "x".repeat(5000));
    let mut cfg = ContextConfig::offline();
    cfg.scripts = true;
    let mut t = ProcessTracker::new(cfg).unwrap();
    let t0 = 1_795_839_101_000u64;
    let log = exec_event(t0, 1, 100, 1, "/usr/bin/python3", &["python3", &long])
        + &exec_event(
            t0 + 1,
            2,
            101,
            1,
            "/usr/bin/python3",
            &["python3", "/tmp/x.py"],
        );
    let out = run(&mut t, &log);
    assert_eq!(
        out[0]["script"],
        serde_json::Value::Null,
        "{}",
        out[0]["script"]
    );
    assert_eq!(out[1]["script"], "/tmp/x.py");
    assert!(t.stats().bytes < 4 * 4096, "{:?}", t.stats());
}

/// Guards the completeness of a parent's argv: an exec whose argv had a
/// hole (`argc=3`, `a1` lost) is `argv_complete: false` in the event, and
/// so in its children's `parent` (it was shown complete there).
#[test]
fn a_parent_argv_with_holes_is_not_complete() {
    let t0 = 1_795_839_101_000u64;
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        .replace("argc=1 a0=\"bash\"", "argc=3 a0=\"bash\" a2=\"evil\"")
        + &exec_event(t0 + 1, 2, 200, 100, "/bin/sh", &["sh"])
        + &exec_event(t0 + 2, 3, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[0]["argv_complete"], false, "{}", out[0]);
    assert_eq!(out[1]["parent"]["pid"], 100, "{}", out[1]);
    assert_eq!(out[1]["parent"]["argv_complete"], false, "{}", out[1]);
    // a complete one says nothing
    assert_eq!(out[2]["parent"]["pid"], 200, "{}", out[2]);
    assert!(
        out[2]["parent"].get("argv_complete").is_none(),
        "{}",
        out[2]
    );
}

/// A SYSCALL event of `pid` (parent pid 1; syscall `nr`, exit `exit`, a0
/// 0), for fork, clone and exit_group events.
fn syscall_event(ms: u64, serial: u32, pid: u32, nr: u32, exit: i64, exe: &str) -> String {
    let hdr = format!("msg=audit({}.{:03}:{serial}):", ms / 1000, ms % 1000);
    format!(
        "type=SYSCALL {hdr} arch=c000003e syscall={nr} success=yes exit={exit} a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid={pid} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"x\" exe=\"{exe}\" key=(null)\n\
         type=PROCTITLE {hdr} proctitle=78\ntype=EOE {hdr} \n"
    )
}

/// Guards the order of a fork event and its child's exec: a vfork/clone
/// is timed at its entry but logged (serial) at its return, so the child's
/// exec can come first in the same millisecond with a lower serial. The
/// fork must not end the child's own entry (its child then lost its
/// parent); a same-millisecond entry that is not the caller's child, or an
/// earlier one, is still ended.
#[test]
fn a_fork_logged_after_its_childs_exec_keeps_the_child() {
    let t0 = 1_795_839_101_000u64;
    // bash 100 vforks 200 (entry t0+5); 200 execs sleep (t0+5, serial 3);
    // the clone returns 200 (t0+5, serial 4); 200's child 300 execs at t0+7
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &exec_event(t0 + 5, 3, 200, 100, "/bin/sleep", &["sleep", "1"])
        + &syscall_event(t0 + 5, 4, 100, 56, 200, "/bin/bash")
        + &exec_event(t0 + 7, 5, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[3]["parent"]["exe"], "/bin/sleep", "{}", out[3]);
    assert_eq!(
        out[3]["ancestry"],
        serde_json::json!(["/bin/sleep", "/bin/bash"])
    );
    // the same, but 200's exec names another parent: an old holder, ended
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &exec_event(t0 + 5, 3, 200, 99, "/bin/sleep", &["sleep", "1"])
        + &syscall_event(t0 + 5, 4, 100, 56, 200, "/bin/bash")
        + &exec_event(t0 + 7, 5, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[3]["parent"], serde_json::Value::Null, "{}", out[3]);
    // and an exec of the caller's child a millisecond before the fork
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &exec_event(t0 + 4, 3, 200, 100, "/bin/sleep", &["sleep", "1"])
        + &syscall_event(t0 + 5, 4, 100, 56, 200, "/bin/bash")
        + &exec_event(t0 + 7, 5, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[3]["parent"], serde_json::Value::Null, "{}", out[3]);
}

/// Guards the parent's image: the parent is shown running the program its
/// latest exec (up to the event) started, also when the child's entry was
/// linked to an older image of it: bash 100 forks sleep 200, then execs
/// python3; 200's later events show python3, as 100's other children do.
/// Offline an image is the same process's when no exit, fork or other
/// program ended it.
#[test]
fn the_parent_is_shown_in_its_current_image() {
    let t0 = 1_795_839_101_000u64;
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &exec_event(t0 + 1, 2, 200, 100, "/bin/sleep", &["sleep", "100"])
        + &exec_event(t0 + 2, 3, 100, 1, "/usr/bin/python3", &["python3", "x.py"])
        + &connect_event(t0 + 3, 4, 200, 100, "/bin/sleep")
        + &exec_event(t0 + 4, 5, 201, 100, "/bin/true", &["true"])
        + &exec_event(t0 + 5, 6, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(out[1]["parent"]["exe"], "/bin/bash", "{}", out[1]);
    for v in &out[3..5] {
        assert_eq!(v["parent"]["exe"], "/usr/bin/python3", "{v}");
        assert_eq!(v["parent"]["argv"], serde_json::json!(["python3", "x.py"]));
        assert_eq!(v["parent"]["exec"]["serial"], 3);
    }
    assert_eq!(
        out[5]["ancestry"],
        serde_json::json!(["/bin/sleep", "/usr/bin/python3"]),
        "{}",
        out[5]
    );
    // an exec of 100 with another parent pid (reused, or re-parented: not
    // told) is not taken as its image
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &exec_event(t0 + 1, 2, 200, 100, "/bin/sleep", &["sleep", "100"])
        + &exec_event(t0 + 2, 3, 100, 7, "/usr/bin/python3", &["python3"])
        + &exec_event(t0 + 3, 4, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert!(
        !out[3]["ancestry"].to_string().contains("python3"),
        "{}",
        out[3]
    );
    // live: the same process is the same pid and start in /proc
    let fake = FakeProc::new("image");
    fake.add(&init());
    let bash = FakeProcess {
        pid: 100,
        ppid: 1,
        comm: "bash",
        exe: Some("/bin/bash"),
        argv: &["bash"],
        ..init()
    };
    fake.add(&bash);
    let start = ((uptime() - 100.0) * 100.0) as u64;
    fake.write_stat(100, "bash", 1, start);
    fake.add(&FakeProcess {
        pid: 200,
        ppid: 100,
        age_secs: 0.5,
        comm: "sleep",
        exe: Some("/bin/sleep"),
        argv: &["sleep", "100"],
        ..init()
    });
    let mut t = fake_tracker(&fake, |_| {});
    let now = now_ms();
    let out = run(
        &mut t,
        &exec_event(now, 1, 200, 100, "/bin/sleep", &["sleep", "100"]),
    );
    assert_eq!(out[0]["parent"]["exe"], "/bin/bash", "{}", out[0]);
    // 100 execs python3: same pid, same start
    fake.add(&FakeProcess {
        comm: "python3",
        exe: Some("/usr/bin/python3"),
        argv: &["python3", "x.py"],
        ..bash
    });
    fake.write_stat(100, "python3", 1, start);
    let log = exec_event(now + 1, 2, 100, 1, "/usr/bin/python3", &["python3", "x.py"])
        + &connect_event(now + 2, 3, 200, 100, "/bin/sleep");
    let out = run(&mut t, &log);
    assert_eq!(out[1]["parent"]["exe"], "/usr/bin/python3", "{}", out[1]);
}

/// Guards the ancestry walk against ancestors that are no longer: tmux 50
/// runs bash 100, tmux exits (bash is re-parented to pid 1): bash's child
/// lists bash, never tmux. The walk stops at an ancestor known to have
/// ended by the event's time (an exit event; an exec of its pid that is not
/// its own next image) or at one known re-parented (an event, or `/proc`,
/// shows another parent pid).
#[test]
fn ancestry_stops_at_an_ended_or_reparented_ancestor() {
    let t0 = 1_795_839_101_000u64;
    let tmux = exec_event(t0, 1, 50, 1, "/usr/bin/tmux", &["tmux"])
        + &exec_event(t0 + 1, 2, 100, 50, "/bin/bash", &["bash"]);
    // the exit event of tmux
    let log = tmux.clone()
        + &syscall_event(t0 + 2, 3, 50, 231, 0, "/usr/bin/tmux")
        + &exec_event(t0 + 4, 5, 200, 100, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(
        out[3]["ancestry"],
        serde_json::json!(["/bin/bash"]),
        "{}",
        out[3]
    );
    // no exit event, but an event of bash naming pid 1 as its parent
    let log = tmux.clone()
        + &connect_event(t0 + 3, 4, 100, 1, "/bin/bash")
        + &exec_event(t0 + 4, 5, 200, 100, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(
        out[3]["ancestry"],
        serde_json::json!(["/bin/bash"]),
        "{}",
        out[3]
    );
    // before either: tmux is listed
    let log = tmux + &exec_event(t0 + 4, 5, 200, 100, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(
        out[2]["ancestry"],
        serde_json::json!(["/bin/bash", "/usr/bin/tmux"]),
        "{}",
        out[2]
    );
    // an exec of 100's pid with another parent pid: not its image, and the
    // old image has ended
    let log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
        + &exec_event(t0 + 1, 2, 200, 100, "/bin/sleep", &["sleep", "100"])
        + &exec_event(t0 + 2, 3, 100, 7, "/usr/bin/python3", &["python3"])
        + &exec_event(t0 + 3, 4, 300, 200, "/bin/true", &["true"]);
    let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let out = run(&mut t, &log);
    assert_eq!(
        out[3]["ancestry"],
        serde_json::json!(["/bin/sleep"]),
        "{}",
        out[3]
    );
    // live: /proc shows bash re-parented (tmux gone, never read as gone)
    let fake = FakeProc::new("reparent");
    fake.add(&init());
    fake.add(&FakeProcess {
        pid: 50,
        ppid: 1,
        comm: "tmux",
        exe: Some("/usr/bin/tmux"),
        argv: &["tmux"],
        ..init()
    });
    fake.add(&FakeProcess {
        pid: 100,
        ppid: 50,
        comm: "bash",
        exe: Some("/bin/bash"),
        argv: &["bash"],
        ..init()
    });
    let start = ((uptime() - 100.0) * 100.0) as u64;
    fake.write_stat(100, "bash", 50, start);
    let mut t = fake_tracker(&fake, |_| {});
    let out = run(
        &mut t,
        &exec_event(now_ms(), 1, 200, 100, "/bin/true", &["true"]),
    );
    assert_eq!(
        out[0]["ancestry"],
        serde_json::json!(["/bin/bash", "/usr/bin/tmux", "/sbin/init"]),
        "{}",
        out[0]
    );
    fake.remove(50);
    fake.write_stat(100, "bash", 1, start);
    let out = run(
        &mut t,
        &exec_event(now_ms(), 2, 201, 100, "/bin/true", &["true"]),
    );
    assert_eq!(
        out[0]["ancestry"],
        serde_json::json!(["/bin/bash"]),
        "{}",
        out[0]
    );
}

/// Guards the container and unit a process not read from `/proc` takes
/// from its parent: only where a child is surely in its parent's cgroup.
/// Not from pid 1 (systemd moves a service's processes into its unit before
/// they exec), not from a known cgroup mover (a container runtime's shim,
/// runc, systemd-run...), not when the process itself was one before its
/// exec (`systemd-run --scope`, `cgexec` move themselves, then exec): null
/// then, never the parent's. From an ordinary parent in a container, the
/// container and unit are taken.
#[test]
fn a_gone_process_takes_its_parents_cgroup_only_when_sure() {
    let fake = FakeProc::new("cgmove");
    fake.add(&init());
    let docker = format!("0::/system.slice/docker-{ID}.scope\n");
    fake.add(&FakeProcess {
        pid: 100,
        ppid: 1,
        comm: "containerd-shim",
        exe: Some("/usr/bin/containerd-shim-runc-v2"),
        argv: &["containerd-shim-runc-v2"],
        cgroup: b"0::/system.slice/containerd.service\n",
        ..init()
    });
    fake.add(&FakeProcess {
        pid: 101,
        ppid: 1,
        comm: "sh",
        exe: Some("/usr/bin/dash"),
        argv: &["sh"],
        cgroup: docker.as_bytes(),
        ..init()
    });
    fake.add(&FakeProcess {
        pid: 102,
        ppid: 1,
        comm: "bash",
        exe: Some("/bin/bash"),
        argv: &["bash"],
        cgroup: b"0::/user.slice/user-0.slice/session-3.scope\n",
        ..init()
    });
    let mut t = fake_tracker(&fake, |_| {});
    let now = now_ms();
    // each exec'ing process gone before it is read
    let log = exec_event(now, 1, 600, 1, "/usr/bin/true", &["/usr/bin/true"])
        + &exec_event(now, 2, 601, 100, "/usr/bin/true", &["/usr/bin/true"])
        + &exec_event(now, 3, 602, 101, "/usr/bin/true", &["/usr/bin/true"])
        + &exec_event(
            now,
            4,
            603,
            102,
            "/usr/bin/systemd-run",
            &["systemd-run", "--scope", "x"],
        )
        + &exec_event(now + 1, 5, 603, 102, "/usr/bin/x", &["x"])
        + &connect_event(now + 2, 6, 604, 1, "/usr/bin/x")
        + &exec_event(now + 3, 7, 605, 102, "/usr/bin/true", &["/usr/bin/true"]);
    let out = run(&mut t, &log);
    for (i, v) in out.iter().enumerate() {
        let (container, unit) = match i {
            // the ordinary shell in a container: its container and unit
            2 => (
                serde_json::json!({"id": ID, "runtime": "docker"}),
                serde_json::json!(format!("docker-{ID}.scope")),
            ),
            // the ordinary shell in a session: its unit (systemd-run is
            // itself the mover of event 3, and so of its exec, event 4)
            3 | 6 => (
                serde_json::Value::Null,
                serde_json::json!("session-3.scope"),
            ),
            _ => (serde_json::Value::Null, serde_json::Value::Null),
        };
        assert_eq!(v["container"], container, "event {i}: {v}");
        assert_eq!(v["unit"], unit, "event {i}: {v}");
    }
}

/// A process that re-execs itself in a loop: its child's link is followed
/// through at most `MAX_IMAGES` later images (the walk per event stays
/// bounded); past them the parent is the pid's holder at the event's time,
/// which is still the current image, never an older one.
#[test]
fn a_long_chain_of_re_execs_gives_the_current_image() {
    use auditstream::context::MAX_IMAGES;
    let t0 = 1_795_839_101_000u64;
    for execs in [MAX_IMAGES, MAX_IMAGES + 1, 4 * MAX_IMAGES] {
        let mut log = exec_event(t0, 1, 100, 1, "/bin/bash", &["bash"])
            + &exec_event(t0 + 1, 2, 200, 100, "/bin/sleep", &["sleep", "100"]);
        let mut serial = 3;
        for i in 0..execs {
            let exe = format!("/bin/loop{i}");
            log += &exec_event(t0 + 2 + i as u64, serial, 100, 1, &exe, &["loop"]);
            serial += 1;
        }
        log += &connect_event(t0 + 10_000, serial, 200, 100, "/bin/sleep");
        let mut t = ProcessTracker::new(ContextConfig::offline()).unwrap();
        let out = run(&mut t, &log);
        let last = out.last().unwrap();
        let want = format!("/bin/loop{}", execs - 1);
        assert_eq!(last["parent"]["exe"], want.as_str(), "{execs}: {last}");
        assert_eq!(last["ancestry"][0], want.as_str(), "{execs}: {last}");
    }
}
