//! A directory shaped like `/proc` for the context tests: processes with
//! the files the tracker reads, start times relative to this machine's boot
//! (so that they compare with event times of now), and events of now.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A temporary `/proc`-like directory, removed on drop.
pub struct FakeProc {
    pub root: PathBuf,
}

/// A process to write into it.
pub struct FakeProcess<'a> {
    pub pid: u32,
    pub ppid: u32,
    /// Seconds before now it started (negative: in the future).
    pub age_secs: f64,
    pub comm: &'a str,
    /// The `exe` link's target (`None`: no link).
    pub exe: Option<&'a str>,
    pub argv: &'a [&'a str],
    pub cgroup: &'a [u8],
    pub environ: &'a [u8],
}

impl Default for FakeProcess<'_> {
    fn default() -> Self {
        FakeProcess {
            pid: 1,
            ppid: 0,
            age_secs: 1000.0,
            comm: "init",
            exe: Some("/sbin/init"),
            argv: &["/sbin/init"],
            cgroup: b"0::/init.scope\n",
            environ: b"",
        }
    }
}

/// Seconds since boot now (CLOCK_BOOTTIME, as /proc/uptime).
pub fn uptime() -> f64 {
    let s = std::fs::read_to_string("/proc/uptime").unwrap();
    s.split_whitespace().next().unwrap().parse().unwrap()
}

/// Milliseconds since the epoch now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl FakeProc {
    pub fn new(name: &str) -> FakeProc {
        let root = std::env::temp_dir().join(format!(
            "auditstream-fakeproc-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        FakeProc { root }
    }

    pub fn dir(&self, pid: u32) -> PathBuf {
        self.root.join(pid.to_string())
    }

    /// Writes (or rewrites) a process.
    pub fn add(&self, p: &FakeProcess<'_>) {
        let d = self.dir(p.pid);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let ticks = ((uptime() - p.age_secs) * 100.0).max(0.0) as u64;
        self.write_stat(p.pid, p.comm, p.ppid, ticks);
        let mut cmd = Vec::new();
        for a in p.argv {
            cmd.extend_from_slice(a.as_bytes());
            cmd.push(0);
        }
        std::fs::write(d.join("cmdline"), cmd).unwrap();
        std::fs::write(d.join("cgroup"), p.cgroup).unwrap();
        std::fs::write(d.join("environ"), p.environ).unwrap();
        std::fs::write(
            d.join("status"),
            format!("Name:\t{}\nNSpid:\t{}\n", p.comm, p.pid),
        )
        .unwrap();
        if let Some(exe) = p.exe {
            symlink(exe, d.join("exe")).unwrap();
        }
    }

    /// Writes a process's `stat` with this start time in ticks.
    pub fn write_stat(&self, pid: u32, comm: &str, ppid: u32, ticks: u64) {
        let stat = format!(
            "{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {ticks} 1000 100 18446744073709551615\n"
        );
        std::fs::write(self.dir(pid).join("stat"), stat).unwrap();
    }

    pub fn remove(&self, pid: u32) {
        let _ = std::fs::remove_dir_all(self.dir(pid));
    }

    pub fn path(&self) -> &Path {
        &self.root
    }
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The records of an execve at `ms` (epoch milliseconds), EOE included.
pub fn exec_event(ms: u64, serial: u32, pid: u32, ppid: u32, exe: &str, argv: &[&str]) -> String {
    let (sec, msec) = (ms / 1000, ms % 1000);
    let hdr = format!("msg=audit({sec}.{msec:03}:{serial}):");
    let comm = exe.rsplit('/').next().unwrap();
    let mut s = format!(
        "type=SYSCALL {hdr} arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=1 ppid={ppid} pid={pid} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm=\"{comm}\" exe=\"{exe}\" key=\"exec\"\n"
    );
    s.push_str(&format!("type=EXECVE {hdr} argc={}", argv.len()));
    for (i, a) in argv.iter().enumerate() {
        s.push_str(&format!(" a{i}=\"{a}\""));
    }
    s.push('\n');
    s.push_str(&format!("type=PATH {hdr} item=0 name=\"{exe}\" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n"));
    s.push_str(&format!("type=PROCTITLE {hdr} proctitle=74727565\n"));
    s.push_str(&format!("type=EOE {hdr} \n"));
    s
}

/// The records of a connect from `pid` at `ms`.
pub fn connect_event(ms: u64, serial: u32, pid: u32, ppid: u32, exe: &str) -> String {
    let (sec, msec) = (ms / 1000, ms % 1000);
    let hdr = format!("msg=audit({sec}.{msec:03}:{serial}):");
    let comm = exe.rsplit('/').next().unwrap();
    format!(
        "type=SYSCALL {hdr} arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=2 a2=10 a3=0 items=0 ppid={ppid} pid={pid} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm=\"{comm}\" exe=\"{exe}\" key=\"net\"\n\
         type=SOCKADDR {hdr} saddr=020000507F0000010000000000000000\n\
         type=PROCTITLE {hdr} proctitle=74727565\n\
         type=EOE {hdr} \n"
    )
}
