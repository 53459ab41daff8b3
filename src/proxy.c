// SPDX-License-Identifier: GPL-2.0
/*
 * Proxy mode: the NSH context of frames handed to legacy NFs
 * (include/proxy.h).
 */
#include <linux/etherdevice.h>
#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/ndisc.h>

#include "datapath.h"
#include "flowkey.h"
#include "instance.h"
#include "netns.h"
#include "nsh.h"
#include "parse.h"
#include "port.h"
#include "proxy.h"
#include "stats.h"

struct apsm_proxy_ctx {
	struct hlist_node node;
	u64 net_cookie;			/* the netns: cookies are never reused */
	u32 inst;
	struct apsm_flow_key key;
	unsigned long expires;		/* jiffies */
	struct apsm_nsh_ctx ctx;
	struct rcu_head rcu;
};

static struct hlist_head apsm_proxy_tab[APSM_PROXY_BUCKETS];
static DEFINE_SPINLOCK(apsm_proxy_lock);
static unsigned int apsm_proxy_count;	/* under the lock */
static unsigned int apsm_proxy_cursor;	/* the sweep, under the lock */

static u32 apsm_proxy_hash(u64 cookie, u32 inst,
			   const struct apsm_flow_key *key)
{
	u32 h = apsm_flow_key_hash(key, inst ^ (u32)cookie ^ (u32)(cookie >> 32));

	return h & (APSM_PROXY_BUCKETS - 1);
}

static void apsm_proxy_unlink(struct apsm_proxy_ctx *c)
{
	hlist_del_rcu(&c->node);
	apsm_proxy_count--;
	kfree_rcu(c, rcu);
}

/* Lock held: drop the expired contexts of bucket @b. */
static void apsm_proxy_sweep(unsigned int b, unsigned long now)
{
	struct apsm_proxy_ctx *c;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(c, tmp, &apsm_proxy_tab[b], node)
		if (time_after(now, c->expires))
			apsm_proxy_unlink(c);
}

static int apsm_proxy_save(u64 cookie, u32 inst,
			   const struct apsm_flow_key *key,
			   const struct apsm_nsh_ctx *ctx)
{
	u32 b = apsm_proxy_hash(cookie, inst, key);
	unsigned long now = jiffies;
	struct apsm_proxy_ctx *c, *old = NULL;
	int ret = 0;

	c = kmalloc(sizeof(*c), GFP_ATOMIC);
	if (!c)
		return -ENOMEM;
	c->net_cookie = cookie;
	c->inst = inst;
	c->key = *key;
	c->expires = now + APSM_PROXY_TTL;
	c->ctx = *ctx;

	spin_lock_bh(&apsm_proxy_lock);
	apsm_proxy_sweep(b, now);
	apsm_proxy_sweep(apsm_proxy_cursor++ & (APSM_PROXY_BUCKETS - 1), now);
	hlist_for_each_entry(old, &apsm_proxy_tab[b], node)
		if (old->net_cookie == cookie && old->inst == inst &&
		    apsm_flow_key_equal(&old->key, key))
			break;
	if (old) {
		hlist_replace_rcu(&old->node, &c->node);
		kfree_rcu(old, rcu);
	} else if (apsm_proxy_count >= APSM_PROXY_MAX) {
		ret = -ENOSPC;
	} else {
		hlist_add_head_rcu(&c->node, &apsm_proxy_tab[b]);
		apsm_proxy_count++;
	}
	spin_unlock_bh(&apsm_proxy_lock);
	if (ret)
		kfree(c);
	return ret;
}

/* RCU: copy the live context of (@cookie, @inst, @key) into @ctx. */
static bool apsm_proxy_find(u64 cookie, u32 inst,
			    const struct apsm_flow_key *key,
			    struct apsm_nsh_ctx *ctx)
{
	u32 b = apsm_proxy_hash(cookie, inst, key);
	struct apsm_proxy_ctx *c;

	hlist_for_each_entry_rcu(c, &apsm_proxy_tab[b], node) {
		if (c->net_cookie != cookie || c->inst != inst ||
		    !apsm_flow_key_equal(&c->key, key))
			continue;
		if (time_after(jiffies, READ_ONCE(c->expires)))
			return false;
		*ctx = c->ctx;
		return true;
	}
	return false;
}

unsigned int apsm_proxy_to_instance(struct apsm_net *an, struct sk_buff *skb,
				    struct apsm_instance *inst,
				    struct apsm_port *port,
				    const struct apsm_nsh_ctx *ctx,
				    const u8 *mac)
{
	struct apsm_nsh_ctx popped;
	struct apsm_pkt_info pi;
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
	if (apsm_proxy_save(an->net->net_cookie, inst->id, &pi.key, &popped))
		goto drop;
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

unsigned int apsm_proxy_from_instance(struct apsm_net *an, struct sk_buff *skb,
				      struct apsm_instance *inst)
{
	static const u8 zero[ETH_ALEN];
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
	if (!apsm_proxy_find(an->net->net_cookie, inst->id, &pi.key, &ctx) ||
	    !ctx.si || apsm_nsh_next_hop(&ctx) != inst->id) {
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
	struct apsm_proxy_ctx *c;
	struct hlist_node *tmp;
	unsigned int b;

	spin_lock_bh(&apsm_proxy_lock);
	for (b = 0; b < APSM_PROXY_BUCKETS; b++)
		hlist_for_each_entry_safe(c, tmp, &apsm_proxy_tab[b], node)
			apsm_proxy_unlink(c);
	spin_unlock_bh(&apsm_proxy_lock);
}
