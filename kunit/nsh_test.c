// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "apsm_nsh": NSH push/pop (src/nsh.c). Round trips keep the
 * inner frame byte for byte (linear, paged, VLAN-offloaded, GSO, with
 * CHECKSUM_COMPLETE sums kept right); a GSO NSH frame segments through
 * the kernel's NSH GSO handler into valid TCP segments; every hostile
 * header variant is refused with its reason and leaves the skb alone; a
 * seeded fuzz loop never yields an inconsistent context.
 *
 * apsm_nsh_hexdump_test prints one pushed frame as "apsm-nsh-hex:" lines
 * in text2pcap's format, for checking with tshark (Documentation/nsh.md).
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/prandom.h>

#include "dp/nsh.h"
#include "dp/parse.h"
#include "pkt_build.h"

#define A4 htonl(0xc0000201)
#define B4 htonl(0xc6336402)

static const u8 outer_dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0xf0, 0x01 };
static const u8 outer_src[ETH_ALEN] = { 0x02, 0, 0, 0, 0xf0, 0x02 };

static void ctx3(struct apsm_nsh_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->spi = 0x123456;
	ctx->si = 3;
	ctx->n = 3;
	ctx->dir = APSM_DIR_FORWARD;
	ctx->origin = 7;
	ctx->path[0] = 0x100001;
	ctx->path[1] = 0x200002;
	ctx->path[2] = 0x300003;
}

/* Ethernet + IPv4 + TCP A:1234 > B:80 + @payload */
static void tcp4_frame(struct apsm_tf *f, unsigned int payload)
{
	struct iphdr *iph;

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_TCP, A4, B4);
	apsm_tf_tcp(f, 1234, 80);
	apsm_tf_payload(f, payload, 9);
	apsm_tf_ip4_done(f, iph);
}

/* the frame from the mac header on, as bytes */
static u8 *frame_bytes(struct kunit *test, const struct sk_buff *skb,
		       unsigned int *len)
{
	int off = skb_mac_offset(skb);
	u8 *buf;

	*len = skb->len - off;
	buf = kunit_kzalloc(test, *len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, off, buf, *len), 0);
	return buf;
}

static void expect_ctx(struct kunit *test, const struct apsm_nsh_ctx *got,
		       const struct apsm_nsh_ctx *want, u8 ttl)
{
	unsigned int i;

	KUNIT_EXPECT_EQ(test, got->reason, APSM_NSH_OK);
	KUNIT_EXPECT_EQ(test, got->spi, want->spi);
	KUNIT_EXPECT_EQ(test, got->si, want->si);
	KUNIT_EXPECT_EQ(test, got->ttl, ttl);
	KUNIT_EXPECT_EQ(test, got->dir, want->dir);
	KUNIT_EXPECT_EQ(test, got->origin, want->origin);
	KUNIT_ASSERT_EQ(test, got->n, want->n);
	for (i = 0; i < want->n; i++)
		KUNIT_EXPECT_EQ(test, got->path[i], want->path[i]);
}

/* The wire bytes of the header push wrote, checked field by field
 * against RFC 8300 and Documentation/nsh.md (independent of nsh.c).
 */
static void expect_wire(struct kunit *test, const struct sk_buff *skb,
			const struct apsm_nsh_ctx *ctx, u8 ttl)
{
	unsigned int hlen = 20 + 4 * ctx->n, i;
	const struct ethhdr *eth = eth_hdr(skb);
	u8 h[APSM_NSH_HDR_MAX];

	KUNIT_EXPECT_EQ(test, skb_mac_offset(skb), -ETH_HLEN);
	KUNIT_EXPECT_EQ(test, skb_network_offset(skb), 0);
	KUNIT_EXPECT_EQ(test, skb->mac_len, ETH_HLEN);
	KUNIT_EXPECT_EQ(test, ntohs(skb->protocol), ETH_P_NSH);
	KUNIT_EXPECT_EQ(test, ntohs(eth->h_proto), ETH_P_NSH);
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(eth->h_dest, outer_dst));
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(eth->h_source, outer_src));

	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, h, hlen), 0);
	KUNIT_EXPECT_EQ(test, h[0] >> 6, 0);			/* Ver */
	KUNIT_EXPECT_EQ(test, (h[0] >> 5) & 1, 0);		/* O */
	KUNIT_EXPECT_EQ(test, (get_unaligned_be16(h) >> 6) & 0x3f, ttl);
	KUNIT_EXPECT_EQ(test, h[1] & 0x3f, hlen / 4);		/* Length */
	KUNIT_EXPECT_EQ(test, h[2], 0x02);			/* MD type */
	KUNIT_EXPECT_EQ(test, h[3], 0x03);			/* NP */
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(h + 4) >> 8, ctx->spi);
	KUNIT_EXPECT_EQ(test, h[7], ctx->si);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(h + 8), 0xfff6);
	KUNIT_EXPECT_EQ(test, h[10], 0x01);
	KUNIT_EXPECT_EQ(test, h[11], 8 + 4 * ctx->n);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(h + 12), ctx->origin);
	KUNIT_EXPECT_EQ(test, h[16], ctx->dir);
	KUNIT_EXPECT_EQ(test, h[17], ctx->n);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(h + 18), 0);
	for (i = 0; i < ctx->n; i++)
		KUNIT_EXPECT_EQ(test, get_unaligned_be32(h + 20 + 4 * i),
				ctx->path[i]);
}

