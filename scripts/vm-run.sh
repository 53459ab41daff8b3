#!/bin/bash
# Run a test script as root inside a throwaway QEMU VM booted with the Debian
# kernel that APSM builds for (scripts/kver.sh).
#
#   scripts/vm-run.sh [--timeout SECS] [--mem MB] SCRIPT [ARGS...]
#
# The VM sees the host's / read-only over 9p with a tmpfs overlay on top, so
# every host tool (ip, nft, python3, ...) works and nothing the test writes
# reaches the host. That overlay is the real root of the VM's mount
# namespace (not a chroot), so user namespaces work (unshare -Ur). /tmp,
# /run and /dev/shm are fresh tmpfs mounts. SCRIPT
# (relative to the repo root, or absolute) runs with cwd = the repo root and
#   PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin
#   APSM_KO=<repo>/apsm.ko APSM_ROOT=<repo> APSM_IN_VM=1
# plus every host variable named APSM_* (a host APSM_KO overrides the
# default; if it lives in /tmp or /run it is kept visible).
# Its output is streamed to stdout. Afterwards the kernel log is checked for
# splats (BUG, WARNING, Oops, KASAN, refcount, list corruption, RCU stalls...).
#
# Exit status: the script's own status (0 = pass); 125 kernel splat or panic;
# 124 timeout (default 600 s); 126 the VM did not boot or gave no result;
# 2 usage error.
#
# The guest boots with slab_nomerge, so every kmem cache of the module shows
# up under its own name in /proc/slabinfo (leak checks rely on it).
#
# Environment: APSM_VM_ACCEL=kvm uses KVM (default: TCG, since KVM hangs on
# some hosts); APSM_CACHE (default ~/.cache/apsm) holds the cached
# initramfs under vm/; APSM_KVER overrides the kernel version;
# APSM_VM_BOOT_TIMEOUT (default 120 s): a VM that has not started the test
# by then is taken for a hung boot (seen rarely under TCG: a soft lockup
# of PID 1 in early boot), killed and booted once more.
set -eu

me=vm-run
die() { echo "$me: $*" >&2; exit "${2:-126}"; }
usage() {
	echo "usage: $0 [--timeout SECS] [--mem MB] SCRIPT [ARGS...]" >&2
	exit 2
}

orig_args=("$@")
timeout_s=600
mem_mb=1024
boot_timeout_s=${APSM_VM_BOOT_TIMEOUT:-120}
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--mem) [ $# -ge 2 ] || usage; mem_mb=$2; shift 2 ;;
	--mem=*) mem_mb=${1#*=}; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "$me: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
case $timeout_s in ''|*[!0-9]*) die "--timeout wants seconds, got '$timeout_s'" 2 ;; esac
case $mem_mb in ''|*[!0-9]*) die "--mem wants megabytes, got '$mem_mb'" 2 ;; esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
script=$1
shift
if [ "${script#/}" = "$script" ]; then
	if [ -e "$repo/$script" ]; then
		script=$repo/$script
	elif [ -e "$script" ]; then
		script=$(cd "$(dirname "$script")" && pwd -P)/$(basename "$script")
	fi
fi
[ -f "$script" ] || die "no such script: $script (paths are relative to $repo)" 2

kver=$("$repo/scripts/kver.sh") || die "cannot tell the kernel version (scripts/kver.sh)"
kernel=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$kernel" ] || die "$kernel missing: install linux-image-$kver"
[ -r "$moddir/modules.dep" ] || die "$moddir/modules.dep missing: install linux-image-$kver (or run depmod $kver)"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox missing: install busybox-static"
command -v cpio >/dev/null || die "cpio missing: install cpio"
qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || die "qemu-system-x86_64 missing: install qemu-system-x86"

case ${APSM_VM_ACCEL:-tcg} in
kvm) accel=(-accel kvm -cpu host); accel_name=kvm ;;
tcg) accel=(-accel tcg -cpu max); accel_name=tcg ;;
*) die "APSM_VM_ACCEL must be tcg or kvm" 2 ;;
esac

