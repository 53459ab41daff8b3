// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_INSTANCE_NEW / _SET / _DEL / _GET: the NF instances of the
 * cluster.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include "dp/fprint.h"
#include "cfg/instance.h"
#include "cfg/lb.h"
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "cfg/port.h"
#include "cfg/service.h"

static struct netlink_range_validation apsm_instance_id_range = {
	.min = 1,
	.max = U32_MAX - 1,
};

static struct netlink_range_validation apsm_instance_ifindex_range = {
	.min = 1,
	.max = INT_MAX,
};

static struct netlink_range_validation apsm_instance_weight_range = {
	.min = 1,
	.max = APSM_WEIGHT_MAX,
};

const struct nla_policy apsm_instance_policy[APSM_INSTANCE_A_MAX + 1] = {
	[APSM_INSTANCE_A_NAME] = { .type = NLA_NUL_STRING,
				   .len = APSM_NAME_MAX - 1 },
	[APSM_INSTANCE_A_ID] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_instance_id_range),
	[APSM_INSTANCE_A_SERVICE] = { .type = NLA_NUL_STRING,
				      .len = APSM_NAME_MAX - 1 },
	[APSM_INSTANCE_A_NODE] = NLA_POLICY_MIN(NLA_U32, 1),
	[APSM_INSTANCE_A_IFINDEX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_instance_ifindex_range),
	[APSM_INSTANCE_A_MODE] = NLA_POLICY_RANGE(NLA_U8, APSM_MODE_NSH,
						  APSM_MODE_PROXY),
	[APSM_INSTANCE_A_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_instance_weight_range),
	[APSM_INSTANCE_A_STATE] = NLA_POLICY_RANGE(NLA_U8, APSM_STATE_UP,
						   APSM_STATE_DOWN),
	[APSM_INSTANCE_A_LLADDR] = NLA_POLICY_EXACT_LEN(ETH_ALEN),
	[APSM_INSTANCE_A_NOCTX] = NLA_POLICY_RANGE(NLA_U8, APSM_NOCTX_CLASSIFY,
						   APSM_NOCTX_DROP),
	[APSM_INSTANCE_A_TX_PACKETS] = APSM_NLA_RO,
	[APSM_INSTANCE_A_TX_BYTES] = APSM_NLA_RO,
	[APSM_INSTANCE_A_RX_PACKETS] = APSM_NLA_RO,
	[APSM_INSTANCE_A_RX_BYTES] = APSM_NLA_RO,
	[APSM_INSTANCE_A_FLOWS] = APSM_NLA_RO,
	[APSM_INSTANCE_A_DROPS] = APSM_NLA_RO,
	[APSM_INSTANCE_A_FPRINT_TTL] = NLA_POLICY_RANGE(NLA_U32,
						APSM_FPRINT_TTL_MIN,
						APSM_FPRINT_TTL_MAX),
	[APSM_INSTANCE_A_REC_KEY] = APSM_NLA_RO,
	[APSM_INSTANCE_A_REC_LEARNED] = APSM_NLA_RO,
	[APSM_INSTANCE_A_REC_FPRINT] = APSM_NLA_RO,
	[APSM_INSTANCE_A_UNRECOVERED] = APSM_NLA_RO,
	[APSM_INSTANCE_A_FPRINT_ENTRIES] = APSM_NLA_RO,
	[APSM_INSTANCE_A_FPRINT_SIZE] = APSM_NLA_RO,
	[APSM_INSTANCE_A_FPRINT_EVICTIONS] = APSM_NLA_RO,
	[APSM_INSTANCE_A_FPRINT_COLLISIONS] = APSM_NLA_RO,
};

