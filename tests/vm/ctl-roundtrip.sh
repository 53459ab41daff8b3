#!/bin/bash
# ctl-roundtrip: every apsmctl object round-trips through the kernel.
#   scripts/vm-run.sh tests/vm/ctl-roundtrip.sh
#
# What it proves, for node, peer, port, service, instance, chain, policy and
# flow (via `flow install`):
#  - after `add` (node: `set`), both `show` and `-j show` report exactly the
#    values given (and the documented defaults for what was left out: kernel
#    picked instance id = node id << 20 | n, default weight/state/mode, next
#    free SPI, policy prio = last + 100);
#  - `instance set` of weight, state, lladdr and noctx round-trips, and an
#    instance's port appears in `port show` as role nf;
#  - after `del` the object is gone from `show`, `-j show` and `show NAME`
#    (ENOENT), and its nf port with it; at the end every table is empty;
#  - `apsmctl -j monitor` started in the background sees an `events` message
#    for the add/set/del of every object, carrying the object's values, and
#    an `rds` del for the flows deleted by `flow del` and `flow flush`; the
#    `flow install`ed entries themselves are not re-sent on `rds` (they came
#    from a peer, which announced them).
# Run time under TCG: about 30 s (printed at the end).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
shopt -s lastpipe # `... | chk` records its check in this shell

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
PY=/usr/bin/python3
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)

unload_apsm
pp load_apsm
on_exit unload_apsm
modprobe veth 2>/dev/null || true
# No IPv6 on the test's links: neighbour discovery would tick packet counters.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

ctl() { pp "$CTL" "$@"; }
# Output of a command that must succeed (stderr passes through).
out() { "$CTL" "$@" || fail "apsmctl $* failed"; }

# JSON checks are recorded and run by one python at the end (a python
# start costs over a second under TCG): chk MODE ARGS < JSON
#   one KEY VAL EXPECTED_JSON   exactly one entry has KEY == VAL, and every
#                               field of EXPECTED_JSON equals the entry's
#   none KEY VAL                no entry has KEY == VAL
#   len N                       the array has N entries
#   obj EXPECTED_JSON           the (single object) output has those fields
nchk=0
chk() {
	nchk=$((nchk + 1))
	cat >"$tmp/chk.$nchk.json"
	printf '%s\0' "line ${BASH_LINENO[*]}" "$@" >"$tmp/chk.$nchk.args"
}
run_checks() {
	log "running $nchk recorded JSON checks"
	"$PY" - "$tmp" "$nchk" <<'EOF2' || fail "JSON checks failed (see above)"
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
def val(s):
    try:
        return json.loads(s)
    except ValueError:
        return s
def same(exp, got, what):
    bad = ["%s: got %r, expected %r" % (k, got.get(k, "<absent>"), v)
           for k, v in exp.items() if k not in got or got[k] != v]
    if bad:
        return "%s: %s; entry: %s" % (what, "; ".join(bad), json.dumps(got))
def check(data, mode, *a):
    if mode == "one":
        m = [e for e in data if e.get(a[0]) == val(a[1])]
        if len(m) != 1:
            return "%d entries with %s=%s in %s" % (len(m), a[0], a[1], json.dumps(data))
        return same(json.loads(a[2]), m[0], "%s=%s" % (a[0], a[1]))
    if mode == "none":
        if [e for e in data if e.get(a[0]) == val(a[1])]:
            return "entry %s=%s still there: %s" % (a[0], a[1], json.dumps(data))
    elif mode == "len":
        if not isinstance(data, list) or len(data) != int(a[0]):
            return "expected %s entries, got %s" % (a[0], json.dumps(data))
    elif mode == "obj":
        return same(json.loads(a[0]), data, "object")
    return None
bad = 0
for i in range(1, n + 1):
    args = open("%s/chk.%d.args" % (tmp, i)).read().split("\0")[:-1]
    try:
        err = check(json.load(open("%s/chk.%d.json" % (tmp, i))), *args[1:])
    except Exception as e:
        err = "bad JSON or check: %r" % e
    if err:
        bad += 1
        print("FAIL check %d (%s, %s): %s" % (i, args[0], " ".join(args[1:3]), err))
print("%d checks, %d failed" % (n, bad))
sys.exit(1 if bad else 0)
EOF2
}
# jget KEY JSONVAL FIELD < JSON array of flat objects: FIELD of that entry.
jget() {
	sed 's/},{/}\n{/g' | grep -F "\"$1\":$2," |
		sed -nE "s/.*\"$3\":(\"[^\"]*\"|[^,}]*).*/\1/p"
}
# jone OBJECT KEY VAL EXPECTED: `-j OBJECT show` has that one entry.
jone() { out -j "$1" show | chk one "$2" "$3" "$4"; }
jnone() { out -j "$1" show | chk none "$2" "$3"; }
jlen() { out -j "$1" show | chk len "$2"; }
# The text `show` line of an object, found by a word on it.
tline() { out "$1" show | grep -E -- "$2" || true; }

