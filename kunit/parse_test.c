// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_parse": the flow key parser (src/parse.c) on crafted
 * skbs: linear and paged, VLAN offloaded and in-band, IPv4 options and
 * fragments, IPv6 extension headers and fragments, ICMP echo and errors,
 * truncation at every byte, bogus headers, and key reversal.
 */
#include <kunit/test.h>
#include <linux/icmpv6.h>
#include <linux/module.h>
#include <net/ipv6.h>
#include <net/ndisc.h>

#include "dp/parse.h"
#include "pkt_build.h"
#include "key_build.h"

#define A4 htonl(0xc0000201)	/* 192.0.2.1 */
#define B4 htonl(0xc6336402)	/* 198.51.100.2 */
#define R4 htonl(0xcb007109)	/* 203.0.113.9, a router */

static const struct in6_addr a6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
static const struct in6_addr b6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } };
static const struct in6_addr r6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } } };

static void expect_key(struct kunit *test, const struct apsm_flow_key *got,
		       const struct apsm_flow_key *want)
{
	char g[APSM_FLOW_KEY_STRLEN], w[APSM_FLOW_KEY_STRLEN];

	if (apsm_flow_key_equal(got, want))
		return;
	apsm_flow_key_format(g, sizeof(g), got);
	apsm_flow_key_format(w, sizeof(w), want);
	KUNIT_FAIL(test, "key %s (family %u), want %s (family %u)", g,
		   got->family, w, want->family);
}

/* parse the first @len bytes of @f, linear (@split 0) or paged */
static int parse(struct kunit *test, const struct apsm_tf *f,
		 unsigned int len, unsigned int split,
		 struct apsm_pkt_info *pi)
{
	struct sk_buff *skb = apsm_tf_skb(test, f, len, split);
	int ret = apsm_parse_flow(skb, pi);

	kfree_skb(skb);
	return ret;
}

/* Ethernet + IPv4 + TCP A:1234 > B:80 + @payload bytes */
static void tcp4_frame(struct apsm_tf *f, u8 ihl, unsigned int payload)
{
	struct iphdr *iph;

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, ihl, IPPROTO_TCP, A4, B4);
	apsm_tf_tcp(f, 1234, 80);
	apsm_tf_payload(f, payload, 1);
	apsm_tf_ip4_done(f, iph);
}

static void udp6_frame(struct apsm_tf *f, unsigned int payload)
{
	struct ipv6hdr *ip6;

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, IPPROTO_UDP, &a6, &b6);
	apsm_tf_udp(f, 5353, 53);
	apsm_tf_payload(f, payload, 2);
	apsm_tf_ip6_done(f, ip6);
}

static void parse_tcp4_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct apsm_tf *f = apsm_tf_alloc(test);

	tcp4_frame(f, 5, 32);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key4(&k, A4, B4, IPPROTO_TCP, 1234, 80);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.vlan, APSM_VLAN_NONE);
	KUNIT_EXPECT_EQ(test, pi.l3_off, 0);
	KUNIT_EXPECT_EQ(test, pi.l4_off, 20);
	KUNIT_EXPECT_EQ(test, pi.l3_end, 20 + 20 + 32);
	KUNIT_EXPECT_EQ(test, pi.l4_proto, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, pi.frag, APSM_FRAG_NONE);
	KUNIT_EXPECT_EQ(test, pi.flags, 0);

	/* Ethernet padding after the IP packet is not part of it */
	apsm_tf_payload(f, 6, 0);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, pi.l3_end, 20 + 20 + 32);
}

static void parse_ip4_options_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct apsm_tf *f = apsm_tf_alloc(test);

	tcp4_frame(f, 15, 0);		/* 40 bytes of options */
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key4(&k, A4, B4, IPPROTO_TCP, 1234, 80);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.l4_off, 60);
}

static void parse_udp6_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct apsm_tf *f = apsm_tf_alloc(test);

	udp6_frame(f, 10);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_UDP, 5353, 53);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.l4_off, 40);
	KUNIT_EXPECT_EQ(test, pi.l3_end, 40 + 8 + 10);
}

