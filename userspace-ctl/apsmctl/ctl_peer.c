// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl peer add | del | set | show: the other nodes, reached over a
 * fabric port at a MAC; their state (apsmd sets it from heartbeats) and
 * the replication figures apsmd reports.
 */
#include <net/if.h>
#include <stdio.h>

#include "apsmctl.h"

static const uint8_t peer_kind[APSM_PEER_A_MAX + 1] = {
	[APSM_PEER_A_ID] = NLK_U32,
	[APSM_PEER_A_IFINDEX] = NLK_U32,
	[APSM_PEER_A_LLADDR] = NLK_ANY,
	[APSM_PEER_A_TX_PACKETS] = NLK_U64,
	[APSM_PEER_A_RX_PACKETS] = NLK_U64,
	[APSM_PEER_A_STATE] = NLK_U8,
	[APSM_PEER_A_REPL] = NLK_NEST,
};

static const uint8_t repl_kind[APSM_PEER_REPL_A_MAX + 1] = {
	[APSM_PEER_REPL_A_UPDATES_TX] = NLK_U64,
	[APSM_PEER_REPL_A_UPDATES_RX] = NLK_U64,
	[APSM_PEER_REPL_A_BATCHES_TX] = NLK_U64,
	[APSM_PEER_REPL_A_BATCHES_RX] = NLK_U64,
	[APSM_PEER_REPL_A_AUTH_FAIL] = NLK_U64,
	[APSM_PEER_REPL_A_REPLAY] = NLK_U64,
	[APSM_PEER_REPL_A_RESYNC] = NLK_U64,
	[APSM_PEER_REPL_A_LAST_RX_MS] = NLK_U64,
	[APSM_PEER_REPL_A_LAG_MS] = NLK_U64,
};

/* The figures: command-line keyword (text output too), JSON key. */
static const struct {
	uint16_t attr;
	const char *kw, *key;
} repl_fields[] = {
	{ APSM_PEER_REPL_A_UPDATES_TX, "updates-tx", "updates_tx" },
	{ APSM_PEER_REPL_A_UPDATES_RX, "updates-rx", "updates_rx" },
	{ APSM_PEER_REPL_A_BATCHES_TX, "batches-tx", "batches_tx" },
	{ APSM_PEER_REPL_A_BATCHES_RX, "batches-rx", "batches_rx" },
	{ APSM_PEER_REPL_A_AUTH_FAIL, "auth-fail", "auth_fail" },
	{ APSM_PEER_REPL_A_REPLAY, "replay", "replay" },
	{ APSM_PEER_REPL_A_RESYNC, "resync", "resync" },
	{ APSM_PEER_REPL_A_LAST_RX_MS, "last-rx-ms", "last_rx_ms" },
	{ APSM_PEER_REPL_A_LAG_MS, "lag-ms", "lag_ms" },
};
#define N_REPL (sizeof(repl_fields) / sizeof(repl_fields[0]))

static const char *const peer_state_names[] = { "up", "down", NULL };

