/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frame and skb builders shared by the packet-path KUnit suites
 * (parse_test.c, nsh_test.c). Frames are built as bytes in a struct
 * apsm_tf, then turned into skbs the way a netdev ingress hook sees them.
 */
#ifndef _APSM_KUNIT_PKT_BUILD_H
#define _APSM_KUNIT_PKT_BUILD_H

#include <kunit/test.h>
#include <linux/etherdevice.h>
#include <linux/icmp.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>

#define APSM_TF_MAX	4096
#define APSM_TF_HEADROOM 128

struct apsm_tf {
	u8 b[APSM_TF_MAX];
	unsigned int len;
};

static const u8 apsm_tf_mac_a[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0a };
static const u8 apsm_tf_mac_b[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0b };

/* frames live on the heap (freed with the test): too big for the stack */
static inline struct apsm_tf *apsm_tf_alloc(struct kunit *test)
{
	struct apsm_tf *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	return f;
}

static inline void *apsm_tf_put(struct apsm_tf *f, unsigned int n)
{
	u8 *p = f->b + f->len;

	BUG_ON(f->len + n > APSM_TF_MAX);
	memset(p, 0, n);
	f->len += n;
	return p;
}

static inline void apsm_tf_eth(struct apsm_tf *f, u16 type)
{
	struct ethhdr *eth = apsm_tf_put(f, ETH_HLEN);

	ether_addr_copy(eth->h_dest, apsm_tf_mac_b);
	ether_addr_copy(eth->h_source, apsm_tf_mac_a);
	eth->h_proto = htons(type);
}

/* an in-band tag: the ethertype before it must be 0x8100/0x88a8 */
static inline void apsm_tf_vlan(struct apsm_tf *f, u16 vid, u16 inner)
{
	struct vlan_hdr *vh = apsm_tf_put(f, VLAN_HLEN);

	vh->h_vlan_TCI = htons(vid);
	vh->h_vlan_encapsulated_proto = htons(inner);
}

/* IPv4 header with @ihl words (options: NOPs); finish with _ip4_done() */
static inline struct iphdr *apsm_tf_ip4(struct apsm_tf *f, u8 ihl, u8 proto,
					__be32 s, __be32 d)
{
	struct iphdr *iph = apsm_tf_put(f, ihl * 4);

	if (ihl > 5)
		memset(iph + 1, IPOPT_NOOP, ihl * 4 - sizeof(*iph));
	iph->version = 4;
	iph->ihl = ihl;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = s;
	iph->daddr = d;
	return iph;
}

static inline void apsm_tf_ip4_done(struct apsm_tf *f, struct iphdr *iph)
{
	iph->tot_len = htons(f->b + f->len - (u8 *)iph);
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
}

static inline struct ipv6hdr *apsm_tf_ip6(struct apsm_tf *f, u8 nexthdr,
					  const struct in6_addr *s,
					  const struct in6_addr *d)
{
	struct ipv6hdr *ip6 = apsm_tf_put(f, sizeof(*ip6));

	ip6->version = 6;
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = 64;
	ip6->saddr = *s;
	ip6->daddr = *d;
	return ip6;
}

static inline void apsm_tf_ip6_done(struct apsm_tf *f, struct ipv6hdr *ip6)
{
	ip6->payload_len = htons(f->b + f->len - (u8 *)(ip6 + 1));
}

/* an 8-byte-unit extension header (hop-by-hop, routing, destination) */
static inline void apsm_tf_ip6_ext(struct apsm_tf *f, u8 nexthdr, u8 units)
{
	u8 *h = apsm_tf_put(f, (units + 1) * 8);

	h[0] = nexthdr;
	h[1] = units;
	if (units == 0) {	/* PadN over the other 6 bytes */
		h[2] = IPV6_TLV_PADN;
		h[3] = 4;
	}
}

static inline struct tcphdr *apsm_tf_tcp(struct apsm_tf *f, u16 sp, u16 dp)
{
	struct tcphdr *th = apsm_tf_put(f, sizeof(*th));

	th->source = htons(sp);
	th->dest = htons(dp);
	th->seq = htonl(1000);
	th->doff = 5;
	th->ack = 1;
	th->window = htons(1024);
	return th;
}

static inline struct udphdr *apsm_tf_udp(struct apsm_tf *f, u16 sp, u16 dp)
{
	struct udphdr *uh = apsm_tf_put(f, sizeof(*uh));

	uh->source = htons(sp);
	uh->dest = htons(dp);
	uh->len = htons(sizeof(*uh));
	return uh;
}

static inline void apsm_tf_icmp(struct apsm_tf *f, u8 type, u8 code, u16 id,
				u16 seq)
{
	struct icmphdr *ih = apsm_tf_put(f, sizeof(*ih));

	ih->type = type;
	ih->code = code;
	ih->un.echo.id = htons(id);
	ih->un.echo.sequence = htons(seq);
}

static inline void apsm_tf_payload(struct apsm_tf *f, unsigned int n, u8 seed)
{
	u8 *p = apsm_tf_put(f, n);
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = seed + i * 7;
}

/* The first @len bytes of @f as an skb in the ingress view (data at the
 * network header, mac header set, protocol from the Ethernet header).
 * Bytes [0, @split) are linear, the rest sits in one page fragment;
 * @split == 0: all linear. @split must cover the Ethernet header.
 */
static inline struct sk_buff *apsm_tf_skb(struct kunit *test,
					  const struct apsm_tf *f,
					  unsigned int len, unsigned int split)
{
	unsigned int lin = split && split < len ? split : len;
	struct sk_buff *skb;

	KUNIT_ASSERT_GE(test, lin, (unsigned int)ETH_HLEN);
	KUNIT_ASSERT_LE(test, len - lin, (unsigned int)PAGE_SIZE);
	skb = alloc_skb(APSM_TF_HEADROOM + lin, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, APSM_TF_HEADROOM);
	skb_put_data(skb, f->b, lin);
	if (len > lin) {
		struct page *page = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, page);
		memcpy(page_address(page), f->b + lin, len - lin);
		skb_add_rx_frag(skb, 0, page, 0, len - lin, PAGE_SIZE);
	}
	skb_reset_mac_header(skb);
	skb->protocol = ((const struct ethhdr *)f->b)->h_proto;
	__skb_pull(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	skb->mac_len = ETH_HLEN;
	return skb;
}

#endif /* _APSM_KUNIT_PKT_BUILD_H */
