#!/bin/bash
# proxy-nat: REAL legacy NFs in proxy mode over 3 nodes: two nftables NAT
# instances (snat to the same public address, disjoint port ranges) on
# different nodes, and two nftables stateful firewalls; return traffic
# enters another node than the forward traffic.
#   make userspace && scripts/vm-run.sh --timeout 1200 tests/vm/proxy-nat.sh [N [U [PAR]]]
#
# Topology: tests/lib-3node.sh, client behind n0 (up0), server behind n1
# (up1): the server's replies enter n1. One apsmd per node replicates the
# RDS. Every legacy NF is a network namespace behind a veth (its port, on
# its own node): a one-armed router (default route back through the
# port), ip_forward on, no redirects; the module hands it plain frames to
# its MAC and gets them back routed (and rewritten). Instances:
#   fw1@n0 fw2@n2    nsh-nf (NSH-aware), service fw
#   fwr1@n0 fwr2@n2  proxy: nft forward chain, policy drop, accepts
#                    "ct state established,related" and new flows from the
#                    client net only (service fwr)
#   nat1@n1 nat2@n2  proxy: nft snat to 10.99.0.1:20000-29999 / :30000-39999
#   an1@n0 an2@n1    nsh-nf, service an
# Chains: c1 fw,nat,an (TCP 7777, UDP 7788); c2 fwr,nat,an (TCP 7778).
# All services stateful: the return path is an, nat, fw(r).
#
# Proves (N TCP connections per chain with socat, U UDP flows):
#  - every connection completes (TCP echo), every UDP flow gets its reply;
#  - each NAT namespace's conntrack table holds exactly the flows whose
#    forward RDS entry names that instance, translated into its own port
#    range; each return RDS entry (to 10.99.0.1:port) names the NAT that
#    owns the port, and the same fw/an as the forward entry;
#  - NAT instances recovered by fingerprint (first packets) and by learned
#    key (the rest, both directions), nothing unrecovered; the firewalls
#    (no rewriting) by key only; the real stateful firewalls let the
#    replies through, which they only do if the reply came back to the
#    instance that saw the connection open (affinity).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

N=${1:-200}	# TCP connections per chain
U=${2:-20}	# UDP flows
PAR=${3:-20}	# connections at once

# nftables (the NFs), conntrack; the VM does not autoload them
for m in nf_tables nft_nat nft_ct nft_chain_nat nf_conntrack; do modprobe "$m"; done

# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"
tn_setup --client-node 0 --server-node 1
tn_apsmd_write
# a peer silent for a few seconds under TCG is not dead: its instances
# would be dropped (peerdown) and connections time out
for i in 0 1 2; do sed -i '/^\[Node\]/a PeerTimeout = 60s' "$work/apsmd$i.conf"; done
tn_apsmd_start

# ------------------------------------------------------- legacy NF netns
# px_nf NAME ID SERVICE NODE IDX RULESET: namespace ${NS_PREFIX}nfIDX
# behind veth pNAME (10.50.IDX.1/30) on node NODE, its eth0
# 10.50.IDX.2/30 with MAC 02:50:00:00:00:IDX; RULESET loaded into its
# nftables; instance NAME (proxy, unrecovered drop) on every node.
# (Candidate for tests/lib-3node.sh.)
px_nf() {
	local name=$1 id=$2 svc=$3 node=$4 idx=$5 ruleset=$6 i
	local ns=${NS_PREFIX}nf$idx mac
	mac=$(printf '02:50:00:00:00:%02x' "$idx")
	ns_add "$ns"
	ip link add "p$name" netns "${NS[node]}" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set eth0 address "$mac"
	ip -n "${NS[node]}" addr add "10.50.$idx.1/30" dev "p$name"
	ip -n "$ns" addr add "10.50.$idx.2/30" dev eth0
	ip -n "${NS[node]}" link set "p$name" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "10.50.$idx.1"
	nsx "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 \
		net.ipv6.conf.all.disable_ipv6=1
	# conntrack keeps every flow until the checks (closed TCP: 120 s)
	for t in time_wait close close_wait fin_wait last_ack; do
		nsx "$ns" sysctl -qw "net.netfilter.nf_conntrack_tcp_timeout_$t=3600"
	done
	nsx "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
		net.netfilter.nf_conntrack_udp_timeout_stream=3600
	printf '%s\n' "$ruleset" | nsx "$ns" nft -f - || fail "$name: nft ruleset"
	for i in 0 1 2; do
		if [ "$i" = "$node" ]; then
			tn_ctl "$i" instance add "$name" service "$svc" id "$id" dev "p$name" \
				mode proxy lladdr "$mac" unrecovered drop
		else
			# (apsmd may have installed it from its owner already)
			tn_ctl "$i" instance add "$name" service "$svc" id "$id" \
				node $((node + 1)) mode proxy ||
				"$CTL" -n "${NS[i]}" instance show "$name" |
				grep -q "^$name id $id service $svc node $((node + 1)) " ||
				fail "instance $name on ${NS[i]}"
		fi
	done
}

