#!/bin/bash
# apsmd-sync: three nodes, one apsmd each, replicate RDS entries over UDP.
#   make userspace && scripts/vm-run.sh tests/vm/apsmd-sync.sh
#
# Topology: nodes apsm-t0/1/2 (ids 1/2/3) on a bridge fabric (fab0,
# 10.0.0.N/24, MAC 02:fa:00:00:00:0N); client apsm-t3 behind n0's up0
# (10.1.0.0/24), server apsm-t4 behind n0's up1 (10.2.0.0/24). On n0: one
# service fw, one instance fw1 (nsh-nf on a tap), chain c1, a policy.
# apsmd on each node (config + shared key made here; apsmd itself sets the
# node id, the fabric port and the peers).
#
# Proves:
#  - apsmd sets the node up (node id, fabric port, both peers);
#  - a ping through the chain on n0 creates a forward and a learned return
#    entry there, and both reach n1 and n2 with the same key, dir, spi,
#    path, origin and version (kernel -> rds group -> UDP -> FLOW_INSTALL);
#  - a well-formed datagram MACed with a wrong key changes nothing and is
#    counted (auth_fail); a captured genuine datagram sent again changes
#    nothing and is counted (replay);
#  - a flush on n0 (deletes multicast) empties n1 and n2;
#  - SIGHUP reloads the peer list; SIGTERM exits cleanly.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

CTL=$APSM_ROOT/userspace-ctl/apsmctl
D=$APSM_ROOT/userspace-ctl/apsmd
NF=$APSM_ROOT/tests/tools/nsh-nf
PY=/usr/bin/python3
for x in "$CTL" "$NF" "$D"; do [ -x "$x" ] || fail "$x missing: run 'make userspace'"; done
work=$(mktemp -d)
NS=("${NS_PREFIX}0" "${NS_PREFIX}1" "${NS_PREFIX}2")
C=${NS_PREFIX}3 S=${NS_PREFIX}4

unload_apsm
pp load_apsm
on_exit unload_apsm
[ -e /dev/net/tun ] || modprobe tun
modprobe veth 2>/dev/null || true
modprobe bridge 2>/dev/null || true

ns_add "${NS[@]}" "$C" "$S"
for ns in "${NS[@]}" "$C" "$S"; do
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
pp ip link add apsmfab type bridge
on_exit ip link del apsmfab
ip link set apsmfab up
for i in 0 1 2; do
	ip link add "fab$i" type veth peer name fab0 netns "${NS[i]}"
	ip link set "fab$i" master apsmfab up
	nsx "${NS[i]}" ip link set fab0 address "02:fa:00:00:00:0$((i + 1))"
	nsx "${NS[i]}" ip addr add "10.0.0.$((i + 1))/24" dev fab0
	nsx "${NS[i]}" ip link set fab0 up
done
N0=${NS[0]}
ip link add up0 netns "$N0" type veth peer name eth0 netns "$C"
ip link add up1 netns "$N0" type veth peer name eth0 netns "$S"
nsx "$N0" ip addr add 10.1.0.1/24 dev up0
nsx "$N0" ip addr add 10.2.0.1/24 dev up1
nsx "$N0" ip link set up0 up
nsx "$N0" ip link set up1 up
nsx "$N0" sysctl -qw net.ipv4.ip_forward=1
nsx "$C" ip addr add 10.1.0.2/24 dev eth0
nsx "$C" ip link set eth0 up
nsx "$C" ip route add default via 10.1.0.1
nsx "$S" ip addr add 10.2.0.2/24 dev eth0
nsx "$S" ip link set eth0 up
nsx "$S" ip route add default via 10.2.0.1

# ------------------------------------------------------------- apsmd
"$D" genkey >"$work/cluster.key"
[ "$(base64 -d "$work/cluster.key" | wc -c)" = 32 ] || fail "genkey: not base64 of 32 bytes"
conf() { # I: node index
	local i=$1 j
	printf '[Node]\nId = %d\nListen = 10.0.0.%d:7946  # UDP\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s\n' \
		$((i + 1)) $((i + 1)) "$work/cluster.key" "$work/stats$i.json"
	for j in 0 1 2; do
		[ "$i" = "$j" ] && continue
		printf '\n[Peer]\nId = %d\nEndpoint = 10.0.0.%d:7946\nLinkAddress = 02:fa:00:00:00:0%d\n' \
			$((j + 1)) $((j + 1)) $((j + 1))
	done
}
# a config error names file:line
printf '[Node]\nId = 1\nListen = nowhere\n' >"$work/bad.conf"
err=$("$D" -c "$work/bad.conf" --foreground 2>&1) && fail "bad config accepted"
assert_match "$err" "bad.conf:3: Listen" "config error names file:line"

