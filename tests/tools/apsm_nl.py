#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Minimal generic netlink client for the "apsm" family, for tests.

Sends one request with an arbitrary attribute tree and prints the replies,
or the error with its extack (message, offending attribute, missing
attribute). Attribute and command names come from uapi/linux/apsm.h, so
the tool follows the ABI without edits.

  apsm_nl.py [-j] [--dump] [--echo] [--no-nest] CMD [ATTR=VALUE | +OBJ | ^ATTR=VALUE]...
  apsm_nl.py monitor [-j] [--group events|rds] [--count N] [--timeout S]

CMD is a command name (instance-new, INSTANCE_NEW, APSM_CMD_INSTANCE_NEW) or
a number. ATTR=VALUE goes into the current nest: by default the nest of the
command's object (APSM_A_INSTANCE for INSTANCE_*); "+flow" opens another
top-level nest APSM_A_FLOW; "^ATTR=VALUE" is a top-level attribute;
--no-nest opens no default nest. ATTR is the short name (name, ifindex,
lladdr...), the full one (APSM_INSTANCE_A_NAME) or a number.

VALUE is typed by the attribute: numbers, enum names (role=uplink,
state=drain, mode=nsh), ifindex as a number or a device name, MACs
aa:bb:..., addresses 10.0.0.1 / 2001:db8::1, name lists "fw,nat" (chain
services/return), u32 arrays "1,2,3" (flow path). A prefix forces the
encoding, for malformed-input tests: u8: u16: u32: u64: s32: str: (NUL
terminated) raw: (no NUL) hex: (bytes) flag: (empty) nest: (an empty nest).

Output: one line per message, "CMD: key=value ...", or JSON with -j (a list
of {"cmd": ..., "<object>": {...}} objects; repeated nests become lists).
Errors go to stderr as "error: ENAME (-N): message [attr ...] [missing
...]" and the exit status is N (the errno). Status 0: success.

As a module: Apsm().request(cmd, tree, dump=False, echo=False) returns the
parsed messages or raises ApsmError (errno, msg, bad_attr, miss_attr).
"""
import argparse
import errno as errno_mod
import ipaddress
import json
import os
import re
import select
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP_INTR = 0x10
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_MISS_TYPE = 5
NLMSGERR_ATTR_MISS_NEST = 6

HERE = os.path.dirname(os.path.abspath(__file__))
UAPI = os.environ.get("APSM_UAPI",
                      os.path.join(HERE, "..", "..", "uapi", "linux", "apsm.h"))


# --------------------------------------------------------------- the ABI
def parse_uapi(path):
    """Every enum and #define of the header: name -> value."""
    with open(path) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    consts = {}
    for name, val in re.findall(r"#define\s+(APSM_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b",
                                text):
        consts[name] = int(val, 0)
    enums = {}
    for ename, body in re.findall(r"enum\s+(\w+)\s*\{(.*?)\}", text, flags=re.S):
        val = -1
        members = []
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            m = re.match(r"(\w+)\s*(?:=\s*(.+))?$", item)
            if not m:
                continue
            if m.group(2) is not None:
                expr = m.group(2).strip()
                val = consts.get(expr, None)
                if val is None:
                    val = int(expr, 0)
            else:
                val += 1
            consts[m.group(1)] = val
            members.append((m.group(1), val))
        enums[ename] = members
    return consts, enums


CONSTS, ENUMS = parse_uapi(UAPI)

# Attribute types per object (the uapi's top comment, in code).
U64_COUNTERS = ("TX_PACKETS", "RX_PACKETS", "TX_BYTES", "RX_BYTES", "DROPS",
                "HITS", "VERSION", "AGE_MS", "PACKETS")
