// SPDX-License-Identifier: GPL-2.0
/*
 * Instances: the NFs of the cluster, keyed by id; the local ones own a
 * port (role nf) on this node. Every change that moves LB slots rebuilds
 * the service's table first and fails cleanly if that fails.
 */
#include <linux/etherdevice.h>
#include <linux/jhash.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cfg/instance.h"
#include "cfg/lb.h"
#include "core/netns.h"
#include "core/event.h"
#include "cfg/port.h"
#include "cfg/service.h"
#include "core/stats.h"

static u32 apsm_instance_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

void apsm_instances_init(struct apsm_net *an)
{
	xa_init_flags(&an->instances->xa, XA_FLAGS_ALLOC);
	hash_init(an->instances->names);
	an->instances->count = 0;
	an->instances->local = 0;
	an->instances->next_id = 0;
}

struct apsm_instance *apsm_instance_find(struct apsm_net *an, u32 id)
{
	return xa_load(&an->instances->xa, id);
}

struct apsm_instance *apsm_instance_find_name(struct apsm_net *an,
					      const char *name)
{
	struct apsm_instance *inst;

	hash_for_each_possible_rcu(an->instances->names, inst, name_node,
				   apsm_instance_hash(name),
				   lockdep_is_held(&an->conf_lock)) {
		if (!strcmp(inst->name, name))
			return inst;
	}
	return NULL;
}

void apsm_instance_flows_add(struct apsm_net *an, u32 id, int delta)
{
	struct apsm_instance *inst;

	rcu_read_lock();
	inst = xa_load(&an->instances->xa, id);
	if (inst)
		atomic_add(delta, &inst->flows);
	rcu_read_unlock();
}

void apsm_instance_lladdr_learn(struct apsm_instance *inst, const u8 *mac)
{
	u64 old = atomic64_read(&inst->lladdr), new;

	if ((old & APSM_LLADDR_CONFIGURED) || !is_valid_ether_addr(mac))
		return;
	new = ether_addr_to_u64(mac) | APSM_LLADDR_VALID;
	/* Losing a race against the operator setting it is fine. */
	if (old != new)
		atomic64_cmpxchg(&inst->lladdr, old, new);
}

void apsm_instance_read_stats(const struct apsm_instance *inst,
			      struct apsm_instance_counters *sum)
{
	/* The counters are the per-cpu struct's, in its order, as u64. */
	BUILD_BUG_ON(sizeof(*sum) != offsetof(struct apsm_instance_stats, syncp));
	BUILD_BUG_ON(offsetof(struct apsm_instance_counters, proxy) !=
		     offsetof(struct apsm_instance_stats, proxy));
	memset(sum, 0, sizeof(*sum));
	APSM_PCPU_SUM(inst->stats, struct apsm_instance_stats, (u64 *)sum);
}

static const struct apsm_instance_ops *apsm_instance_ops;

void apsm_instance_set_ops(const struct apsm_instance_ops *ops)
{
	WRITE_ONCE(apsm_instance_ops, ops);
}

static void apsm_instance_fprint_free(struct apsm_instance *inst)
{
	const struct apsm_instance_ops *ops = READ_ONCE(apsm_instance_ops);

	if (inst->fprint && !WARN_ON_ONCE(!ops))
		ops->fprint_free(inst->fprint);
	inst->fprint = NULL;
}

static void apsm_instance_free_rcu(struct rcu_head *head)
{
	struct apsm_instance *inst;

	inst = container_of(head, struct apsm_instance, rcu);
	apsm_instance_fprint_free(inst);
	free_percpu(inst->stats);
	kfree(inst);
}

static struct apsm_port *apsm_instance_port(struct apsm_net *an,
					    const struct apsm_instance *inst)
{
	return rcu_dereference_protected(inst->port,
					 lockdep_is_held(&an->conf_lock));
}

static void apsm_instance_set_lladdr(struct apsm_instance *inst,
				     const u8 *mac)
{
	if (is_zero_ether_addr(mac))
		atomic64_set(&inst->lladdr, 0);
	else
		atomic64_set(&inst->lladdr, ether_addr_to_u64(mac) |
			     APSM_LLADDR_VALID | APSM_LLADDR_CONFIGURED);
}

/* Reserve the instance's id in the table (published later). */
static int apsm_instance_reserve_id(struct apsm_net *an,
				    struct apsm_instance *inst, u32 id)
{
	u32 base;
	int ret;

	if (id) {
		inst->id = id;
		ret = xa_insert(&an->instances->xa, id, NULL, GFP_KERNEL);
		return ret == -EBUSY ? -EEXIST : ret;
	}
	if (an->node_id >= BIT(32 - APSM_INSTANCE_ID_SHIFT))
		return -ERANGE;
	base = an->node_id << APSM_INSTANCE_ID_SHIFT;
	/* Cyclic, so that a deleted instance's id is not soon reused by
	 * another while flows may still name it.
	 */
	ret = xa_alloc_cyclic(&an->instances->xa, &inst->id, NULL,
			      XA_LIMIT(base | 1,
				       base | (BIT(APSM_INSTANCE_ID_SHIFT) - 1)),
			      &an->instances->next_id, GFP_KERNEL);
	if (ret < 0)
		return ret == -EBUSY ? -ENOSPC : ret;
	return 0;
}