/* Proxy mode: how frames came back, and the fingerprint table. */
static int apsm_instance_fill_proxy(struct sk_buff *skb,
				    const struct apsm_instance *inst,
				    const struct apsm_instance_counters *c)
{
	struct apsm_fprint_counters fc = {};

	if (inst->mode != APSM_MODE_PROXY)
		return 0;
	if (inst->fprint)
		apsm_fprint_read(inst->fprint, &fc);
	if (nla_put_u32(skb, APSM_INSTANCE_A_FPRINT_TTL,
			READ_ONCE(inst->fprint_ttl_ms)) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_REC_KEY,
			      c->proxy[APSM_PROXY_REC_KEY],
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_REC_LEARNED,
			      c->proxy[APSM_PROXY_REC_LEARNED],
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_REC_FPRINT,
			      c->proxy[APSM_PROXY_REC_FPRINT],
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_UNRECOVERED,
			      c->proxy[APSM_PROXY_REC_NONE],
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u32(skb, APSM_INSTANCE_A_FPRINT_ENTRIES, fc.entries) ||
	    nla_put_u32(skb, APSM_INSTANCE_A_FPRINT_SIZE,
			inst->fprint ? APSM_FPRINT_SIZE : 0) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_FPRINT_EVICTIONS,
			      fc.evictions, APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_FPRINT_COLLISIONS,
			      fc.collisions, APSM_INSTANCE_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int apsm_instance_fill(struct sk_buff *skb,
			      const struct apsm_instance *inst)
{
	struct apsm_instance_counters c;
	const struct apsm_port *port;
	struct nlattr *nest;
	u8 mac[ETH_ALEN];
	int ifindex = 0;

	apsm_instance_read_stats(inst, &c);
	rcu_read_lock();
	port = rcu_dereference(inst->port);
	if (port)
		ifindex = port->ifindex;
	rcu_read_unlock();

	nest = nla_nest_start(skb, APSM_A_INSTANCE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, APSM_INSTANCE_A_NAME, inst->name) ||
	    nla_put_u32(skb, APSM_INSTANCE_A_ID, inst->id) ||
	    nla_put_string(skb, APSM_INSTANCE_A_SERVICE, inst->svc->name) ||
	    nla_put_u32(skb, APSM_INSTANCE_A_NODE, inst->node) ||
	    (ifindex && nla_put_u32(skb, APSM_INSTANCE_A_IFINDEX, ifindex)) ||
	    nla_put_u8(skb, APSM_INSTANCE_A_MODE, inst->mode) ||
	    nla_put_u32(skb, APSM_INSTANCE_A_WEIGHT, READ_ONCE(inst->weight)) ||
	    nla_put_u8(skb, APSM_INSTANCE_A_STATE, READ_ONCE(inst->state)) ||
	    (apsm_instance_lladdr(inst, mac) &&
	     nla_put(skb, APSM_INSTANCE_A_LLADDR, ETH_ALEN, mac)) ||
	    nla_put_u8(skb, APSM_INSTANCE_A_NOCTX, READ_ONCE(inst->noctx)) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_TX_PACKETS, c.tx_packets,
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_TX_BYTES, c.tx_bytes,
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_RX_PACKETS, c.rx_packets,
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_RX_BYTES, c.rx_bytes,
			      APSM_INSTANCE_A_PAD) ||
	    nla_put_u32(skb, APSM_INSTANCE_A_FLOWS,
			max(atomic_read(&inst->flows), 0)) ||
	    nla_put_u64_64bit(skb, APSM_INSTANCE_A_DROPS, c.drops,
			      APSM_INSTANCE_A_PAD) ||
	    apsm_instance_fill_proxy(skb, inst, &c)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_instance_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg);

void apsm_nl_instance_notify(struct apsm_net *an,
			     const struct apsm_instance *inst, u8 cmd,
			     struct genl_info *info)
{
	apsm_nl_obj_notify(an, info, cmd, apsm_instance_dump_one, inst);
}

/* The instance a request names by ID and/or NAME. */
static void *apsm_nl_instance_lookup(struct apsm_net *an, struct nlattr **tb,
				     struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *name = tb[APSM_INSTANCE_A_NAME];
	struct apsm_instance *inst;
	int ret;

	if (name) {
		ret = apsm_nl_check_name(name, extack);
		if (ret)
			return ERR_PTR(ret);
	}
	if (tb[APSM_INSTANCE_A_ID]) {
		inst = apsm_instance_find(an,
					  nla_get_u32(tb[APSM_INSTANCE_A_ID]));
		if (!inst) {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_ID],
					    "no such instance");
			return ERR_PTR(-ENOENT);
		}
		if (name && strcmp(inst->name, nla_data(name))) {
			NL_SET_ERR_MSG_ATTR(extack, name,
					    "NAME and ID name different instances");
			return ERR_PTR(-EINVAL);
		}
		return inst;
	}
	if (!name) {
		NL_SET_ERR_ATTR_MISS(extack, info->attrs[APSM_A_INSTANCE],
				     APSM_INSTANCE_A_NAME);
		NL_SET_ERR_MSG(extack,
			       "missing APSM_INSTANCE_A_NAME or APSM_INSTANCE_A_ID");
		return ERR_PTR(-EINVAL);
	}
	inst = apsm_instance_find_name(an, nla_data(name));
	if (!inst) {
		NL_SET_ERR_MSG_ATTR(extack, name, "no such instance");
		return ERR_PTR(-ENOENT);
	}
	return inst;
}

