//! storm: an exec storm against the real kernel, read by auditstream and, for
//! comparison, by auditd writing a RAW log. Not a test: a measurement.
//!
//! ```text
//! storm [--seconds 30] [--procs 4] [--backlog 8192] [--only auditstream|auditstream-async|auditd]
//!       [--coalesce-ms N]   (LiveConfig::coalesce; default 2)
//! ```
//!
//! Readers: auditstream's blocking `LiveEvents`, the async `LiveStream` in a
//! current-thread tokio runtime (with `--features tokio`), and auditd.
//! For each reader: registers it as the audit daemon, sets backlog_limit, adds
//! one rule (`-a always,exit -F arch=b64 -S execve -F key=storm`), enables
//! audit, and lets `--procs` child processes exec `/bin/true <marker>` as fast
//! as they can for `--seconds`. Reports execs spawned, exec events received
//! with the marker, events/s, the kernel's lost counter, socket overruns, and
//! the reader's CPU time (user + system) per 1,000 events. The spawners are
//! separate processes, so the reader's CPU is its own. Needs root and the
//! lock /tmp/auditstream-kernel.lock; restores the kernel on every exit path
//! (audit disabled, the rule deleted, backlog_limit and pid as found).

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auditstream::event::EventKind;
use auditstream::source::netlink::{LiveConfig, LiveEvents, Mode, Rule};

struct Opts {
    seconds: f64,
    procs: usize,
    backlog: u32,
    only: Option<String>,
    coalesce_ms: Option<u64>,
}

#[derive(Debug, Default)]
struct Outcome {
    spawned: u64,
    seen: u64,
    events: u64,
    secs: f64,
    kernel_lost: u64,
    overruns: u64,
    cpu_secs: f64,
}

fn clk_tck() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// utime + stime of a process, in seconds.
fn cpu_of(pid: u32) -> f64 {
    let (u, s) = cpu_split(pid);
    u + s
}

/// (utime, stime) of a process, in seconds.
fn cpu_split(pid: u32) -> (f64, f64) {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the ")" of comm: state is field 3; utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) / clk_tck(), tick(12) / clk_tck())
}

fn spawn_storm(o: &Opts, marker: &str) -> Vec<Child> {
    let me = std::env::current_exe().expect("own path");
    (0..o.procs)
        .map(|_| {
            Command::new(&me)
                .args(["--spawner", &o.seconds.to_string(), marker])
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn the storm")
        })
        .collect()
}

fn collect(children: Vec<Child>) -> u64 {
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("spawner");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
        })
        .sum()
}

/// The child: exec `/bin/true MARKER` in a loop (4 threads) until the time is up.
fn spawner(seconds: f64, marker: &str) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = marker.to_string();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    if Command::new("/bin/true").arg(&m).status().is_ok() {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let n: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    println!("{n}");
}

/// The one rule of the storm, as auditctl arguments after `-a`/`-d`.
const STORM_RULE: [&str; 7] = [
    "always,exit",
    "-F",
    "arch=b64",
    "-S",
    "execve",
    "-F",
    "key=storm",
];

fn storm_rule() -> Rule {
    Rule::parse(&format!("-a {}", STORM_RULE.join(" "))).expect("valid rule")
}

/// How the auditstream reader reads the socket.
#[derive(Clone, Copy, PartialEq)]
enum Reader {
    /// `LiveEvents::next_event` on this thread.
    Blocking,
    /// `source::tokio::LiveStream` in a current-thread runtime (feature
    /// `tokio`): readiness on the socket, no reading thread.
    Async,
}

/// Counts the marked exec events among those given.
struct Count<'m> {
    marker: &'m [u8],
    out: Outcome,
    last_seen: Instant,
}

impl Count<'_> {
    fn see(&mut self, ev: &auditstream::event::Event<'_>) {
        self.out.events += 1;
        if let EventKind::Exec(e) = &ev.kind {
            if e.argv.get(1).is_some_and(|a| a.as_ref() == self.marker) {
                self.out.seen += 1;
                self.last_seen = Instant::now();
            }
        }
    }
}

