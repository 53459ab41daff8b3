#!/bin/bash
# dp-iperf: bulk TCP (iperf3) through a chain with GSO/TSO and GRO on.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/dp-iperf.sh
#
# Topology: tests/lib-dp.sh (client 10.1.0.2 -- up0 [node] up1 -- server
# 10.2.0.2, MTU 1500), TSO, GSO and GRO switched on (and checked) on all
# four veth ends, so the hook sees TCP super-packets; taps tfw1, tmon1 with
# nsh-nf, MTU 1600 (uplink MTU 1500 + the 70 bytes NSH and a tag add, see
# Documentation/nsh.md "MTU"); chain fw -> mon, both stateful.
#
# What it proves:
#  - iperf3 -n 20M completes client -> server and server -> client (-R);
#  - per instance: every byte iperf3 moved went through it (tx_bytes and
#    rx_bytes >= the bytes iperf3 reports), no loss anywhere (instance
#    drops, every node loss counter: assert_no_loss), fw and mon carried
#    the same packets;
#  - super-packets were steered (the hook saw GSO skbs: the instance's tx
#    bytes per packet exceed the NF port MTU) and segmented for the taps;
#  - MTU handled deliberately: with tmon1's MTU back at 1500, a 1500-byte
#    DF ping (NSH frame 1542 bytes) is not sent to mon1 but dropped and
#    counted (drop_tx, mon1 drops), and the node answers "fragmentation
#    needed, mtu 1458" (the client's PMTU drops to 1458); a 1400-byte one
#    still passes; iperf3 both ways completes at NF MTU 1500 by PMTU
#    discovery (drops counted in both directions): no black hole.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
command -v iperf3 >/dev/null || fail "iperf3 missing"

. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup

