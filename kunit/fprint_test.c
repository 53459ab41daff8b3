// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_fprint": the invariant fingerprint of proxy mode
 * (src/fprint.c). Table-driven: for IPv4/IPv6 TCP, UDP and ICMP echo
 * frames, every field a NAT rewrites (addresses, ports, ICMP echo id, IP
 * and L4 checksums, TTL/hop limit) is changed and the fingerprint must
 * stay; every invariant field (IP ID, protocol, TCP seq/ack/flags, ICMP
 * sequence, payload bytes in the hashed prefix, payload length) is changed
 * and it must change. Then the table: lookup, refresh, collisions made
 * ambiguous, expiry, eviction tainting its set.
 */
#include <kunit/test.h>
#include <linux/jiffies.h>
#include <linux/module.h>

#include "dp/fprint.h"
#include "dp/parse.h"
#include "pkt_build.h"

#define A4 htonl(0xc0000201)	/* 192.0.2.1 */
#define B4 htonl(0xc6336402)	/* 198.51.100.2 */

static const struct in6_addr a6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
static const struct in6_addr b6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } };

static const siphash_key_t key1 = { { 0x0123456789abcdefULL,
				      0xfedcba9876543210ULL } };
static const siphash_key_t key2 = { { 1, 2 } };

enum frame_kind { F_TCP4, F_UDP4, F_ICMP4, F_TCP6, F_UDP6, F_KINDS };

#define PAYLOAD 100

/* The frame of @kind; @l3/@l4: offsets of the IP and L4 headers. */
static void build(struct apsm_tf *f, enum frame_kind kind, unsigned int plen,
		  unsigned int *l3, unsigned int *l4)
{
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *iph = NULL;
	struct tcphdr *th;

	f->len = 0;
	switch (kind) {
	case F_TCP4:
	case F_UDP4:
	case F_ICMP4:
		apsm_tf_eth(f, ETH_P_IP);
		*l3 = f->len;
		iph = apsm_tf_ip4(f, 5, kind == F_TCP4 ? IPPROTO_TCP :
				  kind == F_UDP4 ? IPPROTO_UDP : IPPROTO_ICMP,
				  A4, B4);
		iph->id = htons(0x1234);
		break;
	default:
		apsm_tf_eth(f, ETH_P_IPV6);
		*l3 = f->len;
		ip6 = apsm_tf_ip6(f, kind == F_TCP6 ? IPPROTO_TCP : IPPROTO_UDP,
				  &a6, &b6);
		break;
	}
	*l4 = f->len;
	switch (kind) {
	case F_TCP4:
	case F_TCP6:
		th = apsm_tf_tcp(f, 40000, 80);
		th->ack_seq = htonl(77777);
		th->check = htons(0xabcd);
		break;
	case F_UDP4:
	case F_UDP6:
		apsm_tf_udp(f, 40000, 53)->check = htons(0xabcd);
		break;
	default:
		apsm_tf_icmp(f, ICMP_ECHO, 0, 0x4242, 7);
		break;
	}
	apsm_tf_payload(f, plen, 3);
	if (kind == F_UDP4 || kind == F_UDP6)
		((struct udphdr *)(f->b + *l4))->len = htons(f->len - *l4);
	if (iph)
		apsm_tf_ip4_done(f, iph);
	else
		apsm_tf_ip6_done(f, ip6);
}

/* The fingerprint of @f (@split: paged from there; 0: linear). */
static int fprint_of(struct kunit *test, const struct apsm_tf *f,
		     const siphash_key_t *k, unsigned int split,
		     struct apsm_fprint *fp)
{
	struct apsm_pkt_info pi;
	struct sk_buff *skb;
	int ret;

	skb = apsm_tf_skb(test, f, f->len, split);
	KUNIT_ASSERT_EQ(test, apsm_parse_flow(skb, &pi), APSM_PARSE_OK);
	ret = apsm_fprint_compute(k, skb, &pi, fp);
	kfree_skb(skb);
	return ret;
}

enum base { L3, L4 };

struct mut {
	const char *name;
	u8 kinds;		/* BIT(enum frame_kind) */
	enum base base;
	u8 off, len;
	u8 xor;			/* 0: 0x5a */
	bool changes;
};

#define V4	(BIT(F_TCP4) | BIT(F_UDP4) | BIT(F_ICMP4))
#define V6	(BIT(F_TCP6) | BIT(F_UDP6))
#define TCP	(BIT(F_TCP4) | BIT(F_TCP6))
#define UDP	(BIT(F_UDP4) | BIT(F_UDP6))
#define ICMP	BIT(F_ICMP4)
#define ALL	(V4 | V6)
#define L4HDR(k) ((k) == F_TCP4 || (k) == F_TCP6 ? 20 : 8)

