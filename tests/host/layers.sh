#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's layers point one way (Documentation/design.md, "Layers"):
#
#     src/main.c                 init/exit only
#         |
#     nl    (src/nl, include/nl)     generic netlink, notifications, netdev notifier
#         |
#     dp    (src/dp, include/dp)     packet path
#         |
#     flow  (src/flow, include/flow) the RDS flow table
#         |
#     cfg   (src/cfg, include/cfg)   configuration objects, LB tables, policy
#         |
#     core  (src/core, include/core) netns state, counters, clock, events
#
# A file may include headers of its own layer and of the layers below it,
# never above. Core, cfg and flow code (sources and headers) may not name
# anything of netlink: no genetlink/netlink headers, no genl_*/nla_*/
# nlmsg_* calls, no apsm_nl_* symbol, no genl_info. Every source file
# must sit in one layer.
#
#   tests/host/layers.sh [ROOT]   check ROOT (default: this repository)
#   tests/host/layers.sh --list   print the violations
#
# Any violation fails: there is no list of tolerated ones.
#
# Without an argument it first proves it can fail: copies of the tree with
# one upward include, with one netlink call in cfg, with genl_info named
# in a cfg header, and with a file outside the layers must be rejected.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd -P)

declare -A RANK=([core]=0 [cfg]=1 [flow]=2 [dp]=3 [nl]=4)

violations() {	# violations ROOT: one line per layering violation; status 1 on a
		# structural error (a file outside the layers, a bad include)
	local root=$1 bad=0 f layer inc il n
	cd "$root" || return 2
	# every source file in a layer
	for f in src/*.c include/*.h; do
		[ -e "$f" ] || continue
		[ "$f" = src/main.c ] && continue
		echo "layers: $f: not in a layer directory"
		bad=1
	done
	for f in src/*/*.c include/*/*.h; do
		[ -e "$f" ] || continue
		layer=${f#*/}
		layer=${layer%%/*}
		if [ -z "${RANK[$layer]+x}" ]; then
			echo "layers: $f: unknown layer '$layer'"
			bad=1
			continue
		fi
		while IFS=: read -r n inc; do
			inc=${inc#*\"}
			inc=${inc%%\"*}
			il=${inc%%/*}
			if [ "$il" = "$inc" ] || [ -z "${RANK[$il]+x}" ]; then
				echo "layers: $f:$n: includes \"$inc\", which names no layer"
				bad=1
			elif [ "${RANK[$il]}" -gt "${RANK[$layer]}" ]; then
				echo "$f: $layer includes $il header \"$inc\""
			fi
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
		if [ "${RANK[$layer]}" -le "${RANK[flow]}" ]; then
			while IFS= read -r n; do
				echo "$f: netlink in the $layer layer: $n"
			done < <(sed 's|//.*||' "$f" |
				grep -oE '#[[:space:]]*include[[:space:]]*<(net/(genetlink|netlink)|linux/genetlink)\.h>|\b(genl|nla|nlmsg)_[a-z_]+[[:space:]]*\(|\bapsm_nl_[a-z_]+|\bgenl_info\b' |
				sort -u)
		fi
	done
	return $bad
}

# check ROOT: fails on a structural error and on any violation.
check() {
	local root=$1 found rc=0
	found=$(violations "$root") || rc=1
	found=$(sort -u <<<"$found" | sed '/^$/d')
	if [ -n "$found" ]; then
		sed 's/^/layers: /; s/^layers: layers: /layers: /' <<<"$found"
		rc=1
	fi
	return $rc
}

selftest() {	# prove that check() rejects what it must
	local tmp rc=0
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	cp -r "$here/src" "$here/include" "$tmp/"
	echo '#include "dp/datapath.h"' >>"$tmp/src/cfg/chain.c"
	if (check "$tmp") >/dev/null; then
		echo "layers: self-test: an upward include (cfg -> dp) was not caught"
		rc=1
	fi
	rm -rf "$tmp/src" "$tmp/include"
	cp -r "$here/src" "$here/include" "$tmp/"
	printf 'static void x(void) { genl_notify(0, 0, 0, 0, 0); }\n' >>"$tmp/src/flow/rds.c"
	if (check "$tmp") >/dev/null; then
		echo "layers: self-test: a netlink call in the flow layer was not caught"
		rc=1
	fi
	rm -rf "$tmp/src" "$tmp/include"
	cp -r "$here/src" "$here/include" "$tmp/"
	touch "$tmp/src/stray.c"
	if (check "$tmp") >/dev/null; then
		echo "layers: self-test: a file outside the layers was not caught"
		rc=1
	fi
	rm -rf "$tmp/src" "$tmp/include"
	cp -r "$here/src" "$here/include" "$tmp/"
	printf 'static void y(void) { apsm_nl_chain_notify(0, 0, 0, 0); }\n' >>"$tmp/src/cfg/chain.c"
	if (check "$tmp") >/dev/null; then
		echo "layers: self-test: a netlink call in the cfg layer was not caught"
		rc=1
	fi
	rm -rf "$tmp/src" "$tmp/include"
	cp -r "$here/src" "$here/include" "$tmp/"
	sed -i 's/^struct apsm_req;$/struct genl_info;/' "$tmp/include/cfg/chain.h"
	grep -q '^struct genl_info;$' "$tmp/include/cfg/chain.h" ||
		{ echo "layers: self-test: could not plant genl_info in cfg/chain.h"; rc=1; }
	if (check "$tmp") >/dev/null; then
		echo "layers: self-test: genl_info in a cfg header was not caught"
		rc=1
	fi
	return $rc
}

if [ "${1:-}" = --list ]; then	# print the violations
	violations "${2:-$here}" | sort -u
	exit 0
fi
if [ $# -gt 0 ]; then
	check "$1"
	exit $?
fi
rc=0
selftest || rc=1
check "$here" || rc=1
[ $rc -eq 0 ] && echo "layers: ok (no violation; self-test rejected every planted one)"
exit $rc
