#!/bin/bash
# apsmd-inventory: zero-touch scale-out. Instances added on their own node
# reach every other node's LB table through apsmd, without any step there.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/apsmd-inventory.sh
#
# Topology: tests/lib-3node.sh defaults (nodes apsm-t0/1/2 = node ids
# 1/2/3, bridge fabric; client and server behind n0). apsmd on every node
# with Inventory = yes and short timers. Service fw exists on every node
# (configuration); chain c1 = fw on n0 with a policy for the client.
#
# Proves:
#  - fw1 added on n0 (id 101, its tap) and fw2 added on n1 (id 102) appear,
#    with no command on the other nodes, as remote instances (same id,
#    service, owning node, weight, state) on every other node;
#  - n0's LB then sends flows to fw2 on n1 (fw2's packet counter on n1
#    moves) as well as to fw1;
#  - RDS entries travel by gossip (GossipThreshold 2, fanout 1): relayed
#    by the first receiver, identical on every node (anti-entropy slowed
#    to 5 s so that it is not what converges them);
#  - a weight change of fw2 on n1 reaches n0 and n2;
#  - fw2 deleted on n1 disappears from n0 and n2;
#  - fw2 added again, then n1's apsmd killed: n0 and n2 set peer 2 down
#    (the kernel peer state; fw2's own state stays up, exactly one
#    peer_state_down and no instances_down on n0) and new flows avoid
#    fw2; apsmd on n1 restarted: peer 2 up again (one peer_state_up);
#  - apsmd pushes per-peer replication figures into the kernel: n0's
#    `peer show` reports updates and datagrams exchanged with n1;
#  - a node's own instances are never overwritten by peers: fw1 on n0
#    stays local (dev, node 1).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"

# shellcheck disable=SC2119 # the defaults
tn_setup
tn_apsmd_write
for i in 0 1 2; do
	sed -i '/^StatsFile/a Inventory = yes\nHeartbeatInterval = 200ms\nPeerTimeout = 1s\nAntiEntropyInterval = 5s\nSnapshotTimeout = 1s\nGossipThreshold = 2\nGossipFanout = 1\nGossipTTL = 3' \
		"$work/apsmd$i.conf"
done
tn_apsmd_start
stat() { tn_apsmd_stat "$@"; }
ready() { [ "$(stat "$1" Ready 2>/dev/null)" = 1 ]; }
for i in 0 1 2; do wait_until 10 ready "$i" || { tn_dump; fail "n$i not ready"; }; done
dump_fail() { tn_dump; fail "$@"; }

for i in 0 1 2; do tn_ctl "$i" service add fw stateful; done
add_local() { # I NAME ID: an instance on node I with its tap and nsh-nf
	local i=$1 name=$2 id=$3 mac
	mac=$(tn_mac "$id" "$i")
	ip -n "${NS[i]}" link show "$(tn_tap "$name")" >/dev/null 2>&1 ||
		ip -n "${NS[i]}" tuntap add dev "$(tn_tap "$name")" mode tap
	tn_ctl "$i" instance add "$name" service fw id "$id" dev "$(tn_tap "$name")" mode nsh lladdr "$mac"
	if [ -z "${TN_NF_PID[$name]:-}" ]; then
		rm -f "$work/$name.json"
		tn_bg "$name" ip netns exec "${NS[i]}" "$NF" --mac "$mac" --up --stats "$work/$name.json" "$(tn_tap "$name")"
		TN_NF_PID[$name]=$TN_BG_PID
		wait_until 5 test -s "$work/$name.json" || fail "nsh-nf $name did not start"
	fi
}
# inst I ID FIELD: a field of instance ID in node I's table ("" if absent)
inst() {
	"$CTL" -n "${NS[$1]}" -j instance show | "$PY" -c '
import json, sys
for x in json.load(sys.stdin):
    if x["id"] == int(sys.argv[1]):
        print(x[sys.argv[2]])' "$2" "$3"
}
has() { [ "$(inst "$1" "$2" "$3")" = "$4" ]; }
# peer I ID FIELD: a field of peer ID in node I's peer table (repl.X too)
peer() {
	"$CTL" -n "${NS[$1]}" -j peer show | "$PY" -c '
import json, sys
for x in json.load(sys.stdin):
    if x["id"] == int(sys.argv[1]):
        v = x
        for k in sys.argv[2].split("."):
            v = v.get(k, "") if isinstance(v, dict) else ""
        print(v)' "$2" "$3"
}
# node 2 (n1) seen dead on node I: its kernel peer down; fw2 keeps its
# state (this kernel has peer states: apsmd marks the peer, not its
# instances; the instance fallback is for kernels without them)
n1_down() { [ "$(peer "$1" 2 state)" = down ]; }
n1_up() { [ "$(peer "$1" 2 state)" = up ]; }
# fw2 as node I sees it: service/state/weight/owning node
fw2_is() { [ "$(inst "$1" 102 service)/$(inst "$1" 102 state)/$(inst "$1" 102 weight)/$(inst "$1" 102 node)" = "$2" ]; }
gone() { [ -z "$(inst "$1" "$2" id)" ]; }

add_local 0 fw1 101
add_local 1 fw2 102
for i in 1 2; do
	wait_until 10 has "$i" 101 node 1 || dump_fail "fw1 (node 1) did not reach n$i"
