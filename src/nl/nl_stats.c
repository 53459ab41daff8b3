// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_STATS_GET: the node's counters, summed over the CPUs.
 */
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "core/stats.h"

/* A request may carry an (empty) APSM_A_STATS nest; counters are
 * read-only.
 */
const struct nla_policy apsm_stats_policy[APSM_STATS_A_MAX + 1] = {
	[APSM_STATS_A_UNSPEC + 1 ... APSM_STATS_A_MAX] = APSM_NLA_RO,
};

static int apsm_stats_fill(struct sk_buff *skb, struct apsm_net *an)
{
	struct nlattr *nest;
	unsigned int id;

	nest = nla_nest_start(skb, APSM_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (id = APSM_STATS_A_UNSPEC + 1; id <= APSM_STATS_A_MAX; id++) {
		if (id == APSM_STATS_A_PAD)
			continue;
		if (nla_put_u64_64bit(skb, id, apsm_stats_read(an->stats, id),
				      APSM_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

int apsm_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = apsm_nl_reply_new(info, APSM_CMD_STATS_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	if (apsm_stats_fill(msg, an)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}
