/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the netlink files of the configuration objects
 * (src/nl_peer.c, nl_port.c, nl_service.c, nl_instance.c, nl_chain.c):
 * messages for replies and events, resumable xarray dumps, and each
 * object's event sender (called through the event layer,
 * src/nl/nl_event.c, after a change, with an->conf_lock held).
 */
#ifndef _APSM_NL_OBJ_H
#define _APSM_NL_OBJ_H

#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/sock.h>

struct apsm_chain;
struct apsm_instance;
struct apsm_net;
struct apsm_peer;
struct apsm_port;
struct apsm_req;
struct apsm_service;

/* A request as the config objects see it (include/core/event.h): the
 * genl_info of the request, opaque below the netlink layer.
 */
static inline struct apsm_req *apsm_nl_req(struct genl_info *info)
{
	return (struct apsm_req *)info;
}

static inline struct genl_info *apsm_req_info(struct apsm_req *req)
{
	return (struct genl_info *)req;
}

/* The event ops (src/nl/nl_event.c): registered before the family. */
int apsm_nl_event_init(void);
void apsm_nl_event_exit(void);

/* In a request policy: an attribute only the kernel reports. */
#define APSM_NLA_RO { .type = NLA_REJECT, .reject_message = "read-only attribute" }

/* True, with an extack naming it, when the request's object nest @nest
 * lacks attribute @type.
 */
#define apsm_nl_missing(info, nest, tb, type) ({			\
	bool __miss = !(tb)[type];					\
	if (__miss) {							\
		NL_SET_ERR_ATTR_MISS((info)->extack,			\
				     (info)->attrs[nest], type);	\
		NL_SET_ERR_MSG((info)->extack, "missing " #type);	\
	}								\
	__miss;								\
})

/* A message for @cmd: addressed like a reply to @info (its portid and
 * seq), or with @info NULL an unsolicited event. NULL if out of memory.
 */
struct sk_buff *apsm_nl_msg_new(const struct genl_info *info, u8 cmd,
				void **hdr);
/* Send @skb (complete) to the events group of @net and, if the request
 * @info (may be NULL) asked for NLM_F_ECHO, to the requester. Consumes it.
 */
void apsm_nl_notify(struct net *net, struct genl_info *info,
		    struct sk_buff *skb);
/* An event could not be built: tell the listeners they missed one
 * (ENOBUFS on their sockets), so they resync from a dump.
 */
void apsm_nl_notify_lost(struct net *net);

/* Fill one object into a dump message: 0, -EMSGSIZE, or 1 to skip it. */
typedef int (*apsm_nl_fill_t)(struct sk_buff *skb, const void *obj,
			      const void *arg);

/* A message for @cmd carrying one object, filled by @fill (arg NULL):
 * addressed like apsm_nl_msg_new(). NULL if out of memory.
 */
struct sk_buff *apsm_nl_obj_msg(const struct genl_info *info, u8 cmd,
				apsm_nl_fill_t fill, const void *obj);
/* The event for a change of one object: apsm_nl_obj_msg() sent with
 * apsm_nl_notify(), or apsm_nl_notify_lost() if it could not be built.
 */
void apsm_nl_obj_notify(struct apsm_net *an, struct genl_info *info, u8 cmd,
			apsm_nl_fill_t fill, const void *obj);
/* Dump consistency: cb->seq from the netns's generation, never 0 (a 0
 * would turn genl_dump_check_consistent() off).
 */
static inline void apsm_nl_dump_seq(struct netlink_callback *cb,
				    u32 generation)
{
	cb->seq = (generation + 1) ?: 1;
}

/* One resumable dump step over @xa (cursor in cb->args[0..1]), with the
 * lock that protects @xa's objects held and apsm_nl_dump_seq() done by
 * the caller.
 */
int apsm_nl_dump_xa(struct sk_buff *skb, struct netlink_callback *cb,
		    struct xarray *xa, u8 cmd, apsm_nl_fill_t fill,
		    const void *arg);

/* Events: each object as its GET reply carries it, command @cmd. */
void apsm_nl_peer_notify(struct apsm_net *an, const struct apsm_peer *peer,
			 u8 cmd, struct genl_info *info);
void apsm_nl_port_notify(struct apsm_net *an, const struct apsm_port *port,
			 u8 cmd, struct genl_info *info);
void apsm_nl_service_notify(struct apsm_net *an,
			    const struct apsm_service *svc, u8 cmd,
			    struct genl_info *info);
void apsm_nl_instance_notify(struct apsm_net *an,
			     const struct apsm_instance *inst, u8 cmd,
			     struct genl_info *info);
void apsm_nl_chain_notify(struct apsm_net *an,
			  const struct apsm_chain *chain, u8 cmd,
			  struct genl_info *info);

#endif /* _APSM_NL_OBJ_H */
