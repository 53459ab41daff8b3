#!/bin/bash
# dp-vlan: 802.1Q-tagged traffic through a chain, both directions tagged.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/dp-vlan.sh
#
# Topology (tests/lib-dp.sh plus VLANs on both sides):
#   client eth0.100 10.3.0.2 --[tag 100]-- up0 (up0.100 10.3.0.1)  node
#   server eth0.200 10.4.0.2 --[tag 200]-- up1 (up1.200 10.4.0.1)  node
#   node: uplink ports up0/up1 (the untagged devices: the hook sees the
#   tag in skb->vlan_tci); taps tfw1, tnat1 with nsh-nf (tnat1 SNATs to
#   10.99.0.1); chain fw -> nat, both stateful; policy "iif up0 vlan 100".
#
# What it proves (ping, then socat TCP):
#  - traffic succeeds; fw1 and nat1 each carried every packet both ways
#    (instance tx == rx, fw == nat), nothing dropped;
#  - the tag travels inside NSH: on the taps every NSH frame's inner frame
#    is tagged, VID 100 towards the server, VID 200 on the way back;
#  - after the pop the tag is back on the frame the stack gets: forward
#    packets reach the server through up1.200, replies reach the client
#    tagged 100 (captured on the client's untagged eth0);
#  - the learned return entry (server -> 10.99.0.1, path nat1, fw1)
#    steered the replies;
#  - a steered tag with no VLAN device on the node (VID 300) is dropped at
#    chain egress and counted (drop_tx = 2; besides, hold_timeout = 2 for
#    the untagged ping, which waits hold-ms and passes), not
#    leaked untagged: the ping's target 10.6.0.9 (on the server, routed by
#    the node, answered untagged first) would answer a leaked frame.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
command -v tshark >/dev/null || fail "tshark missing"
command -v tcpdump >/dev/null || fail "tcpdump missing"

. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup
modprobe 8021q

n0 ip link add link up0 name up0.100 type vlan id 100
n0 ip link add link up1 name up1.200 type vlan id 200
n0 ip addr add 10.3.0.1/24 dev up0.100
n0 ip addr add 10.4.0.1/24 dev up1.200
n0 ip link set up0.100 up
n0 ip link set up1.200 up
n1 ip link add link eth0 name eth0.100 type vlan id 100
n1 ip link add link eth0 name eth0.300 type vlan id 300
n1 ip addr add 10.3.0.2/24 dev eth0.100
n1 ip addr add 10.5.0.2/24 dev eth0.300
n1 ip link set eth0.100 up
n1 ip link set eth0.300 up
n1 ip route add 10.4.0.0/24 via 10.3.0.1
# VID 300 has no device on the node: the client reaches up0's MAC anyway
n1 ip neigh add 10.5.0.1 lladdr "$(n0 cat /sys/class/net/up0/address)" dev eth0.300
n1 ip route add 10.6.0.0/24 via 10.5.0.1
# ...and 10.6.0.9 exists: the server has it and the node routes
# 10.6.0.0/24 there (an untagged ping from the client's eth0 is answered,
# checked below), and 10.5.0.0/24 back out of up0. So the VID 300 ping
# gets no answer because the module drops it at chain egress, not because
# its target does not exist (with a VID 300 device on the node the chain's
# egress delivers it, and it is answered).
n0 ip route add 10.6.0.0/24 via 10.2.0.2
n0 ip route add 10.5.0.0/24 dev up0
n2 ip link add link eth0 name eth0.200 type vlan id 200
n2 ip addr add 10.4.0.2/24 dev eth0.200
n2 ip link set eth0.200 up
n2 ip route add 10.3.0.0/24 via 10.4.0.1
n2 ip route add 10.99.0.0/24 via 10.4.0.1
n2 ip addr add 10.6.0.9/32 dev eth0