/* push, check, peek, pop, check: @inner/@inner_len is the frame that
 * must come back (the original one, or with the offloaded tag in-band)
 */
static void roundtrip(struct kunit *test, struct sk_buff *skb,
		      const u8 *inner, unsigned int inner_len)
{
	unsigned int hlen, len;
	struct apsm_nsh_ctx ctx, got;
	u8 *bytes;

	ctx3(&ctx);
	hlen = APSM_NSH_HDR_LEN(ctx.n);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	expect_wire(test, skb, &ctx, APSM_NSH_TTL_DEFAULT);
	KUNIT_EXPECT_FALSE(test, skb_vlan_tag_present(skb));
	KUNIT_ASSERT_EQ(test, skb->len, hlen + inner_len);
	bytes = frame_bytes(test, skb, &len);
	KUNIT_EXPECT_EQ(test, memcmp(bytes + ETH_HLEN + hlen, inner, inner_len),
			0);

	KUNIT_ASSERT_EQ(test, apsm_nsh_peek(skb, &got), 0);
	expect_ctx(test, &got, &ctx, APSM_NSH_TTL_DEFAULT);
	KUNIT_EXPECT_EQ(test, skb->len, hlen + inner_len);

	KUNIT_ASSERT_EQ(test, apsm_nsh_pop(skb, &got), 0);
	expect_ctx(test, &got, &ctx, APSM_NSH_TTL_DEFAULT);
	KUNIT_EXPECT_EQ(test, skb->len, inner_len - ETH_HLEN);
	KUNIT_EXPECT_EQ(test, skb_mac_offset(skb), -ETH_HLEN);
	KUNIT_EXPECT_EQ(test, skb_network_offset(skb), 0);
	KUNIT_EXPECT_EQ(test, skb->mac_len, ETH_HLEN);
	KUNIT_EXPECT_EQ(test, skb->protocol,
			((const struct ethhdr *)inner)->h_proto);
	bytes = frame_bytes(test, skb, &len);
	KUNIT_ASSERT_EQ(test, len, inner_len);
	KUNIT_EXPECT_EQ(test, memcmp(bytes, inner, inner_len), 0);
}

static void nsh_roundtrip_linear_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_pkt_info before, after;
	struct sk_buff *skb;

	tcp4_frame(f, 100);
	skb = apsm_tf_skb(test, f, f->len, 0);
	KUNIT_ASSERT_EQ(test, apsm_parse_flow(skb, &before), APSM_PARSE_OK);
	roundtrip(test, skb, f->b, f->len);
	/* the popped frame parses to the same flow */
	KUNIT_ASSERT_EQ(test, apsm_parse_flow(skb, &after), APSM_PARSE_OK);
	KUNIT_EXPECT_TRUE(test, apsm_flow_key_equal(&before.key, &after.key));
	kfree_skb(skb);
}

static void nsh_roundtrip_paged_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct sk_buff *skb;
	unsigned int split;

	tcp4_frame(f, 1400);
	/* payload, then the L4 header, then part of L3 in the page */
	for (split = ETH_HLEN + 40; split >= ETH_HLEN; split -= 13) {
		skb = apsm_tf_skb(test, f, f->len, split);
		KUNIT_ASSERT_TRUE(test, skb_is_nonlinear(skb));
		roundtrip(test, skb, f->b, f->len);
		kfree_skb(skb);
	}
}

/* an NSH frame arriving with its header straddling a page boundary */
static void nsh_pop_paged_header_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_tf *n = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx, got;
	unsigned int len, split;
	struct sk_buff *skb;
	u8 *bytes;

	tcp4_frame(f, 200);
	ctx3(&ctx);
	skb = apsm_tf_skb(test, f, f->len, 0);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	bytes = frame_bytes(test, skb, &len);
	kfree_skb(skb);
	memcpy(apsm_tf_put(n, len), bytes, len);

	for (split = ETH_HLEN; split < ETH_HLEN + APSM_NSH_HDR_LEN(3) + 20;
	     split += 3) {
		skb = apsm_tf_skb(test, n, n->len, split);
		KUNIT_ASSERT_EQ(test, apsm_nsh_peek(skb, &got), 0);
		KUNIT_ASSERT_EQ(test, apsm_nsh_pop(skb, &got), 0);
		expect_ctx(test, &got, &ctx, APSM_NSH_TTL_DEFAULT);
		bytes = frame_bytes(test, skb, &len);
		KUNIT_ASSERT_EQ(test, len, f->len);
		KUNIT_EXPECT_EQ(test, memcmp(bytes, f->b, f->len), 0);
		kfree_skb(skb);
	}
}

