#!/bin/bash
# dp-3node: a 3-hop chain whose instances are spread over 3 nodes, hops
# over the fabric, return path learned on a remote node and replicated.
#   make userspace && scripts/vm-run.sh tests/vm/dp-3node.sh
#
# Topology: tests/lib-3node.sh with its defaults: nodes apsm-t0/1/2 (ids
# 1/2/3) joined by a bridge (fabric, fab0 10.0.0.N/24 in each); client
# apsm-t3 behind n0's up0 (10.1.0.0/24), server apsm-t4 behind n0's up1
# (10.2.0.0/24); n1/n2 route both via n0.
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

# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"
tn_setup --client-node 0 --server-node 0
tn_apsmd_write
tn_apsmd_start

# instances: name id service node(index) [nat ip]
INST="fw1 101 fw 1
fw2 102 fw 2
nat1 201 nat 2 10.99.0.1
nat2 202 nat 0 10.99.0.2
mon1 301 mon 0
mon2 302 mon 1"
tn_nf_setup "$INST"
for i in 0 1 2; do tn_ctl "$i" chain add c1 spi 10 services fw,nat,mon; done
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

tn_bg socat ip netns exec "$S" socat TCP-LISTEN:7777,reuseaddr,fork EXEC:cat
tcp_listening() { [ -n "$(nsx "$S" ss -Htln 'sport = :7777')" ]; }
wait_until 5 tcp_listening || fail "the TCP server did not start"
reply=$(echo "hello over the fabric" | nsx "$C" socat -t 10 - TCP:10.2.0.2:7777,connect-timeout=10) || {
	tn_dump
	fail "socat over the fabric failed"
}
assert_eq "$reply" "hello over the fabric" "TCP echo over 3 nodes"
wait_stable 10 tn_all_instances || fail "instance counters did not settle"

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
