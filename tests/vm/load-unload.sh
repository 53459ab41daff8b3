#!/bin/bash
# Load/unload the module many times while network namespaces come and go,
# and check that no memory is left behind.
#   scripts/vm-run.sh tests/vm/load-unload.sh
#
# Phase 1, ITERS times (default 50): insmod; create 3 netns; query the
# "apsm" genl family from inside one; delete 2; rmmod while the third is
# still alive; delete it.
# Phase 2, module loaded: create 100 netns, query the family from every
# 10th, delete them all at once (one batched cleanup_net); wait until they
# are freed; again. Not more at once: every netns gets a 64k-slot feed
# (4 MB, kvmalloc) from the module: with 150 per batch and no wait between
# the batches (one being freed while the next was made) the 1 GB VM went
# into compaction and kcompactd (or ip in apsm_feed_init's vmalloc) hit a
# 25 s soft lockup, twice.
#
# What is compared, before and after each phase (after a warm-up, once every
# netns is really gone and after drop_caches):
#  - net_namespace objects (/proc/slabinfo, exact after a shrink): back to
#    the count at the start, plus at most one. Debian's 6.1 kernel (like
#    upstream since 6.7, "net: defer final 'struct net' free in netns
#    dismantle") does not free a struct net in the cleanup_net run that
#    drops its last reference: it queues it, and the NEXT cleanup_net run
#    frees it. So after the last batch, the namespaces of that batch (one or
#    more, depending on how the deletions were batched) stay allocated until
#    some other netns dies. When the count stops moving for 3 s, the test
#    creates and deletes one more netns ("lu-kick") to run cleanup_net
#    again; what stays allocated then is that netns alone (+1). A module
#    keeping one reference per netns keeps every churned netns (and every
#    kick) alive and fails the check after 180 s.
#  - active objects of the module's own kmem caches (/proc/slabinfo, names
#    apsm*; the VM boots with slab_nomerge so they are not merged away):
#    must be equal. With the module unloaded they are 0 by construction;
#    an object left in a cache at rmmod makes SLUB print "BUG apsm...:
#    Objects remaining", which fails the run through vm-run's dmesg check.
#  - global SUnreclaim from /proc/meminfo may grow by at most
#    APSM_LEAK_TOL_KB (default 256 kB) per phase, Slab (which adds the
#    reclaimable caches: dentries, inodes) by at most 4 times that. Measured
#    noise with a module that frees everything: up to 80 kB SUnreclaim and
#    164 kB Slab per phase. A module leaking 2 kB per netns made SUnreclaim
#    grow by 748 kB in phase 1 with 300 netns (100 iterations). With the
#    default 50 iterations a leak of about 2 kB per netns (1.3 kB per netns
#    deleted with the module loaded: phase 2's 200) or 5 kB per load is
#    caught; smaller ones need a slab cache of the module's own. (Until
#    2026-12 the default was 100 iterations: 1 kB per netns and 3 kB per
#    load, twice the run time; APSM_LOAD_ITERS=100 still does that.)
#
# Environment: APSM_LOAD_ITERS (default 50), APSM_LEAK_TOL_KB (default 256).
# Run time under TCG: about 1.5 minutes on an idle 2-CPU host, 4 minutes
# measured on a busy one (load 5 to 40).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

iters=${APSM_LOAD_ITERS:-50}
tol_kb=${APSM_LEAK_TOL_KB:-256}
warmup=3
p=lu

[ -f "$APSM_KO" ] || fail "module not found: $APSM_KO (build it with 'make module')"
unload_apsm
on_exit unload_apsm

netns_base=$(slab_objs net_namespace)

# True once the deleted netns are gone, including the ones still queued for
# the asynchronous cleanup_net. The last cleanup_net run leaves what it
# freed allocated until the next run (see the top): when the count has not
# moved for 3 s, start another run with a throwaway netns. The +1 is that
# netns (or the last deleted one), itself queued for the next run.
netns_last=-1 netns_since=0 netns_kicks=0
netns_settled() {
	local n
	n=$(slab_objs net_namespace)
	[ "$n" -le $((netns_base + 1)) ] && return 0
	if [ "$n" != "$netns_last" ]; then
		netns_last=$n netns_since=$SECONDS
	elif [ $((SECONDS - netns_since)) -ge 3 ]; then
		if ! ip netns add "$p-kick" || ! ip netns del "$p-kick"; then
			fail "ip netns add/del $p-kick"
		fi
		netns_kicks=$((netns_kicks + 1)) netns_since=$SECONDS
	fi
	return 1
}

