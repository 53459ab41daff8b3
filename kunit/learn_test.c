// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_learn": the return-path learning of chain egress
 * (src/learn.c), table-driven: which packets teach a return path, the
 * return-key reversal, stateful-hop reversal against the chain's explicit
 * return list, and the decision against what the RDS already holds.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/module.h>

#include "dp/learn.h"
#include "dp/parse.h"
#include "key_build.h"

#define A4 htonl(0xc0000201)	/* 192.0.2.1 */
#define B4 htonl(0xc6336402)	/* 198.51.100.2 */
#define N4 htonl(0x0a630001)	/* 10.99.0.1, a NAT's address */

static const struct in6_addr a6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
static const struct in6_addr b6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } };

/* ------------------------------------------------ which packets learn */

static const struct {
	const char *name;
	u8 dir;
	int parse;
	u8 flags;
	bool want;
} wanted_cases[] = {
	{ "forward tcp", APSM_DIR_FORWARD, APSM_PARSE_OK, 0, true },
	{ "return packet", APSM_DIR_RETURN, APSM_PARSE_OK, 0, false },
	{ "forward icmp error", APSM_DIR_FORWARD, APSM_PARSE_OK,
	  APSM_PI_ICMP_ERR, false },
	{ "return icmp error", APSM_DIR_RETURN, APSM_PARSE_OK,
	  APSM_PI_ICMP_ERR, false },
	{ "forward non-ip", APSM_DIR_FORWARD, APSM_PARSE_NONIP, 0, false },
	{ "forward later fragment", APSM_DIR_FORWARD, APSM_PARSE_FRAG, 0,
	  false },
	{ "forward malformed", APSM_DIR_FORWARD, APSM_PARSE_MALFORMED, 0,
	  false },
	{ "bogus dir 0", 0, APSM_PARSE_OK, 0, false },
	{ "bogus dir 3", 3, APSM_PARSE_OK, 0, false },
};

static void learn_wanted_test(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wanted_cases); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    apsm_learn_wanted(wanted_cases[i].dir,
						      wanted_cases[i].parse,
						      wanted_cases[i].flags),
				    wanted_cases[i].want, "%s",
				    wanted_cases[i].name);
}

/* ------------------------------------------------ return-key reversal */

static void learn_reverse_test(struct kunit *test)
{
	struct {
		const char *name;
		struct apsm_flow_key in, out;
	} t[6];
	struct apsm_flow_key r, rr;
	unsigned int i;

	t[0].name = "tcp v4: addresses and ports swap";
	apsm_tk_key4(&t[0].in, A4, B4, IPPROTO_TCP, 40001, 7777);
	apsm_tk_key4(&t[0].out, B4, A4, IPPROTO_TCP, 7777, 40001);
	t[1].name = "udp v6";
	apsm_tk_key6(&t[1].in, &a6, &b6, IPPROTO_UDP, 53000, 53);
	apsm_tk_key6(&t[1].out, &b6, &a6, IPPROTO_UDP, 53, 53000);
	t[2].name = "icmp echo: the id stays, addresses swap";
	apsm_tk_key4(&t[2].in, A4, B4, IPPROTO_ICMP, 0x1234, 0);
	apsm_tk_key4(&t[2].out, B4, A4, IPPROTO_ICMP, 0x1234, 0);
	t[3].name = "icmpv6 echo";
	apsm_tk_key6(&t[3].in, &a6, &b6, IPPROTO_ICMPV6, 77, 0);
	apsm_tk_key6(&t[3].out, &b6, &a6, IPPROTO_ICMPV6, 77, 0);
	t[4].name = "no ports (gre)";
	apsm_tk_key4(&t[4].in, A4, B4, IPPROTO_GRE, 0, 0);
	apsm_tk_key4(&t[4].out, B4, A4, IPPROTO_GRE, 0, 0);
	t[5].name = "after a NAT: the rewritten source is the return dst";
	apsm_tk_key4(&t[5].in, N4, B4, IPPROTO_TCP, 20001, 80);
	apsm_tk_key4(&t[5].out, B4, N4, IPPROTO_TCP, 80, 20001);

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		apsm_flow_key_reverse(&r, &t[i].in);
		KUNIT_EXPECT_TRUE_MSG(test, apsm_flow_key_equal(&r, &t[i].out),
				      "%s", t[i].name);
		/* twice is the identity */
		apsm_flow_key_reverse(&rr, &r);
		KUNIT_EXPECT_TRUE_MSG(test, apsm_flow_key_equal(&rr, &t[i].in),
				      "%s (twice)", t[i].name);
		/* in place */
		rr = t[i].in;
		apsm_flow_key_reverse(&rr, &rr);
		KUNIT_EXPECT_TRUE_MSG(test, apsm_flow_key_equal(&rr, &t[i].out),
				      "%s (in place)", t[i].name);
	}
}

