// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel refusals as apsmctl prints them: errno and extack message, a
 * missing or offending attribute named by its CLI keyword (keywords.c),
 * never by its netlink name.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/apsm.h>
#include <linux/netlink.h>

#include "../apsmctl/apsmctl.h"
#include "unit.h"

static char reqbuf[512], errbuf[512];

/* instance set: APSM_A_INSTANCE { NAME "fw1", WEIGHT 3 } */
static struct nlmsghdr *request(uint32_t *nest_off, uint32_t *weight_off)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(reqbuf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *nest;

	g->cmd = APSM_CMD_INSTANCE_SET;
	nlh->nlmsg_type = 30;
	nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);
	*nest_off = (char *)nest - reqbuf;
	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_NAME, "fw1");
	*weight_off = (char *)mnl_nlmsg_get_payload_tail(nlh) - reqbuf;
	mnl_attr_put_u32(nlh, APSM_INSTANCE_A_WEIGHT, 3);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

/* An NLMSG_ERROR (capped) with the given extack attributes (0: absent). */
static struct nlmsghdr *refusal(int err, const char *msg, int miss_type,
				int miss_nest, int offs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(errbuf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	e->error = -err;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (miss_type >= 0)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, miss_type);
	if (miss_nest >= 0)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_NEST, miss_nest);
	if (offs >= 0)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, offs);
	return nlh;
}

static const char *text(int err, const char *msg, int miss_type,
			int miss_nest, int offs)
{
	static char out[512];
	uint32_t no, wo;
	struct nlmsghdr *req = request(&no, &wo);

	nl_error_text(refusal(err, msg, miss_type, miss_nest, offs), err, req,
		      out, sizeof(out));
	return out;
}

void test_nlerr(void)
{
	uint16_t nest, type;
	uint32_t no, wo;
	struct nlmsghdr *req = request(&no, &wo);
	char want[64];

	/* keyword tables */
	CHECK_STR(ctl_attr_keyword(APSM_A_INSTANCE, APSM_INSTANCE_A_ID), "id");
	CHECK_STR(ctl_attr_keyword(APSM_A_PEER, APSM_PEER_A_IFINDEX), "dev");
	CHECK_STR(ctl_attr_keyword(APSM_A_CHAIN, APSM_CHAIN_A_SPI), "spi");
	CHECK_STR(ctl_attr_keyword(APSM_A_FLOW, APSM_FLOW_A_VERSION), "version");
	CHECK_STR(ctl_attr_keyword(APSM_A_POLICY, APSM_POLICY_A_DPORT_MAX), "dport");
	CHECK_STR(ctl_attr_keyword(0, APSM_A_SERVICE), "service");
	CHECK(!ctl_attr_keyword(APSM_A_INSTANCE, APSM_INSTANCE_A_FLOWS),
	      "a read-only attribute has no keyword");
	CHECK(!ctl_attr_keyword(999, 1), "unknown nest");

	/* offsets into the request */
	CHECK(!nl_attr_at(req, wo, &nest, &type) && nest == APSM_A_INSTANCE &&
	      type == APSM_INSTANCE_A_WEIGHT, "weight at %u: %u/%u", wo, nest,
	      type);
	CHECK(!nl_attr_at(req, no, &nest, &type) && nest == 0 &&
	      type == APSM_A_INSTANCE, "nest at %u: %u/%u", no, nest, type);
	CHECK(nl_attr_at(req, wo + 2, &nest, &type) == -1,
	      "an offset inside an attribute's header is no attribute");
	CHECK(nl_attr_at(req, req->nlmsg_len, &nest, &type) == -1,
	      "past the end");

	/* what apsmctl prints: keywords, not APSM_INSTANCE_A_ID */
	nl_set_attr_namer(ctl_attr_keyword);
	CHECK_STR(text(EINVAL, "missing APSM_INSTANCE_A_ID", APSM_INSTANCE_A_ID,
		       no, -1), "Invalid argument: missing id");
	CHECK_STR(text(EINVAL, "weight out of range", -1, -1, wo),
		  "Invalid argument: weight out of range (weight)");
	CHECK_STR(text(ENOENT, "no such instance", -1, -1, -1),
		  "No such file or directory: no such instance");
	CHECK_STR(text(EINVAL, "missing object attribute", APSM_A_POLICY, -1, -1),
		  "Invalid argument: missing policy");
	CHECK_STR(text(EPERM, NULL, -1, -1, -1),
		  "Operation not permitted (needs CAP_NET_ADMIN)");
	/* no keyword known: the kernel's words, or the number */
	snprintf(want, sizeof(want), "Invalid argument: missing attribute %u",
		 APSM_INSTANCE_A_FLOWS);
	CHECK_STR(text(EINVAL, NULL, APSM_INSTANCE_A_FLOWS, no, -1), want);
	nl_set_attr_namer(NULL);
	CHECK_STR(text(EINVAL, "missing APSM_INSTANCE_A_ID", APSM_INSTANCE_A_ID,
		       no, -1), "Invalid argument: missing APSM_INSTANCE_A_ID");
}
