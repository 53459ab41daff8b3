#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sim: apsmd's replication at cluster sizes this machine cannot boot as
# VMs. N apsmd-sim processes (apsmd on the in-memory kernel stand-in of
# userspace-ctl/apsmd/sim/: no module, no VM, no netlink), each in its own
# network namespace with a veth on one bridge (the fabric), one cluster
# key, every node a peer of every other. Each node creates flows at a rate
# (its own keys, origin = its id), a share of them is deleted again; then
# the script waits (bounded) until every table has the same digest and
# reports, per cluster size: updates, datagrams and bytes per update on
# the fabric, arrival lag p50/p99/max, settle time, coverage and false
# peer deaths (bench/README.md, "sim.sh").
#
#   make -C userspace-ctl && bench/sim.sh [-n "3 8 32 128"] [-r RATE]
#       [-s SECS] [-d DEL_PCT] [-w WAIT] [-o OUT.json] [-l]
#
#   -n SIZES   cluster sizes (default "3 8 32 128")
#   -r RATE    new flows per second, the whole cluster (default 1000;
#              each node makes RATE/N)
#   -s SECS    seconds of load (default 10)
#   -d PCT     share of the flows deleted by their origin 2 s after
#              creation (default 10)
#   -w WAIT    seconds to wait for convergence after the load (default 60)
#   -o FILE    JSON result (default bench/results/sim-DATE.json)
#   -k         keep the work directory (configs, logs, state and stats
#              files of every node) and say where
#   -l         loopback: no namespaces, node i on 127.77.0.i (also the
#              fallback when namespaces cannot be made); the wire counters
#              are then those of lo (everything on the host's loopback)
#
# Runs on the host as root (ip netns, veth, bridge). Not part of `make
# check` or `make bench` (which run in the VM): figures, not pass/fail.
# shellcheck source-path=SCRIPTDIR source=../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"

R=$(cd "$(dirname "$0")/.." && pwd -P)
SIM=$R/userspace-ctl/apsmd/apsmd-sim
AN=$R/bench/sim.py
PY=/usr/bin/python3
sizes="3 8 32 128"
rate=1000 secs=10 del=10 wait_s=60 out="" mode=netns keep=0
while getopts n:r:s:d:w:o:klh opt; do
	case $opt in
	n) sizes=$OPTARG ;;
	r) rate=$OPTARG ;;
	s) secs=$OPTARG ;;
	d) del=$OPTARG ;;
	w) wait_s=$OPTARG ;;
	o) out=$OPTARG ;;
	k) keep=1 ;;
	l) mode=loopback ;;
	*) sed -n '2,/^# Runs on/p' "$0" >&2; exit 2 ;;
	esac
done
for v in "$rate" "$secs" "$del" "$wait_s"; do
	case $v in '' | *[!0-9]*) fail "bad number '$v'" ;; esac
done
[ -x "$SIM" ] || fail "$SIM missing: run 'make -C userspace-ctl'"
[ -n "$out" ] || out=$R/bench/results/sim-$(date -u +%Y%m%dT%H%M%SZ).json
mkdir -p "$(dirname "$out")"
top=$(mktemp -d /tmp/apsm-sim.XXXXXX)
if [ "$keep" = 1 ]; then
	echo "work directory (kept): $top"
else
	on_exit rm -rf "$top"
fi
tag=$(($$ % 100000))
port=7946
if [ "$mode" = netns ] && ! { ip netns add "apsmsim$tag-probe" 2>/dev/null &&
	ip netns del "apsmsim$tag-probe"; }; then
	mode=loopback
	log "cannot create network namespaces here: falling back to 127.77.0.x on the host's loopback"
fi
if [ "$mode" = loopback ]; then
	port=$((20000 + $$ % 20000))
	echo "mode: loopback (127.77.0.x, port $port): the wire counters are the host's lo, other traffic included"
else
	echo "mode: netns (one namespace per node, veths on bridge asbr$tag)"
fi

# The ARP table limits (gc_thresh*) are host-wide, not per namespace: N
# nodes need N * (N - 1) entries (16256 at 128), past the default 1024 the
# kernel logs "neighbor table overflow" and peers are never heard. Raised
# for the run, restored at exit.
neigh_raise() { # N
	local k want=$(($1 * $1 + 1024)) cur
	for k in 1 2 3; do
		cur=$(sysctl -n net.ipv4.neigh.default.gc_thresh$k)
		[ "$cur" -ge "$want" ] && continue
		on_exit sysctl -qw "net.ipv4.neigh.default.gc_thresh$k=$cur"
		sysctl -qw "net.ipv4.neigh.default.gc_thresh$k=$want"
	done
}

addr() { # node i's fabric address
	if [ "$mode" = netns ]; then
		echo "10.77.$(($1 >> 8)).$(($1 & 255))"
	else
		echo "127.77.$(($1 >> 8)).$(($1 & 255))"
	fi
}

