//! `struct sockaddr` as logged in a SOCKADDR record (`saddr=` hex).
//!
//! The kernel logs the address exactly as the process passed it (up to
//! `sizeof(struct sockaddr_storage)` = 128 bytes), before the protocol checks
//! it: a hostile process controls every byte and the length. Decoding is
//! total: an address too short for its family stays [`SockAddr::Other`] with
//! its bytes.

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use crate::record::decode_hex_to_slice;

/// The largest socket address the kernel logs (`sizeof(struct sockaddr_storage)`).
pub const MAX_SOCKADDR_LEN: usize = 128;

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;

/// Byte order of the host-order fields (family, netlink pid, scope id): that of
/// the traced process, see [`Arch::is_little_endian`](super::Arch::is_little_endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endian {
    /// x86, arm, aarch64, riscv, loongarch, ppc64le.
    #[default]
    Little,
    /// s390x, ppc64, armeb.
    Big,
}

/// Why a `saddr` value could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SockAddrError {
    /// Not even-length hex.
    #[error("saddr is not hex")]
    NotHex,
    /// Fewer than the two bytes of the family.
    #[error("saddr shorter than its family field ({0} bytes)")]
    Short(usize),
    /// More than 128 bytes.
    #[error("saddr longer than sockaddr_storage ({0} bytes)")]
    TooLong(usize),
}

/// A decoded socket address. Holds its bytes inline: decoding never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum SockAddr {
    /// `AF_UNIX`.
    Unix(UnixAddr),
    /// `AF_INET`.
    Inet(SocketAddrV4),
    /// `AF_INET6` (`sin6_flowinfo` and `sin6_scope_id` kept).
    Inet6(SocketAddrV6),
    /// `AF_NETLINK`.
    Netlink {
        /// Port id (`nl_pid`).
        pid: u32,
        /// Multicast groups mask.
        groups: u32,
    },
    /// Any other family, or an address too short for its family.
    Other {
        /// The family number.
        family: u16,
        /// The bytes after the family field.
        data: AddrBytes,
    },
}

/// The bytes of a socket address after its family field (at most 126),
/// held inline: a unix socket's name, or the data of an address of another
/// family. `Debug` shows them as an escaped string (`"ab\xff"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddrBytes {
    buf: [u8; MAX_SOCKADDR_LEN - 2],
    len: u8,
}

impl AddrBytes {
    fn new(b: &[u8]) -> AddrBytes {
        let mut buf = [0; MAX_SOCKADDR_LEN - 2];
        let len = b.len().min(buf.len());
        buf[..len].copy_from_slice(&b[..len]);
        AddrBytes {
            buf,
            len: len as u8,
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl AsRef<[u8]> for AddrBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for AddrBytes {
    /// A quoted string: UTF-8 text as it is, `"`, `\\`, NUL, tab, newline and
    /// carriage return escaped as in Rust, any other ASCII control byte and
    /// every byte that is not UTF-8 as `\xNN`: `"ab\xff"`. No byte is lost.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for chunk in self.as_bytes().utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\0' => f.write_str("\\0")?,
                    '\t' => f.write_str("\\t")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    c if c.is_ascii_control() => write!(f, "\\x{:02x}", u32::from(c))?,
                    c if c.is_ascii() => f.write_char(c)?,
                    c => write!(f, "{}", c.escape_debug())?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_char('"')
    }
}

/// An `AF_UNIX` address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnixAddr {
    kind: UnixKind,
    name: AddrBytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum UnixKind {
    Path,
    Abstract,
    Unnamed,
}

impl UnixAddr {
    /// A path-name socket's path (bytes before the first NUL).
    pub fn path(&self) -> Option<&[u8]> {
        (self.kind == UnixKind::Path).then(|| self.name.as_bytes())
    }

    /// An abstract socket's name (without the leading NUL; may hold NULs).
    pub fn abstract_name(&self) -> Option<&[u8]> {
        (self.kind == UnixKind::Abstract).then(|| self.name.as_bytes())
    }

    /// Whether the address has no name (only the family: autobind, or an
    /// unbound peer).
    pub fn is_unnamed(&self) -> bool {
        self.kind == UnixKind::Unnamed
    }

    /// The name as `ss` shows it: the path, `@` and the abstract name, or
    /// empty for an unnamed address.
    pub fn display_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.name.len as usize + 1);
        if self.kind == UnixKind::Abstract {
            v.push(b'@');
        }
        v.extend_from_slice(self.name.as_bytes());
        v
    }
}

impl fmt::Debug for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({:?})", self.kind, self.name)
    }
}

