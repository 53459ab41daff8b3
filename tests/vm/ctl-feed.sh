#!/bin/bash
# ctl-feed: the kernel change feed (APSM_CMD_FLOW_CHANGES, `apsmctl flow
# changes`) cannot lose a change without saying exactly which.
#   scripts/vm-run.sh tests/vm/ctl-feed.sh
#
# What it proves, with `node set feed-size 64`:
#  - node show reports feed_size; a size that is not a power of two, or
#    out of range, is refused with a clear message; the dump's request is
#    strict (an attribute it does not use, or a read-only one, is refused
#    with an extack message);
#  - 100 changes made while nobody reads: reading from the cursor taken
#    before them says behind, FIRST is exactly NEXT - 64, NEXT exactly the
#    old NEXT + 100, and the 64 kept changes are FIRST..NEXT-1 in order;
#    LIMIT cuts the read where it says;
#  - a reader that keeps up (a cursor loop after every step) gets every
#    change exactly once, in seq order, with no gap and never behind, and
#    they are exactly what the test did: installs from a peer (INSTALL),
#    replacements by a newer version (one INSTALL change each, not a
#    del + new pair), operator deletes (DELETE), a peer's deletes
#    (PEER_DEL), idle expiries (EXPIRE) and a flush (FLUSH), each with the
#    flow's key and version;
#  - the "rds" multicast carries each change this node made with its seq
#    and cause, the same seq the feed gives that change.
# (INSERT, the packet path's cause, goes through the same RDS hook; the
# KUnit suite apsm_feed covers it.)

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

CTL=$APSM_CTL
PY=/usr/bin/python3
NL="$PY tests/tools/apsm_nl.py"
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)
SIZE=64
U64_MAX=18446744073709551615

unload_apsm
pp load_apsm
on_exit unload_apsm

ctl() { pp "$CTL" "$@"; }
out() { "$CTL" "$@" || fail "apsmctl $* failed"; }
nextseq() { out -j flow changes from "$U64_MAX" | jq .next; }

# flow N (udp 10.1.X.Y:1000 > 10.255.0.1:53) as apsmctl words
fkey() { printf 'proto udp src 10.1.%d.%d sport 1000 dst 10.255.0.1 dport 53' $(($1 >> 8)) $(($1 & 255)); }
install_lines() { # FROM TO VERSION
	local i
	for ((i = $1; i <= $2; i++)); do
		printf 'flow install dir forward %s spi 10 path 4097 origin 2 version %d\n' "$(fkey "$i")" "$3"
	done
}

# ---------------------------------------------------------------- setup
ctl node set id 1 feed-size "$SIZE"
assert_eq "$(out -j node show | jq .feed_size)" "$SIZE" "feed_size"
assert_match "$(out node show)" " feed-size $SIZE\$" "node show text"

log "bad sizes and bad requests are refused"
err=$("$CTL" node set feed-size 100 2>&1) && fail "feed-size 100 accepted"
assert_match "$err" "power of two" "feed-size 100"
"$CTL" node set feed-size 32 2>/dev/null && fail "feed-size 32 accepted"
err=$($NL node-set feed_size=u32:8388608 2>&1) && fail "feed-size 8M accepted"
log "  8M: $err"
err=$($NL node-set feed_size=u32:96 2>&1) && fail "feed-size 96 accepted"
assert_match "$err" "power of two" "kernel: feed-size 96"
assert_eq "$(out -j node show | jq .feed_size)" "$SIZE" "feed_size kept"
err=$($NL --dump --no-nest flow-changes +node id=1 2>&1) && fail "flow-changes with a node nest accepted"
assert_match "$err" "EINVAL.*attribute not used by flow changes" "strict flow-changes"
err=$($NL --dump --no-nest flow-changes ^feed_first=u64:1 2>&1) && fail "flow-changes with FIRST accepted"
assert_match "$err" "read-only attribute" "read-only FIRST"
err=$($NL --dump --no-nest flow-changes ^feed_cursor=u32:1 2>&1) && fail "a 4-byte cursor accepted"
log "  4-byte cursor: $err"

