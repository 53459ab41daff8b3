/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Invariant fingerprints of packets in flight through a legacy NF
 * (proxy mode, Documentation/proxy.md).
 *
 * The fingerprint of a packet covers only what a NAT does not touch:
 * the L4 protocol, the IPv4 identification, the TCP sequence and
 * acknowledgement numbers and flags, the ICMP echo sequence number, the
 * L4 payload length and the first APSM_FPRINT_PAYLOAD bytes of the L4
 * payload. It leaves out addresses, ports (and the ICMP echo id), the IP
 * and L4 checksums, the TTL/hop limit, TOS/traffic class, IP flags and
 * TCP options and window. The fields are hashed with siphash under a
 * per-netns random key and also kept verbatim (but the payload), so two
 * fingerprints are equal only if the hash and the fields are.
 *
 * The table: one per proxy-mode instance, APSM_FPRINT_SETS sets of
 * APSM_FPRINT_WAYS entries, the set chosen by the hash. An entry maps a
 * fingerprint to the flow key the packet had when it was handed to the
 * NF. It is matchable for the table's lifetime (ttl) and remembered one
 * more lifetime, for collision detection only.
 *
 * Never a wrong flow: a fingerprint seen for two different flow keys
 * while remembered makes the entry ambiguous (counted as a collision;
 * lookups refuse it). Overwriting a remembered entry (table full; counted
 * as an eviction) taints its set until that entry would have been
 * forgotten: entries inserted there meanwhile are refused too, since the
 * lost entry might have collided with them. So a packet that comes back
 * within two lifetimes is either attached to the flow it was sent with or
 * not recovered at all.
 *
 * Readers (lookups) are lockless: a seqcount per set, retried. Writers
 * (inserts) take the set's spinlock. No allocation on the packet path.
 */
#ifndef _APSM_FPRINT_H
#define _APSM_FPRINT_H

#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/types.h>

#include "core/flowkey.h"

struct apsm_pkt_info;

#define APSM_FPRINT_PAYLOAD	64	/* L4 payload bytes hashed */
#define APSM_FPRINT_SETS	64
#define APSM_FPRINT_WAYS	8
#define APSM_FPRINT_SIZE	(APSM_FPRINT_SETS * APSM_FPRINT_WAYS)

/* The lifetime of an entry, ms: bounds (per instance; the default,
 * APSM_FPRINT_TTL_DEFAULT, is the config layer's: cfg/instance.h).
 */
#define APSM_FPRINT_TTL_MIN	10
#define APSM_FPRINT_TTL_MAX	10000

struct apsm_fprint {
	u64 hash;		/* siphash of everything below and the payload */
	u32 seq;		/* TCP seq; ICMP echo: sequence number */
	u32 ack;		/* TCP ack */
	u16 ip_id;		/* IPv4 identification; 0 for IPv6 */
	u16 plen;		/* L4 payload length */
	u8 proto;		/* L4 protocol */
	u8 flags;		/* TCP flags; ICMP: type */
	u8 pad[2];		/* zero */
};

static_assert(sizeof(struct apsm_fprint) == 24);

static inline bool apsm_fprint_equal(const struct apsm_fprint *a,
				     const struct apsm_fprint *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The fingerprint of the parsed packet @skb (@pi from apsm_parse_flow()
 * == APSM_PARSE_OK). -EOPNOTSUPP for what is not fingerprinted: ICMP
 * errors (a NAT rewrites the quoted header), fragments; -EINVAL for a
 * truncated L4 header.
 */
int apsm_fprint_compute(const siphash_key_t *key, const struct sk_buff *skb,
			const struct apsm_pkt_info *pi, struct apsm_fprint *fp);

/* Entry flags. */
#define APSM_FPE_USED		BIT(0)
#define APSM_FPE_AMBIGUOUS	BIT(1)	/* seen for two flows */
#define APSM_FPE_TAINTED	BIT(2)	/* inserted while its set lost one */

struct apsm_fprint_entry {
	struct apsm_fprint fp;
	struct apsm_flow_key key;	/* the flow as handed to the NF */
	unsigned long expires;		/* matchable until (jiffies) */
	unsigned long forget;		/* remembered until (jiffies) */
	u8 flags;
};

struct apsm_fprint_set {
	spinlock_t lock;		/* writers */
	seqcount_spinlock_t seq;	/* readers retry on it */
	unsigned long taint_until;	/* jiffies; under lock */
	struct apsm_fprint_entry e[APSM_FPRINT_WAYS];
};

struct apsm_fprint_table {
	atomic64_t inserts;
	atomic64_t evictions;		/* remembered entries overwritten */
	atomic64_t collisions;		/* one fingerprint, two flows */
	struct apsm_fprint_set sets[APSM_FPRINT_SETS];
};

struct apsm_fprint_table *apsm_fprint_table_alloc(gfp_t gfp);
void apsm_fprint_table_free(struct apsm_fprint_table *t);

/* Remember that the packet with fingerprint @fp was handed to the NF
 * with flow key @key; matchable for @ttl jiffies.
 */
void apsm_fprint_insert(struct apsm_fprint_table *t,
			const struct apsm_fprint *fp,
			const struct apsm_flow_key *key, unsigned long ttl);

/* The flow key the packet with fingerprint @fp was handed to the NF
 * with: 0 and @key filled; -ENOENT: not in the table (never seen, expired
 * or evicted); -EDEADLK: ambiguous or tainted, refused.
 */
int apsm_fprint_lookup(struct apsm_fprint_table *t,
		       const struct apsm_fprint *fp, struct apsm_flow_key *key);

struct apsm_fprint_counters {
	u64 entries;		/* matchable now */
	u64 inserts, evictions, collisions;
};

void apsm_fprint_read(struct apsm_fprint_table *t,
		      struct apsm_fprint_counters *c);

#endif /* _APSM_FPRINT_H */
