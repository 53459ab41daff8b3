// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_rds_walk": the resumable walk of the RDS (struct
 * apsm_rds_cursor, the netlink flow dump's walk) returns every entry that
 * stays in the table for the whole walk, however the table changes
 * between two steps:
 *  - rds_walk_reuse_test builds the case that defeats a resume by
 *    pointer: the entry a step stopped at is deleted, its memory is reused
 *    by the replacement of an entry further down the same bucket, and the
 *    entry between the two must still come;
 *  - rds_walk_churn_test walks a fixed set in steps of 64 entries (about
 *    a netlink message's worth) while a kthread inserts, replaces and
 *    deletes other entries between every two steps, 16 to 32 changes per
 *    step (the table grows and shrinks: resizes, and a resize makes the
 *    walk start over), and reports the churn rate reached.
 * UML is uniprocessor: the churn runs exactly where a dump lets go of
 * RCU, between two steps (two netlink messages).
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "core/flowkey.h"
#include "flow/rds.h"

#define RW_FIXED	5000		/* entries that stay */
#define RW_CHURN_MAX	20000		/* churn entries at the peak */
#define RW_STEP		64		/* entries per walk step (message) */
#define RW_SLICE	16		/* churn rounds between two steps */
#define RW_MAX_STEPS	20000		/* a walk that takes more failed */
#define RW_WALKS	50

/* Fixed entry n: TCP 10.1.<n>:1000 > 192.0.2.1:80; churn entry n: UDP
 * 10.2.<n mod 65536>:<53 + n / 65536> > 192.0.2.2:53.
 */
static struct apsm_rds_flow rw_flow(u32 n, bool churn)
{
	struct apsm_rds_flow f = {};

	apsm_flow_key_zero(&f.key);
	f.key.family = AF_INET;
	f.key.proto = churn ? IPPROTO_UDP : IPPROTO_TCP;
	f.key.src.s6_addr32[0] = htonl((churn ? 0x0a020000 : 0x0a010000) |
				       (n & 0xffff));
	f.key.dst.s6_addr32[0] = htonl(churn ? 0xc0000202 : 0xc0000201);
	f.key.sport = htons(churn ? 53 + (n >> 16) : 1000);
	f.key.dport = htons(churn ? 53 : 80);
	f.dir = APSM_DIR_FORWARD;
	f.spi = churn ? 7 : 5;
	f.path_n = 1;
	f.path[0] = churn ? 30 : 23;
	f.origin = churn ? 9 : 2;
	f.version = 1;
	return f;
}

/* The fixed entry's number, or -1 for anything else. */
static int rw_fixed_n(const struct apsm_rds_entry *e)
{
	u32 src = ntohl(e->f.key.src.s6_addr32[0]);

	if (e->f.key.proto != IPPROTO_TCP || (src & 0xffff0000) != 0x0a010000)
		return -1;
	return (src & 0xffff) < RW_FIXED ? (int)(src & 0xffff) : -1;
}

struct rw_ctx {
	struct apsm_rds rds;
	unsigned long *seen;		/* fixed entries seen by this walk */
	unsigned int dups;

	/* churn (rds_walk_churn_test) */
	struct task_struct *churner;
	wait_queue_head_t wq;
	int turn;			/* 1: the churner's */
	u32 lo, hi;			/* churn entries lo..hi-1 exist */
	bool growing;
	u64 ver;
	u32 rnd;
	unsigned long inserts, replaces, deletes, failed;
};

static int rw_suite_init(struct kunit_suite *suite)
{
	return apsm_rds_cache_init();
}

static void rw_suite_exit(struct kunit_suite *suite)
{
	apsm_rds_cache_exit();
}

static int rw_init(struct kunit *test)
{
	struct rw_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, apsm_rds_init(&c->rds, 1 << 20), 0);
	c->seen = bitmap_zalloc(RW_FIXED, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->seen);
	init_waitqueue_head(&c->wq);
	c->rnd = 2463534242U;
	c->ver = 1;
	test->priv = c;
	return 0;
}

static void rw_exit(struct kunit *test)
{
	struct rw_ctx *c = test->priv;

	if (c->churner)
		kthread_stop(c->churner);
	apsm_rds_destroy(&c->rds);
	rcu_barrier();
	bitmap_free(c->seen);
}

static void rw_fill(struct kunit *test)
{
	struct rw_ctx *c = test->priv;
	struct apsm_rds_flow f;
	struct apsm_rds_entry *e;
	bool created;
	u32 n;

	for (n = 0; n < RW_FIXED; n++) {
		f = rw_flow(n, false);
		e = apsm_rds_insert(&c->rds, &f, GFP_KERNEL, &created);
		KUNIT_ASSERT_FALSE(test, IS_ERR(e));
		KUNIT_ASSERT_TRUE(test, created);
	}
}

static void rw_mark(struct rw_ctx *c, const struct apsm_rds_entry *e)
{
	int n = rw_fixed_n(e);

	if (n >= 0 && __test_and_set_bit(n, c->seen))
		c->dups++;
}

