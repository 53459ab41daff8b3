# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A real etcd (Debian's etcd-server) for the store tests: one member in a
# temporary data dir on free localhost ports, ready when /health says so.
# Source after tests/lib.sh.
#
#   etcd_start [HOST] [NETNS]  sets ETCD_URL (etcd://HOST:PORT), ETCD_PID,
#                              ETCD_DIR (kept across etcd_stop/etcd_start);
#                              the client port is ETCD_PORT if set (set it
#                              between a stop and a start to move etcd)
#   etcd_stop                  SIGKILL it (a crash), wait until gone
#   etcd_healthy               0 if /health answers true

ETCD_BIN=${ETCD_BIN:-etcd}
ETCD_DIR=""
ETCD_PID=""
ETCD_URL=""
ETCD_HOST=""
ETCD_PORT=""
ETCD_NS=""
ETCD_PEER_PORT=""

_etcd_free_port() {	# a TCP port nothing listens on, from a seed
	local p=$1
	while ss -Hltn "sport = :$p" 2>/dev/null | grep -q . ||
	      ss -Hltn "sport = :$((p + 1))" 2>/dev/null | grep -q .; do
		p=$((p + 2))
	done
	echo "$p"
}

etcd_healthy() {
	local out
	if [ -n "$ETCD_NS" ]; then
		out=$(ip netns exec "$ETCD_NS" curl -s --noproxy "*" --max-time 1 "http://$ETCD_HOST:$ETCD_PORT/health") || return 1
	else
		out=$(curl -s --noproxy '*' --max-time 1 "http://$ETCD_HOST:$ETCD_PORT/health") || return 1
	fi
	[[ $out == *'"health":"true"'* ]]
}

etcd_start() {
	ETCD_HOST=${1:-${ETCD_HOST:-127.0.0.1}}
	ETCD_NS=${2:-$ETCD_NS}
	if [ -z "$ETCD_DIR" ]; then
		ETCD_DIR=$(mktemp -d /tmp/apsm-etcd.XXXXXX)
		on_exit rm -rf "$ETCD_DIR"
		on_exit etcd_stop
	fi
	[ -n "$ETCD_PORT" ] || ETCD_PORT=$(_etcd_free_port $((20000 + $$ % 20000)))
	# the peer port stays that of the first start: it is in the data dir
	: "${ETCD_PEER_PORT:=$((ETCD_PORT + 1))}"
	local peer=$ETCD_PEER_PORT run=()
	[ -n "$ETCD_NS" ] && run=(ip netns exec "$ETCD_NS")
	"${run[@]}" "$ETCD_BIN" --name apsm --data-dir "$ETCD_DIR/data" \
		--listen-client-urls "http://$ETCD_HOST:$ETCD_PORT" \
		--advertise-client-urls "http://$ETCD_HOST:$ETCD_PORT" \
		--listen-peer-urls "http://$ETCD_HOST:$peer" \
		--initial-advertise-peer-urls "http://$ETCD_HOST:$peer" \
		--initial-cluster "apsm=http://$ETCD_HOST:$peer" \
		>>"$ETCD_DIR/log" 2>&1 &
	ETCD_PID=$!
	ETCD_URL="etcd://$ETCD_HOST:$ETCD_PORT"
	wait_until 30 etcd_healthy ||
		{ tail -5 "$ETCD_DIR/log" >&2; fail "etcd did not become healthy on $ETCD_HOST:$ETCD_PORT"; }
}

etcd_stop() {
	[ -n "$ETCD_PID" ] || return 0
	kill -KILL "$ETCD_PID" 2>/dev/null
	wait "$ETCD_PID" 2>/dev/null || true
	ETCD_PID=""
	return 0
}
