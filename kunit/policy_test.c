// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_policy": matching and ordering of the flow policy
 * table (src/policy.c): IPv4/IPv6 prefixes (/0, host routes, prefixes
 * that do not end on a byte), port ranges, protocol, ingress port, VLAN,
 * priority order, no match, the table limit, hits across table swaps.
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/inet.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "core/netns.h"
#include "cfg/policy.h"
#include "core/stats.h"

#define NO_MATCH	U32_MAX

static int pt_init(struct kunit *test)
{
	struct apsm_net *an;

	an = kunit_kzalloc(test, sizeof(*an), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, an);
	mutex_init(&an->conf_lock);
	an->policy_max = 64;
	an->stats = apsm_stats_alloc();
	KUNIT_ASSERT_NOT_NULL(test, an->stats);
	apsm_policy_net_init(an);
	test->priv = an;
	return 0;
}

static void pt_exit(struct kunit *test)
{
	struct apsm_net *an = test->priv;

	apsm_policy_net_exit(an);
	rcu_barrier();		/* the rules' RCU frees */
	apsm_stats_free(an->stats);
}

static struct apsm_policy_rule *pt_rule(struct kunit *test, u32 prio)
{
	struct apsm_policy_rule *r = apsm_policy_rule_alloc();

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->prio = prio;
	snprintf(r->chain, sizeof(r->chain), "chain%u", prio);
	return r;
}

