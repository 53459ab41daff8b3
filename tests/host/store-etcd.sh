#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# store-etcd: the cluster catalogue in a real etcd (no module, no VM).
# Starts etcd-server on a free localhost port (tests/lib-etcd.sh), then:
#  (1) apsmctl --store writes a catalogue (services, a chain whose SPI the
#      store assigns, a policy whose prio it assigns) and reads it back in
#      canonical form;
#  (2) bad arguments are refused with the parser's message and nothing is
#      written (the store revision does not move); a chain naming an
#      unknown service, a policy naming an unknown chain, a service in use
#      and a duplicate name are refused likewise;
#  (3) the store client (tests/tools/storecli over lib/store.c): a watch
#      from a revision sees a later put and a delete; a key put under a
#      lease without keepalive disappears when the lease expires; an
#      unreachable endpoint listed first is skipped;
#  (4) a watch from a revision etcd has compacted is canceled and says so
#      with the compact revision (apsmd then reads the catalogue again).
#
#   tests/host/store-etcd.sh
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
# shellcheck source=tests/lib-etcd.sh
. "$here/../lib-etcd.sh"
ROOT=$(cd "$here/../.." && pwd -P)
CLI=$ROOT/tests/tools/storecli
[ -x "$APSM_CTL" ] && [ -x "$CLI" ] || fail "build first: make -C userspace-ctl"
command -v etcd >/dev/null || fail "etcd-server is not installed (scripts/deps.sh)"

etcd_start 127.0.0.1
# a dead endpoint first: every call must fall through to the live one
URL="etcd://127.0.0.1:1,${ETCD_URL#etcd://}"
P=/apsm/t$$
ctl() { "$APSM_CTL" --store "$URL" --prefix "$P" "$@"; }
rev() { "$CLI" "$URL" get /apsm/ | sed -n 's/^rev //p'; }

log "(1) write the catalogue once, read it back"
ctl service add fw stateful || fail "service add fw"
ctl service add nat stateless || fail "service add nat"
ctl chain add web services fw,nat return nat || fail "chain add web"
ctl chain add web2 spi 7 services fw || fail "chain add web2"
ctl policy add dst 10.0.0.0/8 proto tcp dport 80 chain web || fail "policy add"
ctl policy add prio 50 src 192.0.2.0/24 chain web2 || fail "policy add prio 50"
assert_eq "$(ctl service show)" $'fw stateful\nnat stateless' "service show"
assert_eq "$(ctl chain show)" $'web spi 1 services fw,nat return nat\nweb2 spi 7 services fw' "chain show"
assert_eq "$(ctl policy show)" $'prio 100 dst 10.0.0.0/8 proto tcp dport 80 chain web\nprio 50 src 192.0.2.0/24 chain web2' "policy show"
assert_match "$(ctl -j chain show)" '"name":"web","args":"web spi 1 services fw,nat return nat"' "chain show -j"

log "(2) refusals write nothing"
before=$(rev)
refuse() {	# refuse WANT_MSG ARGS...: exit 1, WANT_MSG in stderr, no write
	local want=$1 out
	shift
	out=$(ctl "$@" 2>&1) && fail "accepted: $*"
	assert_match "$out" "$want" "message of: $*"
	assert_eq "$(rev)" "$before" "store revision after refused: $*"
}
refuse 'invalid name "b@d"' service add 'b@d'
refuse 'unknown keyword "spin"' chain add c3 spin 3 services fw
refuse 'invalid dport "99999"' policy add dport 99999 chain web
refuse 'unknown service "nope" \(not in the store\)' chain add c3 services fw,nope
refuse 'unknown chain "nochain"' policy add chain nochain
refuse 'service "fw" is in use by chain "web"' service del fw
refuse 'chain "web" is in use by policy "100"' chain del web
refuse 'service "fw" exists in the store' service add fw
refuse 'spi 7 is chain "web2"' chain add c3 spi 7 services fw
refuse 'is not in the store' policy del prio 12345
out=$("$APSM_CTL" --store etcd://127.0.0.1:1 service show 2>&1) && fail "unreachable store accepted"
assert_match "$out" 'store unreachable: http://127.0.0.1:1' "unreachable store"

log "(2b) del in dependency order"
ctl policy del prio 50 || fail "policy del"
ctl chain del web2 || fail "chain del web2"
assert_eq "$(ctl chain show)" 'web spi 1 services fw,nat return nat' "after del"

log "(3) watch, lease expiry"
r=$(rev)
"$CLI" "$URL" watch "$P/w/" $((r + 1)) 2 10000 >"$ETCD_DIR/watch" &
wpid=$!
"$CLI" "$URL" put "$P/w/a" hello || fail "put"
"$CLI" "$URL" put "$P/w/b" world || fail "put"
wait "$wpid" || fail "watch did not see 2 events: $(cat "$ETCD_DIR/watch")"
assert_eq "$(cat "$ETCD_DIR/watch")" $'PUT '"$P"$'/w/a=hello\nPUT '"$P"'/w/b=world' "watch events"
"$CLI" "$URL" lease-put "$P/l/k" v 2 || fail "lease-put"
assert_match "$("$CLI" "$URL" get "$P/l/")" "$P/l/k=v" "leased key present"
gone() { local o; o=$("$CLI" "$URL" get "$P/l/") && ! grep -q "$P/l/k" <<<"$o"; }
wait_until 15 gone || fail "the key of an expired lease is still there"
log "(4) a watch from a compacted revision is canceled, with the compact revision"
r=$(rev)
ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$ETCD_PORT" compact "$r" >/dev/null ||
	fail "etcdctl compact $r"
out=$("$CLI" "$URL" watch "$P/" 2 1 5000 2>&1) && fail "watch from a compacted revision: no error: $out"
assert_match "$out" "canceled, compact revision $r" "compacted watch"
assert_match "$out" "watch canceled: revision compacted" "compacted watch message"
log "PASS store-etcd"
