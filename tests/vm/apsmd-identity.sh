#!/bin/bash
# apsmd-identity: three nodes with per-node keys (Documentation/security.md).
#   make userspace && scripts/vm-run.sh tests/vm/apsmd-identity.sh
#
# Topology: tests/lib-3node.sh (nodes apsm-t0/1/2 = ids 1/2/3, fabric
# 10.0.0.N), fw1 (nsh-nf, id 101) on n0, a chain and a policy on n0. Each
# node has its own X25519 key (apsmd genkey, mode 0600) and lists its
# peers' public keys (apsmd pubkey); datagrams are sealed per peer.
# tests/tools/apsmd-forge seals single datagrams with any key.
#
# Proves:
#  - a key file of mode 0644 and a config that gives only some peers a
#    PublicKey are refused with a clear error;
#  - flows replicate with per-node keys (n0's entries reach n1 and n2);
#  - a datagram sealed with an unregistered key is ignored and counted
#    (auth_fail) and changes no RDS;
#  - node 2's key claiming origin 3 (a pushed LOG of stream 3) is refused
#    and counted (auth_origin_refused); a peer deleting (or taking over)
#    another node's instance is refused and counted (inst_foreign);
#  - a genuine datagram captured before a restart of its receiver, sent
#    again after it, is refused and counted (replay); the sender is asked
#    for a new epoch and the receiver hears it again (epoch_bumps);
#  - a node whose version clock is one hour ahead (test-only knob
#    APSMD_TEST_VERSION_OFFSET_MS) moves no other node's clock: its writes
#    are refused and counted (version_ahead), and the others' new entries
#    carry versions of their own clock.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"
tn_setup --client-node 0 --server-node 0
FORGE=$APSM_ROOT/tests/tools/apsmd-forge
[ -x "$FORGE" ] || fail "$FORGE missing: run 'make userspace'"
for i in 0 1 2; do tn_ctl "$i" node set timeout-other 3600; done

# ------------------------------------------------------------- keys
for i in 0 1 2; do
	(umask 022 && "$D" genkey >"$work/n$i.key") || fail "genkey"
	"$D" pubkey <"$work/n$i.key" >"$work/n$i.pub" || fail "pubkey"
	[ "$(base64 -d "$work/n$i.pub" | wc -c)" = 32 ] || fail "pubkey: not base64 of 32 bytes"
done
echo garbage | "$D" pubkey >/dev/null 2>&1 && fail "pubkey accepted garbage"
pub() { cat "$work/n$1.pub"; }
id_conf() { # I: node I's config with per-node keys
	local i=$1 j
	printf '[Node]\nId = %d\nListen = 10.0.0.%d:7946\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s\nStateFile = %s\n' \
		$((i + 1)) $((i + 1)) "$work/n$i.key" "$work/apsmd$i.json" "$work/n$i.state"
	for j in 0 1 2; do
		[ "$i" = "$j" ] && continue
		printf '\n[Peer]\nId = %d\nEndpoint = 10.0.0.%d:7946\nLinkAddress = 02:fa:00:00:00:0%d\nPublicKey = %s\n' \
			$((j + 1)) $((j + 1)) $((j + 1)) "$(pub "$j")"
	done
}
for i in 0 1 2; do id_conf "$i" >"$work/apsmd$i.conf"; done
err=$(nsx "${NS[0]}" "$D" -c "$work/apsmd0.conf" --foreground 2>&1) && fail "a 0644 key file was accepted"
assert_match "$err" "n0.key: a private key file must be .* mode 0600" "0644 key file refused"
chmod 600 "$work"/n[012].key
# mixed: one peer without its PublicKey
grep -v "^PublicKey = $(pub 2)" "$work/apsmd0.conf" >"$work/mixed.conf"
err=$(nsx "${NS[0]}" "$D" -c "$work/mixed.conf" --foreground 2>&1) && fail "a mixed config was accepted"
assert_match "$err" "peer 3 has no PublicKey" "mixed config refused"
log "0644 key file and mixed config refused"

tn_apsmd_start
for i in 0 1 2; do
	grep -q "shared KeyFile" "$work/apsmd$i.log" && fail "node $i warns of a shared key with per-node keys"
done

