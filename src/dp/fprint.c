// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant fingerprints of packets in flight through legacy NFs, and the
 * per-instance table that maps them back to the flow (include/fprint.h,
 * Documentation/proxy.md).
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "dp/fprint.h"
#include "dp/parse.h"

/* What is hashed: the fields, then the payload prefix. */
struct apsm_fprint_buf {
	struct apsm_fprint f;		/* hash 0 */
	u8 payload[APSM_FPRINT_PAYLOAD];
} __aligned(8);

int apsm_fprint_compute(const siphash_key_t *key, const struct sk_buff *skb,
			const struct apsm_pkt_info *pi, struct apsm_fprint *fp)
{
	struct apsm_fprint_buf buf;
	unsigned int off, n;

	if (pi->flags & APSM_PI_ICMP_ERR || pi->frag == APSM_FRAG_LATER)
		return -EOPNOTSUPP;
	memset(&buf.f, 0, sizeof(buf.f));
	buf.f.proto = pi->l4_proto;

	if (pi->key.family == AF_INET) {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(skb, pi->l3_off, sizeof(_iph), &_iph);
		if (!iph)
			return -EINVAL;
		buf.f.ip_id = ntohs(iph->id);
	}

	off = pi->l4_off;
	switch (pi->l4_proto) {
	case IPPROTO_TCP: {
		const struct tcphdr *th;
		struct tcphdr _th;

		th = skb_header_pointer(skb, off, sizeof(_th), &_th);
		if (!th || th->doff < 5)
			return -EINVAL;
		buf.f.seq = ntohl(th->seq);
		buf.f.ack = ntohl(th->ack_seq);
		/* FIN SYN RST PSH ACK URG; not the ECN bits */
		buf.f.flags = ((const u8 *)th)[13] & 0x3f;
		off += th->doff * 4;
		break;
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		off += sizeof(struct udphdr);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		const struct icmphdr *ih;
		struct icmphdr _ih;

		/* echo: type, code, sequence; the id is the NAT's "port" */
		ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
		if (!ih)
			return -EINVAL;
		buf.f.flags = ih->type;
		buf.f.seq = (u32)ih->code << 16 | ntohs(ih->un.echo.sequence);
		off += sizeof(_ih);
		break;
	}
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		/* checksums/ports all over their headers: not supported */
		return -EOPNOTSUPP;
	default:
		/* everything after the IP header is payload */
		break;
	}
	if (off > pi->l3_end)
		return -EINVAL;
	n = pi->l3_end - off;
	buf.f.plen = min_t(unsigned int, n, U16_MAX);
	n = min_t(unsigned int, n, APSM_FPRINT_PAYLOAD);
	if (n && skb_copy_bits(skb, off, buf.payload, n))
		return -EINVAL;
	buf.f.hash = siphash(&buf, sizeof(buf.f) + n, key);
	*fp = buf.f;
	return 0;
}

struct apsm_fprint_table *apsm_fprint_table_alloc(gfp_t gfp)
{
	struct apsm_fprint_table *t = kvzalloc(sizeof(*t), gfp);
	unsigned long now = jiffies;
	unsigned int i;

	if (!t)
		return NULL;
	for (i = 0; i < APSM_FPRINT_SETS; i++) {
		struct apsm_fprint_set *s = &t->sets[i];

		spin_lock_init(&s->lock);
		seqcount_spinlock_init(&s->seq, &s->lock);
		s->taint_until = now;
	}
	return t;
}

void apsm_fprint_table_free(struct apsm_fprint_table *t)
{
	kvfree(t);
}

static struct apsm_fprint_set *apsm_fprint_set(struct apsm_fprint_table *t,
					       const struct apsm_fprint *fp)
{
	return &t->sets[(fp->hash >> 32) % APSM_FPRINT_SETS];
}

/* Set lock held. */
static bool apsm_fprint_remembered(const struct apsm_fprint_entry *e,
				   unsigned long now)
{
	return (e->flags & APSM_FPE_USED) && time_before(now, e->forget);
}

