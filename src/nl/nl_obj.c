// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink helpers of the configuration objects: reply and event messages,
 * echo to the requester, resumable dumps over an xarray, and the lookup of
 * the object a GET or DEL request names.
 */
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"

struct sk_buff *apsm_nl_msg_new(const struct genl_info *info, u8 cmd,
				void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, info ? info->snd_portid : 0,
			   info ? info->snd_seq : 0, &apsm_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

struct sk_buff *apsm_nl_obj_msg(const struct genl_info *info, u8 cmd,
				apsm_nl_fill_t fill, const void *obj)
{
	struct sk_buff *skb;
	void *hdr;

	skb = apsm_nl_msg_new(info, cmd, &hdr);
	if (!skb)
		return NULL;
	if (fill(skb, obj, NULL)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

void apsm_nl_obj_notify(struct apsm_net *an, struct genl_info *info, u8 cmd,
			apsm_nl_fill_t fill, const void *obj)
{
	struct sk_buff *skb = apsm_nl_obj_msg(info, cmd, fill, obj);

	if (skb)
		apsm_nl_notify(an->net, info, skb);
	else
		apsm_nl_notify_lost(an->net);
}

void apsm_nl_notify(struct net *net, struct genl_info *info,
		    struct sk_buff *skb)
{
	/* genl_notify() multicasts and, for NLM_F_ECHO, unicasts to the
	 * requester (leaving it out of the multicast).
	 */
	if (info)
		genl_notify(&apsm_genl_family, skb, info,
			    APSM_MCGRP_EVENTS_IDX, GFP_KERNEL);
	else
		apsm_nl_event(net, skb);
}

void apsm_nl_notify_lost(struct net *net)
{
	genl_set_err(&apsm_genl_family, net, 0, APSM_MCGRP_EVENTS_IDX,
		     -ENOBUFS);
}

int apsm_nl_dump_xa(struct sk_buff *skb, struct netlink_callback *cb,
		    struct xarray *xa, u8 cmd, apsm_nl_fill_t fill,
		    const void *arg)
{
	unsigned long idx;
	void *obj, *hdr;
	int ret;

	/* args[0]: the next key to visit; args[1]: the walk is complete. */
	if (cb->args[1])
		return 0;
	xa_for_each_start(xa, idx, obj, cb->args[0]) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &apsm_genl_family,
				  NLM_F_MULTI, cmd);
		if (!hdr)
			goto full;
		ret = fill(skb, obj, arg);
		if (ret) {
			genlmsg_cancel(skb, hdr);
			if (ret < 0)
				goto full;
			continue;
		}
		genl_dump_check_consistent(cb, hdr);
		genlmsg_end(skb, hdr);
	}
	cb->args[1] = 1;
	return skb->len;
full:
	cb->args[0] = idx;
	/* Not even one object fits an empty dump buffer: give up. */
	return skb->len ? skb->len : -EMSGSIZE;
}

/* Parse the request's nest of @o into @tb and look the object up: with
 * an->conf_lock held on success, released on error.
 */
static void *apsm_nl_obj_lock_lookup(struct apsm_net *an,
				     struct genl_info *info,
				     const struct apsm_nl_obj *o,
				     struct nlattr **tb)
{
	void *obj;
	int ret;

	ret = apsm_nl_parse(info, o->nest, tb, o->maxtype, o->policy, true);
	if (ret)
		return ERR_PTR(ret);
	mutex_lock(&an->conf_lock);
	obj = o->lookup(an, tb, info);
	if (IS_ERR(obj))
		mutex_unlock(&an->conf_lock);
	return obj;
}

int apsm_nl_obj_act(struct genl_info *info, const struct apsm_nl_obj *o,
		    struct nlattr **tb, apsm_nl_act_t act)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	void *obj;
	int ret;

	obj = apsm_nl_obj_lock_lookup(an, info, o, tb);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = act(an, obj, tb, info);
	mutex_unlock(&an->conf_lock);
	return ret;
}

int apsm_nl_obj_get(struct genl_info *info, const struct apsm_nl_obj *o,
		    struct nlattr **tb)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct sk_buff *msg;
	void *obj;

	obj = apsm_nl_obj_lock_lookup(an, info, o, tb);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	msg = apsm_nl_obj_msg(info, o->get_cmd, o->fill, obj);
	mutex_unlock(&an->conf_lock);
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}
