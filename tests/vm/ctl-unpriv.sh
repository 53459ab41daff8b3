#!/bin/bash
# ctl-unpriv: the configuration is readable by everyone; flows, their
# changes, peers, counters and the multicast groups, and every change, need
# CAP_NET_ADMIN in the user namespace that owns the network namespace
# (GENL_UNS_ADMIN_PERM, GENL_MCAST_CAP_NET_ADMIN); a node in a user
# namespace's netns stays below the userns_* module caps.
#   scripts/vm-run.sh tests/vm/ctl-unpriv.sh
#
# What it proves:
#  - as an unprivileged user (uid/gid 65534, no groups, no capabilities),
#    `show` of node, port, service, instance, chain, policy works and
#    prints what root sees;
#  - the reads that leak connections or counters are refused with
#    "Operation not permitted", exit status 1: flow show, flow get, flow
#    changes, peer show, stats show (text and -j), and `monitor` (joining
#    the "rds" or "events" group);
#  - every change (node set; peer, port, service, instance, chain, policy
#    add/del; instance set; flow install/del/flush) fails with "Operation not
#    permitted", exit status 1, and changes nothing (the `-j show` dump of
#    every table, node generation included, is compared);
#  - the same user as "root" of a fresh user namespace that did NOT create
#    a new netns (unshare -Ur) still gets EPERM in the init netns, for
#    changes and for flow/peer/stats reads;
#  - the same user in a user namespace owning a new netns (unshare -Urn)
#    can configure and read that netns's node (node, service, instance on a
#    veth it made, chain, policy, flow install, flow show, stats, flush,
#    deletes), which is visible there, while the init netns's tables stay
#    exactly as they were; there the node starts with rds_max and
#    feed_size at the userns caps (65536) and is refused rds-max,
#    policy-max or feed-size above them (EPERM, the extack names the
#    module parameter), while root of the init netns may set 16M.
# Run time under TCG: about 30 s (printed at the end).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)
chmod 755 "$tmp"

unload_apsm
pp load_apsm
on_exit unload_apsm
modprobe veth 2>/dev/null || true
# No IPv6 on the test's links: neighbour discovery would tick packet counters.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# Debian's knob for unprivileged user namespaces (absent upstream).
if [ -e /proc/sys/kernel/unprivileged_userns_clone ]; then
	echo 1 >/proc/sys/kernel/unprivileged_userns_clone
fi

ctl() { pp "$CTL" "$@"; }
# Run as nobody: no capabilities left after the uid change.
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# --------------------------------------------------------------- setup
pp ip link add vA type veth peer name vAp
pp ip link add vD type veth peer name vDp
ip link set vA up
ip link set vD up
printf '%s\n' 'node set id 1 rds-max 1000' \
	'peer add id 2 dev vD lladdr 02:00:00:00:00:02' \
	'port add dev vAp role uplink' \
	'service add fw' 'service add spare' \
	'instance add fw1 service fw id 4097 dev vA weight 5' \
	'chain add web spi 10 services fw' 'chain add spare-chain services fw' \
	'policy add prio 5 dst 10.0.0.0/8 chain web' \
	'flow install dir forward proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80 spi 10 path 4097 origin 1 version 5' \
	>"$tmp/setup.apsm"
ctl -b "$tmp/setup.apsm"

