# shellcheck shell=bash
# The three-node topology shared by apsmd-sync, dp-3node and the demo
# (source it after tests/lib.sh; "tn" = three nodes):
#
#        client ns C                                 server ns S
#        eth0 10.1.0.2                               eth0 10.2.0.2
#            |                                           |
#        up0 10.1.0.1 (uplink)                       up1 10.2.0.1 (uplink)
#     on node NS[TN_CLIENT_NODE]                  on node NS[TN_SERVER_NODE]
#     (both default to node 0)
#
#     +----------------+      +----------------+      +----------------+
#     | node NS[0]     |      | node NS[1]     |      | node NS[2]     |
#     | APSM id 1      |      | APSM id 2      |      | APSM id 3      |
#     +- fab0 ---------+      +- fab0 ---------+      +- fab0 ---------+
#        10.0.0.1               10.0.0.2                10.0.0.3
#        02:fa:00:00:00:01      02:fa:00:00:00:02       02:fa:00:00:00:03
#            |                      |                       |
#     fab1 (root ns)         fab2 (root ns)          fab3 (root ns)
#     ========================= bridge apsmfab (the fabric) =============
#
# Every node forwards IPv4; a node without the client's (server's) uplink
# routes 10.1.0.0/24 (10.2.0.0/24) via the fabric address of the node that
# has it. IPv6 and rp_filter are off everywhere.
#
# Interface (each step fails the test on error; TN_VERBOSE=1 echoes every
# command, for the demo):
#
#   tn_setup [OPTS]           tn_init OPTS + tn_fabric + tn_uplinks
#   tn_init [OPTS]            checks the tools, loads the module (unloaded at
#                             exit), creates the 5 namespaces. OPTS:
#       -v                      verbose (TN_VERBOSE=1)
#       --names "N0 N1 N2 C S"  namespace names (default ${NS_PREFIX}0..4)
#       --client-node I         node whose up0 leads to the client (0)
#       --server-node I         node whose up1 leads to the server (0):
#                               the node the server's replies enter
#   tn_fabric                 the bridge, one veth per node, fab0 addresses
#   tn_uplinks                client/server veths, addresses, routes, and
#                             `port add dev up0|up1 role uplink` on their nodes
#   tn_ctl I ARGS...          pp apsmctl on node I
#   tn_bg NAME CMD...         run CMD in the background, stderr to
#                             $work/NAME.log; pid in TN_BG_PID, added to
#                             bg_pids (killed and waited for at exit, before
#                             the rmmod: bg_stop)
#   tn_apsmd_conf I           print node I's apsmd config (Id I+1, Listen
#                             10.0.0.(I+1):7946, KeyFile, FabricDevice fab0,
#                             StatsFile $work/apsmdI.json, the 2 other peers)
#   tn_apsmd_write            apsmd genkey >$work/cluster.key; write
#                             $work/apsmdI.conf for I = 0 1 2 (edit them
#                             before tn_apsmd_start if you need to)
#   tn_apsmd_start            start apsmd on every node from $work/apsmdI.conf
#                             (log $work/apsmdI.log, pids TN_APSMD_PID[I]),
#                             wait for its stats file, check it set the node
#                             id, the 2 peers and the fabric port
#   tn_apsmd_stat I KEY       a counter from node I's apsmd stats file
#   tn_nf_setup TABLE         the instances of TABLE (lines "NAME ID SERVICE
#                             NODE [NATIP]"): every service of the table
#                             (stateful; must not exist yet, so a second
#                             call names other services) and every
#                             instance (a tap in mode nsh on its own node;
#                             elsewhere `node NODE+1` added by hand before
#                             apsmd runs, or, once it runs with its
#                             inventory on, awaited until apsmd has
#                             installed it: zero-touch), then
#                             tests/tools/nsh-nf on each tap
#                             (stats $work/NAME.json, pid TN_NF_PID[NAME]),
#                             waits for them. Chains and policies are yours.
#   tn_tap NAME / tn_mac ID NODE   the tap name / NF MAC tn_nf_setup uses
#   tn_has_instance I ID NODE true if node I knows instance ID of APSM node NODE
#   tn_wait_inventory TABLE   wait until every other node knows TABLE's instances
#   tn_all_instances          every node's `-j instance show` (wait_stable)
#   tn_dump                   every node's non-zero stats, flows, instances,
#                             apsmd stats and log (on failure, to stderr)
#
# Sets CTL D NF PY (override CTL/D/NF before tn_init to use other paths or
# names found in $PATH), work (a temp dir), NS (the 3 node namespaces),
# C and S, TN_CLIENT_NODE, TN_SERVER_NODE.

