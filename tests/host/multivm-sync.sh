#!/bin/bash
# multivm-sync: RDS replication between SEPARATE kernels. Three QEMU VMs
# (scripts/vm-multi.sh: one kernel each, one shared L2 segment, VM i is
# 10.99.0.i, MAC 52:54:00:99:00:0i) each load apsm.ko in their init netns
# and run apsmd (node id i, fabric port = the NIC, the other two as peers,
# one cluster key made here on the host).
#
#   tests/host/multivm-sync.sh          (on the host; boots the VMs itself)
#
# VM 1 carries real traffic through a chain: client netns C (10.1.0.2) ->
# up0 -> chain c1 (service fw, instance fw1 = nsh-nf on a tap) -> up1 ->
# server netns S (10.2.0.2), which echoes: one ping flow and ten UDP flows,
# each creating a forward entry and a learned return entry (22 entries).
# Then five forward entries are deleted on VM 1 (17 left).
#
# Proves, for both phases: VM 2's and VM 3's kernels hold exactly VM 1's
# entries (key, dir, spi, path, origin, version), checked in each VM (it
# waits, bounded, until its RDS equals VM 1's published list) and again on
# the host from the dumps each VM prints on its console. Also: no datagram
# failed authentication, VM 1 sent and VMs 2/3 received the entries.
#
# The VMs coordinate over their own segment: each serves a small state
# directory over HTTP (port 8000); VM 1 publishes its entry lists there and
# waits for VMs 2/3 to publish "done" files. Every wait is bounded.
#
# Takes about 60 s on an idle 2-CPU host under TCG (3 VMs of 512 MB, one
# vCPU each, booted at once), 100 s at load average 12; each VM is killed
# after 400 s, and as soon as one VM fails the others are stopped.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
ROOT=$(cd "$here/../.." && pwd -P)
CTL=$APSM_CTL
D=$APSM_D
NF=$ROOT/tests/tools/nsh-nf
PY=/usr/bin/python3
PORT=7946
NFLOWS_UDP=10
NDEL=5

