#!/bin/bash
# Run every APSM test and print one line per test plus the closing tally
# `N passed, N failed[, N skipped]`. Exit status is non-zero on any failure.
#
#   scripts/check.sh [FILTER...]   run only tests whose name contains a FILTER
#
# Stages, in order: build (warnings are errors, W=1, sparse), userspace unit
# tests, host tests (tests/host/), KUnit under UML, VM tests (tests/vm/,
# each in a fresh VM via scripts/vm-run.sh). Full logs go to
# $APSM_LOG_DIR (default .test-logs/ in the clone). KUnit and the VM tests
# run APSM_VM_JOBS at a time (default 2, 1 = one after the other); their
# result lines then come in completion order (Documentation/testing.md).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
LOGDIR=${APSM_LOG_DIR:-$ROOT/.test-logs}
mkdir -p "$LOGDIR"
FILTERS=("$@")
VM_JOBS=${APSM_VM_JOBS:-2}	# KUnit and VM tests at a time (see below)
case $VM_JOBS in
''|*[!0-9]*) VM_JOBS=0 ;;
esac
if [ "$((10#$VM_JOBS))" -lt 1 ]; then
	echo "check.sh: APSM_VM_JOBS must be a number >= 1, got '${APSM_VM_JOBS:-}'" >&2
	exit 2
fi
VM_JOBS=$((10#$VM_JOBS))
PASSED=0 FAILED=0 SKIPPED=0
FAILED_NAMES=()
START=$SECONDS

selected() {
	local f
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for f in "${FILTERS[@]}"; do
		case "$1" in *"$f"*) return 0 ;; esac
	done
	return 1
}

record() {	# record NAME RESULT SECS LOG
	local name=$1 res=$2 secs=$3 log=$4
	case "$res" in
	PASS) PASSED=$((PASSED + 1)) ;;
	SKIP) SKIPPED=$((SKIPPED + 1)) ;;
	*)
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name")
		if [ "$log" != /dev/null ]; then
			echo "---- last lines of $log ----"
			tail -n 40 "$log" | sed 's/^/    /'
			echo "----"
		fi
		;;
	esac
	printf '%-4s %-44s %4ss\n' "$res" "$name" "$secs"
}

# run_one NAME CMD... : one test, pass iff CMD exits 0 (77 = skipped).
run_one() {
	local name=$1 log rc t0
	shift
	selected "$name" || return 0
	log="$LOGDIR/${name//\//_}.log"
	t0=$SECONDS
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		record "$name" PASS $((SECONDS - t0)) "$log"
	elif [ $rc -eq 77 ]; then
		record "$name" SKIP $((SECONDS - t0)) "$log"
	else
		record "$name" "FAIL" $((SECONDS - t0)) "$log"
	fi
	return $rc
}

# run_counted NAME CMD... : a suite that prints `[word:] N passed, N failed
# [, N skipped]`; its counts are added to the tally.
run_counted() {
	local name=$1 log rc t0
	shift
	selected "$name" || return 0
	log="$LOGDIR/${name//\//_}.log"
	t0=$SECONDS
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	counted_result "$name" $rc "$log" $((SECONDS - t0))
}

