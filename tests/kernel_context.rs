//! Process context from the real kernel: marked processes run while
//! `LiveEvents` reads (daemon mode) and a live `ProcessTracker` (this
//! machine's `/proc`) gives each event its context:
//!
//! - nested execs: the parent's program, arguments and exec event, and the
//!   ancestry up to this test process, exactly; the same from the captured
//!   records offline;
//! - a pid reused (the kernel's `ns_last_pid` set so that a forked subshell
//!   gets the pid of a process that exec'd and exited): its child gets the
//!   new holder, never the old one;
//! - an orphan (its forker exits before it execs): its reaper, never the
//!   forker;
//! - processes in cgroups named like docker's (v2
//!   `.../docker-<64 hex>.scope`, v1 `/docker/<64 hex>`), a kubepods path,
//!   and a systemd-style unit: the id, runtime and unit;
//! - a user made with `useradd`: its name.
//!
//! Root only (else skipped, failing under `CI=true`); one at a time under
//! `/tmp/auditstream-kernel.lock`; only their own rules; audit state
//! restored and checked on every exit path; the cgroups and users they make
//! are removed on every exit path (guards dropped on panic too).
#![cfg(all(feature = "netlink", target_os = "linux"))]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use auditstream::context::{ContextConfig, ProcessTracker};
use auditstream::event::{EventBuf, EventKind};
use auditstream::output::json::{self, JsonOptions};
use auditstream::output::WithContext;
use auditstream::source::log::LogEvents;
use auditstream::source::netlink::{LiveConfig, LiveEvents, Mode, Rule};
use serde_json::Value;

mod common;
use common::kernel;

const DEADLINE: Duration = Duration::from_secs(30);

/// The events read, as JSON with context, and every record as a log line.
struct Seen {
    /// Exec events with an argument that is a marker ([`marker`]): the
    /// argument -> the latest such event, as JSON.
    execs: HashMap<String, Value>,
    /// Markers whose process was gone from /proc when its event was read.
    gone: Vec<String>,
    lines: String,
}

/// Reads `live` with a live tracker while `work` runs in a thread, until
/// `work` is done and every marker it returns has an exec event (or the
/// deadline).
fn read<F: FnOnce() -> Vec<String> + Send + 'static>(
    live: LiveEvents,
    tracker: ProcessTracker,
    work: F,
) -> Seen {
    read_after(live, tracker, Duration::ZERO, work)
}

