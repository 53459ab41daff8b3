/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet parser: flow key, VLAN and header offsets of one frame, as
 * the netdev ingress hook sees it (skb->data at the network header,
 * skb->protocol set, skb_mac_header() valid; an 802.1Q tag either in
 * skb->vlan_tci or still in-band with skb->protocol = ETH_P_8021Q/AD and
 * the network header at the tag). Parsing starts at the network header,
 * reads through skb_header_pointer() only (linear or paged skbs alike) and
 * never changes the skb.
 *
 * What the key is (struct apsm_flow_key, include/flowkey.h):
 *  - TCP, UDP, UDP-Lite, SCTP, DCCP: addresses, protocol, ports.
 *  - ICMP/ICMPv6 echo request and reply: sport = identifier, dport = 0,
 *    so a request and its reply are each other's apsm_flow_key_reverse().
 *  - ICMP errors (v4: destination unreachable, time exceeded, parameter
 *    problem; v6: destination unreachable, packet too big, time exceeded,
 *    parameter problem): the key is the REVERSE of the quoted packet's
 *    key, protocol included. The quoted packet is one the flow sent, and
 *    the error travels back towards its sender, so the error gets the key
 *    of the flow's other direction and follows the same path as that
 *    direction's traffic (a NAT-ed flow's error hits the learned return
 *    entry). APSM_PI_ICMP_ERR is set; l4_off is the outer ICMP header.
 *  - Any other protocol (and ICMP types without an id): ports 0.
 *  - IPv4/IPv6 fragments: the first fragment (offset 0) is keyed by its
 *    5-tuple like an unfragmented packet (pi->frag = APSM_FRAG_FIRST).
 *    A later fragment carries no L4 header, so no 5-tuple can be built for
 *    it: the result is APSM_PARSE_FRAG with a key of addresses and
 *    protocol (ports 0), and the caller passes it untouched and counts it
 *    (APSM_STATS_A_PASS_FRAG). Steering it by a 3-tuple would send it to
 *    a different NF instance than its first fragment, and reassembling at
 *    the hook would make every node a reassembly buffer for hostile
 *    fragment floods. The limit: only the first fragment of a fragmented
 *    datagram goes through the chain; operators avoid IP fragmentation on
 *    steered traffic (MTU/MSS, PMTU discovery) — see Documentation/nsh.md.
 */
#ifndef _APSM_PARSE_H
#define _APSM_PARSE_H

#include <linux/skbuff.h>
#include <linux/types.h>

#include "core/flowkey.h"

enum apsm_parse_result {
	APSM_PARSE_OK = 0,	/* key valid */
	APSM_PARSE_NONIP,	/* not IPv4/IPv6 (ARP, LLDP, 3+ VLAN tags) */
	APSM_PARSE_FRAG,	/* a non-first fragment: key without ports */
	APSM_PARSE_MALFORMED,	/* truncated or inconsistent headers */
};

enum apsm_frag {
	APSM_FRAG_NONE = 0,
	APSM_FRAG_FIRST,	/* offset 0, more to come (or v6 atomic) */
	APSM_FRAG_LATER,	/* offset > 0: APSM_PARSE_FRAG */
};

#define APSM_VLAN_NONE		0xffff	/* pi->vlan of an untagged frame */
#define APSM_VLAN_DEPTH_MAX	2	/* in-band 802.1Q/802.1ad tags walked */
#define APSM_IPV6_EXTHDR_MAX	8	/* IPv6 extension headers walked */

#define APSM_PI_ICMP_ERR	BIT(0)	/* key is the quoted flow's reverse */

struct apsm_pkt_info {
	struct apsm_flow_key key;
	u32 l3_end;		/* end of the IP packet (total/payload length) */
	u16 vlan;		/* outermost VID, APSM_VLAN_NONE if none */
	u16 l3_off;		/* IP header, from skb->data */
	u16 l4_off;		/* L4 header (ICMP errors: the outer ICMP) */
	u8 l4_proto;		/* this packet's L4 protocol (ICMP for errors) */
	u8 frag;		/* enum apsm_frag */
	u8 flags;		/* APSM_PI_* */
	u8 icmp_type;		/* ICMP/ICMPv6 type, when l4_proto is one */
};

/* Fill @pi from @skb. Returns enum apsm_parse_result; @pi->key is only
 * meaningful for APSM_PARSE_OK and (addresses, protocol) APSM_PARSE_FRAG.
 */
int apsm_parse_flow(struct sk_buff *skb, struct apsm_pkt_info *pi);

#endif /* _APSM_PARSE_H */