/* ------------------------------------------------ the return path */

#define S true
#define L false		/* stateless */

static const struct {
	const char *name;
	u8 n;				/* hops of the forward path */
	u32 path[APSM_PATH_MAX];
	bool known, has_return;
	u8 n_return;
	u8 ret[APSM_PATH_MAX];
	bool stateful[APSM_PATH_MAX];
	u8 want_n;
	u32 want[APSM_PATH_MAX];
} rpath_cases[] = {
	{ "all stateful: reversed", 3, { 11, 22, 33 }, true, false, 0, {},
	  { S, S, S }, 3, { 33, 22, 11 } },
	{ "stateless middle skipped", 3, { 11, 22, 33 }, true, false, 0, {},
	  { S, L, S }, 2, { 33, 11 } },
	{ "only the first stateful", 3, { 11, 22, 33 }, true, false, 0, {},
	  { S, L, L }, 1, { 11 } },
	{ "none stateful: nothing to learn", 2, { 11, 22 }, true, false, 0,
	  {}, { L, L }, 0, {} },
	{ "one hop", 1, { 7 }, true, false, 0, {}, { S }, 1, { 7 } },
	{ "eight hops", 8, { 1, 2, 3, 4, 5, 6, 7, 8 }, true, false, 0, {},
	  { S, S, S, S, S, S, S, S }, 8, { 8, 7, 6, 5, 4, 3, 2, 1 } },
	{ "explicit list wins over stateful", 3, { 11, 22, 33 }, true, true,
	  2, { 0, 2 }, { L, L, L }, 2, { 11, 33 } },
	{ "explicit list, own order", 3, { 11, 22, 33 }, true, true, 3,
	  { 1, 2, 0 }, { S, S, S }, 3, { 22, 33, 11 } },
	{ "explicit empty list: nothing", 2, { 11, 22 }, true, true, 0, {},
	  { S, S }, 0, {} },
	{ "explicit index beyond the path skipped", 2, { 11, 22 }, true, true,
	  3, { 5, 1, 2 }, { S, S }, 1, { 22 } },
	{ "unknown chain: list ignored, stateful reversal", 3,
	  { 11, 22, 33 }, false, true, 1, { 0 }, { L, S, S }, 2,
	  { 33, 22 } },
};

static void learn_return_path_test(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(rpath_cases); i++) {
		struct apsm_learn_chain ch = {
			.known = rpath_cases[i].known,
			.has_return = rpath_cases[i].has_return,
			.n_return = rpath_cases[i].n_return,
		};
		struct apsm_nsh_ctx ctx = {
			.spi = 5, .n = rpath_cases[i].n,
			.dir = APSM_DIR_FORWARD,
		};
		u32 path[APSM_PATH_MAX] = { 0 };
		u8 n;

		memcpy(ch.ret, rpath_cases[i].ret, sizeof(ch.ret));
		memcpy(ch.stateful, rpath_cases[i].stateful,
		       sizeof(ch.stateful));
		memcpy(ctx.path, rpath_cases[i].path, sizeof(ctx.path));
		n = apsm_learn_return_path(&ctx, &ch, path);
		KUNIT_EXPECT_EQ_MSG(test, n, rpath_cases[i].want_n, "%s",
				    rpath_cases[i].name);
		for (j = 0; j < n && j < rpath_cases[i].want_n; j++)
			KUNIT_EXPECT_EQ_MSG(test, path[j],
					    rpath_cases[i].want[j],
					    "%s: hop %u", rpath_cases[i].name,
					    j);
	}
}

