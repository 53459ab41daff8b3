#!/bin/bash
# apsmd-sync: three nodes, one apsmd each, replicate RDS entries over UDP.
#   make userspace && scripts/vm-run.sh tests/vm/apsmd-sync.sh
#
# Topology: tests/lib-3node.sh with its defaults: nodes apsm-t0/1/2 (ids
# 1/2/3) on a bridge fabric (fab0, 10.0.0.N/24, MAC 02:fa:00:00:00:0N);
# client apsm-t3 behind n0's up0 (10.1.0.0/24), server apsm-t4 behind n0's
# up1 (10.2.0.0/24). Service fw and instance fw1 (nsh-nf on a tap on n0)
# known on every node; on n0 chain c1 and a policy. apsmd on each node
# (config + shared key made by the lib; apsmd itself sets the node id, the
# fabric port and the peers).
#
# Proves:
#  - apsmd sets the node up (node id, fabric port, both peers);
#  - a ping through the chain on n0 creates a forward and a learned return
#    entry there, and both reach n1 and n2 with the same key, dir, spi,
#    path, origin and version (kernel -> rds group -> UDP -> FLOW_INSTALL);
#  - an operator's delete on n1 of n0's entry is deleted on n0 and n2;
#  - a well-formed datagram MACed with a wrong key changes nothing and is
#    counted (auth_fail); a captured genuine datagram sent again changes
#    nothing and is counted (replay);
#  - a flush on n0 (deletes multicast) empties n1 and n2;
#  - SIGHUP reloads the peer list; SIGTERM exits cleanly.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"
tn_setup --client-node 0 --server-node 0
N0=${NS[0]}
# The test compares RDS contents across minutes under a loaded TCG host:
# keep the ping's entries from idling out (30 s by default) meanwhile.
for i in 0 1 2; do tn_ctl "$i" node set timeout-other 3600; done

# ------------------------------------------------------------- apsmd
tn_apsmd_write
[ "$(base64 -d "$work/cluster.key" | wc -c)" = 32 ] || fail "genkey: not base64 of 32 bytes"
sed -i 's/^Listen = .*/&  # UDP/' "$work"/apsmd[012].conf # comments are allowed
# a config error names file:line
printf '[Node]\nId = 1\nListen = nowhere\n' >"$work/bad.conf"
err=$("$D" -c "$work/bad.conf" --foreground 2>&1) && fail "bad config accepted"
assert_match "$err" "bad.conf:3: Listen" "config error names file:line"
tn_apsmd_start

# ------------------------------------------------------------- datapath on n0
tn_nf_setup "fw1 101 fw 0"
tn_ctl 0 chain add c1 spi 10 services fw
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

# capture genuine datagrams n0 -> n1 for the replay test
cat >"$work/capture.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind(("fab0", 0))
open(sys.argv[1] + ".ready", "w").close()
while True:
    p = s.recv(2048)
    ihl = (p[0] & 15) * 4
    if p[9] != 17 or p[12:16] != bytes([10, 0, 0, 1]):
        continue
    dport = struct.unpack("!H", p[ihl + 2:ihl + 4])[0]
    if dport == 7946:
        open(sys.argv[1] + ".tmp", "wb").write(p[ihl + 8:])
        import os
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        break
EOF
tn_bg capture ip netns exec "${NS[1]}" "$PY" "$work/capture.py" "$work/captured.bin"
wait_until 10 test -e "$work/captured.bin.ready" || fail "capture did not start"

pp nsx "$C" ping -c 3 -i 0.3 -W 2 10.2.0.2 || fail "ping through the chain failed"

# ------------------------------------------------------------- sync
flows() { # I: the node's flows as sorted canonical lines
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["proto"], f["src"], f["sport"], f["dst"], f["dport"], f["spi"],
          ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}
flows 0 >"$work/f0"
cat "$work/f0" >&2
assert_eq "$(grep -c . "$work/f0")" 2 "n0 holds a forward and a return entry"
grep -q "^forward .* 10 101 1 " "$work/f0" || fail "no forward entry via fw1 from origin 1"
grep -q "^return .* 10 101 1 " "$work/f0" || fail "no return entry via fw1 from origin 1"
same() { [ "$(flows "$1")" = "$(cat "$work/f0")" ]; }
for i in 1 2; do
	wait_until 5 same "$i" || { flows "$i" >&2; cat "$work"/apsmd*.log >&2; fail "node $i did not converge"; }
	log "node $i holds n0's entries"
