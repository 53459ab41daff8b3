// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_rds": the standalone RDS core (src/rds.c) and its
 * version clock (src/hlc.c): insert, lookup, delete, the table limit,
 * peers' versions (older ignored, newer replaces, a tie goes to the higher
 * origin), deletes from peers, aging driven by an explicit clock, flush,
 * hooks, and the flow key helpers.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "core/flowkey.h"
#include "core/hlc.h"
#include "flow/rds.h"
#include "core/stats.h"

struct rt_ctx {
	struct apsm_rds rds;
	struct apsm_stats __percpu *stats;
	/* what the hooks saw */
	unsigned int added[APSM_RDS_PEER_DEL + 1];
	unsigned int removed[APSM_RDS_PEER_DEL + 1];
};

static struct rt_ctx *rt_ctx_of(struct apsm_rds *rds)
{
	return container_of(rds, struct rt_ctx, rds);
}

static void rt_added(struct apsm_rds *rds, const struct apsm_rds_entry *e,
		     enum apsm_rds_cause why)
{
	rt_ctx_of(rds)->added[why]++;
}

static void rt_removed(struct apsm_rds *rds, const struct apsm_rds_entry *e,
		       enum apsm_rds_cause why)
{
	rt_ctx_of(rds)->removed[why]++;
}

static const struct apsm_rds_hooks rt_hooks = {
	.added = rt_added,
	.removed = rt_removed,
};

static int rt_suite_init(struct kunit_suite *suite)
{
	return apsm_rds_cache_init();
}

static void rt_suite_exit(struct kunit_suite *suite)
{
	apsm_rds_cache_exit();
}

static int rt_init(struct kunit *test)
{
	struct rt_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, apsm_rds_init(&c->rds, 1000), 0);
	c->stats = apsm_stats_alloc();
	KUNIT_ASSERT_NOT_NULL(test, c->stats);
	c->rds.stats = c->stats;
	c->rds.hooks = &rt_hooks;
	test->priv = c;
	return 0;
}

static void rt_exit(struct kunit *test)
{
	struct rt_ctx *c = test->priv;

	apsm_rds_destroy(&c->rds);
	rcu_barrier();
	apsm_stats_free(c->stats);
}

static u64 rt_stat(struct kunit *test, unsigned int id)
{
	struct rt_ctx *c = test->priv;

	return apsm_stats_read(c->stats, id);
}

/* TCP 10.0.<n>.1:<1000+n> > 192.0.2.1:80, forward, path 1,2 */
static struct apsm_rds_flow rt_flow(u32 n, u8 proto)
{
	struct apsm_rds_flow f = {};

	apsm_flow_key_zero(&f.key);
	f.key.family = AF_INET;
	f.key.proto = proto;
	f.key.src.s6_addr32[0] = htonl(0x0a000001 | (n & 0xffff) << 8);
	f.key.dst.s6_addr32[0] = htonl(0xc0000201);
	f.key.sport = htons(1000 + (n >> 16));
	f.key.dport = htons(80);
	f.dir = APSM_DIR_FORWARD;
	f.spi = 7;
	f.path_n = 2;
	f.path[0] = 1;
	f.path[1] = 2;
	f.origin = 1;
	f.version = 100;
	return f;
}

static struct apsm_rds_entry *rt_insert(struct kunit *test,
					const struct apsm_rds_flow *f,
					bool *created)
{
	struct rt_ctx *c = test->priv;

	return apsm_rds_insert(&c->rds, f, GFP_KERNEL, created);
}

static void rds_insert_lookup_delete_test(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	struct apsm_rds_flow f = rt_flow(1, IPPROTO_TCP);
	struct apsm_rds_entry *e, *e2;
	struct apsm_flow_key rev;
	bool created;

	e = rt_insert(test, &f, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 1);
	KUNIT_EXPECT_EQ(test, c->added[APSM_RDS_INSERT], 1);

	/* the same key again: the entry there, nothing added */
	f.spi = 9;
	e2 = rt_insert(test, &f, &created);
	KUNIT_EXPECT_PTR_EQ(test, e2, e);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 1);

	rcu_read_lock();
	e2 = apsm_rds_lookup(&c->rds, &f.key);
	KUNIT_EXPECT_PTR_EQ(test, e2, e);
	if (e2) {
		KUNIT_EXPECT_EQ(test, e2->f.spi, 7);
		KUNIT_EXPECT_EQ(test, e2->f.path_n, 2);
		KUNIT_EXPECT_EQ(test, e2->f.path[1], 2);
		KUNIT_EXPECT_EQ(test, atomic64_read(&e2->packets), 1);
	}
	apsm_rds_lookup(&c->rds, &f.key);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->packets), 2);
	/* the other direction is another key */
	apsm_flow_key_reverse(&rev, &f.key);
	KUNIT_EXPECT_NULL(test, apsm_rds_lookup(&c->rds, &rev));
	/* find has no side effects */
	KUNIT_EXPECT_PTR_EQ(test, apsm_rds_find(&c->rds, &f.key), e);
	KUNIT_EXPECT_EQ(test, atomic64_read(&e->packets), 2);
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_INSERTS), 1);
	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_HITS), 2);
	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_MISSES), 1);

	KUNIT_EXPECT_EQ(test, apsm_rds_delete(&c->rds, &rev), -ENOENT);
	KUNIT_EXPECT_EQ(test, apsm_rds_delete(&c->rds, &f.key), 0);
	KUNIT_EXPECT_EQ(test, apsm_rds_delete(&c->rds, &f.key), -ENOENT);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 0);
	KUNIT_EXPECT_EQ(test, c->removed[APSM_RDS_DELETE], 1);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, apsm_rds_lookup(&c->rds, &f.key));
	rcu_read_unlock();
}

