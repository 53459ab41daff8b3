/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peers: the other nodes of the cluster, keyed by node id. A peer is
 * reached by sending NSH frames out of a fabric device to its fabric MAC.
 *
 * Readers (the packet path) look peers up under rcu_read_lock(); writers
 * hold an->conf_lock, and rtnl_lock() before it when they bind a device.
 */
#ifndef _APSM_PEER_H
#define _APSM_PEER_H

#include <linux/if_ether.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>
#include <linux/xarray.h>
#include <linux/apsm.h>

struct apsm_net;
struct apsm_req;
struct netlink_ext_ack;

#define APSM_PEERS_MAX		1024	/* per netns */

struct apsm_peer_stats {
	u64_stats_t tx_packets;		/* NSH frames sent to it */
	u64_stats_t rx_packets;		/* NSH frames received from it */
	struct u64_stats_sync syncp;
};

struct apsm_peer {
	u32 id;				/* its node id; the table key */
	/* The fabric device towards it, held. NULL (and ifindex 0) once
	 * that device went away: the peer is unreachable until re-added.
	 */
	struct net_device __rcu *dev;
	int ifindex;
	netdevice_tracker dev_tracker;
	u8 lladdr[ETH_ALEN];		/* its fabric MAC */
	struct hlist_node mac_node;	/* in apsm_peers::by_mac, RCU */
	/* enum apsm_peer_state: READ_ONCE() on the packet path, written
	 * under conf_lock (apsm_peer_set_state()).
	 */
	u8 state;
	/* Replication figures apsmd reports (APSM_PEER_A_REPL), indexed
	 * by APSM_PEER_REPL_A_*; conf_lock.
	 */
	u64 repl[__APSM_PEER_REPL_A_MAX];
	struct apsm_peer_stats __percpu *stats;
	struct rcu_head rcu;
};

/* The per-netns table (struct apsm_net::peers). */
struct apsm_peers {
	struct xarray xa;		/* node id -> struct apsm_peer */
	/* fabric MAC -> peers (RCU readers, conf_lock writers): fabric
	 * frames are only taken from a peer's MAC
	 */
#define APSM_PEER_MAC_BITS	8
	struct hlist_head by_mac[1 << APSM_PEER_MAC_BITS];
	u32 count;
	/* Peers in state down: READ_ONCE() on the packet path (nonzero:
	 * look closer), written under conf_lock.
	 */
	u32 down;
	/* In the LB's list of netns with a peer down while down > 0
	 * (src/lb.c); conf_lock, then the LB's own lock.
	 */
	struct list_head lb_down_node;
	struct apsm_net *an;		/* the netns these are of */
};

/* RCU or conf_lock: whether node @node is a peer in state down. Its
 * instances then take no new flows (the LB leaves them out), and pinned
 * flows through them follow the node's APSM_NODE_A_PEERDOWN policy.
 */
static inline bool apsm_peers_node_down(struct apsm_peers *peers, u32 node)
{
	const struct apsm_peer *peer;

	if (likely(!READ_ONCE(peers->down)))
		return false;
	peer = xa_load(&peers->xa, node);
	return peer && READ_ONCE(peer->state) == APSM_PEER_DOWN;
}

void apsm_peers_init(struct apsm_net *an);
void apsm_peers_exit(struct apsm_net *an);

/* RCU (or conf_lock): the peer with node id @node_id, or NULL. */
struct apsm_peer *apsm_peer_find(struct apsm_net *an, u32 node_id);
/* RCU: whether some peer's fabric MAC is @mac. */
bool apsm_peer_mac_known(struct apsm_net *an, const u8 *mac);

/* conf_lock: set @peer's state (enum apsm_peer_state). A change rebuilds
 * the LB table of every service with an instance of that node, bumps
 * an->generation and sends APSM_CMD_PEER_SET. A rebuild that fails keeps
 * the service's old table (svc->lb_stale, retried on the next change);
 * the packet path checks the owner's state of what it picks anyway.
 */
void apsm_peer_set_state(struct apsm_net *an, struct apsm_peer *peer,
			 u8 state, struct apsm_req *req);

/* Writers: rtnl_lock() then an->conf_lock held. Each change bumps
 * an->generation and sends an event (@info: the request, for NLM_F_ECHO;
 * NULL when the kernel made the change).
 */
struct apsm_peer *apsm_peer_create(struct apsm_net *an, u32 id,
				   struct net_device *dev, const u8 *lladdr,
				   struct apsm_req *req);
void apsm_peer_destroy(struct apsm_net *an, struct apsm_peer *peer,
		       struct apsm_req *req);
/* @dev is being unregistered: peers reached through it become
 * unreachable (ifindex 0).
 */
void apsm_peers_dev_gone(struct apsm_net *an, struct net_device *dev);
/* Refuse (-EBUSY, with an extack) a node id change to a peer's id. */
int apsm_peers_check_node_id(struct apsm_net *an, u32 new_id,
			     struct netlink_ext_ack *extack);

void apsm_peer_read_stats(const struct apsm_peer *peer, u64 *tx, u64 *rx);

static inline void apsm_peer_count_tx(struct apsm_peer *peer)
{
	struct apsm_peer_stats *s = this_cpu_ptr(peer->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->tx_packets);
	u64_stats_update_end(&s->syncp);
}

static inline void apsm_peer_count_rx(struct apsm_peer *peer)
{
	struct apsm_peer_stats *s = this_cpu_ptr(peer->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->rx_packets);
	u64_stats_update_end(&s->syncp);
}

#endif /* _APSM_PEER_H */
