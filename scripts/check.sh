#!/bin/bash
# Run every APSM test and print one line per test plus the closing tally
# `N passed, N failed[, N skipped]`. Exit status is non-zero on any failure.
#
#   scripts/check.sh [FILTER...]   run only tests whose name contains a FILTER
#
# Stages, in order: build (warnings are errors, W=1, sparse), userspace unit
# tests, host tests (tests/host/), KUnit under UML, VM tests (tests/vm/,
# each in a fresh VM via scripts/vm-run.sh). Full logs go to
# $APSM_LOG_DIR (default .test-logs/ in the clone).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
LOGDIR=${APSM_LOG_DIR:-$ROOT/.test-logs}
mkdir -p "$LOGDIR"
FILTERS=("$@")
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
	local name=$1 log rc t0 line p f s
	shift
	selected "$name" || return 0
	log="$LOGDIR/${name//\//_}.log"
	t0=$SECONDS
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	line=$(grep -E '^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		record "$name (no result line)" FAIL $((SECONDS - t0)) "$log"
		return 1
	fi
	p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	grep -q skipped <<<"$line" && s=$(sed -E 's/.*\b([0-9]+) skipped.*/\1/' <<<"$line")
	PASSED=$((PASSED + p))
	SKIPPED=$((SKIPPED + s))
	if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
		# A crashed suite with no failures counted still fails once.
		[ "$f" -eq 0 ] && f=1
		FAILED=$((FAILED + f))
		FAILED_NAMES+=("$name")
		echo "---- last lines of $log ----"
		tail -n 40 "$log" | sed 's/^/    /'
		echo "----"
		printf '%-4s %-44s %4ss  (%s)\n' FAIL "$name" $((SECONDS - t0)) "$line"
		return 1
	fi
	printf '%-4s %-44s %4ss  (%s)\n' PASS "$name" $((SECONDS - t0)) "$line"
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

echo "== KUnit (UML)"
if selected kunit; then
	run_counted kunit scripts/kunit.sh
	for s in $(kunit_suites_ran "$LOGDIR/kunit.log"); do
		record "kunit/$s (did not run)" FAIL 0 "$LOGDIR/kunit.log"
	done
fi

echo "== VM tests"
for t in tests/vm/*.sh; do
	[ -e "$t" ] || continue
	name="vm/$(basename "$t" .sh)"
	if [ ${#BUILD_FAILED[@]} -gt 0 ]; then
		selected "$name" &&
			record "$name (not run: ${BUILD_FAILED[*]} failed)" FAIL 0 /dev/null
	elif [ ! -e apsm.ko ]; then
		selected "$name" && record "$name (not run: apsm.ko missing)" FAIL 0 /dev/null
	else
		run_one "$name" scripts/vm-run.sh --timeout 1200 "$t"
	fi
done

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
