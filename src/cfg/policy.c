// SPDX-License-Identifier: GPL-2.0
/*
 * The flow policy table: rules sorted by prio in an RCU-published array of
 * pointers. Changes copy the array under an->conf_lock and swap it in, so
 * the packet path (apsm_policy_lookup) never locks and never sees a half
 * built table. Rules are separate objects: the per-cpu hit counters carry
 * over every swap.
 */
#include <linux/if_vlan.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "core/netns.h"
#include "cfg/policy.h"
#include "core/stats.h"

static inline struct apsm_policy_table *
apsm_policy_table_locked(struct apsm_net *an)
{
	return rcu_dereference_protected(an->policy,
					 lockdep_is_held(&an->conf_lock));
}

struct apsm_policy_rule *apsm_policy_rule_alloc(void)
{
	struct apsm_policy_rule *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	r->hits = alloc_percpu(u64);
	if (!r->hits) {
		kfree(r);
		return NULL;
	}
	r->sport_max = U16_MAX;
	r->dport_max = U16_MAX;
	return r;
}

void apsm_policy_rule_free(struct apsm_policy_rule *r)
{
	if (!r)
		return;
	free_percpu(r->hits);
	kfree(r);
}

static void apsm_policy_rule_free_rcu(struct rcu_head *head)
{
	apsm_policy_rule_free(container_of(head, struct apsm_policy_rule, rcu));
}

static void apsm_prefix_mask(struct in6_addr *mask, unsigned int plen)
{
	unsigned int i;

	memset(mask, 0, sizeof(*mask));
	for (i = 0; i < 16 && plen; i++) {
		unsigned int bits = min(plen, 8U);

		mask->s6_addr[i] = 0xff << (8 - bits);
		plen -= bits;
	}
}

void apsm_policy_rule_set_prefix(struct apsm_policy_rule *r, bool src,
				 const struct in6_addr *addr, u8 plen)
{
	struct in6_addr *a = src ? &r->src : &r->dst;
	struct in6_addr *m = src ? &r->src_mask : &r->dst_mask;
	unsigned int i;

	apsm_prefix_mask(m, plen);
	for (i = 0; i < 4; i++)
		a->s6_addr32[i] = addr->s6_addr32[i] & m->s6_addr32[i];
	if (src) {
		r->src_plen = plen;
		r->flags |= APSM_POLICY_F_SRC;
	} else {
		r->dst_plen = plen;
		r->flags |= APSM_POLICY_F_DST;
	}
}

u64 apsm_policy_rule_hits(const struct apsm_policy_rule *r)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(r->hits, cpu));
	return sum;
}

static bool apsm_policy_match(const struct apsm_policy_rule *r,
			      const struct apsm_flow_key *k, int iif, u16 vlan)
{
	u32 f = r->flags;
	u16 port;

	if ((f & APSM_POLICY_F_IIF) && r->iif != iif)
		return false;
	if ((f & APSM_POLICY_F_VLAN) && r->vlan != vlan)
		return false;
	if ((f & APSM_POLICY_F_FAMILY) && r->family != k->family)
		return false;
	if ((f & APSM_POLICY_F_PROTO) && r->proto != k->proto)
		return false;
	if ((f & APSM_POLICY_F_SRC) &&
	    !apsm_prefix_match(&k->src, &r->src, &r->src_mask))
		return false;
	if ((f & APSM_POLICY_F_DST) &&
	    !apsm_prefix_match(&k->dst, &r->dst, &r->dst_mask))
		return false;
	if (f & APSM_POLICY_F_SPORT) {
		port = ntohs(k->sport);
		if (port < r->sport_min || port > r->sport_max)
			return false;
	}
	if (f & APSM_POLICY_F_DPORT) {
		port = ntohs(k->dport);
		if (port < r->dport_min || port > r->dport_max)
			return false;
	}
	return true;
}

const struct apsm_policy_rule *
apsm_policy_lookup(const struct apsm_policy_table *t,
		   const struct apsm_flow_key *k, int iif, u16 vlan)
{
	u32 i;

	if (!t)
		return NULL;
	if (vlan > VLAN_VID_MASK)
		vlan = 0;
	for (i = 0; i < t->n; i++) {
		const struct apsm_policy_rule *r = t->rules[i];

		if (apsm_policy_match(r, k, iif, vlan)) {
			this_cpu_inc(*r->hits);
			return r;
		}
	}
	return NULL;
}

