#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sim-merkle: a partition longer than the log is repaired by the Merkle
# exchange. Three apsmd-sim processes (apsmd on the in-memory kernel
# stand-in, no module, no VM) in one network namespace on 127.0.0.1-3,
# LogSize 64 (the minimum). All create 100 flows and converge; node 3 is
# cut off (policy routing in the namespace: blackhole to and from
# 127.0.0.3); nodes 1 and 2 create 300 flows each and node 1 deletes its
# flow 5; the partition heals after the writes are older than the
# Merkle horizon (2 s here). Node 3's vectors/NACKs find the origins no
# longer keep the missed ranges (LOG_GONE), so only a Merkle round can
# repair them. Needs root (a namespace).
#
# Proves: (1) every node ends with 3*100 + 2*300 - 1 entries and one
# digest, and node 3 counted merkle_rounds > 0 and some node
# merkle_diff_leaves > 0 (the trees differed and the exchange found it);
# (2) node 2 killed, node 1 deletes its flow 7, node 2 restarted with an
# empty table: 898 entries and one digest everywhere, and node 2 ran a
# Merkle round after its snapshot (merkle_rounds > 0).
#
#   tests/host/sim-merkle.sh          SIM_MERKLE_WAIT (s, default 60)
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
ROOT=$(cd "$here/../.." && pwd -P)
SIM=$ROOT/userspace-ctl/apsmd/apsmd-sim
PY=/usr/bin/python3
N=3
WAIT=${SIM_MERKLE_WAIT:-60}
[ -x "$SIM" ] || fail "$SIM missing: run 'make -C userspace-ctl'"

work=$(mktemp -d /tmp/apsm-sim-merkle.XXXXXX)
on_exit rm -rf "$work"
ns="apsm-simmrk$$"
run=()
port=7946
if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null; then
	_lib_ns+=("$ns")
	ip -n "$ns" link set lo up
	run=(ip netns exec "$ns")
	log "namespace $ns, nodes on 127.0.0.1-$N:$port"
else
	fail "needs root and network namespaces (the partition is policy routing in one)"
fi
# the local table behind a rule of ours, so blackhole rules can go first
ip -n "$ns" rule add pref 1000 lookup local && ip -n "$ns" rule del pref 0 ||
	fail "cannot move the local routing rule in $ns"

"$SIM" genkey >"$work/key"
for i in $(seq 1 $N); do
	{
		printf '[Node]\nId = %d\nListen = 127.0.0.%d:%d\nKeyFile = %s\nFabricDevice = lo\nStatsFile = %s\nInventory = no\n' \
			"$i" "$i" $port "$work/key" "$work/stats$i.json"
		printf 'LogSize = 64\nAntiEntropyInterval = 1s\n'
		for j in $(seq 1 $N); do
			[ "$i" = "$j" ] && continue
			printf '[Peer]\nId = %d\nEndpoint = 127.0.0.%d:%d\nLinkAddress = 02:00:00:00:00:%02x\n' \
				"$j" "$j" $port "$j"
		done
	} >"$work/n$i.conf"
done
on_exit bg_stop
declare -A pid
start() {	# start NODE
	APSMD_SIM_STATE=$work/state$1.json APSMD_SIM_CTL=$work/ctl$1 \
		"${run[@]}" "$SIM" -c "$work/n$1.conf" --foreground 2>>"$work/log$1" &
	bg_pids+=($!)
	pid[$1]=$!
}
for i in $(seq 1 $N); do
	start "$i"
done
for i in $(seq 1 $N); do
	wait_until 10 test -p "$work/ctl$i" ||
		fail "node $i did not start: $(cat "$work/log$i")"
done

