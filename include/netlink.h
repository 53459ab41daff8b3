/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "apsm" generic netlink family: registration, shared helpers, and the
 * handlers each object file (src/nl_*.c) provides.
 */
#ifndef _APSM_NETLINK_H
#define _APSM_NETLINK_H

#include <net/genetlink.h>
#include <linux/apsm.h>

struct apsm_net;

enum apsm_mcgrp {
	APSM_MCGRP_RDS_IDX,
	APSM_MCGRP_EVENTS_IDX,
};

extern struct genl_family apsm_genl_family;

int apsm_genl_init(void);
void apsm_genl_exit(void);

/* Parse the request's object nest APSM_A_<obj> into tb. With @required,
 * a missing nest is -EINVAL with an extack naming it.
 */
int apsm_nl_parse(struct genl_info *info, int attr, struct nlattr **tb,
		  int maxtype, const struct nla_policy *policy, bool required);

/* A reply skb with the genl header for @cmd addressed to the requester. */
struct sk_buff *apsm_nl_reply_new(struct genl_info *info, u8 cmd,
				  void **hdr);

/* Send @skb (a complete message) to the events group of @net. Consumes
 * the skb. Nobody listening is not an error.
 */
void apsm_nl_event(struct net *net, struct sk_buff *skb);

/* Validate an object name: 1..APSM_NAME_MAX-1 of [A-Za-z0-9_.-]. */
int apsm_nl_check_name(const struct nlattr *attr,
		       struct netlink_ext_ack *extack);

/* Per-object nested policies (src/nl_<obj>.c). */
extern const struct nla_policy apsm_node_policy[APSM_NODE_A_MAX + 1];

/* Handlers. */
int apsm_nl_node_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_node_set(struct sk_buff *skb, struct genl_info *info);

#endif /* _APSM_NETLINK_H */
