#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sim-behind: own deletes lost in the kernel feed are still replicated.
# Three apsmd-sim processes (tests/lib-sim.sh); node 1's feed keeps only
# 8 changes (APSMD_SIM_FEED_SIZE), so a burst of changes there makes
# apsmd fall behind (kern_ops.behind) and the deletes and inserts of the
# lost range never reach it as changes. Node 1 creates 100 flows slowly
# (no loss), all converge; then in one go node 1 creates 200 flows fast
# and deletes 50 of its first 100 (one ctl write: one feed batch), so
# most deletes are in the lost range.
#
# Proves: (0) MerkleHorizon = 1500ms is the horizon used, 0 is refused;
# (1) every node ends with 250 entries (250 of origin 1) and one
# digest (no deleted entry stays on a peer, none of the new ones is
# missing), node 1 counted feed_behind > 0 and behind_deletes > 0 (the
# reconcile of its shadow with the dump found the lost deletes).
#
#   tests/host/sim-behind.sh        SIM_BEHIND_WAIT (s, default 30)
#
# Without the reconcile (apsmd before it: the dump only re-wrote present
# entries) the peers keep the deleted entries: 'no convergence at 250'.
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/lib-sim.sh
. "$here/../lib-sim.sh"
WAIT=${SIM_BEHIND_WAIT:-30}

sim_setup behind 3
# MerkleHorizon (conf.c): taken, and 0 refused
sim_conf 'AntiEntropyInterval = 1s\nMerkleHorizon = 0\n'
"$SIM" -c "$work/n1.conf" --foreground 2>"$work/bad" && fail "MerkleHorizon = 0 accepted"
grep -q 'MerkleHorizon' "$work/bad" || fail "MerkleHorizon = 0: no clear error: $(cat "$work/bad")"
sim_conf 'AntiEntropyInterval = 1s\nMerkleHorizon = 1500ms\n'
sim_start 1 APSMD_SIM_FEED_SIZE=8
sim_start 2
sim_start 3
sim_wait_ready
grep -q 'Merkle horizon 1500 ms' "$work/log1" || fail "MerkleHorizon not used: $(grep -i horizon "$work/log1")"

echo "gen 200 100" >"$work/ctl1"
wait_until "$WAIT" sim_all 100 1 100 || { sim_show; fail "no convergence at 100 entries"; }
log "100 entries everywhere; node 1: 200 new flows and 50 deletes in one feed batch"
{
	echo "gen 100000 200"
	for i in $(seq 0 2 99); do
		echo "del 1 $i"
	done
} >"$work/ctl1"
wait_until "$WAIT" sim_all 250 1 250 ||
	{ sim_show; fail "no convergence at 250 entries (origin 1) within $WAIT s: deletes or inserts lost in node 1's feed were not replicated"; }
sim_show
b=$(sim_stat 1 feed_behind) d=$(sim_stat 1 behind_deletes)
gt0() { case $1 in '' | *[!0-9]*) return 1 ;; esac; [ "$1" -gt 0 ]; }
gt0 "$b" ||
	fail "node 1's feed never fell behind (feed_behind $b): the test proves nothing"
gt0 "$d" ||
	fail "node 1 found no lost delete (behind_deletes $d)"
log "converged: 250 entries everywhere, one digest; node 1 feed_behind $b, behind_deletes $d"
echo "PASS"
