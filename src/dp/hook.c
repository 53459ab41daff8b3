// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev ingress hook of every attached port (include/hook.h).
 */
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_netdev.h>

#include "dp/datapath.h"
#include "dp/hook.h"
#include "cfg/port.h"

static unsigned int apsm_hook_ingress(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	/* netfilter hooks run under rcu_read_lock() */
	return apsm_dp_rx(priv, skb);
}

int apsm_hook_attach(struct apsm_port *port)
{
	struct nf_hook_ops *ops = &port->hook_ops;
	int ret;

	ops->hook = apsm_hook_ingress;
	ops->priv = port;
	ops->pf = NFPROTO_NETDEV;
	ops->hooknum = NF_NETDEV_INGRESS;
	ops->priority = APSM_HOOK_PRIORITY;
	ops->dev = port->dev;
	ret = nf_register_net_hook(dev_net(port->dev), ops);
	if (!ret)
		port->hooked = true;
	return ret;
}

void apsm_hook_detach(struct apsm_port *port)
{
	if (!port->hooked)
		return;
	nf_unregister_net_hook(dev_net(port->dev), &port->hook_ops);
	port->hooked = false;
}
