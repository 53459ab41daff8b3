// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's kernel side: node setup (id, fabric port, peers) and every
 * request to the apsm family (nl.c's socket), plus a second socket that
 * listens to the "rds" and "events" groups. RDS notifications go to the
 * sync module, instance events of this node to the inventory. A socket
 * overflow (ENOBUFS) is counted and repaired by a dump resync of both.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "feed.h"
#include "flow.h"
#include "instance.h"
#include "nl.h"

#include "core.h"
#include "kern.h"

static struct nl_mc mc = { .fd = -1 };
static uint32_t fabric_ifindex;
static const struct apsmd_conf *conf;
static const struct kern_ops *ops;

static int mc_open(void);
static void feed_start(void);

/* The kernel refused the last request with errno e. */
static bool kerr_is(int e)
{
	return nl_errno() == e;
}

int apsmd_kern_peer_add(const struct apsmd_peer *p)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_PEER_NEW, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_PEER);

	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, p->id);
	mnl_attr_put_u32(nlh, APSM_PEER_A_IFINDEX, fabric_ifindex);
	mnl_attr_put(nlh, APSM_PEER_A_LLADDR, 6, p->lladdr);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL) && !kerr_is(EEXIST)) {
		apsmd_log("peer add %u: %s", p->id, ctl_error());
		return -1;
	}
	return 0;
}

void apsmd_kern_peer_del(uint32_t id)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_PEER_DEL, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_PEER);

	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, id);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL))
		apsmd_log("peer del %u: %s", id, ctl_error());
}

int apsmd_kern_peer_state(uint32_t id, uint8_t state)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_PEER_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_PEER);

	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, id);
	mnl_attr_put_u8(nlh, APSM_PEER_A_STATE, state);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL)) {
		apsmd_log("peer %u state %s: %s", id,
			  state == APSM_PEER_DOWN ? "down" : "up", ctl_error());
		return -1;
	}
	return 0;
}

int apsmd_kern_peer_repl(uint32_t id, const struct kern_repl *p)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_PEER_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_PEER), *r;

	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, id);
	r = mnl_attr_nest_start(nlh, APSM_PEER_A_REPL);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_UPDATES_TX, p->tx_entries);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_UPDATES_RX, p->rx_entries);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_BATCHES_TX, p->tx_dgrams);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_BATCHES_RX, p->rx_dgrams);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_AUTH_FAIL, p->auth_fail);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_REPLAY, p->replayed);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_RESYNC, p->resyncs);
	if (p->heard)
		mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_LAST_RX_MS,
				 p->last_rx_ago_ms);
	mnl_attr_put_u64(nlh, APSM_PEER_REPL_A_LAG_MS, p->lag_ms);
	mnl_attr_nest_end(nlh, r);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL) ? -1 : 0;
}

int apsmd_kern_setup(const struct apsmd_conf *c, const struct kern_ops *o)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned int i;

	conf = c;
	ops = o;
	fabric_ifindex = if_nametoindex(c->fabric_dev);
	if (!fabric_ifindex) {
		apsmd_log("FabricDevice %s: %s", c->fabric_dev, strerror(errno));
		return -1;
	}
	nlh = nl_msg(APSM_CMD_NODE_SET, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_NODE);
	mnl_attr_put_u32(nlh, APSM_NODE_A_ID, c->id);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL)) {
		apsmd_log("node set id %u: %s", c->id, ctl_error());
		return -1;
	}
	nlh = nl_msg(APSM_CMD_PORT_NEW, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PORT);
	mnl_attr_put_u32(nlh, APSM_PORT_A_IFINDEX, fabric_ifindex);
	mnl_attr_put_u8(nlh, APSM_PORT_A_ROLE, APSM_PORT_FABRIC);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL) && !kerr_is(EEXIST)) {
		apsmd_log("port add %s role fabric: %s", c->fabric_dev,
			  ctl_error());
		return -1;
	}
	for (i = 0; i < c->n_peers; i++)
		if (apsmd_kern_peer_add(&c->peers[i]))
			return -1;
	return mc_open();
}

int apsmd_kern_fd(void)
{
	return mc.fd;
}

/* ------------------------------------------------------------ flows */

/* An APSM_A_FLOW nest into f (and, when given, its feed seq and cause,
 * 0 when absent). 0 or -1 (malformed).
 */
