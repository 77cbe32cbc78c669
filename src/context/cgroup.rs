//! Containers and systemd units from a process's cgroup paths
//! (`/proc/PID/cgroup`), cgroup v1 and v2.

/// A container a process runs in, named by its cgroup path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The container id: 64 lowercase hex digits for docker, containerd,
    /// cri-o and podman (the runtime's own id), the container name for LXC.
    pub id: Vec<u8>,
    /// Who runs it.
    pub runtime: Runtime,
}

/// The runtime a cgroup path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// `/docker/<id>`, `docker-<id>.scope`.
    Docker,
    /// `cri-containerd-<id>.scope`.
    Containerd,
    /// `crio-<id>.scope`.
    CriO,
    /// `libpod-<id>.scope`, `/libpod_parent/libpod-<id>`.
    Podman,
    /// `/lxc/<name>`, `/lxc.payload.<name>`, `/lxc.payload/<name>`.
    Lxc,
    /// A Kubernetes pod path whose container segment names no runtime
    /// (`/kubepods/<qos>/pod<uid>/<id>`).
    Kubernetes,
}

impl Runtime {
    /// `docker`, `containerd`, `cri-o`, `podman`, `lxc` or `kubernetes`.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Podman => "podman",
            Runtime::Lxc => "lxc",
            Runtime::Kubernetes => "kubernetes",
        }
    }
}

/// What a process's cgroup file says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupInfo {
    /// The container, if a path names one.
    pub container: Option<Container>,
    /// The systemd unit (`ssh.service`, `session-3.scope`): the last
    /// `.service` or `.scope` component of the v2 path, else of the v1
    /// `name=systemd` path.
    pub unit: Option<Vec<u8>>,
}

/// Longest cgroup file read (a process in every v1 hierarchy with long paths
/// stays far below).
pub const MAX_CGROUP_FILE: usize = 16 * 1024;

/// Most lines of a cgroup file looked at.
const MAX_LINES: usize = 64;

impl CgroupInfo {
    /// Reads the contents of `/proc/PID/cgroup` (`ID:CONTROLLERS:PATH` per
    /// line). A file that does not have that shape, or that names a
    /// hierarchy twice (a path holding a newline that forges a line), says
    /// nothing: the result is empty, never a guess.
    pub fn parse(file: &[u8]) -> CgroupInfo {
        let mut ids: Vec<&[u8]> = Vec::new();
        let mut v2: Option<&[u8]> = None;
        let mut systemd: Option<&[u8]> = None;
        let mut v1: Vec<&[u8]> = Vec::new();
        for (n, line) in file.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            if n >= MAX_LINES {
                return CgroupInfo::default();
            }
            let mut parts = line.splitn(3, |&b| b == b':');
            let (Some(id), Some(ctl), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                return CgroupInfo::default();
            };
            if id.is_empty() || !id.iter().all(u8::is_ascii_digit) || ids.contains(&id) {
                return CgroupInfo::default();
            }
            if !path.starts_with(b"/") {
                return CgroupInfo::default();
            }
            ids.push(id);
            if id == b"0" && ctl.is_empty() {
                v2 = Some(path);
            } else {
                if ctl == b"name=systemd" {
                    systemd = Some(path);
                }
                v1.push(path);
            }
        }
        let container = v2
            .and_then(container_of)
            .or_else(|| v1.iter().find_map(|p| container_of(p)));
        let unit = v2
            .filter(|p| *p != b"/")
            .and_then(unit_of)
            .or_else(|| systemd.and_then(unit_of));
        CgroupInfo { container, unit }
    }
}

fn is_id(s: &[u8]) -> bool {
    s.len() == 64
        && s.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// `<prefix><64 hex>.scope`.
fn scoped<'p>(seg: &'p [u8], prefix: &[u8]) -> Option<&'p [u8]> {
    let id = seg.strip_prefix(prefix)?.strip_suffix(b".scope")?;
    is_id(id).then_some(id)
}

