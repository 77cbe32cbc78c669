#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the real captures in
testdata/ (run from the repository root: python3 fuzz/seed.py OUTDIR).

parse_line: ~300 log lines (RAW and ENRICHED), every record type, the longest
EXECVE lines; parse_netlink: ~300 datagrams of every type and a few short
capture files; decode_value: a type selector byte + record bodies;
sockaddr: saddr values as hex text and as bytes.
"""
import collections, hashlib, os, re, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/seeds"
TD = "testdata"

def write(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

def spread(items, n):
    """n items spread evenly over the list."""
    if len(items) <= n:
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]

# ---- log lines
lines = []
for name in ["audit-raw.log", "audit-enriched.log"]:
    with open(os.path.join(TD, name), "rb") as f:
        lines += [(name, l) for l in f.read().split(b"\n") if l]
by_type = collections.defaultdict(list)
for name, l in lines:
    m = re.search(rb"type=(\S+)", l)
    by_type[(name, m.group(1) if m else b"?")].append(l)
picked = []
for key, ls in sorted(by_type.items()):
    picked += spread(ls, 20)
execve = sorted((l for _, l in lines if b"type=EXECVE" in l), key=len)
picked += execve[-8:]
picked = list(dict.fromkeys(picked))
for l in picked:
    write("parse_line", l + b"\n")
print("parse_line", len(picked))

# ---- netlink datagrams
dgrams = []
for name in ["audit-raw.netlink.bin", "audit-enriched.netlink.bin"]:
    data = open(os.path.join(TD, name), "rb").read()
    i, seq = 0, []
    while i + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, i)
        seq.append(data[i + 4:i + 4 + n])
        i += 4 + n
    dgrams.append(seq)
by_t = collections.defaultdict(list)
for seq in dgrams:
    for d in seq:
        by_t[struct.unpack_from("=H", d, 4)[0]].append(d)
picked = []
for t, ds in sorted(by_t.items()):
    picked += spread(ds, 34)
picked += sorted((d for seq in dgrams for d in seq), key=len)[-6:]
picked = list(dict.fromkeys(picked))
for d in picked:
    write("parse_netlink", d)
# Short capture files: a few consecutive datagrams with their length prefixes.
caps = 0
for seq in dgrams:
    for start in (0, 100, 1000):
        cap = b"".join(struct.pack("<I", len(d)) + d for d in seq[start:start + 4])
        write("parse_netlink", cap)
        write("parse_netlink", cap[:-7])  # cut inside the last datagram
        caps += 2
print("parse_netlink", len(picked), "+", caps, "captures")

# ---- bodies for decode_value
SEL = {b"SYSCALL": 0, b"EXECVE": 1, b"LOGIN": 2, b"USER": 3, b"USER_AUTH": 4,
       b"SOCKADDR": 5, b"PATH": 6, b"AVC": 7, b"PROCTITLE": 8}
bodies = collections.defaultdict(list)
for name, l in lines:
    m = re.match(rb"(?:node=\S+ )?type=(\S+) msg=audit\([0-9.:]+\): ?(.*)$", l, re.S)
    if not m:
        continue
    t, rest = m.groups()
    body, _, enr = rest.partition(b"\x1d")
    sel = SEL.get(t, 4 if t.startswith(b"USER") or t.startswith(b"CRED") else 0)
    bodies[t].append(bytes([sel]) + body)
    if enr:
        bodies[b"enriched " + t].append(bytes([sel]) + enr)
picked = []
for t, bs in sorted(bodies.items()):
    picked += spread(bs, 16)
picked += [b"\x02pid=1 uid=0 old auid=4294967295 new auid=1000 old ses=4294967295 new ses=2 res=1",
           b"\x07avc:  denied  { read write } for  pid=3 comm=\"x\"",
           b"\x03pid=1 msg='op=PAM:x acct=\"r t\" exe=2F62696E hostname=? res=failed'"]
picked = list(dict.fromkeys(picked))
for b in picked:
    write("decode_value", b)
print("decode_value", len(picked))

# ---- saddr values
saddrs = sorted({m.group(1) for _, l in lines for m in re.finditer(rb"saddr=([0-9A-Fa-f]+)", l)})
for h in saddrs:
    write("sockaddr", h)
    write("sockaddr", bytes.fromhex(h.decode()))
print("sockaddr", 2 * len(saddrs))

# ---- pipeline: windows of real logs (whole events and cut ones), the golden
# logs, and the hostile shapes of issue 7 in small
for name in ["audit-raw.log", "audit-enriched.log"]:
    with open(os.path.join(TD, name), "rb") as f:
        ls = f.read().split(b"\n")
    for start in range(0, len(ls), 97):
        write("pipeline", b"\n".join(ls[start:start + 24]) + b"\n")
        write("pipeline", b"\n".join(ls[start:start + 7]))  # last line cut
gdir = os.path.join(TD, "golden")
for g in sorted(os.listdir(gdir)):
    if g.endswith(".log"):
        write("pipeline", open(os.path.join(gdir, g), "rb").read())
hostile = [
    b"type=USER msg=audit(1.000:1): pid=1 " + b"msg='" * 40 + b"x=1" + b"'" * 40 + b"\n",
    b"type=EXECVE msg=audit(1.000:2): argc=4294967295 a0=\"a\" a4294967294=\"x\"\n",
    b"type=EXECVE msg=audit(1.000:3): " + b" ".join(b"a%d=\"x\"" % (i * 65536) for i in range(40)) + b"\n",
    b"".join(b"node=n%d type=USER msg=audit(1.000:%d): msg='x'\n" % (i, i) for i in range(12)),
    b"".join(b"type=USER msg=audit(1.000:%d): msg='x'\n" % s for s in (1, 1048000, 3, 2096000)),
    b"type=USER msg=audit(1.000:9): " + b" ".join(b"k%d=1" % i for i in range(60)) + b" a=1 a=2 a@2=3 \xff=4\n",
    b"node=web-21p3pjbpdv2fc type=SYSCALL msg=audit(1.000:5): arch=c000003e syscall=59 success=yes exit=0 pid=1\n"
    b"node=web-2oi9c91vv5inm type=SYSCALL msg=audit(1.000:5): arch=c000003e syscall=59 success=yes exit=0 pid=2\n",
    b"type=DAEMON_START msg=audit(1490239800.477:34) config changed, x=1\ntype=NOSUCH_TYPE msg=audit(1.000:1): a=1\n",
    b"type=USER msg=audit(1.000:1): pid=1 msg='op=x text=it' s here res=1'\n",
]
for h in hostile:
    write("pipeline", h)
print("pipeline", len(ls) // 97 * 2 + len(hostile), "+ golden")

# ---- capture_events: runs of consecutive datagrams
for seq in dgrams:
    for start in range(0, len(seq), 150):
        cap = b"".join(struct.pack("<I", len(d)) + d for d in seq[start:start + 30])
        write("capture_events", cap)
    write("capture_events", struct.pack("<I", 0xFFFFFFFF) + b"x")
print("capture_events", sum(len(s) // 150 + 2 for s in dgrams))

# ---- rules: auditctl text
rules = [
    b"-a always,exit -F arch=b64 -S execve,execveat -k exec",
    b"-a always,exit -F arch=b64 -S connect,accept,bind,accept4 -F key=net",
    b"-a always,exit -F arch=b32 -S socketcall -F a0>=2 -F a0<=5 -F key=net",
    b"-A never,exit -F arch=b32 -S all -F uid=0 -F success=1 -F exit=-ENOENT",
    b"-a never,exclude -F msgtype=CWD",
    b"-a always,exit -F arch=b64 -S 0,2031 -F a0&=0x2 -F perm=wa",
    b"-a always,exit -F arch=b64 -S openat -F auid>=1000 -F auid!=unset -k a -k b",
    b"-a always,exit -F arch=i686 -S execve -F pid=1 -F ppid!=2 -F sessionid=3",
    b"-w /etc/passwd -p wa",
]
for r in rules:
    write("rules", r)
print("rules", len(rules))
