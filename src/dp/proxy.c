// SPDX-License-Identifier: GPL-2.0
/*
 * Proxy mode: the NSH context of frames handed to legacy NFs, and its
 * recovery when they come back, rewritten or not (include/proxy.h,
 * Documentation/proxy.md).
 */
#include <linux/etherdevice.h>
#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/ndisc.h>

#include "dp/datapath.h"
#include "core/flowkey.h"
#include "dp/fprint.h"
#include "cfg/instance.h"
#include "core/netns.h"
#include "dp/nsh.h"
#include "dp/parse.h"
#include "cfg/port.h"
#include "dp/proxy.h"
#include "core/stats.h"

enum apsm_proxy_kind {
	APSM_PROXY_CTX,		/* key as handed to the NF -> its context */
	APSM_PROXY_MAP,		/* key as the NF sent it -> key as handed */
	APSM_PROXY_KINDS
};

struct apsm_proxy_ent {
	struct hlist_node node;
	u64 net_cookie;			/* the netns: cookies are never reused */
	u32 inst;
	u8 kind;			/* enum apsm_proxy_kind */
	/* CTX: a frame of this key was recovered by key (unchanged, or
	 * learned): the flow needs no fingerprints. Kept across refreshes.
	 */
	u8 settled;
	struct apsm_flow_key key;
	unsigned long expires;		/* jiffies */
	union {
		struct apsm_nsh_ctx ctx;	/* CTX */
		struct apsm_flow_key to;	/* MAP */
	};
	struct rcu_head rcu;
};

static struct hlist_head apsm_proxy_tab[APSM_PROXY_BUCKETS];
static DEFINE_SPINLOCK(apsm_proxy_lock);
/* under the lock: */
static unsigned int apsm_proxy_count[APSM_PROXY_KINDS];
static unsigned int apsm_proxy_cursor;	/* the sweep */

static const unsigned int apsm_proxy_max[APSM_PROXY_KINDS] = {
	[APSM_PROXY_CTX] = APSM_PROXY_MAX,
	[APSM_PROXY_MAP] = APSM_PROXY_MAP_MAX,
};

static u32 apsm_proxy_hash(u64 cookie, u32 inst, u8 kind,
			   const struct apsm_flow_key *key)
{
	u32 seed = inst ^ (u32)cookie ^ (u32)(cookie >> 32) ^
		   ((u32)kind << 24);

	return apsm_flow_key_hash(key, seed) & (APSM_PROXY_BUCKETS - 1);
}

static void apsm_proxy_unlink(struct apsm_proxy_ent *c)
{
	hlist_del_rcu(&c->node);
	apsm_proxy_count[c->kind]--;
	kfree_rcu(c, rcu);
}

/* Lock held: drop the expired entries of bucket @b. */
static void apsm_proxy_sweep(unsigned int b, unsigned long now)
{
	struct apsm_proxy_ent *c;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(c, tmp, &apsm_proxy_tab[b], node)
		if (time_after(now, READ_ONCE(c->expires)))
			apsm_proxy_unlink(c);
}

static bool apsm_proxy_same(const struct apsm_proxy_ent *c, u64 cookie,
			    u32 inst, u8 kind, const struct apsm_flow_key *key)
{
	return c->net_cookie == cookie && c->inst == inst && c->kind == kind &&
	       apsm_flow_key_equal(&c->key, key);
}

/* Insert or replace the entry @c (filled in, consumed). @settled: out,
 * the flag the entry has now (a replaced one's). -ENOSPC: that kind is
 * full.
 */
static int apsm_proxy_insert(struct apsm_proxy_ent *c, bool *settled)
{
	u32 b = apsm_proxy_hash(c->net_cookie, c->inst, c->kind, &c->key);
	unsigned long now = jiffies;
	struct apsm_proxy_ent *old;
	int ret = 0;

	spin_lock_bh(&apsm_proxy_lock);
	apsm_proxy_sweep(b, now);
	apsm_proxy_sweep(apsm_proxy_cursor++ & (APSM_PROXY_BUCKETS - 1), now);
	hlist_for_each_entry(old, &apsm_proxy_tab[b], node)
		if (apsm_proxy_same(old, c->net_cookie, c->inst, c->kind,
				    &c->key))
			break;
	if (old) {
		c->settled = READ_ONCE(old->settled);
		hlist_replace_rcu(&old->node, &c->node);
		kfree_rcu(old, rcu);
	} else if (apsm_proxy_count[c->kind] >= apsm_proxy_max[c->kind]) {
		ret = -ENOSPC;
	} else {
		hlist_add_head_rcu(&c->node, &apsm_proxy_tab[b]);
		apsm_proxy_count[c->kind]++;
	}
	if (settled)
		*settled = !ret && c->settled;
	spin_unlock_bh(&apsm_proxy_lock);
	if (ret)
		kfree(c);
	return ret;
}