# ------------------------------------------------------------- replication
tn_nf_setup "fw1 101 fw 0"
tn_ctl 0 chain add c1 spi 10 services fw
tn_ctl 0 policy add prio 10 iif up0 src 10.1.0.0/24 chain c1
pp nsx "$C" ping -c 3 -i 0.3 -W 2 10.2.0.2 || fail "ping through the chain failed"
flows() { # I: the node's flows as sorted canonical lines
	"$CTL" -n "${NS[$1]}" -j flow show | "$PY" -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["dir"], f["src"], f["dst"], f["sport"], f["dport"])):
    print(f["dir"], f["proto"], f["src"], f["sport"], f["dst"], f["dport"], f["spi"],
          ",".join(map(str, f["path_ids"])), f["origin"], f["version"])'
}
flows 0 >"$work/f0"
assert_eq "$(grep -c . "$work/f0")" 2 "n0 holds a forward and a return entry"
same() { [ "$(flows "$1")" = "$(cat "$work/f0")" ]; }
for i in 1 2; do
	wait_until 10 same "$i" || { flows "$i" >&2; tn_dump; fail "node $i did not converge with per-node keys"; }
done
log "n0's entries reached n1 and n2 with per-node keys"
stat() { tn_apsmd_stat "$@"; }
gt() { [ "$(stat "$1" "$2")" -gt "$3" ]; }
now_ms() { date +%s%3N; }
forge() { # NS KEY FROM_ID TO_NODE_INDEX EPOCH SEQ ARGS...
	local ns=$1 key=$2 from=$3 to=$4
	shift 4
	nsx "$ns" "$FORGE" "$key" "$from" "$(pub "$to")" $((to + 1)) "10.0.0.$((to + 1)):7946" "$@"
}

# ------------------------------------------------------------- unregistered key
"$D" genkey >"$work/rogue.key"
af=$(stat 0 auth_fail)
forge "${NS[1]}" "$work/rogue.key" 2 0 "$(date +%s%N)" 1 log 2 1 2 $(($(now_ms) << 16)) ||
	fail "forge failed"
wait_until 5 gt 0 auth_fail "$af" || { tn_dump; fail "a datagram of an unregistered key was not counted"; }
flows 0 | grep -q 10.9.9.9 && fail "an unregistered key's entry was installed"
log "unregistered key ignored and counted: auth_fail $(stat 0 auth_fail)"

# ------------------------------------------------------------- node 2 speaks for node 3
# n1 (node 2) stops; its key is then used by the forger (a compromised
# node 2), with an epoch above its last one
kill -TERM "${TN_APSMD_PID[1]}"
wait "${TN_APSMD_PID[1]}" || fail "apsmd 1 exited with $?"
ao=$(stat 0 auth_origin_refused) inf=$(stat 2 inst_foreign)
ep=$(date +%s%N)
forge "${NS[1]}" "$work/n1.key" 2 0 "$ep" 1 log 3 1 3 $(($(now_ms) << 16)) || fail "forge failed"
wait_until 5 gt 0 auth_origin_refused "$ao" || { tn_dump; fail "node 2 claiming origin 3: not refused"; }
flows 0 | grep -q 10.9.9.9 && fail "node 2's entry of origin 3 was installed"
log "node 2's key claiming origin 3 refused: auth_origin_refused $(stat 0 auth_origin_refused)"
# node 2 deletes node 1's instance 101: as node 1's record, then as its own
forge "${NS[1]}" "$work/n1.key" 2 2 "$ep" 2 inst 101 1 || fail "forge failed"
forge "${NS[1]}" "$work/n1.key" 2 2 "$ep" 3 inst 101 2 || fail "forge failed"
wait_until 5 gt 2 inst_foreign $((inf + 1)) || { tn_dump; fail "instance deletes by node 2 not counted"; }
tn_has_instance 2 101 1 || fail "node 2 deleted node 1's instance on n2"
log "a peer deleting another node's instance refused: inst_foreign $(stat 2 inst_foreign)"

