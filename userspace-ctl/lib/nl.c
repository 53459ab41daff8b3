// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink client of apsmctl and apsmd (lib/). See nl.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>
#include <linux/apsm.h>

#include "args.h"
#include "nl.h"

#define NL_MCGRP_MAX 8

static struct {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	unsigned int n_grps;
	struct {
		char name[GENL_NAMSIZ];
		uint32_t id;
	} grps[NL_MCGRP_MAX];
	char sbuf[8192];
	char *rbuf;
} nl;

/* ------------------------------------------------------------ errors */

struct ext_ack {
	const char *msg;
	bool miss, miss_nest, offs;
	uint32_t miss_type, miss_off, off;
};

static int ext_ack_attr(const struct nlattr *a, void *data)
{
	struct ext_ack *ea = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			ea->msg = mnl_attr_get_str(a);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ea->miss = true;
			ea->miss_type = mnl_attr_get_u32(a);
		}
		break;
	case NLMSGERR_ATTR_MISS_NEST:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ea->miss_nest = true;
			ea->miss_off = mnl_attr_get_u32(a);
		}
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ea->offs = true;
			ea->off = mnl_attr_get_u32(a);
		}
		break;
	}
	return MNL_CB_OK;
}

/* The extended-ack TLVs of an NLMSG_ERROR or NLMSG_DONE message. */
static void ext_ack_parse(const struct nlmsghdr *nlh, struct ext_ack *ea)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off;

	memset(ea, 0, sizeof(*ea));
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(int);
	} else {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, off, ext_ack_attr, ea);
}

static nl_attr_namer attr_namer;

void nl_set_attr_namer(nl_attr_namer namer)
{
	attr_namer = namer;
}

/* Walk the attributes in [p, end) (a message's or a nest's payload) to
 * the one starting at or enclosing byte off of req; nest is the type of
 * the nest they are in (0: top level).
 */
static int attr_at(const struct nlmsghdr *req, const char *p, const char *end,
		   uint32_t off, uint16_t nest, uint16_t *pnest,
		   uint16_t *ptype)
{
	const char *base = (const char *)req, *at = base + off;

	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		const char *next = p + MNL_ALIGN(a->nla_len);

		if (a->nla_len < sizeof(*a) || p + a->nla_len > end)
			return -1;
		if (at == p) {
			*pnest = nest;
			*ptype = mnl_attr_get_type(a);
			return 0;
		}
		if (at > p && at < p + a->nla_len)
			return attr_at(req, p + MNL_ATTR_HDRLEN, p + a->nla_len,
				       off, mnl_attr_get_type(a), pnest, ptype);
		p = next;
	}
	return -1;
}

int nl_attr_at(const struct nlmsghdr *req, uint32_t off, uint16_t *nest,
	       uint16_t *type)
{
	const char *p = (const char *)req + NLMSG_HDRLEN + GENL_HDRLEN;

	if (!req || off < NLMSG_HDRLEN + GENL_HDRLEN || off >= req->nlmsg_len)
		return -1;
	return attr_at(req, p, (const char *)req + req->nlmsg_len, off, 0,
		       nest, type);
}

/* The CLI keyword of attribute type in nest, or NULL. */
static const char *keyword(uint16_t nest, uint16_t type)
{
	return attr_namer ? attr_namer(nest, type) : NULL;
}

