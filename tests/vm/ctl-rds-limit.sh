#!/bin/bash
# ctl-rds-limit: the node's rds-max bounds the RDS, refusals are counted.
#   scripts/vm-run.sh tests/vm/ctl-rds-limit.sh
#
# What it proves, with `node set rds-max 1000` and 1200 distinct flows:
#  - `apsmctl -b` of 1200 `flow install` lines stops at line 1001 with
#    "FILE:1001: ... RDS full" (exit 1): batch mode stops at the first
#    failure;
#  - the other 199 entries, sent as one FLOW_INSTALL carrying 199
#    APSM_A_FLOW nests (apsm_nl.py), are each refused: ENOSPC with the
#    extack "RDS full", and the kernel goes on through the whole message;
#  - exactly 1000 entries are present (`-j flow show`), and they are
#    exactly the first 1000 keys; `node show` says rds_count 1000;
#  - the RDS-full counter of `stats show -j` (its name is looked up among
#    the JSON keys: the one key with "rds" and "full" in it) grew by exactly
#    the 200 refused installs; no other insert counter moved by mistake;
#  - at the limit a newer version of an existing entry still replaces it
#    (not an insert), a delete makes room for exactly one more;
#  - `flow flush` empties it: 0 entries, rds_count 0, the apsm_rds slab
#    cache back to where it started; no kernel splat.
# Run time under TCG: about 40 s (printed at the end).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
PY=/usr/bin/python3
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)
MAX=1000
N=1200

unload_apsm
pp load_apsm
on_exit unload_apsm

ctl() { pp "$CTL" "$@"; }
out() { "$CTL" "$@" || fail "apsmctl $* failed"; }
nodeval() { out -j node show | jq ".$1"; }

ctl node set id 1 rds-max "$MAX"
assert_eq "$(nodeval rds_max)" "$MAX" "rds_max"
slab0=$(slab_objs apsm_rds)

stats0=$(out -j stats show)
full_key=$(jq -r '[keys[] | select(test("rds") and test("full"))] | if length == 1 then .[0] else error("RDS-full counter: \(.)") end' <<<"$stats0") ||
	fail "cannot tell the RDS-full counter among: $(jq -c keys <<<"$stats0")"
log "the RDS-full counter is $full_key"
statval() { out -j stats show | jq ".$1"; }
full0=$(jq ".$full_key" <<<"$stats0")
inst0=$(jq '.rds_installed' <<<"$stats0")

# Flow i: udp 10.X.Y.Z:i -> 10.255.0.1:53, path 4097, version 1.
key() { echo "10.$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }
# (printf, not $(key): a fork per line is slow under TCG.)
for ((i = 1; i <= N; i++)); do
	printf 'flow install dir forward proto udp src 10.%d.%d.%d sport %d dst 10.255.0.1 dport 53 spi 10 path 4097 origin 1 version 1\n' \
		$((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) $((i % 60000 + 1))
done >"$tmp/all.apsm"

log "apsmctl -b with $N flow installs"
rc=0
s=${EPOCHREALTIME/[!0-9]/}
"$CTL" -b "$tmp/all.apsm" 2>"$tmp/err" || rc=$?
log "-> exit $rc in $(((${EPOCHREALTIME/[!0-9]/} - s) / 1000)) ms: $(cat "$tmp/err")"
assert_eq "$rc" 1 "batch exit status at the limit"
assert_match "$(cat "$tmp/err")" "^apsmctl: $tmp/all.apsm:$((MAX + 1)): flow install: No space left on device: RDS full" \
	"batch error at the limit"
assert_eq "$(nodeval rds_count)" "$MAX" "rds_count after the batch"

log "the other $((N - MAX - 1)) in one FLOW_INSTALL message"
cat >"$tmp/rest.py" <<'EOF'
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "tools"))
import apsm_nl as nl
first, last = int(sys.argv[1]), int(sys.argv[2])
toks = []
for i in range(first, last + 1):
    toks += ["+flow", "family=inet", "proto=udp",
             "src=10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255),
             "sport=%d" % (i % 60000 + 1), "dst=10.255.0.1", "dport=53",
             "dir=forward", "spi=10", "path=4097", "origin=1", "version=u64:1"]
