#!/bin/bash
# apsmd-stall: a stalled main loop does not starve liveness.
#   make userspace && scripts/vm-run.sh tests/vm/apsmd-stall.sh
#
# Topology: tests/lib-3node.sh defaults (nodes apsm-t0/1/2, ids 1/2/3,
# bridge fabric; client and server behind n0). Instance fw1 (nsh-nf) on
# n0, chain c1 and a policy on n0: a ping C -> S through fw1 creates RDS
# entries on n0 that apsmd replicates to n1 and n2. apsmd runs with short
# timers (heartbeat 200 ms, peer timeout 1 s) and the test hook
# APSMD_TEST_STALL=6000: SIGUSR2 makes the main loop sleep 6 s (6 x
# PeerTimeout), as a long dump or install burst would.
#
# Proves:
#  - while n0's main loop sleeps 6 s, its I/O thread keeps receiving and
#    sending heartbeats: no node declares any peer dead (peer_deaths 0,
#    no "is dead" log line on any node);
#  - replication resumes after the stall: an entry created on n0 during
#    the stall reaches n1 and n2.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"

tn_setup --client-node 0 --server-node 0
for i in 0 1 2; do tn_ctl "$i" node set timeout-udp 3600 timeout-other 3600; done
tn_apsmd_write
for i in 0 1 2; do
	sed -i '/^StatsFile/a HeartbeatInterval = 200ms\nPeerTimeout = 1s' "$work/apsmd$i.conf"
done
export APSMD_TEST_STALL=6000
tn_apsmd_start
unset APSMD_TEST_STALL
tn_nf_setup "fw1 101 fw 0"
tn_ctl 0 chain add c1 spi 10 services fw
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

stat() { tn_apsmd_stat "$@"; }
ready() { [ "$(stat "$1" Ready 2>/dev/null)" = 1 ]; }
live2() { [ "$(stat "$1" live_peers 2>/dev/null)" = 2 ]; }
for i in 0 1 2; do
	wait_until 10 ready "$i" || { tn_dump; fail "n$i not ready"; }
	wait_until 10 live2 "$i" || { tn_dump; fail "n$i does not see both peers alive"; }
done
flows() { # I: the node's flows as sorted canonical lines
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["proto"], f["src"], f["sport"], f["dst"], f["dport"], f["spi"],
          ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}
for i in 0 1 2; do
	assert_eq "$(stat "$i" peer_deaths)" 0 "n$i: no peer deaths before the stall"
	assert_eq "$(flows "$i" | grep -c .)" 0 "n$i: RDS empty before the stall"
done

# ------------------------------------------------------------- stall n0
kill -USR2 "${TN_APSMD_PID[0]}"
wait_until 5 grep -q "test hook: main loop stalls" "$work/apsmd0.log" ||
	fail "n0 did not stall: $(cat "$work/apsmd0.log")"
pp nsx "$C" ping -c 1 -W 2 10.2.0.2 || fail "ping through the chain failed"
flows 0 >"$work/f0"
assert_eq "$(grep -c . "$work/f0")" 2 "n0 holds a forward and a return entry"
# the entries were made while n0's main loop slept
grep -q "test hook: stall over" "$work/apsmd0.log" &&
	fail "the stall ended before the entries were made: cannot tell"
wait_until 20 grep -q "test hook: stall over" "$work/apsmd0.log" ||
	fail "n0's stall did not end: $(cat "$work/apsmd0.log")"
log "n0's main loop stalled for 6 s while its entries were made"

# ------------------------------------------------------------- after
same() { [ "$(flows "$1")" = "$(cat "$work/f0")" ]; }
for i in 1 2; do
	wait_until 10 same "$i" || { flows "$i" >&2; tn_dump; fail "node $i did not get the entries made during the stall"; }
done
log "entries made during the stall reached n1 and n2"
for i in 0 1 2; do
	if [ "$(stat "$i" peer_deaths)" != 0 ] || grep -q "is dead" "$work/apsmd$i.log"; then
		cat "$work"/apsmd*.log >&2
		fail "n$i declared a peer dead during n0's stall (peer_deaths $(stat "$i" peer_deaths))"
	fi
done
log "no peer declared dead on any node"
# the I/O counters are there
for i in 0 1 2; do
	for c in tx_bytes tx_dgrams rx_bytes rx_dgrams ctrl_bytes; do
		[ "$(stat "$i" "$c")" -gt 0 ] || fail "n$i: $c is $(stat "$i" "$c")"
	done
done
[ "$(stat 0 push_bytes)" -gt 0 ] || fail "n0 pushed nothing: $(cat "$work/apsmd0.json")"
log "$(grep -h "UDP receive buffer" "$work/apsmd0.log")"
for i in 0 1 2; do
	kill -TERM "${TN_APSMD_PID[i]}"
	wait "${TN_APSMD_PID[i]}" || fail "apsmd $i exited with $?"
done
log "apsmd-stall: ok"
