#!/bin/bash
# proxy-fprint: flood a proxy instance's fingerprint table with collisions
# and more packets in flight than it holds; recovery degrades to counted
# unrecovered drops, never to a packet attached to another flow.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/proxy-fprint.sh
#
# Topology: tests/lib-dp.sh (client - node - server), one chain of one
# service, nat; its one instance nat1 a REAL NAT in proxy mode: a
# namespace behind veth pnat1, nftables snat to 10.99.0.1, and a netem
# delay of DELAY ms on its way back, so that every packet is still in
# flight while the next ones are handed over. fprint-ttl TTL ms,
# unrecovered drop. The client sends UDP datagrams with scapy, one flow
# (source port) per datagram, to a server that records what it receives.
#
#  1. collisions: C flows send the same datagram (same IP ID, same
#     payload) at once: one fingerprint, C flows. The table marks it
#     ambiguous (fprint_collisions), every one of them is unrecovered and
#     dropped; the server gets none.
#  2. exhaustion + collisions across an eviction: P flows A_i send "pair
#     i" (IP ID i), then F other flows flood the table (F > its 512
#     entries: evictions), then P flows B_i send exactly what A_i sent.
#     If the table had forgotten A_i's entry (evicted) and taken B_i's as
#     the only one, A_i coming back would get B_i's context, and B_i its
#     own. It must not: B_i is never recovered (ambiguous, or tainted by
#     the eviction), A_i only if it came back before B_i was handed over;
#     every datagram is either recovered (and delivered) or counted
#     unrecovered, and the server receives exactly the recovered ones.
#  3. no leak: every packet is counted exactly once (recovered +
#     unrecovered == sent); the table's occupancy falls back to 0 once the
#     entries expire; the instance is deleted and the module unloads
#     (dmesg is checked by vm-run).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

C_FLOWS=${C_FLOWS:-40}
P=${P:-30}
F=${F:-1000}
DELAY=${DELAY:-4000}
TTL=${TTL:-10000}

for m in nf_tables nft_nat nft_chain_nat nf_conntrack sch_netem; do modprobe "$m"; done
# the flood below is over 1000 datagrams in one burst through veths: the
# default per-CPU backlog (1000) would drop some before the NAT sees them
sysctl -qw net.core.netdev_max_backlog=20000

# shellcheck source-path=SCRIPTDIR source=../lib-dp.sh
. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup
NF_NS=${NS_PREFIX}nf1
MAC=02:50:00:00:00:01

ctl() { pp "$CTL" -n "$N" "$@"; }
n0 sysctl -qw net.ipv4.ip_forward=1
ctl node set id 1
ctl port add dev up0 role uplink
ctl port add dev up1 role uplink
ctl service add nat stateful

# the NAT: a one-armed router namespace behind pnat1
ns_add "$NF_NS"
ip link add pnat1 netns "$N" type veth peer name eth0 netns "$NF_NS"
ip -n "$NF_NS" link set eth0 address "$MAC"
n0 ip addr add 10.50.1.1/30 dev pnat1
ip -n "$NF_NS" addr add 10.50.1.2/30 dev eth0
n0 ip link set pnat1 up
ip -n "$NF_NS" link set eth0 up
ip -n "$NF_NS" route add default via 10.50.1.1
nsx "$NF_NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.eth0.send_redirects=0 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.eth0.rp_filter=0 net.netfilter.nf_conntrack_udp_timeout=600
nsx "$NF_NS" nft -f - <<'EOF' || fail "nft ruleset"
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.1.0.0/24 meta l4proto udp snat to 10.99.0.1:20000-39999
	}
}
EOF
# the ARP exchange with the node first, then the delay
nsx "$NF_NS" ping -c1 -W5 10.50.1.1 >/dev/null || fail "NAT netns cannot reach the node"
pp nsx "$NF_NS" tc qdisc add dev eth0 root netem delay "${DELAY}ms" limit 100000

ctl instance add nat1 service nat dev pnat1 mode proxy lladdr "$MAC" \
	unrecovered drop fprint-ttl "$TTL"
ctl chain add c1 services nat
ctl policy add prio 10 iif up0 src 10.1.0.0/24 proto udp dport 9999 chain c1
n0 ip route add blackhole 10.99.0.0/24

# the server: every datagram it gets, one line
nsx "$S" "$PY" -u - "$work/rx.txt" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", 9999))
out = open(sys.argv[1], "a", buffering=1)
out.write("ready\n")
while True:
    d, a = s.recvfrom(2048)
    out.write("%s:%d %s\n" % (a[0], a[1], d.decode(errors="replace")))
EOF
bg_pids+=($!)
server_ready() { grep -qs ready "$work/rx.txt"; }
wait_until 10 server_ready || fail "server did not start"

gw=$(n0 cat /sys/class/net/up0/address)
# send KIND: the datagrams of a phase, in one burst, in order
send() {
	nsx "$C" "$PY" - "$gw" "$1" "$C_FLOWS" "$P" "$F" <<'EOF'
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp, conf
conf.verb = 0
gw, kind, nc, p, f = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
def dg(sport, ipid, payload):
    return (Ether(dst=gw) / IP(src="10.1.0.2", dst="10.2.0.2", id=ipid, flags="DF")
            / UDP(sport=sport, dport=9999) / Raw(payload.encode()))
pk = []
if kind == "collide":
    pk = [dg(10000 + i, 7, "collide") for i in range(nc)]
else:
    pk += [dg(11000 + i, 100 + i, "pair %d" % i) for i in range(p)]
    pk += [dg(12000 + i, 5000 + i, "flood %d" % i) for i in range(f)]
    pk += [dg(15000 + i, 100 + i, "pair %d" % i) for i in range(p)]
sendp(pk, iface="eth0")
EOF
}
px() { # the proxy figures of nat1, as "key value" lines
	"$CTL" -n "$N" -j instance show nat1 | "$PY" -c '
import json, sys
i = json.load(sys.stdin)
i = i[0] if isinstance(i, list) else i
for k, v in i["proxy"].items(): print(k, v)
for k in ("tx_packets", "rx_packets", "drops"): print(k, i[k])'
}
pv() { px | awk -v k="$1" '$1 == k { print $2 }'; }
settled() { # N: every datagram given to the NF came back and was counted
	[ "$(($(pv recovered_fprint) + $(pv recovered_learned) + $(pv recovered_key) + $(pv unrecovered)))" -ge "$1" ]
}
rx_lines() { grep -c "$1" "$work/rx.txt" || true; }