# ------------------------------------------------------------- devices
for p in up fab nf nfb; do
	pp ip link add "v${p}0" type veth peer name "v${p}1"
	ip link set "v${p}0" up
	ip link set "v${p}1" up
done
ifi() { cat "/sys/class/net/$1/ifindex"; }

# ------------------------------------------------------------- monitor
mon=$tmp/monitor.json
"$CTL" -j monitor >"$mon" 2>"$tmp/monitor.err" &
mon_pid=$!
stop_mon() { kill "$mon_pid" 2>/dev/null || true; }
on_exit stop_mon
# The monitor is subscribed once it reports a change made after it started.
mon_sees() { grep -q -- "$1" "$mon"; }
probe_monitor() {
	"$CTL" node set timeout-other 30 && mon_sees '"object":"node"'
}
wait_until 20 probe_monitor || fail "apsmctl monitor saw no event: $(cat "$tmp/monitor.err")"

# ---------------------------------------------------------------- node
log "node"
# defaults of the hold queue and of the peer-down policy
out -j node show | chk obj '{"hold_ms":50,"hold_max":1024,"hold_flow_max":16,
	"hold_expire":"pass","hold_count":0,"peerdown":"drop"}'
ctl node set id 7 rds-max 5000 policy-max 300 timeout-tcp 100 timeout-udp 20 timeout-other 5 \
	hold-ms 80 hold-max 500 hold-flow-max 8 hold-expire drop peerdown repin
out -j node show | chk obj '{"id":7,"rds_max":5000,"rds_count":0,"policy_max":300,
	"timeout_tcp_ms":100000,"timeout_udp_ms":20000,"timeout_other_ms":5000,
	"hold_ms":80,"hold_max":500,"hold_flow_max":8,"hold_expire":"drop","peerdown":"repin"}'
gen=$(out -j node show | jget id 7 generation)
assert_eq "$(out node show)" \
	"id 7 rds-max 5000 rds-count 0 policy-max 300 timeout-tcp 100 timeout-udp 20 timeout-other 5 generation $gen hold-ms 80 hold-max 500 hold-flow-max 8 hold-expire drop hold-count 0 peerdown repin feed-size 65536" \
	"node show"
# One attribute changes, the others keep their values; generation bumps.
ctl node set rds-max 6000
out -j node show | chk obj "{\"id\":7,\"rds_max\":6000,\"policy_max\":300,\"timeout_tcp_ms\":100000,\"generation\":$((gen + 1))}"
wait_until 10 mon_sees '"object":"node","op":"set".*"rds_max":6000' || fail "no node set event"

