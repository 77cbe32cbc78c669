//! Tests against the real kernel: status, rules, daemon and read-only modes.
//!
//! They need root and a kernel with audit; without either they print why and
//! pass. Each test holds an exclusive lock on `/tmp/auditstream-kernel.lock`
//! (shared with other tools that touch the kernel's audit state) and a
//! process-wide mutex, and checks at the end that audit is disabled, no rules
//! are left, no daemon pid is set and the tunables are as found.
#![cfg(all(feature = "netlink", target_os = "linux"))]

use std::process::Command;
use std::time::{Duration, Instant};

use auditstream::decode::Arch;
use auditstream::source::netlink::{
    recv_buffer, AuditSession, AuditSocket, Mode, NetlinkError, Received, Rule,
};
use auditstream::Record;

const ENOENT: i32 = 2;
const EEXIST: i32 = 17;
const EINVAL: i32 = 22;

mod common;
use common::{kernel, status, Auditd};

fn test_key() -> String {
    format!("auditstream-test-{}", std::process::id())
}

/// Reads datagrams until one contains `marker`, or `deadline` passes.
fn wait_for_marker(
    session: &mut AuditSession,
    marker: &str,
    within: Duration,
) -> Option<(u16, Vec<u8>)> {
    session
        .socket_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = recv_buffer();
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        match session.recv(&mut buf).unwrap() {
            Received::Datagram(n) => {
                let Ok(rec) = Record::parse_netlink(&buf[..n]) else {
                    continue;
                };
                let payload = &rec.raw()[auditstream::record::NLMSG_HDRLEN..];
                if payload
                    .windows(marker.len())
                    .any(|w| w == marker.as_bytes())
                {
                    return Some((rec.record_type().0, payload.to_vec()));
                }
            }
            Received::Timeout | Received::Interrupted | Received::Overrun => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    None
}

fn exec_marker(marker: &str) {
    let st = Command::new("/bin/true")
        .arg(marker)
        .status()
        .expect("run /bin/true");
    assert!(st.success());
}

/// Enables audit with an execve rule keyed for this test, runs `/bin/true
/// MARKER`, and expects the EXECVE record on `session`.
fn receives_own_exec(session: &mut AuditSession) {
    let key = test_key();
    let rule = Rule::exit_always()
        .arch(Arch::B64)
        .syscalls(&["execve"])
        .unwrap()
        .key(&key);
    session.add_rule(&rule).unwrap();
    session.set_enabled(true).unwrap();
    let marker = format!(
        "auditstream-marker-{}-{:?}",
        std::process::id(),
        session.socket().mode()
    );
    exec_marker(&marker);
    let (ty, payload) = wait_for_marker(session, &marker, Duration::from_secs(10))
        .expect("the exec's EXECVE record");
    assert_eq!(ty, 1309, "EXECVE: {}", String::from_utf8_lossy(&payload));
    assert!(
        payload.starts_with(b"audit("),
        "{}",
        String::from_utf8_lossy(&payload)
    );
}

#[test]
fn status_get() {
    let Some(k) = kernel() else { return };
    let mut s = AuditSocket::open(Mode::ReadOnly).unwrap();
    let st = s.status().unwrap();
    let b = &k.before;
    assert_eq!(
        (
            st.enabled,
            st.failure,
            st.pid,
            st.rate_limit,
            st.backlog_limit,
            st.backlog_wait_time
        ),
        (
            b.enabled,
            b.failure,
            b.pid,
            b.rate_limit,
            b.backlog_limit,
            b.backlog_wait_time
        )
    );
    assert!(st.backlog_limit > 0);
    assert!(st.backlog_wait_time.is_some() && st.feature_bitmap.is_some());
    drop(s);
    k.assert_clean();
}

#[test]
fn set_and_restore_backlog_limit() {
    let Some(k) = kernel() else { return };
    let orig = k.before.backlog_limit;
    let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
    session.set_backlog_limit(orig + 123).unwrap();
    session.set_backlog_limit(orig + 321).unwrap();
    assert_eq!(status().backlog_limit, orig + 321);
    session.close().unwrap();
    assert_eq!(status().backlog_limit, orig);

    // the drop path restores too, for every tunable it changed
    {
        let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
        session.set_backlog_limit(orig + 7).unwrap();
        session.set_rate_limit(k.before.rate_limit + 100).unwrap();
        session.set_backlog_wait_time(1234).unwrap();
        let st = status();
        assert_eq!(
            (st.backlog_limit, st.rate_limit, st.backlog_wait_time),
            (orig + 7, k.before.rate_limit + 100, Some(1234))
        );
    }
    k.assert_clean();
}

#[test]
fn standard_rules_round_trip_through_the_kernel() {
    let Some(k) = kernel() else { return };
    let set = Rule::standard_set();
    let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
    session.add_rules(&set).unwrap();
    assert_eq!(session.list_rules().unwrap(), set);
    if let Ok(out) = Command::new("auditctl").arg("-l").output() {
        // our text is auditctl's
        let listed = String::from_utf8_lossy(&out.stdout);
        let ours: Vec<String> = set.iter().map(|r| r.to_string()).collect();
        assert_eq!(listed.lines().collect::<Vec<_>>(), ours);
    }
    session.delete_all_rules_added_by_us().unwrap();
    assert_eq!(session.list_rules().unwrap(), vec![]);
    session.close().unwrap();
    k.assert_clean();
}

#[test]
fn parsed_rules_round_trip_through_the_kernel() {
    let Some(k) = kernel() else { return };
    let key = test_key();
    let texts = [
        format!("-a always,exit -F arch=b64 -S execve,execveat -F auid>=1000 -F auid!=-1 -F key={key}"),
        format!("-a always,exit -F arch=b64 -S openat -F uid=0 -F success=0 -F exit=-ENOENT -F key={key}"),
        format!("-a never,exit -F arch=b32 -S all -F pid=1 -F key={key} -F key=second"),
        format!("-a always,exit -F arch=b64 -S socket -F a0=0xA -F sessionid!=-1 -F key={key}"),
    ];
    let rules: Vec<Rule> = texts.iter().map(|t| Rule::parse(t).unwrap()).collect();
    let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
    session.add_rules(&rules).unwrap();
    let listed = session.list_rules().unwrap();
    assert_eq!(listed, rules);
    let shown: Vec<String> = listed.iter().map(|r| r.to_string()).collect();
    assert_eq!(shown, texts);
    if let Ok(out) = Command::new("auditctl").arg("-l").output() {
        // our text is auditctl's
        let listed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(listed.lines().collect::<Vec<_>>(), shown);
    }

    // kernel errors come back typed
    match session.socket_mut().add_rule(&rules[0]) {
        Err(NetlinkError::KernelRejected { errno, .. }) => assert_eq!(errno, EEXIST),
        other => panic!("duplicate rule: {other:?}"),
    }
    session.delete_rule(&rules[1]).unwrap();
    match session.socket_mut().delete_rule(&rules[1]) {
        Err(NetlinkError::KernelRejected { errno, .. }) => assert_eq!(errno, ENOENT),
        other => panic!("deleting a missing rule: {other:?}"),
    }
    // a uid of -1 is not a valid uid: the kernel refuses it (auid=-1 is special)
    let bad = Rule::parse(&format!(
        "-a always,exit -F arch=b64 -S execve -F uid=-1 -F key={key}"
    ))
    .unwrap();
    match session.add_rule(&bad) {
        Err(NetlinkError::KernelRejected { errno, .. }) => assert_eq!(errno, EINVAL),
        other => panic!("uid=-1: {other:?}"),
    }
    session.close().unwrap();
    k.assert_clean();
}

#[test]
fn daemon_mode_registers_and_unregisters_on_close() {
    let Some(k) = kernel() else { return };
    let me = std::process::id();
    let socket = AuditSocket::open(Mode::Daemon).unwrap();
    assert_eq!(socket.registered_pid(), Some(me));
    assert_eq!(status().pid, me);
    socket.close().unwrap();
    assert_eq!(status().pid, 0);

    let session = AuditSession::open(Mode::Daemon).unwrap();
    assert_eq!(status().pid, me);
    session.close().unwrap();
    k.assert_clean();
}

#[test]
fn daemon_mode_unregisters_on_drop() {
    let Some(k) = kernel() else { return };
    let me = std::process::id();
    {
        let _socket = AuditSocket::open(Mode::Daemon).unwrap();
        assert_eq!(status().pid, me);
    }
    assert_eq!(status().pid, 0);
    {
        let mut session = AuditSession::open(Mode::Daemon).unwrap();
        session
            .set_backlog_limit(k.before.backlog_limit + 1)
            .unwrap();
        assert_eq!(status().pid, me);
        // an error path: the session is dropped by the early return of `?`
        let r: Result<(), NetlinkError> = (|| {
            session.add_rule(&Rule::exit_always().all_syscalls().key("has space"))?;
            Ok(())
        })();
        assert!(matches!(r, Err(NetlinkError::BadRule(_))), "{r:?}");
    }
    k.assert_clean();
}

#[test]
fn second_daemon_open_fails_naming_the_first() {
    let Some(k) = kernel() else { return };
    let first = AuditSocket::open(Mode::Daemon).unwrap();
    match AuditSocket::open(Mode::Daemon) {
        Err(NetlinkError::AlreadyRegistered { pid }) => assert_eq!(pid, std::process::id()),
        other => panic!("second daemon: {other:?}"),
    }
    // the failed open must not have unregistered the first
    assert_eq!(status().pid, std::process::id());
    first.close().unwrap();
    k.assert_clean();
}

#[test]
fn read_only_mode_receives_an_exec_we_trigger() {
    let Some(k) = kernel() else { return };
    let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
    receives_own_exec(&mut session);
    session.close().unwrap();
    k.assert_clean();
}

#[test]
fn daemon_mode_receives_an_exec_we_trigger() {
    let Some(k) = kernel() else { return };
    let mut session = AuditSession::open(Mode::Daemon).unwrap();
    let size = session.socket_mut().set_receive_buffer(8 << 20).unwrap();
    assert!(size >= 8 << 20, "receive buffer {size}");
    receives_own_exec(&mut session);
    let stats = session.socket().stats();
    assert!(
        stats.datagrams > 0 && stats.foreign_dropped == 0,
        "{stats:?}"
    );

    // records that arrive while a control call waits for its ack are kept
    let marker = format!("auditstream-queued-{}", std::process::id());
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("sleep 0.05; /bin/true {marker}"))
        .spawn()
        .unwrap();
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(500) {
        session.status().unwrap();
    }
    child.wait().unwrap();
    assert!(
        session.socket().stats().queued > 0,
        "{:?}",
        session.socket().stats()
    );
    assert!(wait_for_marker(&mut session, &marker, Duration::from_secs(5)).is_some());
    session.close().unwrap();
    k.assert_clean();
}

