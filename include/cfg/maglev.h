/* SPDX-License-Identifier: GPL-2.0 */
/*
 * APSM: Maglev-style weighted consistent-hash lookup table.
 *
 * Pure logic, no networking dependencies.  See src/maglev.c for the
 * algorithm, the balance guarantee and the disruption bound.
 *
 * Usage: the caller builds a table from a backend set (instance id +
 * weight) with apsm_maglev_build(), publishes it with
 * rcu_assign_pointer(), looks it up under rcu_read_lock() with
 * apsm_maglev_lookup(), and retires the old table with
 * apsm_maglev_free_rcu() after replacing it.  A built table is never
 * modified.
 */
#ifndef _APSM_MAGLEV_H
#define _APSM_MAGLEV_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>

/* lookup result when the table has no backend */
#define APSM_MAGLEV_NONE	U32_MAX

/* largest backend count apsm_maglev_size_for() has a table size for */
#define APSM_MAGLEV_MAX_BACKENDS	1024

/* every table built by apsm_maglev_build() has at least this many slots
 * per backend (counting weight-0 backends too), see apsm_maglev_size_for()
 */
#define APSM_MAGLEV_SLOTS_PER_BACKEND	2048

struct apsm_maglev_backend {
	u32 id;		/* cluster-unique, != APSM_MAGLEV_NONE */
	u32 weight;	/* relative share; 0 = owns no slot (no new flows) */
};

/*
 * A table.  slot[] maps each slot to an index into ids[], the backends
 * owning slots in ascending id order; u16 indexes halve the memory of
 * storing ids.  An empty table has one slot, index 0, and ids[0] =
 * APSM_MAGLEV_NONE.  Both arrays are in the same allocation as the
 * header.  Read slots with apsm_maglev_slot().
 */
struct apsm_maglev {
	struct rcu_head rcu;
	u32 size;		/* slots: a prime; 1 for an empty table */
	u32 n;			/* backends owning at least one slot */
	const u16 *slot;	/* [size]: slot -> index into ids[] */
	u32 ids[];		/* [max(n, 1)]: backend ids, ascending */
};

u32 apsm_maglev_size_for(unsigned int n);

struct apsm_maglev *apsm_maglev_build(const struct apsm_maglev_backend *b,
				      unsigned int n, gfp_t gfp);
struct apsm_maglev *apsm_maglev_build_size(const struct apsm_maglev_backend *b,
					   unsigned int n, u32 size, gfp_t gfp);

bool apsm_maglev_equal(const struct apsm_maglev *a,
		       const struct apsm_maglev *b);

void apsm_maglev_free(struct apsm_maglev *m);
void apsm_maglev_free_rcu(struct apsm_maglev *m);

/**
 * apsm_maglev_slot() - backend owning a slot
 * @m: table from apsm_maglev_build(); not NULL
 * @s: slot, below @m->size
 *
 * Return: the backend id, or APSM_MAGLEV_NONE if the table is empty.
 */
static inline u32 apsm_maglev_slot(const struct apsm_maglev *m, u32 s)
{
	return m->ids[m->slot[s]];
}

/**
 * apsm_maglev_lookup() - backend for a flow hash
 * @m: table from apsm_maglev_build(); not NULL
 * @hash: flow hash, uniformly distributed over u32 (its high bits pick
 *	  the slot, so a hash that is only good in its low bits is not
 *	  enough)
 *
 * One multiply and two dependent loads (the slot's index, then the id).
 *
 * Return: the backend id, or APSM_MAGLEV_NONE if the table is empty.
 * The same table and hash give the same id on every node.
 */
static inline u32 apsm_maglev_lookup(const struct apsm_maglev *m, u32 hash)
{
	return apsm_maglev_slot(m, reciprocal_scale(hash, m->size));
}

#endif /* _APSM_MAGLEV_H */