# ---------------------------------------------------------------- initramfs
# Stage 1 runs as PID 1 in the initramfs: loads virtio/9p/overlay, builds the
# root (host / over 9p, read-only, under a tmpfs overlay), moves it onto /
# (switch_root-style, so that user namespaces work) and runs stage 2 there.
# /params comes from a small per-run cpio appended to the cached one.
IFS= read -r -d '' init_sh <<'EOF' || true
#!/bin/busybox sh
/bin/busybox mkdir -p /dev /proc /sys
/bin/busybox mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
die() {
	echo "vm-init: $*"
	poweroff -f
	sleep 10
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
while read -r m; do
	insmod "/modules/$m.ko" || die "insmod $m failed"
done </modules/order
mkdir -p /ro /rw /newroot /hold
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose \
	hostroot /ro || die "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work \
	overlay /newroot || die "cannot mount the overlay root"
R=/newroot
# Host paths under /tmp or /run (the repo, ...) would be hidden by the fresh
# tmpfs mounts: hold them aside and move them back afterwards. Lines of
# /params/keep are "d DIR" or "f FILE".
i=0
while IFS= read -r p; do
	i=$((i + 1))
	if [ "${p%% *}" = d ]; then mkdir -p "/hold/$i"; else touch "/hold/$i"; fi
	mount --bind "$R${p#* }" "/hold/$i" || die "cannot bind ${p#* }"
done </params/keep
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t devtmpfs dev "$R/dev"
mkdir -p "$R/dev/pts" "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777 shm "$R/dev/shm"
mount -t tmpfs -o mode=1777 tmp "$R/tmp"
mount -t tmpfs -o mode=0755 run "$R/run"
mount -t debugfs debugfs "$R/sys/kernel/debug" 2>/dev/null
mount -t bpf bpf "$R/sys/fs/bpf" 2>/dev/null
i=0
while IFS= read -r p; do
	i=$((i + 1))
	t=${p%% *}
	p=${p#* }
	if [ "$t" = d ]; then
		mkdir -p "$R$p"
	else
		mkdir -p "$R${p%/*}"
		touch "$R$p"
	fi
	mount --move "/hold/$i" "$R$p" || die "cannot move $p back"
done </params/keep
mkdir -p "$R/run/apsm-vm"
cp /params/params.sh /stage2.sh "$R/run/apsm-vm/"
[ -x "$R/bin/bash" ] || die "no /bin/bash on the host root"
# Make the overlay the root of the mount namespace, as switch_root does:
# a plain chroot would leave the test "chrooted", and the kernel refuses
# to create user namespaces (unshare -U) from a chroot. This shell (PID 1)
# keeps the initramfs as its root, so poweroff below is still busybox.
cd "$R" || die "cannot cd to the new root"
mount --move . / || die "cannot move the overlay root onto /"
chroot . /bin/bash /run/apsm-vm/stage2.sh
poweroff -f
sleep 10
EOF

# Stage 2 runs under the host's bash in the new root: sets the VM up, runs
# the test, checks the kernel log and prints the result markers.
IFS= read -r -d '' stage2_sh <<'EOF' || true
#!/bin/bash
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC1091
. /run/apsm-vm/params.sh
hostname "$VM_HOSTNAME"
ip link set lo up
sysctl -q -w kernel.panic_on_warn=0 >/dev/null 2>&1
sysctl -q -w kernel.printk='3 4 1 3' >/dev/null 2>&1
# A soft lockup ends the run at once with every CPU's stack on the console
# (the console shows only level < 3; panic_print 0x20 replays the whole log,
# the backtraces included, once panic made the console verbose) instead of
# hanging until --timeout with "BUG: soft lockup" lines and no stack.
sysctl -q -w kernel.softlockup_all_cpu_backtrace=1 >/dev/null 2>&1
sysctl -q -w kernel.softlockup_panic=1 >/dev/null 2>&1
sysctl -q -w kernel.panic_print=32 >/dev/null 2>&1
# Follow the kernel log from boot on into a file, so a long test cannot push
# a splat out of the ring buffer before it is checked.
klog=/run/apsm-vm/dmesg.log
dmesg -w >"$klog" 2>&1 &
klog_pid=$!
cd "$VM_CWD" || { echo "vm-run: cannot cd to $VM_CWD"; exit 1; }
if [ -x "$VM_SCRIPT" ]; then cmd=("$VM_SCRIPT"); else cmd=(bash "$VM_SCRIPT"); fi
printf 'APSM-VM-START %s\n' "$VM_NONCE"
env -i "${VM_ENV[@]}" "${cmd[@]}" "${VM_ARGS[@]}" </dev/null
rc=$?
# Flush: wait (bounded) until our own line made it through the follower.
echo "apsm-vm: test finished rc=$rc $VM_NONCE" >/dev/kmsg
for _ in $(seq 100); do
	grep -q "test finished rc=$rc $VM_NONCE" "$klog" && break
	sleep 0.1
done
kill "$klog_pid" 2>/dev/null
pat='\<BUG\>|\<WARNING\>|\<Oops\>|KASAN|refcount_t|list_add corruption|list_del corruption'
pat+='|RCU stall|rcu_sched self-detected stall|general protection|kernel BUG|UBSAN|unreferenced object'
# Debian's kernel has PREEMPT_RCU: "rcu: INFO: rcu_preempt detected stalls
# on CPUs/tasks", "rcu_preempt self-detected stall"; the hung-task
# detector: "INFO: task NAME:PID blocked for more than N seconds";
# lockdep/PROVE_RCU on a debug kernel.
pat+='|rcu_[a-z]+ (detected stalls|self-detected stall)|INFO: task .* blocked for more than'
pat+='|possible circular locking|possible recursive locking|suspicious RCU usage|inconsistent lock state'
if grep -Eq "$pat" "$klog"; then
	echo
	echo "vm-run: ======== KERNEL SPLAT in dmesg (test rc=$rc) ========"
	grep -En "$pat" "$klog" | head -n 100
	echo "vm-run: -------- last 50 lines of dmesg --------"
	tail -n 50 "$klog"
	echo "vm-run: ======== end of kernel splat ========"
	printf 'APSM-VM-SPLAT %s\n' "$VM_NONCE"
fi
printf '\nAPSM-VM-EXIT=%d %s\n' "$rc" "$VM_NONCE"
EOF

# Modules to load, dependencies first, from modules.dep.
declare -A dep_of path_of seen
while IFS=: read -r m d; do
	n=${m##*/}
	n=${n%%.ko*}
	path_of[$n]=$m
	dep_of[$n]=$d
done <"$moddir/modules.dep"
order=()
visit() {
	local n=$1 d
	[ -z "${seen[$n]:-}" ] || return 0
	seen[$n]=1
	[ -n "${path_of[$n]:-}" ] || die "module $n not in $moddir/modules.dep"
	for d in ${dep_of[$n]}; do
		d=${d##*/}
		visit "${d%%.ko*}"
	done
	order+=("$n")
}
# nsh: apsm.ko calls nsh_push()/nsh_pop(), so the tests' plain insmod of it
# needs nsh.ko loaded first (modprobe would load it by the dependency).
for n in virtio_pci 9pnet_virtio 9p overlay nsh; do visit "$n"; done

cache=${APSM_CACHE:-${HOME:-/root}/.cache/apsm}/vm
key=$( {
	echo "$kver"
	printf '%s\n' "$init_sh" "$stage2_sh" "${order[@]}"
	sha256sum "$busybox" "$kernel" | cut -d' ' -f1
} | sha256sum | cut -c1-16)
initrd_base=$cache/initramfs-$kver-$key.cpio

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apsm-vm.XXXXXX")
qpid=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -s "$initrd_base" ]; then
	mkdir -p "$cache"
	s=$tmp/base
	mkdir -p "$s/bin" "$s/modules"
	cp "$busybox" "$s/bin/busybox"
	printf '%s\n' "$init_sh" >"$s/init"
	printf '%s\n' "$stage2_sh" >"$s/stage2.sh"
	chmod 755 "$s/init"
	for n in "${order[@]}"; do
		f=$moddir/${path_of[$n]}
		case $f in
		*.ko.xz) xz -dc "$f" ;;
		*.ko.zst) zstd -qdc "$f" ;;
		*.ko.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac >"$s/modules/$n.ko"
	done
	printf '%s\n' "${order[@]}" >"$s/modules/order"
	part=$(mktemp "$cache/.initramfs.XXXXXX")
	(cd "$s" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$part"
	mv -f "$part" "$initrd_base"
	rm -rf "$s"
	# Drop initramfs images of other versions unused for a day.
	find "$cache" -maxdepth 1 \( -name 'initramfs-*.cpio' -mtime +0 \
		-o -name '.initramfs.*' -mmin +60 \) \
		! -name "${initrd_base##*/}" -delete 2>/dev/null || true
fi
touch "$initrd_base" # mark as in use for the pruning above

# ------------------------------------------------------------ per-run params
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
vm_env=(
	PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin
	HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8
	"APSM_KO=$repo/apsm.ko"
)
while IFS= read -r n; do
	case $n in
	APSM_ROOT|APSM_IN_VM) ;;
	APSM_*) vm_env+=("$n=${!n}") ;;
	esac