nat_rules() { # LO-HI
	cat <<EOF
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.1.0.0/24 meta l4proto { tcp, udp } snat to 10.99.0.1:$1
		ip saddr 10.1.0.0/24 snat to 10.99.0.1
	}
}
EOF
}

FW_RULES='table inet fw {
	chain forward_filter {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state new ip saddr 10.1.0.0/24 accept
		counter
	}
}'

tn_nf_setup "fw1 101 fw 0
fw2 102 fw 2
an1 301 an 0
an2 302 an 1"
for i in 0 1 2; do
	tn_ctl "$i" service add nat stateful
	tn_ctl "$i" service add fwr stateful
	# replies to the public address that beat the RDS replication: dropped
	# quietly (TCP retransmits), no ICMP error back to the server
	ip -n "${NS[i]}" route add blackhole 10.99.0.0/24
done
px_nf nat1 201 nat 1 1 "$(nat_rules 20000-29999)"
px_nf nat2 202 nat 2 2 "$(nat_rules 30000-39999)"
px_nf fwr1 401 fwr 0 3 "$FW_RULES"
px_nf fwr2 402 fwr 2 4 "$FW_RULES"
for i in 0 1 2; do
	tn_ctl "$i" chain add c1 spi 10 services fw,nat,an
	tn_ctl "$i" chain add c2 spi 20 services fwr,nat,an
done
tn_ctl 0 policy add prio 10 iif up0 proto tcp dport 7777 chain c1
tn_ctl 0 policy add prio 11 iif up0 proto udp dport 7788 chain c1
tn_ctl 0 policy add prio 20 iif up0 proto tcp dport 7778 chain c2

# ------------------------------------------------------------- traffic
tn_bg echo1 ip netns exec "$S" socat -t 30 TCP-LISTEN:7777,reuseaddr,fork,backlog=512 EXEC:cat
tn_bg echo2 ip netns exec "$S" socat -t 30 TCP-LISTEN:7778,reuseaddr,fork,backlog=512 EXEC:cat
tn_bg echou ip netns exec "$S" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7788))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(b"re:" + d, a)
'
listening() { [ -n "$(nsx "$S" ss -Htln 'sport = :7777')" ] &&
	[ -n "$(nsx "$S" ss -Htln 'sport = :7778')" ] &&
	[ -n "$(nsx "$S" ss -Hlun 'sport = :7788')" ]; }
wait_until 30 listening || fail "the servers did not start"

