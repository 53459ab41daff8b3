// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow RDS and its Merkle tree (shadow.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "shadow.h"

#define NIL		UINT32_MAX
#define R_TOMB		0x01
#define R_TREE		0x02
#define R_YOUNG		0x04	/* on the young list */
#define R_TLIST		0x08	/* on the tombstone expiry list */
#define R_MARK		0x10	/* shadow_mark: seen in a dump */

struct rec {				/* 128 bytes */
	uint64_t kh, ih, version, t;
	uint32_t next, lprev, lnext, origin, spi;
	uint16_t sport, dport;
	uint8_t family, proto, dir, npath, flags, cause;
	uint8_t src[16], dst[16];
	uint32_t path[APSM_PATH_MAX];
};

_Static_assert(sizeof(struct rec) == 128, "shadow.h documents 128 bytes");

struct list {
	uint32_t head, tail;
};

struct shadow {
	struct rec *r;
	uint32_t nrec, cap, freel;
	uint32_t *bucket;
	unsigned int bbits;
	uint64_t used, tombs, in_tree, young;
	struct list yl, tl;
	uint64_t *tree[SHADOW_LEAF_LEVEL + 1];
	uint64_t horizon, ttl;
};

static size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t tomb_hash(uint64_t kh, uint64_t version, uint32_t origin)
{
	return mix(kh ^ mix(version ^ mix(0x746f6d6200000000ULL | origin)));
}

struct shadow *shadow_new(uint64_t horizon_ms, uint64_t ttl_ms)
{
	struct shadow *s = calloc(1, sizeof(*s));
	unsigned int l;

	if (!s)
		return NULL;
	s->horizon = horizon_ms;
	s->ttl = ttl_ms;
	s->freel = NIL;
	s->yl.head = s->yl.tail = s->tl.head = s->tl.tail = NIL;
	s->bbits = 10;
	s->bucket = malloc(sizeof(uint32_t) << s->bbits);
	if (!s->bucket)
		goto fail;
	memset(s->bucket, 0xff, sizeof(uint32_t) << s->bbits);
	for (l = 0; l <= SHADOW_LEAF_LEVEL; l++) {
		s->tree[l] = calloc((size_t)1 << (SHADOW_FANOUT_BITS * l),
				    sizeof(uint64_t));
		if (!s->tree[l])
			goto fail;
	}
	return s;
fail:
	shadow_free(s);
	return NULL;
}

void shadow_free(struct shadow *s)
{
	unsigned int l;

	if (!s)
		return;
	for (l = 0; l <= SHADOW_LEAF_LEVEL; l++)
		free(s->tree[l]);
	free(s->bucket);
	free(s->r);
	free(s);
}

static uint32_t bidx(const struct shadow *s, uint64_t kh)
{
	return (uint32_t)(kh >> (64 - s->bbits));
}

static bool same_key(const struct rec *r, const struct apsmd_flow *f,
		     uint64_t kh)
{
	size_t al = addr_len(f->family);

	return r->kh == kh && r->family == f->family && r->proto == f->proto &&
	       r->sport == f->sport && r->dport == f->dport &&
	       !memcmp(r->src, f->src, al) && !memcmp(r->dst, f->dst, al);
}

static uint32_t lookup(const struct shadow *s, const struct apsmd_flow *f,
		       uint64_t kh)
{
	uint32_t i;

	for (i = s->bucket[bidx(s, kh)]; i != NIL; i = s->r[i].next)
		if (same_key(&s->r[i], f, kh))
			return i;
	return NIL;
}

static void tree_add(struct shadow *s, uint64_t kh, uint64_t h, bool add)
{
	uint32_t leaf = shadow_leaf_of(kh);
	int l;

	for (l = SHADOW_LEAF_LEVEL; l >= 0; l--) {
		uint32_t idx = leaf >> (SHADOW_FANOUT_BITS *
					(SHADOW_LEAF_LEVEL - l));

		if (add)
			s->tree[l][idx] += h;
		else
			s->tree[l][idx] -= h;
	}
}

