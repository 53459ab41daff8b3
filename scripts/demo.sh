#!/bin/bash
# The APSM demo (the patent's FIG. 1 scenario), run inside the VM by
# `make demo` (scripts/vm-run.sh scripts/demo.sh). Real packets from real
# tools (ping, socat) cross service chains whose instances are spread over
# three APSM nodes; every command is echoed; the end shows, per node, the
# learned flow table and the per-instance counters, and one plain-English
# line per flow derived from them. Exits non-zero if any traffic failed.
#
#                   client (netns client)          server (netns server)
#                   eth0 10.1.0.2                  eth0 10.2.0.2
#                        |                              |
#                   up0 10.1.0.1 (uplink)          up1 10.2.0.1 (uplink)
#                +------------------------------------------------+
#                | node1 (netns node1, APSM node id 1)            |
#                |   policies: tcp dport 80 -> chain web          |
#                |             icmp         -> chain web          |
#                |             udp dport 5004 -> chain video      |
#                |   NFs (nsh-nf on taps): nat-2 mon-1            |
#                +------------------- fab0 10.0.0.1 --------------+
#                                        |
#       ========================= bridge apsmfab (the fabric) =========
#                    |                                    |
#             fab0 10.0.0.2                         fab0 10.0.0.3
#     +-----------------------------+    +-----------------------------+
#     | node2 (netns node2, id 2)   |    | node3 (netns node3, id 3)   |
#     |   NFs: fw-1 mon-2           |    |   NFs: fw-2 nat-1 mon-3     |
#     +-----------------------------+    +-----------------------------+
#
#   chain web   (spi 10) = fw -> nat -> mon     nat-N SNATs to 10.99.0.N
#   chain video (spi 20) = fw -> mon
#
# The NFs are tests/tools/nsh-nf on tap devices (like a VM's backend): they
# decrement the NSH service index and send the frame back; --nat makes them
# a stateful SNAT. Nodes 2 and 3 route the client/server prefixes via node1.
# One apsmd (the node controller, Documentation/apsmd.md) runs per node: it
# sets the node id, the fabric port and the peers, and pushes every RDS
# entry its node learns to the other nodes' apsmd over UDP (port 7946 on the
# fabric addresses, HMAC with a shared cluster key), so the return entry
# learned on the node of the chain's last NF reaches node1, where the
# server's replies enter. The first reply of a flow can beat that copy (TCP
# retransmits it).
set -eu
cd "$(dirname "$0")/.."
APSM_ROOT=${APSM_ROOT:-$PWD}
# shellcheck source=tests/lib.sh
. tests/lib.sh
# shellcheck source=tests/lib-3node.sh
. tests/lib-3node.sh
require_vm

{ [ -x "$APSM_CTL" ] && [ -x "$APSM_D" ] && [ -x tests/tools/nsh-nf ]; } ||
	fail "run 'make userspace' first"
