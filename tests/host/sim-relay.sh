#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sim-relay: relay trees above DirectPushMax cover every node under loss.
# N (default 12) apsmd-sim processes (tests/lib-sim.sh) in one namespace,
# DirectPushMax 4, GossipFanout 2 (trees of depth 3 at 12 nodes), 10% of
# the datagrams dropped on receive (nft numgen in the namespace). Every
# node creates FLOWS (default 100) flows.
#
# Proves: (1) coverage 100%: every node holds N * FLOWS entries and one
# digest within the wait; (2) entries a relay node first got by repair
# (a NACK answer) went on down its subtree: repair_relayed > 0 somewhere
# (before, a NACK answer was never relayed and each node of the subtree
# had to find and NACK the same gap itself; coverage was reached that way
# too, later: with APSMD_SIM_BIN=an older build (1) passes and (2) fails).
#
#   tests/host/sim-relay.sh   SIM_RELAY_N, SIM_RELAY_FLOWS, SIM_RELAY_LOSS
#                             (% dropped, default 10), SIM_RELAY_WAIT (s, 90)
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/lib-sim.sh
. "$here/../lib-sim.sh"
FLOWS=${SIM_RELAY_FLOWS:-100}
LOSS=${SIM_RELAY_LOSS:-10}
WAIT=${SIM_RELAY_WAIT:-90}
command -v nft >/dev/null || { echo "SKIP: no nft (the loss)"; exit 77; }

sim_setup rly "${SIM_RELAY_N:-12}" need-ns
sim_conf 'DirectPushMax = 4\nGossipFanout = 2\nAntiEntropyInterval = 1s\n'
sim_start_all
sim_wait_ready
ip netns exec "$ns" nft -f - <<NFT || fail "cannot set up the loss with nft"
table inet apsmloss {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport $port numgen random mod 100 < $LOSS counter drop
	}
}
NFT
log "$N nodes, DirectPushMax 4, fanout 2, $LOSS% loss; $FLOWS flows each"
for i in $(seq 1 "$N"); do
	echo "gen 200 $FLOWS" >"$work/ctl$i"
done
want=$((N * FLOWS))
wait_until "$WAIT" sim_all $want ||
	{ sim_show; fail "coverage below 100%: the $N tables did not converge to $want entries with one digest within $WAIT s"; }
dropped=$(ip netns exec "$ns" nft list table inet apsmloss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
log "coverage 100%: $want entries on all $N nodes, one digest ($dropped datagrams dropped)"
for c in tree_sends relayed repair_relayed gap_entries_repaired gaps_detected dup_suppressed; do
	log "  $c (all nodes): $(sim_sum $c)"
done
r=$(sim_sum repair_relayed)
[ "$r" -gt 0 ] || fail "no entry received by repair was relayed down a tree (repair_relayed $r)"
echo "PASS"
