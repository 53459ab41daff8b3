#!/bin/bash
# dp-tshark: the NSH the module puts on the wire, as Wireshark decodes it.
#   make userspace && scripts/vm-run.sh tests/vm/dp-tshark.sh
#
# Topology (network namespaces), as dp-1node.sh:
#   client (apsm-t1) eth0 10.1.0.2 --veth-- up0 10.1.0.1  node (apsm-t0)
#   server (apsm-t2) eth0 10.2.0.2 --veth-- up1 10.2.0.1  node, routing
#   node: taps tfw1 and tmon1, tests/tools/nsh-nf on each.
#   apsm: uplinks up0/up1, services fw and mon (stateful, one instance
#   each, mode nsh), chain c1 = fw -> mon, policy "src 10.1.0.0/24 iif up0".
#
# What it proves: tcpdump -w on both taps while pings and a TCP exchange
# cross the chain; tshark then decodes every captured frame as
# eth:nsh:eth:ip (nothing else on the taps), none malformed and no expert
# warning or error, and each NSH header is what Documentation/nsh.md says:
# version 0, MD type 2, next protocol Ethernet (3), Length 7 words, one
# context TLV of class 0xfff6, type 1, length 16 (a 2-hop path), the
# chain's SPI, and on each tap the SI of its hop:
#   tfw1:  forward to the NF SI 2, back SI 1; return (mon, fw) to SI 1, back SI 0
#   tmon1: forward to the NF SI 1, back SI 0; return to SI 2, back SI 1
# (frames to the NF carry the port's MAC as source, frames back the NF's).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

command -v tshark >/dev/null || fail "tshark missing"
command -v tcpdump >/dev/null || fail "tcpdump missing"
# shellcheck source=../lib-dp.sh
. "$(dirname "$0")/../lib-dp.sh"
dp_1node_setup
dp_node tfw1 tmon1
ctl service add fw stateful
ctl service add mon stateful
ctl instance add fw1 service fw dev tfw1 mode nsh lladdr 02:4e:46:00:00:11
ctl instance add mon1 service mon dev tmon1 mode nsh lladdr 02:4e:46:00:00:31
ctl chain add c1 services fw,mon
ctl policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
spi=$("$CTL" -n "$N" -j chain show | "$PY" -c \
	'import json,sys; print([c for c in json.load(sys.stdin) if c["name"] == "c1"][0]["spi"])')
log "chain c1: SPI $spi"

dp_nf tfw1 02:4e:46:00:00:11
dp_nf tmon1 02:4e:46:00:00:31
caps=()
for tap in tfw1 tmon1; do
	dp_capture "$N" "$tap" "$tap"
	caps+=("$DP_BG_PID")
done

# ----------------------------------------------------------- traffic
pp n1 ping -c 3 -i 0.3 -W 2 10.2.0.2 || fail "ping through the chain failed"
# -t 10: under TCG cat may answer after the client's half-close is seen;
# socat's default 0.5 s would drop the echo
n2 socat -t 10 TCP-LISTEN:7777,reuseaddr EXEC:cat &
bg_pids+=($!)
listening() { [ -n "$(n2 ss -Htln 'sport = :7777')" ]; }
wait_until 5 listening || fail "socat listener"
reply=$(echo "decode me" | n1 socat -t 10 - TCP:10.2.0.2:7777,connect-timeout=10) || fail "socat failed"
assert_eq "$reply" "decode me" "TCP echo"
# every frame the module sent to an NF (tx) or got back (rx) is on its tap:
# stop tcpdump once each capture file holds at least tx + rx frames
insts() { "$CTL" -n "$N" -j instance show; }
wait_stable 10 insts || fail "instance counters did not settle"
on_tap() { # INSTANCE: tx + rx of the instance
	insts | "$PY" -c 'import json,sys; e=[x for x in json.load(sys.stdin) if x["name"]==sys.argv[1]][0]
print(e["tx_packets"] + e["rx_packets"])' "$1"
}
captured() { # PCAP: frames in it (fails while tcpdump is mid-write)
	tcpdump -r "$1" -nn 2>/dev/null | wc -l
}
for t in fw1 mon1; do
	want=$(on_tap "$t")
	[ "$want" -gt 0 ] || fail "instance $t carried nothing"
	has_all() { [ "$(captured "$work/t$t.pcap")" -ge "$want" ]; }
	wait_until 10 has_all || fail "t$t.pcap: $(captured "$work/t$t.pcap") frames, want >= $want"
