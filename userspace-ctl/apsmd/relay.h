/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay.c: per-origin relay trees (pure). The live nodes, sorted by id and
 * rotated to start at the origin, form a complete fanout-ary tree: the
 * node at position q forwards to positions q*fanout+1 .. q*fanout+fanout.
 * The tree is recomputed from the live set, so a dead node's subtree is
 * adopted by the live ones. origin and self count as live even if not in
 * ids (a sender is alive for itself). Views that disagree about the live
 * set may duplicate or miss a delivery; sync's NACKs repair the miss.
 */
#ifndef APSMD_RELAY_H
#define APSMD_RELAY_H

#include <stdint.h>

/* ids: n live node ids sorted ascending, no duplicates. Writes at most
 * fanout children of self into out; returns how many (0: a leaf).
 */
unsigned int relay_children(uint32_t origin, uint32_t self,
			    const uint32_t *ids, unsigned int n,
			    unsigned int fanout, uint32_t *out);
/* The node self receives origin's data from (origin itself: 0 and
 * *parent untouched); 1 if found.
 */
int relay_parent(uint32_t origin, uint32_t self, const uint32_t *ids,
		 unsigned int n, unsigned int fanout, uint32_t *parent);

#endif /* APSMD_RELAY_H */