TYPES = {
    "NODE": {},
    "PEER": {"IFINDEX": "ifindex", "LLADDR": "mac"},
    "PORT": {"IFINDEX": "ifindex", "ROLE": "u8:apsm_port_role",
             "IFNAME": "str"},
    "SERVICE": {"NAME": "str", "STATEFUL": "u8"},
    "INSTANCE": {"NAME": "str", "SERVICE": "str", "IFINDEX": "ifindex",
                 "MODE": "u8:apsm_instance_mode",
                 "STATE": "u8:apsm_instance_state", "LLADDR": "mac",
                 "NOCTX": "u8:apsm_noctx_policy"},
    "CHAIN": {"NAME": "str", "SERVICES": "list", "RETURN": "list"},
    "POLICY": {"CHAIN": "str", "IIF": "ifindex", "FAMILY": "u8:family",
               "SRC": "addr", "DST": "addr", "SRC_PLEN": "u8",
               "DST_PLEN": "u8", "PROTO": "u8:proto", "SPORT_MIN": "u16",
               "SPORT_MAX": "u16", "DPORT_MIN": "u16", "DPORT_MAX": "u16",
               "VLAN": "u16"},
    "FLOW": {"FAMILY": "u8:family", "PROTO": "u8:proto", "SRC": "addr",
             "DST": "addr", "SPORT": "u16", "DPORT": "u16",
             "DIR": "u8:apsm_flow_dir", "PATH": "u32arr",
             "OP": "u8:apsm_rds_op"},
    "STATS": None,  # all u64
}
EXTRA_ENUMS = {
    "family": [("inet", socket.AF_INET), ("inet6", socket.AF_INET6)],
    "proto": [("icmp", 1), ("tcp", 6), ("udp", 17), ("icmpv6", 58)],
}
ENUM_PREFIX = {"apsm_port_role": "APSM_PORT_", "apsm_instance_mode":
               "APSM_MODE_", "apsm_instance_state": "APSM_STATE_",
               "apsm_noctx_policy": "APSM_NOCTX_", "apsm_flow_dir":
               "APSM_DIR_", "apsm_rds_op": "APSM_RDS_OP_"}


def enum_values(ename):
    if ename in EXTRA_ENUMS:
        return EXTRA_ENUMS[ename]
    pre = ENUM_PREFIX[ename]
    return [(n[len(pre):].lower(), v) for n, v in ENUMS[ename]
            if not n.startswith("__")]


def obj_attrs(obj):
    """Attribute number -> short name of object @obj (e.g. "INSTANCE")."""
    pre = "APSM_%s_A_" % obj
    return {v: n[len(pre):] for n, v in CONSTS.items()
            if n.startswith(pre) and n != pre + "MAX"}


def attr_type(obj, short):
    if obj == "STATS":
        return "u64"
    t = TYPES.get(obj, {}).get(short)
    if t:
        return t
    if short == "PAD":
        return "hex"
    if short in U64_COUNTERS:
        return "u64"
    return "u32"


def top_objs():
    """APSM_A_* number -> object name."""
    return {v: n[len("APSM_A_"):] for n, v in CONSTS.items()
            if re.match(r"APSM_A_[A-Z]+$", n) and n != "APSM_A_MAX"}


def cmd_number(name):
    if re.match(r"^\d+$", name):
        return int(name)
    key = name.upper().replace("-", "_")
    if not key.startswith("APSM_CMD_"):
        key = "APSM_CMD_" + key
    if key not in CONSTS:
        raise SystemExit("unknown command %s" % name)
    return CONSTS[key]


def cmd_name(num):
    for n, v in CONSTS.items():
        if n.startswith("APSM_CMD_") and v == num and n != "APSM_CMD_MAX":
            return n[len("APSM_CMD_"):]
    return str(num)


# -------------------------------------------------------------- encoding
def nla(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def encode_value(kind, val):
    """Bytes for @val as attribute kind @kind, or a nested tree (list)."""
    for pfx in ("u8", "u16", "u32", "u64", "s32", "str", "raw", "hex",
                "flag", "nest"):
        if val.startswith(pfx + ":"):
            kind, val = pfx, val[len(pfx) + 1:]
            break
    base, _, ename = kind.partition(":")
    if base in ("u8", "u16", "u32", "u64", "s32"):
        if ename:
            for n, v in enum_values(ename):
                if val.lower() == n:
                    val = str(v)
        fmt = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q",
               "s32": "=i"}[base]
        return struct.pack(fmt, int(val, 0))
    if base == "ifindex":
        if not re.match(r"^\d+$", val):
            val = str(socket.if_nametoindex(val))
        return struct.pack("=I", int(val))
    if base == "str":
        return val.encode() + b"\0"
    if base == "raw":
        return val.encode()
    if base == "hex":
        return bytes.fromhex(val.replace(":", ""))
    if base == "flag":
        return b""
    if base == "nest":
        return []
    if base == "mac":
        return bytes(int(x, 16) for x in val.split(":"))
    if base == "addr":
        return ipaddress.ip_address(val).packed
    if base == "list":
        name_attr = CONSTS["APSM_LIST_A_NAME"]
        names = [n for n in val.split(",") if n != ""]
        return [(name_attr, n.encode() + b"\0", "APSM_LIST_A_NAME[%d]" % i)
                for i, n in enumerate(names)]
    if base == "u32arr":
        return b"".join(struct.pack("=I", int(x, 0))
                        for x in val.split(",") if x)
    raise ValueError("unknown kind " + kind)


