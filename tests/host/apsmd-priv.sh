#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# apsmd-priv: after start-up apsmd keeps CAP_NET_ADMIN only, in every
# thread (capabilities are per thread: the I/O thread that parses peer
# datagrams must not keep what the main thread dropped), with
# no_new_privs set; and its log reaches syslog as well as stderr.
#
#   tests/host/apsmd-priv.sh
#
# Runs apsmd-sim (apsmd on the in-memory kernel stand-in: the same main.c,
# priv.c and core.c as apsmd) as root in a private mount namespace whose
# /dev/log is a socat datagram socket, so the syslog lines are caught
# without a syslog daemon. Proves, for the running daemon:
#  - CapEff, CapPrm and CapBnd of every task are exactly 1 << CAP_NET_ADMIN
#    (0x1000), CapInh 0, NoNewPrivs 1 (with the drop moved after the I/O
#    thread's start, the test failed on that thread's CapEff);
#  - the syslog socket received "apsmd[PID]: node 1: capabilities: kept
#    CAP_NET_ADMIN only" and the "running" line, and stderr has them too.
# Not root: skipped (exit 77), nothing to drop.
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
ROOT=$(cd "$here/../.." && pwd -P)
SIM=$ROOT/userspace-ctl/apsmd/apsmd-sim
[ -x "$SIM" ] || fail "$SIM missing: run 'make -C userspace-ctl'"
if [ "$(id -u)" != 0 ]; then
	log "not root: skipped"
	exit 77
fi

work=$(mktemp -d /tmp/apsm-priv.XXXXXX)
on_exit rm -rf "$work"
"$SIM" genkey >"$work/key"
chmod 600 "$work/key"
printf '[Node]\nId = 1\nListen = 127.0.0.1:%d\nKeyFile = %s\nFabricDevice = lo\nStatsFile = %s\nInventory = no\n' \
	$((20000 + $$ % 20000)) "$work/key" "$work/stats.json" >"$work/n1.conf"

# Inside a private mount namespace: /dev becomes a tmpfs with null,
# urandom and a socat-owned /dev/log; apsmd runs there until the stats
# file exists, then the script reads /proc and stops it.
cat >"$work/inner.sh" <<'EOF'
set -u
work=$1 sim=$2
mkdir "$work/olddev"
mount --bind /dev "$work/olddev"
mount -t tmpfs -o mode=755 tmpfs /dev
for d in null zero urandom random; do
	touch "/dev/$d"
	mount --bind "$work/olddev/$d" "/dev/$d"
done
socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$work/syslog",creat,append &
sock=$!
for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
[ -S /dev/log ] || { echo "inner: no /dev/log"; exit 1; }
APSMD_SIM_STATE=$work/state.json APSMD_SIM_CTL=$work/ctl \
	"$sim" -c "$work/n1.conf" --foreground 2>"$work/stderr" &
echo $! >"$work/pid"
# wait for the parent to say it is done looking (bounded)
for _ in $(seq 600); do [ -e "$work/done" ] && break; sleep 0.05; done
kill "$(cat "$work/pid")" 2>/dev/null
wait "$(cat "$work/pid")" 2>/dev/null
kill $sock 2>/dev/null
EOF
on_exit bg_stop
unshare -m --propagation private bash "$work/inner.sh" "$work" "$SIM" \
	>"$work/inner.log" 2>&1 &
bg_pids+=($!)
on_exit touch "$work/done"

wait_until 20 test -s "$work/stats.json" ||
	fail "apsmd did not start: $(cat "$work/inner.log" "$work/stderr" 2>/dev/null)"
pid=$(cat "$work/pid")
wait_until 10 grep -q "kept CAP_NET_ADMIN only" "$work/stderr" ||
	fail "no capability line on stderr: $(cat "$work/stderr")"

want=0000000000001000
ntask=0
for st in /proc/"$pid"/task/*/status; do
	ntask=$((ntask + 1))
	tid=$(basename "$(dirname "$st")")
	for f in CapEff CapPrm CapBnd; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "$st")
		assert_eq "$v" "$want" "task $tid $f"
	done
	assert_eq "$(awk '$1 == "CapInh:" { print $2 }' "$st")" 0000000000000000 "task $tid CapInh"
	assert_eq "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")" 1 "task $tid NoNewPrivs"
done
[ "$ntask" -ge 2 ] || fail "expected the main and the I/O thread, saw $ntask task(s)"
log "$ntask tasks: CapEff=CapPrm=CapBnd=$want, CapInh 0, NoNewPrivs 1"

wait_until 10 grep -q "apsmd\[$pid\]: node 1: capabilities: kept CAP_NET_ADMIN only" "$work/syslog" ||
	fail "syslog did not get the capability line: $(cat "$work/syslog" 2>/dev/null)"
wait_until 10 grep -q "apsmd\[$pid\]: node 1: running" "$work/syslog" ||
	fail "syslog did not get the running line: $(cat "$work/syslog")"
grep -q "running" "$work/stderr" || fail "stderr lost the running line"
log "syslog: $(grep -o "apsmd\[$pid\]" "$work/syslog" | wc -l) messages from apsmd[$pid], stderr too"
echo "apsmd-priv: PASS"
