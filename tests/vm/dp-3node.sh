#!/bin/bash
# dp-3node: a 3-hop chain whose instances are spread over 3 nodes, hops
# over the fabric, return path learned on one node and replicated by
# apsmd to the node where the return traffic ENTERS (never the same one).
#   make userspace && scripts/vm-run.sh tests/vm/dp-3node.sh
#
# Topology: tests/lib-3node.sh: nodes apsm-t0/1/2 (APSM ids 1/2/3) joined
# by a bridge (fabric, fab0 10.0.0.N/24 in each); client apsm-t3 behind
# n0's up0 (10.1.0.0/24), server apsm-t4 behind n2's up1 (10.2.0.0/24):
#
#   client -> up0 [n0] -fabric-> ... chain ... -> egress node -> [n2] up1 -> server
#   server -> up1 [n2]: return entry replicated from the egress node
#
# Chain fw -> nat -> mon; instances (2 per service, nsh-nf on taps):
#   fw1@n1 fw2@n2  nat1@n2 nat2@n0  mon1@n0 mon2@n1
# The chain ends (the return path is learned) at a mon instance: on n0 or
# n1, never on n2, where the server's replies enter: every reply is
# steered by an entry apsmd brought from another node. One apsmd per node
# (inventory on: remote instances arrive by themselves). The policy is on
# every node (as an operator configures a cluster), so n2 holds a reply
# that beats its entry (hold queue) instead of passing it un-NATed.
#
# Proves, for 20 TCP connections (socat) spread over both NATs: each
# echoes; every forward entry's return entry is on n2 with the reversed
# path and the NAT address of the NAT on that path, learned at the last
# NF's node (not n2) and used there; each instance's tx == rx; no loss
# (assert_no_loss on every node); the replies that beat their entry to n2
# were held there and all released (hold_held >= 1 == hold_released, none
# timed out), and every TCP packet the server sent reached the client
# with the NAT restored (nft counters in S's output and C's input equal);
# every node's `flow show -j` holds the same entries (key, dir, path,
# origin); apsmd replicated with no auth failures.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"
tn_setup --client-node 0 --server-node 2
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
for i in 0 1 2; do tn_ctl "$i" policy add prio 10 src 10.1.0.0/24 chain c1; done
# hold-ms 2000 instead of the default 50 (a test-side choice, the default
# stays): under TCG a SYN-ACK once reached n2 more than 50 ms before apsmd
# brought its return entry, timed out in the hold queue and passed
# un-NATed; this test asserts that no reply is lost (hold_timeout 0), and
# the replication delay, not the hold-queue deadline, is what it measures.
for i in 0 1 2; do tn_ctl "$i" node set hold-ms 2000; done

# nft counters: every TCP packet the server sends from port 7777 (its
# output), and every one the client receives from 10.2.0.2:7777 addressed
# to the client itself, i.e. with the NAT restored (the client's input;
# the client has no other address, so an un-NATed reply cannot arrive).
# Equal counts: no reply was lost or passed un-NATed, held or not.
modprobe nf_tables # the VM does not autoload it
nsx "$S" nft -f - <<'NFT'
table inet t {
	chain o {
		type filter hook output priority 0; tcp sport 7777 counter
	}
}
NFT
nsx "$C" nft -f - <<'NFT'
table inet t {
	chain i {
		type filter hook input priority 0; ip saddr 10.2.0.2 ip daddr 10.1.0.2 tcp sport 7777 counter
	}
}
NFT
nft_packets() { nsx "$1" nft list table inet t | sed -nE 's/.*counter packets ([0-9]+) .*/\1/p'; }

tn_bg socat ip netns exec "$S" socat TCP-LISTEN:7777,reuseaddr,fork EXEC:cat
tcp_listening() { [ -n "$(nsx "$S" ss -Htln 'sport = :7777')" ]; }
wait_until 5 tcp_listening || fail "the TCP server did not start"
nconn=20
for k in $(seq "$nconn"); do
	reply=$(echo "hello $k over the fabric" |
		nsx "$C" socat -t 10 - TCP:10.2.0.2:7777,connect-timeout=10) || {
		tn_dump
		fail "connection $k over the fabric failed"
	}
	assert_eq "$reply" "hello $k over the fabric" "TCP echo $k over 3 nodes"
done
log "$nconn TCP connections echoed"
wait_stable 10 tn_all_instances || fail "instance counters did not settle"
# every node's RDS converges to the same entries
flows_of() {
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c 'import json, sys
print(sorted((f["src"], f["dst"], f["sport"], f["dport"], f["proto"], f["dir"],
              f["path"], f["origin"]) for f in json.load(sys.stdin)))'
}
same_rds() { local a; a=$(flows_of 0); [ "$a" = "$(flows_of 1)" ] && [ "$a" = "$(flows_of 2)" ]; }
wait_until 30 same_rds || { tn_dump; fail "the nodes' RDS differ"; }

