#!/bin/bash
# datapath: packets per second through a one-hop chain against the same
# veth path with the module not steering, side by side in one VM.
#
#   make bench                                          (all benchmarks)
#   scripts/vm-run.sh --timeout 1200 bench/datapath.sh [SECS [ROUNDS]]
#
# Topology (tests/lib-dp.sh): client C -- up0 [node N] up1 -- server S.
# On N: ports up0 and up1 (uplinks), service fw, instance fw1 on tap tfw1
# served by tests/tools/nsh-nf (userspace, the NF of the tests), chain c1.
# bench/flowgen in C sends 64 UDP flows of 16-byte datagrams as fast as it
# can for SECS seconds (default 3) to 10.2.9.1, which N routes to S; S
# drops them (not its address, no forwarding) after counting them on its
# NIC. Modes, alternated ROUNDS times (default 3):
#   base   no policy, RDS flushed: the module sees every packet on its ports
#          but steers none (plain IP forwarding through N);
#   chain  policy prio 10 (src 10.1.0.0/24 -> c1): every packet goes
#          N -> NSH -> tap -> nsh-nf -> tap -> N -> S.
# Printed per run: what flowgen sent per second, what reached S per second,
# and what fw1 handled (instance tx packets) as a check of the mode; then
# the chain/base ratio of delivered packets per second (medians).
# shellcheck source-path=SCRIPTDIR source=../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
# shellcheck source=../tests/lib-dp.sh
. "$(dirname "$0")/../tests/lib-dp.sh"
require_vm

SECS=${1:-3}
ROUNDS=${2:-3}
GEN=$APSM_ROOT/bench/flowgen
[ -x "$GEN" ] || fail "$GEN missing: run 'make -C bench'"
dp_1node_setup

n0 sysctl -qw net.ipv4.ip_forward=1
n0 ip route add 10.2.9.0/24 via 10.2.0.2
n0 ip tuntap add dev tfw1 mode tap
ctl() { "$CTL" -n "$N" "$@"; }
ctl port add dev up0 role uplink
ctl port add dev up1 role uplink
ctl service add fw stateful
ctl instance add fw1 service fw id 101 dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl chain add c1 spi 10 services fw
on_exit bg_stop
n0 "$NF" --mac 02:4e:46:00:00:11 --up --stats "$work/nf.json" tfw1 2>"$work/nf.log" &
bg_pids+=($!)
wait_until 10 test -s "$work/nf.json" || fail "nsh-nf did not start: $(cat "$work/nf.log")"
# warm-up: neighbours on every hop, both modes work at all
for mode in base chain; do
	[ "$mode" = chain ] && ctl policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
	n1 "$GEN" --rate 100 --count 20 --flows 4 --net 10.2.9 >/dev/null
done
ctl policy del prio 10

rx_s() { n2 cat /sys/class/net/eth0/statistics/rx_packets; }
inst_tx() { ctl -j instance show fw1 | sed -nE 's/.*"tx_packets":([0-9]+).*/\1/p'; }
printf '%-6s %10s %12s %12s %10s\n' mode "sent/s" "delivered/s" "fw1 pkts" "delivered%" >"$work/table"
base=() chain=()
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in base chain; do
		ctl flow flush
		if [ "$mode" = chain ]; then
			ctl policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
		fi
		wait_stable 10 rx_s >/dev/null || true
		r0=$(rx_s) i0=$(inst_tx) t0=$(_lib_now_us)
		g=$(n1 "$GEN" --rate 10000000 --count 15000000 --flows 64 --seconds "$SECS" \
			--dport-base $((2000 + r * 100)) --net 10.2.9)
		# delivered: what reached S by the time its counter settles
		wait_stable 10 rx_s >/dev/null || true
		r1=$(rx_s) i1=$(inst_tx)
		[ "$mode" = chain ] && ctl policy del prio 10
		sent=$(sed -nE 's/.*"sent":([0-9]+).*/\1/p' <<<"$g")
		ps=$(sed -nE 's/.*"achieved_per_s":([0-9]+).*/\1/p' <<<"$g")
		first=$(sed -nE 's/.*"first_ns":([0-9]+).*/\1/p' <<<"$g")
		last=$(sed -nE 's/.*"last_ns":([0-9]+).*/\1/p' <<<"$g")
		dt_us=$(((last - first) / 1000))
		[ "$dt_us" -gt 0 ] || dt_us=$(($(_lib_now_us) - t0))
		dlv=$(((r1 - r0) * 1000000 / dt_us))
		fw=$((i1 - i0))
		if [ "$mode" = chain ]; then
			[ "$fw" -ge $((sent / 2)) ] || log "chain run: fw1 saw only $fw of $sent packets"
			chain+=("$dlv")
		else
			[ "$fw" = 0 ] || fail "base run: fw1 saw $fw packets (the module steered)"
			base+=("$dlv")
		fi
		printf '%-6s %10d %12d %12d %9d%%\n' "$mode" "$ps" "$dlv" "$fw" \
			$(((r1 - r0) * 100 / (sent > 0 ? sent : 1))) >>"$work/table"
	done
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mb=$(med "${base[@]}") mc=$(med "${chain[@]}")
echo
echo "datapath: 1-hop chain (nsh-nf on a tap) vs. plain forwarding, same veth path, $(nproc) vCPU, ${APSM_VM_ACCEL:-tcg}"
cat "$work/table"
awk -v b="$mb" -v c="$mc" 'BEGIN { printf "median delivered/s: base %d, chain %d, chain/base %.2f\n", b, c, b ? c / b : 0 }'
