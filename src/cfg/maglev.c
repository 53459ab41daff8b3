// SPDX-License-Identifier: GPL-2.0
/*
 * APSM: Maglev-style weighted consistent-hash lookup table.
 *
 * A table maps a flow hash to a backend (an NF instance) through an array
 * of "size" slots, size a prime: i = reciprocal_scale(hash, size),
 * backend = ids[slot[i]].  Building the array:
 *
 *  1. The backend set is sorted by id; ids must be unique.  Backends of
 *     weight 0 own no slot.  Nothing below depends on the order the
 *     caller passed the backends in, or on anything but (id, weight) and
 *     size, so every node of the cluster builds the same table from the
 *     same set, and a rebuild from the same set gives the same table.
 *
 *  2. Each backend's preference list is a permutation of the slots that
 *     depends only on its id (and size), through two fixed-seed hashes:
 *     its j-th entry is a * (j + c)^3 + d mod size, with a != 0, c and d
 *     from the hashes.  Cubing permutes the integers mod a prime p when
 *     p mod 3 != 1, which every size obeys, so a list visits every slot
 *     once.  (Maglev's own lists, offset + j * skip, make two backends
 *     whose skips are in a small ratio such as 2:1 walk the table in
 *     lockstep, and then removing one of them hands most of its slots to
 *     the other: that is the worst case of plain Maglev's disruption.
 *     Two cubic lists are related by a cubic curve, not a line.)
 *
 *  3. Each backend gets a quota of slots proportional to its weight, by
 *     largest remainder: quota = floor(size * w / W) (W the sum of the
 *     weights), and the size - sum(quota) slots left over go one each to
 *     the backends with the largest remainders (ties: lower id).  So a
 *     backend owns floor(size * w / W) or that plus one slot: its share
 *     of slots is within one slot of its weight share, a relative error
 *     below 1 / (size * w / W).  With equal weights that is below 1/2048,
 *     as size >= 2048 * n.  Backends whose quota is 0 (a weight tiny
 *     against the others) own no slot.
 *
 *  4. The backends walk their preference lists in a race: backend b
 *     examines its j-th entry at virtual time (j + 1/2) / w_b (ties:
 *     lower id), so all walk at speeds proportional to their weights,
 *     and with equal weights they go round-robin in id order.  Examining
 *     a free slot claims it; a backend stops when it owns its quota, and
 *     the table is full when every backend owns its quota.  Each slot so
 *     goes to the first backend to reach it that is not yet full: the
 *     winner of a rendezvous race, cut off by the quotas.  (Maglev takes
 *     turns by slots claimed instead of entries examined; a backend that
 *     got a slot of a removed one then claims its later slots a turn
 *     late everywhere, and the reshuffle spreads.  In the race a slot's
 *     winner among the survivors stays the same, and only the cut-offs
 *     move.)
 *
 * Disruption.  A backend's preference list and its examination times
 * depend only on its own id and weight, so removing a backend B (or
 * draining it, or adding one) changes the other backends' slots only
 * where the quota cut-offs move.  Each survivor takes over the slots of
 * B it reaches first: about its weight share of them, but not exactly
 * (the count is random around that share, with a standard deviation of
 * about sqrt(size * w / W) / n), so a survivor that got more than its
 * quota grew by stops earlier and one that got fewer goes on further,
 * moving slots between survivors.  That is of the order of sqrt(size)
 * slots in all: as a multiple of 1/n of the table, about 0.7 to 0.9 *
 * n / sqrt(size) = sqrt(n / (size / n)) on top of B's own share, so it
 * shrinks with the square root of the slots per backend and, at a fixed
 * number of slots per backend, grows with the square root of n.  It is
 * the price of balancing every survivor to the slot: rendezvous hashing
 * without quotas would move none of them but leave each backend's share
 * off by about sqrt(size / n) slots, several percent here.
 *
 * Measured (userspace build of this file; every removal of every n =
 * 2..64 with random ids, 6 seeds each; kunit/maglev_test.c asserts a
 * sample): slots moved from survivors to other survivors when one of n
 * backends leaves, as a multiple of 1/n of the table:
 *
 *	equal weights:		mean 0.087..0.088, worst change 0.15..0.17
 *	random weights 1..4:	mean 0.088..0.089, worst change 0.19..0.20
 *	n = 64 alone (equal):	mean 0.13, worst 0.15
 *	n = 128 / 256 / 512 / 1024 (sampled): mean 0.20 / 0.29 / 0.43 / 0.63
 *
 * so removing one of n <= 64 backends moves its own 1/n of the flows plus
 * about 0.2/n more at worst, 0.09/n on average; adding one is the same
 * in reverse.  (Plain Maglev with 131 slots per backend, the previous
 * version of this file, moved 0.68/n more on average for n <= 64, up to
 * 1.9/n, and 5.6/n at n = 1024.)
 *
 * The size comes from a fixed ladder (apsm_maglev_size_for()): the
 * smallest prime p >= 2048 * 2^k with p mod 3 = 2 that is >= 2048 * n.
 * A size change changes every list and so reshuffles the whole table; the
 * ladder makes that happen only when the backend count (weight-0
 * backends included, so draining one never does it) crosses a power of
 * two above 8.  Callers pin existing flows elsewhere (the RDS), so the
 * table only steers new flows.
 *
 * Cost: a table is 2 bytes per slot plus 4 per backend: 32 KiB for up to
 * 8 backends, 256 KiB for 33..64, 4 MiB for 513..1024; kvmalloc'ed.  The
 * build needs O(n) more memory and a size-bit bitmap for its duration,
 * examines about 8 to 12 list entries per slot with one heap operation
 * per claim or lost race, and takes about 8 ms for 64 backends and
 * 0.22 s for 1024 (userspace on one core; about 20 ms and 0.5 s under
 * UML, see mg_build_time_test); it reschedules when it may sleep.
 * Lookup is one multiply and two loads.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "cfg/maglev.h"

/* slot[] holds u16 indexes into ids[] */
static_assert(APSM_MAGLEV_MAX_BACKENDS <= U16_MAX);

