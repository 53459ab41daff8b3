// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl node set | node show: this netns's node id, limits and timeouts.
 */
#include <stdio.h>

#include "apsmctl.h"

static const uint8_t node_kind[APSM_NODE_A_MAX + 1] = {
	[APSM_NODE_A_ID] = NLK_U32,
	[APSM_NODE_A_RDS_MAX] = NLK_U32,
	[APSM_NODE_A_RDS_COUNT] = NLK_U32,
	[APSM_NODE_A_POLICY_MAX] = NLK_U32,
	[APSM_NODE_A_TIMEOUT_TCP] = NLK_U32,
	[APSM_NODE_A_TIMEOUT_UDP] = NLK_U32,
	[APSM_NODE_A_TIMEOUT_OTHER] = NLK_U32,
	[APSM_NODE_A_GENERATION] = NLK_U32,
	[APSM_NODE_A_HOLD_MS] = NLK_U32,
	[APSM_NODE_A_HOLD_MAX] = NLK_U32,
	[APSM_NODE_A_HOLD_FLOW_MAX] = NLK_U32,
	[APSM_NODE_A_HOLD_EXPIRE] = NLK_U8,
	[APSM_NODE_A_HOLD_COUNT] = NLK_U32,
	[APSM_NODE_A_PEERDOWN] = NLK_U8,
	[APSM_NODE_A_FEED_SIZE] = NLK_U32,
};

static const char *const hold_expire_names[] = { "pass", "drop", NULL };
static const char *const peerdown_names[] = { "drop", "repin", NULL };

/* Name of choice @v (1-based, as the enums) of @names, or "unknown". */
static const char *node_choice(const char *const *names, unsigned int n,
			       const struct nlattr *a)
{
	uint8_t v = a ? nl_u8(a) : 0;

	return v >= 1 && v <= n ? names[v - 1] : "unknown";
}

#define TIMEOUT_MAX_S (7 * 24 * 3600)

enum { N_ID, N_RDS_MAX, N_POLICY_MAX, N_TCP, N_UDP, N_OTHER,
       N_HOLD_MS, N_HOLD_MAX, N_HOLD_FLOW_MAX, N_HOLD_EXPIRE, N_PEERDOWN,
       N_FEED_SIZE, N_MAX };

static const struct arg_spec node_set_spec[N_MAX] = {
	[N_ID] = ARG_RANGE("id", ARG_U32, 0, 1, UINT32_MAX),
	[N_RDS_MAX] = ARG_RANGE("rds-max", ARG_U32, 0, 1, 1U << 24),
	[N_POLICY_MAX] = ARG_RANGE("policy-max", ARG_U32, 0, 1, 65536),
	[N_TCP] = ARG_RANGE("timeout-tcp", ARG_U32, 0, 1, TIMEOUT_MAX_S),
	[N_UDP] = ARG_RANGE("timeout-udp", ARG_U32, 0, 1, TIMEOUT_MAX_S),
	[N_OTHER] = ARG_RANGE("timeout-other", ARG_U32, 0, 1, TIMEOUT_MAX_S),
	[N_HOLD_MS] = ARG_RANGE("hold-ms", ARG_U32, 0, 0, 10000),
	[N_HOLD_MAX] = ARG_RANGE("hold-max", ARG_U32, 0, 1, 65536),
	[N_HOLD_FLOW_MAX] = ARG_RANGE("hold-flow-max", ARG_U32, 0, 1, 1024),
	[N_HOLD_EXPIRE] = ARG_CHOICES("hold-expire", 0, hold_expire_names),
	[N_PEERDOWN] = ARG_CHOICES("peerdown", 0, peerdown_names),
	/* the kernel also wants a power of two */
	[N_FEED_SIZE] = ARG_RANGE("feed-size", ARG_U32, 0, APSM_FEED_SIZE_MIN,
				  APSM_FEED_SIZE_MAX),
};

