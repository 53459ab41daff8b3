#!/bin/bash
# apsmd-repl: replication v2 (issue 12) end to end on three nodes: the
# kernel change feed, per-origin logs with gap repair, deletes from any
# node, partitions and restarts.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/apsmd-repl.sh
#
#   client C 10.1.0.2                         client C2 10.3.0.2
#        | up0 (uplink)                            | up2 (uplink)
#   +----------+          +----------+        +----------+
#   | n0  id 1 |          | n1  id 2 |        | n2  id 3 |
#   | fw1 (nf) |          |          |        | fw2 (nf) |
#   +-- fab0 --+          +-- fab0 --+        +-- fab0 --+
#   ================ bridge apsmfab (the fabric) ==============
#   server S 10.2.0.2 behind n0 (up1)
#
# Flows from C are classified on n0 (origin 1), flows from C2 on n2
# (origin 3); both are balanced over fw1 (on n0) and fw2 (on n2). apsmd runs with short timers.
#
# Proves:
#  1. feed overflow: n0's feed holds only 64 changes, apsmd's netlink
#     buffer 4 KiB (the multicast overruns); apsmd n0 stopped
#     (SIGSTOP) while 100 flows are made and 30 replicated ones deleted:
#     on SIGCONT it learns it is behind (feed_behind), repairs, and every
#     node ends with exactly the same table: the 100 new entries, none of
#     the 30 deleted;
#  2. notify overflow with a large feed (4 KiB netlink buffer): every
#     change, deletes included, arrives by cursor (gaps_detected or
#     enobufs > 0, feed_behind unchanged) and the tables are identical;
#  3. 20% loss, 25% reordering and 10% duplication on every fabric link:
#     200 flows and 40 deletes converge to identical tables;
#  4. n2 partitioned 30 s; meanwhile flows made on both sides, deletes on
#     both sides (n0: its own entries; n2: one of n0's entries and one of
#     its own): healed, all three tables are identical, no deleted key is
#     anywhere, and still none after 10 more repair rounds;
#  5. a lost delete never resurrects: n1 partitioned, an entry deleted on
#     n0, healed: n1 loses it, and after 10 repair rounds it is nowhere;
#  6. restart from empty: apsmd n1 killed, n1's RDS flushed (the flush is
#     not replicated: apsmd was not running), apsmd restarted: it resyncs
#     every entry from its peers, and n0/n2 lost nothing.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"

# shellcheck disable=SC2119 # the defaults
tn_setup
C2=${NS_PREFIX}c2
pp ns_add "$C2"
pp ip link add up2 netns "${NS[2]}" type veth peer name eth0 netns "$C2"
pp ip -n "${NS[2]}" addr add 10.3.0.1/24 dev up2
pp ip -n "${NS[2]}" link set up2 up
pp ip -n "$C2" addr add 10.3.0.2/24 dev eth0
pp ip -n "$C2" link set eth0 up
pp ip -n "$C2" route add default via 10.3.0.1
for i in 0 1; do pp ip -n "${NS[i]}" route add 10.3.0.0/24 via 10.0.0.3; done
tn_ctl 2 port add dev up2 role uplink
for i in 0 1 2; do tn_ctl "$i" node set timeout-udp 3600 timeout-other 3600; done
tn_ctl 0 node set feed-size 64
tn_apsmd_write
for i in 0 1 2; do
	sed -i '/^StatsFile/a HeartbeatInterval = 200ms\nPeerTimeout = 1s\nAntiEntropyInterval = 500ms\nSnapshotTimeout = 1s' \
		"$work/apsmd$i.conf"
done
# a 4 KiB netlink buffer: while apsmd is stopped the rds multicast
# overruns (ENOBUFS), so what it missed must come from the feed
export APSMD_NL_RCVBUF=4096
tn_apsmd_start
unset APSMD_NL_RCVBUF
# fw on n0 and n2: a partitioned n2 holds n0 dead and balances its new
# flows over its own instance alone
tn_nf_setup "fw1 101 fw 0
fw2 102 fw 2"
for i in 0 1 2; do tn_ctl "$i" chain add c1 spi 10 services fw; done
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
tn_ctl 2 policy add prio 10 iif up2 src 10.3.0.0/24 chain c1

stat() { tn_apsmd_stat "$@"; }
ready() { [ "$(stat "$1" Ready 2>/dev/null)" = 1 ]; }
for i in 0 1 2; do wait_until 10 ready "$i" || { tn_dump; fail "n$i not ready"; }; done

# the node's forward entries as sorted canonical lines
flows() {
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["proto"], f["src"], f["sport"], f["dst"], f["dport"], f["spi"],
          ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}