static const char *peer_state_name(const struct nlattr *a)
{
	switch (a ? nl_u8(a) : 0) {
	case APSM_PEER_UP:
		return "up";
	case APSM_PEER_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

enum { P_ID, P_DEV, P_LLADDR, P_MAX };

static const struct arg_spec peer_add_spec[P_MAX] = {
	[P_ID] = ARG_RANGE("id", ARG_U32, ARG_REQ, 1, UINT32_MAX),
	[P_DEV] = ARG_SPEC("dev", ARG_DEV, ARG_REQ),
	[P_LLADDR] = ARG_SPEC("lladdr", ARG_MAC, ARG_REQ),
};

static const struct arg_spec peer_del_spec[] = {
	ARG_RANGE("id", ARG_U32, ARG_REQ, 1, UINT32_MAX),
};

/* peer set: id, state, then one keyword per figure (repl_fields order). */
enum { PS_ID, PS_STATE, PS_REPL, PS_MAX = PS_REPL + N_REPL };

static struct arg_spec peer_set_spec[PS_MAX] = {
	[PS_ID] = ARG_RANGE("id", ARG_U32, ARG_REQ, 1, UINT32_MAX),
	[PS_STATE] = ARG_CHOICES("state", 0, peer_state_names),
};

int cmd_peer_set(int argc, char **argv)
{
	struct arg_val v[PS_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest, *repl;
	bool any_repl = false;
	unsigned int i;

	for (i = 0; i < N_REPL; i++)
		peer_set_spec[PS_REPL + i] = (struct arg_spec)
			ARG_RANGE(repl_fields[i].kw, ARG_U64, 0, 0, UINT64_MAX);
	if (ARGS_PARSE(argc, argv, peer_set_spec, v))
		return -1;
	for (i = 0; i < N_REPL; i++)
		any_repl |= v[PS_REPL + i].set;
	if (!v[PS_STATE].set && !any_repl) {
		ctl_seterr("nothing to set (state up|down, or a replication figure)");
		return -1;
	}
	if (nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_PEER_SET, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PEER);
	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, v[PS_ID].u);
	if (v[PS_STATE].set)
		mnl_attr_put_u8(nlh, APSM_PEER_A_STATE,
				v[PS_STATE].u == 1 ? APSM_PEER_UP :
						     APSM_PEER_DOWN);
	if (any_repl) {
		repl = mnl_attr_nest_start(nlh, APSM_PEER_A_REPL);
		for (i = 0; i < N_REPL; i++)
			if (v[PS_REPL + i].set)
				mnl_attr_put_u64(nlh, repl_fields[i].attr,
						 v[PS_REPL + i].u);
		mnl_attr_nest_end(nlh, repl);
	}
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

int cmd_peer_add(int argc, char **argv)
{
	struct arg_val v[P_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, peer_add_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_PEER_NEW, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PEER);
	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, v[P_ID].u);
	mnl_attr_put_u32(nlh, APSM_PEER_A_IFINDEX, v[P_DEV].u);
	mnl_attr_put(nlh, APSM_PEER_A_LLADDR, 6, v[P_LLADDR].mac);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

int cmd_peer_del(int argc, char **argv)
{
	struct arg_val v[1];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, peer_del_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_PEER_DEL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PEER);
	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, v[0].u);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

void print_peer(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_PEER_A_MAX + 1];
	const struct nlattr *rtb[APSM_PEER_REPL_A_MAX + 1] = { NULL };
	const struct nlattr *ll;
	char ifb[IF_NAMESIZE], mac[18];
	const char *dev, *lladdr = NULL;
	uint32_t ifindex;
	unsigned int i;

	nl_parse_nest(nest, peer_kind, APSM_PEER_A_MAX, tb);
	if (tb[APSM_PEER_A_REPL])
		nl_parse_nest(tb[APSM_PEER_A_REPL], repl_kind,
			      APSM_PEER_REPL_A_MAX, rtb);
	ifindex = nl_u32(tb[APSM_PEER_A_IFINDEX]);
	dev = ifname_of(ifindex, ifb);
	ll = tb[APSM_PEER_A_LLADDR];
	if (ll && mnl_attr_get_payload_len(ll) == 6)
		lladdr = fmt_mac(mnl_attr_get_payload(ll), mac);
	if (j) {
		json_obj_open(j);
		json_kv_u64(j, "id", nl_u32(tb[APSM_PEER_A_ID]));
		json_kv_str(j, "dev", dev);
		json_kv_u64(j, "ifindex", ifindex);
		json_kv_str(j, "lladdr", lladdr);
		json_kv_u64(j, "tx_packets",
			    nl_u64(tb[APSM_PEER_A_TX_PACKETS]));
		json_kv_u64(j, "rx_packets",
			    nl_u64(tb[APSM_PEER_A_RX_PACKETS]));
		json_kv_str(j, "state", peer_state_name(tb[APSM_PEER_A_STATE]));
		json_key(j, "repl");
		json_obj_open(j);
		for (i = 0; i < N_REPL; i++)
			json_kv_u64(j, repl_fields[i].key,
				    nl_u64(rtb[repl_fields[i].attr]));
		json_obj_close(j);
		json_obj_close(j);
		return;
	}
	printf("id %u", nl_u32(tb[APSM_PEER_A_ID]));
	if (dev)
		printf(" dev %s", dev);
	else
		printf(" ifindex %u", ifindex);
	printf(" lladdr %s tx-packets %llu rx-packets %llu",
	       lladdr ? lladdr : "none",
	       (unsigned long long)nl_u64(tb[APSM_PEER_A_TX_PACKETS]),
	       (unsigned long long)nl_u64(tb[APSM_PEER_A_RX_PACKETS]));
	printf(" state %s", peer_state_name(tb[APSM_PEER_A_STATE]));
	for (i = 0; i < N_REPL; i++)
		printf(" %s %llu", repl_fields[i].kw,
		       (unsigned long long)nl_u64(rtb[repl_fields[i].attr]));
}

static int peer_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_PEER);
	struct json *j = show_json(arg);

	if (!nest)
		return 0;
	print_peer(nest, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

int cmd_peer_show(int argc, char **argv)
{
	struct show s;
	int ret;

	if (no_args(argc, argv) || nl_open())
		return -1;
	show_begin(&s);
	ret = nl_dump(nl_msg(APSM_CMD_PEER_GET, 0), peer_one, &s);
	return show_end(&s, ret);
}