/* smallest prime p >= 2048 * 2^k with p mod 3 = 2, k = 3..10 */
static const u32 apsm_maglev_sizes[] = {
	16421, 32771, 65537, 131111, 262151, 524309, 1048583, 2097257,
};

/* fixed seeds: part of the cluster-wide table format, do not change */
#define APSM_MAGLEV_SEED_OFFSET	0x6170736d6f666673ULL	/* "apsmoffs" */
#define APSM_MAGLEV_SEED_SKIP	0x6170736d736b6970ULL	/* "apsmskip" */

/*
 * largest size apsm_maglev_build_size() accepts: keeps the list
 * arithmetic in 48 bits and (2 * seen + 1) * weight in 58 (seen <= size,
 * see apsm_maglev_fill())
 */
#define APSM_MAGLEV_MAX_SIZE	BIT(24)

struct apsm_maglev_work {
	u32 id;
	u32 weight;
	u32 quota;	/* slots this backend will own */
	u32 owned;	/* slots owned so far */
	u32 seen;	/* list entries examined before the current one */
	u32 pos;	/* slot of the current list entry */
	u32 d1, d2, d3;	/* finite differences of the list there */
	u64 rem;	/* size * weight mod W, for the largest remainders */
};

/**
 * apsm_maglev_size_for() - table size for a backend count
 * @n: backends, weight-0 ones included
 *
 * Return: the smallest size of the fixed ladder that is >= 2048 * @n:
 * 16421 for @n <= 8, then 32771, 65537, 131111 (@n <= 64), 262151,
 * 524309, 1048583 and 2097257 (@n <= 1024); always a prime whose
 * remainder mod 3 is 2.  0 if @n > APSM_MAGLEV_MAX_BACKENDS.
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

static u32 apsm_maglev_addmod(u32 x, u32 y, u32 p)
{
	x += y;
	return x >= p ? x - p : x;
}

/* x * y mod p, without a 64-bit division (32-bit kernels have none) */
static u32 apsm_maglev_mulmod(u32 x, u32 y, u32 p)
{
	u32 r;

	div_u64_rem((u64)x * y, p, &r);
	return r;
}