void apsm_fprint_insert(struct apsm_fprint_table *t,
			const struct apsm_fprint *fp,
			const struct apsm_flow_key *key, unsigned long ttl)
{
	struct apsm_fprint_set *s = apsm_fprint_set(t, fp);
	struct apsm_fprint_entry *e, *match = NULL, *free = NULL;
	struct apsm_fprint_entry *oldest = NULL;
	unsigned long now = jiffies;
	unsigned int i;

	spin_lock_bh(&s->lock);
	write_seqcount_begin(&s->seq);
	for (i = 0; i < APSM_FPRINT_WAYS; i++) {
		e = &s->e[i];
		if (!apsm_fprint_remembered(e, now)) {
			if (!free)
				free = e;
			continue;
		}
		if (apsm_fprint_equal(&e->fp, fp)) {
			match = e;
			break;
		}
		if (!oldest || time_before(e->forget, oldest->forget))
			oldest = e;
	}
	if (match) {
		/* the same packet again (a retransmission), or another
		 * flow's packet with the very same invariant fields
		 */
		if (!apsm_flow_key_equal(&match->key, key) &&
		    !(match->flags & APSM_FPE_AMBIGUOUS)) {
			match->flags |= APSM_FPE_AMBIGUOUS;
			atomic64_inc(&t->collisions);
		}
		match->expires = now + ttl;
		match->forget = now + 2 * ttl;
		goto out;
	}
	e = free;
	if (!e) {
		/* full of remembered entries: the oldest goes, and whatever
		 * collided with it can no longer be told apart until it
		 * would have been forgotten
		 */
		e = oldest;
		if (time_after(e->forget, s->taint_until))
			s->taint_until = e->forget;
		atomic64_inc(&t->evictions);
	}
	e->fp = *fp;
	e->key = *key;
	e->expires = now + ttl;
	e->forget = now + 2 * ttl;
	e->flags = APSM_FPE_USED;
	if (time_before(now, s->taint_until))
		e->flags |= APSM_FPE_TAINTED;
	atomic64_inc(&t->inserts);
out:
	write_seqcount_end(&s->seq);
	spin_unlock_bh(&s->lock);
}

int apsm_fprint_lookup(struct apsm_fprint_table *t,
		       const struct apsm_fprint *fp, struct apsm_flow_key *key)
{
	struct apsm_fprint_set *s = apsm_fprint_set(t, fp);
	unsigned long now = jiffies;
	unsigned int seq, i;
	int ret;

	do {
		seq = read_seqcount_begin(&s->seq);
		ret = -ENOENT;
		for (i = 0; i < APSM_FPRINT_WAYS; i++) {
			const struct apsm_fprint_entry *e = &s->e[i];
			/* racing a writer: the seqcount retries the read */
			u8 flags = data_race(e->flags);

			if (!(flags & APSM_FPE_USED) ||
			    !apsm_fprint_equal(&e->fp, fp))
				continue;
			/* expired: a forgotten one may linger in its slot;
			 * live ones are unique per fingerprint (insert)
			 */
			if (!time_before(now, e->expires))
				continue;
			if (flags & (APSM_FPE_AMBIGUOUS | APSM_FPE_TAINTED)) {
				ret = -EDEADLK;
				break;
			}
			*key = e->key;
			ret = 0;
			break;
		}
	} while (read_seqcount_retry(&s->seq, seq));
	return ret;
}

void apsm_fprint_read(struct apsm_fprint_table *t,
		      struct apsm_fprint_counters *c)
{
	unsigned long now = jiffies;
	unsigned int i, w;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < APSM_FPRINT_SETS; i++) {
		struct apsm_fprint_set *s = &t->sets[i];

		spin_lock_bh(&s->lock);
		for (w = 0; w < APSM_FPRINT_WAYS; w++)
			if ((s->e[w].flags & APSM_FPE_USED) &&
			    time_before(now, s->e[w].expires))
				c->entries++;
		spin_unlock_bh(&s->lock);
	}
	c->inserts = atomic64_read(&t->inserts);
	c->evictions = atomic64_read(&t->evictions);
	c->collisions = atomic64_read(&t->collisions);
}
