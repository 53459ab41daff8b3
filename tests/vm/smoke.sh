#!/bin/bash
# Smoke test: the module loads, registers the "apsm" generic netlink family
# (visible from another network namespace too) and unloads cleanly.
#   scripts/vm-run.sh tests/vm/smoke.sh
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

unload_apsm
pp load_apsm
[ -d /sys/module/apsm ] || fail "/sys/module/apsm missing after insmod"
on_exit unload_apsm

out=$(pp genl ctrl get name apsm) || fail "genl family apsm not registered"
assert_match "$out" "Name: apsm" "genl ctrl get name apsm"

ns_add "${NS_PREFIX}0"
out=$(pp n0 genl ctrl get name apsm) || fail "genl family apsm not visible in a netns"
assert_match "$out" "Name: apsm" "genl ctrl get name apsm in a netns"
pp ns_del "${NS_PREFIX}0"

pp unload_apsm
[ ! -d /sys/module/apsm ] || fail "/sys/module/apsm still there after rmmod"
if genl ctrl get name apsm >/dev/null 2>&1; then
	fail "genl family apsm still registered after rmmod"
fi
log "smoke: OK"
