/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow key: what identifies one direction of a flow, in the RDS and on
 * the packet path. Shared by the packet parser, the RDS and the policy
 * table.
 *
 * The layout has no implicit padding and every byte of it is defined
 * (IPv4 addresses sit in the first 4 bytes of the in6_addr, the other 12
 * are zero; pad is zero), so keys compare with memcmp() and hash with
 * jhash2(). Build keys with apsm_flow_key_zero() first, or memset them.
 */
#ifndef _APSM_FLOWKEY_H
#define _APSM_FLOWKEY_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/types.h>

struct apsm_flow_key {
	struct in6_addr src;
	struct in6_addr dst;
	__be16 sport;		/* ICMP echo: identifier */
	__be16 dport;		/* ICMP echo: 0 */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* IPPROTO_* */
	u8 pad[2];		/* always zero */
} __aligned(4);

static_assert(sizeof(struct apsm_flow_key) == 40);
static_assert(sizeof(struct apsm_flow_key) % sizeof(u32) == 0);

#define APSM_FLOW_KEY_WORDS (sizeof(struct apsm_flow_key) / sizeof(u32))

/* Address length on the wire for @family, 0 if not AF_INET/AF_INET6. */
static inline unsigned int apsm_family_addr_len(u8 family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

static inline void apsm_flow_key_zero(struct apsm_flow_key *k)
{
	memset(k, 0, sizeof(*k));
}

static inline bool apsm_flow_key_equal(const struct apsm_flow_key *a,
				       const struct apsm_flow_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static inline bool apsm_proto_is_icmp(u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* The key of the opposite direction: addresses and ports swapped. ICMP
 * keys carry (echo id, 0) in (sport, dport), and a reply carries the same
 * id, so only the addresses swap.
 */
static inline void apsm_flow_key_reverse(struct apsm_flow_key *rev,
					 const struct apsm_flow_key *k)
{
	struct apsm_flow_key tmp = *k;

	tmp.src = k->dst;
	tmp.dst = k->src;
	if (!apsm_proto_is_icmp(k->proto)) {
		tmp.sport = k->dport;
		tmp.dport = k->sport;
	}
	*rev = tmp;
}

static inline u32 apsm_flow_key_hash(const struct apsm_flow_key *k, u32 seed)
{
	return jhash2((const u32 *)k, APSM_FLOW_KEY_WORDS, seed);
}

/* Longest output of apsm_flow_key_format(), NUL included:
 * "proto 255 [" v6 "]:65535 > [" v6 "]:65535"
 */
#define APSM_FLOW_KEY_STRLEN 112

/* "tcp 192.0.2.1:1234 > 198.51.100.2:80", "udp [2001:db8::1]:53 > ..." */
static inline int apsm_flow_key_format(char *buf, size_t len,
				       const struct apsm_flow_key *k)
{
	char proto[12];

	switch (k->proto) {
	case IPPROTO_TCP:
		strscpy(proto, "tcp", sizeof(proto));
		break;
	case IPPROTO_UDP:
		strscpy(proto, "udp", sizeof(proto));
		break;
	case IPPROTO_ICMP:
		strscpy(proto, "icmp", sizeof(proto));
		break;
	case IPPROTO_ICMPV6:
		strscpy(proto, "icmpv6", sizeof(proto));
		break;
	default:
		snprintf(proto, sizeof(proto), "proto %u", k->proto);
		break;
	}
	if (k->family == AF_INET)
		return scnprintf(buf, len, "%s %pI4:%u > %pI4:%u", proto,
				 &k->src.s6_addr32[0], ntohs(k->sport),
				 &k->dst.s6_addr32[0], ntohs(k->dport));
	return scnprintf(buf, len, "%s [%pI6c]:%u > [%pI6c]:%u", proto,
			 &k->src, ntohs(k->sport), &k->dst, ntohs(k->dport));
}

#endif /* _APSM_FLOWKEY_H */
