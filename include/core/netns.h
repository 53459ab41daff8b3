/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state: one APSM node per netns.
 *
 * Core owns the struct, the settings, the lock and the counters; each
 * layer above hangs its own state here as a pointer, set up and torn down
 * by that layer's pernet operations (cfg/cfg_net.c, flow/rds_net.c,
 * dp/dp_net.c, nl/rds_notify.c). main.c registers them bottom-up, so a
 * netns is built core, cfg, flow, dp, nl and torn down the other way.
 */
#ifndef _APSM_NETNS_H
#define _APSM_NETNS_H

#include <linux/mutex.h>
#include <linux/siphash.h>
#include <linux/types.h>
#include <net/net_namespace.h>

struct apsm_chains;
struct apsm_holdq;
struct apsm_instances;
struct apsm_peers;
struct apsm_policy_table;
struct apsm_ports;
struct apsm_rds;
struct apsm_feed;
struct apsm_rds_notify;
struct apsm_services;
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
	struct apsm_stats __percpu *stats;	/* core/stats.h: node counters */
	/* cfg (cfg/cfg_net.c). Configuration objects: RCU readers,
	 * conf_lock writers.
	 */
	struct apsm_peers *peers;		/* cfg/peer.h */
	struct apsm_ports *ports;		/* cfg/port.h */
	struct apsm_services *services;		/* cfg/service.h */
	struct apsm_instances *instances;	/* cfg/instance.h */
	struct apsm_chains *chains;		/* cfg/chain.h */
	struct apsm_policy_table __rcu *policy;	/* cfg/policy.h */
	/* flow (flow/rds_net.c) */
	struct apsm_rds *rds;			/* flow/rds.h: flow table */
	struct apsm_feed *feed;			/* flow/feed.h: its changes */
	/* dp (dp/dp_net.c) */
	struct apsm_holdq *holdq;		/* dp/holdq.h */
	/* nl (nl/rds_notify.c): batched "rds" multicast, NULL once the
	 * netns is going (pre_exit) so RDS subscribers stop recording.
	 */
	struct apsm_rds_notify __rcu *rds_notify;
};

struct apsm_net *apsm_net(const struct net *net);

/* Caps for a node in a netns owned by a non-initial user namespace
 * (unshare -Urn): its admin is not the machine's, so what its tables
 * may hold is bounded by module parameters (userns_rds_max,
 * userns_policy_max, userns_feed_max) that only the machine's root sets.
 * U32_MAX in the initial user namespace.
 */
enum apsm_limit {
	APSM_LIMIT_RDS,
	APSM_LIMIT_POLICY,
	APSM_LIMIT_FEED,
};

u32 apsm_net_limit(const struct apsm_net *an, enum apsm_limit which);

/* Core's pernet operations: the struct, defaults, lock and counters.
 * Registered before, and unregistered after, every other layer's.
 */
int apsm_netns_init(void);
void apsm_netns_exit(void);

#endif /* _APSM_NETNS_H */