TN_VERBOSE=${TN_VERBOSE:-0}
TN_CLIENT_NODE=0
TN_SERVER_NODE=0
# shellcheck disable=SC2034 # for the callers
TN_APSMD_PID=()
# 1 once apsmd runs with its instance inventory on (the default)
TN_INVENTORY=0
# shellcheck disable=SC2034 # for the callers
declare -A TN_NF_PID=()

_tn() { # CMD...: run, echoed when verbose
	if [ "$TN_VERBOSE" = 1 ]; then pp "$@"; else "$@"; fi
}

tn_init() {
	local names="${NS_PREFIX}0 ${NS_PREFIX}1 ${NS_PREFIX}2 ${NS_PREFIX}3 ${NS_PREFIX}4" x ns
	while [ $# -gt 0 ]; do
		case $1 in
		-v) TN_VERBOSE=1 ;;
		--names) names=$2; shift ;;
		--client-node) TN_CLIENT_NODE=$2; shift ;;
		--server-node) TN_SERVER_NODE=$2; shift ;;
		*) fail "tn_init: unknown option $1" ;;
		esac
		shift
	done
	[[ $TN_CLIENT_NODE =~ ^[012]$ && $TN_SERVER_NODE =~ ^[012]$ ]] ||
		fail "tn_init: node indexes are 0, 1 or 2"
	read -r -a NS <<<"$names"
	[ ${#NS[@]} = 5 ] || fail "tn_init: --names wants 5 names"
	C=${NS[3]} S=${NS[4]}
	NS=("${NS[@]:0:3}")

	CTL=${CTL:-$APSM_CTL}
	D=${D:-$APSM_D}
	NF=${NF:-$APSM_ROOT/tests/tools/nsh-nf}
	PY=${PY:-/usr/bin/python3}
	for x in "$CTL" "$D" "$NF"; do
		command -v "$x" >/dev/null || fail "$x missing: run 'make userspace'"
	done
	work=$(mktemp -d)

	unload_apsm
	pp load_apsm
	on_exit unload_apsm
	[ -e /dev/net/tun ] || modprobe tun
	modprobe veth 2>/dev/null || true
	modprobe bridge 2>/dev/null || true
	on_exit bg_stop # before the rmmod above: LIFO

	_tn ns_add "${NS[@]}" "$C" "$S"
	for ns in "${NS[@]}" "$C" "$S"; do
		_tn ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	done
}

tn_fabric() {
	local i n
	pp ip link add apsmfab type bridge
	on_exit ip link del apsmfab
	_tn ip link set apsmfab up
	for i in 0 1 2; do
		n=$((i + 1))
		_tn ip link add "fab$n" type veth peer name fab0 netns "${NS[i]}"
		_tn ip link set "fab$n" master apsmfab up
		_tn ip -n "${NS[i]}" link set fab0 address "02:fa:00:00:00:0$n"
		_tn ip -n "${NS[i]}" addr add "10.0.0.$n/24" dev fab0
		_tn ip -n "${NS[i]}" link set fab0 up
		_tn ip netns exec "${NS[i]}" sysctl -qw net.ipv4.ip_forward=1
	done
}

tn_uplinks() {
	local cn=${NS[TN_CLIENT_NODE]} sn=${NS[TN_SERVER_NODE]} i
	_tn ip link add up0 netns "$cn" type veth peer name eth0 netns "$C"
	_tn ip link add up1 netns "$sn" type veth peer name eth0 netns "$S"
	_tn ip -n "$cn" addr add 10.1.0.1/24 dev up0
	_tn ip -n "$sn" addr add 10.2.0.1/24 dev up1
	_tn ip -n "$cn" link set up0 up
	_tn ip -n "$sn" link set up1 up
	_tn ip -n "$C" addr add 10.1.0.2/24 dev eth0
	_tn ip -n "$C" link set eth0 up
	_tn ip -n "$C" route add default via 10.1.0.1
	_tn ip -n "$S" addr add 10.2.0.2/24 dev eth0
	_tn ip -n "$S" link set eth0 up
	_tn ip -n "$S" route add default via 10.2.0.1
	for i in 0 1 2; do
		[ "$i" = "$TN_CLIENT_NODE" ] ||
			_tn ip -n "${NS[i]}" route add 10.1.0.0/24 via "10.0.0.$((TN_CLIENT_NODE + 1))"
		[ "$i" = "$TN_SERVER_NODE" ] ||
			_tn ip -n "${NS[i]}" route add 10.2.0.0/24 via "10.0.0.$((TN_SERVER_NODE + 1))"
	done
	tn_ctl "$TN_CLIENT_NODE" port add dev up0 role uplink
	tn_ctl "$TN_SERVER_NODE" port add dev up1 role uplink
}

tn_setup() {
	tn_init "$@"
	tn_fabric
	tn_uplinks
}

tn_ctl() {
	local i=$1
	shift
	pp "$CTL" -n "${NS[i]}" "$@"
}

tn_bg() {
	local name=$1 q
	shift
	if [ "$TN_VERBOSE" = 1 ]; then
		printf -v q '%q ' "$@"
		log "${q% } &"
	fi
	"$@" 2>"$work/$name.log" &
	TN_BG_PID=$!
	bg_pids+=("$TN_BG_PID")
}

# ------------------------------------------------------------------ apsmd
tn_apsmd_conf() {
	local i=$1 j
	printf '[Node]\nId = %d\nListen = 10.0.0.%d:7946\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s\n' \
		$((i + 1)) $((i + 1)) "$work/cluster.key" "$work/apsmd$i.json"
	for j in 0 1 2; do
		[ "$i" = "$j" ] && continue
		printf '\n[Peer]\nId = %d\nEndpoint = 10.0.0.%d:7946\nLinkAddress = 02:fa:00:00:00:0%d\n' \
			$((j + 1)) $((j + 1)) $((j + 1))
	done
}

tn_apsmd_write() {
	local i
	[ "$TN_VERBOSE" = 1 ] && log "$D genkey >$work/cluster.key   # the shared cluster key"
	"$D" genkey >"$work/cluster.key" || fail "apsmd genkey"
	for i in 0 1 2; do
		tn_apsmd_conf "$i" >"$work/apsmd$i.conf"
	done
}

tn_apsmd_start() {
	local i
	TN_INVENTORY=1
	grep -Eqi '^[[:space:]]*Inventory[[:space:]]*=[[:space:]]*no' "$work/apsmd0.conf" && TN_INVENTORY=0
	for i in 0 1 2; do
		tn_bg "apsmd$i" ip netns exec "${NS[i]}" "$D" -c "$work/apsmd$i.conf" --foreground
		# shellcheck disable=SC2034 # for the callers
		TN_APSMD_PID[i]=$TN_BG_PID
	done
	for i in 0 1 2; do
		wait_until 5 test -s "$work/apsmd$i.json" ||
			fail "apsmd on ${NS[i]} did not start: $(cat "$work/apsmd$i.log")"
		assert_eq "$("$CTL" -n "${NS[i]}" -j node show | sed -nE 's/.*"id":([0-9]+).*/\1/p')" \
			$((i + 1)) "${NS[i]}: node id set by apsmd"
		assert_eq "$("$CTL" -n "${NS[i]}" peer show | wc -l)" 2 "${NS[i]}: peers set by apsmd"
		"$CTL" -n "${NS[i]}" port show | grep -q fab0 ||
			fail "${NS[i]}: apsmd set no fabric port"
	done
}

tn_apsmd_stat() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$work/apsmd$1.json" "$2"
}

