// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: the netdevs this node is attached to (uplink, fabric, and the
 * ports of its local instances), keyed by ifindex.
 */
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "core/netns.h"
#include "core/event.h"
#include "cfg/port.h"
#include "core/stats.h"

static const struct apsm_port_ops *apsm_port_ops;

void apsm_port_set_ops(const struct apsm_port_ops *ops)
{
	WRITE_ONCE(apsm_port_ops, ops);
}

static int apsm_port_attach(struct apsm_port *port)
{
	const struct apsm_port_ops *ops = READ_ONCE(apsm_port_ops);

	return ops ? ops->attach(port) : -EOPNOTSUPP;
}

static void apsm_port_detach(struct apsm_port *port)
{
	const struct apsm_port_ops *ops = READ_ONCE(apsm_port_ops);

	if (port->hooked && !WARN_ON_ONCE(!ops))
		ops->detach(port);
}

void apsm_ports_init(struct apsm_net *an)
{
	xa_init(&an->ports->xa);
	an->ports->count = 0;
}

struct apsm_port *apsm_port_find(struct apsm_net *an, int ifindex)
{
	if (ifindex <= 0)
		return NULL;
	return xa_load(&an->ports->xa, ifindex);
}

static void apsm_port_free_rcu(struct rcu_head *head)
{
	struct apsm_port *port = container_of(head, struct apsm_port, rcu);

	free_percpu(port->stats);
	kfree(port);
}

struct apsm_port *apsm_port_create(struct apsm_net *an, struct net_device *dev,
				   u8 role, u32 instance_id)
{
	struct apsm_port *port;
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&an->conf_lock);

	if (role != APSM_PORT_NF && an->ports->count >= APSM_PORTS_MAX)
		return ERR_PTR(-ENOSPC);
	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return ERR_PTR(-ENOMEM);
	port->stats = netdev_alloc_pcpu_stats(struct apsm_port_stats);
	if (!port->stats) {
		kfree(port);
		return ERR_PTR(-ENOMEM);
	}
	port->ifindex = dev->ifindex;
	port->role = role;
	port->instance_id = instance_id;
	port->dev = dev;
	netdev_hold(dev, &port->dev_tracker, GFP_KERNEL);

	ret = xa_insert(&an->ports->xa, port->ifindex, port, GFP_KERNEL);
	if (ret) {
		netdev_put(dev, &port->dev_tracker);
		free_percpu(port->stats);
		kfree(port);
		return ERR_PTR(ret == -EBUSY ? -EEXIST : ret);
	}
	ret = apsm_port_attach(port);
	if (ret) {
		xa_erase(&an->ports->xa, port->ifindex);
		netdev_put(dev, &port->dev_tracker);
		call_rcu(&port->rcu, apsm_port_free_rcu);
		return ERR_PTR(ret);
	}
	if (role != APSM_PORT_NF)
		an->ports->count++;
	return port;
}

void apsm_port_destroy(struct apsm_net *an, struct apsm_port *port)
{
	lockdep_assert_held(&an->conf_lock);

	apsm_port_detach(port);
	xa_erase(&an->ports->xa, port->ifindex);
	if (port->role != APSM_PORT_NF)
		an->ports->count--;
	/* RCU readers that found the port may use port->dev until they
	 * unlock: if the device is unregistered meanwhile, it is not freed
	 * before a grace period after the notifiers ran.
	 */
	netdev_put(port->dev, &port->dev_tracker);
	call_rcu(&port->rcu, apsm_port_free_rcu);
}

struct apsm_port *apsm_port_add(struct apsm_net *an, struct net_device *dev,
				u8 role, struct apsm_req *req)
{
	struct apsm_port *port;

	port = apsm_port_create(an, dev, role, 0);
	if (IS_ERR(port))
		return port;
	an->generation++;
	apsm_event(an, APSM_EV_PORT_NEW, port, req);
	return port;
}

void apsm_port_remove(struct apsm_net *an, struct apsm_port *port,
		      struct apsm_req *req)
{
	an->generation++;
	apsm_event(an, APSM_EV_PORT_DEL, port, req);
	apsm_port_destroy(an, port);
}

void apsm_port_read_stats(const struct apsm_port *port, u64 *rx, u64 *tx)
{
	u64 sum[2] = {};	/* struct apsm_port_stats order */

	APSM_PCPU_SUM(port->stats, struct apsm_port_stats, sum);
	*rx = sum[0];
	*tx = sum[1];
}

void apsm_ports_exit(struct apsm_net *an)
{
	struct apsm_port *port;
	unsigned long idx;

	/* Instance ports went with their instances (apsm_instances_exit()
	 * runs first); what is left are uplink and fabric ports whose
	 * devices outlive the netns's APSM state (module unload).
	 */
	mutex_lock(&an->conf_lock);
	xa_for_each(&an->ports->xa, idx, port) {
		apsm_port_detach(port);
		xa_erase(&an->ports->xa, idx);
		netdev_put(port->dev, &port->dev_tracker);
		call_rcu(&port->rcu, apsm_port_free_rcu);
	}
	an->ports->count = 0;
	xa_destroy(&an->ports->xa);
	mutex_unlock(&an->conf_lock);
}
