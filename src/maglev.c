// SPDX-License-Identifier: GPL-2.0
/*
 * APSM: Maglev-style weighted consistent-hash lookup table.
 *
 * A table maps a flow hash to a backend (an NF instance) through an array
 * of "size" slots, size a prime: slot = reciprocal_scale(hash, size),
 * backend = ids[slot].  Building the array:
 *
 *  1. The backend set is sorted by id; ids must be unique.  Backends of
 *     weight 0 own no slot.  Nothing below depends on the order the
 *     caller passed the backends in, or on anything but (id, weight) and
 *     size, so every node of the cluster builds the same table from the
 *     same set, and a rebuild from the same set gives the same table.
 *
 *  2. Each backend's preference list is a permutation of the slots that
 *     depends only on its id (and size), through two fixed-seed hashes:
 *     offset = h1(id) mod size, skip = h2(id) mod (size - 1) + 1, and its
 *     j-th preferred slot is (offset + j * skip) mod size.  As size is
 *     prime, every skip visits every slot.
 *
 *  3. Each backend gets a quota of slots proportional to its weight, by
 *     largest remainder: quota = floor(size * w / W) (W the sum of the
 *     weights), and the size - sum(quota) slots left over go one each to
 *     the backends with the largest remainders (ties: lower id).  So a
 *     backend owns floor(size * w / W) or that plus one slot: its share
 *     of slots is within one slot of its weight share, a relative error
 *     below 1 / (size * w / W).  With equal weights that is below 1/131,
 *     as size >= 131 * n.
 *
 *  4. Backends take turns: backend b's j-th turn is at virtual time
 *     (j + 1/2) / w_b (ties: lower id), so with equal weights the turns go
 *     round-robin in id order (plain Maglev), and with unequal weights a
 *     backend takes turns at a rate proportional to its weight.  On its
 *     turn a backend claims the next slot of its preference list that is
 *     still free, and it stops taking turns once it owns its quota.  The
 *     table is full when every backend owns its quota.
 *
 * Disruption.  A backend's preference list and its turn times depend
 * only on its own id and weight, so removing a backend B (or adding one)
 * does not change the order in which the others claim their preferred
 * slots: B's slots are freed and taken over by the survivors.  But a
 * survivor that now gets one of B's former slots stops short of the slot
 * it used to take next, one turn later another backend may take that
 * one, and so on: Maglev does not bound this cascade in theory, it only
 * keeps it small when the table is large against n.  Measured at the
 * sizes below for n = 2..64 (kunit/maglev_test.c asserts it): removing
 * (or draining, or adding) one of n backends moves that backend's ~1/n
 * of the slots plus, on average, 0.7/n of the table taken from
 * survivors to other survivors, at worst ~1.9/n in a single change.
 * Equal and unequal weights behave alike.
 *
 * The size comes from a fixed ladder (apsm_maglev_size_for()): the
 * smallest prime >= 131 * 2^k that is >= 131 * n.  A size change changes
 * every permutation and so reshuffles the whole table; the ladder makes
 * that happen only when the backend count (weight-0 backends included,
 * so draining one never does it) crosses a power of two above 8.
 * Callers pin existing flows elsewhere (the RDS), so the table only
 * steers new flows.
 *
 * Cost: the build is O(size log size) expected and O(n) extra memory;
 * the table is one u32 per slot, kvmalloc'ed (134153 slots, 524 KiB,
 * for 1024 backends).  Lookup is one multiply and one load.
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "maglev.h"

/* smallest prime >= 131 * 2^k, k = 3..10 */
static const u32 apsm_maglev_sizes[] = {
	1049, 2099, 4201, 8387, 16787, 33547, 67073, 134153,
};

/* fixed seeds: part of the cluster-wide table format, do not change */
#define APSM_MAGLEV_SEED_OFFSET	0x6170736d6f666673ULL	/* "apsmoffs" */
#define APSM_MAGLEV_SEED_SKIP	0x6170736d736b6970ULL	/* "apsmskip" */

/* largest size apsm_maglev_build_size() accepts (keeps pos + skip in u32) */
#define APSM_MAGLEV_MAX_SIZE	BIT(24)

struct apsm_maglev_work {
	u32 id;
	u32 weight;
	u32 pos;	/* next preferred slot to try */
	u32 skip;
	u32 quota;	/* slots this backend will own */
	u32 owned;	/* slots owned so far (= turns taken) */
	u64 rem;	/* size * weight mod W, for the largest remainders */
};

