// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: the other nodes of the cluster and how to reach them (fabric
 * device + fabric MAC), keyed by node id.
 */
#include <linux/etherdevice.h>
#include <linux/hash.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "cfg/instance.h"
#include "cfg/lb.h"
#include "core/netns.h"
#include "core/event.h"
#include "cfg/peer.h"
#include "cfg/service.h"
#include "core/stats.h"

void apsm_peers_init(struct apsm_net *an)
{
	unsigned int i;

	an->peers->an = an;
	xa_init(&an->peers->xa);
	for (i = 0; i < ARRAY_SIZE(an->peers->by_mac); i++)
		INIT_HLIST_HEAD(&an->peers->by_mac[i]);
	an->peers->count = 0;
	an->peers->down = 0;
	INIT_LIST_HEAD(&an->peers->lb_down_node);
}

struct apsm_peer *apsm_peer_find(struct apsm_net *an, u32 node_id)
{
	return xa_load(&an->peers->xa, node_id);
}

static struct hlist_head *apsm_peer_mac_bucket(struct apsm_peers *peers,
					       const u8 *mac)
{
	return &peers->by_mac[hash_64(ether_addr_to_u64(mac),
				      APSM_PEER_MAC_BITS)];
}

bool apsm_peer_mac_known(struct apsm_net *an, const u8 *mac)
{
	struct apsm_peer *peer;

	hlist_for_each_entry_rcu(peer, apsm_peer_mac_bucket(an->peers, mac),
				 mac_node, lockdep_is_held(&an->conf_lock))
		if (ether_addr_equal(peer->lladdr, mac))
			return true;
	return false;
}

static void apsm_peer_free_rcu(struct rcu_head *head)
{
	struct apsm_peer *peer = container_of(head, struct apsm_peer, rcu);

	free_percpu(peer->stats);
	kfree(peer);
}

/* Drop the fabric device: the peer is unreachable from now on. */
static void apsm_peer_put_dev(struct apsm_peer *peer)
{
	struct net_device *dev = rcu_dereference_protected(peer->dev, true);

	if (!dev)
		return;
	RCU_INIT_POINTER(peer->dev, NULL);
	WRITE_ONCE(peer->ifindex, 0);
	netdev_put(dev, &peer->dev_tracker);
}

struct apsm_peer *apsm_peer_create(struct apsm_net *an, u32 id,
				   struct net_device *dev, const u8 *lladdr,
				   struct apsm_req *req)
{
	struct apsm_peer *peer;
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&an->conf_lock);

	if (an->peers->count >= APSM_PEERS_MAX)
		return ERR_PTR(-ENOSPC);
	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return ERR_PTR(-ENOMEM);
	peer->stats = netdev_alloc_pcpu_stats(struct apsm_peer_stats);
	if (!peer->stats) {
		kfree(peer);
		return ERR_PTR(-ENOMEM);
	}
	peer->id = id;
	peer->state = APSM_PEER_UP;
	ether_addr_copy(peer->lladdr, lladdr);
	peer->ifindex = dev->ifindex;
	netdev_hold(dev, &peer->dev_tracker, GFP_KERNEL);
	RCU_INIT_POINTER(peer->dev, dev);

	ret = xa_insert(&an->peers->xa, id, peer, GFP_KERNEL);
	if (ret) {
		apsm_peer_put_dev(peer);
		free_percpu(peer->stats);
		kfree(peer);
		return ERR_PTR(ret == -EBUSY ? -EEXIST : ret);
	}
	hlist_add_head_rcu(&peer->mac_node,
			   apsm_peer_mac_bucket(an->peers, peer->lladdr));
	an->peers->count++;
	an->generation++;
	apsm_event(an, APSM_EV_PEER_NEW, peer, req);
	return peer;
}

/* Rebuild the LB table of every service with an instance of node @node
 * (its owner's state changed). conf_lock.
 */
static void apsm_peer_lb_rebuild(struct apsm_net *an, u32 node)
{
	struct apsm_service *svc;
	struct apsm_instance *inst;
	unsigned long idx;

	lockdep_assert_held(&an->conf_lock);
	xa_for_each(&an->services->xa, idx, svc) {
		list_for_each_entry(inst, &svc->instances, svc_node) {
			if (inst->node != node || inst->local)
				continue;
			if (apsm_lb_rebuild(svc))
				pr_warn_ratelimited("peer %u: LB table of service %s could not be rebuilt: kept the old one\n",
						    node, svc->name);
			break;
		}
	}
}