# ---------------------------------------------------------------- peer
log "peer"
ctl peer add id 2 dev vfab0 lladdr 02:00:00:00:00:02
jone peer id 2 "{\"id\":2,\"dev\":\"vfab0\",\"ifindex\":$(ifi vfab0),\"lladdr\":\"02:00:00:00:00:02\",\"tx_packets\":0,\"rx_packets\":0,\"state\":\"up\"}"
jlen peer 1
assert_eq "$(out peer show)" "id 2 dev vfab0 lladdr 02:00:00:00:00:02 tx-packets 0 rx-packets 0 state up updates-tx 0 updates-rx 0 batches-tx 0 batches-rx 0 auth-fail 0 replay 0 resync 0 last-rx-ms 0 lag-ms 0" "peer show"
# what apsmd does: state on heartbeat loss, replication figures; a set
# replaces only the figures it carries
ctl peer set id 2 state down updates-tx 11 lag-ms 7
ctl peer set id 2 batches-rx 3
repl='"repl":{"updates_tx":11,"updates_rx":0,"batches_tx":0,"batches_rx":3,"auth_fail":0,"replay":0,"resync":0,"last_rx_ms":0,"lag_ms":7}'
jone peer id 2 "{\"state\":\"down\",$repl}"
ctl peer set id 2 state up
jone peer id 2 "{\"state\":\"up\",$repl}"
err=$(out peer set id 2 2>&1) && fail "peer set with nothing to set accepted"
assert_match "$err" "nothing to set" "peer set without changes"
err=$(out peer set id 9 state down 2>&1) && fail "peer set of an unknown peer accepted"

# ---------------------------------------------------------------- port
log "port"
ctl port add dev vup0 role uplink
ctl port add dev vfab0 role fabric
jone port dev vup0 "{\"dev\":\"vup0\",\"ifindex\":$(ifi vup0),\"role\":\"uplink\",\"rx_packets\":0,\"tx_packets\":0}"
jone port dev vfab0 "{\"dev\":\"vfab0\",\"ifindex\":$(ifi vfab0),\"role\":\"fabric\"}"
jlen port 2
assert_eq "$(tline port 'dev vup0 ')" "dev vup0 role uplink rx-packets 0 tx-packets 0" "port show vup0"
assert_eq "$(tline port 'dev vfab0 ')" "dev vfab0 role fabric rx-packets 0 tx-packets 0" "port show vfab0"

# ------------------------------------------------------------- service
log "service"
ctl service add fw stateful
ctl service add nat stateless
ctl service add dpi
jone service name fw '{"name":"fw","stateful":true,"instances":0,"lb_size":0}'
jone service name nat '{"name":"nat","stateful":false,"instances":0,"lb_size":0}'
jone service name dpi '{"name":"dpi","stateful":true}'
jlen service 3
assert_eq "$(tline service '^nat ')" "nat stateless instances 0 lb-size 0" "service show nat"

# ------------------------------------------------------------ instance
log "instance"
ctl instance add fw1 service fw id 4097 dev vnf0 mode proxy weight 7 lladdr 02:00:00:00:01:01 noctx drop
ctl instance add nat1 service nat id 77 node 3 mode nsh
ctl instance add fw2 service fw dev vnfb0
jone instance name fw1 "{\"name\":\"fw1\",\"id\":4097,\"service\":\"fw\",\"node\":7,\"dev\":\"vnf0\",
	\"ifindex\":$(ifi vnf0),\"mode\":\"proxy\",\"weight\":7,\"state\":\"up\",
	\"lladdr\":\"02:00:00:00:01:01\",\"noctx\":\"drop\",\"tx_packets\":0,\"tx_bytes\":0,
	\"rx_packets\":0,\"rx_bytes\":0,\"flows\":0,\"drops\":0}"
jone instance name nat1 '{"name":"nat1","id":77,"service":"nat","node":3,"dev":null,"ifindex":0,
	"mode":"nsh","weight":100,"state":"up","lladdr":null}'
