// SPDX-License-Identifier: GPL-2.0
/*
 * The flow key parser of the packet path: 802.1Q, IPv4, IPv6 extension
 * headers, TCP/UDP/UDP-Lite/SCTP/DCCP ports, ICMP/ICMPv6 echo ids and the
 * packets quoted by ICMP errors. Input is hostile: every read goes through
 * skb_header_pointer() within the bounds the headers themselves declare,
 * and every loop is bounded. What the key means: include/parse.h.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "dp/parse.h"

/* the 8 bytes every ICMP/ICMPv6 message starts with */
struct apsm_icmp_hdr {
	u8 type;
	u8 code;
	__be16 csum;
	__be16 id;		/* echo only */
	__be16 seq;
};

static bool apsm_icmp_is_echo(u8 proto, u8 type)
{
	if (proto == IPPROTO_ICMP)
		return type == ICMP_ECHO || type == ICMP_ECHOREPLY;
	return type == ICMPV6_ECHO_REQUEST || type == ICMPV6_ECHO_REPLY;
}

static bool apsm_icmp_is_error(u8 proto, u8 type)
{
	if (proto == IPPROTO_ICMP)
		return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
		       type == ICMP_PARAMETERPROB;
	return type == ICMPV6_DEST_UNREACH || type == ICMPV6_PKT_TOOBIG ||
	       type == ICMPV6_TIME_EXCEED || type == ICMPV6_PARAMPROB;
}

/* The ICMP flavour that belongs to the key's family, 0 if none. */
static u8 apsm_icmp_proto(const struct apsm_flow_key *key)
{
	if (key->family == AF_INET && key->proto == IPPROTO_ICMP)
		return IPPROTO_ICMP;
	if (key->family == AF_INET6 && key->proto == IPPROTO_ICMPV6)
		return IPPROTO_ICMPV6;
	return 0;
}

/* Fill key->sport/dport from the L4 header at @off, inside [@off, @end).
 * A quoted packet (inside an ICMP error) only guarantees its first 8 L4
 * bytes, so only those are required then. Protocols without ports keep 0.
 */
static int apsm_parse_ports(const struct sk_buff *skb, unsigned int off,
			    unsigned int end, bool quoted,
			    struct apsm_flow_key *key, u8 *icmp_type)
{
	unsigned int need;
	u8 icmp = apsm_icmp_proto(key);

	switch (key->proto) {
	case IPPROTO_TCP:
		need = quoted ? 8 : sizeof(struct tcphdr);
		break;
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		need = quoted ? 8 : 12;	/* common/generic header */
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		need = 8;
		break;
	default:
		if (!icmp)
			return APSM_PARSE_OK;	/* unknown L4: ports 0 */
		need = sizeof(struct apsm_icmp_hdr);
		break;
	}
	if (off > end || end - off < need)
		return APSM_PARSE_MALFORMED;

	if (icmp) {
		const struct apsm_icmp_hdr *ih;
		struct apsm_icmp_hdr _ih;

		ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
		if (!ih)
			return APSM_PARSE_MALFORMED;
		if (icmp_type)
			*icmp_type = ih->type;
		if (apsm_icmp_is_echo(icmp, ih->type))
			key->sport = ih->id;
		return APSM_PARSE_OK;
	}

	if (key->proto == IPPROTO_TCP && !quoted) {
		const struct tcphdr *th;
		struct tcphdr _th;

		th = skb_header_pointer(skb, off, sizeof(_th), &_th);
		if (!th || th->doff < sizeof(_th) / 4)
			return APSM_PARSE_MALFORMED;
		key->sport = th->source;
		key->dport = th->dest;
	} else {
		const __be16 *ports;
		__be16 _ports[2];

		ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
		if (!ports)
			return APSM_PARSE_MALFORMED;
		key->sport = ports[0];
		key->dport = ports[1];
	}
	return APSM_PARSE_OK;
}

/* Walk IPv6 extension headers from @*off (just after the fixed header or
 * the previous extension header), first next header @*proto, inside @end.
 * On APSM_PARSE_OK, @*off is the L4 header and @*proto its protocol; on
 * APSM_PARSE_FRAG (a non-first fragment) @*proto is the fragment's next
 * header. More than APSM_IPV6_EXTHDR_MAX extension headers is malformed.
 *
 * The per-header rules are the kernel's (ipv6_ext_hdr(), ipv6_optlen(),
 * ipv6_authlen(), struct frag_hdr); the walk is not ipv6_skip_exthdr():
 * that one has no header limit, walks to skb->len instead of the payload
 * length, and returns -1 both for a truncated header and for "no next
 * header" (Documentation/datapath.md, "IPv6 extension headers").
 */
