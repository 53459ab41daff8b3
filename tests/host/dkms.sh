#!/bin/bash
# DKMS: `dkms add` + `dkms build` of the module succeed against the
# installed headers, and the built apsm.ko carries our modinfo.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib.sh

ver="0.0.0-dkmstest$$"
kver=$(scripts/kver.sh)
cleanup() {
	if [ "$(dkms status -m apsm -v "$ver" 2>/dev/null)" = "" ] ||
	   ! dkms status -m apsm -v "$ver" | grep -q built; then
		grep -E 'error|Error' "/var/lib/dkms/apsm/$ver/build/make.log" 2>/dev/null | head -n 20 || true
	fi
	scripts/dkms.sh uninstall "$ver" >/dev/null 2>&1 || true
}
on_exit cleanup

pp scripts/dkms.sh build "$ver"
status=$(dkms status -m apsm -v "$ver" -k "$kver")
echo "dkms status: $status"
assert_match "$status" "apsm/$ver, $kver, x86_64: built" "dkms reports the module built"
ko=$(find "/var/lib/dkms/apsm/$ver/$kver" -name 'apsm.ko*' | head -n 1)
[ -n "$ko" ] || fail "no apsm.ko under /var/lib/dkms/apsm/$ver/$kver"
vermagic=$(modinfo -F vermagic "$ko")
assert_match "$vermagic" "^$kver " "vermagic matches the target kernel"
assert_match "$(modinfo -F alias "$ko")" "net-pf-16-proto-16-family-apsm" "genl family alias"
echo "ok: dkms built $ko for $kver"
