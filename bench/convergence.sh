#!/bin/bash
# convergence: how long an RDS entry created by the packet path on node 1
# takes to be in the kernel RDS of nodes 2 and 3 (apsmd -> UDP -> apsmd ->
# FLOW_INSTALL), median and p99, at offered rates of new flows per second.
#
#   make bench                                          (all benchmarks)
#   scripts/vm-run.sh --timeout 1200 bench/convergence.sh [RATE:SECS ...]
#
# Default runs: 1000:5 and 50000:2 (offered new flows per second : seconds).
#
# Topology (one VM, one kernel): nodes apsm-b1/2/3 (netns, ids 1/2/3, one
# apsmd each) on a bridge fabric 10.0.0.N; a client netns apsm-bc behind
# node 1's uplink up0. On node 1: service fw, instance fw1 on a tap that
# nobody reads (the frames are dropped there: only the entry matters),
# chain c1, a policy for 10.1.0.0/24. bench/flowgen in the client sends one
# UDP datagram per new 5-tuple, paced at the offered rate.
#
# One clock: a kprobe trace event on apsm_rds_net_added() (the hook every
# entry passes once it is in a node's table), trace_clock mono, records
# (time, which table, why, version, dport) for the insert on node 1 (the
# kernel event) and for the install on nodes 2 and 3 (the arrival). Entries
# are matched by version and port. "all" is the time until the entry is in
# BOTH other nodes. "sent/s" is what flowgen achieved, "events/s" the rate
# of new entries on node 1; "missing" counts entries that never reached one
# of the other nodes within the wait (120 s).
#
# The kprobe costs a little per entry (on all three nodes alike).
#
# Per run, also (bench/README.md): "miss@5s" = entries not in both other
# nodes 5 s after the last event on node 1 (same trace clock); false peer
# deaths (no node is stopped, so every peer_deaths is false); wire bytes
# per update = every frame on the fabric during the run (rx of the bridge
# ends bfab0-2: all datagrams of all three nodes, heartbeats and repairs
# included, the RTT probes taken out) / events on node 1; repair bytes as a
# share of push bytes (apsmd's repair_bytes / push_bytes; an apsmd without
# them: ae_repair_sent / sent entries, said in the JSON); the fabric UDP
# RTT of the same run (a 32-byte UDP probe every 100 ms from node 1 to an
# echo on node 2, userspace to userspace, over the fabric). After the
# table: one line "convergence-json: {...}" with every figure of every run.
# shellcheck source-path=SCRIPTDIR source=../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
require_vm

R=$APSM_ROOT
CTL=$APSM_CTL
D=$APSM_D
GEN=$R/bench/flowgen
AN=$R/bench/convergence.py
PY=/usr/bin/python3
for x in "$CTL" "$D" "$GEN"; do [ -x "$x" ] || fail "$x missing: run 'make all' and 'make -C bench'"; done
command -v gdb >/dev/null || fail "gdb missing (reads struct offsets from apsm.ko's debug info)"
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(1000:5 50000:2)
work=$(mktemp -d)
NS=(apsm-b1 apsm-b2 apsm-b3)
C=apsm-bc

unload_apsm
load_apsm
on_exit unload_apsm
[ -e /dev/net/tun ] || modprobe tun
modprobe veth 2>/dev/null || true
modprobe bridge 2>/dev/null || true

# ------------------------------------------------------------- topology
ns_add "${NS[@]}" "$C"
for ns in "${NS[@]}" "$C"; do
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
ip link add apsmbfab type bridge
on_exit ip link del apsmbfab
ip link set apsmbfab up
for i in 0 1 2; do
	ip link add "bfab$i" type veth peer name fab0 netns "${NS[i]}"
	ip link set "bfab$i" master apsmbfab up
	nsx "${NS[i]}" ip link set fab0 address "02:fa:00:00:00:0$((i + 1))"
	nsx "${NS[i]}" ip addr add "10.0.0.$((i + 1))/24" dev fab0
	nsx "${NS[i]}" ip link set fab0 up
	"$CTL" -n "${NS[i]}" node set rds-max 1000000 timeout-tcp 3600 \
		timeout-udp 3600 timeout-other 3600
done
N1=${NS[0]}
ip link add up0 netns "$N1" type veth peer name eth0 netns "$C"
nsx "$N1" ip addr add 10.1.0.1/24 dev up0
nsx "$N1" ip link set up0 up
nsx "$C" ip addr add 10.1.0.2/24 dev eth0
nsx "$C" ip link set eth0 up
nsx "$C" ip route add default via 10.1.0.1
# Static: an ARP exchange would be steered like everything else from C.
nsx "$C" ip neigh replace 10.1.0.1 dev eth0 nud permanent \
	lladdr "$(nsx "$N1" cat /sys/class/net/up0/address)"