static const struct apsm_nl_obj apsm_instance_nl = {
	.nest = APSM_A_INSTANCE,
	.maxtype = APSM_INSTANCE_A_MAX,
	.policy = apsm_instance_policy,
	.get_cmd = APSM_CMD_INSTANCE_GET,
	.lookup = apsm_nl_instance_lookup,
	.fill = apsm_instance_dump_one,
};

/* The device for an instance's port: exists here, Ethernet, and not a
 * port yet (@self: except for this instance's own port).
 */
static struct net_device *apsm_nl_instance_dev(struct apsm_net *an,
					       struct nlattr *attr,
					       const struct apsm_instance *self,
					       struct netlink_ext_ack *extack)
{
	struct apsm_port *port;
	struct net_device *dev;

	dev = __dev_get_by_index(an->net, nla_get_u32(attr));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such device in this netns");
		return ERR_PTR(-ENODEV);
	}
	if (dev->type != ARPHRD_ETHER) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "not an Ethernet device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	port = apsm_port_find(an, dev->ifindex);
	if (port && !(self && port->role == APSM_PORT_NF &&
		      port->instance_id == self->id)) {
		if (port->role == APSM_PORT_NF)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "device is another instance's port");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "device is an uplink or fabric port");
		return ERR_PTR(-EBUSY);
	}
	return dev;
}

static int apsm_nl_lladdr(struct nlattr *attr, bool zero_ok,
			  struct netlink_ext_ack *extack)
{
	const u8 *mac = nla_data(attr);

	if (is_valid_ether_addr(mac) || (zero_ok && is_zero_ether_addr(mac)))
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, attr, "not a unicast MAC address");
	return -EINVAL;
}

/* The end of NEW and SET: check LLADDR (@zero_ok: SET may clear it), then
 * run @locked under the RTNL and an->conf_lock.
 */
static int apsm_nl_instance_run(struct genl_info *info, struct nlattr **tb,
				bool zero_ok,
				int (*locked)(struct apsm_net *an,
					      struct nlattr **tb,
					      struct genl_info *info))
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	int ret;

	if (tb[APSM_INSTANCE_A_LLADDR]) {
		ret = apsm_nl_lladdr(tb[APSM_INSTANCE_A_LLADDR], zero_ok,
				     info->extack);
		if (ret)
			return ret;
	}
	rtnl_lock();
	mutex_lock(&an->conf_lock);
	ret = locked(an, tb, info);
	mutex_unlock(&an->conf_lock);
	rtnl_unlock();
	return ret;
}

static int apsm_nl_instance_new_locked(struct apsm_net *an,
				       struct nlattr **tb,
				       struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct apsm_instance_params p = {
		.name = nla_data(tb[APSM_INSTANCE_A_NAME]),
		.mode = APSM_MODE_PROXY,
		.state = APSM_STATE_UP,
		.noctx = APSM_NOCTX_CLASSIFY,
		.weight = APSM_WEIGHT_DEFAULT,
	};
	struct apsm_instance *inst;

	if (apsm_instance_find_name(an, p.name)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_NAME],
				    "instance already exists");
		return -EEXIST;
	}
	if (tb[APSM_INSTANCE_A_ID]) {
		p.id = nla_get_u32(tb[APSM_INSTANCE_A_ID]);
		if (apsm_instance_find(an, p.id)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_ID],
					    "instance id in use");
			return -EEXIST;
		}
	}
	p.svc = apsm_service_find_name(an,
				       nla_data(tb[APSM_INSTANCE_A_SERVICE]));
	if (!p.svc) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_SERVICE],
				    "no such service");
		return -ENOENT;
	}
	if (an->instances->count >= APSM_INSTANCES_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_NAME],
				    "too many instances in this netns (max 4096)");
		return -ENOSPC;
	}
	if (p.svc->n_instances >= APSM_LB_INSTANCES_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_SERVICE],
				    "too many instances of this service (max 1024)");
		return -ENOSPC;
	}

	p.node = tb[APSM_INSTANCE_A_NODE] ?
		 nla_get_u32(tb[APSM_INSTANCE_A_NODE]) : an->node_id;
	p.local = p.node == an->node_id;
	if (p.local) {
		if (apsm_nl_missing(info, APSM_A_INSTANCE, tb,
				    APSM_INSTANCE_A_IFINDEX))
			return -EINVAL;
		p.dev = apsm_nl_instance_dev(an, tb[APSM_INSTANCE_A_IFINDEX],
					     NULL, extack);
		if (IS_ERR(p.dev))
			return PTR_ERR(p.dev);
	} else {
		if (tb[APSM_INSTANCE_A_IFINDEX]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_IFINDEX],
					    "an instance of another node has no port here");
			return -EINVAL;
		}
		if (!p.id) {
			NL_SET_ERR_ATTR_MISS(extack,
					     info->attrs[APSM_A_INSTANCE],
					     APSM_INSTANCE_A_ID);
			NL_SET_ERR_MSG(extack,
				       "an instance of another node needs its APSM_INSTANCE_A_ID");
			return -EINVAL;
		}
	}
	if (!p.id && an->node_id >= BIT(32 - APSM_INSTANCE_ID_SHIFT)) {
		NL_SET_ERR_ATTR_MISS(extack, info->attrs[APSM_A_INSTANCE],
				     APSM_INSTANCE_A_ID);
		NL_SET_ERR_MSG(extack,
			       "node id above 4095: automatic instance ids need a smaller one, give APSM_INSTANCE_A_ID");
		return -EINVAL;
	}

	if (tb[APSM_INSTANCE_A_MODE])
		p.mode = nla_get_u8(tb[APSM_INSTANCE_A_MODE]);
	if (tb[APSM_INSTANCE_A_STATE])
		p.state = nla_get_u8(tb[APSM_INSTANCE_A_STATE]);
	if (tb[APSM_INSTANCE_A_NOCTX])
		p.noctx = nla_get_u8(tb[APSM_INSTANCE_A_NOCTX]);
	if (tb[APSM_INSTANCE_A_FPRINT_TTL])
		p.fprint_ttl_ms = nla_get_u32(tb[APSM_INSTANCE_A_FPRINT_TTL]);
	if (tb[APSM_INSTANCE_A_WEIGHT])
		p.weight = nla_get_u32(tb[APSM_INSTANCE_A_WEIGHT]);
	if (tb[APSM_INSTANCE_A_LLADDR])
		p.lladdr = nla_data(tb[APSM_INSTANCE_A_LLADDR]);

	inst = apsm_instance_create(an, &p, apsm_nl_req(info));
	if (IS_ERR(inst)) {
		if (PTR_ERR(inst) == -ENOSPC)
			NL_SET_ERR_MSG(extack, "no free automatic instance id");
		return PTR_ERR(inst);
	}
	return 0;
}

