/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event layer: configuration code reports what changed, the netlink
 * side (src/nl/nl_event.c) turns it into messages. Lower layers never
 * name netlink: a change is reported as apsm_event(an, APSM_EV_*, obj,
 * req), where req is the request the change answers, opaque here (NULL
 * for changes nobody asked for, e.g. a device that went away).
 *
 * One ops table, one handler per object kind, registered at module init
 * by the netlink layer and unregistered before its family goes. Without
 * a table (before init, after exit) events are dropped: nobody listens.
 *
 * apsm_event() runs in process context (handlers may sleep) with the
 * netns's conf_lock held.
 */
#ifndef _APSM_EVENT_H
#define _APSM_EVENT_H

struct apsm_net;
/* The request a change answers; only the registered ops look inside. */
struct apsm_req;

enum apsm_obj_kind {
	APSM_OBJ_PEER,
	APSM_OBJ_PORT,
	APSM_OBJ_SERVICE,
	APSM_OBJ_INSTANCE,
	APSM_OBJ_CHAIN,
	__APSM_OBJ_MAX
};

enum apsm_event {
	APSM_EV_PEER_NEW,
	APSM_EV_PEER_SET,
	APSM_EV_PEER_DEL,
	APSM_EV_PORT_NEW,
	APSM_EV_PORT_DEL,
	APSM_EV_SERVICE_NEW,
	APSM_EV_SERVICE_DEL,
	APSM_EV_INSTANCE_NEW,
	APSM_EV_INSTANCE_SET,
	APSM_EV_INSTANCE_DEL,
	APSM_EV_CHAIN_NEW,
	APSM_EV_CHAIN_DEL,
	__APSM_EV_MAX
};

typedef void (*apsm_event_fn)(struct apsm_net *an, enum apsm_event ev,
			      const void *obj, struct apsm_req *req);

struct apsm_event_ops {
	/* Indexed by enum apsm_obj_kind; a NULL handler drops the event. */
	apsm_event_fn obj[__APSM_OBJ_MAX];
};

/* The kind of object @ev is about. */
enum apsm_obj_kind apsm_event_kind(enum apsm_event ev);

/* Report @ev about @obj (of apsm_event_kind(ev)) to the registered ops. */
void apsm_event(struct apsm_net *an, enum apsm_event ev, const void *obj,
		struct apsm_req *req);

/* One table at a time: -EBUSY if another one is registered. Unregister
 * returns once no handler of @ops runs any more.
 */
int apsm_event_register(const struct apsm_event_ops *ops);
void apsm_event_unregister(const struct apsm_event_ops *ops);

#endif /* _APSM_EVENT_H */
