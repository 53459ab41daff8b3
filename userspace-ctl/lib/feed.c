// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel change feed over netlink, shared by apsmctl and apsmd. See
 * feed.h.
 */
#include <string.h>

#include "args.h"
#include "feed.h"

struct feed_read {
	nl_flow_cb cb;
	void *arg;
	struct nl_feed_info info;
	bool seen_msg;
	uint64_t last;		/* seq of the last change delivered, 0: none */
	int delivered;
};

uint64_t nl_feed_seq(const struct nlattr *flow)
{
	const struct nlattr *tb[APSM_FLOW_A_MAX + 1];

	nl_parse_nest(flow, nl_flow_kind, APSM_FLOW_A_MAX, tb);
	return nl_u64(tb[APSM_FLOW_A_SEQ]);
}

static int feed_flow(const struct nlattr *flow, void *arg)
{
	struct feed_read *r = arg;
	uint64_t seq = nl_feed_seq(flow);
	int ret;

	if (!seq || seq <= r->last) {
		ctl_seterr("change feed: change without a seq, or out of order (seq %llu after %llu)",
			      (unsigned long long)seq,
			      (unsigned long long)r->last);
		return -1;
	}
	ret = r->cb ? r->cb(flow, r->arg) : 0;
	if (ret)
		return ret;
	r->last = seq;
	r->delivered++;
	return 0;
}

static int feed_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct feed_read *r = arg;
	const struct nlattr *a;

	if (!r->seen_msg) {
		a = nl_attr(nlh, APSM_A_FEED_FIRST);
		r->info.first = a && mnl_attr_get_payload_len(a) == 8 ?
				nl_u64(a) : 0;
		a = nl_attr(nlh, APSM_A_FEED_NEXT);
		r->info.next = a && mnl_attr_get_payload_len(a) == 8 ?
			       nl_u64(a) : 0;
		r->seen_msg = true;
	}
	if (nl_attr(nlh, APSM_A_FEED_BEHIND))
		r->info.behind = true;
	return for_each_flow(nlh, feed_flow, r) ? -1 : 0;
}

int nl_feed_read(uint64_t cursor, uint32_t limit, nl_flow_cb cb, void *arg,
		 struct nl_feed_info *info)
{
	struct feed_read r = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;

	nlh = nl_msg(APSM_CMD_FLOW_CHANGES, NLM_F_DUMP);
	mnl_attr_put_u64(nlh, APSM_A_FEED_CURSOR, cursor);
	if (limit)
		mnl_attr_put_u32(nlh, APSM_A_FEED_LIMIT, limit);
	if (nl_dump(nlh, feed_msg, &r))
		return -1;
	if (!r.seen_msg) {
		ctl_seterr("change feed: no reply message");
		return -1;
	}
	if (r.last)
		r.info.cursor = r.last + 1;
	else if (cursor > r.info.next)
		r.info.cursor = r.info.next;
	else
		r.info.cursor = cursor > r.info.first ? cursor : r.info.first;
	if (info)
		*info = r.info;
	return r.delivered;
}