/// As [`read`], reading the first event only `delay` after `work` started
/// (the events wait in the socket's buffer).
fn read_after<F: FnOnce() -> Vec<String> + Send + 'static>(
    mut live: LiveEvents,
    mut tracker: ProcessTracker,
    delay: Duration,
    work: F,
) -> Seen {
    let stop = live.stop_handle();
    let started = Instant::now();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let worked = worked.clone();
        std::thread::spawn(move || {
            let m = work();
            worked.store(true, Ordering::Relaxed);
            m
        })
    };
    // stops reading at the deadline, or 2 s after the work is done (its
    // events are out by then; the rest drain on close)
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut finished: Option<Instant> = None;
            while !done.load(Ordering::Relaxed) && started.elapsed() < DEADLINE {
                if worked.load(Ordering::Relaxed) {
                    let f = *finished.get_or_insert_with(Instant::now);
                    if f.elapsed() > Duration::from_secs(2) {
                        break;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            stop.store(true, Ordering::Relaxed);
        })
    };
    let mut seen = Seen {
        execs: HashMap::new(),
        gone: Vec::new(),
        lines: String::new(),
    };
    let prefix = marker("");
    let mut see = |ev: &EventBuf, seen: &mut Seen| {
        for r in ev.records() {
            seen.lines.push_str(&r.to_string());
            seen.lines.push('\n');
        }
        let event = ev.event();
        let ctx = tracker.observe(&event, ev.records());
        if let EventKind::Exec(x) = &event.kind {
            for a in &x.argv {
                if !a.starts_with(prefix.as_bytes()) {
                    continue;
                }
                let mut out = Vec::new();
                json::write(
                    &mut out,
                    &WithContext::new(&event, ctx.as_ref()),
                    JsonOptions::default(),
                );
                let key = String::from_utf8_lossy(a).into_owned();
                let pid = x.syscall.pid.unwrap_or(0);
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    seen.gone.push(key.clone());
                }
                seen.execs
                    .insert(key, serde_json::from_slice(&out).unwrap());
            }
        }
    };
    let mut worker = Some(worker);
    let mut markers: Option<Vec<String>> = None;
    std::thread::sleep(delay);
    while let Some(ev) = live.next_event() {
        see(ev.expect("no receive error"), &mut seen);
        if worker.as_ref().is_some_and(|w| w.is_finished()) {
            markers = Some(worker.take().unwrap().join().expect("the workload"));
        }
        if let Some(m) = &markers {
            if m.iter().all(|m| seen.execs.contains_key(m)) {
                break;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().unwrap();
    if let Some(w) = worker {
        markers = Some(w.join().expect("the workload"));
    }
    let closed = live.close().expect("close restores the kernel");
    for ev in &closed.events {
        see(ev, &mut seen);
    }
    eprintln!("context: {:?}", tracker.stats());
    for m in markers.unwrap_or_default() {
        assert!(seen.execs.contains_key(&m), "no exec with {m}");
    }
    seen
}

fn live(extra_rules: &[&str]) -> LiveEvents {
    let mut cfg = LiveConfig::new(Mode::Daemon);
    cfg.backlog_limit = Some(8192);
    for r in extra_rules {
        cfg.rules.push(Rule::parse(r).unwrap());
    }
    LiveEvents::with_config(cfg).unwrap()
}

fn tracker() -> ProcessTracker {
    let t = ProcessTracker::new(ContextConfig::live()).unwrap();
    assert!(
        !t.stats().proc_disabled,
        "this test runs in the initial pid namespace"
    );
    t
}

fn real(p: &str) -> String {
    std::fs::canonicalize(p)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

fn marker(what: &str) -> String {
    format!("auditstream-ctx-{}-{what}", std::process::id())
}

/// `bash -c 'sh -c "/bin/true MARK; sleep"; sleep'`: the parent of each
/// exec is the process that forked it, with its program, arguments and exec
/// event; the ancestry runs up through this test process.
#[test]
fn nested_execs_have_their_parents_and_ancestry_exactly() {
    let Some(k) = kernel() else { return };
    let tracker = tracker();
    let live = live(&[]);
    let m = marker("nested");
    let (m_true, m_sh, m_bash) = (format!("{m}-true"), format!("{m}-sh"), format!("{m}-bash"));
    let sh_cmd = format!("/bin/true {m_true}; sleep 0.5; true");
    let bash_cmd = format!("sh -c '{sh_cmd}' {m_sh}; sleep 0.5; true");
    let cmd = bash_cmd.clone();
    let mb = m_bash.clone();
    let markers = vec![m_true.clone(), m_sh.clone(), m_bash.clone()];
    let seen = read(live, tracker, move || {
        let st = Command::new("/bin/bash")
            .args(["-c", &cmd, &mb])
            .status()
            .unwrap();
        assert!(st.success());
        markers
    });
    k.assert_clean();
    let me = std::process::id();
    let my_exe = real("/proc/self/exe");
    let (bash, dash) = (real("/bin/bash"), real("/bin/sh"));
    let t = &seen.execs[&m_true];
    let s = &seen.execs[&m_sh];
    let b = &seen.execs[&m_bash];
    // bash: its parent is this test process (read from /proc)
    assert_eq!(b["parent"]["pid"], me, "{b}");
    assert_eq!(b["parent"]["exe"], my_exe.as_str());
    assert_eq!(b["parent"]["exec"], Value::Null);
    assert_eq!(b["ancestry"][0], my_exe.as_str());
    // sh: bash, with its argv and exec event
    assert_eq!(s["parent"]["pid"], b["pid"], "{s}");
    assert_eq!(s["parent"]["exe"], bash.as_str());
    assert_eq!(
        s["parent"]["argv"],
        serde_json::json!(["/bin/bash", "-c", bash_cmd, m_bash])
    );
    assert_eq!(s["parent"]["exec"]["serial"], b["serial"]);
    assert_eq!(s["parent"]["exec"]["time"], b["time"]);
    // /bin/true: sh, and the ancestry sh, bash, this test process, ...
    assert_eq!(t["parent"]["pid"], s["pid"], "{t}");
    assert_eq!(t["parent"]["exe"], dash.as_str());
    assert_eq!(
        t["parent"]["argv"],
        serde_json::json!(["sh", "-c", sh_cmd, m_sh])
    );
    assert_eq!(t["parent"]["exec"]["serial"], s["serial"]);
    let anc = t["ancestry"].as_array().unwrap();
    assert_eq!(
        anc[..3],
        [
            Value::from(dash.as_str()),
            Value::from(bash.as_str()),
            Value::from(my_exe.as_str())
        ]
    );
    // then bash's own ancestry, up to the depth (8)
    let banc = b["ancestry"].as_array().unwrap();
    assert_eq!(anc.len(), (banc.len() + 2).min(8));
    assert_eq!(anc[2..], banc[..anc.len() - 2]);
    assert_eq!(t["names"]["uid"], "root");
    // offline, from the captured records: the same parents (their execs are
    // in the log), nothing of this machine
    let mut off = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let mut found = 0;
    for buf in LogEvents::new(seen.lines.as_bytes()) {
        let buf = buf.unwrap();
        let ev = buf.event();
        let ctx = off.observe(&ev, buf.records());
        if ev.id.serial == t["serial"].as_u64().unwrap() as u32 {
            let p = ctx.unwrap().parent.unwrap();
            assert_eq!(p.exe, Some(dash.as_bytes()));
            assert_eq!(p.pid, s["pid"].as_u64().unwrap() as u32);
            found += 1;
        }
    }
    assert_eq!(found, 1);
    assert_eq!(off.stats().proc_reads, 0);
}

/// A process that exec'd (marked OLD) exits; a subshell forked with the
/// kernel's `ns_last_pid` set just below its pid takes the pid and, without
/// exec, forks a child (marked NEW): the child's parent is the subshell,
/// never the old process. Offline, with fork events audited, the replayed
/// log gives no parent: never the old one.
#[test]
fn a_reused_pid_gives_the_new_parent_never_the_old() {
    let Some(k) = kernel() else { return };
    let ns_last_pid = Path::new("/proc/sys/kernel/ns_last_pid");
    if !ns_last_pid.exists() {
        common::skip("no /proc/sys/kernel/ns_last_pid");
        return;
    }
    let tracker = tracker();
    let live = live(&["-a always,exit -F arch=b64 -S clone -S fork -S vfork -k fork"]);
    let result = std::sync::Arc::new(std::sync::Mutex::new((0u32, 0usize)));
    let res = result.clone();
    let seen = read(live, tracker, move || {
        for attempt in 0..50 {
            let (mo, mn) = (
                marker(&format!("old{attempt}")),
                marker(&format!("new{attempt}")),
            );
            // the old process: exec'd, alive a moment, gone
            let old = Command::new("/bin/sh")
                .args(["-c", "sleep 0.2; true", &mo])
                .spawn()
                .unwrap();
            let q = old.id();
            assert!(wait(old).success());
            // a subshell takes pid q (unless another process forks first)
            let script = format!(
                "echo {} > /proc/sys/kernel/ns_last_pid; \
                 ( echo $BASHPID; /bin/sh -c 'sleep 0.5; true' sh {mn}; true ); true",
                q - 1
            );
            let out = Command::new("/bin/bash")
                .args(["-c", &script])
                .output()
                .unwrap();
            let got: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            if got == q {
                *res.lock().unwrap() = (q, attempt);
                return vec![mo, mn];
            }
        }
        panic!("no pid reused in 50 attempts");
    });
    k.assert_clean();
    let (q, attempt) = *result.lock().unwrap();
    eprintln!("pid {q} reused at attempt {attempt}");
    let (m_old, m_new) = (
        marker(&format!("old{attempt}")),
        marker(&format!("new{attempt}")),
    );
    let old = &seen.execs[&m_old];
    let new = &seen.execs[&m_new];
    assert_eq!(new["ppid"], q, "{new}");
    assert_eq!(old["pid"], q);
    // the child's parent: the subshell (bash, never exec'd), never the old sh
    let p = &new["parent"];
    assert!(p.is_object(), "no parent: {new}");
    assert_eq!(p["pid"], q);
    assert_eq!(p["exe"], real("/bin/bash").as_str(), "{new}");
    assert_eq!(p["exec"], Value::Null);
    assert!(!p.to_string().contains(&m_old), "the old process: {p}");
    assert!(!new["ancestry"].to_string().contains(&m_old));
    // offline: the fork that made the subshell (when it came before the
    // child's exec: a fork is reported when the forker returns) ends the old
    // process's entry
    let mut off = ProcessTracker::new(ContextConfig::offline()).unwrap();
    let new_serial = new["serial"].as_u64().unwrap() as u32;
    let mut fork_seen = false;
    for buf in LogEvents::new(seen.lines.as_bytes()) {
        let buf = buf.unwrap();
        let ev = buf.event();
        if let EventKind::Other(r) = &ev.kind {
            let sc = r
                .iter()
                .find(|r| r.record_type() == auditstream::RecordType::SYSCALL);
            if sc.is_some_and(|r| {
                r.get(b"exit").and_then(|f| f.as_i64()) == Some(i64::from(q))
                    && r.get(b"key")
                        .is_some_and(|k| k.raw().windows(4).any(|w| w == b"fork"))
            }) {
                fork_seen = true;
            }
        }
        let ctx = off.observe(&ev, buf.records());
        if ev.id.serial == new_serial {
            let parent = ctx.and_then(|c| c.parent.map(|p| p.argv.concat()));
            let old = parent.is_some_and(|a| a.windows(m_old.len()).any(|w| w == m_old.as_bytes()));
            if fork_seen {
                assert!(!old, "offline gave the old process after the fork event");
            } else {
                eprintln!("the fork event came after the child's exec: offline gave old={old}");
            }
        }
    }
}

fn wait(mut c: Child) -> std::process::ExitStatus {
    c.wait().unwrap()
}

/// A process whose forker exits before it execs: its parent is its reaper
/// (as the kernel says), never the forker.
#[test]
fn an_orphan_gets_its_reaper_never_a_stale_parent() {
    let Some(k) = kernel() else { return };
    let tracker = tracker();
    let live = live(&[]);
    let m = marker("orphan");
    let (m_forker, m_orphan) = (format!("{m}-forker"), format!("{m}-orphan"));
    let script = format!("( sleep 0.3; exec /bin/sh -c 'sleep 0.3; true' sh {m_orphan} ) & exit 0");
    let mf = m_forker.clone();
    let markers = vec![m_forker.clone(), m_orphan.clone()];
    let seen = read(live, tracker, move || {
        let st = Command::new("/bin/bash")
            .args(["-c", &script, &mf])
            .status()
            .unwrap();
        assert!(st.success());
        markers
    });
    k.assert_clean();
    let forker = &seen.execs[&m_forker];
    let orphan = &seen.execs[&m_orphan];
    let ppid = orphan["ppid"].as_u64().unwrap();
    assert_ne!(
        ppid,
        forker["pid"].as_u64().unwrap(),
        "not orphaned: {orphan}"
    );
    // the reaper (pid 1 or a subreaper), alive, read from /proc
    let p = &orphan["parent"];
    assert_eq!(p["pid"], ppid, "{orphan}");
    // (an exe link this root cannot read, as pid 1's in some sandboxes: null)
    match std::fs::read_link(format!("/proc/{ppid}/exe")) {
        Ok(exe) => assert_eq!(p["exe"], exe.to_str().unwrap()),
        Err(e) => {
            eprintln!("the reaper's exe link: {e}");
            assert_eq!(p["exe"], Value::Null);
        }
    }
    assert!(!p.to_string().contains(&m_forker), "{orphan}");
}

/// Directories made under the cgroup hierarchies, removed (deepest first,
/// only those made) on drop; processes still in them are killed first.
struct Cgroups {
    made: Vec<PathBuf>,
    children: Vec<Child>,
}

impl Cgroups {
    fn new() -> Cgroups {
        Cgroups {
            made: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Makes `path` and every missing directory above it under `root`.
    fn make(&mut self, root: &str, rel: &str) -> Option<PathBuf> {
        if !Path::new(root).join("cgroup.procs").exists() {
            return None;
        }
        let mut p = PathBuf::from(root);
        for part in rel.split('/').filter(|s| !s.is_empty()) {
            p.push(part);
            if !p.exists() {
                std::fs::create_dir(&p).ok()?;
                self.made.push(p.clone());
            }
        }
        Some(p)
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for p in self.made.iter().rev() {
            // processes of ours that are left go back to the root first
            if let Ok(procs) = std::fs::read_to_string(p.join("cgroup.procs")) {
                let mut root = p.clone();
                while root
                    .parent()
                    .is_some_and(|q| q.join("cgroup.procs").exists())
                {
                    root.pop();
                }
                for pid in procs.lines() {
                    let _ = std::fs::write(root.join("cgroup.procs"), pid);
                }
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while std::fs::remove_dir(p).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// A cgroup case: the marker, the cgroup, the container (id, runtime) and
/// unit expected.
type Case = (
    String,
    PathBuf,
    Option<(String, &'static str)>,
    Option<String>,
);

/// A helper that waits on stdin, then execs `sh -c "/bin/true MARK-true;
/// sleep 2; true" sh MARK`.
fn held(mark: &str) -> Child {
    let script =
        format!("read x; exec /bin/sh -c '/bin/true {mark}-true; sleep 2; true' sh {mark}");
    Command::new("/bin/sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Processes in cgroups named like docker's (v2 and v1), a kubepods path
/// and a systemd unit: each exec gets that container id and runtime, or
/// unit; the short-lived `/bin/true` children too, gone from /proc when
/// their events are read: from their parent.
#[test]
fn containers_and_units_from_cgroup_paths() {
    let Some(k) = kernel() else { return };
    let mut cg = Cgroups::new();
    let me = std::process::id();
    let id_v2 = format!("{:064x}", 0xd0c2u64 + u64::from(me));
    let id_v1 = format!("{:064x}", 0xd0c1u64 + u64::from(me));
    let id_k8s = format!("{:064x}", 0x8e5u64 + u64::from(me));
    let v2 = "/sys/fs/cgroup/unified";
    let v1 = "/sys/fs/cgroup/pids";
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |cg: &mut Cgroups, what: &str, root: &str, rel: String, want, unit| match cg
        .make(root, &rel)
    {
        Some(p) => cases.push((marker(what), p, want, unit)),
        None => common::skip(&format!("cannot make cgroup {root}/{rel}")),
    };
    add(
        &mut cg,
        "docker2",
        v2,
        format!("auditstream-test-{me}.slice/docker-{id_v2}.scope"),
        Some((id_v2.clone(), "docker")),
        Some(format!("docker-{id_v2}.scope")),
    );
    add(
        &mut cg,
        "docker1",
        v1,
        format!("docker/{id_v1}"),
        Some((id_v1.clone(), "docker")),
        None,
    );
    add(
        &mut cg,
        "k8s",
        v2,
        format!("kubepods/besteffort/pod1f2e3d4c-0000-4000-8000-{me:012}/{id_k8s}"),
        Some((id_k8s.clone(), "kubernetes")),
        None,
    );
    add(
        &mut cg,
        "unit",
        v2,
        format!("auditstream-test-{me}.slice/auditstream-{me}.service"),
        None,
        Some(format!("auditstream-{me}.service")),
    );
    if cases.is_empty() {
        drop(cg);
        k.assert_clean();
        return;
    }
    // helpers waiting, each moved into its cgroup before it execs
    for (m, path, _, _) in &cases {
        let c = held(m);
        std::fs::write(path.join("cgroup.procs"), c.id().to_string()).unwrap();
        cg.children.push(c);
    }
    let tracker = tracker();
    let live = live(&[]);
    let mut markers = Vec::new();
    for (m, _, _, _) in &cases {
        markers.push(m.clone());
        markers.push(format!("{m}-true"));
    }
    let mut stdins: Vec<_> = cg
        .children
        .iter_mut()
        .map(|c| c.stdin.take().unwrap())
        .collect();
    // read a second late: the /bin/true children are gone by then (their
    // container comes from their parent), the sh parents still sleep
    let seen = read_after(live, tracker, Duration::from_secs(1), move || {
        for s in &mut stdins {
            s.write_all(b"go\n").unwrap();
        }
        markers
    });
    for c in &mut cg.children {
        assert!(c.wait().unwrap().success());
    }
    k.assert_clean();
    for (m, _, want, unit) in &cases {
        assert!(
            seen.gone.contains(&format!("{m}-true")),
            "{m}-true was still running when read: {:?}",
            seen.gone
        );
        assert!(!seen.gone.contains(m), "{m} was gone when read");
        for key in [m.clone(), format!("{m}-true")] {
            let v = &seen.execs[&key];
            match want {
                Some((id, rt)) => {
                    assert_eq!(v["container"]["id"], id.as_str(), "{key}: {v}");
                    assert_eq!(v["container"]["runtime"], *rt, "{key}");
                }
                None => assert_eq!(v["container"], Value::Null, "{key}: {v}"),
            }
            if let Some(u) = unit {
                assert_eq!(v["unit"], u.as_str(), "{key}: {v}");
            }
        }
    }
    drop(cg);
}

/// Removes a user made by a test, also when it panics.
struct TestUser(String);

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.0).status();
    }
}

/// A user made with `useradd` runs an exec: its name is in `names`.
#[test]
fn a_new_user_gets_its_name() {
    let Some(k) = kernel() else { return };
    let name = format!("asctx{}", std::process::id());
    let made = Command::new("useradd")
        .args(["-M", "-N", "-s", "/usr/sbin/nologin", &name])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        common::skip("useradd failed");
        k.assert_clean();
        return;
    }
    let user = TestUser(name.clone());
    let uid: u32 = String::from_utf8(
        Command::new("id")
            .args(["-u", &name])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let tracker = tracker();
    let live = live(&[]);
    let m = marker("user");
    let mm = m.clone();
    let seen = read(live, tracker, move || {
        let st = Command::new("setpriv")
            .args([
                &format!("--reuid={uid}"),
                "--regid=65534",
                "--clear-groups",
                "/bin/true",
                &mm,
            ])
            .status()
            .unwrap();
        assert!(st.success());
        vec![mm]
    });
    k.assert_clean();
    let v = &seen.execs[&m];
    assert_eq!(v["uid"], uid, "{v}");
    assert_eq!(v["names"]["uid"], name.as_str(), "{v}");
    assert_eq!(v["names"]["euid"], name.as_str());
    assert_eq!(v["names"]["gid"], "nogroup");
    drop(user);
    assert!(!Command::new("id")
        .arg(&name)
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success());
}
