// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_PORT_NEW / _DEL / _GET: the devices this node is attached to.
 */
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "cfg/port.h"

static struct netlink_range_validation apsm_port_ifindex_range = {
	.min = 1,
	.max = INT_MAX,
};

const struct nla_policy apsm_port_policy[APSM_PORT_A_MAX + 1] = {
	[APSM_PORT_A_IFINDEX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_port_ifindex_range),
	/* nf is in range so that it gets its own message below */
	[APSM_PORT_A_ROLE] = NLA_POLICY_RANGE(NLA_U8, APSM_PORT_UPLINK,
					      APSM_PORT_NF),
	[APSM_PORT_A_IFNAME] = APSM_NLA_RO,
	[APSM_PORT_A_RX_PACKETS] = APSM_NLA_RO,
	[APSM_PORT_A_TX_PACKETS] = APSM_NLA_RO,
};

static int apsm_port_fill(struct sk_buff *skb, const struct apsm_port *port)
{
	char ifname[IFNAMSIZ];
	struct nlattr *nest;
	u64 rx, tx;

	apsm_port_read_stats(port, &rx, &tx);
	/* The port holds its device; a concurrent rename is harmless. */
	strscpy(ifname, port->dev->name, sizeof(ifname));
	nest = nla_nest_start(skb, APSM_A_PORT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, APSM_PORT_A_IFINDEX, port->ifindex) ||
	    nla_put_u8(skb, APSM_PORT_A_ROLE, port->role) ||
	    nla_put_string(skb, APSM_PORT_A_IFNAME, ifname) ||
	    nla_put_u64_64bit(skb, APSM_PORT_A_RX_PACKETS, rx,
			      APSM_PORT_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_PORT_A_TX_PACKETS, tx,
			      APSM_PORT_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_port_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg);

void apsm_nl_port_notify(struct apsm_net *an, const struct apsm_port *port,
			 u8 cmd, struct genl_info *info)
{
	apsm_nl_obj_notify(an, info, cmd, apsm_port_dump_one, port);
}

static void *apsm_nl_port_lookup(struct apsm_net *an, struct nlattr **tb,
				 struct genl_info *info)
{
	struct apsm_port *port;

	if (apsm_nl_missing(info, APSM_A_PORT, tb, APSM_PORT_A_IFINDEX))
		return ERR_PTR(-EINVAL);
	port = apsm_port_find(an, nla_get_u32(tb[APSM_PORT_A_IFINDEX]));
	if (!port) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_PORT_A_IFINDEX],
				    "no such port");
		return ERR_PTR(-ENOENT);
	}
	return port;
}

static const struct apsm_nl_obj apsm_port_nl = {
	.nest = APSM_A_PORT,
	.maxtype = APSM_PORT_A_MAX,
	.policy = apsm_port_policy,
	.get_cmd = APSM_CMD_PORT_GET,
	.lookup = apsm_nl_port_lookup,
	.fill = apsm_port_dump_one,
};

int apsm_nl_port_new(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct apsm_net *an = apsm_net(net);
	struct nlattr *tb[APSM_PORT_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct apsm_port *port;
	struct net_device *dev;
	int ret;
	u8 role;

	ret = apsm_nl_parse(info, APSM_A_PORT, tb, APSM_PORT_A_MAX,
			    apsm_port_policy, true);
	if (ret)
		return ret;
	if (apsm_nl_missing(info, APSM_A_PORT, tb, APSM_PORT_A_IFINDEX) ||
	    apsm_nl_missing(info, APSM_A_PORT, tb, APSM_PORT_A_ROLE))
		return -EINVAL;
	role = nla_get_u8(tb[APSM_PORT_A_ROLE]);
	if (role == APSM_PORT_NF) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PORT_A_ROLE],
				    "role nf is given by adding an instance with this port");
		return -EINVAL;
	}

	rtnl_lock();
	mutex_lock(&an->conf_lock);
	dev = __dev_get_by_index(net, nla_get_u32(tb[APSM_PORT_A_IFINDEX]));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PORT_A_IFINDEX],
				    "no such device in this netns");
		ret = -ENODEV;
		goto out;
	}
	if (dev->type != ARPHRD_ETHER) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PORT_A_IFINDEX],
				    "not an Ethernet device");
		ret = -EOPNOTSUPP;
		goto out;
	}
	port = apsm_port_find(an, dev->ifindex);
	if (port) {
		if (port->role == APSM_PORT_NF) {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PORT_A_IFINDEX],
					    "device is an instance's port");
			ret = -EBUSY;
		} else {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PORT_A_IFINDEX],
					    "port already exists");
			ret = -EEXIST;
		}
		goto out;
	}
	port = apsm_port_add(an, dev, role, apsm_nl_req(info));
	ret = PTR_ERR_OR_ZERO(port);
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PORT_A_IFINDEX],
				    "too many ports in this netns (max 1024)");
out:
	mutex_unlock(&an->conf_lock);
	rtnl_unlock();
	return ret;
}

static int apsm_nl_port_del_one(struct apsm_net *an, void *obj,
				struct nlattr **tb, struct genl_info *info)
{
	struct apsm_port *port = obj;

	if (port->role == APSM_PORT_NF) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_PORT_A_IFINDEX],
				    "port belongs to an instance: delete the instance");
		return -EBUSY;
	}
	apsm_port_remove(an, port, apsm_nl_req(info));
	return 0;
}

int apsm_nl_port_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_PORT_A_MAX + 1];

	return apsm_nl_obj_act(info, &apsm_port_nl, tb, apsm_nl_port_del_one);
}

int apsm_nl_port_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_PORT_A_MAX + 1];

	return apsm_nl_obj_get(info, &apsm_port_nl, tb);
}

static int apsm_port_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg)
{
	return apsm_port_fill(skb, obj);
}

int apsm_nl_port_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(skb->sk));
	int ret;

	mutex_lock(&an->conf_lock);
	apsm_nl_dump_seq(cb, an->generation);
	ret = apsm_nl_dump_xa(skb, cb, &an->ports->xa, APSM_CMD_PORT_GET,
			      apsm_port_dump_one, NULL);
	mutex_unlock(&an->conf_lock);
	return ret;
}
