#!/bin/bash
# ctl-flowdump-churn: flow dumps complete while the table changes, and the
# dump filters (origin, chain/spi, instance, dir) are exact.
#   scripts/vm-run.sh tests/vm/ctl-flowdump-churn.sh
#
# What it proves:
#  - a fixed set of 6000 entries (origin 2|3, spi 5|6, path 23 or 21,22,
#    dir forward|return) is installed first and never touched again;
#  - tests/tools/flowchurn then churns the table over netlink, aiming at
#    10000 new entries/s (FLOWCHURN_RATE): FLOW_INSTALL batches (64 flows
#    a message, many messages a sendmsg, no acks) create entries (origin
#    9, spi 7, path 30) up to 20000 live, then keep creating while
#    deleting the two oldest for each one created until none is left,
#    cycle after cycle, and replace a random live one after a quarter of
#    the creations: the rhashtable grows and shrinks (resizes) while the
#    dumps run;
#  - meanwhile `apsmctl -j flow show` (the dump apsmd's snapshots and
#    anti-entropy read, lib/flow.c) runs again and again, and a filtered
#    one (origin 2) every other time: every dump exits 0 (no "kept
#    changing"), and every dump holds each of the 6000 fixed entries
#    (the filtered one each of the 3000 of origin 2, and nothing else),
#    with the values installed (duplicates, allowed across a resize, are
#    counted and printed); nothing else than fixed or churn entries
#    appears; the creation rate flowchurn reached while each dump ran is
#    printed (not asserted: the VM runs under TCG; the KUnit suite
#    apsm_rds_walk proves the walk at well over 10k changes/s);
#  - flowchurn got no error from the kernel, and deleted its entries;
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
# Environment: FLOWCHURN_RATE (10000) entries created per second to aim at.

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
PY=/usr/bin/python3
NL=tests/tools/apsm_nl.py
CHURN=tests/tools/flowchurn
RATE=${FLOWCHURN_RATE:-10000}
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
[ -x "$CHURN" ] || fail "$CHURN missing: run 'make userspace'"
tmp=$(mktemp -d)
F=6000
CMAX=20000	# live churn entries at the top of a cycle

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

# status: "ms created replaced deleted errors cycles live"
st() { cat "$tmp/churn.st" 2>/dev/null || echo "0 0 0 0 0 0 0"; }
stf() { st | cut -d' ' -f"$1"; }
"$CHURN" -r "$RATE" -m "$CMAX" -s "$tmp/churn.st" >"$tmp/churn.out" 2>"$tmp/churn.err" &
churn_pid=$!
bg_pids+=("$churn_pid")
on_exit bg_stop
churning() { [ "$(stf 2)" -gt 0 ]; }
wait_until 30 churning || fail "flowchurn created nothing: $(cat "$tmp/churn.err")"

cat >"$tmp/check.py" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
origin = int(sys.argv[3]) if len(sys.argv) > 3 else 0
want = {}
for i in range(1, n + 1):
    if origin and (2 if i % 2 else 3) != origin:
        continue
    key = ("tcp", "10.1.%d.%d" % (i // 256, i % 256), i, "192.0.2.1", 80)
    want[key] = ("return" if i % 5 == 0 else "forward", 5 if i % 3 == 0 else 6,
                 [21, 22] if i % 4 == 0 else [23], 2 if i % 2 else 3, i)
got, dups, churn, other = {}, 0, 0, []
for e in data:
    key = (e["proto"], e["src"], e["sport"], e["dst"], e["dport"])
    if e["origin"] == 9 and e["src"].startswith("10.2.") and e["spi"] == 7 and not origin:
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

log "dumping while flowchurn runs (aiming at $RATE created/s)"
d=0
c0=$(stf 2)
m0=$(stf 1)
while :; do
	d=$((d + 1))
	read -ra a < <(st)
	s=${EPOCHREALTIME/[!0-9]/}
	filt=()
	want_n=$F
	if [ $((d % 2)) = 0 ]; then
		filt=(origin 2)
		want_n=3000
	fi
	"$CTL" -j flow show "${filt[@]}" >"$tmp/dump.json" 2>"$tmp/dump.err" ||
		fail "dump $d (flow show ${filt[*]}) failed: $(cat "$tmp/dump.err")"
	read -ra b < <(st)
	dms=$((b[0] - a[0]))
	log "dump $d (flow show ${filt[*]}): $(jq length "$tmp/dump.json") entries in $(ms "$s") ms; meanwhile $((b[1] - a[1])) created, $((b[2] - a[2])) replaced, $((b[3] - a[3])) deleted: $(( dms > 0 ? (b[1] - a[1]) * 1000 / dms : 0 )) created/s, $(( dms > 0 ? (b[1] + b[2] + b[3] - a[1] - a[2] - a[3]) * 1000 / dms : 0 )) changes/s; $((b[6])) live"
	"$PY" "$tmp/check.py" "$tmp/dump.json" "$F" ${filt[1]:+"${filt[1]}"} ||
		fail "dump $d (flow show ${filt[*]}) lacks fixed entries"
	[ "$(jq length "$tmp/dump.json")" -ge "$want_n" ] || fail "dump $d: fewer than $want_n entries"
	bg_gone "$churn_pid" && fail "flowchurn ended on its own: $(cat "$tmp/churn.err" "$tmp/churn.out")"
	[ "$(stf 6)" -ge 2 ] && [ "$d" -ge 6 ] && break
	[ "$d" -ge 200 ] && fail "flowchurn made only $(stf 6) cycles in $d dumps"
done
c1=$(stf 2)
m1=$(stf 1)
log "$d dumps, $(stf 6) flowchurn cycles of $CMAX; while dumping: $((c1 - c0)) created in $((m1 - m0)) ms: $(( (c1 - c0) * 1000 / (m1 - m0 > 0 ? m1 - m0 : 1) )) created/s (aim: $RATE)"
[ "$((c1 - c0))" -gt 0 ] || fail "nothing was created while the dumps ran: the test proved nothing"

kill -TERM "$churn_pid"
churn_done() { bg_gone "$churn_pid"; }
wait_until 600 churn_done || fail "flowchurn did not stop"
rc=0
wait "$churn_pid" || rc=$?
log "$(cat "$tmp/churn.out")"
[ "$rc" = 0 ] || fail "flowchurn: status $rc: $(cat "$tmp/churn.err")"
assert_eq "$(stf 5)" 0 "flowchurn errors"
assert_eq "$(stf 7)" 0 "live churn entries after flowchurn stopped"
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
