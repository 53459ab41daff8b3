// SPDX-License-Identifier: GPL-2.0
/*
 * RDS change notifications: a bounded per-netns ring of flow copies,
 * drained by a work item into batched APSM_CMD_RDS_NOTIFY multicasts on
 * the "rds" group. See include/nl/rds_notify.h for what is counted when.
 * The ring of a netns is filled by an RDS subscriber (flow/rds.h).
 */
#include <linux/slab.h>
#include <net/genetlink.h>

#include <net/netns/generic.h>

#include "core/netns.h"
#include "core/stats.h"
#include "flow/rds.h"
#include "nl/netlink.h"
#include "nl/rds_notify.h"

/* Messages one run of the work sends before it makes way for others. */
#define APSM_RDS_NOTIFY_MSGS_PER_RUN	64

static void apsm_rds_notify_work(struct work_struct *work);

static int apsm_rds_notify_init(struct apsm_rds_notify *q, struct net *net,
				struct apsm_stats __percpu *stats)
{
	memset(q, 0, sizeof(*q));
	spin_lock_init(&q->lock);
	q->net = net;
	q->stats = stats;
	q->ring = kvcalloc(APSM_RDS_NOTIFY_QLEN, sizeof(*q->ring), GFP_KERNEL);
	if (!q->ring)
		return -ENOMEM;
	INIT_WORK(&q->work, apsm_rds_notify_work);
	return 0;
}

static void apsm_rds_notify_lost(struct apsm_rds_notify *q, u64 n)
{
	apsm_stats_count(q->stats, APSM_STATS_A_RDS_NOTIFY_FAIL, n);
}

static void apsm_rds_notify_record(struct apsm_rds_notify *q,
				   const struct apsm_rds_flow *f, u8 op)
{
	struct apsm_rds_note *n;
	unsigned long flags;

	if (!genl_has_listeners(&apsm_genl_family, q->net,
				APSM_MCGRP_RDS_IDX))
		return;

	spin_lock_irqsave(&q->lock, flags);
	if (q->dead) {
		spin_unlock_irqrestore(&q->lock, flags);
		return;
	}
	if (q->len == APSM_RDS_NOTIFY_QLEN) {
		/* The work tells the subscribers (it is pending: the ring
		 * is full).
		 */
		q->overflow = true;
		spin_unlock_irqrestore(&q->lock, flags);
		apsm_rds_notify_lost(q, 1);
		return;
	}
	n = &q->ring[(q->head + q->len) % APSM_RDS_NOTIFY_QLEN];
	n->f = *f;
	n->op = op;
	q->len++;
	/* Under the lock, so exit (dead, then cancel) cannot miss it. */
	queue_work(system_wq, &q->work);
	spin_unlock_irqrestore(&q->lock, flags);
}

/* Make every subscriber's next receive fail with ENOBUFS, as if its
 * socket had overrun: it knows it missed updates and resyncs from a dump.
 */
static void apsm_rds_notify_overrun(struct apsm_rds_notify *q)
{
	genl_set_err(&apsm_genl_family, q->net, 0, APSM_MCGRP_RDS_IDX,
		     -ENOBUFS);
}

