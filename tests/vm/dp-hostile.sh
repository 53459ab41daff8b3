#!/bin/bash
# dp-hostile: malformed and hostile frames against the packet path.
#   make userspace && scripts/vm-run.sh tests/vm/dp-hostile.sh
#
# Topology (network namespaces):
#   client (apsm-t1) eth0 10.1.0.2 --veth-- up0 10.1.0.1  node (apsm-t0)
#   server (apsm-t2) eth0 10.2.0.2 --veth-- up1 10.2.0.1  node, routing
#   attacker (apsm-t3): ev0p --veth-- ev0 (node): the nf port of instance
#                       ev1 (service evil, mode nsh, in no chain);
#                       fabp --veth-- fab0 (node): a fabric port.
#   apsm: node id 1, uplinks up0/up1, service fw with one instance fw1 on
#   tap tfw1 (tests/tools/nsh-nf), chain fw, policy "src 10.1.0.0/24 iif up0".
#
# What it proves: scapy sends, class by class, frames that must be refused
# or passed, and for each class the one node counter named in
# Documentation/datapath.md and nsh.md rises by exactly the number of
# frames sent (and no other drop counter moves):
#   uplink:  truncated IPv4 / bogus IHL / tot_len past the frame /
#            truncated TCP (short, doff < 5) / truncated UDP / truncated
#            IPv6 / IPv6 payload past the frame        -> drop_malformed
#            later IPv4 + IPv6 fragments                -> pass_frag
#            first fragments (one flow)                 -> nsh_encap, 1 flow
#            NSH arriving on an uplink                  -> pass_nonip
#   nf port: NSH Length past the frame, Length < 2, MD type 1, version 1,
#            O bit, next protocol IPv4, no path TLV, path n = 0 / n > 8,
#            TLV overrun, direction 3, SI > n (underflow), SI = n (NF did
#            not decrement), previous hop not this instance
#                                                       -> drop_nsh_invalid
#            TTL 0, TTL 1                               -> drop_ttl
#            path naming an unknown next instance       -> drop_no_instance
#   fabric:  NSH whose origin is an unknown node, or whose previous hop
#            is a local instance                        -> drop_unknown_node
#            previous / next hop an unknown instance    -> drop_no_instance
#            TTL 1                                      -> drop_ttl
#            a well-formed first hop (origin this node, next hop
#            fw1) from a MAC that is no peer's               -> drop_fabric_src
# Afterwards the module is healthy (a ping through the chain still works,
# no splat: vm-run checks dmesg) and the apsm slab caches hold no more
# objects than the flows in the RDS.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

CTL=$APSM_CTL
NF=$APSM_ROOT/tests/tools/nsh-nf
PY=/usr/bin/python3
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
[ -x "$NF" ] || fail "$NF missing: run 'make userspace'"
work=$(mktemp -d)
N=${NS_PREFIX}0 C=${NS_PREFIX}1 S=${NS_PREFIX}2 A=${NS_PREFIX}3

unload_apsm
pp load_apsm
on_exit unload_apsm
on_exit bg_stop # LIFO: before the rmmod
[ -e /dev/net/tun ] || modprobe tun
modprobe veth 2>/dev/null || true
slab0=$(slab_objs_prefix apsm)

ns_add "$N" "$C" "$S" "$A"
for ns in "$N" "$C" "$S" "$A"; do
	# no IPv6 stack traffic (ND, MLD) to blur the counters; the hook
	# still sees the IPv6 frames scapy sends
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
pp ip link add up0 netns "$N" type veth peer name eth0 netns "$C"
pp ip link add up1 netns "$N" type veth peer name eth0 netns "$S"
pp ip link add ev0 netns "$N" type veth peer name ev0p netns "$A"
pp ip link add fab0 netns "$N" type veth peer name fabp netns "$A"
n0 ip addr add 10.1.0.1/24 dev up0
n0 ip addr add 10.2.0.1/24 dev up1
for d in up0 up1 ev0 fab0; do n0 ip link set "$d" up; done
nsx "$A" ip link set ev0p up
nsx "$A" ip link set fabp up
n1 ip addr add 10.1.0.2/24 dev eth0
n1 ip link set eth0 up
n1 ip route add default via 10.1.0.1
n2 ip addr add 10.2.0.2/24 dev eth0
n2 ip link set eth0 up
n2 ip route add default via 10.2.0.1
n0 ip tuntap add dev tfw1 mode tap
n0 sysctl -qw net.ipv4.ip_forward=1

