#!/bin/bash
# ctl-devgone: a device that APSM uses disappears from under it.
#   scripts/vm-run.sh tests/vm/ctl-devgone.sh
#
# What it proves, for an instance's port, once deleted (`ip link del`) and
# once moved to another netns (`ip link set dev X netns Y`):
#  - the instance stays, but goes `down` with no port (`dev` null, ifindex
#    0), and its nf port entry is gone from `port show`;
#  - its LB share is gone: down instances own no Maglev slot (lb.h): 32
#    new flows sent into an uplink, steered by a policy, all pick the other
#    instance (while both are up, both are picked); the service still
#    counts it (instances 2) with an unchanged table size;
#    the other instance of the service is untouched (up, its port kept);
#  - the flows pinned to it stay consistent: its `flows` counter equals the
#    RDS entries naming it;
#  - an `events` monitor sees `instance set` with state down;
#  - `instance set ... state up` without a new port is refused (EINVAL,
#    the extack says the device went away), a weight change is accepted and
#    leaves it down; the instance can be re-pointed to another device
#    (`instance set NAME dev DEV state up`) and comes back up there, or be
#    deleted;
#  - the moved device is not adopted by the other netns's node;
#  - an uplink port whose device goes away is removed (port del event);
#  - no kernel splat (vm-run checks dmesg) and rmmod works afterwards.
# Run time under TCG: about 40 s (printed at the end).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)
OTHER=${NS_PREFIX}0

unload_apsm
pp load_apsm
on_exit unload_apsm
modprobe veth 2>/dev/null || true
# No IPv6 on the test's links: neighbour discovery would tick packet counters.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

ctl() { pp "$CTL" "$@"; }
out() { "$CTL" "$@" || fail "apsmctl $* failed"; }
# jq_ok WHAT FILTER ARGS...: `apsmctl -j ARGS` satisfies the jq FILTER.
jq_ok() {
	local what=$1 filter=$2 j
	shift 2
	j=$(out -j "$@")
	jq -e "$filter" >/dev/null <<<"$j" || fail "$what: '$filter' is false for apsmctl -j $*: $j"
}
inst_is() { # NAME JQ-CONDITION-ON-THE-INSTANCE
	jq_ok "instance $1" ".[] | select(.name == \"$1\") | $2" instance show
}

pp ns_add "$OTHER"
for d in X Y Z W U; do
	ip link add "v${d}0" type veth peer name "v${d}1"
	ip link set "v${d}0" up
	ip link set "v${d}1" up
done
ifi() { cat "/sys/class/net/$1/ifindex"; }

ctl node set id 1
ctl service add fw
ctl instance add fw1 service fw id 11 dev vX0 weight 100 lladdr 02:00:00:00:01:01
ctl instance add fw2 service fw id 12 dev vY0 weight 100 lladdr 02:00:00:00:01:02
ctl port add dev vU0 role uplink
# new flows from 10.9.0.2 entering vU0 are steered through c1: the LB picks
ctl chain add c1 spi 20 services fw
ctl policy add prio 10 iif vU0 src 10.9.0.0/24 chain c1
printf 'flow install dir forward proto udp src 10.0.0.%d sport 1 dst 10.1.0.1 dport 2 spi 10 path %d origin 1 version 1\n' \
	1 11 2 11 3 12 >"$tmp/flows.apsm"
ctl -b "$tmp/flows.apsm"
inst_is fw1 '.state == "up" and .dev == "vX0" and .flows == 2'
lb0=$(out -j service show | jq '.[] | select(.name == "fw") | .lb_size')
[ "$lb0" -gt 0 ] || fail "service fw has no LB table with 2 instances up"

"$CTL" -j monitor events >"$tmp/mon" 2>"$tmp/mon.err" &
mon_pid=$!
stop_mon() { kill "$mon_pid" 2>/dev/null || true; }
on_exit stop_mon
probe() { "$CTL" service add probe && "$CTL" service del probe &&
	grep -q '"op":"del","service":{"name":"probe"' "$tmp/mon"; }
wait_until 20 probe || fail "monitor saw nothing: $(cat "$tmp/mon.err")"

