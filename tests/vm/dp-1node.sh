#!/bin/bash
# dp-1node: the packet path on one node, with real traffic.
#   make userspace && scripts/vm-run.sh tests/vm/dp-1node.sh
#
# Topology (network namespaces):
#   client (apsm-t1) eth0 10.1.0.2 --veth-- up0 10.1.0.1  node (apsm-t0)
#   server (apsm-t2) eth0 10.2.0.2 --veth-- up1 10.2.0.1  node, routing
#   node: taps tfw1 tfw2 tnat1 tnat2, each with tests/tools/nsh-nf on it;
#         tnatN's nsh-nf SNATs to 10.99.0.N.
#   apsm: uplinks up0/up1, services fw and nat (stateful, 2 instances
#   each, mode nsh), chain fw -> nat, policy "src 10.1.0.0/24 iif up0".
#
# What it proves, per flow (ping, then a socat TCP exchange):
#  - the traffic succeeds (ping replies, the TCP echo comes back);
#  - exactly one fw and one nat instance carried it (per-instance tx/rx
#    deltas), each got back what it was given (tx == rx), and they are the
#    ones of the forward RDS entry, in order (fw, nat);
#  - `flow show` holds the forward entry and the learned return entry,
#    keyed by the NAT-rewritten reversed tuple, path (nat, fw), dir return;
#  - the return traffic went through the same NAT instance: its nsh-nf
#    restored every reply, the other NAT saw nothing of the flow;
#  - the nat instances' MACs were learned (nsh-nf --hello), the fw ones
#    configured; no loss anywhere (instance drops, every node loss
#    counter: assert_no_loss).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup

# the NFs: taps in the node, nsh-nf attached like a VM's backend
dp_node tfw1 tfw2 tnat1 tnat2
ctl service add fw stateful
ctl service add nat stateful
ctl instance add fw1 service fw dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl instance add fw2 service fw dev tfw2 mode nsh lladdr 02:4e:46:00:00:12
# no lladdr: learned from the frames nsh-nf sends (--hello)
ctl instance add nat1 service nat dev tnat1 mode nsh
ctl instance add nat2 service nat dev tnat2 mode nsh
ctl chain add c1 services fw,nat
ctl policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

dp_nf tfw1 02:4e:46:00:00:11
dp_nf tfw2 02:4e:46:00:00:12
dp_nf tnat1 02:4e:46:00:00:21 --nat 10.99.0.1 --hello
dp_nf tnat2 02:4e:46:00:00:22 --nat 10.99.0.2 --hello
lladdr_of() { "$CTL" -n "$N" -j instance show "$1" | sed -nE 's/.*"lladdr":"([^"]*)".*/\1/p'; }
wait_until 5 test "$(lladdr_of nat1)" = 02:4e:46:00:00:21 || fail "nat1 lladdr not learned: $(lladdr_of nat1)"
wait_until 5 test "$(lladdr_of nat2)" = 02:4e:46:00:00:22 || fail "nat2 lladdr not learned"

# snapshot NAME: instance and nsh-nf counters into $work/NAME.snap.*
snapshot() {
	local t
	"$CTL" -n "$N" -j instance show >"$work/$1.inst.json"
	"$CTL" -n "$N" -j flow show >"$work/$1.flow.json"
	"$CTL" -n "$N" -j stats show >"$work/$1.stats.json"
	for t in tfw1 tfw2 tnat1 tnat2; do
		rm -f "$work/$t.json"
		kill -USR1 "${DP_NF_PID[$t]}"
	done
	for t in tfw1 tfw2 tnat1 tnat2; do
		wait_until 5 test -s "$work/$t.json" || fail "no stats from $t"
		cp "$work/$t.json" "$work/$1.$t.json"
	done
}