# ------------------------------------------------------------- apsmd
"$D" genkey >"$work/cluster.key"
on_exit bg_stop
for i in 0 1 2; do
	{
		printf '[Node]\nId = %d\nListen = 10.0.0.%d:7946\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s\n' \
			$((i + 1)) $((i + 1)) "$work/cluster.key" "$work/stats$i.json"
		# APSM_BENCH_PUSH_LINGER=VALUE: PushLinger of this run (apsmd's default otherwise)
		[ -z "${APSM_BENCH_PUSH_LINGER:-}" ] || printf 'PushLinger = %s\n' "$APSM_BENCH_PUSH_LINGER"
		for j in 0 1 2; do
			[ "$i" = "$j" ] && continue
			printf '\n[Peer]\nId = %d\nEndpoint = 10.0.0.%d:7946\nLinkAddress = 02:fa:00:00:00:0%d\n' \
				$((j + 1)) $((j + 1)) $((j + 1))
		done
	} >"$work/apsmd$i.conf"
	ip netns exec "${NS[i]}" "$D" -c "$work/apsmd$i.conf" --foreground 2>"$work/apsmd$i.log" &
	bg_pids+=($!)
done
# the UDP echo for the RTT probes (userspace, like apsmd)
ip netns exec "${NS[1]}" "$PY" "$AN" udp-echo 10.0.0.2 7950 &
bg_pids+=($!)
for i in 0 1 2; do
	wait_until 10 test -s "$work/stats$i.json" || fail "apsmd $i did not start: $(cat "$work/apsmd$i.log")"
	wait_until 10 test "$("$CTL" -n "${NS[i]}" peer show | wc -l)" = 2 || fail "apsmd $i set no peers"
done

# node 1's data path (after apsmd set the node id: instances pin it)
nsx "$N1" ip tuntap add dev tfw1 mode tap
nsx "$N1" ip link set tfw1 up
"$CTL" -n "$N1" port add dev up0 role uplink
"$CTL" -n "$N1" service add fw stateful
"$CTL" -n "$N1" instance add fw1 service fw id 101 dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
"$CTL" -n "$N1" chain add c1 spi 10 services fw
"$CTL" -n "$N1" policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

# ------------------------------------------------------------- trace
T=/sys/kernel/tracing
[ -e "$T/kprobe_events" ] || mount -t tracefs nodev "$T" || fail "no tracefs"
off() { # FIELD: offset in struct apsm_rds_entry, from apsm.ko's DWARF
	gdb -batch -ex "print (int)&((struct apsm_rds_entry *)0)->$1" "$APSM_KO" 2>/dev/null |
		sed -n 's/^\$1 = \([0-9]*\)$/\1/p'
}
o_dport=$(off f.key.dport)
o_ver=$(off f.version)
[ -n "$o_dport" ] && [ -n "$o_ver" ] || fail "cannot read struct apsm_rds_entry offsets from $APSM_KO"
echo 0 >"$T/tracing_on"
echo mono >"$T/trace_clock"
echo 32768 >"$T/buffer_size_kb"
echo "p:apsmbench/added apsm:apsm_rds_net_added rds=%di:x64 why=%dx:u32 dport=+$o_dport(%si):u16 ver=+$o_ver(%si):u64" \
	>>"$T/kprobe_events" || fail "cannot place the kprobe on apsm_rds_net_added"
untrace() { # the kprobe goes before rmmod (it runs first: registered later)
	echo 0 >"$T/tracing_on" || true
	echo 0 >"$T/events/apsmbench/added/enable" || true
	echo "-:apsmbench/added" >>"$T/kprobe_events" || true
	echo local >"$T/trace_clock" || true
}
on_exit untrace
echo 1 >"$T/events/apsmbench/added/enable"

rdsptr() { # FILTER: the rds= of the first trace line matching FILTER ("": none)
	{ grep -a " added: " "$T/trace" | grep -a -- "$1" || true; } |
		sed -nE '1s/.*rds=(0x[0-9a-f]+).*/\1/p'
}
count() { "$CTL" -n "$1" -j node show | sed -nE 's/.*"rds_count":([0-9]+).*/\1/p'; }

# Calibration: which table is which node's.
echo >"$T/trace"
echo 1 >"$T/tracing_on"
for i in 1 2; do
	"$CTL" -n "${NS[i]}" flow install dir forward proto udp src 10.9.9.9 sport 1 \
		dst 10.9.9.$i dport $((61000 + i)) spi 10 path 101 origin 99 version 7
done
nsx "$C" "$GEN" --rate 1000 --count 1 --net 10.3.0 --src-port 40000 >/dev/null
for i in 1 2; do
	wait_until 10 "$CTL" -n "${NS[i]}" flow get proto udp src 10.1.0.2 sport 40000 \
		dst 10.3.0.1 dport 1024 >/dev/null || fail "node $((i + 1)) did not receive the calibration entry"
