/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's tombstones (tomb.c), pure: every delete this node wrote or
 * installed is kept by flow key (key hash, version, writer) for at least
 * the TTL, in a chained hash table with a FIFO of insertion order (the
 * TTL is one value, so the FIFO is also expiry order). A repair or late
 * entry not newer than its key's tombstone is blocked (no resurrection).
 * Bounded: when full, the oldest is dropped early (tomb_evicted counts
 * it; size the table for delete rate x TTL).
 */
#ifndef APSMD_TOMB_H
#define APSMD_TOMB_H

#include <stdbool.h>
#include <stdint.h>

int tomb_init(uint32_t max, uint64_t ttl_ms);	/* 0 or -1 */
void tomb_free(void);
/* Record (or raise) the tombstone of key kh at (version, origin). */
void tomb_put(uint64_t kh, uint64_t version, uint32_t origin, uint64_t now);
/* A live tombstone of kh at least as new as (version, origin)? */
bool tomb_blocks(uint64_t kh, uint64_t version, uint32_t origin,
		 uint64_t now);
/* A later write of kh that won (newer than the tombstone): forget it. */
void tomb_clear(uint64_t kh, uint64_t version, uint32_t origin);
void tomb_expire(uint64_t now);
uint32_t tomb_live(void);
uint64_t tomb_evicted(void);

#endif /* APSMD_TOMB_H */
