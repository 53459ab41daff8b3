// SPDX-License-Identifier: GPL-2.0
/*
 * RDS flows over netlink, shared by apsmctl and apsmd. See flow.h.
 */
#include "flow.h"

const uint8_t nl_flow_kind[APSM_FLOW_A_MAX + 1] = {
	[APSM_FLOW_A_FAMILY] = NLK_U8,
	[APSM_FLOW_A_PROTO] = NLK_U8,
	[APSM_FLOW_A_SRC] = NLK_ANY,
	[APSM_FLOW_A_DST] = NLK_ANY,
	[APSM_FLOW_A_SPORT] = NLK_U16,
	[APSM_FLOW_A_DPORT] = NLK_U16,
	[APSM_FLOW_A_DIR] = NLK_U8,
	[APSM_FLOW_A_SPI] = NLK_U32,
	[APSM_FLOW_A_PATH] = NLK_ANY,
	[APSM_FLOW_A_ORIGIN] = NLK_U32,
	[APSM_FLOW_A_VERSION] = NLK_U64,
	[APSM_FLOW_A_AGE_MS] = NLK_U64,
	[APSM_FLOW_A_PACKETS] = NLK_U64,
	[APSM_FLOW_A_OP] = NLK_U8,
	[APSM_FLOW_A_SEQ] = NLK_U64,	/* change feed, "rds" multicast */
	[APSM_FLOW_A_CAUSE] = NLK_U8,	/* enum apsm_rds_cause */
};

int for_each_flow(const struct nlmsghdr *nlh, nl_flow_cb cb, void *arg)
{
	const struct nlattr *a;
	int ret;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return 0;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != APSM_A_FLOW)
			continue;
		ret = cb(a, arg);
		if (ret)
			return ret;
	}
	return 0;
}

struct flow_dump {
	nl_flow_cb cb;
	void *arg;
};

static int flow_dump_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct flow_dump *d = arg;

	return for_each_flow(nlh, d->cb, d->arg) ? -1 : 0;
}

int nl_flow_dump(nl_flow_cb cb, void *arg)
{
	struct flow_dump d = { cb, arg };

	return nl_dump(nl_msg(APSM_CMD_FLOW_GET, 0), flow_dump_msg, &d);
}