int cmd_node_set(int argc, char **argv)
{
	static const uint16_t attr[N_MAX] = {
		[N_ID] = APSM_NODE_A_ID,
		[N_RDS_MAX] = APSM_NODE_A_RDS_MAX,
		[N_POLICY_MAX] = APSM_NODE_A_POLICY_MAX,
		[N_TCP] = APSM_NODE_A_TIMEOUT_TCP,
		[N_UDP] = APSM_NODE_A_TIMEOUT_UDP,
		[N_OTHER] = APSM_NODE_A_TIMEOUT_OTHER,
		[N_HOLD_MS] = APSM_NODE_A_HOLD_MS,
		[N_HOLD_MAX] = APSM_NODE_A_HOLD_MAX,
		[N_HOLD_FLOW_MAX] = APSM_NODE_A_HOLD_FLOW_MAX,
		[N_HOLD_EXPIRE] = APSM_NODE_A_HOLD_EXPIRE,
		[N_PEERDOWN] = APSM_NODE_A_PEERDOWN,
		[N_FEED_SIZE] = APSM_NODE_A_FEED_SIZE,
	};
	struct arg_val v[N_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	bool any = false;
	int i;

	if (ARGS_PARSE(argc, argv, node_set_spec, v))
		return -1;
	for (i = 0; i < N_MAX; i++)
		any |= v[i].set;
	if (!any) {
		ctl_seterr("nothing to set (id, rds-max, policy-max, timeout-tcp, timeout-udp, timeout-other, hold-ms, hold-max, hold-flow-max, hold-expire, peerdown, feed-size)");
		return -1;
	}
	if (nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_NODE_SET, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_NODE);
	for (i = 0; i < N_MAX; i++) {
		uint32_t val = v[i].u;

		if (!v[i].set)
			continue;
		/* choices: index + 1, the enums' values */
		if (i == N_HOLD_EXPIRE || i == N_PEERDOWN) {
			mnl_attr_put_u8(nlh, attr[i], val);
			continue;
		}
		if (i == N_TCP || i == N_UDP || i == N_OTHER)
			val *= 1000;	/* seconds on the command line, ms in the ABI */
		mnl_attr_put_u32(nlh, attr[i], val);
	}
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

/* Seconds from ms: integral when it divides, else with the fraction. */
static void print_secs(const char *kw, uint32_t ms)
{
	if (ms % 1000)
		printf(" %s %u.%03u", kw, ms / 1000, ms % 1000);
	else
		printf(" %s %u", kw, ms / 1000);
}

void print_node(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_NODE_A_MAX + 1];

	nl_parse_nest(nest, node_kind, APSM_NODE_A_MAX, tb);
	if (j) {
		json_obj_open(j);
		json_kv_u64(j, "id", nl_u32(tb[APSM_NODE_A_ID]));
		json_kv_u64(j, "rds_max", nl_u32(tb[APSM_NODE_A_RDS_MAX]));
		json_kv_u64(j, "rds_count", nl_u32(tb[APSM_NODE_A_RDS_COUNT]));
		json_kv_u64(j, "policy_max",
			    nl_u32(tb[APSM_NODE_A_POLICY_MAX]));
		json_kv_u64(j, "timeout_tcp_ms",
			    nl_u32(tb[APSM_NODE_A_TIMEOUT_TCP]));
		json_kv_u64(j, "timeout_udp_ms",
			    nl_u32(tb[APSM_NODE_A_TIMEOUT_UDP]));
		json_kv_u64(j, "timeout_other_ms",
			    nl_u32(tb[APSM_NODE_A_TIMEOUT_OTHER]));
		json_kv_u64(j, "generation",
			    nl_u32(tb[APSM_NODE_A_GENERATION]));
		json_kv_u64(j, "hold_ms", nl_u32(tb[APSM_NODE_A_HOLD_MS]));
		json_kv_u64(j, "hold_max", nl_u32(tb[APSM_NODE_A_HOLD_MAX]));
		json_kv_u64(j, "hold_flow_max",
			    nl_u32(tb[APSM_NODE_A_HOLD_FLOW_MAX]));
		json_kv_str(j, "hold_expire",
			    node_choice(hold_expire_names, 2,
					tb[APSM_NODE_A_HOLD_EXPIRE]));
		json_kv_u64(j, "hold_count",
			    nl_u32(tb[APSM_NODE_A_HOLD_COUNT]));
		json_kv_str(j, "peerdown",
			    node_choice(peerdown_names, 2,
					tb[APSM_NODE_A_PEERDOWN]));
		json_kv_u64(j, "feed_size", nl_u32(tb[APSM_NODE_A_FEED_SIZE]));
		json_obj_close(j);
		return;
	}
	printf("id %u rds-max %u rds-count %u policy-max %u",
	       nl_u32(tb[APSM_NODE_A_ID]), nl_u32(tb[APSM_NODE_A_RDS_MAX]),
	       nl_u32(tb[APSM_NODE_A_RDS_COUNT]),
	       nl_u32(tb[APSM_NODE_A_POLICY_MAX]));
	print_secs("timeout-tcp", nl_u32(tb[APSM_NODE_A_TIMEOUT_TCP]));
	print_secs("timeout-udp", nl_u32(tb[APSM_NODE_A_TIMEOUT_UDP]));
	print_secs("timeout-other", nl_u32(tb[APSM_NODE_A_TIMEOUT_OTHER]));
	printf(" generation %u", nl_u32(tb[APSM_NODE_A_GENERATION]));
	printf(" hold-ms %u hold-max %u hold-flow-max %u hold-expire %s hold-count %u peerdown %s",
	       nl_u32(tb[APSM_NODE_A_HOLD_MS]), nl_u32(tb[APSM_NODE_A_HOLD_MAX]),
	       nl_u32(tb[APSM_NODE_A_HOLD_FLOW_MAX]),
	       node_choice(hold_expire_names, 2, tb[APSM_NODE_A_HOLD_EXPIRE]),
	       nl_u32(tb[APSM_NODE_A_HOLD_COUNT]),
	       node_choice(peerdown_names, 2, tb[APSM_NODE_A_PEERDOWN]));
	printf(" feed-size %u", nl_u32(tb[APSM_NODE_A_FEED_SIZE]));
}

static int node_reply(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_NODE);
	struct json *j = arg;

	if (!nest) {
		ctl_seterr("the kernel's reply carries no node");
		return -1;
	}
	print_node(nest, j);
	fputc('\n', stdout);
	return 0;
}

int cmd_node_show(int argc, char **argv)
{
	struct json j;

	if (no_args(argc, argv) || nl_open())
		return -1;
	json_init(&j, stdout);
	/* One node per netns: a single object, not an array. */
	return nl_request(nl_msg(APSM_CMD_NODE_GET, 0), node_reply,
			  ctl_json ? &j : NULL);
}
