#!/bin/bash
# apsmd-faults: RDS replication under loss, restarts, partitions, overflow
# and hostile datagrams.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/apsmd-faults.sh
#
# Topology: tests/lib-3node.sh defaults (nodes apsm-t0/1/2, ids 1/2/3,
# bridge fabric; client and server behind n0). One instance fw1 (nsh-nf)
# on n0, chain c1, a policy on n0: flows C -> S through fw1 create RDS
# entries on n0 that apsmd replicates to n1 and n2. apsmd runs with short
# timers (heartbeat 200 ms, peer timeout 1 s, anti-entropy 500 ms) and a
# tiny netlink receive buffer (APSMD_NL_RCVBUF) so that a burst overflows.
#
# Proves:
#  1. 20% netem loss on every node's fabric: 40 flows made one by one
#     (one datagram each) end up identical on all 3 nodes within 60 s, and
#     receivers saw gaps in n0's stream and repaired them by NACK
#     (gaps_detected, gap_entries_repaired > 0);
#  2. apsmd on n1 killed (SIGKILL) under traffic: n0 declares n1 dead;
#     flows made meanwhile are missed by n1; restarted, n1 pulls a snapshot
#     from a ready peer and reports Ready=1 ("ready (snapshot installed"),
#     holds every entry; a ping through the chain running all along lost
#     nothing; n0 counts n1's return;
#  3. n2 partitioned (netem loss 100% both ways): n0 declares it dead, flows
#     made meanwhile reach n1 only; after healing, n2 converges;
#  4. netlink overflow: apsmd on n0 stopped (SIGSTOP) during a burst of
#     150 flows, 10 of them then deleted on n0, with a tiny receive
#     buffer: ENOBUFS counted; the change feed read by cursor (or, on a
#     kernel without it, a resync) brings every change, the deletes too:
#     n1 and n2 converge to the 140 left;
#  5. a wrong-key, a stale-epoch, an unknown-sender, a malformed (valid MAC)
#     and a replayed captured datagram are rejected and counted
#     (auth_fail, replay, unknown_sender, bad_format) and change no RDS.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"

# shellcheck disable=SC2119 # the defaults
tn_setup
for i in 0 1 2; do tn_ctl "$i" node set timeout-udp 3600 timeout-other 3600; done
tn_apsmd_write
for i in 0 1 2; do
	sed -i '/^StatsFile/a HeartbeatInterval = 200ms\nPeerTimeout = 1s\nAntiEntropyInterval = 500ms\nSnapshotTimeout = 1s' \
		"$work/apsmd$i.conf"
done
export APSMD_NL_RCVBUF=4096
tn_apsmd_start
unset APSMD_NL_RCVBUF
tn_nf_setup "fw1 101 fw 0"
for i in 0 1 2; do tn_ctl "$i" chain add c1 spi 10 services fw; done
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

stat() { tn_apsmd_stat "$@"; }
ready() { [ "$(stat "$1" Ready 2>/dev/null)" = 1 ]; }
for i in 0 1 2; do wait_until 10 ready "$i" || { tn_dump; fail "n$i not ready"; }; done

flows() { # I: the node's flows as sorted canonical lines
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["proto"], f["src"], f["sport"], f["dst"], f["dport"], f["spi"],
          ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}
# all nodes hold the same entries, at least $1 of them
converged() {
	local min=$1 a b c
	a=$(flows 0) b=$(flows 1) c=$(flows 2)
	[ "$(grep -c . <<<"$a")" -ge "$min" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ]
}
# two nodes (indexes) hold the same entries
same2() { [ "$(flows "$1")" = "$(flows "$2")" ]; }
nflows() { flows "$1" | grep -c . || true; }
# conditions for wait_until (evaluated on each try)
nflows_ge() { [ "$(nflows "$1")" -ge "$2" ]; }
stat_gt() { [ "$(stat "$1" "$2")" -gt "$3" ]; }
# UDP flows C -> S through the chain: FIRST_PORT COUNT GAP_SECONDS
mkflows() {
	nsx "$C" "$PY" - "$@" <<'EOF'
import socket, sys, time
first, count, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
for p in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.2", p))
    s.sendto(b"x", ("10.2.0.2", 9999))
    s.close()
    if gap:
        time.sleep(gap)
EOF
}
dump_fail() { tn_dump; for i in 0 1 2; do echo "== flows n$i" >&2; flows "$i" >&2; done; fail "$@"; }

