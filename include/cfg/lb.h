/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-service load balancing: a weighted Maglev table (include/maglev.h)
 * over the service's instances, so that adding or removing an instance
 * moves only its own share of new flows.
 *
 * Every instance of the service is a backend; only those in state up get
 * their weight, drain and down ones weight 0 (they own no slot: drain
 * keeps only the flows the RDS pinned to it, which never ask the LB).
 * Counting them all keeps the table size, and with it everyone else's
 * slots, unchanged when one is drained. Every node builds the same table
 * from the same instance set.
 *
 * Rebuilds happen under an->conf_lock on instance add/del/weight/state
 * change: build the new table first (apsm_lb_prepare(), which may fail
 * without changing anything), then publish it (apsm_lb_commit(): RCU
 * swap, the old one freed after a grace period).
 */
#ifndef _APSM_LB_H
#define _APSM_LB_H

#include <linux/err.h>
#include <linux/types.h>

struct apsm_instance;
struct apsm_maglev;
struct apsm_net;
struct apsm_service;

/* Instances one service can have: the Maglev backend limit. */
#define APSM_LB_INSTANCES_MAX	1024

/**
 * apsm_lb_pick() - the instance for a new flow of @svc
 * @svc: the service
 * @flow_hash: the flow's hash, uniform over u32 (the same on every node
 *	for the same flow)
 *
 * Caller holds rcu_read_lock(). The instance may have gone down since the
 * table was built (a failed rebuild keeps the previous table); callers
 * check the state of what apsm_instance_find() returns.
 *
 * Return: the instance id, or 0 when the service has no instance up.
 */
u32 apsm_lb_pick(const struct apsm_service *svc, u32 flow_hash);

/* Whether an instance owns LB slots (state up, weight > 0). */
bool apsm_lb_eligible(u8 state, u32 weight);

/*
 * Build the table @svc would have if instance @ov (NULL: none) were in
 * the service (@ov_in; it may or may not be on svc->instances now) with
 * state @ov_state and weight @ov_weight; the other instances as they are.
 * conf_lock held. Returns the table, NULL for no instances, or
 * ERR_PTR(-ENOMEM / -ENOSPC).
 */
struct apsm_maglev *apsm_lb_prepare(const struct apsm_service *svc,
				    const struct apsm_instance *ov, bool ov_in,
				    u8 ov_state, u32 ov_weight);
/* Publish @m (from apsm_lb_prepare()) as @svc's table. conf_lock held. */
void apsm_lb_commit(struct apsm_service *svc, struct apsm_maglev *m);
/* Drop a table that was prepared but not committed. */
void apsm_lb_abort(struct apsm_maglev *m);
/* Rebuild @svc's table from its instances as they are. On failure the old
 * table stays, svc->lb_stale is set (the next change retries) and the
 * error is returned.
 */
int apsm_lb_rebuild(struct apsm_service *svc);
/* Free @svc's table (the service is going away). */
void apsm_lb_release(struct apsm_service *svc);
/* Slots of @svc's table now (0: none). conf_lock or RCU. */
u32 apsm_lb_size(const struct apsm_service *svc);

/*
 * Dead nodes: while a peer of @an is down (struct apsm_peers.down > 0),
 * apsm_lb_prepare() gives that peer's instances weight 0, like instances
 * in state down: they own no slot. apsm_lb_prepare() is only given the
 * service, so the netns with a peer down are on a list here, which it
 * searches for the service's netns (it is usually empty). The peer code
 * adds @an when its first peer goes down and removes it when none is
 * down any more (or the netns goes away), then rebuilds the tables.
 * conf_lock held.
 */
void apsm_lb_down_net_add(struct apsm_net *an);
void apsm_lb_down_net_del(struct apsm_net *an);

#endif /* _APSM_LB_H */
