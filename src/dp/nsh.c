// SPDX-License-Identifier: GPL-2.0
/*
 * NSH (RFC 8300) push, pop and validation of APSM's MD type 2 header.
 * Every frame given to apsm_nsh_peek()/apsm_nsh_pop() is hostile: each
 * field is checked against the bytes actually present before it is used.
 * Wire format: Documentation/nsh.md; skb conventions: include/nsh.h.
 */
#include <linux/errno.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/skbuff.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/icmp.h>
#include <net/nsh.h>
#include <net/route.h>
#include <net/tun_proto.h>
#include <asm/unaligned.h>

#include "dp/nsh.h"

/* The base header (struct nshhdr) and the context TLV header (struct
 * nsh_md2_tlv) are the kernel's, include/net/nsh.h. The value of APSM's
 * path TLV, big endian: this fixed part, then n instance ids.
 */
struct apsm_nsh_path_fixed {
	__be32 origin;
	u8 dir;
	u8 n;
	__be16 reserved;	/* zero on push, ignored on receive */
} __packed;

static_assert(offsetof(struct nshhdr, md2) == NSH_BASE_HDR_LEN);
static_assert(sizeof(struct nsh_md2_tlv) == APSM_NSH_TLV_HDR_LEN);
static_assert(sizeof(struct apsm_nsh_path_fixed) == APSM_NSH_PATH_FIXED);
/* The whole header must fit the 6-bit Length field (words). */
static_assert(APSM_NSH_HDR_MAX / 4 <= (NSH_LEN_MASK >> NSH_LEN_SHIFT));
static_assert(APSM_NSH_HDR_MAX <= NSH_HDR_MAX_LEN);
static_assert(APSM_NSH_PATH_VLEN(APSM_PATH_MAX) <= APSM_NSH_TLV_LEN_MASK);

static const char *const apsm_nsh_reason_names[__APSM_NSH_E_MAX] = {
	[APSM_NSH_OK]		 = "ok",
	[APSM_NSH_E_NOT_NSH]	 = "not nsh",
	[APSM_NSH_E_TRUNCATED]	 = "truncated",
	[APSM_NSH_E_VERSION]	 = "version",
	[APSM_NSH_E_OAM]	 = "oam",
	[APSM_NSH_E_LENGTH]	 = "length",
	[APSM_NSH_E_MDTYPE]	 = "md type",
	[APSM_NSH_E_NEXT_PROTO]	 = "next protocol",
	[APSM_NSH_E_TTL]	 = "ttl",
	[APSM_NSH_E_TLV_OVERRUN] = "tlv overrun",
	[APSM_NSH_E_NO_PATH]	 = "no path tlv",
	[APSM_NSH_E_DUP_PATH]	 = "duplicate path tlv",
	[APSM_NSH_E_PATH_LEN]	 = "path length",
	[APSM_NSH_E_SI]		 = "si beyond path",
	[APSM_NSH_E_DIR]	 = "direction",
	[APSM_NSH_E_NOMEM]	 = "no memory",
};

const char *apsm_nsh_reason_str(unsigned int reason)
{
	if (reason >= __APSM_NSH_E_MAX)
		return "unknown";
	return apsm_nsh_reason_names[reason];
}

unsigned int apsm_nsh_reason_stat(unsigned int reason)
{
	switch (reason) {
	case APSM_NSH_OK:
		return 0;
	case APSM_NSH_E_TTL:
		return APSM_STATS_A_DROP_TTL;
	case APSM_NSH_E_NOMEM:
		return APSM_STATS_A_DROP_NOMEM;
	default:
		return APSM_STATS_A_DROP_NSH_INVALID;
	}
}