static void nsh_vlan_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_tf *t = apsm_tf_alloc(test);
	struct apsm_pkt_info before, after;
	struct sk_buff *skb;

	tcp4_frame(f, 60);
	/* what the wire had: the tag after the MACs */
	memcpy(apsm_tf_put(t, 2 * ETH_ALEN), f->b, 2 * ETH_ALEN);
	put_unaligned_be16(ETH_P_8021Q, apsm_tf_put(t, 2));
	put_unaligned_be16(100 | (5 << 13), apsm_tf_put(t, 2));
	memcpy(apsm_tf_put(t, f->len - 2 * ETH_ALEN), f->b + 2 * ETH_ALEN,
	       f->len - 2 * ETH_ALEN);

	skb = apsm_tf_skb(test, f, f->len, ETH_HLEN + 20);
	__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), 100 | (5 << 13));
	KUNIT_ASSERT_EQ(test, apsm_parse_flow(skb, &before), APSM_PARSE_OK);
	roundtrip(test, skb, t->b, t->len);
	KUNIT_EXPECT_EQ(test, ntohs(skb->protocol), ETH_P_8021Q);
	KUNIT_ASSERT_EQ(test, apsm_parse_flow(skb, &after), APSM_PARSE_OK);
	KUNIT_EXPECT_EQ(test, after.vlan, 100);
	KUNIT_EXPECT_TRUE(test, apsm_flow_key_equal(&before.key, &after.key));
	kfree_skb(skb);
}

static void expect_csum(struct kunit *test, struct sk_buff *skb,
			const char *when)
{
	__wsum sum = skb_checksum(skb, 0, skb->len, 0);

	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_COMPLETE);
	KUNIT_EXPECT_EQ_MSG(test, csum_fold(skb->csum), csum_fold(sum),
			    "CHECKSUM_COMPLETE wrong after %s", when);
}

static void nsh_csum_complete_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx, got;
	struct sk_buff *skb;

	tcp4_frame(f, 333);	/* odd length */
	skb = apsm_tf_skb(test, f, f->len, ETH_HLEN + 30);
	__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), 42);
	skb->ip_summed = CHECKSUM_COMPLETE;
	skb->csum = skb_checksum(skb, 0, skb->len, 0);

	ctx3(&ctx);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	expect_csum(test, skb, "push");
	KUNIT_ASSERT_EQ(test, apsm_nsh_dec_ttl(skb), 0);
	expect_csum(test, skb, "dec_ttl");
	KUNIT_ASSERT_EQ(test, apsm_nsh_set_si(skb, 2), 0);
	expect_csum(test, skb, "set_si");
	KUNIT_ASSERT_EQ(test, apsm_nsh_pop(skb, &got), 0);
	KUNIT_EXPECT_EQ(test, got.ttl, APSM_NSH_TTL_DEFAULT - 1);
	KUNIT_EXPECT_EQ(test, got.si, 2);
	expect_csum(test, skb, "pop");
	kfree_skb(skb);
}

/* A GSO TCP super-packet: push keeps it GSO, and software segmentation
 * of the NSH frame (nsh_gso_segment, as on transmission) yields
 * segments that each carry the same NSH header and a valid TCP segment.
 */
static void nsh_gso_test(struct kunit *test)
{
	const unsigned int mss = 1000, payload = 2500, hdrs = 20 + 20;
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct sk_buff *skb, *segs, *seg;
	struct apsm_nsh_ctx ctx, got;
	unsigned int hlen, nseg = 0, seen = 0;
	u8 nsh[APSM_NSH_HDR_MAX];
	struct tcphdr *th;

	tcp4_frame(f, payload);
	th = (struct tcphdr *)(f->b + ETH_HLEN + 20);
	th->check = ~csum_tcpudp_magic(A4, B4, 20 + payload, IPPROTO_TCP, 0);
	skb = apsm_tf_skb(test, f, f->len, ETH_HLEN + hdrs);
	skb_set_transport_header(skb, 20);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	skb_shinfo(skb)->gso_size = mss;
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(payload, mss);

	ctx3(&ctx);
	hlen = APSM_NSH_HDR_LEN(ctx.n);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	KUNIT_EXPECT_TRUE(test, skb_is_gso(skb));
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_size, mss);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->gso_type, SKB_GSO_TCPV4);
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, nsh, hlen), 0);

	/* as dev_queue_xmit() would get it: data at the outer mac header */
	skb_push(skb, skb->mac_len);
	segs = skb_gso_segment(skb, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(segs),
			       "segmentation failed: %ld", PTR_ERR(segs));
	for (seg = segs; seg; seg = seg->next) {
		unsigned int plen = min(mss, payload - seen);
		unsigned int ip = ETH_HLEN + hlen + ETH_HLEN;
		u8 hdr[ETH_HLEN + APSM_NSH_HDR_MAX + ETH_HLEN + 40];
		const struct iphdr *iph = (struct iphdr *)(hdr + ip);
		const struct tcphdr *sth = (struct tcphdr *)(iph + 1);
		__wsum sum;

		KUNIT_ASSERT_EQ(test, seg->len, ip + hdrs + plen);
		KUNIT_ASSERT_EQ(test, skb_copy_bits(seg, 0, hdr, ip + hdrs), 0);
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(hdr + 12), ETH_P_NSH);
		KUNIT_EXPECT_EQ(test, memcmp(hdr + ETH_HLEN, nsh, hlen), 0);
		KUNIT_EXPECT_EQ(test, ntohs(iph->tot_len), hdrs + plen);
		KUNIT_EXPECT_EQ(test, ip_fast_csum(iph, iph->ihl), 0);
		KUNIT_EXPECT_EQ(test, ntohl(sth->seq), 1000 + seen);
		if (seg->ip_summed != CHECKSUM_PARTIAL) {
			sum = skb_checksum(seg, ip + 20, 20 + plen, 0);
			KUNIT_EXPECT_EQ(test,
					csum_tcpudp_magic(A4, B4, 20 + plen,
							  IPPROTO_TCP, sum), 0);
		}
		/* each segment is a valid NSH frame again */
		skb_set_mac_header(seg, 0);
		__skb_pull(seg, ETH_HLEN);
		skb_reset_network_header(seg);
		seg->protocol = htons(ETH_P_NSH);
		KUNIT_EXPECT_EQ(test, apsm_nsh_peek(seg, &got), 0);
		seen += plen;
		nseg++;
	}
	KUNIT_EXPECT_EQ(test, nseg, DIV_ROUND_UP(payload, mss));
	KUNIT_EXPECT_EQ(test, seen, payload);
	kfree_skb_list(segs);
	kfree_skb(skb);
}