ctl() { pp "$CTL" -n "$N" "$@"; }
ctl node set id 1
ctl port add dev up0 role uplink
ctl port add dev up1 role uplink
ctl port add dev fab0 role fabric
ctl service add fw stateful
ctl service add evil stateful
ctl instance add fw1 service fw dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl instance add ev1 service evil dev ev0 mode nsh
ctl chain add c1 services fw
ctl policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

n0 "$NF" --mac 02:4e:46:00:00:11 --up --stats "$work/tfw1.json" tfw1 2>"$work/tfw1.log" &
bg_pids+=($!)
wait_until 5 test -s "$work/tfw1.json" || fail "nsh-nf did not start: $(cat "$work/tfw1.log")"

pp n1 ping -c 2 -i 0.3 -W 2 10.2.0.2 || fail "ping through the chain failed (before)"

# ---------------------------------------------------------------- attack
# One python process (scapy imports slowly under TCG); it switches netns
# with setns(2) per class, reads the counters with apsmctl after each.
up0mac=$(n0 cat /sys/class/net/up0/address)
fabmac=$(n0 cat /sys/class/net/fab0/address)
pp "$PY" - "$CTL" "$N" "$C" "$A" "$up0mac" "$fabmac" <<'EOF' || fail "hostile frames"
import ctypes, json, os, struct, subprocess, sys, time
ctl, N, C, A, up0mac, fabmac = sys.argv[1:7]
libc = ctypes.CDLL(None, use_errno=True)
def setns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Raw, sendp, conf
conf.verb = 0

def j(*args):
    return json.loads(subprocess.check_output([ctl, "-n", N, "-j"] + list(args)))
def stats():
    return j("stats", "show")
inst = {i["name"]: i for i in j("instance", "show")}
FW1, EV1 = inst["fw1"]["id"], inst["ev1"]["id"]
BOGUS = 4242
assert BOGUS not in (FW1, EV1)
print("fw1 id %d, ev1 id %d" % (FW1, EV1))

failures = []
# ambient ARP (neighbour probes of the ping's entries) is counted as
# pass_nonip: ignored unless it is the counter under test, which then may
# rise by up to `slack` more
AMBIENT = ("pass_nonip",)
def expect(label, ns, iface, frames, counter, per=1, slack=0):
    """send frames from ns/iface; counter must rise by len(frames)*per"""
    setns(ns)
    b = stats()
    sendp(frames, iface=iface)
    want = b[counter] + len(frames) * per
    end = time.time() + 5
    a = stats()
    while a[counter] < want and time.time() < end:
        time.sleep(0.1)
        a = stats()
    # then until two reads in a row agree (a frame over the count shows)
    end = time.time() + 5
    while time.time() < end:
        time.sleep(0.1)
        prev, a = a, stats()
        if a == prev:
            break
    d = {k: a[k] - b[k] for k in a if isinstance(a[k], int) and a[k] != b[k]}
    moved = {k: v for k, v in d.items() if (k.startswith("drop") or k.startswith("pass"))
             and k != counter and k not in AMBIENT}
    got = a[counter] - b[counter]
    ok = len(frames) * per <= got <= len(frames) * per + slack and not moved
    print("%-4s %-46s %3d frames: %s +%d (want +%d) %s" % (
        "ok" if ok else "FAIL", label, len(frames), counter, got,
        len(frames) * per, "" if ok else "deltas " + json.dumps(d)))
    if not ok:
        failures.append(label)
    return d