cmd = nl.cmd_number("flow-install")
try:
    nl.Apsm().request(cmd, nl.build_tree(cmd, toks, False))
except nl.ApsmError as e:
    print(e)
    sys.exit(0 if e.errno == 28 and "RDS full" in (e.msg or "") else 1)
sys.exit("FLOW_INSTALL beyond rds-max succeeded")
EOF
pp "$PY" "$tmp/rest.py" $((MAX + 2)) "$N" || fail "FLOW_INSTALL beyond rds-max: not ENOSPC/RDS full"

log "exactly the first $MAX keys are in"
out -j flow show >"$tmp/flows.json"
assert_eq "$(jq length "$tmp/flows.json")" "$MAX" "entries in flow show"
jq -r '.[] | "\(.src) \(.sport)"' "$tmp/flows.json" | sort >"$tmp/got"
for ((i = 1; i <= MAX; i++)); do
	printf '10.%d.%d.%d %d\n' $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) $((i % 60000 + 1))
done | sort >"$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || {
	diff "$tmp/want" "$tmp/got" | head >&2
	fail "the keys in the RDS are not the first $MAX installed"
}
assert_eq "$(nodeval rds_count)" "$MAX" "rds_count"
assert_eq "$(slab_objs apsm_rds)" "$((slab0 + MAX))" "apsm_rds slab objects"

stats1=$(out -j stats show)
assert_eq "$(jq ".$full_key" <<<"$stats1")" "$((full0 + N - MAX))" "$full_key after $((N - MAX)) refusals"
assert_eq "$(jq '.rds_installed' <<<"$stats1")" "$((inst0 + MAX))" "rds_installed"
for k in rds_insert_nomem rds_inserts; do
	assert_eq "$(jq ".$k" <<<"$stats1")" "$(jq ".$k" <<<"$stats0")" "$k (nothing inserted by packets)"
done

log "at the limit: replace, delete, one more"
ctl flow install dir return proto udp src "$(key 1)" sport 2 dst 10.255.0.1 dport 53 spi 10 path 4097,4098 origin 1 version 2
out -j flow get proto udp src "$(key 1)" sport 2 dst 10.255.0.1 dport 53 |
	jq -e '.[0].version == 2 and .[0].dir == "return" and .[0].path_ids == [4097, 4098]' >/dev/null ||
	fail "a newer version did not replace the entry at the limit"
assert_eq "$(nodeval rds_count)" "$MAX" "rds_count after a replacement"
if "$CTL" flow install dir forward proto udp src 10.254.0.1 sport 1 dst 10.255.0.1 dport 53 spi 10 path 4097 origin 1 version 1 2>/dev/null; then
	fail "a new entry went in at the limit"
fi
ctl flow del proto udp src "$(key 2)" sport 3 dst 10.255.0.1 dport 53
ctl flow install dir forward proto udp src 10.254.0.1 sport 1 dst 10.255.0.1 dport 53 spi 10 path 4097 origin 1 version 1
assert_eq "$(nodeval rds_count)" "$MAX" "rds_count after delete + install"
assert_eq "$(statval "$full_key")" "$((full0 + N - MAX + 1))" "$full_key after one more refusal"

log "flush"
ctl flow flush
assert_eq "$(out -j flow show)" "[]" "flow show after flush"
assert_eq "$(nodeval rds_count)" 0 "rds_count after flush"
rds_back() { [ "$(slab_objs apsm_rds)" -eq "$slab0" ]; }
wait_until 10 rds_back ||
	fail "apsm_rds objects after flush: $(slab_objs apsm_rds), expected $slab0"
pp unload_apsm
log "ctl-rds-limit: OK ($(((${EPOCHREALTIME/[!0-9]/} - t0) / 1000)) ms)"