/* apsm_nsh_fits(): the NSH frame's Ethernet payload against an MTU; per
 * segment for a GSO skb (NSH + inner Ethernet + IP + TCP + gso_size).
 */
static void nsh_fits_test(struct kunit *test)
{
	const unsigned int mss = 1000, payload = 2500, hdrs = 20 + 20;
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx;
	struct sk_buff *skb;
	unsigned int seg, len;

	ctx3(&ctx);
	/* a plain frame: skb->len after the push */
	tcp4_frame(f, 100);
	skb = apsm_tf_skb(test, f, f->len, f->len);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	len = APSM_NSH_HDR_LEN(ctx.n) + ETH_HLEN + hdrs + 100;
	KUNIT_EXPECT_EQ(test, skb->len, len);
	KUNIT_EXPECT_TRUE(test, apsm_nsh_fits(skb, len));
	KUNIT_EXPECT_TRUE(test, apsm_nsh_fits(skb, 1500));
	KUNIT_EXPECT_FALSE(test, apsm_nsh_fits(skb, len - 1));
	kfree_skb(skb);

	/* a super-packet: one segment's frame, whatever skb->len is */
	f = apsm_tf_alloc(test);
	tcp4_frame(f, payload);
	skb = apsm_tf_skb(test, f, f->len, ETH_HLEN + hdrs);
	skb_set_transport_header(skb, 20);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	skb_shinfo(skb)->gso_size = mss;
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(payload, mss);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	seg = APSM_NSH_HDR_LEN(ctx.n) + ETH_HLEN + hdrs + mss;
	KUNIT_EXPECT_GT(test, skb->len, seg);
	KUNIT_EXPECT_TRUE(test, apsm_nsh_fits(skb, seg));
	KUNIT_EXPECT_FALSE(test, apsm_nsh_fits(skb, seg - 1));
	kfree_skb(skb);
}

/* --- hostile input ------------------------------------------------- */

/* An NSH frame built independently of nsh.c: outer Ethernet, base header
 * (Length set by nsh_end()), TLVs added by the caller, then an inner frame.
 */
static u8 *nsh_begin(struct apsm_tf *f, u8 ttl, u32 spi, u8 si)
{
	u8 *h;

	f->len = 0;
	apsm_tf_eth(f, ETH_P_NSH);
	h = apsm_tf_put(f, 8);
	put_unaligned_be16(ttl << 6, h);
	h[2] = 0x02;
	h[3] = 0x03;
	put_unaligned_be32(spi << 8 | si, h + 4);
	return h;
}

static void nsh_tlv(struct apsm_tf *f, u16 class, u8 type, u8 vlen,
		    const void *val)
{
	u8 *t = apsm_tf_put(f, 4 + round_up(vlen & 0x7f, 4));

	put_unaligned_be16(class, t);
	t[2] = type;
	t[3] = vlen;
	if (val)
		memcpy(t + 4, val, vlen & 0x7f);
}

static void nsh_path(struct apsm_tf *f, u32 origin, u8 dir, u8 n, u8 vlen)
{
	u8 v[APSM_NSH_PATH_VLEN(APSM_PATH_MAX) + 64] = {};
	unsigned int i;

	put_unaligned_be32(origin, v);
	v[4] = dir;
	v[5] = n;
	for (i = 0; i < n && i < APSM_PATH_MAX + 8; i++)
		put_unaligned_be32(0x1000 + i, v + 8 + 4 * i);
	nsh_tlv(f, 0xfff6, 0x01, vlen, v);
}

/* set Length from what was put after @h, then append the inner frame */
static void nsh_end(struct apsm_tf *f, u8 *h)
{
	struct iphdr *iph;

	h[1] |= ((f->b + f->len - h) / 4) & 0x3f;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_UDP, A4, B4);
	apsm_tf_udp(f, 1, 2);
	apsm_tf_ip4_done(f, iph);
}

/* a valid frame: TTL 10, SPI 5, SI 2, path of 3 */
static u8 *nsh_valid(struct apsm_tf *f)
{
	u8 *h = nsh_begin(f, 10, 5, 2);

	nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
	nsh_end(f, h);
	return h;
}

enum nsh_variant {
	V_VALID, V_VALID_UNKNOWN_TLV, V_VALID_TTL2, V_VALID_SI0, V_VALID_MAX,
	V_VALID_LONG_TLV, V_TRUNC_BASE, V_TRUNC_HDR, V_NO_INNER,
	V_VERSION, V_OAM, V_MD1, V_MD15, V_NP_IPV4, V_LEN0, V_LEN1,
	V_TTL0, V_TTL1, V_SI, V_N0, V_N9, V_SHORT_FOR_N, V_SHORT_FIXED,
	V_OVERRUN, V_NO_TLV, V_ONLY_UNKNOWN, V_DUP, V_DIR0, V_DIR3,
	V_NOT_NSH, V_NUM
};

