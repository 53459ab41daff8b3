// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_PEER_NEW / _DEL / _GET: the other nodes of the cluster.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "cfg/peer.h"

static struct netlink_range_validation apsm_peer_ifindex_range = {
	.min = 1,
	.max = INT_MAX,
};

static const struct nla_policy
apsm_peer_repl_policy[APSM_PEER_REPL_A_MAX + 1] = {
	[APSM_PEER_REPL_A_UPDATES_TX] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_UPDATES_RX] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_BATCHES_TX] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_BATCHES_RX] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_AUTH_FAIL] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_REPLAY] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_RESYNC] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_LAST_RX_MS] = { .type = NLA_U64 },
	[APSM_PEER_REPL_A_LAG_MS] = { .type = NLA_U64 },
};

const struct nla_policy apsm_peer_policy[APSM_PEER_A_MAX + 1] = {
	[APSM_PEER_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[APSM_PEER_A_IFINDEX] = NLA_POLICY_FULL_RANGE(NLA_U32,
						&apsm_peer_ifindex_range),
	[APSM_PEER_A_LLADDR] = NLA_POLICY_EXACT_LEN(ETH_ALEN),
	[APSM_PEER_A_TX_PACKETS] = APSM_NLA_RO,
	[APSM_PEER_A_RX_PACKETS] = APSM_NLA_RO,
	[APSM_PEER_A_STATE] = NLA_POLICY_RANGE(NLA_U8, APSM_PEER_UP,
					       APSM_PEER_DOWN),
	[APSM_PEER_A_REPL] = NLA_POLICY_NESTED(apsm_peer_repl_policy),
};

static int apsm_peer_fill_repl(struct sk_buff *skb,
			       const struct apsm_peer *peer)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, APSM_PEER_A_REPL);
	if (!nest)
		return -EMSGSIZE;
	for (i = APSM_PEER_REPL_A_UPDATES_TX; i <= APSM_PEER_REPL_A_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, peer->repl[i],
				      APSM_PEER_REPL_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_peer_fill(struct sk_buff *skb, const struct apsm_peer *peer)
{
	struct nlattr *nest;
	u64 tx, rx;

	apsm_peer_read_stats(peer, &tx, &rx);
	nest = nla_nest_start(skb, APSM_A_PEER);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, APSM_PEER_A_ID, peer->id) ||
	    nla_put_u32(skb, APSM_PEER_A_IFINDEX, READ_ONCE(peer->ifindex)) ||
	    nla_put(skb, APSM_PEER_A_LLADDR, ETH_ALEN, peer->lladdr) ||
	    nla_put_u64_64bit(skb, APSM_PEER_A_TX_PACKETS, tx,
			      APSM_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_PEER_A_RX_PACKETS, rx,
			      APSM_PEER_A_PAD) ||
	    nla_put_u8(skb, APSM_PEER_A_STATE, READ_ONCE(peer->state)) ||
	    apsm_peer_fill_repl(skb, peer)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_peer_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg);

void apsm_nl_peer_notify(struct apsm_net *an, const struct apsm_peer *peer,
			 u8 cmd, struct genl_info *info)
{
	apsm_nl_obj_notify(an, info, cmd, apsm_peer_dump_one, peer);
}

static void *apsm_nl_peer_lookup(struct apsm_net *an, struct nlattr **tb,
				 struct genl_info *info)
{
	struct apsm_peer *peer;

	if (apsm_nl_missing(info, APSM_A_PEER, tb, APSM_PEER_A_ID))
		return ERR_PTR(-EINVAL);
	peer = apsm_peer_find(an, nla_get_u32(tb[APSM_PEER_A_ID]));
	if (!peer) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_PEER_A_ID],
				    "no such peer");
		return ERR_PTR(-ENOENT);
	}
	return peer;
}

static const struct apsm_nl_obj apsm_peer_nl = {
	.nest = APSM_A_PEER,
	.maxtype = APSM_PEER_A_MAX,
	.policy = apsm_peer_policy,
	.get_cmd = APSM_CMD_PEER_GET,
	.lookup = apsm_nl_peer_lookup,
	.fill = apsm_peer_dump_one,
};

/* Store the figures @attr (APSM_PEER_A_REPL, validated) carries. */
static void apsm_nl_peer_set_repl(struct apsm_peer *peer,
				  const struct nlattr *attr)
{
	struct nlattr *tb[APSM_PEER_REPL_A_MAX + 1];
	unsigned int i;

	/* the outer policy validated the nest: this cannot fail */
	if (nla_parse_nested(tb, APSM_PEER_REPL_A_MAX, attr,
			     apsm_peer_repl_policy, NULL))
		return;
	for (i = APSM_PEER_REPL_A_UPDATES_TX; i <= APSM_PEER_REPL_A_MAX; i++)
		if (tb[i])
			peer->repl[i] = nla_get_u64(tb[i]);
}