# -------------------------------------------- uplink (client side)
E = Ether(dst=up0mac, src="02:00:00:00:01:02")
src, dst = "10.1.0.2", "10.2.0.2"
ip4 = bytes(IP(src=src, dst=dst, proto=17))       # a valid 20-byte header
def raw4(b):
    return Ether(dst=up0mac, src="02:00:00:00:01:02", type=0x0800) / Raw(b)
def raw6(b):
    return Ether(dst=up0mac, src="02:00:00:00:01:02", type=0x86DD) / Raw(b)
tcp = bytes(TCP(sport=1234, dport=80))
udp = bytes(UDP(sport=1234, dport=53))
def ip4hdr(proto, l4len, ihl=5, tot=None):
    return bytes(IP(src=src, dst=dst, proto=proto, ihl=ihl,
                    len=tot if tot is not None else ihl * 4 + l4len))
def ip6hdr(nh, plen):
    return bytes(IPv6(src="fd00::2", dst="fd00::1", nh=nh, plen=plen))
expect("uplink: IPv4 header truncated (10 bytes)", C, "eth0",
       [raw4(ip4[:10]) for _ in range(5)], "drop_malformed")
expect("uplink: IPv4 IHL 3", C, "eth0",
       [raw4(bytes([0x43]) + ip4hdr(17, 8)[1:] + udp) for _ in range(5)], "drop_malformed")
expect("uplink: IPv4 IHL 15 past tot_len", C, "eth0",
       [raw4(bytes([0x4f]) + ip4hdr(17, 8)[1:] + udp) for _ in range(5)], "drop_malformed")
expect("uplink: IPv4 tot_len past the frame", C, "eth0",
       [raw4(ip4hdr(17, 8, tot=1400) + udp) for _ in range(5)], "drop_malformed")
expect("uplink: IPv4 version 5", C, "eth0",
       [raw4(bytes([0x55]) + ip4hdr(17, 8)[1:] + udp) for _ in range(3)], "drop_malformed")
expect("uplink: TCP header truncated (8 bytes)", C, "eth0",
       [raw4(ip4hdr(6, 8) + tcp[:8]) for _ in range(5)], "drop_malformed")
tcpbad = bytearray(tcp); tcpbad[12] = 0x30        # doff 3
expect("uplink: TCP doff 3", C, "eth0",
       [raw4(ip4hdr(6, 20) + bytes(tcpbad)) for _ in range(5)], "drop_malformed")
expect("uplink: UDP header truncated (4 bytes)", C, "eth0",
       [raw4(ip4hdr(17, 4) + udp[:4]) for _ in range(5)], "drop_malformed")
expect("uplink: IPv6 header truncated (30 bytes)", C, "eth0",
       [raw6(ip6hdr(17, 8)[:30]) for _ in range(5)], "drop_malformed")
expect("uplink: IPv6 payload past the frame", C, "eth0",
       [raw6(ip6hdr(17, 1000) + udp) for _ in range(5)], "drop_malformed")
expect("uplink: IPv6 TCP truncated", C, "eth0",
       [raw6(ip6hdr(6, 6) + tcp[:6]) for _ in range(5)], "drop_malformed")

# fragment flood: 200 later fragments of 200 datagrams, IPv4; 50 IPv6
later = [E / IP(src=src, dst=dst, proto=17, id=1000 + i, frag=100, flags=0) / Raw(b"x" * 64)
         for i in range(200)]
expect("uplink: IPv4 later fragments", C, "eth0", later, "pass_frag")
later6 = [E / IPv6(src="fd00::2", dst="fd00::1") /
          IPv6ExtHdrFragment(nh=17, offset=100, m=0, id=2000 + i) / Raw(b"y" * 64) for i in range(50)]
expect("uplink: IPv6 later fragments", C, "eth0", later6, "pass_frag")
# first fragments of one UDP flow: classified once, steered each time
first = [E / IP(src=src, dst=dst, proto=17, id=3000 + i, flags="MF") /
         UDP(sport=5555, dport=5556, len=2000) / Raw(b"z" * 64) for i in range(50)]
