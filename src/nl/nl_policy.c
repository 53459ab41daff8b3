// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_POLICY_NEW / _DEL / _GET: the flow policy table.
 *
 * Match semantics of a request (an absent attribute is a wildcard):
 *  - SRC/DST need FAMILY; their length must be the family's address
 *    length; without SRC_PLEN/DST_PLEN the prefix is the full address.
 *    Host bits beyond the prefix length are ignored (stored masked).
 *  - SPORT_MIN alone means MIN..65535, SPORT_MAX alone 0..MAX (same for
 *    DPORT); port matches need PROTO tcp, udp, udplite, sctp or dccp.
 *  - VLAN 0 matches untagged (and priority-tagged) frames.
 */
#include <linux/in.h>
#include <net/sock.h>

#include "cfg/chain.h"
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "cfg/policy.h"

const struct nla_policy apsm_policy_policy[APSM_POLICY_A_MAX + 1] = {
	[APSM_POLICY_A_PRIO] = { .type = NLA_U32 },
	[APSM_POLICY_A_CHAIN] = { .type = NLA_NUL_STRING,
				  .len = APSM_NAME_MAX - 1 },
	[APSM_POLICY_A_IIF] = NLA_POLICY_MIN(NLA_U32, 1),
	[APSM_POLICY_A_FAMILY] = { .type = NLA_U8 },
	[APSM_POLICY_A_SRC] = NLA_POLICY_RANGE(NLA_BINARY,
					       sizeof(struct in_addr),
					       sizeof(struct in6_addr)),
	[APSM_POLICY_A_SRC_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[APSM_POLICY_A_DST] = NLA_POLICY_RANGE(NLA_BINARY,
					       sizeof(struct in_addr),
					       sizeof(struct in6_addr)),
	[APSM_POLICY_A_DST_PLEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[APSM_POLICY_A_PROTO] = { .type = NLA_U8 },
	[APSM_POLICY_A_SPORT_MIN] = { .type = NLA_U16 },
	[APSM_POLICY_A_SPORT_MAX] = { .type = NLA_U16 },
	[APSM_POLICY_A_DPORT_MIN] = { .type = NLA_U16 },
	[APSM_POLICY_A_DPORT_MAX] = { .type = NLA_U16 },
	[APSM_POLICY_A_VLAN] = NLA_POLICY_MAX(NLA_U16, 4095),
	[APSM_POLICY_A_HITS] = APSM_NLA_RO,
};

static int apsm_policy_fill(struct sk_buff *skb,
			    const struct apsm_policy_rule *r)
{
	unsigned int alen = apsm_family_addr_len(r->family);
	struct nlattr *nest;
	u32 f = r->flags;

	nest = nla_nest_start(skb, APSM_A_POLICY);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, APSM_POLICY_A_PRIO, r->prio) ||
	    nla_put_string(skb, APSM_POLICY_A_CHAIN, r->chain))
		goto err;
	if ((f & APSM_POLICY_F_IIF) &&
	    nla_put_u32(skb, APSM_POLICY_A_IIF, r->iif))
		goto err;
	if ((f & APSM_POLICY_F_FAMILY) &&
	    nla_put_u8(skb, APSM_POLICY_A_FAMILY, r->family))
		goto err;
	if ((f & APSM_POLICY_F_SRC) &&
	    (nla_put(skb, APSM_POLICY_A_SRC, alen, &r->src) ||
	     nla_put_u8(skb, APSM_POLICY_A_SRC_PLEN, r->src_plen)))
		goto err;
	if ((f & APSM_POLICY_F_DST) &&
	    (nla_put(skb, APSM_POLICY_A_DST, alen, &r->dst) ||
	     nla_put_u8(skb, APSM_POLICY_A_DST_PLEN, r->dst_plen)))
		goto err;
	if ((f & APSM_POLICY_F_PROTO) &&
	    nla_put_u8(skb, APSM_POLICY_A_PROTO, r->proto))
		goto err;
	if ((f & APSM_POLICY_F_SPORT) &&
	    (nla_put_u16(skb, APSM_POLICY_A_SPORT_MIN, r->sport_min) ||
	     nla_put_u16(skb, APSM_POLICY_A_SPORT_MAX, r->sport_max)))
		goto err;
	if ((f & APSM_POLICY_F_DPORT) &&
	    (nla_put_u16(skb, APSM_POLICY_A_DPORT_MIN, r->dport_min) ||
	     nla_put_u16(skb, APSM_POLICY_A_DPORT_MAX, r->dport_max)))
		goto err;
	if ((f & APSM_POLICY_F_VLAN) &&
	    nla_put_u16(skb, APSM_POLICY_A_VLAN, r->vlan))
		goto err;
	if (nla_put_u64_64bit(skb, APSM_POLICY_A_HITS,
			      apsm_policy_rule_hits(r), APSM_POLICY_A_PAD))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int apsm_policy_fill_one(struct sk_buff *skb, const void *obj,
				const void *arg)
{
	return apsm_policy_fill(skb, obj);
}

static bool apsm_proto_has_ports(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	default:
		return false;
	}
}