/// The container a cgroup path names: its deepest segment that names one.
pub fn container_of(path: &[u8]) -> Option<Container> {
    let segs: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|s| !s.is_empty())
        .collect();
    let kube = segs
        .iter()
        .any(|s| *s == b"kubepods" || s.starts_with(b"kubepods-") || s.starts_with(b"kubepods."));
    let found = |id: &[u8], runtime| {
        Some(Container {
            id: id.to_vec(),
            runtime,
        })
    };
    for (i, seg) in segs.iter().enumerate().rev() {
        let prev = i.checked_sub(1).map(|j| segs[j]);
        for (prefix, rt) in [
            (&b"docker-"[..], Runtime::Docker),
            (b"cri-containerd-", Runtime::Containerd),
            (b"crio-", Runtime::CriO),
            (b"libpod-", Runtime::Podman),
        ] {
            if let Some(id) = scoped(seg, prefix) {
                return found(id, rt);
            }
        }
        if is_id(seg) {
            match prev {
                Some(b"docker") => return found(seg, Runtime::Docker),
                Some(p) if kube && p.starts_with(b"pod") => return found(seg, Runtime::Kubernetes),
                _ => {}
            }
        }
        if let Some(id) = seg.strip_prefix(b"libpod-") {
            if prev == Some(&b"libpod_parent"[..]) && is_id(id) {
                return found(id, Runtime::Podman);
            }
        }
        if let Some(name) = seg.strip_prefix(b"lxc.payload.") {
            if !name.is_empty() {
                return found(name, Runtime::Lxc);
            }
        }
        if matches!(prev, Some(b"lxc") | Some(b"lxc.payload")) && i == 1 {
            return found(seg, Runtime::Lxc);
        }
    }
    None
}

