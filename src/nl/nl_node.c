// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_NODE_GET / APSM_CMD_NODE_SET: this netns's node identity and
 * limits.
 */
#include <linux/jiffies.h>

#include "dp/holdq.h"
#include "nl/netlink.h"
#include "cfg/instance.h"
#include "cfg/peer.h"
#include "core/netns.h"
#include "flow/feed.h"
#include "flow/rds.h"

/* Timeouts: 1 s .. 7 days. (The policy's own min/max are s16.) */
static struct netlink_range_validation apsm_timeout_range = {
	.min = 1000,
	.max = 7ULL * 24 * 3600 * 1000,
};

static struct netlink_range_validation apsm_rds_max_range = {
	.min = 1,
	.max = 1U << 24,
};

static struct netlink_range_validation apsm_policy_max_range = {
	.min = 1,
	.max = 65536,
};

static struct netlink_range_validation apsm_hold_max_range = {
	.min = 1,
	.max = APSM_HOLD_MAX_LIMIT,
};

static struct netlink_range_validation apsm_hold_flow_max_range = {
	.min = 1,
	.max = APSM_HOLD_FLOW_MAX_LIMIT,
};

static struct netlink_range_validation apsm_feed_size_range = {
	.min = APSM_FEED_SIZE_MIN,
	.max = APSM_FEED_SIZE_MAX,
};

const struct nla_policy apsm_node_policy[APSM_NODE_A_MAX + 1] = {
	[APSM_NODE_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[APSM_NODE_A_RDS_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_rds_max_range),
	[APSM_NODE_A_RDS_COUNT] = { .type = NLA_REJECT,
				    .reject_message = "read-only attribute" },
	[APSM_NODE_A_POLICY_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						   &apsm_policy_max_range),
	[APSM_NODE_A_TIMEOUT_TCP] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &apsm_timeout_range),
	[APSM_NODE_A_TIMEOUT_UDP] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &apsm_timeout_range),
	[APSM_NODE_A_TIMEOUT_OTHER] = NLA_POLICY_FULL_RANGE(NLA_U32,
							    &apsm_timeout_range),
	[APSM_NODE_A_GENERATION] = { .type = NLA_REJECT,
				     .reject_message = "read-only attribute" },
	[APSM_NODE_A_HOLD_MS] = NLA_POLICY_MAX(NLA_U32, APSM_HOLD_MS_LIMIT),
	[APSM_NODE_A_HOLD_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						       &apsm_hold_max_range),
	[APSM_NODE_A_HOLD_FLOW_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_hold_flow_max_range),
	[APSM_NODE_A_HOLD_EXPIRE] = NLA_POLICY_RANGE(NLA_U8, APSM_HOLD_PASS,
						     APSM_HOLD_DROP),
	[APSM_NODE_A_HOLD_COUNT] = { .type = NLA_REJECT,
				     .reject_message = "read-only attribute" },
	[APSM_NODE_A_PEERDOWN] = NLA_POLICY_RANGE(NLA_U8, APSM_PEERDOWN_DROP,
						  APSM_PEERDOWN_REPIN),
	[APSM_NODE_A_FEED_SIZE] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&apsm_feed_size_range),
};

static int apsm_node_fill(struct sk_buff *skb, struct apsm_net *an)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, APSM_A_NODE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, APSM_NODE_A_ID, an->node_id) ||
	    nla_put_u32(skb, APSM_NODE_A_RDS_MAX, an->rds_max) ||
	    nla_put_u32(skb, APSM_NODE_A_RDS_COUNT,
			apsm_rds_count(an->rds)) ||
	    nla_put_u32(skb, APSM_NODE_A_POLICY_MAX, an->policy_max) ||
	    nla_put_u32(skb, APSM_NODE_A_TIMEOUT_TCP, an->timeout_tcp_ms) ||
	    nla_put_u32(skb, APSM_NODE_A_TIMEOUT_UDP, an->timeout_udp_ms) ||
	    nla_put_u32(skb, APSM_NODE_A_TIMEOUT_OTHER,
			an->timeout_other_ms) ||
	    nla_put_u32(skb, APSM_NODE_A_GENERATION, an->generation) ||
	    nla_put_u32(skb, APSM_NODE_A_HOLD_MS, an->hold_ms) ||
	    nla_put_u32(skb, APSM_NODE_A_HOLD_MAX, an->hold_max) ||
	    nla_put_u32(skb, APSM_NODE_A_HOLD_FLOW_MAX, an->hold_flow_max) ||
	    nla_put_u8(skb, APSM_NODE_A_HOLD_EXPIRE, an->hold_expire) ||
	    nla_put_u32(skb, APSM_NODE_A_HOLD_COUNT, apsm_holdq_count(an)) ||
	    nla_put_u8(skb, APSM_NODE_A_PEERDOWN, an->peerdown) ||
	    nla_put_u32(skb, APSM_NODE_A_FEED_SIZE, apsm_feed_size(an->feed))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static struct sk_buff *apsm_node_msg(struct apsm_net *an, struct genl_info *info,
				     u8 cmd)
{
	struct sk_buff *skb;
	void *hdr;

	if (info) {
		skb = apsm_nl_reply_new(info, cmd, &hdr);
		if (!skb)
			return NULL;
	} else {
		skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (!skb)
			return NULL;
		hdr = genlmsg_put(skb, 0, 0, &apsm_genl_family, 0, cmd);
		if (!hdr)
			goto err;
	}
	if (apsm_node_fill(skb, an))
		goto err;
	genlmsg_end(skb, hdr);
	return skb;
err:
	nlmsg_free(skb);
	return NULL;
}

int apsm_nl_node_get(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct sk_buff *msg;

	mutex_lock(&an->conf_lock);
	msg = apsm_node_msg(an, info, APSM_CMD_NODE_GET);
	mutex_unlock(&an->conf_lock);
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}