nflows() { flows "$1" | grep -c . || true; }
# forward entries from SRC (10.1.0.2 or 10.3.0.2) on node I
nfrom() { flows "$1" | grep -c "^forward udp $2 " || true; }
test_nfrom() { [ "$(nfrom "$1" "$2")" = "$3" ]; }
# every node holds the same entries, exactly N forward ones from each client
identical() { # N_C N_C2
	local a b c
	a=$(flows 0) b=$(flows 1) c=$(flows 2)
	[ "$a" = "$b" ] && [ "$a" = "$c" ] &&
		[ "$(grep -c '^forward udp 10.1.0.2 ' <<<"$a")" = "$1" ] &&
		[ "$(grep -c '^forward udp 10.3.0.2 ' <<<"$a")" = "$2" ]
}
# no node holds the forward entry SRC SPORT
gone() { # SRC SPORT
	local i
	# (not `flows | grep -q`: grep leaving early breaks the pipe)
	for i in 0 1 2; do
		grep -q "^forward udp $1 $2 " <<<"$(flows "$i")" && return 1
	done
	return 0
}
stat_gt() { [ "$(stat "$1" "$2")" -gt "$3" ]; }
rounds() { # wait until every node ran N more anti-entropy rounds
	local i r
	for i in 0 1 2; do
		r=$(stat "$i" ae_rounds)
		wait_until 30 stat_gt "$i" ae_rounds $((r + $1 - 1)) || return 1
	done
}
# UDP flows from client NS (C or C2) SRC: FIRST_PORT COUNT GAP_SECONDS
mkflows() {
	nsx "$1" "$PY" - "$2" "$3" "$4" "$5" <<'EOF'
import socket, sys, time
src, first, count, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
for p in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, p))
    s.sendto(b"x", ("10.2.0.2", 9999))
    s.close()
    if gap:
        time.sleep(gap)
EOF
}
fdel() { # I SRC SPORT: delete a forward entry on node I
	tn_ctl "$1" flow del proto udp src "$2" sport "$3" dst 10.2.0.2 dport 9999 >/dev/null
}
dump_fail() { tn_dump; for i in 0 1 2; do echo "== flows n$i" >&2; flows "$i" >&2; done; fail "$@"; }
nc=0 nc2=0 # forward entries expected from C and C2

# ------------------------------------------------- 1. feed overflow
mkflows "$C" 10.1.0.2 30000 30 0
nc=30
wait_until 30 identical $nc $nc2 || dump_fail "the first 30 flows did not replicate"
behind0=$(stat 0 feed_behind)
kill -STOP "${TN_APSMD_PID[0]}"
mkflows "$C" 10.1.0.2 30100 100 0
for p in $(seq 30000 30029); do fdel 0 10.1.0.2 "$p"; done
kill -CONT "${TN_APSMD_PID[0]}"
nc=100
wait_until 10 stat_gt 0 feed_behind "$behind0" || dump_fail "n0 did not learn it was behind its feed"
wait_until 60 identical $nc $nc2 || dump_fail "no identical tables after the feed overflow"
for p in 30000 30015 30029; do gone 10.1.0.2 $p || dump_fail "deleted entry $p came back"; done
log "feed overflow: behind $(stat 0 feed_behind), $(nflows 0) entries on every node"

# ------------------------------------------------- 2. notify overflow
tn_ctl 0 node set feed-size 65536
kill -KILL "${TN_APSMD_PID[0]}"
APSMD_NL_RCVBUF=4096 tn_bg apsmd0b ip netns exec "${NS[0]}" "$D" -c "$work/apsmd0.conf" --foreground
TN_APSMD_PID[0]=$TN_BG_PID
wait_until 15 ready 0 || dump_fail "restarted n0 not ready"
behind0=$(stat 0 feed_behind)
kill -STOP "${TN_APSMD_PID[0]}"
mkflows "$C" 10.1.0.2 31000 200 0
for p in $(seq 30100 30149); do fdel 0 10.1.0.2 "$p"; done
kill -CONT "${TN_APSMD_PID[0]}"
nc=$((nc + 200 - 50))
wait_until 60 identical $nc $nc2 || dump_fail "no identical tables after the notify overflow"
gone 10.1.0.2 30100 || dump_fail "a delete lost in the notify overflow did not replicate"
assert_eq "$(stat 0 feed_behind)" "$behind0" "feed_behind with a 65536-slot feed"
[ $(($(stat 0 gaps_detected) + $(stat 0 enobufs))) -gt 0 ] ||
	dump_fail "the notify overflow was not noticed (gaps_detected, enobufs)"
