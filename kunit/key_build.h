/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow keys built by hand, for the KUnit suites that compare parsed or
 * reversed keys with expected ones (parse_test.c, learn_test.c). Ports
 * are given in host order.
 */
#ifndef _APSM_KUNIT_KEY_BUILD_H
#define _APSM_KUNIT_KEY_BUILD_H

#include <linux/in6.h>
#include <linux/socket.h>

#include "core/flowkey.h"

static inline void apsm_tk_key4(struct apsm_flow_key *k, __be32 s, __be32 d,
				u8 proto, u16 sp, u16 dp)
{
	apsm_flow_key_zero(k);
	k->family = AF_INET;
	k->proto = proto;
	k->src.s6_addr32[0] = s;
	k->dst.s6_addr32[0] = d;
	k->sport = htons(sp);
	k->dport = htons(dp);
}

static inline void apsm_tk_key6(struct apsm_flow_key *k,
				const struct in6_addr *s,
				const struct in6_addr *d, u8 proto, u16 sp,
				u16 dp)
{
	apsm_flow_key_zero(k);
	k->family = AF_INET6;
	k->proto = proto;
	k->src = *s;
	k->dst = *d;
	k->sport = htons(sp);
	k->dport = htons(dp);
}

#endif /* _APSM_KUNIT_KEY_BUILD_H */