done
stat() { tn_apsmd_stat "$@"; }
[ "$(stat 0 sent)" -ge 2 ] || fail "n0 sent $(stat 0 sent) entries"
[ "$(stat 1 received)" -ge 2 ] || fail "n1 received $(stat 1 received) entries"

# ------------------------------------------------------------- forged and replayed
wait_until 5 test -s "$work/captured.bin" || fail "no datagram captured"
flows 1 >"$work/f1.before"
auth_fail0=$(stat 1 auth_fail) replay0=$(stat 1 replay)
# a well-formed LOG (an entry that is nowhere) MACed with a wrong key
nsx "${NS[0]}" "$PY" - "$work/captured.bin" <<'EOF'
import hashlib, hmac, os, socket, struct, sys, time
hdr = struct.pack("!IBBHIIQQ", 0x4150534d, 3, 6, 1, 1, 0, time.time_ns(), 1 << 40)
# wire v3 header; the LOG body (v2 layout: stream 1, seq 1, IPv4 udp, 1 hop,
# spi 10, path 101) is never decoded: the MAC is refused first
ent = struct.pack("!IQQ", 1, 1, 1) + bytes([1, 17])
ent += socket.inet_aton("10.9.9.9") + socket.inet_aton("10.8.8.8")
ent += struct.pack("!HHB", 1111, 2222, 10) + bytes([0x80] * 7 + [0x04]) + bytes([101])
msg = hdr + ent
mac = hmac.new(os.urandom(32), msg, hashlib.sha512).digest()[:32]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(msg + mac, ("10.0.0.2", 7946))
# a genuine datagram, sent again
s.sendto(open(sys.argv[1], "rb").read(), ("10.0.0.2", 7946))
EOF
# both were handled once their counters moved: then the RDS must be as before
counted() { [ "$(stat 1 auth_fail)" -gt "$auth_fail0" ] && [ "$(stat 1 replay)" -gt "$replay0" ]; }
wait_until 5 counted || fail "forged/replayed datagrams not counted: $(cat "$work/apsmd1.json")"
flows 1 >"$work/f1.after"
cmp -s "$work/f1.before" "$work/f1.after" || fail "forged/replayed datagrams changed n1's RDS"
log "forged and replayed datagrams rejected and counted: $(cat "$work/apsmd1.json")"

# ------------------------------------------------------------- delete on a non-origin node
# n1's operator deletes n0's forward entry: a delete is a write (version
# + 1 of the entry) and wins on every node, its origin included
read -r _ proto src sport dst dport _ < <(grep "^forward " "$work/f0")
pp "$CTL" -n "${NS[1]}" flow del proto "$proto" src "$src" sport "$sport" dst "$dst" dport "$dport"
no_fwd() { ! flows "$1" | grep -q "^forward "; }
for i in 0 2; do
	wait_until 5 no_fwd "$i" || { flows "$i" >&2; fail "node $i kept the entry n1's operator deleted"; }
done
flows 0 | grep -q "^return " || fail "n0 lost the return entry too"
log "a delete on a non-origin node reached every node"

# ------------------------------------------------------------- deletes
pp "$CTL" -n "$N0" flow flush
for i in 1 2; do
	wait_until 5 test -z "$(flows "$i")" || { flows "$i" >&2; fail "node $i kept flushed entries"; }
done
log "deletes replicated"

# ------------------------------------------------------------- reload, stats, exit
tn_apsmd_conf 2 | sed '/^\[Peer\]/,$d' >"$work/apsmd2.conf" # n2 now has no peers
kill -HUP "${TN_APSMD_PID[2]}"
wait_until 5 test "$("$CTL" -n "${NS[2]}" peer show | wc -l)" = 0 || fail "SIGHUP did not reload n2's peers"
kill -USR1 "${TN_APSMD_PID[0]}"
wait_until 2 grep -q "batches_sent" "$work/apsmd0.log" || fail "SIGUSR1 printed nothing"
for i in 0 1 2; do
	kill -TERM "${TN_APSMD_PID[i]}"
	wait "${TN_APSMD_PID[i]}" || fail "apsmd $i exited with $?"
done
log "apsmd-sync: ok"
