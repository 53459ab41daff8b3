// SPDX-License-Identifier: GPL-2.0
/*
 * The RDS of a netns: one standalone table (src/flow/rds.c) plus what
 * ties it to the node: the aging work, the instance flow counts, and the
 * subscribers to its changes (the hold queue, the "rds" multicast).
 */
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "cfg/instance.h"
#include "core/netns.h"
#include "flow/feed.h"
#include "flow/rds.h"
#include "core/stats.h"

/* Aging: a sweep visits every entry; each run of the work visits a slice
 * of max(MIN, count / DIV) entries, at most MAX, then comes back after
 * GC_NEXT while a sweep is under way, or GC_IDLE after finishing one. So a
 * sweep of up to 2M entries takes about DIV * GC_NEXT = 3.2 s, with
 * bounded work per run.
 */
#define APSM_RDS_GC_SLICE_MIN	4096U
#define APSM_RDS_GC_SLICE_MAX	65536U
#define APSM_RDS_GC_SLICE_DIV	32U
#define APSM_RDS_GC_NEXT	(HZ / 10)
#define APSM_RDS_GC_IDLE	HZ

struct apsm_rds_net {
	struct apsm_rds rds;
	struct apsm_feed feed;		/* every change of rds, by seq */
	struct apsm_net *an;
	struct delayed_work gc_work;
};

/* RCU readers (the table's hooks), writers under the mutex. */
static LIST_HEAD(apsm_rds_subs);
static DEFINE_MUTEX(apsm_rds_subs_lock);

void apsm_rds_subscribe(struct apsm_rds_sub *sub)
{
	mutex_lock(&apsm_rds_subs_lock);
	list_add_tail_rcu(&sub->node, &apsm_rds_subs);
	mutex_unlock(&apsm_rds_subs_lock);
}

void apsm_rds_unsubscribe(struct apsm_rds_sub *sub)
{
	mutex_lock(&apsm_rds_subs_lock);
	list_del_rcu(&sub->node);
	mutex_unlock(&apsm_rds_subs_lock);
	synchronize_rcu();
}

static struct apsm_rds_net *apsm_rds_net(struct apsm_rds *rds)
{
	return container_of(rds, struct apsm_rds_net, rds);
}

static void apsm_rds_flows_add(struct apsm_net *an,
			       const struct apsm_rds_entry *e, int delta)
{
	unsigned int i;

	for (i = 0; i < e->f.path_n && i < APSM_PATH_MAX; i++)
		apsm_instance_flows_add(an, e->f.path[i], delta);
}

static void apsm_rds_net_added(struct apsm_rds *rds,
			       const struct apsm_rds_entry *e,
			       enum apsm_rds_cause why)
{
	struct apsm_rds_net *rn = apsm_rds_net(rds);
	struct apsm_rds_sub *sub;

	apsm_rds_flows_add(rn->an, e, 1);
	/* Recorded before the subscribers hear of it (the "rds" multicast
	 * sends from the feed).
	 */
	apsm_feed_added(&rn->feed, e, why);
	rcu_read_lock();
	list_for_each_entry_rcu(sub, &apsm_rds_subs, node)
		if (sub->added)
			sub->added(rn->an, e, why);
	rcu_read_unlock();
}

static void apsm_rds_net_removed(struct apsm_rds *rds,
				 const struct apsm_rds_entry *e,
				 enum apsm_rds_cause why)
{
	struct apsm_rds_net *rn = apsm_rds_net(rds);
	struct apsm_rds_sub *sub;

	apsm_rds_flows_add(rn->an, e, -1);
	apsm_feed_removed(&rn->feed, e, why);
	rcu_read_lock();
	list_for_each_entry_rcu(sub, &apsm_rds_subs, node)
		if (sub->removed)
			sub->removed(rn->an, e, why);
	rcu_read_unlock();
}

static const struct apsm_rds_hooks apsm_rds_net_hooks = {
	.added = apsm_rds_net_added,
	.removed = apsm_rds_net_removed,
};

