// SPDX-License-Identifier: GPL-2.0
/*
 * The packet walk (DESIGN.md "Packet walk", Documentation/datapath.md):
 * classify on an uplink, load-balance, NSH-encapsulate, hop from instance
 * to instance (locally or over the fabric), learn the return path at
 * chain egress and hand the plain packet back to the node's stack.
 *
 * Everything here runs in the netdev ingress hook under rcu_read_lock(),
 * takes no lock and allocates only through the RDS insert (GFP_ATOMIC).
 * Every frame ends in exactly one of: NF_ACCEPT (untouched, or the
 * decapsulated inner frame at chain egress), NF_DROP (counted), or
 * NF_STOLEN (transmitted to an NF or a peer, or freed and counted).
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>

#include "cfg/chain.h"
#include "dp/datapath.h"
#include "core/flowkey.h"
#include "dp/holdq.h"
#include "cfg/instance.h"
#include "cfg/lb.h"
#include "dp/learn.h"
#include "core/netns.h"
#include "dp/nsh.h"
#include "dp/parse.h"
#include "cfg/peer.h"
#include "cfg/policy.h"
#include "cfg/port.h"
#include "dp/proxy.h"
#include "flow/rds.h"
#include "cfg/service.h"
#include "core/stats.h"

static DEFINE_PER_CPU(unsigned int, apsm_dp_depth);

/* Count @stat and let netfilter free the frame (the skb is still the
 * hook's: nothing was stolen yet).
 */
static unsigned int apsm_dp_drop(struct apsm_net *an, unsigned int stat)
{
	apsm_stats_inc(an, stat);
	return NF_DROP;
}

/* Count @stat and free a frame the datapath owns (after apsm_dp_own()). */
static unsigned int apsm_dp_free(struct apsm_net *an, struct sk_buff *skb,
				 unsigned int stat)
{
	apsm_stats_inc(an, stat);
	kfree_skb(skb);
	return NF_STOLEN;
}

static void apsm_dp_ctx_from_flow(struct apsm_nsh_ctx *ctx,
				  const struct apsm_rds_flow *f)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->spi = f->spi;
	ctx->n = min_t(u8, f->path_n, APSM_PATH_MAX);
	ctx->si = ctx->n;
	ctx->dir = f->dir;
	ctx->origin = f->origin;
	memcpy(ctx->path, f->path, ctx->n * sizeof(ctx->path[0]));
}

/* Transmit the frame @skb (ingress view: data at the network header) on
 * @dev. Consumes it; counts DROP_TX when the device refuses it.
 */
unsigned int apsm_dp_xmit(struct apsm_net *an, struct sk_buff *skb,
			  struct net_device *dev)
{
	int rc;

	skb_push(skb, skb->mac_len);
	/* The edits made the receive checksum stale in general; let the
	 * receiver verify (a stale COMPLETE sum would be a "hw csum
	 * failure" there).
	 */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	skb->dev = dev;
	skb_clear_tstamp(skb);
	rc = dev_queue_xmit(skb);
	if (unlikely(net_xmit_eval(rc)))
		apsm_stats_inc(an, APSM_STATS_A_DROP_TX);
	return NF_STOLEN;
}

/* A local instance's port: the NSH frame to an NSH-aware NF, the plain
 * inner frame to a legacy one (src/proxy.c). Consumes @skb.
 */
static unsigned int apsm_dp_to_instance(struct apsm_net *an,
					struct sk_buff *skb,
					struct apsm_instance *inst,
					const struct apsm_nsh_ctx *ctx)
{
	struct apsm_port *port = rcu_dereference(inst->port);
	u8 mac[ETH_ALEN];

	if (!port || !apsm_instance_lladdr(inst, mac)) {
		/* no port (device gone) or its MAC not known/learned yet */
		apsm_instance_count_drop(inst);
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NO_INSTANCE);
	}
	if (inst->mode == APSM_MODE_PROXY)
		return apsm_proxy_to_instance(an, skb, inst, port, ctx, mac);

	if (apsm_nsh_set_outer(skb, mac, port->dev->dev_addr)) {
		apsm_instance_count_drop(inst);
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NOMEM);
	}
	/* too big for the NF's port (nsh.md, "MTU"): counted, not sent */
	if (!apsm_nsh_fits(skb, READ_ONCE(port->dev->mtu))) {
		apsm_nsh_too_big(skb, READ_ONCE(port->dev->mtu));
		apsm_instance_count_drop(inst);
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_TX);
	}
	apsm_instance_count_tx(inst, skb->len + skb->mac_len);
	apsm_port_count_tx(port);
	return apsm_dp_xmit(an, skb, port->dev);
}