static struct apsm_proxy_ent *apsm_proxy_new(u64 cookie, u32 inst, u8 kind,
					     const struct apsm_flow_key *key,
					     unsigned long ttl)
{
	struct apsm_proxy_ent *c = kmalloc(sizeof(*c), GFP_ATOMIC);

	if (!c)
		return NULL;
	c->net_cookie = cookie;
	c->inst = inst;
	c->kind = kind;
	c->settled = 0;
	c->key = *key;
	c->expires = jiffies + ttl;
	return c;
}

/* RCU: the live entry of (@cookie, @inst, @kind, @key), or NULL. */
static struct apsm_proxy_ent *apsm_proxy_find(u64 cookie, u32 inst, u8 kind,
					      const struct apsm_flow_key *key)
{
	u32 b = apsm_proxy_hash(cookie, inst, kind, key);
	struct apsm_proxy_ent *c;

	hlist_for_each_entry_rcu(c, &apsm_proxy_tab[b], node) {
		if (!apsm_proxy_same(c, cookie, inst, kind, key))
			continue;
		if (time_after(jiffies, READ_ONCE(c->expires)))
			return NULL;
		return c;
	}
	return NULL;
}

/* Learn that @inst sends @out for what it was given as @in. */
static void apsm_proxy_learn(u64 cookie, u32 inst,
			     const struct apsm_flow_key *out,
			     const struct apsm_flow_key *in)
{
	struct apsm_proxy_ent *c;

	c = apsm_proxy_new(cookie, inst, APSM_PROXY_MAP, out,
			   APSM_PROXY_MAP_TTL);
	if (!c)
		return;
	c->to = *in;
	/* full: the flow stays recoverable by fingerprint, packet by packet */
	apsm_proxy_insert(c, NULL);
}

unsigned int apsm_proxy_to_instance(struct apsm_net *an, struct sk_buff *skb,
				    struct apsm_instance *inst,
				    struct apsm_port *port,
				    const struct apsm_nsh_ctx *ctx,
				    const u8 *mac)
{
	u64 cookie = an->net->net_cookie;
	struct apsm_nsh_ctx popped;
	struct apsm_proxy_ent *c;
	struct apsm_pkt_info pi;
	struct apsm_fprint fp;
	bool settled = false;
	unsigned int stat;
	struct ethhdr *eth;

	if (apsm_nsh_pop(skb, &popped)) {
		stat = apsm_nsh_reason_stat(popped.reason);
		goto drop;
	}
	apsm_stats_inc(an, APSM_STATS_A_NSH_DECAP);
	stat = APSM_STATS_A_DROP_MALFORMED;
	if (apsm_parse_flow(skb, &pi) != APSM_PARSE_OK)
		goto drop;
	/* popped: the frame's context as it is now (TTL decremented) */
	stat = APSM_STATS_A_DROP_NOMEM;
	/* the context outlives the fingerprint that may lead to it */
	c = apsm_proxy_new(cookie, inst->id, APSM_PROXY_CTX, &pi.key,
			   APSM_PROXY_TTL +
			   msecs_to_jiffies(READ_ONCE(inst->fprint_ttl_ms)));
	if (!c)
		goto drop;
	c->ctx = popped;
	if (apsm_proxy_insert(c, &settled))
		goto drop;
	/* A flow whose frames come back by key needs no fingerprints. */
	if (!settled && inst->fprint &&
	    !apsm_fprint_compute(&an->fprint_key, skb, &pi, &fp))
		apsm_fprint_insert(inst->fprint, &fp, &pi.key,
				   msecs_to_jiffies(READ_ONCE(inst->fprint_ttl_ms)));
	/* the inner Ethernet header is headroom now: make it ours */
	if (skb_cow_head(skb, 0))
		goto drop;
	eth = eth_hdr(skb);
	ether_addr_copy(eth->h_dest, mac);
	ether_addr_copy(eth->h_source, port->dev->dev_addr);
	apsm_instance_count_tx(inst, skb->len + skb->mac_len);
	apsm_port_count_tx(port);
	return apsm_dp_xmit(an, skb, port->dev);

drop:
	apsm_instance_count_drop(inst);
	apsm_stats_inc(an, stat);
	kfree_skb(skb);
	return NF_STOLEN;
}

/* RCU: the context of the frame @skb (@pi) that @inst sent back, into
 * @ctx; returns how it was found (APSM_PROXY_REC_NONE: not at all).
 */
static enum apsm_proxy_rec apsm_proxy_recover(struct apsm_net *an,
					      struct apsm_instance *inst,
					      const struct sk_buff *skb,
					      const struct apsm_pkt_info *pi,
					      struct apsm_nsh_ctx *ctx)
{
	u64 cookie = an->net->net_cookie;
	struct apsm_flow_key in, rin, rout;
	struct apsm_proxy_ent *c, *m;
	struct apsm_fprint fp;
	bool fp_ok, fp_hit;

	/* 1. unchanged */
	c = apsm_proxy_find(cookie, inst->id, APSM_PROXY_CTX, &pi->key);
	if (c) {
		*ctx = c->ctx;
		if (!READ_ONCE(c->settled))
			WRITE_ONCE(c->settled, 1);
		return APSM_PROXY_REC_KEY;
	}

