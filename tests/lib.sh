# shellcheck shell=bash
# Helpers for APSM tests run inside the test VM (scripts/vm-run.sh).
#
#   . "$APSM_ROOT/tests/lib.sh"     (or: . "$(dirname "$0")/../lib.sh")
#
# Sourcing turns on `set -euo pipefail`. Output helpers write to stderr so
# they never pollute a command substitution.
#
#   log MSG...                print "[+] MSG"
#   pp CMD...                 print "[+] CMD" (quoted), then run it
#   fail MSG...               print "FAIL: MSG" and exit 1
#   assert_eq ACTUAL EXPECTED MSG
#   assert_match STRING ERE MSG
#   wait_until SECS CMD...    poll CMD every 0.1 s until it succeeds;
#                             status 1 if it still fails after SECS seconds
#   wait_stable SECS CMD...   poll CMD's output every 0.2 s until two reads in
#                             a row agree (e.g. counters after traffic ends);
#                             status 1 if it still changes after SECS seconds
#   require_vm                fail unless running inside the test VM
#   ns_add NAME...            create network namespaces (lo up), deleted at exit
#   ns_del NAME...            delete network namespaces
#   nsx NAME CMD...           run CMD in namespace NAME (ip netns exec)
#   n0/n1/n2 CMD...           nsx "${NS_PREFIX}0" / 1 / 2 (NS_PREFIX=apsm-t)
#   APSM_CTL / APSM_D         paths of apsmctl and apsmd
#   load_apsm / unload_apsm   insmod "$APSM_KO" / rmmod apsm (idempotent)
#   slab_objs NAME            active objects of a /proc/slabinfo cache (0 if
#                             absent), exact: the cache is shrunk first
#   slab_objs_prefix PREFIX   sum of them over the caches named PREFIX*
#   slab_shrink_all           shrink every kmem cache (before reading meminfo)
#   meminfo_kb FIELD          a /proc/meminfo value in kB (e.g. SUnreclaim)
#   bg_pids+=(PID); on_exit bg_stop   kill the background PIDs and their
#                             descendants at exit and wait (bounded) until
#                             they are gone; fails if one survives SIGKILL
#   assert_no_loss SRC [MSG]  fail unless every loss counter of the node's
#                             stats is 0; SRC is a netns (apsmctl -n SRC -j
#                             stats show) or a file holding that output
#   assert_loss SRC "K=V..." [MSG]  the non-zero loss counters are exactly
#                             K=V... (e.g. "drop_tx=2"), nothing else
#   loss_counters SRC         print the non-zero loss counters, "K=V" a line
#                             (loss: APSM_LOSS_RE, drop_*, peerdown_drop,
#                             hold_timeout, hold_overflow*, rds_notify_fail,
#                             rds_insert_full, rds_insert_nomem)
#   on_exit CMD...            run CMD at exit (last registered runs first,
#                             each in a subshell). A handler that fails
#                             fails the test (exit 1 if it would pass), so
#                             register `on_exit unload_apsm` right after
#                             loading: everything registered later (bg_stop,
#                             links, taps) runs before the final rmmod, and
#                             a failed rmmod fails the test.
#                             lib.sh owns the EXIT trap: use on_exit instead.

set -euo pipefail

NS_PREFIX=${NS_PREFIX:-apsm-t}
APSM_KO=${APSM_KO:-${APSM_ROOT:-.}/apsm.ko}
# the userspace programs, as built by `make userspace` (one place to name them)
_apsm_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
APSM_CTL=${APSM_CTL:-$_apsm_top/userspace-ctl/apsmctl/apsmctl}
APSM_D=${APSM_D:-$_apsm_top/userspace-ctl/apsmd/apsmd}

log() { printf '[+] %s\n' "$*" >&2; }

pp() {
	local q
	printf -v q '%q ' "$@"
	log "${q% }"
	"$@"
}

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: got '$1', expected '$2'"
}

assert_match() {
	[[ $1 =~ $2 ]] || fail "${3:-assert_match}: '$1' does not match /$2/"
}

# Microseconds since the epoch (bash 5's EPOCHREALTIME, locale-proof).
_lib_now_us() {
	local t=${EPOCHREALTIME/[!0-9]/}
	echo "$((10#$t))"
}

