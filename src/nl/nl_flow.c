// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_FLOW_GET / _DEL / _FLUSH / _INSTALL: the RDS over netlink, and
 * the APSM_A_FLOW nest shared with the "rds" notifications.
 *
 * The dump walks the table with one RDS cursor kept across dump calls
 * (start/done callbacks) and completes whatever the table does meanwhile;
 * it may filter (origin, chain SPI, an instance in the path, direction).
 * See apsm_nl_flow_dump() for what it guarantees.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/nl_obj.h"
#include "flow/rds.h"
#include "core/stats.h"

static struct netlink_range_validation apsm_spi_range = {
	.min = 1,
	.max = APSM_SPI_MAX,
};

const struct nla_policy apsm_flow_policy[APSM_FLOW_A_MAX + 1] = {
	[APSM_FLOW_A_FAMILY] = { .type = NLA_U8 },
	[APSM_FLOW_A_PROTO] = { .type = NLA_U8 },
	[APSM_FLOW_A_SRC] = NLA_POLICY_RANGE(NLA_BINARY,
					     sizeof(struct in_addr),
					     sizeof(struct in6_addr)),
	[APSM_FLOW_A_DST] = NLA_POLICY_RANGE(NLA_BINARY,
					     sizeof(struct in_addr),
					     sizeof(struct in6_addr)),
	[APSM_FLOW_A_SPORT] = { .type = NLA_U16 },
	[APSM_FLOW_A_DPORT] = { .type = NLA_U16 },
	[APSM_FLOW_A_DIR] = NLA_POLICY_RANGE(NLA_U8, APSM_DIR_FORWARD,
					     __APSM_DIR_MAX - 1),
	[APSM_FLOW_A_SPI] = NLA_POLICY_FULL_RANGE(NLA_U32, &apsm_spi_range),
	[APSM_FLOW_A_PATH] = NLA_POLICY_RANGE(NLA_BINARY, sizeof(u32),
					      APSM_PATH_MAX * sizeof(u32)),
	[APSM_FLOW_A_ORIGIN] = NLA_POLICY_MIN(NLA_U32, 1),
	[APSM_FLOW_A_VERSION] = { .type = NLA_U64 },
	[APSM_FLOW_A_AGE_MS] = APSM_NLA_RO,
	[APSM_FLOW_A_PACKETS] = APSM_NLA_RO,
	[APSM_FLOW_A_OP] = NLA_POLICY_RANGE(NLA_U8, APSM_RDS_OP_NEW,
					    __APSM_RDS_OP_MAX - 1),
};

int apsm_nl_flow_fill(struct sk_buff *skb, const struct apsm_rds_flow *f,
		      const struct apsm_rds_entry *e, u8 op)
{
	unsigned int alen = apsm_family_addr_len(f->key.family);
	struct nlattr *nest;

	if (!alen)
		alen = sizeof(struct in6_addr);
	nest = nla_nest_start(skb, APSM_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, APSM_FLOW_A_FAMILY, f->key.family) ||
	    nla_put_u8(skb, APSM_FLOW_A_PROTO, f->key.proto) ||
	    nla_put(skb, APSM_FLOW_A_SRC, alen, &f->key.src) ||
	    nla_put(skb, APSM_FLOW_A_DST, alen, &f->key.dst) ||
	    nla_put_u16(skb, APSM_FLOW_A_SPORT, ntohs(f->key.sport)) ||
	    nla_put_u16(skb, APSM_FLOW_A_DPORT, ntohs(f->key.dport)) ||
	    nla_put_u8(skb, APSM_FLOW_A_DIR, f->dir) ||
	    nla_put_u32(skb, APSM_FLOW_A_SPI, f->spi) ||
	    nla_put(skb, APSM_FLOW_A_PATH,
		    min_t(u8, f->path_n, APSM_PATH_MAX) * sizeof(u32),
		    f->path) ||
	    nla_put_u32(skb, APSM_FLOW_A_ORIGIN, f->origin) ||
	    nla_put_u64_64bit(skb, APSM_FLOW_A_VERSION, f->version,
			      APSM_FLOW_A_PAD))
		goto err;
	if (e &&
	    (nla_put_u64_64bit(skb, APSM_FLOW_A_AGE_MS,
			       jiffies_to_msecs(jiffies -
						READ_ONCE(e->last_used)),
			       APSM_FLOW_A_PAD) ||
	     nla_put_u64_64bit(skb, APSM_FLOW_A_PACKETS,
			       atomic64_read(&e->packets), APSM_FLOW_A_PAD)))
		goto err;
	if (op && nla_put_u8(skb, APSM_FLOW_A_OP, op))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* True, with an extack naming it, when nest @nest lacks @type. */