struct nsh_expect {
	const char *name;
	int err;
	u8 reason;
};

static const struct nsh_expect nsh_expects[V_NUM] = {
	[V_VALID]	     = { "valid", 0, APSM_NSH_OK },
	[V_VALID_UNKNOWN_TLV] = { "unknown tlvs skipped", 0, APSM_NSH_OK },
	[V_VALID_TTL2]	     = { "ttl 2", 0, APSM_NSH_OK },
	[V_VALID_SI0]	     = { "si 0 (done)", 0, APSM_NSH_OK },
	[V_VALID_MAX]	     = { "path max", 0, APSM_NSH_OK },
	[V_VALID_LONG_TLV]   = { "path tlv with trailing bytes", 0, APSM_NSH_OK },
	[V_TRUNC_BASE]	     = { "5 bytes", -EINVAL, APSM_NSH_E_TRUNCATED },
	[V_TRUNC_HDR]	     = { "cut in the tlv", -EINVAL, APSM_NSH_E_TRUNCATED },
	[V_NO_INNER]	     = { "no inner frame", -EINVAL, APSM_NSH_E_LENGTH },
	[V_VERSION]	     = { "version 1", -EPROTO, APSM_NSH_E_VERSION },
	[V_OAM]		     = { "O bit", -EPROTO, APSM_NSH_E_OAM },
	[V_MD1]		     = { "md type 1", -EPROTO, APSM_NSH_E_MDTYPE },
	[V_MD15]	     = { "md type 15", -EPROTO, APSM_NSH_E_MDTYPE },
	[V_NP_IPV4]	     = { "np ipv4", -EPROTO, APSM_NSH_E_NEXT_PROTO },
	[V_LEN0]	     = { "length 0", -EINVAL, APSM_NSH_E_LENGTH },
	[V_LEN1]	     = { "length 1", -EINVAL, APSM_NSH_E_LENGTH },
	[V_TTL0]	     = { "ttl 0", -ELOOP, APSM_NSH_E_TTL },
	[V_TTL1]	     = { "ttl 1", -ELOOP, APSM_NSH_E_TTL },
	[V_SI]		     = { "si > n", -EINVAL, APSM_NSH_E_SI },
	[V_N0]		     = { "n 0", -EINVAL, APSM_NSH_E_PATH_LEN },
	[V_N9]		     = { "n 9", -EINVAL, APSM_NSH_E_PATH_LEN },
	[V_SHORT_FOR_N]	     = { "tlv short for n", -EINVAL, APSM_NSH_E_PATH_LEN },
	[V_SHORT_FIXED]	     = { "tlv below 8", -EINVAL, APSM_NSH_E_PATH_LEN },
	[V_OVERRUN]	     = { "tlv overrun", -EINVAL, APSM_NSH_E_TLV_OVERRUN },
	[V_NO_TLV]	     = { "no tlv", -EINVAL, APSM_NSH_E_NO_PATH },
	[V_ONLY_UNKNOWN]     = { "only unknown tlvs", -EINVAL, APSM_NSH_E_NO_PATH },
	[V_DUP]		     = { "two path tlvs", -EINVAL, APSM_NSH_E_DUP_PATH },
	[V_DIR0]	     = { "dir 0", -EINVAL, APSM_NSH_E_DIR },
	[V_DIR3]	     = { "dir 3", -EINVAL, APSM_NSH_E_DIR },
	[V_NOT_NSH]	     = { "not nsh", -EPROTO, APSM_NSH_E_NOT_NSH },
};