/* the L4 header (and, in a second run, part of the IP header) in a page */
static void parse_paged_test(struct kunit *test)
{
	unsigned int split;
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct apsm_tf *f = apsm_tf_alloc(test);

	tcp4_frame(f, 5, 1000);
	apsm_tk_key4(&k, A4, B4, IPPROTO_TCP, 1234, 80);
	for (split = ETH_HLEN; split <= ETH_HLEN + 40; split++) {
		KUNIT_ASSERT_EQ(test, parse(test, f, f->len, split, &pi),
				APSM_PARSE_OK);
		expect_key(test, &pi.key, &k);
	}

	udp6_frame(f, 100);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_UDP, 5353, 53);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, ETH_HLEN + 40, &pi),
			APSM_PARSE_OK);
	expect_key(test, &pi.key, &k);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, ETH_HLEN + 3, &pi),
			APSM_PARSE_OK);
	expect_key(test, &pi.key, &k);
}

static void parse_vlan_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_tf *t = apsm_tf_alloc(test);
	struct sk_buff *skb;
	struct iphdr *iph;

	apsm_tk_key4(&k, A4, B4, IPPROTO_TCP, 1234, 80);

	/* offloaded tag, as skb_vlan_untag() leaves it on receive */
	tcp4_frame(f, 5, 0);
	skb = apsm_tf_skb(test, f, f->len, 0);
	__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), 100 | (3 << 13));
	KUNIT_EXPECT_EQ(test, apsm_parse_flow(skb, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, pi.vlan, 100);
	expect_key(test, &pi.key, &k);
	kfree_skb(skb);

	/* in-band tag, network header at the tag */
	t->len = 0;
	apsm_tf_eth(t, ETH_P_8021Q);
	apsm_tf_vlan(t, 200, ETH_P_IP);
	iph = apsm_tf_ip4(t, 5, IPPROTO_TCP, A4, B4);
	apsm_tf_tcp(t, 1234, 80);
	apsm_tf_ip4_done(t, iph);
	KUNIT_ASSERT_EQ(test, parse(test, t, t->len, 0, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, pi.vlan, 200);
	KUNIT_EXPECT_EQ(test, pi.l3_off, VLAN_HLEN);
	KUNIT_EXPECT_EQ(test, pi.l4_off, VLAN_HLEN + 20);
	expect_key(test, &pi.key, &k);
	/* cut inside the tag */
	KUNIT_EXPECT_EQ(test, parse(test, t, ETH_HLEN + 2, 0, &pi),
			APSM_PARSE_MALFORMED);

	/* QinQ: offloaded outer tag + in-band inner: the outer VID wins */
	skb = apsm_tf_skb(test, t, t->len, 0);
	__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021AD), 7);
	KUNIT_EXPECT_EQ(test, apsm_parse_flow(skb, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, pi.vlan, 7);
	expect_key(test, &pi.key, &k);
	kfree_skb(skb);

	/* two in-band tags: walked; three: not classified (NONIP) */
	t->len = 0;
	apsm_tf_eth(t, ETH_P_8021AD);
	apsm_tf_vlan(t, 300, ETH_P_8021Q);
	apsm_tf_vlan(t, 301, ETH_P_IP);
	iph = apsm_tf_ip4(t, 5, IPPROTO_TCP, A4, B4);
	apsm_tf_tcp(t, 1234, 80);
	apsm_tf_ip4_done(t, iph);
	KUNIT_ASSERT_EQ(test, parse(test, t, t->len, 0, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, pi.vlan, 300);
	expect_key(test, &pi.key, &k);

	t->len = 0;
	apsm_tf_eth(t, ETH_P_8021AD);
	apsm_tf_vlan(t, 300, ETH_P_8021Q);
	apsm_tf_vlan(t, 301, ETH_P_8021Q);
	apsm_tf_vlan(t, 302, ETH_P_IP);
	iph = apsm_tf_ip4(t, 5, IPPROTO_TCP, A4, B4);
	apsm_tf_tcp(t, 1234, 80);
	apsm_tf_ip4_done(t, iph);
	KUNIT_EXPECT_EQ(test, parse(test, t, t->len, 0, &pi), APSM_PARSE_NONIP);
}

static void parse_nonip_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_tf *f = apsm_tf_alloc(test);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_ARP);
	apsm_tf_payload(f, 28, 0);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_NONIP);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_NSH);
	apsm_tf_payload(f, 40, 0);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_NONIP);
}