# ------------------------------------------------------------- 1. loss
modprobe sch_netem 2>/dev/null || true
for i in 0 1 2; do nsx "${NS[i]}" tc qdisc add dev fab0 root netem loss 20%; done
mkflows 20000 40 0.05
wait_until 5 nflows_ge 0 40 || dump_fail "n0 did not make 40 entries"
t0=$(_lib_now_us)
wait_until 60 converged 40 || dump_fail "no convergence under 20% loss in 60 s"
log "converged under 20% loss in $((($(_lib_now_us) - t0) / 1000)) ms: $(nflows 0) entries"
for i in 0 1 2; do nsx "${NS[i]}" tc qdisc del dev fab0 root; done
rep=0 gaps=0
for i in 0 1 2; do
	rep=$((rep + $(stat "$i" gap_entries_repaired)))
	gaps=$((gaps + $(stat "$i" gaps_detected)))
done
{ [ "$rep" -gt 0 ] && [ "$gaps" -gt 0 ]; } || dump_fail "no gap was repaired (gaps $gaps, entries repaired $rep)"
log "gap repair: $gaps gaps detected, $rep entries repaired by NACK"

# ------------------------------------------------------------- 2. restart
nsx "$C" ping -i 0.2 -c 100 -W 1 10.2.0.2 >"$work/ping.out" 2>&1 &
ping_pid=$!
deaths0=$(stat 0 peer_deaths)
kill -KILL "${TN_APSMD_PID[1]}"
wait_until 10 stat_gt 0 peer_deaths "$deaths0" || dump_fail "n0 did not declare n1 dead"
mkflows 21000 20 0
wait_until 10 nflows_ge 0 62 || dump_fail "n0 did not make the new entries"
wait_until 10 same2 0 2 || dump_fail "n2 did not get the entries made while n1 was down"
same2 0 1 && fail "n1 got entries while its apsmd was down?"
rm -f "$work/apsmd1.json"
returns0=$(stat 0 peer_returns)
tn_bg apsmd1b ip netns exec "${NS[1]}" "$D" -c "$work/apsmd1.conf" --foreground
TN_APSMD_PID[1]=$TN_BG_PID
wait_until 15 ready 1 || dump_fail "restarted n1 never reported ready"
grep -q "ready (snapshot installed" "$work/apsmd1b.log" ||
	dump_fail "n1 became ready without a snapshot: $(cat "$work/apsmd1b.log")"
served=$(($(stat 0 snapshots_served) + $(stat 2 snapshots_served)))
[ "$served" -ge 1 ] || dump_fail "no peer counts a served snapshot"
wait_until 10 same2 0 1 || dump_fail "n1 lacks entries after its snapshot"
wait_until 10 stat_gt 0 peer_returns "$returns0" || dump_fail "n0 did not see n1 return"
wait "$ping_pid" || true
grep -q "100 packets transmitted, 100 received" "$work/ping.out" ||
	dump_fail "the ping through the chain lost packets across the restart: $(tail -n 2 "$work/ping.out")"
log "restart: n1 ready from a snapshot, $(nflows 1) entries"

# ------------------------------------------------------------- 3. partition
deaths0=$(stat 0 peer_deaths) returns0=$(stat 0 peer_returns)
# both directions of n2's fabric link lose everything
nsx "${NS[2]}" tc qdisc add dev fab0 root netem loss 100%
tc qdisc add dev fab3 root netem loss 100%
wait_until 10 stat_gt 0 peer_deaths "$deaths0" || dump_fail "n0 did not declare partitioned n2 dead"
mkflows 22000 20 0
wait_until 10 same2 0 1 || dump_fail "n1 did not get the entries made during the partition"
same2 0 2 && fail "partitioned n2 got entries?"
nsx "${NS[2]}" tc qdisc del dev fab0 root
tc qdisc del dev fab3 root
wait_until 30 converged 82 || dump_fail "n2 did not converge after the partition healed"
wait_until 10 stat_gt 0 peer_returns "$returns0" || dump_fail "n0 did not see n2 return"
log "partition healed: $(nflows 2) entries on n2"

# ------------------------------------------------------------- 4. overflow
enobufs0=$(stat 0 enobufs)
kill -STOP "${TN_APSMD_PID[0]}"
mkflows 23000 150 0
# and 10 of them deleted by n0's operator while its apsmd is stopped: the
# deletes are lost to the overflow too and must still arrive
wait_until 10 nflows_ge 0 232 || dump_fail "n0 did not make the 150 entries"
# (the count is at least the script's: return entries come too)
# (a dump that printed nothing proves nothing: not "gone")
fwd_gone() {
	local out
	out=$(flows "$1")
	[ -n "$out" ] && ! grep -q "^forward udp 10.1.0.2 2300[0-9] " <<<"$out"
}
fwd_all() { [ "$(flows "$1" | grep -c "^forward udp 10.1.0.2 2300[0-9] ")" = 10 ]; }
wait_until 10 fwd_all 0 || dump_fail "n0 lacks forward entries to delete"
for p in $(seq 23000 23009); do
	"$CTL" -n "${NS[0]}" flow del proto udp src 10.1.0.2 sport "$p" dst 10.2.0.2 dport 9999 ||
		dump_fail "flow del $p on n0"
