#!/bin/sh
# Print the kernel version APSM builds for and boots in the VM: the newest
# Debian linux-headers-*-amd64 installed (APSM_KVER overrides).
set -e
if [ -n "$APSM_KVER" ]; then echo "$APSM_KVER"; exit 0; fi
v=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
[ -n "$v" ] || { echo "kver: no linux-headers-*-amd64 in /usr/src (run scripts/deps.sh)" >&2; exit 1; }
echo "$v"
