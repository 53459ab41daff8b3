#!/bin/bash
# dp-holdq: the hold queue (Documentation/datapath.md, "Hold queue") on one
# node: return packets that arrive before their RDS entry.
#   make module userspace && scripts/vm-run.sh --timeout 1200 tests/vm/dp-holdq.sh
#
# Topology (tests/lib-dp.sh): client C 10.1.0.2 -- up0 [node N] up1 -- server S
# 10.2.0.2. Service nat (stateful) with instances nat1 (id 11, tap tn1) and
# nat2 (id 12, tap tn2), chain c1 = nat, policy "src 10.1.0.0/24 dst
# 10.2.0.0/24 udp dport 5000". UDP from S:5000 to C is then the return of
# a flow the policy steers: with no entry it is held. The entry comes the
# way a peer's would (flow install), naming nat2.
#
# What it proves:
#  1. release: 3 held packets of one flow wait (node hold-count 3), and
#     when the entry is installed they go through nat2 (its tx counter,
#     nat1's unchanged), counted held/released, and reach nat2's tap in
#     order, before the next packet of the flow ("0 1 2 0", tcpdump);
#  2. deadline, hold-expire pass: the packets reach the client plain, after
#     the deadline, counted hold_timeout; the flow's next packets are not
#     held again (it timed out lately);
#  3. deadline, hold-expire drop: counted (hold_held +2, hold_timeout +2),
#     and the client gets nothing: a marker sent afterwards on the same
#     flow (hold-expire pass) is the only datagram it receives;
#  4. not the return of a steered flow (wrong source port), hold-ms 0: not
#     held, delivered at once;
#  5. caps: a flood of 10 flows x 5 packets against hold-max 20 and
#     hold-flow-max 4: exactly 20 held, 4 over the per-flow cap, 26 over the
#     node cap; all time out; the apsm_holdq slab is back to its baseline;
#  6. bad settings are refused with a clear error;
#  7. unload with packets held: freed, no splat, no apsm slab objects left.
# It prints how often packets were held, and the release latency.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup

dp_node --up tn1 tn2
ctl service add nat stateful
ctl instance add nat1 service nat id 11 dev tn1 mode nsh lladdr 02:4e:46:00:00:21
ctl instance add nat2 service nat id 12 dev tn2 mode nsh lladdr 02:4e:46:00:00:22
ctl chain add c1 spi 7 services nat
ctl policy add prio 10 src 10.1.0.0/24 dst 10.2.0.0/24 proto udp dport 5000 chain c1

# (tests/lib-dp.sh: dp_stat, dp_nodeval, dp_inst, want_eq)
st() { dp_stat "$@"; }
node() { dp_nodeval "$@"; }

# send SPORT DPORT COUNT [FIRST]: UDP datagrams "FIRST".."FIRST+COUNT-1"
# (FIRST 0) from S:SPORT to C:DPORT
send() {
	n2 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.2.0.2", int(sys.argv[1])))
first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
for i in range(first, first + int(sys.argv[3])):
    s.sendto(b"%d" % i, ("10.1.0.2", int(sys.argv[2])))' "$@"
}

# a UDP sink on the client per port, one line per datagram received
sink() {
	n1 "$PY" -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.1.0.2", int(sys.argv[1])))
while True:
    print(s.recv(2048).decode(), flush=True)' "$1" >"$work/rx.$1" &
	bg_pids+=($!)
}
lines() { wc -l <"$work/rx.$1" | tr -d ' '; }
received() { tr '\n' ' ' <"$work/rx.$1"; }
for p in 40002 40003 40004; do sink "$p"; done
# the sinks are bound before anything is sent (3 pythons starting under
# TCG on a loaded host: once more than 10 s)
bound() { n1 ss -Hunl | grep -q "10.1.0.2:$1 "; }
for p in 40002 40003 40004; do wait_until 60 bound "$p" || fail "sink $p not up"; done