dp_node tfw1 tnat1
ctl service add fw stateful
ctl service add nat stateful
ctl instance add fw1 service fw dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl instance add nat1 service nat dev tnat1 mode nsh lladdr 02:4e:46:00:00:21
ctl chain add c1 services fw,nat
ctl policy add prio 10 iif up0 vlan 100 src 10.3.0.0/24 chain c1
ctl policy add prio 20 iif up0 vlan 300 src 10.5.0.0/24 chain c1

dp_nf tfw1 02:4e:46:00:00:11
dp_nf tnat1 02:4e:46:00:00:21 --nat 10.99.0.1

caps=()
for c in "$N:tfw1:tfw1" "$N:tnat1:tnat1" "$C:eth0:client"; do
	IFS=: read -r ns dev name <<<"$c"
	dp_capture "$ns" "$dev" "$name"
	caps+=("$DP_BG_PID")
done

insts() { "$CTL" -n "$N" -j instance show; }
stats() { "$CTL" -n "$N" -j stats show; }
dump() { "$CTL" -n "$N" stats show; "$CTL" -n "$N" instance show; "$CTL" -n "$N" flow show; }

# ----------------------------------------------------------- traffic
pp n1 ping -c 3 -i 0.3 -W 2 10.4.0.2 || { dump; fail "tagged ping through the chain failed"; }
n2 socat -t 10 TCP-LISTEN:7777,reuseaddr EXEC:cat &
bg_pids+=($!)
listening() { [ -n "$(n2 ss -Htln 'sport = :7777')" ]; }
wait_until 5 listening || fail "socat listener"
reply=$(echo "tagged through the chain" | n1 socat -t 10 - TCP:10.4.0.2:7777,connect-timeout=10) ||
	{ dump; fail "socat failed"; }
assert_eq "$reply" "tagged through the chain" "TCP echo"
wait_stable 10 insts || fail "instance counters did not settle"
insts >"$work/inst1.json"
stats >"$work/stats1.json"
"$CTL" -n "$N" -j flow show >"$work/flow1.json"
assert_no_loss "$work/stats1.json" "node loss counters after the tagged traffic"

# the server saw the client's traffic arrive through up1.200 (SNATed)
n2 ip -s link show eth0.200 >&2

# ----------------------------------------------------------- VID 300: no VLAN device
# untagged, 10.6.0.9 answers: the route through the node works
pp n1 ping -c 1 -W 2 -I eth0 10.6.0.9 || fail "10.6.0.9 unreachable untagged: the VID 300 check proves nothing"
if n1 ping -c 2 -i 0.3 -W 1 -I 10.5.0.2 10.6.0.9 >/dev/null 2>&1; then
	fail "ping on VID 300 (no VLAN device on the node) got an answer: leaked, not dropped"
fi
wait_stable 10 stats || fail "stats did not settle"
stats >"$work/stats2.json"
# the only loss: the 2 pings on VID 300, dropped at chain egress; and the
# untagged ping's request and reply (1 each), which no policy steers but
# which look like returns of the VID policies (no destination in them:
# src/holdq.c matches the server side only): each waited hold-ms and
# passed (hold-expire pass), hold_timeout 2
assert_loss "$work/stats2.json" "drop_tx=2 hold_timeout=2" "loss counters after VID 300"
insts >"$work/inst2.json"

