// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink side of the event layer (include/core/event.h): each
 * configuration change becomes the object's event message on the
 * "events" group, echoed to the requester that asked for NLM_F_ECHO.
 */
#include <net/genetlink.h>
#include <linux/apsm.h>

#include "core/event.h"
#include "nl/nl_obj.h"

static const u8 apsm_nl_event_cmd[__APSM_EV_MAX] = {
	[APSM_EV_PEER_NEW] = APSM_CMD_PEER_NEW,
	[APSM_EV_PEER_SET] = APSM_CMD_PEER_SET,
	[APSM_EV_PEER_DEL] = APSM_CMD_PEER_DEL,
	[APSM_EV_PORT_NEW] = APSM_CMD_PORT_NEW,
	[APSM_EV_PORT_DEL] = APSM_CMD_PORT_DEL,
	[APSM_EV_SERVICE_NEW] = APSM_CMD_SERVICE_NEW,
	[APSM_EV_SERVICE_DEL] = APSM_CMD_SERVICE_DEL,
	[APSM_EV_INSTANCE_NEW] = APSM_CMD_INSTANCE_NEW,
	[APSM_EV_INSTANCE_SET] = APSM_CMD_INSTANCE_SET,
	[APSM_EV_INSTANCE_DEL] = APSM_CMD_INSTANCE_DEL,
	[APSM_EV_CHAIN_NEW] = APSM_CMD_CHAIN_NEW,
	[APSM_EV_CHAIN_DEL] = APSM_CMD_CHAIN_DEL,
};

static void apsm_nl_ev_peer(struct apsm_net *an, enum apsm_event ev,
			    const void *obj, struct apsm_req *req)
{
	apsm_nl_peer_notify(an, obj, apsm_nl_event_cmd[ev], apsm_req_info(req));
}

static void apsm_nl_ev_port(struct apsm_net *an, enum apsm_event ev,
			    const void *obj, struct apsm_req *req)
{
	apsm_nl_port_notify(an, obj, apsm_nl_event_cmd[ev], apsm_req_info(req));
}

static void apsm_nl_ev_service(struct apsm_net *an, enum apsm_event ev,
			       const void *obj, struct apsm_req *req)
{
	apsm_nl_service_notify(an, obj, apsm_nl_event_cmd[ev],
			       apsm_req_info(req));
}

static void apsm_nl_ev_instance(struct apsm_net *an, enum apsm_event ev,
				const void *obj, struct apsm_req *req)
{
	apsm_nl_instance_notify(an, obj, apsm_nl_event_cmd[ev],
				apsm_req_info(req));
}

static void apsm_nl_ev_chain(struct apsm_net *an, enum apsm_event ev,
			     const void *obj, struct apsm_req *req)
{
	apsm_nl_chain_notify(an, obj, apsm_nl_event_cmd[ev],
			     apsm_req_info(req));
}

static const struct apsm_event_ops apsm_nl_event_ops = {
	.obj = {
		[APSM_OBJ_PEER] = apsm_nl_ev_peer,
		[APSM_OBJ_PORT] = apsm_nl_ev_port,
		[APSM_OBJ_SERVICE] = apsm_nl_ev_service,
		[APSM_OBJ_INSTANCE] = apsm_nl_ev_instance,
		[APSM_OBJ_CHAIN] = apsm_nl_ev_chain,
	},
};

int apsm_nl_event_init(void)
{
	return apsm_event_register(&apsm_nl_event_ops);
}

void apsm_nl_event_exit(void)
{
	apsm_event_unregister(&apsm_nl_event_ops);
}
