//! The live socket as an async `Stream` (feature `tokio`) on the real
//! kernel, used the way an agent uses it: a runtime, a `select!` loop that
//! also serves a timer (which cancels a pending `next()` hundreds of times),
//! and a shutdown signal (SIGUSR2, sent by the workload when it is done)
//! after which `close()` drains the rest. 1,000 execs with a unique marker
//! argument must come out exactly once each, between the stream and what
//! `close()` returns, with no loss; the kernel is restored.
//!
//! And a `Queued` stream read by a consumer that is too slow: it drops
//! events and says so, as `LossSource::Consumer` events that add up to its
//! drop counter, and never gives an event twice.
//!
//! Needs root and a kernel with audit; holds the kernel-test lock (see
//! tests/common/kernel.rs).
#![cfg(all(feature = "tokio", feature = "netlink", target_os = "linux"))]

use std::process::Command;
use std::time::{Duration, Instant};

use auditstream::event::{EventBuf, EventKind, LossSource};
use auditstream::source::netlink::{LiveConfig, LiveEvents, Mode};
use auditstream::source::tokio::{LiveStream, Queued};

mod common;
use common::kernel;

const EXECS: usize = 1000;
const DEADLINE: Duration = Duration::from_secs(90);
/// A backlog limit that a burst of 1,000 execs cannot fill (restored after).
const BACKLOG_LIMIT: u32 = 8192;

/// Execs `/bin/true {marker}N`, N = 0..EXECS.
fn execs(marker: &str) {
    for n in 0..EXECS {
        let st = Command::new("/bin/true")
            .arg(format!("{marker}{n}"))
            .status()
            .expect("run /bin/true");
        assert!(st.success());
    }
}

/// What the test saw of the marked execs, and the loss.
struct Seen {
    marker: String,
    execs: Vec<u32>,
    other_marked: Vec<String>,
    kernel_lost: u64,
    consumer_lost: u64,
    events: u64,
}

impl Seen {
    fn new(marker: &str) -> Seen {
        Seen {
            marker: marker.to_owned(),
            execs: vec![0; EXECS],
            other_marked: Vec::new(),
            kernel_lost: 0,
            consumer_lost: 0,
            events: 0,
        }
    }

    fn see(&mut self, ev: &EventBuf) {
        self.events += 1;
        match ev.event().kind {
            EventKind::Exec(x) => {
                let m = self.marker.as_bytes();
                if !x.argv.iter().any(|a| a.windows(m.len()).any(|s| s == m)) {
                    return;
                }
                let n = match &x.argv[..] {
                    [a0, a1] if &a0[..] == b"/bin/true" => std::str::from_utf8(a1)
                        .ok()
                        .and_then(|s| s.strip_prefix(&self.marker))
                        .and_then(|s| s.parse::<usize>().ok())
                        .filter(|&n| n < EXECS),
                    _ => None,
                };
                match n {
                    Some(n) if x.syscall.success == Some(true) => self.execs[n] += 1,
                    _ => self.other_marked.push(format!("{x:?}")),
                }
            }
            EventKind::Lost(l) if l.source == LossSource::Consumer => self.consumer_lost += l.count,
            EventKind::Lost(l) => self.kernel_lost += l.count,
            _ => {}
        }
    }

    fn missing(&self) -> Vec<usize> {
        (0..EXECS).filter(|&n| self.execs[n] == 0).collect()
    }

    fn twice(&self) -> Vec<usize> {
        (0..EXECS).filter(|&n| self.execs[n] > 1).collect()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn daemon() -> LiveEvents {
    let mut cfg = LiveConfig::new(Mode::Daemon);
    cfg.backlog_limit = Some(BACKLOG_LIMIT);
    LiveEvents::with_config(cfg).expect("open the audit socket")
}

#[test]
fn live_stream_in_a_select_loop_is_exact_through_shutdown() {
    let Some(k) = kernel() else { return };
    let marker = format!("auditstream-tokio-{}-", std::process::id());
    let mut seen = Seen::new(&marker);
    let mut ticks = 0u64;
    let mut errors = Vec::new();
    let rt = runtime();
    let closed = rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut shutdown = signal(SignalKind::user_defined2()).unwrap();
        let mut events = LiveStream::new(daemon()).unwrap();
        let m = marker.clone();
        let worker = tokio::task::spawn_blocking(move || {
            execs(&m);
            // the agent's shutdown signal, sent as soon as the workload is
            // done: events of the last execs are still on their way
            // SAFETY: kill(2) on this process with a signal tokio handles.
            assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) }, 0);
        });
        let deadline = tokio::time::sleep(DEADLINE);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(Duration::from_millis(2));
        loop {
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => seen.see(&ev),
                    Some(Err(e)) => errors.push(e.to_string()),
                    None => break,
                },
                // a pending next() is dropped each time this wins
                _ = tick.tick() => ticks += 1,
                _ = shutdown.recv() => break,
                _ = &mut deadline => break,
            }
        }
        worker.await.expect("the workload");
        events.close().await.expect("close restores the kernel")
    });
    drop(rt);
    let in_close = closed.events.len();
    for ev in &closed.events {
        seen.see(ev);
    }
    let live = closed.stats.live.expect("live counters");
    eprintln!(
        "{} events from the stream, {in_close} from close; {ticks} timer ticks; {:?}",
        seen.events - in_close as u64,
        closed.stats
    );
    assert!(errors.is_empty(), "errors: {errors:?}");
    assert!(
        seen.missing().is_empty() && seen.twice().is_empty(),
        "execs missing: {:?}, seen more than once: {:?}",
        seen.missing(),
        seen.twice()
    );
    assert!(seen.other_marked.is_empty(), "{:?}", seen.other_marked);
    assert_eq!((seen.kernel_lost, seen.consumer_lost), (0, 0));
    assert_eq!((live.kernel_lost, live.socket_lost), (0, 0));
    assert_eq!(closed.stats.parse_errors, 0);
    // the timer really did cancel pending reads
    assert!(ticks > 100, "{ticks} ticks");
    k.assert_clean();
}