void nl_error_text(const struct nlmsghdr *err_msg, int err,
		   const struct nlmsghdr *req, char *buf, size_t len)
{
	struct ext_ack ea;
	const char *kw = NULL, *hint = "";
	uint16_t nest = 0, type;

	ext_ack_parse(err_msg, &ea);
	if (err == EPERM)
		hint = " (needs CAP_NET_ADMIN)";
	if (ea.miss) {
		/* The nest it is missing from: at miss_off of the request
		 * (none: a top-level attribute).
		 */
		if (!ea.miss_nest || !nl_attr_at(req, ea.miss_off, &nest, &type))
			kw = keyword(ea.miss_nest ? type : 0, ea.miss_type);
		if (kw)
			snprintf(buf, len, "%s: missing %s", strerror(err), kw);
		else if (ea.msg)
			snprintf(buf, len, "%s: %s", strerror(err), ea.msg);
		else
			snprintf(buf, len, "%s: missing attribute %u",
				 strerror(err), ea.miss_type);
		return;
	}
	if (ea.offs && !nl_attr_at(req, ea.off, &nest, &type))
		kw = keyword(nest, type);
	if (ea.msg && kw)
		snprintf(buf, len, "%s: %s (%s)", strerror(err), ea.msg, kw);
	else if (ea.msg)
		snprintf(buf, len, "%s: %s", strerror(err), ea.msg);
	else if (kw)
		snprintf(buf, len, "%s: bad %s", strerror(err), kw);
	else
		snprintf(buf, len, "%s%s", strerror(err), hint);
}

/* Turn an error reply into ctl_error(): strerror plus the extack text,
 * attributes named by their CLI keyword (nl_set_attr_namer).
 */
static int last_kernel_err;

static void kernel_error(const struct nlmsghdr *nlh, int err)
{
	char buf[512];

	last_kernel_err = err;
	nl_error_text(nlh, err, (const struct nlmsghdr *)nl.sbuf, buf,
		      sizeof(buf));
	ctl_seterr("%s", buf);
}

/* ------------------------------------------------------------ socket */

static int nl_send(struct nlmsghdr *nlh)
{
	last_kernel_err = 0;
	if (mnl_socket_sendto(nl.sk, nlh, nlh->nlmsg_len) < 0) {
		ctl_seterr("netlink send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static ssize_t nl_recv(void)
{
	ssize_t n;

	do {
		n = mnl_socket_recvfrom(nl.sk, nl.rbuf, NL_BUF_SIZE);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			ctl_seterr("netlink receive: timed out waiting for the kernel");
		else
			ctl_seterr("netlink receive: %s", strerror(errno));
	}
	return n;
}

static int ctrl_grp(const struct nlattr *grp)
{
	const struct nlattr *a, *name = NULL, *id = NULL;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = a;
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = a;
	}
	if (name && id && nl.n_grps < NL_MCGRP_MAX) {
		snprintf(nl.grps[nl.n_grps].name, GENL_NAMSIZ, "%s",
			 mnl_attr_get_str(name));
		nl.grps[nl.n_grps].id = mnl_attr_get_u32(id);
		nl.n_grps++;
	}
	return 0;
}

static int ctrl_reply(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *g;

	(void)arg;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
				nl.family = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				ctrl_grp(g);
			break;
		}
	}
	return 0;
}

