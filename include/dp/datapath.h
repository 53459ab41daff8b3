/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet walk (Documentation/datapath.md): what the netdev ingress
 * hook of each port (src/hook.c) does with a frame, by the port's role.
 */
#ifndef _APSM_DATAPATH_H
#define _APSM_DATAPATH_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct apsm_net;
struct apsm_nsh_ctx;
struct apsm_port;

/* Seed of the flow hash the LB picks with (hop i uses seed + i): the same
 * on every node, so every node picks the same instances for a flow.
 */
#define APSM_DP_HASH_SEED	0x41505348

/* Nested entries of the hook on one CPU (a transmit that loops straight
 * back into a receive): deeper ones are dropped (DROP_TTL).
 */
#define APSM_DP_DEPTH_MAX	4

/* The hook: returns NF_ACCEPT (the frame goes on, possibly changed:
 * chain egress), NF_DROP (counted), or NF_STOLEN (steered or freed here).
 * Caller holds rcu_read_lock().
 */
unsigned int apsm_dp_rx(struct apsm_port *port, struct sk_buff *skb);

/* Internal to the datapath files (src/datapath.c, src/proxy.c). */
unsigned int apsm_dp_continue(struct apsm_net *an, struct sk_buff *skb,
			      const struct apsm_nsh_ctx *ctx);
unsigned int apsm_dp_xmit(struct apsm_net *an, struct sk_buff *skb,
			  struct net_device *dev);

#endif /* _APSM_DATAPATH_H */