int apsm_nl_instance_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];
	int ret;

	ret = apsm_nl_parse(info, APSM_A_INSTANCE, tb, APSM_INSTANCE_A_MAX,
			    apsm_instance_policy, true);
	if (ret)
		return ret;
	if (apsm_nl_missing(info, APSM_A_INSTANCE, tb, APSM_INSTANCE_A_NAME) ||
	    apsm_nl_missing(info, APSM_A_INSTANCE, tb,
			    APSM_INSTANCE_A_SERVICE))
		return -EINVAL;
	ret = apsm_nl_check_name(tb[APSM_INSTANCE_A_NAME], info->extack) ?:
	      apsm_nl_check_name(tb[APSM_INSTANCE_A_SERVICE], info->extack);
	if (ret)
		return ret;
	return apsm_nl_instance_run(info, tb, false,
				    apsm_nl_instance_new_locked);
}

/* SET may repeat what cannot change, but not change it. */
static int apsm_nl_instance_fixed(const struct apsm_instance *inst,
				  struct nlattr **tb,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *bad = NULL;

	if (tb[APSM_INSTANCE_A_SERVICE] &&
	    strcmp(nla_data(tb[APSM_INSTANCE_A_SERVICE]), inst->svc->name))
		bad = tb[APSM_INSTANCE_A_SERVICE];
	else if (tb[APSM_INSTANCE_A_NODE] &&
		 nla_get_u32(tb[APSM_INSTANCE_A_NODE]) != inst->node)
		bad = tb[APSM_INSTANCE_A_NODE];
	else if (tb[APSM_INSTANCE_A_MODE] &&
		 nla_get_u8(tb[APSM_INSTANCE_A_MODE]) != inst->mode)
		bad = tb[APSM_INSTANCE_A_MODE];
	if (!bad)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, bad,
			    "cannot be changed: delete and re-add the instance");
	return -EOPNOTSUPP;
}

