#!/bin/bash
# dp-3node: a 3-hop chain whose instances are spread over 3 nodes, hops
# over the fabric, return path learned on a remote node and replicated.
#   make userspace && scripts/vm-run.sh tests/vm/dp-3node.sh
#
# Topology: nodes apsm-t0/1/2 (ids 1/2/3) joined by a bridge (fabric,
# fab0 10.0.0.N/24 in each); client apsm-t3 behind n0's up0 (10.1.0.0/24),
# server apsm-t4 behind n0's up1 (10.2.0.0/24); n1/n2 route both via n0.
# Chain fw -> nat -> mon; instances (2 per service, nsh-nf on taps):
#   fw1@n1 fw2@n2  nat1@n2 nat2@n0  mon1@n0 mon2@n1
# Every node knows all 6 instances and its 2 peers. One apsmd per node
# (UDP on the fabric addresses, port 7946, shared key) sets the node id,
# the fabric port and the peers (LinkAddress = the peer's fab0 MAC) and
# replicates RDS entries, so the return entry learned at the chain's
# egress node reaches n0, where the server's replies enter. The first
# SYN-ACK may beat the replication (TCP retransmits).
#
# Proves: TCP (socat) works end to end; exactly one instance per service
# carried the flow, tx == rx on each, and they are the forward entry's
# path in order; the return entry on n0 (learned elsewhere) has the
# reversed stateful path and steered the replies; peers' NSH counters
# moved; no drops; apsmd replicated entries (sent/received) with no
# auth failures.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

CTL=$APSM_ROOT/userspace-ctl/apsmctl
D=$APSM_ROOT/userspace-ctl/apsmd
NF=$APSM_ROOT/tests/tools/nsh-nf
PY=/usr/bin/python3
[ -x "$CTL" ] && [ -x "$D" ] && [ -x "$NF" ] || fail "run 'make userspace' first"
work=$(mktemp -d)
NS=("${NS_PREFIX}0" "${NS_PREFIX}1" "${NS_PREFIX}2")
C=${NS_PREFIX}3 S=${NS_PREFIX}4

unload_apsm
pp load_apsm
on_exit unload_apsm
[ -e /dev/net/tun ] || modprobe tun
modprobe veth 2>/dev/null || true
modprobe bridge 2>/dev/null || true

ns_add "${NS[@]}" "$C" "$S"
for ns in "${NS[@]}" "$C" "$S"; do
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
pp ip link add apsmfab type bridge
on_exit ip link del apsmfab
ip link set apsmfab up
for i in 0 1 2; do
	ip link add "fab$i" type veth peer name fab0 netns "${NS[i]}"
	ip link set "fab$i" master apsmfab up
	nsx "${NS[i]}" ip link set fab0 address "02:fa:00:00:00:0$((i + 1))"
	nsx "${NS[i]}" ip addr add "10.0.0.$((i + 1))/24" dev fab0
	nsx "${NS[i]}" ip link set fab0 up
	nsx "${NS[i]}" sysctl -qw net.ipv4.ip_forward=1
done
N0=${NS[0]}
ip link add up0 netns "$N0" type veth peer name eth0 netns "$C"
ip link add up1 netns "$N0" type veth peer name eth0 netns "$S"
nsx "$N0" ip addr add 10.1.0.1/24 dev up0
nsx "$N0" ip addr add 10.2.0.1/24 dev up1
nsx "$N0" ip link set up0 up
nsx "$N0" ip link set up1 up
nsx "$C" ip addr add 10.1.0.2/24 dev eth0
nsx "$C" ip link set eth0 up
nsx "$C" ip route add default via 10.1.0.1
nsx "$S" ip addr add 10.2.0.2/24 dev eth0
nsx "$S" ip link set eth0 up
nsx "$S" ip route add default via 10.2.0.1
for i in 1 2; do
	nsx "${NS[i]}" ip route add 10.1.0.0/24 via 10.0.0.1
	nsx "${NS[i]}" ip route add 10.2.0.0/24 via 10.0.0.1
done

# instances: name id service node(index) [nat ip]
INST="fw1 101 fw 1
fw2 102 fw 2
nat1 201 nat 2 10.99.0.1
nat2 202 nat 0 10.99.0.2
mon1 301 mon 0
mon2 302 mon 1"

nfpids=()
stop_bg() { local p; for p in "${nfpids[@]}"; do kill "$p" 2>/dev/null; done; return 0; }
on_exit stop_bg

# apsmd on each node: it sets the node id, the fabric port and the peers
"$D" genkey >"$work/cluster.key"
apsmd_conf() { # I: node index
	local i=$1 j
	printf '[Node]\nId = %d\nListen = 10.0.0.%d:7946\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s\n' \
		$((i + 1)) $((i + 1)) "$work/cluster.key" "$work/apsmd$i.json"
	for j in 0 1 2; do
		[ "$i" = "$j" ] && continue
		printf '\n[Peer]\nId = %d\nEndpoint = 10.0.0.%d:7946\nLinkAddress = 02:fa:00:00:00:0%d\n' \
			$((j + 1)) $((j + 1)) $((j + 1))
	done
}
for i in 0 1 2; do
	apsmd_conf "$i" >"$work/apsmd$i.conf"
	ip netns exec "${NS[i]}" "$D" -c "$work/apsmd$i.conf" --foreground 2>"$work/apsmd$i.log" &
	nfpids+=($!)
done
for i in 0 1 2; do
	wait_until 5 test -s "$work/apsmd$i.json" || fail "apsmd $i did not start: $(cat "$work/apsmd$i.log")"
	assert_eq "$("$CTL" -n "${NS[i]}" -j node show | sed -nE 's/.*"id":([0-9]+).*/\1/p')" $((i + 1)) "node $i id"
	assert_eq "$("$CTL" -n "${NS[i]}" peer show | wc -l)" 2 "node $i peers"
	"$CTL" -n "${NS[i]}" port show | grep -q fab0 || fail "node $i: no fabric port"
