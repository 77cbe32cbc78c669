//! Reading `/proc/PID/*` of live processes, every file of one process
//! through one open directory: once the directory is open, a read through it
//! fails (rather than reading another process) if the process has exited,
//! even when its pid has been reused since.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Longest `stat` file read (a 16-byte comm and 50 numbers fit many times).
const MAX_STAT: u64 = 4096;
/// Longest `environ` read: variables past it are not seen.
pub const MAX_ENVIRON: u64 = 64 * 1024;

/// Where `/proc` is (another directory of the same shape in tests).
#[derive(Debug, Clone)]
pub(crate) struct ProcFs {
    root: PathBuf,
}

/// What `/proc/PID/stat` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stat {
    pub ppid: u32,
    /// Field 22: start time in clock ticks since boot.
    pub start: u64,
    pub comm: Vec<u8>,
}

/// One process's directory, open.
pub(crate) struct ProcDir {
    dir: File,
}

impl ProcFs {
    pub(crate) fn new(root: impl Into<PathBuf>) -> ProcFs {
        ProcFs { root: root.into() }
    }

    /// Opens the directory of `pid`; `None` if there is no such process.
    pub(crate) fn open(&self, pid: u32) -> Option<ProcDir> {
        let mut p = self.root.clone();
        p.push(pid.to_string());
        let dir = File::open(p).ok()?;
        dir.metadata().ok()?.is_dir().then_some(ProcDir { dir })
    }

    /// The pids listed in the directory.
    pub(crate) fn pids(&self) -> Vec<u32> {
        let Ok(rd) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        rd.filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name();
            let s = std::str::from_utf8(name.as_bytes()).ok()?;
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        })
        .collect()
    }
}

impl ProcDir {
    /// A file of this process's directory, through the open directory.
    fn path(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}/{name}", self.dir.as_raw_fd()))
    }

    /// At most `limit` bytes of a file; `None` if it cannot be read.
    pub(crate) fn read(&self, name: &str, limit: u64) -> Option<Vec<u8>> {
        let f = File::open(self.path(name)).ok()?;
        let mut out = Vec::new();
        f.take(limit).read_to_end(&mut out).ok()?;
        Some(out)
    }

    /// The `stat` file, parsed; `None` if it cannot be read or is not the
    /// shape the kernel writes.
    pub(crate) fn stat(&self) -> Option<Stat> {
        parse_stat(&self.read("stat", MAX_STAT)?)
    }

    /// The target of the `exe` link; `None` if it cannot be read (a kernel
    /// thread, a process gone, no permission).
    pub(crate) fn exe(&self) -> Option<Vec<u8>> {
        let t = std::fs::read_link(self.path("exe")).ok()?;
        Some(t.as_os_str().as_bytes().to_vec())
    }

    /// The executable itself, opened through the `exe` link.
    #[cfg(feature = "exe-hash")]
    pub(crate) fn open_exe(&self) -> Option<File> {
        File::open(self.path("exe")).ok()
    }
}

/// `PID (COMM) S PPID ... STARTTIME ...`: the comm may hold spaces and `)`,
/// so the fields start after the last `)`.
pub(crate) fn parse_stat(b: &[u8]) -> Option<Stat> {
    let open = memchr::memchr(b'(', b)?;
    let close = memchr::memrchr(b')', b)?;
    if close < open {
        return None;
    }
    let comm = b[open + 1..close].to_vec();
    let mut fields = b[close + 1..]
        .split(|c| c.is_ascii_whitespace())
        .filter(|s| !s.is_empty());
    let num = |s: &[u8]| -> Option<u64> {
        if s.is_empty() || s.len() > 20 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let _state = fields.next()?;
    let ppid = u32::try_from(num(fields.next()?)?).ok()?;
    // fields 5..=21 (17 of them), then 22: starttime
    let start = num(fields.nth(17)?)?;
    Some(Stat { ppid, start, comm })
}

/// argv from `cmdline` (NUL-separated, a NUL at the end).
pub(crate) fn split_cmdline(b: &[u8]) -> Vec<&[u8]> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == 0).collect()
}

/// The value of `name` in an `environ` file (`NAME=value` NUL-separated).
pub(crate) fn env_value<'e>(environ: &'e [u8], name: &[u8]) -> Option<&'e [u8]> {
    environ.split(|&c| c == 0).find_map(|kv| {
        let v = kv.strip_prefix(name)?;
        v.strip_prefix(b"=")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let line = b"4242 (a) b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                ppid: 17,
                start: 987654,
                comm: b"a) b) c".to_vec()
            })
        );
        for bad in [
            &b""[..],
            b"1 (x",
            b"1 x) S 1",
            b"1 (x) S",
            b"1 (x) S -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5",
            b"1 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
            b"1 (x) S 99999999999 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5",
            b"1 )x( S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5",
        ] {
            assert_eq!(parse_stat(bad), None, "{:?}", crate::BStr(bad));
        }
    }

    /// A process that exits after its directory was opened (and is reaped,
    /// so its pid may be reused): every read through the directory fails,
    /// none reads another process.
    #[test]
    fn a_process_gone_after_open_reads_nothing() {
        let fs = ProcFs::new("/proc");
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .unwrap();
        let dir = fs.open(child.id()).unwrap();
        let st = dir.stat().unwrap();
        assert_eq!(st.ppid, std::process::id());
        // (once it has exec'd)
        let t0 = std::time::Instant::now();
        while !dir
            .read("cmdline", 100)
            .is_some_and(|c| c.starts_with(b"sleep"))
        {
            assert!(t0.elapsed().as_secs() < 5, "sleep did not start");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(dir.stat(), None);
        assert_eq!(dir.exe(), None);
        assert_eq!(dir.read("cgroup", 100), None);
        assert_eq!(dir.read("cmdline", 100), None);
    }

    #[test]
    fn cmdline_and_environ() {
        assert_eq!(
            split_cmdline(b"ls\0-l\0\0x\0"),
            [&b"ls"[..], b"-l", b"", b"x"]
        );
        assert!(split_cmdline(b"").is_empty());
        let env = b"A=1\0LD_PRELOAD=/x.so\0LD=2\0";
        assert_eq!(env_value(env, b"LD_PRELOAD"), Some(&b"/x.so"[..]));
        assert_eq!(env_value(env, b"LD"), Some(&b"2"[..]));
        assert_eq!(env_value(env, b"B"), None);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes: no panic; a parsed stat's comm is between the first
        /// `(` and the last `)`.
        #[test]
        fn any_stat(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Some(st) = parse_stat(&b) {
                let open = b.iter().position(|&c| c == b'(').unwrap();
                prop_assert_eq!(&b[open + 1..open + 1 + st.comm.len()], &st.comm[..]);
            }
            let _ = split_cmdline(&b);
            let _ = env_value(&b, b"X");
        }

        /// A well-formed stat line with any comm parses back.
        #[test]
        fn stat_round_trip(comm in proptest::collection::vec(any::<u8>(), 0..16), ppid: u32, start: u64) {
            let mut line = b"42 (".to_vec();
            line.extend_from_slice(&comm);
            line.extend_from_slice(format!(") S {ppid} 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 {start} 0 0\n").as_bytes());
            let st = parse_stat(&line).unwrap();
            prop_assert_eq!(st.ppid, ppid);
            prop_assert_eq!(st.start, start);
            prop_assert_eq!(st.comm, comm);
        }
    }
}