# ---------------------------------------------------------- defaults, errors
assert_eq "$(node hold_ms)" 50 "default hold-ms"
assert_eq "$(node hold_expire)" pass "default hold-expire"
assert_eq "$(node peerdown)" drop "default peerdown"
out=$("$CTL" -n "$N" node set hold-ms 10001 2>&1) && fail "hold-ms 10001 accepted"
log "refused as expected: $out"
out=$("$CTL" -n "$N" node set hold-flow-max 0 2>&1) && fail "hold-flow-max 0 accepted"
log "refused as expected: $out"
# the kernel's own checks, past apsmctl's (tests/tools/apsm_nl.py)
nl() { ip netns exec "$N" "$PY" "$APSM_ROOT/tests/tools/apsm_nl.py" "$@"; }
for bad in hold-ms=u32:10001 hold-max=u32:0 hold-flow-max=u32:1025 \
	hold-expire=u8:3 peerdown=u8:0 hold-count=u32:1; do
	rc=0; out=$(nl node-set "$bad" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "node-set $bad accepted"
	log "node-set $bad refused: $out"
done
assert_eq "$(node hold_ms)" 50 "hold-ms after refused sets"

# ---------------------------------------------------------------- 1. release
# what the module sends to nat2's tap, read from the tap itself (no NF
# there, so the client gets nothing of this flow; a tap with no reader has
# no carrier and tcpdump on it sees nothing: the second VM run got 0
# frames): the UDP payload (last byte) of each frame, one a line
n0 "$PY" -u -c '
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tn2", 0x0002 | 0x1000))  # TUNSETIFF, IFF_TAP|IFF_NO_PI
print("attached", flush=True)
while True:
    print(chr(os.read(fd, 4096)[-1]), flush=True)' >"$work/tn2.rx" &
bg_pids+=($!)
wait_until 30 grep -q attached "$work/tn2.rx" || fail "reader on tn2 did not attach"
tap_payloads() { grep -v attached "$work/tn2.rx" | head -n "$1" | tr '\n' ' ' | sed 's/ $//'; }
tap_count() { grep -vc attached "$work/tn2.rx"; }
ctl node set hold-ms 10000 hold-max 1024 hold-flow-max 16 hold-expire pass
held0=$(st hold_held)
# as few commands as possible between the send and the install: TCG on a
# loaded host is slow, and the deadline is 10 s at most
send 5000 40001 3
want_eq 10 3 node hold_count
t0=$(_lib_now_us)
ctl flow install dir return proto udp src 10.2.0.2 sport 5000 dst 10.1.0.2 dport 40001 \
	spi 7 path 12 origin 2 version 1000
want_eq 10 0 node hold_count
t1=$(_lib_now_us)
assert_eq "$(st hold_timeout)" 0 "timed out before the install"
assert_eq "$(st hold_held)" "$((held0 + 3))" "hold_held after 3 early returns"
assert_eq "$(st hold_released)" 3 "hold_released"
want_eq 10 3 dp_inst nat2 tx_packets
assert_eq "$(dp_inst nat1 tx_packets)" 0 "nat1 carried nothing"
assert_eq "$(st hold_timeout)" 0 "nothing timed out"
# the entry counted them (they went through the datapath with it)
pk=$("$CTL" -n "$N" -j flow get proto udp src 10.2.0.2 sport 5000 dst 10.1.0.2 dport 40001 |
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["packets"])')
assert_eq "$pk" 3 "packets of the installed entry"
# a later packet of the flow is steered at once, not held
send 5000 40001 1
want_eq 10 4 dp_inst nat2 tx_packets
assert_eq "$(st hold_held)" "$((held0 + 3))" "held after the entry"
# in order: the 3 released (0 1 2), then the one sent after the install (0)
want_eq 10 4 tap_count
assert_eq "$(tap_payloads 4)" "0 1 2 0" "datagrams nat2 got, in order"
release_ms=$(((t1 - t0) / 1000))

# ------------------------------------------------------- 2. deadline, pass
ctl node set hold-ms 300
held2=$(st hold_held)
send 5000 40002 2
want_eq 10 2 st hold_timeout
# the flow timed out lately (it is remembered for 10 s): its next packets
# go on at once, not held
send 5000 40002 2
want_eq 10 4 lines 40002
assert_eq "$(st hold_held)" "$((held2 + 2))" "a lately timed-out flow was held again"
assert_eq "$(sort -n "$work/rx.40002" | tr '\n' ' ')" "0 0 1 1 " "passed datagrams"
assert_eq "$(node hold_count)" 0 "hold-count after the deadline"

# ------------------------------------------------------- 3. deadline, drop
ctl node set hold-expire drop
h3=$(st hold_held)
send 5000 40003 2
want_eq 10 4 st hold_timeout
assert_eq "$(st hold_held)" "$((h3 + 2))" "held before the drop"
assert_eq "$(node hold_count)" 0 "hold-count after the drop"
# a marker on the same flow, held and then passed (hold-expire pass): once
# it arrived, anything the drop let through would have arrived before it
ctl node set hold-expire pass
send 5000 40003 1 9
want_eq 10 5 st hold_timeout
want_eq 10 1 lines 40003
assert_eq "$(received 40003)" "9 " "datagrams the client got after the drop (only the marker)"

# --------------------------------------------- 4. not held: no reverse match
held1=$(st hold_held)
send 6000 40004 2
want_eq 10 2 lines 40004
assert_eq "$(st hold_held)" "$held1" "a non-matching return was held"
ctl node set hold-ms 0
send 5000 40004 1
want_eq 10 3 lines 40004
assert_eq "$(st hold_held)" "$held1" "held with hold-ms 0"

# ------------------------------------------------------------------ 5. caps
# the flows of the steps above are remembered as passing for 10 s after
# their last packet (one apsm_holdq object each): start from none
holdq_idle() { [ "$(slab_objs apsm_holdq)" = 0 ]; }
wait_until 30 holdq_idle || fail "apsm_holdq objects before the flood: $(slab_objs apsm_holdq), expected 0"
slab0=0
ctl node set hold-ms 10000 hold-max 20 hold-flow-max 4
h0=$(st hold_held) o0=$(st hold_overflow) of0=$(st hold_overflow_flow) to0=$(st hold_timeout)
n2 "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.2.0.2", 5000))
for f in range(10):
    for i in range(5):
        s.sendto(b"f", ("10.1.0.2", 41000 + f))'