# Defaults: id picked from the node id, weight 100, state up.
jone instance name fw2 "{\"service\":\"fw\",\"node\":7,\"dev\":\"vnfb0\",\"weight\":100,\"state\":\"up\",\"lladdr\":null}"
fw2_id=$(out -j instance show | jget name '"fw2"' id)
[ $((fw2_id >> 20)) -eq 7 ] || fail "fw2's automatic id $fw2_id is not node 7's (7 << 20 | n)"
jlen instance 3
assert_eq "$(tline instance '^fw1 ')" \
	"fw1 id 4097 service fw node 7 dev vnf0 mode proxy weight 7 state up lladdr 02:00:00:00:01:01 noctx drop tx-packets 0 tx-bytes 0 rx-packets 0 rx-bytes 0 flows 0 drops 0" \
	"instance show fw1"
assert_eq "$(out instance show nat1)" \
	"nat1 id 77 service nat node 3 mode nsh weight 100 state up noctx classify tx-packets 0 tx-bytes 0 rx-packets 0 rx-bytes 0 flows 0 drops 0" \
	"instance show nat1"
# Filter by service.
out -j instance show service fw | chk len 2
out -j instance show service nat | chk one name nat1 '{"id":77}'
# An instance's port shows up as role nf; the services count their instances.
jone port dev vnf0 '{"role":"nf"}'
jone port dev vnfb0 '{"role":"nf"}'
jlen port 4
jone service name fw '{"instances":2}'
jone service name nat '{"instances":1}'
lb=$(out -j service show | jget name '"fw"' lb_size)
[ "$lb" -gt 0 ] || fail "service fw has 2 instances but lb_size $lb"

log "instance set"
ctl instance set fw1 weight 9 state drain
out -j instance show fw1 | chk one name fw1 '{"weight":9,"state":"drain","mode":"proxy","lladdr":"02:00:00:00:01:01","noctx":"drop"}'
assert_match "$(out instance show fw1)" " weight 9 state drain " "instance show fw1 after set"
wait_until 10 mon_sees '"object":"instance","op":"set".*"name":"fw1".*"weight":9.*"state":"drain"' ||
	fail "no instance set event for fw1 weight 9 drain"
ctl instance set fw1 state down
jone instance name fw1 '{"weight":9,"state":"down"}'
ctl instance set fw1 state up weight 65535 lladdr 02:00:00:00:01:02 noctx classify
jone instance name fw1 '{"weight":65535,"state":"up","lladdr":"02:00:00:00:01:02","noctx":"classify","id":4097,"dev":"vnf0"}'
ctl instance set fw1 weight 1
jone instance name fw1 '{"weight":1,"state":"up"}'

# --------------------------------------------------------------- chain
log "chain"
ctl chain add web spi 10 services fw,nat,dpi return dpi,fw
ctl chain add c2 services fw
jone chain name web '{"name":"web","spi":10,"services":["fw","nat","dpi"],"return":["dpi","fw"]}'
jone chain name c2 '{"name":"c2","services":["fw"],"return":null}'
c2_spi=$(out -j chain show | jget name '"c2"' spi)
if [ "$c2_spi" -lt 1 ] || [ "$c2_spi" -gt 16777215 ] || [ "$c2_spi" -eq 10 ]; then
	fail "chain c2 got spi $c2_spi (expected a free one in 1..16777215)"
fi
jlen chain 2
assert_eq "$(tline chain '^web ')" "web spi 10 services fw,nat,dpi return dpi,fw" "chain show web"
assert_eq "$(tline chain '^c2 ')" "c2 spi $c2_spi services fw" "chain show c2"

