#!/bin/sh
# Install everything APSM needs to build, test and demo on Debian bookworm.
# Idempotent, and quick when all is there: apt runs only for what is missing.
set -eu

PKGS="build-essential bc flex bison libelf-dev pkg-config sparse dkms
kmod cpio xz-utils busybox-static qemu-system-x86 linux-image-amd64
linux-headers-amd64 linux-source-6.1 iproute2 iputils-ping nftables
iperf3 socat tcpdump tshark python3 python3-scapy libmnl-dev libsodium-dev libcap-ng-dev
procps python3-yaml python3-jsonschema curl gdb
etcd-server etcd-client libcurl4-openssl-dev libjson-c-dev"
# libFuzzer targets (tests/fuzz/): clang with its fuzzer runtime
PKGS="$PKGS clang libfuzzer-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$SUDO debconf-set-selections
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