/* A remote instance: the NSH frame over the fabric to its node. */
static unsigned int apsm_dp_to_peer(struct apsm_net *an, struct sk_buff *skb,
				    u32 node)
{
	struct apsm_peer *peer = apsm_peer_find(an, node);
	struct net_device *dev;

	if (!peer)
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_UNKNOWN_NODE);
	dev = rcu_dereference(peer->dev);
	if (!dev)
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_TX);
	if (apsm_nsh_set_outer(skb, peer->lladdr, dev->dev_addr))
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NOMEM);
	if (!apsm_nsh_fits(skb, READ_ONCE(dev->mtu))) {
		apsm_nsh_too_big(skb, READ_ONCE(dev->mtu));
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_TX);
	}
	apsm_peer_count_tx(peer);
	return apsm_dp_xmit(an, skb, dev);
}

/* Send the NSH frame @skb (ours, valid, SI > 0) to its next hop,
 * path[n - SI]. One TTL decrement per hop. Consumes @skb.
 */
static unsigned int apsm_dp_hop(struct apsm_net *an, struct sk_buff *skb,
				const struct apsm_nsh_ctx *ctx)
{
	u32 id = apsm_nsh_next_hop(ctx);
	struct apsm_instance *inst = id ? apsm_instance_find(an, id) : NULL;

	if (!inst)
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NO_INSTANCE);
	/* drain keeps its pinned flows; down takes nothing */
	if (READ_ONCE(inst->state) == APSM_STATE_DOWN) {
		apsm_instance_count_drop(inst);
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NO_INSTANCE);
	}
	/* its node is down (datapath.md, "Dead nodes") */
	if (!inst->local && apsm_peers_node_down(an->peers, inst->node)) {
		apsm_instance_count_drop(inst);
		return apsm_dp_free(an, skb, APSM_STATS_A_PEERDOWN_DROP);
	}
	switch (apsm_nsh_dec_ttl(skb)) {
	case 0:
		break;
	case -ELOOP:
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_TTL);
	default:
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NOMEM);
	}
	if (inst->local)
		return apsm_dp_to_instance(an, skb, inst, ctx);
	return apsm_dp_to_peer(an, skb, inst->node);
}

/* What the egress knows about the chain of @ctx (include/learn.h): its
 * explicit return list, and which hops are stateful (from the chain, or
 * from the instances' services when the chain is gone or changed).
 */
static void apsm_dp_learn_chain(struct apsm_net *an,
				const struct apsm_nsh_ctx *ctx,
				struct apsm_learn_chain *ch)
{
	struct apsm_chain *chain = apsm_chain_find_spi(an, ctx->spi);
	unsigned int i;

	memset(ch, 0, sizeof(*ch));
	ch->known = chain && chain->n_services == ctx->n;
	if (ch->known && chain->has_return) {
		ch->has_return = true;
		ch->n_return = min_t(u8, chain->n_return, APSM_PATH_MAX);
		memcpy(ch->ret, chain->ret, sizeof(ch->ret));
		return;
	}
	for (i = 0; i < ctx->n && i < APSM_PATH_MAX; i++) {
		const struct apsm_service *svc;

		if (ch->known) {
			svc = chain->services[i];
		} else {
			struct apsm_instance *inst;

			inst = apsm_instance_find(an, ctx->path[i]);
			svc = inst ? inst->svc : NULL;
		}
		ch->stateful[i] = svc && svc->stateful;
	}
}

/* Chain egress of a forward packet whose inner flow key is now @key:
 * learn its return path (method 700; the decisions: src/learn.c).
 */
static void apsm_dp_learn(struct apsm_net *an, const struct apsm_nsh_ctx *ctx,
			  const struct apsm_flow_key *key)
{
	struct apsm_learn_chain ch;
	struct apsm_rds_entry *e;
	struct apsm_rds_flow f;
	bool created = false;

	apsm_dp_learn_chain(an, ctx, &ch);
	if (!apsm_learn_build(&f, ctx, &ch, key))
		return;
	e = apsm_rds_find(an->rds, &f.key);
	switch (apsm_learn_decide(&f, e ? &e->f : NULL)) {
	case APSM_LEARN_INSERT:
		break;
	case APSM_LEARN_REPLACE:
		apsm_rds_delete(an->rds, &f.key);
		break;
	default:	/* SAME, KEEP_FORWARD */
		return;
	}
	e = apsm_rds_add_local(an, &f, &created);
	if (!IS_ERR(e) && created)
		apsm_stats_inc(an, APSM_STATS_A_LEARNED);
}

