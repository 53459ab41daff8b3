// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl peer add | del | show: the other nodes, reached over a fabric
 * port at a MAC.
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
};

enum { P_ID, P_DEV, P_LLADDR, P_MAX };

static const struct arg_spec peer_add_spec[P_MAX] = {
	[P_ID] = ARG_RANGE("id", ARG_U32, ARG_REQ, 1, UINT32_MAX),
	[P_DEV] = ARG_SPEC("dev", ARG_DEV, ARG_REQ),
	[P_LLADDR] = ARG_SPEC("lladdr", ARG_MAC, ARG_REQ),
};

static const struct arg_spec peer_del_spec[] = {
	ARG_RANGE("id", ARG_U32, ARG_REQ, 1, UINT32_MAX),
};

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
	const struct nlattr *ll;
	char ifb[IF_NAMESIZE], mac[18];
	const char *dev, *lladdr = NULL;
	uint32_t ifindex;

	nl_parse_nest(nest, peer_kind, APSM_PEER_A_MAX, tb);
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
