#!/bin/bash
# The APSM demo, run inside the VM by `make demo` (scripts/vm-run.sh).
#
# Two APSM nodes, each a network namespace with its own module state, joined
# by a fabric veth pair; each node has an uplink and two NF instance ports:
#
#     node1 (netns n1, id 1)                node2 (netns n2, id 2)
#   +---------------------------+         +---------------------------+
#   | up1 (uplink)              |  fab1   |              up2 (uplink) |
#   | fw-1: tap-ish veth nf-fw1 |=========| nf-fw2 :fw-2              |
#   | nat-1: veth nf-nat1       |  fab2   | nf-nat2 :nat-2            |
#   +---------------------------+ fabric  +---------------------------+
#
# Services fw (stateful) and nat (stateful); chain "web" = fw -> nat; a
# policy sends TCP to port 80 through it. Until the data path lands, the
# demo configures the topology and shows what each node's module holds.
set -eu
cd "$(dirname "$0")/.."
. tests/lib.sh
PATH=$PWD/userspace-ctl:$PATH

load_apsm
pp ip netns add n1
pp ip netns add n2
pp ip link add fab1 netns n1 type veth peer name fab2 netns n2
for n in 1 2; do
	pp ip -n n$n link add up$n type veth peer name up${n}p
	pp ip -n n$n link add nf-fw$n type veth peer name nf-fw${n}p
	pp ip -n n$n link add nf-nat$n type veth peer name nf-nat${n}p
	for d in fab$n up$n nf-fw$n nf-nat$n; do
		pp ip -n n$n link set $d up
	done
done

for n in 1 2; do
	other=$((3 - n))
	c="apsmctl -n n$n"
	pp $c node set id $n
	pp $c peer add id $other dev fab$n lladdr 02:00:00:00:0$other:01
	pp $c port add dev up$n role uplink
	pp $c port add dev fab$n role fabric
	pp $c service add fw stateful
	pp $c service add nat stateful
	pp $c instance add fw-$n service fw dev nf-fw$n mode nsh weight 100
	pp $c instance add nat-$n service nat dev nf-nat$n mode proxy weight 100
	pp $c instance add fw-$other service fw node $other id $((other << 20 | 1))
	pp $c instance add nat-$other service nat node $other id $((other << 20 | 2))
	pp $c chain add web spi 10 services fw,nat
	pp $c policy add prio 10 iif up$n proto tcp dport 80 chain web
done

for n in 1 2; do
	echo
	echo "=== node $n: what its module holds ==="
	c="apsmctl -n n$n"
	pp $c node show
	pp $c peer show
	pp $c port show
	pp $c service show
	pp $c instance show
	pp $c chain show
	pp $c policy show
	pp $c stats show
done
echo
pp apsmctl -n n1 -j instance show
