// SPDX-License-Identifier: GPL-2.0
/*
 * The hold queue: return packets that arrive before their RDS entry
 * (include/holdq.h, Documentation/datapath.md "Hold queue").
 *
 * Per netns: a small hash of pending flow keys, each with a list of held
 * frames, and a list of the pending flows in arrival order (their
 * deadline order while hold_ms does not change). One delayed work item
 * both expires flows at their deadline and re-injects what was released
 * or passed, in order. A flow that timed out with hold_expire pass stays
 * in the hash as "passing" for APSM_HOLDQ_PASS_MS after its last packet:
 * its packets go on at once (it was not the return of a steered flow, or
 * its entry is lost), instead of each burst waiting for the deadline. Everything is under hq->lock; every queueing of the
 * work too, so that once the netns is going away (hq->dead) nothing can
 * queue it again.
 */
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "cfg/chain.h"
#include "core/flowkey.h"
#include "dp/holdq.h"
#include "core/netns.h"
#include "dp/parse.h"
#include "cfg/policy.h"
#include "cfg/port.h"
#include "flow/rds.h"
#include "cfg/service.h"
#include "core/stats.h"

#define APSM_HOLDQ_BITS		8
#define APSM_HOLDQ_BUCKETS	(1U << APSM_HOLDQ_BITS)
/* How long a timed-out flow's packets pass without being held, after its
 * last one (sliding).
 */
#define APSM_HOLDQ_PASS_MS	10000

struct apsm_holdq_flow {
	struct hlist_node hnode;	/* hq->buckets */
	/* hq->flows (pending, arrival order) or hq->passing (by expiry) */
	struct list_head lnode;
	struct apsm_flow_key key;
	bool passing;			/* timed out: let its packets go on */
	unsigned long deadline;		/* jiffies; passing: until when */
	struct sk_buff_head pkts;	/* arrival order; hq->lock */
};

struct apsm_holdq {
	spinlock_t lock;
	bool dead;			/* netns going away: hold nothing */
	bool armed;			/* the work is queued for armed_at */
	unsigned long armed_at;
	u32 n_pkts;			/* held + waiting for re-injection */
	u32 n_flows;			/* READ_ONCE: the release fast path */
	u32 n_passing;			/* of them passing; <= hold_max */
	u32 seed;
	struct hlist_head buckets[APSM_HOLDQ_BUCKETS];
	struct list_head flows;
	struct list_head passing;
	struct sk_buff_head out;	/* to re-inject, in order */
	struct delayed_work work;
	struct apsm_net *an;
};

static struct kmem_cache *apsm_holdq_cache __read_mostly;

/* The frame the work is re-injecting on this CPU: the hook lets it go
 * on instead of holding it again (netif_receive_skb_core() runs the hook
 * synchronously on this CPU).
 */
static DEFINE_PER_CPU(struct sk_buff *, apsm_holdq_current);

int apsm_holdq_cache_init(void)
{
	apsm_holdq_cache = kmem_cache_create("apsm_holdq",
					     sizeof(struct apsm_holdq_flow), 0,
					     0, NULL);
	return apsm_holdq_cache ? 0 : -ENOMEM;
}

void apsm_holdq_cache_exit(void)
{
	kmem_cache_destroy(apsm_holdq_cache);
	apsm_holdq_cache = NULL;
}

void apsm_holdq_defaults(struct apsm_net *an)
{
	an->hold_ms = APSM_HOLD_MS_DEFAULT;
	an->hold_max = APSM_HOLD_MAX_DEFAULT;
	an->hold_flow_max = APSM_HOLD_FLOW_MAX_DEFAULT;
	an->hold_expire = APSM_HOLD_PASS;
}

static struct hlist_head *apsm_holdq_bucket(struct apsm_holdq *hq,
					    const struct apsm_flow_key *key)
{
	return &hq->buckets[apsm_flow_key_hash(key, hq->seed) &
			    (APSM_HOLDQ_BUCKETS - 1)];
}

static struct apsm_holdq_flow *apsm_holdq_find(struct apsm_holdq *hq,
					       const struct apsm_flow_key *key)
{
	struct apsm_holdq_flow *hf;

	lockdep_assert_held(&hq->lock);
	hlist_for_each_entry(hf, apsm_holdq_bucket(hq, key), hnode)
		if (apsm_flow_key_equal(&hf->key, key))
			return hf;
	return NULL;
}

/* Unlink @hf and free it; its packets must have been taken. */
static void apsm_holdq_flow_free(struct apsm_holdq *hq,
				 struct apsm_holdq_flow *hf)
{
	lockdep_assert_held(&hq->lock);
	WARN_ON_ONCE(!skb_queue_empty(&hf->pkts));
	hlist_del(&hf->hnode);
	list_del(&hf->lnode);
	if (hf->passing)
		hq->n_passing--;
	WRITE_ONCE(hq->n_flows, hq->n_flows - 1);
	kmem_cache_free(apsm_holdq_cache, hf);
}