static void list_del(struct shadow *s, struct list *l, uint32_t i)
{
	struct rec *r = &s->r[i];

	if (r->lprev != NIL)
		s->r[r->lprev].lnext = r->lnext;
	else
		l->head = r->lnext;
	if (r->lnext != NIL)
		s->r[r->lnext].lprev = r->lprev;
	else
		l->tail = r->lprev;
	r->lprev = r->lnext = NIL;
}

static void list_add(struct shadow *s, struct list *l, uint32_t i)
{
	struct rec *r = &s->r[i];

	r->lnext = NIL;
	r->lprev = l->tail;
	if (l->tail != NIL)
		s->r[l->tail].lnext = i;
	else
		l->head = i;
	l->tail = i;
}

/* Take a record out of the tree and off its list. */
static void detach(struct shadow *s, uint32_t i)
{
	struct rec *r = &s->r[i];

	if (r->flags & R_TREE) {
		tree_add(s, r->kh, r->ih, false);
		s->in_tree--;
	}
	if (r->flags & R_YOUNG) {
		list_del(s, &s->yl, i);
		s->young--;
	}
	if (r->flags & R_TLIST)
		list_del(s, &s->tl, i);
	r->flags &= ~(R_TREE | R_YOUNG | R_TLIST);
}

static int grow_buckets(struct shadow *s)
{
	unsigned int nb = s->bbits + 1;
	uint32_t *b = malloc(sizeof(uint32_t) << nb), i;

	if (!b)
		return -1;
	memset(b, 0xff, sizeof(uint32_t) << nb);
	free(s->bucket);
	s->bucket = b;
	s->bbits = nb;
	for (i = 0; i < s->nrec; i++) {
		struct rec *r = &s->r[i];
		uint32_t k;

		if (!r->family)		/* free slot */
			continue;
		k = bidx(s, r->kh);
		r->next = b[k];
		b[k] = i;
	}
	return 0;
}

static uint32_t alloc_rec(struct shadow *s)
{
	uint32_t i;

	if (s->freel != NIL) {
		i = s->freel;
		s->freel = s->r[i].next;
		return i;
	}
	if (s->nrec == s->cap) {
		uint32_t nc = s->cap ? s->cap * 2 : 1024;
		struct rec *r;

		if (nc <= s->cap || nc >= NIL)
			return NIL;
		r = realloc(s->r, (size_t)nc * sizeof(*r));
		if (!r)
			return NIL;
		s->r = r;
		s->cap = nc;
	}
	return s->nrec++;
}

static void free_rec(struct shadow *s, uint32_t i)
{
	struct rec *r = &s->r[i];
	uint32_t *pp = &s->bucket[bidx(s, r->kh)];

	detach(s, i);
	while (*pp != i)
		pp = &s->r[*pp].next;
	*pp = r->next;
	if (r->flags & R_TOMB)
		s->tombs--;
	s->used--;
	memset(r, 0, sizeof(*r));
	r->next = s->freel;
	s->freel = i;
}

static void age(struct shadow *s, uint64_t now)
{
	while (s->yl.head != NIL) {
		uint32_t i = s->yl.head;
		struct rec *r = &s->r[i];

		if (now < r->t || now - r->t < s->horizon)
			break;
		list_del(s, &s->yl, i);
		s->young--;
		r->flags &= ~R_YOUNG;
		tree_add(s, r->kh, r->ih, true);
		r->flags |= R_TREE;
		s->in_tree++;
		if (r->flags & R_TOMB) {
			list_add(s, &s->tl, i);
			r->flags |= R_TLIST;
		}
	}
}

