// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_CHAIN_NEW / _DEL / _GET: logical service chains.
 */
#include "cfg/chain.h"
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "cfg/policy.h"
#include "cfg/service.h"

static struct netlink_range_validation apsm_chain_spi_range = {
	.min = 1,
	.max = APSM_SPI_MAX,
};

static const struct nla_policy apsm_list_policy[APSM_LIST_A_MAX + 1] = {
	[APSM_LIST_A_NAME] = { .type = NLA_NUL_STRING,
			       .len = APSM_NAME_MAX - 1 },
};

const struct nla_policy apsm_chain_policy[APSM_CHAIN_A_MAX + 1] = {
	[APSM_CHAIN_A_NAME] = { .type = NLA_NUL_STRING,
				.len = APSM_NAME_MAX - 1 },
	[APSM_CHAIN_A_SPI] = NLA_POLICY_FULL_RANGE(NLA_U32,
						   &apsm_chain_spi_range),
	[APSM_CHAIN_A_SERVICES] = NLA_POLICY_NESTED(apsm_list_policy),
	[APSM_CHAIN_A_RETURN] = NLA_POLICY_NESTED(apsm_list_policy),
};

static int apsm_chain_put_list(struct sk_buff *skb, int type,
			       const struct apsm_chain *chain, bool ret)
{
	struct nlattr *nest;
	u8 i, n = ret ? chain->n_return : chain->n_services;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		const struct apsm_service *svc;

		svc = chain->services[ret ? chain->ret[i] : i];
		if (nla_put_string(skb, APSM_LIST_A_NAME, svc->name)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_chain_fill(struct sk_buff *skb, const struct apsm_chain *chain)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, APSM_A_CHAIN);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, APSM_CHAIN_A_NAME, chain->name) ||
	    nla_put_u32(skb, APSM_CHAIN_A_SPI, chain->spi) ||
	    apsm_chain_put_list(skb, APSM_CHAIN_A_SERVICES, chain, false) ||
	    (chain->has_return &&
	     apsm_chain_put_list(skb, APSM_CHAIN_A_RETURN, chain, true))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_chain_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg);

void apsm_nl_chain_notify(struct apsm_net *an, const struct apsm_chain *chain,
			  u8 cmd, struct genl_info *info)
{
	apsm_nl_obj_notify(an, info, cmd, apsm_chain_dump_one, chain);
}

static void *apsm_nl_chain_lookup(struct apsm_net *an, struct nlattr **tb,
				  struct genl_info *info)
{
	struct apsm_chain *chain;
	int ret;

	if (apsm_nl_missing(info, APSM_A_CHAIN, tb, APSM_CHAIN_A_NAME))
		return ERR_PTR(-EINVAL);
	ret = apsm_nl_check_name(tb[APSM_CHAIN_A_NAME], info->extack);
	if (ret)
		return ERR_PTR(ret);
	chain = apsm_chain_find_name(an, nla_data(tb[APSM_CHAIN_A_NAME]));
	if (!chain) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_CHAIN_A_NAME],
				    "no such chain");
		return ERR_PTR(-ENOENT);
	}
	return chain;
}

static const struct apsm_nl_obj apsm_chain_nl = {
	.nest = APSM_A_CHAIN,
	.maxtype = APSM_CHAIN_A_MAX,
	.policy = apsm_chain_policy,
	.get_cmd = APSM_CMD_CHAIN_GET,
	.lookup = apsm_nl_chain_lookup,
	.fill = apsm_chain_dump_one,
};

/* The forward list: 1..APSM_PATH_MAX existing services, each once. */
static int apsm_nl_chain_services(struct apsm_net *an, struct nlattr *list,
				  struct apsm_chain_params *p,
				  struct netlink_ext_ack *extack)
{
	struct apsm_service *svc;
	struct nlattr *attr;
	int rem, ret;
	u8 i;

	nla_for_each_nested(attr, list, rem) {
		ret = apsm_nl_check_name(attr, extack);
		if (ret)
			return ret;
		if (p->n_services == APSM_PATH_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "too many services in a chain (max 8)");
			return -EINVAL;
		}
		svc = apsm_service_find_name(an, nla_data(attr));
		if (!svc) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "no such service");
			return -ENOENT;
		}
		for (i = 0; i < p->n_services; i++) {
			if (p->services[i] == svc) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "service listed twice in the chain");
				return -EINVAL;
			}
		}
		p->services[p->n_services++] = svc;
	}
	if (!p->n_services) {
		NL_SET_ERR_MSG_ATTR(extack, list,
				    "a chain needs at least one service");
		return -EINVAL;
	}
	return 0;
}

/* The explicit return list: services of the chain, each at most once, in
 * the order return traffic visits them. May be empty (nothing on the
 * way back).
 */
