#!/bin/bash
# dp-peerdown: a peer marked down (apsmd does it on heartbeat loss; here
# apsmctl does) and what happens to its instances (Documentation/
# datapath.md, "Dead nodes").
#   make module userspace && scripts/vm-run.sh --timeout 1200 tests/vm/dp-peerdown.sh
#
# Topology (tests/lib-dp.sh) plus a fabric: node N (id 1) fab0 -- fab0 of
# netns P, which stands for node 2 (no APSM there: frames to it just vanish).
# Services: fw stateless (fwA id 11 local on tap tfa, fwB id 21 on node 2),
# nat stateful (natL id 12 local on tap tna, natR id 22 on node 2). Chains
# c1 = fw (spi 1), c2 = nat (spi 2); policies: udp dport 5001 -> c1,
# udp dport 5002 -> c2, from 10.1.0.0/24.
#
# What it proves:
#  1. peer up: new flows spread over both nodes' instances;
#  2. peer down: no new flow picks a node-2 instance (the LB tables were
#     rebuilt without them), for both services;
#  3. a flow pinned to fwB (node 2), policy drop (default): its packets are
#     dropped and counted (peerdown_drop, fwB's drops), the entry stays;
#  4. policy repin: the same flow is re-picked to fwA (the entry's path
#     changes, fwA carries its packets, peerdown_repin counts it once); a
#     flow pinned to natR (stateful) is still dropped, its entry kept;
#  5. peer up again: new flows spread over both nodes again;
#  6. replication figures: peer set stores them, peer show (text and -j)
#     returns them, a later set keeps the figures it does not carry;
#  7. bad input: unknown peer, nothing to set, a bad state: clear errors;
#     deleting a peer that is down gives its instances back to the LB.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup

P=${NS_PREFIX}3
ns_add "$P"
pp ip link add fab0 netns "$N" type veth peer name fab0 netns "$P"
n0 ip link set fab0 up
nsx "$P" ip link set fab0 up
pmac=$(nsx "$P" cat /sys/class/net/fab0/address)
dp_node --up tfa tna
ctl port add dev fab0 role fabric
ctl peer add id 2 dev fab0 lladdr "$pmac"
ctl service add fw stateless
ctl service add nat stateful
ctl instance add fwA service fw id 11 dev tfa mode nsh lladdr 02:4e:46:00:00:11
ctl instance add fwB service fw id 21 node 2 mode nsh
ctl instance add natL service nat id 12 dev tna mode nsh lladdr 02:4e:46:00:00:12
ctl instance add natR service nat id 22 node 2 mode nsh
ctl chain add c1 spi 1 services fw
ctl chain add c2 spi 2 services nat
ctl policy add prio 10 src 10.1.0.0/24 proto udp dport 5001 chain c1
ctl policy add prio 20 src 10.1.0.0/24 proto udp dport 5002 chain c2

# (tests/lib-dp.sh: dp_stat, dp_inst, want_eq)
st() { dp_stat "$@"; }
inst() { dp_inst "$@"; }
peer() { # FIELD [REPL-FIELD]
	"$CTL" -n "$N" -j peer show |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin)[0][sys.argv[1]]; print(d[sys.argv[2]] if len(sys.argv) > 2 else d)' "$@"
}

