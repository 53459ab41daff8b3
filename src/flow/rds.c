// SPDX-License-Identifier: GPL-2.0
/*
 * The RDS core: a standalone flow table (see include/rds.h).
 *
 * Entries live in an rhashtable keyed by struct apsm_flow_key. Nothing
 * here takes a lock of its own: an insert is rhashtable_lookup_get_insert,
 * a peer's newer version is rhashtable_replace of the entry it compared
 * against, a removal is rhashtable_remove. Exactly one party succeeds in
 * unlinking a given entry, and that party accounts for it and frees it
 * with call_rcu; a party that lost a race looks again.
 */
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "flow/rds.h"
#include "core/stats.h"

/* Attempts of one install before giving up on a key that keeps changing
 * under it (each failed attempt means another writer made progress).
 */
#define APSM_RDS_INSTALL_TRIES	8
/* Rounds of waiting for a resize to finish before a walk (one resize can
 * chain into another).
 */
#define APSM_RDS_SETTLE_ROUNDS	4
/* Entries between two reschedule points of a long walk. */
#define APSM_RDS_WALK_CHUNK	256

static struct kmem_cache *apsm_rds_cache __read_mostly;

static const struct rhashtable_params apsm_rds_params = {
	.head_offset		= offsetof(struct apsm_rds_entry, node),
	.key_offset		= offsetof(struct apsm_rds_entry, f.key),
	.key_len		= sizeof(struct apsm_flow_key),
	.min_size		= 256,
	.automatic_shrinking	= true,
};

int apsm_rds_cache_init(void)
{
	apsm_rds_cache = kmem_cache_create("apsm_rds",
					   sizeof(struct apsm_rds_entry), 0,
					   SLAB_HWCACHE_ALIGN, NULL);
	return apsm_rds_cache ? 0 : -ENOMEM;
}

void apsm_rds_cache_exit(void)
{
	/* Entries are freed with call_rcu: let every callback run first. */
	rcu_barrier();
	kmem_cache_destroy(apsm_rds_cache);
	apsm_rds_cache = NULL;
}

static void apsm_rds_entry_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(apsm_rds_cache,
			container_of(head, struct apsm_rds_entry, rcu));
}

static struct apsm_rds_entry *apsm_rds_entry_new(const struct apsm_rds_flow *f,
						 gfp_t gfp)
{
	struct apsm_rds_entry *e;

	e = kmem_cache_zalloc(apsm_rds_cache, gfp | __GFP_NOWARN);
	if (!e)
		return NULL;
	e->f = *f;
	e->last_used = jiffies;
	atomic64_set(&e->packets, 0);
	return e;
}

static void apsm_rds_count_stat(struct apsm_rds *rds, unsigned int id)
{
	apsm_stats_count(rds->stats, id, 1);
}

int apsm_rds_init(struct apsm_rds *rds, u32 max)
{
	int ret;

	memset(rds, 0, sizeof(*rds));
	ret = rhashtable_init(&rds->ht, &apsm_rds_params);
	if (ret)
		return ret;
	atomic_set(&rds->seq, 0);
	rds->max = max;
	apsm_hlc_init(&rds->clock);
	return 0;
}

static void apsm_rds_free_one(void *ptr, void *arg)
{
	struct apsm_rds_entry *e = ptr;

	/* Readers that found it before the table went away may still hold
	 * it: free after a grace period like any other removal.
	 */
	call_rcu(&e->rcu, apsm_rds_entry_free_rcu);
}

void apsm_rds_destroy(struct apsm_rds *rds)
{
	if (rds->gc_walking) {
		rhashtable_walk_exit(&rds->gc_iter);
		rds->gc_walking = false;
	}
	rhashtable_free_and_destroy(&rds->ht, apsm_rds_free_one, NULL);
}