# ------------------------------------------------------------- replay after a restart
restart() { # I [VAR=VALUE...]: restart node I's apsmd
	local i=$1
	shift
	if [ -e "/proc/${TN_APSMD_PID[i]}" ]; then
		kill -TERM "${TN_APSMD_PID[i]}"
		wait "${TN_APSMD_PID[i]}" || fail "apsmd $i exited with $?"
	fi
	rm -f "$work/apsmd$i.json"
	tn_bg "apsmd$i" env "$@" ip netns exec "${NS[i]}" "$D" -c "$work/apsmd$i.conf" --foreground
	TN_APSMD_PID[i]=$TN_BG_PID
	wait_until 5 test -s "$work/apsmd$i.json" || fail "apsmd $i did not restart: $(cat "$work/apsmd$i.log")"
}
alive() { grep -q "peer $2 is \(alive\|back\)" "$work/apsmd$1.log"; }
restart 1
wait_until 10 alive 1 1 || { tn_dump; fail "n1 did not hear n0 after its restart"; }
# capture a genuine datagram node 2 -> node 1
cat >"$work/capture.py" <<'PYEOF'
import os, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind(("fab0", 0))
s.settimeout(20)
while True:
    p = s.recv(2048)
    ihl = (p[0] & 15) * 4
    if p[9] != 17 or p[12:16] != bytes([10, 0, 0, 2]) or p[16:20] != bytes([10, 0, 0, 1]):
        continue
    if struct.unpack("!H", p[ihl + 2:ihl + 4])[0] == 7946:
        open(sys.argv[1] + ".tmp", "wb").write(p[ihl + 8:])
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        break
PYEOF
nsx "${NS[0]}" "$PY" "$work/capture.py" "$work/captured.bin" || fail "capture failed"
restart 0
# n0 refuses node 2's epoch until node 2 takes a new one
wait_until 10 alive 0 2 || { tn_dump; fail "n0 did not hear node 2 again after its restart"; }
wait_until 5 gt 1 epoch_bumps 0 || fail "node 2 did not take a new epoch: $(cat "$work/apsmd1.json")"
rp=$(stat 0 replay)
cat >"$work/send.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(open(sys.argv[1], "rb").read(), ("10.0.0.1", 7946))
PYEOF
flows 0 >"$work/f0.before"
nsx "${NS[1]}" "$PY" "$work/send.py" "$work/captured.bin"
wait_until 5 gt 0 replay "$rp" || { tn_dump; fail "a capture replayed after a restart was not refused"; }
flows 0 >"$work/f0.after"
cmp -s "$work/f0.before" "$work/f0.after" || fail "the replayed capture changed n0's RDS"
log "capture replayed after a restart refused: replay $(stat 0 replay), node 2 epoch_bumps $(stat 1 epoch_bumps)"

# ------------------------------------------------------------- a clock one hour ahead
restart 2 APSMD_TEST_VERSION_OFFSET_MS=3600000
wait_until 10 alive 2 1 || { tn_dump; fail "n2 did not hear n0 after its restart"; }
grep -q "TEST ONLY" "$work/apsmd2.log" || fail "the test knob was not taken"
va0=$(stat 0 version_ahead) va1=$(stat 1 version_ahead)
# n2's operator deletes n0's forward entry: a write of n2, an hour ahead
read -r _ proto src sport dst dport _ < <(grep "^forward " "$work/f0")
pp "$CTL" -n "${NS[2]}" flow del proto "$proto" src "$src" sport "$sport" dst "$dst" dport "$dport"
wait_until 10 gt 0 version_ahead "$va0" || { tn_dump; fail "n0 took a version an hour ahead"; }
wait_until 10 gt 1 version_ahead "$va1" || { tn_dump; fail "n1 took a version an hour ahead"; }
flows 0 | grep -q "^forward " || fail "n0 lost its entry to a version an hour ahead"
# n0's clock did not move: a new entry there carries a version of now
pp nsx "$C" ping -c 2 -i 0.3 -W 2 10.2.0.2 || fail "ping through the chain failed"
maxv=$(flows 0 | awk '{ print $NF }' | sort -n | tail -1)
lim=$(( ($(now_ms) + 60000) << 16 ))
[ "$maxv" -le "$lim" ] || fail "n0's clock moved: version $maxv > $lim"
log "a node an hour ahead moved no clock: version_ahead n0 $(stat 0 version_ahead) n1 $(stat 1 version_ahead)"

for i in 0 1 2; do
	kill -TERM "${TN_APSMD_PID[i]}"
	wait "${TN_APSMD_PID[i]}" || fail "apsmd $i exited with $?"
done
log "apsmd-identity: ok"
