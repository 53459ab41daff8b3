// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's tombstones: a chained hash table over a FIFO ring of nodes.
 * See tomb.h.
 */
#include <stdlib.h>

#include "tomb.h"

#define NIL	UINT32_MAX

struct tnode {
	uint64_t kh, version, expires;
	uint32_t origin, next;		/* next in its bucket's chain */
	bool used;
};

static struct tnode *ring;	/* FIFO: head oldest, tail next free */
static uint32_t *bucket;
static uint32_t cap, nbuckets, head, count, live;
static uint64_t ttl, evicted;

static bool newer(uint64_t va, uint32_t oa, uint64_t vb, uint32_t ob)
{
	return va > vb || (va == vb && oa > ob);
}

int tomb_init(uint32_t max, uint64_t ttl_ms)
{
	uint32_t i;

	tomb_free();
	if (max < 16)
		max = 16;
	nbuckets = 16;
	while (nbuckets < max && nbuckets < (1U << 30))
		nbuckets <<= 1;
	ring = calloc(max, sizeof(*ring));
	bucket = malloc(nbuckets * sizeof(*bucket));
	if (!ring || !bucket) {
		tomb_free();
		return -1;
	}
	for (i = 0; i < nbuckets; i++)
		bucket[i] = NIL;
	cap = max;
	ttl = ttl_ms;
	head = count = live = 0;
	evicted = 0;
	return 0;
}

void tomb_free(void)
{
	free(ring);
	free(bucket);
	ring = NULL;
	bucket = NULL;
	cap = count = live = 0;
}

static uint32_t *chain(uint64_t kh)
{
	return &bucket[(kh ^ kh >> 29) & (nbuckets - 1)];
}

static struct tnode *find(uint64_t kh)
{
	uint32_t i;

	if (!ring)
		return NULL;
	for (i = *chain(kh); i != NIL; i = ring[i].next)
		if (ring[i].kh == kh)
			return &ring[i];
	return NULL;
}

static void unlink_node(uint32_t idx)
{
	uint32_t *p = chain(ring[idx].kh);

	while (*p != NIL && *p != idx)
		p = &ring[*p].next;
	if (*p == idx)
		*p = ring[idx].next;
	ring[idx].used = false;
	live--;
}

/* Drop the oldest. */
static void pop(void)
{
	if (ring[head].used)
		unlink_node(head);
	head = (head + 1) % cap;
	count--;
}

void tomb_put(uint64_t kh, uint64_t version, uint32_t origin, uint64_t now)
{
	struct tnode *t = find(kh);
	uint32_t idx;

	if (!ring)
		return;
	if (t) {
		if (!newer(version, origin, t->version, t->origin))
			return;
		/* re-queue at the tail: the FIFO stays in expiry order */
		unlink_node((uint32_t)(t - ring));
	}
	if (count == cap) {
		if (ring[head].used && ring[head].expires > now)
			evicted++;
		pop();
	}
	idx = (head + count) % cap;
	ring[idx] = (struct tnode){ kh, version, now + ttl, origin,
				    *chain(kh), true };
	*chain(kh) = idx;
	count++;
	live++;
}

bool tomb_blocks(uint64_t kh, uint64_t version, uint32_t origin, uint64_t now)
{
	struct tnode *t = find(kh);

	return t && t->expires > now &&
	       !newer(version, origin, t->version, t->origin);
}

void tomb_clear(uint64_t kh, uint64_t version, uint32_t origin)
{
	struct tnode *t = find(kh);

	if (t && newer(version, origin, t->version, t->origin))
		unlink_node((uint32_t)(t - ring));
}

void tomb_expire(uint64_t now)
{
	while (count && (!ring[head].used || ring[head].expires <= now))
		pop();
}

uint32_t tomb_live(void)
{
	return live;
}

uint64_t tomb_evicted(void)
{
	return evicted;
}
