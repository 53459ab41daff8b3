/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadow.c: a userspace mirror of the kernel RDS, keyed by flow key, fed
 * with every change of the kernel feed, plus a Merkle tree over it for
 * repair.c. Pure: no I/O, time is passed in.
 *
 * Records: one per key, live entry or tombstone (key, version, origin,
 * cause). Chained hash table with u32 indices; the bucket is the top bits
 * of apsmd_flow_keyhash, so a Merkle leaf is a contiguous bucket range.
 * Memory: 128 bytes per record + 4 bytes per bucket (load <= 1), i.e.
 * about 136 MB at 1M records; the tree is fixed at 69905 u64 (560 KB).
 *
 * Tree: fanout 16, levels 0 (root) .. SHADOW_LEAF_LEVEL (65536 leaves,
 * leaf = keyhash >> 48). A node's hash is the sum mod 2^64 of the item
 * hashes below it (entry: apsmd_flow_hash; tombstone: a mix of keyhash,
 * version, origin), so add/remove is O(depth). A record joins the tree
 * once it is Horizon ms old (time of its last shadow_apply); younger
 * records wait in a time-ordered list that shadow_tick() drains.
 * Tombstones are freed TombstoneTTL ms after the delete (shadow_tick).
 */
#ifndef APSMD_SHADOW_H
#define APSMD_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

#define SHADOW_FANOUT_BITS	4
#define SHADOW_FANOUT		(1u << SHADOW_FANOUT_BITS)
#define SHADOW_LEAF_LEVEL	4
#define SHADOW_LEAF_BITS	(SHADOW_FANOUT_BITS * SHADOW_LEAF_LEVEL)
#define SHADOW_LEAVES		(1u << SHADOW_LEAF_BITS)

struct shadow;

/* horizon_ms: age before a record joins the tree; ttl_ms: tombstone life
 * (>= horizon_ms expected). NULL on allocation failure.
 */
struct shadow *shadow_new(uint64_t horizon_ms, uint64_t ttl_ms);
void shadow_free(struct shadow *s);

/* Mirror one kernel change: op APSM_RDS_OP_NEW installs/replaces the
 * entry of f's key, APSM_RDS_OP_DEL turns it into a tombstone with f's
 * version and origin. Unconditional (the kernel already decided).
 * 0, or -1 on allocation failure / bad op.
 */
int shadow_apply(struct shadow *s, const struct apsmd_flow *f, uint8_t op,
		 uint8_t cause, uint64_t now_ms);
/* Age records into the tree and free expired tombstones. */
void shadow_tick(struct shadow *s, uint64_t now_ms);

/* A record of f's key (tombstone or entry) at least as new as f
 * ((version, origin), apsmd_newer) exists: f would lose. The tie rule
 * (a delete wins over an entry of the same version) is the caller's.
 */
bool shadow_blocks(const struct shadow *s, const struct apsmd_flow *f);
/* The record of f's key (op NEW or DEL in *out): true if found. */
bool shadow_find(const struct shadow *s, const struct apsmd_flow *key,
		 struct apsmd_flow *out);

uint64_t shadow_root(const struct shadow *s);
/* Hash of node index at level (0: root; level L has 16^L nodes); 0 for
 * an out-of-range node.
 */
uint64_t shadow_node(const struct shadow *s, unsigned int level,
		     uint32_t index);
/* Call cb for every record in the tree under leaf (entries op NEW,
 * tombstones op DEL); returns the number visited.
 */
typedef void (*shadow_cb)(const struct apsmd_flow *f, void *arg);
unsigned int shadow_leaf_items(const struct shadow *s, uint32_t leaf,
			       shadow_cb cb, void *arg);
static inline uint32_t shadow_leaf_of(uint64_t keyhash)
{
	return (uint32_t)(keyhash >> (64 - SHADOW_LEAF_BITS));
}

struct shadow_stats {
	uint64_t entries, tombs, in_tree, young;
};
void shadow_stats(const struct shadow *s, struct shadow_stats *st);

/* Test aid: recompute every tree node from the records; true if the
 * incremental tree equals it.
 */
bool shadow_check(const struct shadow *s);

/* Does a kernel change go into the shadow? Not a replica's idle expiry
 * (cause EXPIRE of another origin's entry): it is local (the write rule
 * does not send it either), and as a tombstone the Merkle exchange would
 * spread it as a delete. Everything else does.
 */
bool shadow_takes(const struct apsmd_flow *f, uint8_t cause, uint32_t self);

/* Reconcile with a dump of the kernel (a lost feed range): clear every
 * mark, mark the record of each key the dump holds (true and the record
 * in *out if there is one), then visit the live entries of origin left
 * unmarked (in the shadow, gone from the kernel). The callback must not
 * change the shadow.
 */
void shadow_unmark(struct shadow *s);
bool shadow_mark(struct shadow *s, const struct apsmd_flow *f,
		 struct apsmd_flow *out);
unsigned int shadow_unmarked(const struct shadow *s, uint32_t origin,
			     shadow_cb cb, void *arg);

#endif /* APSMD_SHADOW_H */
