# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/lib-sim.sh: what the simulator host tests (tests/host/sim-*.sh)
# share. apsmd-sim processes (apsmd on the in-memory kernel stand-in of
# userspace-ctl/apsmd/sim/: no module, no VM) in one network namespace on
# 127.0.0.1-N, every node a peer of every other. Source it after
# tests/lib.sh:
#
#   sim_setup NAME N [need-ns]  work dir, namespace (without root and
#                     without need-ns: the host's loopback, a port from
#                     the PID), key; sets work, ns, run, port, N
#   sim_conf EXTRA    node configs n1..nN.conf; EXTRA: printf text added
#                     to every [Node] (e.g. 'DirectPushMax = 3\n')
#   sim_start NODE [VAR=VALUE...]   start one node (environment added),
#                     pid[NODE]; its state, ctl FIFO, log, stats in $work
#   sim_start_all [VAR=VALUE...]; sim_wait_ready: every node up and Ready
#   sim_all ENTRIES [ORIGIN COUNT]: every node holds ENTRIES (COUNT of
#                     ORIGIN), generator done, one digest (exit status)
#   sim_one NODE ENTRIES, sim_stat NODE COUNTER, sim_sum COUNTER, sim_show
#
# APSMD_SIM_BIN overrides the binary (e.g. an older build, to show that a
# test fails without a fix).

SIM=${APSMD_SIM_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/userspace-ctl/apsmd/apsmd-sim}
PY=/usr/bin/python3
declare -A pid	# node -> PID, for the tests (kill a node)

sim_setup() {	# NAME N [need-ns]
	[ -x "$SIM" ] || fail "$SIM missing: run 'make -C userspace-ctl'"
	N=$2
	work=$(mktemp -d "/tmp/apsm-sim-$1.XXXXXX")
	on_exit rm -rf "$work"
	ns="apsm-sim$1$$"
	run=()
	port=7946
	if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null; then
		_lib_ns+=("$ns")
		ip -n "$ns" link set lo up
		run=(ip netns exec "$ns")
		log "namespace $ns, nodes on 127.0.0.1-$N:$port"
	elif [ "${3:-}" = need-ns ]; then
		fail "needs root and network namespaces"
	else
		port=$((20000 + $$ % 20000))
		log "no namespace (not root?): nodes on the host's 127.0.0.1-$N:$port"
	fi
	"$SIM" genkey >"$work/key"
	on_exit bg_stop
}

sim_conf() {	# EXTRA
	local i j
	for i in $(seq 1 "$N"); do
		{
			printf '[Node]\nId = %d\nListen = 127.0.0.%d:%d\nKeyFile = %s\nFabricDevice = lo\nStatsFile = %s\nInventory = no\n' \
				"$i" "$i" "$port" "$work/key" "$work/stats$i.json"
			# shellcheck disable=SC2059
			printf "${1:-}"
			for j in $(seq 1 "$N"); do
				[ "$i" = "$j" ] && continue
				printf '[Peer]\nId = %d\nEndpoint = 127.0.0.%d:%d\nLinkAddress = 02:00:00:00:00:%02x\n' \
					"$j" "$j" "$port" "$j"
			done
		} >"$work/n$i.conf"
	done
}

sim_start() {	# NODE [VAR=VALUE...]
	local i=$1
	shift
	env APSMD_SIM_STATE="$work/state$i.json" APSMD_SIM_CTL="$work/ctl$i" "$@" \
		"${run[@]}" "$SIM" -c "$work/n$i.conf" --foreground 2>>"$work/log$i" &
	bg_pids+=($!)
	# shellcheck disable=SC2034  # read by the tests
	pid[$i]=$!
}

# shellcheck disable=SC2120  # the arguments are optional
sim_start_all() {	# [VAR=VALUE...]
	local i
	for i in $(seq 1 "$N"); do
		sim_start "$i" "$@"
	done
}

sim_wait_ready() {
	local i
	for i in $(seq 1 "$N"); do
		wait_until 20 test -p "$work/ctl$i" ||
			fail "node $i did not start: $(cat "$work/log$i")"
	done
	for i in $(seq 1 "$N"); do
		wait_until 30 grep -q '"Ready":1' "$work/stats$i.json" ||
			fail "node $i not ready: $(cat "$work/stats$i.json" 2>/dev/null)"
	done
}

sim_all() {	# ENTRIES [ORIGIN COUNT]
	"$PY" - "$work" "$N" "$@" <<'EOF'
import json, sys
d, n, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
origin = int(sys.argv[4]) if len(sys.argv) > 4 else None
cnt = int(sys.argv[5]) if len(sys.argv) > 5 else None
digests = set()
for i in range(1, n + 1):
    try:
        s = json.load(open("%s/state%d.json" % (d, i)))
    except (OSError, ValueError):
        sys.exit(1)
    if not s["gen_done"] or s["entries"] != want:
        sys.exit(1)
    if origin is not None:
        by = {o["origin"]: o["count"] for o in s["origins"]}
        if by.get(origin) != cnt:
            sys.exit(1)
    digests.add(s["digest"])
sys.exit(0 if len(digests) == 1 else 1)
EOF
}

sim_one() {	# NODE ENTRIES
	"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); sys.exit(0 if s["gen_done"] and s["entries"] == int(sys.argv[2]) else 1)' \
		"$work/state$1.json" "$2"
}

sim_stat() {	# NODE COUNTER
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "none"))' \
		"$work/stats$1.json" "$2"
}

sim_sum() {	# COUNTER: over every node
	local i s=0 v
	for i in $(seq 1 "$N"); do
		v=$(sim_stat "$i" "$1")
		case $v in '' | *[!0-9]*) v=0 ;; esac
		s=$((s + v))
	done
	echo "$s"
}

sim_show() {
	local i
	for i in $(seq 1 "$N"); do
		"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
try:
    t = json.load(open(sys.argv[2]))
except (OSError, ValueError):
    t = {}
print("node %d: %d entries, digest %s, origins %s, installs %d, dropped %d, behind %d; log_gone %s merkle_rounds %s merkle_diff_leaves %s gap_entries_repaired %s" % (s["node"], s["entries"], s["digest"], [(o["origin"], o["count"]) for o in s["origins"]], s["installs"], s["dropped"], s["behind"], t.get("log_gone"), t.get("merkle_rounds"), t.get("merkle_diff_leaves"), t.get("gap_entries_repaired")))' \
			"$work/state$i.json" "$work/stats$i.json" >&2 || true
	done
}
