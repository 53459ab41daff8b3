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

/* How the GET/DEL handlers of one object find the object a request names
 * (src/nl_obj.c).
 */
struct apsm_nl_obj {
	int nest;				/* APSM_A_<OBJ> */
	int maxtype;				/* APSM_<OBJ>_A_MAX */
	const struct nla_policy *policy;	/* its nested policy */
	u8 get_cmd;				/* the command of GET replies */
	/* The object @tb names, or an ERR_PTR with an extack saying why;
	 * called with an->conf_lock held.
	 */
	void *(*lookup)(struct apsm_net *an, struct nlattr **tb,
			struct genl_info *info);
	/* The object into a message (arg NULL): 0 or -EMSGSIZE. */
	int (*fill)(struct sk_buff *skb, const void *obj, const void *arg);
};

typedef int (*apsm_nl_act_t)(struct apsm_net *an, void *obj,
			     struct nlattr **tb, struct genl_info *info);

/* Parse the request's nest of @o (required) into @tb (o->maxtype + 1
 * entries), then under an->conf_lock look the object up and return
 * @act(an, obj, tb, info); or the parse's or the lookup's error.
 */
int apsm_nl_obj_act(struct genl_info *info, const struct apsm_nl_obj *o,
		    struct nlattr **tb, apsm_nl_act_t act);
/* A GET of one object: as apsm_nl_obj_act(), replying with the object
 * (o->get_cmd, filled by o->fill). -ENOMEM if the reply cannot be built.
 */
int apsm_nl_obj_get(struct genl_info *info, const struct apsm_nl_obj *o,
		    struct nlattr **tb);

/* Per-object nested policies (src/nl_<obj>.c). */
extern const struct nla_policy apsm_node_policy[APSM_NODE_A_MAX + 1];
extern const struct nla_policy apsm_peer_policy[APSM_PEER_A_MAX + 1];
extern const struct nla_policy apsm_port_policy[APSM_PORT_A_MAX + 1];
extern const struct nla_policy apsm_service_policy[APSM_SERVICE_A_MAX + 1];
extern const struct nla_policy apsm_instance_policy[APSM_INSTANCE_A_MAX + 1];
extern const struct nla_policy apsm_chain_policy[APSM_CHAIN_A_MAX + 1];
extern const struct nla_policy apsm_policy_policy[APSM_POLICY_A_MAX + 1];
extern const struct nla_policy apsm_flow_policy[APSM_FLOW_A_MAX + 1];
extern const struct nla_policy apsm_stats_policy[APSM_STATS_A_MAX + 1];

/* Handlers. */
int apsm_nl_node_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_node_set(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_peer_new(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_peer_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_peer_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_peer_set(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_port_new(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_port_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_port_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_port_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_service_new(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_service_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_service_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_service_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_instance_new(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_instance_set(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_instance_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_instance_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_instance_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_chain_new(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_chain_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_chain_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_chain_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_policy_new(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_policy_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_policy_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_policy_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_flow_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_flow_dump_start(struct netlink_callback *cb);
int apsm_nl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_flow_dump_done(struct netlink_callback *cb);
int apsm_nl_flow_del(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_flow_flush(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_flow_install(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_stats_get(struct sk_buff *skb, struct genl_info *info);
int apsm_nl_flow_changes_start(struct netlink_callback *cb);
int apsm_nl_flow_changes_dump(struct sk_buff *skb, struct netlink_callback *cb);
int apsm_nl_flow_changes_done(struct netlink_callback *cb);

/* One change of the feed as an APSM_A_FLOW nest: the flow, OP, SEQ and
 * CAUSE (src/nl/nl_feed.c). 0 or -EMSGSIZE (nothing added).
 */
struct apsm_feed_change;
int apsm_nl_change_fill(struct sk_buff *skb, const struct apsm_feed_change *c);

/* One APSM_A_FLOW nest for @f (src/nl_flow.c); with @e also AGE_MS and
 * PACKETS, with a nonzero @op also OP. 0 or -EMSGSIZE.
 */
struct apsm_rds_entry;
struct apsm_rds_flow;
int apsm_nl_flow_fill(struct sk_buff *skb, const struct apsm_rds_flow *f,
		      const struct apsm_rds_entry *e, u8 op);

#endif /* _APSM_NETLINK_H */
