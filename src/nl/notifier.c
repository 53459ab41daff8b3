// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev notifier. When a device is unregistered (deleted, or moved
 * to another netns), every configuration object of its netns lets go of
 * it: an uplink or fabric port is removed, an instance on it goes down
 * and loses its port (its LB table is rebuilt), and peers reached through
 * it become unreachable. Each change sends its event.
 *
 * Lock order: the notifier runs under rtnl_lock() and takes
 * an->conf_lock; request handlers that bind devices take rtnl_lock()
 * first too, so no device can be bound after its notifier ran.
 */
#include <linux/netdevice.h>

#include "cfg/instance.h"
#include "core/netns.h"
#include "nl/notifier.h"
#include "cfg/peer.h"
#include "cfg/port.h"

static void apsm_dev_gone(struct net_device *dev)
{
	struct apsm_net *an = apsm_net(dev_net(dev));
	struct apsm_port *port;

	mutex_lock(&an->conf_lock);
	port = apsm_port_find(an, dev->ifindex);
	if (port && port->dev == dev) {
		if (port->role == APSM_PORT_NF)
			apsm_instance_port_gone(an, port);
		else
			apsm_port_remove(an, port, NULL);
	}
	apsm_peers_dev_gone(an, dev);
	mutex_unlock(&an->conf_lock);
}

static int apsm_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event == NETDEV_UNREGISTER)
		apsm_dev_gone(dev);
	return NOTIFY_DONE;
}

static struct notifier_block apsm_netdev_nb = {
	.notifier_call = apsm_netdev_event,
};

int __init apsm_notifier_init(void)
{
	return register_netdevice_notifier(&apsm_netdev_nb);
}

void apsm_notifier_exit(void)
{
	/* Replays NETDEV_UNREGISTER for every device of every netns: all
	 * device references are dropped before the pernet state goes.
	 */
	unregister_netdevice_notifier(&apsm_netdev_nb);
}