# Canonical, sorted lines of this node's RDS.
flows() {
	"$CTL" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["proto"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["proto"], f["src"], f["sport"], f["dst"], f["dport"], f["spi"],
          ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}

# ====================================================================== VM
# shellcheck disable=SC2317  # helpers below are called through wait_until/on_exit
guest() {
	require_vm
	local n=${APSM_VM_NODE:?} dev=${APSM_VM_IF:?} net=${APSM_VM_NET:?}
	local work st j
	for x in "$CTL" "$NF" "$D"; do [ -x "$x" ] || fail "$x missing: run 'make userspace'"; done
	work=$(mktemp -d)
	st=$work/pub
	mkdir -p "$st"
	log "node $n on $dev ($net$n)"

	unload_apsm
	load_apsm
	on_exit unload_apsm
	[ -e /dev/net/tun ] || modprobe tun
	modprobe veth 2>/dev/null || true
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	# Nothing may age out while the slowest VM catches up.
	"$CTL" node set timeout-tcp 3600 timeout-udp 3600 timeout-other 3600

	printf '%s\n' "${APSM_MVSYNC_KEY:?}" >"$work/cluster.key"
	{
		printf '[Node]\nId = %d\nListen = %s%d:%d\nKeyFile = %s\nFabricDevice = %s\nStatsFile = %s\n' \
			"$n" "$net" "$n" "$PORT" "$work/cluster.key" "$dev" "$work/stats.json"
		for j in 1 2 3; do
			[ "$j" = "$n" ] && continue
			printf '\n[Peer]\nId = %d\nEndpoint = %s%d:%d\nLinkAddress = 52:54:00:99:00:%02x\n' \
				"$j" "$net" "$j" "$PORT" "$j"
		done
	} >"$work/apsmd.conf"
	on_exit bg_stop
	"$D" -c "$work/apsmd.conf" --foreground 2>"$work/apsmd.log" &
	bg_pids+=($!)
	wait_until 20 test -s "$work/stats.json" || fail "apsmd did not start: $(cat "$work/apsmd.log")"
	assert_eq "$("$CTL" -j node show | sed -nE 's/.*"id":([0-9]+).*/\1/p')" "$n" "node id set by apsmd"
	assert_eq "$("$CTL" peer show | wc -l)" 2 "peers set by apsmd"
	"$CTL" port show | grep -q "$dev" || fail "apsmd did not add $dev as the fabric port"

	"$PY" -m http.server 8000 --bind "$net$n" --directory "$st" 2>"$work/http.log" >&2 &
	bg_pids+=($!)
	touch "$st/ready"
	get() { curl -sf --max-time 3 "http://$net$1:8000/$2"; }
	publish() { cat >"$st/.$1" && mv "$st/.$1" "$st/$1"; }
	counter() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/stats.json" "$1"; }
	dump() { # PHASE: this node's RDS on the console, for the host
		flows | sed "s/^/MVSYNC node=$n phase=$1: /"
		echo "MVSYNC node=$n phase=$1 end"
	}

	if [ "$n" = 1 ]; then
		both() { get 2 "$1" >/dev/null && get 3 "$1" >/dev/null; }
		# Each VM separately: VM 2 or 3 powers off once this VM has
		# fetched its last "done", so one round must not need both.
		done_on() { get "$1" "$2" >/dev/null; }
		each_done() { wait_until "$2" done_on 2 "$1" && wait_until "$2" done_on 3 "$1"; }
		wait_until 120 both ready || fail "VMs 2 and 3 did not come up"
		log "VMs 2 and 3 are up"

		local C=mv-c S=mv-s p
		ns_add "$C" "$S"
		for p in "$C" "$S"; do
			nsx "$p" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		done
		sysctl -qw net.ipv4.ip_forward=1
		ip link add up0 type veth peer name eth0 netns "$C"
		ip link add up1 type veth peer name eth0 netns "$S"
		ip addr add 10.1.0.1/24 dev up0
		ip addr add 10.2.0.1/24 dev up1
		ip link set up0 up
		ip link set up1 up
		nsx "$C" ip addr add 10.1.0.2/24 dev eth0
		nsx "$C" ip link set eth0 up
		nsx "$C" ip route add default via 10.1.0.1
		nsx "$S" ip addr add 10.2.0.2/24 dev eth0
		nsx "$S" ip link set eth0 up
		nsx "$S" ip route add default via 10.2.0.1
		ip tuntap add dev tfw1 mode tap
		pp "$CTL" port add dev up0 role uplink
		pp "$CTL" port add dev up1 role uplink
		pp "$CTL" service add fw stateful
		pp "$CTL" instance add fw1 service fw id 101 dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
		pp "$CTL" chain add c1 spi 10 services fw
		pp "$CTL" policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
		"$NF" --mac 02:4e:46:00:00:11 --up --stats "$work/nf.json" tfw1 2>"$work/nf.log" &
		bg_pids+=($!)
		wait_until 10 test -s "$work/nf.json" || fail "nsh-nf did not start: $(cat "$work/nf.log")"

		# a UDP echo server on S
		nsx "$S" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.2.0.2", 5000))
open("'"$work"'/echo.ready", "w").close()
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)' &
		bg_pids+=($!)
		wait_until 10 test -e "$work/echo.ready" || fail "UDP echo server did not start"

		pp nsx "$C" ping -c 3 -i 0.3 -W 3 10.2.0.2 || fail "ping through the chain failed"
		# NFLOWS_UDP flows, from ports 41001..: each must be echoed back
		nsx "$C" "$PY" - "$NFLOWS_UDP" <<'EOF' || fail "UDP through the chain failed"
import socket, sys
for i in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.1.0.2", 41001 + i))
    s.settimeout(3)
    for _ in range(5):
        s.sendto(b"x%d" % i, ("10.2.0.2", 5000))
        try:
            if s.recv(64) == b"x%d" % i:
                break
        except socket.timeout:
            pass
    else:
        sys.exit("no echo for flow %d" % i)
EOF
		flows >"$work/p1"
		cat "$work/p1" >&2
		assert_eq "$(grep -c '^forward ' "$work/p1")" $((NFLOWS_UDP + 1)) "forward entries on VM 1"
		assert_eq "$(grep -c '^return ' "$work/p1")" $((NFLOWS_UDP + 1)) "return entries on VM 1"
		[ "$(grep -c ' 10 101 1 ' "$work/p1")" = $((2 * NFLOWS_UDP + 2)) ] ||
			fail "not every entry is spi 10, path fw1, origin 1"
		dump 1
		publish p1.flows <"$work/p1"
		each_done p1.done 60 || fail "VMs 2/3 did not converge (phase 1)"
		log "phase 1: VMs 2 and 3 hold VM 1's $(grep -c . "$work/p1") entries"

		for ((p = 0; p < NDEL; p++)); do
			"$CTL" flow del proto udp src 10.1.0.2 sport $((41001 + p)) dst 10.2.0.2 dport 5000
		done
		flows >"$work/p2"
		assert_eq "$(grep -c . "$work/p2")" $((2 * NFLOWS_UDP + 2 - NDEL)) "entries left on VM 1"
		dump 2
		publish p2.flows <"$work/p2"
		each_done p2.done 60 || fail "VMs 2/3 did not converge (phase 2)"
		log "phase 2: deletes reached VMs 2 and 3"
		[ "$(counter sent)" -ge $((2 * NFLOWS_UDP + 2)) ] || fail "VM 1's apsmd sent $(counter sent) entries"
	else
		local ph
		for ph in 1 2; do
			fetch() { get 1 "p$ph.flows" >"$work/p$ph"; }
			wait_until 140 fetch ||
				fail "VM 1 published no phase $ph list"
			same() { [ "$(flows)" = "$(cat "$work/p$ph")" ]; }
			if ! wait_until 30 same; then
				diff <(flows) "$work/p$ph" >&2 || true
				cat "$work/apsmd.log" >&2
				fail "VM $n did not converge to VM 1's phase $ph entries"
			fi
			log "phase $ph: VM $n holds VM 1's entries"
			dump "$ph"
			touch "$st/p$ph.done"
		done
		[ "$(counter received)" -ge $((2 * NFLOWS_UDP + 2)) ] || fail "VM $n's apsmd received $(counter received) entries"
		# stay reachable until VM 1 has seen our last "done"
		wait_until 60 grep -q 'GET /p2.done HTTP/1.[01]" 200' "$work/http.log" || fail "VM 1 never fetched p2.done"
	fi
	assert_eq "$(counter auth_fail)" 0 "datagrams that failed authentication"
	log "VM $n: $(cat "$work/stats.json")"
	log "multivm-sync: VM $n ok"
}