# new_flows FIRST N: N new UDP flows 10.9.0.2:FIRST.. -> 10.8.0.1:9 sent into
# vU0 (from vU1, one frame each); prints the path_ids of the entries the
# LB made for them, one per line, once all N are there
new_flows() {
	python3 - "$1" "$2" "$(cat /sys/class/net/vU0/address)" "$(cat /sys/class/net/vU1/address)" <<'PYEOF'
import socket, struct, sys
first, n, dst, src = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vU1", 0))
for sport in range(first, first + n):
    udp = struct.pack("!HHHH", sport, 9, 8 + 4, 0) + b"ping"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton("10.9.0.2"), socket.inet_aton("10.8.0.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(mac(dst) + mac(src) + b"\x08\x00" + ip + udp)
PYEOF
	all() { [ "$(out -j flow show | jq "[.[] | select(.src == \"10.9.0.2\" and .sport >= $1 and .sport < $(($1 + $2)))] | length")" = "$2" ]; }
	wait_until 10 all "$@" || fail "new flows $1..: $(out -j flow show | jq -c "[.[] | select(.src == \"10.9.0.2\")]")"
	out -j flow show | jq -c ".[] | select(.src == \"10.9.0.2\" and .sport >= $1 and .sport < $(($1 + $2))) | .path_ids"
}
flow_base=40000
# both up: the same kind of flows go to both (so the check below can fail)
assert_eq "$(new_flows 30000 32 | sort -u | tr '\n' ' ')" "[11] [12] " "LB picks with both instances up"

# gone_checks NAME DEV: NAME lost its port DEV the way this test expects.
gone_checks() {
	local name=$1 dev=$2 id
	id=$(out -j instance show "$name" | jq '.[0].id')
	wait_until 10 grep -q "\"object\":\"instance\",\"op\":\"set\",\"instance\":{\"name\":\"$name\".*\"state\":\"down\"" "$tmp/mon" ||
		fail "no instance set event with $name down: $(cat "$tmp/mon")"
	inst_is "$name" '.state == "down" and .dev == null and .ifindex == 0'
	jq_ok "port $dev gone" "all(.[]; .dev != \"$dev\")" port show
	jq_ok "service fw still counts both instances, same table size" \
		".[] | select(.name == \"fw\") | .instances == 2 and .lb_size == $lb0" service show
	inst_is fw2 '.state == "up" and .dev == "vY0"'
	jq_ok "port vY0 kept" 'any(.[]; .dev == "vY0" and .role == "nf")' port show
	# Down, it owns no Maglev slot: 32 new flows all go to fw2 (id 12).
	assert_eq "$(new_flows "$flow_base" 32 | sort | uniq -c | tr -s ' ')" " 32 [12]" \
		"LB picks of 32 new flows with $name down"
	flow_base=$((flow_base + 100))
	# The pinned flows and the counter agree.
	local n
	n=$(out -j flow show | jq "[.[] | select(.path_ids | index($id))] | length")
	inst_is "$name" ".flows == $n"
	assert_match "$(out instance show "$name")" "^$name id $id service fw node 1 mode proxy weight 100 state down " \
		"text instance show after its device went away"
	# It cannot come up without a port.
	if "$CTL" instance set "$name" state up 2>"$tmp/err"; then
		fail "instance set $name state up succeeded without a port"
	fi
	assert_match "$(cat "$tmp/err")" "Invalid argument: the instance's device went away" \
		"instance set state up without a port"
	# What does not bring it up is still allowed, and it stays down.
	ctl instance set "$name" weight 5
	inst_is "$name" '.state == "down" and .weight == 5 and .dev == null'
}

# ---------------------------------------------------------- ip link del
log "delete fw1's device"
pp ip link del vX0
gone_checks fw1 vX0
log "re-point fw1 to vZ0"
ctl instance set fw1 dev vZ0 state up weight 100
inst_is fw1 ".state == \"up\" and .dev == \"vZ0\" and .ifindex == $(ifi vZ0)"
jq_ok "port vZ0 is fw1's" 'any(.[]; .dev == "vZ0" and .role == "nf")' port show
jq_ok "service fw after the re-point" '.[] | select(.name == "fw") | .instances == 2' service show
wait_until 10 grep -q '"op":"set","instance":{"name":"fw1".*"dev":"vZ0".*"state":"up"' "$tmp/mon" ||
	fail "no event for fw1 re-pointed to vZ0"

# ------------------------------------------------------- move to a netns
log "move fw1's device (vZ0) to another netns"
pp ip link set dev vZ0 netns "$OTHER"
gone_checks fw1 vZ0
[ "$(ip netns exec "$OTHER" cat /sys/class/net/vZ0/ifindex)" -gt 0 ] || fail "vZ0 not in $OTHER"
assert_eq "$(out -n "$OTHER" -j port show)" "[]" "ports of the other netns's node"
assert_eq "$(out -n "$OTHER" -j instance show)" "[]" "instances of the other netns's node"
log "move fw2's device (vY0) away too, then delete both instances"
pp ip link set dev vY0 netns "$OTHER"
wait_until 10 grep -q '"op":"set","instance":{"name":"fw2".*"state":"down"' "$tmp/mon" ||
	fail "no instance set event with fw2 down"
inst_is fw2 '.state == "down" and .dev == null'
jq_ok "service fw with both instances down" '.[] | select(.name == "fw") | .instances == 2' service show
ctl policy del prio 10
ctl chain del c1
ctl instance del fw1
ctl instance del fw2
jq_ok "no instance left" 'length == 0' instance show
jq_ok "no nf port left" 'all(.[]; .role != "nf")' port show
ctl service del fw

# ---------------------------------------------------------- uplink port
log "delete an uplink port's device"
u=$(ifi vU0)
pp ip link del vU0
# (By the time the monitor prints it, the name may be gone: dev null.)
wait_until 10 grep -qE "\"object\":\"port\",\"op\":\"del\",\"port\":\\{\"dev\":(null|\"vU0\"),\"ifindex\":$u," "$tmp/mon" ||
	fail "no port del event for vU0 (ifindex $u): $(grep '"port"' "$tmp/mon")"
jq_ok "no port left" 'length == 0' port show

stop_mon
pp unload_apsm
log "ctl-devgone: OK ($(((${EPOCHREALTIME/[!0-9]/} - t0) / 1000)) ms)"