static int flow_from_nest_ex(const struct nlattr *nest, struct apsmd_flow *f,
			     uint64_t *seq, uint8_t *cause)
{
	const struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	size_t al;
	uint16_t pl;

	nl_parse_nest(nest, nl_flow_kind, APSM_FLOW_A_MAX, tb);
	memset(f, 0, sizeof(*f));
	f->family = nl_u8(tb[APSM_FLOW_A_FAMILY]);
	al = f->family == AF_INET ? 4 : f->family == AF_INET6 ? 16 : 0;
	if (!al || !tb[APSM_FLOW_A_SRC] || !tb[APSM_FLOW_A_DST] ||
	    mnl_attr_get_payload_len(tb[APSM_FLOW_A_SRC]) != al ||
	    mnl_attr_get_payload_len(tb[APSM_FLOW_A_DST]) != al)
		return -1;
	memcpy(f->src, mnl_attr_get_payload(tb[APSM_FLOW_A_SRC]), al);
	memcpy(f->dst, mnl_attr_get_payload(tb[APSM_FLOW_A_DST]), al);
	f->op = tb[APSM_FLOW_A_OP] ? nl_u8(tb[APSM_FLOW_A_OP]) : APSM_RDS_OP_NEW;
	f->proto = nl_u8(tb[APSM_FLOW_A_PROTO]);
	f->dir = nl_u8(tb[APSM_FLOW_A_DIR]);
	f->sport = nl_u16(tb[APSM_FLOW_A_SPORT]);
	f->dport = nl_u16(tb[APSM_FLOW_A_DPORT]);
	f->spi = nl_u32(tb[APSM_FLOW_A_SPI]);
	f->origin = nl_u32(tb[APSM_FLOW_A_ORIGIN]);
	f->version = nl_u64(tb[APSM_FLOW_A_VERSION]);
	if (seq)
		*seq = tb[APSM_FLOW_A_SEQ] ? nl_u64(tb[APSM_FLOW_A_SEQ]) : 0;
	if (cause)
		*cause = tb[APSM_FLOW_A_CAUSE] ? nl_u8(tb[APSM_FLOW_A_CAUSE]) : 0;
	if (tb[APSM_FLOW_A_PATH]) {
		pl = mnl_attr_get_payload_len(tb[APSM_FLOW_A_PATH]);
		if (pl % 4 || pl / 4 > APSM_PATH_MAX)
			return -1;
		f->npath = pl / 4;
		memcpy(f->path, mnl_attr_get_payload(tb[APSM_FLOW_A_PATH]), pl);
	}
	return 0;
}

static int flow_from_nest(const struct nlattr *nest, struct apsmd_flow *f)
{
	return flow_from_nest_ex(nest, f, NULL, NULL);
}

/* Entries per FLOW_INSTALL request: the largest (IPv6, 8 hops, ~160
 * bytes of attributes) times this fits lib/nl.c's 8 KiB send buffer. A
 * LOG datagram holds up to APSMD_LOG_ENTRIES_MAX entries.
 */
#define INSTALL_BATCH	40

static void install_batch(const struct apsmd_flow *f, unsigned int n)
{
	struct nlmsghdr *nlh;
	unsigned int i;

	nlh = nl_msg(APSM_CMD_FLOW_INSTALL, 0);
	for (i = 0; i < n; i++) {
		size_t al = f[i].family == AF_INET ? 4 : 16;
		struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_FLOW);

		mnl_attr_put_u8(nlh, APSM_FLOW_A_FAMILY, f[i].family);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_PROTO, f[i].proto);
		mnl_attr_put(nlh, APSM_FLOW_A_SRC, al, f[i].src);
		mnl_attr_put(nlh, APSM_FLOW_A_DST, al, f[i].dst);
		mnl_attr_put_u16(nlh, APSM_FLOW_A_SPORT, f[i].sport);
		mnl_attr_put_u16(nlh, APSM_FLOW_A_DPORT, f[i].dport);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_DIR, f[i].dir);
		/* a tombstone (Merkle repair) is key, origin, version */
		if (f[i].op != APSM_RDS_OP_DEL || f[i].spi || f[i].npath) {
			mnl_attr_put_u32(nlh, APSM_FLOW_A_SPI, f[i].spi);
			mnl_attr_put(nlh, APSM_FLOW_A_PATH, 4 * f[i].npath,
				     f[i].path);
		}
		mnl_attr_put_u32(nlh, APSM_FLOW_A_ORIGIN, f[i].origin);
		mnl_attr_put_u64(nlh, APSM_FLOW_A_VERSION, f[i].version);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_OP, f[i].op);
		mnl_attr_nest_end(nlh, nest);
	}
	if (nl_request(nlh, NULL, NULL)) {
		apsmd_ctr.install_fail++;
		apsmd_log("flow install (%u entries): %s", n, ctl_error());
		return;
	}
	apsmd_ctr.received += n;
}