teardown() {
	local i
	bg_stop || true
	bg_pids=()
	if [ "$mode" = netns ]; then
		for i in $(seq 1 "$1"); do
			ip netns del "apsmsim$tag-$i" 2>/dev/null || true
		done
		ip link del "asbr$tag" 2>/dev/null || true
	fi
}

# run_size N: one cluster; its JSON row in $top/n$N/row.json
run_size() {
	local n=$1 w=$top/n$1 i j ifaces=() t0 wait_ms idle before after
	local per_rate per_count
	mkdir -p "$w"
	on_exit teardown "$n"
	"$SIM" genkey >"$w/key"
	if [ "$mode" = netns ]; then
		neigh_raise "$n"
		ip link add "asbr$tag" type bridge || fail "cannot add a bridge"
		ip link set "asbr$tag" up
		for i in $(seq 1 "$n"); do
			ip netns add "apsmsim$tag-$i"
			ip -n "apsmsim$tag-$i" link set lo up
			ip link add "as${tag}x$i" type veth peer name fab0 netns "apsmsim$tag-$i"
			ip link set "as${tag}x$i" master "asbr$tag" up
			ip -n "apsmsim$tag-$i" addr add "$(addr "$i")/16" dev fab0
			ip -n "apsmsim$tag-$i" link set fab0 up
			ifaces+=("as${tag}x$i")
		done
	else
		ifaces=(lo)
	fi
	for i in $(seq 1 "$n"); do
		{
			printf '[Node]\nId = %d\nListen = %s:%d\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s\nInventory = no\n' \
				"$i" "$(addr "$i")" "$port" "$w/key" "$w/stats$i.json"
			for j in $(seq 1 "$n"); do
				[ "$i" = "$j" ] && continue
				printf '[Peer]\nId = %d\nEndpoint = %s:%d\nLinkAddress = 02:00:00:00:%02x:%02x\n' \
					"$j" "$(addr "$j")" "$port" $((j >> 8)) $((j & 255))
			done
		} >"$w/n$i.conf"
	done
	for i in $(seq 1 "$n"); do
		local run=()
		[ "$mode" = netns ] && run=(ip netns exec "apsmsim$tag-$i")
		APSMD_SIM_STATE=$w/state$i.json APSMD_SIM_CTL=$w/ctl$i \
			APSMD_SIM_DEL_PCT=$del APSMD_SIM_DEL_AFTER=2000 \
			"${run[@]}" "$SIM" -c "$w/n$i.conf" --foreground 2>"$w/log$i" &
		bg_pids+=($!)
	done
	log "$n nodes: started, waiting until all are ready"
	# not all ready (e.g. heartbeats starved at 128 nodes): measured anyway,
	# the row says how many were
	"$PY" "$AN" ready "$w" "$n" $((30 + n / 2)) ||
		log "$n nodes: not all Ready with $((n - 1)) live peers: measuring anyway"
	idle=$("$PY" "$AN" idle 3 "${ifaces[@]}")
	before=$("$PY" "$AN" counters "$w" "$n" "${ifaces[@]}")
	per_rate=$(awk -v r="$rate" -v n="$n" 'BEGIN { printf "%.3f", r / n }')
	per_count=$(awk -v r="$rate" -v s="$secs" -v n="$n" 'BEGIN { printf "%d", r * s / n + 0.5 }')
	log "$n nodes: load: $per_count flows each at $per_rate/s, $del% deleted after 2 s"
	for i in $(seq 1 "$n"); do
		echo "gen $per_rate $per_count" >"$w/ctl$i"
	done
	sleep "$secs"
	t0=$(date +%s%3N)
	if "$PY" "$AN" wait "$w" "$n" "$wait_s"; then
		wait_ms=$(($(date +%s%3N) - t0))
	else
		wait_ms=-1
		log "$n nodes: not converged $wait_s s after the load"
	fi
	after=$("$PY" "$AN" counters "$w" "$n" "${ifaces[@]}")
	"$PY" "$AN" row "$w" "$n" "$mode" "$idle" "$before" "$after" "$wait_ms" >"$w/row.json"
	teardown "$n"
}

rows=()
for n in $sizes; do
	case $n in '' | *[!0-9]* | 0 | 1) fail "bad cluster size '$n'" ;; esac
	run_size "$n"
	rows+=("$(cat "$top/n$n/row.json")")
	log "host load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
{
	printf '{"bench":"sim","date":"%s","mode":"%s","cpus":%d,"loadavg":"%s",' \
		"$(date -u +%FT%TZ)" "$mode" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '"rate":%d,"secs":%d,"del_pct":%d,"wait_s":%d,"runs":[' \
		"$rate" "$secs" "$del" "$wait_s"
	sep=""
	for r in "${rows[@]}"; do printf '%s%s' "$sep" "$r"; sep=","; done
	printf ']}\n'
} >"$out"
echo
echo "sim: $rate new flows/s for $secs s over the cluster, $del% deleted 2 s later ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$PY" "$AN" header
for r in "${rows[@]}"; do "$PY" "$AN" line "$r"; done
echo "JSON: $out"