static void pt_add(struct kunit *test, struct apsm_policy_rule *r)
{
	struct apsm_net *an = test->priv;
	int ret;

	mutex_lock(&an->conf_lock);
	ret = apsm_policy_add(an, r, NULL);
	mutex_unlock(&an->conf_lock);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

static void pt_prefix(struct kunit *test, struct apsm_policy_rule *r,
		      bool src, u8 family, const char *addr, u8 plen)
{
	struct in6_addr a = {};

	r->family = family;
	r->flags |= APSM_POLICY_F_FAMILY;
	if (family == AF_INET)
		KUNIT_ASSERT_EQ(test, in4_pton(addr, -1, a.s6_addr, -1, NULL),
				1);
	else
		KUNIT_ASSERT_EQ(test, in6_pton(addr, -1, a.s6_addr, -1, NULL),
				1);
	apsm_policy_rule_set_prefix(r, src, &a, plen);
}

static struct apsm_flow_key pt_key(struct kunit *test, u8 family, u8 proto,
				   const char *src, u16 sport,
				   const char *dst, u16 dport)
{
	struct apsm_flow_key k;

	apsm_flow_key_zero(&k);
	k.family = family;
	k.proto = proto;
	if (family == AF_INET) {
		KUNIT_EXPECT_EQ(test, in4_pton(src, -1, k.src.s6_addr, -1,
					       NULL), 1);
		KUNIT_EXPECT_EQ(test, in4_pton(dst, -1, k.dst.s6_addr, -1,
					       NULL), 1);
	} else {
		KUNIT_EXPECT_EQ(test, in6_pton(src, -1, k.src.s6_addr, -1,
					       NULL), 1);
		KUNIT_EXPECT_EQ(test, in6_pton(dst, -1, k.dst.s6_addr, -1,
					       NULL), 1);
	}
	k.sport = htons(sport);
	k.dport = htons(dport);
	return k;
}

/* The prio of the matching rule, or NO_MATCH. */
static u32 pt_match(struct kunit *test, const struct apsm_flow_key *k,
		    int iif, u16 vlan)
{
	struct apsm_net *an = test->priv;
	const struct apsm_policy_rule *r;
	u32 prio;

	rcu_read_lock();
	r = apsm_policy_lookup(rcu_dereference(an->policy), k, iif, vlan);
	prio = r ? r->prio : NO_MATCH;
	rcu_read_unlock();
	return prio;
}

static u32 pt_match4(struct kunit *test, const char *src, const char *dst)
{
	struct apsm_flow_key k = pt_key(test, AF_INET, IPPROTO_UDP, src, 1000,
					dst, 53);

	return pt_match(test, &k, 1, 0);
}

static u32 pt_match6(struct kunit *test, const char *src, const char *dst)
{
	struct apsm_flow_key k = pt_key(test, AF_INET6, IPPROTO_UDP, src,
					1000, dst, 53);

	return pt_match(test, &k, 1, 0);
}

/* A flow (UDP 1000 > 53, iif 1, untagged) and the prio it must match. */
struct pt_addr_case {
	u8 family;
	const char *src, *dst;
	u32 want;
};

static void pt_expect_addrs(struct kunit *test, const struct pt_addr_case *c,
			    unsigned int n)
{
	unsigned int i;
	u32 prio;

	for (i = 0; i < n; i++, c++) {
		if (c->family == AF_INET)
			prio = pt_match4(test, c->src, c->dst);
		else
			prio = pt_match6(test, c->src, c->dst);
		KUNIT_EXPECT_EQ_MSG(test, prio, c->want, "%s > %s", c->src,
				    c->dst);
	}
}

static void policy_v4_prefix_test(struct kunit *test)
{
	static const struct pt_addr_case cases[] = {
		{ AF_INET, "192.0.2.7", "8.8.8.8", 10 },
		{ AF_INET, "192.0.2.6", "8.8.8.8", 40 },
		{ AF_INET, "192.0.2.8", "8.8.8.8", 40 },
		{ AF_INET, "1.1.1.1", "10.0.16.0", 20 },
		{ AF_INET, "1.1.1.1", "10.0.31.255", 20 },
		{ AF_INET, "1.1.1.1", "10.0.15.255", 40 },
		{ AF_INET, "1.1.1.1", "10.0.32.0", 40 },
		{ AF_INET, "198.51.100.32", "1.1.1.1", 30 },
		{ AF_INET, "198.51.100.63", "1.1.1.1", 30 },
		{ AF_INET, "198.51.100.31", "1.1.1.1", 40 },
		{ AF_INET, "198.51.100.64", "1.1.1.1", 40 },
		/* /0 of IPv4 matches no IPv6 flow */
		{ AF_INET6, "2001:db8::1", "2001:db8::2", NO_MATCH },
	};
	struct apsm_policy_rule *r;

	/* /32 host */
	r = pt_rule(test, 10);
	pt_prefix(test, r, true, AF_INET, "192.0.2.7", 32);
	pt_add(test, r);
	/* /20, not byte aligned, host bits given: stored masked */
	r = pt_rule(test, 20);
	pt_prefix(test, r, false, AF_INET, "10.0.17.5", 20);
	pt_add(test, r);
	KUNIT_EXPECT_EQ(test, r->dst.s6_addr32[0], htonl(0x0a001000));
	/* /27 */
	r = pt_rule(test, 30);
	pt_prefix(test, r, true, AF_INET, "198.51.100.32", 27);
	pt_add(test, r);
	/* /0: every IPv4 flow, no IPv6 one */
	r = pt_rule(test, 40);
	pt_prefix(test, r, true, AF_INET, "0.0.0.0", 0);
	pt_add(test, r);

	pt_expect_addrs(test, cases, ARRAY_SIZE(cases));
}

static void policy_v6_prefix_test(struct kunit *test)
{
	static const struct pt_addr_case cases[] = {
		{ AF_INET6, "2001:db8::1", "::1", 1 },
		{ AF_INET6, "2001:db8::2", "::1", 5 },
		{ AF_INET6, "::2", "2001:db8:0:8::", 2 },
		{ AF_INET6, "::2", "2001:db8:0:f:ffff:ffff:ffff:ffff", 2 },
		{ AF_INET6, "::2", "2001:db8:0:7:ffff:ffff:ffff:ffff", 5 },
		{ AF_INET6, "::2", "2001:db8:0:10::", 5 },
		{ AF_INET6, "2001:db8:ffff::4", "::1", 3 },
		{ AF_INET6, "2001:db8:ffff::5", "::1", 3 },
		{ AF_INET6, "2001:db8:ffff::6", "::1", 5 },
		{ AF_INET6, "fd00:1::9", "fd00:2::9", 4 },
		{ AF_INET6, "fd00:1::9", "fd00:3::9", 5 },
		{ AF_INET6, "fd00:1:0:1::9", "fd00:2::9", 5 },
		/* an IPv4 flow whose address bytes equal a v6 prefix */
		{ AF_INET, "32.1.13.184", "1.1.1.1", NO_MATCH },
	};
	struct apsm_policy_rule *r;

	r = pt_rule(test, 1);
	pt_prefix(test, r, true, AF_INET6, "2001:db8::1", 128);
	pt_add(test, r);
	/* /61: the boundary inside the 8th byte */
	r = pt_rule(test, 2);
	pt_prefix(test, r, false, AF_INET6, "2001:db8:0:8::", 61);
	pt_add(test, r);
	/* /127 */
	r = pt_rule(test, 3);
	pt_prefix(test, r, true, AF_INET6, "2001:db8:ffff::4", 127);
	pt_add(test, r);
	/* /64 on both */
	r = pt_rule(test, 4);
	pt_prefix(test, r, true, AF_INET6, "fd00:1::", 64);
	pt_prefix(test, r, false, AF_INET6, "fd00:2::", 64);
	pt_add(test, r);
	r = pt_rule(test, 5);
	pt_prefix(test, r, true, AF_INET6, "::", 0);
	pt_add(test, r);

	pt_expect_addrs(test, cases, ARRAY_SIZE(cases));
}

static void policy_ports_proto_test(struct kunit *test)
{
	static const struct {
		u8 family, proto;
		const char *src;
		u16 sport;
		const char *dst;
		u16 dport;
		u32 want;
	} cases[] = {
		{ AF_INET, IPPROTO_TCP, "1.1.1.1", 40000, "2.2.2.2", 80, 1 },
		{ AF_INET, IPPROTO_TCP, "1.1.1.1", 40000, "2.2.2.2", 90, 1 },
		{ AF_INET, IPPROTO_TCP, "1.1.1.1", 40000, "2.2.2.2", 79, NO_MATCH },
		{ AF_INET, IPPROTO_TCP, "1.1.1.1", 40000, "2.2.2.2", 91, NO_MATCH },
		/* same ports, other protocol */
		{ AF_INET, IPPROTO_UDP, "1.1.1.1", 40000, "2.2.2.2", 85, NO_MATCH },
		{ AF_INET6, IPPROTO_UDP, "::1", 5000, "::2", 53, 2 },
		{ AF_INET6, IPPROTO_UDP, "::1", 5001, "::2", 53, NO_MATCH },
		{ AF_INET6, IPPROTO_UDP, "::1", 4999, "::2", 53, NO_MATCH },
		{ AF_INET, IPPROTO_ICMP, "1.1.1.1", 77, "2.2.2.2", 0, 3 },
	};
	struct apsm_flow_key k;
	struct apsm_policy_rule *r;
	unsigned int i;

	r = pt_rule(test, 1);
	r->proto = IPPROTO_TCP;
	r->flags |= APSM_POLICY_F_PROTO | APSM_POLICY_F_DPORT;
	r->dport_min = 80;
	r->dport_max = 90;
	pt_add(test, r);
	r = pt_rule(test, 2);
	r->proto = IPPROTO_UDP;
	r->flags |= APSM_POLICY_F_PROTO | APSM_POLICY_F_SPORT;
	r->sport_min = 5000;
	r->sport_max = 5000;
	pt_add(test, r);
	r = pt_rule(test, 3);
	r->proto = IPPROTO_ICMP;
	r->flags |= APSM_POLICY_F_PROTO;
	pt_add(test, r);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		k = pt_key(test, cases[i].family, cases[i].proto, cases[i].src,
			   cases[i].sport, cases[i].dst, cases[i].dport);
		KUNIT_EXPECT_EQ_MSG(test, pt_match(test, &k, 1, 0),
				    cases[i].want, "case %u", i);
	}
}