static int apsm_ipv6_walk(const struct sk_buff *skb, unsigned int *off,
			  unsigned int end, u8 *proto, u8 *frag)
{
	unsigned int hops, len, o = *off;
	u8 nexthdr = *proto;

	for (hops = 0;; hops++) {
		const struct ipv6_opt_hdr *hp;
		struct frag_hdr _h;	/* 8 bytes, the smallest header */

		/* an upper layer, ESP or "no next header" (no payload) */
		if (!ipv6_ext_hdr(nexthdr) || nexthdr == NEXTHDR_NONE) {
			*off = o;
			*proto = nexthdr;
			return APSM_PARSE_OK;
		}
		if (hops == APSM_IPV6_EXTHDR_MAX)
			return APSM_PARSE_MALFORMED;
		/* every extension header is at least 8 bytes long */
		if (o > end || end - o < sizeof(_h))
			return APSM_PARSE_MALFORMED;
		hp = skb_header_pointer(skb, o, sizeof(_h), &_h);
		if (!hp)
			return APSM_PARSE_MALFORMED;

		if (nexthdr == NEXTHDR_FRAGMENT) {
			const struct frag_hdr *fh = (const struct frag_hdr *)hp;

			len = sizeof(*fh);
			if (fh->frag_off & htons(IP6_OFFSET)) {
				*frag = APSM_FRAG_LATER;
				*off = o + len;
				*proto = fh->nexthdr;
				return APSM_PARSE_FRAG;
			}
			/* offset 0: first fragment, or an atomic one */
			*frag = APSM_FRAG_FIRST;
		} else if (nexthdr == NEXTHDR_AUTH) {
			len = ipv6_authlen(hp);
		} else {
			len = ipv6_optlen(hp);
		}
		if (len > end - o)
			return APSM_PARSE_MALFORMED;
		nexthdr = hp->nexthdr;
		o += len;
	}
}

/* The packet quoted by an ICMP error at @off, inside @end: its key,
 * reversed, becomes the error's key (see include/parse.h).
 */
static int apsm_parse_quoted(const struct sk_buff *skb, unsigned int off,
			     unsigned int end, struct apsm_pkt_info *pi)
{
	struct apsm_flow_key q;
	u8 frag = APSM_FRAG_NONE;
	int ret;

	apsm_flow_key_zero(&q);
	q.family = pi->key.family;
	if (q.family == AF_INET) {
		const struct iphdr *iph;
		struct iphdr _iph;

		if (off > end || end - off < sizeof(_iph))
			return APSM_PARSE_MALFORMED;
		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->version != 4 || iph->ihl < 5 ||
		    iph->ihl * 4 > end - off)
			return APSM_PARSE_MALFORMED;
		q.src.s6_addr32[0] = iph->saddr;
		q.dst.s6_addr32[0] = iph->daddr;
		q.proto = iph->protocol;
		if (iph->frag_off & htons(IP_OFFSET))
			frag = APSM_FRAG_LATER;
		off += iph->ihl * 4;
	} else {
		const struct ipv6hdr *ip6;
		struct ipv6hdr _ip6;

		if (off > end || end - off < sizeof(_ip6))
			return APSM_PARSE_MALFORMED;
		ip6 = skb_header_pointer(skb, off, sizeof(_ip6), &_ip6);
		if (!ip6 || ip6->version != 6)
			return APSM_PARSE_MALFORMED;
		q.src = ip6->saddr;
		q.dst = ip6->daddr;
		q.proto = ip6->nexthdr;
		off += sizeof(_ip6);
		ret = apsm_ipv6_walk(skb, &off, end, &q.proto, &frag);
		if (ret == APSM_PARSE_MALFORMED)
			return ret;
	}

	/* a quoted non-first fragment has no ports: addresses only */
	if (frag != APSM_FRAG_LATER) {
		ret = apsm_parse_ports(skb, off, end, true, &q, NULL);
		if (ret != APSM_PARSE_OK)
			return ret;
	}
	apsm_flow_key_reverse(&pi->key, &q);
	pi->flags |= APSM_PI_ICMP_ERR;
	return APSM_PARSE_OK;
}

/* L4 of an outer packet: ports, echo id, or the quoted flow of an error. */
static int apsm_parse_l4(const struct sk_buff *skb, unsigned int off,
			 unsigned int end, struct apsm_pkt_info *pi)
{
	u8 icmp = apsm_icmp_proto(&pi->key);
	int ret;

	pi->l4_off = off;
	pi->l4_proto = pi->key.proto;
	ret = apsm_parse_ports(skb, off, end, false, &pi->key, &pi->icmp_type);
	if (ret != APSM_PARSE_OK || !icmp ||
	    !apsm_icmp_is_error(icmp, pi->icmp_type))
		return ret;
	return apsm_parse_quoted(skb, off + sizeof(struct apsm_icmp_hdr),
				 end, pi);
}

