/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow policy table: prioritised match rules -> chain.
 *
 * Per netns, an array of rule pointers sorted by prio (lowest first),
 * published with RCU. Writers (under an->conf_lock) build a new array and
 * swap it in; rules are allocated separately, so a rule and its per-cpu
 * hit counter live on across swaps. The packet path walks the array under
 * rcu_read_lock() and takes no lock.
 */
#ifndef _APSM_POLICY_H
#define _APSM_POLICY_H

#include <linux/in6.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/apsm.h>
#include <net/ipv6.h>

#include "core/flowkey.h"

struct apsm_chain;
struct apsm_net;
struct netlink_ext_ack;

/* Which match fields a rule uses; an unset one is a wildcard. */
enum {
	APSM_POLICY_F_IIF	= BIT(0),
	APSM_POLICY_F_FAMILY	= BIT(1),
	APSM_POLICY_F_SRC	= BIT(2),	/* needs F_FAMILY */
	APSM_POLICY_F_DST	= BIT(3),	/* needs F_FAMILY */
	APSM_POLICY_F_PROTO	= BIT(4),
	APSM_POLICY_F_SPORT	= BIT(5),
	APSM_POLICY_F_DPORT	= BIT(6),
	APSM_POLICY_F_VLAN	= BIT(7),
};

struct apsm_policy_rule {
	u32 prio;
	u32 flags;			/* APSM_POLICY_F_* */
	int iif;
	u8 family;
	u8 proto;
	u8 src_plen;
	u8 dst_plen;
	u16 vlan;			/* 0 matches untagged frames */
	u16 sport_min, sport_max;	/* host order, inclusive */
	u16 dport_min, dport_max;
	struct in6_addr src, dst;	/* masked to their prefix */
	struct in6_addr src_mask, dst_mask;
	char chain[APSM_NAME_MAX];
	/* The chain named above, resolved when the rule was added: a chain
	 * a rule uses cannot be deleted, and chains never change once
	 * published, so this stays valid as long as the rule. May be NULL
	 * (KUnit builds rules without chains).
	 */
	struct apsm_chain *chain_ptr;
	u64 __percpu *hits;
	struct rcu_head rcu;
};

struct apsm_policy_table {
	struct rcu_head rcu;
	u32 n;
	struct apsm_policy_rule *rules[];	/* sorted by prio */
};

/* A new, unpublished rule: every field a wildcard, port ranges full. */
struct apsm_policy_rule *apsm_policy_rule_alloc(void);
/* Free a rule that was never added to a table. */
void apsm_policy_rule_free(struct apsm_policy_rule *r);
/* Whether @a is in the prefix @net/@mask (@net already masked): the
 * kernel's masked compare, shared by the classification and the hold
 * queue.
 */
static inline bool apsm_prefix_match(const struct in6_addr *a,
				     const struct in6_addr *net,
				     const struct in6_addr *mask)
{
	return !ipv6_masked_addr_cmp(a, mask, net);
}

/* Set a prefix match (@src selects src or dst): copies @addr masked to
 * @plen and sets the flag. @plen must fit the rule's family (the caller
 * validated it). The rule's family must be set first.
 */
void apsm_policy_rule_set_prefix(struct apsm_policy_rule *r, bool src,
				 const struct in6_addr *addr, u8 plen);
u64 apsm_policy_rule_hits(const struct apsm_policy_rule *r);

/* The first (lowest prio) rule of @t matching a packet with key @k that
 * came in on @iif with VLAN id @vlan, or NULL. @vlan 0 means untagged (as
 * does any value above 4095, e.g. the parser's APSM_VLAN_NONE); a rule's
 * VLAN 0 matches untagged and priority-tagged frames. Counts the hit on
 * the rule. Caller holds rcu_read_lock(); @t may be NULL.
 */
const struct apsm_policy_rule *
apsm_policy_lookup(const struct apsm_policy_table *t,
		   const struct apsm_flow_key *k, int iif, u16 vlan);

/* apsm_policy_lookup() on @an's table, counting POLICY_HITS/_MISSES.
 * Caller holds rcu_read_lock().
 */
const struct apsm_policy_rule *
apsm_policy_classify(struct apsm_net *an, const struct apsm_flow_key *k,
		     int iif, u16 vlan);

/* Writers: caller holds an->conf_lock. */

/* Add @r (the table owns it on success). -EEXIST if its prio is taken,
 * -ENOSPC (counted as APSM_STATS_A_POLICY_FULL) at an->policy_max rules.
 */
int apsm_policy_add(struct apsm_net *an, struct apsm_policy_rule *r,
		    struct netlink_ext_ack *extack);
/* Remove the rule with @prio and free it after a grace period. */
int apsm_policy_del(struct apsm_net *an, u32 prio);
struct apsm_policy_rule *apsm_policy_find(struct apsm_net *an, u32 prio);
u32 apsm_policy_count(struct apsm_net *an);

/* True when a policy rule of @an points at the chain named @chain_name.
 * Caller holds an->conf_lock (the chain code uses it to refuse deleting a
 * chain that is still in use).
 */
bool apsm_policy_uses_chain(struct apsm_net *an, const char *chain_name);

void apsm_policy_net_init(struct apsm_net *an);
/* Frees every rule; no lock needed (netns is going away). */
void apsm_policy_net_exit(struct apsm_net *an);

#endif /* _APSM_POLICY_H */