/// The systemd unit of a cgroup path: its last `.service` or `.scope`
/// component.
pub fn unit_of(path: &[u8]) -> Option<Vec<u8>> {
    path.split(|&b| b == b'/')
        .rev()
        .find(|s| {
            (s.len() > 8 && s.ends_with(b".service")) || (s.len() > 6 && s.ends_with(b".scope"))
        })
        .map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

    fn c(path: &str) -> Option<(String, &'static str)> {
        container_of(path.as_bytes()).map(|c| (String::from_utf8(c.id).unwrap(), c.runtime.name()))
    }

    #[test]
    fn containers_by_runtime() {
        let id = || ID.to_string();
        for (path, want) in [
            (format!("/docker/{ID}"), Some((id(), "docker"))),
            (format!("/docker/{ID}/nested"), Some((id(), "docker"))),
            (format!("/system.slice/docker-{ID}.scope"), Some((id(), "docker"))),
            (
                format!("/system.slice/cri-containerd-{ID}.scope"),
                Some((id(), "containerd")),
            ),
            (format!("/machine.slice/crio-{ID}.scope"), Some((id(), "cri-o"))),
            (format!("/machine.slice/crio-conmon-{ID}.scope"), None),
            (format!("/machine.slice/libpod-{ID}.scope"), Some((id(), "podman"))),
            (format!("/machine.slice/libpod-conmon-{ID}.scope"), None),
            (format!("/libpod_parent/libpod-{ID}"), Some((id(), "podman"))),
            (
                format!("/kubepods/besteffort/pod0c9a3b1e-1111-2222-3333-444455556666/{ID}"),
                Some((id(), "kubernetes")),
            ),
            (
                format!("/kubepods/pod0c9a3b1e-1111-2222-3333-444455556666/{ID}"),
                Some((id(), "kubernetes")),
            ),
            (
                format!(
                    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c9a.slice/cri-containerd-{ID}.scope"
                ),
                Some((id(), "containerd")),
            ),
            (
                format!("/kubepods.slice/kubepods-pod0c9a.slice/crio-{ID}.scope"),
                Some((id(), "cri-o")),
            ),
            ("/kubepods/besteffort/pod0c9a".into(), None),
            ("/lxc/web1".into(), Some(("web1".into(), "lxc"))),
            ("/lxc.payload.web1".into(), Some(("web1".into(), "lxc"))),
            ("/lxc.payload/web1".into(), Some(("web1".into(), "lxc"))),
            ("/lxc.monitor.web1".into(), None),
            ("/x/lxc/web1".into(), None),
            // not containers
            ("/".into(), None),
            ("/system.slice/ssh.service".into(), None),
            ("/process_api/d6d40524778f1e81974c3471b06f5b26".into(), None),
            (format!("/docker/{}", &ID[..63]), None),
            (format!("/docker/{}", ID.to_uppercase()), None),
            (format!("/other/{ID}"), None),
            (format!("/system.slice/docker-{ID}x.scope"), None),
        ] {
            assert_eq!(c(&path), want, "{path}");
        }
    }

    #[test]
    fn units() {
        for (path, want) in [
            ("/system.slice/ssh.service", Some("ssh.service")),
            (
                "/user.slice/user-1000.slice/session-3.scope",
                Some("session-3.scope"),
            ),
            (
                "/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope",
                Some("x.scope"),
            ),
            ("/system.slice/cron.service/sub", Some("cron.service")),
            ("/user.slice", None),
            ("/", None),
            ("/.service", None),
        ] {
            let got = unit_of(path.as_bytes()).map(|u| String::from_utf8(u).unwrap());
            assert_eq!(got.as_deref(), want, "{path}");
        }
    }

    #[test]
    fn files_v1_v2_and_forged() {
        let hybrid =
            format!("9:name=systemd:/system.slice/ssh.service\n4:memory:/docker/{ID}\n0::/\n");
        let i = CgroupInfo::parse(hybrid.as_bytes());
        assert_eq!(i.container.unwrap().runtime, Runtime::Docker);
        assert_eq!(i.unit.as_deref(), Some(&b"ssh.service"[..]));
        let v2 = format!("0::/system.slice/docker-{ID}.scope\n");
        let i = CgroupInfo::parse(v2.as_bytes());
        assert_eq!(i.container.unwrap().id, ID.as_bytes());
        assert_eq!(i.unit, Some(format!("docker-{ID}.scope").into_bytes()));
        // a path with a newline that forges a second v2 line: nothing
        let forged = format!("0::/user.slice/a\n0::/docker/{ID}\n");
        assert_eq!(CgroupInfo::parse(forged.as_bytes()), CgroupInfo::default());
        // odd bytes, truncated lines, no path: nothing, no panic
        for bad in [
            &b"garbage"[..],
            b"0:",
            b"0::relative",
            b"x::/docker/1",
            b"\xff\xfe:\x00:/\xff",
            b":::::",
        ] {
            assert_eq!(CgroupInfo::parse(bad), CgroupInfo::default(), "{bad:?}");
        }
        // odd bytes inside a path are kept, and are not a container
        let odd = b"0::/system.slice/\xff\x01 x.service\n";
        let i = CgroupInfo::parse(odd);
        assert_eq!(i.unit.as_deref(), Some(&b"\xff\x01 x.service"[..]));
        assert_eq!(i.container, None);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// Path pieces that make container-like and odd paths likely.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"docker".to_vec()),
            Just(b"kubepods".to_vec()),
            Just(b"podx".to_vec()),
            Just(b"lxc".to_vec()),
            Just(b"lxc.payload.a".to_vec()),
            Just(b"libpod_parent".to_vec()),
            Just(format!("docker-{}.scope", "a".repeat(64)).into_bytes()),
            Just(format!("crio-{}.scope", "0".repeat(64)).into_bytes()),
            Just("f".repeat(64).into_bytes()),
            Just(b"x.service".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..12),
        ]
    }

    proptest! {
        /// Any bytes: no panic; a container id and a unit are bytes of the
        /// input (never made up), an id of a hex runtime is 64 hex digits.
        #[test]
        fn any_cgroup_file(pieces in proptest::collection::vec((piece(), 0u8..4), 0..12)) {
            let mut file = Vec::new();
            for (p, sep) in &pieces {
                file.extend_from_slice(match sep {
                    0 => b"/",
                    1 => b"\n0::/",
                    2 => b"\n4:pids:/",
                    _ => b":",
                });
                file.extend_from_slice(p);
            }
            let info = CgroupInfo::parse(&file);
            let within = |b: &[u8]| b.is_empty() || file.windows(b.len()).any(|w| w == b);
            if let Some(c) = &info.container {
                prop_assert!(within(&c.id));
                if c.runtime != Runtime::Lxc {
                    prop_assert!(is_id(&c.id));
                }
            }
            if let Some(u) = &info.unit {
                prop_assert!(within(u));
            }
            let _ = container_of(&file);
            let _ = unit_of(&file);
        }
    }
}