static void apsm_rds_gc_work(struct work_struct *work)
{
	struct apsm_rds_net *rn = container_of(to_delayed_work(work),
					       struct apsm_rds_net, gc_work);
	struct apsm_net *an = rn->an;
	struct apsm_rds_timeouts to = {
		.tcp = msecs_to_jiffies(READ_ONCE(an->timeout_tcp_ms)),
		.udp = msecs_to_jiffies(READ_ONCE(an->timeout_udp_ms)),
		.other = msecs_to_jiffies(READ_ONCE(an->timeout_other_ms)),
	};
	u32 count = apsm_rds_count(&rn->rds);
	unsigned int slice;

	if (count || rn->rds.gc_walking) {
		slice = clamp(count / APSM_RDS_GC_SLICE_DIV,
			      APSM_RDS_GC_SLICE_MIN, APSM_RDS_GC_SLICE_MAX);
		apsm_rds_age(&rn->rds, jiffies, &to, slice);
	}
	queue_delayed_work(system_power_efficient_wq, &rn->gc_work,
			   rn->rds.gc_walking ? APSM_RDS_GC_NEXT :
						APSM_RDS_GC_IDLE);
}

static int __net_init apsm_rds_pernet_init(struct net *net)
{
	struct apsm_net *an = apsm_net(net);
	u32 feed_size = APSM_FEED_SIZE_DEFAULT;
	u32 lim = apsm_net_limit(an, APSM_LIMIT_FEED);
	struct apsm_rds_net *rn;
	int ret;

	/* A user namespace's node: its cap, rounded down to a valid size. */
	if (feed_size > lim)
		feed_size = max_t(u32, APSM_FEED_SIZE_MIN,
				  lim ? rounddown_pow_of_two(lim) : 0);
	rn = kzalloc(sizeof(*rn), GFP_KERNEL);
	if (!rn)
		return -ENOMEM;
	ret = apsm_feed_init(&rn->feed, feed_size);
	if (ret)
		goto err_free;
	ret = apsm_rds_init(&rn->rds, an->rds_max);
	if (ret)
		goto err_feed;
	rn->an = an;
	rn->rds.stats = an->stats;
	rn->rds.hooks = &apsm_rds_net_hooks;
	INIT_DELAYED_WORK(&rn->gc_work, apsm_rds_gc_work);
	an->rds = &rn->rds;
	an->feed = &rn->feed;
	queue_delayed_work(system_power_efficient_wq, &rn->gc_work,
			   APSM_RDS_GC_IDLE);
	return 0;

err_feed:
	apsm_feed_destroy(&rn->feed);
err_free:
	kfree(rn);
	return ret;
}

/* Before the config objects go (the aging work updates instance flow
 * counts); the dp and nl layers let go of the table already.
 */
static void __net_exit apsm_rds_pernet_exit(struct net *net)
{
	struct apsm_net *an = apsm_net(net);
	struct apsm_rds_net *rn;

	if (!an->rds)
		return;
	rn = apsm_rds_net(an->rds);
	cancel_delayed_work_sync(&rn->gc_work);
	/* No hooks from here on: the instances may be gone already. */
	rn->rds.hooks = NULL;
	apsm_rds_destroy(&rn->rds);
	an->rds = NULL;
	an->feed = NULL;
	apsm_feed_destroy(&rn->feed);
	kfree(rn);
}

static struct pernet_operations apsm_rds_net_ops = {
	.init = apsm_rds_pernet_init,
	.exit = apsm_rds_pernet_exit,
};

int apsm_rds_net_init(void)
{
	return register_pernet_subsys(&apsm_rds_net_ops);
}

void apsm_rds_net_exit(void)
{
	unregister_pernet_subsys(&apsm_rds_net_ops);
}

struct apsm_rds_entry *apsm_rds_add_local(struct apsm_net *an,
					  struct apsm_rds_flow *f,
					  bool *created)
{
	struct apsm_rds *rds = an->rds;

	f->origin = READ_ONCE(an->node_id);
	f->version = apsm_hlc_now(&rds->clock);
	return apsm_rds_insert(rds, f, GFP_ATOMIC, created);
}