#define apsm_nl_flow_missing(extack, nest, tb, type) ({			\
	bool __miss = !(tb)[type];					\
	if (__miss) {							\
		NL_SET_ERR_ATTR_MISS(extack, nest, type);		\
		NL_SET_ERR_MSG(extack, "missing " #type);		\
	}								\
	__miss;								\
})

static int apsm_nl_flow_addr(struct netlink_ext_ack *extack,
			     const struct nlattr *attr, u8 family,
			     struct in6_addr *addr)
{
	if (nla_len(attr) != apsm_family_addr_len(family)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address length does not match the family");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, attr, sizeof(*addr));
	return 0;
}

/* The flow key of nest @nest (parsed into @tb). */
static int apsm_nl_flow_key(struct netlink_ext_ack *extack,
			    const struct nlattr *nest, struct nlattr **tb,
			    struct apsm_flow_key *k)
{
	int ret;

	if (apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_FAMILY) ||
	    apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_PROTO) ||
	    apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_SRC) ||
	    apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_DST))
		return -EINVAL;

	apsm_flow_key_zero(k);
	k->family = nla_get_u8(tb[APSM_FLOW_A_FAMILY]);
	if (!apsm_family_addr_len(k->family)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_FLOW_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	k->proto = nla_get_u8(tb[APSM_FLOW_A_PROTO]);
	ret = apsm_nl_flow_addr(extack, tb[APSM_FLOW_A_SRC], k->family,
				&k->src);
	if (ret)
		return ret;
	ret = apsm_nl_flow_addr(extack, tb[APSM_FLOW_A_DST], k->family,
				&k->dst);
	if (ret)
		return ret;
	if (tb[APSM_FLOW_A_SPORT])
		k->sport = htons(nla_get_u16(tb[APSM_FLOW_A_SPORT]));
	if (tb[APSM_FLOW_A_DPORT])
		k->dport = htons(nla_get_u16(tb[APSM_FLOW_A_DPORT]));
	return 0;
}

/* A complete entry from a peer (FLOW_INSTALL), with its op. */
static int apsm_nl_flow_parse_full(struct netlink_ext_ack *extack,
				   const struct nlattr *nest,
				   struct apsm_rds_flow *f, u8 *op)
{
	struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	const struct nlattr *pa;
	unsigned int i;
	int ret;

	ret = nla_parse_nested(tb, APSM_FLOW_A_MAX, nest, apsm_flow_policy,
			       extack);
	if (ret)
		return ret;
	memset(f, 0, sizeof(*f));
	ret = apsm_nl_flow_key(extack, nest, tb, &f->key);
	if (ret)
		return ret;
	*op = tb[APSM_FLOW_A_OP] ? nla_get_u8(tb[APSM_FLOW_A_OP]) :
				   APSM_RDS_OP_NEW;
	if (apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_ORIGIN) ||
	    apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_VERSION))
		return -EINVAL;
	f->origin = nla_get_u32(tb[APSM_FLOW_A_ORIGIN]);
	f->version = nla_get_u64(tb[APSM_FLOW_A_VERSION]);
	if (!f->version) {
		NL_SET_ERR_MSG_ATTR(extack, tb[APSM_FLOW_A_VERSION],
				    "version must be nonzero");
		return -EINVAL;
	}
	/* A delete is key, origin and version: a tombstone (apsmd's Merkle
	 * repair) knows no more. What it does carry is checked as below.
	 */
	if (*op == APSM_RDS_OP_DEL && !tb[APSM_FLOW_A_SPI] &&
	    !tb[APSM_FLOW_A_PATH]) {
		if (tb[APSM_FLOW_A_DIR])
			f->dir = nla_get_u8(tb[APSM_FLOW_A_DIR]);
		return 0;
	}
	if (apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_DIR) ||
	    apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_SPI) ||
	    apsm_nl_flow_missing(extack, nest, tb, APSM_FLOW_A_PATH))
		return -EINVAL;

	f->dir = nla_get_u8(tb[APSM_FLOW_A_DIR]);
	f->spi = nla_get_u32(tb[APSM_FLOW_A_SPI]);
	pa = tb[APSM_FLOW_A_PATH];
	if (nla_len(pa) % sizeof(u32)) {
		NL_SET_ERR_MSG_ATTR(extack, pa,
				    "path must be an array of u32 instance ids");
		return -EINVAL;
	}
	f->path_n = nla_len(pa) / sizeof(u32);
	nla_memcpy(f->path, pa, sizeof(f->path));
	for (i = 0; i < f->path_n; i++) {
		if (!f->path[i]) {
			NL_SET_ERR_MSG_ATTR(extack, pa,
					    "path holds instance id 0");
			return -EINVAL;
		}
	}
	return 0;
}

