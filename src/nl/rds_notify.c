// SPDX-License-Identifier: GPL-2.0
/*
 * RDS change notifications: a work item per netns that reads the change
 * feed from its own cursor and multicasts batched APSM_CMD_RDS_NOTIFY
 * messages on the "rds" group. See include/nl/rds_notify.h for what is
 * sent, skipped and counted when.
 */
#include <linux/slab.h>
#include <net/genetlink.h>

#include <net/netns/generic.h>

#include "core/netns.h"
#include "core/stats.h"
#include "flow/feed.h"
#include "flow/rds.h"
#include "nl/netlink.h"
#include "nl/rds_notify.h"

/* Messages one run of the work sends, and feed batches it looks at,
 * before it makes way for others.
 */
#define APSM_RDS_NOTIFY_MSGS_PER_RUN	64
#define APSM_RDS_NOTIFY_BATCHES_PER_RUN	256

static void apsm_rds_notify_work(struct work_struct *work);

static int apsm_rds_notify_init(struct apsm_rds_notify *q, struct net *net,
				struct apsm_net *an)
{
	u64 first;

	memset(q, 0, sizeof(*q));
	spin_lock_init(&q->lock);
	q->net = net;
	q->stats = an->stats;
	q->feed = an->feed;
	q->buf = kcalloc(APSM_FEED_READ_BATCH, sizeof(*q->buf), GFP_KERNEL);
	if (!q->buf)
		return -ENOMEM;
	apsm_feed_bounds(q->feed, &first, &q->cursor);
	INIT_WORK(&q->work, apsm_rds_notify_work);
	return 0;
}

static void apsm_rds_notify_lost(struct apsm_rds_notify *q, u64 n)
{
	apsm_stats_count(q->stats, APSM_STATS_A_RDS_NOTIFY_FAIL, n);
}

