#!/bin/sh
# DKMS packaging of the APSM module.
#
#   scripts/dkms.sh install VERSION    copy the module sources to
#                                      /usr/src/apsm-VERSION, dkms add,
#                                      build and install for KVER
#   scripts/dkms.sh uninstall VERSION  dkms remove and delete the sources
#   scripts/dkms.sh build VERSION      add + build only (used by the test)
#
# KVER defaults to scripts/kver.sh (the newest linux-headers-*-amd64).
set -eu
cd "$(dirname "$0")/.."
cmd=${1:?usage: dkms.sh install|uninstall|build VERSION}
ver=${2:?usage: dkms.sh install|uninstall|build VERSION}
kver=${KVER:-$(scripts/kver.sh)}
dest=/usr/src/apsm-$ver

stage() {
	rm -rf "$dest"
	mkdir -p "$dest"
	cp -r Kbuild src include uapi "$dest/"
	sed "s/@VERSION@/$ver/" dkms.conf >"$dest/dkms.conf"
}

case "$cmd" in
install|build)
	dkms remove -m apsm -v "$ver" --all >/dev/null 2>&1 || true
	stage
	dkms add -m apsm -v "$ver"
	dkms build -m apsm -v "$ver" -k "$kver"
	[ "$cmd" = build ] || dkms install -m apsm -v "$ver" -k "$kver"
	;;
uninstall)
	dkms remove -m apsm -v "$ver" --all || true
	rm -rf "$dest"
	;;
*)
	echo "dkms.sh: unknown command \"$cmd\"" >&2
	exit 2
	;;
esac