static void policy_iif_vlan_test(struct kunit *test)
{
	static const struct {
		int iif;
		u16 vlan;
		u32 want;
	} cases[] = {
		{ 7, 100, 1 },
		{ 8, 100, NO_MATCH },
		{ 7, 101, NO_MATCH },
		{ 7, 0, 2 },
		/* the parser's "untagged" marker counts as untagged */
		{ 7, 0xffff, 2 },
		{ 9, 5, 3 },
		{ 9, 0, 2 },
	};
	struct apsm_flow_key k = pt_key(test, AF_INET, IPPROTO_UDP, "1.1.1.1",
					1, "2.2.2.2", 2);
	struct apsm_policy_rule *r;
	unsigned int i;

	r = pt_rule(test, 1);
	r->iif = 7;
	r->vlan = 100;
	r->flags |= APSM_POLICY_F_IIF | APSM_POLICY_F_VLAN;
	pt_add(test, r);
	r = pt_rule(test, 2);
	r->vlan = 0;			/* untagged only */
	r->flags |= APSM_POLICY_F_VLAN;
	pt_add(test, r);
	r = pt_rule(test, 3);
	r->iif = 9;
	r->flags |= APSM_POLICY_F_IIF;
	pt_add(test, r);

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    pt_match(test, &k, cases[i].iif, cases[i].vlan),
				    cases[i].want, "iif %d vlan %u",
				    cases[i].iif, cases[i].vlan);
}