/* The fixed entries the walk missed (all but @except, if >= 0). */
static unsigned int rw_missing(struct kunit *test, int except)
{
	struct rw_ctx *c = test->priv;
	unsigned int n, missing = 0;

	for (n = 0; n < RW_FIXED; n++) {
		if (test_bit(n, c->seen) || (int)n == except)
			continue;
		if (!missing)
			kunit_info(test, "first missing: fixed entry %u\n", n);
		missing++;
	}
	return missing;
}

/* The first three entries of a bucket with at least three. */
static bool rw_find_bucket(struct rw_ctx *c, struct apsm_flow_key *k)
{
	struct bucket_table *tbl;
	struct rhash_head *pos;
	unsigned int slot, n;
	bool found = false;

	rcu_read_lock();
	tbl = rcu_dereference(c->rds.ht.tbl);
	for (slot = 0; slot < tbl->size && !found; slot++) {
		n = 0;
		rht_for_each_rcu(pos, tbl, slot) {
			if (n < 3)
				k[n] = container_of(pos, struct apsm_rds_entry,
						    node)->f.key;
			n++;
		}
		found = n >= 3;
	}
	rcu_read_unlock();
	return found;
}

static void rds_walk_reuse_test(struct kunit *test)
{
	struct rw_ctx *c = test->priv;
	struct apsm_rds_cursor cur;
	struct apsm_rds_entry *e, *x;
	struct apsm_flow_key k[3];	/* X, P, Y: one bucket, that order */
	struct apsm_rds_flow f;
	bool created, reused;
	int xn, pn;

	rw_fill(test);
	apsm_rds_settle(&c->rds);
	KUNIT_ASSERT_TRUE(test, rw_find_bucket(c, k));

	/* X again, so that its memory is in the slab the next allocation
	 * comes from; it goes back to the head of its bucket: X, P, Y.
	 */
	rcu_read_lock();
	f = apsm_rds_find(&c->rds, &k[0])->f;
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, apsm_rds_delete(&c->rds, &k[0]), 0);
	rcu_barrier();
	e = apsm_rds_insert(&c->rds, &f, GFP_KERNEL, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e));
	KUNIT_ASSERT_TRUE(test, created);

	/* A step that stops at X (X not taken yet). */
	apsm_rds_cursor_enter(&c->rds, &cur);
	e = apsm_rds_cursor_start(&cur);
	while (e && !apsm_flow_key_equal(&e->f.key, &k[0])) {
		rw_mark(c, e);
		e = apsm_rds_cursor_next(&cur);
	}
	KUNIT_ASSERT_NOT_NULL(test, e);
	x = e;
	xn = rw_fixed_n(x);
	apsm_rds_cursor_stop(&cur, e);

	/* Between two steps: X goes, and Y's replacement takes its memory. */
	KUNIT_ASSERT_EQ(test, apsm_rds_delete(&c->rds, &k[0]), 0);
	rcu_barrier();
	rcu_read_lock();
	f = apsm_rds_find(&c->rds, &k[2])->f;
	rcu_read_unlock();
	f.version++;
	KUNIT_ASSERT_EQ(test, apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW,
					       GFP_KERNEL), 0);
	rcu_read_lock();
	reused = apsm_rds_find(&c->rds, &k[2]) == x;
	rcu_read_unlock();
	kunit_info(test, "X's memory reused by Y's replacement: %s\n",
		   reused ? "yes" : "no");

	/* The rest of the walk, in steps. */
	do {
		unsigned int i = 0;

		e = apsm_rds_cursor_start(&cur);
		while (e && i++ < RW_STEP) {
			rw_mark(c, e);
			e = apsm_rds_cursor_next(&cur);
		}
		apsm_rds_cursor_stop(&cur, e);
	} while (e);
	apsm_rds_cursor_exit(&cur);

	rcu_read_lock();
	e = apsm_rds_find(&c->rds, &k[1]);
	pn = e ? rw_fixed_n(e) : -1;
	rcu_read_unlock();
	KUNIT_ASSERT_GE(test, pn, 0);
	KUNIT_EXPECT_TRUE_MSG(test, test_bit(pn, c->seen),
			      "the entry between X and Y (fixed %d) was skipped",
			      pn);
	KUNIT_EXPECT_EQ(test, rw_missing(test, xn), 0);
	/* Without the reuse the case was not built: say so. */
	if (!reused)
		kunit_skip(test, "the slab did not hand X's memory to Y");
}

static u32 rw_rand(struct rw_ctx *c)
{
	c->rnd ^= c->rnd << 13;
	c->rnd ^= c->rnd >> 17;
	c->rnd ^= c->rnd << 5;
	return c->rnd;
}

/* One churn operation: grow to RW_CHURN_MAX churn entries, replacing a
 * random one with a newer version after each insert, then delete them
 * all, over and over.
 */
