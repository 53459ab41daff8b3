#!/bin/bash
# ctl-flowdump-churn: flow dumps complete while the table changes, and the
# dump filters (origin, chain/spi, instance, dir) are exact.
#   scripts/vm-run.sh tests/vm/ctl-flowdump-churn.sh
#
# What it proves:
#  - a fixed set of 6000 entries (origin 2|3, spi 5|6, path 23 or 21,22,
#    dir forward|return) is installed first and never touched again;
#  - a background loop then churns the table: `apsmctl -b` batches install
#    20000 more entries (origin 9, spi 7, path 30), then delete them all,
#    cycle after cycle, so the rhashtable grows and shrinks (resizes)
#    while the dumps run;
#  - meanwhile `apsmctl -j flow show` runs again and again: every dump
#    exits 0 (no "kept changing"), and every dump holds each of the 6000
#    fixed entries, with the values installed (duplicates, allowed across
#    a resize, are counted and printed); nothing else than fixed or churn
#    entries appears;
#  - once the churn stopped (after a full cycle: only the fixed set is
#    left), the kernel-side filters return exact counts: origin 2 -> 3000,
#    spi 5 -> 2000, chain web (spi 5) -> 2000, instance 22 -> 1500,
#    instance 23 -> 4500, dir return -> 1200, origin 3 + spi 5 + instance
#    22 + dir return -> 100, origin 2 + instance 22 -> 0; every entry
#    returned matches its filter;
#  - a dump request with a filter the kernel does not take (SRC, a PATH of
#    two ids) is refused with EINVAL and an extack message; `flow show`
#    with an unknown chain name is refused by apsmctl.
# Run time under TCG: a few minutes (dumps of up to 26000 entries).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
PY=/usr/bin/python3
NL=tests/tools/apsm_nl.py
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)
F=6000
B=20		# churn batches
BN=1000		# entries per churn batch

unload_apsm
pp load_apsm
on_exit unload_apsm

out() { "$CTL" "$@" || fail "apsmctl $* failed"; }
ms() { echo $(((${EPOCHREALTIME/[!0-9]/} - $1) / 1000)); }

pp "$CTL" node set id 1 timeout-tcp 86400 timeout-udp 86400 timeout-other 86400
pp "$CTL" service add fw
pp "$CTL" chain add web spi 5 services fw

# The fixed set: entry i (1..F), the same generator in awk and python.
awk -v n="$F" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "flow install dir %s proto tcp src 10.1.%d.%d sport %d dst 192.0.2.1 dport 80 spi %d path %s origin %d version %d\n", \
			(i % 5 == 0) ? "return" : "forward", int(i / 256), i % 256, \
			i, (i % 3 == 0) ? 5 : 6, (i % 4 == 0) ? "21,22" : "23", \
			(i % 2) ? 2 : 3, i
}' >"$tmp/fixed.apsm"
pp "$CTL" -b "$tmp/fixed.apsm"
assert_eq "$(out -j node show | jq .rds_count)" "$F" "rds_count after the fixed set"

# Churn batches: ins.K installs BN entries, del.K deletes them.
for ((k = 1; k <= B; k++)); do
	awk -v k="$k" -v n="$BN" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "flow install dir forward proto udp src 10.2.%d.%d sport %d dst 192.0.2.2 dport 53 spi 7 path 30 origin 9 version 1\n", \
				k, i % 250, i + 1
	}' >"$tmp/ins.$k"
	awk -v k="$k" -v n="$BN" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "flow del proto udp src 10.2.%d.%d sport %d dst 192.0.2.2 dport 53\n", \
				k, i % 250, i + 1
	}' >"$tmp/del.$k"
done

# Full cycles only: when it stops, no churn entry is left.
churn() {
	local k
	while :; do
		for ((k = 1; k <= B; k++)); do
			"$CTL" -b "$tmp/ins.$k" || { echo "install batch $k failed" >"$tmp/churn.err"; return 1; }
			echo "i$k" >>"$tmp/progress"
		done
		for ((k = 1; k <= B; k++)); do
			"$CTL" -b "$tmp/del.$k" || { echo "delete batch $k failed" >"$tmp/churn.err"; return 1; }
			echo "d$k" >>"$tmp/progress"
		done
		echo cycle >>"$tmp/progress"
		[ -e "$tmp/stop" ] && return 0
	done
}
: >"$tmp/progress"
churn &
churn_pid=$!
bg_pids+=("$churn_pid")
on_exit bg_stop