fn run_auditstream(o: &Opts, reader: Reader) -> Outcome {
    let marker = format!("storm-as-{}", std::process::id());
    let mut cfg = LiveConfig::new(Mode::Daemon);
    cfg.rules = vec![storm_rule()];
    cfg.backlog_limit = Some(o.backlog);
    if let Some(ms) = o.coalesce_ms {
        cfg.coalesce = Duration::from_millis(ms);
    }
    let mut live = LiveEvents::with_config(cfg).expect("open the audit socket as daemon");
    let me = std::process::id();
    let cpu0 = cpu_of(me);
    let t0 = Instant::now();
    // Wait for the spawners on another thread (this one only reads); stop
    // reading 5 s after they end (or at a hard limit), then drain.
    let children = spawn_storm(o, &marker);
    let spawned = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let stop = live.stop_handle();
    let limit = Duration::from_secs_f64(o.seconds + 60.0);
    let counter = {
        let spawned = spawned.clone();
        std::thread::spawn(move || {
            let n = collect(children);
            spawned.store(n, std::sync::atomic::Ordering::Relaxed);
            let waited = t0.elapsed();
            std::thread::sleep(Duration::from_secs(5).min(limit.saturating_sub(waited)));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let mut count = Count {
        marker: marker.as_bytes(),
        out: Outcome::default(),
        last_seen: t0,
    };
    let all = || spawned.load(std::sync::atomic::Ordering::Relaxed);
    let closed = match reader {
        Reader::Blocking => {
            while let Some(ev) = live.next_event() {
                count.see(&ev.expect("receive").event());
                if count.out.seen >= all() {
                    break;
                }
            }
            live.close().expect("close and restore")
        }
        Reader::Async => run_async(live, &mut count, &all),
    };
    counter.join().expect("counter thread");
    let drained = closed.events.len();
    for ev in &closed.events {
        count.see(&ev.event());
    }
    let mut out = count.out;
    let stats = closed.stats;
    let (u, sy) = cpu_split(me);
    eprintln!(
        "auditstream: {drained} events drained at close; utime {u:.2} s stime {sy:.2} s; {stats:?}"
    );
    out.secs = (count.last_seen - t0).as_secs_f64().max(o.seconds);
    out.cpu_secs = cpu_of(me) - cpu0;
    out.spawned = all();
    let live = stats.live.expect("live counters");
    out.kernel_lost = live.kernel_lost;
    out.overruns = live.socket.overruns;
    out
}

#[cfg(feature = "tokio")]
fn run_async(
    live: LiveEvents,
    count: &mut Count<'_>,
    all: &dyn Fn() -> u64,
) -> auditstream::source::Closed {
    use auditstream::source::tokio::LiveStream;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut stream = LiveStream::new(live).expect("register the socket");
        while let Some(ev) = stream.next().await {
            count.see(&ev.expect("receive").event());
            if count.out.seen >= all() {
                break;
            }
        }
        stream.close().await.expect("close and restore")
    })
}

#[cfg(not(feature = "tokio"))]
fn run_async(_: LiveEvents, _: &mut Count<'_>, _: &dyn Fn() -> u64) -> auditstream::source::Closed {
    eprintln!("storm: --only auditstream-async needs --features tokio");
    std::process::exit(2);
}

/// auditd under the same storm, restored on drop.
struct Auditd {
    child: Child,
    dir: PathBuf,
    backlog_before: String,
}

impl Drop for Auditd {
    fn drop(&mut self) {
        let ctl = |a: &[&str]| {
            let _ = Command::new("auditctl")
                .args(a)
                .stdout(Stdio::null())
                .status();
        };
        ctl(&["-e", "0"]);
        ctl(&[&["-d"][..], &STORM_RULE].concat());
        ctl(&["-b", &self.backlog_before]);
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn auditctl_status(key: &str) -> String {
    let out = Command::new("auditctl")
        .arg("-s")
        .output()
        .expect("auditctl -s");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key} ")).map(str::to_string))
        .unwrap_or_default()
}

fn run_auditd(o: &Opts) -> Outcome {
    let marker = format!("storm-ad-{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("storm-auditd-{}", std::process::id()));
    fs::create_dir_all(dir.join("plugins.d")).expect("temp dir");
    let log = dir.join("audit.log");
    let conf = format!(
        "local_events = yes\nwrite_logs = yes\nlog_file = {}\nlog_format = RAW\nflush = INCREMENTAL_ASYNC\nfreq = 1000\n\
         max_log_file = 100000\nnum_logs = 0\nmax_log_file_action = IGNORE\nspace_left = 2\nspace_left_action = IGNORE\n\
         admin_space_left = 1\nadmin_space_left_action = IGNORE\ndisk_full_action = IGNORE\ndisk_error_action = IGNORE\n\
         name_format = NONE\nq_depth = 90000\noverflow_action = IGNORE\nplugin_dir = {}\nend_of_event_timeout = 2\n",
        log.display(),
        dir.join("plugins.d").display()
    );
    fs::write(dir.join("auditd.conf"), conf).expect("auditd.conf");
    let backlog_before = auditctl_status("backlog_limit");
    let child = Command::new("auditd")
        .args(["-n", "-s", "nochange", "-c"])
        .arg(&dir)
        .stderr(Stdio::null())
        .spawn()
        .expect("start auditd");
    let guard = Auditd {
        child,
        dir: dir.clone(),
        backlog_before,
    };
    let pid = guard.child.id();
    for _ in 0..100 {
        if auditctl_status("pid") == pid.to_string() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        auditctl_status("pid"),
        pid.to_string(),
        "auditd did not register"
    );
    let ctl = |a: &[&str]| {
        let ok = Command::new("auditctl")
            .args(a)
            .stdout(Stdio::null())
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "auditctl {a:?}");
    };
    ctl(&["-b", &o.backlog.to_string()]);
    ctl(&[&["-a"][..], &STORM_RULE].concat());
    let lost0: u64 = auditctl_status("lost").parse().unwrap_or(0);
    ctl(&["-e", "1"]);
    let cpu0 = cpu_of(pid);
    let t0 = Instant::now();
    let spawned = collect(spawn_storm(o, &marker));
    let secs = t0.elapsed().as_secs_f64();
    ctl(&["-e", "0"]);
    let lost1: u64 = auditctl_status("lost").parse().unwrap_or(0);
    // Let auditd write what it has: wait until the log stops growing.
    let mut last = 0;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let len = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        if len == last {
            break;
        }
        last = len;
    }
    let cpu = cpu_of(pid) - cpu0;
    let needle = format!("a1=\"{marker}\"");
    let (mut seen, mut events) = (0, 0);
    for l in BufReader::new(File::open(&log).expect("auditd log")).lines() {
        let l = l.unwrap_or_default();
        if l.starts_with("type=SYSCALL") {
            events += 1;
        }
        if l.starts_with("type=EXECVE") && l.contains(&needle) {
            seen += 1;
        }
    }
    drop(guard);
    Outcome {
        spawned,
        seen,
        events,
        secs,
        kernel_lost: lost1.saturating_sub(lost0),
        overruns: 0,
        cpu_secs: cpu,
    }
}

fn report(name: &str, r: &Outcome) {
    println!(
        "{name:<26} {:>9} {:>9} {:>9.0} {:>8} {:>9} {:>8.2} {:>11.3}",
        r.spawned,
        r.seen,
        r.seen as f64 / r.secs,
        r.kernel_lost,
        r.overruns,
        r.cpu_secs,
        r.cpu_secs * 1000.0 / (r.seen.max(1) as f64) * 1000.0,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--spawner") {
        spawner(args[1].parse().unwrap_or(1.0), &args[2]);
        return;
    }
    let mut o = Opts {
        seconds: 30.0,
        procs: 4,
        backlog: 8192,
        only: None,
        coalesce_ms: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--seconds" => o.seconds = val().parse().expect("--seconds N"),
            "--procs" => o.procs = val().parse().expect("--procs N"),
            "--backlog" => o.backlog = val().parse().expect("--backlog N"),
            "--only" => o.only = Some(val()),
            "--coalesce-ms" => o.coalesce_ms = Some(val().parse().expect("--coalesce-ms N")),
            _ => {
                eprintln!("usage: storm [--seconds 30] [--procs 4] [--backlog 8192] [--only auditstream|auditstream-async|auditd] [--coalesce-ms N]");
                std::process::exit(2);
            }
        }
    }
    let lock = File::create("/tmp/auditstream-kernel.lock").expect("lock file");
    lock.lock().expect("kernel lock");
    println!(
        "# storm: {} s, {} spawner processes x 4 threads, backlog_limit {}, {}",
        o.seconds,
        o.procs,
        o.backlog,
        std::env::consts::ARCH
    );
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>8} {:>9} {:>8} {:>11}",
        "reader", "spawned", "received", "events/s", "k.lost", "overruns", "cpu s", "cpu ms/1k"
    );
    let only = o.only.as_deref();
    if only.is_none() || only == Some("auditstream") {
        report(
            "auditstream (daemon)",
            &run_auditstream(&o, Reader::Blocking),
        );
    }
    if only == Some("auditstream-async") || (only.is_none() && cfg!(feature = "tokio")) {
        report(
            "auditstream (async Stream)",
            &run_auditstream(&o, Reader::Async),
        );
    }
    if only.is_none() || only == Some("auditd") {
        report("auditd 3.0.9 (RAW log)", &run_auditd(&o));
    }
}
