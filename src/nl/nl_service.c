// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_SERVICE_NEW / _DEL / _GET: NF types.
 */
#include "cfg/lb.h"
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "cfg/service.h"

const struct nla_policy apsm_service_policy[APSM_SERVICE_A_MAX + 1] = {
	[APSM_SERVICE_A_NAME] = { .type = NLA_NUL_STRING,
				  .len = APSM_NAME_MAX - 1 },
	[APSM_SERVICE_A_STATEFUL] = NLA_POLICY_MAX(NLA_U8, 1),
	[APSM_SERVICE_A_INSTANCES] = APSM_NLA_RO,
	[APSM_SERVICE_A_LB_SIZE] = APSM_NLA_RO,
};

static int apsm_service_fill(struct sk_buff *skb,
			     const struct apsm_service *svc)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, APSM_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, APSM_SERVICE_A_NAME, svc->name) ||
	    nla_put_u8(skb, APSM_SERVICE_A_STATEFUL, svc->stateful) ||
	    nla_put_u32(skb, APSM_SERVICE_A_INSTANCES, svc->n_instances) ||
	    nla_put_u32(skb, APSM_SERVICE_A_LB_SIZE, apsm_lb_size(svc))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int apsm_service_dump_one(struct sk_buff *skb, const void *obj,
				const void *arg);

void apsm_nl_service_notify(struct apsm_net *an,
			    const struct apsm_service *svc, u8 cmd,
			    struct genl_info *info)
{
	apsm_nl_obj_notify(an, info, cmd, apsm_service_dump_one, svc);
}

static void *apsm_nl_service_lookup(struct apsm_net *an, struct nlattr **tb,
				    struct genl_info *info)
{
	struct apsm_service *svc;
	int ret;

	if (apsm_nl_missing(info, APSM_A_SERVICE, tb, APSM_SERVICE_A_NAME))
		return ERR_PTR(-EINVAL);
	ret = apsm_nl_check_name(tb[APSM_SERVICE_A_NAME], info->extack);
	if (ret)
		return ERR_PTR(ret);
	svc = apsm_service_find_name(an, nla_data(tb[APSM_SERVICE_A_NAME]));
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_SERVICE_A_NAME],
				    "no such service");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

static const struct apsm_nl_obj apsm_service_nl = {
	.nest = APSM_A_SERVICE,
	.maxtype = APSM_SERVICE_A_MAX,
	.policy = apsm_service_policy,
	.get_cmd = APSM_CMD_SERVICE_GET,
	.lookup = apsm_nl_service_lookup,
	.fill = apsm_service_dump_one,
};

int apsm_nl_service_new(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct nlattr *tb[APSM_SERVICE_A_MAX + 1];
	struct apsm_service *svc;
	const char *name;
	bool stateful = true;
	int ret;

	ret = apsm_nl_parse(info, APSM_A_SERVICE, tb, APSM_SERVICE_A_MAX,
			    apsm_service_policy, true);
	if (ret)
		return ret;
	if (apsm_nl_missing(info, APSM_A_SERVICE, tb, APSM_SERVICE_A_NAME))
		return -EINVAL;
	ret = apsm_nl_check_name(tb[APSM_SERVICE_A_NAME], info->extack);
	if (ret)
		return ret;
	name = nla_data(tb[APSM_SERVICE_A_NAME]);
	if (tb[APSM_SERVICE_A_STATEFUL])
		stateful = nla_get_u8(tb[APSM_SERVICE_A_STATEFUL]);

	mutex_lock(&an->conf_lock);
	if (apsm_service_find_name(an, name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_SERVICE_A_NAME],
				    "service already exists");
		ret = -EEXIST;
		goto out;
	}
	svc = apsm_service_create(an, name, stateful, apsm_nl_req(info));
	ret = PTR_ERR_OR_ZERO(svc);
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_SERVICE_A_NAME],
				    "too many services in this netns (max 1024)");
out:
	mutex_unlock(&an->conf_lock);
	return ret;
}

static int apsm_nl_service_del_one(struct apsm_net *an, void *obj,
				   struct nlattr **tb, struct genl_info *info)
{
	struct apsm_service *svc = obj;

	if (svc->n_instances) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_SERVICE_A_NAME],
				    "service has instances");
		return -EBUSY;
	}
	if (svc->chain_refs) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[APSM_SERVICE_A_NAME],
				    "service is used by a chain");
		return -EBUSY;
	}
	apsm_service_destroy(an, svc, apsm_nl_req(info));
	return 0;
}

int apsm_nl_service_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_SERVICE_A_MAX + 1];

	return apsm_nl_obj_act(info, &apsm_service_nl, tb, apsm_nl_service_del_one);
}

int apsm_nl_service_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[APSM_SERVICE_A_MAX + 1];

	return apsm_nl_obj_get(info, &apsm_service_nl, tb);
}

static int apsm_service_dump_one(struct sk_buff *skb, const void *obj,
				 const void *arg)
{
	return apsm_service_fill(skb, obj);
}

int apsm_nl_service_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(skb->sk));
	int ret;

	mutex_lock(&an->conf_lock);
	apsm_nl_dump_seq(cb, an->generation);
	ret = apsm_nl_dump_xa(skb, cb, &an->services->xa, APSM_CMD_SERVICE_GET,
			      apsm_service_dump_one, NULL);
	mutex_unlock(&an->conf_lock);
	return ret;
}
