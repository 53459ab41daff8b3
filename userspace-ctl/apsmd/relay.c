// SPDX-License-Identifier: GPL-2.0
/*
 * Per-origin relay trees (relay.h): positions in the live set rotated to
 * start at the origin, a complete fanout-ary tree over the positions.
 */
#include <stdbool.h>

#include "relay.h"

/* The live set is ids plus origin and self (sorted merge, virtual). */
struct rset {
	const uint32_t *ids;
	unsigned int n;
	uint32_t extra[2];
	unsigned int nx;
};

static bool has(const uint32_t *ids, unsigned int n, uint32_t id)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int m = lo + (hi - lo) / 2;

		if (ids[m] == id)
			return true;
		if (ids[m] < id)
			lo = m + 1;
		else
			hi = m;
	}
	return false;
}

static unsigned int below(const struct rset *s, uint32_t id)
{
	unsigned int lo = 0, hi = s->n, i, r;

	while (lo < hi) {
		unsigned int m = lo + (hi - lo) / 2;

		if (s->ids[m] < id)
			lo = m + 1;
		else
			hi = m;
	}
	r = lo;
	for (i = 0; i < s->nx; i++)
		r += s->extra[i] < id;
	return r;
}

static unsigned int total(const struct rset *s)
{
	return s->n + s->nx;
}

static unsigned int lower(const uint32_t *ids, unsigned int n, uint32_t id)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int m = lo + (hi - lo) / 2;

		if (ids[m] < id)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/* The id at sorted rank k (extras are sorted and not in ids). */
static uint32_t at(const struct rset *s, unsigned int k)
{
	unsigned int j, m = 0;

	for (j = 0; j < s->nx; j++) {
		unsigned int r = lower(s->ids, s->n, s->extra[j]) + j;

		if (r == k)
			return s->extra[j];
		if (r < k)
			m++;
	}
	return s->ids[k - m];
}

static void build(struct rset *s, uint32_t origin, uint32_t self,
		  const uint32_t *ids, unsigned int n)
{
	s->ids = ids;
	s->n = n;
	s->nx = 0;
	if (!has(ids, n, origin))
		s->extra[s->nx++] = origin;
	if (self != origin && !has(ids, n, self))
		s->extra[s->nx++] = self;
	if (s->nx == 2 && s->extra[0] > s->extra[1]) {
		uint32_t t = s->extra[0];

		s->extra[0] = s->extra[1];
		s->extra[1] = t;
	}
}

unsigned int relay_children(uint32_t origin, uint32_t self,
			    const uint32_t *ids, unsigned int n,
			    unsigned int fanout, uint32_t *out)
{
	struct rset s;
	unsigned int N, p0, q, c, k = 0;
	uint64_t first;

	if (!fanout)
		return 0;
	build(&s, origin, self, ids, n);
	N = total(&s);
	p0 = below(&s, origin);
	q = (below(&s, self) + N - p0) % N;
	first = (uint64_t)q * fanout + 1;
	for (c = 0; c < fanout && first + c < N; c++)
		out[k++] = at(&s, (unsigned int)((first + c + p0) % N));
	return k;
}

int relay_parent(uint32_t origin, uint32_t self, const uint32_t *ids,
		 unsigned int n, unsigned int fanout, uint32_t *parent)
{
	struct rset s;
	unsigned int N, p0, q;

	if (!fanout || self == origin)
		return 0;
	build(&s, origin, self, ids, n);
	N = total(&s);
	p0 = below(&s, origin);
	q = (below(&s, self) + N - p0) % N;
	*parent = at(&s, ((q - 1) / fanout + p0) % N);
	return 1;
}