# all ENTRIES: every state file says ENTRIES, generator done, one digest
all() {
	"$PY" - "$work" "$N" "$1" <<'EOF'
import json, sys
d, n, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
digests = set()
for i in range(1, n + 1):
    try:
        s = json.load(open("%s/state%d.json" % (d, i)))
    except (OSError, ValueError):
        sys.exit(1)
    if not s["gen_done"] or s["entries"] != want:
        sys.exit(1)
    digests.add(s["digest"])
sys.exit(0 if len(digests) == 1 else 1)
EOF
}
show() {
	local i
	for i in $(seq 1 $N); do
		"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
print("node %d: %d entries, digest %s, origins %s; log_gone %d merkle_rounds %d merkle_diff_leaves %d" % (s["node"], s["entries"], s["digest"], [(o["origin"], o["count"]) for o in s["origins"]], t["log_gone"], t["merkle_rounds"], t["merkle_diff_leaves"]))' \
			"$work/state$i.json" "$work/stats$i.json" >&2 || true
	done
}
stat() {	# stat NODE COUNTER
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$work/stats$1.json" "$2"
}

for i in $(seq 1 $N); do
	wait_until 20 grep -q '"Ready":1' "$work/stats$i.json" ||
		fail "node $i not ready"
done
for i in $(seq 1 $N); do
	echo "gen 2000 100" >"$work/ctl$i"
done
wait_until "$WAIT" all 300 || { show; fail "no convergence at 300 entries before the partition"; }
log "300 entries everywhere; cutting node 3 off"

ip -n "$ns" rule add pref 10 to 127.0.0.3 blackhole
ip -n "$ns" rule add pref 11 from 127.0.0.3 blackhole
echo "gen 2000 300" >"$work/ctl1"
echo "gen 2000 300" >"$work/ctl2"
echo "del 1 5" >"$work/ctl1"
one() {	# node N has ENTRIES
	"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); sys.exit(0 if s["gen_done"] and s["entries"] == int(sys.argv[2]) else 1)' \
		"$work/state$1.json" "$2"
}
wait_until 20 one 1 899 || { show; fail "node 1 did not reach 899 entries"; }
wait_until 20 one 2 899 || { show; fail "node 2 did not reach 899 entries"; }
# the missed writes must be older than the Merkle horizon (2 s here)
# before node 3 comes back (a duration, not a condition to wait for)
sleep 3
log "nodes 1 and 2 at 899 entries; healing the partition"
ip -n "$ns" rule del pref 10
ip -n "$ns" rule del pref 11

wait_until "$WAIT" all 899 ||
	{ show; fail "the tables did not converge to 899 entries with one digest within $WAIT s"; }
show
log "converged: 899 entries on every node, one digest"
[ "$(stat 3 merkle_rounds)" -gt 0 ] || fail "node 3 ran no Merkle round"
d=0
for i in $(seq 1 $N); do
	d=$((d + $(stat "$i" merkle_diff_leaves)))
done
[ "$d" -gt 0 ] || fail "no Merkle round found a differing leaf: the repair came from elsewhere"
log "Merkle repair: node 3 merkle_rounds $(stat 3 merkle_rounds), diff leaves (all nodes) $d"

# (2) node 2 restarts with an empty table: snapshot, then a Merkle round
# with the snapshot's peer once the installed records are in the tree;
# node 1 deletes its flow 7 while node 2 is down
kill "${pid[2]}"
wait_until 10 bg_gone "${pid[2]}" || fail "node 2 does not exit"
rm -f "$work/stats2.json" "$work/state2.json"
echo "del 1 7" >"$work/ctl1"
start 2
wait_until 20 test -s "$work/stats2.json" || fail "node 2 did not restart: $(tail -3 "$work/log2")"
wait_until "$WAIT" all 898 ||
	{ show; fail "after node 2's restart the tables did not converge to 898 entries within $WAIT s"; }
m2() { [ "$(stat 2 merkle_rounds)" -gt 0 ]; }
wait_until "$WAIT" m2 || { show; fail "restarted node 2 ran no Merkle round"; }
show
log "node 2 restarted empty: 898 entries everywhere, one digest, merkle_rounds $(stat 2 merkle_rounds)"
echo "PASS"
