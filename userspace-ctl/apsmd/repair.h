/* SPDX-License-Identifier: GPL-2.0 */
/*
 * repair.c: the Merkle repair exchange between two nodes over the shadow
 * tree (shadow.h). Stateless per message: a lost datagram only cuts a
 * round short; the next round redoes it. No I/O: datagrams leave through
 * ops->send (io seals and paces), entries arrive through ops->install.
 *
 * TREE (type 10), body: round u32, flags u8, pad[3], then `count` records
 *   of 16 bytes: level u8, pad[3], index u32, hash u64 (the SENDER's node
 *   hashes). Flag TREE_DONE (1): "my root equals yours", end of round.
 * Receiver: a level-0 record equal to its root -> answers one TREE_DONE
 *   (root only) and stops. Otherwise for every record of level >= 1 that
 *   differs: below the leaf level it answers with its own hashes of the
 *   16 children; at the leaf level it sends its items of that leaf as
 *   TREE_ENTRIES with TE_WANT.
 * TREE_ENTRIES (type 11), body: round u32, flags u8, pad[3], then `count`
 *   items: a leaf marker (op u8 = 0, pad[3], leaf u32: the sender's items
 *   of that leaf follow, possibly over several datagrams; a leaf with no
 *   items is a marker alone) or an item: op u8 (1 new, 2 del), family u8,
 *   proto u8, dir u8, npath u8, pad[3], sport u16, dport u16, spi u32,
 *   origin u32, version u64, pad[4], src, dst (4|16 bytes), path u32 x
 *   npath (40 bytes for an IPv4 entry with 1 hop, 40 for a tombstone).
 *   Receiver: the body is checked whole first (a malformed datagram
 *   installs nothing); every item newer than its own record of that key
 *   goes to ops->install (a delete wins a tie: same version and origin); with
 *   TE_WANT it answers with all its own items of the marked leaves
 *   (without TE_WANT, so it ends there).
 * Round start: TREE with the root and the 16 level-1 hashes (one 344-byte
 * datagram); nodes that agree answer one TREE_DONE: 2 datagrams.
 */
#ifndef APSMD_REPAIR_H
#define APSMD_REPAIR_H

#include <stdint.h>

#include "shadow.h"
#include "wire.h"

#ifndef APSMD_T_TREE
#define APSMD_T_TREE		10
#define APSMD_T_TREE_ENTRIES	11
#endif

#define REPAIR_TREE_DONE	0x01
#define REPAIR_TE_WANT		0x01
#define REPAIR_TREE_PREFIX	8
#define REPAIR_TREE_REC		16
#define REPAIR_TE_PREFIX	8

struct repair_ops {
	/* A body built in w (type, count, body set; header and MAC not):
	 * seal and send (or queue) to peer. 0, or -1 (round stops).
	 */
	int (*send)(void *ctx, uint32_t peer, struct apsmd_wbuf *w);
	/* An item from peer newer than the local one (op NEW: install,
	 * op DEL: delete). The shadow learns it from the feed afterwards.
	 */
	void (*install)(void *ctx, uint32_t peer, const struct apsmd_flow *f);
};

struct repair_stats {
	uint64_t rounds, done, diff_nodes, diff_leaves, items_sent,
		 items_installed, dgrams, bytes, bad_format;
};

struct apsmd_repair {
	struct shadow *sh;
	const struct repair_ops *ops;
	void *ctx;
	uint32_t round;
	struct repair_stats st;
};

void apsmd_repair_init(struct apsmd_repair *r, struct shadow *sh,
		       const struct repair_ops *ops, void *ctx);
/* Start a round with peer: 0, or -1 if the send failed. */
int apsmd_repair_round(struct apsmd_repair *r, uint32_t peer);
/* A verified TREE or TREE_ENTRIES datagram from peer: 0, or -1 (bad
 * format, counted).
 */
int apsmd_repair_on_msg(struct apsmd_repair *r, uint32_t peer,
			const struct apsmd_hdr *h, const uint8_t *body,
			size_t blen);

#endif /* APSMD_REPAIR_H */