static int apsm_nl_policy_prefix(struct apsm_policy_rule *r, bool src,
				 struct nlattr **tb, struct genl_info *info)
{
	int a_addr = src ? APSM_POLICY_A_SRC : APSM_POLICY_A_DST;
	int a_plen = src ? APSM_POLICY_A_SRC_PLEN : APSM_POLICY_A_DST_PLEN;
	unsigned int alen = apsm_family_addr_len(r->family);
	struct in6_addr addr = {};
	u8 plen = alen * 8;

	if (!tb[a_addr]) {
		if (tb[a_plen]) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[a_plen],
					    "prefix length without an address");
			return -EINVAL;
		}
		return 0;
	}
	if (!(r->flags & APSM_POLICY_F_FAMILY)) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[APSM_A_POLICY],
				     APSM_POLICY_A_FAMILY);
		NL_SET_ERR_MSG(info->extack,
			       "an address match needs APSM_POLICY_A_FAMILY");
		return -EINVAL;
	}
	if (nla_len(tb[a_addr]) != alen) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[a_addr],
				    "address length does not match the family");
		return -EINVAL;
	}
	nla_memcpy(&addr, tb[a_addr], sizeof(addr));
	if (tb[a_plen]) {
		plen = nla_get_u8(tb[a_plen]);
		if (plen > alen * 8) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[a_plen],
					    "prefix length too long for the family");
			return -EINVAL;
		}
	}
	apsm_policy_rule_set_prefix(r, src, &addr, plen);
	return 0;
}

static int apsm_nl_policy_ports(struct apsm_policy_rule *r, bool src,
				struct nlattr **tb, struct genl_info *info)
{
	int a_min = src ? APSM_POLICY_A_SPORT_MIN : APSM_POLICY_A_DPORT_MIN;
	int a_max = src ? APSM_POLICY_A_SPORT_MAX : APSM_POLICY_A_DPORT_MAX;
	u16 min = 0, max = U16_MAX;

	if (!tb[a_min] && !tb[a_max])
		return 0;
	if (!(r->flags & APSM_POLICY_F_PROTO) ||
	    !apsm_proto_has_ports(r->proto)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[a_min] ? tb[a_min] : tb[a_max],
				    "port match needs PROTO tcp, udp, udplite, sctp or dccp");
		return -EINVAL;
	}
	if (tb[a_min])
		min = nla_get_u16(tb[a_min]);
	if (tb[a_max])
		max = nla_get_u16(tb[a_max]);
	if (min > max) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[a_max] ? tb[a_max] : tb[a_min],
				    "port range minimum above its maximum");
		return -EINVAL;
	}
	if (src) {
		r->sport_min = min;
		r->sport_max = max;
		r->flags |= APSM_POLICY_F_SPORT;
	} else {
		r->dport_min = min;
		r->dport_max = max;
		r->flags |= APSM_POLICY_F_DPORT;
	}
	return 0;
}

/* Build the rule of a POLICY_NEW request (chain not resolved yet). */
static int apsm_nl_policy_rule(struct apsm_policy_rule *r, struct nlattr **tb,
			       struct genl_info *info)
{
	int ret;

	r->prio = nla_get_u32(tb[APSM_POLICY_A_PRIO]);
	nla_strscpy(r->chain, tb[APSM_POLICY_A_CHAIN], sizeof(r->chain));
	if (tb[APSM_POLICY_A_IIF]) {
		r->iif = nla_get_u32(tb[APSM_POLICY_A_IIF]);
		r->flags |= APSM_POLICY_F_IIF;
	}
	if (tb[APSM_POLICY_A_FAMILY]) {
		r->family = nla_get_u8(tb[APSM_POLICY_A_FAMILY]);
		if (!apsm_family_addr_len(r->family)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[APSM_POLICY_A_FAMILY],
					    "family must be AF_INET or AF_INET6");
			return -EINVAL;
		}
		r->flags |= APSM_POLICY_F_FAMILY;
	}
	if (tb[APSM_POLICY_A_PROTO]) {
		r->proto = nla_get_u8(tb[APSM_POLICY_A_PROTO]);
		r->flags |= APSM_POLICY_F_PROTO;
	}
	if (tb[APSM_POLICY_A_VLAN]) {
		r->vlan = nla_get_u16(tb[APSM_POLICY_A_VLAN]);
		r->flags |= APSM_POLICY_F_VLAN;
	}
	ret = apsm_nl_policy_prefix(r, true, tb, info);
	if (!ret)
		ret = apsm_nl_policy_prefix(r, false, tb, info);
	if (!ret)
		ret = apsm_nl_policy_ports(r, true, tb, info);
	if (!ret)
		ret = apsm_nl_policy_ports(r, false, tb, info);
	return ret;
}

