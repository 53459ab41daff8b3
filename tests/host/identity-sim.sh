#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# identity-sim: replication with per-node keys (Documentation/security.md)
# on the simulator: tests/host/sim-smoke.sh's three apsmd-sim nodes, each
# with its own X25519 key (apsmd genkey, mode 0600) and its peers'
# public keys (apsmd pubkey), so every datagram is sealed per peer
# (XChaCha20-Poly1305) and the authorisation rules apply.
#
# Proves: (1) the three tables converge (3000 entries, one digest); (2) a
# node's delete of its own flow and (3) a node's delete of another node's
# flow (an operator's delete, the one foreign write allowed) reach every
# node; (4) node 1's key is rotated in the 5 steps of security.md (each a
# SIGHUP) while it keeps deleting flows: every delete reaches every node;
# nothing failed authentication and no genuine update was refused
# (auth_fail, auth_origin_refused, version_ahead, inst_foreign all 0);
# (5) node 1 restarted: its peers take new epochs and are heard again,
# and (as root, in a namespace) a datagram captured before the restart
# is refused after it (replay); (6) node 3 an hour ahead
# (APSMD_TEST_VERSION_OFFSET_MS): its write is refused (version_ahead)
# and applied nowhere.
#
#   tests/host/identity-sim.sh
#
# SIM_SMOKE_WAIT (s, default 60) bounds each wait.
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
ROOT=$(cd "$here/../.." && pwd -P)
SIM=$ROOT/userspace-ctl/apsmd/apsmd-sim
PY=/usr/bin/python3
FLOWS=1000
WAIT=${SIM_SMOKE_WAIT:-60}
[ -x "$SIM" ] || fail "$SIM missing: run 'make -C userspace-ctl'"

work=$(mktemp -d /tmp/apsm-sim-id.XXXXXX)
on_exit rm -rf "$work"
ns="apsm-simid$$"
run=()
port=7946
if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null; then
	_lib_ns+=("$ns")
	ip -n "$ns" link set lo up
	run=(ip netns exec "$ns")
	log "namespace $ns, nodes on 127.0.0.1-3:$port"
else
	port=$((20000 + $$ % 20000))
	log "no namespace (not root?): nodes on the host's 127.0.0.1-3:$port"
fi

for i in 1 2 3; do
	(umask 077 && "$SIM" genkey >"$work/key$i")
	"$SIM" pubkey <"$work/key$i" >"$work/pub$i"
done
for i in 1 2 3; do
	{
		printf '[Node]\nId = %d\nListen = 127.0.0.%d:%d\nKeyFile = %s\nFabricDevice = lo\nStatsFile = %s\nInventory = no\nStateFile = %s\n' \
			$i $i $port "$work/key$i" "$work/stats$i.json" "$work/state$i"
		for j in 1 2 3; do
			[ $i = $j ] && continue
			printf '[Peer]\nId = %d\nEndpoint = 127.0.0.%d:%d\nLinkAddress = 02:00:00:00:00:%02x\nPublicKey = %s\n' \
				$j $j $port $j "$(cat "$work/pub$j")"
		done
	} >"$work/n$i.conf"
done
on_exit bg_stop
for i in 1 2 3; do
	APSMD_SIM_STATE=$work/state$i.json APSMD_SIM_CTL=$work/ctl$i \
		APSMD_SIM_BREAK=${SIM_SMOKE_BREAK:-} \
		"${run[@]}" "$SIM" -c "$work/n$i.conf" --foreground 2>"$work/log$i" &
	bg_pids+=($!)
done
for i in 1 2 3; do
	wait_until 10 test -p "$work/ctl$i" ||
		fail "node $i did not start: $(cat "$work/log$i")"
done

