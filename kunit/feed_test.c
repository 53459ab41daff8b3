// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the change feed (src/flow/feed.c): seqs in order from 1,
 * wraparound keeping exactly the last "size" changes, FIRST exact when a
 * reader is behind, resizing, and every kind of RDS change recorded once
 * with its cause when the feed is wired to a table's hooks as rds_net.c
 * wires it (a replacement is one INSTALL change).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "core/stats.h"
#include "flow/feed.h"
#include "flow/rds.h"

struct ft_ctx {
	struct apsm_feed feed;
	struct apsm_rds rds;
	bool rds_up;
	struct apsm_stats __percpu *stats;
	struct apsm_feed_change out[APSM_FEED_READ_BATCH];
};

static struct ft_ctx *ft_ctx_of(struct apsm_rds *rds)
{
	return container_of(rds, struct ft_ctx, rds);
}

static void ft_added(struct apsm_rds *rds, const struct apsm_rds_entry *e,
		     enum apsm_rds_cause why)
{
	apsm_feed_added(&ft_ctx_of(rds)->feed, e, why);
}

static void ft_removed(struct apsm_rds *rds, const struct apsm_rds_entry *e,
		       enum apsm_rds_cause why)
{
	apsm_feed_removed(&ft_ctx_of(rds)->feed, e, why);
}

static const struct apsm_rds_hooks ft_hooks = {
	.added = ft_added,
	.removed = ft_removed,
};

static int ft_suite_init(struct kunit_suite *suite)
{
	return apsm_rds_cache_init();
}

static void ft_suite_exit(struct kunit_suite *suite)
{
	apsm_rds_cache_exit();
}

static int ft_init(struct kunit *test)
{
	struct ft_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, apsm_feed_init(&c->feed, 64), 0);
	KUNIT_ASSERT_EQ(test, apsm_feed_ensure(&c->feed), 0);
	test->priv = c;
	return 0;
}

static void ft_exit(struct kunit *test)
{
	struct ft_ctx *c = test->priv;

	if (c->rds_up) {
		apsm_rds_destroy(&c->rds);
		rcu_barrier();
		apsm_stats_free(c->stats);
	}
	apsm_feed_destroy(&c->feed);
}

/* TCP 10.0.<n>.1:1000 > 192.0.2.1:80, forward, path 1,2; version @v */
static struct apsm_rds_flow ft_flow(u32 n, u64 v)
{
	struct apsm_rds_flow f = {};

	apsm_flow_key_zero(&f.key);
	f.key.family = AF_INET;
	f.key.proto = IPPROTO_TCP;
	f.key.src.s6_addr32[0] = htonl(0x0a000001 | (n & 0xffff) << 8);
	f.key.dst.s6_addr32[0] = htonl(0xc0000201);
	f.key.sport = htons(1000);
	f.key.dport = htons(80);
	f.dir = APSM_DIR_FORWARD;
	f.spi = 7;
	f.path_n = 2;
	f.path[0] = 1;
	f.path[1] = 2;
	f.origin = 1;
	f.version = v;
	return f;
}

/* Which ft_flow() a change carries. */
static u32 ft_n(const struct apsm_feed_change *c)
{
	return (ntohl(c->f.key.src.s6_addr32[0]) >> 8) & 0xffff;
}

/* Read everything from @from on; returns the count, checks seq order. */
static unsigned int ft_read_all(struct kunit *test, u64 from,
				struct apsm_feed_change *all, unsigned int max,
				u64 *first, u64 *next)
{
	struct ft_ctx *c = test->priv;
	unsigned int got = 0, n, i;
	u64 f, nx, cur = from;

	*first = 0;
	do {
		n = apsm_feed_read(&c->feed, cur, U64_MAX, c->out,
				   APSM_FEED_READ_BATCH, &f, &nx);
		if (!*first) {
			*first = f;
			*next = nx;
		}
		for (i = 0; i < n && got < max; i++) {
			KUNIT_EXPECT_EQ(test, c->out[i].seq,
					i ? c->out[i - 1].seq + 1 :
					    max(cur, f));
			all[got++] = c->out[i];
		}
		if (n)
			cur = c->out[n - 1].seq + 1;
	} while (n);
	return got;
}