before_flows = len(j("flow", "show"))
expect("uplink: IPv4 first fragments (one flow)", C, "eth0", first, "nsh_encap")
flows = j("flow", "show")
ff = [f for f in flows if f.get("sport") == 5555 and f.get("dport") == 5556]
if len(ff) != 1:
    print("FAIL first fragments: %d RDS entries: %s" % (len(ff), ff)); failures.append("first-frag flows")
# NSH on an uplink is not decapsulated, not trusted
def nsh(si, path, ttl=63, length=None, mdtype=2, np=3, ver=0, oam=0, spi=1, origin=1,
        direction=1, n=None, tlvlen=None, tlv=True, inner=None):
    n = len(path) if n is None else n
    body = struct.pack("!IBBH", origin, direction, n, 0) + b"".join(struct.pack("!I", p) for p in path)
    ctx = b""
    if tlv:
        tl = len(body) if tlvlen is None else tlvlen
        ctx = struct.pack("!HBB", 0xFFF6, 1, tl) + body
    words = 2 + len(ctx) // 4 if length is None else length
    b0 = (ver << 14) | (oam << 13) | ((ttl & 0x3f) << 6) | (words & 0x3f)
    hdr = struct.pack("!HBB", b0, mdtype, np) + struct.pack("!I", (spi << 8) | si) + ctx
    if inner is None:
        inner = bytes(Ether(dst="02:00:00:00:02:02", src="02:00:00:00:01:02") /
                      IP(src=src, dst=dst) / UDP(sport=7, dport=7) / Raw(b"hostile"))
    return hdr + inner
NSHE = Ether(dst=up0mac, src="02:00:00:00:01:02", type=0x894F)
expect("uplink: NSH frame", C, "eth0", [NSHE / Raw(nsh(1, [FW1])) for _ in range(5)], "pass_nonip", slack=3)

# -------------------------------------------- nf port of ev1 (attacker)
EV = Ether(dst="02:00:00:00:99:01", src="02:e0:00:00:00:01", type=0x894F)
def evf(b, k=5):
    return [EV / Raw(b) for _ in range(k)]
good = nsh(0, [EV1])
print("well-formed reference frame:", good[:24].hex())
expect("nf: NSH Length 40 words (past the frame)", A, "ev0p", evf(nsh(0, [EV1], length=40)[:60]), "drop_nsh_invalid")
expect("nf: NSH truncated base header (6 bytes)", A, "ev0p", evf(good[:6]), "drop_nsh_invalid")
expect("nf: NSH Length 1", A, "ev0p", evf(nsh(0, [EV1], length=1)), "drop_nsh_invalid")
expect("nf: NSH MD type 1", A, "ev0p", evf(nsh(0, [EV1], mdtype=1)), "drop_nsh_invalid")
expect("nf: NSH version 1", A, "ev0p", evf(nsh(0, [EV1], ver=1)), "drop_nsh_invalid")
expect("nf: NSH O bit", A, "ev0p", evf(nsh(0, [EV1], oam=1)), "drop_nsh_invalid")
expect("nf: NSH next protocol IPv4", A, "ev0p", evf(nsh(0, [EV1], np=1)), "drop_nsh_invalid")
expect("nf: NSH no path TLV", A, "ev0p", evf(nsh(0, [EV1], tlv=False)), "drop_nsh_invalid")
expect("nf: NSH path n = 0", A, "ev0p", evf(nsh(0, [], n=0)), "drop_nsh_invalid")
expect("nf: NSH path n = 9 (> 8)", A, "ev0p", evf(nsh(0, [EV1] * 9)), "drop_nsh_invalid")
expect("nf: NSH path n = 3, TLV holds 1", A, "ev0p", evf(nsh(0, [EV1], n=3)), "drop_nsh_invalid")
expect("nf: NSH TLV length past Length", A, "ev0p", evf(nsh(0, [EV1], tlvlen=60)), "drop_nsh_invalid")
expect("nf: NSH direction 3", A, "ev0p", evf(nsh(0, [EV1], direction=3)), "drop_nsh_invalid")
expect("nf: NSH SI 5 > n 1 (underflow)", A, "ev0p", evf(nsh(5, [EV1])), "drop_nsh_invalid")
expect("nf: NSH SI = n (no decrement)", A, "ev0p", evf(nsh(1, [EV1])), "drop_nsh_invalid")
expect("nf: NSH previous hop is fw1, not ev1", A, "ev0p", evf(nsh(0, [FW1])), "drop_nsh_invalid")
expect("nf: NSH previous hop unknown", A, "ev0p", evf(nsh(0, [BOGUS])), "drop_nsh_invalid")
expect("nf: NSH TTL 0", A, "ev0p", evf(nsh(0, [EV1], ttl=0)), "drop_ttl")
expect("nf: NSH TTL 1", A, "ev0p", evf(nsh(0, [EV1], ttl=1)), "drop_ttl")
expect("nf: NSH next hop unknown instance", A, "ev0p", evf(nsh(1, [EV1, BOGUS])), "drop_no_instance")