if [ "${1:-}" = --guest ]; then
	guest
	exit 0
fi

# ==================================================================== host
cd "$ROOT"
for x in apsm.ko "$CTL" "$D" "$NF"; do
	[ -e "$x" ] || fail "$x missing: run 'make'"
done
command -v curl >/dev/null || fail "curl missing (the VMs coordinate over HTTP): apt-get install curl"
logs=$(mktemp -d "${TMPDIR:-/tmp}/multivm-sync.XXXXXX")
on_exit rm -rf "$logs"
APSM_MVSYNC_KEY=$("$D" genkey)
export APSM_MVSYNC_KEY
rc=0
scripts/vm-multi.sh --vms 3 --timeout 400 --mem 512 --smp 1 --logdir "$logs" \
	tests/host/multivm-sync.sh --guest || rc=$?
[ "$rc" = 0 ] || fail "a VM failed (status $rc, see above)"

# The host's own comparison of the dumps the VMs printed.
dumped() { # NODE PHASE
	grep -a "MVSYNC node=$1 phase=$2" "$logs/vm$1.log" | tr -d '\r' >"$logs/d$1.$2"
	grep -q "phase=$2 end" "$logs/d$1.$2" || fail "VM $1 printed no complete phase $2 dump"
	sed -n "s/^MVSYNC node=$1 phase=$2: //p" "$logs/d$1.$2"
}
for ph in 1 2; do
	ref=$(dumped 1 "$ph")
	want=$((2 * NFLOWS_UDP + 2))
	[ "$ph" = 1 ] || want=$((want - NDEL))
	assert_eq "$(grep -c . <<<"$ref")" "$want" "VM 1's entries in phase $ph"
	for n in 2 3; do
		got=$(dumped "$n" "$ph")
		if [ "$got" != "$ref" ]; then
			diff <(echo "$ref") <(echo "$got") >&2 || true
			fail "VM $n's kernel differs from VM 1's in phase $ph"
		fi
	done
	echo "phase $ph: the kernels of VMs 1, 2 and 3 hold the same $want entries"
done
echo "multivm-sync: PASS"
