//! The kernel-test harness shared by tests/kernel_*.rs: exclusive use of the
//! kernel's audit state (a lock file shared with other tools and a
//! process-wide mutex), restore and check on every exit path, and an auditd
//! started for a test.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use auditstream::source::netlink::{AuditSocket, Mode, NetlinkError, Status};

pub const LOCK_PATH: &str = "/tmp/auditstream-kernel.lock";
static SERIAL: Mutex<()> = Mutex::new(());

/// Exclusive use of the kernel's audit state for one test; on drop (also when
/// the test panics) it restores the state found and checks it.
pub struct Kernel {
    pub before: Status,
    _file: File,
    _serial: MutexGuard<'static, ()>,
}

pub fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        == Some("0")
}

/// Takes the kernel, or returns `None` (after saying why) when the test
/// cannot run here.
pub fn kernel() -> Option<Kernel> {
    if !is_root() {
        super::skip("kernel audit tests need root");
        return None;
    }
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK_PATH)
        .expect("open lock file");
    #[allow(clippy::incompatible_msrv)] // tests run on a recent toolchain
    file.lock().expect("lock /tmp/auditstream-kernel.lock");
    let before = match AuditSocket::open(Mode::Control).and_then(|mut s| s.status()) {
        Ok(s) => s,
        Err(NetlinkError::Unsupported(e)) => {
            super::skip(&format!("no kernel audit support ({e})"));
            return None;
        }
        Err(e) => panic!("cannot read the audit status: {e}"),
    };
    assert_eq!(
        before.enabled, 0,
        "audit must be disabled before the test: {before:?}"
    );
    assert_eq!(
        before.pid, 0,
        "no audit daemon may be registered before the test: {before:?}"
    );
    Some(Kernel {
        before,
        _file: file,
        _serial: serial,
    })
}

impl Kernel {
    /// Puts back whatever a failed test left, then asserts the state is clean.
    pub fn restore_and_check(&self) -> Result<(), String> {
        let mut s = AuditSocket::open(Mode::Control).map_err(|e| e.to_string())?;
        let mut st = s.status().map_err(|e| e.to_string())?;
        let rules = s.list_rules().map_err(|e| e.to_string())?;
        let dirty = st.enabled != 0
            || st.pid != 0
            || !rules.is_empty()
            || st.backlog_limit != self.before.backlog_limit
            || st.rate_limit != self.before.rate_limit
            || st.failure != self.before.failure
            || st.backlog_wait_time != self.before.backlog_wait_time;
        if !dirty {
            return Ok(());
        }
        let report = format!(
            "kernel left dirty: {st:?}, rules: {:?}",
            rules.iter().map(|r| r.to_string()).collect::<Vec<_>>()
        );
        for r in &rules {
            let _ = s.delete_rule(r);
        }
        let _ = s.set_enabled(false);
        let _ = s.set_backlog_limit(self.before.backlog_limit);
        let _ = s.set_rate_limit(self.before.rate_limit);
        if let Some(mode) = self.before.failure_mode() {
            let _ = s.set_failure(mode);
        }
        if let Some(w) = self.before.backlog_wait_time {
            let _ = s.set_backlog_wait_time(w);
        }
        if st.pid == std::process::id() {
            let _ = s.set_pid(0);
        }
        st = s.status().map_err(|e| e.to_string())?;
        Err(format!("{report}; after forced restore: {st:?}"))
    }

    /// Asserts the kernel is back to the state found (call at a test's end).
    pub fn assert_clean(&self) {
        if let Err(e) = self.restore_and_check() {
            panic!("{e}");
        }
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.restore_and_check();
        }
    }
}

pub fn status() -> Status {
    AuditSocket::open(Mode::Control).unwrap().status().unwrap()
}

/// auditd started by a test: `auditd -n -s nochange -c DIR`, stopped on drop.
pub struct Auditd {
    pub child: Child,
    pub dir: PathBuf,
}

/// How a test's auditd writes its log.
#[derive(Default)]
pub struct AuditdConfig {
    /// `max_log_file` in MB with `max_log_file_action = ROTATE` and
    /// `num_logs`, or no rotation.
    pub rotate: Option<(u32, u32)>,
    /// Plugin configurations for its `plugins.d`: (file name, text).
    pub plugins: Vec<(String, String)>,
    /// `flush`: INCREMENTAL_ASYNC with `freq = 1000` by default; `Some(n)`:
    /// INCREMENTAL_ASYNC every `n` records.
    pub freq: Option<u32>,
}

impl Auditd {
    pub fn start() -> Option<Auditd> {
        Auditd::start_with(AuditdConfig::default())
    }

    /// The log file it writes.
    pub fn log(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    pub fn start_with(cfg: AuditdConfig) -> Option<Auditd> {
        let bin = ["/usr/sbin/auditd", "/sbin/auditd"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let dir = std::env::temp_dir().join(format!("auditstream-auditd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("plugins.d")).unwrap();
        for (name, text) in &cfg.plugins {
            let p = dir.join("plugins.d").join(name);
            std::fs::write(&p, text).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let (max_log_file, action, num_logs) = match cfg.rotate {
            Some((mb, n)) => (mb, "ROTATE", n),
            None => (100, "IGNORE", 0),
        };
        let freq = cfg.freq.unwrap_or(1000);
        let conf = format!(
            "local_events = yes\nwrite_logs = yes\nlog_file = {log}\nlog_group = root\nlog_format = RAW\n\
             flush = INCREMENTAL_ASYNC\nfreq = {freq}\nmax_log_file = {max_log_file}\nnum_logs = {num_logs}\npriority_boost = 4\n\
             name_format = NONE\nmax_log_file_action = {action}\nspace_left = 2\nspace_left_action = IGNORE\n\
             verify_email = no\naction_mail_acct = root\nadmin_space_left = 1\nadmin_space_left_action = IGNORE\n\
             disk_full_action = IGNORE\ndisk_error_action = IGNORE\nuse_libwrap = no\ntcp_listen_queue = 5\n\
             tcp_max_per_addr = 1\ntcp_client_max_idle = 0\ntransport = TCP\ndistribute_network = no\n\
             q_depth = 2000\noverflow_action = IGNORE\nmax_restarts = 10\nplugin_dir = {plugins}\n\
             end_of_event_timeout = 2\n",
            log = dir.join("audit.log").display(),
            plugins = dir.join("plugins.d").display(),
        );
        let conf_path = dir.join("auditd.conf");
        std::fs::write(&conf_path, conf).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&conf_path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let child = Command::new(bin)
            .args(["-n", "-s", "nochange", "-c"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let auditd = Auditd { child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if status().pid == auditd.child.id() {
                return Some(auditd);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("auditd did not register within 10 s");
    }
}

impl Drop for Auditd {
    fn drop(&mut self) {
        // SIGTERM by pid: auditd unregisters itself on a clean shutdown
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