/* build variant @v into @f; returns the length to give the skb */
static unsigned int nsh_variant(struct apsm_tf *f, enum nsh_variant v)
{
	static const u8 junk[13] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	u8 *h;

	switch (v) {
	case V_VALID_UNKNOWN_TLV:
		h = nsh_begin(f, 10, 5, 2);
		nsh_tlv(f, 0x0000, 0x01, 5, junk);	/* padded to 8 */
		nsh_tlv(f, 0xfff6, 0x02, 0, NULL);	/* ours, other type */
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_tlv(f, 0x0200, 0x80, 13, junk);
		nsh_end(f, h);
		break;
	case V_VALID_TTL2:
		h = nsh_begin(f, 2, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_end(f, h);
		break;
	case V_VALID_SI0:
		h = nsh_begin(f, 10, 5, 0);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_end(f, h);
		break;
	case V_VALID_MAX:
		h = nsh_begin(f, 63, 0xffffff, APSM_PATH_MAX);
		nsh_path(f, 9, APSM_DIR_FORWARD, APSM_PATH_MAX,
			 APSM_NSH_PATH_VLEN(APSM_PATH_MAX));
		nsh_end(f, h);
		break;
	case V_VALID_LONG_TLV:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3) + 6);
		nsh_end(f, h);
		break;
	case V_SI:
		h = nsh_begin(f, 10, 5, 4);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_end(f, h);
		break;
	case V_N0:
		h = nsh_begin(f, 10, 5, 0);
		nsh_path(f, 9, APSM_DIR_RETURN, 0, APSM_NSH_PATH_VLEN(0));
		nsh_end(f, h);
		break;
	case V_N9:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 9, APSM_NSH_PATH_VLEN(9));
		nsh_end(f, h);
		break;
	case V_SHORT_FOR_N:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(2));
		nsh_end(f, h);
		break;
	case V_SHORT_FIXED:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, 7);
		nsh_end(f, h);
		break;
	case V_OVERRUN:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_end(f, h);
		/* the last TLV header says 0x7f bytes, inside the inner frame */
		f->b[ETH_HLEN + 8 + 4 + APSM_NSH_PATH_VLEN(3) + 3] = 0x7f;
		h[1] = (h[1] & ~0x3f) | ((8 + 4 + APSM_NSH_PATH_VLEN(3) + 4) / 4);
		break;
	case V_NO_TLV:
		h = nsh_begin(f, 10, 5, 2);
		nsh_end(f, h);
		break;
	case V_ONLY_UNKNOWN:
		h = nsh_begin(f, 10, 5, 2);
		nsh_tlv(f, 0xfff7, 0x01, 12, junk);
		nsh_end(f, h);
		break;
	case V_DUP:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_path(f, 9, APSM_DIR_RETURN, 3, APSM_NSH_PATH_VLEN(3));
		nsh_end(f, h);
		break;
	case V_DIR0:
	case V_DIR3:
		h = nsh_begin(f, 10, 5, 2);
		nsh_path(f, 9, v == V_DIR0 ? 0 : 3, 3, APSM_NSH_PATH_VLEN(3));
		nsh_end(f, h);
		break;
	default:
		h = nsh_valid(f);
		break;
	}

	switch (v) {
	case V_TRUNC_BASE:
		return ETH_HLEN + 5;
	case V_TRUNC_HDR:
		return ETH_HLEN + 8 + 4 + 6;
	case V_NO_INNER:
		return ETH_HLEN + (h[1] & 0x3f) * 4 + ETH_HLEN - 1;
	case V_VERSION:
		h[0] |= 0x40;
		break;
	case V_OAM:
		h[0] |= 0x20;
		break;
	case V_MD1:
		h[2] = 0x01;
		break;
	case V_MD15:
		h[2] = 0x0f;
		break;
	case V_NP_IPV4:
		h[3] = 0x01;
		break;
	case V_LEN0:
		h[1] &= ~0x3f;
		break;
	case V_LEN1:
		h[1] = (h[1] & ~0x3f) | 1;
		break;
	case V_TTL0:
		put_unaligned_be16(get_unaligned_be16(h) & ~0x0fc0, h);
		break;
	case V_TTL1:
		put_unaligned_be16((get_unaligned_be16(h) & ~0x0fc0) | 1 << 6,
				   h);
		break;
	case V_NOT_NSH:
		put_unaligned_be16(ETH_P_IP, f->b + 12);
		break;
	default:
		break;
	}
	return f->len;
}

static void nsh_hostile_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx;
	unsigned int v, len;
	struct sk_buff *skb;
	int err;

	for (v = 0; v < V_NUM; v++) {
		const struct nsh_expect *e = &nsh_expects[v];
		unsigned int split;

		len = nsh_variant(f, v);
		for (split = 0; split <= ETH_HLEN + 9; split += ETH_HLEN + 9) {
			skb = apsm_tf_skb(test, f, len, split);
			err = apsm_nsh_peek(skb, &ctx);
			KUNIT_EXPECT_EQ_MSG(test, err, e->err, "peek %s", e->name);
			KUNIT_EXPECT_EQ_MSG(test, ctx.reason, e->reason,
					    "peek %s: %s", e->name,
					    apsm_nsh_reason_str(ctx.reason));
			err = apsm_nsh_pop(skb, &ctx);
			KUNIT_EXPECT_EQ_MSG(test, err, e->err, "pop %s", e->name);
			KUNIT_EXPECT_EQ_MSG(test, ctx.reason, e->reason,
					    "pop %s: %s", e->name,
					    apsm_nsh_reason_str(ctx.reason));
			if (err) {
				/* refused: the skb is untouched */
				KUNIT_EXPECT_EQ(test, skb->len, len - ETH_HLEN);
				KUNIT_EXPECT_EQ(test, skb_mac_offset(skb),
						-ETH_HLEN);
				KUNIT_EXPECT_EQ(test, skb->protocol,
						get_unaligned((__be16 *)(f->b + 12)));
			} else {
				KUNIT_EXPECT_EQ(test, ntohs(skb->protocol),
						ETH_P_IP);
				KUNIT_EXPECT_LE(test, ctx.si, ctx.n);
			}
			kfree_skb(skb);
		}
	}

	/* the path and context of the plain valid one */
	nsh_valid(f);
	skb = apsm_tf_skb(test, f, f->len, 0);
	KUNIT_ASSERT_EQ(test, apsm_nsh_peek(skb, &ctx), 0);
	KUNIT_EXPECT_EQ(test, ctx.spi, 5);
	KUNIT_EXPECT_EQ(test, ctx.si, 2);
	KUNIT_EXPECT_EQ(test, ctx.ttl, 10);
	KUNIT_EXPECT_EQ(test, ctx.origin, 9);
	KUNIT_EXPECT_EQ(test, ctx.dir, APSM_DIR_RETURN);
	KUNIT_EXPECT_EQ(test, ctx.n, 3);
	KUNIT_EXPECT_EQ(test, ctx.path[0], 0x1000);
	KUNIT_EXPECT_EQ(test, ctx.path[2], 0x1002);
	KUNIT_EXPECT_EQ(test, apsm_nsh_next_hop(&ctx), 0x1001);
	kfree_skb(skb);
}

