// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's RDS replication.
 *
 *  - push: every entry the kernel notifies (new or del) is packed into the
 *    current BATCH, sent when full and when the netlink socket is drained:
 *    to every peer, or (gossip, cluster above GossipThreshold) to
 *    GossipFanout random live peers with TTL GossipTTL; receivers relay
 *    entries they had not seen (bounded seen set of entry hashes) to
 *    GossipFanout others with TTL - 1.
 *  - anti-entropy: every AntiEntropyInterval a DIGEST (per key-hash bucket
 *    the sum of entry hashes) goes to a random live peer; the receiver
 *    sends its entries of the differing buckets back and PULLs the same
 *    buckets, so both sides end up with the winner of every entry (the
 *    kernel keeps the newer version; tie: higher origin).
 *  - tombstones: deletes are remembered (bounded, TombstoneTTL) so that
 *    anti-entropy does not resurrect a deleted entry from a peer that
 *    missed the delete: such an entry is answered with the delete.
 *  - snapshot: a starting node PULLs everything from a ready peer and
 *    reports ready on the SNAP_END datagram (or alone after
 *    SnapshotTimeout when no ready peer answers).
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "inv.h"
#include "kern.h"
#include "peer.h"
#include "sync.h"

#define FLOWS_PER_DGRAM		(APSMD_DGRAM_MAX / 36 + 1)
#define SEEN_SLOTS		65536
#define TOMB_SLOTS		16384
#define TOMB_TTL_MIN_MS		30000

static const struct apsmd_conf *conf;
static const struct sync_ops *ops;
static bool ready;		/* holds a full RDS (snapshot or alone) */
static uint64_t start_ms, snap_asked_ms;
static uint32_t snap_from;
static struct apsmd_wbuf pw;	/* local push */
static uint64_t seen[SEEN_SLOTS];

struct tomb {
	uint64_t keyhash, version, expires;
	uint32_t origin;
};
static struct tomb tombs[TOMB_SLOTS];

/* the RDS as last dumped, for digests and repairs */
static struct apsmd_flow *tab;
static size_t ntab, captab;

void apsmd_sync_init(const struct apsmd_conf *c, uint64_t start,
		     const struct sync_ops *o)
{
	conf = c;
	ops = o;
	start_ms = start;
	apsmd_wire_begin(&pw, APSMD_T_BATCH);
}

bool apsmd_sync_ready(void)
{
	return ready;
}

void apsmd_sync_set_ready(const char *why)
{
	ready = true;
	apsmd_dirty = true;
	apsmd_log("ready (%s, %llu ms after start)", why,
		  (unsigned long long)(apsmd_now_ms() - start_ms));
	ops->ready();
}

/* ------------------------------------------------------------ helpers */

/* Seen before? Records it either way (direct-mapped: bounded, may forget). */
static bool seen_check(const struct apsmd_flow *f)
{
	uint64_t h = apsmd_flow_hash(f) ^ f->op;
	uint64_t *s = &seen[h % SEEN_SLOTS];

	if (*s == h)
		return true;
	*s = h;
	return false;
}

static uint64_t tomb_ttl(void)
{
	uint64_t t = 10ULL * conf->ae_ms;

	return t > TOMB_TTL_MIN_MS ? t : TOMB_TTL_MIN_MS;
}

static void tomb_put(const struct apsmd_flow *f)
{
	uint64_t kh = apsmd_flow_keyhash(f);
	struct tomb *t = &tombs[kh % TOMB_SLOTS];

	if (t->keyhash == kh && t->expires > apsmd_now_ms() &&
	    apsmd_newer(t->version, t->origin, f->version, f->origin))
		return;
	t->keyhash = kh;
	t->version = f->version;
	t->origin = f->origin;
	t->expires = apsmd_now_ms() + tomb_ttl();
}