static void feed_seq_order_test(struct kunit *test)
{
	struct ft_ctx *c = test->priv;
	struct apsm_feed_change *all;
	struct apsm_rds_flow f;
	u64 first, next, seq;
	unsigned int i, n;

	all = kunit_kcalloc(test, 64, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	apsm_feed_bounds(&c->feed, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 1);
	KUNIT_EXPECT_EQ(test, next, 1);
	/* nothing yet: a read returns nothing, FIRST = NEXT = 1 */
	KUNIT_EXPECT_EQ(test, ft_read_all(test, 0, all, 64, &first, &next),
			0U);

	for (i = 1; i <= 50; i++) {
		f = ft_flow(i, 100 + i);
		seq = apsm_feed_record(&c->feed, &f,
				       i % 2 ? APSM_RDS_INSERT :
					       APSM_RDS_EXPIRE);
		KUNIT_EXPECT_EQ(test, seq, (u64)i);
	}
	n = ft_read_all(test, 0, all, 64, &first, &next);
	KUNIT_EXPECT_EQ(test, n, 50U);
	KUNIT_EXPECT_EQ(test, first, 1);
	KUNIT_EXPECT_EQ(test, next, 51);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, all[i].seq, (u64)i + 1);
		KUNIT_EXPECT_EQ(test, ft_n(&all[i]), i + 1);
		KUNIT_EXPECT_EQ(test, all[i].f.version, 100ULL + i + 1);
		KUNIT_EXPECT_EQ(test, all[i].cause,
				(u8)((i + 1) % 2 ? APSM_RDS_INSERT :
						   APSM_RDS_EXPIRE));
		KUNIT_EXPECT_EQ(test, all[i].op,
				(u8)((i + 1) % 2 ? APSM_RDS_OP_NEW :
						   APSM_RDS_OP_DEL));
	}
	/* from the middle; an end bound; a cursor beyond NEXT */
	n = ft_read_all(test, 40, all, 64, &first, &next);
	KUNIT_EXPECT_EQ(test, n, 11U);
	KUNIT_EXPECT_EQ(test, all[0].seq, 40);
	n = apsm_feed_read(&c->feed, 10, 13, c->out, APSM_FEED_READ_BATCH,
			   &first, &next);
	KUNIT_EXPECT_EQ(test, n, 3U);
	KUNIT_EXPECT_EQ(test, c->out[2].seq, 12);
	n = apsm_feed_read(&c->feed, 10, U64_MAX, c->out, 5, &first, &next);
	KUNIT_EXPECT_EQ(test, n, 5U);
	KUNIT_EXPECT_EQ(test, c->out[4].seq, 14);
	KUNIT_EXPECT_EQ(test, apsm_feed_read(&c->feed, 51, U64_MAX, c->out,
					     APSM_FEED_READ_BATCH, &first,
					     &next), 0U);
	KUNIT_EXPECT_EQ(test, apsm_feed_read(&c->feed, 1000, U64_MAX, c->out,
					     APSM_FEED_READ_BATCH, &first,
					     &next), 0U);
}

static void feed_wrap_test(struct kunit *test)
{
	struct ft_ctx *c = test->priv;
	struct apsm_feed_change *all;
	struct apsm_rds_flow f;
	u64 first, next;
	unsigned int i, n;

	all = kunit_kcalloc(test, 64, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	/* exactly full: nothing lost yet */
	for (i = 1; i <= 64; i++) {
		f = ft_flow(i, i);
		apsm_feed_record(&c->feed, &f, APSM_RDS_INSERT);
	}
	apsm_feed_bounds(&c->feed, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 1);
	KUNIT_EXPECT_EQ(test, next, 65);
	/* one more: seq 1 goes, and so on */
	for (i = 65; i <= 200; i++) {
		f = ft_flow(i, i);
		apsm_feed_record(&c->feed, &f, APSM_RDS_DELETE);
	}
	/* a reader at 1 is behind: it learns exactly FIRST = 200 - 64 + 1 */
	n = ft_read_all(test, 1, all, 64, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 137);
	KUNIT_EXPECT_EQ(test, next, 201);
	KUNIT_EXPECT_EQ(test, n, 64U);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, all[i].seq, 137ULL + i);
		/* the slot holds that seq's change, not an older one */
		KUNIT_EXPECT_EQ(test, ft_n(&all[i]), 137 + i);
		KUNIT_EXPECT_EQ(test, all[i].cause, (u8)APSM_RDS_DELETE);
	}
	/* a reader at FIRST is not behind; one at FIRST - 1 is, by one */
	apsm_feed_read(&c->feed, 137, U64_MAX, c->out, 1, &first, &next);
	KUNIT_EXPECT_EQ(test, c->out[0].seq, 137);
	KUNIT_EXPECT_EQ(test, first, 137);
	apsm_feed_read(&c->feed, 136, U64_MAX, c->out, 1, &first, &next);
	KUNIT_EXPECT_LT(test, 136ULL, first);
	KUNIT_EXPECT_EQ(test, c->out[0].seq, 137);
}