/* random damage to valid frames: refused with a reason, or accepted with
 * a context that satisfies every invariant; never a crash
 */
static void nsh_fuzz_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	unsigned int i, ok = 0, refused = 0;
	struct rnd_state rs;

	prandom_seed_state(&rs, 0x4e5348);
	for (i = 0; i < 3000; i++) {
		unsigned int len, hits, j, split;
		struct apsm_nsh_ctx ctx;
		struct sk_buff *skb;
		int err;

		len = nsh_variant(f, prandom_u32_state(&rs) % V_NUM);
		hits = 1 + prandom_u32_state(&rs) % 4;
		for (j = 0; j < hits; j++) {
			unsigned int at = ETH_HLEN +
				prandom_u32_state(&rs) % (len - ETH_HLEN);

			f->b[at] = prandom_u32_state(&rs);
		}
		if (prandom_u32_state(&rs) % 4 == 0)
			len = ETH_HLEN + prandom_u32_state(&rs) %
			      (len - ETH_HLEN + 1);
		split = prandom_u32_state(&rs) % 2 ? ETH_HLEN +
			prandom_u32_state(&rs) % 16 : 0;
		if (split > len)
			split = 0;
		f->b[12] = ETH_P_NSH >> 8;
		f->b[13] = ETH_P_NSH & 0xff;

		skb = apsm_tf_skb(test, f, len, split);
		err = apsm_nsh_pop(skb, &ctx);
		if (err) {
			refused++;
			KUNIT_EXPECT_NE(test, ctx.reason, APSM_NSH_OK);
			KUNIT_EXPECT_LT(test, ctx.reason, __APSM_NSH_E_MAX);
			KUNIT_EXPECT_NE(test, apsm_nsh_reason_stat(ctx.reason), 0);
			KUNIT_EXPECT_EQ(test, skb->len, len - ETH_HLEN);
		} else {
			ok++;
			KUNIT_EXPECT_EQ(test, ctx.reason, APSM_NSH_OK);
			KUNIT_EXPECT_GE(test, ctx.n, 1);
			KUNIT_EXPECT_LE(test, ctx.n, APSM_PATH_MAX);
			KUNIT_EXPECT_LE(test, ctx.si, ctx.n);
			KUNIT_EXPECT_GE(test, ctx.ttl, 2);
			KUNIT_EXPECT_TRUE(test, ctx.dir == APSM_DIR_FORWARD ||
					  ctx.dir == APSM_DIR_RETURN);
			KUNIT_EXPECT_EQ(test, skb_mac_offset(skb), -ETH_HLEN);
		}
		kfree_skb(skb);
	}
	kunit_info(test, "fuzz: %u accepted, %u refused\n", ok, refused);
	KUNIT_EXPECT_GT(test, ok, 0U);
	KUNIT_EXPECT_GT(test, refused, 0U);
}

static void nsh_helpers_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx;
	struct sk_buff *skb, *clone;
	u8 *h;

	h = nsh_begin(f, 3, 5, 3);
	nsh_path(f, 9, APSM_DIR_FORWARD, 3, APSM_NSH_PATH_VLEN(3));
	nsh_end(f, h);
	skb = apsm_tf_skb(test, f, f->len, 0);
	/* a clone shares the data: the helpers must unshare, not scribble */
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);

	KUNIT_ASSERT_EQ(test, apsm_nsh_dec_ttl(skb), 0);	/* 3 -> 2 */
	KUNIT_ASSERT_EQ(test, apsm_nsh_set_si(skb, 1), 0);
	KUNIT_ASSERT_EQ(test, apsm_nsh_peek(skb, &ctx), 0);
	KUNIT_EXPECT_EQ(test, ctx.ttl, 2);
	KUNIT_EXPECT_EQ(test, ctx.si, 1);
	KUNIT_EXPECT_EQ(test, ctx.spi, 5);
	KUNIT_EXPECT_EQ(test, apsm_nsh_next_hop(&ctx), 0x1002);
	/* TTL 2 -> 1: sent on, and the next hop refuses it ... */
	KUNIT_EXPECT_EQ(test, apsm_nsh_dec_ttl(skb), 0);
	KUNIT_EXPECT_EQ(test, apsm_nsh_peek(skb, &ctx), -ELOOP);
	KUNIT_EXPECT_EQ(test, ctx.reason, APSM_NSH_E_TTL);
	/* ... and cannot take another hop */
	KUNIT_EXPECT_EQ(test, apsm_nsh_dec_ttl(skb), -ELOOP);
	KUNIT_ASSERT_EQ(test, apsm_nsh_set_outer(skb, outer_dst, outer_src), 0);
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(eth_hdr(skb)->h_dest,
						 outer_dst));
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(eth_hdr(skb)->h_source,
						 outer_src));

	/* the clone still sees the original bytes */
	KUNIT_ASSERT_EQ(test, apsm_nsh_peek(clone, &ctx), 0);
	KUNIT_EXPECT_EQ(test, ctx.ttl, 3);
	KUNIT_EXPECT_EQ(test, ctx.si, 3);
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(eth_hdr(clone)->h_dest,
						 apsm_tf_mac_b));
	kfree_skb(clone);
	kfree_skb(skb);

	/* SI = hops left: path[n - si], 0 when done */
	ctx3(&ctx);
	KUNIT_EXPECT_EQ(test, apsm_nsh_next_hop(&ctx), 0x100001);
	ctx.si = 1;
	KUNIT_EXPECT_EQ(test, apsm_nsh_next_hop(&ctx), 0x300003);
	ctx.si = 0;
	KUNIT_EXPECT_EQ(test, apsm_nsh_next_hop(&ctx), 0);
	ctx.si = 4;
	KUNIT_EXPECT_EQ(test, apsm_nsh_next_hop(&ctx), 0);

	KUNIT_EXPECT_EQ(test, apsm_nsh_reason_stat(APSM_NSH_E_TTL),
			APSM_STATS_A_DROP_TTL);
	KUNIT_EXPECT_EQ(test, apsm_nsh_reason_stat(APSM_NSH_E_NOMEM),
			APSM_STATS_A_DROP_NOMEM);
	KUNIT_EXPECT_EQ(test, apsm_nsh_reason_stat(APSM_NSH_E_MDTYPE),
			APSM_STATS_A_DROP_NSH_INVALID);
	KUNIT_EXPECT_EQ(test, apsm_nsh_reason_stat(APSM_NSH_E_SI),
			APSM_STATS_A_DROP_NSH_INVALID);
	KUNIT_EXPECT_EQ(test, apsm_nsh_reason_stat(APSM_NSH_OK), 0);
	KUNIT_EXPECT_STREQ(test, apsm_nsh_reason_str(999), "unknown");
}