/* Chain egress of a frame whose inner Ethernet header carries an 802.1Q
 * or 802.1ad tag (it travelled in-band inside NSH, as the NFs saw it):
 * hand it to the stack as it was received on its uplink, the tag in
 * skb->vlan_tci and skb->dev the uplink that has a VLAN device for it;
 * __netif_receive_skb_core() runs vlan_do_receive() right after this hook
 * and delivers it to that VLAN device, which routes it. Priority tags
 * (VID 0) stay where they are: the stack strips them. No uplink with an
 * up VLAN device for the VID (or only one that is itself an APSM port,
 * where the hook would steer the frame again) -> DROP_TX. See
 * Documentation/datapath.md, "802.1Q".
 */
static unsigned int apsm_dp_egress_vlan(struct apsm_net *an,
					struct sk_buff *skb)
{
	struct net_device *vdev = NULL;
	struct apsm_port *port;
	unsigned long idx;
	u16 vid;

	skb = skb_vlan_untag(skb);	/* not shared: same skb, or freed */
	if (unlikely(!skb)) {
		apsm_stats_inc(an, APSM_STATS_A_DROP_NOMEM);
		return NF_STOLEN;
	}
	vid = skb_vlan_tag_get_id(skb);
	if (!vid)
		return NF_ACCEPT;
	xa_for_each(&an->ports->xa, idx, port) {
		if (port->role != APSM_PORT_UPLINK)
			continue;
		vdev = __vlan_find_dev_deep_rcu(port->dev, skb->vlan_proto,
						vid);
		if (vdev && (vdev->flags & IFF_UP) &&
		    !(net_eq(dev_net(vdev), dev_net(port->dev)) &&
		      apsm_port_find(an, vdev->ifindex)))
			break;
		vdev = NULL;
	}
	if (!vdev)
		return apsm_dp_drop(an, APSM_STATS_A_DROP_TX);
	skb->dev = vlan_dev_real_dev(vdev);
	return NF_ACCEPT;
}

/* Chain egress (SI == 0; the NSH frame @skb still the hook's): learn the
 * return path of a forward packet, strip NSH and let the node's stack
 * forward the plain frame as if it had been received on this port
 * (NF_ACCEPT: the hook does not run again for it). See
 * Documentation/datapath.md, "Re-injection".
 */
static unsigned int apsm_dp_egress(struct apsm_net *an, struct sk_buff *skb,
				   const struct apsm_nsh_ctx *ctx)
{
	struct apsm_nsh_ctx popped;
	struct apsm_pkt_info pi;

	/* the in-place pop needs the skb to ourselves */
	if (unlikely(skb_shared(skb)))
		return apsm_dp_drop(an, APSM_STATS_A_DROP_NOMEM);
	if (apsm_nsh_pop(skb, &popped))
		return apsm_dp_drop(an, apsm_nsh_reason_stat(popped.reason));
	apsm_stats_inc(an, APSM_STATS_A_NSH_DECAP);

	if (ctx->dir == APSM_DIR_FORWARD &&
	    apsm_learn_wanted(ctx->dir, apsm_parse_flow(skb, &pi), pi.flags))
		apsm_dp_learn(an, ctx, &pi.key);

	/* The node is the L3 next hop of steered traffic: route it. */
	skb->pkt_type = PACKET_HOST;
	skb_reset_network_header(skb);
	skb_reset_transport_header(skb);
	if (eth_type_vlan(skb->protocol))
		return apsm_dp_egress_vlan(an, skb);
	return NF_ACCEPT;
}

/* An NSH frame (valid, still the hook's) back from an NF or in from the
 * fabric: next hop, or chain egress.
 */
unsigned int apsm_dp_continue(struct apsm_net *an, struct sk_buff *skb,
			      const struct apsm_nsh_ctx *ctx)
{
	if (!ctx->si)
		return apsm_dp_egress(an, skb, ctx);
	/* ours to change and to keep (the hook returns NF_STOLEN after
	 * this): a clone if someone else holds a reference too; NULL (the
	 * reference dropped) when that fails
	 */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		apsm_stats_inc(an, APSM_STATS_A_DROP_NOMEM);
		return NF_STOLEN;
	}
	return apsm_dp_hop(an, skb, ctx);
}