static int apsm_parse_ipv4(const struct sk_buff *skb, unsigned int off,
			   struct apsm_pkt_info *pi)
{
	const struct iphdr *iph;
	struct iphdr _iph;
	unsigned int ihl, tot;

	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		return APSM_PARSE_MALFORMED;
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	/* options inside the packet, the packet inside the skb (which may
	 * be longer: Ethernet padding)
	 */
	if (tot < ihl || tot > skb->len - off)
		return APSM_PARSE_MALFORMED;

	pi->key.family = AF_INET;
	pi->key.proto = iph->protocol;
	pi->key.src.s6_addr32[0] = iph->saddr;
	pi->key.dst.s6_addr32[0] = iph->daddr;
	pi->l3_end = off + tot;
	if (iph->frag_off & htons(IP_OFFSET)) {
		pi->frag = APSM_FRAG_LATER;
		pi->l4_off = off + ihl;
		pi->l4_proto = iph->protocol;
		return APSM_PARSE_FRAG;
	}
	if (iph->frag_off & htons(IP_MF))
		pi->frag = APSM_FRAG_FIRST;
	return apsm_parse_l4(skb, off + ihl, off + tot, pi);
}

static int apsm_parse_ipv6(const struct sk_buff *skb, unsigned int off,
			   struct apsm_pkt_info *pi)
{
	const struct ipv6hdr *ip6;
	struct ipv6hdr _ip6;
	unsigned int plen, end;
	u8 proto;
	int ret;

	ip6 = skb_header_pointer(skb, off, sizeof(_ip6), &_ip6);
	if (!ip6 || ip6->version != 6)
		return APSM_PARSE_MALFORMED;
	plen = ntohs(ip6->payload_len);
	if (!plen && (skb_is_gso(skb) || ip6->nexthdr == NEXTHDR_HOP)) {
		/* BIG TCP super-packet, or a jumbogram: the skb's length
		 * (the jumbo option itself is not checked)
		 */
		end = skb->len;
	} else {
		/* payload length 0 otherwise: an empty payload */
		if (plen > skb->len - off - sizeof(_ip6))
			return APSM_PARSE_MALFORMED;
		end = off + sizeof(_ip6) + plen;
	}

	pi->key.family = AF_INET6;
	pi->key.src = ip6->saddr;
	pi->key.dst = ip6->daddr;
	pi->l3_end = end;
	proto = ip6->nexthdr;
	off += sizeof(_ip6);
	ret = apsm_ipv6_walk(skb, &off, end, &proto, &pi->frag);
	pi->key.proto = proto;
	if (ret == APSM_PARSE_FRAG) {
		pi->l4_off = off;
		pi->l4_proto = proto;
	}
	if (ret != APSM_PARSE_OK)
		return ret;
	return apsm_parse_l4(skb, off, end, pi);
}

int apsm_parse_flow(struct sk_buff *skb, struct apsm_pkt_info *pi)
{
	__be16 proto = skb->protocol;
	unsigned int depth;
	int off;

	memset(pi, 0, sizeof(*pi));
	pi->vlan = APSM_VLAN_NONE;
	if (skb_vlan_tag_present(skb))
		pi->vlan = skb_vlan_tag_get_id(skb);

	off = skb_network_offset(skb);
	if (off < 0 || off > skb->len)
		return APSM_PARSE_MALFORMED;

	/* in-band tags: QinQ's inner one behind an offloaded outer one, or
	 * frames nobody untagged
	 */
	for (depth = 0; eth_type_vlan(proto); depth++) {
		const struct vlan_hdr *vh;
		struct vlan_hdr _vh;

		if (depth == APSM_VLAN_DEPTH_MAX)
			return APSM_PARSE_NONIP;
		vh = skb_header_pointer(skb, off, sizeof(_vh), &_vh);
		if (!vh)
			return APSM_PARSE_MALFORMED;
		if (pi->vlan == APSM_VLAN_NONE)
			pi->vlan = ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(_vh);
	}
	pi->l3_off = off;

	switch (proto) {
	case htons(ETH_P_IP):
		return apsm_parse_ipv4(skb, off, pi);
	case htons(ETH_P_IPV6):
		return apsm_parse_ipv6(skb, off, pi);
	default:
		return APSM_PARSE_NONIP;
	}
}