struct apsm_instance *apsm_instance_create(struct apsm_net *an,
					   const struct apsm_instance_params *p,
					   struct apsm_req *req)
{
	struct apsm_service *svc = p->svc;
	struct apsm_port *port = NULL;
	struct apsm_instance *inst;
	struct apsm_maglev *m;
	int ret;

	lockdep_assert_held(&an->conf_lock);

	if (an->instances->count >= APSM_INSTANCES_MAX ||
	    svc->n_instances >= APSM_LB_INSTANCES_MAX)
		return ERR_PTR(-ENOSPC);
	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return ERR_PTR(-ENOMEM);
	inst->stats = netdev_alloc_pcpu_stats(struct apsm_instance_stats);
	if (!inst->stats) {
		ret = -ENOMEM;
		goto err_free;
	}
	strscpy(inst->name, p->name, sizeof(inst->name));
	inst->node = p->node;
	inst->local = p->local;
	inst->mode = p->mode;
	inst->state = p->state;
	inst->noctx = p->noctx;
	inst->weight = p->weight;
	inst->svc = svc;
	if (p->lladdr)
		apsm_instance_set_lladdr(inst, p->lladdr);
	inst->fprint_ttl_ms = p->fprint_ttl_ms ?: APSM_FPRINT_TTL_DEFAULT;
	if (inst->mode == APSM_MODE_PROXY && inst->local) {
		const struct apsm_instance_ops *ops = READ_ONCE(apsm_instance_ops);

		if (!ops) {
			ret = -EOPNOTSUPP;
			goto err_free;
		}
		inst->fprint = ops->fprint_alloc(GFP_KERNEL);
		if (!inst->fprint) {
			ret = -ENOMEM;
			goto err_free;
		}
	}

	ret = apsm_instance_reserve_id(an, inst, p->id);
	if (ret)
		goto err_free;
	if (p->dev) {
		port = apsm_port_create(an, p->dev, APSM_PORT_NF, inst->id);
		if (IS_ERR(port)) {
			ret = PTR_ERR(port);
			goto err_id;
		}
		RCU_INIT_POINTER(inst->port, port);
	}
	m = apsm_lb_prepare(svc, inst, true, inst->state, inst->weight);
	if (IS_ERR(m)) {
		ret = PTR_ERR(m);
		goto err_port;
	}

	hash_add_rcu(an->instances->names, &inst->name_node,
		     apsm_instance_hash(inst->name));
	list_add_tail(&inst->svc_node, &svc->instances);
	svc->n_instances++;
	an->instances->count++;
	if (inst->local)
		an->instances->local++;
	/* Publish: the reserved slot needs no allocation. Then the LB, so
	 * that it never picks an id the table does not have yet.
	 */
	WARN_ON_ONCE(xa_err(xa_store(&an->instances->xa, inst->id, inst,
				     GFP_KERNEL)));
	apsm_lb_commit(svc, m);

	an->generation++;
	apsm_event(an, APSM_EV_INSTANCE_NEW, inst, req);
	if (port)
		apsm_event(an, APSM_EV_PORT_NEW, port, req);
	return inst;

err_port:
	if (port)
		apsm_port_destroy(an, port);
err_id:
	xa_erase(&an->instances->xa, inst->id);
err_free:
	apsm_instance_fprint_free(inst);
	free_percpu(inst->stats);
	kfree(inst);
	return ERR_PTR(ret);
}

int apsm_instance_change(struct apsm_net *an, struct apsm_instance *inst,
			 const struct apsm_instance_change *c,
			 struct apsm_req *req)
{
	struct apsm_port *old_port = apsm_instance_port(an, inst);
	struct apsm_port *new_port = NULL;
	struct apsm_service *svc = inst->svc;
	struct apsm_maglev *m = NULL;
	u8 state = c->state ?: inst->state;
	u32 weight = c->weight ?: inst->weight;
	bool was_in, now_in, lb;

	lockdep_assert_held(&an->conf_lock);

	was_in = apsm_lb_eligible(inst->state, inst->weight);
	now_in = apsm_lb_eligible(state, weight);
	lb = svc->lb_stale || was_in != now_in ||
	     (now_in && weight != inst->weight);
	if (lb) {
		m = apsm_lb_prepare(svc, inst, true, state, weight);
		if (IS_ERR(m))
			return PTR_ERR(m);
	}
	if (c->dev) {
		new_port = apsm_port_create(an, c->dev, APSM_PORT_NF,
					    inst->id);
		if (IS_ERR(new_port)) {
			apsm_lb_abort(m);
			return PTR_ERR(new_port);
		}
	}