static void feed_resize_test(struct kunit *test)
{
	struct ft_ctx *c = test->priv;
	struct apsm_feed_change *all;
	struct apsm_rds_flow f;
	u64 first, next;
	unsigned int i;

	all = kunit_kcalloc(test, 256, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	for (i = 1; i <= 10; i++) {
		f = ft_flow(i, i);
		apsm_feed_record(&c->feed, &f, APSM_RDS_INSERT);
	}
	KUNIT_EXPECT_EQ(test, apsm_feed_size(&c->feed), 64U);
	/* bad sizes change nothing */
	KUNIT_EXPECT_EQ(test, apsm_feed_resize(&c->feed, 100), -EINVAL);
	KUNIT_EXPECT_EQ(test, apsm_feed_resize(&c->feed, 32), -EINVAL);
	KUNIT_EXPECT_EQ(test, apsm_feed_resize(&c->feed,
					       APSM_FEED_SIZE_MAX * 2),
			-EINVAL);
	apsm_feed_bounds(&c->feed, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 1);
	KUNIT_EXPECT_EQ(test, next, 11);

	/* a resize drops the window: FIRST moves up to NEXT, seqs go on */
	KUNIT_ASSERT_EQ(test, apsm_feed_resize(&c->feed, 128), 0);
	KUNIT_EXPECT_EQ(test, apsm_feed_size(&c->feed), 128U);
	apsm_feed_bounds(&c->feed, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 11);
	KUNIT_EXPECT_EQ(test, next, 11);
	for (i = 11; i <= 200; i++) {
		f = ft_flow(i, i);
		KUNIT_EXPECT_EQ(test, apsm_feed_record(&c->feed, &f,
						       APSM_RDS_INSTALL),
				(u64)i);
	}
	KUNIT_EXPECT_EQ(test, ft_read_all(test, 1, all, 256, &first, &next),
			128U);
	KUNIT_EXPECT_EQ(test, first, 73);
	KUNIT_EXPECT_EQ(test, next, 201);
	KUNIT_EXPECT_EQ(test, ft_n(&all[0]), 73U);
	KUNIT_EXPECT_EQ(test, ft_n(&all[127]), 200U);
	/* the same size again still drops the window */
	KUNIT_ASSERT_EQ(test, apsm_feed_resize(&c->feed, 128), 0);
	apsm_feed_bounds(&c->feed, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 201);
	KUNIT_EXPECT_EQ(test, next, 201);
	KUNIT_EXPECT_EQ(test, ft_read_all(test, 0, all, 256, &first, &next),
			0U);
}

/* The feed behind a real table's hooks: every kind of change, once. */
static void feed_rds_causes_test(struct kunit *test)
{
	const struct apsm_rds_timeouts to = { .tcp = 100, .udp = 100,
					      .other = 100 };
	static const struct {
		u32 n;
		u8 cause;
		u64 version;
	} want[] = {
		{ 1, APSM_RDS_INSERT, 10 },	/* created here */
		{ 2, APSM_RDS_INSERT, 10 },
		{ 3, APSM_RDS_INSTALL, 10 },	/* a peer's new entry */
		{ 3, APSM_RDS_INSTALL, 20 },	/* replaced: one change */
		{ 1, APSM_RDS_DELETE, 10 },	/* flow del */
		{ 3, APSM_RDS_PEER_DEL, 20 },	/* the peer's delete */
		{ 4, APSM_RDS_INSERT, 10 },
		{ 2, APSM_RDS_EXPIRE, 10 },	/* idle: only 2 is old */
		{ 4, APSM_RDS_FLUSH, 10 },	/* flush */
	};
	struct ft_ctx *c = test->priv;
	struct apsm_feed_change *all;
	struct apsm_rds_entry *e;
	struct apsm_rds_flow f;
	unsigned long t0 = jiffies;
	u64 first, next;
	unsigned int i, n;

	all = kunit_kcalloc(test, 64, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_EQ(test, apsm_rds_init(&c->rds, 1000), 0);
	c->stats = apsm_stats_alloc();
	KUNIT_ASSERT_NOT_NULL(test, c->stats);
	c->rds.stats = c->stats;
	c->rds.hooks = &ft_hooks;
	c->rds_up = true;

	f = ft_flow(1, 10);
	KUNIT_ASSERT_FALSE(test, IS_ERR(apsm_rds_insert(&c->rds, &f,
							GFP_KERNEL, NULL)));
	f = ft_flow(2, 10);
	e = apsm_rds_insert(&c->rds, &f, GFP_KERNEL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	WRITE_ONCE(e->last_used, t0);
	/* an insert of a key already there is no change */
	f = ft_flow(2, 11);
	apsm_rds_insert(&c->rds, &f, GFP_KERNEL, NULL);
	f = ft_flow(3, 10);
	KUNIT_EXPECT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW,
					       GFP_KERNEL), 0);
	f = ft_flow(3, 20);
	KUNIT_EXPECT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW,
					       GFP_KERNEL), 0);
	/* stale: ignored, no change */
	f = ft_flow(3, 15);
	KUNIT_EXPECT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW,
					       GFP_KERNEL), -EALREADY);
	f = ft_flow(1, 10);
	KUNIT_EXPECT_EQ(test, apsm_rds_delete(&c->rds, &f.key), 0);
	KUNIT_EXPECT_EQ(test, apsm_rds_delete(&c->rds, &f.key), -ENOENT);
	f = ft_flow(3, 20);
	KUNIT_EXPECT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_DEL,
					       GFP_KERNEL), 0);
	f = ft_flow(4, 10);
	e = apsm_rds_insert(&c->rds, &f, GFP_KERNEL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	WRITE_ONCE(e->last_used, t0 + 1000);
	/* a full sweep at t0 + 500: 2 is idle, 4 is not */
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 500, &to, 100), 1U);
	KUNIT_EXPECT_EQ(test, apsm_rds_flush(&c->rds), 1U);

	n = ft_read_all(test, 0, all, 64, &first, &next);
	KUNIT_EXPECT_EQ(test, first, 1);
	KUNIT_EXPECT_EQ(test, next, (u64)ARRAY_SIZE(want) + 1);
	KUNIT_ASSERT_EQ(test, n, (unsigned int)ARRAY_SIZE(want));
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, ft_n(&all[i]), want[i].n,
				    "change %u", i);
		KUNIT_EXPECT_EQ_MSG(test, all[i].cause, want[i].cause,
				    "change %u", i);
		KUNIT_EXPECT_EQ_MSG(test, all[i].f.version, want[i].version,
				    "change %u", i);
		KUNIT_EXPECT_EQ(test, all[i].op, apsm_feed_op(want[i].cause));
	}
}