#[test]
fn overrun_and_truncation_are_reported_and_the_socket_goes_on() {
    let Some(k) = kernel() else { return };
    let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
    let small = session.socket_mut().set_receive_buffer(1).unwrap();
    assert!(small < 8192, "receive buffer {small}");
    let rule = Rule::exit_always()
        .arch(Arch::B64)
        .syscalls(&["execve"])
        .unwrap()
        .key(&test_key());
    session.add_rule(&rule).unwrap();
    session.set_enabled(true).unwrap();
    // many records, nobody reading: the multicast copy overflows the buffer
    for i in 0..30 {
        exec_marker(&format!("auditstream-overrun-{i}"));
    }
    std::thread::sleep(Duration::from_millis(200));
    session
        .socket_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = recv_buffer();
    let mut seen = Vec::new();
    loop {
        match session.recv(&mut buf).unwrap() {
            Received::Timeout => break,
            r => seen.push(r),
        }
    }
    assert!(seen.contains(&Received::Overrun), "{seen:?}");
    assert!(
        seen.iter().any(|r| matches!(r, Received::Datagram(_))),
        "{seen:?}"
    );
    assert!(session.socket().stats().overruns > 0);

    // a buffer too small for the datagram: reported, never handed out
    session.socket_mut().set_receive_buffer(1 << 20).unwrap();
    let marker = format!("auditstream-truncated-{}", std::process::id());
    exec_marker(&marker);
    let mut tiny = [0u8; 32];
    let mut truncated = 0;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        match session.recv(&mut tiny).unwrap() {
            Received::Truncated(n) => {
                assert!(n > tiny.len());
                truncated += 1;
            }
            Received::Timeout => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(truncated > 0 && session.socket().stats().truncated >= truncated);
    session.close().unwrap();
    k.assert_clean();
}

#[test]
fn idle_socket_times_out_and_would_block() {
    let Some(k) = kernel() else { return };
    let mut socket = AuditSocket::open(Mode::ReadOnly).unwrap();
    let mut buf = recv_buffer();
    assert_eq!(socket.try_recv(&mut buf).unwrap(), Received::WouldBlock);
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let t = Instant::now();
    assert_eq!(socket.recv(&mut buf).unwrap(), Received::Timeout);
    assert!(t.elapsed() >= Duration::from_millis(40));
    // a control call in between keeps the caller's timeout
    socket.status().unwrap();
    assert_eq!(socket.read_timeout(), Some(Duration::from_millis(50)));
    assert_eq!(socket.recv(&mut buf).unwrap(), Received::Timeout);
    drop(socket);
    k.assert_clean();
}

#[test]
fn read_only_mode_works_beside_auditd() {
    let Some(k) = kernel() else { return };
    {
        let Some(auditd) = Auditd::start() else {
            common::skip("auditd is not installed");
            return;
        };
        let daemon_pid = auditd.child.id();
        match AuditSocket::open(Mode::Daemon) {
            Err(NetlinkError::AlreadyRegistered { pid }) => assert_eq!(pid, daemon_pid),
            other => panic!("daemon mode beside auditd: {other:?}"),
        }
        match AuditSession::open(Mode::Daemon) {
            Err(NetlinkError::AlreadyRegistered { pid }) => assert_eq!(pid, daemon_pid),
            other => panic!("daemon session beside auditd: {other:?}"),
        }
        let mut session = AuditSession::open(Mode::ReadOnly).unwrap();
        receives_own_exec(&mut session);
        session.close().unwrap();
        assert_eq!(status().pid, daemon_pid, "auditd is still the daemon");
        drop(auditd);
        let deadline = Instant::now() + Duration::from_secs(5);
        while status().pid != 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    k.assert_clean();
}
