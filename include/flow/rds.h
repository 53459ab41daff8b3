/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RDS: replicated flow table, flow key -> path.
 *
 * The core (src/rds.c) is a standalone table: an rhashtable of entries
 * from the "apsm_rds" kmem_cache, a count bounded by a max, a hybrid
 * logical clock for versions, and idle aging driven by the caller's clock.
 * It knows nothing about netns, netlink or instances; changes are reported
 * through optional hooks. src/flow/rds_net.c wires one table into each netns
 * (aging work, instance flow counts, the subscriber list).
 *
 * Concurrency: readers use RCU only. Writers need no lock: every change is
 * one rhashtable insert, replace or remove, and whoever unlinks an entry
 * frees it (after a grace period); a writer that loses a race re-reads.
 * Entries are immutable once published except last_used and packets.
 */
#ifndef _APSM_RDS_H
#define _APSM_RDS_H

#include <linux/atomic.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/types.h>
#include <linux/apsm.h>

#include "core/flowkey.h"
#include "core/hlc.h"

struct apsm_net;
struct apsm_stats;

/* What replicates: everything a peer needs to install an entry. */
struct apsm_rds_flow {
	struct apsm_flow_key key;
	u64 version;			/* hybrid logical clock, never 0 */
	u32 origin;			/* node that created it */
	u32 spi;			/* chain, 1..APSM_SPI_MAX */
	u32 path[APSM_PATH_MAX];	/* instance ids, traversal order */
	u8 path_n;			/* 1..APSM_PATH_MAX */
	u8 dir;				/* enum apsm_flow_dir */
};

struct apsm_rds_entry {
	struct rhash_head node;
	struct apsm_rds_flow f;
	unsigned long last_used;	/* jiffies; WRITE_ONCE on hits */
	atomic64_t packets;
	struct rcu_head rcu;
};

/* Why an entry entered or left the table (for the hooks): enum
 * apsm_rds_cause of the uapi (the change feed reports it as it is).
 */

struct apsm_rds;

/* Called after the table changed, from the changing context (softirq for
 * packet-path inserts), inside an RCU read-side section: must not sleep.
 * A replacement is removed(old) then added(new), both APSM_RDS_INSTALL.
 */
struct apsm_rds_hooks {
	void (*added)(struct apsm_rds *rds, const struct apsm_rds_entry *e,
		      enum apsm_rds_cause why);
	void (*removed)(struct apsm_rds *rds, const struct apsm_rds_entry *e,
			enum apsm_rds_cause why);
};

/* Idle timeouts in jiffies, by protocol. */
struct apsm_rds_timeouts {
	unsigned long tcp;
	unsigned long udp;
	unsigned long other;
};

struct apsm_rds {
	struct rhashtable ht;		/* its nelems is the count */
	u32 max;			/* inserts refused at count >= max */
	atomic_t seq;			/* bumped on every change (dumps) */
	struct apsm_hlc clock;
	struct apsm_stats __percpu *stats;	/* may be NULL */
	const struct apsm_rds_hooks *hooks;	/* may be NULL */
	/* The aging sweep in progress (apsm_rds_age). */
	struct rhashtable_iter gc_iter;
	bool gc_walking;
};

/* The kmem_cache "apsm_rds" (module init ladder; KUnit suite init).
 * apsm_rds_cache_exit() waits for pending RCU frees (rcu_barrier) first.
 */
int apsm_rds_cache_init(void);
void apsm_rds_cache_exit(void);

int apsm_rds_init(struct apsm_rds *rds, u32 max);
/* Free every entry (no hooks). Nothing else may use @rds any more. */
void apsm_rds_destroy(struct apsm_rds *rds);

static inline u32 apsm_rds_count(const struct apsm_rds *rds)
{
	return atomic_read(&rds->ht.nelems);
}

/* Lowering max below the count evicts nothing; it refuses inserts. */
static inline void apsm_rds_set_max(struct apsm_rds *rds, u32 max)
{
	WRITE_ONCE(rds->max, max);
}

/* Nonzero, changes whenever the table does (nl_dump_check_consistent). */
static inline unsigned int apsm_rds_seq(const struct apsm_rds *rds)
{
	return ((unsigned int)atomic_read(&rds->seq) << 1) | 1;
}

/* Packet path: the entry for @key, or NULL. Marks it used (last_used,
 * packets) and counts RDS_HITS / RDS_MISSES. Caller holds rcu_read_lock().
 */
struct apsm_rds_entry *apsm_rds_lookup(struct apsm_rds *rds,
				       const struct apsm_flow_key *key);
/* The same without side effects (netlink GET). Caller holds RCU. */
struct apsm_rds_entry *apsm_rds_find(struct apsm_rds *rds,
				     const struct apsm_flow_key *key);

/* Insert a flow created here (@f complete: version and origin set).
 * Returns the new entry (*@created = true) or the one already there for
 * the key (false), or ERR_PTR: -ENOSPC at count >= max (counted
 * RDS_INSERT_FULL, nothing allocated), -ENOMEM (RDS_INSERT_NOMEM). Any
 * context (allocates with @gfp); the entry is valid under RCU only.
 */
struct apsm_rds_entry *apsm_rds_insert(struct apsm_rds *rds,
				       const struct apsm_rds_flow *f, gfp_t gfp,
				       bool *created);