static void policy_order_hits_test(struct kunit *test)
{
	struct apsm_net *an = test->priv;
	struct apsm_policy_rule *r, *r30;
	struct apsm_flow_key k;
	int i;

	/* Added out of order; all match the key. */
	r30 = pt_rule(test, 30);
	pt_add(test, r30);
	r = pt_rule(test, 20);
	r->proto = IPPROTO_TCP;
	r->flags |= APSM_POLICY_F_PROTO;
	pt_add(test, r);
	r = pt_rule(test, 10);
	pt_prefix(test, r, true, AF_INET, "10.0.0.0", 8);
	pt_add(test, r);

	k = pt_key(test, AF_INET, IPPROTO_TCP, "10.1.2.3", 1, "2.2.2.2", 2);
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), 10);
	k = pt_key(test, AF_INET, IPPROTO_TCP, "11.1.2.3", 1, "2.2.2.2", 2);
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), 20);
	k = pt_key(test, AF_INET, IPPROTO_UDP, "11.1.2.3", 1, "2.2.2.2", 2);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), 30);
	KUNIT_EXPECT_EQ(test, apsm_policy_rule_hits(r30), 5);

	/* Hits live in the rule: they survive adds and deletes around it. */
	pt_add(test, pt_rule(test, 40));
	pt_add(test, pt_rule(test, 5));	/* matches everything now */
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), 5);
	mutex_lock(&an->conf_lock);
	KUNIT_EXPECT_EQ(test, apsm_policy_del(an, 5), 0);
	KUNIT_EXPECT_EQ(test, apsm_policy_del(an, 5), -ENOENT);
	KUNIT_EXPECT_EQ(test, apsm_policy_count(an), 4);
	KUNIT_EXPECT_PTR_EQ(test, apsm_policy_find(an, 30), r30);
	mutex_unlock(&an->conf_lock);
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), 30);
	KUNIT_EXPECT_EQ(test, apsm_policy_rule_hits(r30), 6);

	/* Deleting the winner exposes the next one. */
	mutex_lock(&an->conf_lock);
	KUNIT_EXPECT_EQ(test, apsm_policy_del(an, 30), 0);
	mutex_unlock(&an->conf_lock);
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), 40);
}