# counted_result NAME RC LOG SECS: add the counts of a suite's result line.
counted_result() {
	local name=$1 rc=$2 log=$3 secs=$4 line p f s
	line=$(grep -E '^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		record "$name (no result line)" FAIL "$secs" "$log"
		return 1
	fi
	p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	grep -q skipped <<<"$line" && s=$(sed -E 's/.*\b([0-9]+) skipped.*/\1/' <<<"$line")
	PASSED=$((PASSED + p))
	SKIPPED=$((SKIPPED + s))
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		# A crashed suite with no failures counted still fails once.
		[ "$f" -eq 0 ] && f=1
		FAILED=$((FAILED + f))
		FAILED_NAMES+=("$name")
		echo "---- last lines of $log ----"
		tail -n 40 "$log" | sed 's/^/    /'
		echo "----"
		printf '%-4s %-44s %4ss  (%s)\n' FAIL "$name" "$secs" "$line"
		return 1
	fi
	printf '%-4s %-44s %4ss  (%s)\n' PASS "$name" "$secs" "$line"
}

echo "== build"
# No stale module: apsm.ko is removed first, and a failed build stage makes
# every VM test a FAIL "not run" (sparse rebuilds apsm.ko after a failed
# W=1 build, so its presence proves nothing).
BUILD_FAILED=()
build() {	# build NAME CMD...
	selected "$1" || return 0
	run_one "$@" || BUILD_FAILED+=("$1")
}
selected build/module && rm -f apsm.ko
build build/module-W1 make -s module W=1
build build/module-sparse make -s module C=2
build build/userspace make -s userspace

echo "== userspace unit tests"
run_counted unit/userspace make -s -C userspace-ctl test

# libFuzzer targets (tests/fuzz/, Documentation/testing.md "Fuzzing"):
# each replays its whole corpus, then fuzzes FUZZ_SECONDS (default 20);
# a crash, leak, UB or timeout fails with the reproducer's path.
echo "== fuzzing (tests/fuzz)"
if run_one fuzz/build make -s -C tests/fuzz; then
	for t in wire conf args; do
		run_one "fuzz/$t" tests/fuzz/run.sh "$t" "${FUZZ_SECONDS:-20}"
	done
fi

echo "== host tests"
for t in tests/host/*.sh; do
	[ -e "$t" ] || continue
	run_one "host/$(basename "$t" .sh)" "$t"
done

# kunit_suites_ran LOG: every suite named in kunit/*.c (`.name = "..."` of
# a struct kunit_suite) has a header or result line in kunit.py's output
# ("==== apsm_lb (9 subtests) ====", "==== [PASSED] apsm_lb ===="); a
# missing one is recorded as FAIL "kunit/SUITE (did not run)".
kunit_suites_ran() {
	local f suite
	for f in kunit/*.c; do
		grep -q 'struct kunit_suite [a-z_0-9]* = {' "$f" || continue
		sed -nE '/struct kunit_suite [a-z_0-9]* = \{/,/\}/s/^[[:space:]]*\.name = "([^"]+)".*/\1/p' "$f"
	done | sort -u | while read -r suite; do
		grep -Eq "=+ (\[[A-Z]+\] )?$suite( \([0-9]+ subtests?\))? =+" "$1" ||
			echo "$suite"
	done
}

# ---------------------------------------------------- KUnit and VM tests
# Both run as jobs, APSM_VM_JOBS at a time (default 2; 1 = one after the
# other, as before): KUnit (UML, CPU bound) overlaps the first VM tests, and
# every VM test boots its own VM (scripts/vm-run.sh keeps everything of a
# run in its own mktemp dir: nothing is shared between two runs but the
# read-only initramfs cache). A job's output goes to its own log only; its
# result line is printed when it ends, so with more than one job the lines
# come in completion order. The slowest VM tests (VM_FIRST, measured) start
# first so that none of them is left running alone at the end.
VM_FIRST=(apsmd-repl load-unload apsmd-faults proxy-nat apsmd-inventory apsmd-sync)

JOBDIR=$(mktemp -d "${TMPDIR:-/tmp}/apsm-check.XXXXXX") || exit 1
mkfifo "$JOBDIR/done" || exit 1
exec 3<>"$JOBDIR/done"	# kept open read-write: never EOF, never blocks a writer
declare -A JOB_NAME=() JOB_KIND=() JOB_T0=() JOB_LOG=()
JOB_SEQ=0 JOB_RUNNING=0