/* The key of the request's APSM_A_FLOW (FLOW_GET, FLOW_DEL). */
static int apsm_nl_flow_req_key(struct genl_info *info,
				struct apsm_flow_key *k)
{
	struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	int ret;

	ret = apsm_nl_parse(info, APSM_A_FLOW, tb, APSM_FLOW_A_MAX,
			    apsm_flow_policy, true);
	if (ret)
		return ret;
	return apsm_nl_flow_key(info->extack, info->attrs[APSM_A_FLOW], tb,
				k);
}

int apsm_nl_flow_get(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct apsm_rds_entry *e;
	struct apsm_flow_key k;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = apsm_nl_flow_req_key(info, &k);
	if (ret)
		return ret;
	msg = apsm_nl_reply_new(info, APSM_CMD_FLOW_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	rcu_read_lock();
	e = apsm_rds_find(an->rds, &k);
	ret = e ? apsm_nl_flow_fill(msg, &e->f, e, 0) : -ENOENT;
	rcu_read_unlock();
	if (ret) {
		nlmsg_free(msg);
		if (ret == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[APSM_A_FLOW],
					    "no such flow");
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The dump's filter (APSM_A_FLOW of the request): 0 fields match all. */
struct apsm_flow_filter {
	u32 origin;
	u32 spi;
	u32 instance;		/* an id anywhere in the path */
	u8 dir;
};

struct apsm_flow_dump {
	struct apsm_rds_cursor cur;	/* resumes by flow key */
	struct apsm_flow_filter filter;
	bool checked;		/* the filter was parsed (first call) */
};

static_assert(sizeof(struct apsm_flow_dump *) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct apsm_flow_dump **apsm_flow_dump_ctx(struct netlink_callback *cb)
{
	return (struct apsm_flow_dump **)cb->ctx;
}

int apsm_nl_flow_dump_start(struct netlink_callback *cb)
{
	struct apsm_net *an = apsm_net(sock_net(cb->skb->sk));
	struct apsm_flow_dump *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	apsm_rds_cursor_enter(an->rds, &d->cur);
	*apsm_flow_dump_ctx(cb) = d;
	return 0;
}

int apsm_nl_flow_dump_done(struct netlink_callback *cb)
{
	struct apsm_flow_dump *d = *apsm_flow_dump_ctx(cb);

	if (d) {
		apsm_rds_cursor_exit(&d->cur);
		kfree(d);
		*apsm_flow_dump_ctx(cb) = NULL;
	}
	return 0;
}

/* The filter of the dump request: only ORIGIN, SPI, DIR and PATH (exactly
 * one instance id) may be given; anything else is refused rather than
 * silently ignored. (A genl .start callback cannot report an extack in
 * 6.1: this runs on the first dump call.)
 */
static int apsm_flow_dump_filter(struct netlink_callback *cb,
				 struct apsm_flow_filter *flt)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	const struct nlattr *nest = di->attrs[APSM_A_FLOW];
	struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	unsigned int i;
	int ret;

	memset(flt, 0, sizeof(*flt));
	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, APSM_FLOW_A_MAX, nest, apsm_flow_policy,
			       cb->extack);
	if (ret)
		return ret;
	for (i = 1; i <= APSM_FLOW_A_MAX; i++) {
		if (!tb[i] || i == APSM_FLOW_A_ORIGIN || i == APSM_FLOW_A_SPI ||
		    i == APSM_FLOW_A_DIR || i == APSM_FLOW_A_PATH)
			continue;
		NL_SET_ERR_MSG_ATTR(cb->extack, tb[i],
				    "a flow dump filters only on ORIGIN, SPI, DIR and PATH");
		return -EINVAL;
	}
	if (tb[APSM_FLOW_A_PATH]) {
		if (nla_len(tb[APSM_FLOW_A_PATH]) != sizeof(u32) ||
		    !nla_get_u32(tb[APSM_FLOW_A_PATH])) {
			NL_SET_ERR_MSG_ATTR(cb->extack, tb[APSM_FLOW_A_PATH],
					    "a dump's PATH filter is one nonzero instance id");
			return -EINVAL;
		}
		flt->instance = nla_get_u32(tb[APSM_FLOW_A_PATH]);
	}
	if (tb[APSM_FLOW_A_ORIGIN])
		flt->origin = nla_get_u32(tb[APSM_FLOW_A_ORIGIN]);
	if (tb[APSM_FLOW_A_SPI])
		flt->spi = nla_get_u32(tb[APSM_FLOW_A_SPI]);
	if (tb[APSM_FLOW_A_DIR])
		flt->dir = nla_get_u8(tb[APSM_FLOW_A_DIR]);
	return 0;
}

static bool apsm_flow_filter_match(const struct apsm_flow_filter *flt,
				   const struct apsm_rds_flow *f)
{
	unsigned int i, n;

	if (flt->origin && f->origin != flt->origin)
		return false;
	if (flt->spi && f->spi != flt->spi)
		return false;
	if (flt->dir && f->dir != flt->dir)
		return false;
	if (!flt->instance)
		return true;
	n = min_t(unsigned int, f->path_n, APSM_PATH_MAX);
	for (i = 0; i < n; i++)
		if (f->path[i] == flt->instance)
			return true;
	return false;
}

/* The walk goes on across calls with the cursor kept in the dump state;
 * inserts and deletes while it runs do not restart it and are not
 * reported (no NLM_F_DUMP_INTR). What a dump returns (apsm_rds_cursor):
 * every entry that existed for the whole dump, at least once; entries
 * added or removed meanwhile, or not. An entry may come twice: after a
 * resize (the walk then starts over on the new table) or when the entry
 * a message stopped at left the table before the next call (the rest of
 * its bucket comes again). Readers that need a set dedup.
 */
int apsm_nl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_flow_dump *d = *apsm_flow_dump_ctx(cb);
	struct apsm_rds_entry *e;
	void *hdr;
	int ret;

	if (d->cur.done)
		return 0;
	if (!d->checked) {
		ret = apsm_flow_dump_filter(cb, &d->filter);
		if (ret)
			return ret;
		d->checked = true;
	}
	/* The first entry is the one that did not fit last time, found
	 * again by its key (or its bucket again from the head).
	 */
	e = apsm_rds_cursor_start(&d->cur);
	while (e) {
		if (!apsm_flow_filter_match(&d->filter, &e->f)) {
			e = apsm_rds_cursor_next(&d->cur);
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &apsm_genl_family,
				  NLM_F_MULTI, APSM_CMD_FLOW_GET);
		if (!hdr)
			break;
		if (apsm_nl_flow_fill(skb, &e->f, e, 0)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		e = apsm_rds_cursor_next(&d->cur);
	}
	apsm_rds_cursor_stop(&d->cur, e);
	return skb->len;
}

int apsm_nl_flow_del(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct apsm_flow_key k;
	int ret;

	ret = apsm_nl_flow_req_key(info, &k);
	if (ret)
		return ret;
	ret = apsm_rds_delete(an->rds, &k);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[APSM_A_FLOW],
				    "no such flow");
	return ret;
}

int apsm_nl_flow_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));

	apsm_rds_flush(an->rds);
	return 0;
}