static void parse_unknown_l4_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct ipv6hdr *ip6;
	struct iphdr *iph;
	struct apsm_tf *f = apsm_tf_alloc(test);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_GRE, A4, B4);
	apsm_tf_payload(f, 24, 3);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key4(&k, A4, B4, IPPROTO_GRE, 0, 0);
	expect_key(test, &pi.key, &k);

	/* no L4 at all */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_NONE, &a6, &b6);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key6(&k, &a6, &b6, NEXTHDR_NONE, 0, 0);
	expect_key(test, &pi.key, &k);
}

static void parse_ip4_frag_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct iphdr *iph;
	struct apsm_tf *f = apsm_tf_alloc(test);

	/* first fragment: offset 0, MF: keyed by its 5-tuple */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_UDP, A4, B4);
	iph->frag_off = htons(IP_MF);
	apsm_tf_udp(f, 4000, 53);
	apsm_tf_payload(f, 64, 4);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key4(&k, A4, B4, IPPROTO_UDP, 4000, 53);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.frag, APSM_FRAG_FIRST);

	/* a later fragment: what looks like ports is payload */
	iph->frag_off = htons(9);	/* offset 72 bytes, last */
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_FRAG);
	apsm_tk_key4(&k, A4, B4, IPPROTO_UDP, 0, 0);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.frag, APSM_FRAG_LATER);
	KUNIT_EXPECT_EQ(test, pi.l4_off, 20);

	iph->frag_off = htons(IP_MF | 9);	/* a middle one */
	apsm_tf_ip4_done(f, iph);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_FRAG);

	/* a first fragment too short to hold the L4 header (RFC 1858) */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_TCP, A4, B4);
	iph->frag_off = htons(IP_MF);
	apsm_tf_payload(f, 8, 5);
	apsm_tf_ip4_done(f, iph);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
}

static void parse_ip6_exthdr_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct ipv6hdr *ip6;
	struct apsm_tf *f = apsm_tf_alloc(test);
	unsigned int i;

	/* hop-by-hop (8 bytes) + destination options (16 bytes) + TCP */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_HOP, &a6, &b6);
	apsm_tf_ip6_ext(f, NEXTHDR_DEST, 0);
	apsm_tf_ip6_ext(f, NEXTHDR_TCP, 1);
	apsm_tf_tcp(f, 40000, 443);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_TCP, 40000, 443);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.l4_off, 40 + 8 + 16);
	/* and with the second extension header in a page */
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, ETH_HLEN + 50, &pi),
			APSM_PARSE_OK);
	expect_key(test, &pi.key, &k);

	/* an extension header claiming more than the payload */
	f->b[ETH_HLEN + 40 + 8 + 1] = 200;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);

	/* APSM_IPV6_EXTHDR_MAX extension headers pass, one more does not */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_DEST, &a6, &b6);
	for (i = 0; i < APSM_IPV6_EXTHDR_MAX; i++)
		apsm_tf_ip6_ext(f, i + 1 < APSM_IPV6_EXTHDR_MAX ?
				NEXTHDR_DEST : NEXTHDR_UDP, 0);
	apsm_tf_udp(f, 1, 2);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_DEST, &a6, &b6);
	for (i = 0; i < APSM_IPV6_EXTHDR_MAX + 1; i++)
		apsm_tf_ip6_ext(f, i < APSM_IPV6_EXTHDR_MAX ?
				NEXTHDR_DEST : NEXTHDR_UDP, 0);
	apsm_tf_udp(f, 1, 2);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
}

/* ipv6_skip_exthdr() on the frame @f (network header at skb->data) */
static int skip_exthdr(struct kunit *test, const struct apsm_tf *f,
		       unsigned int len, u8 *nexthdr)
{
	struct sk_buff *skb = apsm_tf_skb(test, f, len, 0);
	__be16 frag_off;
	int ret;

	*nexthdr = ipv6_hdr(skb)->nexthdr;
	ret = ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr), nexthdr,
			       &frag_off);
	kfree_skb(skb);
	return ret;
}

/* Why apsm_ipv6_walk() is not ipv6_skip_exthdr() (Documentation/
 * datapath.md, "IPv6 extension headers"): on each of these frames the
 * kernel helper's answer is not the one the parser must give.
 */