int shadow_apply(struct shadow *s, const struct apsmd_flow *f, uint8_t op,
		 uint8_t cause, uint64_t now_ms)
{
	uint64_t kh;
	uint32_t i;
	struct rec *r;
	size_t al;

	if ((op != APSM_RDS_OP_NEW && op != APSM_RDS_OP_DEL) ||
	    (f->family != AF_INET && f->family != AF_INET6) ||
	    f->npath > APSM_PATH_MAX)
		return -1;
	kh = apsmd_flow_keyhash(f);
	i = lookup(s, f, kh);
	if (i == NIL) {
		if (s->used >= (1ULL << s->bbits) && grow_buckets(s))
			return -1;
		i = alloc_rec(s);
		if (i == NIL)
			return -1;
		r = &s->r[i];
		memset(r, 0, sizeof(*r));
		r->lprev = r->lnext = NIL;
		r->kh = kh;
		r->family = f->family;
		r->proto = f->proto;
		r->sport = f->sport;
		r->dport = f->dport;
		al = addr_len(f->family);
		memcpy(r->src, f->src, al);
		memcpy(r->dst, f->dst, al);
		r->next = s->bucket[bidx(s, kh)];
		s->bucket[bidx(s, kh)] = i;
		s->used++;
	} else {
		r = &s->r[i];
		detach(s, i);
		if (r->flags & R_TOMB)
			s->tombs--;
	}
	r->flags = 0;
	r->version = f->version;
	r->origin = f->origin;
	r->cause = cause;
	if (op == APSM_RDS_OP_DEL) {
		r->flags |= R_TOMB;
		r->dir = 0;
		r->npath = 0;
		r->spi = 0;
		memset(r->path, 0, sizeof(r->path));
		r->ih = tomb_hash(kh, f->version, f->origin);
		s->tombs++;
	} else {
		struct apsmd_flow g = *f;

		r->dir = f->dir;
		r->npath = f->npath;
		r->spi = f->spi;
		memset(r->path, 0, sizeof(r->path));
		memcpy(r->path, f->path, f->npath * sizeof(uint32_t));
		g.op = APSM_RDS_OP_NEW;
		r->ih = apsmd_flow_hash(&g);
	}
	r->t = now_ms;
	list_add(s, &s->yl, i);
	r->flags |= R_YOUNG;
	s->young++;
	age(s, now_ms);
	return 0;
}

void shadow_tick(struct shadow *s, uint64_t now_ms)
{
	age(s, now_ms);
	while (s->tl.head != NIL) {
		uint32_t i = s->tl.head;

		if (now_ms < s->r[i].t || now_ms - s->r[i].t < s->ttl)
			break;
		free_rec(s, i);
	}
}

static void to_flow(const struct rec *r, struct apsmd_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->op = r->flags & R_TOMB ? APSM_RDS_OP_DEL : APSM_RDS_OP_NEW;
	f->family = r->family;
	f->proto = r->proto;
	f->dir = r->dir;
	f->npath = r->npath;
	f->sport = r->sport;
	f->dport = r->dport;
	f->spi = r->spi;
	f->origin = r->origin;
	f->version = r->version;
	memcpy(f->src, r->src, 16);
	memcpy(f->dst, r->dst, 16);
	memcpy(f->path, r->path, sizeof(r->path));
}

bool shadow_find(const struct shadow *s, const struct apsmd_flow *key,
		 struct apsmd_flow *out)
{
	uint32_t i;

	if (key->family != AF_INET && key->family != AF_INET6)
		return false;
	i = lookup(s, key, apsmd_flow_keyhash(key));
	if (i == NIL)
		return false;
	if (out)
		to_flow(&s->r[i], out);
	return true;
}

bool shadow_blocks(const struct shadow *s, const struct apsmd_flow *f)
{
	const struct rec *r;
	uint32_t i;

	if (f->family != AF_INET && f->family != AF_INET6)
		return false;
	i = lookup(s, f, apsmd_flow_keyhash(f));
	if (i == NIL)
		return false;
	r = &s->r[i];
	return !apsmd_newer(f->version, f->origin, r->version, r->origin);
}

uint64_t shadow_root(const struct shadow *s)
{
	return s->tree[0][0];
}

uint64_t shadow_node(const struct shadow *s, unsigned int level,
		     uint32_t index)
{
	if (level > SHADOW_LEAF_LEVEL ||
	    (uint64_t)index >= 1ULL << (SHADOW_FANOUT_BITS * level))
		return 0;
	return s->tree[level][index];
}