/* Queued under the lock, so that exit (dead, then cancel) cannot miss it. */
static void apsm_rds_notify_kick(struct apsm_rds_notify *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (!q->dead)
		queue_work(system_wq, &q->work);
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Make every subscriber's next receive fail with ENOBUFS, as if its
 * socket had overrun: it knows it missed updates and resyncs.
 */
static void apsm_rds_notify_overrun(struct apsm_rds_notify *q)
{
	genl_set_err(&apsm_genl_family, q->net, 0, APSM_MCGRP_RDS_IDX,
		     -ENOBUFS);
}

static struct sk_buff *apsm_rds_notify_msg(void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &apsm_genl_family, 0,
			   APSM_CMD_RDS_NOTIFY);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void apsm_rds_notify_send(struct apsm_rds_notify *q,
				 struct sk_buff *skb, void *hdr,
				 unsigned int flows)
{
	int ret;

	genlmsg_end(skb, hdr);
	ret = genlmsg_multicast_netns(&apsm_genl_family, q->net, skb, 0,
				      APSM_MCGRP_RDS_IDX, GFP_KERNEL);
	/* -ESRCH: the last subscriber left meanwhile, nobody lost it. */
	if (ret && ret != -ESRCH)
		apsm_rds_notify_lost(q, flows);
}

/* What goes out: the changes this node made. */
static bool apsm_rds_notify_local(u8 cause)
{
	switch (cause) {
	case APSM_RDS_INSERT:
	case APSM_RDS_DELETE:
	case APSM_RDS_FLUSH:
	case APSM_RDS_EXPIRE:
		return true;
	default:
		/* A peer's install or delete: the peer announced it. */
		return false;
	}
}

static void apsm_rds_notify_work(struct work_struct *work)
{
	struct apsm_rds_notify *q = container_of(work, struct apsm_rds_notify,
						 work);
	unsigned int flows = 0, msgs = 0, batches = 0, i, n;
	struct sk_buff *skb = NULL;
	bool overflow = false;
	const struct apsm_feed_change *c;
	u64 first, next;
	void *hdr = NULL;

	if (!genl_has_listeners(&apsm_genl_family, q->net,
				APSM_MCGRP_RDS_IDX)) {
		apsm_feed_bounds(q->feed, &first, &q->cursor);
		return;
	}
	/* Bounded work per run: a busy node's stream of changes must not
	 * hog the shared workqueue.
	 */
	while (msgs < APSM_RDS_NOTIFY_MSGS_PER_RUN &&
	       batches++ < APSM_RDS_NOTIFY_BATCHES_PER_RUN) {
		n = apsm_feed_read(q->feed, q->cursor, U64_MAX, q->buf,
				   APSM_FEED_READ_BATCH, &first, &next);
		if (q->cursor < first) {
			/* The feed overtook us: those changes are gone. */
			apsm_rds_notify_lost(q, first - q->cursor);
			overflow = true;
			q->cursor = first;
		}
		if (!n)
			break;
		q->cursor = q->buf[n - 1].seq + 1;
		for (i = 0; i < n; i++) {
			c = &q->buf[i];
			if (!apsm_rds_notify_local(c->cause))
				continue;
			if (skb && !apsm_nl_change_fill(skb, c)) {
				flows++;
				continue;
			}
			if (skb) {
				/* Message full: send it; @c starts the next. */
				apsm_rds_notify_send(q, skb, hdr, flows);
				msgs++;
			}
			flows = 0;
			skb = apsm_rds_notify_msg(&hdr);
			if (!skb || apsm_nl_change_fill(skb, c)) {
				apsm_rds_notify_lost(q, 1);
				overflow = true;
				continue;
			}
			flows = 1;
		}
	}
	if (skb) {
		if (flows)
			apsm_rds_notify_send(q, skb, hdr, flows);
		else
			nlmsg_free(skb);
	}
	if (overflow)
		apsm_rds_notify_overrun(q);
	/* More to send: come back. */
	apsm_feed_bounds(q->feed, &first, &next);
	if (q->cursor < next)
		apsm_rds_notify_kick(q);
}

static void apsm_rds_notify_exit(struct apsm_rds_notify *q)
{
	spin_lock_irq(&q->lock);
	q->dead = true;
	spin_unlock_irq(&q->lock);
	cancel_work_sync(&q->work);
	kfree(q->buf);
	q->buf = NULL;
}

/* The subscriber: the feed has the change already (rds_net.c records it
 * before telling the subscribers); kick the work for what goes out.
 */
static void apsm_rds_notify_changed(struct apsm_net *an,
				    const struct apsm_rds_entry *e,
				    enum apsm_rds_cause why)
{
	struct apsm_rds_notify *q = rcu_dereference(an->rds_notify);

	if (q && apsm_rds_notify_local(why))
		apsm_rds_notify_kick(q);
}

static struct apsm_rds_sub apsm_rds_notify_sub = {
	.added = apsm_rds_notify_changed,
	.removed = apsm_rds_notify_changed,
};

static unsigned int apsm_rds_notify_id __read_mostly;

static int __net_init apsm_rds_notify_pernet_init(struct net *net)
{
	struct apsm_rds_notify *q = net_generic(net, apsm_rds_notify_id);
	struct apsm_net *an = apsm_net(net);
	int ret;

	ret = apsm_rds_notify_init(q, net, an);
	if (ret)
		return ret;
	rcu_assign_pointer(an->rds_notify, q);
	return 0;
}

/* Unpublish first: the netns core waits for a grace period between
 * pre_exit and exit, so no subscriber call still holds the notifier then.
 */
static void __net_exit apsm_rds_notify_pernet_pre_exit(struct net *net)
{
	RCU_INIT_POINTER(apsm_net(net)->rds_notify, NULL);
}

static void __net_exit apsm_rds_notify_pernet_exit(struct net *net)
{
	apsm_rds_notify_exit(net_generic(net, apsm_rds_notify_id));
}

static struct pernet_operations apsm_rds_notify_net_ops = {
	.init = apsm_rds_notify_pernet_init,
	.pre_exit = apsm_rds_notify_pernet_pre_exit,
	.exit = apsm_rds_notify_pernet_exit,
	.id = &apsm_rds_notify_id,
	.size = sizeof(struct apsm_rds_notify),
};

int apsm_rds_notify_net_init(void)
{
	int ret;

	ret = register_pernet_subsys(&apsm_rds_notify_net_ops);
	if (ret)
		return ret;
	apsm_rds_subscribe(&apsm_rds_notify_sub);
	return 0;
}

void apsm_rds_notify_net_exit(void)
{
	/* Stop kicking, then stop every netns's work: after this nothing
	 * multicasts on the "rds" group.
	 */
	apsm_rds_unsubscribe(&apsm_rds_notify_sub);
	unregister_pernet_subsys(&apsm_rds_notify_net_ops);
}