static void nsh_push_invalid_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx;
	struct sk_buff *skb;
	unsigned int i;

	tcp4_frame(f, 10);
	skb = apsm_tf_skb(test, f, f->len, 0);
	for (i = 0; i < 7; i++) {
		ctx3(&ctx);
		switch (i) {
		case 0:
			ctx.n = 0;
			ctx.si = 0;
			break;
		case 1:
			ctx.n = APSM_PATH_MAX + 1;
			break;
		case 2:
			ctx.si = 4;
			break;
		case 3:
			ctx.spi = APSM_SPI_MAX + 1;
			break;
		case 4:
			ctx.ttl = 64;
			break;
		case 5:
			ctx.dir = 0;
			break;
		case 6:
			ctx.dir = APSM_DIR_RETURN + 1;
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test,
				    apsm_nsh_push(skb, &ctx, outer_dst,
						  outer_src),
				    -EINVAL, "case %u", i);
		KUNIT_EXPECT_EQ(test, skb->len, f->len - ETH_HLEN);
		KUNIT_EXPECT_EQ(test, skb->protocol, htons(ETH_P_IP));
	}
	/* data at the mac header is not the convention */
	ctx3(&ctx);
	skb_push(skb, ETH_HLEN);
	KUNIT_EXPECT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			-EINVAL);
	kfree_skb(skb);
}

/* One frame for tshark: text2pcap reads the "apsm-nsh-hex:" lines. */
static void nsh_hexdump_test(struct kunit *test)
{
	struct apsm_tf *f = apsm_tf_alloc(test);
	struct apsm_nsh_ctx ctx;
	struct sk_buff *skb;
	unsigned int len, off;
	struct udphdr *uh;
	struct iphdr *iph;
	u8 *bytes;

	f->len = 0;
	apsm_tf_eth(f, ETH_P_IP);
	iph = apsm_tf_ip4(f, 5, IPPROTO_UDP, A4, B4);
	uh = apsm_tf_udp(f, 40000, 40001);
	apsm_tf_payload(f, 12, 0x41);
	uh->len = htons(8 + 12);
	apsm_tf_ip4_done(f, iph);
	uh->check = csum_tcpudp_magic(A4, B4, 20, IPPROTO_UDP,
				      csum_partial(uh, 20, 0));

	ctx3(&ctx);
	ctx.si = 2;
	ctx.dir = APSM_DIR_RETURN;
	skb = apsm_tf_skb(test, f, f->len, 0);
	KUNIT_ASSERT_EQ(test, apsm_nsh_push(skb, &ctx, outer_dst, outer_src),
			0);
	bytes = frame_bytes(test, skb, &len);
	for (off = 0; off < len; off += 16)
		kunit_info(test, "apsm-nsh-hex: %06x %*ph\n", off,
			   (int)min(16U, len - off), bytes + off);
	kfree_skb(skb);
}

static struct kunit_case apsm_nsh_cases[] = {
	KUNIT_CASE(nsh_roundtrip_linear_test),
	KUNIT_CASE(nsh_roundtrip_paged_test),
	KUNIT_CASE(nsh_pop_paged_header_test),
	KUNIT_CASE(nsh_vlan_test),
	KUNIT_CASE(nsh_csum_complete_test),
	KUNIT_CASE(nsh_gso_test),
	KUNIT_CASE(nsh_fits_test),
	KUNIT_CASE(nsh_hostile_test),
	KUNIT_CASE(nsh_fuzz_test),
	KUNIT_CASE(nsh_helpers_test),
	KUNIT_CASE(nsh_push_invalid_test),
	KUNIT_CASE(nsh_hexdump_test),
	{}
};

static struct kunit_suite apsm_nsh_suite = {
	.name = "apsm_nsh",
	.test_cases = apsm_nsh_cases,
};

kunit_test_suite(apsm_nsh_suite);
