// SPDX-License-Identifier: GPL-2.0
/*
 * The "apsm" generic netlink family: the op table, the top-level policy,
 * multicast groups and helpers shared by the object files (src/nl_*.c).
 * The attribute trees are documented in uapi/linux/apsm.h.
 */
#include <linux/ctype.h>
#include <linux/module.h>

#include "core/netns.h"
#include "flow/feed.h"
#include "nl/netlink.h"
#include "nl/nl_obj.h"
#include "core/version.h"

static const struct nla_policy apsm_policy[APSM_A_MAX + 1] = {
	[APSM_A_NODE] = NLA_POLICY_NESTED(apsm_node_policy),
	[APSM_A_PEER] = NLA_POLICY_NESTED(apsm_peer_policy),
	[APSM_A_PORT] = NLA_POLICY_NESTED(apsm_port_policy),
	[APSM_A_SERVICE] = NLA_POLICY_NESTED(apsm_service_policy),
	[APSM_A_INSTANCE] = NLA_POLICY_NESTED(apsm_instance_policy),
	[APSM_A_CHAIN] = NLA_POLICY_NESTED(apsm_chain_policy),
	[APSM_A_POLICY] = NLA_POLICY_NESTED(apsm_policy_policy),
	[APSM_A_FLOW] = NLA_POLICY_NESTED(apsm_flow_policy),
	[APSM_A_STATS] = NLA_POLICY_NESTED(apsm_stats_policy),
	[APSM_A_FEED_CURSOR] = { .type = NLA_U64 },
	[APSM_A_FEED_LIMIT] = { .type = NLA_U32 },
	[APSM_A_FEED_FIRST] = { .type = NLA_REJECT,
				.reject_message = "read-only attribute" },
	[APSM_A_FEED_NEXT] = { .type = NLA_REJECT,
			       .reject_message = "read-only attribute" },
	[APSM_A_FEED_BEHIND] = { .type = NLA_REJECT,
				 .reject_message = "read-only attribute" },
};

static const struct genl_ops apsm_genl_ops[] = {
	{
		.cmd = APSM_CMD_NODE_GET,
		.doit = apsm_nl_node_get,
	},
	{
		.cmd = APSM_CMD_NODE_SET,
		.doit = apsm_nl_node_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_PEER_NEW,
		.doit = apsm_nl_peer_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_PEER_DEL,
		.doit = apsm_nl_peer_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_PEER_GET,
		.doit = apsm_nl_peer_get,
		.dumpit = apsm_nl_peer_dump,
		.flags = GENL_UNS_ADMIN_PERM,	/* a read: see apsm_mcgrps */
	},
	{
		.cmd = APSM_CMD_PEER_SET,
		.doit = apsm_nl_peer_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_PORT_NEW,
		.doit = apsm_nl_port_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_PORT_DEL,
		.doit = apsm_nl_port_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_PORT_GET,
		.doit = apsm_nl_port_get,
		.dumpit = apsm_nl_port_dump,
	},
	{
		.cmd = APSM_CMD_SERVICE_NEW,
		.doit = apsm_nl_service_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_SERVICE_DEL,
		.doit = apsm_nl_service_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_SERVICE_GET,
		.doit = apsm_nl_service_get,
		.dumpit = apsm_nl_service_dump,
	},
	{
		.cmd = APSM_CMD_INSTANCE_NEW,
		.doit = apsm_nl_instance_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_INSTANCE_SET,
		.doit = apsm_nl_instance_set,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_INSTANCE_DEL,
		.doit = apsm_nl_instance_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_INSTANCE_GET,
		.doit = apsm_nl_instance_get,
		.dumpit = apsm_nl_instance_dump,
	},
	{
		.cmd = APSM_CMD_CHAIN_NEW,
		.doit = apsm_nl_chain_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_CHAIN_DEL,
		.doit = apsm_nl_chain_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_CHAIN_GET,
		.doit = apsm_nl_chain_get,
		.dumpit = apsm_nl_chain_dump,
	},
	{
		.cmd = APSM_CMD_POLICY_NEW,
		.doit = apsm_nl_policy_new,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_POLICY_DEL,
		.doit = apsm_nl_policy_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_POLICY_GET,
		.doit = apsm_nl_policy_get,
		.dumpit = apsm_nl_policy_dump,
	},
	{
		.cmd = APSM_CMD_FLOW_GET,
		.doit = apsm_nl_flow_get,
		.start = apsm_nl_flow_dump_start,
		.dumpit = apsm_nl_flow_dump,
		.done = apsm_nl_flow_dump_done,
		.flags = GENL_UNS_ADMIN_PERM,	/* a read: see apsm_mcgrps */
	},
	{
		.cmd = APSM_CMD_FLOW_DEL,
		.doit = apsm_nl_flow_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_FLOW_FLUSH,
		.doit = apsm_nl_flow_flush,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_FLOW_INSTALL,
		.doit = apsm_nl_flow_install,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = APSM_CMD_STATS_GET,
		.doit = apsm_nl_stats_get,
		.flags = GENL_UNS_ADMIN_PERM,	/* a read: see apsm_mcgrps */
	},
	{
		.cmd = APSM_CMD_FLOW_CHANGES,
		.start = apsm_nl_flow_changes_start,
		.dumpit = apsm_nl_flow_changes_dump,
		.done = apsm_nl_flow_changes_done,
		.flags = GENL_UNS_ADMIN_PERM,	/* a read: see apsm_mcgrps */
	},
};