static void policy_nomatch_test(struct kunit *test)
{
	struct apsm_flow_key k = pt_key(test, AF_INET, IPPROTO_UDP, "1.1.1.1",
					1, "2.2.2.2", 2);
	struct apsm_net *an = test->priv;
	struct apsm_policy_rule *r;

	/* empty table */
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), NO_MATCH);
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, apsm_policy_classify(an, &k, 1, 0));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, apsm_stats_read(an->stats,
					      APSM_STATS_A_POLICY_MISSES), 1);

	r = pt_rule(test, 1);
	pt_prefix(test, r, true, AF_INET, "1.1.1.0", 24);
	r->proto = IPPROTO_TCP;
	r->flags |= APSM_POLICY_F_PROTO;
	pt_add(test, r);
	/* every field but one matches */
	KUNIT_EXPECT_EQ(test, pt_match(test, &k, 1, 0), NO_MATCH);
	k.proto = IPPROTO_TCP;
	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test, apsm_policy_classify(an, &k, 1, 0),
			    (const struct apsm_policy_rule *)r);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, apsm_stats_read(an->stats,
					      APSM_STATS_A_POLICY_HITS), 1);
}

static void policy_limit_test(struct kunit *test)
{
	struct apsm_net *an = test->priv;
	struct apsm_policy_rule *r;
	int ret;

	an->policy_max = 2;
	pt_add(test, pt_rule(test, 1));
	pt_add(test, pt_rule(test, 2));

	r = pt_rule(test, 1);
	mutex_lock(&an->conf_lock);
	KUNIT_EXPECT_EQ(test, apsm_policy_add(an, r, NULL), -EEXIST);
	r->prio = 3;
	ret = apsm_policy_add(an, r, NULL);
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	KUNIT_EXPECT_EQ(test, apsm_policy_count(an), 2);
	mutex_unlock(&an->conf_lock);
	apsm_policy_rule_free(r);
	KUNIT_EXPECT_EQ(test, apsm_stats_read(an->stats,
					      APSM_STATS_A_POLICY_FULL), 1);

	/* room again after a delete */
	mutex_lock(&an->conf_lock);
	KUNIT_EXPECT_EQ(test, apsm_policy_del(an, 1), 0);
	mutex_unlock(&an->conf_lock);
	pt_add(test, pt_rule(test, 3));
}

static void policy_uses_chain_test(struct kunit *test)
{
	struct apsm_net *an = test->priv;

	pt_add(test, pt_rule(test, 7));
	mutex_lock(&an->conf_lock);
	KUNIT_EXPECT_TRUE(test, apsm_policy_uses_chain(an, "chain7"));
	KUNIT_EXPECT_FALSE(test, apsm_policy_uses_chain(an, "chain8"));
	KUNIT_EXPECT_EQ(test, apsm_policy_del(an, 7), 0);
	KUNIT_EXPECT_FALSE(test, apsm_policy_uses_chain(an, "chain7"));
	mutex_unlock(&an->conf_lock);
}

static struct kunit_case apsm_policy_cases[] = {
	KUNIT_CASE(policy_v4_prefix_test),
	KUNIT_CASE(policy_v6_prefix_test),
	KUNIT_CASE(policy_ports_proto_test),
	KUNIT_CASE(policy_iif_vlan_test),
	KUNIT_CASE(policy_order_hits_test),
	KUNIT_CASE(policy_nomatch_test),
	KUNIT_CASE(policy_limit_test),
	KUNIT_CASE(policy_uses_chain_test),
	{}
};

static struct kunit_suite apsm_policy_suite = {
	.name = "apsm_policy",
	.init = pt_init,
	.exit = pt_exit,
	.test_cases = apsm_policy_cases,
};
kunit_test_suite(apsm_policy_suite);

MODULE_LICENSE("GPL");
