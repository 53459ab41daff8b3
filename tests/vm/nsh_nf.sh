#!/bin/bash
# The NSH-aware test NF (tests/tools/nsh-nf.c) on a tap in a netns, driven
# with hand-built NSH frames (Documentation/nsh.md) from an AF_PACKET socket
# on the tap's kernel side: SI decremented, outer MACs swapped, SNAT with
# its own table (forward, restore, untranslated return), checksums right,
# hostile frames counted and survived, JSON stats on SIGUSR1 and exit, and
# every reply decoded by tshark as valid NSH with good inner checksums.
# Needs no module.
#   make -C tests/tools && scripts/vm-run.sh tests/vm/nsh_nf.sh
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

nf=$APSM_ROOT/tests/tools/nsh-nf
if [ ! -x "$nf" ] || [ "$nf" -ot "$nf.c" ]; then
	pp make -s -C "$APSM_ROOT/tests/tools" nsh-nf
fi
work=$(mktemp -d)
NFMAC=02:4e:46:00:00:01
NATIP=203.0.113.1

[ -e /dev/net/tun ] || pp modprobe tun
[ -e /dev/net/tun ] || fail "/dev/net/tun missing"
ns_add "${NS_PREFIX}0"
pp n0 ip tuntap add dev nf0 mode tap
pp n0 sysctl -qw net.ipv6.conf.nf0.disable_ipv6=1
pp n0 ip link set nf0 up

# not through n0(): $! must be nsh-nf itself (ip netns exec execs it)
ip netns exec "${NS_PREFIX}0" "$nf" -v --mac "$NFMAC" --nat "$NATIP" --stats "$work/nf.json" nf0 \
	2>"$work/nf.log" &
nfpid=$!
stop_nf() { kill "$nfpid" 2>/dev/null || true; }
on_exit stop_nf
wait_until 5 test -s "$work/nf.json" || fail "nsh-nf did not start: $(cat "$work/nf.log")"

pp n0 /usr/bin/python3 - "$NFMAC" "$NATIP" "$work" <<'EOF'
import logging, random, socket, struct, sys, time
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, TCP, UDP, ICMP, raw, wrpcap

NFMAC = bytes.fromhex(sys.argv[1].replace(":", ""))
NATIP, WORK = sys.argv[2], sys.argv[3]
ME = bytes.fromhex("020000000099")
A, B = "10.0.0.1", "198.51.100.2"

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("nf0", 0))
s.settimeout(0.3)
replies = []

def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)

def nsh(si=2, n=3, path=(0x100001, 0x200002, 0x300003), spi=0x42, ttl=63,
        dir=1, origin=1, md=2, np=3, ver=0, pre=b""):
    v = struct.pack("!IBBH", origin, dir, n, 0)
    v += b"".join(struct.pack("!I", p) for p in path)
    body = pre + struct.pack("!HBB", 0xFFF6, 1, len(v)) + v
    w0 = ver << 14 | ttl << 6 | (8 + len(body)) // 4
    return struct.pack("!HBBI", w0, md, np, spi << 8 | si) + body

def frame(hdr, inner):
    return NFMAC + ME + b"\x89\x4f" + hdr + raw(inner)

def xchg(fr):
    """send, return the NF's reply (or None)"""
    s.send(fr)
    end = time.time() + 0.3
    while time.time() < end:
        try:
            data, addr = s.recvfrom(65536)
        except socket.timeout:
            return None
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        replies.append(data)
        return data
    return None

def check_reply(r, sent_hdr, what):
    if r is None:
        fail(what + ": no reply")
    if r[0:6] != ME or r[6:12] != NFMAC or r[12:14] != b"\x89\x4f":
        fail(what + ": outer header " + r[:14].hex())
    hl = (r[15] & 0x3F) * 4
    if hl != len(sent_hdr):
        fail(what + ": nsh length changed")
    h = r[14:14 + hl]
    if h[7] != sent_hdr[7] - 1:
        fail("%s: SI %d, sent %d" % (what, h[7], sent_hdr[7]))
    if h[:7] != sent_hdr[:7] or h[8:] != sent_hdr[8:]:
        fail(what + ": nsh header changed beyond SI")
    inner = Ether(r[14 + hl:])
    # checksums as sent must equal freshly computed ones
    again = inner.copy()
    del again[IP].chksum
    for l4 in (TCP, UDP, ICMP):
        if l4 in again:
            del again[l4].chksum
    again = Ether(raw(again))
    if raw(again) != raw(inner):
        fail(what + ": inner checksums wrong")
    return inner