# -------------------------------------------------------------- instances
tn_tap() { echo "t${1//-/}"; }
tn_mac() { printf '02:4e:46:%02x:%02x:%02x\n' $(($2 + 1)) $((10#$1 >> 8)) $((10#$1 & 255)); }

tn_nf_setup() {
	local table=$1 i name id svc node natip svcs=()
	while read -r name id svc node natip; do
		[[ " ${svcs[*]} " == *" $svc "* ]] || svcs+=("$svc")
	done <<<"$table"
	# every node's services first: apsmd's inventory may bring a remote
	# instance before this loop reaches that node
	for i in 0 1 2; do
		for svc in "${svcs[@]}"; do tn_ctl "$i" service add "$svc" stateful; done
	done
	for i in 0 1 2; do
		while read -r name id svc node natip; do
			if [ "$node" = "$i" ]; then
				_tn ip -n "${NS[i]}" tuntap add dev "$(tn_tap "$name")" mode tap
				tn_ctl "$i" instance add "$name" service "$svc" id "$id" \
					dev "$(tn_tap "$name")" mode nsh lladdr "$(tn_mac "$id" "$node")"
			elif [ "$TN_INVENTORY" != 1 ]; then
				tn_ctl "$i" instance add "$name" service "$svc" id "$id" node $((node + 1))
			fi
		done <<<"$table"
	done
	# zero-touch: with apsmd's inventory on, no remote instance is added
	# by hand; each must reach the other nodes through apsmd
	[ "$TN_INVENTORY" = 1 ] && tn_wait_inventory "$table"
	while read -r name id svc node natip; do
		tn_bg "$name" ip netns exec "${NS[node]}" "$NF" --mac "$(tn_mac "$id" "$node")" --up \
			--stats "$work/$name.json" ${natip:+--nat "$natip"} "$(tn_tap "$name")"
		# shellcheck disable=SC2034 # for the callers
		TN_NF_PID[$name]=$TN_BG_PID
	done <<<"$table"
	while read -r name _; do
		wait_until 5 test -s "$work/$name.json" ||
			fail "nsh-nf $name did not start: $(cat "$work/$name.log")"
	done <<<"$table"
}

# True when node I's kernel holds instance ID owned by APSM node id NODE.
tn_has_instance() {
	"$CTL" -n "${NS[$1]}" -j instance show |
		grep -Eq "\"id\":$2,([^}]*,)?\"node\":$3[,}]"
}

# Wait until every instance of TABLE (tn_nf_setup's format) is known on
# every other node (apsmd's inventory installs it there).
tn_wait_inventory() {
	local name id svc node natip i
	while read -r name id svc node natip; do
		for i in 0 1 2; do
			[ "$i" = "$node" ] && continue
			wait_until 20 tn_has_instance "$i" "$id" $((node + 1)) ||
				fail "instance $name (id $id) did not reach ${NS[i]} through apsmd's inventory"
		done
		[ "$TN_VERBOSE" = 1 ] && log "$name (id $id, node $((node + 1))) known on every node through apsmd's inventory"
	done <<<"$1"
	return 0
}

# ------------------------------------------------------------------ state
tn_all_instances() {
	local n
	for n in "${NS[@]}"; do "$CTL" -n "$n" -j instance show; done
}

tn_dump() {
	local i
	for i in 0 1 2; do
		echo "== ${NS[i]}"
		"$CTL" -n "${NS[i]}" stats show | grep -v " 0$" || true
		"$CTL" -n "${NS[i]}" flow show || true
		"$CTL" -n "${NS[i]}" instance show || true
		echo "-- apsmd: $(cat "$work/apsmd$i.json" 2>/dev/null)"
		cat "$work/apsmd$i.log" 2>/dev/null || true
	done >&2
}