static const struct mut muts[] = {
	/* what a NAT rewrites: ignored */
	{ "ipv4 saddr", V4, L3, 12, 4, 0, false },
	{ "ipv4 daddr", V4, L3, 16, 4, 0, false },
	{ "ipv4 ttl", V4, L3, 8, 1, 0, false },
	{ "ipv4 checksum", V4, L3, 10, 2, 0, false },
	{ "ipv6 saddr", V6, L3, 8, 16, 0, false },
	{ "ipv6 daddr", V6, L3, 24, 16, 0, false },
	{ "ipv6 hop limit", V6, L3, 7, 1, 0, false },
	{ "tcp/udp sport", TCP | UDP, L4, 0, 2, 0, false },
	{ "tcp/udp dport", TCP | UDP, L4, 2, 2, 0, false },
	{ "tcp checksum", TCP, L4, 16, 2, 0, false },
	{ "udp checksum", UDP, L4, 6, 2, 0, false },
	{ "icmp echo id", ICMP, L4, 4, 2, 0, false },
	{ "icmp checksum", ICMP, L4, 2, 2, 0, false },
	/* invariant: covered */
	{ "ipv4 id", V4, L3, 4, 2, 0, true },
	{ "ipv4 protocol", V4, L3, 9, 1, 0, true },
	{ "ipv6 next header", V6, L3, 6, 1, 0, true },
	{ "tcp seq", TCP, L4, 4, 4, 0, true },
	{ "tcp seq, last byte", TCP, L4, 7, 1, 1, true },
	{ "tcp ack", TCP, L4, 8, 4, 0, true },
	{ "tcp flags", TCP, L4, 13, 1, 0x02, true },
	{ "icmp sequence", ICMP, L4, 6, 2, 0, true },
	{ "icmp type", ICMP, L4, 0, 1, 8, true },
};

/* payload offsets (after the L4 header): covered up to the prefix */
static const struct {
	const char *name;
	unsigned int off;
	bool changes;
} payload_muts[] = {
	{ "payload byte 0", 0, true },
	{ "payload byte 31", 31, true },
	{ "last hashed payload byte", APSM_FPRINT_PAYLOAD - 1, true },
	{ "first byte beyond the prefix", APSM_FPRINT_PAYLOAD, false },
	{ "last payload byte", PAYLOAD - 1, false },
};

static const char *const kind_names[F_KINDS] = {
	"tcp4", "udp4", "icmp4", "tcp6", "udp6"
};

static void expect(struct kunit *test, const struct apsm_tf *f,
		   const struct apsm_fprint *base, bool changes,
		   enum frame_kind k, const char *what)
{
	struct apsm_fprint fp;

	KUNIT_ASSERT_EQ_MSG(test, fprint_of(test, f, &key1, 0, &fp), 0,
			    "%s %s", kind_names[k], what);
	if (changes)
		KUNIT_EXPECT_FALSE_MSG(test, apsm_fprint_equal(&fp, base),
				       "%s: changing %s must change it",
				       kind_names[k], what);
	else
		KUNIT_EXPECT_TRUE_MSG(test, apsm_fprint_equal(&fp, base),
				      "%s: changing %s must not change it",
				      kind_names[k], what);
}

static void fprint_fields(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test), *g = apsm_tf_alloc(test);
	struct apsm_fprint base, fp;
	unsigned int l3, l4, i, j;
	enum frame_kind k;

	for (k = 0; k < F_KINDS; k++) {
		build(f, k, PAYLOAD, &l3, &l4);
		KUNIT_ASSERT_EQ(test, fprint_of(test, f, &key1, 0, &base), 0);

		/* deterministic, linear or paged */
		KUNIT_ASSERT_EQ(test, fprint_of(test, f, &key1, l4 + 3, &fp),
				0);
		KUNIT_EXPECT_TRUE_MSG(test, apsm_fprint_equal(&fp, &base),
				      "%s paged", kind_names[k]);
		/* another netns's key: another hash */
		KUNIT_ASSERT_EQ(test, fprint_of(test, f, &key2, 0, &fp), 0);
		KUNIT_EXPECT_NE_MSG(test, fp.hash, base.hash, "%s key",
				    kind_names[k]);

		for (i = 0; i < ARRAY_SIZE(muts); i++) {
			const struct mut *m = &muts[i];
			unsigned int at = (m->base == L3 ? l3 : l4) + m->off;

			if (!(m->kinds & BIT(k)))
				continue;
			*g = *f;
			for (j = 0; j < m->len; j++)
				g->b[at + j] ^= m->xor ?: 0x5a;
			expect(test, g, &base, m->changes, k, m->name);
		}
		for (i = 0; i < ARRAY_SIZE(payload_muts); i++) {
			*g = *f;
			g->b[l4 + L4HDR(k) + payload_muts[i].off] ^= 0xff;
			expect(test, g, &base, payload_muts[i].changes, k,
			       payload_muts[i].name);
		}
		/* every rewritable field at once (a full NAT rewrite) */
		*g = *f;
		for (i = 0; i < ARRAY_SIZE(muts); i++) {
			const struct mut *m = &muts[i];
			unsigned int at = (m->base == L3 ? l3 : l4) + m->off;

			if (!(m->kinds & BIT(k)) || m->changes)
				continue;
			for (j = 0; j < m->len; j++)
				g->b[at + j] ^= 0xa5;
		}
		expect(test, g, &base, false, k, "every rewritable field");

		/* payload length, same first bytes */
		build(g, k, PAYLOAD + 1, &l3, &l4);
		expect(test, g, &base, true, k, "payload length");
	}
}

