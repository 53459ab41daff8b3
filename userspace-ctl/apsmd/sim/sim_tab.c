// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd-sim's flow table: what the kernel RDS holds, keyed like it by
 * (family, proto, src, dst, sport, dport). Chained hash table over a pool
 * of entries with a free list; it doubles its buckets when the entries
 * outnumber them. Keeps the entry count, per-origin counts and the digest
 * (sum of sim_entry_hash) up to date on every change, so the state file
 * costs O(origins), not O(table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sim.h"

#define NONE	UINT32_MAX

struct ent {
	struct apsmd_flow f;
	uint32_t next;		/* chain, or the free list */
	bool used;
};

static struct ent *pool;
static uint32_t npool, cap, free_head = NONE;
static uint32_t *bucket;
static uint32_t nbucket;	/* power of two */
static uint64_t count, digest;
static struct sim_origin *orig;
static unsigned int norig, caporig;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "apsmd-sim: out of memory\n");
		exit(1);
	}
	return p;
}

/* 64-bit mixer (splitmix64's finaliser). */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static size_t alen(const struct apsmd_flow *f)
{
	return f->family == AF_INET ? 4 : 16;
}

static uint64_t mix_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t v;

	while (n >= 8) {
		memcpy(&v, p, 8);
		h = mix(h, v);
		p += 8;
		n -= 8;
	}
	v = 0;
	memcpy(&v, p, n);
	return mix(h, v);
}

static uint64_t key_hash(const struct apsmd_flow *f)
{
	uint64_t h = mix(0, (uint64_t)f->family << 40 | (uint64_t)f->proto << 32 |
			 (uint64_t)f->sport << 16 | f->dport);

	h = mix_bytes(h, f->src, alen(f));
	return mix_bytes(h, f->dst, alen(f));
}

uint64_t sim_entry_hash(const struct apsmd_flow *f)
{
	uint64_t h = key_hash(f);
	unsigned int i;

	h = mix(h, (uint64_t)f->dir << 40 | (uint64_t)f->npath << 32 | f->spi);
	h = mix(h, f->origin);
	h = mix(h, f->version);
	for (i = 0; i < f->npath && i < APSM_PATH_MAX; i++)
		h = mix(h, f->path[i]);
	return h;
}

static bool same_key(const struct apsmd_flow *a, const struct apsmd_flow *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->src, b->src, alen(a)) &&
	       !memcmp(a->dst, b->dst, alen(a));
}

static void rehash(uint32_t n)
{
	uint32_t i;

	bucket = xrealloc(bucket, n * sizeof(*bucket));
	nbucket = n;
	for (i = 0; i < n; i++)
		bucket[i] = NONE;
	for (i = 0; i < npool; i++) {
		uint32_t b;

		if (!pool[i].used)
			continue;
		b = key_hash(&pool[i].f) & (nbucket - 1);
		pool[i].next = bucket[b];
		bucket[b] = i;
	}
}

void sim_tab_init(void)
{
	rehash(1024);
}

static struct sim_origin *origin_of(uint32_t o)
{
	unsigned int lo = 0, hi = norig, m;

	while (lo < hi) {	/* sorted by origin */
		m = (lo + hi) / 2;
		if (orig[m].origin < o)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo < norig && orig[lo].origin == o)
		return &orig[lo];
	if (norig == caporig) {
		caporig = caporig ? 2 * caporig : 64;
		orig = xrealloc(orig, caporig * sizeof(*orig));
	}
	memmove(&orig[lo + 1], &orig[lo], (norig - lo) * sizeof(*orig));
	norig++;
	orig[lo] = (struct sim_origin){ .origin = o };
	return &orig[lo];
}

static void account(const struct apsmd_flow *f, int sign)
{
	uint64_t h = sim_entry_hash(f);
	struct sim_origin *o = origin_of(f->origin);

	if (sign > 0) {
		count++;
		digest += h;
		o->count++;
		o->digest += h;
	} else {
		count--;
		digest -= h;
		o->count--;
		o->digest -= h;
	}
}

static uint32_t *find(const struct apsmd_flow *f)
{
	uint32_t *p = &bucket[key_hash(f) & (nbucket - 1)];

	while (*p != NONE && !same_key(&pool[*p].f, f))
		p = &pool[*p].next;
	return p;
}

const struct apsmd_flow *sim_tab_get(const struct apsmd_flow *f)
{
	uint32_t *p = find(f);

	return *p == NONE ? NULL : &pool[*p].f;
}

void sim_tab_put(const struct apsmd_flow *f)
{
	uint32_t *p = find(f), i, b;

	if (*p != NONE) {
		account(&pool[*p].f, -1);
		pool[*p].f = *f;
		account(f, 1);
		return;
	}
	if (free_head != NONE) {
		i = free_head;
		free_head = pool[i].next;
	} else {
		if (npool == cap) {
			cap = cap ? 2 * cap : 1024;
			pool = xrealloc(pool, (size_t)cap * sizeof(*pool));
		}
		i = npool++;
	}
	/* p may point into the pool, which may have moved: chain at the head */
	b = key_hash(f) & (nbucket - 1);
	pool[i].f = *f;
	pool[i].used = true;
	pool[i].next = bucket[b];
	bucket[b] = i;
	account(f, 1);
	if (count > nbucket && nbucket < (1U << 30))
		rehash(2 * nbucket);
}

bool sim_tab_del(const struct apsmd_flow *f, struct apsmd_flow *old)
{
	uint32_t *p = find(f), i = *p;

	if (i == NONE)
		return false;
	*p = pool[i].next;
	if (old)
		*old = pool[i].f;
	account(&pool[i].f, -1);
	pool[i].used = false;
	pool[i].next = free_head;
	free_head = i;
	return true;
}

uint64_t sim_tab_count(void)
{
	return count;
}

uint64_t sim_tab_digest(void)
{
	return digest;
}

unsigned int sim_tab_origins(const struct sim_origin **o)
{
	*o = orig;
	return norig;
}

void sim_tab_each(void (*cb)(const struct apsmd_flow *f, void *arg),
		  void *arg)
{
	uint32_t i;

	for (i = 0; i < npool; i++)
		if (pool[i].used)
			cb(&pool[i].f, arg);
}