impl SockAddr {
    /// Decodes the `saddr=` hex text of a SOCKADDR record.
    pub fn from_hex(hex: &[u8], endian: Endian) -> Result<SockAddr, SockAddrError> {
        if hex.len() > 2 * MAX_SOCKADDR_LEN {
            return Err(SockAddrError::TooLong(hex.len() / 2));
        }
        let mut buf = [0u8; MAX_SOCKADDR_LEN];
        let bytes = &mut buf[..hex.len() / 2];
        if !decode_hex_to_slice(hex, bytes) {
            return Err(SockAddrError::NotHex);
        }
        SockAddr::from_bytes(bytes, endian)
    }

    /// Decodes the raw bytes of a `struct sockaddr`.
    pub fn from_bytes(b: &[u8], endian: Endian) -> Result<SockAddr, SockAddrError> {
        if b.len() > MAX_SOCKADDR_LEN {
            return Err(SockAddrError::TooLong(b.len()));
        }
        if b.len() < 2 {
            return Err(SockAddrError::Short(b.len()));
        }
        let u16h = |x: &[u8]| match endian {
            Endian::Little => u16::from_le_bytes([x[0], x[1]]),
            Endian::Big => u16::from_be_bytes([x[0], x[1]]),
        };
        let u32h = |x: &[u8]| {
            let a = [x[0], x[1], x[2], x[3]];
            match endian {
                Endian::Little => u32::from_le_bytes(a),
                Endian::Big => u32::from_be_bytes(a),
            }
        };
        let family = u16h(b);
        let rest = &b[2..];
        let other = || SockAddr::Other {
            family,
            data: AddrBytes::new(rest),
        };
        Ok(match family {
            AF_UNIX => {
                let (kind, name) = match rest {
                    [] => (UnixKind::Unnamed, &rest[..0]),
                    [0, name @ ..] => (UnixKind::Abstract, name),
                    path => {
                        let end = memchr::memchr(0, path).unwrap_or(path.len());
                        (UnixKind::Path, &path[..end])
                    }
                };
                SockAddr::Unix(UnixAddr {
                    kind,
                    name: AddrBytes::new(name),
                })
            }
            AF_INET if b.len() >= 8 => {
                let port = u16::from_be_bytes([b[2], b[3]]);
                let ip = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
                SockAddr::Inet(SocketAddrV4::new(ip, port))
            }
            AF_INET6 if b.len() >= 24 => {
                let port = u16::from_be_bytes([b[2], b[3]]);
                let flow = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                let mut ip = [0u8; 16];
                ip.copy_from_slice(&b[8..24]);
                let scope = if b.len() >= 28 { u32h(&b[24..28]) } else { 0 };
                SockAddr::Inet6(SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope))
            }
            AF_NETLINK if b.len() >= 12 => SockAddr::Netlink {
                pid: u32h(&b[4..8]),
                groups: u32h(&b[8..12]),
            },
            _ => other(),
        })
    }

    /// The family number (`AF_*`).
    pub fn family(&self) -> u16 {
        match self {
            SockAddr::Unix(_) => AF_UNIX,
            SockAddr::Inet(_) => AF_INET,
            SockAddr::Inet6(_) => AF_INET6,
            SockAddr::Netlink { .. } => AF_NETLINK,
            SockAddr::Other { family, .. } => *family,
        }
    }

    /// The family name (`unix`, `inet`, `inet6`, `netlink`), or `None` for
    /// [`SockAddr::Other`].
    pub fn family_name(&self) -> Option<&'static str> {
        match self {
            SockAddr::Unix(_) => Some("unix"),
            SockAddr::Inet(_) => Some("inet"),
            SockAddr::Inet6(_) => Some("inet6"),
            SockAddr::Netlink { .. } => Some("netlink"),
            SockAddr::Other { .. } => None,
        }
    }

    /// The port of an inet or inet6 address.
    pub fn port(&self) -> Option<u16> {
        match self {
            SockAddr::Inet(a) => Some(a.port()),
            SockAddr::Inet6(a) => Some(a.port()),
            _ => None,
        }
    }
}

impl fmt::Debug for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Unix(u) => write!(f, "Unix({u:?})"),
            SockAddr::Inet(a) => write!(f, "Inet({a})"),
            SockAddr::Inet6(a) => write!(f, "Inet6({a})"),
            SockAddr::Netlink { pid, groups } => write!(f, "Netlink(pid={pid}, groups={groups})"),
            SockAddr::Other { family, data } => write!(f, "Other({family}, {data:?})"),
        }
    }
}