done
echo 0 >"$T/tracing_on"
p1=$(rdsptr "why=1 ")	# enum apsm_rds_cause: 1 INSERT (packet path)
p2=$(rdsptr "dport=$(printf %d $((((61001 & 255) << 8) | (61001 >> 8))))")
p3=$(rdsptr "dport=$(printf %d $((((61002 & 255) << 8) | (61002 >> 8))))")
[ -n "$p1" ] && [ -n "$p2" ] && [ -n "$p3" ] || { cat "$T/trace" >&2; fail "calibration: tables not found in the trace"; }
[ "$p1" != "$p2" ] && [ "$p2" != "$p3" ] && [ "$p1" != "$p3" ] || fail "calibration: tables not distinct"
log "tables: node 1 $p1, node 2 $p2, node 3 $p3"

# ------------------------------------------------------------- runs
{
	echo "convergence: kernel event on node 1 -> entry in nodes 2 and 3 (3 netns, one apsmd each, $(nproc) vCPU, ${APSM_VM_ACCEL:-tcg})"
	"$PY" "$AN" --header
} >"$work/table"
idx=0
for run in "${runs[@]}"; do
	rate=${run%%:*} secs=${run#*:}
	case "$rate:$secs" in *[!0-9:]*|:*|*:) fail "bad run '$run' (want RATE:SECS)" ;; esac
	idx=$((idx + 1))
	n=$((rate * secs))
	b1=$(count "$N1") b2=$(count "${NS[1]}") b3=$(count "${NS[2]}")
	before=$("$PY" "$AN" snap bfab0,bfab1,bfab2 "$work"/stats{0,1,2}.json)
	ip netns exec "$N1" "$PY" "$AN" udp-ping 10.0.0.2 7950 "$work/rtt$idx" &
	probe=$!
	echo >"$T/trace"
	echo 1 >"$T/tracing_on"
	log "run $idx: $n new flows offered at $rate/s"
	nsx "$C" "$GEN" --rate "$rate" --count "$n" --net "10.2.$idx" --src-port 40000 >"$work/gen$idx.json"
	# every entry node 1 created reaches nodes 2 and 3, or the wait ends
	caught_up() {
		local c1
		c1=$(count "$N1")
		[ "$(count "${NS[1]}")" -ge $((c1 - b1 + b2)) ] && [ "$(count "${NS[2]}")" -ge $((c1 - b1 + b3)) ]
	}
	wait_stable 10 count "$N1" || true
	wait_until 120 caught_up || log "run $idx: nodes 2/3 still behind after 120 s"
	echo 0 >"$T/tracing_on"
	kill "$probe"
	wait "$probe" || true
	after=$("$PY" "$AN" snap bfab0,bfab1,bfab2 "$work"/stats{0,1,2}.json)
	printf '{"before":%s,"after":%s,"rtt":"%s"}\n' "$before" "$after" \
		"$work/rtt$idx" >"$work/extra$idx.json"
	cat "$T/trace" >"$work/trace$idx"
	if grep -h "overrun" "$T"/per_cpu/cpu*/stats | grep -qv "overrun: 0"; then
		log "run $idx: the trace buffer overran: figures incomplete"
	fi
	"$PY" "$AN" "$work/trace$idx" "$work/gen$idx.json" "$p1" "$p2" "$p3" "${rate}/s" \
		--extra "$work/extra$idx.json" --json "$work/run$idx.json" >>"$work/table" ||
		fail "run $idx: no figures"
	log "run $idx: flowgen $(cat "$work/gen$idx.json")"
done
for i in 0 1 2; do
	log "apsmd node $((i + 1)): $(cat "$work/stats$i.json")"
done
log "kernel stats node 1: $("$CTL" -n "$N1" -j stats show)"
echo
cat "$work/table"
printf 'convergence-json: {"bench":"convergence","date":"%s","accel":"%s","cpus":%d,"loadavg":"%s","runs":[%s]}\n' \
	"$(date -u +%FT%TZ)" "${APSM_VM_ACCEL:-tcg}" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
	"$(cat "$work"/run[0-9]*.json | paste -sd,)"
# the replication counters that explain a slow run (absent ones print -)
for i in 0 1 2; do
	"$PY" - "$work/stats$i.json" $((i + 1)) <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
keys = ("sent", "received", "batches_sent", "enobufs", "resyncs", "peer_deaths",
        "ae_repair_sent", "ae_repair_received", "lag_ms_max")
print("apsmd node %s: " % sys.argv[2] + " ".join("%s %s" % (k, s.get(k, "-")) for k in keys))
EOF
done