/**
 * apsm_maglev_size_for() - table size for a backend count
 * @n: backends, weight-0 ones included
 *
 * Return: the smallest size of the fixed ladder that is >= 131 * @n (at
 * least 1049, always a prime), or 0 if @n > APSM_MAGLEV_MAX_BACKENDS.
 */
u32 apsm_maglev_size_for(unsigned int n)
{
	u64 need = (u64)APSM_MAGLEV_SLOTS_PER_BACKEND * n;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(apsm_maglev_sizes); i++)
		if (apsm_maglev_sizes[i] >= need)
			return apsm_maglev_sizes[i];
	return 0;
}

/* 64-bit finaliser (splitmix64 constants): a fixed, portable mix */
static u64 apsm_maglev_mix(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static bool apsm_maglev_is_prime(u32 x)
{
	u32 d;

	if (x < 2)
		return false;
	for (d = 2; d <= x / d; d++)
		if (!(x % d))
			return false;
	return true;
}

static int apsm_maglev_cmp_id(const void *a, const void *b)
{
	const struct apsm_maglev_work *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* largest remainder first, then lower id */
static int apsm_maglev_cmp_rem(const void *a, const void *b)
{
	const struct apsm_maglev_work *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return apsm_maglev_cmp_id(a, b);
}

/*
 * Does backend @x take its next turn before backend @y?  Turn j of a
 * backend of weight w is at (2j + 1) / (2w); compare the cross products
 * (at most 2^25 * 2^32, no overflow).
 */
static bool apsm_maglev_before(const struct apsm_maglev_work *x,
			       const struct apsm_maglev_work *y)
{
	u64 tx = (2ULL * x->owned + 1) * y->weight;
	u64 ty = (2ULL * y->owned + 1) * x->weight;

	if (tx != ty)
		return tx < ty;
	return x->id < y->id;
}

/* min-heap of indices into @w, ordered by apsm_maglev_before() */
static void apsm_maglev_sift_down(const struct apsm_maglev_work *w, u32 *heap,
				  u32 len, u32 i)
{
	u32 top = heap[i];

	for (;;) {
		u32 c = 2 * i + 1;

		if (c >= len)
			break;
		if (c + 1 < len && apsm_maglev_before(&w[heap[c + 1]],
						      &w[heap[c]]))
			c++;
		if (!apsm_maglev_before(&w[heap[c]], &w[top]))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = top;
}

/* step 3: quotas by largest remainder; @w sorted by id on entry and exit */
static void apsm_maglev_quotas(struct apsm_maglev_work *w, u32 k, u32 size)
{
	u64 total = 0, given = 0;
	u32 i, left;

	for (i = 0; i < k; i++)
		total += w[i].weight;
	for (i = 0; i < k; i++) {
		u64 prod = (u64)size * w[i].weight;
		u64 q = div64_u64(prod, total);

		w[i].quota = q;
		w[i].rem = prod - q * total;
		given += q;
	}
	/* sum of the remainders is (size - given) * total, so left < k */
	left = size - given;
	if (!left)
		return;
	sort(w, k, sizeof(*w), apsm_maglev_cmp_rem, NULL);
	for (i = 0; i < left; i++)
		w[i].quota++;
	sort(w, k, sizeof(*w), apsm_maglev_cmp_id, NULL);
}

/* step 4: fill m->ids[] (all APSM_MAGLEV_NONE on entry) */
static void apsm_maglev_fill(struct apsm_maglev *m,
			     struct apsm_maglev_work *w, u32 k, u32 *heap,
			     bool can_sleep)
{
	u32 size = m->size, len = 0, filled = 0, i;

	for (i = 0; i < k; i++) {
		u64 h1 = apsm_maglev_mix(APSM_MAGLEV_SEED_OFFSET ^ w[i].id);
		u64 h2 = apsm_maglev_mix(APSM_MAGLEV_SEED_SKIP ^ w[i].id);

		w[i].pos = (u32)(h1 >> 32) % size;
		w[i].skip = size > 1 ? (u32)(h2 >> 32) % (size - 1) + 1 : 1;
		w[i].owned = 0;
		if (w[i].quota)
			heap[len++] = i;
	}
	m->n = len;
	for (i = len / 2; i-- > 0; )
		apsm_maglev_sift_down(w, heap, len, i);

	while (len) {
		struct apsm_maglev_work *b = &w[heap[0]];

		while (m->ids[b->pos] != APSM_MAGLEV_NONE) {
			b->pos += b->skip;
			if (b->pos >= size)
				b->pos -= size;
		}
		m->ids[b->pos] = b->id;
		b->owned++;
		if (b->owned == b->quota)
			heap[0] = heap[--len];
		if (len)
			apsm_maglev_sift_down(w, heap, len, 0);
		if (can_sleep && !(++filled & 4095))
			cond_resched();
	}
}

static struct apsm_maglev *apsm_maglev_alloc(u32 size, gfp_t gfp)
{
	struct apsm_maglev *m;

	m = kvmalloc(struct_size(m, ids, size), gfp);
	if (!m)
		return NULL;
	m->size = size;
	m->n = 0;
	memset(m->ids, 0xff, size * sizeof(m->ids[0]));
	return m;
}

/**
 * apsm_maglev_build_size() - build a table with a given size
 * @b: backends, any order; ids unique and != APSM_MAGLEV_NONE
 * @n: number of backends, at most APSM_MAGLEV_MAX_BACKENDS
 * @size: slots, a prime < 2^24 (use apsm_maglev_build() unless you need
 *	  to pin the size; every node must use the same size)
 * @gfp: allocation flags; may sleep (and then reschedules) if they do
 *
 * Return: the table, or NULL if out of memory or the input is invalid
 * (too many backends, a duplicate or reserved id, size not prime).  If
 * no backend has a weight > 0 the table is empty: size 1, n 0, and every
 * lookup returns APSM_MAGLEV_NONE.
 */
struct apsm_maglev *apsm_maglev_build_size(const struct apsm_maglev_backend *b,
					   unsigned int n, u32 size, gfp_t gfp)
{
	struct apsm_maglev_work *w;
	struct apsm_maglev *m = NULL;
	u32 *heap;
	u32 i, k;

	if (n > APSM_MAGLEV_MAX_BACKENDS || size > APSM_MAGLEV_MAX_SIZE ||
	    !apsm_maglev_is_prime(size))
		return NULL;
	if (!n)
		return apsm_maglev_alloc(1, gfp);

	w = kvmalloc_array(n, sizeof(*w) + sizeof(*heap), gfp);
	if (!w)
		return NULL;
	heap = (u32 *)(w + n);

	for (i = 0; i < n; i++) {
		w[i] = (struct apsm_maglev_work){
			.id = b[i].id,
			.weight = b[i].weight,
		};
	}
	sort(w, n, sizeof(*w), apsm_maglev_cmp_id, NULL);
	for (i = 0; i < n; i++)
		if (w[i].id == APSM_MAGLEV_NONE ||
		    (i && w[i].id == w[i - 1].id))
			goto out;
	for (i = 0, k = 0; i < n; i++)
		if (w[i].weight)
			w[k++] = w[i];

	if (!k) {
		m = apsm_maglev_alloc(1, gfp);
		goto out;
	}
	m = apsm_maglev_alloc(size, gfp);
	if (!m)
		goto out;
	apsm_maglev_quotas(w, k, size);
	apsm_maglev_fill(m, w, k, heap, gfpflags_allow_blocking(gfp));
out:
	kvfree(w);
	return m;
}

/**
 * apsm_maglev_build() - build the table for a backend set
 * @b: backends, any order; ids unique and != APSM_MAGLEV_NONE
 * @n: number of backends (weight-0 ones included), at most
 *     APSM_MAGLEV_MAX_BACKENDS
 * @gfp: allocation flags, normally GFP_KERNEL (the build then
 *	 reschedules now and then); without it kvmalloc() cannot fall back
 *	 to vmalloc and a large table may fail to allocate
 *
 * The size is apsm_maglev_size_for(@n).  The same set of (id, weight)
 * pairs gives the same table on every node, whatever the order of @b.
 *
 * Return: the table, or NULL if out of memory or the input is invalid
 * (too many backends, a duplicate or reserved id).  If @n is 0 or every
 * weight is 0 the table is empty: size 1, n 0, and every lookup returns
 * APSM_MAGLEV_NONE.
 */
struct apsm_maglev *apsm_maglev_build(const struct apsm_maglev_backend *b,
				      unsigned int n, gfp_t gfp)
{
	u32 size = apsm_maglev_size_for(n);

	if (!size)
		return NULL;
	return apsm_maglev_build_size(b, n, size, gfp);
}

/**
 * apsm_maglev_free() - free a table now
 * @m: table, or NULL; no reader may still use it
 */
void apsm_maglev_free(struct apsm_maglev *m)
{
	kvfree(m);
}

/**
 * apsm_maglev_free_rcu() - free a table after an RCU grace period
 * @m: table, or NULL; already unpublished
 *
 * Does not sleep and needs no rcu_barrier() before module unload (no
 * callback in module text).
 */
void apsm_maglev_free_rcu(struct apsm_maglev *m)
{
	if (m)
		kvfree_rcu(m, rcu);
}