static struct nlmsghdr *msg_start(uint16_t type, uint8_t cmd, uint8_t version,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl.sbuf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl.seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int nl_open(void)
{
	struct nlmsghdr *nlh;
	struct timeval tv = { .tv_sec = 30 };
	int one = 1, rcvbuf = 1 << 20;
	int fd;

	if (nl.sk)
		return 0;
	nl.rbuf = malloc(NL_BUF_SIZE);
	if (!nl.rbuf) {
		ctl_seterr("out of memory");
		return -1;
	}
	nl.sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl.sk) {
		ctl_seterr("cannot open a netlink socket: %s", strerror(errno));
		return -1;
	}
	fd = mnl_socket_get_fd(nl.sk);
	/* Best effort: older kernels lack the ack options. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (mnl_socket_bind(nl.sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ctl_seterr("cannot bind the netlink socket: %s",
			   strerror(errno));
		goto err;
	}
	nl.portid = mnl_socket_get_portid(nl.sk);
	nl.seq = time(NULL);

	nlh = msg_start(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, APSM_GENL_NAME);
	last_kernel_err = 0;
	if (nl_request(nlh, ctrl_reply, NULL) || !nl.family) {
		if (!nl.family && (last_kernel_err == ENOENT || !last_kernel_err))
			ctl_seterr("the apsm module is not loaded (no generic netlink family \"%s\")",
				   APSM_GENL_NAME);
		goto err;
	}
	return 0;
err:
	mnl_socket_close(nl.sk);
	nl.sk = NULL;
	return -1;
}

int nl_errno(void)
{
	return last_kernel_err;
}

void nl_close(void)
{
	if (nl.sk)
		mnl_socket_close(nl.sk);
	nl.sk = NULL;
	free(nl.rbuf);
	nl.rbuf = NULL;
}

struct nlmsghdr *nl_msg(uint8_t cmd, uint16_t flags)
{
	return msg_start(nl.family, cmd, APSM_GENL_VERSION, flags);
}

/* Read the replies to request seq from nl.sk until the message that ends
 * them: for a request (dump false) its ack or error (NLMSG_ERROR; the ack's
 * extack text is printed as a warning), for a dump NLMSG_DONE or an error.
 * Messages of other requests or sockets are skipped; every data message on
 * the way goes to msg(r, arg), and a non-zero return from it stops the
 * reading with -1. *intr (dumps) is set if one carries NLM_F_DUMP_INTR.
 * 0: the replies ended well, -1: error (ctl_seterr done).
 */
static int nl_replies(uint32_t seq, bool dump,
		      int (*msg)(const struct nlmsghdr *r, void *arg),
		      void *arg, int *intr)
{
	ssize_t n;

	for (;;) {
		const struct nlmsghdr *r;
		int len;

		n = nl_recv();
		if (n < 0)
			return -1;
		len = n;
		for (r = (const struct nlmsghdr *)nl.rbuf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_seq != seq || r->nlmsg_pid != nl.portid)
				continue;	/* stale or not ours */
			if (dump && (r->nlmsg_flags & NLM_F_DUMP_INTR))
				*intr = 1;
			if (dump && r->nlmsg_type == NLMSG_DONE) {
				const int *err = mnl_nlmsg_get_payload(r);

				if (mnl_nlmsg_get_payload_len(r) >= sizeof(int) &&
				    *err < 0) {
					kernel_error(r, -*err);
					return -1;
				}
				return 0;
			}
			if (r->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e;
				struct ext_ack ea;

				if (mnl_nlmsg_get_payload_len(r) < sizeof(*e)) {
					ctl_seterr("truncated netlink error message");
					return -1;
				}
				e = mnl_nlmsg_get_payload(r);
				if (e->error) {
					kernel_error(r, -e->error);
					return -1;
				}
				if (dump)
					continue;
				ext_ack_parse(r, &ea);
				if (ea.msg)
					fprintf(stderr, "apsmctl: warning: %s\n",
						ea.msg);
				return 0;
			}
			if (r->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (msg(r, arg))
				return -1;
		}
	}
}

struct request_ctx {
	nl_msg_cb cb;
	void *arg;
	int failed;
};

/* A failing cb is not called again; the replies are still read to the ack. */
static int request_msg(const struct nlmsghdr *r, void *arg)
{
	struct request_ctx *c = arg;

	if (!c->failed && c->cb && c->cb(r, c->arg))
		c->failed = 1;
	return 0;
}

int nl_request(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	struct request_ctx c = { .cb = cb, .arg = arg };

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (nl_send(nlh))
		return -1;
	if (nl_replies(nlh->nlmsg_seq, false, request_msg, &c, NULL))
		return -1;
	return c.failed ? -1 : 0;
}

/* A growable copy of a dump's messages. */
struct dump_buf {
	char *data;
	size_t len, size;
};

static int dump_append(struct dump_buf *d, const struct nlmsghdr *r)
{
	size_t need = MNL_ALIGN(r->nlmsg_len);

	if (d->len + need > d->size) {
		size_t size = d->size ? d->size * 2 : 65536;
		char *p;

		while (size < d->len + need)
			size *= 2;
		p = realloc(d->data, size);
		if (!p) {
			ctl_seterr("out of memory");
			return -1;
		}
		d->data = p;
		d->size = size;
	}
	memcpy(d->data + d->len, r, r->nlmsg_len);
	d->len += need;
	return 0;
}

struct dump_ctx {
	struct dump_buf *d;
	nl_msg_cb cb;
	void *arg;
	int cb_ret;
};

static int dump_msg(const struct nlmsghdr *r, void *arg)
{
	struct dump_ctx *c = arg;

	if (c->cb) {
		if (!c->cb_ret)
			c->cb_ret = c->cb(r, c->arg);
		return 0;
	}
	return dump_append(c->d, r);
}

/* One pass of a dump into d, or (cb set) to cb as the messages come; a
 * failing cb stops the calls, the rest of the dump is read and dropped.
 * 1: complete but interrupted, 0: complete and consistent, -1: error.
 */
static int dump_once(const struct nlmsghdr *req, struct dump_buf *d,
		     nl_msg_cb cb, void *arg)
{
	struct dump_ctx c = { .d = d, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh = (struct nlmsghdr *)nl.sbuf;
	int intr = 0;

	if (nlh != req)
		memmove(nlh, req, req->nlmsg_len);
	nlh->nlmsg_seq = ++nl.seq;
	if (d)
		d->len = 0;
	if (nl_send(nlh))
		return -1;
	if (nl_replies(nlh->nlmsg_seq, true, dump_msg, &c, &intr))
		return -1;
	return c.cb_ret ? -1 : intr;
}

int nl_dump(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	struct dump_buf d = { 0 };
	struct nlmsghdr req_copy[64];
	int tries, ret = -1;

	if (nlh->nlmsg_len > sizeof(req_copy)) {
		ctl_seterr("internal error: dump request too long");
		return -1;
	}
	memcpy(req_copy, nlh, nlh->nlmsg_len);
	nlh = req_copy;
	nlh->nlmsg_flags |= NLM_F_DUMP;
	nlh->nlmsg_flags &= ~NLM_F_ACK;
	for (tries = 0; tries <= NL_DUMP_RETRIES; tries++) {
		ret = dump_once(nlh, &d, NULL, NULL);
		if (ret <= 0)
			break;
		if (getenv("APSMCTL_DEBUG"))
			fprintf(stderr, "apsmctl: debug: dump interrupted, restarting\n");
	}
	if (ret > 0) {
		ctl_seterr("the table kept changing during the dump (%d attempts)",
			   NL_DUMP_RETRIES + 1);
		ret = -1;
	}
	if (ret == 0) {
		const struct nlmsghdr *r = (const struct nlmsghdr *)d.data;
		int len = d.len;

		for (; d.data && mnl_nlmsg_ok(r, len); r = mnl_nlmsg_next(r, &len)) {
			if (cb(r, arg)) {
				ret = -1;
				break;
			}
		}
	}
	free(d.data);
	return ret;
}

int nl_dump_stream(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	nlh->nlmsg_flags |= NLM_F_DUMP;
	nlh->nlmsg_flags &= ~NLM_F_ACK;
	/* NLM_F_DUMP_INTR is not expected here; were it set, it is ignored */
	return dump_once(nlh, NULL, cb, arg) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ multicast */

static int mc_join(struct mnl_socket *sk, const char *group)
{
	unsigned int i;

	for (i = 0; i < nl.n_grps; i++) {
		if (strcmp(nl.grps[i].name, group))
			continue;
		if (mnl_socket_setsockopt(sk, NETLINK_ADD_MEMBERSHIP,
					  &nl.grps[i].id,
					  sizeof(nl.grps[i].id)) < 0) {
			ctl_seterr("cannot join multicast group \"%s\": %s",
				   group, strerror(errno));
			return -1;
		}
		return 0;
	}
	ctl_seterr("the kernel has no \"%s\" multicast group", group);
	return -1;
}

/* Receive on sk, feeding the family's messages to cb; an overrun calls
 * lost and goes on. Blocking: forever (-1 on an error or when cb fails);
 * otherwise until nothing is queued (0).
 */
static int mc_recv(struct mnl_socket *sk, char *buf, bool blocking,
		   nl_msg_cb cb, void (*lost)(void *arg), void *arg)
{
	ssize_t n;

	for (;;) {
		const struct nlmsghdr *r;
		int len;

		n = recv(mnl_socket_get_fd(sk), buf, NL_BUF_SIZE,
			 blocking ? 0 : MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				if (lost)
					lost(arg);
				continue;
			}
			if (!blocking && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			ctl_seterr("netlink receive: %s", strerror(errno));
			return -1;
		}
		len = n;
		for (r = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_type != nl.family)
				continue;
			if (cb(r, arg))
				return -1;
		}
	}
}

int nl_join(const char *group)
{
	return mc_join(nl.sk, group);
}

int nl_listen(nl_msg_cb cb, void (*lost)(void *arg), void *arg)
{
	struct timeval tv = { 0 };

	setsockopt(mnl_socket_get_fd(nl.sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	return mc_recv(nl.sk, nl.rbuf, true, cb, lost, arg);
}

int nl_mc_open(struct nl_mc *mc, const char *const *groups, int rcvbuf)
{
	if (!nl.sk) {
		ctl_seterr("internal error: nl_mc_open before nl_open");
		return -1;
	}
	mc->buf = malloc(NL_BUF_SIZE);
	mc->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!mc->buf || !mc->sk ||
	    mnl_socket_bind(mc->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ctl_seterr("netlink socket: %s", strerror(errno));
		goto err;
	}
	mc->fd = mnl_socket_get_fd(mc->sk);
	if (rcvbuf > 0 &&
	    setsockopt(mc->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mc->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	for (; *groups; groups++)
		if (mc_join(mc->sk, *groups))
			goto err;
	return 0;
err:
	nl_mc_close(mc);
	return -1;
}

int nl_mc_read(struct nl_mc *mc, nl_msg_cb cb, void (*lost)(void *arg),
	       void *arg)
{
	return mc_recv(mc->sk, mc->buf, false, cb, lost, arg);
}

void nl_mc_close(struct nl_mc *mc)
{
	if (mc->sk)
		mnl_socket_close(mc->sk);
	free(mc->buf);
	memset(mc, 0, sizeof(*mc));
	mc->fd = -1;
}

/* ------------------------------------------------------------ parsing */

uint8_t nl_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return 0;
	return g->cmd;
}

const struct nlattr *nl_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return NULL;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static bool kind_ok(const struct nlattr *a, uint8_t kind)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (kind) {
	case NLK_U8:
		return len == 1;
	case NLK_U16:
		return len == 2;
	case NLK_U32:
		return len == 4;
	case NLK_U64:
		return len == 8;
	case NLK_STR:
		return len > 0 &&
		       ((const char *)mnl_attr_get_payload(a))[len - 1] == '\0';
	case NLK_NEST:
		return len == 0 || len >= sizeof(struct nlattr);
	default:
		return true;
	}
}

void nl_parse_nest(const struct nlattr *nest, const uint8_t *kind,
		   unsigned int max, const struct nlattr **tb)
{
	const struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (!nest)
		return;
	mnl_attr_for_each_nested(a, nest) {
		uint16_t t = mnl_attr_get_type(a);

		if (t == 0 || t > max || !kind_ok(a, kind[t]))
			continue;
		tb[t] = a;
	}
}

uint8_t nl_u8(const struct nlattr *a)
{
	return a ? mnl_attr_get_u8(a) : 0;
}

uint16_t nl_u16(const struct nlattr *a)
{
	return a ? mnl_attr_get_u16(a) : 0;
}

uint32_t nl_u32(const struct nlattr *a)
{
	return a ? mnl_attr_get_u32(a) : 0;
}

uint64_t nl_u64(const struct nlattr *a)
{
	uint64_t v;

	if (!a)
		return 0;
	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

const char *nl_str(const struct nlattr *a)
{
	return a ? mnl_attr_get_str(a) : NULL;
}
