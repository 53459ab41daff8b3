// SPDX-License-Identifier: GPL-2.0
/*
 * APSM_CMD_FLOW_CHANGES: the change feed (flow/feed.h) read from a cursor,
 * many changes per message, every message with FIRST and NEXT. The dump
 * copies at most APSM_FEED_READ_BATCH changes per hold of the feed's lock
 * into its own buffer and builds messages from the copies, so a slot that
 * is overwritten later is never sent half old, half new; a cursor the
 * feed overtook (older than FIRST) is reported with APSM_A_FEED_BEHIND in
 * the message where it is noticed, and the dump goes on from FIRST.
 */
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "core/netns.h"
#include "flow/feed.h"
#include "nl/netlink.h"

struct apsm_feed_dump {
	u64 cursor;		/* seq after the last one copied into buf */
	u64 end;		/* NEXT at the dump's start: stop below it */
	u64 remaining;		/* changes the LIMIT still allows */
	bool done;		/* everything sent: the next call ends it */
	unsigned int i, n;	/* buf[i..n) is copied, not sent yet */
	struct apsm_feed_change buf[APSM_FEED_READ_BATCH];
};

static struct apsm_feed_dump **apsm_feed_dump_ctx(struct netlink_callback *cb)
{
	return (struct apsm_feed_dump **)cb->ctx;
}

int apsm_nl_change_fill(struct sk_buff *skb, const struct apsm_feed_change *c)
{
	/* The flow nest starts here; it is reopened to add SEQ and CAUSE. */
	struct nlattr *nest = (struct nlattr *)skb_tail_pointer(skb);

	if (apsm_nl_flow_fill(skb, &c->f, NULL, c->op))
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, APSM_FLOW_A_SEQ, c->seq, APSM_FLOW_A_PAD) ||
	    nla_put_u8(skb, APSM_FLOW_A_CAUSE, c->cause)) {
		nlmsg_trim(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int apsm_nl_flow_changes_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct apsm_net *an = apsm_net(sock_net(cb->skb->sk));
	struct nlattr **attrs = info->attrs;
	struct apsm_feed_dump *d;
	u64 cursor = 0, first, next;
	u32 limit = 0;
	int i;

	/* Strict: only the cursor and the limit mean anything here. */
	for (i = 1; i <= APSM_A_MAX; i++) {
		if (!attrs[i] || i == APSM_A_FEED_CURSOR ||
		    i == APSM_A_FEED_LIMIT)
			continue;
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[i],
				    "attribute not used by flow changes");
		return -EINVAL;
	}
	if (attrs[APSM_A_FEED_CURSOR])
		cursor = nla_get_u64(attrs[APSM_A_FEED_CURSOR]);
	if (attrs[APSM_A_FEED_LIMIT])
		limit = nla_get_u32(attrs[APSM_A_FEED_LIMIT]);

	/* A reader: from now on the feed keeps changes. */
	if (apsm_feed_ensure(an->feed))
		return -ENOMEM;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	apsm_feed_bounds(an->feed, &first, &next);
	/* 0: the oldest kept, which is not being behind. */
	d->cursor = cursor ?: first;
	d->end = next;
	d->remaining = limit ?: U64_MAX;
	*apsm_feed_dump_ctx(cb) = d;
	return 0;
}

int apsm_nl_flow_changes_done(struct netlink_callback *cb)
{
	kfree(*apsm_feed_dump_ctx(cb));
	return 0;
}

/* Copy the next batch into d->buf: false when there is nothing more to
 * send. Sets *@behind when the feed overtook the cursor.
 */
static bool apsm_feed_dump_refill(struct apsm_feed *feed,
				  struct apsm_feed_dump *d, bool *behind)
{
	u64 first, next;
	unsigned int n;

	if (!d->remaining || d->cursor >= d->end)
		return false;
	n = apsm_feed_read(feed, d->cursor, d->end, d->buf,
			   min_t(u64, d->remaining, APSM_FEED_READ_BATCH),
			   &first, &next);
	if (d->cursor < first) {
		*behind = true;
		d->cursor = first;
	}
	if (!n)
		return false;
	d->i = 0;
	d->n = n;
	d->cursor = d->buf[n - 1].seq + 1;
	d->remaining -= n;
	return true;
}

int apsm_nl_flow_changes_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct apsm_feed_dump *d = *apsm_feed_dump_ctx(cb);
	struct apsm_feed *feed = apsm_net(sock_net(skb->sk))->feed;
	bool behind = false, behind_put = false;
	u64 first, next;
	void *hdr;

	if (d->done)
		return 0;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &apsm_genl_family, NLM_F_MULTI,
			  APSM_CMD_FLOW_CHANGES);
	if (!hdr)
		return -EMSGSIZE;
	apsm_feed_bounds(feed, &first, &next);
	if (nla_put_u64_64bit(skb, APSM_A_FEED_FIRST, first, APSM_A_PAD) ||
	    nla_put_u64_64bit(skb, APSM_A_FEED_NEXT, next, APSM_A_PAD))
		goto err;
	for (;;) {
		if (d->i == d->n &&
		    !apsm_feed_dump_refill(feed, d, &behind)) {
			d->done = true;
		}
		if (behind && !behind_put) {
			if (nla_put_flag(skb, APSM_A_FEED_BEHIND))
				goto err;
			behind_put = true;
		}
		if (d->done)
			break;
		if (apsm_nl_change_fill(skb, &d->buf[d->i]))
			break;		/* full: the rest goes in the next */
		d->i++;
	}
	genlmsg_end(skb, hdr);
	return skb->len;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}
