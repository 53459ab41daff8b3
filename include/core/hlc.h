/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hybrid logical clock for RDS entry versions.
 *
 * A version is (wall clock ms << 16 | logical counter). Every version a
 * node hands out is greater than every version it handed out or heard of
 * before, and stays close to real time, so "newer version wins, a tie goes
 * to the higher origin node id" picks the same winner on every node for
 * concurrent updates of one flow.
 */
#ifndef _APSM_HLC_H
#define _APSM_HLC_H

#include <linux/atomic.h>
#include <linux/types.h>

#define APSM_HLC_LOGICAL_BITS	16

struct apsm_hlc {
	atomic64_t last;
};

static inline void apsm_hlc_init(struct apsm_hlc *c)
{
	atomic64_set(&c->last, 0);
}

/* A fresh version, greater than anything seen so far. Any context. */
u64 apsm_hlc_now(struct apsm_hlc *c);
/* Note a version received from a peer: later apsm_hlc_now() exceed it. */
void apsm_hlc_observe(struct apsm_hlc *c, u64 remote);

/* Does (@va, @oa) win over (@vb, @ob)? Newer version; tie: higher origin. */
static inline bool apsm_version_newer(u64 va, u32 oa, u64 vb, u32 ob)
{
	return va > vb || (va == vb && oa > ob);
}

#endif /* _APSM_HLC_H */