static void rds_many_test(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	struct apsm_rds_flow f;
	u32 i, found = 0;

	/* enough to make the table grow several times */
	apsm_rds_set_max(&c->rds, 20000);
	for (i = 0; i < 20000; i++) {
		f = rt_flow(i, i & 1 ? IPPROTO_UDP : IPPROTO_TCP);
		KUNIT_ASSERT_FALSE(test, IS_ERR(rt_insert(test, &f, NULL)));
	}
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 20000);
	rcu_read_lock();
	for (i = 0; i < 20000; i++) {
		f = rt_flow(i, i & 1 ? IPPROTO_UDP : IPPROTO_TCP);
		found += !!apsm_rds_find(&c->rds, &f.key);
	}
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, found, 20000);
	KUNIT_EXPECT_EQ(test, apsm_rds_flush(&c->rds), 20000);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 0);
	KUNIT_EXPECT_EQ(test, c->removed[APSM_RDS_FLUSH], 20000);
}

static void rds_limit_test(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	struct apsm_rds_flow f;
	struct apsm_rds_entry *e;
	u32 i;

	apsm_rds_set_max(&c->rds, 3);
	for (i = 0; i < 3; i++) {
		f = rt_flow(i, IPPROTO_TCP);
		KUNIT_ASSERT_FALSE(test, IS_ERR(rt_insert(test, &f, NULL)));
	}
	f = rt_flow(3, IPPROTO_TCP);
	e = rt_insert(test, &f, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(e), -ENOSPC);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 3);
	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_INSERT_FULL), 1);
	/* a peer's new flow does not fit either... */
	KUNIT_EXPECT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW,
					       GFP_KERNEL), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_INSERT_FULL), 2);
	/* ...but a newer version of one we have replaces it in place */
	f = rt_flow(0, IPPROTO_TCP);
	f.version = 200;
	KUNIT_EXPECT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW,
					       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 3);

	/* Lowering the max below the count evicts nothing. */
	apsm_rds_set_max(&c->rds, 1);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 3);
	f = rt_flow(4, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, PTR_ERR(rt_insert(test, &f, NULL)), -ENOSPC);
	/* down to 0 and back up to the max */
	apsm_rds_flush(&c->rds);
	KUNIT_EXPECT_FALSE(test, IS_ERR(rt_insert(test, &f, NULL)));
	f = rt_flow(5, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, PTR_ERR(rt_insert(test, &f, NULL)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_INSERT_FULL), 4);
}

static int rt_install(struct kunit *test, u64 version, u32 origin, u32 spi,
		      u8 op)
{
	struct rt_ctx *c = test->priv;
	struct apsm_rds_flow f = rt_flow(1, IPPROTO_UDP);

	f.version = version;
	f.origin = origin;
	f.spi = spi;
	return apsm_rds_install(&c->rds, &f, op, GFP_KERNEL);
}

/* The spi of the installed entry of rt_install()'s key, 0 if none. */
static u32 rt_spi(struct kunit *test)
{
	struct rt_ctx *c = test->priv;
	struct apsm_rds_flow f = rt_flow(1, IPPROTO_UDP);
	struct apsm_rds_entry *e;
	u32 spi;

	rcu_read_lock();
	e = apsm_rds_find(&c->rds, &f.key);
	spi = e ? e->f.spi : 0;
	rcu_read_unlock();
	return spi;
}

/* One install of rt_install()'s key: its result, and the spi installed
 * after it (0: none).
 */
struct rt_install_step {
	u64 version;
	u32 origin, spi;
	u8 op;
	int ret;
	u32 spi_after;
};

static void rt_install_steps(struct kunit *test,
			     const struct rt_install_step *st, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++, st++) {
		KUNIT_EXPECT_EQ_MSG(test, rt_install(test, st->version,
						     st->origin, st->spi,
						     st->op),
				    st->ret, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, rt_spi(test), st->spi_after,
				    "step %u", i);
	}
}