# ------------------------------------------------ A: behind, exactly
n0=$(nextseq)
log "NEXT is $n0; 100 changes nobody reads"
install_lines 1 100 1 >"$tmp/a.apsm"
out -b "$tmp/a.apsm"
out -j flow changes from "$n0" >"$tmp/a.json"
assert_eq "$(jq .behind "$tmp/a.json")" true "behind after 100 changes in a feed of $SIZE"
assert_eq "$(jq .next "$tmp/a.json")" $((n0 + 100)) "NEXT after 100 changes"
assert_eq "$(jq .first "$tmp/a.json")" $((n0 + 100 - SIZE)) "FIRST exactly NEXT - size"
assert_eq "$(jq .count "$tmp/a.json")" "$SIZE" "changes kept"
assert_eq "$(jq -c '[.changes[].seq] == [range(.first; .next)]' "$tmp/a.json")" true "kept seqs FIRST..NEXT-1 in order"
assert_eq "$(jq -c '[.changes[] | select(.cause != "install" or .op != "new")] | length' "$tmp/a.json")" 0 "all INSTALL/new"
# the last kept change is flow 100
assert_eq "$(jq -r '.changes[-1].src' "$tmp/a.json")" 10.1.0.100 "last change's flow"
assert_eq "$(out -j flow changes | jq '[.behind, .count, .changes[0].seq]' -c)" "[false,$SIZE,$((n0 + 100 - SIZE))]" "from 0: the oldest kept, not behind"
assert_eq "$(out -j flow changes from $((n0 + 50)) limit 10 | jq -c '[.behind, .count, .changes[0].seq, .changes[-1].seq, .cursor]')" \
	"[false,10,$((n0 + 50)),$((n0 + 59)),$((n0 + 60))]" "limit 10"
out flow changes from $((n0 + 98)) >"$tmp/a.txt"
log "text: $(head -c 300 "$tmp/a.txt")"
assert_match "$(head -1 "$tmp/a.txt")" "^first $((n0 + 100 - SIZE)) next $((n0 + 100)) behind no cursor $((n0 + 100)) count 2\$" "text header"
assert_match "$(sed -n 2p "$tmp/a.txt")" "^seq $((n0 + 98)) cause install op new dir forward proto udp src 10.1.0.99 sport 1000 dst 10.255.0.1 dport 53 spi 10 path 4097 origin 2 version 1\$" "text change line"
ctl flow flush

# ------------------------------------------ B: a reader that keeps up
cursor=$(nextseq)
start=$cursor
: >"$tmp/expect"
: >"$tmp/got"
# expect CAUSE OP VERSION N... : what the next step must produce
expect() {
	local c=$1 o=$2 v=$3 i
	shift 3
	for i in "$@"; do
		printf '%s %s 10.1.%d.%d %s\n' "$c" "$o" $((i >> 8)) $((i & 255)) "$v"
	done >"$tmp/step.expect"
}
# read from the cursor, check the step, move the cursor; ORDERED: exact
# order, else (hash order: expiry, flush) as a multiset
read_step() {
	local name=$1 ordered=$2
	out -j flow changes from "$cursor" >"$tmp/step.json"
	assert_eq "$(jq .behind "$tmp/step.json")" false "$name: not behind"
	assert_eq "$(jq -c "[.changes[].seq] == [range($cursor; $cursor + .count)]" "$tmp/step.json")" true \
		"$name: seqs from the cursor $cursor on, no gap"
	jq -r '.changes[] | "\(.cause) \(.op) \(.src) \(.version)"' "$tmp/step.json" >"$tmp/step.got"
	if [ "$ordered" = ordered ]; then
		diff -u "$tmp/step.expect" "$tmp/step.got" >&2 || fail "$name: changes differ from what the test did"
	else
		diff -u <(sort "$tmp/step.expect") <(sort "$tmp/step.got") >&2 || fail "$name: changes differ from what the test did"
	fi
	jq -r '.changes[] | "\(.seq) \(.cause) \(.src) \(.version)"' "$tmp/step.json" >>"$tmp/got"
	cat "$tmp/step.expect" >>"$tmp/expect"
	cursor=$(jq .cursor "$tmp/step.json")
	log "$name: $(wc -l <"$tmp/step.got") changes, cursor now $cursor"
}

log "B1: 20 installs from a peer"
install_lines 1 20 1 >"$tmp/b.apsm"
out -b "$tmp/b.apsm"
expect install new 1 $(seq 1 20)
read_step installs ordered

log "B2: 5 replaced by a newer version: one change each"
install_lines 1 5 2 >"$tmp/b.apsm"
out -b "$tmp/b.apsm"
expect install new 2 $(seq 1 5)
read_step replacements ordered
assert_eq "$(out -j node show | jq .rds_count)" 20 "rds_count after replacements"

log "B3: 5 operator deletes (and one of nothing: no change)"
for i in 6 7 8 9 10; do out flow del $(fkey $i); done
"$CTL" flow del $(fkey 999) 2>/dev/null && fail "del of nothing succeeded"
expect delete del 1 6 7 8 9 10
read_step deletes ordered