# conn PORT I SPORT: one TCP connection from source port SPORT, its echo
# checked; "ok I" or "FAIL I". Every connection has its own source port
# (below the ephemeral range): with ephemeral ports the client may reuse
# one, two connections then share an RDS key, and the count of forward
# entries below is one short (seen: 400 of 402).
conn() {
	local msg="conn $2 via $1" reply
	reply=$(echo "$msg" | nsx "$C" socat -t 30 - \
		"TCP:10.2.0.2:$1,connect-timeout=30,bind=10.1.0.2:$3,reuseaddr" 2>&1) || true
	if [ "$reply" = "$msg" ]; then echo "ok $2"; else echo "FAIL $2: $reply"; fi
}
run_conns() { # PORT: N connections, PAR at once; the failures to stderr
	local port=$1 i pids=()
	for ((i = 0; i < N; i++)); do
		conn "$port" "$i" $((port == 7777 ? 10000 + i : 12000 + i)) &
		pids+=($!)
		if (((i + 1) % PAR == 0)) || ((i + 1 == N)); then
			# (not a bare wait: the servers are children too)
			wait "${pids[@]}"
			pids=()
			log "port $port: $((i + 1)) done"
		fi
	done
}
log "$N TCP connections through c1 (fw, nat, an) and $N through c2 (fwr, nat, an), $U UDP flows"
# one connection per chain first: a broken setup fails here, with a dump
for port in 7777 7778; do
	# (a capture of both ends, shown if it fails)
	for x in C S; do
		nsx "${!x}" timeout 60 tcpdump -nvv -i eth0 -c 30 "tcp port $port" \
			>"$work/td$x$port.log" 2>&1 &
		wait_until 10 grep -q 'listening on' "$work/td$x$port.log" || true
	done
	r=$(conn "$port" first $((port - 7777 + 14000)))
	[ "$r" = "ok first" ] || {
		tn_dump >&2
		cat "$work/tdC$port.log" "$work/tdS$port.log" >&2
		fail "first connection via $port: $r"
	}
done
run_conns 7777 >"$work/c1.out"
run_conns 7778 >"$work/c2.out"
nsx "$C" "$PY" - "$U" >"$work/udp.out" <<'EOF' &
import select, socket, sys, time
n = int(sys.argv[1])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("10.2.0.2", 7788))
    socks.append(s)
todo = set(range(n))
end = time.time() + 30
while todo and time.time() < end:
    for i in todo:          # (re)send: the first reply may beat the RDS
        socks[i].send(b"udp flow %d" % i)
    t = time.time() + 1
    while todo and time.time() < t:
        r, _, _ = select.select([socks[i] for i in todo], [], [], 0.2)
        for s in r:
            i = socks.index(s)
            if s.recv(2048) == b"re:udp flow %d" % i:
                todo.discard(i)
print("udp ok %d of %d" % (n - len(todo), n))
EOF
wait $! || true

okc1=$(grep -c '^ok ' "$work/c1.out" || true)
okc2=$(grep -c '^ok ' "$work/c2.out" || true)
log "c1: $okc1/$N, c2: $okc2/$N, $(cat "$work/udp.out")"
if [ "$okc1" != "$N" ] || [ "$okc2" != "$N" ] ||
	[ "$(cat "$work/udp.out")" != "udp ok $U of $U" ]; then
	grep -h FAIL "$work/c1.out" "$work/c2.out" | head -5 >&2 || true
	tn_dump >&2
	fail "not every connection completed"
fi

# ------------------------------------------------------------- checks
wait_stable 20 tn_all_instances || fail "instance counters did not settle"
for i in 0 1 2; do
	"$CTL" -n "${NS[i]}" -j instance show >"$work/inst$i.json"
	"$CTL" -n "${NS[i]}" -j flow show >"$work/flow$i.json"
done
for x in 1 2 3 4; do
	nsx "${NS_PREFIX}nf$x" cat /proc/net/nf_conntrack >"$work/ct$x.txt"
	nsx "${NS_PREFIX}nf$x" nft list ruleset >"$work/nft$x.txt"
done
"$PY" - "$work" "$N" "$U" <<'EOF' || { tn_dump >&2; fail "proxy-nat checks"; }
import json, re, sys
w, N, U = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def ld(n): return json.load(open("%s/%s.json" % (w, n)))
own = {"fw1": 0, "fw2": 2, "an1": 0, "an2": 1,
       "nat1": 1, "nat2": 2, "fwr1": 0, "fwr2": 2}
