// SPDX-License-Identifier: GPL-2.0
/*
 * lib/flow.c: the one loop over the flows of a message (for_each_flow),
 * which apsmd's dumps and RDS listener and apsmctl's flow show and monitor
 * all use.
 */
#include <linux/apsm.h>

#include "../lib/flow.h"
#include "unit.h"

static char buf[1024];

/* A message: one non-flow attribute, then n flow nests with spi 1..n. */
static const struct nlmsghdr *msg(unsigned int n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	unsigned int i;

	g->cmd = APSM_CMD_RDS_NOTIFY;
	mnl_attr_put_u32(nlh, APSM_A_STATS, 7);
	for (i = 1; i <= n; i++) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_FLOW);

		mnl_attr_put_u32(nlh, APSM_FLOW_A_SPI, i);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_PROTO, 6);
		mnl_attr_nest_end(nlh, nest);
	}
	return nlh;
}

struct seen {
	unsigned int n, stop_at;
	uint32_t spis[8];
};

static int one(const struct nlattr *flow, void *arg)
{
	const struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	struct seen *s = arg;

	nl_parse_nest(flow, nl_flow_kind, APSM_FLOW_A_MAX, tb);
	if (s->n < 8)
		s->spis[s->n] = nl_u32(tb[APSM_FLOW_A_SPI]);
	s->n++;
	return s->n == s->stop_at ? 5 : 0;
}

void test_flow(void)
{
	struct seen s = { 0 };
	struct nlmsghdr empty;

	CHECK(for_each_flow(msg(3), one, &s) == 0, "walk of 3 flows");
	CHECK(s.n == 3, "saw %u flows, want 3 (the stats attribute is no flow)",
	      s.n);
	CHECK(s.spis[0] == 1 && s.spis[1] == 2 && s.spis[2] == 3,
	      "in order: %u %u %u", s.spis[0], s.spis[1], s.spis[2]);
	s = (struct seen){ .stop_at = 2 };
	CHECK(for_each_flow(msg(3), one, &s) == 5 && s.n == 2,
	      "a nonzero return stops the walk and is returned (n %u)", s.n);
	s = (struct seen){ 0 };
	CHECK(for_each_flow(msg(0), one, &s) == 0 && s.n == 0, "no flows");
	empty.nlmsg_len = NLMSG_HDRLEN;
	CHECK(for_each_flow(&empty, one, &s) == 0 && s.n == 0,
	      "a message shorter than the genl header");
}