static void fprint_not_supported(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_pkt_info pi;
	struct apsm_fprint fp;
	struct sk_buff *skb;
	struct iphdr *iph, *q;

	/* an ICMP error: a NAT rewrites the quoted header */
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, B4, A4);
	apsm_tf_icmp(f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 0);
	q = apsm_tf_ip4(f, 5, IPPROTO_UDP, A4, B4);
	apsm_tf_udp(f, 40000, 53);
	apsm_tf_ip4_done(f, q);
	apsm_tf_ip4_done(f, iph);
	skb = apsm_tf_skb(test, f, f->len, 0);
	KUNIT_ASSERT_EQ(test, apsm_parse_flow(skb, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, apsm_fprint_compute(&key1, skb, &pi, &fp),
			-EOPNOTSUPP);
	kfree_skb(skb);
}

/* A synthetic fingerprint in set @set. */
static struct apsm_fprint fp_in(unsigned int set, u32 n)
{
	struct apsm_fprint fp = {
		.hash = (u64)set << 32 | n,
		.seq = n,
		.proto = IPPROTO_TCP,
	};

	return fp;
}

static struct apsm_flow_key flow(u16 sport)
{
	struct apsm_flow_key k;

	apsm_flow_key_zero(&k);
	k.family = AF_INET;
	k.proto = IPPROTO_TCP;
	k.src.s6_addr32[0] = A4;
	k.dst.s6_addr32[0] = B4;
	k.sport = htons(sport);
	k.dport = htons(80);
	return k;
}

static void fprint_table(struct kunit *test)
{
	struct apsm_fprint_table *t = apsm_fprint_table_alloc(GFP_KERNEL);
	struct apsm_flow_key a = flow(1000), b = flow(2000), got;
	struct apsm_fprint x = fp_in(3, 1), y = fp_in(3, 2), z;
	struct apsm_fprint_counters c;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &x, &got), -ENOENT);

	apsm_fprint_insert(t, &x, &a, 10 * HZ);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &x, &got), 0);
	KUNIT_EXPECT_TRUE(test, apsm_flow_key_equal(&got, &a));
	/* same hash, other fields: not the same fingerprint */
	z = x;
	z.ack = 1;
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &z, &got), -ENOENT);
	/* the same packet of the same flow again: still fine */
	apsm_fprint_insert(t, &x, &a, 10 * HZ);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &x, &got), 0);
	/* another flow, same fingerprint: ambiguous, refused, counted */
	apsm_fprint_insert(t, &x, &b, 10 * HZ);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &x, &got), -EDEADLK);
	apsm_fprint_insert(t, &x, &a, 10 * HZ);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &x, &got), -EDEADLK);
	apsm_fprint_read(t, &c);
	KUNIT_EXPECT_EQ(test, c.collisions, 1ULL);
	KUNIT_EXPECT_EQ(test, c.entries, 1ULL);

	/* expired at once (ttl 0): not found */
	apsm_fprint_insert(t, &y, &a, 0);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &y, &got), -ENOENT);

	/* fill set 5: the next insert evicts, and taints the set */
	for (i = 0; i < APSM_FPRINT_WAYS; i++) {
		z = fp_in(5, 100 + i);
		apsm_fprint_insert(t, &z, &a, 10 * HZ);
	}
	z = fp_in(5, 100);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &z, &got), 0);
	z = fp_in(5, 200);
	apsm_fprint_insert(t, &z, &b, 10 * HZ);
	apsm_fprint_read(t, &c);
	KUNIT_EXPECT_EQ(test, c.evictions, 1ULL);
	/* the evicted one is gone; the new one refused (tainted) */
	z = fp_in(5, 100);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &z, &got), -ENOENT);
	z = fp_in(5, 200);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &z, &got), -EDEADLK);
	/* the others of the set, inserted before: still fine */
	z = fp_in(5, 101);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &z, &got), 0);
	/* other sets are not affected */
	z = fp_in(6, 1);
	apsm_fprint_insert(t, &z, &b, 10 * HZ);
	KUNIT_EXPECT_EQ(test, apsm_fprint_lookup(t, &z, &got), 0);
	KUNIT_EXPECT_TRUE(test, apsm_flow_key_equal(&got, &b));

	apsm_fprint_table_free(t);
}

static struct kunit_case apsm_fprint_cases[] = {
	KUNIT_CASE(fprint_fields),
	KUNIT_CASE(fprint_not_supported),
	KUNIT_CASE(fprint_table),
	{}
};

static struct kunit_suite apsm_fprint_suite = {
	.name = "apsm_fprint",
	.test_cases = apsm_fprint_cases,
};

kunit_test_suite(apsm_fprint_suite);

MODULE_LICENSE("GPL");