static void rw_churn_one(struct rw_ctx *c)
{
	struct apsm_rds_flow f;
	struct apsm_rds_entry *e;
	bool created;

	if (c->growing) {
		f = rw_flow(c->hi, true);
		e = apsm_rds_insert(&c->rds, &f, GFP_KERNEL, &created);
		if (IS_ERR(e) || !created) {
			c->failed++;
		} else {
			c->hi++;
			c->inserts++;
		}
		f = rw_flow(c->lo + rw_rand(c) % (c->hi - c->lo), true);
		f.version = ++c->ver;
		if (apsm_rds_install(&c->rds, &f, APSM_RDS_OP_NEW, GFP_KERNEL))
			c->failed++;
		else
			c->replaces++;
		if (c->hi - c->lo >= RW_CHURN_MAX)
			c->growing = false;
		return;
	}
	f = rw_flow(c->lo, true);
	if (apsm_rds_delete(&c->rds, &f.key))
		c->failed++;
	else
		c->deletes++;
	if (++c->lo == c->hi)
		c->growing = true;
}

static int rw_churner(void *arg)
{
	struct rw_ctx *c = arg;
	unsigned int i;

	for (;;) {
		wait_event(c->wq, READ_ONCE(c->turn) || kthread_should_stop());
		if (kthread_should_stop())
			break;
		for (i = 0; i < RW_SLICE; i++)
			rw_churn_one(c);
		WRITE_ONCE(c->turn, 0);
		wake_up(&c->wq);
	}
	return 0;
}

/* Let the churner run one slice (UML: one CPU, so strictly in turns). */
static void rw_churn_slice(struct rw_ctx *c)
{
	WRITE_ONCE(c->turn, 1);
	wake_up(&c->wq);
	wait_event(c->wq, !READ_ONCE(c->turn));
}

static void rds_walk_churn_test(struct kunit *test)
{
	struct rw_ctx *c = test->priv;
	struct apsm_rds_cursor cur;
	struct apsm_rds_entry *e;
	unsigned int w, steps, entries, missing, restarts = 0;
	unsigned long ops0, ops, min_size = ULONG_MAX, max_size = 0;
	u64 t0, ns, total_ns = 0, total_ops = 0;

	rw_fill(test);
	c->growing = true;
	c->churner = kthread_run(rw_churner, c, "apsm-rw-churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->churner));

	for (w = 0; w < RW_WALKS; w++) {
		bitmap_zero(c->seen, RW_FIXED);
		c->dups = 0;
		steps = 0;
		entries = 0;
		ops0 = c->inserts + c->replaces + c->deletes;
		t0 = ktime_get_ns();
		apsm_rds_cursor_enter(&c->rds, &cur);
		do {
			unsigned int i = 0, size;

			e = apsm_rds_cursor_start(&cur);
			size = rcu_dereference(c->rds.ht.tbl)->size;
			min_size = min_t(unsigned long, min_size, size);
			max_size = max_t(unsigned long, max_size, size);
			while (e && i++ < RW_STEP) {
				rw_mark(c, e);
				entries++;
				e = apsm_rds_cursor_next(&cur);
			}
			apsm_rds_cursor_stop(&cur, e);
			steps++;
			if (e)
				rw_churn_slice(c);
		} while (e && steps < RW_MAX_STEPS);
		if (e)
			KUNIT_FAIL(test, "walk %u did not complete in %u steps (%u restarts)",
				   w, steps, cur.restarts);
		apsm_rds_cursor_exit(&cur);
		ns = ktime_get_ns() - t0;
		ops = c->inserts + c->replaces + c->deletes - ops0;
		total_ns += ns;
		total_ops += ops;
		restarts += cur.restarts;
		missing = rw_missing(test, -1);
		if (missing || w % 10 == 0)
			kunit_info(test,
				   "walk %u: %u steps, %u entries (%u fixed repeated), %u restarts; %lu churn ops meanwhile in %llu ms, %llu ops/s; %u fixed missing\n",
				   w, steps, entries, c->dups, cur.restarts,
				   ops, ns / NSEC_PER_MSEC,
				   ns ? (u64)ops * NSEC_PER_SEC / ns : 0,
				   missing);
		KUNIT_EXPECT_EQ(test, missing, 0);
	}
	kunit_info(test,
		   "churn: %lu inserts, %lu replaces, %lu deletes (%lu failed), %llu ops/s over the walks; bucket table %lu..%lu; %u restarts\n",
		   c->inserts, c->replaces, c->deletes, c->failed,
		   total_ns ? total_ops * NSEC_PER_SEC / total_ns : 0,
		   min_size, max_size, restarts);
	/* The churn this test is about happened. */
	KUNIT_EXPECT_GT(test, total_ops, (u64)RW_FIXED);
	KUNIT_EXPECT_EQ(test, c->failed, 0);
}

static struct kunit_case apsm_rds_walk_cases[] = {
	KUNIT_CASE(rds_walk_reuse_test),
	KUNIT_CASE(rds_walk_churn_test),
	{}
};

static struct kunit_suite apsm_rds_walk_suite = {
	.name = "apsm_rds_walk",
	.suite_init = rw_suite_init,
	.suite_exit = rw_suite_exit,
	.init = rw_init,
	.exit = rw_exit,
	.test_cases = apsm_rds_walk_cases,
};
kunit_test_suite(apsm_rds_walk_suite);

MODULE_LICENSE("GPL");
