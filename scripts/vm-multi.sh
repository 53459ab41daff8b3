#!/bin/bash
# Boot several test VMs at once, one kernel each, on one shared L2 segment,
# and run the same SCRIPT in every one of them.
#
#   scripts/vm-multi.sh [--vms N] [--timeout SECS] [--mem MB] [--smp N]
#                       [--logdir DIR] SCRIPT [ARGS...]
#
# Every VM is an ordinary scripts/vm-run.sh VM (host root read-only over 9p
# under a tmpfs overlay, module checks on the kernel log, same exit codes)
# plus one virtio-net NIC. The NICs of all VMs share one QEMU socket
# multicast segment (group 239.x.y.z, random per run, on 127.0.0.1), so they
# see each other as on one switch and nothing leaves the host.
#
# In VM i (1..N), before SCRIPT runs: virtio_net is loaded, the NIC (MAC
# 52:54:00:99:00:II, II = i in hex) gets 10.99.0.i/24 and is up, and SCRIPT
# sees, besides vm-run.sh's environment,
#   APSM_VM_NODE=i  APSM_VM_NODES=N  APSM_VM_IF=<the NIC's name>
#   APSM_VM_NET=10.99.0.  (so VM j is ${APSM_VM_NET}j, MAC
#                          52:54:00:99:00:$(printf %02x j))
#
# SCRIPT must be in the repo or outside /tmp and /run (the guests' fresh
# /tmp and /run hide other host paths there, as with vm-run.sh).
#
# Output: every VM's console goes to DIR/vmI.log (default: a temporary
# directory, removed at exit unless --logdir is given) and is streamed to
# stdout with a "[vmI] " prefix. Exit status: 0 if every VM's script
# passed, else the vm-run.sh status of the VM that failed first (1 test failed,
# 124 timeout, 125 kernel splat, 126 no boot, ...). All QEMUs are killed on
# any exit of this script (and each vm-run.sh enforces its own --timeout).
#
# How the NIC gets there without touching vm-run.sh: vm-run.sh finds QEMU
# with `command -v qemu-system-x86_64`; this script puts a small shim of
# that name first on vm-run.sh's PATH, which adds the -netdev/-device pair,
# replaces -smp, adds no_timer_check to the kernel command line (a
# starved host can fail the boot-time IO-APIC timer check: panic), records
# QEMU's pid and execs the real QEMU. When one VM fails, the others are
# stopped at once (they would only wait for it until their timeout).
set -eu