cat >"$tmp/check.py" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
want = {}
for i in range(1, n + 1):
    key = ("tcp", "10.1.%d.%d" % (i // 256, i % 256), i, "192.0.2.1", 80)
    want[key] = ("return" if i % 5 == 0 else "forward", 5 if i % 3 == 0 else 6,
                 [21, 22] if i % 4 == 0 else [23], 2 if i % 2 else 3, i)
got, dups, churn, other = {}, 0, 0, []
for e in data:
    key = (e["proto"], e["src"], e["sport"], e["dst"], e["dport"])
    if e["origin"] == 9 and e["src"].startswith("10.2.") and e["spi"] == 7:
        churn += 1
        continue
    if key not in want:
        other.append(key)
        continue
    dups += key in got
    got[key] = (e["dir"], e["spi"], e["path_ids"], e["origin"], e["version"])
missing = set(want) - set(got)
wrong = [k for k in got if got[k] != want[k]]
print("dump: %d entries: %d fixed (%d duplicates), %d churn; %d fixed missing, %d wrong, %d unexpected"
      % (len(data), len(got), dups, churn, len(missing), len(wrong), len(other)))
if missing:
    print("missing, e.g.", sorted(missing)[:3])
if wrong:
    print("wrong, e.g.", wrong[0], got[wrong[0]], want[wrong[0]])
if other:
    print("unexpected, e.g.", other[:3])
sys.exit(1 if missing or wrong or other else 0)
EOF

cycles() { grep -c cycle "$tmp/progress"; }
batches() { wc -l <"$tmp/progress"; }
log "dumping while the churn runs"
d=0
during=0
while :; do
	d=$((d + 1))
	b0=$(batches)
	s=${EPOCHREALTIME/[!0-9]/}
	"$CTL" -j flow show >"$tmp/dump.json" 2>"$tmp/dump.err" ||
		fail "dump $d failed: $(cat "$tmp/dump.err")"
	b1=$(batches)
	during=$((during + b1 - b0))
	log "dump $d: $(jq length "$tmp/dump.json") entries in $(ms "$s") ms; $((b1 - b0)) churn batches of $BN completed meanwhile"
	"$PY" "$tmp/check.py" "$tmp/dump.json" "$F" || fail "dump $d lacks fixed entries"
	[ -e "$tmp/churn.err" ] && fail "churn: $(cat "$tmp/churn.err")"
	bg_gone "$churn_pid" && fail "the churn loop ended on its own"
	[ "$(cycles)" -ge 2 ] && [ "$d" -ge 5 ] && break
	[ "$d" -ge 200 ] && fail "the churn made only $(cycles) cycles in $d dumps"
done
log "$d dumps, $(cycles) churn cycles, $during churn batches completed while a dump ran"
[ "$during" -gt 0 ] || fail "no churn batch completed while a dump ran: the test proved nothing"

touch "$tmp/stop"
churn_done() { bg_gone "$churn_pid"; }
wait_until 600 churn_done || fail "the churn loop did not stop"
wait "$churn_pid" || fail "churn: $(cat "$tmp/churn.err" 2>/dev/null)"
assert_eq "$(out -j node show | jq .rds_count)" "$F" "rds_count after the churn"

log "filters"
# count ARGS...: the entries `flow show ARGS` returns, each checked against
# the jq condition in $want_jq.
count() {
	local n
	"$CTL" -j flow show "$@" >"$tmp/f.json" || fail "flow show $* failed"
	n=$(jq length "$tmp/f.json")
	[ "$(jq "[.[] | select(($want_jq) | not)] | length" "$tmp/f.json")" = 0 ] ||
		fail "flow show $*: entries not matching ($want_jq): $(jq -c "[.[] | select(($want_jq) | not)][0]" "$tmp/f.json")"
	echo "$n"
}
want_jq='true'
assert_eq "$(count)" "$F" "flow show (no filter)"
want_jq='.origin == 2'
assert_eq "$(count origin 2)" 3000 "flow show origin 2"
want_jq='.spi == 5'
assert_eq "$(count spi 5)" 2000 "flow show spi 5"
assert_eq "$(count chain web)" 2000 "flow show chain web"
want_jq='.path_ids | index(22) != null'
assert_eq "$(count instance 22)" 1500 "flow show instance 22"
want_jq='.path_ids | index(23) != null'
assert_eq "$(count instance 23)" 4500 "flow show instance 23"
want_jq='.dir == "return"'
assert_eq "$(count dir return)" 1200 "flow show dir return"
want_jq='.dir == "forward"'
assert_eq "$(count dir forward)" 4800 "flow show dir forward"
want_jq='.origin == 3 and .spi == 5 and .dir == "return" and (.path_ids | index(22) != null)'
assert_eq "$(count origin 3 chain web instance 22 dir return)" 100 "flow show with four filters"
want_jq='false'
assert_eq "$(count origin 2 instance 22)" 0 "flow show origin 2 instance 22"
assert_eq "$(out -j flow show origin 2 instance 22)" "[]" "empty filtered dump"

# Refused filters.
raw_refused() {	# raw_refused MSG ATTR...: a FLOW_GET dump with the nest ATTRs
	local want=$1 rc
	shift
	rc=0
	"$PY" "$NL" --dump flow-get "$@" >/dev/null 2>"$tmp/raw.err" || rc=$?
	[ "$rc" = 22 ] || fail "dump filter $*: status $rc, want 22 (EINVAL): $(cat "$tmp/raw.err")"
	grep -q -- "$want" "$tmp/raw.err" || fail "dump filter $*: error '$(cat "$tmp/raw.err")' lacks '$want'"
}
raw_refused "filters only on ORIGIN, SPI, DIR and PATH" src=10.1.0.1
raw_refused "PATH filter is one nonzero instance id" path=21,22
raw_refused "PATH filter is one nonzero instance id" path=u32:0
"$PY" "$NL" --dump flow-get origin=2 >"$tmp/raw.out" || fail "raw dump with origin=2 refused"
assert_eq "$(grep -c . "$tmp/raw.out")" 3000 "raw dump origin=2 (one message line per entry)"
"$CTL" flow show chain nosuch 2>"$tmp/e" && fail "flow show chain nosuch succeeded"
assert_match "$(cat "$tmp/e")" 'no such chain "nosuch"' "flow show chain nosuch"

pp "$CTL" flow flush
pp unload_apsm
log "ctl-flowdump-churn: OK ($(ms "$t0") ms)"
