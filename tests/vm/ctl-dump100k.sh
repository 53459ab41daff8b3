#!/bin/bash
# ctl-dump100k: a 100000-entry RDS dumps completely and exactly.
#   scripts/vm-run.sh tests/vm/ctl-dump100k.sh
#
# What it proves:
#  - 100000 distinct entries (90000 IPv4 tcp/udp, 10000 IPv6 udp, a mix of
#    forward/return, paths of 1 to 3 instances) go in through
#    `apsmctl -b` of `flow install` lines (one netlink request per line;
#    the time is measured and printed);
#  - `apsmctl -j flow show` (a resumable dump over many netlink messages,
#    which the rhashtable may resize under) returns exactly 100000 entries,
#    all distinct, and the set of their keys (proto, src, sport, dst, dport)
#    equals the set generated; every entry's dir, spi, path and version
#    are the ones installed;
#  - `node show` rds_count and the apsm_rds slab cache agree (100000), and
#    stats rds_installed grew by 100000;
#  - flush brings everything back to 0.
# Run time under TCG: about 60-90 s (phases timed and printed).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
PY=/usr/bin/python3
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)
N=100000
N4=90000

unload_apsm
pp load_apsm
on_exit unload_apsm

out() { "$CTL" "$@" || fail "apsmctl $* failed"; }
ms() { echo $(((${EPOCHREALTIME/[!0-9]/} - $1) / 1000)); }

pp "$CTL" node set id 1
slab0=$(slab_objs apsm_rds)
inst0=$(out -j stats show | jq .rds_installed)

# Entry i (1..N). The same generator, in awk here and in python below.
s=${EPOCHREALTIME/[!0-9]/}
awk -v n="$N" -v n4="$N4" 'BEGIN {
	for (i = 1; i <= n; i++) {
		dir = (i % 3 == 0) ? "return" : "forward"
		path = (i % 4 == 0) ? "11,12,13" : (i % 2 == 0) ? "11,12" : "11"
		if (i <= n4) {
			proto = (i % 2) ? "udp" : "tcp"
			src = sprintf("10.%d.%d.%d", int(i / 65536) % 256, int(i / 256) % 256, i % 256)
			dst = "192.0.2.1"
		} else {
			proto = "udp"
			src = sprintf("2001:db8::%x:%x", int(i / 65536), i % 65536)
			dst = "2001:db8:ffff::1"
		}
		printf "flow install dir %s proto %s src %s sport %d dst %s dport %d spi %d path %s origin 1 version %d\n", \
			dir, proto, src, i % 50000 + 1, dst, i % 1000 + 1, i % 7 + 1, path, i
	}
}' >"$tmp/all.apsm"
log "generated $(wc -l <"$tmp/all.apsm") lines in $(ms "$s") ms"

s=${EPOCHREALTIME/[!0-9]/}
pp "$CTL" -b "$tmp/all.apsm"
t_install=$(ms "$s")
log "installed $N entries with apsmctl -b in $t_install ms ($((N * 1000 / (t_install + 1))) per second)"

assert_eq "$(out -j node show | jq .rds_count)" "$N" "node rds_count"
assert_eq "$(slab_objs apsm_rds)" "$((slab0 + N))" "apsm_rds slab objects"
assert_eq "$(out -j stats show | jq .rds_installed)" "$((inst0 + N))" "stats rds_installed"

s=${EPOCHREALTIME/[!0-9]/}
out -j flow show >"$tmp/flows.json"
log "apsmctl -j flow show: $(stat -c %s "$tmp/flows.json") bytes in $(ms "$s") ms"

s=${EPOCHREALTIME/[!0-9]/}
"$PY" - "$tmp/flows.json" "$N" "$N4" <<'EOF' || fail "the dump does not match what was installed"
import ipaddress, json, sys
data = json.load(open(sys.argv[1]))
n, n4 = int(sys.argv[2]), int(sys.argv[3])
want = {}
for i in range(1, n + 1):
    if i <= n4:
        key = ("udp" if i % 2 else "tcp",
               "10.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256, i % 256),
               i % 50000 + 1, "192.0.2.1", i % 1000 + 1)
    else:
        key = ("udp", str(ipaddress.ip_address("2001:db8::%x:%x" % (i >> 16, i & 0xffff))),
               i % 50000 + 1, "2001:db8:ffff::1", i % 1000 + 1)
    path = [11, 12, 13] if i % 4 == 0 else [11, 12] if i % 2 == 0 else [11]
    want[key] = ("return" if i % 3 == 0 else "forward", i % 7 + 1, path, i)
got = {}
dups = 0
for e in data:
    key = (e["proto"], e["src"], e["sport"], e["dst"], e["dport"])
    dups += key in got
    got[key] = (e["dir"], e["spi"], e["path_ids"], e["version"])
print("dump: %d entries, %d distinct keys, %d duplicates; want %d" %
      (len(data), len(got), dups, len(want)))
missing = set(want) - set(got)
extra = set(got) - set(want)
wrong = [k for k in set(want) & set(got) if want[k] != got[k]]
for name, s in (("missing", missing), ("unexpected", extra)):
    if s:
        print("%d %s, e.g. %s" % (len(s), name, sorted(s)[:3]))
if wrong:
    print("%d with wrong values, e.g. %s: got %s, want %s" %
          (len(wrong), wrong[0], got[wrong[0]], want[wrong[0]]))
sys.exit(1 if len(data) != n or dups or missing or extra or wrong else 0)
EOF
log "compared in $(ms "$s") ms"

s=${EPOCHREALTIME/[!0-9]/}
pp "$CTL" flow flush
log "flushed in $(ms "$s") ms"
assert_eq "$(out -j flow show)" "[]" "flow show after flush"
assert_eq "$(out -j node show | jq .rds_count)" 0 "rds_count after flush"
rds_back() { [ "$(slab_objs apsm_rds)" -eq "$slab0" ]; }
wait_until 30 rds_back ||
	fail "apsm_rds objects after flush: $(slab_objs apsm_rds), expected $slab0"
pp unload_apsm
log "ctl-dump100k: OK ($(ms "$t0") ms)"