int apsm_nl_policy_new(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct nlattr *tb[APSM_POLICY_A_MAX + 1];
	struct apsm_policy_rule *r;
	struct apsm_chain *chain;
	int ret;

	ret = apsm_nl_parse(info, APSM_A_POLICY, tb, APSM_POLICY_A_MAX,
			    apsm_policy_policy, true);
	if (ret)
		return ret;
	if (apsm_nl_missing(info, APSM_A_POLICY, tb, APSM_POLICY_A_PRIO) ||
	    apsm_nl_missing(info, APSM_A_POLICY, tb, APSM_POLICY_A_CHAIN))
		return -EINVAL;
	ret = apsm_nl_check_name(tb[APSM_POLICY_A_CHAIN], info->extack);
	if (ret)
		return ret;

	r = apsm_policy_rule_alloc();
	if (!r)
		return -ENOMEM;
	ret = apsm_nl_policy_rule(r, tb, info);
	if (ret)
		goto err_free;

	mutex_lock(&an->conf_lock);
	chain = apsm_chain_find_name(an, r->chain);
	if (!chain) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_POLICY_A_CHAIN],
				    "no such chain");
		ret = -ENOENT;
		goto err_unlock;
	}
	r->chain_ptr = chain;
	ret = apsm_policy_add(an, r, info->extack);
	if (ret) {
		if (ret == -EEXIST)
			NL_SET_BAD_ATTR(info->extack, tb[APSM_POLICY_A_PRIO]);
		goto err_unlock;
	}
	an->generation++;
	apsm_nl_obj_notify(an, info, APSM_CMD_POLICY_NEW, apsm_policy_fill_one,
			   r);
	mutex_unlock(&an->conf_lock);
	return 0;

err_unlock:
	mutex_unlock(&an->conf_lock);
err_free:
	apsm_policy_rule_free(r);
	return ret;
}

static void *apsm_nl_policy_lookup(struct apsm_net *an, struct nlattr **tb,
				   struct genl_info *info)
{
	struct apsm_policy_rule *r;

	if (apsm_nl_missing(info, APSM_A_POLICY, tb, APSM_POLICY_A_PRIO))
		return ERR_PTR(-EINVAL);
	r = apsm_policy_find(an, nla_get_u32(tb[APSM_POLICY_A_PRIO]));
	if (!r) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_POLICY_A_PRIO],
				    "no policy rule with this prio");
		return ERR_PTR(-ENOENT);
	}
	return r;
}

static const struct apsm_nl_obj apsm_policy_nl = {
	.nest = APSM_A_POLICY,
	.maxtype = APSM_POLICY_A_MAX,
	.policy = apsm_policy_policy,
	.get_cmd = APSM_CMD_POLICY_GET,
	.lookup = apsm_nl_policy_lookup,
	.fill = apsm_policy_fill_one,
};

static int apsm_nl_policy_del_one(struct apsm_net *an, void *obj,
				  struct nlattr **tb, struct genl_info *info)
{
	struct apsm_policy_rule *r = obj;
	struct sk_buff *ev;
	int ret;

	/* The event shows the rule as it was (hits included). */
	ev = apsm_nl_obj_msg(info, APSM_CMD_POLICY_DEL, apsm_policy_fill_one,
			     r);
	ret = apsm_policy_del(an, r->prio);
	if (ret) {
		nlmsg_free(ev);
		return ret;
	}
	an->generation++;
	if (ev)
		apsm_nl_notify(an->net, info, ev);
	else
		apsm_nl_notify_lost(an->net);
	return 0;
}

int apsm_nl_policy_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_POLICY_A_MAX + 1];

	return apsm_nl_obj_act(info, &apsm_policy_nl, tb,
			       apsm_nl_policy_del_one);
}

int apsm_nl_policy_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_POLICY_A_MAX + 1];

	return apsm_nl_obj_get(info, &apsm_policy_nl, tb);
}

/* cb->args[0]: the lowest prio not dumped yet; args[1]: done. */
int apsm_nl_policy_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(skb->sk));
	struct apsm_policy_table *t;
	u32 i;
	void *hdr;

	if (cb->args[1])
		return 0;
	mutex_lock(&an->conf_lock);
	apsm_nl_dump_seq(cb, an->generation);
	t = rcu_dereference_protected(an->policy,
				      lockdep_is_held(&an->conf_lock));
	for (i = 0; t && i < t->n; i++) {
		const struct apsm_policy_rule *r = t->rules[i];

		if (r->prio < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &apsm_genl_family,
				  NLM_F_MULTI, APSM_CMD_POLICY_GET);
		if (!hdr)
			goto full;
		if (apsm_policy_fill(skb, r)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genl_dump_check_consistent(cb, hdr);
		genlmsg_end(skb, hdr);
		cb->args[0] = (long)r->prio + 1;
	}
	cb->args[1] = 1;
full:
	mutex_unlock(&an->conf_lock);
	return skb->len;
}