# forward: SNAT to NATIP, first TCP port 20000
hdr = nsh()
fwd = Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") / \
    IP(src=A, dst=B) / TCP(sport=1234, dport=80, flags="S", seq=7)
i = check_reply(xchg(frame(hdr, fwd)), hdr, "tcp forward")
if (i[IP].src, i[TCP].sport, i[IP].dst, i[TCP].dport) != (NATIP, 20000, B, 80):
    fail("tcp forward not translated: " + i.summary())
# same flow again: same port; another flow: the next port
i = check_reply(xchg(frame(hdr, fwd)), hdr, "tcp forward 2")
if i[TCP].sport != 20000:
    fail("same flow, other port %d" % i[TCP].sport)
fwd2 = fwd.copy()
fwd2[TCP].sport = 1235
i = check_reply(xchg(frame(hdr, fwd2)), hdr, "tcp forward flow 2")
if i[TCP].sport != 20001:
    fail("second flow port %d" % i[TCP].sport)

# return through the same NF: restored
rhdr = nsh(si=1, n=1, path=(0x300003,), dir=2)
ret = Ether() / IP(src=B, dst=NATIP) / TCP(sport=80, dport=20000, flags="SA")
i = check_reply(xchg(frame(rhdr, ret)), rhdr, "tcp return")
if (i[IP].dst, i[TCP].dport, i[IP].src) != (A, 1234, B):
    fail("tcp return not restored: " + i.summary())
# a return this NF holds no translation for: passed unchanged, counted
for r in (Ether() / IP(src=B, dst=NATIP) / TCP(sport=80, dport=20555),
          Ether() / IP(src="192.0.2.99", dst=NATIP) / TCP(sport=80, dport=20000),
          Ether() / IP(src=B, dst="203.0.113.77") / TCP(sport=80, dport=20000)):
    r = Ether(raw(r))
    i = check_reply(xchg(frame(rhdr, r)), rhdr, "untranslated return")
    if raw(i) != raw(r):
        fail("untranslated return was changed: " + i.summary())

# UDP and ICMP echo
u = Ether() / IP(src=A, dst=B) / UDP(sport=5000, dport=40001) / (b"q" * 11)
i = check_reply(xchg(frame(hdr, u)), hdr, "udp forward")
if (i[IP].src, i[UDP].sport) != (NATIP, 20000):
    fail("udp not translated: " + i.summary())
e = Ether() / IP(src=A, dst=B) / ICMP(type=8, id=0x1111, seq=1) / (b"p" * 56)
i = check_reply(xchg(frame(hdr, e)), hdr, "echo request")
if (i[IP].src, i[ICMP].id) != (NATIP, 20000):
    fail("echo not translated: " + i.summary())
er = Ether() / IP(src=B, dst=NATIP) / ICMP(type=0, id=20000, seq=1) / (b"p" * 56)
i = check_reply(xchg(frame(rhdr, er)), rhdr, "echo reply")
if (i[IP].dst, i[ICMP].id) != (A, 0x1111):
    fail("echo reply not restored: " + i.summary())

# an unknown TLV before ours is skipped
h2 = nsh(pre=struct.pack("!HBB", 0x0000, 9, 5) + b"abcde\0\0\0")
check_reply(xchg(frame(h2, fwd)), h2, "unknown tlv")

# refused: no reply, the NF lives on
bad = {
    "md type 1": nsh(md=1), "version 1": nsh(ver=1), "np ipv4": nsh(np=1),
    "si > n": nsh(si=4), "n 0": nsh(n=0, si=0, path=()),
    "n 9": nsh(n=9, path=range(9)), "dir 0": nsh(dir=0),
}
for what, h in bad.items():
    if xchg(frame(h, fwd)) is not None:
        fail("reply to " + what)
if xchg(frame(nsh(si=0), fwd)) is not None:
    fail("reply to si 0")
if xchg(NFMAC + ME + b"\x08\x06" + b"\0" * 28) is not None:
    fail("reply to arp")
rnd = random.Random(8300)
good = frame(hdr, fwd)
for k in range(500):
    if k % 2:
        fr = bytearray(good)
        for _ in range(rnd.randint(1, 6)):
            fr[rnd.randrange(14, 14 + len(hdr))] = rnd.randrange(256)
        fr = bytes(fr[:rnd.randint(14, len(fr))])
    else:
        fr = NFMAC + ME + b"\x89\x4f" + rnd.randbytes(rnd.randint(0, 120))
    try:
        s.send(fr)
    except OSError:
        pass