static int apsm_nl_chain_return(struct apsm_net *an, struct nlattr *list,
				struct apsm_chain_params *p,
				struct netlink_ext_ack *extack)
{
	struct nlattr *attr;
	u8 pos, seen = 0;
	int rem, ret;

	p->has_return = true;
	nla_for_each_nested(attr, list, rem) {
		ret = apsm_nl_check_name(attr, extack);
		if (ret)
			return ret;
		for (pos = 0; pos < p->n_services; pos++)
			if (!strcmp(p->services[pos]->name, nla_data(attr)))
				break;
		if (pos == p->n_services) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "return list names a service that is not in the chain");
			return -EINVAL;
		}
		if (seen & BIT(pos)) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service listed twice in the return list");
			return -EINVAL;
		}
		seen |= BIT(pos);
		p->ret[p->n_return++] = pos;
	}
	return 0;
}

static int apsm_nl_chain_new_locked(struct apsm_net *an, struct nlattr **tb,
				    struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct apsm_chain_params p = {
		.name = nla_data(tb[APSM_CHAIN_A_NAME]),
	};
	struct apsm_chain *chain;
	int ret;

	if (apsm_chain_find_name(an, p.name)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_CHAIN_A_NAME],
				    "chain already exists");
		return -EEXIST;
	}
	if (tb[APSM_CHAIN_A_SPI]) {
		p.spi = nla_get_u32(tb[APSM_CHAIN_A_SPI]);
		if (apsm_chain_find_spi(an, p.spi)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[APSM_CHAIN_A_SPI],
					    "SPI in use by another chain");
			return -EEXIST;
		}
	}
	if (an->chains->count >= APSM_CHAINS_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_CHAIN_A_NAME],
				    "too many chains in this netns (max 1024)");
		return -ENOSPC;
	}
	ret = apsm_nl_chain_services(an, tb[APSM_CHAIN_A_SERVICES], &p,
				     extack);
	if (ret)
		return ret;
	if (tb[APSM_CHAIN_A_RETURN]) {
		ret = apsm_nl_chain_return(an, tb[APSM_CHAIN_A_RETURN], &p,
					   extack);
		if (ret)
			return ret;
	}
	chain = apsm_chain_create(an, &p, apsm_nl_req(info));
	if (IS_ERR(chain)) {
		if (PTR_ERR(chain) == -ENOSPC)
			NL_SET_ERR_MSG(extack, "no free SPI");
		return PTR_ERR(chain);
	}
	return 0;
}

int apsm_nl_chain_new(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct nlattr *tb[APSM_CHAIN_A_MAX + 1];
	int ret;

	ret = apsm_nl_parse(info, APSM_A_CHAIN, tb, APSM_CHAIN_A_MAX,
			    apsm_chain_policy, true);
	if (ret)
		return ret;
	if (apsm_nl_missing(info, APSM_A_CHAIN, tb, APSM_CHAIN_A_NAME) ||
	    apsm_nl_missing(info, APSM_A_CHAIN, tb, APSM_CHAIN_A_SERVICES))
		return -EINVAL;
	ret = apsm_nl_check_name(tb[APSM_CHAIN_A_NAME], info->extack);
	if (ret)
		return ret;

	mutex_lock(&an->conf_lock);
	ret = apsm_nl_chain_new_locked(an, tb, info);
	mutex_unlock(&an->conf_lock);
	return ret;
}

static int apsm_nl_chain_del_one(struct apsm_net *an, void *obj,
				 struct nlattr **tb, struct genl_info *info)
{
	struct apsm_chain *chain = obj;

	if (apsm_policy_uses_chain(an, chain->name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_CHAIN_A_NAME],
				    "chain is used by a policy rule");
		return -EBUSY;
	}
	apsm_chain_destroy(an, chain, apsm_nl_req(info));
	return 0;
}

int apsm_nl_chain_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_CHAIN_A_MAX + 1];

	return apsm_nl_obj_act(info, &apsm_chain_nl, tb, apsm_nl_chain_del_one);
}

int apsm_nl_chain_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_CHAIN_A_MAX + 1];

	return apsm_nl_obj_get(info, &apsm_chain_nl, tb);
}

static int apsm_chain_dump_one(struct sk_buff *skb, const void *obj,
			       const void *arg)
{
	return apsm_chain_fill(skb, obj);
}

int apsm_nl_chain_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(skb->sk));
	int ret;

	mutex_lock(&an->conf_lock);
	apsm_nl_dump_seq(cb, an->generation);
	ret = apsm_nl_dump_xa(skb, cb, &an->chains->xa, APSM_CMD_CHAIN_GET,
			      apsm_chain_dump_one, NULL);
	mutex_unlock(&an->conf_lock);
	return ret;
}
