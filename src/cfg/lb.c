// SPDX-License-Identifier: GPL-2.0
/*
 * Per-service load balancing over the service's instances: a weighted
 * Maglev table (src/maglev.c) rebuilt on every change that matters and
 * swapped in under RCU. See include/lb.h.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "cfg/instance.h"
#include "cfg/lb.h"
#include "cfg/maglev.h"
#include "core/netns.h"
#include "cfg/peer.h"
#include "cfg/service.h"

static_assert(APSM_LB_INSTANCES_MAX <= APSM_MAGLEV_MAX_BACKENDS);

/* Netns with a peer down (apsm_peers.lb_down_node), see include/lb.h.
 * Lock order: an->conf_lock, then this.
 */
static LIST_HEAD(apsm_lb_down_nets);
static DEFINE_MUTEX(apsm_lb_down_lock);

void apsm_lb_down_net_add(struct apsm_net *an)
{
	lockdep_assert_held(&an->conf_lock);
	mutex_lock(&apsm_lb_down_lock);
	if (list_empty(&an->peers->lb_down_node))
		list_add(&an->peers->lb_down_node, &apsm_lb_down_nets);
	mutex_unlock(&apsm_lb_down_lock);
}

void apsm_lb_down_net_del(struct apsm_net *an)
{
	mutex_lock(&apsm_lb_down_lock);
	list_del_init(&an->peers->lb_down_node);
	mutex_unlock(&apsm_lb_down_lock);
}

/* apsm_lb_down_lock held: the netns of @svc if it has a peer down. A
 * service is in exactly one netns's table, at its idx.
 */
static struct apsm_net *apsm_lb_down_net(const struct apsm_service *svc)
{
	struct apsm_peers *peers;

	lockdep_assert_held(&apsm_lb_down_lock);
	list_for_each_entry(peers, &apsm_lb_down_nets, lb_down_node)
		if (xa_load(&peers->an->services->xa, svc->idx) == svc)
			return peers->an;
	return NULL;
}

/* Whether @inst belongs to a peer that is down (@an: its netns if that
 * has a peer down, else NULL).
 */
static bool apsm_lb_owner_down(struct apsm_net *an,
			       const struct apsm_instance *inst)
{
	return an && !inst->local &&
	       apsm_peers_node_down(an->peers, inst->node);
}

u32 apsm_lb_pick(const struct apsm_service *svc, u32 flow_hash)
{
	const struct apsm_maglev *m = rcu_dereference(svc->lb);
	u32 id;

	if (!m)
		return 0;
	id = apsm_maglev_lookup(m, flow_hash);
	return id == APSM_MAGLEV_NONE ? 0 : id;
}

bool apsm_lb_eligible(u8 state, u32 weight)
{
	return state == APSM_STATE_UP && weight > 0;
}

static u32 apsm_lb_weight(u8 state, u32 weight)
{
	return apsm_lb_eligible(state, weight) ? weight : 0;
}

struct apsm_maglev *apsm_lb_prepare(const struct apsm_service *svc,
				    const struct apsm_instance *ov, bool ov_in,
				    u8 ov_state, u32 ov_weight)
{
	struct apsm_maglev_backend *b;
	const struct apsm_instance *inst;
	struct apsm_net *an;
	struct apsm_maglev *m;
	unsigned int n = 0, max = ov && ov_in;

	list_for_each_entry(inst, &svc->instances, svc_node)
		max++;
	if (!max)
		return NULL;
	if (max > APSM_LB_INSTANCES_MAX + 1)
		return ERR_PTR(-ENOSPC);
	/* Every instance is a backend, ineligible ones with weight 0: the
	 * table size (and so everyone's slots) then only depends on how
	 * many instances there are, not on their states.
	 */
	b = kmalloc_array(max, sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	/* Held across the build: keeps the netns found on the list. */
	mutex_lock(&apsm_lb_down_lock);
	an = apsm_lb_down_net(svc);
	list_for_each_entry(inst, &svc->instances, svc_node) {
		if (inst == ov)
			continue;
		if (n == APSM_LB_INSTANCES_MAX)
			goto too_many;
		b[n].id = inst->id;
		b[n].weight = apsm_lb_weight(READ_ONCE(inst->state),
					     READ_ONCE(inst->weight));
		/* a down peer's instance: as if it were down */
		if (apsm_lb_owner_down(an, inst))
			b[n].weight = 0;
		n++;
	}
	if (ov && ov_in) {
		if (n == APSM_LB_INSTANCES_MAX)
			goto too_many;
		b[n].id = ov->id;
		b[n].weight = apsm_lb_weight(ov_state, ov_weight);
		if (apsm_lb_owner_down(an, ov))
			b[n].weight = 0;
		n++;
	}
	mutex_unlock(&apsm_lb_down_lock);
	if (!n) {
		kfree(b);
		return NULL;
	}
	m = apsm_maglev_build(b, n, GFP_KERNEL);
	kfree(b);
	return m ?: ERR_PTR(-ENOMEM);

too_many:
	mutex_unlock(&apsm_lb_down_lock);
	kfree(b);
	return ERR_PTR(-ENOSPC);
}

void apsm_lb_commit(struct apsm_service *svc, struct apsm_maglev *m)
{
	struct apsm_maglev *old;

	old = rcu_replace_pointer(svc->lb, m, true);
	svc->lb_stale = false;
	apsm_maglev_free_rcu(old);
}

void apsm_lb_abort(struct apsm_maglev *m)
{
	if (!IS_ERR_OR_NULL(m))
		apsm_maglev_free(m);
}

int apsm_lb_rebuild(struct apsm_service *svc)
{
	struct apsm_maglev *m = apsm_lb_prepare(svc, NULL, false, 0, 0);

	if (IS_ERR(m)) {
		svc->lb_stale = true;
		return PTR_ERR(m);
	}
	apsm_lb_commit(svc, m);
	return 0;
}

void apsm_lb_release(struct apsm_service *svc)
{
	apsm_maglev_free_rcu(rcu_replace_pointer(svc->lb, NULL, true));
}

u32 apsm_lb_size(const struct apsm_service *svc)
{
	const struct apsm_maglev *m;
	u32 size;

	rcu_read_lock();
	m = rcu_dereference(svc->lb);
	size = m ? m->size : 0;
	rcu_read_unlock();
	return size;
}