# -------------------------------------------------------------- policy
log "policy"
ctl policy add prio 5 iif vup0 src 10.0.0.0/8 dst 10.1.0.0/16 proto tcp sport 1-2 dport 80 vlan 5 chain web
ctl policy add prio 7 src 2001:db8::/32 dst 2001:db8:1::1 proto udp dport 53-60 chain c2
ctl policy add chain c2
jone policy prio 5 '{"prio":5,"iif":"vup0","src":"10.0.0.0/8","dst":"10.1.0.0/16","proto":"tcp",
	"sport_min":1,"sport_max":2,"dport_min":80,"dport_max":80,"vlan":5,"chain":"web","hits":0}'
jone policy prio 7 '{"prio":7,"iif":null,"src":"2001:db8::/32","dst":"2001:db8:1::1","proto":"udp",
	"sport_min":null,"sport_max":null,"dport_min":53,"dport_max":60,"vlan":null,"chain":"c2"}'
# Without prio: the highest prio + 100, all matches wildcards.
jone policy prio 107 '{"prio":107,"iif":null,"src":null,"dst":null,"proto":null,"sport_min":null,
	"dport_min":null,"vlan":null,"chain":"c2"}'
jlen policy 3
assert_eq "$(tline policy '^prio 5 ')" \
	"prio 5 iif vup0 src 10.0.0.0/8 dst 10.1.0.0/16 proto tcp sport 1-2 dport 80 vlan 5 chain web hits 0" \
	"policy show prio 5"

# ---------------------------------------------------------------- flow
log "flow"
ctl flow install dir forward proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80 \
	spi 10 path 4097,77 origin 7 version 5
ctl flow install dir return proto udp src 2001:db8::2 sport 53 dst 2001:db8::1 dport 4000 \
	spi "$c2_spi" path "$fw2_id" origin 2 version 0x100000000
jone flow src 10.0.0.1 '{"dir":"forward","proto":"tcp","src":"10.0.0.1","sport":1000,"dst":"10.1.0.1",
	"dport":80,"chain":"web","spi":10,"path":["fw1","nat1"],"path_ids":[4097,77],"origin":7,
	"version":5,"packets":0}'
jone flow src 2001:db8::2 "{\"dir\":\"return\",\"proto\":\"udp\",\"sport\":53,\"dst\":\"2001:db8::1\",
	\"dport\":4000,\"chain\":\"c2\",\"spi\":$c2_spi,\"path\":[\"fw2\"],\"path_ids\":[$fw2_id],
	\"origin\":2,\"version\":4294967296}"
jlen flow 2
out -j node show | chk obj '{"rds_count":2}'
# The instances count the flows whose path names them.
jone instance name fw1 '{"flows":1}'
jone instance name nat1 '{"flows":1}'
jone instance name fw2 '{"flows":1}'
txt=$(tline flow 'src 10.0.0.1 ')
assert_match "$txt" '^dir forward proto tcp src 10\.0\.0\.1 sport 1000 dst 10\.1\.0\.1 dport 80 chain web spi 10 path fw1,nat1 origin 7 version 5 age-ms [0-9]+ packets 0$' \
	"flow show"
out -j flow get proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80 |
	chk one src 10.0.0.1 '{"spi":10,"path_ids":[4097,77],"version":5}'
ctl flow del proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80
jnone flow src 10.0.0.1
jlen flow 1
if "$CTL" flow get proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80 2>"$tmp/err"; then
	fail "flow get of a deleted flow succeeded"
fi
assert_match "$(cat "$tmp/err")" "No such file or directory" "flow get after del"
# An operator's delete goes out on "rds" (an install from a peer does not:
# the peer announced it; checked with the other events below).
wait_until 10 mon_sees '"group":"rds","op":"del".*"src":"10.0.0.1"' || fail "no rds del event for the deleted flow"
jone instance name fw1 '{"flows":0}'
ctl flow flush
jlen flow 0
out -j node show | chk obj '{"rds_count":0}'
jone instance name fw2 '{"flows":0}'