PATH=${APSM_CTL%/*}:${APSM_D%/*}:$APSM_ROOT/tests/tools:$PATH
CTL=apsmctl D=apsmd NF=nsh-nf PY=/usr/bin/python3
NS=(node1 node2 node3)
C=client S=server

awk '/client \(netns client\)/ { on = 1 } on { sub(/^# ?/, ""); print } /chain video \(spi/ { exit }' "$0"
echo

section() { printf '\n========== %s ==========\n' "$*"; }

section "module and namespaces"
tn_init -v --names "${NS[*]} $C $S"

section "the fabric: one bridge, a veth into each node"
tn_fabric

section "client and server behind node1's uplinks"
tn_uplinks

# instances: name id service node(index) [nat ip]
INST="fw-1 101 fw 1
fw-2 102 fw 2
nat-1 201 nat 2 10.99.0.1
nat-2 202 nat 0 10.99.0.2
mon-1 301 mon 0
mon-2 302 mon 1
mon-3 303 mon 2"
section "apsmd on each node: node id, fabric port, peers, RDS replication"
tn_apsmd_write
log "node1's apsmd config (node2's and node3's differ in Id, Listen and the peers):"
sed 's/^/    /' "$work/apsmd0.conf" >&2
tn_apsmd_start
for i in 0 1 2; do
	pp "$CTL" -n "${NS[i]}" node show
	pp "$CTL" -n "${NS[i]}" port show
	pp "$CTL" -n "${NS[i]}" peer show
done

section "APSM configuration (the same catalogue on every node) and the NFs (nsh-nf on each tap)"
tn_nf_setup "$INST"
for i in 0 1 2; do
	tn_ctl "$i" chain add web spi 10 services fw,nat,mon
	tn_ctl "$i" chain add video spi 20 services fw,mon
done
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 proto tcp dport 80 chain web
tn_ctl 0 policy add prio 20 iif up0 src 10.1.0.0/24 proto icmp chain web
tn_ctl 0 policy add prio 30 iif up0 src 10.1.0.0/24 proto udp dport 5004 chain video

section "servers: TCP echo on 10.2.0.2:80, UDP echo on 10.2.0.2:5004"
tn_bg tcp-echo ip netns exec "$S" socat -t 10 TCP-LISTEN:80,reuseaddr,fork EXEC:cat
tn_bg udp-echo ip netns exec "$S" socat UDP-LISTEN:5004,reuseaddr,fork EXEC:cat
servers_up() {
	[ -n "$(ip netns exec "$S" ss -Htln 'sport = :80')" ] &&
		[ -n "$(ip netns exec "$S" ss -Huln 'sport = :5004')" ]
}
wait_until 5 servers_up || fail "the echo servers did not start"

section "traffic from the client"
log "note: a flow's first reply can reach node1 before apsmd has copied the"
log "return entry there; it is then lost (ping shows one missing reply, TCP retransmits)"
ok=1
# ping: ICMP echo through web (fw -> nat -> mon); the first reply may
# arrive before the return entry reached node1 (then it is lost)
if pp ip netns exec "$C" ping -c 4 -i 0.5 -W 3 10.2.0.2; then
	log "ping: OK"
else
	log "ping: FAILED"; ok=0
fi
# three TCP connections to port 80 (chain web), one message each
for sp in 40001 40002 40003; do
	msg="hello web from port $sp"
	reply=$(echo "$msg" | pp ip netns exec "$C" socat -t 10 - \
		"TCP:10.2.0.2:80,sp=$sp,connect-timeout=10") || reply="(socat failed)"
	if [ "$reply" = "$msg" ]; then
		log "TCP sport $sp: echo came back: '$reply'"
	else
		log "TCP sport $sp: FAILED, got '$reply'"; ok=0
	fi
done
# two UDP "video" streams to port 5004 (chain video): 3 datagrams each
for sp in 50001 50002; do
	want=$(printf 'frame%s\n' 1 2 3)
	reply=$( (for f in 1 2 3; do echo "frame$f"; sleep 0.7; done) |
		pp ip netns exec "$C" socat -t 2 - "UDP:10.2.0.2:5004,sp=$sp") || reply="(socat failed)"
	if [ "$reply" = "$want" ]; then
		log "UDP sport $sp: all 3 datagrams echoed"
	else
		log "UDP sport $sp: FAILED, got '$(echo "$reply" | tr '\n' ' ')'"; ok=0
	fi
done
wait_stable 10 tn_all_instances || fail "instance counters did not settle"
[ "$ok" = 1 ] || { tn_dump; fail "traffic through the chains failed"; }

section "what each node holds"
for i in 0 1 2; do
	echo
	echo "---------- ${NS[i]} (APSM node $((i + 1))) ----------"
	pp "$CTL" -n "${NS[i]}" flow show
	pp "$CTL" -n "${NS[i]}" instance show
	"$CTL" -n "${NS[i]}" -j instance show >"$work/inst$i.json"
	"$CTL" -n "${NS[i]}" -j flow show >"$work/flow$i.json"
	"$CTL" -n "${NS[i]}" -j stats show >"$work/stats$i.json"
done
# the NAT instances' own translation tables (nsh-nf writes them on SIGUSR1)
while read -r name id svc node natip; do
	[ -n "${natip:-}" ] || continue
	rm -f "$work/$name.json"
	kill -USR1 "${TN_NF_PID[$name]}"
	wait_until 5 test -s "$work/$name.json" || fail "no stats from nsh-nf $name"
done <<<"$INST"

section "summary (derived from the JSON above)"
"$PY" - "$work" "$INST" <<'EOF' || { tn_dump; fail "the flow tables do not show the expected paths"; }
import json, sys
w, inst = sys.argv[1], sys.argv[2]
def ld(n): return json.load(open("%s/%s.json" % (w, n)))
where, natip = {}, {}
for line in inst.splitlines():
    f = line.split()
    where[f[0]] = int(f[3])
    if len(f) > 4:
        natip[f[0]] = f[4]
ok = True
# per-instance counters, from the node that hosts the instance
print("per instance, counted on its own node: packets sent to the NF (tx) / received back (rx)")
for name, i in where.items():
    e = [x for x in ld("inst%d" % i) if x["name"] == name][0]
    print("  %-6s @node%d  tx %4d  rx %4d  drops %d%s" % (name, i + 1,
          e["tx_packets"], e["rx_packets"], e["drops"],
          "" if e["tx_packets"] else "   (not chosen for any flow)"))
    if e["tx_packets"] != e["rx_packets"] or e["drops"]:
        ok = False
for i in range(3):
    bad = {k: v for k, v in ld("stats%d" % i).items() if k.startswith("drop") and v}
    if bad:
        print("  node%d drop counters: %s" % (i + 1, bad))
print()
flows = ld("flow0")       # node1: where forward traffic and replies enter
fwd = [f for f in flows if f["dir"] == "forward"]
ret = [f for f in flows if f["dir"] == "return"]
def at(p): return "%s@node%d" % (p, where[p] + 1)
def ep(a, p, proto): return a if proto == "icmp" else "%s:%d" % (a, p)
for f in sorted(fwd, key=lambda f: (f["chain"], f["proto"], f["sport"])):
    proto, path = f["proto"], f["path"]
    key = "%s %s -> %s" % (proto, ep(f["src"], f["sport"], proto), ep(f["dst"], f["dport"], proto))
    if proto == "icmp":
        key = "icmp echo %s -> %s (id %d)" % (f["src"], f["dst"], f["sport"])
    cands = [r for r in ret if r["proto"] == proto and r["src"] == f["dst"]
             and r["spi"] == f["spi"] and r["path"] == path[::-1]]
    nats = [p for p in path if p in natip]
    if nats:   # the reply is addressed to what the NAT instance made of the flow
        st = ld(nats[0])
        tr = [t for t in st["nat"]["translations"] if t["proto"] == proto
              and t["src"] == "%s:%d" % (f["src"], f["sport"])]
        port = tr[0]["port"] if tr else None
        cands = [r for r in cands if r["dst"] == natip[nats[0]]
                 and port in ((r["sport"],) if proto == "icmp" else (r["dport"],))]
    else:
        cands = [r for r in cands if r["dst"] == f["src"]
                 and (proto == "icmp" or (r["dport"] == f["sport"] and r["sport"] == f["dport"]))]
    print("flow %s [chain %s]" % (key, f["chain"]))
    print("    went    %s  (entry hits: %d)" % (" -> ".join(at(p) for p in path), f["packets"]))
    if len(cands) != 1:
        print("    NO matching return entry on node1 (candidates: %s)" % cands)
        ok = False
        continue
    r = cands[0]
    print("    replies %s came back through %s  (entry hits: %d; return entry learned on node%d%s)"
          % (ep(r["src"], r["sport"], proto) + " -> " + ep(r["dst"], r["dport"], proto),
             " -> ".join(at(p) for p in r["path"]), r["packets"], r["origin"],
             ", replicated to node1 by apsmd" if r["origin"] != 1 else ""))
    if r["packets"] < 1:
        ok = False
n = len(fwd)
if n != 6:
    print("expected 6 forward entries on node1, found %d" % n)
    ok = False
print()
print("RESULT: %s" % ("every flow went through its chain and its replies came back through the same instances, reversed"
                      if ok else "MISMATCH (see above)"))
sys.exit(0 if ok else 1)
EOF

section "apsmd counters (from each StatsFile)"
for i in 0 1 2; do
	"$PY" - "${NS[i]}" "$work/apsmd$i.json" <<'EOF' || fail "bad apsmd stats on ${NS[i]}"
import json, sys
s = json.load(open(sys.argv[2]))
print("  apsmd@%s: sent %d received %d auth_fail %d (batches sent %d received %d; replay %d install_fail %d)"
      % (sys.argv[1], s["sent"], s["received"], s["auth_fail"], s["batches_sent"],
         s["batches_received"], s["replay"], s["install_fail"]))
EOF
done
log "demo: OK"
