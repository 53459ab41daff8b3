// SPDX-License-Identifier: GPL-2.0
/*
 * Services: NF types, keyed by name, each with its instances and its LB
 * table.
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cfg/lb.h"
#include "core/netns.h"
#include "core/event.h"
#include "cfg/service.h"

static u32 apsm_service_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

void apsm_services_init(struct apsm_net *an)
{
	xa_init_flags(&an->services->xa, XA_FLAGS_ALLOC1);
	hash_init(an->services->names);
	an->services->count = 0;
	an->services->next_idx = 1;
}

struct apsm_service *apsm_service_find_name(struct apsm_net *an,
					    const char *name)
{
	struct apsm_service *svc;

	hash_for_each_possible_rcu(an->services->names, svc, name_node,
				   apsm_service_hash(name),
				   lockdep_is_held(&an->conf_lock)) {
		if (!strcmp(svc->name, name))
			return svc;
	}
	return NULL;
}

struct apsm_service *apsm_service_create(struct apsm_net *an,
					 const char *name, bool stateful,
					 struct apsm_req *req)
{
	struct apsm_service *svc;
	int ret;

	lockdep_assert_held(&an->conf_lock);

	if (an->services->count >= APSM_SERVICES_MAX)
		return ERR_PTR(-ENOSPC);
	svc = kzalloc(sizeof(*svc), GFP_KERNEL);
	if (!svc)
		return ERR_PTR(-ENOMEM);
	strscpy(svc->name, name, sizeof(svc->name));
	svc->stateful = stateful;
	INIT_LIST_HEAD(&svc->instances);

	ret = xa_alloc_cyclic(&an->services->xa, &svc->idx, svc, xa_limit_32b,
			      &an->services->next_idx, GFP_KERNEL);
	if (ret < 0) {
		kfree(svc);
		return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
	}
	hash_add_rcu(an->services->names, &svc->name_node,
		     apsm_service_hash(svc->name));
	an->services->count++;
	an->generation++;
	apsm_event(an, APSM_EV_SERVICE_NEW, svc, req);
	return svc;
}

void apsm_service_destroy(struct apsm_net *an, struct apsm_service *svc,
			  struct apsm_req *req)
{
	lockdep_assert_held(&an->conf_lock);
	WARN_ON_ONCE(svc->n_instances || svc->chain_refs);

	xa_erase(&an->services->xa, svc->idx);
	hash_del_rcu(&svc->name_node);
	an->services->count--;
	an->generation++;
	apsm_event(an, APSM_EV_SERVICE_DEL, svc, req);
	apsm_lb_release(svc);
	kvfree_rcu(svc, rcu);
}

void apsm_services_exit(struct apsm_net *an)
{
	struct apsm_service *svc;
	unsigned long idx;

	/* Chains and instances are gone already. */
	mutex_lock(&an->conf_lock);
	xa_for_each(&an->services->xa, idx, svc) {
		xa_erase(&an->services->xa, idx);
		hash_del_rcu(&svc->name_node);
		apsm_lb_release(svc);
		kvfree_rcu(svc, rcu);
	}
	an->services->count = 0;
	xa_destroy(&an->services->xa);
	mutex_unlock(&an->conf_lock);
}
