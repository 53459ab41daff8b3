// SPDX-License-Identifier: GPL-2.0
/*
 * The sending half of lib/nl.h for fuzz_args: the request is built into a
 * heap buffer of the real send buffer's size (lib/nl.c: 8192 bytes, so
 * ASan sees a command line that overruns it), checked to be well-formed
 * netlink (every attribute and nest inside the message), and "acked"
 * without a socket. lib/nl.c is compiled with its sending functions
 * renamed (real_nl_*, see Makefile); its parsing helpers are used as is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "args.h"
#include "nl.h"

#define STUB_SBUF	8192	/* lib/nl.c's nl.sbuf */

static char *sbuf;
static uint32_t seq;

int nl_open(void)
{
	if (!sbuf)
		sbuf = malloc(STUB_SBUF);
	return sbuf ? 0 : -1;
}

void nl_close(void)
{
}

struct nlmsghdr *nl_msg(uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	if (nl_open())
		abort();
	memset(sbuf, 0, STUB_SBUF);
	nlh = mnl_nlmsg_put_header(sbuf);
	nlh->nlmsg_type = 0x20;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* Every attribute of [a, end) inside it; nests (NLA_F_NESTED or a
 * payload that parses as attributes exactly) checked recursively.
 */
static void check_attrs(const char *p, const char *end, int depth)
{
	while (p < end) {
		const struct nlattr *a = (const void *)p;

		if (end - p < (long)sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > end - p) {
			fprintf(stderr, "fuzz_args: malformed attribute at depth %d\n",
				depth);
			abort();
		}
		if ((a->nla_type & NLA_F_NESTED) && depth < 8)
			check_attrs(p + MNL_ATTR_HDRLEN, p + a->nla_len, depth + 1);
		p += MNL_ALIGN(a->nla_len);
	}
}

static int check(struct nlmsghdr *nlh)
{
	const char *start = (const char *)nlh;

	if ((char *)nlh != sbuf || nlh->nlmsg_len > STUB_SBUF ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct genlmsghdr)) {
		fprintf(stderr, "fuzz_args: request of %u bytes outside the send buffer\n",
			nlh->nlmsg_len);
		abort();
	}
	check_attrs(start + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)),
		    start + nlh->nlmsg_len, 0);
	return 0;
}

int nl_request(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	return check(nlh);
}

int nl_dump(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	return nl_request(nlh, cb, arg);
}

int nl_dump_stream(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	return nl_request(nlh, cb, arg);
}

int nl_join(const char *group)
{
	(void)group;
	return 0;
}

/* Nothing arrives: the monitor ends at once. */
int nl_listen(nl_msg_cb cb, void (*lost)(void *arg), void *arg)
{
	(void)cb;
	(void)lost;
	(void)arg;
	ctl_seterr("fuzz: no socket");
	return -1;
}

int nl_mc_open(struct nl_mc *mc, const char *const *groups, int rcvbuf)
{
	(void)groups;
	(void)rcvbuf;
	memset(mc, 0, sizeof(*mc));
	mc->fd = -1;
	ctl_seterr("fuzz: no socket");
	return -1;
}

int nl_mc_read(struct nl_mc *mc, nl_msg_cb cb, void (*lost)(void *arg),
	       void *arg)
{
	(void)mc;
	(void)cb;
	(void)lost;
	(void)arg;
	return -1;
}

void nl_mc_close(struct nl_mc *mc)
{
	(void)mc;
}