/* Count one more (@down) or one less peer down; the LB's list of netns
 * with a peer down follows the count.
 */
static void apsm_peer_account_down(struct apsm_net *an, bool down)
{
	u32 n = an->peers->down;

	if (down)
		n++;
	else if (!WARN_ON_ONCE(!n))
		n--;
	WRITE_ONCE(an->peers->down, n);
	if (n)
		apsm_lb_down_net_add(an);
	else
		apsm_lb_down_net_del(an);
}

void apsm_peer_set_state(struct apsm_net *an, struct apsm_peer *peer,
			 u8 state, struct apsm_req *req)
{
	lockdep_assert_held(&an->conf_lock);

	if (peer->state == state)
		return;
	/* State first, then the count the packet path checks first: a
	 * reader that sees the count sees the state.
	 */
	WRITE_ONCE(peer->state, state);
	smp_wmb();
	apsm_peer_account_down(an, state == APSM_PEER_DOWN);
	apsm_peer_lb_rebuild(an, peer->id);
	an->generation++;
	apsm_event(an, APSM_EV_PEER_SET, peer, req);
}

void apsm_peer_destroy(struct apsm_net *an, struct apsm_peer *peer,
		       struct apsm_req *req)
{
	bool was_down = peer->state == APSM_PEER_DOWN;

	lockdep_assert_held(&an->conf_lock);

	xa_erase(&an->peers->xa, peer->id);
	hlist_del_rcu(&peer->mac_node);
	/* Its instances count as up again (nothing says otherwise). */
	if (was_down) {
		apsm_peer_account_down(an, false);
		apsm_peer_lb_rebuild(an, peer->id);
	}
	an->peers->count--;
	an->generation++;
	apsm_event(an, APSM_EV_PEER_DEL, peer, req);
	/* Readers that still see the peer may still use its device: it is
	 * not freed before they are done (see include/port.h).
	 */
	apsm_peer_put_dev(peer);
	call_rcu(&peer->rcu, apsm_peer_free_rcu);
}

void apsm_peers_dev_gone(struct apsm_net *an, struct net_device *dev)
{
	struct apsm_peer *peer;
	unsigned long id;

	lockdep_assert_held(&an->conf_lock);

	xa_for_each(&an->peers->xa, id, peer) {
		if (rcu_access_pointer(peer->dev) != dev)
			continue;
		apsm_peer_put_dev(peer);
		an->generation++;
		/* There is no PEER_SET: NEW announces the changed peer. */
		apsm_event(an, APSM_EV_PEER_NEW, peer, NULL);
	}
}

int apsm_peers_check_node_id(struct apsm_net *an, u32 new_id,
			     struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&an->conf_lock);

	if (!apsm_peer_find(an, new_id))
		return 0;
	NL_SET_ERR_MSG(extack, "a peer has this node id: delete it first");
	return -EBUSY;
}

void apsm_peer_read_stats(const struct apsm_peer *peer, u64 *tx, u64 *rx)
{
	u64 sum[2] = {};	/* struct apsm_peer_stats order */

	APSM_PCPU_SUM(peer->stats, struct apsm_peer_stats, sum);
	*tx = sum[0];
	*rx = sum[1];
}

void apsm_peers_exit(struct apsm_net *an)
{
	struct apsm_peer *peer;
	unsigned long id;

	/* The netns's devices are gone and the notifier dropped them; at
	 * module unload a live netns may still have some.
	 */
	mutex_lock(&an->conf_lock);
	xa_for_each(&an->peers->xa, id, peer) {
		xa_erase(&an->peers->xa, id);
		hlist_del_rcu(&peer->mac_node);
		apsm_peer_put_dev(peer);
		call_rcu(&peer->rcu, apsm_peer_free_rcu);
	}
	an->peers->count = 0;
	an->peers->down = 0;
	apsm_lb_down_net_del(an);
	xa_destroy(&an->peers->xa);
	mutex_unlock(&an->conf_lock);
}