done
wait_until 5 fwd_gone 0 || dump_fail "n0 still has a deleted entry"
kill -CONT "${TN_APSMD_PID[0]}"
wait_until 10 stat_gt 0 enobufs "$enobufs0" || dump_fail "no ENOBUFS counted on n0"
wait_until 30 converged 222 || dump_fail "no convergence after the overflow"
for i in 1 2; do
	wait_until 5 fwd_gone "$i" || dump_fail "an entry deleted during the overflow is still on n$i"
done
log "overflow: enobufs $(stat 0 enobufs), resyncs $(stat 0 resyncs), feed_changes $(stat 0 feed_changes), $(nflows 1) entries everywhere, the 10 deleted nowhere"

# ------------------------------------------------------------- 5. hostile datagrams
# capture a genuine datagram n0 -> n1 (heartbeats flow all the time)
nsx "${NS[1]}" "$PY" - "$work/captured.bin" <<'EOF' &
import os, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind(("fab0", 0))
s.settimeout(10)
while True:
    p = s.recv(2048)
    ihl = (p[0] & 15) * 4
    if p[9] != 17 or p[12:16] != bytes([10, 0, 0, 1]):
        continue
    if struct.unpack("!H", p[ihl + 2:ihl + 4])[0] == 7946:
        open(sys.argv[1] + ".tmp", "wb").write(p[ihl + 8:])
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        break
EOF
cap_pid=$!
wait "$cap_pid" || fail "capture failed"
flows 1 >"$work/f1.before"
c0() { stat 1 "$1"; }
af=$(c0 auth_fail) rp=$(c0 replay) us=$(c0 unknown_sender) bf=$(c0 bad_format)
nsx "${NS[0]}" "$PY" - "$work/captured.bin" "$work/cluster.key" <<'EOF'
import base64, hashlib, hmac, os, socket, struct, sys, time
key = base64.b64decode(open(sys.argv[2]).read().strip())
def dgram(k, typ, sender, epoch, seq, body, count):
    hdr = struct.pack("!IBBHIBBHQQ", 0x4150534d, 3, typ, count, sender, 0, 0, 0, epoch, seq)
    return hdr + body + hmac.new(k, hdr + body, hashlib.sha512).digest()[:32]
def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7f | 0x80])
        v >>= 7
    return out + bytes([v])
# wire v3 headers (a v2 one is refused as bad_format before its epoch is
# looked at); the LOG body (v2 layout, stream 1, one IPv4 udp 1-hop entry)
# is never decoded: each datagram is refused by its header or MAC
ent = struct.pack("!IQQ", 1, 1, 1) + bytes([1, 17])
ent += socket.inet_aton("10.9.9.9") + socket.inet_aton("10.8.8.8")
ent += struct.pack("!HH", 1111, 2222) + varint(10) + varint((1 << 50) << 1) + varint(101)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
to = ("10.0.0.2", 7946)
s.sendto(dgram(os.urandom(32), 6, 1, time.time_ns(), 1 << 40, ent, 1), to)  # wrong key
s.sendto(dgram(key, 6, 1, 1, 1, ent, 1), to)                                # stale epoch
s.sendto(dgram(key, 6, 99, time.time_ns(), 1, ent, 1), to)                  # unknown sender
s.sendto(dgram(key, 42, 1, 1, 1, b"", 0), to)                               # unknown type
s.sendto(open(sys.argv[1], "rb").read(), to)                                # replay
EOF
# each hostile datagram counted exactly once: 1 wrong key, 2 replays (the
# stale epoch and the captured one), 1 unknown sender, 1 unknown type
c0_is() { [ "$(c0 "$1")" = "$2" ]; }
wait_until 5 c0_is auth_fail $((af + 1)) || dump_fail "wrong-key datagram: auth_fail $(c0 auth_fail), was $af"
wait_until 5 c0_is replay $((rp + 2)) || dump_fail "stale/replayed datagrams: replay $(c0 replay), was $rp"
wait_until 5 c0_is unknown_sender $((us + 1)) || dump_fail "unknown sender: unknown_sender $(c0 unknown_sender), was $us"
wait_until 5 c0_is bad_format $((bf + 1)) || dump_fail "malformed datagram: bad_format $(c0 bad_format), was $bf"
# n1's RDS is what it was before the hostile datagrams
flows 1 >"$work/f1.after"
diff "$work/f1.before" "$work/f1.after" >&2 || dump_fail "n1's RDS changed under the hostile datagrams"
log "hostile datagrams rejected: auth_fail $(c0 auth_fail) replay $(c0 replay) unknown_sender $(c0 unknown_sender) bad_format $(c0 bad_format)"

for i in 0 1 2; do
	[ "$(stat "$i" install_fail)" = 0 ] || dump_fail "n$i: install failures"
	kill -TERM "${TN_APSMD_PID[i]}"
done
log "apsmd-faults: ok"
