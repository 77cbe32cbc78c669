//! The SYSCALL record's process and result fields, shared by exec and socket
//! events.

use std::borrow::Cow;

use crate::bytes::{opt, List};
use crate::decode::Arch;
use crate::record::{Field, Record};

/// The SYSCALL record of an event: which syscall, its result, and the process
/// that made it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Syscall<'a> {
    /// `arch=`: the audit arch of the call.
    pub arch: Option<Arch>,
    /// `syscall=`: the number (name it with [`Syscall::name`]).
    pub syscall: Option<u32>,
    /// `success=yes|no`.
    pub success: Option<bool>,
    /// `exit=`: the return value; negative errno on failure.
    pub exit: Option<i64>,
    /// `a0`..`a3`: the first four arguments.
    pub args: [Option<u64>; 4],
    /// `items=`: the number of PATH records.
    pub items: Option<u32>,
    /// `ppid=`.
    pub ppid: Option<u32>,
    /// `pid=`.
    pub pid: Option<u32>,
    /// `auid=`; `None` when unset (4294967295).
    pub auid: Option<u32>,
    /// `uid=`.
    pub uid: Option<u32>,
    /// `gid=`.
    pub gid: Option<u32>,
    /// `euid=`.
    pub euid: Option<u32>,
    /// `suid=`.
    pub suid: Option<u32>,
    /// `fsuid=`.
    pub fsuid: Option<u32>,
    /// `egid=`.
    pub egid: Option<u32>,
    /// `sgid=`.
    pub sgid: Option<u32>,
    /// `fsgid=`.
    pub fsgid: Option<u32>,
    /// `ses=`; `None` when unset (4294967295).
    pub ses: Option<u32>,
    /// `tty=` (`(none)` when the process has no terminal).
    pub tty: Option<Cow<'a, [u8]>>,
    /// `comm=`: the task name (at most 16 bytes, set by the process).
    pub comm: Option<Cow<'a, [u8]>>,
    /// `exe=`: the executable's path.
    pub exe: Option<Cow<'a, [u8]>>,
    /// `key=`: the keys of the rules that matched (none for `key=(null)`).
    pub keys: Vec<Cow<'a, [u8]>>,
}

impl std::fmt::Debug for Syscall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Syscall {
            arch,
            syscall,
            success,
            exit,
            args,
            items,
            ppid,
            pid,
            auid,
            uid,
            gid,
            euid,
            suid,
            fsuid,
            egid,
            sgid,
            fsgid,
            ses,
            tty,
            comm,
            exe,
            keys,
        } = self;
        f.debug_struct("Syscall")
            .field("arch", arch)
            .field("syscall", syscall)
            .field("success", success)
            .field("exit", exit)
            .field("args", args)
            .field("items", items)
            .field("ppid", ppid)
            .field("pid", pid)
            .field("auid", auid)
            .field("uid", uid)
            .field("gid", gid)
            .field("euid", euid)
            .field("suid", suid)
            .field("fsuid", fsuid)
            .field("egid", egid)
            .field("sgid", sgid)
            .field("fsgid", fsgid)
            .field("ses", ses)
            .field("tty", &opt(tty))
            .field("comm", &opt(comm))
            .field("exe", &opt(exe))
            .field("keys", &List(keys))
            .finish()
    }
}