# offloads on (veth: TSO/GSO on by default, GRO needs switching on)
for dev in "$N:up0" "$N:up1" "$C:eth0" "$S:eth0"; do
	pp dp_offload "${dev%%:*}" "${dev#*:}" on
	[ "$(dp_offload "${dev%%:*}" "${dev#*:}")" = "tso on gso on gro on" ] ||
		fail "$dev offloads: $(dp_offload "${dev%%:*}" "${dev#*:}")"
done

dp_node tfw1 tmon1
for t in tfw1 tmon1; do n0 ip link set "$t" mtu 1600; done
ctl service add fw stateful
ctl service add mon stateful
ctl instance add fw1 service fw dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl instance add mon1 service mon dev tmon1 mode nsh lladdr 02:4e:46:00:00:31
ctl chain add c1 services fw,mon
ctl policy add prio 10 iif up0 src 10.1.0.0/24 chain c1

dp_nf tfw1 02:4e:46:00:00:11
dp_nf tmon1 02:4e:46:00:00:31

n2 iperf3 -s -p 5201 >"$work/iperf-s.log" 2>&1 &
bg_pids+=($!)
listening() { [ -n "$(n2 ss -Htln 'sport = :5201')" ]; }
wait_until 10 listening || fail "iperf3 server did not start"

insts() { "$CTL" -n "$N" -j instance show; }
stats() { "$CTL" -n "$N" -j stats show; }
dump() { "$CTL" -n "$N" stats show; "$CTL" -n "$N" instance show; n0 ip -s link show tfw1; }

# run NAME [iperf3 options]: a 20 MB transfer, counters before and after
run() {
	local name=$1
	shift
	wait_stable 10 insts || fail "counters did not settle"
	insts >"$work/$name.before.json"
	pp n1 timeout 300 iperf3 -c 10.2.0.2 -p 5201 -n 20M -J "$@" >"$work/$name.iperf.json" ||
		{ dump; cat "$work/$name.iperf.json" >&2; fail "iperf3 $name failed"; }
	wait_stable 10 insts || fail "counters did not settle"
	insts >"$work/$name.after.json"
	stats >"$work/$name.stats.json"
}
run fwd
assert_no_loss "$work/fwd.stats.json" "node loss counters after iperf3"
run rev -R
assert_no_loss "$work/rev.stats.json" "node loss counters after iperf3 -R"

"$PY" - "$work" <<'EOF' || { dump; fail "iperf3 counters"; }
import json, sys
w = sys.argv[1]
for name in ("fwd", "rev"):
    r = json.load(open("%s/%s.iperf.json" % (w, name)))
    sent, rcvd = r["end"]["sum_sent"]["bytes"], r["end"]["sum_received"]["bytes"]
    b = {i["name"]: i for i in json.load(open("%s/%s.before.json" % (w, name)))}
    a = {i["name"]: i for i in json.load(open("%s/%s.after.json" % (w, name)))}
    d = {n: {k: a[n][k] - b[n][k] for k in ("tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "drops")}
         for n in a}
    print("%s: iperf3 sent %d received %d (%.1f Mbit/s); instances %s"
          % (name, sent, rcvd, r["end"]["sum_received"]["bits_per_second"] / 1e6, json.dumps(d)))
    # the sender wrote 20 MB; the receiver's count stops at the end of the
    # test, with what is still in flight (socket buffers, ~2 MB at TCG
    # speeds) not counted: that count is the data that surely went through
    assert sent >= 20 * 1024 * 1024 and rcvd >= sent // 2, ("iperf3 moved", sent, rcvd)
    for n in ("fw1", "mon1"):
        assert d[n]["drops"] == 0 and a[n]["drops"] == 0, (n, "drops", d[n])
        # every payload byte went to the NF and came back from it
        assert d[n]["tx_bytes"] >= rcvd and d[n]["rx_bytes"] >= rcvd, (n, d[n], rcvd)
        # segments come back one by one: at least a packet per 1600 bytes
        assert d[n]["rx_packets"] >= rcvd // 1600, (n, d[n])
        assert d[n]["rx_bytes"] >= d[n]["tx_bytes"], (n, "NF returned less", d[n])
# the hook steered super-packets in the data direction: more bytes per
# packet to fw1 than fit one NF port frame
for name in ("fwd", "rev"):
    b = {i["name"]: i for i in json.load(open("%s/%s.before.json" % (w, name)))}
    a = {i["name"]: i for i in json.load(open("%s/%s.after.json" % (w, name)))}
    tx = a["fw1"]["tx_bytes"] - b["fw1"]["tx_bytes"]
    pk = a["fw1"]["tx_packets"] - b["fw1"]["tx_packets"]
    rx_pk = a["fw1"]["rx_packets"] - b["fw1"]["rx_packets"]
    print("%s: fw1 %d packets in (%d bytes each on average), %d back" % (name, pk, tx // max(pk, 1), rx_pk))
    if name == "fwd":
        assert rx_pk > pk, ("no GSO super-packet reached the hook", pk, rx_pk)
EOF

# ------------------------------------------------------------- MTU
stats >"$work/m0.stats.json"
insts >"$work/m0.inst.json"
pp n1 ping -c 2 -i 0.3 -W 2 -M do -s 1472 10.2.0.2 || { dump; fail "1500-byte ping with NF MTU 1600"; }
n0 ip link set tmon1 mtu 1500
# 1500 bytes of IP + 42 of NSH (n = 2) and inner Ethernet > 1500: not
# sent to mon1, dropped, counted, and the client told the MTU it has
out=$(n1 ping -c 2 -i 0.5 -W 1 -M do -s 1472 10.2.0.2 2>&1) &&
	fail "a 1542-byte NSH frame was sent to a 1500-MTU NF port: $out"
echo "$out" >&2
assert_match "$out" "Frag needed and DF set \(mtu = 1458\)" "ICMP fragmentation needed from the node"
assert_match "$(n1 ip route get 10.2.0.2)" "mtu 1458" "the client's PMTU"
pp n1 ping -c 2 -i 0.3 -W 2 -M do -s 1400 10.2.0.2 || fail "1428-byte ping with NF MTU 1500"
wait_stable 10 stats || fail "stats did not settle"
stats >"$work/m1.stats.json"
insts >"$work/m1.inst.json"
# TCP with the NF port at 1500 and nothing cached: PMTU discovery through
# the chain (the first full-size segments dropped, counted, answered)
# (flushed before each run: a client that knows the PMTU advertises an
# MSS that already fits, and the server would never send too much)
n1 ip route flush cache
n2 ip route flush cache
pp n1 timeout 300 iperf3 -c 10.2.0.2 -p 5201 -n 2M -J >"$work/pmtu.fwd.json" ||
	{ dump; fail "iperf3 with NF MTU 1500 (PMTU discovery) failed"; }
assert_match "$(n1 ip route get 10.2.0.2)" "mtu 1458" "the client's PMTU after iperf3"
n1 ip route flush cache
n2 ip route flush cache
pp n1 timeout 300 iperf3 -c 10.2.0.2 -p 5201 -n 2M -J -R >"$work/pmtu.rev.json" ||
	{ dump; fail "iperf3 -R with NF MTU 1500 (PMTU discovery) failed"; }
wait_stable 10 stats || fail "stats did not settle"
stats >"$work/m2.stats.json"
insts >"$work/m2.inst.json"
assert_match "$(n2 ip route get 10.1.0.2)" "mtu 1458" "the server's PMTU"
"$PY" - "$work" "$APSM_LOSS_RE" <<'EOF' || { dump; fail "MTU counters"; }
import json, re, sys
w, loss = sys.argv[1], re.compile(sys.argv[2])
s = [json.load(open("%s/m%d.stats.json" % (w, i))) for i in (0, 1, 2)]
i = [{x["name"]: x for x in json.load(open("%s/m%d.inst.json" % (w, k)))} for k in (0, 1, 2)]
def drops(a, b):
    # every loss counter (tests/lib.sh APSM_LOSS_RE) that changed
    return {k: s[b][k] - s[a][k] for k in s[b] if loss.match(k) and s[b][k] != s[a][k]}
d = drops(0, 1)
print("ping: node drops", d, "mon1 drops +%d" % (i[1]["mon1"]["drops"] - i[0]["mon1"]["drops"]))
# the first oversized ping is dropped; the second one is refused by the
# client itself (its PMTU is 1458 by then)
assert list(d) == ["drop_tx"] and 1 <= d["drop_tx"] <= 2, d
assert i[1]["mon1"]["drops"] - i[0]["mon1"]["drops"] == d["drop_tx"]
assert i[1]["fw1"]["drops"] == i[0]["fw1"]["drops"]
d = drops(1, 2)
print("iperf3 at NF MTU 1500: node drops", d, "mon1 drops +%d" % (i[2]["mon1"]["drops"] - i[1]["mon1"]["drops"]))
assert list(d) == ["drop_tx"] and d["drop_tx"] >= 2, d   # >= 1 per direction
for name in ("fwd", "rev"):
    r = json.load(open("%s/pmtu.%s.json" % (w, name)))
    print("pmtu %s: sent %d received %d" % (name, r["end"]["sum_sent"]["bytes"], r["end"]["sum_received"]["bytes"]))
    assert r["end"]["sum_sent"]["bytes"] >= 2 * 1024 * 1024 and r["end"]["sum_received"]["bytes"] > 0
EOF
log "dp-iperf: OK"