log "B4: 3 deletes from the peer (and a stale install: no change)"
for i in 11 12 13; do
	$NL flow-install family=2 proto=17 src=10.1.0.$i dst=10.255.0.1 sport=1000 dport=53 \
		dir=forward spi=10 path=4097 origin=2 version=1 op=del >/dev/null ||
		fail "peer delete of flow $i"
done
install_lines 1 1 1 >"$tmp/b.apsm"
out -b "$tmp/b.apsm"	# version 1 < 2 there: ignored as stale
expect peer-del del 1 11 12 13
read_step peer-deletes ordered

log "B5: the other 12 expire (timeout-udp 1 s)"
ctl node set timeout-udp 1
wait_until 60 sh -c "[ \"\$($CTL -j node show | jq .rds_count)\" = 0 ]" ||
	fail "entries did not expire: $(out -j node show | jq .rds_count) left"
ctl node set timeout-udp 300
{ expect expire del 2 1 2 3 4 5; cp "$tmp/step.expect" "$tmp/e1"; }
expect expire del 1 $(seq 14 20)
cat "$tmp/e1" >>"$tmp/step.expect"
read_step expiries unordered

log "B6: 10 installs, then a flush"
install_lines 30 39 1 >"$tmp/b.apsm"
out -b "$tmp/b.apsm"
expect install new 1 $(seq 30 39)
read_step installs-2 ordered
ctl flow flush
expect flush del 1 $(seq 30 39)
read_step flush unordered

# every change once, in seq order, from the first cursor to the last
assert_eq "$(wc -l <"$tmp/got")" "$(wc -l <"$tmp/expect")" "changes read vs changes made"
assert_eq "$(awk -v s="$start" '$1 != s + NR - 1 { bad = 1 } END { print bad + 0 }' "$tmp/got")" 0 "seqs contiguous from $start"
assert_eq "$(nextseq)" "$cursor" "the reader's cursor is NEXT"
log "B: $(wc -l <"$tmp/got") changes, seqs $start..$((cursor - 1)), each once"

# ------------------------------------------- C: the multicast's seqs
log "C: the rds multicast carries seq and cause"
$NL -j monitor --group rds --timeout 120 >"$tmp/mc.json" 2>"$tmp/mc.err" &
bg_pids+=($!)
on_exit bg_stop
# The monitor joins after it starts: make probe deletes until it hears one.
heard() {
	install_lines 200 200 1 >"$tmp/p.apsm"
	"$CTL" -b "$tmp/p.apsm" && "$CTL" flow del $(fkey 200) || return 1
	grep -q '"seq"' "$tmp/mc.json"
}
wait_until 30 heard || fail "the monitor heard nothing: $(cat "$tmp/mc.err")"
c0=$(nextseq)
install_lines 210 212 1 >"$tmp/c.apsm"
out -b "$tmp/c.apsm"
for i in 210 211 212; do out flow del $(fkey $i); done
out -j flow changes from "$c0" >"$tmp/c.json"
jq -r '.changes[] | select(.cause == "delete") | "\(.seq) \(.src)"' "$tmp/c.json" >"$tmp/c.want"
assert_eq "$(wc -l <"$tmp/c.want")" 3 "three deletes in the feed"
mc_seqs() {
	$PY - "$tmp/mc.json" <<'EOF'
import ipaddress, json, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    flows = m.get("flow", [])
    if isinstance(flows, dict):
        flows = [flows]
    for f in flows:
        if "seq" not in f:
            print("NOSEQ", f)
            continue
        print(f["seq"], f.get("src"), f.get("cause"), f.get("op"))
EOF
}
got_all() {
	local s src
	mc_seqs >"$tmp/mc.got"
	while read -r s src; do
		grep -Eq "^$s $src (3|delete|APSM_RDS_DELETE) (2|del|APSM_RDS_OP_DEL)\$" "$tmp/mc.got" || return 1
	done <"$tmp/c.want"
}
wait_until 30 got_all || { cat "$tmp/mc.got" >&2; fail "the multicast lacks the deletes with their seqs: $(cat "$tmp/c.want")"; }
grep -q NOSEQ "$tmp/mc.got" && fail "a multicast entry without a seq: $(grep NOSEQ "$tmp/mc.got")"
# installs from a peer are not multicast (the peer announced them)
awk '$3 ~ /install/' "$tmp/mc.got" | grep -q . && fail "a peer's install was multicast"
log "multicast: $(grep -c . "$tmp/mc.got") entries, deletes at seqs $(cut -d' ' -f1 "$tmp/c.want" | tr '\n' ' ')"

dmesg | grep -Eq 'BUG:|WARNING:|Oops' && fail "kernel splat: $(dmesg | grep -E 'BUG:|WARNING:|Oops' | head -3)"
rm -rf "$tmp"
log "ctl-feed: ok"
