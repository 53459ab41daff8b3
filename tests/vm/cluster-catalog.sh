#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cluster-catalog: the catalogue written once in etcd reaches every node.
#   make module userspace && scripts/vm-run.sh tests/vm/cluster-catalog.sh
#
# Topology: tests/lib-3node.sh (nodes apsm-t0/1/2, ids 1/2/3, fabric
# bridge apsmfab) plus a netns apsm-te on the same bridge (10.0.0.9)
# running one etcd member (tests/lib-etcd.sh). Every apsmd has
# [Cluster] Store = etcd://10.0.0.9:PORT and its own CatalogState.
#
# Proves:
#  (1) services, a chain and a policy written ONCE with apsmctl --store
#      are in all three kernels (local apsmctl -n NODE show on each), and
#      `apsmctl --store node show` lists the three nodes with the revision
#      they applied; an object made by hand on one node is not touched;
#  (2) a del in the store (policy, then chain) reaches every kernel;
#  (3) etcd killed: every apsmd counts the outage (store_outages) and the
#      kernel objects stay (fail-static);
#  (4) the catalogue changed while the nodes cannot see it (etcd started
#      on another port from the same data: a service deleted, one and a
#      chain added, service fw, which the applied chain web uses, changed
#      in place), then etcd back on its port: every node reconciles to it
#      (the deleted service gone, the new ones there, fw remade, which
#      takes deleting and remaking chain web around it: the kernel refuses
#      to delete a service a chain uses), no apply error, the hand-made
#      object still untouched;
#  (5) a Catalog file without a store (node 0 restarted so): applied at
#      start, and a SIGHUP after an edit reconciles.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm
# shellcheck source-path=SCRIPTDIR source=../lib-3node.sh
. "$(dirname "$0")/../lib-3node.sh"
# shellcheck source-path=SCRIPTDIR source=../lib-etcd.sh
. "$(dirname "$0")/../lib-etcd.sh"
command -v etcd >/dev/null || fail "etcd-server is not installed (scripts/deps.sh)"

tn_init
tn_fabric
E=${NS_PREFIX}e
ns_add "$E"
pp ip link add fab9 type veth peer name eth0 netns "$E"
pp ip link set fab9 master apsmfab up
pp ip -n "$E" addr add 10.0.0.9/24 dev eth0
pp ip -n "$E" link set eth0 up
pp ip -n "$E" link set lo up
ETCD_PORT=2379
etcd_start 10.0.0.9 "$E"
URL=$ETCD_URL
log "etcd at $URL"

# every apsmctl --store runs from node 0's netns (it reaches 10.0.0.9)
sctl() { pp "$CTL" -n "${NS[0]}" --store "$URL" "$@"; }

tn_apsmd_write
for i in 0 1 2; do
	printf '\n[Cluster]\nStore = %s\nCatalogState = %s\n' "$URL" "$work/cat$i.state" \
		>>"$work/apsmd$i.conf"
done
tn_apsmd_start

has() {	# has I OBJ LINE_REGEX: node I's OBJ show has a matching line
	local out
	out=$("$CTL" -n "${NS[$1]}" "$2" show) || return 1
	grep -Eq "$3" <<<"$out"
}
hasnt() { ! has "$@"; }
all() {	# all has|hasnt OBJ REGEX WHAT: on every node, bounded
	local i
	for i in 0 1 2; do
		wait_until 20 "$1" "$i" "$2" "$3" ||
			{ tn_dump; fail "${NS[i]}: $4"; }
	done
}

log "(1) the catalogue written once"
tn_ctl 1 service add local1 stateless   # by hand: never apsmd's
sctl service add fw stateful
sctl service add nat stateless
sctl chain add web services fw,nat return nat
sctl policy add prio 10 src 10.1.0.0/24 chain web
all has service '^fw stateful' "service fw from the store"
all has service '^nat stateless' "service nat from the store"
all has chain '^web spi 1 services fw,nat return nat' "chain web from the store"
all has policy 'prio 10 .*src 10.1.0.0/24.*chain web' "policy 10 from the store"
rev=$("$CTL" -n "${NS[0]}" --store "$URL" -j node show | sed -nE 's/^\{"revision":([0-9]+).*/\1/p')
applied_all() {
	local out n
	out=$("$CTL" -n "${NS[0]}" --store "$URL" node show) || return 1
	n=$(grep -cE '"applied":[0-9]+' <<<"$out")
	[ "$n" = 3 ] || return 1
	! grep -qE '"applied":-1' <<<"$out"
}
wait_until 20 applied_all || fail "node show: not 3 nodes with an applied revision: $("$CTL" -n "${NS[0]}" --store "$URL" node show)"
log "node show at revision $rev: $("$CTL" -n "${NS[0]}" --store "$URL" node show | tr '\n' ' ')"
has 1 service '^local1 stateless' || fail "the hand-made service local1 is gone"