/* FLOW_INSTALL: every APSM_A_FLOW nest is checked before any is applied,
 * so a bad one fails the request with nothing installed.
 */
int apsm_nl_flow_install(struct sk_buff *skb, struct genl_info *info)
{
	struct apsm_net *an = apsm_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	const struct nlattr *attr;
	struct apsm_rds_flow f;
	unsigned int n = 0;
	int rem, ret, err = 0;
	u8 op;

	nla_for_each_attr(attr, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(attr) != APSM_A_FLOW) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "FLOW_INSTALL carries only APSM_A_FLOW");
			return -EINVAL;
		}
		ret = apsm_nl_flow_parse_full(extack, attr, &f, &op);
		if (ret)
			return ret;
		n++;
	}
	if (!n) {
		NL_SET_ERR_ATTR_MISS(extack, NULL, APSM_A_FLOW);
		NL_SET_ERR_MSG(extack, "missing APSM_A_FLOW");
		return -EINVAL;
	}

	nla_for_each_attr(attr, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (apsm_nl_flow_parse_full(NULL, attr, &f, &op))
			continue;	/* cannot happen: checked above */
		ret = apsm_rds_install(an->rds, &f, op, GFP_KERNEL);
		/* Stale updates and deletes of nothing are normal in a
		 * replicated table (counted); running out of room is not.
		 */
		if (ret && ret != -EALREADY && ret != -ENOENT && !err) {
			err = ret;
			if (ret == -ENOSPC)
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "RDS full (node rds_max): flow not installed");
			else
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "flow could not be installed");
		}
		cond_resched();
	}
	return err;
}