void apsmd_kern_install(const struct apsmd_flow *f, unsigned int n)
{
	while (n) {
		unsigned int k = n < INSTALL_BATCH ? n : INSTALL_BATCH;

		install_batch(f, k);
		f += k;
		n -= k;
	}
}

struct flow_dump {
	void (*cb)(const struct apsmd_flow *f, void *arg);
	void *arg;
};

static int flow_dump_one(const struct nlattr *nest, void *arg)
{
	struct flow_dump *fd = arg;
	struct apsmd_flow f;

	if (flow_from_nest(nest, &f)) {
		apsmd_ctr.bad_format++;
		return 0;
	}
	f.op = APSM_RDS_OP_NEW;
	fd->cb(&f, fd->arg);
	return 0;
}

int apsmd_kern_flows(void (*cb)(const struct apsmd_flow *f, void *arg),
		     void *arg)
{
	struct flow_dump fd = { cb, arg };

	if (nl_flow_dump(flow_dump_one, &fd)) {
		apsmd_log("flow dump: %s", ctl_error());
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ instances */

static int inst_from_msg(const struct nlmsghdr *nlh, struct apsmd_inst *r)
{
	const struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];
	const struct nlattr *nest = nl_attr(nlh, APSM_A_INSTANCE);
	const char *s;

	if (!nest)
		return -1;
	nl_parse_nest(nest, nl_instance_kind, APSM_INSTANCE_A_MAX, tb);
	memset(r, 0, sizeof(*r));
	r->op = APSMD_INST_OP_SET;
	r->id = nl_u32(tb[APSM_INSTANCE_A_ID]);
	r->node = nl_u32(tb[APSM_INSTANCE_A_NODE]);
	r->mode = nl_u8(tb[APSM_INSTANCE_A_MODE]);
	r->weight = nl_u32(tb[APSM_INSTANCE_A_WEIGHT]);
	r->state = nl_u8(tb[APSM_INSTANCE_A_STATE]);
	s = nl_str(tb[APSM_INSTANCE_A_NAME]);
	if (s)
		snprintf(r->name, sizeof(r->name), "%s", s);
	s = nl_str(tb[APSM_INSTANCE_A_SERVICE]);
	if (s)
		snprintf(r->service, sizeof(r->service), "%s", s);
	return r->id && r->node ? 0 : -1;
}

struct inst_dump {
	struct apsmd_inst *out;
	unsigned int n, max;
};

static int inst_dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct inst_dump *d = arg;

	if (d->n < d->max && !inst_from_msg(nlh, &d->out[d->n]))
		d->n++;
	return 0;
}

int apsmd_kern_insts(struct apsmd_inst *out, unsigned int max)
{
	struct inst_dump d = { out, 0, max };

	if (nl_dump(nl_msg(APSM_CMD_INSTANCE_GET, 0), inst_dump_one, &d)) {
		apsmd_log("instance dump: %s", ctl_error());
		return -1;
	}
	return d.n;
}

static int inst_set(uint32_t id, const uint32_t *weight, const uint8_t *state)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_INSTANCE_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);

	mnl_attr_put_u32(nlh, APSM_INSTANCE_A_ID, id);
	if (weight)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_WEIGHT, *weight);
	if (state)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_STATE, *state);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

int apsmd_kern_inst_state(uint32_t id, uint8_t state)
{
	if (inst_set(id, NULL, &state)) {
		apsmd_log("instance %u state %u: %s", id, state, ctl_error());
		return -1;
	}
	return 0;
}

static int inst_new(const struct apsmd_inst *r, const char *name)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_INSTANCE_NEW, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);

	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_NAME, name);
	mnl_attr_put_u32(nlh, APSM_INSTANCE_A_ID, r->id);
	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_SERVICE, r->service);
	mnl_attr_put_u32(nlh, APSM_INSTANCE_A_NODE, r->node);
	if (r->mode)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_MODE, r->mode);
	if (r->weight)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_WEIGHT, r->weight);
	if (r->state)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_STATE, r->state);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

static int service_new(const char *name)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_SERVICE_NEW, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_SERVICE);

	mnl_attr_put_strz(nlh, APSM_SERVICE_A_NAME, name);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL) && !kerr_is(EEXIST))
		return -1;
	apsmd_log("created service %s for a remote instance", name);
	return 0;
}