impl<'a> Syscall<'a> {
    /// Reads the fields of a SYSCALL record, in one pass.
    pub fn from_record(r: &Record<'a>) -> Syscall<'a> {
        let mut s = Syscall::default();
        for f in r.fields() {
            s.set(&f);
        }
        s
    }

    fn set(&mut self, f: &Field<'a>) {
        let id = |f: &Field| f.as_id().flatten();
        let num = |f: &Field| f.as_u64().and_then(|n| u32::try_from(n).ok());
        match f.key() {
            b"arch" => self.arch = f.as_hex().and_then(|a| u32::try_from(a).ok()).map(Arch),
            b"syscall" => self.syscall = num(f),
            b"success" => {
                self.success = match f.raw() {
                    b"yes" => Some(true),
                    b"no" => Some(false),
                    _ => None,
                }
            }
            b"exit" => self.exit = f.as_i64(),
            b"a0" => self.args[0] = f.as_hex(),
            b"a1" => self.args[1] = f.as_hex(),
            b"a2" => self.args[2] = f.as_hex(),
            b"a3" => self.args[3] = f.as_hex(),
            b"items" => self.items = num(f),
            b"ppid" => self.ppid = num(f),
            b"pid" => self.pid = num(f),
            b"auid" => self.auid = id(f),
            b"uid" => self.uid = id(f),
            b"gid" => self.gid = id(f),
            b"euid" => self.euid = id(f),
            b"suid" => self.suid = id(f),
            b"fsuid" => self.fsuid = id(f),
            b"egid" => self.egid = id(f),
            b"sgid" => self.sgid = id(f),
            b"fsgid" => self.fsgid = id(f),
            b"ses" => self.ses = id(f),
            b"tty" => self.tty = f.bytes(),
            b"comm" => self.comm = f.bytes(),
            b"exe" => self.exe = f.bytes(),
            b"key" => self.keys = f.keys().collect(),
            _ => {}
        }
    }

    /// The syscall's name on its arch (`execve`).
    pub fn name(&self) -> Option<&'static str> {
        self.arch?.syscall_name(self.syscall?)
    }

    /// The errno name of a failed call (`exit=-2` is `ENOENT`); `None` for
    /// an exit value that is not a negative errno (a success, a pid, an fd).
    ///
    /// The numbers are those of x86, arm, riscv, loongarch, s390 and powerpc
    /// (asm-generic); the few arches with their own errno numbers (alpha,
    /// mips, sparc, parisc) are not decoded.
    pub fn errno(&self) -> Option<&'static str> {
        let exit = self.exit?;
        if !(-4095..0).contains(&exit) {
            return None;
        }
        crate::tables::errno_name(exit.unsigned_abs() as u32)
    }

    /// What the call is for this crate: exec, socket or something else. The
    /// i386 `socketcall` multiplexer is resolved through its first argument.
    pub fn class(&self) -> SyscallClass {
        let Some(name) = self.name() else {
            return SyscallClass::Other;
        };
        let name = if name == "socketcall" {
            // SYS_BIND 2, SYS_CONNECT 3, SYS_ACCEPT 5, SYS_ACCEPT4 18
            match self.args[0] {
                Some(2) => "bind",
                Some(3) => "connect",
                Some(5) => "accept",
                Some(18) => "accept4",
                _ => name,
            }
        } else {
            name
        };
        match name {
            "execve" | "execveat" => SyscallClass::Exec,
            "connect" => SyscallClass::Socket(SocketOp::Connect),
            "bind" => SyscallClass::Socket(SocketOp::Bind),
            "accept" => SyscallClass::Socket(SocketOp::Accept),
            "accept4" => SyscallClass::Socket(SocketOp::Accept4),
            _ => SyscallClass::Other,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Syscall<'static> {
        Syscall {
            tty: self.tty.map(own),
            comm: self.comm.map(own),
            exe: self.exe.map(own),
            keys: self.keys.into_iter().map(own).collect(),
            arch: self.arch,
            syscall: self.syscall,
            success: self.success,
            exit: self.exit,
            args: self.args,
            items: self.items,
            ppid: self.ppid,
            pid: self.pid,
            auid: self.auid,
            uid: self.uid,
            gid: self.gid,
            euid: self.euid,
            suid: self.suid,
            fsuid: self.fsuid,
            egid: self.egid,
            sgid: self.sgid,
            fsgid: self.fsgid,
            ses: self.ses,
        }
    }
}

/// What a syscall is, for event building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallClass {
    /// execve, execveat.
    Exec,
    /// connect, bind, accept, accept4 (also through i386 socketcall).
    Socket(SocketOp),
    /// Anything else.
    Other,
}

/// The socket syscall of a [`SocketEvent`](super::SocketEvent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum SocketOp {
    /// connect(2).
    Connect,
    /// bind(2).
    Bind,
    /// accept(2).
    Accept,
    /// accept4(2).
    Accept4,
}

impl SocketOp {
    /// The syscall name.
    pub fn name(self) -> &'static str {
        match self {
            SocketOp::Connect => "connect",
            SocketOp::Bind => "bind",
            SocketOp::Accept => "accept",
            SocketOp::Accept4 => "accept4",
        }
    }
}

impl std::fmt::Display for SocketOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) fn own(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
    Cow::Owned(c.into_owned())
}