/* Was this (older or same) version of the entry deleted recently? */
static bool tomb_hit(const struct apsmd_flow *f)
{
	uint64_t kh = apsmd_flow_keyhash(f);
	const struct tomb *t = &tombs[kh % TOMB_SLOTS];

	return t->keyhash == kh && t->expires > apsmd_now_ms() &&
	       !apsmd_newer(f->version, f->origin, t->version, t->origin);
}

static void tab_add(const struct apsmd_flow *f, void *arg)
{
	(void)arg;
	if (ntab == captab) {
		size_t nc = captab ? 2 * captab : 1024;
		struct apsmd_flow *n = realloc(tab, nc * sizeof(*tab));

		if (!n)
			return;
		tab = n;
		captab = nc;
	}
	tab[ntab++] = *f;
}

static int tab_load(void)
{
	ntab = 0;
	return apsmd_kern_flows(tab_add, NULL);
}

static void digest_of_tab(uint64_t *sum)
{
	size_t i;

	memset(sum, 0, APSMD_BUCKETS * sizeof(*sum));
	for (i = 0; i < ntab; i++)
		sum[apsmd_bucket(&tab[i])] += apsmd_flow_hash(&tab[i]);
}

/* Send the dumped entries of the buckets in bm (all if NULL) to peer as
 * repairs. Returns the number of entries.
 */
static uint64_t send_buckets(uint32_t peer, const uint8_t *bm)
{
	static struct apsmd_wbuf w;
	uint64_t n = 0;
	size_t i;

	apsmd_wire_begin(&w, APSMD_T_BATCH);
	for (i = 0; i < ntab; i++) {
		unsigned int b = apsmd_bucket(&tab[i]);

		if (bm && !(bm[b / 8] & (1 << (b % 8))))
			continue;
		if (apsmd_wire_add(&w, &tab[i]) == 1) {
			apsmd_send_to(&w, peer, 0, APSMD_F_REPAIR);
			apsmd_wire_add(&w, &tab[i]);
		}
		n++;
	}
	if (w.count)
		apsmd_send_to(&w, peer, 0, APSMD_F_REPAIR);
	apsmd_ctr.ae_repair_sent += n;
	return n;
}

/* ------------------------------------------------------------ push */

void apsmd_sync_flush(void)
{
	if (!pw.count)
		return;
	apsmd_ctr.sent += pw.count;
	apsmd_ctr.batches_sent++;
	apsmd_dirty = true;
	if (apsmd_gossip())
		apsmd_send_fanout(&pw, conf->gossip_fanout, 0,
				  conf->gossip_ttl, 0);
	else
		apsmd_send_all(&pw, 0, 0, 0);
}

static void push(const struct apsmd_flow *f)
{
	int r = apsmd_wire_add(&pw, f);

	if (r == 1) {
		apsmd_sync_flush();
		r = apsmd_wire_add(&pw, f);
	}
	if (r)
		apsmd_ctr.bad_format++;
}

/* Every node owns the lifetime of the entries it created: a delete here of
 * an entry another node made (this replica's idle expiry, an admin's flow
 * del/flush here) stays local, or it would end the origin's live flow.
 * Anti-entropy brings the entry back while its origin still has it.
 */
void apsmd_sync_local(const struct apsmd_flow *f)
{
	if (f->op == APSM_RDS_OP_DEL && f->origin != conf->id) {
		apsmd_ctr.foreign_del++;
		return;
	}
	if (f->op == APSM_RDS_OP_DEL)
		tomb_put(f);
	seen_check(f);
	push(f);
}

/* kern_ops.changes: installs from peers never re-replicate. */
void apsmd_sync_changes(const struct apsmd_change *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (c[i].cause != APSMD_CAUSE_INSTALL &&
		    c[i].cause != APSMD_CAUSE_PEER_DEL)
			apsmd_sync_local(&c[i].f);
}

static void push_own(const struct apsmd_flow *f, void *arg)
{
	(void)arg;
	if (f->origin == conf->id)
		push(f);
}

void apsmd_sync_resync(void)
{
	apsmd_ctr.resyncs++;
	apsmd_dirty = true;
	apsmd_kern_flows(push_own, NULL);
	apsmd_sync_flush();
}