# ---------------------------------------------------------- 1. collisions
log "1. $C_FLOWS flows, one fingerprint"
send collide
wait_until 60 settled "$C_FLOWS" || { px >&2; fail "collisions: not everything came back"; }
px | tee "$work/px1.txt" >&2
assert_eq "$(pv tx_packets)" "$C_FLOWS" "collisions: datagrams handed to the NAT"
assert_eq "$(pv unrecovered)" "$C_FLOWS" "collisions: all unrecovered"
assert_eq "$(pv recovered_fprint)" 0 "collisions: none recovered by fingerprint"
[ "$(pv fprint_collisions)" -ge 1 ] || fail "collisions: not counted"
assert_eq "$(pv drops)" "$C_FLOWS" "collisions: dropped by the unrecovered policy"
assert_eq "$(rx_lines collide)" 0 "collisions: the server got none (so far)"

# ------------------------------------------- 2. exhaustion, pairs across it
log "2. $P flows A_i, $F flood flows, $P flows B_i with A_i's datagrams"
before=$(pv tx_packets)
send flood
total=$((before + 2 * P + F))
wait_until 120 settled "$total" || { px >&2; fail "flood: not everything came back"; }
px | tee "$work/px2.txt" >&2
assert_eq "$(pv tx_packets)" "$total" "flood: datagrams handed to the NAT"
recovered=$(($(pv recovered_fprint) + $(pv recovered_learned) + $(pv recovered_key)))
assert_eq "$((recovered + $(pv unrecovered)))" "$total" "every datagram counted once"
assert_eq "$(pv rx_packets)" "$recovered" "rx = recovered"
[ "$(pv fprint_evictions)" -gt 0 ] || fail "the flood evicted nothing: the table was not exhausted"
[ "$(pv unrecovered)" -ge $((C_FLOWS + 2 * P)) ] || fail "flood: too few unrecovered"
[ "$(pv fprint_entries)" -le "$(pv fprint_size)" ] || fail "occupancy above the table size"
# what reached the server: exactly the recovered datagrams
delivered() { echo $(($(rx_lines 'flood ') + $(rx_lines 'pair '))); }
wait_until 30 test "$(delivered)" -ge "$(pv recovered_fprint)" ||
	fail "the server did not get every recovered datagram"
assert_eq "$(delivered)" "$(pv recovered_fprint)" "server got exactly the recovered datagrams"
[ "$(pv recovered_fprint)" -gt 0 ] || fail "nothing recovered by fingerprint"
# A pair: B_i can never be recovered (A_i is still remembered when B_i is
# handed over: ambiguous; or it was evicted: B_i's set is tainted). A_i
# may be, if it came back before B_i was handed over. So every "pair i"
# the server got must be A_i's (the NAT's conntrack maps the public port
# back to the flow): a B_i there means a fingerprint gave a flow's packet
# to another flow's entry.
nsx "$NF_NS" cat /proc/net/nf_conntrack >"$work/ct.txt"
"$PY" - "$work" <<'EOF2' || fail "a pair datagram was attached to the wrong flow"
import re, sys
w = sys.argv[1]
orig = {}                       # public port -> original source port
for line in open(w + "/ct.txt"):
    sp = re.findall(r"sport=(\d+)", line)
    dp = re.findall(r"dport=(\d+)", line)
    if len(sp) == 2 and dp[0] == "9999":
        orig[int(dp[1])] = int(sp[0])
bad, seen = [], 0
for line in open(w + "/rx.txt"):
    m = re.match(r"10\.99\.0\.1:(\d+) pair (\d+)$", line.strip())
    if not m:
        continue
    seen += 1
    port, i = int(m.group(1)), int(m.group(2))
    if orig.get(port) != 11000 + i:
        bad.append((i, port, orig.get(port)))
print("pair datagrams delivered: %d, all A_i's: %s" % (seen, not bad))
assert not bad, bad
EOF2
# the NAT itself got every flow (its conntrack), so the losses are ours
ct=$(nsx "$NF_NS" grep -cE 'sport=1[1-5][0-9]{3} dport=9999 ' /proc/net/nf_conntrack || true)
assert_eq "$ct" "$((2 * P + F))" "NAT conntrack: one entry per flow of phase 2"

# ------------------------------------------------------------ 3. no leak
log "3. entries expire; the instance goes; the module unloads"
zero() { [ "$(pv fprint_entries)" = 0 ]; }
wait_until $((TTL * 3 / 1000 + 10)) zero || { px >&2; fail "fingerprints did not expire"; }
# (much later: nothing attached to a flow on its way either)
assert_eq "$(rx_lines collide)" 0 "collisions: the server got none"
ctl instance del nat1
pp unload_apsm
apsm_loaded && fail "module still loaded"
log "proxy-fprint: OK"
