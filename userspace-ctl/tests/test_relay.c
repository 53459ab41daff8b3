// SPDX-License-Identifier: GPL-2.0
/*
 * Per-origin relay trees: every live node but the origin receives from
 * exactly one parent, within depth ceil(log_fanout n) + 1.
 */
#include <stdlib.h>

#include "../apsmd/relay.h"
#include "unit.h"

static unsigned int ceil_log(unsigned int n, unsigned int f)
{
	unsigned int d = 0;
	uint64_t p = 1;

	while (p < n) {
		p *= f;
		d++;
	}
	return d;
}

/* Walk the tree from origin; 0 if every live node got it exactly once. */
static int walk(const uint32_t *ids, unsigned int n, uint32_t origin,
		unsigned int fanout, unsigned int *depth)
{
	static uint32_t q[2048], lvl[2048], got[4096];
	uint32_t ch[8];
	unsigned int h = 0, t = 0, i, k, c;

	for (i = 0; i < 4096; i++)
		got[i] = 0;
	q[t] = origin;
	lvl[t++] = 0;
	*depth = 0;
	while (h < t) {
		uint32_t self = q[h];
		unsigned int l = lvl[h++];

		if (l > *depth)
			*depth = l;
		c = relay_children(origin, self, ids, n, fanout, ch);
		if (c > fanout)
			return -1;
		for (k = 0; k < c; k++) {
			if (ch[k] == origin || ch[k] >= 4096 ||
			    got[ch[k]]++ || t >= 2048)
				return -1;
			q[t] = ch[k];
			lvl[t++] = l + 1;
		}
	}
	for (i = 0; i < n; i++)
		if (ids[i] != origin && got[ids[i]] != 1)
			return -1;
	return 0;
}

void test_relay(void)
{
	static uint32_t ids[1024];
	unsigned int n, f, i, bad = 0, deep = 0, par = 0, depth;
	uint32_t origin, p;

	srand(3);
	for (n = 1; n <= 1024; n++)
		for (f = 1; f <= 8; f++) {
			uint32_t id = 0;

			for (i = 0; i < n; i++) {
				id += 1 + rand() % 3;	/* a random live subset */
				ids[i] = id;
			}
			origin = ids[rand() % n];
			if (walk(ids, n, origin, f, &depth))
				bad++;
			else if (f == 1 ? depth > n - 1 :
				 depth > ceil_log(n, f))
				deep++;
			/* relay_parent agrees with relay_children */
			if (n > 1) {
				uint32_t self = ids[rand() % n], ch[8];
				unsigned int c, k, ok = 0;

				if (self == origin)
					continue;
				if (relay_parent(origin, self, ids, n, f, &p) != 1) {
					par++;
					continue;
				}
				c = relay_children(origin, p, ids, n, f, ch);
				for (k = 0; k < c; k++)
					ok |= ch[k] == self;
				par += !ok;
			}
		}
	CHECK(!bad, "%u trees with a node reached twice or never", bad);
	CHECK(!deep, "%u trees too deep", deep);
	CHECK(!par, "%u relay_parent mismatches", par);
	/* an origin missing from the live set (seen dead) still roots it */
	for (i = 0; i < 100; i++)
		ids[i] = 2 * i + 2;
	CHECK(!walk(ids, 100, 51, 3, &depth) && depth <= ceil_log(101, 3) + 1,
	      "dead origin: depth %u", depth);
	CHECK(relay_children(1, 2, ids, 100, 0, &p) == 0, "fanout 0");
}