# kill_jobs: on INT/TERM, TERM every running job's command (vm-run.sh then
# kills its QEMU and removes its temp dir); background jobs of a script
# ignore INT, so they would go on otherwise.
kill_jobs() {
	local id
	for id in "${!JOB_NAME[@]}"; do
		[ -s "$JOBDIR/$id.pid" ] && kill -TERM "$(cat "$JOBDIR/$id.pid")" 2>/dev/null
	done
}
trap 'kill_jobs; rm -rf "$JOBDIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# job_finish ID RC: record a finished job (in this shell, so the tally and
# FAILED_NAMES are kept here).
job_finish() {
	local id=$1 rc=$2 name secs log s
	name=${JOB_NAME[$id]} log=${JOB_LOG[$id]}
	secs=$((SECONDS - JOB_T0[$id]))
	case ${JOB_KIND[$id]} in
	kunit)
		counted_result "$name" "$rc" "$log" "$secs"
		for s in $(kunit_suites_ran "$log"); do
			record "kunit/$s (did not run)" FAIL 0 "$log"
		done
		;;
	*)
		if [ "$rc" -eq 0 ]; then
			record "$name" PASS "$secs" "$log"
		elif [ "$rc" -eq 77 ]; then
			record "$name" SKIP "$secs" "$log"
		else
			record "$name" FAIL "$secs" "$log"
		fi
		;;
	esac
	unset "JOB_NAME[$id]" "JOB_KIND[$id]" "JOB_T0[$id]" "JOB_LOG[$id]"
	JOB_RUNNING=$((JOB_RUNNING - 1))
}

# job_reap: wait for one job to end (its wrapper writes "ID RC" to the fifo)
job_reap() {
	local id rc
	read -r id rc <&3 || { echo "check.sh: lost the job fifo" >&2; exit 1; }
	wait "$(cat "$JOBDIR/$id.wrapper")" 2>/dev/null
	job_finish "$id" "$rc"
}

# job_start KIND NAME CMD...: start CMD once fewer than VM_JOBS run.
job_start() {
	local kind=$1 name=$2 id log
	shift 2
	while [ "$JOB_RUNNING" -ge "$VM_JOBS" ]; do job_reap; done
	id=$((JOB_SEQ += 1))
	log="$LOGDIR/${name//\//_}.log"
	JOB_NAME[$id]=$name JOB_KIND[$id]=$kind JOB_LOG[$id]=$log JOB_T0[$id]=$SECONDS
	JOB_RUNNING=$((JOB_RUNNING + 1))
	(
		"$@" >"$log" 2>&1 </dev/null 3>&- &
		echo $! >"$JOBDIR/$id.pid"
		wait $!
		echo "$id $?" >&3
	) &
	echo $! >"$JOBDIR/$id.wrapper"
}

job_drain() {
	while [ "$JOB_RUNNING" -gt 0 ]; do job_reap; done
}

if [ "$VM_JOBS" -gt 1 ]; then
	echo "== KUnit (UML) and VM tests, $VM_JOBS at a time (lines in completion order)"
else
	echo "== KUnit (UML)"
fi
if selected kunit; then
	job_start kunit kunit scripts/kunit.sh
	[ "$VM_JOBS" -gt 1 ] || job_drain
fi

[ "$VM_JOBS" -gt 1 ] || echo "== VM tests"
vm_tests=()
[ "$VM_JOBS" -gt 1 ] || VM_FIRST=()	# 1: in name order, as before
for n in "${VM_FIRST[@]+"${VM_FIRST[@]}"}"; do
	[ -e "tests/vm/$n.sh" ] && vm_tests+=("tests/vm/$n.sh")
done
for t in tests/vm/*.sh; do
	[ -e "$t" ] || continue
	case " ${VM_FIRST[*]+"${VM_FIRST[*]}"} " in *" $(basename "$t" .sh) "*) continue ;; esac
	vm_tests+=("$t")
done
for t in "${vm_tests[@]+"${vm_tests[@]}"}"; do
	name="vm/$(basename "$t" .sh)"
	if [ ${#BUILD_FAILED[@]} -gt 0 ]; then
		selected "$name" &&
			record "$name (not run: ${BUILD_FAILED[*]} failed)" FAIL 0 /dev/null
	elif [ ! -e apsm.ko ]; then
		selected "$name" && record "$name (not run: apsm.ko missing)" FAIL 0 /dev/null
	else
		selected "$name" && job_start vm "$name" scripts/vm-run.sh --timeout 1200 "$t"
	fi
done
job_drain

echo
echo "== $((SECONDS - START)) s; logs in $LOGDIR"
for n in "${FAILED_NAMES[@]+"${FAILED_NAMES[@]}"}"; do
	echo "failed: $n"
done
if [ "$SKIPPED" -gt 0 ]; then
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
	echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" -eq 0 ]
