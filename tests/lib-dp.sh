# shellcheck shell=bash
# The one-node data-path topology shared by the dp-* VM tests (source it
# after tests/lib.sh, then call dp_1node_setup):
#
#   client ns C (10.1.0.2) --veth-- [up0  node ns N  up1] --veth-- server ns S (10.2.0.2)
#                                   10.1.0.1         10.2.0.1
#
# Sets CTL, NF, PY, work, N, C, S; loads the module (unloaded at exit).

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
