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
# shellcheck source=tests/lib-sim.sh
. "$here/../lib-sim.sh"
FLOWS=${SIM_GOSSIP_FLOWS:-300}
WAIT=${SIM_GOSSIP_WAIT:-60}
FANOUT=${SIM_GOSSIP_FANOUT:-2}

sim_setup gos "${SIM_GOSSIP_N:-6}"
sim_conf "DirectPushMax = 3\nGossipFanout = $FANOUT\nAntiEntropyInterval = 1s\n"
sim_start_all
# all nodes must be ready (snapshot or alone) before the load
sim_wait_ready
for i in $(seq 1 "$N"); do
	echo "gen 2000 $FLOWS" >"$work/ctl$i"
done
want=$((N * FLOWS))
log "$N x $FLOWS flows created (gossip mode), waiting for identical tables"
wait_until "$WAIT" sim_all $want ||
	{ sim_show; cat "$work/stats1.json" >&2; fail "the $N tables did not converge to $want entries with one digest within $WAIT s"; }
sim_show
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
