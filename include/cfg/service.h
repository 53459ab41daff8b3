/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Services: NF types ("fw", "nat"), keyed by name. Each has its instances
 * and the LB table over them (include/lb.h).
 *
 * A service lives as long as instances or chains refer to it: deleting
 * one that is still referred to is refused, so those plain pointers never
 * dangle. Readers look services up under rcu_read_lock(); writers hold
 * an->conf_lock.
 */
#ifndef _APSM_SERVICE_H
#define _APSM_SERVICE_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>
#include <linux/apsm.h>

struct apsm_net;
struct apsm_maglev;
struct apsm_req;

#define APSM_SERVICES_MAX	1024	/* per netns */

struct apsm_service {
	struct hlist_node name_node;	/* in apsm_services.names */
	u32 idx;			/* apsm_services.xa key, the dump cursor */
	bool stateful;			/* return traffic goes back through it */
	/* conf_lock: */
	u32 n_instances;
	u32 chain_refs;			/* chain slots naming it */
	struct list_head instances;	/* apsm_instance.svc_node */
	bool lb_stale;			/* the last LB rebuild failed */
	/* RCU: the LB table over the instances, NULL when there are none */
	struct apsm_maglev __rcu *lb;
	char name[APSM_NAME_MAX];
	struct rcu_head rcu;
};

/* The per-netns table (struct apsm_net::services). */
struct apsm_services {
	struct xarray xa;		/* idx -> struct apsm_service */
	DECLARE_HASHTABLE(names, 6);
	u32 count;
	u32 next_idx;
};

void apsm_services_init(struct apsm_net *an);
void apsm_services_exit(struct apsm_net *an);

/* RCU or conf_lock: the service named @name, or NULL. */
struct apsm_service *apsm_service_find_name(struct apsm_net *an,
					    const char *name);

/* Writers: an->conf_lock held; bump an->generation and send the event. */
struct apsm_service *apsm_service_create(struct apsm_net *an,
					 const char *name, bool stateful,
					 struct apsm_req *req);
/* The caller checked that nothing refers to @svc any more. */
void apsm_service_destroy(struct apsm_net *an, struct apsm_service *svc,
			  struct apsm_req *req);

#endif /* _APSM_SERVICE_H */
