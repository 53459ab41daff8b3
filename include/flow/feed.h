/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The change feed: the last N changes of one RDS, each with a sequence
 * number (src/flow/feed.c).
 *
 * Every change of the table (an entry came, cause INSERT or INSTALL; an
 * entry went, cause DELETE, FLUSH, EXPIRE or PEER_DEL) gets the next seq:
 * 1 for the first, +1 per change, never reused for the feed's lifetime
 * (the netns's, while the module stays loaded). The feed keeps the last
 * "size" of them in a ring (a power of two, APSM_FEED_SIZE_MIN..MAX).
 * Readers copy a range of changes out by seq (netlink's FLOW_CHANGES dump,
 * the "rds" multicast); a seq older than FIRST was overwritten.
 *
 * Memory: one slot is sizeof(struct apsm_feed_slot), 104 bytes on 64-bit
 * (the replicated flow, 96, and its cause), so the default 65536 slots
 * take 6.5 MiB per netns, the maximum 4194304 416 MiB (kvmalloc).
 *
 * Concurrency: one spinlock (irqsave) per feed. Recording takes it for one
 * slot copy and two counter updates, from any context (softirq on the
 * packet path), never sleeping. Readers copy at most
 * APSM_FEED_READ_BATCH slots per hold, so a slot is never handed out
 * half overwritten. Resizing allocates outside the lock and swaps the
 * ring under it.
 */
#ifndef _APSM_FEED_H
#define _APSM_FEED_H

#include <linux/log2.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/apsm.h>

#include "flow/rds.h"

/* Slots a reader copies per lock hold (its buffer's size, at most). */
#define APSM_FEED_READ_BATCH	32

struct apsm_feed_slot {
	struct apsm_rds_flow f;
	u8 cause;			/* enum apsm_rds_cause */
};

/* One change as a reader gets it. */
struct apsm_feed_change {
	struct apsm_rds_flow f;
	u64 seq;
	u8 cause;			/* enum apsm_rds_cause */
	u8 op;				/* enum apsm_rds_op, from the cause */
};

struct apsm_feed {
	spinlock_t lock;
	u64 first;			/* oldest seq kept (= next: none) */
	u64 next;			/* seq of the next change */
	u32 mask;			/* size - 1 */
	struct apsm_feed_slot *ring;	/* slot of seq s: s & mask */
};

static inline bool apsm_feed_size_valid(u32 size)
{
	return size >= APSM_FEED_SIZE_MIN && size <= APSM_FEED_SIZE_MAX &&
	       is_power_of_2(size);
}

/* new (INSERT, INSTALL) or del (the others) */
static inline u8 apsm_feed_op(u8 cause)
{
	return cause == APSM_RDS_INSERT || cause == APSM_RDS_INSTALL ?
	       APSM_RDS_OP_NEW : APSM_RDS_OP_DEL;
}

/* @size must be apsm_feed_size_valid(). -EINVAL, -ENOMEM. Process context. */
int apsm_feed_init(struct apsm_feed *feed, u32 size);
void apsm_feed_destroy(struct apsm_feed *feed);

/* Make the ring if the feed has none yet (0, -ENOMEM). A netns keeps no
 * ring until its node is first used (a change command, a feed read), so
 * namespaces that never use APSM cost no ring (4-7 MiB at the default
 * size). Until then a change gets its seq and nothing is kept (FIRST =
 * NEXT). Process context.
 */
int apsm_feed_ensure(struct apsm_feed *feed);

/* Replace the ring by one of @size slots (even the same size): the kept
 * changes are dropped, FIRST moves up to NEXT; seqs go on. -EINVAL (not a
 * valid size), -ENOMEM (the old ring stays). Process context.
 */
int apsm_feed_resize(struct apsm_feed *feed, u32 size);

static inline u32 apsm_feed_size(struct apsm_feed *feed)
{
	return READ_ONCE(feed->mask) + 1;
}

/* Record one change; returns its seq. Any context. */
u64 apsm_feed_record(struct apsm_feed *feed, const struct apsm_rds_flow *f,
		     u8 cause);

/* The RDS hooks' view (what rds_net.c calls): an entry came / went. A
 * replacement (removed(old) then added(new), both INSTALL) is recorded
 * once, as the new entry: a removal with cause INSTALL is only ever the
 * first half of one, so it is skipped.
 */
void apsm_feed_added(struct apsm_feed *feed, const struct apsm_rds_entry *e,
		     enum apsm_rds_cause why);
void apsm_feed_removed(struct apsm_feed *feed, const struct apsm_rds_entry *e,
		       enum apsm_rds_cause why);

/* FIRST and NEXT now. */
void apsm_feed_bounds(struct apsm_feed *feed, u64 *first, u64 *next);

/* Copy the changes from seq max(@from, FIRST) on, below min(@end, NEXT),
 * at most @max (<= APSM_FEED_READ_BATCH) of them, into @out in seq order,
 * in one lock hold. *@first and *@next get FIRST and NEXT as they were
 * then (so @from < *@first says changes from @from on were lost). Returns
 * how many were copied. Any context.
 */
unsigned int apsm_feed_read(struct apsm_feed *feed, u64 from, u64 end,
			    struct apsm_feed_change *out, unsigned int max,
			    u64 *first, u64 *next);

#endif /* _APSM_FEED_H */
