// SPDX-License-Identifier: GPL-2.0
/*
 * The event layer (include/core/event.h): one ops table, registered by
 * the netlink layer.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/rwsem.h>

#include "core/event.h"

/* Handlers may sleep (they build messages with GFP_KERNEL), so the table
 * is guarded by a rwsem rather than RCU: events read it, (un)register
 * writes it, so unregister waits for every running handler.
 */
static DECLARE_RWSEM(apsm_event_sem);
static const struct apsm_event_ops *apsm_event_ops;

static const u8 apsm_event_kinds[__APSM_EV_MAX] = {
	[APSM_EV_PEER_NEW] = APSM_OBJ_PEER,
	[APSM_EV_PEER_SET] = APSM_OBJ_PEER,
	[APSM_EV_PEER_DEL] = APSM_OBJ_PEER,
	[APSM_EV_PORT_NEW] = APSM_OBJ_PORT,
	[APSM_EV_PORT_DEL] = APSM_OBJ_PORT,
	[APSM_EV_SERVICE_NEW] = APSM_OBJ_SERVICE,
	[APSM_EV_SERVICE_DEL] = APSM_OBJ_SERVICE,
	[APSM_EV_INSTANCE_NEW] = APSM_OBJ_INSTANCE,
	[APSM_EV_INSTANCE_SET] = APSM_OBJ_INSTANCE,
	[APSM_EV_INSTANCE_DEL] = APSM_OBJ_INSTANCE,
	[APSM_EV_CHAIN_NEW] = APSM_OBJ_CHAIN,
	[APSM_EV_CHAIN_DEL] = APSM_OBJ_CHAIN,
};

enum apsm_obj_kind apsm_event_kind(enum apsm_event ev)
{
	if (WARN_ON_ONCE((unsigned int)ev >= __APSM_EV_MAX))
		return __APSM_OBJ_MAX;
	return apsm_event_kinds[ev];
}

void apsm_event(struct apsm_net *an, enum apsm_event ev, const void *obj,
		struct apsm_req *req)
{
	enum apsm_obj_kind kind = apsm_event_kind(ev);
	apsm_event_fn fn = NULL;

	if (kind >= __APSM_OBJ_MAX)
		return;
	down_read(&apsm_event_sem);
	if (apsm_event_ops)
		fn = apsm_event_ops->obj[kind];
	if (fn)
		fn(an, ev, obj, req);
	up_read(&apsm_event_sem);
}

int apsm_event_register(const struct apsm_event_ops *ops)
{
	int ret = 0;

	down_write(&apsm_event_sem);
	if (apsm_event_ops)
		ret = -EBUSY;
	else
		apsm_event_ops = ops;
	up_write(&apsm_event_sem);
	return ret;
}

void apsm_event_unregister(const struct apsm_event_ops *ops)
{
	down_write(&apsm_event_sem);
	if (apsm_event_ops == ops)
		apsm_event_ops = NULL;
	up_write(&apsm_event_sem);
}