/* Have the work run at @when (jiffies) at the latest; hq->lock held.
 * hq->armed_at is when it is queued for; the work clears hq->armed when it
 * starts, under the lock, and arms itself again for what is left.
 */
static void apsm_holdq_arm(struct apsm_holdq *hq, unsigned long when)
{
	unsigned long now = jiffies;

	lockdep_assert_held(&hq->lock);
	if (hq->dead)
		return;
	if (hq->armed && !time_after(hq->armed_at, when))
		return;
	hq->armed = true;
	hq->armed_at = when;
	mod_delayed_work(system_wq, &hq->work,
			 time_after(when, now) ? when - now : 0);
}


/* Whether the chain of a rule learns a return path at all (a stateful
 * service, or an explicit return list that is not empty).
 */
static bool apsm_holdq_chain_returns(const struct apsm_chain *chain)
{
	unsigned int i;

	if (chain->has_return)
		return chain->n_return > 0;
	for (i = 0; i < chain->n_services && i < APSM_PATH_MAX; i++)
		if (chain->services[i] && chain->services[i]->stateful)
			return true;
	return false;
}

/* Does @k (a packet's key) look like the return of a flow rule @r
 * steers? The server side of the rule (its destination prefix and ports)
 * must match the packet's source; the client side is not compared (a NAT
 * in the chain rewrote it), nor are the ingress device and VLAN (the
 * return enters wherever routing sends it).
 */
static bool apsm_holdq_rule_reverse(const struct apsm_policy_rule *r,
				    const struct apsm_flow_key *k)
{
	u16 sport = ntohs(k->sport);

	if (!r->chain_ptr || !apsm_holdq_chain_returns(r->chain_ptr))
		return false;
	if ((r->flags & APSM_POLICY_F_FAMILY) && r->family != k->family)
		return false;
	if ((r->flags & APSM_POLICY_F_PROTO) && r->proto != k->proto)
		return false;
	if ((r->flags & APSM_POLICY_F_DST) &&
	    !apsm_prefix_match(&k->src, &r->dst, &r->dst_mask))
		return false;
	if ((r->flags & APSM_POLICY_F_DPORT) &&
	    (sport < r->dport_min || sport > r->dport_max))
		return false;
	return true;
}

static bool apsm_holdq_reverse_match(struct apsm_net *an,
				     const struct apsm_flow_key *k)
{
	const struct apsm_policy_table *t = rcu_dereference(an->policy);
	u32 i;

	if (!t)
		return false;
	for (i = 0; i < t->n; i++)
		if (apsm_holdq_rule_reverse(t->rules[i], k))
			return true;
	return false;
}

/* A packet the queue could not take: hold_expire says what happens. */
static unsigned int apsm_holdq_refuse(struct apsm_net *an, unsigned int stat)
{
	apsm_stats_inc(an, stat);
	return READ_ONCE(an->hold_expire) == APSM_HOLD_DROP ? NF_DROP :
							      NF_ACCEPT;
}