/* The instance of @svc a new flow with @key takes at hop @hop, as every
 * node picks it (the LB table, the hop-seeded flow hash): its id, or 0
 * when that instance is missing, not up, or on a peer that is down. The
 * one pick of the classification and of the repin.
 */
static u32 apsm_dp_pick(struct apsm_net *an, const struct apsm_service *svc,
			const struct apsm_flow_key *key, unsigned int hop)
{
	struct apsm_instance *inst;
	u32 id;

	id = apsm_lb_pick(svc, apsm_flow_key_hash(key, APSM_DP_HASH_SEED + hop));
	inst = id ? apsm_instance_find(an, id) : NULL;
	if (!inst || READ_ONCE(inst->state) != APSM_STATE_UP ||
	    (!inst->local && apsm_peers_node_down(an->peers, inst->node)))
		return 0;
	return id;
}

/* A hit whose flow @old may name an instance of a down peer
 * (an->peers->down != 0): with the repin policy, re-pick the hops of
 * stateless services owned by down peers, store the new path in the RDS
 * and return 1 with @f the flow to follow; else 0 (follow @old; the hop
 * drops what goes to a down peer, counted PEERDOWN_DROP). RCU.
 */
static int apsm_dp_repin(struct apsm_net *an, const struct apsm_rds_flow *old,
			 struct apsm_rds_flow *f)
{
	struct apsm_instance *inst;
	struct apsm_rds_entry *e;
	bool changed = false, created;
	unsigned int i;
	u32 id;

	if (READ_ONCE(an->peerdown) != APSM_PEERDOWN_REPIN)
		return 0;
	for (i = 0; i < old->path_n && i < APSM_PATH_MAX; i++) {
		inst = apsm_instance_find(an, old->path[i]);
		if (!inst || inst->local ||
		    !apsm_peers_node_down(an->peers, inst->node))
			continue;
		/* Its state died with the node: the flow cannot go on
		 * elsewhere. The hop drops it.
		 */
		if (inst->svc->stateful)
			return 0;
		if (!changed) {
			*f = *old;
			changed = true;
		}
		/* The same pick classification would make now. */
		id = apsm_dp_pick(an, inst->svc, &old->key, i);
		if (!id)
			return 0;
		f->path[i] = id;
	}
	if (!changed)
		return 0;
	/* The newest path wins (and replicates: this node is its origin
	 * now). Losing a race to another CPU's repin gives the same path.
	 */
	apsm_rds_delete(an->rds, &f->key);
	e = apsm_rds_add_local(an, f, &created);
	if (!IS_ERR(e) && !created)
		*f = e->f;
	apsm_stats_inc(an, APSM_STATS_A_PEERDOWN_REPIN);
	return 1;
}

/* Forward entry (method 600): the path of a plain packet with @pi that
 * came in on @iif. 0 with @ctx filled, -ENOENT: not steered (no entry, no
 * policy), -EHOSTUNREACH: a service of the chain has no instance up.
 */
static int apsm_dp_classify(struct apsm_net *an, int iif,
			    const struct apsm_pkt_info *pi,
			    struct apsm_nsh_ctx *ctx)
{
	const struct apsm_policy_rule *rule;
	const struct apsm_chain *chain;
	struct apsm_rds_entry *e;
	struct apsm_rds_flow f;
	bool created = false;
	unsigned int i;

	e = apsm_rds_lookup(an->rds, &pi->key);
	if (e) {
		/* a hop on a down peer: re-picked, per policy */
		if (unlikely(READ_ONCE(an->peers->down)) &&
		    apsm_dp_repin(an, &e->f, &f)) {
			apsm_dp_ctx_from_flow(ctx, &f);
			return 0;
		}
		apsm_dp_ctx_from_flow(ctx, &e->f);
		return ctx->n ? 0 : -ENOENT;
	}
	/* An ICMP error of a flow we do not know: not ours to classify. */
	if (pi->flags & APSM_PI_ICMP_ERR)
		return -ENOENT;
	rule = apsm_policy_classify(an, &pi->key, iif, pi->vlan);
	if (!rule || !rule->chain_ptr)
		return -ENOENT;
	chain = rule->chain_ptr;