log "(2) a del reaches every node"
sctl policy del prio 10
all hasnt policy 'prio 10 ' "policy 10 deleted in the store"
sctl chain del web
all hasnt chain '^web ' "chain web deleted in the store"
all has service '^fw stateful' "service fw still there"

log "(3) etcd killed: fail-static, the outage counted"
sctl chain add web services fw
all has chain '^web spi 1 services fw$' "chain web again"
etcd_stop
outage() { [ "$(tn_apsmd_stat "$1" store_outages)" -ge 1 ]; }
for i in 0 1 2; do
	wait_until 20 outage "$i" || fail "${NS[i]}: store_outages not counted"
done
for i in 0 1 2; do
	has "$i" service '^fw stateful' || fail "${NS[i]}: service fw gone while the store is down"
	has "$i" chain '^web spi 1 services fw$' || fail "${NS[i]}: chain web gone while the store is down"
done

log "(4) the catalogue changed behind the nodes' back, etcd back"
ETCD_PORT=2479
etcd_start 10.0.0.9 "$E"
sctl2() { pp "$CTL" -n "${NS[0]}" --store "$ETCD_URL" "$@"; }
sctl2 service del nat
sctl2 service add ids stateful
sctl2 chain add web2 spi 5 services ids,fw
# a restore may change a service in place (apsmctl refuses that: the
# chain uses it): the nodes must remake the chain around it
pp ip netns exec "${NS[0]}" "$APSM_ROOT/tests/tools/storecli" "$ETCD_URL" put \
	/apsm/default/catalog/service/fw "fw stateless"
etcd_stop
ETCD_PORT=2379
etcd_start 10.0.0.9 "$E"
all hasnt service '^nat ' "service nat deleted while the store was away"
all has chain '^web spi 1 services fw$' "chain web (on fw) remade around the changed service"
all has service '^ids stateful' "service ids added while the store was away"
all has chain '^web2 spi 5 services ids,fw' "chain web2 added while the store was away"
all has service '^fw stateless' "service fw changed in place while the store was away"
has 1 service '^local1 stateless' || fail "the hand-made service local1 was touched"
for i in 0 1 2; do
	[ "$(tn_apsmd_stat "$i" catalog_apply_errors)" = 0 ] ||
		fail "${NS[i]}: catalog_apply_errors $(tn_apsmd_stat "$i" catalog_apply_errors)"
	log "${NS[i]}: store_errors $(tn_apsmd_stat "$i" store_errors) store_outages $(tn_apsmd_stat "$i" store_outages) catalog_applied_rev $(tn_apsmd_stat "$i" catalog_applied_rev)"
done

log "(5) a Catalog file on node 0, no store"
kill "${TN_APSMD_PID[0]}"
wait_until 10 bg_gone "${TN_APSMD_PID[0]}" || fail "apsmd 0 did not exit"
printf 'service add fw stateful\nservice add ids stateful\nchain add web2 spi 5 services ids,fw\nservice add f1 stateless\n' >"$work/cat.txt"
sed -i "s|^Store = .*|Catalog = $work/cat.txt|" "$work/apsmd0.conf"
tn_bg apsmd0b ip netns exec "${NS[0]}" "$D" -c "$work/apsmd0.conf" --foreground
pid0=$TN_BG_PID
wait_until 20 has 0 service '^f1 stateless' || fail "Catalog file not applied at start"
printf 'service add fw stateful\nservice add f2 stateful\n' >"$work/cat.txt"
kill -HUP "$pid0"
wait_until 20 has 0 service '^f2 stateful' || fail "Catalog file not applied on SIGHUP"
wait_until 20 hasnt 0 service '^f1 ' || fail "f1 not removed after SIGHUP"
wait_until 20 hasnt 0 chain '^web2 ' || fail "chain web2 not removed after SIGHUP"
hasnt 0 service '^ids ' || fail "service ids not removed after SIGHUP"
log "PASS cluster-catalog"
