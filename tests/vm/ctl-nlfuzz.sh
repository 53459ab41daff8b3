#!/bin/bash
# ctl-nlfuzz: a hostile netlink client changes nothing and breaks nothing.
#   scripts/vm-run.sh tests/vm/ctl-nlfuzz.sh
#
# What it proves: tests/tools/nlfuzz (malformed apsm generic netlink
# requests, each certainly invalid: every one must be refused, or ignored
# when structurally not a request) run as root
#  - in the init netns with two seeds, and in a second netns with two
#    others (APSM_FUZZ_COUNT messages each, default 20000) -- each run
#    exits 0 (no unexpected success, no silence where an error was due);
#  - leaves every table of both nodes exactly as the test configured it
#    (`-j show` of node -- generation included --, peer, port, service,
#    instance, chain, policy and flow, minus ticking ages/counters);
#  - leaks nothing: the module's slab caches (apsm*) hold exactly the
#    objects the test created (its RDS entries), before and after;
#  - no kernel splat (vm-run checks dmesg), and rmmod works afterwards.
# Run time under TCG: about 30 s for the default count (printed).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
FUZZ=$PWD/tests/tools/nlfuzz
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
[ -x "$FUZZ" ] || fail "$FUZZ missing: run 'make userspace'"
tmp=$(mktemp -d)
COUNT=${APSM_FUZZ_COUNT:-20000}
NS=${NS_PREFIX}0

unload_apsm
pp load_apsm
on_exit unload_apsm
modprobe veth 2>/dev/null || true
# No IPv6 on the test's links: neighbour discovery would tick packet counters.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
slab0=$(slab_objs_prefix apsm)

# One of everything, in netns $1 ("" = init), with 20 flows.
setup() {
	local opt=() i
	[ -z "$1" ] || opt=(-n "$1")
	{
		echo "node set id 1 rds-max 5000"
		echo "peer add id 2 dev vF lladdr 02:00:00:00:00:02"
		echo "port add dev vU role uplink"
		echo "service add fw"
		echo "service add nat stateless"
		echo "instance add fw1 service fw id 4097 dev vN mode proxy lladdr 02:00:00:00:01:01"
		echo "instance add nat1 service nat id 77 node 2 mode nsh"
		echo "chain add web spi 10 services fw,nat return fw"
		echo "policy add prio 5 src 10.0.0.0/8 proto tcp dport 80 chain web"
		for ((i = 1; i <= 20; i++)); do
			echo "flow install dir forward proto tcp src 10.0.0.$i sport $i dst 10.1.0.1 dport 80 spi 10 path 4097,77 origin 1 version 1"
		done
	} >"$tmp/setup.apsm"
	pp "$CTL" "${opt[@]}" -b "$tmp/setup.apsm"
}
links() {
	local x
	for x in U F N; do
		"$@" ip link add "v$x" type veth peer name "v${x}p"
		"$@" ip link set "v$x" up
	done
}
links
setup ""
pp ns_add "$NS"
nsx "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
links nsx "$NS"
setup "$NS"

printf '%s show\n' node peer port service instance chain policy flow >"$tmp/snap.batch"
snap() { "$CTL" "$@" -j -b "$tmp/snap.batch" | sed -E 's/"(age_ms|[rt]x_packets|[rt]x_bytes)":[0-9]+,?//g'; }
same() {
	[ "$1" = "$2" ] && return 0
	diff <(echo "$2") <(echo "$1") >&2 || true
	fail "$3: tables differ (diff before after above)"
}
base_init=$(snap)
base_ns=$(snap -n "$NS")
[[ $base_init == *'"name":"fw1"'* && $base_ns == *'"src":"10.0.0.20"'* ]] || fail "setup incomplete"
slab1=$(slab_objs_prefix apsm)
log "apsm slab objects: $slab0 before the setup, $slab1 after (40 RDS entries)"
[ "$slab1" -ge $((slab0 + 40)) ] || fail "the setup's 40 RDS entries are not in the apsm caches"

fuzz() { # NAME SEED [PREFIX...]
	local name=$1 seed=$2 s rc=0
	shift 2
	s=${EPOCHREALTIME/[!0-9]/}
	pp "$@" "$FUZZ" "$COUNT" "$seed" >"$tmp/fuzz.out" 2>&1 || rc=$?
	cat "$tmp/fuzz.out" >&2
	log "nlfuzz $name seed $seed: exit $rc in $(((${EPOCHREALTIME/[!0-9]/} - s) / 1000)) ms"
	[ "$rc" -eq 0 ] || fail "nlfuzz $name seed $seed: exit status $rc"
	# tried = refused + sent; each sent message answered with an error,
	# ignored, or unexpected (0 with exit status 0): every one accounted
	local tried refused sent errs ign unexp
	read -r tried refused sent errs ign unexp < <(sed -nE \
		's/^nlfuzz: tried ([0-9]+), refused by send\(\) ([0-9]+), sent ([0-9]+): ([0-9]+) errors, ([0-9]+) ignored.*, ([0-9]+) unexpected$/\1 \2 \3 \4 \5 \6/p' \
		"$tmp/fuzz.out")
	assert_eq "${tried:-}" "$COUNT" "nlfuzz $name: messages tried"
	assert_eq "$((refused + sent))" "$COUNT" "nlfuzz $name: refused + sent"
	assert_eq "$((errs + ign + unexp))" "$sent" "nlfuzz $name: errors + ignored + unexpected"
	assert_eq "$unexp" 0 "nlfuzz $name: unexpected answers"
	[ "$sent" -gt 0 ] || fail "nlfuzz $name: nothing was sent"
	same "$(snap)" "$base_init" "init netns after nlfuzz $name seed $seed"
	same "$(snap -n "$NS")" "$base_ns" "$NS after nlfuzz $name seed $seed"
	assert_eq "$(slab_objs_prefix apsm)" "$slab1" "apsm slab objects after nlfuzz $name seed $seed"
}
fuzz init 1
fuzz init 2
fuzz "$NS" 3 nsx "$NS"
fuzz "$NS" 4 nsx "$NS"

log "teardown"
pp "$CTL" flow flush
pp "$CTL" -n "$NS" flow flush
pp ns_del "$NS"
slab_back() { [ "$(slab_objs_prefix apsm)" -eq "$slab0" ]; }
wait_until 30 slab_back ||
	fail "apsm slab objects after flushing: $(slab_objs_prefix apsm), expected $slab0"
pp unload_apsm
log "ctl-nlfuzz: OK ($(((${EPOCHREALTIME/[!0-9]/} - t0) / 1000)) ms)"