#[test]
fn queued_stream_with_a_slow_consumer_reports_its_drops() {
    let Some(k) = kernel() else { return };
    let marker = format!("auditstream-tokio-q-{}-", std::process::id());
    let mut seen = Seen::new(&marker);
    let rt = runtime();
    let (dropped, tail) = rt.block_on(async {
        let mut queue = Queued::spawn(LiveStream::new(daemon()).unwrap(), 16);
        let m = marker.clone();
        let worker = tokio::task::spawn_blocking(move || execs(&m));
        let deadline = tokio::time::Instant::now() + DEADLINE;
        // a consumer slower than the execs: 5 ms per event
        while !worker.is_finished() && tokio::time::Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(200), queue.next()).await {
                Ok(Some(Ok(ev))) => seen.see(&ev),
                Ok(Some(Err(e))) => panic!("{e}"),
                Ok(None) => panic!("the source ended"),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        worker.await.expect("the workload");
        // what the queue holds after the workload, without the slowness
        while let Ok(Some(item)) =
            tokio::time::timeout(Duration::from_millis(500), queue.next()).await
        {
            seen.see(&item.unwrap());
        }
        let dropped = queue.dropped();
        assert_eq!(queue.stats().consumer_dropped, dropped);
        let closed = queue.close().await.expect("close restores the kernel");
        assert_eq!(closed.stats.consumer_dropped, dropped);
        (dropped, closed.events)
    });
    drop(rt);
    for ev in &tail {
        seen.see(ev);
    }
    let got = EXECS - seen.missing().len();
    eprintln!(
        "dropped {dropped}, reported {}; {got} of {EXECS} marked execs seen",
        seen.consumer_lost
    );
    assert!(
        dropped > 0,
        "the consumer kept up: the test cannot check drops"
    );
    assert_eq!(seen.consumer_lost, dropped, "every drop is reported");
    assert!(seen.twice().is_empty(), "{:?}", seen.twice());
    assert!(seen.other_marked.is_empty(), "{:?}", seen.other_marked);
    // each marked exec was either handed out or is among the drops
    assert!(got as u64 + dropped >= EXECS as u64);
    assert_eq!(seen.kernel_lost, 0);
    k.assert_clean();
}

/// The audit-tail example binary built next to this test (`cargo test`
/// builds the examples with the tests).
fn audit_tail() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("examples").join("audit-tail");
    p.exists().then_some(p)
}

/// A running audit-tail: stopped by SIGTERM (it then restores the kernel),
/// killed after 10 s, also when the test fails midway, so that no daemon
/// stays registered.
struct Tail(std::process::Child);

impl Drop for Tail {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SAFETY: kill(2) on the child's pid, which has not been reaped.
            unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `audit-tail` and `audit-tail --async` under the same marked execs: each
/// writes every one exactly once, stops on SIGTERM with status 0, and
/// restores the kernel.
#[test]
fn audit_tail_blocking_and_async_write_the_same_events() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let Some(k) = kernel() else { return };
    let Some(tail) = audit_tail() else {
        common::skip("the audit-tail example is not built (run the whole `cargo test`)");
        return;
    };
    const N: usize = 200;
    for mode in [None, Some("--async")] {
        let marker = format!(
            "auditstream-tail-{}-{}-",
            std::process::id(),
            mode.is_some()
        );
        let mut child = Tail(
            Command::new(&tail)
                .args(mode)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let child = &mut child.0;
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
        });
        // ready once it says how to stop it (after its context line)
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut head = String::new();
        while !head.contains("SIGTERM to stop") {
            let n = stderr.read_line(&mut head).unwrap();
            assert!(n > 0, "audit-tail ended before it was ready: {head}");
        }
        for n in 0..N {
            let st = Command::new("/bin/true")
                .arg(format!("{marker}{n}"))
                .status()
                .unwrap();
            assert!(st.success());
        }
        // SAFETY: kill(2) on the child's pid, which has not been reaped.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        let status = child.wait().unwrap();
        let lines = reader.join().unwrap();
        let mut seen = vec![0; N];
        for l in &lines {
            for (n, c) in seen.iter_mut().enumerate() {
                if l.contains(&format!("\"argv\":[\"/bin/true\",\"{marker}{n}\"]")) {
                    *c += 1;
                }
            }
        }
        eprintln!("{mode:?}: {} lines; {}", lines.len(), rest.trim());
        assert!(status.success(), "{mode:?}: {status:?}\n{rest}");
        assert!(
            seen.iter().all(|&c| c == 1),
            "{mode:?}: counts {:?}",
            seen.iter()
                .enumerate()
                .filter(|(_, &c)| c != 1)
                .collect::<Vec<_>>()
        );
        assert!(rest.contains("restored: enabled 0 pid 0"), "{rest}");
        assert!(rest.contains("loss: kernel 0, socket 0"), "{rest}");
    }
    k.assert_clean();
}