/* Update in place when the id exists (weight, state: what may change);
 * otherwise create it, making its service if this node lacks it, and
 * renaming it NAME.nNODE if this node uses its name already.
 */
int apsmd_kern_inst_apply(const struct apsmd_inst *r)
{
	char alt[APSM_NAME_MAX];
	const uint32_t *w = r->weight ? &r->weight : NULL;
	const uint8_t *st = r->state ? &r->state : NULL;

	if (!inst_set(r->id, w, st))
		return 0;
	if (!kerr_is(ENOENT) && !kerr_is(ENODEV))
		goto err;
	if (!inst_new(r, r->name))
		return 0;
	if (kerr_is(ENOENT) && !service_new(r->service) && !inst_new(r, r->name))
		return 0;
	if (kerr_is(EEXIST)) {
		snprintf(alt, sizeof(alt), "%.*s.n%u", 20, r->name, r->node);
		if (!inst_new(r, alt))
			return 0;
	}
err:
	apsmd_log("remote instance %s (id %u, node %u): %s", r->name, r->id,
		  r->node, ctl_error());
	return -1;
}

int apsmd_kern_inst_del(uint32_t id)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_INSTANCE_DEL, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);

	mnl_attr_put_u32(nlh, APSM_INSTANCE_A_ID, id);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL) && !kerr_is(ENOENT)) {
		apsmd_log("instance del %u: %s", id, ctl_error());
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ multicast */

/* A second netlink socket, only for the groups (nl_mc_open), so that
 * requests on nl.c's socket never swallow notifications. Its receive
 * buffer is NetlinkRcvbuf (APSMD_NL_RCVBUF in the environment overrides
 * it: tests shrink it to provoke ENOBUFS).
 */
static int mc_open(void)
{
	static const char *const groups[] = {
		APSM_MCGRP_RDS, APSM_MCGRP_EVENTS, NULL
	};
	int rcvbuf = conf->nl_rcvbuf;
	const char *env = getenv("APSMD_NL_RCVBUF");

	if (env && atoi(env) > 0)
		rcvbuf = atoi(env);
	if (nl_mc_open(&mc, groups, rcvbuf)) {
		apsmd_log("cannot join the \"%s\" and \"%s\" groups: %s",
			  APSM_MCGRP_RDS, APSM_MCGRP_EVENTS, ctl_error());
		return -1;
	}
	feed_start();
	return 0;
}

/* ------------------------------------------------------------ feed */

/* The kernel change feed: the "rds" multicast carries this node's own
 * changes with their seq (others' installs are skipped there), so a seq
 * jump is read by cursor (APSM_CMD_FLOW_CHANGES), as is everything after
 * an ENOBUFS; changes go up in seq order with no gap. Changes the feed
 * no longer keeps go up as behind(from, to) once the read is done (sync
 * then repairs from a dump); reading goes on from the oldest kept (the
 * replays are harmless: newer versions win).
 * A kernel without the feed (no seq): changes go up as they come, the
 * cause guessed from origin and op, an ENOBUFS as behind(0, 0).
 */
#define FEED_BATCH	65536

static struct apsmd_change pend[256];
static unsigned int npend;
static bool feed_on;		/* the kernel has the change feed */
static uint64_t feed_next;	/* seq of the next change to hand up */
static uint64_t lost_from, lost_to;

static void pend_flush(void)
{
	if (npend)
		ops->changes(pend, npend);
	npend = 0;
}

static void pend_add(const struct apsmd_change *c)
{
	pend[npend] = *c;
	if (++npend == sizeof(pend) / sizeof(pend[0]))
		pend_flush();
}

static void lost(uint64_t from, uint64_t to)
{
	if (!lost_from)
		lost_from = from;
	lost_to = to;
}

/* One change in seq order (from the multicast or a cursor read). */
static void feed_one(const struct apsmd_change *c)
{
	if (c->seq < feed_next)
		return;			/* had it already */
	if (c->seq > feed_next)
		lost(feed_next, c->seq - 1);
	feed_next = c->seq + 1;
	pend_add(c);
}

static int on_feed_flow(const struct nlattr *nest, void *arg)
{
	struct apsmd_change c;

	(void)arg;
	if (flow_from_nest_ex(nest, &c.f, &c.seq, &c.cause) || !c.seq) {
		apsmd_ctr.bad_format++;
		return 0;
	}
	feed_one(&c);
	return 0;
}

/* Hand up the lost range (after the read: the dump may not nest in it). */
static void lost_flush(void)
{
	uint64_t f = lost_from, t = lost_to;

	pend_flush();
	if (!f)
		return;
	lost_from = lost_to = 0;
	ops->behind(f, t);
}

/* Read by cursor up to (not including) upto; 0: up to the kernel's NEXT. */
static void feed_catch_up(uint64_t upto)
{
	struct nl_feed_info info;
	int n;

	while (!upto || feed_next < upto) {
		uint64_t want = upto ? upto - feed_next : FEED_BATCH;

		n = nl_feed_read(feed_next, want > FEED_BATCH ? FEED_BATCH :
				 (uint32_t)want, on_feed_flow, NULL, &info);
		if (n < 0) {
			apsmd_log("feed read from %llu: %s",
				  (unsigned long long)feed_next, ctl_error());
			break;
		}
		if (info.behind && info.first > feed_next)
			lost(feed_next, info.first - 1);
		if (info.next < feed_next) {
			/* the module was reloaded: its seqs restarted */
			apsmd_log("feed restarted (next %llu, expected %llu)",
				  (unsigned long long)info.next,
				  (unsigned long long)feed_next);
			lost(info.next, info.next);
			feed_next = info.next;
			break;
		}
		if (feed_next < info.first)
			feed_next = info.first;
		if (!n || (!upto && feed_next >= info.next))
			break;
	}
	lost_flush();
}

/* Learn where the feed stands: from now on every change goes up. */
static void feed_start(void)
{
	struct nl_feed_info info;

	if (nl_feed_read(UINT64_MAX, 1, on_feed_flow, NULL, &info) < 0) {
		apsmd_log("no kernel change feed (%s): RDS notifications only",
			  ctl_error());
		return;
	}
	feed_on = true;
	feed_next = info.next;
}

void apsmd_kern_feed_poll(void)
{
	if (feed_on)
		feed_catch_up(0);
}

/* An RDS notification: with a seq from the feed, else guessed. */
static int on_rds_flow(const struct nlattr *nest, void *arg)
{
	struct apsmd_change c;
	bool own;

	(void)arg;
	if (flow_from_nest_ex(nest, &c.f, &c.seq, &c.cause)) {
		apsmd_ctr.bad_format++;
		return 0;
	}
	if (feed_on && c.seq) {
		if (c.seq > feed_next)		/* others' changes between */
			feed_catch_up(c.seq);
		feed_one(&c);
		return 0;
	}
	own = c.f.origin == conf->id;
	c.seq = 0;
	if (c.f.op == APSM_RDS_OP_DEL)
		c.cause = own ? APSMD_CAUSE_DELETE : APSMD_CAUSE_EXPIRE;
	else
		c.cause = own ? APSMD_CAUSE_INSERT : APSMD_CAUSE_INSTALL;
	pend_add(&c);
	return 0;
}

static void on_instance_event(const struct nlmsghdr *nlh, uint8_t cmd)
{
	struct apsmd_inst r;

	if (inst_from_msg(nlh, &r) || r.node != conf->id)
		return;		/* remote instances are not ours to announce */
	if (cmd == APSM_CMD_INSTANCE_DEL)
		r.op = APSMD_INST_OP_DEL;
	ops->inst_event(&r);
}

static int on_mc_msg(const struct nlmsghdr *r, void *arg)
{
	uint8_t cmd = nl_cmd(r);

	(void)arg;
	if (cmd == APSM_CMD_RDS_NOTIFY) {
		for_each_flow(r, on_rds_flow, NULL);
		lost_flush();
	} else if (cmd == APSM_CMD_INSTANCE_NEW || cmd == APSM_CMD_INSTANCE_SET ||
		 cmd == APSM_CMD_INSTANCE_DEL)
		on_instance_event(r, cmd);
	return 0;
}

static void on_mc_lost(void *arg)
{
	(void)arg;
	apsmd_ctr.enobufs++;
	pend_flush();
	if (feed_on) {
		apsmd_log("netlink overflow: reading the change feed from %llu",
			  (unsigned long long)feed_next);
		feed_catch_up(0);
		return;
	}
	apsmd_log("netlink overflow: resyncing");
	ops->behind(0, 0);
}

void apsmd_kern_on_readable(void)
{
	nl_mc_read(&mc, on_mc_msg, on_mc_lost, NULL);
	ops->drained();
}

void apsmd_kern_close(void)
{
	nl_mc_close(&mc);
	nl_close();
}