static void rds_version_test(struct kunit *test)
{
	static const struct rt_install_step news[] = {
		{ 1000, 2, 10, APSM_RDS_OP_NEW, 0, 10 },
		/* older: ignored, counted */
		{ 999, 9, 11, APSM_RDS_OP_NEW, -EALREADY, 10 },
		/* the same again: ignored */
		{ 1000, 2, 12, APSM_RDS_OP_NEW, -EALREADY, 10 },
		/* same version, lower origin: loses the tie */
		{ 1000, 1, 13, APSM_RDS_OP_NEW, -EALREADY, 10 },
		/* same version, higher origin: wins the tie */
		{ 1000, 3, 14, APSM_RDS_OP_NEW, 0, 14 },
		/* newer version, whatever the origin: replaces */
		{ 1001, 1, 15, APSM_RDS_OP_NEW, 0, 15 },
	}, dels[] = {
		/* a peer's delete of an older version leaves ours... */
		{ 1000, 3, 14, APSM_RDS_OP_DEL, -EALREADY, 15 },
		/* ...of ours (or newer) removes it */
		{ 1001, 1, 15, APSM_RDS_OP_DEL, 0, 0 },
	};
	struct rt_ctx *c = test->priv;

	rt_install_steps(test, news, ARRAY_SIZE(news));
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 1);

	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_INSTALLED), 3);
	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_STALE), 3);
	/* replacements are remove + add for the hooks */
	KUNIT_EXPECT_EQ(test, c->added[APSM_RDS_INSTALL], 3);
	KUNIT_EXPECT_EQ(test, c->removed[APSM_RDS_INSTALL], 2);

	rt_install_steps(test, dels, ARRAY_SIZE(dels));
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 0);
	KUNIT_EXPECT_EQ(test, c->removed[APSM_RDS_PEER_DEL], 1);
	KUNIT_EXPECT_EQ(test, rt_install(test, 1001, 1, 15, APSM_RDS_OP_DEL),
			-ENOENT);

	/* The clock moved past every version it saw. */
	KUNIT_EXPECT_GT(test, apsm_hlc_now(&c->rds.clock), 1001ULL);
}

static void rds_hlc_test(struct kunit *test)
{
	/* (version, origin) a against b: is a newer? */
	static const struct {
		u64 va;
		u32 oa;
		u64 vb;
		u32 ob;
		bool newer;
	} cmp[] = {
		{ 2, 1, 1, 9, true },
		{ 2, 2, 2, 1, true },
		{ 2, 1, 2, 1, false },
		{ 2, 1, 2, 2, false },
		{ 1, 9, 2, 1, false },
	};
	struct apsm_hlc clk;
	u64 prev, v, far;
	int i;

	apsm_hlc_init(&clk);
	prev = apsm_hlc_now(&clk);
	/* close to the wall clock: ms since 1970 in the upper bits */
	KUNIT_EXPECT_GT(test, prev >> APSM_HLC_LOGICAL_BITS,
			1600000000000ULL);
	for (i = 0; i < 10000; i++) {
		v = apsm_hlc_now(&clk);
		KUNIT_EXPECT_GT(test, v, prev);
		prev = v;
	}
	/* a peer ahead of us: we follow */
	far = prev + (5000ULL << APSM_HLC_LOGICAL_BITS);
	apsm_hlc_observe(&clk, far);
	KUNIT_EXPECT_GT(test, apsm_hlc_now(&clk), far);
	/* a peer behind us changes nothing */
	apsm_hlc_observe(&clk, 1);
	KUNIT_EXPECT_GT(test, apsm_hlc_now(&clk), far + 1);

	for (i = 0; i < ARRAY_SIZE(cmp); i++)
		KUNIT_EXPECT_EQ_MSG(test, apsm_version_newer(cmp[i].va, cmp[i].oa,
							     cmp[i].vb, cmp[i].ob),
				    cmp[i].newer, "case %d", i);
}