void apsm_rds_settle(struct apsm_rds *rds)
{
	struct bucket_table *tbl;
	bool resizing;
	int i;

	might_sleep();
	for (i = 0; i < APSM_RDS_SETTLE_ROUNDS; i++) {
		/* The rhashtable's own deferred resize worker. */
		flush_work(&rds->ht.run_work);
		rcu_read_lock();
		tbl = rcu_dereference(rds->ht.tbl);
		resizing = rcu_access_pointer(tbl->future_tbl) ||
			   work_pending(&rds->ht.run_work);
		rcu_read_unlock();
		if (!resizing)
			break;
	}
}

struct apsm_rds_entry *apsm_rds_find(struct apsm_rds *rds,
				     const struct apsm_flow_key *key)
{
	return rhashtable_lookup(&rds->ht, key, apsm_rds_params);
}

struct apsm_rds_entry *apsm_rds_lookup(struct apsm_rds *rds,
				       const struct apsm_flow_key *key)
{
	struct apsm_rds_entry *e;
	unsigned long now = jiffies;

	e = rhashtable_lookup(&rds->ht, key, apsm_rds_params);
	if (!e) {
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_MISSES);
		return NULL;
	}
	/* Dirty the line only once per jiffy. */
	if (READ_ONCE(e->last_used) != now)
		WRITE_ONCE(e->last_used, now);
	atomic64_inc(&e->packets);
	apsm_rds_count_stat(rds, APSM_STATS_A_RDS_HITS);
	return e;
}

static void apsm_rds_linked(struct apsm_rds *rds, struct apsm_rds_entry *e,
			    enum apsm_rds_cause why)
{
	atomic_inc(&rds->seq);
	if (rds->hooks && rds->hooks->added)
		rds->hooks->added(rds, e, why);
}

/* @e was unlinked by us: account, report, free after a grace period. */
static void apsm_rds_unlinked(struct apsm_rds *rds, struct apsm_rds_entry *e,
			      enum apsm_rds_cause why)
{
	atomic_inc(&rds->seq);
	if (rds->hooks && rds->hooks->removed)
		rds->hooks->removed(rds, e, why);
	call_rcu(&e->rcu, apsm_rds_entry_free_rcu);
}

/* Room for one more entry: false (and counted) when full. The count is
 * the rhashtable's own (nelems): inserts racing on other CPUs may each
 * see room, so the table may exceed max by the inserts in flight at once
 * (Documentation/design.md, "RDS").
 */
static bool apsm_rds_room(struct apsm_rds *rds)
{
	if ((u32)apsm_rds_count(rds) >= READ_ONCE(rds->max)) {
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_INSERT_FULL);
		return false;
	}
	return true;
}

/* Link @e unless the key is taken: NULL when linked, the entry in the
 * way, or ERR_PTR.
 */
static struct apsm_rds_entry *apsm_rds_link(struct apsm_rds *rds,
					    struct apsm_rds_entry *e)
{
	return rhashtable_lookup_get_insert_fast(&rds->ht, &e->node,
						 apsm_rds_params);
}

struct apsm_rds_entry *apsm_rds_insert(struct apsm_rds *rds,
				       const struct apsm_rds_flow *f, gfp_t gfp,
				       bool *created)
{
	struct apsm_rds_entry *e, *old;

	if (created)
		*created = false;
	if (!apsm_rds_room(rds))
		return ERR_PTR(-ENOSPC);
	e = apsm_rds_entry_new(f, gfp);
	if (!e) {
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_INSERT_NOMEM);
		return ERR_PTR(-ENOMEM);
	}

	rcu_read_lock();
	old = apsm_rds_link(rds, e);
	if (!old) {
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_INSERTS);
		apsm_rds_linked(rds, e, APSM_RDS_INSERT);
		if (created)
			*created = true;
	} else {
		/* Lost the race to another CPU (or the key was there), or
		 * the table could not grow.
		 */
		kmem_cache_free(apsm_rds_cache, e);
		if (IS_ERR(old))
			apsm_rds_count_stat(rds, APSM_STATS_A_RDS_INSERT_NOMEM);
		e = old;
	}
	rcu_read_unlock();
	return e;
}