/* kern_ops.behind: changes were lost; repair from a snapshot. */
void apsmd_sync_behind(uint64_t from, uint64_t to)
{
	(void)from;
	(void)to;
	apsmd_sync_resync();
}

/* ------------------------------------------------------------ receive */

static void note_lag(struct apsmd_pstate *ps, const struct apsmd_flow *f)
{
	uint64_t now = apsmd_wall_ms(), t = f->version >> 16;

	if (f->op != APSM_RDS_OP_NEW || t > now || now - t > 3600000)
		return;
	apsmd_ctr.lag_ms_last = now - t;
	if (apsmd_ctr.lag_ms_last > apsmd_ctr.lag_ms_max)
		apsmd_ctr.lag_ms_max = apsmd_ctr.lag_ms_last;
	if (ps)
		ps->lag_ms = now - t;
}

void apsmd_sync_on_batch(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			 const uint8_t *body, size_t blen)
{
	static struct apsmd_flow f[FLOWS_PER_DGRAM], inst[FLOWS_PER_DGRAM];
	static struct apsmd_wbuf relay, back;
	bool repair = h->flags & APSMD_F_REPAIR;
	unsigned int n, i, ni = 0;

	if (apsmd_wire_flows(body, blen, h->count, f, FLOWS_PER_DGRAM, &n)) {
		apsmd_ctr.bad_format++;
		return;
	}
	apsmd_ctr.batches_received++;
	apsmd_wire_begin(&relay, APSMD_T_BATCH);
	apsmd_wire_begin(&back, APSMD_T_BATCH);
	for (i = 0; i < n; i++) {
		if (ps)
			ps->rx_entries++;
		if (repair) {
			apsmd_ctr.ae_repair_received++;
			if (f[i].op == APSM_RDS_OP_NEW && tomb_hit(&f[i])) {
				/* deleted here: tell the sender */
				struct apsmd_flow del = f[i];

				apsmd_ctr.tombstone_hits++;
				del.op = APSM_RDS_OP_DEL;
				if (apsmd_wire_add(&back, &del) == 1) {
					apsmd_send_to(&back, h->sender, 0,
						      APSMD_F_REPAIR);
					apsmd_wire_add(&back, &del);
				}
				continue;
			}
		} else {
			note_lag(ps, &f[i]);
			if (seen_check(&f[i])) {
				apsmd_ctr.dup_suppressed++;
				continue;
			}
			if (h->ttl > 1 && apsmd_gossip()) {
				if (apsmd_wire_add(&relay, &f[i]) == 1) {
					apsmd_send_fanout(&relay, conf->gossip_fanout,
							  h->sender, h->ttl - 1, 0);
					apsmd_wire_add(&relay, &f[i]);
				}
				apsmd_ctr.relayed++;
			}
		}
		if (f[i].op == APSM_RDS_OP_DEL)
			tomb_put(&f[i]);
		inst[ni++] = f[i];
	}
	if (relay.count)
		apsmd_send_fanout(&relay, conf->gossip_fanout, h->sender,
				  h->ttl - 1, 0);
	if (back.count)
		apsmd_send_to(&back, h->sender, 0, APSMD_F_REPAIR);
	apsmd_kern_install(inst, ni);
	if ((h->flags & APSMD_F_SNAP_END) && !ready)
		apsmd_sync_set_ready("snapshot installed");
}

/* ------------------------------------------------------------ anti-entropy */

void apsmd_sync_ae_round(void)
{
	static struct apsmd_wbuf w;
	uint64_t sum[APSMD_BUCKETS];
	uint8_t b[APSMD_DIGEST_LEN];
	uint32_t peer;
	unsigned int i;

	if (!ready)
		return;
	peer = apsmd_random_live_peer(true);
	if (!peer || tab_load())
		return;
	digest_of_tab(sum);
	memset(b, 0, sizeof(b));
	apsmd_put32(b, ntab > UINT32_MAX ? UINT32_MAX : ntab);
	for (i = 0; i < APSMD_BUCKETS; i++)
		apsmd_put64(b + 8 + 8 * i, sum[i]);
	apsmd_wire_begin(&w, APSMD_T_DIGEST);
	apsmd_wire_raw(&w, b, sizeof(b));
	w.count = APSMD_BUCKETS;
	apsmd_send_to(&w, peer, 0, 0);
	apsmd_ctr.ae_rounds++;
	apsmd_dirty = true;
}