static struct apsm_rds_entry *rt_insert_at(struct kunit *test, u32 n,
					   u8 proto, unsigned long last_used)
{
	struct apsm_rds_flow f = rt_flow(n, proto);
	struct apsm_rds_entry *e = rt_insert(test, &f, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	WRITE_ONCE(e->last_used, last_used);
	return e;
}

static void rds_aging_test(struct kunit *test)
{
	const struct apsm_rds_timeouts to = { .tcp = 100, .udp = 50,
					      .other = 10 };
	struct rt_ctx *c = test->priv;
	unsigned long t0 = jiffies;
	struct apsm_rds_flow f;

	rt_insert_at(test, 1, IPPROTO_TCP, t0);
	rt_insert_at(test, 2, IPPROTO_UDP, t0);
	rt_insert_at(test, 3, IPPROTO_ICMP, t0);
	rt_insert_at(test, 4, IPPROTO_TCP, t0 + 1000);	/* busy one */

	/* idle exactly the timeout: not yet */
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 10, &to, 100), 0);
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 11, &to, 100), 1);
	f = rt_flow(3, IPPROTO_ICMP);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, apsm_rds_find(&c->rds, &f.key));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 50, &to, 100), 0);
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 51, &to, 100), 1);
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 101, &to, 100), 1);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 1);
	/* the busy one goes only once it is idle long enough itself */
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 1100, &to, 100), 0);
	KUNIT_EXPECT_EQ(test, apsm_rds_age(&c->rds, t0 + 1101, &to, 100), 1);
	KUNIT_EXPECT_EQ(test, apsm_rds_count(&c->rds), 0);

	KUNIT_EXPECT_EQ(test, rt_stat(test, APSM_STATS_A_RDS_EXPIRED), 4);
	KUNIT_EXPECT_EQ(test, c->removed[APSM_RDS_EXPIRE], 4);
}

static void rds_aging_slice_test(struct kunit *test)
{
	const struct apsm_rds_timeouts to = { .tcp = 10, .udp = 10,
					      .other = 10 };
	struct rt_ctx *c = test->priv;
	unsigned long t0 = jiffies;
	unsigned int i, n, total = 0, calls = 0;

	for (i = 0; i < 50; i++)
		rt_insert_at(test, i, IPPROTO_TCP, t0);
	/* A slice of 7 entries removes at most 7; a sweep continues where
	 * the last call stopped.
	 */
	while (apsm_rds_count(&c->rds) && calls < 100) {
		n = apsm_rds_age(&c->rds, t0 + 11, &to, 7);
		KUNIT_EXPECT_LE(test, n, 7U);
		total += n;
		calls++;
	}
	KUNIT_EXPECT_EQ(test, total, 50U);
	/* 7 per call, none skipped even though each slice ends on an
	 * entry it removed: ceil(50 / 7) = 8 calls, one or two more when
	 * the table shrinks under the sweep (the automatic resize the
	 * removals cause ends a walk early; the next call walks again).
	 */
	KUNIT_EXPECT_GE(test, calls, 8U);
	KUNIT_EXPECT_LE(test, calls, 10U);
}

static void rds_flowkey_test(struct kunit *test)
{
	struct apsm_rds_flow f = rt_flow(5, IPPROTO_TCP);
	struct apsm_flow_key r, rr;
	char buf[APSM_FLOW_KEY_STRLEN];

	apsm_flow_key_reverse(&r, &f.key);
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&r.src, &f.key.dst));
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&r.dst, &f.key.src));
	KUNIT_EXPECT_EQ(test, r.sport, f.key.dport);
	KUNIT_EXPECT_EQ(test, r.dport, f.key.sport);
	apsm_flow_key_reverse(&rr, &r);
	KUNIT_EXPECT_TRUE(test, apsm_flow_key_equal(&rr, &f.key));
	KUNIT_EXPECT_NE(test, apsm_flow_key_hash(&r, 0),
			apsm_flow_key_hash(&f.key, 0));

	/* ICMP echo: the id stays in sport both ways */
	f = rt_flow(5, IPPROTO_ICMP);
	f.key.sport = htons(0x1234);
	f.key.dport = 0;
	apsm_flow_key_reverse(&r, &f.key);
	KUNIT_EXPECT_EQ(test, r.sport, htons(0x1234));
	KUNIT_EXPECT_EQ(test, r.dport, 0);

	f = rt_flow(0, IPPROTO_TCP);
	apsm_flow_key_format(buf, sizeof(buf), &f.key);
	KUNIT_EXPECT_STREQ(test, buf, "tcp 10.0.0.1:1000 > 192.0.2.1:80");
}

static struct kunit_case apsm_rds_cases[] = {
	KUNIT_CASE(rds_insert_lookup_delete_test),
	KUNIT_CASE(rds_many_test),
	KUNIT_CASE(rds_limit_test),
	KUNIT_CASE(rds_version_test),
	KUNIT_CASE(rds_hlc_test),
	KUNIT_CASE(rds_aging_test),
	KUNIT_CASE(rds_aging_slice_test),
	KUNIT_CASE(rds_flowkey_test),
	{}
};

static struct kunit_suite apsm_rds_suite = {
	.name = "apsm_rds",
	.suite_init = rt_suite_init,
	.suite_exit = rt_suite_exit,
	.init = rt_init,
	.exit = rt_exit,
	.test_cases = apsm_rds_cases,
};
kunit_test_suite(apsm_rds_suite);

MODULE_LICENSE("GPL");