unsigned int apsm_holdq_rx(struct apsm_net *an, struct sk_buff *skb,
			   const struct apsm_pkt_info *pi)
{
	struct apsm_holdq *hq = an->holdq;
	u32 hold_ms = READ_ONCE(an->hold_ms);
	struct apsm_holdq_flow *hf, *fresh = NULL;
	struct sk_buff *held = skb;
	struct apsm_port *port;
	unsigned int stat = 0;

	if (!hq || !hold_ms || (pi->flags & APSM_PI_ICMP_ERR))
		return NF_ACCEPT;
	/* Return traffic enters on uplinks (not from a proxy NF). */
	port = apsm_port_find(an, skb->dev->ifindex);
	if (!port || port->role != APSM_PORT_UPLINK)
		return NF_ACCEPT;
	/* Re-injected by us: it had its chance. */
	if (this_cpu_read(apsm_holdq_current) == skb)
		return NF_ACCEPT;
	if (!apsm_holdq_reverse_match(an, &pi->key))
		return NF_ACCEPT;

	spin_lock(&hq->lock);
	if (hq->dead)
		goto refused;
	hf = apsm_holdq_find(hq, &pi->key);
	if (hf && hf->passing) {
		/* timed out lately: on at once, for a while longer */
		hf->deadline = jiffies + msecs_to_jiffies(APSM_HOLDQ_PASS_MS);
		list_move_tail(&hf->lnode, &hq->passing);
		goto refused;
	}
	if (hq->n_pkts >= READ_ONCE(an->hold_max)) {
		stat = APSM_STATS_A_HOLD_OVERFLOW;
		goto refused;
	}
	if (hf && skb_queue_len(&hf->pkts) >= READ_ONCE(an->hold_flow_max)) {
		stat = APSM_STATS_A_HOLD_OVERFLOW_FLOW;
		goto refused;
	}
	/* Keeping it past the hook: it must be ours alone. */
	if (skb_shared(skb)) {
		held = skb_clone(skb, GFP_ATOMIC);
		if (!held) {
			held = skb;
			stat = APSM_STATS_A_DROP_NOMEM;
			goto refused;
		}
	}
	if (!hf) {
		fresh = kmem_cache_alloc(apsm_holdq_cache,
					 GFP_ATOMIC | __GFP_NOWARN);
		if (!fresh) {
			stat = APSM_STATS_A_DROP_NOMEM;
			goto refused;
		}
		hf = fresh;
		hf->key = pi->key;
		hf->passing = false;
		hf->deadline = jiffies + max(1UL, msecs_to_jiffies(hold_ms));
		__skb_queue_head_init(&hf->pkts);
		hlist_add_head(&hf->hnode, apsm_holdq_bucket(hq, &pi->key));
		list_add_tail(&hf->lnode, &hq->flows);
		WRITE_ONCE(hq->n_flows, hq->n_flows + 1);
		apsm_holdq_arm(hq, hf->deadline);
	}
	__skb_queue_tail(&hf->pkts, held);
	hq->n_pkts++;
	spin_unlock(&hq->lock);

	apsm_stats_inc(an, APSM_STATS_A_HOLD_HELD);
	if (held != skb)
		consume_skb(skb);
	/* The entry may have been inserted between the datapath's miss and
	 * the enqueue, its release finding nothing: look once more.
	 */
	if (apsm_rds_find(an->rds, &pi->key))
		apsm_holdq_release(an, &pi->key);
	return NF_STOLEN;

refused:
	spin_unlock(&hq->lock);
	if (held != skb)
		kfree_skb(held);
	if (!stat)
		return NF_ACCEPT;
	return apsm_holdq_refuse(an, stat);
}

void apsm_holdq_release(struct apsm_net *an, const struct apsm_flow_key *key)
{
	struct apsm_holdq *hq = an->holdq;
	struct apsm_holdq_flow *hf;
	u32 n = 0;

	if (!hq || !READ_ONCE(hq->n_flows))
		return;
	spin_lock_bh(&hq->lock);
	hf = apsm_holdq_find(hq, key);
	if (hf) {
		n = skb_queue_len(&hf->pkts);
		skb_queue_splice_tail_init(&hf->pkts, &hq->out);
		apsm_holdq_flow_free(hq, hf);
		if (n)
			apsm_holdq_arm(hq, jiffies);
	}
	spin_unlock_bh(&hq->lock);
	if (n)
		apsm_stats_add(an, APSM_STATS_A_HOLD_RELEASED, n);
}

u32 apsm_holdq_count(struct apsm_net *an)
{
	return an->holdq ? READ_ONCE(an->holdq->n_pkts) : 0;
}

/* Queue the work for the next deadline (pending or passing flow);
 * hq->lock held.
 */
static void apsm_holdq_rearm(struct apsm_holdq *hq)
{
	struct apsm_holdq_flow *a, *b;
	unsigned long next;

	a = list_first_entry_or_null(&hq->flows, struct apsm_holdq_flow,
				     lnode);
	b = list_first_entry_or_null(&hq->passing, struct apsm_holdq_flow,
				     lnode);
	if (!a && !b)
		return;
	next = a ? a->deadline : b->deadline;
	if (a && b && time_before(b->deadline, next))
		next = b->deadline;
	apsm_holdq_arm(hq, next);
}

/* Hand @skb to the stack again as if just received on its device: the
 * hook runs first (RDS hit now: steered; still a miss: it goes on plain).
 */
static void apsm_holdq_reinject(struct apsm_holdq *hq, struct sk_buff *skb)
{
	struct net_device *dev;

	local_bh_disable();
	rcu_read_lock();
	/* The device may have gone while the frame waited (held frames pin
	 * nothing): only the same device, still up, takes it.
	 */
	dev = dev_get_by_index_rcu(hq->an->net, skb->skb_iif);
	if (!dev || dev != skb->dev || !(dev->flags & IFF_UP)) {
		apsm_stats_inc(hq->an, APSM_STATS_A_DROP_TX);
		kfree_skb(skb);
	} else {
		memset(skb->cb, 0, sizeof(skb->cb));
		this_cpu_write(apsm_holdq_current, skb);
		netif_receive_skb_core(skb);
		this_cpu_write(apsm_holdq_current, NULL);
	}
	rcu_read_unlock();
	local_bh_enable();
}

