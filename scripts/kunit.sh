#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run APSM's KUnit suites under UML (User Mode Linux).
#
# Debian's kernel has no CONFIG_KUNIT, so the suites run in a UML kernel
# built from Debian's linux-source-6.1 tarball with the kernel's own
# tools/testing/kunit/kunit.py.  The tarball is unpacked once into a cache
# outside the clone, the repository is linked into that tree as
# drivers/net/apsm_kunit/ (see kunit/Kbuild for what gets built), and the
# UML build directory is kept in the cache, so a second run only rebuilds
# what changed.
#
#   scripts/kunit.sh [kunit.py run options...]   e.g. 'apsm_maglev.*'
#
# Environment:
#   APSM_CACHE    cache dir (default $HOME/.cache/apsm)
#   APSM_KSRC_TAR linux-source tarball (default
#                 /usr/src/linux-source-6.1.tar.xz)
#   PYTHON        interpreter for kunit.py (default python3)
#
# Output: kunit.py's, then one line for test runners:
#   kunit: N passed, N failed, N skipped
# counting test cases (crashed ones count as failed; a build, boot or parse
# failure that kunit.py reports without any failed case counts as one
# failed).  Exit status: kunit.py's.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cache=${APSM_CACHE:-$HOME/.cache/apsm}
tarball=${APSM_KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
tree=$cache/linux-source-6.1
build=$cache/kunit-build

die() { echo "kunit.sh: $*" >&2; exit 2; }

[ -r "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
mkdir -p "$cache"

# one run at a time per cache: the tree's links and the build dir are shared
exec 9>"$cache/.lock"
flock 9

# --- 1. the kernel tree, extracted once and atomically -----------------
# The stamp names the tarball's size and mtime: a new linux-source package
# gets a fresh tree and a fresh build dir.
stamp=$(stat -Lc '%s %Y' "$tarball")
if [ ! -f "$tree/.apsm-stamp" ] || [ "$(cat "$tree/.apsm-stamp")" != "$stamp" ]; then
	echo "kunit.sh: unpacking $tarball into $cache (once)"
	rm -rf "$tree" "$build" "$cache"/extract.*
	tmp=$(mktemp -d "$cache/extract.XXXXXX")
	tar -xJf "$tarball" -C "$tmp"
	[ -d "$tmp/linux-source-6.1" ] || die "$tarball has no linux-source-6.1/"
	echo "$stamp" >"$tmp/linux-source-6.1/.apsm-stamp"
	mv "$tmp/linux-source-6.1" "$tree"
	rmdir "$tmp"
fi

# --- 2. the repository in the tree, idempotently ------------------------
dir=$tree/drivers/net/apsm_kunit
mkdir -p "$dir"
ln -sfn "$repo" "$dir/repo"
ln -sfn repo/kunit/Kbuild "$dir/Kbuild"
ln -sfn repo/kunit/Kconfig "$dir/Kconfig"

kconfig=$tree/drivers/net/Kconfig
grep -qxF 'source "drivers/net/apsm_kunit/Kconfig"' "$kconfig" ||
	printf '\nsource "drivers/net/apsm_kunit/Kconfig"\n' >>"$kconfig"
makefile=$tree/drivers/net/Makefile
grep -qxF 'obj-$(CONFIG_APSM_KUNIT_TEST) += apsm_kunit/' "$makefile" ||
	printf '\nobj-$(CONFIG_APSM_KUNIT_TEST) += apsm_kunit/\n' >>"$makefile"

# --- 3. build and run ----------------------------------------------------
log=$cache/kunit-last.log
cd "$tree"
set +e
"${PYTHON:-python3}" tools/testing/kunit/kunit.py run --arch=um \
	--jobs="$(nproc)" --build_dir="$build" \
	--kunitconfig="$repo/kunit/.kunitconfig" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# "Testing complete. Ran 12 tests: passed: 11, failed: 1" (zero counts
# are left out; the line may carry a timestamp and colour codes)
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep 'Testing complete\. ' | tail -n 1 || true)
count() { sed -n "s/.*[ ,]$1: \([0-9]*\).*/\1/p" <<<"$summary"; }
passed=$(count passed); failed=$(count failed)
crashed=$(count crashed); skipped=$(count skipped)
failed=$(( ${failed:-0} + ${crashed:-0} ))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
echo "kunit: ${passed:-0} passed, $failed failed, ${skipped:-0} skipped"
exit "$rc"