int apsm_nl_peer_set(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct nlattr *tb[APSM_PEER_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct apsm_peer *peer;
	int ret;

	ret = apsm_nl_parse(info, APSM_A_PEER, tb, APSM_PEER_A_MAX,
			    apsm_peer_policy, true);
	if (ret)
		return ret;
	if (tb[APSM_PEER_A_IFINDEX] || tb[APSM_PEER_A_LLADDR]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_IFINDEX] ?:
				    tb[APSM_PEER_A_LLADDR],
				    "cannot be changed: delete the peer and add it again");
		return -EOPNOTSUPP;
	}
	if (!tb[APSM_PEER_A_STATE] && !tb[APSM_PEER_A_REPL]) {
		NL_SET_ERR_MSG(extack, "nothing to change: give STATE or REPL");
		return -EINVAL;
	}
	mutex_lock(&an->conf_lock);
	peer = apsm_nl_peer_lookup(an, tb, info);
	ret = PTR_ERR_OR_ZERO(peer);
	if (!ret) {
		/* Figures only: no event, no generation (apsmd sets them
		 * often; nobody watches them change).
		 */
		if (tb[APSM_PEER_A_REPL])
			apsm_nl_peer_set_repl(peer, tb[APSM_PEER_A_REPL]);
		if (tb[APSM_PEER_A_STATE])
			apsm_peer_set_state(an, peer,
					    nla_get_u8(tb[APSM_PEER_A_STATE]),
					    apsm_nl_req(info));
	}
	mutex_unlock(&an->conf_lock);
	return ret;
}

int apsm_nl_peer_new(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct apsm_net *an = apsm_net(net);
	struct nlattr *tb[APSM_PEER_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct apsm_peer *peer;
	struct net_device *dev;
	const u8 *lladdr;
	u32 id;
	int ret;

	ret = apsm_nl_parse(info, APSM_A_PEER, tb, APSM_PEER_A_MAX,
			    apsm_peer_policy, true);
	if (ret)
		return ret;
	if (apsm_nl_missing(info, APSM_A_PEER, tb, APSM_PEER_A_ID) ||
	    apsm_nl_missing(info, APSM_A_PEER, tb, APSM_PEER_A_IFINDEX) ||
	    apsm_nl_missing(info, APSM_A_PEER, tb, APSM_PEER_A_LLADDR))
		return -EINVAL;
	id = nla_get_u32(tb[APSM_PEER_A_ID]);
	lladdr = nla_data(tb[APSM_PEER_A_LLADDR]);
	if (!is_valid_ether_addr(lladdr)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_LLADDR],
				    "not a unicast MAC address");
		return -EINVAL;
	}

	rtnl_lock();
	mutex_lock(&an->conf_lock);
	if (id == an->node_id) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_ID],
				    "peer id is this node's own id");
		ret = -EINVAL;
		goto out;
	}
	if (apsm_peer_find(an, id)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_ID],
				    "peer already exists");
		ret = -EEXIST;
		goto out;
	}
	dev = __dev_get_by_index(net, nla_get_u32(tb[APSM_PEER_A_IFINDEX]));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_IFINDEX],
				    "no such device in this netns");
		ret = -ENODEV;
		goto out;
	}
	if (dev->type != ARPHRD_ETHER) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_IFINDEX],
				    "fabric device is not an Ethernet device");
		ret = -EOPNOTSUPP;
		goto out;
	}
	peer = apsm_peer_create(an, id, dev, lladdr, apsm_nl_req(info));
	ret = PTR_ERR_OR_ZERO(peer);
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_PEER_A_ID],
				    "too many peers in this netns (max 1024)");
	if (!ret && tb[APSM_PEER_A_REPL])
		apsm_nl_peer_set_repl(peer, tb[APSM_PEER_A_REPL]);
	if (!ret && tb[APSM_PEER_A_STATE])
		apsm_peer_set_state(an, peer,
				    nla_get_u8(tb[APSM_PEER_A_STATE]), apsm_nl_req(info));
out:
	mutex_unlock(&an->conf_lock);
	rtnl_unlock();
	return ret;
}

static int apsm_nl_peer_del_one(struct apsm_net *an, void *obj,
				struct nlattr **tb, struct genl_info *info)
{
	apsm_peer_destroy(an, obj, apsm_nl_req(info));
	return 0;
}

int apsm_nl_peer_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_PEER_A_MAX + 1];

	return apsm_nl_obj_act(info, &apsm_peer_nl, tb, apsm_nl_peer_del_one);
}

int apsm_nl_peer_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_PEER_A_MAX + 1];

	return apsm_nl_obj_get(info, &apsm_peer_nl, tb);
}

static int apsm_peer_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg)
{
	return apsm_peer_fill(skb, obj);
}

int apsm_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(skb->sk));
	int ret;

	mutex_lock(&an->conf_lock);
	apsm_nl_dump_seq(cb, an->generation);
	ret = apsm_nl_dump_xa(skb, cb, &an->peers->xa, APSM_CMD_PEER_GET,
			      apsm_peer_dump_one, NULL);
	mutex_unlock(&an->conf_lock);
	return ret;
}
