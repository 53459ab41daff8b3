#!/bin/bash
# tests/fuzz/run.sh TARGET SECONDS [LIBFUZZER-OPTION...]
#
# Replay every input of corpus/TARGET through fuzz_TARGET, then (SECONDS
# > 0) fuzz it for SECONDS, starting from that corpus (read-only: new
# inputs go to a scratch directory, removed afterwards unless
# FUZZ_KEEP=DIR names where to keep them). Crashes, leaks, UB and
# timeouts are failures: the reproducer is written to
# $APSM_LOG_DIR/fuzz/ (default .test-logs/fuzz/) and its path printed
# last, with the command that replays it. Exit 0 only if clean.
#
# Build first: make -C tests/fuzz (make fuzz at the top).
set -u
cd "$(dirname "$0")" || exit 1
t=${1:?usage: run.sh wire|conf|args SECONDS [OPTION...]}
secs=${2:-20}
shift 2 2>/dev/null || shift $#
bin=./fuzz_$t
[ -x "$bin" ] || { echo "run.sh: $bin not built (make -C tests/fuzz)"; exit 1; }
[ -d "corpus/$t" ] || { echo "run.sh: no corpus/$t"; exit 1; }
logdir=${APSM_LOG_DIR:-$(cd ../.. && pwd)/.test-logs}
art=$logdir/fuzz/$t
mkdir -p "$art"
case $t in
wire) maxlen=1500 ;;
conf) maxlen=8192 ;;
*) maxlen=2048 ;;
esac
opts=(-timeout=10 -rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1
      -artifact_prefix="$art/")
[ -f "$t.dict" ] && opts+=(-dict="$t.dict")

# reproducer LOG: the artifact libFuzzer wrote, named in its output
reproducer() {
	sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$1" | tail -n 1
}

fail() {	# fail WHAT LOG
	local r
	r=$(reproducer "$2")
	echo "FUZZ FAILURE: fuzz_$t: $1"
	if [ -n "$r" ]; then
		echo "reproducer: $r"
		echo "replay it:  tests/fuzz/fuzz_$t $r"
	fi
	exit 1
}

log=$(mktemp)
scratch=$(mktemp -d)
trap 'rm -rf "$log" "$scratch"' EXIT

n=$(find "corpus/$t" -type f | wc -l)
echo "== fuzz_$t: replaying $n corpus inputs"
# -runs=0 runs every input of the given directories once
if ! "$bin" "${opts[@]}" -runs=0 "corpus/$t" >"$log" 2>&1; then
	tail -n 60 "$log"
	fail "an input of corpus/$t fails" "$log"
fi
grep -E 'INITED|Done' "$log" | tail -n 2

[ "$secs" -gt 0 ] || exit 0
echo "== fuzz_$t: fuzzing for $secs s"
if ! "$bin" "${opts[@]}" -max_total_time="$secs" "$@" \
	"$scratch" "corpus/$t" >"$log" 2>&1; then
	tail -n 60 "$log"
	fail "found a failing input" "$log"
fi
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|cov:' "$log" |
	tail -n 4
if [ -n "${FUZZ_KEEP:-}" ]; then
	mkdir -p "$FUZZ_KEEP"
	cp -n "$scratch"/* "$FUZZ_KEEP"/ 2>/dev/null
	echo "new inputs kept in $FUZZ_KEEP"
fi
exit 0
