// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink attribute -> apsmctl keyword, one table per object, so that the
 * kernel's extack ("missing APSM_INSTANCE_A_ID", offending attribute at
 * offset N) comes out in the words the user typed: "missing id".
 * Installed with nl_set_attr_namer() by main(); see nl_error_text().
 */
#include <linux/apsm.h>

#include "apsmctl.h"

struct kw {
	uint16_t type;
	const char *word;
};

static const struct kw node_kw[] = {
	{ APSM_NODE_A_ID, "id" },
	{ APSM_NODE_A_RDS_MAX, "rds-max" },
	{ APSM_NODE_A_POLICY_MAX, "policy-max" },
	{ APSM_NODE_A_TIMEOUT_TCP, "timeout-tcp" },
	{ APSM_NODE_A_TIMEOUT_UDP, "timeout-udp" },
	{ APSM_NODE_A_TIMEOUT_OTHER, "timeout-other" },
	{ APSM_NODE_A_HOLD_MS, "hold-ms" },
	{ APSM_NODE_A_HOLD_MAX, "hold-max" },
	{ APSM_NODE_A_HOLD_FLOW_MAX, "hold-flow-max" },
	{ APSM_NODE_A_HOLD_EXPIRE, "hold-expire" },
	{ APSM_NODE_A_PEERDOWN, "peerdown" },
	{ APSM_NODE_A_FEED_SIZE, "feed-size" },
};

static const struct kw peer_kw[] = {
	{ APSM_PEER_A_ID, "id" },
	{ APSM_PEER_A_IFINDEX, "dev" },
	{ APSM_PEER_A_LLADDR, "lladdr" },
	{ APSM_PEER_A_STATE, "state" },
};

static const struct kw port_kw[] = {
	{ APSM_PORT_A_IFINDEX, "dev" },
	{ APSM_PORT_A_ROLE, "role" },
};

static const struct kw service_kw[] = {
	{ APSM_SERVICE_A_NAME, "NAME" },
	{ APSM_SERVICE_A_STATEFUL, "type" },
};

static const struct kw instance_kw[] = {
	{ APSM_INSTANCE_A_NAME, "NAME" },
	{ APSM_INSTANCE_A_ID, "id" },
	{ APSM_INSTANCE_A_SERVICE, "service" },
	{ APSM_INSTANCE_A_NODE, "node" },
	{ APSM_INSTANCE_A_IFINDEX, "dev" },
	{ APSM_INSTANCE_A_MODE, "mode" },
	{ APSM_INSTANCE_A_WEIGHT, "weight" },
	{ APSM_INSTANCE_A_STATE, "state" },
	{ APSM_INSTANCE_A_LLADDR, "lladdr" },
	{ APSM_INSTANCE_A_NOCTX, "noctx" },
	{ APSM_INSTANCE_A_FPRINT_TTL, "fprint-ttl" },
	{ APSM_INSTANCE_A_UNRECOVERED, "unrecovered" },
};

static const struct kw chain_kw[] = {
	{ APSM_CHAIN_A_NAME, "NAME" },
	{ APSM_CHAIN_A_SPI, "spi" },
	{ APSM_CHAIN_A_SERVICES, "services" },
	{ APSM_CHAIN_A_RETURN, "return" },
};

static const struct kw policy_kw[] = {
	{ APSM_POLICY_A_PRIO, "prio" },
	{ APSM_POLICY_A_CHAIN, "chain" },
	{ APSM_POLICY_A_IIF, "iif" },
	{ APSM_POLICY_A_FAMILY, "src/dst family" },
	{ APSM_POLICY_A_SRC, "src" },
	{ APSM_POLICY_A_SRC_PLEN, "src" },
	{ APSM_POLICY_A_DST, "dst" },
	{ APSM_POLICY_A_DST_PLEN, "dst" },
	{ APSM_POLICY_A_PROTO, "proto" },
	{ APSM_POLICY_A_SPORT_MIN, "sport" },
	{ APSM_POLICY_A_SPORT_MAX, "sport" },
	{ APSM_POLICY_A_DPORT_MIN, "dport" },
	{ APSM_POLICY_A_DPORT_MAX, "dport" },
	{ APSM_POLICY_A_VLAN, "vlan" },
};

static const struct kw flow_kw[] = {
	{ APSM_FLOW_A_FAMILY, "src/dst family" },
	{ APSM_FLOW_A_PROTO, "proto" },
	{ APSM_FLOW_A_SRC, "src" },
	{ APSM_FLOW_A_DST, "dst" },
	{ APSM_FLOW_A_SPORT, "sport" },
	{ APSM_FLOW_A_DPORT, "dport" },
	{ APSM_FLOW_A_DIR, "dir" },
	{ APSM_FLOW_A_SPI, "spi" },
	{ APSM_FLOW_A_PATH, "path" },
	{ APSM_FLOW_A_ORIGIN, "origin" },
	{ APSM_FLOW_A_VERSION, "version" },
};

#define OBJ(a, name, t) { a, name, t, sizeof(t) / sizeof(t[0]) }

static const struct {
	uint16_t nest;
	const char *object;
	const struct kw *kw;
	unsigned int n;
} objects[] = {
	OBJ(APSM_A_NODE, "node", node_kw),
	OBJ(APSM_A_PEER, "peer", peer_kw),
	OBJ(APSM_A_PORT, "port", port_kw),
	OBJ(APSM_A_SERVICE, "service", service_kw),
	OBJ(APSM_A_INSTANCE, "instance", instance_kw),
	OBJ(APSM_A_CHAIN, "chain", chain_kw),
	OBJ(APSM_A_POLICY, "policy", policy_kw),
	OBJ(APSM_A_FLOW, "flow", flow_kw),
};

const char *ctl_attr_keyword(uint16_t nest, uint16_t type)
{
	unsigned int i, k;

	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (!nest && objects[i].nest == type)
			return objects[i].object;	/* the object itself */
		if (objects[i].nest != nest)
			continue;
		for (k = 0; k < objects[i].n; k++)
			if (objects[i].kw[k].type == type)
				return objects[i].kw[k].word;
	}
	return NULL;
}