log "notify overflow: gaps $(stat 0 gaps_detected), enobufs $(stat 0 enobufs), $(nflows 0) entries"

# ------------------------------------------------- 3. loss, reordering, duplication
modprobe sch_netem 2>/dev/null || true
for i in 0 1 2; do
	nsx "${NS[i]}" tc qdisc add dev fab0 root netem loss 20% delay 2ms reorder 75% duplicate 10%
done
mkflows "$C" 10.1.0.2 32000 200 0.01
for p in $(seq 32000 32039); do fdel 0 10.1.0.2 "$p"; done
nc=$((nc + 160))
wait_until 90 identical $nc $nc2 || dump_fail "no convergence under loss, reordering and duplication"
for i in 0 1 2; do nsx "${NS[i]}" tc qdisc del dev fab0 root; done
gone 10.1.0.2 32000 || dump_fail "a delete made under loss came back"
log "loss/reorder/dup: $(nflows 0) entries everywhere"

# ------------------------------------------------- 4. partition
deaths0=$(stat 0 peer_deaths)
nsx "${NS[2]}" tc qdisc add dev fab0 root netem loss 100%
tc qdisc add dev fab3 root netem loss 100%
wait_until 10 stat_gt 0 peer_deaths "$deaths0" || dump_fail "n0 did not declare partitioned n2 dead"
t0=$(_lib_now_us)
n0c=$(nfrom 0 10.1.0.2)
mkflows "$C" 10.1.0.2 33000 50 0
mkflows "$C2" 10.3.0.2 40000 50 0
wait_until 10 test_nfrom 0 10.1.0.2 $((n0c + 50)) || dump_fail "n0 did not make its flows"
wait_until 10 test_nfrom 2 10.3.0.2 50 || dump_fail "n2 did not make its flows"
fdel 0 10.1.0.2 31000     # n0 deletes its own
fdel 0 10.1.0.2 33000     # ... one made during the partition
fdel 2 10.1.0.2 31001     # n2 deletes one of n0's entries
fdel 2 10.3.0.2 40000     # ... and one of its own
nc=$((nc + 50 - 3)) nc2=$((nc2 + 50 - 1))
# hold the partition for 30 s from its start
while [ $(($(_lib_now_us) - t0)) -lt 30000000 ]; do sleep 1; done
nsx "${NS[2]}" tc qdisc del dev fab0 root
tc qdisc del dev fab3 root
wait_until 60 identical $nc $nc2 || dump_fail "the partition did not heal to identical tables"
rounds 10 || dump_fail "anti-entropy stopped running"
identical $nc $nc2 || dump_fail "tables differ 10 repair rounds after the heal"
for k in "10.1.0.2 31000" "10.1.0.2 33000" "10.1.0.2 31001" "10.3.0.2 40000"; do
	# shellcheck disable=SC2086 # two words
	gone $k || dump_fail "deleted entry $k is back after the partition"
done
log "partition: healed, $(nflows 0) entries everywhere, deletes from both sides kept"

# ------------------------------------------------- 5. a lost delete
deaths0=$(stat 0 peer_deaths)
nsx "${NS[1]}" tc qdisc add dev fab0 root netem loss 100%
tc qdisc add dev fab2 root netem loss 100%
wait_until 10 stat_gt 0 peer_deaths "$deaths0" || dump_fail "n0 did not declare partitioned n1 dead"
fdel 0 10.1.0.2 31002
nc=$((nc - 1))
grep -q "^forward udp 10.1.0.2 31002 " <<<"$(flows 1)" || fail "partitioned n1 lost the entry already?"
nsx "${NS[1]}" tc qdisc del dev fab0 root
tc qdisc del dev fab2 root
wait_until 30 gone 10.1.0.2 31002 || dump_fail "n1 kept the entry whose delete it missed"
rounds 10 || dump_fail "anti-entropy stopped running"
gone 10.1.0.2 31002 || dump_fail "the entry whose delete n1 missed came back"
identical $nc $nc2 || dump_fail "tables differ after the lost delete"
log "lost delete: repaired, not resurrected"

# ------------------------------------------------- 6. restart from empty
kill -KILL "${TN_APSMD_PID[1]}"
tn_ctl 1 flow flush
assert_eq "$(nflows 1)" 0 "n1 after the flush"
tn_bg apsmd1b ip netns exec "${NS[1]}" "$D" -c "$work/apsmd1.conf" --foreground
TN_APSMD_PID[1]=$TN_BG_PID
wait_until 15 ready 1 || dump_fail "restarted n1 never reported ready"
wait_until 60 identical $nc $nc2 || dump_fail "n1 did not resync from empty"
log "restart from empty: n1 holds $(nflows 1) entries"
