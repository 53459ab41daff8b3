# shellcheck shell=bash
# The one-node data-path topology shared by the dp-* VM tests (source it
# after tests/lib.sh, then call dp_1node_setup):
#
#   client ns C (10.1.0.2) --veth-- [up0  node ns N  up1] --veth-- server ns S (10.2.0.2)
#                                   10.1.0.1         10.2.0.1
#
# Sets CTL, NF, PY, work, N, C, S; loads the module (unloaded at exit;
# background processes in bg_pids are stopped before that: bg_stop).
#
# Then, for the tests on this topology:
#   dp_node [--up] TAP...     taps in N (--up: set up, for taps with no
#                             nsh-nf), IPv4 forwarding on, ctl(), node id 1,
#                             up0 and up1 uplink ports
#   ctl ARGS...               pp apsmctl -n N ARGS
#   dp_nf TAP MAC [OPTS...]   tests/tools/nsh-nf on TAP (--up, stats
#                             $work/TAP.json, log $work/TAP.log), waits for
#                             its stats; pid in DP_NF_PID[TAP] and bg_pids
#   dp_capture NS DEV NAME    tcpdump -w $work/NAME.pcap on DEV, waits until
#                             it listens; pid in DP_BG_PID and bg_pids
#   dp_stat KEY / dp_nodeval KEY / dp_inst NAME FIELD
#                             a node counter / node setting / instance field
#   want_eq SECS EXPECTED CMD...  wait until CMD prints EXPECTED, else fail

dp_1node_setup() {
	CTL=$APSM_CTL
	NF=$APSM_ROOT/tests/tools/nsh-nf
	PY=/usr/bin/python3
	[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
	[ -x "$NF" ] || fail "$NF missing: run 'make userspace'"
	work=$(mktemp -d)
	N=${NS_PREFIX}0 C=${NS_PREFIX}1 S=${NS_PREFIX}2

	unload_apsm
	# apsm.ko needs nsh.ko (nsh_push/nsh_pop; it also brings the NSH GSO
	# handler): scripts/vm-run.sh loads it at boot, insmod does not
	modprobe nsh
	pp load_apsm
	on_exit unload_apsm
	on_exit bg_stop # LIFO: before the rmmod
	[ -e /dev/net/tun ] || modprobe tun
	modprobe veth 2>/dev/null || true

	ns_add "$N" "$C" "$S"
	for ns in "$N" "$C" "$S"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	done
	pp ip link add up0 netns "$N" type veth peer name eth0 netns "$C"
	pp ip link add up1 netns "$N" type veth peer name eth0 netns "$S"
	n0 ip addr add 10.1.0.1/24 dev up0
	n0 ip addr add 10.2.0.1/24 dev up1
	n0 ip link set up0 up
	n0 ip link set up1 up
	n1 ip addr add 10.1.0.2/24 dev eth0
	n1 ip link set eth0 up
	n1 ip route add default via 10.1.0.1
	n2 ip addr add 10.2.0.2/24 dev eth0
	n2 ip link set eth0 up
	n2 ip route add default via 10.2.0.1
}

declare -A DP_NF_PID=()

ctl() { pp "$CTL" -n "$N" "$@"; }

dp_node() {
	local up=0 t
	[ "${1:-}" = --up ] && { up=1; shift; }
	for t in "$@"; do
		n0 ip tuntap add dev "$t" mode tap
		[ "$up" = 0 ] || n0 ip link set "$t" up
	done
	n0 sysctl -qw net.ipv4.ip_forward=1
	ctl node set id 1
	ctl port add dev up0 role uplink
	ctl port add dev up1 role uplink
}

dp_nf() {
	local tap=$1 mac=$2
	shift 2
	ip netns exec "$N" "$NF" --mac "$mac" --up --stats "$work/$tap.json" "$@" "$tap" \
		2>"$work/$tap.log" &
	# shellcheck disable=SC2034 # for the callers
	DP_NF_PID[$tap]=$!
	bg_pids+=($!)
	wait_until 5 test -s "$work/$tap.json" || fail "nsh-nf on $tap did not start: $(cat "$work/$tap.log")"
}

dp_capture() {
	ip netns exec "$1" tcpdump -i "$2" -nn -U -w "$work/$3.pcap" 2>"$work/$3.tcpdump" &
	# shellcheck disable=SC2034 # for the callers
	DP_BG_PID=$!
	bg_pids+=($!)
	wait_until 10 grep -q "listening on $2" "$work/$3.tcpdump" ||
		fail "tcpdump on $2: $(cat "$work/$3.tcpdump")"
}

_dp_json() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d[sys.argv[1]])' "$1"; }
dp_stat() { "$CTL" -n "$N" -j stats show | _dp_json "$1"; }
dp_nodeval() { "$CTL" -n "$N" -j node show | _dp_json "$1"; }
dp_inst() { "$CTL" -n "$N" -j instance show "$1" | _dp_json "$2"; }

_dp_is() { [ "$("$@")" = "$_dp_want" ]; }
want_eq() {
	local secs=$1
	_dp_want=$2
	shift 2
	wait_until "$secs" _dp_is "$@" || fail "$*: $("$@"), expected $_dp_want"
}

# dp_offload NS DEV [on|off]: switch TSO, GSO and GRO of DEV in NS (the
# legacy ethtool ioctls: there is no ethtool binary in the VM), then print
# their state as "tso on gso on gro on".
dp_offload() {
	ip netns exec "$1" /usr/bin/python3 - "$2" "${3:-}" <<'PYEOF'
import ctypes, fcntl, socket, struct, sys
dev, want = sys.argv[1], sys.argv[2]
SIOCETHTOOL = 0x8946
cmds = (("tso", 0x1e, 0x1f), ("gso", 0x23, 0x24), ("gro", 0x2b, 0x2c))
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def ethtool(cmd, val=0):
    buf = ctypes.create_string_buffer(struct.pack("II", cmd, val))
    fcntl.ioctl(sk.fileno(), SIOCETHTOOL, struct.pack("16sP16x", dev.encode(), ctypes.addressof(buf)))
    return struct.unpack("II", buf.raw[:8])[1]
if want:
    for _, _, s in cmds:
        ethtool(s, 1 if want == "on" else 0)
print(" ".join("%s %s" % (n, "on" if ethtool(g) else "off") for n, g, _ in cmds))
PYEOF
}