me=vm-multi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# ------------------------------------------------------------ guest side
# vm-run.sh runs "vm-multi.sh --guest SCRIPT ARGS" in each VM: set the NIC
# up, then become SCRIPT.
if [ "${1:-}" = --guest ]; then
	shift
	i=${APSM_VM_NODE:?}
	mac=52:54:00:99:00:$(printf %02x "$i")
	modprobe virtio_net 2>/dev/null || true
	ifname=
	for _ in $(seq 100); do
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address" 2>/dev/null)" = "$mac" ] && ifname=${d##*/}
		done
		[ -n "$ifname" ] && break
		sleep 0.1
	done
	[ -n "$ifname" ] || { echo "$me: no NIC with MAC $mac in VM $i" >&2; exit 1; }
	ip addr add "10.99.0.$i/24" dev "$ifname"
	ip link set "$ifname" up
	export APSM_VM_IF=$ifname APSM_VM_NET=10.99.0.
	script=$1
	shift
	if [ -x "$script" ]; then exec "$script" "$@"; fi
	exec bash "$script" "$@"
fi

# ------------------------------------------------------------- host side
usage() {
	echo "usage: $0 [--vms N] [--timeout SECS] [--mem MB] [--smp N] [--logdir DIR] SCRIPT [ARGS...]" >&2
	exit 2
}
vms=3 timeout_s=600 mem_mb=512 smp=1 logdir=
while [ $# -gt 0 ]; do
	case $1 in
	--vms) [ $# -ge 2 ] || usage; vms=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--mem) [ $# -ge 2 ] || usage; mem_mb=$2; shift 2 ;;
	--smp) [ $# -ge 2 ] || usage; smp=$2; shift 2 ;;
	--logdir) [ $# -ge 2 ] || usage; logdir=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "$me: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
for v in "$vms" "$timeout_s" "$mem_mb" "$smp"; do
	case $v in ''|*[!0-9]*|0) echo "$me: bad number '$v'" >&2; exit 2 ;; esac
done
[ "$vms" -le 250 ] || { echo "$me: at most 250 VMs" >&2; exit 2; }
script=$1
shift
case $script in
/*) ;;
*) [ -e "$repo/$script" ] || script=$(cd "$(dirname "$script")" && pwd -P)/$(basename "$script") ;;
esac

real_qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$real_qemu" ] || { echo "$me: qemu-system-x86_64 missing: install qemu-system-x86" >&2; exit 126; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apsm-vm-multi.XXXXXX")
[ -n "$logdir" ] || logdir=$tmp/logs
mkdir -p "$logdir"
runpids=()
mcast=
# vm-run.sh kills its QEMU when it gets SIGTERM.
stop_vms() {
	local f
	for f in "$tmp"/run*.pid; do
		if [ -s "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
	done
	return 0
}
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	local p f
	trap - EXIT INT TERM
	stop_vms
	# vm-run.sh kills its QEMU on TERM; make sure, by pid, of every QEMU
	# the shim started (only ours: the pid files are ours).
	for f in "$tmp"/qemu*.pid; do
		[ -s "$f" ] || continue
		p=$(cat "$f")
		if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "mcast=$mcast,"; then
			kill "$p" 2>/dev/null || true
		fi
	done
	for p in "${runpids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The shim QEMU. Per-VM settings come in VM_MULTI_* (not APSM_*, so they
# stay out of the guest's environment).
mkdir -p "$tmp/bin"
cat >"$tmp/bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
args=()
while [ $# -gt 0 ]; do
	case $1 in
	-smp) args+=(-smp "$VM_MULTI_SMP"); shift 2 ;;
	# A starved host (several TCG guests on few CPUs) can make the
	# kernel's IO-APIC timer check fail and panic at boot.
	-append) args+=(-append "$2 no_timer_check"); shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
echo $$ >"$VM_MULTI_PIDFILE"
exec "$VM_MULTI_QEMU" "${args[@]}" \
	-netdev "socket,id=mvnet,mcast=$VM_MULTI_MCAST,localaddr=127.0.0.1" \
	-device "virtio-net-pci,netdev=mvnet,mac=$VM_MULTI_MAC"
EOF
chmod 755 "$tmp/bin/qemu-system-x86_64"

# A multicast group and port of our own for this run.
r=$(od -An -N4 -tu1 /dev/urandom)
set -- "$script" "$@"
read -r a b c d <<<"$r"
mcast=239.$((a % 200 + 50)).$b.$((c % 254 + 1)):$((20000 + (d * 256 + b) % 40000))

echo "$me: $vms VMs on segment $mcast (10.99.0.0/24), logs in $logdir" >&2
for i in $(seq "$vms"); do
	(
		export PATH="$tmp/bin:$PATH"
		export VM_MULTI_QEMU=$real_qemu VM_MULTI_SMP=$smp VM_MULTI_MCAST=$mcast
		VM_MULTI_MAC=52:54:00:99:00:$(printf %02x "$i")
		export VM_MULTI_MAC
		export VM_MULTI_PIDFILE=$tmp/qemu$i.pid
		export APSM_VM_NODE=$i APSM_VM_NODES=$vms
		set +e
		"$repo/scripts/vm-run.sh" --timeout "$timeout_s" --mem "$mem_mb" \
			"$repo/scripts/vm-multi.sh" --guest "$@" \
			>"$logdir/vm$i.log" 2>&1 </dev/null &
		echo $! >"$tmp/run$i.pid"
		wait $!
		echo $? >"$tmp/rc$i"
	) &
	runpids+=($!)
done
# Stream the consoles with a prefix while the VMs run; each tail ends
# (after a last read) once its VM's runner has exited.
tails=()
for i in $(seq "$vms"); do
	tail -s 0.2 --pid="${runpids[i - 1]}" -n +1 -F "$logdir/vm$i.log" 2>/dev/null |
		sed -u "s/^/[vm$i] /" &
	tails+=($!)
done
# As soon as one VM fails, stop the others: they would only wait for it.
left=${#runpids[@]} first_fail=
while [ "$left" -gt 0 ]; do
	done_pid=
	wait -n -p done_pid "${runpids[@]}" 2>/dev/null || true
	[ -n "$done_pid" ] || break
	left=$((left - 1))
	for i in $(seq "$vms"); do
		[ "${runpids[i - 1]}" = "$done_pid" ] || continue
		if [ "$(cat "$tmp/rc$i" 2>/dev/null || echo 126)" != 0 ]; then
			if [ -z "$first_fail" ]; then
				first_fail=$(cat "$tmp/rc$i" 2>/dev/null || echo 126)
				echo "$me: vm$i failed: stopping the others" >&2
				stop_vms
			fi
		fi
	done
done
runpids=()
for p in "${tails[@]}"; do wait "$p" 2>/dev/null || true; done

rc=0
for i in $(seq "$vms"); do
	r=$(cat "$tmp/rc$i" 2>/dev/null || echo 126)
	echo "$me: vm$i exit status $r" >&2
	[ "$rc" != 0 ] || rc=$r
done
exit "${first_fail:-$rc}"