/* A node in a user namespace's netns stays below the caps the machine's
 * root set (core/netns.h): asking for more is refused, not clamped, so
 * the admin sees why.
 */
static bool apsm_nl_node_over(const struct apsm_net *an, struct nlattr *a,
			      enum apsm_limit which)
{
	return a && nla_get_u32(a) > apsm_net_limit(an, which);
}

static int apsm_nl_node_limits(const struct apsm_net *an, struct nlattr **tb,
			       struct netlink_ext_ack *extack)
{
	if (apsm_nl_node_over(an, tb[APSM_NODE_A_RDS_MAX], APSM_LIMIT_RDS)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_NODE_A_RDS_MAX],
				    "above userns_rds_max, the cap for a node in a user namespace");
		return -EPERM;
	}
	if (apsm_nl_node_over(an, tb[APSM_NODE_A_POLICY_MAX],
			      APSM_LIMIT_POLICY)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_NODE_A_POLICY_MAX],
				    "above userns_policy_max, the cap for a node in a user namespace");
		return -EPERM;
	}
	if (apsm_nl_node_over(an, tb[APSM_NODE_A_FEED_SIZE], APSM_LIMIT_FEED)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_NODE_A_FEED_SIZE],
				    "above userns_feed_max, the cap for a node in a user namespace");
		return -EPERM;
	}
	return 0;
}

int apsm_nl_node_set(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct nlattr *tb[APSM_NODE_A_MAX + 1];
	struct sk_buff *ev;
	int ret;

	ret = apsm_nl_parse(info, APSM_A_NODE, tb, APSM_NODE_A_MAX,
			    apsm_node_policy, true);
	if (ret)
		return ret;

	if (tb[APSM_NODE_A_FEED_SIZE] &&
	    !is_power_of_2(nla_get_u32(tb[APSM_NODE_A_FEED_SIZE]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_NODE_A_FEED_SIZE],
				    "feed size must be a power of two");
		return -EINVAL;
	}

	ret = apsm_nl_node_limits(an, tb, info->extack);
	if (ret)
		return ret;

	mutex_lock(&an->conf_lock);
	if (tb[APSM_NODE_A_ID] &&
	    nla_get_u32(tb[APSM_NODE_A_ID]) != an->node_id) {
		u32 id = nla_get_u32(tb[APSM_NODE_A_ID]);

		/* Instances and peers are keyed by node id. */
		ret = apsm_instances_check_node_id(an, id, info->extack) ?:
		      apsm_peers_check_node_id(an, id, info->extack);
		if (ret) {
			NL_SET_BAD_ATTR(info->extack, tb[APSM_NODE_A_ID]);
			mutex_unlock(&an->conf_lock);
			return ret;
		}
	}
	/* First: the one change that can fail for want of memory. */
	if (tb[APSM_NODE_A_FEED_SIZE]) {
		ret = apsm_feed_resize(an->feed,
				       nla_get_u32(tb[APSM_NODE_A_FEED_SIZE]));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[APSM_NODE_A_FEED_SIZE],
					    "no memory for a feed of that size");
			mutex_unlock(&an->conf_lock);
			return ret;
		}
	}
	if (tb[APSM_NODE_A_ID])
		an->node_id = nla_get_u32(tb[APSM_NODE_A_ID]);
	if (tb[APSM_NODE_A_RDS_MAX]) {
		an->rds_max = nla_get_u32(tb[APSM_NODE_A_RDS_MAX]);
		/* Below the count: evicts nothing, refuses inserts. */
		apsm_rds_set_max(an->rds, an->rds_max);
	}
	if (tb[APSM_NODE_A_POLICY_MAX])
		an->policy_max = nla_get_u32(tb[APSM_NODE_A_POLICY_MAX]);
	if (tb[APSM_NODE_A_TIMEOUT_TCP])
		an->timeout_tcp_ms = nla_get_u32(tb[APSM_NODE_A_TIMEOUT_TCP]);
	if (tb[APSM_NODE_A_TIMEOUT_UDP])
		an->timeout_udp_ms = nla_get_u32(tb[APSM_NODE_A_TIMEOUT_UDP]);
	if (tb[APSM_NODE_A_TIMEOUT_OTHER])
		an->timeout_other_ms =
			nla_get_u32(tb[APSM_NODE_A_TIMEOUT_OTHER]);
	/* Read locklessly by the packet path and the hold queue. */
	if (tb[APSM_NODE_A_HOLD_MS])
		WRITE_ONCE(an->hold_ms, nla_get_u32(tb[APSM_NODE_A_HOLD_MS]));
	if (tb[APSM_NODE_A_HOLD_MAX])
		WRITE_ONCE(an->hold_max, nla_get_u32(tb[APSM_NODE_A_HOLD_MAX]));
	if (tb[APSM_NODE_A_HOLD_FLOW_MAX])
		WRITE_ONCE(an->hold_flow_max,
			   nla_get_u32(tb[APSM_NODE_A_HOLD_FLOW_MAX]));
	if (tb[APSM_NODE_A_HOLD_EXPIRE])
		WRITE_ONCE(an->hold_expire,
			   nla_get_u8(tb[APSM_NODE_A_HOLD_EXPIRE]));
	if (tb[APSM_NODE_A_PEERDOWN])
		WRITE_ONCE(an->peerdown, nla_get_u8(tb[APSM_NODE_A_PEERDOWN]));
	an->generation++;
	ev = apsm_node_msg(an, NULL, APSM_CMD_NODE_SET);
	mutex_unlock(&an->conf_lock);
	if (ev)
		apsm_nl_event(genl_info_net(info), ev);
	return 0;
}