/* A feed that no one uses keeps no ring: changes get their seqs, none is
 * kept (FIRST = NEXT, a reader from before is behind); once made, the
 * ring keeps what follows, and a second ensure changes nothing.
 */
static void feed_lazy_ring_test(struct kunit *test)
{
	struct apsm_feed lazy;
	struct apsm_feed_change out[8];
	struct apsm_rds_flow f = ft_flow(1, 1);
	struct apsm_feed_slot *ring;
	u64 first, next;

	KUNIT_ASSERT_EQ(test, apsm_feed_init(&lazy, 64), 0);
	KUNIT_EXPECT_NULL(test, lazy.ring);
	KUNIT_EXPECT_EQ(test, apsm_feed_size(&lazy), 64U);
	KUNIT_EXPECT_EQ(test, apsm_feed_record(&lazy, &f, APSM_RDS_INSERT), 1ULL);
	KUNIT_EXPECT_EQ(test, apsm_feed_record(&lazy, &f, APSM_RDS_DELETE), 2ULL);
	KUNIT_EXPECT_EQ(test, apsm_feed_read(&lazy, 1, U64_MAX, out, 8,
					     &first, &next), 0U);
	KUNIT_EXPECT_EQ(test, first, 3ULL);
	KUNIT_EXPECT_EQ(test, next, 3ULL);

	KUNIT_ASSERT_EQ(test, apsm_feed_ensure(&lazy), 0);
	ring = lazy.ring;
	KUNIT_EXPECT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, apsm_feed_ensure(&lazy), 0);
	KUNIT_EXPECT_PTR_EQ(test, lazy.ring, ring);
	KUNIT_EXPECT_EQ(test, apsm_feed_record(&lazy, &f, APSM_RDS_INSERT), 3ULL);
	KUNIT_EXPECT_EQ(test, apsm_feed_read(&lazy, 1, U64_MAX, out, 8,
					     &first, &next), 1U);
	KUNIT_EXPECT_EQ(test, first, 3ULL);
	KUNIT_EXPECT_EQ(test, out[0].seq, 3ULL);
	KUNIT_EXPECT_EQ(test, out[0].cause, (u8)APSM_RDS_INSERT);
	apsm_feed_destroy(&lazy);
}

static struct kunit_case apsm_feed_cases[] = {
	KUNIT_CASE(feed_lazy_ring_test),
	KUNIT_CASE(feed_seq_order_test),
	KUNIT_CASE(feed_wrap_test),
	KUNIT_CASE(feed_resize_test),
	KUNIT_CASE(feed_rds_causes_test),
	{}
};

static struct kunit_suite apsm_feed_suite = {
	.name = "apsm_feed",
	.suite_init = ft_suite_init,
	.suite_exit = ft_suite_exit,
	.init = ft_init,
	.exit = ft_exit,
	.test_cases = apsm_feed_cases,
};
kunit_test_suite(apsm_feed_suite);

MODULE_LICENSE("GPL");