done
kill -INT "${caps[@]}" 2>/dev/null || true
wait_until 10 grep -q "packets captured" "$work/tfw1.tcpdump" || true
wait_until 10 grep -q "packets captured" "$work/tmon1.tcpdump" || true

# ----------------------------------------------------------- decode
check() { # TAP FWD_TO FWD_BACK RET_TO RET_BACK: SIs of the frames on TAP
	local tap=$1 f=$work/$1.pcap bad n
	pp tshark -r "$f" -c 1 -V -Y nsh >"$work/$tap.V" 2>/dev/null
	sed -n '/^Network Service Header/,/^Ethernet II/p' "$work/$tap.V" >&2
	# TCP sequence analysis off: each segment is on the tap twice (to the
	# NF and back), which it would flag as retransmitted / out of order
	bad=$(tshark -r "$f" -o tcp.analyze_sequence_numbers:FALSE \
		-Y '_ws.malformed || _ws.expert.severity >= 6291456 || !nsh' \
		-T fields -e frame.number -e frame.protocols -e _ws.expert.message 2>/dev/null)
	[ -z "$bad" ] || fail "$tap: frames malformed, with expert warnings, or not NSH: $bad"
	tshark -r "$f" -o tcp.analyze_sequence_numbers:FALSE -T fields -E occurrence=f -e eth.src -e frame.protocols \
		-e nsh.version -e nsh.mdtype -e nsh.nextproto -e nsh.length -e nsh.spi -e nsh.si \
		-e nsh.metadataclass -e nsh.metadatatype -e nsh.metadatalen -e ip.src -e ip.proto \
		>"$work/$tap.fields" 2>/dev/null
	n=$(grep -c . "$work/$tap.fields" || true)
	log "$tap: $n frames decoded"
	"$PY" - "$work/$tap.fields" "$tap" "$spi" "$2" "$3" "$4" "$5" <<'EOF' || fail "$tap: NSH fields"
import sys
fields, tap, spi, fto, fback, rto, rback = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(int, sys.argv[4:8])
nfmac = {"tfw1": "02:4e:46:00:00:11", "tmon1": "02:4e:46:00:00:31"}[tap]
seen = {}
for line in open(fields):
    if not line.strip():
        continue
    src, protos, ver, md, np, ln, s, si, mclass, mtype, mlen, ipsrc, ipproto = line.rstrip("\n").split("\t")
    num = lambda x: int(x, 0) if x else None     # tshark prints some in hex
    want = dict(ver=(0, num(ver)), md=(2, num(md)), np=(3, num(np)), ln=(7, num(ln)),
                spi=(spi, num(s)), mclass=(0xfff6, num(mclass)), mtype=(1, num(mtype)),
                mlen=(16, num(mlen)))
    wrong = {k: v for k, v in want.items() if v[0] != v[1]}
    if not protos.startswith("eth:ethertype:nsh:eth:ethertype:ip"):
        wrong["protocols"] = protos
    back = src == nfmac
    fwd = ipsrc == "10.1.0.2"
    expect = (fback if back else fto) if fwd else (rback if back else rto)
    if int(si) != expect:
        wrong["si"] = (expect, int(si))
    if wrong:
        print("FAIL %s: frame %s: expected vs decoded %s" % (tap, line.split("\t"), wrong))
        sys.exit(1)
    k = ("forward" if fwd else "return", "back" if back else "to", int(si), ipproto)
    seen[k] = seen.get(k, 0) + 1
print(tap, "SPI", spi, {" ".join(map(str, k)): v for k, v in sorted(seen.items())})
for d in ("forward", "return"):
    for w in ("to", "back"):
        for p in ("1", "6"):        # ICMP and TCP, both ways, both legs
            if not any(k[0] == d and k[1] == w and k[3] == p for k in seen):
                print("FAIL %s: no %s %s frame %s the NF" % (tap, "ICMP" if p == "1" else "TCP", d, w))
                sys.exit(1)
EOF
}
check tfw1 2 1 1 0
check tmon1 1 0 2 1
log "dp-tshark: OK"