static bool apsm_rds_notify_pop(struct apsm_rds_notify *q,
				struct apsm_rds_note *out, bool *overflow)
{
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&q->lock, flags);
	if (q->overflow) {
		q->overflow = false;
		*overflow = true;
	}
	if (q->len) {
		*out = q->ring[q->head];
		q->head = (q->head + 1) % APSM_RDS_NOTIFY_QLEN;
		q->len--;
		ok = true;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	return ok;
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

/* Come back later if the ring still holds notes: queued again under the
 * lock, so that it cannot race with exit.
 */
static void apsm_rds_notify_again(struct apsm_rds_notify *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (!q->dead && q->len)
		queue_work(system_wq, &q->work);
	spin_unlock_irqrestore(&q->lock, flags);
}

static void apsm_rds_notify_work(struct work_struct *work)
{
	struct apsm_rds_notify *q = container_of(work, struct apsm_rds_notify,
						 work);
	struct sk_buff *skb = NULL;
	struct apsm_rds_note n;
	unsigned int flows = 0, msgs = 0;
	bool overflow = false;
	void *hdr = NULL;

	/* A bounded number of messages per run: a busy node's stream of
	 * notes must not hog the shared workqueue.
	 */
	while (msgs < APSM_RDS_NOTIFY_MSGS_PER_RUN &&
	       apsm_rds_notify_pop(q, &n, &overflow)) {
		if (skb && !apsm_nl_flow_fill(skb, &n.f, NULL, n.op)) {
			flows++;
			continue;
		}
		if (skb) {
			/* Message full: send it; @n starts the next one. */
			apsm_rds_notify_send(q, skb, hdr, flows);
			msgs++;
		}
		flows = 0;
		skb = apsm_rds_notify_msg(&hdr);
		if (!skb || apsm_nl_flow_fill(skb, &n.f, NULL, n.op)) {
			apsm_rds_notify_lost(q, 1);
			overflow = true;
			continue;
		}
		flows = 1;
	}
	if (skb) {
		if (flows)
			apsm_rds_notify_send(q, skb, hdr, flows);
		else
			nlmsg_free(skb);
	}
	if (overflow)
		apsm_rds_notify_overrun(q);
	apsm_rds_notify_again(q);
}

static void apsm_rds_notify_exit(struct apsm_rds_notify *q)
{
	spin_lock_irq(&q->lock);
	q->dead = true;
	q->len = 0;
	spin_unlock_irq(&q->lock);
	cancel_work_sync(&q->work);
	kvfree(q->ring);
	q->ring = NULL;
}

/* The subscriber: only what this node created goes out (what peers
 * installed came from them; re-sending it would echo around the cluster),
 * and only the removals nobody else announced.
 */
static void apsm_rds_notify_added(struct apsm_net *an,
				  const struct apsm_rds_entry *e,
				  enum apsm_rds_cause why)
{
	struct apsm_rds_notify *q = rcu_dereference(an->rds_notify);

	if (q && why == APSM_RDS_INSERT)
		apsm_rds_notify_record(q, &e->f, APSM_RDS_OP_NEW);
}

static void apsm_rds_notify_removed(struct apsm_net *an,
				    const struct apsm_rds_entry *e,
				    enum apsm_rds_cause why)
{
	struct apsm_rds_notify *q = rcu_dereference(an->rds_notify);

	if (!q)
		return;
	switch (why) {
	case APSM_RDS_DELETE:
	case APSM_RDS_FLUSH:
	case APSM_RDS_EXPIRE:
		apsm_rds_notify_record(q, &e->f, APSM_RDS_OP_DEL);
		break;
	default:
		/* A peer's replacement or delete: the peer announced it. */
		break;
	}
}

static struct apsm_rds_sub apsm_rds_notify_sub = {
	.added = apsm_rds_notify_added,
	.removed = apsm_rds_notify_removed,
};

static unsigned int apsm_rds_notify_id __read_mostly;

static int __net_init apsm_rds_notify_pernet_init(struct net *net)
{
	struct apsm_rds_notify *q = net_generic(net, apsm_rds_notify_id);
	struct apsm_net *an = apsm_net(net);
	int ret;

	ret = apsm_rds_notify_init(q, net, an->stats);
	if (ret)
		return ret;
	rcu_assign_pointer(an->rds_notify, q);
	return 0;
}

/* Unpublish first: the netns core waits for a grace period between
 * pre_exit and exit, so no subscriber call still holds the ring then.
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
	/* Stop recording, then stop every netns's work: after this
	 * nothing multicasts on the "rds" group.
	 */
	apsm_rds_unsubscribe(&apsm_rds_notify_sub);
	unregister_pernet_subsys(&apsm_rds_notify_net_ops);
}