static void parse_ip6_not_skip_exthdr_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct ipv6hdr *ip6;
	struct apsm_tf *f = apsm_tf_alloc(test);
	unsigned int i;
	u8 nh;

	/* "no next header": a valid packet, steered; the helper says -1,
	 * as for a truncated header
	 */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_DEST, &a6, &b6);
	apsm_tf_ip6_ext(f, NEXTHDR_NONE, 0);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, pi.key.proto, NEXTHDR_NONE);
	KUNIT_EXPECT_EQ(test, skip_exthdr(test, f, f->len, &nh), -1);

	/* one header more than APSM_IPV6_EXTHDR_MAX: the helper walks on */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_DEST, &a6, &b6);
	for (i = 0; i < APSM_IPV6_EXTHDR_MAX + 1; i++)
		apsm_tf_ip6_ext(f, i < APSM_IPV6_EXTHDR_MAX ?
				NEXTHDR_DEST : NEXTHDR_UDP, 0);
	apsm_tf_udp(f, 1, 2);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	KUNIT_EXPECT_EQ(test, skip_exthdr(test, f, f->len, &nh),
			(int)(40 + 8 * (APSM_IPV6_EXTHDR_MAX + 1)));
	KUNIT_EXPECT_EQ(test, nh, IPPROTO_UDP);

	/* a header past the payload length, in what would be Ethernet
	 * padding: the helper reads on to skb->len
	 */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_DEST, &a6, &b6);
	apsm_tf_ip6_ext(f, NEXTHDR_UDP, 0);
	apsm_tf_udp(f, 1, 2);
	ip6->payload_len = htons(4);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	KUNIT_EXPECT_EQ(test, skip_exthdr(test, f, f->len, &nh), 40 + 8);
	KUNIT_EXPECT_EQ(test, nh, IPPROTO_UDP);
}

static void parse_ip6_frag_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k;
	struct ipv6hdr *ip6;
	struct frag_hdr *fh;
	struct apsm_tf *f = apsm_tf_alloc(test);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_HOP, &a6, &b6);
	apsm_tf_ip6_ext(f, NEXTHDR_FRAGMENT, 0);
	fh = apsm_tf_put(f, sizeof(*fh));
	fh->nexthdr = NEXTHDR_UDP;
	fh->frag_off = htons(IP6_MF);
	fh->identification = htonl(77);
	apsm_tf_udp(f, 5000, 6000);
	apsm_tf_payload(f, 40, 6);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_UDP, 5000, 6000);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.frag, APSM_FRAG_FIRST);
	KUNIT_EXPECT_EQ(test, pi.l4_off, 40 + 8 + 8);

	fh->frag_off = htons(48 | IP6_MF);	/* offset 48, middle */
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_FRAG);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_UDP, 0, 0);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.frag, APSM_FRAG_LATER);
}

/* A copy of @f cut to @cut bytes with its L3 length fixed up to match,
 * so that the cut is only visible in the headers after L3.
 */
static int parse_cut_consistent(struct kunit *test, const struct apsm_tf *f,
				unsigned int cut, unsigned int split,
				struct apsm_pkt_info *pi)
{
	struct apsm_tf *g = kmemdup(f, sizeof(*f), GFP_KERNEL);
	u8 *l3;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, g);
	l3 = g->b + ETH_HLEN;
	g->len = cut;
	if ((l3[0] >> 4) == 4)
		put_unaligned_be16(cut - ETH_HLEN, l3 + 2);
	else if (cut >= ETH_HLEN + 40)
		put_unaligned_be16(cut - ETH_HLEN - 40, l3 + 4);
	ret = parse(test, g, cut, split, pi);
	kfree(g);
	return ret;
}

/* Every cut of a valid frame before @hdrs (the bytes its headers need) is
 * malformed, linear or paged, whether or not the L3 length admits the cut.
 */