static int apsm_nsh_fail(struct apsm_nsh_ctx *ctx, enum apsm_nsh_reason r)
{
	ctx->reason = r;
	switch (r) {
	case APSM_NSH_E_NOT_NSH:
	case APSM_NSH_E_VERSION:
	case APSM_NSH_E_OAM:
	case APSM_NSH_E_MDTYPE:
	case APSM_NSH_E_NEXT_PROTO:
		return -EPROTO;
	case APSM_NSH_E_TTL:
		return -ELOOP;
	case APSM_NSH_E_NOMEM:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

static bool apsm_nsh_dir_valid(u8 dir)
{
	return dir == APSM_DIR_FORWARD || dir == APSM_DIR_RETURN;
}

/* The APSM path TLV whose value starts at @off, @vlen bytes. */
static int apsm_nsh_parse_path(const struct sk_buff *skb, unsigned int off,
			       unsigned int vlen, struct apsm_nsh_ctx *ctx)
{
	struct apsm_nsh_path_fixed _pf;
	const struct apsm_nsh_path_fixed *pf;
	__be32 _ids[APSM_PATH_MAX];
	const __be32 *ids;
	unsigned int i;

	if (vlen < APSM_NSH_PATH_FIXED)
		return apsm_nsh_fail(ctx, APSM_NSH_E_PATH_LEN);
	pf = skb_header_pointer(skb, off, sizeof(_pf), &_pf);
	if (!pf)
		return apsm_nsh_fail(ctx, APSM_NSH_E_TRUNCATED);
	if (!pf->n || pf->n > APSM_PATH_MAX ||
	    vlen < APSM_NSH_PATH_VLEN(pf->n))
		return apsm_nsh_fail(ctx, APSM_NSH_E_PATH_LEN);
	if (!apsm_nsh_dir_valid(pf->dir))
		return apsm_nsh_fail(ctx, APSM_NSH_E_DIR);
	ids = skb_header_pointer(skb, off + sizeof(_pf),
				 pf->n * sizeof(__be32), _ids);
	if (!ids)
		return apsm_nsh_fail(ctx, APSM_NSH_E_TRUNCATED);

	ctx->origin = be32_to_cpu(pf->origin);
	ctx->dir = pf->dir;
	ctx->n = pf->n;
	for (i = 0; i < pf->n; i++)
		ctx->path[i] = be32_to_cpu(ids[i]);
	return 0;
}

/* Validate the NSH frame at skb->data; fill @ctx and the header length. */
static int apsm_nsh_parse(const struct sk_buff *skb, struct apsm_nsh_ctx *ctx,
			  unsigned int *hlenp)
{
	const struct nshhdr *nh;
	struct nshhdr _nh;
	unsigned int hlen, off;
	bool have_path = false;
	u32 sph;
	u8 ttl;
	int err;

	memset(ctx, 0, sizeof(*ctx));
	if (skb->protocol != htons(ETH_P_NSH))
		return apsm_nsh_fail(ctx, APSM_NSH_E_NOT_NSH);
	/* the base header only: struct nshhdr also spans the MD1 context */
	nh = skb_header_pointer(skb, 0, NSH_BASE_HDR_LEN, &_nh);
	if (!nh)
		return apsm_nsh_fail(ctx, APSM_NSH_E_TRUNCATED);

	if (nsh_get_ver(nh))
		return apsm_nsh_fail(ctx, APSM_NSH_E_VERSION);
	if (nsh_get_flags(nh) & APSM_NSH_FLAG_O)
		return apsm_nsh_fail(ctx, APSM_NSH_E_OAM);
	if ((nh->mdtype & NSH_MDTYPE_MASK) != NSH_M_TYPE2)
		return apsm_nsh_fail(ctx, APSM_NSH_E_MDTYPE);
	if (nh->np != TUN_P_ETHERNET)
		return apsm_nsh_fail(ctx, APSM_NSH_E_NEXT_PROTO);
	hlen = nsh_hdr_len(nh);
	if (hlen < NSH_BASE_HDR_LEN)
		return apsm_nsh_fail(ctx, APSM_NSH_E_LENGTH);
	/* the header, then at least an inner Ethernet header */
	if (skb->len < hlen + ETH_HLEN)
		return apsm_nsh_fail(ctx, skb->len < hlen ?
				     APSM_NSH_E_TRUNCATED : APSM_NSH_E_LENGTH);
	ttl = nsh_get_ttl(nh);
	sph = be32_to_cpu(nh->path_hdr);

	/* Context TLVs: each a 4-byte header and its value padded to 4
	 * bytes, all inside Length. Unknown ones are skipped; the walk ends
	 * after at most (252 - 8) / 4 TLVs.
	 */
	for (off = NSH_BASE_HDR_LEN; off < hlen;) {
		const struct nsh_md2_tlv *tlv;
		struct nsh_md2_tlv _tlv;
		unsigned int vlen, tlen;

		if (hlen - off < APSM_NSH_TLV_HDR_LEN)
			return apsm_nsh_fail(ctx, APSM_NSH_E_TLV_OVERRUN);
		tlv = skb_header_pointer(skb, off, sizeof(_tlv), &_tlv);
		if (!tlv)
			return apsm_nsh_fail(ctx, APSM_NSH_E_TRUNCATED);
		vlen = tlv->length & APSM_NSH_TLV_LEN_MASK;
		tlen = APSM_NSH_TLV_HDR_LEN + round_up(vlen, 4);
		if (tlen > hlen - off)
			return apsm_nsh_fail(ctx, APSM_NSH_E_TLV_OVERRUN);
		if (be16_to_cpu(tlv->md_class) == APSM_NSH_MD_CLASS &&
		    tlv->type == APSM_NSH_TLV_PATH) {
			if (have_path)
				return apsm_nsh_fail(ctx, APSM_NSH_E_DUP_PATH);
			err = apsm_nsh_parse_path(skb,
						  off + APSM_NSH_TLV_HDR_LEN,
						  vlen, ctx);
			if (err)
				return err;
			have_path = true;
		}
		off += tlen;
	}
	if (!have_path)
		return apsm_nsh_fail(ctx, APSM_NSH_E_NO_PATH);

	ctx->spi = (sph & NSH_SPI_MASK) >> NSH_SPI_SHIFT;
	ctx->si = (sph & NSH_SI_MASK) >> NSH_SI_SHIFT;
	ctx->ttl = ttl;
	if (ctx->si > ctx->n)
		return apsm_nsh_fail(ctx, APSM_NSH_E_SI);
	/* Last: a well-formed frame that would die on this hop (a loop). */
	if (ttl <= 1)
		return apsm_nsh_fail(ctx, APSM_NSH_E_TTL);

	*hlenp = hlen;
	ctx->reason = APSM_NSH_OK;
	return 0;
}

int apsm_nsh_peek(const struct sk_buff *skb, struct apsm_nsh_ctx *ctx)
{
	unsigned int hlen;

	return apsm_nsh_parse(skb, ctx, &hlen);
}

int apsm_nsh_pop(struct sk_buff *skb, struct apsm_nsh_ctx *ctx)
{
	unsigned int hlen;
	__be16 proto;
	int err;

	err = apsm_nsh_parse(skb, ctx, &hlen);
	if (err)
		return err;
	/* parse saw hlen + ETH_HLEN bytes: failing here is allocation */
	if (!pskb_may_pull(skb, hlen + ETH_HLEN))
		return apsm_nsh_fail(ctx, APSM_NSH_E_NOMEM);
	/* net/nsh: pulls the NSH header (rcsum), mac header = network
	 * header = the inner Ethernet header, mac_len 0, protocol ETH_P_TEB;
	 * what parse accepted it takes, it changes nothing when it fails
	 */
	if (nsh_pop(skb))
		return apsm_nsh_fail(ctx, APSM_NSH_E_NOMEM);

	/* the inner frame as if received: data after its Ethernet header */
	proto = eth_hdr(skb)->h_proto;
	skb_pull_rcsum(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	skb->mac_len = ETH_HLEN;
	skb->protocol = eth_proto_is_802_3(proto) ? proto : htons(ETH_P_802_2);
	/* a tag offloaded from the outer header belonged to the fabric */
	__vlan_hwaccel_clear_tag(skb);
	return 0;
}

/* The NSH header of @ctx, @hlen bytes, into @nh (zeroed by the caller). */
static void apsm_nsh_build(struct nshhdr *nh, unsigned int hlen,
			   const struct apsm_nsh_ctx *ctx, u8 ttl)
{
	struct nsh_md2_tlv *tlv = &nh->md2;
	struct apsm_nsh_path_fixed *pf = (void *)tlv->md_value;
	__be32 *ids = (__be32 *)(pf + 1);
	unsigned int i;

	nsh_set_flags_ttl_len(nh, 0, ttl, hlen);
	nh->mdtype = NSH_M_TYPE2;
	nh->np = TUN_P_ETHERNET;	/* nsh_push() sets it again */
	nh->path_hdr = cpu_to_be32(ctx->spi << NSH_SPI_SHIFT |
				   ctx->si << NSH_SI_SHIFT);
	tlv->md_class = cpu_to_be16(APSM_NSH_MD_CLASS);
	tlv->type = APSM_NSH_TLV_PATH;
	tlv->length = APSM_NSH_PATH_VLEN(ctx->n);
	pf->origin = cpu_to_be32(ctx->origin);
	pf->dir = ctx->dir;
	pf->n = ctx->n;
	pf->reserved = 0;
	for (i = 0; i < ctx->n; i++)
		put_unaligned_be32(ctx->path[i], &ids[i]);
}

int apsm_nsh_push(struct sk_buff *skb, const struct apsm_nsh_ctx *ctx,
		  const u8 *outer_dst, const u8 *outer_src)
{
	union {
		struct nshhdr nh;
		u8 bytes[APSM_NSH_HDR_MAX];
	} hdr;
	u8 ttl = ctx->ttl ?: APSM_NSH_TTL_DEFAULT;
	unsigned int hlen, inner_mac, room;
	bool tagged = skb_vlan_tag_present(skb);

	if (!ctx->n || ctx->n > APSM_PATH_MAX || ctx->si > ctx->n ||
	    ctx->spi > APSM_SPI_MAX || ttl > APSM_NSH_TTL_MAX ||
	    !apsm_nsh_dir_valid(ctx->dir))
		return -EINVAL;
	/* the inner frame starts at the mac header, before skb->data */
	if (!skb_mac_header_was_set(skb) || skb_mac_offset(skb) > -ETH_HLEN)
		return -EINVAL;
	inner_mac = -skb_mac_offset(skb);
	hlen = APSM_NSH_HDR_LEN(ctx->n);

	/* One headroom check for everything pushed below, so the kernel
	 * helpers' own skb_cow_head() calls find the room and cannot fail;
	 * it also unshares a cloned header before we write into it.
	 */
	room = inner_mac + (tagged ? VLAN_HLEN : 0) + hlen + ETH_HLEN;
	if (skb_cow_head(skb, room))
		return -ENOMEM;

	/* The inner frame: its Ethernet header back in front of the data. */
	__skb_push(skb, inner_mac);
	skb_postpush_rcsum(skb, skb->data, inner_mac);

	/* An offloaded tag is part of the original frame: write it in-band
	 * after the MACs, or it would tag the outer header on transmission.
	 * The 12 MAC bytes move by 4 (an even offset): the sum changes by
	 * the tag alone.
	 */
	if (tagged) {
		struct vlan_ethhdr *veth;

		skb_reset_mac_header(skb);
		if (__vlan_insert_tag(skb, skb->vlan_proto,
				      skb_vlan_tag_get(skb)))
			return -ENOMEM;
		veth = (struct vlan_ethhdr *)skb->data;
		skb_postpush_rcsum(skb, &veth->h_vlan_proto, VLAN_HLEN);
		__vlan_hwaccel_clear_tag(skb);
	}

	/* net/nsh's push: NP Ethernet since mac_len != 0 (the inner
	 * Ethernet header); afterwards mac header = network header = NSH,
	 * protocol ETH_P_NSH
	 */
	skb_reset_mac_header(skb);
	skb->mac_len = inner_mac + (tagged ? VLAN_HLEN : 0);
	memset(&hdr, 0, sizeof(hdr));
	apsm_nsh_build(&hdr.nh, hlen, ctx, ttl);
	if (nsh_push(skb, &hdr.nh))
		return -ENOMEM;

	/* The outer Ethernet header, then data back at NSH (ingress view). */
	if (skb_eth_push(skb, outer_dst, outer_src))
		return -ENOMEM;
	skb_pull_rcsum(skb, ETH_HLEN);
	return 0;
}

bool apsm_nsh_fits(const struct sk_buff *skb, unsigned int mtu)
{
	if (!skb_is_gso(skb))
		return skb->len <= mtu;
	if (!skb_transport_header_was_set(skb) ||
	    skb_transport_header(skb) <= skb_network_header(skb) ||
	    skb_transport_offset(skb) + (int)sizeof(struct tcphdr) >
	    (int)skb_headlen(skb))
		return true;	/* tcp_hdrlen() reads the linear header */
	return skb_gso_validate_network_len(skb, mtu);
}

void apsm_nsh_too_big(struct sk_buff *skb, unsigned int mtu)
{
	struct apsm_nsh_ctx ctx;
	struct sk_buff *c;
	unsigned int overhead;

	c = skb_clone(skb, GFP_ATOMIC);
	if (!c)
		return;
	if (apsm_nsh_pop(c, &ctx))
		goto out;
	if (eth_type_vlan(c->protocol)) {
		c = skb_vlan_untag(c);	/* frees it on failure */
		if (!c)
			return;
	}
	overhead = skb->len - c->len;	/* NSH + inner Ethernet (+ tag) */
	if (mtu <= overhead)
		goto out;
	mtu -= overhead;
	/* as if the stack had just received it: no IP control block yet
	 * (the *_ndo_send() variants below do not read one either)
	 */
	memset(c->cb, 0, sizeof(c->cb));
	c->pkt_type = PACKET_HOST;
	skb_reset_network_header(c);
	if (c->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph;

		if (!pskb_may_pull(c, sizeof(*iph)))
			goto out;
		iph = ip_hdr(c);
		if (iph->version != 4 || !(iph->frag_off & htons(IP_DF)))
			goto out;
		/* the ICMP sender needs the route the packet would take */
		if (ip_route_input_noref(c, iph->daddr, iph->saddr, iph->tos,
					 c->dev))
			goto out;
		icmp_ndo_send(c, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      htonl(mtu));
	} else if (IS_ENABLED(CONFIG_IPV6) &&
		   c->protocol == htons(ETH_P_IPV6)) {
		if (!pskb_may_pull(c, sizeof(struct ipv6hdr)))
			goto out;
		icmpv6_ndo_send(c, ICMPV6_PKT_TOOBIG, 0, mtu);
	}
out:
	kfree_skb(c);
}

int apsm_nsh_dec_ttl(struct sk_buff *skb)
{
	struct nshhdr *nh;
	u8 ttl;

	if (skb_ensure_writable(skb, NSH_BASE_HDR_LEN))
		return -ENOMEM;
	nh = (struct nshhdr *)skb->data;
	ttl = nsh_get_ttl(nh);
	if (ttl <= 1)
		return -ELOOP;
	/* keep a CHECKSUM_COMPLETE sum right: out with the old word, in
	 * with the new
	 */
	skb_postpull_rcsum(skb, &nh->ver_flags_ttl_len, 2);
	nsh_set_flags_and_ttl(nh, nsh_get_flags(nh), ttl - 1);
	skb_postpush_rcsum(skb, &nh->ver_flags_ttl_len, 2);
	return 0;
}

int apsm_nsh_set_si(struct sk_buff *skb, u8 si)
{
	struct nshhdr *nh;

	if (skb_ensure_writable(skb, NSH_BASE_HDR_LEN))
		return -ENOMEM;
	nh = (struct nshhdr *)skb->data;
	skb_postpull_rcsum(skb, &nh->path_hdr, sizeof(nh->path_hdr));
	nh->path_hdr = (nh->path_hdr & ~htonl(NSH_SI_MASK)) |
		       htonl(si << NSH_SI_SHIFT);
	skb_postpush_rcsum(skb, &nh->path_hdr, sizeof(nh->path_hdr));
	return 0;
}

int apsm_nsh_set_outer(struct sk_buff *skb, const u8 *outer_dst,
		       const u8 *outer_src)
{
	struct ethhdr *eth;

	if (!skb_mac_header_was_set(skb) || skb_mac_offset(skb) != -ETH_HLEN)
		return -EINVAL;
	/* the mac header is headroom: unshare it if the header is cloned */
	if (skb_cow_head(skb, 0))
		return -ENOMEM;
	eth = eth_hdr(skb);
	ether_addr_copy(eth->h_dest, outer_dst);
	ether_addr_copy(eth->h_source, outer_src);
	return 0;
}