def encode_tree(tree, base_off, offsets, path):
    """tree: list of (type, bytes | subtree, name). Records the offset of
    every attribute (from the message start) in @offsets."""
    out = b""
    for atype, val, name in tree:
        here = base_off + len(out)
        full = path + [name]
        offsets[here] = "/".join(full)
        if isinstance(val, list):
            inner = encode_tree(val, here + 4, offsets, full)
            out += nla(atype | NLA_F_NESTED, inner)
        else:
            out += nla(atype, val)
    return out


def resolve_attr(obj, key):
    """(number, short name) of attribute @key of object @obj."""
    attrs = obj_attrs(obj) if obj else {}
    if re.match(r"^\d+$", key):
        n = int(key)
        return n, attrs.get(n, str(n))
    k = key.upper().replace("-", "_")
    if obj:
        k = re.sub(r"^APSM_%s_A_" % obj, "", k)
    else:
        k = re.sub(r"^APSM_A_", "", k)
    for n, short in attrs.items():
        if short == k:
            return n, short
    if not obj and ("APSM_A_" + k) in CONSTS:
        return CONSTS["APSM_A_" + k], k
    raise SystemExit("unknown attribute %s%s" % (key, " of " + obj if obj else ""))


def build_tree(cmd, tokens, default_nest=True):
    """Turn CLI tokens into a top-level attribute tree."""
    top = []
    cur = None
    cur_obj = None

    def open_nest(obj):
        nonlocal cur, cur_obj
        cur = []
        cur_obj = obj
        top.append((CONSTS["APSM_A_" + obj], cur, "APSM_A_" + obj))

    m = re.match(r"([A-Z]+)_", cmd_name(cmd))
    if default_nest and m and ("APSM_A_" + m.group(1)) in CONSTS:
        open_nest(m.group(1))
    for tok in tokens:
        if tok.startswith("+"):
            open_nest(tok[1:].upper())
            continue
        key, eq, val = tok.partition("=")
        if not eq:
            raise SystemExit("expected ATTR=VALUE, +OBJ or ^ATTR=VALUE: " + tok)
        if key.startswith("^") or cur is None:
            n, short = resolve_attr(None, key.lstrip("^"))
            kind = "u32"
            top.append((n, encode_value(kind, val), "APSM_A_" + short))
            continue
        n, short = resolve_attr(cur_obj, key)
        cur.append((n, encode_value(attr_type(cur_obj, short), val),
                    "APSM_%s_A_%s" % (cur_obj, short)))
    return top


# -------------------------------------------------------------- decoding
def parse_attrs(data):
    out = []
    off = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        out.append((atype & NLA_TYPE_MASK, data[off + 4:off + alen]))
        off += (alen + 3) & ~3
    return out