/* One attempt of apsm_rds_install(), under RCU. -EAGAIN: lost a race,
 * look again; -ENOBUFS: needs *@spare allocated first.
 */
static int apsm_rds_install_once(struct apsm_rds *rds,
				 const struct apsm_rds_flow *f, u8 op,
				 struct apsm_rds_entry **spare)
{
	struct apsm_rds_entry *old, *e, *in_way;

	old = rhashtable_lookup(&rds->ht, &f->key, apsm_rds_params);

	if (op == APSM_RDS_OP_DEL) {
		if (!old)
			return -ENOENT;
		/* Ours is newer than what the peer deleted: keep it. */
		if (apsm_version_newer(old->f.version, old->f.origin,
				       f->version, f->origin))
			return -EALREADY;
		if (rhashtable_remove_fast(&rds->ht, &old->node,
					   apsm_rds_params))
			return -EAGAIN;
		apsm_rds_unlinked(rds, old, APSM_RDS_PEER_DEL);
		return 0;
	}

	if (old && !apsm_version_newer(f->version, f->origin,
				       old->f.version, old->f.origin))
		return -EALREADY;
	if (!old && !apsm_rds_room(rds))
		return -ENOSPC;
	if (!*spare)
		return -ENOBUFS;
	e = *spare;
	e->f = *f;
	e->last_used = jiffies;

	if (old) {
		/* The flow's local packet count carries over. */
		atomic64_set(&e->packets, atomic64_read(&old->packets));
		if (rhashtable_replace_fast(&rds->ht, &old->node, &e->node,
					    apsm_rds_params))
			return -EAGAIN;	/* old is gone already */
		*spare = NULL;
		apsm_rds_unlinked(rds, old, APSM_RDS_INSTALL);
		apsm_rds_linked(rds, e, APSM_RDS_INSTALL);
		return 0;
	}

	atomic64_set(&e->packets, 0);
	in_way = apsm_rds_link(rds, e);
	if (IS_ERR(in_way)) {
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_INSERT_NOMEM);
		return PTR_ERR(in_way);
	}
	if (in_way)
		return -EAGAIN;
	*spare = NULL;
	apsm_rds_linked(rds, e, APSM_RDS_INSTALL);
	return 0;
}

int apsm_rds_install(struct apsm_rds *rds, const struct apsm_rds_flow *f,
		     u8 op, gfp_t gfp)
{
	struct apsm_rds_entry *spare = NULL;
	int tries, ret = -EBUSY;

	apsm_hlc_observe(&rds->clock, f->version);

	for (tries = 0; tries < APSM_RDS_INSTALL_TRIES; tries++) {
		rcu_read_lock();
		ret = apsm_rds_install_once(rds, f, op, &spare);
		rcu_read_unlock();
		if (ret == -ENOBUFS) {
			spare = apsm_rds_entry_new(f, gfp);
			if (!spare) {
				apsm_rds_count_stat(rds,
					APSM_STATS_A_RDS_INSERT_NOMEM);
				return -ENOMEM;
			}
			continue;
		}
		if (ret != -EAGAIN)
			break;
	}
	if (spare)
		kmem_cache_free(apsm_rds_cache, spare);

	if (!ret)
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_INSTALLED);
	else if (ret == -EALREADY)
		apsm_rds_count_stat(rds, APSM_STATS_A_RDS_STALE);
	else if (ret == -EAGAIN)
		ret = -EBUSY;
	return ret;
}