# ----------------------------------------------------------------- del
log "delete everything, in dependency order"
gone() { # OBJECT KEY VAL [TEXT-ERE]: absent from -j show and from show
	jnone "$1" "$2" "$3"
	if [ -n "${4:-}" ] && out "$1" show | grep -qE -- "$4"; then
		fail "$1 $3 still in '$1 show'"
	fi
}
for prio in 5 7 107; do ctl policy del prio "$prio"; gone policy prio "$prio" "^prio $prio "; done
for c in web c2; do ctl chain del "$c"; gone chain name "$c" "^$c "; done
ctl instance del fw1
gone instance name fw1 '^fw1 '
gone port dev vnf0 'dev vnf0 '
if "$CTL" instance show fw1 2>"$tmp/err"; then fail "instance show of a deleted instance succeeded"; fi
assert_match "$(cat "$tmp/err")" "No such file or directory" "instance show fw1 after del"
jone service name fw '{"instances":1}'
ctl instance del fw2
ctl instance del nat1
jone service name fw '{"instances":0,"lb_size":0}'
for s in fw nat dpi; do ctl service del "$s"; gone service name "$s" "^$s "; done
for d in vup0 vfab0; do ctl port del dev "$d"; gone port dev "$d" "dev $d "; done
ctl peer del id 2
gone peer id 2 "^id 2 "
for o in peer port service instance chain policy flow; do
	jlen "$o" 0
	[ -z "$(out "$o" show)" ] || fail "$o show not empty at the end"
done

# -------------------------------------------------------------- events
run_checks
log "events seen by the monitor"
wait_until 10 mon_sees '"object":"peer","op":"del"' || fail "no peer del event"
stop_mon
"$PY" - "$mon" <<'EOF' || fail "monitor events incomplete (see above)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = [("events", "peer", "add", {"id": 2, "lladdr": "02:00:00:00:00:02"}),
        ("events", "peer", "del", {"id": 2}),
        ("events", "port", "add", {"dev": "vup0", "role": "uplink"}),
        ("events", "port", "del", {"dev": "vup0"}),
        ("events", "service", "add", {"name": "nat", "stateful": False}),
        ("events", "service", "del", {"name": "nat"}),
        ("events", "instance", "add", {"name": "fw1", "id": 4097, "weight": 7, "mode": "proxy"}),
        ("events", "instance", "set", {"name": "fw1", "weight": 65535, "lladdr": "02:00:00:00:01:02"}),
        ("events", "instance", "del", {"name": "fw1"}),
        ("events", "chain", "add", {"name": "web", "spi": 10, "services": ["fw", "nat", "dpi"]}),
        ("events", "chain", "del", {"name": "web"}),
        ("events", "policy", "add", {"prio": 5, "chain": "web", "vlan": 5}),
        ("events", "policy", "del", {"prio": 5}),
        ("events", "node", "set", {"id": 7, "rds_max": 5000, "policy_max": 300}),
        ("rds", None, "del", {"src": "10.0.0.1", "version": 5}),
        ("rds", None, "del", {"src": "2001:db8::2", "version": 4294967296})]
bad = 0
for grp, obj, op, fields in want:
    key = obj if obj else "flow"
    hit = [e for e in ev if e.get("group") == grp and e.get("op") == op
           and (obj is None or e.get("object") == obj)
           and all(e.get(key, {}).get(k) == v for k, v in fields.items())]
    print("%-6s %-8s %-3s %s: %s" % (grp, obj or "flow", op, fields,
                                     "seen" if hit else "MISSING"))
    bad += not hit
# Installed entries came from a peer, which announced them: not re-sent.
echo = [e for e in ev if e.get("group") == "rds" and e.get("op") == "new"]
if echo:
    print("rds new for installed flows (would echo around the cluster): %s" % echo)
    bad += 1
print("%d messages in all" % len(ev))
sys.exit(1 if bad else 0)
EOF

log "ctl-roundtrip: OK ($(((${EPOCHREALTIME/[!0-9]/} - t0) / 1000)) ms)"