# straight after the flood (its packets went through the hook during the
# sends), one command each: the deadline is 10 s at most and TCG on a
# loaded host is slow
cnt=$(node hold_count)
slab=$(slab_objs apsm_holdq)
assert_eq "$cnt" 20 "hold-count at the cap"
assert_eq "$slab" "$((slab0 + 5))" "apsm_holdq objects: one per held flow"
flood_seen() { echo $(($(st hold_held) - h0 + $(st hold_overflow) - o0 + $(st hold_overflow_flow) - of0)); }
want_eq 10 50 flood_seen
assert_eq "$(($(st hold_held) - h0))" 20 "held in the flood"
# flows 0-3: 4 held + 1 over the flow cap each; flow 4: 4 held (20 now),
# its 5th over the node cap (checked first); flows 5-9: all over it
assert_eq "$(($(st hold_overflow_flow) - of0))" 4 "over the per-flow cap"
assert_eq "$(($(st hold_overflow) - o0))" 26 "over the node cap"
want_eq 30 0 node hold_count
assert_eq "$(($(st hold_timeout) - to0))" 20 "timed out after the flood"
# the 5 timed-out flows are remembered as passing for 10 s, then freed
holdq_back() { [ "$(slab_objs apsm_holdq)" = "$slab0" ]; }
wait_until 60 holdq_back || fail "apsm_holdq objects after the flood: $(slab_objs apsm_holdq), expected $slab0"

# ---------------------------------------------------------- how often, print
"$CTL" -n "$N" stats show | grep -E '^(hold_|rx_packets)' | tr '\n' ' '
echo
log "held $(st hold_held) of $(st rx_packets) packets seen ($(st hold_released) released, $(st hold_timeout) timed out, $(st hold_overflow) + $(st hold_overflow_flow) over caps); release latency (install to hold-count 0, incl. apsmctl) ${release_ms} ms"

# ---------------------------------------------- 7. unload with packets held
ctl node set hold-ms 10000 hold-max 1024 hold-flow-max 16
slab0=$(slab_objs apsm_holdq)
send 5000 40005 5
want_eq 10 5 node hold_count
assert_eq "$(slab_objs apsm_holdq)" "$((slab0 + 1))" "apsm_holdq objects with one flow held"
# the module's exit frees them (a leak would be a "BUG ... Objects
# remaining" splat, which fails the run)
pp unload_apsm
assert_eq "$(slab_objs_prefix apsm)" 0 "apsm slab objects after unload"
log "dp-holdq: ok"