printf '%s show\n' node peer port service instance chain policy flow >"$tmp/snap.batch"
chmod 644 "$tmp"/*
snap() {
	"$@" "$CTL" -j -b "$tmp/snap.batch" | sed -E 's/"(age_ms|[rt]x_packets|[rt]x_bytes)":[0-9]+,?//g'
}
base=$(snap)
[[ $base == *'"name":"fw1"'* && $base == *'"src":"10.0.0.1"'* ]] || fail "setup incomplete: $base"

# ------------------------------------------------------------- reading
log "reading as nobody"
assert_eq "$(asnobody id -u) $(asnobody grep CapEff /proc/self/status)" \
	"65534 CapEff:	0000000000000000" "nobody has no capabilities"
printf '%s show\n' node port service instance chain policy >"$tmp/cfg.batch"
chmod 644 "$tmp/cfg.batch"
cfgsnap() {
	"$@" "$CTL" -j -b "$tmp/cfg.batch" | sed -E 's/"(age_ms|[rt]x_packets|[rt]x_bytes)":[0-9]+,?//g'
}
assert_eq "$(cfgsnap asnobody)" "$(cfgsnap)" "-j show of the configuration as nobody"
# Text forms, minus the packet counters (IPv6 neighbour discovery ticks them).
nocnt() { sed -E 's/ [rt]x-(packets|bytes) [0-9]+//g'; }
for o in node port service instance chain policy; do
	want=$("$CTL" "$o" show | nocnt)
	got=$(asnobody "$CTL" "$o" show | nocnt) || fail "apsmctl $o show as nobody failed"
	assert_eq "$got" "$want" "apsmctl $o show as nobody"
done
got=$(asnobody "$CTL" instance show fw1) || fail "instance show fw1 as nobody"
assert_match "$got" '^fw1 id 4097 service fw ' "instance show fw1 as nobody"

# refused CMD...: a read that must fail with EPERM (exit status 1).
nrefused=0
refused() {
	local rc=0 err
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	err=$(cat "$tmp/err")
	printf '[+] %s -> %s: %s\n' "$*" "$rc" "$err" >&2
	[ "$rc" -eq 1 ] || fail "$*: exit status $rc, expected 1 (out: $(head -c 300 "$tmp/out"))"
	[[ $err == apsmctl:*"Operation not permitted"* ]] ||
		fail "$*: error '$err' is not EPERM"
	[ ! -s "$tmp/out" ] || fail "$*: printed something: $(head -c 300 "$tmp/out")"
	nrefused=$((nrefused + 1))
}
reads=(
	"flow show"
	"-j flow show"
	"flow get proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80"
	"flow changes"
	"peer show"
	"stats show"
	"-j stats show"
	"monitor events"
	"monitor rds"
	"monitor"
)
for c in "${reads[@]}"; do
	# shellcheck disable=SC2086 # word splitting wanted
	refused asnobody timeout 20 "$CTL" $c
done
log "reads as root of a user namespace that owns no netns of ours"
for c in "flow show" "peer show" "stats show" "monitor"; do
	# shellcheck disable=SC2086
	refused asnobody unshare -Ur timeout 20 "$CTL" $c
done
# Root still reads all of it.
got=$("$CTL" -j flow get proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80) ||
	fail "flow get as root"
assert_match "$got" '"path_ids":\[4097\]' "flow get as root"
assert_match "$("$CTL" stats show)" $'(^|\n)rds_installed 1(\n|$)' "stats show as root"
base=$(snap)

# ------------------------------------------------------------- changes
# denied CMD...: as nobody (or under the given prefix), `apsmctl CMD`
# fails with EPERM and changes nothing.
ndenied=0
denied() {
	local rc=0 err
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	err=$(cat "$tmp/err")
	printf '[+] %s -> %s: %s\n' "${*#"$CTL "}" "$rc" "$err" >&2
	[ "$rc" -eq 1 ] || fail "$*: exit status $rc, expected 1"
	[[ $err == apsmctl:*"Operation not permitted"* ]] ||
		fail "$*: error '$err' is not EPERM"
	assert_eq "$(snap)" "$base" "tables after: $*"
	ndenied=$((ndenied + 1))
}
changes=(
	"node set id 5"
	"node set rds-max 10"
	"peer add id 3 dev vD lladdr 02:00:00:00:00:03"
	"peer del id 2"
	"port add dev vDp role fabric"
	"port del dev vAp"
	"service add evil"
	"service del spare"
	"instance add evil service fw"
	"instance set fw1 weight 1"
	"instance set fw1 state down"
	"instance del fw1"
	"chain add evil services fw"
	"chain del spare-chain"
	"policy add prio 1 chain web"
	"policy del prio 5"
	"flow install dir forward proto tcp src 10.0.0.2 sport 1 dst 10.1.0.1 dport 80 spi 10 path 4097 origin 1 version 9"
	"flow del proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80"
	"flow flush"
)
log "changes as nobody"
for c in "${changes[@]}"; do
	# shellcheck disable=SC2086 # word splitting wanted
	denied asnobody "$CTL" $c
done
log "changes as root of a user namespace that owns no netns of ours"
for c in "service add evil" "flow flush" "instance del fw1" "node set id 5"; do
	# shellcheck disable=SC2086
	denied asnobody unshare -Ur "$CTL" $c
done

# --------------------------------------------------- userns + new netns
log "nobody in a user namespace owning a new netns"
cat >"$tmp/inside.sh" <<EOF
set -eu
CTL=$CTL
ip link set lo up
ip link add u0 type veth peer name u1
ip link set u0 up
echo "--- defaults"
\$CTL -j node show
\$CTL node set id 9 rds-max 50
\$CTL service add u-svc
\$CTL instance add u-inst service u-svc id 77 dev u0 weight 3
\$CTL chain add u-chain spi 10 services u-svc
\$CTL policy add prio 5 dst 10.0.0.0/8 chain u-chain
\$CTL flow install dir forward proto udp src 10.9.0.1 sport 1 dst 10.9.0.2 dport 2 spi 10 path 77 origin 9 version 1
\$CTL instance set u-inst state drain
echo "--- tables"
\$CTL -j -b $tmp/snap.batch
\$CTL -j stats show
\$CTL -j flow changes
echo "--- limits"
for a in "rds-max 65537" "policy-max 1025" "feed-size 131072"; do
	if \$CTL node set \$a 2>&1; then echo "accepted: \$a"; fi
done
\$CTL node set rds-max 65536 feed-size 65536 policy-max 1024 && echo "at the caps: ok"
echo "--- teardown"
\$CTL flow flush
\$CTL policy del prio 5
\$CTL chain del u-chain
\$CTL instance del u-inst
\$CTL service del u-svc
\$CTL -j service show
EOF
chmod 644 "$tmp/inside.sh"
out=$(asnobody unshare -Urn sh "$tmp/inside.sh" 2>&1) || fail "configuring a userns-owned netns failed: $out"
printf '%s\n' "$out" >&2
defaults=$(sed -n '/^--- defaults/,/^--- tables/p' <<<"$out")
for w in '"rds_max":65536' '"feed_size":65536' '"policy_max":1024'; do
	[[ $defaults == *"$w"* ]] || fail "the userns netns's node defaults lack $w: $defaults"
done
tables=$(sed -n '/^--- tables/,/^--- limits/p' <<<"$out")
limits=$(sed -n '/^--- limits/,/^--- teardown/p' <<<"$out")
[[ $limits != *accepted:* ]] || fail "a value above a userns cap was accepted: $limits"
for w in 'above userns_rds_max' 'above userns_policy_max' 'above userns_feed_max' 'at the caps: ok'; do
	[[ $limits == *"$w"* ]] || fail "limits: no '$w' in: $limits"
done
[[ $tables == *'"rds_installed":1'* ]] || fail "stats show in the userns netns: no rds_installed 1"
[[ $tables == *'"cause":"install"'* ]] || fail "flow changes in the userns netns: no install change"
for w in '"id":9,"rds_max":50,"rds_count":1' '"name":"u-svc","stateful":true,"instances":1' \
	'"name":"u-inst","id":77,"service":"u-svc","node":9,"dev":"u0"' '"weight":3,"state":"drain"' \
	'"name":"u-chain","spi":10' '"prio":5,' '"src":"10.9.0.1"'; do
	[[ $tables == *"$w"* ]] || fail "the userns netns's tables lack $w"
done
[[ $tables != *'"name":"fw1"'* ]] || fail "the userns netns sees the init netns's instance"
assert_eq "$(tail -n 1 <<<"$out")" "[]" "service table of the userns netns after teardown"
assert_eq "$(snap)" "$base" "init netns tables after the userns netns was configured"

# The init netns's root is not capped.
ctl node set rds-max 16777216
assert_match "$("$CTL" -j node show)" '"rds_max":16777216' "init netns rds-max 16M"
ctl node set rds-max 1000

log "ctl-unpriv: OK ($nrefused reads refused, $ndenied changes denied; $(((${EPOCHREALTIME/[!0-9]/} - t0) / 1000)) ms)"