pids=()
stop_bg() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; return 0; }
on_exit stop_bg
for i in 0 1 2; do
	conf "$i" >"$work/apsmd$i.conf"
	ip netns exec "${NS[i]}" "$D" -c "$work/apsmd$i.conf" --foreground 2>"$work/apsmd$i.log" &
	pids+=($!)
done
for i in 0 1 2; do
	wait_until 5 test -s "$work/stats$i.json" || fail "apsmd $i did not start: $(cat "$work/apsmd$i.log")"
	assert_eq "$("$CTL" -n "${NS[i]}" -j node show | sed -nE 's/.*"id":([0-9]+).*/\1/p')" $((i + 1)) "node $i id"
	assert_eq "$("$CTL" -n "${NS[i]}" peer show | wc -l)" 2 "node $i peers"
	"$CTL" -n "${NS[i]}" port show | grep -q fab0 || fail "node $i: no fabric port"
done

# ------------------------------------------------------------- datapath on n0
nsx "$N0" ip tuntap add dev tfw1 mode tap
ctl0() { pp "$CTL" -n "$N0" "$@"; }
ctl0 port add dev up0 role uplink
ctl0 port add dev up1 role uplink
ctl0 service add fw stateful
ctl0 instance add fw1 service fw id 101 dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl0 chain add c1 spi 10 services fw
ctl0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
nsx "$N0" "$NF" --mac 02:4e:46:00:00:11 --up --stats "$work/nf.json" tfw1 2>"$work/nf.log" &
pids+=($!)
wait_until 5 test -s "$work/nf.json" || fail "nsh-nf did not start: $(cat "$work/nf.log")"

# capture genuine datagrams n0 -> n1 for the replay test
nsx "${NS[1]}" "$PY" - "$work/captured.bin" <<'EOF' &
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
pids+=($!)
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
stat() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/stats$1.json" "$2"; }
[ "$(stat 0 sent)" -ge 2 ] || fail "n0 sent $(stat 0 sent) entries"
[ "$(stat 1 received)" -ge 2 ] || fail "n1 received $(stat 1 received) entries"

# ------------------------------------------------------------- forged and replayed
wait_until 5 test -s "$work/captured.bin" || fail "no datagram captured"
flows 1 >"$work/f1.before"
# a well-formed batch (an entry that is nowhere) MACed with a wrong key
nsx "${NS[0]}" "$PY" - "$work/captured.bin" <<'EOF'
import hashlib, hmac, os, socket, struct, sys, time
hdr = struct.pack("!IBBHIIQQ", 0x4150534d, 1, 1, 1, 1, 0, time.time_ns(), 1 << 40)
ent = struct.pack("!BBBBB3xHHIIQ", 1, 2, 17, 1, 1, 1111, 2222, 10, 1, 1 << 50)
ent += socket.inet_aton("10.9.9.9") + socket.inet_aton("10.8.8.8") + struct.pack("!I", 101)
msg = hdr + ent
mac = hmac.new(os.urandom(32), msg, hashlib.sha512).digest()[:32]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(msg + mac, ("10.0.0.2", 7946))
# a genuine datagram, sent again
s.sendto(open(sys.argv[1], "rb").read(), ("10.0.0.2", 7946))
EOF
wait_until 5 test "$(stat 1 auth_fail)" -ge 1 || fail "forged datagram not counted: $(cat "$work/stats1.json")"
wait_until 5 test "$(stat 1 replay)" -ge 1 || fail "replayed datagram not counted: $(cat "$work/stats1.json")"
sleep 0.3
flows 1 >"$work/f1.after"
cmp -s "$work/f1.before" "$work/f1.after" || fail "forged/replayed datagrams changed n1's RDS"
log "forged and replayed datagrams rejected and counted: $(cat "$work/stats1.json")"

# ------------------------------------------------------------- deletes
pp "$CTL" -n "$N0" flow flush
for i in 1 2; do
	wait_until 5 test -z "$(flows "$i")" || { flows "$i" >&2; fail "node $i kept flushed entries"; }
done
log "deletes replicated"

# ------------------------------------------------------------- reload, stats, exit
conf 2 | sed '/^\[Peer\]/,$d' >"$work/apsmd2.conf" # n2 now has no peers
kill -HUP "${pids[2]}"
wait_until 5 test "$("$CTL" -n "${NS[2]}" peer show | wc -l)" = 0 || fail "SIGHUP did not reload n2's peers"
kill -USR1 "${pids[0]}"
wait_until 2 grep -q "batches_sent" "$work/apsmd0.log" || fail "SIGUSR1 printed nothing"
for i in 0 1 2; do
	kill -TERM "${pids[i]}"
	wait "${pids[i]}" || fail "apsmd $i exited with $?"
done
log "apsmd-sync: ok"
