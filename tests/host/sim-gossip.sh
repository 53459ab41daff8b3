#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sim-gossip: replication above DirectPushMax converges, tails included.
# N (default 6) apsmd-sim processes (apsmd on the in-memory kernel
# stand-in, no module, no VM) in one network namespace on 127.0.0.1-N,
# every node a peer of the others, DirectPushMax 3 so the cluster is in
# gossip (relay) mode. Each node creates FLOWS flows (its own keys), then
# stops: the last entries of every stream are a tail that nothing after
# them reveals, only vectors (anti-entropy) do.
#
# Proves: within a bounded wait every node holds N * FLOWS entries and all
# N tables have the same digest.
#
#   tests/host/sim-gossip.sh
#
# SIM_GOSSIP_N (nodes), SIM_GOSSIP_FLOWS (flows per node, default 300),
# SIM_GOSSIP_WAIT (s, default 60) bound the run. SIM_GOSSIP_FANOUT
# (default 2) is GossipFanout, the relay trees' fanout.
#
# Also proves the relay trees carry the data: every node sent LOGs down
# a tree (tree_sends > 0) and at most 5% of the entries a node holds
# from others came by gap repair (nothing is lost on lo).
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
ROOT=$(cd "$here/../.." && pwd -P)
SIM=$ROOT/userspace-ctl/apsmd/apsmd-sim
PY=/usr/bin/python3
N=${SIM_GOSSIP_N:-6}
FLOWS=${SIM_GOSSIP_FLOWS:-300}
WAIT=${SIM_GOSSIP_WAIT:-60}
FANOUT=${SIM_GOSSIP_FANOUT:-2}
[ -x "$SIM" ] || fail "$SIM missing: run 'make -C userspace-ctl'"

work=$(mktemp -d /tmp/apsm-sim-gossip.XXXXXX)
on_exit rm -rf "$work"
ns="apsm-simgos$$"
run=()
port=7946
if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null; then
	_lib_ns+=("$ns")
	ip -n "$ns" link set lo up
	run=(ip netns exec "$ns")
	log "namespace $ns, nodes on 127.0.0.1-$N:$port"
else
	port=$((20000 + $$ % 20000))
	log "no namespace (not root?): nodes on the host's 127.0.0.1-$N:$port"
fi

"$SIM" genkey >"$work/key"
for i in $(seq 1 "$N"); do
	{
		printf '[Node]\nId = %d\nListen = 127.0.0.%d:%d\nKeyFile = %s\nFabricDevice = lo\nStatsFile = %s\nInventory = no\n' \
			"$i" "$i" $port "$work/key" "$work/stats$i.json"
		printf 'DirectPushMax = 3\nGossipFanout = %d\nAntiEntropyInterval = 1s\n' "$FANOUT"
		for j in $(seq 1 "$N"); do
			[ "$i" = "$j" ] && continue
			printf '[Peer]\nId = %d\nEndpoint = 127.0.0.%d:%d\nLinkAddress = 02:00:00:00:00:%02x\n' \
				"$j" "$j" $port "$j"
		done
	} >"$work/n$i.conf"
done
on_exit bg_stop
for i in $(seq 1 "$N"); do
	APSMD_SIM_STATE=$work/state$i.json APSMD_SIM_CTL=$work/ctl$i \
		"${run[@]}" "$SIM" -c "$work/n$i.conf" --foreground 2>"$work/log$i" &
	bg_pids+=($!)
done
for i in $(seq 1 "$N"); do
	wait_until 10 test -p "$work/ctl$i" ||
		fail "node $i did not start: $(cat "$work/log$i")"
done

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
	for i in $(seq 1 "$N"); do
		"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))
print("node %d: %d entries, digest %s, origins %s" % (s["node"], s["entries"], s["digest"], [(o["origin"], o["count"]) for o in s["origins"]]))' \
			"$work/state$i.json" >&2 || true
	done
}

# all nodes must be ready (snapshot or alone) before the load
for i in $(seq 1 "$N"); do
	wait_until 20 grep -q '"Ready":1' "$work/stats$i.json" ||
		fail "node $i not ready: $(cat "$work/stats$i.json" 2>/dev/null)"
done
for i in $(seq 1 "$N"); do
	echo "gen 2000 $FLOWS" >"$work/ctl$i"
done
want=$((N * FLOWS))
log "$N x $FLOWS flows created (gossip mode), waiting for identical tables"
wait_until "$WAIT" all $want ||
	{ show; cat "$work/stats1.json" >&2; fail "the $N tables did not converge to $want entries with one digest within $WAIT s"; }
show
log "converged: $want entries on every node, one digest"
# the relay trees carried the data: every node sent LOGs down a tree,
# and (nothing is lost on lo) at most 5% of what each node got came from
# gap repair instead of a push
"$PY" - "$work" "$N" "$FLOWS" <<'EOF' || fail "the relay trees did not carry the data (see above)"
import json, sys
d, n, flows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ok = True
for i in range(1, n + 1):
    s = json.load(open("%s/stats%d.json" % (d, i)))
    print("node %d: tree_sends %d relayed %d received %d gap_entries_repaired %d dup_suppressed %d log_gone %d"
          % (i, s["tree_sends"], s["relayed"], s["received"], s["gap_entries_repaired"], s["dup_suppressed"], s["log_gone"]), file=sys.stderr)
    if s["tree_sends"] == 0 or s["gap_entries_repaired"] * 20 > (n - 1) * flows:
        ok = False
sys.exit(0 if ok else 1)
EOF
echo "PASS"