# -------------------------------------------- fabric (attacker)
FE = Ether(dst=fabmac, src="02:fa:00:00:00:77", type=0x894F)
expect("fabric: NSH origin unknown node 77", A, "fabp",
       [FE / Raw(nsh(1, [FW1], origin=77)) for _ in range(5)], "drop_unknown_node")
# after the first hop the sender is the owner of the previous hop's
# instance: an unknown instance (no owner to check) is drop_no_instance,
# a local one (this node cannot have sent it over the fabric) is forged
expect("fabric: NSH previous hop unknown instance", A, "fabp",
       [FE / Raw(nsh(1, [BOGUS, FW1], origin=1)) for _ in range(5)], "drop_no_instance")
expect("fabric: NSH previous hop local (forged)", A, "fabp",
       [FE / Raw(nsh(1, [FW1, FW1], origin=1)) for _ in range(5)], "drop_unknown_node")
expect("fabric: NSH next hop unknown (transit)", A, "fabp",
       [FE / Raw(nsh(2, [BOGUS, FW1], origin=1)) for _ in range(5)], "drop_no_instance")
expect("fabric: NSH TTL 1", A, "fabp",
       [FE / Raw(nsh(1, [FW1], ttl=1, origin=77)) for _ in range(5)], "drop_ttl")
# everything right but the sender: no peer has this MAC (before the
# fabric source check this frame went on to fw1: an injected path)
expect("fabric: NSH from a MAC no peer has", A, "fabp",
       [FE / Raw(nsh(1, [FW1], origin=1)) for _ in range(5)], "drop_fabric_src")
expect("fabric: NSH not for this node (other dst MAC)", A, "fabp",
       [Ether(dst="02:fa:00:00:00:99", src="02:fa:00:00:00:77", type=0x894F) /
        Raw(nsh(1, [FW1], origin=77)) for _ in range(5)], "rx_packets")

if failures:
    print("FAILED classes:", failures)
    sys.exit(1)
EOF

# ---------------------------------------------------------------- health
pp n1 ping -c 3 -i 0.3 -W 2 10.2.0.2 || {
	"$CTL" -n "$N" stats show; "$CTL" -n "$N" instance show
	fail "ping through the chain failed after the hostile frames"
}
pp "$CTL" -n "$N" stats show
nflows=$("$CTL" -n "$N" -j flow show | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
slab1=$(slab_objs_prefix apsm)
log "apsm slab objects: $slab0 before, $slab1 now, $nflows RDS entries"
[ "$((slab1 - slab0))" -le "$nflows" ] ||
	fail "apsm slab caches grew by $((slab1 - slab0)) objects for $nflows flows"
log "dp-hostile: OK"
