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
# shellcheck source=tests/lib-sim.sh
. "$here/../lib-sim.sh"
WAIT=${SIM_MERKLE_WAIT:-60}

# the partition is policy routing in the namespace
sim_setup mrk 3 need-ns
# the local table behind a rule of ours, so blackhole rules can go first
ip -n "$ns" rule add pref 1000 lookup local && ip -n "$ns" rule del pref 0 ||
	fail "cannot move the local routing rule in $ns"
sim_conf 'LogSize = 64\nAntiEntropyInterval = 1s\n'
sim_start_all
sim_wait_ready
for i in $(seq 1 "$N"); do
	echo "gen 2000 100" >"$work/ctl$i"
done
wait_until "$WAIT" sim_all 300 || { sim_show; fail "no convergence at 300 entries before the partition"; }
log "300 entries everywhere; cutting node 3 off"

ip -n "$ns" rule add pref 10 to 127.0.0.3 blackhole
ip -n "$ns" rule add pref 11 from 127.0.0.3 blackhole
echo "gen 2000 300" >"$work/ctl1"
echo "gen 2000 300" >"$work/ctl2"
echo "del 1 5" >"$work/ctl1"
wait_until 20 sim_one 1 899 || { sim_show; fail "node 1 did not reach 899 entries"; }
wait_until 20 sim_one 2 899 || { sim_show; fail "node 2 did not reach 899 entries"; }
# the missed writes must be older than the Merkle horizon (2 s here)
# before node 3 comes back (a duration, not a condition to wait for)
sleep 3
log "nodes 1 and 2 at 899 entries; healing the partition"
ip -n "$ns" rule del pref 10
ip -n "$ns" rule del pref 11

wait_until "$WAIT" sim_all 899 ||
	{ sim_show; fail "the tables did not converge to 899 entries with one digest within $WAIT s"; }
sim_show
log "converged: 899 entries on every node, one digest"
[ "$(sim_stat 3 merkle_rounds)" -gt 0 ] || fail "node 3 ran no Merkle round"
d=$(sim_sum merkle_diff_leaves)
[ "$d" -gt 0 ] || fail "no Merkle round found a differing leaf: the repair came from elsewhere"
log "Merkle repair: node 3 merkle_rounds $(sim_stat 3 merkle_rounds), diff leaves (all nodes) $d"

# (2) node 2 restarts with an empty table: snapshot, then a Merkle round
# with the snapshot's peer once the installed records are in the tree;
# node 1 deletes its flow 7 while node 2 is down
kill "${pid[2]}"
wait_until 10 bg_gone "${pid[2]}" || fail "node 2 does not exit"
rm -f "$work/stats2.json" "$work/state2.json"
echo "del 1 7" >"$work/ctl1"
sim_start 2
wait_until 20 test -s "$work/stats2.json" || fail "node 2 did not restart: $(tail -3 "$work/log2")"
wait_until "$WAIT" sim_all 898 ||
	{ sim_show; fail "after node 2's restart the tables did not converge to 898 entries within $WAIT s"; }
m2() { [ "$(sim_stat 2 merkle_rounds)" -gt 0 ]; }
wait_until "$WAIT" m2 || { sim_show; fail "restarted node 2 ran no Merkle round"; }
sim_show
log "node 2 restarted empty: 898 entries everywhere, one digest, merkle_rounds $(sim_stat 2 merkle_rounds)"
echo "PASS"