static void truncate_all(struct kunit *test, const struct apsm_tf *f,
			 unsigned int hdrs, const char *what)
{
	struct apsm_pkt_info pi;
	unsigned int cut, split;
	int ret;

	for (cut = ETH_HLEN; cut < hdrs; cut++) {
		split = min(cut, ETH_HLEN + 7U);
		ret = parse(test, f, cut, 0, &pi);
		KUNIT_EXPECT_EQ_MSG(test, ret, APSM_PARSE_MALFORMED,
				    "%s cut at %u (linear)", what, cut);
		ret = parse(test, f, cut, split, &pi);
		KUNIT_EXPECT_EQ_MSG(test, ret, APSM_PARSE_MALFORMED,
				    "%s cut at %u (paged)", what, cut);
		ret = parse_cut_consistent(test, f, cut, 0, &pi);
		KUNIT_EXPECT_EQ_MSG(test, ret, APSM_PARSE_MALFORMED,
				    "%s cut at %u (L3 length fixed)", what, cut);
		ret = parse_cut_consistent(test, f, cut, split, &pi);
		KUNIT_EXPECT_EQ_MSG(test, ret, APSM_PARSE_MALFORMED,
				    "%s cut at %u (L3 length fixed, paged)",
				    what, cut);
	}
	KUNIT_EXPECT_EQ_MSG(test, parse(test, f, f->len, 0, &pi),
			    APSM_PARSE_OK, "%s whole", what);
	KUNIT_EXPECT_EQ_MSG(test, parse_cut_consistent(test, f, hdrs, 0, &pi),
			    APSM_PARSE_OK, "%s headers only", what);
}

static void parse_truncated_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_tf *g = apsm_tf_alloc(test);
	struct ipv6hdr *ip6;
	struct iphdr *iph, *q;

	tcp4_frame(f, 6, 10);
	truncate_all(test, f, f->len - 10, "tcp4");

	udp6_frame(f, 10);
	truncate_all(test, f, f->len - 10, "udp6");

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, NEXTHDR_HOP, &a6, &b6);
	apsm_tf_ip6_ext(f, NEXTHDR_ROUTING, 0);
	apsm_tf_ip6_ext(f, NEXTHDR_TCP, 1);
	apsm_tf_tcp(f, 1, 2);
	apsm_tf_ip6_done(f, ip6);
	truncate_all(test, f, f->len, "tcp6+exthdrs");

	/* ICMP error quoting IPv4 + 8 bytes of TCP */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, R4, A4);
	apsm_tf_icmp(f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 0);
	g->len = 0;
	apsm_tf_eth(g, ETH_P_IP);
	q = apsm_tf_ip4(g, 5, IPPROTO_TCP, A4, B4);
	apsm_tf_tcp(g, 1234, 80);
	apsm_tf_ip4_done(g, q);
	memcpy(apsm_tf_put(f, 28), g->b + ETH_HLEN, 28);
	apsm_tf_ip4_done(f, iph);
	truncate_all(test, f, f->len, "icmp4 error");

	/* ICMP echo */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, A4, B4);
	apsm_tf_icmp(f, ICMP_ECHO, 0, 1, 1);
	apsm_tf_ip4_done(f, iph);
	truncate_all(test, f, f->len, "icmp4 echo");
}

static void parse_bogus_ip_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct iphdr *iph;
	struct tcphdr *th;

	tcp4_frame(f, 5, 0);
	iph = (struct iphdr *)(f->b + ETH_HLEN);

	iph->ihl = 4;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	iph->ihl = 0;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	iph->ihl = 15;			/* 60 bytes > total length 40 */
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	iph->ihl = 5;
	iph->version = 6;		/* an IPv6 version in an IPv4 frame */
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	iph->version = 4;
	iph->tot_len = htons(41);	/* beyond the frame */
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	iph->tot_len = htons(19);	/* shorter than the header */
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	iph->tot_len = htons(40);
	th = (struct tcphdr *)(iph + 1);
	th->doff = 4;			/* TCP header below 20 bytes */
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	th->doff = 5;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);

	/* IPv6 payload length beyond the frame, and a zero one */
	udp6_frame(f, 0);
	((struct ipv6hdr *)(f->b + ETH_HLEN))->payload_len = htons(9);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	((struct ipv6hdr *)(f->b + ETH_HLEN))->payload_len = 0;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	((struct ipv6hdr *)(f->b + ETH_HLEN))->version = 4;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
}

