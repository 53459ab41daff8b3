// SPDX-License-Identifier: GPL-2.0
/*
 * The change feed of an RDS: a ring of its last changes by seq. See
 * include/flow/feed.h.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "flow/feed.h"

/* Charged to the memory cgroup of the admin whose command made it. */
static struct apsm_feed_slot *apsm_feed_ring_new(u32 size)
{
	return kvcalloc(size, sizeof(struct apsm_feed_slot),
			GFP_KERNEL_ACCOUNT);
}

int apsm_feed_init(struct apsm_feed *feed, u32 size)
{
	memset(feed, 0, sizeof(*feed));
	if (!apsm_feed_size_valid(size))
		return -EINVAL;
	spin_lock_init(&feed->lock);
	/* No ring yet: apsm_feed_ensure() makes it on the node's first use. */
	feed->mask = size - 1;
	feed->first = 1;
	feed->next = 1;
	return 0;
}

int apsm_feed_ensure(struct apsm_feed *feed)
{
	struct apsm_feed_slot *ring;
	unsigned long flags;

	if (READ_ONCE(feed->ring))
		return 0;
	ring = apsm_feed_ring_new(READ_ONCE(feed->mask) + 1);
	if (!ring)
		return -ENOMEM;
	spin_lock_irqsave(&feed->lock, flags);
	if (!feed->ring) {
		feed->ring = ring;
		ring = NULL;
	}
	spin_unlock_irqrestore(&feed->lock, flags);
	kvfree(ring);	/* another caller was first */
	return 0;
}

void apsm_feed_destroy(struct apsm_feed *feed)
{
	kvfree(feed->ring);
	feed->ring = NULL;
}

int apsm_feed_resize(struct apsm_feed *feed, u32 size)
{
	struct apsm_feed_slot *ring, *old;
	unsigned long flags;

	if (!apsm_feed_size_valid(size))
		return -EINVAL;
	ring = apsm_feed_ring_new(size);
	if (!ring)
		return -ENOMEM;
	spin_lock_irqsave(&feed->lock, flags);
	old = feed->ring;
	feed->ring = ring;
	WRITE_ONCE(feed->mask, size - 1);
	feed->first = feed->next;
	spin_unlock_irqrestore(&feed->lock, flags);
	kvfree(old);
	return 0;
}

u64 apsm_feed_record(struct apsm_feed *feed, const struct apsm_rds_flow *f,
		     u8 cause)
{
	struct apsm_feed_slot *slot;
	unsigned long flags;
	u64 seq;

	spin_lock_irqsave(&feed->lock, flags);
	seq = feed->next++;
	if (unlikely(!feed->ring)) {
		/* Not in use yet: the change has its seq, nothing is kept. */
		feed->first = feed->next;
		spin_unlock_irqrestore(&feed->lock, flags);
		return seq;
	}
	/* The ring is full: the oldest goes. */
	if (feed->next - feed->first > (u64)feed->mask + 1)
		feed->first++;
	slot = &feed->ring[seq & feed->mask];
	slot->f = *f;
	slot->cause = cause;
	spin_unlock_irqrestore(&feed->lock, flags);
	return seq;
}

void apsm_feed_added(struct apsm_feed *feed, const struct apsm_rds_entry *e,
		     enum apsm_rds_cause why)
{
	apsm_feed_record(feed, &e->f, why);
}

void apsm_feed_removed(struct apsm_feed *feed, const struct apsm_rds_entry *e,
		       enum apsm_rds_cause why)
{
	/* The old half of a replacement: the new entry is the change. */
	if (why == APSM_RDS_INSTALL)
		return;
	apsm_feed_record(feed, &e->f, why);
}

void apsm_feed_bounds(struct apsm_feed *feed, u64 *first, u64 *next)
{
	unsigned long flags;

	spin_lock_irqsave(&feed->lock, flags);
	*first = feed->first;
	*next = feed->next;
	spin_unlock_irqrestore(&feed->lock, flags);
}

unsigned int apsm_feed_read(struct apsm_feed *feed, u64 from, u64 end,
			    struct apsm_feed_change *out, unsigned int max,
			    u64 *first, u64 *next)
{
	const struct apsm_feed_slot *slot;
	unsigned long flags;
	unsigned int n = 0;
	u64 seq;

	max = min_t(unsigned int, max, APSM_FEED_READ_BATCH);
	spin_lock_irqsave(&feed->lock, flags);
	*first = feed->first;
	*next = feed->next;
	seq = max(from, feed->first);
	end = min(end, feed->next);
	for (; seq < end && n < max; seq++, n++) {
		slot = &feed->ring[seq & feed->mask];
		out[n].f = slot->f;
		out[n].seq = seq;
		out[n].cause = slot->cause;
		out[n].op = apsm_feed_op(slot->cause);
	}
	spin_unlock_irqrestore(&feed->lock, flags);
	return n;
}