	memset(&f, 0, sizeof(f));
	f.key = pi->key;
	f.spi = chain->spi;
	f.dir = APSM_DIR_FORWARD;
	f.path_n = min_t(u8, chain->n_services, APSM_PATH_MAX);
	for (i = 0; i < f.path_n; i++) {
		f.path[i] = apsm_dp_pick(an, chain->services[i], &pi->key, i);
		if (!f.path[i])
			return -EHOSTUNREACH;
	}
	e = apsm_rds_add_local(an, &f, &created);
	if (!IS_ERR(e)) {
		/* a concurrent insert won: follow its path */
		apsm_dp_ctx_from_flow(ctx, created ? &f : &e->f);
	} else {
		/* table full or no memory (counted): steer unpinned */
		f.origin = READ_ONCE(an->node_id);
		apsm_dp_ctx_from_flow(ctx, &f);
	}
	return 0;
}

/* Steer the plain frame @skb (the hook's) along @ctx: encapsulate, hop. */
static unsigned int apsm_dp_steer(struct apsm_net *an, struct sk_buff *skb,
				  const struct apsm_nsh_ctx *ctx)
{
	static const u8 zero[ETH_ALEN];

	/* ours to change and to keep (the hook returns NF_STOLEN after
	 * this): a clone if someone else holds a reference too; NULL (the
	 * reference dropped) when that fails
	 */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		apsm_stats_inc(an, APSM_STATS_A_DROP_NOMEM);
		return NF_STOLEN;
	}
	/* the hop sets the outer addresses */
	switch (apsm_nsh_push(skb, ctx, zero, zero)) {
	case 0:
		break;
	case -ENOMEM:
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NOMEM);
	default:
		return apsm_dp_free(an, skb, APSM_STATS_A_DROP_NSH_INVALID);
	}
	apsm_stats_inc(an, APSM_STATS_A_NSH_ENCAP);
	return apsm_dp_hop(an, skb, ctx);
}

/* A plain frame on an uplink (or one a proxy NF sent without context,
 * with noctx classify): forward or return entry.
 */
unsigned int apsm_dp_classify_steer(struct apsm_net *an, struct sk_buff *skb,
				    int iif)
{
	struct apsm_nsh_ctx ctx;
	struct apsm_pkt_info pi;

	switch (apsm_parse_flow(skb, &pi)) {
	case APSM_PARSE_OK:
		break;
	case APSM_PARSE_NONIP:
		apsm_stats_inc(an, APSM_STATS_A_PASS_NONIP);
		return NF_ACCEPT;
	case APSM_PARSE_FRAG:
		apsm_stats_inc(an, APSM_STATS_A_PASS_FRAG);
		return NF_ACCEPT;
	default:
		return apsm_dp_drop(an, APSM_STATS_A_DROP_MALFORMED);
	}
	switch (apsm_dp_classify(an, iif, &pi, &ctx)) {
	case 0:
		/* the inner L4 header: GSO segment sizes (apsm_nsh_fits()) */
		skb_set_transport_header(skb, pi.l4_off);
		return apsm_dp_steer(an, skb, &ctx);
	case -EHOSTUNREACH:
		return apsm_dp_drop(an, APSM_STATS_A_DROP_NO_INSTANCE);
	default:
		/* the return of a flow whose entry is still on its way? */
		return apsm_holdq_rx(an, skb, &pi);
	}
}

static unsigned int apsm_dp_uplink(struct apsm_net *an, struct apsm_port *port,
				   struct sk_buff *skb)
{
	/* Steered traffic is routed by this node: frames addressed to
	 * other hosts (promiscuous, bridged) and NSH go on untouched.
	 */
	if (skb->pkt_type != PACKET_HOST ||
	    skb->protocol == htons(ETH_P_NSH)) {
		apsm_stats_inc(an, APSM_STATS_A_PASS_NONIP);
		return NF_ACCEPT;
	}
	return apsm_dp_classify_steer(an, skb, port->ifindex);
}

/* Frames an NF sends on its port. */
static unsigned int apsm_dp_nf(struct apsm_net *an, struct apsm_port *port,
			       struct sk_buff *skb)
{
	struct apsm_instance *inst = apsm_instance_find(an, port->instance_id);
	struct apsm_nsh_ctx ctx;
	u32 done;

	if (!inst || !inst->local)
		return skb->protocol == htons(ETH_P_NSH) ?
			apsm_dp_drop(an, APSM_STATS_A_DROP_NO_INSTANCE) :
			NF_ACCEPT;
	if (skb_mac_header_was_set(skb) && skb->mac_len >= ETH_HLEN)
		apsm_instance_lladdr_learn(inst, eth_hdr(skb)->h_source);