const struct apsm_policy_rule *
apsm_policy_classify(struct apsm_net *an, const struct apsm_flow_key *k,
		     int iif, u16 vlan)
{
	const struct apsm_policy_rule *r;

	r = apsm_policy_lookup(rcu_dereference(an->policy), k, iif, vlan);
	apsm_stats_inc(an, r ? APSM_STATS_A_POLICY_HITS :
			       APSM_STATS_A_POLICY_MISSES);
	return r;
}

static struct apsm_policy_table *apsm_policy_table_alloc(u32 n)
{
	struct apsm_policy_table *t;

	t = kvzalloc(struct_size(t, rules, n), GFP_KERNEL);
	if (t)
		t->n = n;
	return t;
}

/* Index of the first rule with prio >= @prio. */
static u32 apsm_policy_pos(const struct apsm_policy_table *t, u32 prio)
{
	u32 lo = 0, hi = t ? t->n : 0;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (t->rules[mid]->prio < prio)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void apsm_policy_publish(struct apsm_net *an,
				struct apsm_policy_table *old,
				struct apsm_policy_table *new)
{
	rcu_assign_pointer(an->policy, new);
	if (old)
		kvfree_rcu(old, rcu);
}

u32 apsm_policy_count(struct apsm_net *an)
{
	struct apsm_policy_table *t = apsm_policy_table_locked(an);

	return t ? t->n : 0;
}

struct apsm_policy_rule *apsm_policy_find(struct apsm_net *an, u32 prio)
{
	struct apsm_policy_table *t = apsm_policy_table_locked(an);
	u32 pos = apsm_policy_pos(t, prio);

	if (t && pos < t->n && t->rules[pos]->prio == prio)
		return t->rules[pos];
	return NULL;
}

int apsm_policy_add(struct apsm_net *an, struct apsm_policy_rule *r,
		    struct netlink_ext_ack *extack)
{
	struct apsm_policy_table *old = apsm_policy_table_locked(an);
	struct apsm_policy_table *new;
	u32 n = old ? old->n : 0;
	u32 pos = apsm_policy_pos(old, r->prio);

	if (old && pos < n && old->rules[pos]->prio == r->prio) {
		NL_SET_ERR_MSG(extack, "a policy rule with this prio exists");
		return -EEXIST;
	}
	if (n >= an->policy_max) {
		apsm_stats_inc(an, APSM_STATS_A_POLICY_FULL);
		NL_SET_ERR_MSG(extack,
			       "policy table full (node policy_max reached)");
		return -ENOSPC;
	}
	new = apsm_policy_table_alloc(n + 1);
	if (!new)
		return -ENOMEM;
	if (pos)
		memcpy(new->rules, old->rules, pos * sizeof(new->rules[0]));
	new->rules[pos] = r;
	if (n > pos)
		memcpy(&new->rules[pos + 1], &old->rules[pos],
		       (n - pos) * sizeof(new->rules[0]));
	apsm_policy_publish(an, old, new);
	return 0;
}

int apsm_policy_del(struct apsm_net *an, u32 prio)
{
	struct apsm_policy_table *old = apsm_policy_table_locked(an);
	struct apsm_policy_table *new = NULL;
	struct apsm_policy_rule *r;
	u32 pos = apsm_policy_pos(old, prio);

	if (!old || pos >= old->n || old->rules[pos]->prio != prio)
		return -ENOENT;
	r = old->rules[pos];
	if (old->n > 1) {
		new = apsm_policy_table_alloc(old->n - 1);
		if (!new)
			return -ENOMEM;
		memcpy(new->rules, old->rules, pos * sizeof(new->rules[0]));
		memcpy(&new->rules[pos], &old->rules[pos + 1],
		       (old->n - pos - 1) * sizeof(new->rules[0]));
	}
	apsm_policy_publish(an, old, new);
	call_rcu(&r->rcu, apsm_policy_rule_free_rcu);
	return 0;
}

bool apsm_policy_uses_chain(struct apsm_net *an, const char *chain_name)
{
	struct apsm_policy_table *t = apsm_policy_table_locked(an);
	u32 i;

	for (i = 0; t && i < t->n; i++)
		if (!strcmp(t->rules[i]->chain, chain_name))
			return true;
	return false;
}

void apsm_policy_net_init(struct apsm_net *an)
{
	RCU_INIT_POINTER(an->policy, NULL);
}

void apsm_policy_net_exit(struct apsm_net *an)
{
	struct apsm_policy_table *t = rcu_dereference_protected(an->policy, 1);
	u32 i;

	RCU_INIT_POINTER(an->policy, NULL);
	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		call_rcu(&t->rules[i]->rcu, apsm_policy_rule_free_rcu);
	kvfree_rcu(t, rcu);
}
