/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NSH (RFC 8300) encapsulation of whole Ethernet frames, MD type 2, with
 * one APSM path TLV. Wire format: Documentation/nsh.md.
 *
 * skb convention, the same for every function here, on entry and on return:
 * the "ingress view" of a netdev ingress hook. skb->data points at the
 * network header, i.e. just after the outermost Ethernet header;
 * skb_mac_header() is valid and skb->mac_len == ETH_HLEN.
 *
 *  - apsm_nsh_push() takes a plain frame in that view (an 802.1Q tag held
 *    in skb->vlan_tci is written into the inner frame) and returns the
 *    NSH frame in that view: mac header = outer Ethernet, network header =
 *    skb->data = NSH, skb->protocol = ETH_P_NSH. To transmit it, the caller
 *    does skb_push(skb, skb->mac_len) and dev_queue_xmit().
 *  - apsm_nsh_pop() takes an NSH frame in that view and returns the inner
 *    frame in that view, as if it had been received: mac header = inner
 *    Ethernet, skb->data = inner network header, skb->protocol = inner
 *    ethertype (an in-band 802.1Q tag stays in-band: skb_vlan_untag()
 *    turns it into skb->vlan_tci if the caller wants that).
 *
 * Checksums: CHECKSUM_COMPLETE sums keep covering exactly the bytes from
 * skb->data to the end (rcsum helpers); CHECKSUM_PARTIAL offsets are from
 * skb->head and stay valid. GSO skbs keep their gso_type, gso_size and
 * segment count: the NSH frame of a GSO skb is segmented on transmission
 * by the kernel's NSH GSO handler (nsh_gso_segment, net/nsh: nsh.ko on
 * Debian, CONFIG_NET_NSH=m). apsm.ko calls nsh_push()/nsh_pop() from that
 * module, so it cannot load without it and the handler is always there
 * (see Documentation/nsh.md, "GSO").
 */
#ifndef _APSM_NSH_H
#define _APSM_NSH_H

#include <linux/if_ether.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/apsm.h>
#include <net/nsh.h>

/* The base header, its fields and the MD type 2 context TLV header are the
 * kernel's (include/net/nsh.h: struct nshhdr, struct nsh_md2_tlv,
 * NSH_*_MASK, nsh_get_ttl() ...); push and pop are net/nsh's nsh_push()
 * and nsh_pop(), which makes apsm.ko depend on nsh.ko by symbol (see
 * Documentation/nsh.md, "GSO"). What follows is APSM's own.
 */
#define APSM_NSH_FLAG_O		0x2	/* O bit, in nsh_get_flags() (O U) */
#define APSM_NSH_TTL_MAX	(NSH_TTL_MASK >> NSH_TTL_SHIFT)	/* 63 */
#define APSM_NSH_TTL_DEFAULT	APSM_NSH_TTL_MAX
#define APSM_NSH_TLV_LEN_MASK	0x7f	/* nsh_md2_tlv.length: U(1) Length(7) */
/* IANA NSH MD Class registry, "Experimental" (0xFFF6-0xFFFE) */
#define APSM_NSH_MD_CLASS	0xfff6
#define APSM_NSH_TLV_PATH	0x01

#define APSM_NSH_TLV_HDR_LEN	4	/* sizeof(struct nsh_md2_tlv) */
#define APSM_NSH_PATH_FIXED	8	/* origin(4) dir(1) n(1) reserved(2) */
#define APSM_NSH_PATH_VLEN(n)	(APSM_NSH_PATH_FIXED + 4 * (n))
/* Whole NSH header with a path of @n hops (a multiple of 4) */
#define APSM_NSH_HDR_LEN(n)	(NSH_BASE_HDR_LEN + APSM_NSH_TLV_HDR_LEN + \
				 APSM_NSH_PATH_VLEN(n))
#define APSM_NSH_HDR_MAX	APSM_NSH_HDR_LEN(APSM_PATH_MAX)
/* What push adds to the frame: outer Ethernet + NSH */
#define APSM_NSH_OVERHEAD(n)	(ETH_HLEN + APSM_NSH_HDR_LEN(n))
#define APSM_NSH_OVERHEAD_MAX	APSM_NSH_OVERHEAD(APSM_PATH_MAX)

/* The NSH context of one packet. SI = hops left: the next hop is
 * path[n - si]; si == 0 means the chain is done.
 */
struct apsm_nsh_ctx {
	u32 spi;		/* 24 bit */
	u8 si;			/* 0..n */
	u8 ttl;			/* 1..63; 0 on push means the default (63) */
	u8 dir;			/* enum apsm_flow_dir */
	u8 n;			/* hops on the path, 1..APSM_PATH_MAX */
	u32 origin;		/* node that classified the flow */
	u32 path[APSM_PATH_MAX];	/* instance ids, traversal order */
	u8 reason;		/* out: enum apsm_nsh_reason of peek/pop */
};

/* Why apsm_nsh_peek()/apsm_nsh_pop() refused a frame (ctx->reason);
 * apsm_nsh_reason_stat() maps each to its APSM_STATS_A_DROP_* counter.
 */