# stop the captures once they hold what the instances counted
captured() { tcpdump -r "$1" -nn 2>/dev/null | wc -l; }
want_fw=$("$PY" -c 'import json,sys; e=[x for x in json.load(open(sys.argv[1])) if x["name"]=="fw1"][0]
print(e["tx_packets"] + e["rx_packets"])' "$work/inst2.json")
has_all() { [ "$(captured "$work/tfw1.pcap")" -ge "$want_fw" ]; }
wait_until 10 has_all || fail "tfw1.pcap: $(captured "$work/tfw1.pcap") frames, want $want_fw"
kill -INT "${caps[@]}" 2>/dev/null || true
for c in tfw1 tnat1 client; do wait_until 10 grep -q "packets captured" "$work/$c.tcpdump" || true; done

# ----------------------------------------------------------- checks
for c in tfw1 tnat1; do
	tshark -r "$work/$c.pcap" -o tcp.analyze_sequence_numbers:FALSE -T fields -E occurrence=a \
		-e frame.protocols -e nsh.si -e vlan.id -e ip.src -e ip.dst -e _ws.malformed \
		>"$work/$c.fields" 2>/dev/null
done
tshark -r "$work/client.pcap" -T fields -E occurrence=a -e frame.protocols -e vlan.id -e ip.src -e ip.dst \
	>"$work/client.fields" 2>/dev/null

"$PY" - "$work" <<'EOF' || { dump; fail "dp-vlan checks"; }
import json, sys
w = sys.argv[1]
inst = {i["name"]: i for i in json.load(open(w + "/inst1.json"))}
inst2 = {i["name"]: i for i in json.load(open(w + "/inst2.json"))}
s1 = json.load(open(w + "/stats1.json"))
s2 = json.load(open(w + "/stats2.json"))
flows = json.load(open(w + "/flow1.json"))
print("instances:", {n: (i["tx_packets"], i["rx_packets"], i["drops"]) for n, i in inst.items()})
fw, nat = inst["fw1"], inst["nat1"]
# ping: 3 requests + 3 replies; TCP: >= 3 each way
assert fw["tx_packets"] == fw["rx_packets"] >= 12, fw
assert nat["tx_packets"] == nat["rx_packets"] == fw["tx_packets"], (fw, nat)
assert not fw["drops"] and not nat["drops"], (fw, nat)
ret = [f for f in flows if f["dir"] == "return" and f["src"] == "10.4.0.2" and f["dst"] == "10.99.0.1"]
assert len(ret) == 2, ("learned return entries", flows)           # icmp + tcp
for f in ret:
    assert f["path"] == ["nat1", "fw1"] and f["packets"] >= 1, f

# every frame on the taps is NSH, not malformed, its inner frame tagged:
# forward (to 10.4.0.2) VID 100, return (from 10.4.0.2) VID 200
for tap in ("tfw1", "tnat1"):
    n = {"fwd": 0, "ret": 0}
    for line in open("%s/%s.fields" % (w, tap)):
        if not line.strip():
            continue
        protos, si, vid, src, dst, malformed = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
        assert not malformed, (tap, line)
        assert protos.startswith("eth:ethertype:nsh:eth:ethertype:vlan:ethertype:ip"), (tap, protos)
        src, dst = src.split(",")[-1], dst.split(",")[-1]
        if dst == "10.4.0.2":
            assert vid == "100", (tap, "forward inner tag", line)
            n["fwd"] += 1
        elif src == "10.4.0.2":
            assert vid == "200", (tap, "return inner tag", line)
            n["ret"] += 1
    print(tap, "tagged NSH frames:", n)
    assert n["fwd"] >= 12 and n["ret"] >= 12, (tap, n)

# the client got its replies tagged 100 on the wire
replies = [l.split("\t") for l in open(w + "/client.fields") if "\t10.4.0.2\t10.3.0.2" in l]
assert len(replies) >= 6, ("replies seen on the client's eth0", len(replies))
for r in replies:
    assert r[0].startswith("eth:ethertype:vlan:ethertype:ip") and r[1] == "100", r
print("client: %d replies from 10.4.0.2, all tagged 100" % len(replies))

# VID 300: steered, through the chain, dropped at egress and counted
# (drop_tx == 2 and no other loss: assert_loss above)
sent = inst2["fw1"]["tx_packets"] - inst["fw1"]["tx_packets"]
print("VID 300: %d packets through fw1" % sent)
assert sent == 2, sent
assert inst2["nat1"]["rx_packets"] - inst["nat1"]["rx_packets"] == 2
EOF
log "dp-vlan: OK"