done < <(compgen -e)
vm_env+=("APSM_ROOT=$repo" APSM_IN_VM=1)

# Host paths that the guest's fresh /tmp and /run would hide but that must
# stay visible: the repo, the script's directory, APSM_KO's directory (or
# the file itself when it sits right in /tmp or /run).
keep=()
add_keep() {
	local f=$1 p k
	p=$(dirname "$f")
	case $p in
	/tmp|/run) p="f $f" ;;
	/tmp/*|/run/*) p="d $p" ;;
	*) return 0 ;;
	esac
	for k in "${keep[@]}"; do
		case ${p#* }/ in "${k#d }"/*) return 0 ;; esac
	done
	keep+=("$p")
}
add_keep "$repo/."
add_keep "$script"
case ${APSM_KO:-} in /*) add_keep "$APSM_KO" ;; esac

p=$tmp/run
mkdir -p "$p/params"
{
	printf 'VM_HOSTNAME=apsm-vm\n'
	printf 'VM_NONCE=%q\n' "$nonce"
	printf 'VM_CWD=%q\n' "$repo"
	printf 'VM_SCRIPT=%q\n' "$script"
	printf 'VM_ARGS=('; [ $# -eq 0 ] || printf '%q ' "$@"; printf ')\n'
	printf 'VM_ENV=('; printf '%q ' "${vm_env[@]}"; printf ')\n'
} >"$p/params/params.sh"
if [ ${#keep[@]} -gt 0 ]; then printf '%s\n' "${keep[@]}"; fi >"$p/params/keep"
(cd "$p" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/run.cpio"
cat "$initrd_base" "$tmp/run.cpio" >"$tmp/initrd"

# ------------------------------------------------------------------- boot
rel=${script#"$repo"/}
echo "$me: booting $kver ($accel_name) for $rel" >&2
mkfifo "$tmp/console"
timeout -k 5 "$timeout_s" "$qemu" \
	"${accel[@]}" -m "$mem_mb" -smp 2 \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial stdio -monitor none \
	-kernel "$kernel" -initrd "$tmp/initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 slab_nomerge no_timer_check" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	</dev/null >"$tmp/console" 2>&1 &
qpid=$!

started=0 exit_rc='' splat=0 panic=0 boot_hung=0
boot_deadline=$((SECONDS + boot_timeout_s))
tail_lines=()
blank=0 # the markers follow an empty line: print it only if no marker comes
part=''
while :; do
	# Read with a timeout, to notice a boot that never reaches the test;
	# a partial line read before a timeout is kept for the next read.
	if IFS= read -r -t 5 line; then
		line=$part$line
		part=''
	else
		rc=$?
		if [ "$rc" -gt 128 ]; then
			part=$part$line
			if [ "$started" = 0 ] && [ "$boot_hung" = 0 ] &&
				[ "$SECONDS" -ge "$boot_deadline" ]; then
				boot_hung=1
				kill "$qpid" 2>/dev/null || true
			fi
			continue
		fi
		line=$part$line
		part=''
		[ -n "$line" ] || break
	fi
	line=${line%$'\r'}
	if [ "$started" = 0 ] && [ "$boot_hung" = 0 ] && [ "$SECONDS" -ge "$boot_deadline" ] &&
		[[ $line != *"APSM-VM-START $nonce"* ]]; then
		boot_hung=1
		kill "$qpid" 2>/dev/null || true
	fi
	case $line in
	'') [ "$blank" = 0 ] || echo; blank=1; continue ;;
	*"APSM-VM-START $nonce"*) started=1; blank=0; continue ;;
	*"APSM-VM-SPLAT $nonce"*) splat=1; blank=0; continue ;;
	*"APSM-VM-EXIT="*" $nonce"*)
		exit_rc=${line##*APSM-VM-EXIT=}
		exit_rc=${exit_rc%% *}
		blank=0
		continue ;;
	*"Kernel panic"*) panic=1 ;;
	*"reboot: Power down"*) [ -z "$exit_rc" ] || continue ;;
	esac
	[ "$blank" = 0 ] || echo
	blank=0
	printf '%s\n' "$line"
	if [ "$started" = 0 ]; then
		tail_lines+=("$line")
		[ ${#tail_lines[@]} -le 30 ] || tail_lines=("${tail_lines[@]:1}")
	fi
done <"$tmp/console"
[ "$blank" = 0 ] || echo
qrc=0
wait "$qpid" || qrc=$?
qpid=

if [ "$boot_hung" = 1 ]; then
	# Seen under TCG only, rarely: the kernel hangs in early boot (soft
	# lockup of PID 1 before init runs). Nothing of the test ran: boot
	# again, once.
	if [ "${APSM_VM_BOOT_TRY:-1}" -lt 2 ]; then
		echo "$me: the VM did not reach the test within ${boot_timeout_s}s (hung boot): booting again" >&2
		rm -rf "$tmp"
		APSM_VM_BOOT_TRY=2 exec "$0" "${orig_args[@]}"
	fi
	echo "$me: ERROR: the VM did not reach the test within ${boot_timeout_s}s, twice" >&2
	exit 126
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "$me: TIMEOUT: the VM ran longer than ${timeout_s}s and was killed" >&2
	exit 124
fi
if [ "$splat" = 1 ]; then
	echo "$me: FAIL: kernel splat in dmesg (see above; test exit status ${exit_rc:-none})" >&2
	exit 125
fi
if [ "$panic" = 1 ]; then
	echo "$me: FAIL: kernel panic (see above)" >&2
	exit 125
fi
if [ "$started" = 0 ]; then
	echo "$me: ERROR: the VM did not boot to the test (qemu status $qrc)" >&2
	if [ ${#tail_lines[@]} -gt 0 ]; then printf '  | %s\n' "${tail_lines[@]}" >&2; fi
	exit 126
fi
if [ -z "$exit_rc" ]; then
	echo "$me: ERROR: the VM stopped without reporting the test's result (qemu status $qrc)" >&2
	exit 126
fi
if [ "$exit_rc" != 0 ]; then
	echo "$me: FAIL: $rel exited with status $exit_rc" >&2
fi
exit "$exit_rc"
