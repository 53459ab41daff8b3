#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# apsmd's modules point one way (Documentation/apsmd.md, "Code layout"):
# the include graph of userspace-ctl/apsmd/ (module M = M.c + M.h; an
# edge M -> N when M.c or M.h includes "N.h") has no cycle, so no module
# includes another's header in both directions; every include names a
# module of apsmd/ or a header of lib/; lib/ includes only lib/ headers;
# apsmctl/ and apsmd/ never include each other's headers; no shared
# "apsmd.h" god header. Modules talk upward only through the callback
# tables main.c installs.
#
#   tests/host/apsmd-layers.sh [DIR]   check DIR (default: userspace-ctl)
#
# Without an argument it first proves it can fail: copies with an added
# back-include (kern.c -> memb.h), a mutual include (peer.h <-> sync.h),
# an unknown header, and lib/ including an apsmd header must be rejected.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd -P)

incs() {	# incs FILE: the "quoted" includes of FILE, one a line
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

check() {	# check DIR (a userspace-ctl tree)
	local dir=$1 rc=0 f m inc n edges="" pairs order
	[ -d "$dir/apsmd" ] && [ -d "$dir/lib" ] ||
		{ echo "apsmd-layers: $dir: no apsmd/ or lib/"; return 1; }
	[ ! -e "$dir/apsmd/apsmd.h" ] ||
		{ echo "apsmd-layers: apsmd/apsmd.h: the shared god header is back"; rc=1; }
	for f in "$dir"/apsmd/*.c "$dir"/apsmd/*.h; do
		m=$(basename "$f"); m=${m%.*}
		edges+="$m $m"$'\n'
		while IFS= read -r inc; do
			[ -n "$inc" ] || continue
			n=${inc%.h}
			if [ "$inc" != "${inc#*/}" ]; then
				echo "apsmd-layers: ${f#"$dir"/}: includes \"$inc\" (a path)"; rc=1
			elif [ -e "$dir/apsmd/$inc" ]; then
				[ "$n" = "$m" ] || edges+="$m $n"$'\n'
			elif [ -e "$dir/lib/$inc" ]; then
				:
			else
				echo "apsmd-layers: ${f#"$dir"/}: includes \"$inc\", neither an apsmd module nor lib/"; rc=1
			fi
		done < <(incs "$f")
	done
	# no pair in both directions (named, to say which), then no longer cycle
	pairs=$(awk '$1 != $2 { e[$1 " " $2] = 1 } END { for (k in e) { split(k, a, " "); if ((a[2] " " a[1]) in e && a[1] < a[2]) print a[1] " <-> " a[2] } }' <<<"$edges")
	if [ -n "$pairs" ]; then
		while IFS= read -r n; do
			echo "apsmd-layers: modules include each other: $n"
		done <<<"$pairs"
		rc=1
	fi
	# tsort wants "A B" as "A before B"; an edge M -> N means N is below M
	if ! order=$(awk '{ print $2, $1 }' <<<"$edges" | tsort 2>&1); then
		echo "apsmd-layers: the include graph has a cycle:"
		grep 'tsort:' <<<"$order" | sed 's/^/    /'
		rc=1
	fi
	for f in "$dir"/lib/*.c "$dir"/lib/*.h; do
		while IFS= read -r inc; do
			[ -n "$inc" ] || continue
			[ "$inc" = "${inc##*/}" ] && [ -e "$dir/lib/$inc" ] ||
				{ echo "apsmd-layers: ${f#"$dir"/}: lib includes \"$inc\", not a lib header"; rc=1; }
		done < <(incs "$f")
	done
	for f in "$dir"/apsmctl/*.c "$dir"/apsmctl/*.h; do
		while IFS= read -r inc; do
			[ -e "$dir/apsmd/$inc" ] && [ ! -e "$dir/apsmctl/$inc" ] &&
				{ echo "apsmd-layers: ${f#"$dir"/}: apsmctl includes apsmd's \"$inc\""; rc=1; }
		done < <(incs "$f")
	done
	for f in "$dir"/apsmd/*.c "$dir"/apsmd/*.h; do
		while IFS= read -r inc; do
			[ -e "$dir/apsmctl/$inc" ] && [ ! -e "$dir/apsmd/$inc" ] &&
				{ echo "apsmd-layers: ${f#"$dir"/}: apsmd includes apsmctl's \"$inc\""; rc=1; }
		done < <(incs "$f")
	done
	[ $rc -eq 0 ] && echo "apsmd-layers: order, bottom first: $(tr '\n' ' ' <<<"$order")"
	return $rc
}

selftest() {
	local tmp rc=0 out
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	fresh() { rm -rf "$tmp/u"; mkdir "$tmp/u"; cp -r "$here/userspace-ctl"/{lib,apsmctl,apsmd} "$tmp/u/"; }
	must_fail() {	# must_fail WHAT WANT: check rejects the copy, saying WANT
		if out=$(check "$tmp/u"); then
			echo "apsmd-layers: self-test: $1 was not caught"; rc=1
		elif ! grep -q -- "$2" <<<"$out"; then
			echo "apsmd-layers: self-test: $1: rejected without saying '$2': $out"; rc=1
		fi
	}
	fresh
	check "$tmp/u" >/dev/null || { echo "apsmd-layers: self-test: the unchanged copy fails"; rc=1; }
	fresh
	sed -i '0,/#include "kern.h"/s//#include "kern.h"\n#include "memb.h"/' "$tmp/u/apsmd/kern.c"
	must_fail "a back-include kern.c -> memb.h" "cycle"
	fresh
	sed -i '0,/#include "wire.h"/s//#include "wire.h"\n#include "sync.h"/' "$tmp/u/apsmd/peer.h"
	must_fail "a mutual include peer.h <-> sync.h" "include each other: peer <-> sync"
	fresh
	printf '#include "apsmd.h"\n' >>"$tmp/u/apsmd/inv.c"
	must_fail "an unknown header" "neither an apsmd module"
	fresh
	printf '#include "../apsmd/kern.h"\n' >>"$tmp/u/lib/nl.c"
	must_fail "lib including an apsmd header" "not a lib header"
	return $rc
}

if [ $# -gt 0 ]; then
	check "$1"
	exit $?
fi
rc=0
selftest || rc=1
check "$here/userspace-ctl" || rc=1
exit $rc