static void send_pull(uint32_t peer, uint8_t what, const uint8_t *bm)
{
	static struct apsmd_wbuf w;
	uint8_t b[APSMD_PULL_LEN];

	memset(b, 0, sizeof(b));
	b[0] = what;
	if (bm)
		memcpy(b + 8, bm, APSMD_BUCKETS / 8);
	apsmd_wire_begin(&w, APSMD_T_PULL);
	apsmd_wire_raw(&w, b, sizeof(b));
	apsmd_send_to(&w, peer, 0, 0);
}

void apsmd_sync_on_digest(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			  const uint8_t *body, size_t blen)
{
	uint64_t sum[APSMD_BUCKETS];
	uint8_t bm[APSMD_BUCKETS / 8];
	unsigned int i, diff = 0;

	(void)ps;
	if (blen != APSMD_DIGEST_LEN || h->count != APSMD_BUCKETS) {
		apsmd_ctr.bad_format++;
		return;
	}
	apsmd_ctr.ae_digests_received++;
	if (!ready || tab_load())
		return;		/* a starting node has nothing to compare */
	digest_of_tab(sum);
	memset(bm, 0, sizeof(bm));
	for (i = 0; i < APSMD_BUCKETS; i++) {
		if (sum[i] != apsmd_get64(body + 8 + 8 * i)) {
			bm[i / 8] |= 1 << (i % 8);
			diff++;
		}
	}
	if (!diff)
		return;
	apsmd_ctr.ae_diff_buckets += diff;
	send_buckets(h->sender, bm);
	send_pull(h->sender, APSMD_PULL_RANGES, bm);
	apsmd_ctr.ae_pulls++;
}

void apsmd_sync_on_pull(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen)
{
	static struct apsmd_wbuf w;

	if (blen != APSMD_PULL_LEN) {
		apsmd_ctr.bad_format++;
		return;
	}
	switch (body[0]) {
	case APSMD_PULL_RANGES:
		if (!tab_load())
			send_buckets(h->sender, body + 8);
		break;
	case APSMD_PULL_FULL:
		if (!ready || tab_load())
			return;	/* not a good source yet: it will ask another */
		apsmd_ctr.snapshot_entries += send_buckets(h->sender, NULL);
		apsmd_inv_send_full(h->sender);
		apsmd_wire_begin(&w, APSMD_T_BATCH);
		apsmd_send_to(&w, h->sender, 0,
			      APSMD_F_REPAIR | APSMD_F_SNAP_END);
		apsmd_ctr.snapshots_served++;
		ps->resyncs++;
		break;
	case APSMD_PULL_INVENTORY:
		apsmd_inv_send_full(h->sender);
		break;
	default:
		apsmd_ctr.bad_format++;
	}
}

/* ------------------------------------------------------------ snapshot */

void apsmd_sync_snapshot_ask(void)
{
	uint64_t now = apsmd_now_ms();
	uint32_t peer;

	if (ready)
		return;
	if (snap_from && now - snap_asked_ms < conf->snapshot_ms)
		return;		/* one in flight */
	peer = apsmd_random_live_peer(true);
	if (!peer) {
		if (now - start_ms >= conf->snapshot_ms)
			apsmd_sync_set_ready("no ready peer to pull a snapshot from");
		return;
	}
	if (snap_from)
		apsmd_log("no snapshot from node %u yet: asking node %u",
			  snap_from, peer);
	else
		apsmd_log("pulling a snapshot from node %u", peer);
	snap_from = peer;
	snap_asked_ms = now;
	send_pull(peer, APSMD_PULL_FULL, NULL);
}