done

ctl() { local i=$1; shift; pp "$CTL" -n "${NS[i]}" "$@"; }
for i in 0 1 2; do
	for s in fw nat mon; do ctl "$i" service add "$s" stateful; done
	while read -r name id svc node natip; do
		mac=02:4e:46:00:0$node:${id:1:2}
		if [ "$node" = "$i" ]; then
			nsx "${NS[i]}" ip tuntap add dev "t$name" mode tap
			ctl "$i" instance add "$name" service "$svc" id "$id" dev "t$name" mode nsh lladdr "$mac"
		else
			ctl "$i" instance add "$name" service "$svc" id "$id" node $((node + 1))
		fi
	done <<<"$INST"
	ctl "$i" chain add c1 spi 10 services fw,nat,mon
done
ctl 0 port add dev up0 role uplink
ctl 0 port add dev up1 role uplink
ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

while read -r name id svc node natip; do
	mac=02:4e:46:00:0$node:${id:1:2}
	ip netns exec "${NS[node]}" "$NF" --mac "$mac" --up --stats "$work/$name.json" \
		${natip:+--nat "$natip"} "t$name" 2>"$work/$name.log" &
	nfpids+=($!)
done <<<"$INST"

for n in fw1 fw2 nat1 nat2 mon1 mon2; do
	wait_until 5 test -s "$work/$n.json" || fail "nsh-nf $n did not start: $(cat "$work/$n.log")"
done

nsx "$S" socat TCP-LISTEN:7777,reuseaddr,fork EXEC:cat &
nfpids+=($!)
tcp_listening() { [ -n "$(nsx "$S" ss -Htln 'sport = :7777')" ]; }
wait_until 5 tcp_listening || fail "the TCP server did not start"
reply=$(echo "hello over the fabric" | nsx "$C" socat -t 5 - TCP:10.2.0.2:7777,connect-timeout=10) || {
	for i in 0 1 2; do echo "== node $i"; "$CTL" -n "${NS[i]}" stats show | grep -v " 0$"; "$CTL" -n "${NS[i]}" flow show; "$CTL" -n "${NS[i]}" instance show; done
	for i in 0 1 2; do echo "== apsmd $i: $(cat "$work/apsmd$i.json")"; cat "$work/apsmd$i.log"; done
	fail "socat over the fabric failed"
}
assert_eq "$reply" "hello over the fabric" "TCP echo over 3 nodes"
all_instances() { for n in "${NS[@]}"; do "$CTL" -n "$n" -j instance show; done; }
wait_stable 10 all_instances || fail "instance counters did not settle"

for i in 0 1 2; do
	"$CTL" -n "${NS[i]}" -j instance show >"$work/inst$i.json"
	"$CTL" -n "${NS[i]}" -j flow show >"$work/flow$i.json"
	"$CTL" -n "${NS[i]}" -j stats show >"$work/stats$i.json"
	"$CTL" -n "${NS[i]}" -j peer show >"$work/peer$i.json"
done
"$PY" - "$work" <<'EOF' || fail "3-node checks"
import json, sys
w = sys.argv[1]
def ld(n): return json.load(open("%s/%s.json" % (w, n)))
node_of = {"fw1": 1, "fw2": 2, "nat1": 2, "nat2": 0, "mon1": 0, "mon2": 1}
c = {}
for name, i in node_of.items():
    e = [x for x in ld("inst%d" % i) if x["name"] == name][0]
    c[name] = e
print(json.dumps({n: (e["tx_packets"], e["rx_packets"], e["drops"]) for n, e in c.items()}))
used = []
for svc in ("fw", "nat", "mon"):
    busy = [n for n in c if n.startswith(svc) and c[n]["tx_packets"]]
    assert len(busy) == 1, (svc, busy)
    n = busy[0]
    assert c[n]["tx_packets"] == c[n]["rx_packets"] and not c[n]["drops"], c[n]
    used.append(n)
fwd = [f for f in ld("flow0") if f["dir"] == "forward" and f["proto"] == "tcp"]
assert len(fwd) == 1 and fwd[0]["path"] == used, (fwd, used)
natip = "10.99.0.%s" % used[1][-1]
ret = [f for f in ld("flow0") if f["dir"] == "return" and f["dst"] == natip]
assert len(ret) == 1, ret
assert ret[0]["path"] == used[::-1], (ret, used)
assert ret[0]["origin"] == node_of[used[2]] + 1, ret   # learned at the last NF's node
assert ret[0]["packets"] >= 1, ret
for i in range(3):
    s = ld("stats%d" % i)
    bad = {k: v for k, v in s.items() if k.startswith("drop") and v}
    assert not bad, (i, bad)
assert sum(p["tx_packets"] for i in range(3) for p in ld("peer%d" % i)) > 0
d = [ld("apsmd%d" % i) for i in range(3)]
print("apsmd sent/received/auth_fail:", [(x["sent"], x["received"], x["auth_fail"]) for x in d])
assert d[ret[0]["origin"] - 1]["sent"] >= 1, d    # the return entry's origin pushed it
assert sum(x["received"] for x in d) >= 1, d
if ret[0]["origin"] != 1:
    assert d[0]["received"] >= 1, d              # n0 installed what it got
assert not any(x["auth_fail"] or x["install_fail"] for x in d), d
print("OK: path %s, return %s learned on node %d%s"
      % (used, ret[0]["path"], ret[0]["origin"],
         ", replicated to node 1 by apsmd" if ret[0]["origin"] != 1 else ""))
EOF
log "dp-3node: OK"