impl fmt::Display for SockAddr {
    /// `127.0.0.1:80`, `[::1]:80`, `/run/x.sock`, `@abstract`, `netlink:PID`,
    /// `family 42`. Non-UTF-8 bytes of unix names are shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Unix(u) => f.write_str(&String::from_utf8_lossy(&u.display_bytes())),
            SockAddr::Inet(a) => write!(f, "{a}"),
            SockAddr::Inet6(a) => write!(f, "{a}"),
            SockAddr::Netlink { pid, .. } => write!(f, "netlink:{pid}"),
            SockAddr::Other { family, .. } => write!(f, "family {family}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(hex: &str) -> SockAddr {
        SockAddr::from_hex(hex.as_bytes(), Endian::Little).unwrap()
    }

    #[test]
    fn families() {
        // 127.0.0.1:9 (UDP connect in the corpus)
        let a = p("020000097F0000010000000000000000");
        assert_eq!(a.to_string(), "127.0.0.1:9");
        assert_eq!(a.family_name(), Some("inet"));
        assert_eq!(a.port(), Some(9));
        // [::1]:9
        let a = p("0A000009000000000000000000000000000000000000000100000000");
        assert_eq!(a.to_string(), "[::1]:9");
        // v4-mapped, scope id 0
        let a = p("0A0004D20000000000000000000000000000FFFF7F00000100000000");
        assert_eq!(a.to_string(), "[::ffff:127.0.0.1]:1234");
        // path with a space
        let a = p("01002F746D702F782079000000");
        let SockAddr::Unix(u) = a else { panic!() };
        assert_eq!(u.path(), Some(&b"/tmp/x y"[..]));
        // abstract, with an inner NUL
        let a = p("0100006162006364");
        let SockAddr::Unix(u) = a else { panic!() };
        assert_eq!(u.abstract_name(), Some(&b"ab\0cd"[..]));
        assert_eq!(u.display_bytes(), b"@ab\0cd");
        // autobind: family only
        let SockAddr::Unix(u) = p("0100") else {
            panic!()
        };
        assert!(u.is_unnamed());
        // netlink
        assert_eq!(
            p("10000000D204000001000000"),
            SockAddr::Netlink {
                pid: 1234,
                groups: 1
            }
        );
        // too short for inet: kept as Other
        let a = p("02000050");
        assert_eq!(a.family(), 2);
        let SockAddr::Other { data, .. } = a else {
            panic!()
        };
        assert_eq!(data.as_bytes(), &[0, 0x50]);
        // unknown family
        assert_eq!(p("2A00FF").family(), 42);
        // big endian family
        let a = SockAddr::from_hex(b"000200097F000001", Endian::Big).unwrap();
        assert_eq!(a.to_string(), "127.0.0.1:9");
    }

    #[test]
    fn errors() {
        let e = |h: &str| SockAddr::from_hex(h.as_bytes(), Endian::Little).unwrap_err();
        assert_eq!(e(""), SockAddrError::Short(0));
        assert_eq!(e("01"), SockAddrError::Short(1));
        assert_eq!(e("0"), SockAddrError::NotHex);
        assert_eq!(e("01XX"), SockAddrError::NotHex);
        assert_eq!(e(&"00".repeat(129)), SockAddrError::TooLong(129));
        assert!(SockAddr::from_hex("01".repeat(128).as_bytes(), Endian::Little).is_ok());
    }

    #[test]
    fn debug_shows_bytes_as_escaped_text() {
        let cases: &[(&[u8], &str)] = &[
            (b"ab\xff", r#""ab\xff""#),
            (b"/tmp/x y", r#""/tmp/x y""#),
            ("ü.sock".as_bytes(), r#""ü.sock""#),
            (b"q\"b\\s'", r#""q\"b\\s'""#),
            (b"\0\t\n\r\x01\x7f", r#""\0\t\n\r\x01\x7f""#),
            (b"\xc3(\xe2\x82", r#""\xc3(\xe2\x82""#),
            (b"", r#""""#),
        ];
        for (bytes, want) in cases {
            assert_eq!(format!("{:?}", AddrBytes::new(bytes)), *want);
        }
        let a = SockAddr::from_bytes(b"\x2a\x00\xff\x00", Endian::Little).unwrap();
        assert_eq!(format!("{a:?}"), r#"Other(42, "\xff\0")"#);
        let SockAddr::Unix(u) = p("0100006162FF") else {
            panic!()
        };
        assert_eq!(format!("{u:?}"), r#"Abstract("ab\xff")"#);
    }
}