wait_until() {
	local secs=$1 int frac end
	shift
	int=${secs%%.*}
	frac=0
	if [ "$int" != "$secs" ]; then
		frac=${secs#*.}000000
		frac=$((10#${frac:0:6}))
	fi
	end=$(($(_lib_now_us) + 10#${int:-0} * 1000000 + frac))
	until "$@"; do
		if [ "$(_lib_now_us)" -ge "$end" ]; then
			printf 'wait_until: still false after %ss: %s\n' "$secs" "$*" >&2
			return 1
		fi
		sleep 0.1
	done
}

_lib_stable_prev=""
_lib_stable_check() {
	local cur
	sleep 0.2
	cur=$("$@" 2>&1) || return 1
	[ "$cur" = "$_lib_stable_prev" ] && return 0
	_lib_stable_prev=$cur
	return 1
}

wait_stable() {
	local secs=$1
	shift
	_lib_stable_prev=$("$@" 2>&1) || true
	wait_until "$secs" _lib_stable_check "$@"
}

require_vm() {
	[ "${APSM_IN_VM:-}" = 1 ] ||
		fail "this test changes the kernel: run it with scripts/vm-run.sh $0"
}

# ---------------------------------------------------------------- cleanup
# Each handler runs in a subshell, so a failing one cannot skip the rest;
# a handler that fails (status != 0, e.g. `fail` in unload_apsm when the
# final rmmod fails) fails the test: "FAIL: at exit: CMD (status N)", and
# the script exits 1 if it would have exited 0.
_lib_exit_cmds=()
_lib_on_exit_run() {
	local rc=$? i hrc
	set +e
	for ((i = ${#_lib_exit_cmds[@]} - 1; i >= 0; i--)); do
		(eval "${_lib_exit_cmds[i]}")
		hrc=$?
		if [ "$hrc" -ne 0 ]; then
			printf 'FAIL: at exit: %s(status %d)\n' "${_lib_exit_cmds[i]}" "$hrc" >&2
			[ "$rc" -eq 0 ] && rc=1
		fi
	done
	exit "$rc"
}
trap _lib_on_exit_run EXIT

bg_pids=()
# True once process $1 has exited (gone, or a zombie nobody reaped yet:
# a zombie holds no file, socket or module reference any more).
bg_gone() { [ ! -e "/proc/$1" ] || [ "$(_lib_stat_field "$1" 1)" = Z ]; }
# _lib_stat_field PID N: field N after the command name of /proc/PID/stat
# (1 = state, 2 = ppid); the name may hold spaces and parentheses.
_lib_stat_field() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 0
	st=${st##*) }
	read -r -a st <<<"$st"
	echo "${st[$2 - 1]}"
}
# _lib_tree PID...: the PIDs and all their descendants, children first (a
# background shell function such as `n2 socat ... &` is a subshell whose
# child is the real program: killing only $! would leave it running).
_lib_tree() {
	local -A kids=()
	local f st p
	for f in /proc/[0-9]*/stat; do
		{ read -r st <"$f"; } 2>/dev/null || continue
		st=${st##*) }
		read -r -a st <<<"$st"
		p=${f#/proc/}
		kids[${st[1]}]+=" ${p%/stat}"
	done
	_lib_tree_walk() {
		local c
		for c in ${kids[$1]:-}; do _lib_tree_walk "$c"; done
		echo "$1"
	}
	for p in "$@"; do _lib_tree_walk "$p"; done
}
# Kill bg_pids (each with its descendants) and wait, bounded, until all are
# gone: rmmod and netns deletion need that. SIGTERM, then SIGKILL after
# 10 s; status 1 ("FAIL: bg_stop: ...") if one still runs after that.
bg_stop() {
	local p all=() left=()
	[ ${#bg_pids[@]} -eq 0 ] && return 0
	mapfile -t all < <(_lib_tree "${bg_pids[@]}")
	kill "${all[@]}" 2>/dev/null
	for p in "${all[@]}"; do
		wait_until 10 bg_gone "$p" 2>/dev/null || left+=("$p")
	done
	[ ${#left[@]} -eq 0 ] && return 0
	printf 'bg_stop: still running after SIGTERM: %s\n' "${left[*]}" >&2
	kill -KILL "${left[@]}" 2>/dev/null
	for p in "${left[@]}"; do
		wait_until 5 bg_gone "$p" || { printf 'FAIL: bg_stop: %s does not exit\n' "$p" >&2; return 1; }
	done
	return 0
}

on_exit() {
	local q
	printf -v q '%q ' "$@"
	_lib_exit_cmds+=("$q")
}

# ------------------------------------------------------------------ netns
_lib_ns=()
_lib_ns_cleanup() {
	local n
	for n in "${_lib_ns[@]}"; do
		[ -e "/run/netns/$n" ] && ip netns del "$n" 2>/dev/null
	done
	return 0
}
on_exit _lib_ns_cleanup

ns_add() {
	local n
	for n in "$@"; do
		ip netns add "$n" || fail "ip netns add $n"
		_lib_ns+=("$n")
		ip -n "$n" link set lo up
	done
}

ns_del() {
	local n
	for n in "$@"; do
		ip netns del "$n" || fail "ip netns del $n"
	done
}

nsx() {
	local n=$1
	shift
	ip netns exec "$n" "$@"
}
n0() { nsx "${NS_PREFIX}0" "$@"; }
n1() { nsx "${NS_PREFIX}1" "$@"; }
n2() { nsx "${NS_PREFIX}2" "$@"; }

# ----------------------------------------------------------------- module
apsm_loaded() { [ -d /sys/module/apsm ]; }

load_apsm() {
	apsm_loaded && return 0
	[ -f "$APSM_KO" ] || fail "module not found: $APSM_KO (build it with 'make module')"
	insmod "$APSM_KO" || fail "insmod $APSM_KO"
}

unload_apsm() {
	apsm_loaded || return 0
	rmmod apsm || fail "rmmod apsm"
}

# ------------------------------------------------------------------ memory
# SLUB counts the objects on the per-cpu slabs as active: shrinking a cache
# first (flushes those slabs) makes the numbers exact.
slab_shrink() {
	local f
	for f in "$@"; do
		f=/sys/kernel/slab/$f/shrink
		if [ -w "$f" ]; then echo 1 >"$f" 2>/dev/null || true; fi
	done
}

slab_shrink_all() {
	local f
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f" 2>/dev/null || true
	done
}

slab_objs() {
	slab_shrink "$1"
	awk -v n="$1" '$1 == n { s += $2 } END { print s + 0 }' /proc/slabinfo
}

slab_objs_prefix() {
	local n
	while read -r n; do
		slab_shrink "$n"
	done < <(awk -v p="$1" 'NR > 2 && index($1, p) == 1 { print $1 }' /proc/slabinfo)
	awk -v p="$1" 'NR > 2 && index($1, p) == 1 { s += $2 } END { print s + 0 }' \
		/proc/slabinfo
}

meminfo_kb() {
	awk -v f="$1:" '$1 == f { print $2; found = 1 } END { if (!found) print 0 }' \
		/proc/meminfo
}

# ------------------------------------------------------------------- stats
# Every counter of `apsmctl stats show` that means a packet or a change was
# lost: dropped, held until the timeout or refused by a full hold queue,
# dropped for a dead peer, a flow notification or an RDS insert lost.
APSM_LOSS_RE='^(drop_[a-z_]+|peerdown_drop|hold_timeout|hold_overflow|hold_overflow_flow|rds_notify_fail|rds_insert_full|rds_insert_nomem)$'
# ...and the ones that must be in the output (a renamed counter must not
# silently leave the check).
_lib_loss_known="drop_tx peerdown_drop hold_timeout hold_overflow hold_overflow_flow rds_notify_fail"

_lib_stats_json() {
	if [ -f "$1" ]; then
		cat "$1"
	else
		"$APSM_CTL" -n "$1" -j stats show || fail "apsmctl -n $1 stats show"
	fi
}

loss_counters() {
	local j k v
	j=$(_lib_stats_json "$1") || return 1
	for k in $_lib_loss_known; do
		[[ $j == *"\"$k\":"* ]] || fail "stats of $1 lack the loss counter $k: $j"
	done
	while IFS=: read -r k v; do
		k=${k//\"/}
		[[ $k =~ $APSM_LOSS_RE ]] && [ "$v" != 0 ] && echo "$k=$v"
	done < <(grep -oE '"[a-z_0-9]+":[0-9]+' <<<"$j")
	return 0
}

assert_loss() {
	local got
	got=$(loss_counters "$1" | sort | tr '\n' ' ') || exit 1
	[ "${got% }" = "$(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')" ] ||
		fail "${3:-loss counters of $1}: got '${got% }', expected '$2'"
}

assert_no_loss() { assert_loss "$1" "" "${2:-loss counters of $1}"; }