/*
 * step 2: start @b's list, f(j) = a * (j + c)^3 + d mod @size (size >= 2,
 * a != 0), at j = 0.  It is walked by finite differences: d1 = f(j + 1)
 * - f(j), d2 = d1(j + 1) - d1(j), d3 = d2(j + 1) - d2(j) = 6a.
 */
static void apsm_maglev_list(struct apsm_maglev_work *b, u32 size)
{
	u64 h1 = apsm_maglev_mix(APSM_MAGLEV_SEED_OFFSET ^ b->id);
	u64 h2 = apsm_maglev_mix(APSM_MAGLEV_SEED_SKIP ^ b->id);
	u32 a = (u32)h1 % (size - 1) + 1;
	u32 c = (u32)(h1 >> 32) % size;
	u32 d = (u32)(h2 >> 32) % size;
	u32 c2 = apsm_maglev_mulmod(c, c, size);
	u32 c3 = apsm_maglev_mulmod(c2, c, size);
	u32 t;

	b->seen = 0;
	b->pos = apsm_maglev_addmod(apsm_maglev_mulmod(a, c3, size), d, size);
	/* a * (3c^2 + 3c + 1) */
	t = apsm_maglev_addmod(c2, c, size);
	t = apsm_maglev_mulmod(t, 3, size);
	t = apsm_maglev_addmod(t, 1, size);
	b->d1 = apsm_maglev_mulmod(a, t, size);
	/* a * (6c + 6) */
	t = apsm_maglev_addmod(c, 1, size);
	b->d2 = apsm_maglev_mulmod(a, apsm_maglev_mulmod(t, 6, size), size);
	b->d3 = apsm_maglev_mulmod(a, 6, size);
}