int apsm_rds_delete(struct apsm_rds *rds, const struct apsm_flow_key *key)
{
	struct apsm_rds_entry *e;
	int ret = -ENOENT;

	rcu_read_lock();
	e = rhashtable_lookup(&rds->ht, key, apsm_rds_params);
	if (e && !rhashtable_remove_fast(&rds->ht, &e->node,
					 apsm_rds_params)) {
		apsm_rds_unlinked(rds, e, APSM_RDS_DELETE);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

static bool apsm_rds_remove_walked(struct apsm_rds *rds,
				   struct apsm_rds_entry *e,
				   enum apsm_rds_cause why)
{
	if (rhashtable_remove_fast(&rds->ht, &e->node, apsm_rds_params))
		return false;
	apsm_rds_unlinked(rds, e, why);
	return true;
}

/* (Re)start a walk whose last returned entry has been dealt with: the
 * entry after it. If that entry was removed meanwhile, the iterator lost
 * its place in the bucket; rhashtable_walk_peek() then finds the entry
 * after it (a plain next would skip one).
 */
static struct apsm_rds_entry *apsm_rds_walk_resume(struct rhashtable_iter *it)
	__acquires(RCU)
{
	rhashtable_walk_start(it);
	if (it->p)
		return rhashtable_walk_next(it);
	return rhashtable_walk_peek(it);
}

unsigned int apsm_rds_flush(struct apsm_rds *rds)
{
	struct rhashtable_iter it;
	struct apsm_rds_entry *e;
	unsigned int removed = 0, n = 0, pass = 0;

	might_sleep();
	/* A walk that overlaps a resize (the removals below shrink the table)
	 * may miss entries that moved behind it: walk again until the table
	 * is empty, a bounded number of times.
	 */
again:
	rhashtable_walk_enter(&rds->ht, &it);
	e = apsm_rds_walk_resume(&it);
	while (e) {
		if (IS_ERR(e)) {
			/* -EAGAIN: resized, the walk starts over */
			e = rhashtable_walk_next(&it);
			continue;
		}
		if (apsm_rds_remove_walked(rds, e, APSM_RDS_FLUSH))
			removed++;
		if (++n % APSM_RDS_WALK_CHUNK == 0) {
			rhashtable_walk_stop(&it);
			cond_resched();
			e = apsm_rds_walk_resume(&it);
			continue;
		}
		e = rhashtable_walk_next(&it);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
	if (apsm_rds_count(rds) && ++pass < 8)
		goto again;
	return removed;
}

void apsm_rds_cursor_enter(struct apsm_rds *rds, struct apsm_rds_cursor *c)
{
	memset(c, 0, sizeof(*c));
	/* A resize in progress would make the walk start over at once. */
	apsm_rds_settle(rds);
	rhashtable_walk_enter(&rds->ht, &c->iter);
}

void apsm_rds_cursor_exit(struct apsm_rds_cursor *c)
{
	rhashtable_walk_exit(&c->iter);
}

/* Put the iterator on the entry of c->key in its bucket (the next peek
 * returns it), or, when no entry there has that key any more, on the
 * bucket's head. Why this cannot skip an entry P that stays in the table:
 * within one bucket table an rhashtable links new entries at the bucket's
 * head and a replacement takes the place of the entry it replaces, so the
 * entries that stay keep their order. If the key's entry is there, it is
 * the one the last step stopped at or its replacement (same place: P is
 * after it exactly when it was before) or a new entry for the key (at or
 * near the head: P is after it); if it is not, the whole bucket comes
 * again. Entries that a rehash moved out of the bucket meanwhile are
 * found in the future table, which the rhashtable walk visits after this
 * one. Caller holds RCU (rhashtable_walk_start).
 */
static void apsm_rds_cursor_seek(struct apsm_rds_cursor *c)
{
	struct rhashtable_iter *it = &c->iter;
	struct bucket_table *tbl = it->walker.tbl;
	struct apsm_rds_entry *e;
	struct rhash_head *pos;
	unsigned int n = 0;

	it->p = NULL;
	it->skip = 0;
	if (!tbl || it->slot >= tbl->size)
		return;
	rht_for_each_rcu(pos, tbl, it->slot) {
		n++;
		e = container_of(pos, struct apsm_rds_entry, node);
		if (apsm_flow_key_equal(&e->f.key, &c->key)) {
			it->p = pos;
			it->skip = n;
			return;
		}
	}
}

/* The entry @e from the walk, past -EAGAIN (a resize: the walk goes on in
 * the new table, from its start); NULL at the end of the walk.
 */
static struct apsm_rds_entry *apsm_rds_cursor_got(struct apsm_rds_cursor *c,
						  struct apsm_rds_entry *e)
{
	while (IS_ERR(e)) {
		c->restarts++;
		e = rhashtable_walk_next(&c->iter);
	}
	if (!e)
		c->done = true;
	return e;
}

struct apsm_rds_entry *apsm_rds_cursor_start(struct apsm_rds_cursor *c)
	__acquires(RCU)
{
	struct rhashtable_iter *it = &c->iter;

	/* Never let rhashtable_walk_start validate the stopped-at pointer:
	 * its memory may now be another entry's (see the seek above).
	 */
	it->p = NULL;
	if (rhashtable_walk_start_check(it) == -EAGAIN) {
		/* The table was replaced: start over on the new one. */
		c->restarts++;
		c->held = false;
	}
	if (c->done)
		return NULL;
	if (c->held) {
		apsm_rds_cursor_seek(c);
		c->held = false;
	}
	return apsm_rds_cursor_got(c, rhashtable_walk_peek(it));
}

struct apsm_rds_entry *apsm_rds_cursor_next(struct apsm_rds_cursor *c)
{
	if (c->done)
		return NULL;
	return apsm_rds_cursor_got(c, rhashtable_walk_next(&c->iter));
}

void apsm_rds_cursor_stop(struct apsm_rds_cursor *c,
			  const struct apsm_rds_entry *resume)
	__releases(RCU)
{
	if (resume) {
		c->key = resume->f.key;
		c->held = true;
	} else {
		/* Stopping between entries would resume by position. */
		WARN_ON_ONCE(!c->done);
		c->done = true;
	}
	rhashtable_walk_stop(&c->iter);
}

static unsigned long apsm_rds_timeout(const struct apsm_rds_entry *e,
				      const struct apsm_rds_timeouts *to)
{
	switch (e->f.key.proto) {
	case IPPROTO_TCP:
		return to->tcp;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return to->udp;
	default:
		return to->other;
	}
}

unsigned int apsm_rds_age(struct apsm_rds *rds, unsigned long now,
			  const struct apsm_rds_timeouts *to,
			  unsigned int budget)
{
	struct rhashtable_iter *it = &rds->gc_iter;
	struct apsm_rds_entry *e;
	unsigned int seen = 0, expired = 0;

	might_sleep();
	if (!budget)
		return 0;
	if (!rds->gc_walking) {
		rhashtable_walk_enter(&rds->ht, it);
		rds->gc_walking = true;
	}
	e = apsm_rds_walk_resume(it);
	for (;;) {
		if (IS_ERR(e)) {
			/* -EAGAIN: resized, the walk starts over */
			if (++seen >= budget)
				break;
			e = rhashtable_walk_next(it);
			continue;
		}
		if (!e) {
			/* Sweep done; the next call starts a new one. */
			rhashtable_walk_stop(it);
			rhashtable_walk_exit(it);
			rds->gc_walking = false;
			return expired;
		}
		if (time_after(now, READ_ONCE(e->last_used) +
				    apsm_rds_timeout(e, to)) &&
		    apsm_rds_remove_walked(rds, e, APSM_RDS_EXPIRE)) {
			apsm_rds_count_stat(rds, APSM_STATS_A_RDS_EXPIRED);
			expired++;
		}
		if (++seen >= budget)
			break;
		if (seen % APSM_RDS_WALK_CHUNK == 0) {
			rhashtable_walk_stop(it);
			cond_resched();
			e = apsm_rds_walk_resume(it);
			continue;
		}
		e = rhashtable_walk_next(it);
	}
	rhashtable_walk_stop(it);
	return expired;
}