# check BEFORE AFTER PROTO FWDKEY: the flow's assertions (python, once)
check() {
	"$PY" - "$work" "$@" <<'EOF'
import json, sys
work, before, after, proto, client, server = sys.argv[1:7]
def load(tag, what):
    return json.load(open("%s/%s.%s.json" % (work, tag, what)))
def fail(msg):
    print("FAIL:", msg)
    print(json.dumps(load(after, "inst"), indent=1))
    print(json.dumps(load(after, "flow"), indent=1))
    sys.exit(1)
b = {i["name"]: i for i in load(before, "inst")}
a = {i["name"]: i for i in load(after, "inst")}
d = {n: {k: a[n][k] - b[n][k] for k in ("tx_packets", "rx_packets", "drops")} for n in a}
print("instance deltas:", json.dumps(d))
used = {}
for svc, names in (("fw", ("fw1", "fw2")), ("nat", ("nat1", "nat2"))):
    busy = [n for n in names if d[n]["tx_packets"] or d[n]["rx_packets"]]
    if len(busy) != 1:
        fail("%s: %d instances carried the flow: %s" % (svc, len(busy), busy))
    n = busy[0]
    if d[n]["tx_packets"] != d[n]["rx_packets"] or d[n]["tx_packets"] < 2:
        fail("%s: tx %d rx %d" % (n, d[n]["tx_packets"], d[n]["rx_packets"]))
    used[svc] = n
if any(a[n]["drops"] for n in a):
    fail("instance drops")
if d[used["fw"]]["tx_packets"] != d[used["nat"]]["tx_packets"]:
    fail("fw and nat carried different packet counts")
flows = [f for f in load(after, "flow") if f["proto"] == proto]
fwd = [f for f in flows if f["dir"] == "forward" and f["src"] == client]
if len(fwd) != 1:
    fail("forward entries for %s: %s" % (client, fwd))
fwd = fwd[0]
if fwd["dst"] != server or fwd["path"] != [used["fw"], used["nat"]]:
    fail("forward entry %s, instances used %s" % (fwd, used))
natip = "10.99.0.%s" % used["nat"][-1]
# the NAT instance's own view: translation of this flow, replies restored
other = "nat2" if used["nat"] == "nat1" else "nat1"
nb, na = load(before, "t" + used["nat"]), load(after, "t" + used["nat"])
ob, oa = load(before, "t" + other), load(after, "t" + other)
tr = [t for t in na["nat"]["translations"]
      if t["src"].startswith(client + ":") or (proto == "icmp" and t["src"].split(":")[0] == client)]
if not tr:
    fail("%s holds no translation for %s: %s" % (used["nat"], client, na["nat"]))
restored = na["restored"] - nb["restored"]
translated = na["translated"] - nb["translated"]
if restored < 1 or translated < 1 or restored + translated != d[used["nat"]]["tx_packets"]:
    fail("%s translated %d restored %d of %d" % (used["nat"], translated, restored, d[used["nat"]]["tx_packets"]))
if na["untranslated"] != nb["untranslated"]:
    fail("%s: untranslated returns" % used["nat"])
if oa["packets_in"] != ob["packets_in"]:
    fail("%s saw %d packets of the flow" % (other, oa["packets_in"] - ob["packets_in"]))
natport = [t for t in tr][-1]["port"] if "port" in tr[-1] else None
ret = [f for f in flows if f["dir"] == "return" and f["dst"] == natip and f["src"] == server]
if natport is not None:
    ret = [f for f in ret if f["sport" if proto == "icmp" else "dport"] == natport]
if len(ret) != 1:
    fail("learned return entries for %s: %s" % (natip, ret))
ret = ret[0]
if ret["path"] != [used["nat"], used["fw"]]:
    fail("return path %s, expected %s" % (ret["path"], [used["nat"], used["fw"]]))
if ret["packets"] < 1:
    fail("the return entry steered nothing: %s" % ret)
print("OK %s: fw %s, nat %s (%s), %d packets each way through both; return entry %s:%d > %s:%d path %s"
      % (proto, used["fw"], used["nat"], natip, restored, ret["src"], ret["sport"],
         ret["dst"], ret["dport"], ret["path"]))
EOF
}

# ------------------------------------------------------------- ping
snapshot s0
pp n1 ping -c 3 -i 0.3 -W 2 10.2.0.2 || {
	"$CTL" -n "$N" stats show; "$CTL" -n "$N" instance show; "$CTL" -n "$N" flow show
	fail "ping through the chain failed"
}
snapshot s1
check s0 s1 icmp 10.1.0.2 10.2.0.2 || fail "ping flow checks"

# ------------------------------------------------------------- TCP
n2 socat -t 10 TCP-LISTEN:7777,reuseaddr,fork EXEC:cat &
bg_pids+=($!)
tcp_listening() { [ -n "$(n2 ss -Htln 'sport = :7777')" ]; }
wait_until 5 tcp_listening || fail "the TCP server did not start"
reply=$(echo "hello through the chain" | n1 socat -t 10 - TCP:10.2.0.2:7777,sp=40001) ||
	fail "socat failed"
assert_eq "$reply" "hello through the chain" "TCP echo"
wait_stable 10 "$CTL" -n "$N" -j instance show || fail "instance counters did not settle"
snapshot s2
check s1 s2 tcp 10.1.0.2 10.2.0.2 || fail "tcp flow checks"

# node counters: nothing lost (every loss counter, lib.sh)
assert_no_loss "$work/s2.stats.json" "node loss counters after ping and TCP"
"$PY" - "$work/s2.stats.json" <<'EOF' || fail "node stats"
import json, sys
s = json.load(open(sys.argv[1]))
print("node stats:", json.dumps(s))
# one return entry learned per flow: the ping (one ICMP id) and the TCP one
assert s["learned"] == 2 and s["nsh_encap"] >= 1 and s["nsh_decap"] >= 1, s
EOF
log "dp-1node: OK"