inst = {}
for name, i in own.items():
    inst[name] = [x for x in ld("inst%d" % i) if x["name"] == name][0]
rng = {"nat1": range(20000, 30000), "nat2": range(30000, 40000)}
nfidx = {"nat1": 1, "nat2": 2, "fwr1": 3, "fwr2": 4}

def ct(name):
    """(proto, orig sport, orig dport) -> reply dport, client flows only"""
    out = {}
    for line in open("%s/ct%d.txt" % (w, nfidx[name])):
        f = line.split()
        proto = f[2]
        kv = [tuple(x.split("=", 1)) for x in f if "=" in x]
        src = [v for k, v in kv if k == "src"]
        sp = [int(v) for k, v in kv if k == "sport"]
        dp = [int(v) for k, v in kv if k == "dport"]
        if len(src) < 2 or src[0] != "10.1.0.2":
            continue
        out[(proto, sp[0], dp[0])] = dp[1]
    return out

flows = ld("flow0")       # the client's node, origin of the forward entries
fwd = {(f["proto"], f["sport"], f["dport"]): f for f in flows
       if f["dir"] == "forward" and f["src"] == "10.1.0.2"}
ret = {(f["proto"], f["sport"], f["dport"]): f for f in flows
       if f["dir"] == "return" and f["dst"] == "10.99.0.1"}
want = {"tcp": 2 * N + 2, "udp": U}
for p, n in want.items():
    got = len([k for k in fwd if k[0] == p])
    assert got == n, ("forward entries", p, got, n)

for nat in ("nat1", "nat2"):
    given = {k for k, f in fwd.items() if nat in f["path"]}
    c = ct(nat)
    assert set(c) == given, (nat, "conntrack != RDS paths: only in conntrack",
                             sorted(set(c) - given)[:5], "only in the RDS",
                             sorted(given - set(c))[:5])
    assert given, (nat, "got no flow")
    for k, port in c.items():
        assert port in rng[nat], (nat, k, port)
        r = ret.get((k[0], k[2], port))
        assert r, (nat, "no return entry for", k, port)
        f = fwd[k]
        assert r["path"] == f["path"][::-1], (k, f["path"], r["path"])
    print("%s: %d flows, conntrack == RDS, ports in range, return paths match"
          % (nat, len(given)))
for fw in ("fwr1", "fwr2"):
    given = {k for k, f in fwd.items() if fw in f["path"]}
    assert set(ct(fw)) == given, (fw, sorted(set(ct(fw)) ^ given)[:10])
    assert given, (fw, "got no flow")

def px(n): return inst[n]["proxy"]
print(json.dumps({n: px(n) for n in ("nat1", "nat2", "fwr1", "fwr2")}))
for n in ("nat1", "nat2", "fwr1", "fwr2"):
    p, x = px(n), inst[n]
    assert p["unrecovered"] == 0, (n, p)
    assert x["drops"] == 0, (n, x)
    assert x["tx_packets"] == x["rx_packets"], (n, x)
    assert p["recovered_key"] + p["recovered_learned"] + p["recovered_fprint"] \
        == x["rx_packets"], (n, p, x)
    assert p["fprint_entries"] <= p["fprint_size"], (n, p)
    assert p["fprint_collisions"] == 0 and p["fprint_evictions"] == 0, (n, p)
for n in ("nat1", "nat2"):
    p = px(n)
    nflows = len([k for k, f in fwd.items() if n in f["path"]])
    # one fingerprint per flow at least (its first packet); the rest by key
    assert p["recovered_fprint"] >= nflows, (n, p, nflows)
    assert p["recovered_learned"] > p["recovered_fprint"], (n, p)
for n in ("fwr1", "fwr2"):
    p = px(n)
    assert p["recovered_fprint"] == 0 and p["recovered_learned"] == 0, (n, p)
print("OK")
EOF
log "proxy-nat: OK"