# replies: held on n2 until their entry came, restored by their NAT
both_counts() { echo "$(nft_packets "$S") $(nft_packets "$C")"; }
wait_stable 10 both_counts || fail "the nft counters did not settle"
read -r sent got <<<"$(both_counts)"
log "server sent $sent TCP packets from port 7777; the client got $got, NAT restored"
[ "$sent" -ge $((3 * nconn)) ] || fail "the server sent only $sent packets for $nconn connections"
assert_eq "$got" "$sent" "replies that reached the client NAT-restored (nft counters)"
for i in 0 1 2; do
	assert_no_loss "${NS[i]}" "${NS[i]}: loss counters (every packet delivered, none held until the timeout)"
done

for i in 0 1 2; do
	"$CTL" -n "${NS[i]}" -j instance show >"$work/inst$i.json"
	"$CTL" -n "${NS[i]}" -j flow show >"$work/flow$i.json"
	"$CTL" -n "${NS[i]}" -j stats show >"$work/stats$i.json"
	"$CTL" -n "${NS[i]}" -j peer show >"$work/peer$i.json"
done
"$PY" - "$work" "$nconn" <<'EOF' || fail "3-node checks"
import json, sys
w, nconn = sys.argv[1], int(sys.argv[2])
def ld(n): return json.load(open("%s/%s.json" % (w, n)))
node_of = {"fw1": 1, "fw2": 2, "nat1": 2, "nat2": 0, "mon1": 0, "mon2": 1}
natip = {"nat1": "10.99.0.1", "nat2": "10.99.0.2"}
c = {}
for name, i in node_of.items():
    c[name] = [x for x in ld("inst%d" % i) if x["name"] == name][0]
print("tx/rx/drops:", json.dumps({n: (e["tx_packets"], e["rx_packets"], e["drops"]) for n, e in c.items()}))
for n, e in c.items():
    assert e["tx_packets"] == e["rx_packets"] and not e["drops"], (n, e)
f0, f2 = ld("flow0"), ld("flow2")
fwd = [f for f in f0 if f["dir"] == "forward" and f["proto"] == "tcp"]
assert len(fwd) == nconn, (len(fwd), fwd)
used_nat = set()
for f in fwd:
    path = f["path"]
    assert [p[:-1] for p in path] == ["fw", "nat", "mon"], f
    used_nat.add(path[1])
    ret = [r for r in f2 if r["dir"] == "return" and r["proto"] == "tcp"
           and r["dst"] == natip[path[1]] and r["src"] == f["dst"]
           and r["sport"] == f["dport"] and r["path"] == path[::-1]]
    assert len(ret) >= 1, ("no return entry on n2 for", f)
    r = ret[0]
    assert r["origin"] == node_of[path[2]] + 1 and r["origin"] != 3, r
    assert r["packets"] >= 1, ("return entry not used on n2", r)
# (the match above cannot tell the connections of one NAT apart: it has no
# NAT port) exactly one return entry per connection on n2
rets = [r for r in f2 if r["dir"] == "return" and r["proto"] == "tcp"]
assert len(rets) == nconn, (len(rets), rets)
print("NATs used:", sorted(used_nat))
s2 = ld("stats2")
print("n2 hold queue: held %s released %s timeout %s" %
      (s2["hold_held"], s2["hold_released"], s2["hold_timeout"]))
# the replies that beat their entry were held and every one released (a
# reply held and then passed would be hold_timeout, checked 0 above)
assert s2["hold_held"] >= 1 and s2["hold_released"] == s2["hold_held"], s2
for i in (0, 1):   # the forward path never waits for an entry
    s = ld("stats%d" % i)
    assert s["hold_held"] == 0, (i, s)
assert sum(p["tx_packets"] for i in range(3) for p in ld("peer%d" % i)) > 0
d = [ld("apsmd%d" % i) for i in range(3)]
print("apsmd sent/received/auth_fail:", [(x["sent"], x["received"], x["auth_fail"]) for x in d])
assert d[2]["received"] >= 1, d              # n2 installed what it got
assert not any(x["auth_fail"] or x["install_fail"] for x in d), d
print("OK: %d connections over NATs %s; every return entry on n2 (node 3) was learned on node 1 or 2 and replicated"
      % (nconn, sorted(used_nat)))
EOF
log "dp-3node: OK"