static void apsm_holdq_work(struct work_struct *work)
{
	struct apsm_holdq *hq = container_of(to_delayed_work(work),
					     struct apsm_holdq, work);
	struct apsm_net *an = hq->an;
	struct sk_buff_head out, drop;
	struct apsm_holdq_flow *hf, *tmp, *tmp2;
	bool pass = READ_ONCE(an->hold_expire) != APSM_HOLD_DROP;
	unsigned long now = jiffies;
	u32 expired = 0, n;
	struct sk_buff *skb;

	__skb_queue_head_init(&out);
	__skb_queue_head_init(&drop);

	spin_lock_bh(&hq->lock);
	if (hq->dead) {
		spin_unlock_bh(&hq->lock);
		return;
	}
	hq->armed = false;
	list_for_each_entry_safe(hf, tmp, &hq->passing, lnode) {
		if (time_before(now, hf->deadline))
			break;
		apsm_holdq_flow_free(hq, hf);
	}
	list_for_each_entry_safe(hf, tmp, &hq->flows, lnode) {
		if (time_before(now, hf->deadline))
			break;
		n = skb_queue_len(&hf->pkts);
		expired += n;
		if (!pass) {
			skb_queue_splice_tail_init(&hf->pkts, &drop);
			hq->n_pkts -= n;
			apsm_holdq_flow_free(hq, hf);
			continue;
		}
		skb_queue_splice_tail_init(&hf->pkts, &hq->out);
		/* Bounded: the oldest passing flow makes room. */
		if (hq->n_passing >= READ_ONCE(an->hold_max)) {
			tmp2 = list_first_entry_or_null(&hq->passing,
							struct apsm_holdq_flow,
							lnode);
			if (tmp2)
				apsm_holdq_flow_free(hq, tmp2);
		}
		if (hq->n_passing >= READ_ONCE(an->hold_max)) {
			apsm_holdq_flow_free(hq, hf);
			continue;
		}
		hf->passing = true;
		hf->deadline = now + msecs_to_jiffies(APSM_HOLDQ_PASS_MS);
		list_move_tail(&hf->lnode, &hq->passing);
		hq->n_passing++;
	}
	skb_queue_splice_tail_init(&hq->out, &out);
	apsm_holdq_rearm(hq);
	spin_unlock_bh(&hq->lock);

	if (expired)
		apsm_stats_add(an, APSM_STATS_A_HOLD_TIMEOUT, expired);
	while ((skb = __skb_dequeue(&drop)))
		kfree_skb(skb);

	n = skb_queue_len(&out);
	while ((skb = __skb_dequeue(&out))) {
		apsm_holdq_reinject(hq, skb);
		cond_resched();
	}
	if (n) {
		spin_lock_bh(&hq->lock);
		hq->n_pkts -= n;
		spin_unlock_bh(&hq->lock);
	}
}

int apsm_holdq_net_init(struct apsm_net *an)
{
	struct apsm_holdq *hq;
	unsigned int i;

	hq = kzalloc(sizeof(*hq), GFP_KERNEL);
	if (!hq)
		return -ENOMEM;
	spin_lock_init(&hq->lock);
	for (i = 0; i < APSM_HOLDQ_BUCKETS; i++)
		INIT_HLIST_HEAD(&hq->buckets[i]);
	INIT_LIST_HEAD(&hq->flows);
	INIT_LIST_HEAD(&hq->passing);
	__skb_queue_head_init(&hq->out);
	INIT_DELAYED_WORK(&hq->work, apsm_holdq_work);
	hq->seed = get_random_u32();
	hq->an = an;
	an->holdq = hq;
	return 0;
}

void apsm_holdq_net_exit(struct apsm_net *an)
{
	struct apsm_holdq *hq = an->holdq;
	struct apsm_holdq_flow *hf, *tmp;
	struct sk_buff_head all;

	if (!hq)
		return;
	__skb_queue_head_init(&all);
	spin_lock_bh(&hq->lock);
	hq->dead = true;
	list_for_each_entry_safe(hf, tmp, &hq->flows, lnode) {
		skb_queue_splice_tail_init(&hf->pkts, &all);
		apsm_holdq_flow_free(hq, hf);
	}
	list_for_each_entry_safe(hf, tmp, &hq->passing, lnode)
		apsm_holdq_flow_free(hq, hf);
	skb_queue_splice_tail_init(&hq->out, &all);
	spin_unlock_bh(&hq->lock);
	/* It queues itself only while !dead: this is its last run. */
	cancel_delayed_work_sync(&hq->work);
	__skb_queue_purge(&all);
	an->holdq = NULL;
	kfree(hq);
}