unsigned int shadow_leaf_items(const struct shadow *s, uint32_t leaf,
			       shadow_cb cb, void *arg)
{
	uint32_t b0, b1, b, i;
	unsigned int n = 0;
	struct apsmd_flow f;

	if (leaf >= SHADOW_LEAVES)
		return 0;
	if (s->bbits >= SHADOW_LEAF_BITS) {
		b0 = leaf << (s->bbits - SHADOW_LEAF_BITS);
		b1 = (leaf + 1) << (s->bbits - SHADOW_LEAF_BITS);
	} else {
		b0 = leaf >> (SHADOW_LEAF_BITS - s->bbits);
		b1 = b0 + 1;
	}
	for (b = b0; b < b1; b++)
		for (i = s->bucket[b]; i != NIL; i = s->r[i].next) {
			const struct rec *r = &s->r[i];

			if (!(r->flags & R_TREE) ||
			    shadow_leaf_of(r->kh) != leaf)
				continue;
			to_flow(r, &f);
			if (cb)
				cb(&f, arg);
			n++;
		}
	return n;
}

void shadow_stats(const struct shadow *s, struct shadow_stats *st)
{
	st->entries = s->used - s->tombs;
	st->tombs = s->tombs;
	st->in_tree = s->in_tree;
	st->young = s->young;
}

bool shadow_check(const struct shadow *s)
{
	uint64_t *t[SHADOW_LEAF_LEVEL + 1];
	bool ok = true;
	unsigned int l;
	uint32_t i;

	for (l = 0; l <= SHADOW_LEAF_LEVEL; l++)
		t[l] = calloc((size_t)1 << (SHADOW_FANOUT_BITS * l), 8);
	for (l = 0; l <= SHADOW_LEAF_LEVEL; l++)
		if (!t[l])
			ok = false;
	for (i = 0; ok && i < s->nrec; i++) {
		const struct rec *r = &s->r[i];
		uint32_t leaf;
		int k;

		if (!r->family || !(r->flags & R_TREE))
			continue;
		leaf = shadow_leaf_of(r->kh);
		for (k = SHADOW_LEAF_LEVEL; k >= 0; k--)
			t[k][leaf >> (SHADOW_FANOUT_BITS *
				      (SHADOW_LEAF_LEVEL - k))] += r->ih;
	}
	for (l = 0; ok && l <= SHADOW_LEAF_LEVEL; l++)
		ok = !memcmp(t[l], s->tree[l],
			     sizeof(uint64_t) << (SHADOW_FANOUT_BITS * l));
	for (l = 0; l <= SHADOW_LEAF_LEVEL; l++)
		free(t[l]);
	return ok;
}

bool shadow_takes(const struct apsmd_flow *f, uint8_t cause, uint32_t self)
{
	return !(cause == APSMD_CAUSE_EXPIRE && f->op == APSM_RDS_OP_DEL &&
		 f->origin != self);
}

void shadow_unmark(struct shadow *s)
{
	uint32_t i;

	for (i = 0; i < s->nrec; i++)
		s->r[i].flags &= ~R_MARK;
}

bool shadow_mark(struct shadow *s, const struct apsmd_flow *f,
		 struct apsmd_flow *out)
{
	uint32_t i;

	if (f->family != AF_INET && f->family != AF_INET6)
		return false;
	i = lookup(s, f, apsmd_flow_keyhash(f));
	if (i == NIL)
		return false;
	s->r[i].flags |= R_MARK;
	if (out)
		to_flow(&s->r[i], out);
	return true;
}

unsigned int shadow_unmarked(const struct shadow *s, uint32_t origin,
			     shadow_cb cb, void *arg)
{
	unsigned int n = 0;
	struct apsmd_flow f;
	uint32_t i;

	for (i = 0; i < s->nrec; i++) {
		const struct rec *r = &s->r[i];

		if (!r->family || (r->flags & (R_TOMB | R_MARK)) ||
		    r->origin != origin)
			continue;
		to_flow(r, &f);
		if (cb)
			cb(&f, arg);
		n++;
	}
	return n;
}