	fp_ok = inst->fprint &&
		!apsm_fprint_compute(&an->fprint_key, skb, pi, &fp);
	fp_hit = fp_ok && !apsm_fprint_lookup(inst->fprint, &fp, &in);

	/* 2. a rewrite learned before, unless the fingerprint of this very
	 * packet says it was handed over as another flow (the NF re-used
	 * the rewritten key for a new flow)
	 */
	m = apsm_proxy_find(cookie, inst->id, APSM_PROXY_MAP, &pi->key);
	if (m && (!fp_hit || apsm_flow_key_equal(&m->to, &in))) {
		c = apsm_proxy_find(cookie, inst->id, APSM_PROXY_CTX, &m->to);
		if (c) {
			*ctx = c->ctx;
			WRITE_ONCE(m->expires, jiffies + APSM_PROXY_MAP_TTL);
			if (!READ_ONCE(c->settled))
				WRITE_ONCE(c->settled, 1);
			return APSM_PROXY_REC_LEARNED;
		}
	}

	/* 3. the fingerprint of a packet in flight */
	if (!fp_hit)
		return APSM_PROXY_REC_NONE;
	c = apsm_proxy_find(cookie, inst->id, APSM_PROXY_CTX, &in);
	if (!c)
		return APSM_PROXY_REC_NONE;
	*ctx = c->ctx;
	/* Both directions: K -> K' now, and the other direction, handed
	 * over as rev(K') and sent back as rev(K).
	 */
	apsm_proxy_learn(cookie, inst->id, &pi->key, &in);
	apsm_flow_key_reverse(&rin, &in);
	apsm_flow_key_reverse(&rout, &pi->key);
	apsm_proxy_learn(cookie, inst->id, &rin, &rout);
	return APSM_PROXY_REC_FPRINT;
}

unsigned int apsm_proxy_from_instance(struct apsm_net *an, struct sk_buff *skb,
				      struct apsm_instance *inst)
{
	static const u8 zero[ETH_ALEN];
	enum apsm_proxy_rec how;
	struct apsm_nsh_ctx ctx;
	struct apsm_pkt_info pi;
	struct apsm_port *port;

	/* the NF's own broadcast/multicast (DHCP, MLD, ND solicitations) */
	if (skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	switch (apsm_parse_flow(skb, &pi)) {
	case APSM_PARSE_OK:
		/* neighbour discovery to this port is the NF's own */
		if (pi.l4_proto == IPPROTO_ICMPV6 &&
		    pi.icmp_type >= NDISC_ROUTER_SOLICITATION &&
		    pi.icmp_type <= NDISC_REDIRECT)
			return NF_ACCEPT;
		break;
	case APSM_PARSE_NONIP:
		return NF_ACCEPT;	/* the NF's own ARP */
	case APSM_PARSE_FRAG:
		apsm_stats_inc(an, APSM_STATS_A_PASS_FRAG);
		return NF_ACCEPT;
	default:
		apsm_stats_inc(an, APSM_STATS_A_DROP_MALFORMED);
		return NF_DROP;
	}
	how = apsm_proxy_recover(an, inst, skb, &pi, &ctx);
	/* the context must say this instance did the hop */
	if (how != APSM_PROXY_REC_NONE &&
	    (!ctx.si || apsm_nsh_next_hop(&ctx) != inst->id))
		how = APSM_PROXY_REC_NONE;
	apsm_instance_count_proxy(inst, how);
	if (how == APSM_PROXY_REC_NONE) {
		if (READ_ONCE(inst->noctx) == APSM_NOCTX_DROP) {
			apsm_instance_count_drop(inst);
			apsm_stats_inc(an, APSM_STATS_A_DROP_NSH_INVALID);
			return NF_DROP;
		}
		port = rcu_dereference(inst->port);
		return apsm_dp_classify_steer(an, skb, port ? port->ifindex : 0);
	}
	apsm_instance_count_rx(inst, skb->len + skb->mac_len);
	/* the hop is done: SI - 1 on the NF's behalf */
	ctx.si--;
	/* in place: egress may hand this very skb back to the stack */
	if (skb_shared(skb)) {
		apsm_stats_inc(an, APSM_STATS_A_DROP_NOMEM);
		return NF_DROP;
	}
	if (apsm_nsh_push(skb, &ctx, zero, zero)) {
		apsm_stats_inc(an, APSM_STATS_A_DROP_NOMEM);
		return NF_DROP;
	}
	apsm_stats_inc(an, APSM_STATS_A_NSH_ENCAP);
	return apsm_dp_continue(an, skb, &ctx);
}

void apsm_proxy_exit(void)
{
	struct apsm_proxy_ent *c;
	struct hlist_node *tmp;
	unsigned int b;

	spin_lock_bh(&apsm_proxy_lock);
	for (b = 0; b < APSM_PROXY_BUCKETS; b++)
		hlist_for_each_entry_safe(c, tmp, &apsm_proxy_tab[b], node)
			apsm_proxy_unlink(c);
	spin_unlock_bh(&apsm_proxy_lock);
}
