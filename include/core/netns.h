/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state: one APSM node per netns.
 */
#ifndef _APSM_NETNS_H
#define _APSM_NETNS_H

#include <linux/mutex.h>
#include <linux/siphash.h>
#include <linux/types.h>
#include <net/net_namespace.h>

#include "cfg/chain.h"
#include "cfg/instance.h"
#include "cfg/peer.h"
#include "cfg/port.h"
#include "cfg/service.h"

struct apsm_holdq;
struct apsm_policy_table;
struct apsm_rds;
struct apsm_stats;

struct apsm_net {
	struct net *net;
	/* Serialises every configuration change in this netns. Packet-path
	 * readers never take it: they see the tables under RCU.
	 */
	struct mutex conf_lock;
	u32 node_id;		/* 0 until set */
	u32 rds_max;
	u32 policy_max;
	u32 timeout_tcp_ms;
	u32 timeout_udp_ms;
	u32 timeout_other_ms;
	u32 generation;		/* bumped on every config change */
	siphash_key_t fprint_key;	/* proxy fingerprints (fprint.h); random */
	/* Hold queue (holdq.h) settings, READ_ONCE on the packet path. */
	u32 hold_ms;		/* deadline; 0: hold nothing */
	u32 hold_max;		/* packets held at most, node-wide */
	u32 hold_flow_max;	/* packets held at most, per flow */
	u8 hold_expire;		/* enum apsm_hold_action */
	u8 peerdown;		/* enum apsm_peerdown_policy */
	struct apsm_holdq *holdq;		/* holdq.h */
	struct apsm_stats __percpu *stats;	/* stats.h: node counters */
	struct apsm_policy_table __rcu *policy;	/* policy.h */
	struct apsm_rds *rds;			/* rds.h: flow table */
	/* Configuration objects: RCU readers, conf_lock writers. */
	struct apsm_peers peers;		/* peer.h */
	struct apsm_ports ports;		/* port.h */
	struct apsm_services services;		/* service.h */
	struct apsm_instances instances;	/* instance.h */
	struct apsm_chains chains;		/* chain.h */
};

struct apsm_net *apsm_net(const struct net *net);

int apsm_netns_init(void);
void apsm_netns_exit(void);

#endif /* _APSM_NETNS_H */