# the NF handles frames in order: once the reply to a marker (its own
# SPI) sent after the garbage is back, every damaged frame was handled
mark = nsh(spi=0xabcde)
s.send(frame(mark, fwd))
fuzz_ok, end = 0, time.time() + 10
while True:     # replies to damaged frames that stayed valid: not recorded
    if time.time() > end:
        fail("no reply to the marker sent after the garbage")
    try:
        data, addr = s.recvfrom(65536)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    if data[18:21] == mark[4:7]:
        break
    fuzz_ok += 1
print("fuzz: %d damaged frames still valid" % fuzz_ok)
check_reply(xchg(frame(hdr, fwd)), hdr, "after garbage")
wrpcap(WORK + "/replies.pcap", [Ether(r) for r in replies])
print("replies: %d" % len(replies))
EOF

json=$work/nf.json
rm -f "$json"
pp kill -USR1 "$nfpid"
wait_until 5 test -s "$json" || fail "nsh-nf wrote no stats on SIGUSR1"
pp /usr/bin/python3 - "$json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
def eq(k, v):
    if j[k] != v:
        print("FAIL: %s = %s, expected %s" % (k, j[k], v), file=sys.stderr)
        sys.exit(1)
eq("mac", "02:4e:46:00:00:01")
eq("restored", 2)              # tcp return, echo reply
eq("untranslated", 3)
eq("si_zero", 1)
assert j["non_nsh"] >= 1, j["non_nsh"]
assert j["translated"] >= 6, j["translated"]   # + valid fuzzed frames
assert j["invalid"] >= 7 + 100, j["invalid"]
assert j["packets_in"] == j["packets_out"] + j["invalid"] + j["si_zero"], j
tr = {(t["proto"], t["port"]): t for t in j["nat"]["translations"]}
assert tr[("tcp", 20000)]["src"] == "10.0.0.1:1234", tr
assert tr[("tcp", 20000)]["in"] == 1, tr
assert tr[("tcp", 20001)]["src"] == "10.0.0.1:1235", tr
assert tr[("icmp", 20000)]["src"] == "10.0.0.1:4369", tr
assert j["flow_count"] >= 6, j["flow_count"]
print("stats ok: in %d out %d invalid %d" % (j["packets_in"], j["packets_out"], j["invalid"]))
EOF

# tshark: every reply is NSH, none malformed, inner checksums good
out=$(tshark -r "$work/replies.pcap" -o ip.check_checksum:TRUE \
	-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-T fields -e frame.protocols -e nsh.si -e ip.checksum.status \
	-e tcp.checksum.status -e udp.checksum.status -e icmp.checksum.status \
	-e _ws.malformed 2>/dev/null)
n=$(wc -l <<<"$out")
log "tshark decoded $n replies"
[ "$n" -eq 12 ] || fail "tshark saw $n frames, the test got 12 replies"
if grep -v '^eth:ethertype:nsh:eth:ethertype:ip:' <<<"$out" | grep -q .; then
	fail "not NSH-in-Ethernet: $(grep -v '^eth:ethertype:nsh:eth' <<<"$out" | head -3)"
fi
if awk -F'\t' '$3 != 1 || ($4 != "" && $4 != 1) || ($5 != "" && $5 != 1) ||
		($6 != "" && $6 != 1) || $7 != ""' <<<"$out" | grep -q .; then
	fail "bad checksum or malformed: $(awk -F'\t' '$3 != 1 || $7 != ""' <<<"$out" | head -3)"
fi

# the stats nsh-nf writes at exit: a new file (the SIGUSR1 one is moved
# away first), the same counters (nothing was sent since)
mv "$json" "$work/nf.usr1.json"
pp kill -TERM "$nfpid"
wait "$nfpid" || fail "nsh-nf exited with $?"
[ -s "$json" ] || fail "no stats written at exit"
counters() { /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
print(*(j[k] for k in ("packets_in", "packets_out", "invalid", "translated", "restored")))' "$1"; }
assert_eq "$(counters "$json")" "$(counters "$work/nf.usr1.json")" "stats at exit (in out invalid translated restored)"
log "nsh-nf: OK"