def decode_value(kind, data):
    base, _, ename = kind.partition(":")
    if base in ("u8", "u16", "u32", "u64") and len(data) == \
            {"u8": 1, "u16": 2, "u32": 4, "u64": 8}[base]:
        v = struct.unpack("=" + {"u8": "B", "u16": "H", "u32": "I",
                                 "u64": "Q"}[base], data)[0]
        if ename:
            for n, ev in enum_values(ename):
                if ev == v:
                    return n
        return v
    if base == "ifindex" and len(data) == 4:
        return struct.unpack("=I", data)[0]
    if base == "str":
        return data.split(b"\0")[0].decode(errors="replace")
    if base == "mac" and len(data) == 6:
        return ":".join("%02x" % b for b in data)
    if base == "addr" and len(data) in (4, 16):
        return str(ipaddress.ip_address(data))
    if base == "list":
        return [v.split(b"\0")[0].decode(errors="replace")
                for _, v in parse_attrs(data)]
    if base == "u32arr" and len(data) % 4 == 0:
        return list(struct.unpack("=%dI" % (len(data) // 4), data))
    return data.hex()


def decode_obj(obj, data):
    names = obj_attrs(obj)
    res = {}
    for atype, val in parse_attrs(data):
        short = names.get(atype, str(atype))
        if short == "PAD":
            continue
        res[short.lower()] = decode_value(attr_type(obj, short), val)
    return res


def decode_msg(cmd, flags, payload):
    msg = {"cmd": cmd_name(cmd)}
    if flags & NLM_F_DUMP_INTR:
        msg["dump_intr"] = True
    objs = top_objs()
    for atype, val in parse_attrs(payload):
        obj = objs.get(atype)
        key = obj.lower() if obj else str(atype)
        v = decode_obj(obj, val) if obj else val.hex()
        if key in msg:
            if not isinstance(msg[key], list):
                msg[key] = [msg[key]]
            msg[key].append(v)
        else:
            msg[key] = v
    return msg


def format_msg(msg):
    parts = [msg["cmd"] + ":"]
    for k, v in msg.items():
        if k == "cmd":
            continue
        vals = v if isinstance(v, list) and v and isinstance(v[0], dict) else [v]
        for one in vals:
            if isinstance(one, dict):
                parts.append(k + " {" + " ".join(
                    "%s=%s" % (a, ",".join(map(str, b)) if isinstance(b, list)
                               else b) for a, b in one.items()) + "}")
            else:
                parts.append("%s=%s" % (k, one))
    return " ".join(parts)


# ---------------------------------------------------------------- socket
# Linux spells 95 EOPNOTSUPP; Python's table says ENOTSUP.
ERRNAMES = {**errno_mod.errorcode, errno_mod.EOPNOTSUPP: "EOPNOTSUPP"}


class ApsmError(Exception):
    def __init__(self, err, msg=None, bad_attr=None, miss_attr=None):
        self.errno = err
        self.msg = msg
        self.bad_attr = bad_attr
        self.miss_attr = miss_attr
        super().__init__(self.__str__())

    def __str__(self):
        s = "error: %s (-%d)" % (ERRNAMES.get(self.errno, "E?"),
                                 self.errno)
        if self.msg:
            s += ": " + self.msg
        if self.bad_attr:
            s += " [attr %s]" % self.bad_attr
        if self.miss_attr:
            s += " [missing %s]" % self.miss_attr
        return s


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.seq = int(time.time()) & 0xffff

    def send(self, family, cmd, version, payload, flags):
        self.seq += 1
        hdr = struct.pack("=IHHII", 16 + 4 + len(payload), family,
                          flags | NLM_F_REQUEST, self.seq, 0)
        self.sock.send(hdr + struct.pack("=BBH", cmd, version, 0) + payload)
        return self.seq

    def recv_msgs(self, timeout=None):
        if timeout is not None:
            r, _, _ = select.select([self.sock], [], [], timeout)
            if not r:
                return None
        data = self.sock.recv(1 << 20)
        out = []
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, mflags, seq, pid = struct.unpack_from("=IHHII",
                                                               data, off)
            out.append((mtype, mflags, seq, data[off + 16:off + mlen]))
            off += (mlen + 3) & ~3
        return out

    def transact(self, family, cmd, version, payload, flags, offsets=None):
        """Replies to one request: a list of (cmd, flags, attrs bytes)."""
        seq = self.send(family, cmd, version, payload, flags | NLM_F_ACK)
        replies = []
        while True:
            for mtype, mflags, mseq, body in self.recv_msgs():
                if mseq != seq:
                    continue
                if mtype == NLMSG_DONE:
                    err = -struct.unpack_from("=i", body)[0] if body else 0
                    if err:
                        # a dump failed: the TLVs follow the error code
                        raise self.error(err, mflags, body[:4] +
                                         struct.pack("=IHHII", 16, 0, 0, 0, 0)
                                         + body[4:],
                                         offsets or {}, capped=True)
                    return replies
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body)[0]
                    if err == 0:
                        return replies
                    raise self.error(err, mflags, body, offsets or {})
                replies.append((body[0], mflags, body[4:]))

    @staticmethod
    def error(err, mflags, body, offsets, capped=False):
        olen = struct.unpack_from("=I", body, 4)[0]
        capped = capped or mflags & NLM_F_CAPPED
        tlv_off = 4 + (16 if capped else olen)
        msg = bad = miss = None
        miss_type = miss_nest = None
        if mflags & NLM_F_ACK_TLVS:
            for atype, val in parse_attrs(body[tlv_off:]):
                if atype == NLMSGERR_ATTR_MSG:
                    msg = val.split(b"\0")[0].decode(errors="replace")
                elif atype == NLMSGERR_ATTR_OFFS:
                    o = struct.unpack("=I", val)[0]
                    bad = offsets.get(o, "offset %d" % o)
                elif atype == NLMSGERR_ATTR_MISS_TYPE:
                    miss_type = struct.unpack("=I", val)[0]
                elif atype == NLMSGERR_ATTR_MISS_NEST:
                    miss_nest = struct.unpack("=I", val)[0]
        if miss_type is not None:
            nest = offsets.get(miss_nest) if miss_nest is not None else None
            obj = None
            if nest:
                m = re.search(r"APSM_A_([A-Z]+)$", nest)
                obj = m.group(1) if m else None
            names = obj_attrs(obj) if obj else {
                v: "APSM_A_" + k for v, k in top_objs().items()}
            short = names.get(miss_type, str(miss_type))
            miss = ("APSM_%s_A_%s" % (obj, short)) if obj else short
            if nest:
                miss += " in " + nest
        return ApsmError(err, msg, bad, miss)

    def family(self, name):
        payload = nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
        (_, _, attrs), = self.transact(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
                                       payload, 0)
        fid = None
        groups = {}
        for atype, val in parse_attrs(attrs):
            if atype == CTRL_ATTR_FAMILY_ID:
                fid = struct.unpack("=H", val)[0]
            elif atype == CTRL_ATTR_MCAST_GROUPS:
                for _, grp in parse_attrs(val):
                    g = dict(parse_attrs(grp))
                    gname = g[CTRL_ATTR_MCAST_GRP_NAME].split(b"\0")[0]
                    groups[gname.decode()] = struct.unpack(
                        "=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
        return fid, groups


class Apsm:
    def __init__(self):
        self.genl = Genl()
        try:
            self.fid, self.groups = self.genl.family("apsm")
        except ApsmError as e:
            raise SystemExit("apsm family not found (is apsm.ko loaded?): %s"
                             % e)

    def request(self, cmd, tree, dump=False, echo=False, flags=0):
        if isinstance(cmd, str):
            cmd = cmd_number(cmd)
        offsets = {}
        payload = encode_tree(tree, 20, offsets, [])
        if dump:
            flags |= NLM_F_DUMP
        if echo:
            flags |= NLM_F_ECHO
        replies = self.genl.transact(self.fid, cmd, CONSTS["APSM_GENL_VERSION"],
                                     payload, flags, offsets)
        return [decode_msg(c, f, a) for c, f, a in replies]

    def monitor(self, group, count=None, timeout=None):
        self.genl.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                                  self.groups[group])
        end = None if timeout is None else time.monotonic() + timeout
        n = 0
        while count is None or n < count:
            left = None if end is None else max(0, end - time.monotonic())
            try:
                msgs = self.genl.recv_msgs(left)
            except OSError as e:  # ENOBUFS: events were lost
                yield {"cmd": "LOST", "errno": e.errno}
                continue
            if msgs is None:
                return
            for mtype, mflags, _, body in msgs:
                if mtype != self.fid:
                    continue
                n += 1
                yield decode_msg(body[0], mflags, body[4:])


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-j", "--json", action="store_true")
    ap.add_argument("--dump", action="store_true", help="NLM_F_DUMP")
    ap.add_argument("--echo", action="store_true", help="NLM_F_ECHO")
    ap.add_argument("--no-nest", action="store_true",
                    help="no default object nest")
    ap.add_argument("--group", default="events", help="monitor: group")
    ap.add_argument("--count", type=int, help="monitor: stop after N")
    ap.add_argument("--timeout", type=float, help="monitor: stop after S s")
    ap.add_argument("cmd")
    ap.add_argument("attrs", nargs="*")
    a = ap.parse_intermixed_args()

    apsm = Apsm()
    if a.cmd == "monitor":
        n = 0
        for m in apsm.monitor(a.group, a.count, a.timeout):
            print(json.dumps(m) if a.json else format_msg(m), flush=True)
            n += 1
        return 0 if a.count is None or n >= a.count else 1
    cmd = cmd_number(a.cmd)
    tree = build_tree(cmd, a.attrs, not a.no_nest)
    try:
        msgs = apsm.request(cmd, tree, dump=a.dump, echo=a.echo)
    except ApsmError as e:
        print(str(e), file=sys.stderr)
        return e.errno
    if a.json:
        print(json.dumps(msgs, indent=1))
    else:
        for m in msgs:
            print(format_msg(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
