/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ports: the netdevs this node is attached to, keyed by ifindex. Uplink
 * and fabric ports are configured (APSM_CMD_PORT_NEW); an instance's port
 * (role nf) is created and removed with its local instance.
 *
 * A port holds its device (netdev_hold) until the port is removed, at the
 * latest when the device is unregistered (src/notifier.c). Readers look
 * ports up under rcu_read_lock(); port->dev stays valid until they unlock
 * (unregister_netdevice waits for a grace period after its notifiers).
 * Writers hold rtnl_lock() then an->conf_lock.
 */
#ifndef _APSM_PORT_H
#define _APSM_PORT_H

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/u64_stats_sync.h>
#include <linux/xarray.h>
#include <linux/apsm.h>

struct apsm_net;
struct apsm_req;

#define APSM_PORTS_MAX		1024	/* uplink + fabric ports per netns */

struct apsm_port_stats {
	u64_stats_t rx_packets;
	u64_stats_t tx_packets;
	struct u64_stats_sync syncp;
};

struct apsm_port {
	int ifindex;			/* the table key */
	u8 role;			/* enum apsm_port_role */
	u32 instance_id;		/* role nf: the instance behind it */
	struct net_device *dev;		/* held while the port exists */
	netdevice_tracker dev_tracker;
	struct apsm_port_stats __percpu *stats;
	/* dp/hook.c (through apsm_port_ops): its netdev ingress hook
	 * (freed with the port)
	 */
	struct nf_hook_ops hook_ops;
	bool hooked;
	struct rcu_head rcu;
};

/* The per-netns table (struct apsm_net::ports). */
struct apsm_ports {
	struct xarray xa;		/* ifindex -> struct apsm_port */
	u32 count;			/* uplink + fabric (not nf) */
};

/* What a port needs from the packet path: its ingress hook, attached
 * when the port is created and detached when it goes. The dp layer
 * registers them at module init (dp/dp_net.c), before any port exists;
 * without them ports cannot be created (-EOPNOTSUPP).
 */
struct apsm_port_ops {
	int (*attach)(struct apsm_port *port);
	void (*detach)(struct apsm_port *port);
};

void apsm_port_set_ops(const struct apsm_port_ops *ops);

void apsm_ports_init(struct apsm_net *an);
void apsm_ports_exit(struct apsm_net *an);

/* RCU (or conf_lock): the port on @ifindex, or NULL. */
struct apsm_port *apsm_port_find(struct apsm_net *an, int ifindex);

/* Writers: rtnl_lock() then an->conf_lock held. These only change the
 * table; apsm_port_add()/apsm_port_remove() also bump an->generation and
 * send the event (@req: the request, or NULL).
 */
struct apsm_port *apsm_port_create(struct apsm_net *an, struct net_device *dev,
				   u8 role, u32 instance_id);
void apsm_port_destroy(struct apsm_net *an, struct apsm_port *port);
struct apsm_port *apsm_port_add(struct apsm_net *an, struct net_device *dev,
				u8 role, struct apsm_req *req);
void apsm_port_remove(struct apsm_net *an, struct apsm_port *port,
		      struct apsm_req *req);

void apsm_port_read_stats(const struct apsm_port *port, u64 *rx, u64 *tx);

static inline void apsm_port_count_rx(struct apsm_port *port)
{
	struct apsm_port_stats *s = this_cpu_ptr(port->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->rx_packets);
	u64_stats_update_end(&s->syncp);
}

static inline void apsm_port_count_tx(struct apsm_port *port)
{
	struct apsm_port_stats *s = this_cpu_ptr(port->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->tx_packets);
	u64_stats_update_end(&s->syncp);
}

#endif /* _APSM_PORT_H */