enum apsm_nsh_reason {
	APSM_NSH_OK = 0,
	APSM_NSH_E_NOT_NSH,	/* skb->protocol is not ETH_P_NSH */
	APSM_NSH_E_TRUNCATED,	/* shorter than a header says */
	APSM_NSH_E_VERSION,	/* Ver != 0 */
	APSM_NSH_E_OAM,		/* O bit set: no OAM support */
	APSM_NSH_E_LENGTH,	/* Length below base + SPH, or no inner frame */
	APSM_NSH_E_MDTYPE,	/* MD type is not 2 */
	APSM_NSH_E_NEXT_PROTO,	/* NP is not Ethernet */
	APSM_NSH_E_TTL,		/* TTL 0 or 1: dies on this hop */
	APSM_NSH_E_TLV_OVERRUN,	/* a context TLV runs past Length */
	APSM_NSH_E_NO_PATH,	/* no APSM path TLV */
	APSM_NSH_E_DUP_PATH,	/* more than one APSM path TLV */
	APSM_NSH_E_PATH_LEN,	/* n == 0, n > APSM_PATH_MAX, TLV short for n */
	APSM_NSH_E_SI,		/* SI > n */
	APSM_NSH_E_DIR,		/* direction not forward/return */
	APSM_NSH_E_NOMEM,	/* could not linearise/unshare the header */
	__APSM_NSH_E_MAX
};

/* Encapsulate the plain frame @skb (ingress view, see above) in outer
 * Ethernet (@outer_dst, @outer_src, ETH_P_NSH) + NSH carrying @ctx.
 * Returns 0, -EINVAL for an invalid @ctx (n, si, spi, ttl, dir), -ENOMEM.
 * -EINVAL leaves the skb unchanged; after -ENOMEM its headers may be
 * partly pushed (only a failed headroom allocation fails in practice:
 * later steps find the room reserved). The caller still owns it either
 * way and drops it. Push itself is net/nsh's nsh_push(), the outer
 * header skb_eth_push().
 */
int apsm_nsh_push(struct sk_buff *skb, const struct apsm_nsh_ctx *ctx,
		  const u8 *outer_dst, const u8 *outer_src);

/* Validate the NSH frame @skb (hostile input) and fill @ctx without
 * changing the skb. Returns 0 or a negative errno with ctx->reason set:
 * -EPROTO (not NSH, version, OAM, MD type, next protocol), -ELOOP (TTL),
 * -EINVAL (everything else malformed).
 */
int apsm_nsh_peek(const struct sk_buff *skb, struct apsm_nsh_ctx *ctx);

/* apsm_nsh_peek(), then strip outer Ethernet + NSH: @skb becomes the inner
 * frame. Also -ENOMEM (reason NOMEM). On error the skb still holds the
 * NSH frame.
 */
int apsm_nsh_pop(struct sk_buff *skb, struct apsm_nsh_ctx *ctx);

/* In-place edits of an NSH frame that passed apsm_nsh_peek() (ingress
 * view). They keep CHECKSUM_COMPLETE valid and unshare a cloned header.
 *
 * apsm_nsh_dec_ttl(): one hop: -ELOOP if the TTL is 0 or 1 (drop and count
 * DROP_TTL), else TTL - 1.
 */
int apsm_nsh_dec_ttl(struct sk_buff *skb);
int apsm_nsh_set_si(struct sk_buff *skb, u8 si);
int apsm_nsh_set_outer(struct sk_buff *skb, const u8 *outer_dst,
		       const u8 *outer_src);

/* Does the NSH frame @skb (ingress view: skb->len is its Ethernet
 * payload, NSH included) fit a device of MTU @mtu? A GSO skb is checked per
 * segment (skb_gso_validate_network_len(): the transport header must be
 * the inner L4 header, as the classifier sets it; a GSO skb without one is
 * left to the device). See Documentation/nsh.md, "MTU".
 */
bool apsm_nsh_fits(const struct sk_buff *skb, unsigned int mtu);

/* The NSH frame @skb (valid, ingress view) does not fit a device of MTU
 * @mtu: tell the inner packet's source, as a router would, with ICMP
 * "fragmentation needed" (IPv4 with DF; without DF nothing is sent) or
 * ICMPv6 "packet too big", carrying the MTU left for the inner packet
 * (@mtu minus NSH, inner Ethernet and tag). Sent with icmp_ndo_send() /
 * icmpv6_ndo_send(), the senders for code outside the IP receive path
 * (no IP control block; a source NAT-ed by conntrack gets its error at
 * the original address). Works on a clone: @skb is not changed (but
 * cloned), the caller still drops and counts it. Best effort,
 * rate-limited by the stack's ICMP limits.
 */
void apsm_nsh_too_big(struct sk_buff *skb, unsigned int mtu);

/* The APSM_STATS_A_* counter for @reason: DROP_TTL, DROP_NOMEM or
 * DROP_NSH_INVALID (0 for APSM_NSH_OK).
 */
unsigned int apsm_nsh_reason_stat(unsigned int reason);
const char *apsm_nsh_reason_str(unsigned int reason);

/* The instance the packet goes to next, 0 when the chain is done (or the
 * context is inconsistent).
 */
static inline u32 apsm_nsh_next_hop(const struct apsm_nsh_ctx *ctx)
{
	if (!ctx->si || ctx->si > ctx->n || ctx->n > APSM_PATH_MAX)
		return 0;
	return ctx->path[ctx->n - ctx->si];
}

#endif /* _APSM_NSH_H */