	/* Nothing fails from here on. */
	WRITE_ONCE(inst->state, state);
	WRITE_ONCE(inst->weight, weight);
	if (c->noctx)
		WRITE_ONCE(inst->noctx, c->noctx);
	if (c->fprint_ttl_ms)
		WRITE_ONCE(inst->fprint_ttl_ms, c->fprint_ttl_ms);
	if (c->lladdr)
		apsm_instance_set_lladdr(inst, c->lladdr);
	if (new_port)
		rcu_assign_pointer(inst->port, new_port);
	if (lb)
		apsm_lb_commit(svc, m);

	an->generation++;
	if (new_port && old_port) {
		apsm_event(an, APSM_EV_PORT_DEL, old_port, req);
		apsm_port_destroy(an, old_port);
	}
	apsm_event(an, APSM_EV_INSTANCE_SET, inst, req);
	if (new_port)
		apsm_event(an, APSM_EV_PORT_NEW, new_port, req);
	return 0;
}

/* Take @inst out of the tables; the caller frees it. */
static void apsm_instance_unlink(struct apsm_net *an,
				 struct apsm_instance *inst)
{
	xa_erase(&an->instances->xa, inst->id);
	hash_del_rcu(&inst->name_node);
	list_del(&inst->svc_node);
	inst->svc->n_instances--;
	an->instances->count--;
	if (inst->local)
		an->instances->local--;
}

int apsm_instance_destroy(struct apsm_net *an, struct apsm_instance *inst,
			  struct apsm_req *req)
{
	struct apsm_port *port = apsm_instance_port(an, inst);
	struct apsm_maglev *m;

	lockdep_assert_held(&an->conf_lock);

	/* The LB first: it must not pick the instance once it is gone. */
	m = apsm_lb_prepare(inst->svc, inst, false, 0, 0);
	if (IS_ERR(m))
		return PTR_ERR(m);
	apsm_lb_commit(inst->svc, m);
	apsm_instance_unlink(an, inst);

	an->generation++;
	apsm_event(an, APSM_EV_INSTANCE_DEL, inst, req);
	if (port) {
		RCU_INIT_POINTER(inst->port, NULL);
		apsm_event(an, APSM_EV_PORT_DEL, port, req);
		apsm_port_destroy(an, port);
	}
	call_rcu(&inst->rcu, apsm_instance_free_rcu);
	return 0;
}

void apsm_instance_port_gone(struct apsm_net *an, struct apsm_port *port)
{
	struct apsm_instance *inst;
	u8 old_state;

	lockdep_assert_held(&an->conf_lock);

	inst = apsm_instance_find(an, port->instance_id);
	if (WARN_ON_ONCE(!inst || apsm_instance_port(an, inst) != port)) {
		apsm_port_remove(an, port, NULL);
		return;
	}
	old_state = inst->state;
	WRITE_ONCE(inst->state, APSM_STATE_DOWN);
	if ((apsm_lb_eligible(old_state, inst->weight) || inst->svc->lb_stale) &&
	    apsm_lb_rebuild(inst->svc))
		pr_warn_ratelimited("instance %s down, its LB table could not be rebuilt: kept the old one\n",
				    inst->name);
	RCU_INIT_POINTER(inst->port, NULL);

	an->generation++;
	apsm_event(an, APSM_EV_PORT_DEL, port, NULL);
	apsm_port_destroy(an, port);
	apsm_event(an, APSM_EV_INSTANCE_SET, inst, NULL);
}

int apsm_instances_check_node_id(struct apsm_net *an, u32 new_id,
				 struct netlink_ext_ack *extack)
{
	struct apsm_instance *inst;
	unsigned long id;

	lockdep_assert_held(&an->conf_lock);

	if (an->instances->local) {
		NL_SET_ERR_MSG(extack,
			       "this node owns instances: delete them before changing its id");
		return -EBUSY;
	}
	xa_for_each(&an->instances->xa, id, inst) {
		if (inst->node == new_id) {
			NL_SET_ERR_MSG(extack,
				       "instances of a node with this id exist: delete them first");
			return -EBUSY;
		}
	}
	return 0;
}

void apsm_instances_exit(struct apsm_net *an)
{
	struct apsm_instance *inst;
	struct apsm_port *port;
	unsigned long id;

	/* No notifications: the netns is going away. The services' LB
	 * tables go with the services.
	 */
	mutex_lock(&an->conf_lock);
	xa_for_each(&an->instances->xa, id, inst) {
		apsm_instance_unlink(an, inst);
		port = rcu_dereference_protected(inst->port, true);
		if (port) {
			RCU_INIT_POINTER(inst->port, NULL);
			apsm_port_destroy(an, port);
		}
		call_rcu(&inst->rcu, apsm_instance_free_rcu);
	}
	xa_destroy(&an->instances->xa);
	mutex_unlock(&an->conf_lock);
}