/* Apply a peer's update. APSM_RDS_OP_NEW: install @f unless the entry
 * there is as new or newer (version, then origin); APSM_RDS_OP_DEL: remove
 * the entry unless it is newer than @f. Returns 0 when applied, -EALREADY
 * when ignored as stale (counted RDS_STALE), -ENOENT for a DEL of nothing,
 * -ENOSPC / -ENOMEM as apsm_rds_insert(). Advances the clock past
 * f->version either way. Process context (may sleep with GFP_KERNEL).
 */
int apsm_rds_install(struct apsm_rds *rds, const struct apsm_rds_flow *f,
		     u8 op, gfp_t gfp);

/* Remove the entry for @key: 0 or -ENOENT. Any context. */
int apsm_rds_delete(struct apsm_rds *rds, const struct apsm_flow_key *key);

/* Wait (bounded) for a table resize in progress to finish. A walk that
 * a resize overtakes starts over (rhashtable_walk_next() -EAGAIN) and
 * returns entries twice; a dump calls this first, so that only changes to
 * the table during the dump (which mark it interrupted anyway) can do that.
 * Process context.
 */
void apsm_rds_settle(struct apsm_rds *rds);

/* A resumable walk over the table in steps (the netlink flow dump, one
 * step per message). Guarantee: every entry that is in the table from
 * apsm_rds_cursor_enter() until the walk returns NULL is returned at least
 * once, however the table changes meanwhile (inserts, replacements,
 * deletes, resizes); entries added or removed meanwhile may come or not;
 * an entry may come more than once (after a resize the walk starts over
 * on the new table; when the entry a step stopped at left its bucket, the
 * bucket is walked again from its head). Readers that need a set dedup.
 *
 * A step resumes by the flow key of the entry it stopped at, never by its
 * pointer: that entry may be freed and its memory reused meanwhile by an
 * entry further down the same bucket, and resuming at the pointer would
 * skip the entries between (Documentation/design.md, "The flow dump walk").
 *
 *	e = apsm_rds_cursor_start(c);
 *	while (e && room) { use(e); e = apsm_rds_cursor_next(c); }
 *	apsm_rds_cursor_stop(c, e);
 *
 * @e is valid until apsm_rds_cursor_stop() (RCU). A step that stops with
 * @e NULL must have been given NULL (the end): the walk is then done.
 * One user at a time; process context (enter settles a resize first).
 */
struct apsm_rds_cursor {
	struct rhashtable_iter iter;
	struct apsm_flow_key key;	/* the entry to resume at */
	bool held;			/* key is set */
	bool done;
	unsigned int restarts;		/* the walk started over (resize) */
};

void apsm_rds_cursor_enter(struct apsm_rds *rds, struct apsm_rds_cursor *c);
void apsm_rds_cursor_exit(struct apsm_rds_cursor *c);
struct apsm_rds_entry *apsm_rds_cursor_start(struct apsm_rds_cursor *c)
	__acquires(RCU);
struct apsm_rds_entry *apsm_rds_cursor_next(struct apsm_rds_cursor *c);
void apsm_rds_cursor_stop(struct apsm_rds_cursor *c,
			  const struct apsm_rds_entry *resume)
	__releases(RCU);

/* Remove every entry; returns how many. Process context. */
unsigned int apsm_rds_flush(struct apsm_rds *rds);

/* Aging: continue the current sweep over the table for at most @budget
 * entries, removing those idle longer than their protocol's timeout at
 * time @now (jiffies) (counted RDS_EXPIRED). Reaching the end of the table
 * ends the sweep; the next call starts a new one. Returns the number
 * removed. Process context; one caller at a time.
 */
unsigned int apsm_rds_age(struct apsm_rds *rds, unsigned long now,
			  const struct apsm_rds_timeouts *to,
			  unsigned int budget);

/* Subscribers to the RDS changes of every netns (src/flow/rds_net.c):
 * the packet path releases held packets (dp/dp_net.c), netlink batches
 * the "rds" multicast (nl/rds_notify.c). Called after the table changed,
 * as the table's hooks are (any context, under RCU: must not sleep), once
 * the instance flow counts are updated. Subscribe at module init, before
 * the table can change for the subscriber's purpose; unsubscribe returns
 * once no callback of @sub runs any more.
 */
struct apsm_rds_sub {
	struct list_head node;
	void (*added)(struct apsm_net *an, const struct apsm_rds_entry *e,
		      enum apsm_rds_cause why);		/* may be NULL */
	void (*removed)(struct apsm_net *an, const struct apsm_rds_entry *e,
			enum apsm_rds_cause why);	/* may be NULL */
};

void apsm_rds_subscribe(struct apsm_rds_sub *sub);
void apsm_rds_unsubscribe(struct apsm_rds_sub *sub);

/* The flow layer's pernet operations (an->rds of every netns), registered
 * after the config layer's.
 */
int apsm_rds_net_init(void);
void apsm_rds_net_exit(void);

/* A flow created on this node (packet path, any context): stamps origin
 * (this node) and a fresh version into @f, inserts it, and on success
 * reports it to the subscribers (netlink multicasts it to "rds").
 */
struct apsm_rds_entry *apsm_rds_add_local(struct apsm_net *an,
					  struct apsm_rds_flow *f,
					  bool *created);

#endif /* _APSM_RDS_H */