done
# fw2 waited for on its own (not checked right after fw1), the whole of it
for i in 0 2; do
	wait_until 10 fw2_is "$i" fw/up/100/2 ||
		dump_fail "fw2 (node 2) on n$i: $(inst "$i" 102 service)/$(inst "$i" 102 state)/$(inst "$i" 102 weight)/$(inst "$i" 102 node), expected fw/up/100/2"
done
{ has 0 101 node 1 && has 0 101 dev "$(tn_tap fw1)"; } || dump_fail "n0's own fw1 was changed"
log "fw1 and fw2 reached every node with no command there"

# the LB on n0 uses fw2 on n1
tn_ctl 0 chain add c1 spi 10 services fw
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
mkflows() { # FIRST COUNT: UDP flows C -> S through the chain
	nsx "$C" "$PY" - "$@" <<'EOF'
import socket, sys
first, count = int(sys.argv[1]), int(sys.argv[2])
for p in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.2", p))
    s.sendto(b"x", ("10.2.0.2", 9999))
    s.close()
EOF
}
tx() { inst "$1" "$2" tx_packets; }
tx_gt() { [ "$(tx "$1" "$2")" -gt "$3" ]; }
mkflows 30000 40
wait_until 10 tx_gt 1 102 0 || dump_fail "n0's LB sent nothing to fw2 on n1"
wait_until 10 tx_gt 0 101 0 || dump_fail "n0's LB sent nothing to fw1"
log "flows balanced: fw1 got $(tx 0 101) packets on n0, fw2 got $(tx 1 102) on n1"

# gossip (3 nodes > GossipThreshold 2, fanout 1): n0 pushes to one peer,
# which relays to the other; every node ends up with the same entries
flows() {
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["src"], f["sport"], f["dst"], f["dport"], ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}
converged() { local a; a=$(flows 0); [ -n "$a" ] && [ "$a" = "$(flows 1)" ] && [ "$a" = "$(flows 2)" ]; }
wait_until 20 converged || dump_fail "gossip: the nodes' flow tables differ"
relayed=$(($(stat 1 relayed) + $(stat 2 relayed)))
[ "$relayed" -gt 0 ] || dump_fail "gossip: nothing relayed"
log "gossip: $relayed entries relayed, $(flows 0 | grep -c .) entries on every node"

# a state/weight change
tn_ctl 1 instance set fw2 weight 50
for i in 0 2; do wait_until 10 has "$i" 102 weight 50 || dump_fail "fw2's weight did not reach n$i"; done

# delete (flows pinned to it first: flushed everywhere)
for i in 0 1 2; do tn_ctl "$i" flow flush; done
tn_ctl 1 instance del fw2
for i in 0 2; do wait_until 10 gone "$i" 102 || dump_fail "deleted fw2 still on n$i"; done
log "deletion reached every node"

# dead node: its instances down elsewhere, up again when it returns
add_local 1 fw2 102
for i in 0 2; do wait_until 10 has "$i" 102 state up || dump_fail "re-added fw2 not up on n$i"; done
kill -KILL "${TN_APSMD_PID[1]}"
for i in 0 2; do
	wait_until 10 n1_down "$i" || dump_fail "n$i did not mark dead n1's peer down"
	has "$i" 102 state up || dump_fail "n$i: fw2's own state changed (peer state is what marks it dead)"
done
# one death, one peer marked down, no instance forced down
assert_eq "$(stat 0 peer_state_down)/$(stat 0 instances_down)" 1/0 "n0 peer_state_down/instances_down"
has 0 101 state up || dump_fail "fw1 (alive node) went down too"
[ "$(peer 0 3 state)" != down ] || dump_fail "n0 marked live n2 down"
before=$(tx 1 102) before1=$(tx 0 101)
mkflows 31000 20
wait_until 10 tx_gt 0 101 "$before1" || dump_fail "new flows did not reach fw1"
assert_eq "$(tx 1 102)" "$before" "new flows avoided fw2 while its node was dead"
tn_bg apsmd1b ip netns exec "${NS[1]}" "$D" -c "$work/apsmd1.conf" --foreground
TN_APSMD_PID[1]=$TN_BG_PID
for i in 0 2; do
	wait_until 10 n1_up "$i" || dump_fail "n$i did not bring n1's peer up when it returned"
done
assert_eq "$(stat 0 peer_state_up)/$(stat 0 instances_up)" 1/0 "n0 peer_state_up/instances_up"
log "dead node's instances down, then up again"

if grep -q APSM_PEER_A_REPL "$APSM_ROOT/uapi/linux/apsm.h"; then
	repl_rx() { [ "$(peer 0 2 repl.batches_rx)" -gt 0 ]; }
	wait_until 10 repl_rx ||
		dump_fail "no replication figures in n0's peer show"
	log "n0 peer 2: $("$CTL" -n "${NS[0]}" peer show | grep -E '^id 2' || true)"
else
	log "this kernel has no APSM_PEER_A_REPL: figures not checked"
fi

for i in 0 1 2; do
	[ "$(stat "$i" inv_fail)" = 0 ] || dump_fail "n$i: inventory install failures"
	kill -TERM "${TN_APSMD_PID[i]}"
done
log "apsmd-inventory: ok"