/* the next entry of @b's list */
static void apsm_maglev_step(struct apsm_maglev_work *b, u32 size)
{
	b->seen++;
	b->pos = apsm_maglev_addmod(b->pos, b->d1, size);
	b->d1 = apsm_maglev_addmod(b->d1, b->d2, size);
	b->d2 = apsm_maglev_addmod(b->d2, b->d3, size);
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
 * Does backend @x examine its current list entry before backend @y does
 * theirs?  Entry j of a backend of weight w is examined at virtual time
 * (2j + 1) / (2w); compare the cross products (j <= size <= 2^24, so at
 * most (2^25 + 1) * (2^32 - 1), no overflow).
 */
static bool apsm_maglev_before(const struct apsm_maglev_work *x,
			       const struct apsm_maglev_work *y)
{
	u64 tx = (2ULL * x->seen + 1) * y->weight;
	u64 ty = (2ULL * y->seen + 1) * x->weight;

	if (tx != ty)
		return tx < ty;
	return x->id < y->id;
}

/* min-heap of indices into @w, ordered by apsm_maglev_before() */
static void apsm_maglev_sift_down(const struct apsm_maglev_work *w, u16 *heap,
				  u32 len, u32 i)
{
	u16 top = heap[i];

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

/*
 * step 4: fill @slot (m->size entries) from the @k backends of @w, all
 * with a quota, sorted by id (w[i] is ids[i]); @taken is a zeroed bitmap
 * of m->size bits.
 *
 * Rather than taking every examination from the heap, a backend sits in
 * the heap at the time of its first list entry that was still free when
 * it got there (slots are never freed, so no backend claims anything
 * before that time): on top, it claims the slot if still free, and moves
 * on to its next free entry.  The same race, with one heap operation per
 * claim or lost slot instead of per examination.
 *
 * While a backend is short of its quota some slot is free (the quotas add
 * up to size) and its list reaches it within size entries, so the
 * walks end; and seen stays <= size, as a backend that went through its
 * whole list found every slot taken: the table is full, and so is it.
 */
static void apsm_maglev_fill(struct apsm_maglev *m, u16 *slot,
			     struct apsm_maglev_work *w, u32 k, u16 *heap,
			     unsigned long *taken, bool can_sleep)
{
	u32 size = m->size, len = k, work = 0, i;

	for (i = 0; i < k; i++) {
		apsm_maglev_list(&w[i], size);
		w[i].owned = 0;
		heap[i] = i;
	}
	for (i = len / 2; i-- > 0; )
		apsm_maglev_sift_down(w, heap, len, i);

	while (len) {
		struct apsm_maglev_work *b = &w[heap[0]];

		if (!test_bit(b->pos, taken)) {
			__set_bit(b->pos, taken);
			slot[b->pos] = heap[0];
			if (++b->owned == b->quota) {
				heap[0] = heap[--len];
				goto next;
			}
		}
		do {
			apsm_maglev_step(b, size);
			work++;
		} while (test_bit(b->pos, taken));
next:
		if (len)
			apsm_maglev_sift_down(w, heap, len, 0);
		if (can_sleep && ++work >= 65536) {
			work = 0;
			cond_resched();
		}
	}
}

/* a table for @k >= 1 backends and @size slots, slot[] zeroed */
static struct apsm_maglev *apsm_maglev_alloc(u32 k, u32 size, gfp_t gfp)
{
	struct apsm_maglev *m;
	size_t head = struct_size(m, ids, k);

	m = kvzalloc(size_add(head, array_size(size, sizeof(u16))), gfp);
	if (!m)
		return NULL;
	m->size = size;
	m->slot = (const u16 *)((const char *)m + head);
	return m;
}

static struct apsm_maglev *apsm_maglev_empty(gfp_t gfp)
{
	struct apsm_maglev *m = apsm_maglev_alloc(1, 1, gfp);

	if (m)
		m->ids[0] = APSM_MAGLEV_NONE;
	return m;
}

/**
 * apsm_maglev_build_size() - build a table with a given size
 * @b: backends, any order; ids unique and != APSM_MAGLEV_NONE
 * @n: number of backends, at most APSM_MAGLEV_MAX_BACKENDS
 * @size: slots, a prime < 2^24 whose remainder mod 3 is not 1 (use
 *	  apsm_maglev_build() unless you need to pin the size; every node
 *	  must use the same size)
 * @gfp: allocation flags; may sleep (and then reschedules) if they do
 *
 * Return: the table, or NULL if out of memory or the input is invalid
 * (too many backends, a duplicate or reserved id, a bad size).  If no
 * backend gets a slot (every weight 0) the table is empty: size 1, n 0,
 * and every lookup returns APSM_MAGLEV_NONE.
 */
struct apsm_maglev *apsm_maglev_build_size(const struct apsm_maglev_backend *b,
					   unsigned int n, u32 size, gfp_t gfp)
{
	struct apsm_maglev_work *w;
	struct apsm_maglev *m = NULL;
	unsigned long *taken;
	u16 *heap;
	u32 i, k;

	if (n > APSM_MAGLEV_MAX_BACKENDS || size > APSM_MAGLEV_MAX_SIZE ||
	    !apsm_maglev_is_prime(size) || size % 3 == 1)
		return NULL;
	if (!n)
		return apsm_maglev_empty(gfp);

	w = kvmalloc_array(n, sizeof(*w) + sizeof(*heap), gfp);
	if (!w)
		return NULL;
	heap = (u16 *)(w + n);

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
	if (k) {
		apsm_maglev_quotas(w, k, size);
		for (i = 0, n = k, k = 0; i < n; i++)
			if (w[i].quota)
				w[k++] = w[i];
	}
	if (!k) {
		m = apsm_maglev_empty(gfp);
		goto out;
	}

	taken = kvcalloc(BITS_TO_LONGS(size), sizeof(*taken), gfp);
	if (!taken)
		goto out;
	m = apsm_maglev_alloc(k, size, gfp);
	if (m) {
		m->n = k;
		for (i = 0; i < k; i++)
			m->ids[i] = w[i].id;
		apsm_maglev_fill(m, (u16 *)m->slot, w, k, heap, taken,
				 gfpflags_allow_blocking(gfp));
	}
	kvfree(taken);
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
 * apsm_maglev_equal() - do two tables map every slot to the same backend?
 * @a: table
 * @b: table
 *
 * Return: true if they have the same size and the same owner for every
 * slot.
 */
bool apsm_maglev_equal(const struct apsm_maglev *a,
		       const struct apsm_maglev *b)
{
	return a->size == b->size && a->n == b->n &&
	       !memcmp(a->ids, b->ids, max(a->n, 1U) * sizeof(a->ids[0])) &&
	       !memcmp(a->slot, b->slot, a->size * sizeof(a->slot[0]));
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