# Prints "APSM_OBJS SLAB_KB SUNRECLAIM_KB" in a settled state.
measure() {
	# Freeing deleted namespaces is the kernel's batched cleanup_net work
	# (RCU grace periods included): slow under TCG on a loaded host, so
	# the bound is generous; how long it took is printed.
	local t0=$SECONDS
	netns_last=-1 netns_kicks=0
	wait_until 180 netns_settled ||
		fail "deleted network namespaces not freed within 180 s:" \
			"$(slab_objs net_namespace) net_namespace objects, expected <= $((netns_base + 1))" \
			"($netns_kicks extra namespaces created to run cleanup_net again)"
	log "deleted namespaces freed after $((SECONDS - t0)) s" \
		"($netns_kicks extra namespaces to run cleanup_net again)"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	slab_shrink_all
	echo "$(slab_objs_prefix apsm) $(meminfo_kb Slab) $(meminfo_kb SUnreclaim)"
}

# compare PHASE BEFORE AFTER
compare() {
	local phase=$1 a0 s0 u0 a1 s1 u1
	read -r a0 s0 u0 <<<"$2"
	read -r a1 s1 u1 <<<"$3"
	log "$phase: apsm* slab objects $a0 -> $a1"
	log "$phase: SUnreclaim $u0 kB -> $u1 kB ($((u1 - u0)) kB, tolerance $tol_kb kB)"
	log "$phase: Slab $s0 kB -> $s1 kB ($((s1 - s0)) kB, tolerance $((4 * tol_kb)) kB)"
	assert_eq "$a1" "$a0" "$phase: objects in the module's kmem caches"
	[ $((u1 - u0)) -le "$tol_kb" ] ||
		fail "$phase: SUnreclaim grew by $((u1 - u0)) kB (> $tol_kb kB): leak?"
	[ $((s1 - s0)) -le $((4 * tol_kb)) ] ||
		fail "$phase: Slab grew by $((s1 - s0)) kB (> $((4 * tol_kb)) kB): leak?"
}

# The netns adds and deletes of one step go to one `ip -b` process, and the
# family is queried with apsmctl (a small binary) rather than genl: under
# TCG starting an iproute2 binary costs more than the kernel work itself
# (measured: 3 separate `ip netns del` 840 ms, one `ip -b` deleting 3:
# 120 ms), and the kernel sees the same netns creations and deletions.
# Each `netns add` in a batch creates its own namespace (iproute2 returns
# to the original one after each).
no_family() {	# no_family ITERATION: the apsm genl family is gone
	local out
	if out=$("$APSM_CTL" node show 2>&1); then
		fail "genl family apsm still registered after rmmod (iteration $1)"
	fi
	case $out in
	*"no generic netlink family"*) ;;
	*) fail "apsmctl node show after rmmod (iteration $1): $out" ;;
	esac
}

cycle() {
	insmod "$APSM_KO" || fail "insmod (iteration $1)"
	printf 'netns add %s\n' "$p-a" "$p-b" "$p-c" | ip -b - ||
		fail "ip netns add $p-a $p-b $p-c (iteration $1)"
	"$APSM_CTL" -n "$p-b" node show >/dev/null ||
		fail "genl family apsm not visible in a netns (iteration $1)"
	printf 'netns del %s\n' "$p-b" "$p-c" | ip -b - ||
		fail "ip netns del $p-b $p-c (iteration $1)"
	rmmod apsm || fail "rmmod with a netns alive (iteration $1)"
	ip netns del "$p-a"
	no_family "$1"
}

# ------------------------------------------------------------- phase 1
log "phase 1: $iters x (insmod, 3 netns, genl query, rmmod with a netns alive)"
for i in $(seq "$warmup"); do cycle "warm-up $i"; done
before=$(measure)
t0=$SECONDS
for i in $(seq "$iters"); do cycle "$i"; done
log "phase 1: $iters iterations in $((SECONDS - t0)) s"
after=$(measure)
compare "phase 1" "$before" "$after"

# ------------------------------------------------------------- phase 2
churn_n=100
log "phase 2: module loaded, 2 x ($churn_n netns created, then all deleted)"
load_apsm
churn() {
	local i
	for i in $(seq "$1"); do echo "netns add $p-$i"; done | ip -b - ||
		fail "ip -b: netns add $p-1..$p-$1"
	for i in $(seq 1 10 "$1"); do
		"$APSM_CTL" -n "$p-$i" node show >/dev/null ||
			fail "genl family apsm not visible in netns $p-$i"
	done
	for i in $(seq "$1"); do echo "netns del $p-$i"; done | ip -b - ||
		fail "ip -b: netns del $p-1..$p-$1"
}
churn "$warmup"
before=$(measure)
t0=$SECONDS
churn "$churn_n"
# Memory: the first batch's feeds go before the second batch's come.
netns_last=-1
wait_until 180 netns_settled ||
	fail "phase 2: the first $churn_n namespaces not freed within 180 s"
churn "$churn_n"
log "phase 2: $((2 * churn_n)) netns in $((SECONDS - t0)) s"
after=$(measure)
compare "phase 2" "$before" "$after"
pp unload_apsm

log "load-unload: OK"