/* echo request and reply are each other's reverse */
static void parse_icmp_echo_test(struct kunit *test)
{
	struct apsm_pkt_info req, rep;
	struct apsm_flow_key k, rev;
	struct ipv6hdr *ip6;
	struct iphdr *iph;
	struct apsm_tf *f = apsm_tf_alloc(test);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, A4, B4);
	apsm_tf_icmp(f, ICMP_ECHO, 0, 0x4242, 1);
	apsm_tf_payload(f, 56, 7);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &req), APSM_PARSE_OK);
	apsm_tk_key4(&k, A4, B4, IPPROTO_ICMP, 0x4242, 0);
	expect_key(test, &req.key, &k);
	KUNIT_EXPECT_EQ(test, req.icmp_type, ICMP_ECHO);
	KUNIT_EXPECT_EQ(test, req.flags, 0);

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, B4, A4);
	apsm_tf_icmp(f, ICMP_ECHOREPLY, 0, 0x4242, 1);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &rep), APSM_PARSE_OK);
	apsm_flow_key_reverse(&rev, &req.key);
	expect_key(test, &rep.key, &rev);

	/* ICMPv6 */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, IPPROTO_ICMPV6, &a6, &b6);
	apsm_tf_icmp(f, ICMPV6_ECHO_REQUEST, 0, 0x77, 1);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &req), APSM_PARSE_OK);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_ICMPV6, 0x77, 0);
	expect_key(test, &req.key, &k);

	/* other ICMP types: no id, ports 0 */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, IPPROTO_ICMPV6, &a6, &b6);
	apsm_tf_icmp(f, NDISC_NEIGHBOUR_SOLICITATION, 0, 0x1234, 0x5678);
	apsm_tf_payload(f, 16, 0);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &req), APSM_PARSE_OK);
	apsm_tk_key6(&k, &a6, &b6, IPPROTO_ICMPV6, 0, 0);
	expect_key(test, &req.key, &k);
}

/* R -> A: ICMPv4 error @type quoting A:1234 > B:80 TCP (@qlen L4 bytes) */
static void icmp4_err_frame(struct apsm_tf *f, u8 type, unsigned int qlen)
{
	struct iphdr *iph, *q;
	u8 *quote;

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, R4, A4);
	apsm_tf_icmp(f, type, 0, 0, 0);
	q = apsm_tf_ip4(f, 5, IPPROTO_TCP, A4, B4);
	q->tot_len = htons(1500);
	quote = apsm_tf_put(f, qlen);
	put_unaligned_be16(1234, quote);
	if (qlen >= 4)
		put_unaligned_be16(80, quote + 2);
	apsm_tf_ip4_done(f, iph);
}

static void parse_icmp_error_test(struct kunit *test)
{
	static const u8 types[] = {
		ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB,
	};
	struct apsm_pkt_info pi, echo;
	struct apsm_flow_key k, fwd;
	struct iphdr *iph, *q;
	struct apsm_tf *f = apsm_tf_alloc(test);
	unsigned int i;

	/* the error gets the key of the quoted flow's return direction */
	apsm_tk_key4(&fwd, A4, B4, IPPROTO_TCP, 1234, 80);
	apsm_flow_key_reverse(&k, &fwd);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		icmp4_err_frame(f, types[i], 8);
		KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi),
				APSM_PARSE_OK);
		expect_key(test, &pi.key, &k);
		KUNIT_EXPECT_EQ(test, pi.flags, APSM_PI_ICMP_ERR);
		KUNIT_EXPECT_EQ(test, pi.l4_proto, IPPROTO_ICMP);
		KUNIT_EXPECT_EQ(test, pi.icmp_type, types[i]);
		KUNIT_EXPECT_EQ(test, pi.l4_off, 20);
		/* quoted part in a page */
		KUNIT_ASSERT_EQ(test, parse(test, f, f->len, ETH_HLEN + 30, &pi),
				APSM_PARSE_OK);
		expect_key(test, &pi.key, &k);
	}
	/* a quote of 4 L4 bytes is too short (RFC 792 quotes 8) */
	icmp4_err_frame(f, ICMP_DEST_UNREACH, 4);
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	/* a quoted IPv6 header in an ICMPv4 error */
	icmp4_err_frame(f, ICMP_DEST_UNREACH, 8);
	f->b[ETH_HLEN + 28] = 0x65;
	KUNIT_EXPECT_EQ(test, parse(test, f, f->len, 0, &pi),
			APSM_PARSE_MALFORMED);
	/* redirect is not an error we key by the quote */
	icmp4_err_frame(f, ICMP_REDIRECT, 8);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key4(&k, R4, A4, IPPROTO_ICMP, 0, 0);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.flags, 0);

	/* an error quoting an echo request A > B has the echo reply's key */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, R4, A4);
	apsm_tf_icmp(f, ICMP_TIME_EXCEEDED, 0, 0, 0);
	q = apsm_tf_ip4(f, 5, IPPROTO_ICMP, A4, B4);
	q->tot_len = htons(84);
	apsm_tf_icmp(f, ICMP_ECHO, 0, 0x4242, 9);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_ICMP, B4, A4);
	apsm_tf_icmp(f, ICMP_ECHOREPLY, 0, 0x4242, 9);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &echo), APSM_PARSE_OK);
	expect_key(test, &pi.key, &echo.key);
}