static int apsm_nl_instance_set_locked(struct apsm_net *an,
				       struct nlattr **tb,
				       struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct apsm_instance_change c = {};
	struct apsm_instance *inst;
	bool has_port;
	int ret;

	inst = apsm_nl_instance_lookup(an, tb, info);
	if (IS_ERR(inst))
		return PTR_ERR(inst);
	ret = apsm_nl_instance_fixed(inst, tb, extack);
	if (ret)
		return ret;
	if (tb[APSM_INSTANCE_A_WEIGHT])
		c.weight = nla_get_u32(tb[APSM_INSTANCE_A_WEIGHT]);
	if (tb[APSM_INSTANCE_A_STATE])
		c.state = nla_get_u8(tb[APSM_INSTANCE_A_STATE]);
	if (tb[APSM_INSTANCE_A_NOCTX])
		c.noctx = nla_get_u8(tb[APSM_INSTANCE_A_NOCTX]);
	if (tb[APSM_INSTANCE_A_FPRINT_TTL])
		c.fprint_ttl_ms = nla_get_u32(tb[APSM_INSTANCE_A_FPRINT_TTL]);
	if (tb[APSM_INSTANCE_A_LLADDR])
		c.lladdr = nla_data(tb[APSM_INSTANCE_A_LLADDR]);

	has_port = rcu_access_pointer(inst->port);
	if (tb[APSM_INSTANCE_A_IFINDEX]) {
		struct net_device *dev;

		if (!inst->local) {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_IFINDEX],
					    "an instance of another node has no port here");
			return -EINVAL;
		}
		dev = apsm_nl_instance_dev(an, tb[APSM_INSTANCE_A_IFINDEX],
					   inst, extack);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		/* Its own port already: nothing to move. */
		if (!apsm_port_find(an, dev->ifindex))
			c.dev = dev;
		has_port = true;
	}
	if (inst->local && !has_port &&
	    (c.state ?: inst->state) == APSM_STATE_UP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_INSTANCE_A_STATE],
				    "the instance's device went away: give APSM_INSTANCE_A_IFINDEX to bring it up");
		return -EINVAL;
	}
	return apsm_instance_change(an, inst, &c, apsm_nl_req(info));
}

int apsm_nl_instance_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];
	int ret;

	ret = apsm_nl_parse(info, APSM_A_INSTANCE, tb, APSM_INSTANCE_A_MAX,
			    apsm_instance_policy, true);
	if (ret)
		return ret;
	return apsm_nl_instance_run(info, tb, true,
				    apsm_nl_instance_set_locked);
}

static int apsm_nl_instance_del_one(struct apsm_net *an, void *obj,
				    struct nlattr **tb, struct genl_info *info)
{
	return apsm_instance_destroy(an, obj, apsm_nl_req(info));
}

int apsm_nl_instance_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];

	return apsm_nl_obj_act(info, &apsm_instance_nl, tb,
			       apsm_nl_instance_del_one);
}

int apsm_nl_instance_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];

	return apsm_nl_obj_get(info, &apsm_instance_nl, tb);
}

/* The dump's filter: the SERVICE attribute of the request, if any. The
 * parsed request stays valid for the whole dump. Only SERVICE filters.
 */
static struct nlattr *apsm_instance_dump_filter(struct netlink_callback *cb,
						struct netlink_ext_ack *extack)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];

	if (!di->attrs[APSM_A_INSTANCE])
		return NULL;
	if (nla_parse_nested(tb, APSM_INSTANCE_A_MAX,
			     di->attrs[APSM_A_INSTANCE], apsm_instance_policy,
			     extack))
		return ERR_PTR(-EINVAL);
	return tb[APSM_INSTANCE_A_SERVICE];
}

static int apsm_instance_dump_one(struct sk_buff *skb, const void *obj,
				  const void *arg)
{
	const struct apsm_instance *inst = obj;

	if (arg && inst->svc != arg)
		return 1;
	return apsm_instance_fill(skb, inst);
}

int apsm_nl_instance_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(skb->sk));
	struct apsm_service *svc = NULL;
	struct nlattr *filter;
	int ret;

	/* (A genl .start callback cannot report an extack in 6.1: the
	 * filter is checked on the first call, args[2] says it was.)
	 */
	filter = apsm_instance_dump_filter(cb, cb->extack);
	if (IS_ERR(filter))
		return PTR_ERR(filter);
	if (filter && !cb->args[2]) {
		ret = apsm_nl_check_name(filter, cb->extack);
		if (ret)
			return ret;
	}
	mutex_lock(&an->conf_lock);
	apsm_nl_dump_seq(cb, an->generation);
	if (filter) {
		svc = apsm_service_find_name(an, nla_data(filter));
		if (!svc) {
			mutex_unlock(&an->conf_lock);
			if (cb->args[2])	/* deleted since the dump began */
				return 0;
			NL_SET_ERR_MSG(cb->extack, "no such service");
			return -ENOENT;
		}
	}
	cb->args[2] = 1;
	ret = apsm_nl_dump_xa(skb, cb, &an->instances->xa,
			      APSM_CMD_INSTANCE_GET, apsm_instance_dump_one,
			      svc);
	mutex_unlock(&an->conf_lock);
	return ret;
}