/* build: reversed key, same SPI, dir return; nothing without a path */
static void learn_build_test(struct kunit *test)
{
	struct apsm_learn_chain ch = { .known = true,
				       .stateful = { S, L, S } };
	struct apsm_nsh_ctx ctx = { .spi = 0xabcde, .n = 3, .si = 0,
				    .dir = APSM_DIR_FORWARD, .origin = 9,
				    .path = { 101, 102, 103 } };
	struct apsm_flow_key key, rev;
	struct apsm_rds_flow f;

	apsm_tk_key4(&key, N4, B4, IPPROTO_TCP, 20001, 7777);
	apsm_tk_key4(&rev, B4, N4, IPPROTO_TCP, 7777, 20001);
	KUNIT_ASSERT_TRUE(test, apsm_learn_build(&f, &ctx, &ch, &key));
	KUNIT_EXPECT_TRUE(test, apsm_flow_key_equal(&f.key, &rev));
	KUNIT_EXPECT_EQ(test, f.spi, 0xabcdeU);
	KUNIT_EXPECT_EQ(test, f.dir, (u8)APSM_DIR_RETURN);
	KUNIT_EXPECT_EQ(test, f.path_n, 2);
	KUNIT_EXPECT_EQ(test, f.path[0], 103U);
	KUNIT_EXPECT_EQ(test, f.path[1], 101U);
	/* the RDS sets these */
	KUNIT_EXPECT_EQ(test, f.origin, 0U);
	KUNIT_EXPECT_EQ(test, f.version, 0ULL);

	memset(ch.stateful, 0, sizeof(ch.stateful));
	KUNIT_EXPECT_FALSE(test, apsm_learn_build(&f, &ctx, &ch, &key));
}

/* ------------------------------------------------ against the RDS */

enum { HAVE_NONE, HAVE_SAME, HAVE_SAME_OTHER_ORIGIN, HAVE_OTHER_PATH,
       HAVE_PREFIX, HAVE_LONGER, HAVE_OTHER_SPI, HAVE_FORWARD,
       HAVE_FORWARD_SAME_PATH };

static const struct {
	const char *name;
	int have;
	enum apsm_learn_verdict want;
} decide_cases[] = {
	{ "nothing there: insert", HAVE_NONE, APSM_LEARN_INSERT },
	{ "same return entry: nothing", HAVE_SAME, APSM_LEARN_SAME },
	{ "same, learned on another node: nothing", HAVE_SAME_OTHER_ORIGIN,
	  APSM_LEARN_SAME },
	{ "other path (NAT reused the tuple): replace", HAVE_OTHER_PATH,
	  APSM_LEARN_REPLACE },
	{ "a prefix of the path: replace", HAVE_PREFIX, APSM_LEARN_REPLACE },
	{ "a longer path: replace", HAVE_LONGER, APSM_LEARN_REPLACE },
	{ "other chain: replace", HAVE_OTHER_SPI, APSM_LEARN_REPLACE },
	{ "classified forward: keep", HAVE_FORWARD, APSM_LEARN_KEEP_FORWARD },
	{ "forward with the same path: keep", HAVE_FORWARD_SAME_PATH,
	  APSM_LEARN_KEEP_FORWARD },
};

static void learn_decide_test(struct kunit *test)
{
	struct apsm_rds_flow want = { .spi = 4, .dir = APSM_DIR_RETURN,
				      .path_n = 2, .path = { 21, 11 } };
	unsigned int i;

	apsm_tk_key4(&want.key, B4, N4, IPPROTO_TCP, 80, 20001);
	for (i = 0; i < ARRAY_SIZE(decide_cases); i++) {
		struct apsm_rds_flow have = want;

		have.origin = 1;
		have.version = 1234;
		switch (decide_cases[i].have) {
		case HAVE_SAME_OTHER_ORIGIN:
			have.origin = 3;
			have.version = 99;
			break;
		case HAVE_OTHER_PATH:
			have.path[0] = 22;
			break;
		case HAVE_PREFIX:
			have.path_n = 1;
			break;
		case HAVE_LONGER:
			have.path_n = 3;
			have.path[2] = 31;
			break;
		case HAVE_OTHER_SPI:
			have.spi = 5;
			break;
		case HAVE_FORWARD:
			have.dir = APSM_DIR_FORWARD;
			have.path[0] = 11;
			have.path[1] = 21;
			break;
		case HAVE_FORWARD_SAME_PATH:
			have.dir = APSM_DIR_FORWARD;
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test,
				    apsm_learn_decide(&want,
						      decide_cases[i].have ==
						      HAVE_NONE ? NULL : &have),
				    decide_cases[i].want, "%s",
				    decide_cases[i].name);
	}
}

static struct kunit_case apsm_learn_cases[] = {
	KUNIT_CASE(learn_wanted_test),
	KUNIT_CASE(learn_reverse_test),
	KUNIT_CASE(learn_return_path_test),
	KUNIT_CASE(learn_build_test),
	KUNIT_CASE(learn_decide_test),
	{}
};

static struct kunit_suite apsm_learn_suite = {
	.name = "apsm_learn",
	.test_cases = apsm_learn_cases,
};

kunit_test_suite(apsm_learn_suite);