static void parse_icmp6_error_test(struct kunit *test)
{
	struct apsm_pkt_info pi;
	struct apsm_flow_key k, fwd;
	struct ipv6hdr *ip6, *q;
	struct apsm_tf *f = apsm_tf_alloc(test);

	/* R -> A: packet too big quoting A:40000 > B:443 TCP behind a
	 * destination options header
	 */
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IPV6);
	ip6 = apsm_tf_ip6(f, IPPROTO_ICMPV6, &r6, &a6);
	apsm_tf_icmp(f, ICMPV6_PKT_TOOBIG, 0, 0, 1280);
	q = apsm_tf_ip6(f, NEXTHDR_DEST, &a6, &b6);
	q->payload_len = htons(1400);
	apsm_tf_ip6_ext(f, NEXTHDR_TCP, 0);
	apsm_tf_tcp(f, 40000, 443);
	apsm_tf_ip6_done(f, ip6);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &pi), APSM_PARSE_OK);
	apsm_tk_key6(&fwd, &a6, &b6, IPPROTO_TCP, 40000, 443);
	apsm_flow_key_reverse(&k, &fwd);
	expect_key(test, &pi.key, &k);
	KUNIT_EXPECT_EQ(test, pi.flags, APSM_PI_ICMP_ERR);
	KUNIT_EXPECT_EQ(test, pi.l4_proto, IPPROTO_ICMPV6);
	truncate_all(test, f, f->len - 12, "icmp6 error");
}

static void parse_reverse_test(struct kunit *test)
{
	struct apsm_pkt_info fwd, ret;
	struct apsm_flow_key rev, back;
	struct iphdr *iph;
	struct apsm_tf *f = apsm_tf_alloc(test);

	tcp4_frame(f, 5, 0);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &fwd), APSM_PARSE_OK);
	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_TCP, B4, A4);
	apsm_tf_tcp(f, 80, 1234);
	apsm_tf_ip4_done(f, iph);
	KUNIT_ASSERT_EQ(test, parse(test, f, f->len, 0, &ret), APSM_PARSE_OK);

	apsm_flow_key_reverse(&rev, &fwd.key);
	expect_key(test, &ret.key, &rev);
	apsm_flow_key_reverse(&back, &rev);
	expect_key(test, &back, &fwd.key);
	/* in place */
	apsm_flow_key_reverse(&rev, &rev);
	expect_key(test, &rev, &fwd.key);
}

static struct kunit_case apsm_parse_cases[] = {
	KUNIT_CASE(parse_tcp4_test),
	KUNIT_CASE(parse_ip4_options_test),
	KUNIT_CASE(parse_udp6_test),
	KUNIT_CASE(parse_paged_test),
	KUNIT_CASE(parse_vlan_test),
	KUNIT_CASE(parse_nonip_test),
	KUNIT_CASE(parse_unknown_l4_test),
	KUNIT_CASE(parse_ip4_frag_test),
	KUNIT_CASE(parse_ip6_exthdr_test),
	KUNIT_CASE(parse_ip6_not_skip_exthdr_test),
	KUNIT_CASE(parse_ip6_frag_test),
	KUNIT_CASE(parse_truncated_test),
	KUNIT_CASE(parse_bogus_ip_test),
	KUNIT_CASE(parse_icmp_echo_test),
	KUNIT_CASE(parse_icmp_error_test),
	KUNIT_CASE(parse_icmp6_error_test),
	KUNIT_CASE(parse_reverse_test),
	{}
};

static struct kunit_suite apsm_parse_suite = {
	.name = "apsm_parse",
	.test_cases = apsm_parse_cases,
};

kunit_test_suite(apsm_parse_suite);