/* Who may read what (Documentation/design.md, "Trust model"): flows
 * (5-tuples, NAT mappings), their changes, peers and counters, and both
 * multicast groups need CAP_NET_ADMIN in the user namespace that owns
 * the netns, as changes do: in the initial netns that is the machine's
 * admin; in a netns made with unshare -Urn it is that netns's owner, who
 * sees only its own traffic anyway. The configuration (node, ports,
 * services, instances, chains, policies) stays readable by everyone, as
 * routes and links are.
 */
static const struct genl_multicast_group apsm_mcgrps[] = {
	[APSM_MCGRP_RDS_IDX] = { .name = APSM_MCGRP_RDS,
				 .flags = GENL_MCAST_CAP_NET_ADMIN },
	[APSM_MCGRP_EVENTS_IDX] = { .name = APSM_MCGRP_EVENTS,
				    .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* The first command that changes a node makes its change feed's ring
 * (flow/feed.h: a netns that never uses APSM keeps none). Reads do not.
 */
static int apsm_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			    struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));

	switch (ops->cmd) {
	case APSM_CMD_NODE_GET:
	case APSM_CMD_PEER_GET:
	case APSM_CMD_PORT_GET:
	case APSM_CMD_SERVICE_GET:
	case APSM_CMD_INSTANCE_GET:
	case APSM_CMD_CHAIN_GET:
	case APSM_CMD_POLICY_GET:
	case APSM_CMD_FLOW_GET:
	case APSM_CMD_STATS_GET:
		return 0;
	}
	if (apsm_feed_ensure(an->feed)) {
		NL_SET_ERR_MSG(info->extack, "no memory for the change feed");
		return -ENOMEM;
	}
	return 0;
}

struct genl_family apsm_genl_family __ro_after_init = {
	.name = APSM_GENL_NAME,
	.version = APSM_GENL_VERSION,
	.maxattr = APSM_A_MAX,
	.policy = apsm_policy,
	.netnsok = true,
	.parallel_ops = false,
	.pre_doit = apsm_nl_pre_doit,
	.module = THIS_MODULE,
	.ops = apsm_genl_ops,
	.n_ops = ARRAY_SIZE(apsm_genl_ops),
	.resv_start_op = APSM_CMD_MAX + 1,
	.mcgrps = apsm_mcgrps,
	.n_mcgrps = ARRAY_SIZE(apsm_mcgrps),
};

int apsm_nl_parse(struct genl_info *info, int attr, struct nlattr **tb,
		  int maxtype, const struct nla_policy *policy, bool required)
{
	if (!info->attrs[attr]) {
		if (!required) {
			memset(tb, 0, sizeof(*tb) * (maxtype + 1));
			return 0;
		}
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, attr);
		NL_SET_ERR_MSG(info->extack, "missing object attribute");
		return -EINVAL;
	}
	return nla_parse_nested(tb, maxtype, info->attrs[attr], policy,
				info->extack);
}

struct sk_buff *apsm_nl_reply_new(struct genl_info *info, u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &apsm_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

void apsm_nl_event(struct net *net, struct sk_buff *skb)
{
	genlmsg_multicast_netns(&apsm_genl_family, net, skb, 0,
				APSM_MCGRP_EVENTS_IDX, GFP_KERNEL);
}

int apsm_nl_check_name(const struct nlattr *attr,
		       struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	int len = nla_len(attr), i;

	/* The policy already bounds the length and requires the NUL. */
	if (len < 2 || s[0] == '\0') {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty name");
		return -EINVAL;
	}
	for (i = 0; i < len - 1 && s[i]; i++) {
		if (!isalnum(s[i]) && s[i] != '_' && s[i] != '-' &&
		    s[i] != '.') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "name may only hold [A-Za-z0-9_.-]");
			return -EINVAL;
		}
	}
	return 0;
}

int __init apsm_genl_init(void)
{
	int ret;

	ret = apsm_nl_event_init();
	if (ret)
		return ret;
	ret = genl_register_family(&apsm_genl_family);
	if (ret)
		apsm_nl_event_exit();
	return ret;
}

void apsm_genl_exit(void)
{
	/* No configuration event multicasts from here on (a netdev
	 * notifier replay at unload may still change objects), then the
	 * family: it waits for requests in flight.
	 */
	apsm_nl_event_exit();
	genl_unregister_family(&apsm_genl_family);
}
