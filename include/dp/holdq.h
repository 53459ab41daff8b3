/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hold queue (Documentation/datapath.md, "Hold queue"): return
 * packets that enter a node before the RDS entry of their flow (learned on
 * another node, replicated by apsmd) has arrived are held briefly, per
 * netns, and re-injected through the datapath when the entry arrives.
 *
 * Bounded: at most an->hold_max packets per netns (held and waiting for
 * re-injection), an->hold_flow_max per flow, each for at most an->hold_ms.
 * What did not make it (deadline, caps) gets an->hold_expire: passed on
 * plain or dropped; everything is counted (APSM_STATS_A_HOLD_*). A flow
 * that timed out (pass) is remembered for a while and not held again.
 *
 * Locking: one spinlock per netns (the hook takes it in softirq, the rest
 * with BHs off); nothing sleeps under it. Re-injection runs from a work
 * item with BHs off and under rcu_read_lock(), as the hook would.
 */
#ifndef _APSM_HOLDQ_H
#define _APSM_HOLDQ_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct apsm_flow_key;
struct apsm_net;
struct apsm_pkt_info;

/* Defaults of a new netns. */
#define APSM_HOLD_MS_DEFAULT		50
#define APSM_HOLD_MAX_DEFAULT		1024
#define APSM_HOLD_FLOW_MAX_DEFAULT	16
/* Limits of the settings (netlink policy). */
#define APSM_HOLD_MS_LIMIT		10000
#define APSM_HOLD_MAX_LIMIT		65536
#define APSM_HOLD_FLOW_MAX_LIMIT	1024

/* The kmem_cache "apsm_holdq" (module init/exit). */
int apsm_holdq_cache_init(void);
void apsm_holdq_cache_exit(void);

void apsm_holdq_defaults(struct apsm_net *an);
int apsm_holdq_net_init(struct apsm_net *an);
/* Frees every held packet. After the RDS is gone (no more releases). */
void apsm_holdq_net_exit(struct apsm_net *an);

/**
 * apsm_holdq_rx() - hold a plain packet that missed the RDS and the policy
 * @an: the node
 * @skb: the frame, still the hook's
 * @pi: its parsed key
 *
 * Packet path (the ingress hook of an uplink, rcu_read_lock()). Holds
 * @skb when it looks like the return of a steered flow whose entry has
 * not arrived yet (the reverse of a policy rule, see datapath.md).
 *
 * Return: NF_STOLEN (held, or freed and counted), NF_ACCEPT (not held:
 * let it go on), or NF_DROP (a cap overflowed with hold_expire drop).
 */
unsigned int apsm_holdq_rx(struct apsm_net *an, struct sk_buff *skb,
			   const struct apsm_pkt_info *pi);

/* The RDS now has an entry for @key: re-inject what is held for it. Any
 * context (the RDS "added" hook, under RCU); never sleeps.
 */
void apsm_holdq_release(struct apsm_net *an, const struct apsm_flow_key *key);

/* Packets held now (and not yet re-injected). */
u32 apsm_holdq_count(struct apsm_net *an);

#endif /* _APSM_HOLDQ_H */