	if (skb->protocol != htons(ETH_P_NSH)) {
		if (inst->mode == APSM_MODE_PROXY)
			return apsm_proxy_from_instance(an, skb, inst);
		/* an NSH-aware NF's own traffic (ARP, management) */
		return NF_ACCEPT;
	}
	if (apsm_nsh_peek(skb, &ctx))
		return apsm_dp_drop(an, apsm_nsh_reason_stat(ctx.reason));
	/* The NF decremented SI: the hop it did is path[n - SI - 1], and
	 * that must be this instance (anything else is a forged or looping
	 * frame).
	 */
	done = ctx.si < ctx.n ? ctx.path[ctx.n - ctx.si - 1] : 0;
	if (done != inst->id) {
		apsm_instance_count_drop(inst);
		return apsm_dp_drop(an, APSM_STATS_A_DROP_NSH_INVALID);
	}
	apsm_instance_count_rx(inst, skb->len + skb->mac_len);
	return apsm_dp_continue(an, skb, &ctx);
}

/* NSH frames from other nodes. */
static unsigned int apsm_dp_fabric(struct apsm_net *an, struct sk_buff *skb)
{
	u32 self = READ_ONCE(an->node_id), sender;
	struct apsm_peer *peer = NULL;
	struct apsm_instance *inst;
	struct apsm_nsh_ctx ctx;
	const u8 *src;

	/* The fabric carries other traffic too (apsmd's UDP, ARP); and a
	 * switch floods frames for other nodes' MACs until it learns them.
	 */
	if (skb->protocol != htons(ETH_P_NSH) || skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	if (apsm_nsh_peek(skb, &ctx))
		return apsm_dp_drop(an, apsm_nsh_reason_stat(ctx.reason));
	/* The origin (the node that created the flow's RDS entry) must be
	 * known. After the first hop the sender is the node of the instance
	 * that did the last hop, and it must be a peer; before it, any node
	 * holding the (replicated) entry may have sent it.
	 */
	if (ctx.origin != self && !apsm_peer_find(an, ctx.origin))
		return apsm_dp_drop(an, APSM_STATS_A_DROP_UNKNOWN_NODE);
	if (ctx.si < ctx.n) {
		inst = apsm_instance_find(an, ctx.path[ctx.n - ctx.si - 1]);
		if (!inst)
			return apsm_dp_drop(an, APSM_STATS_A_DROP_NO_INSTANCE);
		sender = inst->node;
		peer = sender != self ? apsm_peer_find(an, sender) : NULL;
		if (!peer)
			return apsm_dp_drop(an, APSM_STATS_A_DROP_UNKNOWN_NODE);
	}

	if (ctx.si) {
		/* only frames for this node's instances: no transit */
		inst = apsm_instance_find(an, apsm_nsh_next_hop(&ctx));
		if (!inst || !inst->local)
			return apsm_dp_drop(an, APSM_STATS_A_DROP_NO_INSTANCE);
	}
	/* Only peers speak NSH on the fabric: from the sender's own MAC
	 * once it is known (after the first hop), else from some peer's.
	 * A host on the fabric that is no peer cannot inject a path.
	 */
	src = eth_hdr(skb)->h_source;
	if (peer ? !ether_addr_equal(peer->lladdr, src) :
		   !apsm_peer_mac_known(an, src))
		return apsm_dp_drop(an, APSM_STATS_A_DROP_FABRIC_SRC);
	if (peer)
		apsm_peer_count_rx(peer);
	return apsm_dp_continue(an, skb, &ctx);
}

unsigned int apsm_dp_rx(struct apsm_port *port, struct sk_buff *skb)
{
	struct apsm_net *an = apsm_net(dev_net(skb->dev));
	unsigned int *depth = this_cpu_ptr(&apsm_dp_depth);
	unsigned int verdict;

	apsm_stats_inc(an, APSM_STATS_A_RX_PACKETS);
	apsm_port_count_rx(port);
	if (unlikely(*depth >= APSM_DP_DEPTH_MAX))
		return apsm_dp_drop(an, APSM_STATS_A_DROP_TTL);

	(*depth)++;
	switch (port->role) {
	case APSM_PORT_UPLINK:
		verdict = apsm_dp_uplink(an, port, skb);
		break;
	case APSM_PORT_FABRIC:
		verdict = apsm_dp_fabric(an, skb);
		break;
	case APSM_PORT_NF:
		verdict = apsm_dp_nf(an, port, skb);
		break;
	default:
		verdict = NF_ACCEPT;
		break;
	}
	(*depth)--;
	return verdict;
}
