// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl monitor [rds|events]: print the family's multicast messages, one
 * line (or one JSON object) each, until killed. An RDS batch prints one
 * line per flow entry.
 */
#include <stdio.h>

#include "apsmctl.h"
#include "flow.h"

static const char *const group_choices[] = { "rds", "events", NULL };

static const struct arg_spec monitor_spec[] = {
	ARG_CHOICES("group", ARG_POS, group_choices),
};

struct event_desc {
	uint8_t cmd;
	const char *object, *op;
	uint16_t attr;
	void (*print)(const struct nlattr *nest, struct json *j);
};

static const struct event_desc events[] = {
	{ APSM_CMD_NODE_SET, "node", "set", APSM_A_NODE, print_node },
	{ APSM_CMD_PEER_NEW, "peer", "add", APSM_A_PEER, print_peer },
	{ APSM_CMD_PEER_DEL, "peer", "del", APSM_A_PEER, print_peer },
	{ APSM_CMD_PEER_SET, "peer", "set", APSM_A_PEER, print_peer },
	{ APSM_CMD_PORT_NEW, "port", "add", APSM_A_PORT, print_port },
	{ APSM_CMD_PORT_DEL, "port", "del", APSM_A_PORT, print_port },
	{ APSM_CMD_SERVICE_NEW, "service", "add", APSM_A_SERVICE, print_service },
	{ APSM_CMD_SERVICE_DEL, "service", "del", APSM_A_SERVICE, print_service },
	{ APSM_CMD_INSTANCE_NEW, "instance", "add", APSM_A_INSTANCE, print_instance },
	{ APSM_CMD_INSTANCE_SET, "instance", "set", APSM_A_INSTANCE, print_instance },
	{ APSM_CMD_INSTANCE_DEL, "instance", "del", APSM_A_INSTANCE, print_instance },
	{ APSM_CMD_CHAIN_NEW, "chain", "add", APSM_A_CHAIN, print_chain },
	{ APSM_CMD_CHAIN_DEL, "chain", "del", APSM_A_CHAIN, print_chain },
	{ APSM_CMD_POLICY_NEW, "policy", "add", APSM_A_POLICY, print_policy },
	{ APSM_CMD_POLICY_DEL, "policy", "del", APSM_A_POLICY, print_policy },
	{ APSM_CMD_FLOW_DEL, "flow", "del", 0, NULL },
	{ APSM_CMD_FLOW_FLUSH, "flow", "flush", 0, NULL },
	{ APSM_CMD_FLOW_INSTALL, "flow", "install", 0, NULL },
};

struct monitor {
	struct ctl_names names;
	struct json j;
};

static void line_end(void)
{
	fputc('\n', stdout);
	fflush(stdout);
}

static int rds_line(const struct nlattr *flow, void *arg)
{
	struct monitor *m = arg;
	const struct nlattr *a;
	const char *op = "?";
	char ob[4];

	mnl_attr_for_each_nested(a, flow) {
		if (mnl_attr_get_type(a) == APSM_FLOW_A_OP &&
		    mnl_attr_get_payload_len(a) == 1) {
			uint8_t v = mnl_attr_get_u8(a);

			if (v == APSM_RDS_OP_NEW) {
				op = "new";
			} else if (v == APSM_RDS_OP_DEL) {
				op = "del";
			} else {
				snprintf(ob, sizeof(ob), "%u", v);
				op = ob;
			}
		}
	}
	if (ctl_json) {
		json_init(&m->j, stdout);
		json_obj_open(&m->j);
		json_kv_str(&m->j, "group", "rds");
		json_kv_str(&m->j, "op", op);
		json_key(&m->j, "flow");
		print_flow(flow, &m->names, &m->j);
		json_obj_close(&m->j);
	} else {
		printf("rds %s ", op);
		print_flow(flow, &m->names, NULL);
	}
	line_end();
	return 0;
}

/* Event flows: one line (JSON array element or " flow ...") each. */
static int event_flow_json(const struct nlattr *flow, void *arg)
{
	struct monitor *m = arg;

	print_flow(flow, &m->names, &m->j);
	return 0;
}

static int event_flow_text(const struct nlattr *flow, void *arg)
{
	struct monitor *m = arg;

	fputc(' ', stdout);
	print_flow(flow, &m->names, NULL);
	return 0;
}

/* Keep the id -> name cache in step with instance and chain events. */
static void names_update(struct monitor *m, uint8_t cmd,
			 const struct nlattr *nest)
{
	const char *name;
	uint32_t key;

	switch (cmd) {
	case APSM_CMD_INSTANCE_NEW:
	case APSM_CMD_INSTANCE_SET:
	case APSM_CMD_INSTANCE_DEL:
		instance_key(nest, &key, &name);
		if (key && (name || cmd == APSM_CMD_INSTANCE_DEL))
			names_set_instance(&m->names, key,
					   cmd == APSM_CMD_INSTANCE_DEL ? NULL : name);
		break;
	case APSM_CMD_CHAIN_NEW:
	case APSM_CMD_CHAIN_DEL:
		chain_key(nest, &key, &name);
		if (key && (name || cmd == APSM_CMD_CHAIN_DEL))
			names_set_chain(&m->names, key,
					cmd == APSM_CMD_CHAIN_DEL ? NULL : name);
		break;
	}
}

static int monitor_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct event_desc *e = NULL;
	struct monitor *m = arg;
	const struct nlattr *nest = NULL;
	uint8_t cmd = nl_cmd(nlh);
	unsigned int i;

	if (cmd == APSM_CMD_RDS_NOTIFY)
		return for_each_flow(nlh, rds_line, m);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].cmd == cmd)
			e = &events[i];
	if (e && e->attr)
		nest = nl_attr(nlh, e->attr);
	if (ctl_json) {
		json_init(&m->j, stdout);
		json_obj_open(&m->j);
		json_kv_str(&m->j, "group", "events");
		if (e) {
			json_kv_str(&m->j, "object", e->object);
			json_kv_str(&m->j, "op", e->op);
			if (nest) {
				json_key(&m->j, e->object);
				e->print(nest, &m->j);
			}
		} else {
			json_kv_u64(&m->j, "cmd", cmd);
		}
		if (e && !e->attr) {
			/* Flow events carry flows. */
			json_key(&m->j, "flows");
			json_arr_open(&m->j);
			for_each_flow(nlh, event_flow_json, m);
			json_arr_close(&m->j);
		}
		json_obj_close(&m->j);
	} else if (e) {
		printf("%s %s", e->object, e->op);
		if (nest) {
			fputc(' ', stdout);
			e->print(nest, NULL);
		}
		if (!e->attr)
			for_each_flow(nlh, event_flow_text, m);
	} else {
		printf("event cmd %u", cmd);
	}
	line_end();
	if (nest)
		names_update(m, cmd, nest);
	return 0;
}

static void monitor_lost(void *arg)
{
	(void)arg;
	fflush(stdout);
	fprintf(stderr, "apsmctl: monitor: receive buffer overrun, messages were lost\n");
}

int cmd_monitor(int argc, char **argv)
{
	struct arg_val v[1];
	struct monitor m = { 0 };
	int ret;

	if (ARGS_PARSE(argc, argv, monitor_spec, v) || nl_open())
		return -1;
	names_load(&m.names);
	if ((!v[0].set || v[0].u == 1) && nl_join(APSM_MCGRP_RDS))
		return -1;
	if ((!v[0].set || v[0].u == 2) && nl_join(APSM_MCGRP_EVENTS))
		return -1;
	ret = nl_listen(monitor_msg, monitor_lost, &m);
	names_free(&m.names);
	return ret;
}