# all ENTRIES [ORIGIN COUNT]: every node's state file says ENTRIES entries
# (ORIGIN: COUNT of them from that origin), the generator is done and the
# three digests are equal
all() {
	"$PY" - "$work" "$@" <<'EOF'
import json, sys
d, want = sys.argv[1], int(sys.argv[2])
origin = int(sys.argv[3]) if len(sys.argv) > 3 else None
cnt = int(sys.argv[4]) if len(sys.argv) > 4 else None
digests = set()
for i in (1, 2, 3):
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
show() {
	local i
	for i in 1 2 3; do
		"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))
print("node %d: %d entries, digest %s, origins %s, installs %d, dropped %d" % (s["node"], s["entries"], s["digest"], [(o["origin"], o["count"]) for o in s["origins"]], s["installs"], s["dropped"]))' \
			"$work/state$i.json" >&2 || true
	done
}

for i in 1 2 3; do
	echo "gen 2000 $FLOWS" >"$work/ctl$i"
done
log "3 x $FLOWS flows created, waiting for identical tables"
wait_until $WAIT all $((3 * FLOWS)) ||
	{ show; fail "the three tables did not converge to $((3 * FLOWS)) entries with one digest within $WAIT s"; }
show
log "converged: $((3 * FLOWS)) entries on every node, one digest"

echo "del 2 7" >"$work/ctl2"
wait_until $WAIT all $((3 * FLOWS - 1)) 2 $((FLOWS - 1)) ||
	{ show; fail "node 2's delete of its flow 7 did not reach every node within $WAIT s"; }
show
log "node 2's delete reached every node: $((3 * FLOWS - 1)) entries, one digest"

# (3) a delete on a node that is not the entry's origin reaches every node
echo "del 1 9" >"$work/ctl3"
wait_until $WAIT all $((3 * FLOWS - 2)) 1 $((FLOWS - 1)) ||
	{ show; fail "node 3's delete of node 1's flow 9 did not reach every node within $WAIT s"; }
show
log "node 3's delete of node 1's flow reached every node: $((3 * FLOWS - 2)) entries, one digest"
# (4) rotation of node 1's key, step by step as Documentation/security.md
# says, each step a SIGHUP: nothing fails authentication and deletes keep
# reaching every node at every step
pids=("${bg_pids[@]}")
reloads() { grep -c "reloaded:" "$work/log$1" || true; }
reloads_gt() { [ "$(reloads "$1")" -gt "$2" ]; }
hup() { # NODE...: SIGHUP them, wait until each has reloaded
	local i n
	for i in "$@"; do
		n=$(reloads "$i")
		kill -HUP "${pids[i - 1]}"
		wait_until 10 reloads_gt "$i" "$n" ||
			fail "node $i did not reload: $(tail -3 "$work/log$i"; kill -0 "${pids[i - 1]}" && echo "(pid ${pids[i - 1]} alive)")"
	done
}
left=$((3 * FLOWS - 2)) mine=$((FLOWS - 1)) k=100 hb=()
ctr() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/stats$1.json" "$2"; }
ctr_ge() { [ "$(ctr "$1" "$2")" -ge "$3" ]; } # NODE COUNTER N
heard() { # NODE N: NODE received N heartbeats more than hb[NODE]
	[ "$(ctr "$1" heartbeats_received)" -ge $((hb[$1] + $2)) ]
}
step() { # MSG: node 1 deletes one of its flows; every node must see it,
	# and hear 2 heartbeats from each peer, with no authentication failure
	local i
	for i in 1 2 3; do hb[i]=$(ctr "$i" heartbeats_received); done
	for i in 1 2 3; do
		wait_until 10 heard "$i" 4 ||
			fail "rotation, $1: node $i does not hear its peers: $(cat "$work/stats$i.json")"
		[ "$(ctr "$i" auth_fail)" = 0 ] ||
			fail "rotation, $1: node $i: auth_fail $(ctr "$i" auth_fail)"
	done
	k=$((k + 1)) left=$((left - 1)) mine=$((mine - 1))
	echo "del 1 $k" >"$work/ctl1"
	wait_until "$WAIT" all "$left" 1 "$mine" ||
		{ show; tail -5 "$work"/log*; fail "rotation, $1: node 1's delete did not reach every node"; }
	log "rotation, $1: replication goes on"
}
(umask 077 && "$SIM" genkey >"$work/key1.new")
"$SIM" pubkey <"$work/key1.new" >"$work/pub1.new"
for i in 2 3; do # step 2: the peers list the new key second
	sed -i "/^PublicKey = $(sed 's/[\/&]/\\&/g' "$work/pub1")\$/a PublicKey = $(cat "$work/pub1.new")" "$work/n$i.conf"
	[ "$(grep -c '^PublicKey' "$work/n$i.conf")" = 3 ] || fail "step 2: node $i's config: $(cat "$work/n$i.conf")"
done
hup 2 3
step "peers list both keys"
sed -i "s|^KeyFile = .*|KeyFile = $work/key1.new\nPreviousKeyFile = $work/key1|" "$work/n1.conf"
hup 1
step "node 1 on its new key, the old one as previous"
for i in 2 3; do
	grep -v "^PublicKey = $(cat "$work/pub1")\$" "$work/n$i.conf" >"$work/n$i.conf.tmp"
	mv "$work/n$i.conf.tmp" "$work/n$i.conf"
done
hup 2 3
step "peers list only the new key"
sed -i '/^PreviousKeyFile/d' "$work/n1.conf"
hup 1
step "node 1 without its previous key"
for i in 1 2 3; do
	grep -q '"auth_fail":0,' "$work/stats$i.json" ||
		fail "node $i: datagrams failed authentication: $(cat "$work/stats$i.json")"
	for c in auth_origin_refused version_ahead inst_foreign; do
		grep -q "\"$c\":0," "$work/stats$i.json" ||
			fail "node $i: genuine updates refused ($c): $(cat "$work/stats$i.json")"
	done
done

# (5) restart of node 1 (its replay state persisted): it refuses what its
# peers send under the epochs it saw before (a capture would be one of
# them), they take new epochs and it hears them again; with a namespace
# (root), a datagram 2 -> 1 captured before the restart and sent again
# after it is refused and counted
restart() { # NODE [VAR=VALUE...]
	local i=$1
	shift
	kill "${pids[i - 1]}"
	wait "${pids[i - 1]}" 2>/dev/null || true
	rm -f "$work/stats$i.json"
	env "$@" APSMD_SIM_STATE="$work/state$i.json" APSMD_SIM_CTL="$work/ctl$i" \
		"${run[@]}" "$SIM" -c "$work/n$i.conf" --foreground 2>"$work/log$i" &
	pids[i - 1]=$!
	bg_pids+=($!)
	wait_until 10 test -s "$work/stats$i.json" || fail "node $i did not restart: $(cat "$work/log$i")"
}
if [ ${#run[@]} -gt 0 ]; then
	"${run[@]}" "$PY" - "$work/cap" "$port" <<'PYEOF' &
import os, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind(("lo", 0))
s.settimeout(10)
while True:
    p = s.recv(4096)
    ihl = (p[0] & 15) * 4
    if p[9] == 17 and p[12:16] == bytes([127, 0, 0, 2]) and p[16:20] == bytes([127, 0, 0, 1]) and \
            struct.unpack("!H", p[ihl + 2:ihl + 4])[0] == int(sys.argv[2]):
        open(sys.argv[1] + ".tmp", "wb").write(p[ihl + 8:])
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        break
PYEOF
	wait $! || fail "no datagram 2 -> 1 captured"
fi
restart 1
for i in 2 3; do
	wait_until 10 grep -q "peer $i is alive" "$work/log1" ||
		{ tail -5 "$work"/log*; fail "restarted node 1 does not hear node $i again"; }
	wait_until 5 ctr_ge "$i" epoch_bumps 1 || fail "node $i took no new epoch"
done
log "node 1 restarted: its peers took new epochs (epoch_bumps), it hears them again"
if [ -e "$work/cap" ]; then
	rp=$(ctr 1 replay)
	"${run[@]}" "$PY" -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(open(sys.argv[1], "rb").read(), ("127.0.0.1", int(sys.argv[2])))' "$work/cap" "$port"
	wait_until 5 ctr_ge 1 replay $((rp + 1)) || fail "the capture replayed after the restart was not counted: $(ls -la "$work/cap"; cat "$work/stats1.json")"
	log "a capture replayed after node 1's restart refused: replay $(ctr 1 replay)"
fi

# (6) node 3 as if its clock were an hour ahead (test-only knob): its
# delete of one of its flows (a write an hour ahead) is refused by nodes 1
# and 2 (version_ahead), their tables keep all of node 3's flows
restart 3 APSMD_TEST_VERSION_OFFSET_MS=3600000
wait_until 10 grep -q "peer 1 is alive" "$work/log3" || fail "node 3 does not hear node 1 again"
echo "del 3 500" >"$work/ctl3"
for i in 1 2; do
	wait_until "$WAIT" ctr_ge "$i" version_ahead 1 ||
		{ show; fail "node $i did not refuse node 3's versions an hour ahead: $(cat "$work/stats$i.json")"; }
done
"$PY" - "$work" $FLOWS <<'PYEOF' || { show; fail "a write an hour ahead was applied"; }
import json, sys
for i in (1, 2):
    s = json.load(open("%s/state%d.json" % (sys.argv[1], i)))
    by = {o["origin"]: o["count"] for o in s["origins"]}
    sys.exit(0 if by.get(3) == int(sys.argv[2]) else 1)
PYEOF
log "a version an hour ahead refused: version_ahead $(ctr 1 version_ahead), $(ctr 2 version_ahead)"
echo "PASS"