# send SPORT DPORT COUNT: from the client, one UDP flow
send() {
	n1 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.1.0.2", int(sys.argv[1])))
for i in range(int(sys.argv[3])):
    s.sendto(b"x", ("10.2.0.2", int(sys.argv[2])))' "$@"
}
# flows FIRST N DPORT: N one-packet flows, source ports FIRST..
flows() {
	n1 "$PY" -c '
import socket, sys
first, n, dport = (int(a) for a in sys.argv[1:4])
for p in range(first, first + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.2", p))
    s.sendto(b"x", ("10.2.0.2", dport))
    s.close()' "$@"
}
# paths FIRST N DPORT: the sorted set of instance names on the forward
# entries of those flows ("-" if not all N are there)
paths() {
	"$CTL" -n "$N" -j flow show | "$PY" -c '
import json, sys
first, n, dport = (int(a) for a in sys.argv[1:4])
fl = [f for f in json.load(sys.stdin) if f["dir"] == "forward" and
      f["dport"] == dport and first <= f["sport"] < first + n]
print(" ".join(str(i) for i in sorted({i for f in fl for i in f["path"]}))
      if len(fl) == n else "-")' "$@"
}
path_of() { # SPORT DPORT: the path of one forward entry
	"$CTL" -n "$N" -j flow get proto udp src 10.1.0.2 sport "$1" dst 10.2.0.2 dport "$2" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(",".join(map(str, d["path"])))'
}

# ------------------------------------------------------------ 1. peer up
assert_eq "$(peer state)" up "peer state after add"
flows 30000 32 5001
want_eq 10 "fwA fwB" paths 30000 32 5001
flows 30100 32 5002
want_eq 10 "natL natR" paths 30100 32 5002

# ---------------------------------------------------------- 2. peer down
gen0=$("$CTL" -n "$N" -j node show | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
ctl peer set id 2 state down
assert_eq "$(peer state)" down "peer state"
gen1=$("$CTL" -n "$N" -j node show | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
[ "$gen1" -gt "$gen0" ] || fail "generation not bumped by the state change"
flows 31000 32 5001
want_eq 10 fwA paths 31000 32 5001
flows 31100 32 5002
want_eq 10 natL paths 31100 32 5002

# ------------------------------------------- 3. pinned to fwB, policy drop
ctl flow install dir forward proto udp src 10.1.0.2 sport 32000 dst 10.2.0.2 dport 5001 \
	spi 1 path 21 origin 2 version 1000
d0=$(st peerdown_drop) fwb0=$(inst fwB drops)
send 32000 5001 3
want_eq 10 "$((d0 + 3))" st peerdown_drop
assert_eq "$(inst fwB drops)" "$((fwb0 + 3))" "fwB drops"
assert_eq "$(path_of 32000 5001)" fwB "entry kept with policy drop"
assert_eq "$(st peerdown_repin)" 0 "repinned with policy drop"

# -------------------------------------------------------- 4. policy repin
ctl node set peerdown repin
fwa0=$(inst fwA tx_packets)
send 32000 5001 2
want_eq 10 fwA path_of 32000 5001
want_eq 10 "$((fwa0 + 2))" inst fwA tx_packets
assert_eq "$(st peerdown_repin)" 1 "peerdown_repin"
assert_eq "$(st peerdown_drop)" "$((d0 + 3))" "dropped after the repin"
# stateful: nothing to re-pick, dropped, entry kept
ctl flow install dir forward proto udp src 10.1.0.2 sport 32001 dst 10.2.0.2 dport 5002 \
	spi 2 path 22 origin 2 version 1001
send 32001 5002 2
want_eq 10 "$((d0 + 5))" st peerdown_drop
assert_eq "$(path_of 32001 5002)" natR "stateful entry kept"
assert_eq "$(st peerdown_repin)" 1 "stateful flow repinned"

# -------------------------------------------------------------- 5. up again
ctl peer set id 2 state up
flows 33000 32 5001
want_eq 10 "fwA fwB" paths 33000 32 5001

# ------------------------------------------------- 6. replication figures
ctl peer set id 2 updates-tx 5 updates-rx 6 batches-tx 2 batches-rx 3 lag-ms 7 last-rx-ms 40
assert_eq "$(peer repl updates_tx)" 5 "updates_tx"
assert_eq "$(peer repl lag_ms)" 7 "lag_ms"
assert_eq "$(peer repl auth_fail)" 0 "auth_fail"
ctl peer set id 2 resync 1 auth-fail 9 replay 4
assert_eq "$(peer repl updates_tx)" 5 "updates_tx kept by a later set"
assert_eq "$(peer repl resync)" 1 "resync"
assert_eq "$(peer repl auth_fail)" 9 "auth_fail"
txt=$("$CTL" -n "$N" peer show)
log "$txt"
assert_match "$txt" "state up .*updates-tx 5 updates-rx 6 batches-tx 2 batches-rx 3 auth-fail 9 replay 4 resync 1 last-rx-ms 40 lag-ms 7" "peer show"

# -------------------------------------------------------------- 7. errors
out=$("$CTL" -n "$N" peer set id 9 state down 2>&1) && fail "unknown peer accepted"
assert_match "$out" "no such peer" "unknown peer"
out=$("$CTL" -n "$N" peer set id 2 2>&1) && fail "empty peer set accepted"
log "refused as expected: $out"
out=$("$CTL" -n "$N" peer set id 2 state sideways 2>&1) && fail "bad state accepted"
log "refused as expected: $out"
# the kernel's own checks, past apsmctl's (tests/tools/apsm_nl.py)
nl() { ip netns exec "$N" "$PY" "$APSM_ROOT/tests/tools/apsm_nl.py" "$@"; }
rc=0; out=$(nl peer-set id=2 state=u8:7 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "state 7 accepted"
log "state 7: $out"
rc=0; out=$(nl peer-set id=2 lladdr=02:00:00:00:00:09 2>&1) || rc=$?
assert_eq "$rc" 95 "lladdr in peer-set (EOPNOTSUPP): $out"
rc=0; out=$(nl peer-set id=2 repl=nest: 2>&1) || rc=0
assert_eq "$(peer repl updates_tx)" 5 "an empty repl nest changed figures"
# a peer deleted while down: its instances are no longer held down
ctl peer set id 2 state down
ctl peer del id 2
flows 34000 32 5001
want_eq 10 "fwA fwB" paths 34000 32 5001
log "dp-peerdown: ok"
