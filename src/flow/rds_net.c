// SPDX-License-Identifier: GPL-2.0
/*
 * The RDS of a netns: one standalone table (src/rds.c) plus what ties it
 * to the node: the aging work, the instance flow counts, and the "rds"
 * multicast of local changes (src/rds_notify.c).
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "dp/holdq.h"
#include "cfg/instance.h"
#include "core/netns.h"
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
	struct apsm_net *an;
	struct delayed_work gc_work;
	struct apsm_rds_notify notify;
};

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

	apsm_rds_flows_add(rn->an, e, 1);
	/* Return packets that came before the entry go on now. */
	apsm_holdq_release(rn->an, &e->f.key);
	/* Only what this node created goes out: what peers installed came
	 * from them, and re-sending it would echo around the cluster.
	 */
	if (why == APSM_RDS_INSERT)
		apsm_rds_notify_record(&rn->notify, &e->f, APSM_RDS_OP_NEW);
}

static void apsm_rds_net_removed(struct apsm_rds *rds,
				 const struct apsm_rds_entry *e,
				 enum apsm_rds_cause why)
{
	struct apsm_rds_net *rn = apsm_rds_net(rds);

	apsm_rds_flows_add(rn->an, e, -1);
	switch (why) {
	case APSM_RDS_DELETE:
	case APSM_RDS_FLUSH:
	case APSM_RDS_EXPIRE:
		apsm_rds_notify_record(&rn->notify, &e->f, APSM_RDS_OP_DEL);
		break;
	default:
		/* A peer's replacement or delete: the peer announced it. */
		break;
	}
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

int apsm_rds_net_init(struct apsm_net *an)
{
	struct apsm_rds_net *rn;
	int ret;

	rn = kzalloc(sizeof(*rn), GFP_KERNEL);
	if (!rn)
		return -ENOMEM;
	ret = apsm_rds_init(&rn->rds, an->rds_max);
	if (ret)
		goto err_free;
	ret = apsm_rds_notify_init(&rn->notify, an->net, an->stats);
	if (ret)
		goto err_rds;
	rn->an = an;
	rn->rds.stats = an->stats;
	rn->rds.hooks = &apsm_rds_net_hooks;
	INIT_DELAYED_WORK(&rn->gc_work, apsm_rds_gc_work);
	an->rds = &rn->rds;
	queue_delayed_work(system_power_efficient_wq, &rn->gc_work,
			   APSM_RDS_GC_IDLE);
	return 0;

err_rds:
	apsm_rds_destroy(&rn->rds);
err_free:
	kfree(rn);
	return ret;
}

void apsm_rds_net_exit(struct apsm_net *an)
{
	struct apsm_rds_net *rn;

	if (!an->rds)
		return;
	rn = apsm_rds_net(an->rds);
	cancel_delayed_work_sync(&rn->gc_work);
	apsm_rds_notify_exit(&rn->notify);
	/* No hooks from here on: the instances may be gone already. */
	rn->rds.hooks = NULL;
	apsm_rds_destroy(&rn->rds);
	an->rds = NULL;
	kfree(rn);
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
