// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl port add | del | show: the netdevs APSM is attached to.
 */
#include <net/if.h>
#include <stdio.h>

#include "apsmctl.h"

static const uint8_t port_kind[APSM_PORT_A_MAX + 1] = {
	[APSM_PORT_A_IFINDEX] = NLK_U32,
	[APSM_PORT_A_ROLE] = NLK_U8,
	[APSM_PORT_A_IFNAME] = NLK_STR,
	[APSM_PORT_A_RX_PACKETS] = NLK_U64,
	[APSM_PORT_A_TX_PACKETS] = NLK_U64,
};

/* Indexed by enum apsm_port_role - 1; "nf" is the kernel's own. */
static const char *const role_names[] = { "uplink", "fabric", "nf", NULL };
static const char *const role_choices[] = { "uplink", "fabric", NULL };

enum { PT_DEV, PT_ROLE, PT_MAX };

static const struct arg_spec port_add_spec[PT_MAX] = {
	[PT_DEV] = ARG_SPEC("dev", ARG_DEV, ARG_REQ),
	[PT_ROLE] = ARG_CHOICES("role", ARG_REQ, role_choices),
};

static const struct arg_spec port_del_spec[] = {
	ARG_SPEC("dev", ARG_DEV, ARG_REQ),
};

int cmd_port_add(int argc, char **argv)
{
	struct arg_val v[PT_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, port_add_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_PORT_NEW, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PORT);
	mnl_attr_put_u32(nlh, APSM_PORT_A_IFINDEX, v[PT_DEV].u);
	/* choice index + 1 == APSM_PORT_UPLINK / APSM_PORT_FABRIC */
	mnl_attr_put_u8(nlh, APSM_PORT_A_ROLE, v[PT_ROLE].u);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

int cmd_port_del(int argc, char **argv)
{
	struct arg_val v[1];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, port_del_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_PORT_DEL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PORT);
	mnl_attr_put_u32(nlh, APSM_PORT_A_IFINDEX, v[0].u);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

void print_port(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_PORT_A_MAX + 1];
	char ifb[IF_NAMESIZE], rb[8];
	const char *dev, *role;
	uint32_t ifindex;
	uint8_t r;

	nl_parse_nest(nest, port_kind, APSM_PORT_A_MAX, tb);
	ifindex = nl_u32(tb[APSM_PORT_A_IFINDEX]);
	dev = nl_str(tb[APSM_PORT_A_IFNAME]);
	if (!dev)
		dev = ifname_of(ifindex, ifb);
	r = nl_u8(tb[APSM_PORT_A_ROLE]);
	if (r >= APSM_PORT_UPLINK && r < __APSM_PORT_ROLE_MAX) {
		role = role_names[r - 1];
	} else {
		snprintf(rb, sizeof(rb), "%u", r);
		role = rb;
	}
	if (j) {
		json_obj_open(j);
		json_kv_str(j, "dev", dev);
		json_kv_u64(j, "ifindex", ifindex);
		json_kv_str(j, "role", role);
		json_kv_u64(j, "rx_packets",
			    nl_u64(tb[APSM_PORT_A_RX_PACKETS]));
		json_kv_u64(j, "tx_packets",
			    nl_u64(tb[APSM_PORT_A_TX_PACKETS]));
		json_obj_close(j);
		return;
	}
	if (dev)
		printf("dev %s", dev);
	else
		printf("ifindex %u", ifindex);
	printf(" role %s rx-packets %llu tx-packets %llu", role,
	       (unsigned long long)nl_u64(tb[APSM_PORT_A_RX_PACKETS]),
	       (unsigned long long)nl_u64(tb[APSM_PORT_A_TX_PACKETS]));
}

static int port_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_PORT);
	struct json *j = show_json(arg);

	if (!nest)
		return 0;
	print_port(nest, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

int cmd_port_show(int argc, char **argv)
{
	struct show s;

	if (no_args(argc, argv) || nl_open())
		return -1;
	show_begin(&s);
	return show_end(&s, nl_dump(nl_msg(APSM_CMD_PORT_GET, 0), port_one,
				    &s));
}
