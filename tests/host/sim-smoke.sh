#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sim-smoke: the simulator works. Three apsmd-sim processes (apsmd on the
# in-memory kernel stand-in, userspace-ctl/apsmd/sim/: no module, no VM)
# in one fresh network namespace on 127.0.0.1-3 (without root: on the
# host's loopback, ports from the PID), every node a peer of the others.
# Each creates 1000 flows (its own keys, origin = its id).
#
# Proves: (1) within a bounded wait every node holds 3000 entries and all
# three tables have the same digest (sum of entry hashes: key, dir, spi,
# path, origin, version); (2) a delete on node 2 of one of its flows
# reaches all: every node then holds 2999 entries, 999 of origin 2, and
# the digests agree again; (3) a delete on node 3 of node 1's flow (not
# its origin) reaches all: 2998 entries, 999 of origin 1, one digest.
#
#   tests/host/sim-smoke.sh
#
# SIM_SMOKE_BREAK=install (every peer update dropped at install) or =del
# (the peers' deletes dropped) breaks replication in the sim only: the
# test must then fail, at (1) or (2) respectively (with apsmd v1, whose
# foreign deletes stay local, (3) fails). SIM_SMOKE_WAIT (s,
# default 60) bounds each wait.
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/lib-sim.sh
. "$here/../lib-sim.sh"
FLOWS=1000
WAIT=${SIM_SMOKE_WAIT:-60}

sim_setup smoke 3
sim_conf ''
sim_start_all APSMD_SIM_BREAK="${SIM_SMOKE_BREAK:-}"
sim_wait_ready

for i in 1 2 3; do
	echo "gen 2000 $FLOWS" >"$work/ctl$i"
done
log "3 x $FLOWS flows created, waiting for identical tables"
wait_until "$WAIT" sim_all $((3 * FLOWS)) ||
	{ sim_show; fail "the three tables did not converge to $((3 * FLOWS)) entries with one digest within $WAIT s"; }
sim_show
log "converged: $((3 * FLOWS)) entries on every node, one digest"

echo "del 2 7" >"$work/ctl2"
wait_until "$WAIT" sim_all $((3 * FLOWS - 1)) 2 $((FLOWS - 1)) ||
	{ sim_show; fail "node 2's delete of its flow 7 did not reach every node within $WAIT s"; }
sim_show
log "node 2's delete reached every node: $((3 * FLOWS - 1)) entries, one digest"

# (3) a delete on a node that is not the entry's origin reaches every node
echo "del 1 9" >"$work/ctl3"
wait_until "$WAIT" sim_all $((3 * FLOWS - 2)) 1 $((FLOWS - 1)) ||
	{ sim_show; fail "node 3's delete of node 1's flow 9 did not reach every node within $WAIT s"; }
sim_show
log "node 3's delete of node 1's flow reached every node: $((3 * FLOWS - 2)) entries, one digest"
for i in 1 2 3; do
	grep -q '"auth_fail":0,' "$work/stats$i.json" ||
		fail "node $i: datagrams failed authentication: $(cat "$work/stats$i.json")"
done
echo "PASS"
