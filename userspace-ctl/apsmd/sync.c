// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's RDS replication, protocol v2 (Documentation/apsmd.md).
 *
 *  - feed: kern hands up every kernel RDS change in seq order (changes;
 *    the tick reads the feed up to NEXT every FEED_POLL_MS);
 *    what this node writes goes to its own stream: own-origin inserts and
 *    their deletes/expiry, and an operator's delete/flush of any entry
 *    (a foreign one with version + 1, so it wins over the entry; a later
 *    origin update has a newer HLC and wins again). A replica's idle
 *    expiry stays local; installs from peers never re-replicate.
 *  - stream: each write gets the next seq of (this node, epoch) and goes
 *    into the kept log (olog) and a LOG datagram, pushed to every peer
 *    (up to DirectPushMax nodes) or by gossip above it; receivers relay
 *    the datagram body as is.
 *  - receivers track each stream (epoch, hwm, out-of-order window), NACK
 *    exactly the missing ranges to the node they got the data from, then
 *    to the origin; a range no longer kept is answered LOG_GONE and
 *    repaired from a snapshot of that peer.
 *  - anti-entropy: every AntiEntropyInterval a VECTOR of (stream, epoch,
 *    hwm) to a random live peer; a receiver that is behind NACKs it.
 *  - tombstones (tomb.c): every delete written or installed blocks
 *    entries not newer than it for TombstoneTTL.
 *  - snapshot: a starting node PULLs everything from a ready peer: a
 *    BASELINE vector (what the dump covers), its RDS as unsequenced LOG
 *    entries, its inventory, SNAP_END; then it is ready.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "inv.h"
#include "kern.h"
#include "olog.h"
#include "peer.h"
#include "relay.h"
#include "repair.h"
#include "session.h"
#include "shadow.h"
#include "sync.h"
#include "tomb.h"

#define FLOWS_PER_DGRAM		(APSMD_DGRAM_MAX / 16 + 1)
#define NACK_RETRY_MS		200	/* a gap still open: ask again */
#define NACK_RANGES		16	/* ranges per NACK */
#define NACK_SEQS		4096	/* seqs asked per NACK */
#define ANSWER_SEQS		4096	/* seqs answered per NACK */
#define FEED_POLL_MS		200	/* read the feed up to NEXT */
#define MERKLE_EVERY		10	/* anti-entropy rounds per Merkle round */
#define MERKLE_GAP_MS		1000	/* at most one LOG_GONE round per this */

static const struct apsmd_conf *conf;
static const struct sync_ops *ops;
static bool ready;		/* holds a full RDS (snapshot or alone) */
static uint64_t start_ms, snap_asked_ms, fallback_ms;
static uint32_t snap_from;

/* this node's stream */
static uint64_t my_epoch, my_next = 1;
static struct apsmd_wbuf pw;	/* LOG being filled */
static uint64_t test_version_offset;	/* APSMD_TEST_VERSION_OFFSET_MS */
static bool pw_open;

/* the shadow of the kernel RDS (every feed change) and its Merkle repair */
static struct shadow *sh;
static struct apsmd_repair rep;
static uint64_t merkle_due_ms;	/* a round after a snapshot, 0: none */
static uint64_t merkle_last_ms;

/* what this node knows of the other streams */
static struct olog_rx *rx;
static unsigned int nrx, caprx;

/* Records join the Merkle tree this old: pushes and NACKs have settled
 * what is younger.
 */
static uint64_t merkle_horizon(void)
{
	if (conf->merkle_horizon_ms)
		return conf->merkle_horizon_ms;
	return conf->ae_ms * 2 > 1000 ? conf->ae_ms * 2 : 1000;
}

static int repair_send(void *ctx, uint32_t peer, struct apsmd_wbuf *w)
{
	(void)ctx;
	apsmd_send_to(w, peer, 0, APSMD_F_REPAIR);
	return 0;
}

static void repair_install(void *ctx, uint32_t peer,
			   const struct apsmd_flow *f);

static const struct repair_ops repair_ops = {
	.send = repair_send,
	.install = repair_install,
};

static void merkle_ctrs(void)
{
	apsmd_ctr.merkle_rounds = rep.st.rounds;
	apsmd_ctr.merkle_diff_leaves = rep.st.diff_leaves;
	apsmd_dirty = true;
}

/* A Merkle repair round with peer (0: a random ready live one). */
static void merkle_round(uint32_t peer)
{
	if (!sh)
		return;
	if (!peer)
		peer = apsmd_random_live_peer(true);
	if (!peer)
		return;
	merkle_last_ms = apsmd_now_ms();
	apsmd_repair_round(&rep, peer);
	merkle_ctrs();
}

void apsmd_sync_on_tree(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen)
{
	(void)ps;
	if (!sh)
		return;
	if (apsmd_repair_on_msg(&rep, h->sender, h, body, blen))
		apsmd_ctr.bad_format++;
	merkle_ctrs();
}

void apsmd_sync_init(const struct apsmd_conf *c, uint64_t start,
		     const struct sync_ops *o)
{
	conf = c;
	ops = o;
	start_ms = start;
	my_epoch = apsmd_wall_ms();	/* newer at every start */
	if (getenv("APSMD_TEST_VERSION_OFFSET_MS")) {
		test_version_offset = strtoull(
			getenv("APSMD_TEST_VERSION_OFFSET_MS"), NULL, 10) << 16;
		apsmd_log("TEST ONLY: own versions sent %llu ms ahead (APSMD_TEST_VERSION_OFFSET_MS)",
			  (unsigned long long)(test_version_offset >> 16));
	}
	if (olog_init(c->log_size))
		apsmd_log("cannot allocate the log (%u entries)", c->log_size);
	else
		olog_own(c->id);
	if (tomb_init(c->tomb_max, c->tomb_ttl_ms))
		apsmd_log("cannot allocate the tombstones (%u)", c->tomb_max);
	sh = shadow_new(merkle_horizon(), c->tomb_ttl_ms);
	if (!sh)
		apsmd_log("cannot allocate the shadow table: no Merkle repair");
	else
		apsmd_repair_init(&rep, sh, &repair_ops, NULL);
	apsmd_log("Merkle horizon %llu ms",
		  (unsigned long long)merkle_horizon());
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

static struct olog_rx *rx_get(uint32_t stream, bool create)
{
	unsigned int i;

	for (i = 0; i < nrx; i++)
		if (rx[i].stream == stream)
			return &rx[i];
	if (!create)
		return NULL;
	if (nrx == caprx) {
		unsigned int nc = caprx ? 2 * caprx : 16;
		struct olog_rx *n = realloc(rx, nc * sizeof(*rx));

		if (!n)
			return NULL;
		rx = n;
		caprx = nc;
	}
	memset(&rx[nrx], 0, sizeof(rx[nrx]));
	rx[nrx].stream = stream;
	return &rx[nrx++];
}

static void tomb_note(const struct apsmd_flow *f)
{
	tomb_put(apsmd_flow_keyhash(f), f->version, f->origin, apsmd_now_ms());
	apsmd_ctr.tomb_live = tomb_live();
}

/* A NEW entry a tombstone says is already deleted? (counted) */
static bool tomb_blocked(const struct apsmd_flow *f)
{
	struct apsmd_flow rec;

	if (f->op != APSM_RDS_OP_NEW)
		return false;
	/* the shadow's tombstone (a delete the kernel made), else tomb.c's
	 * (a delete written or received, before the feed reports it)
	 */
	if (!(sh && shadow_find(sh, f, &rec) && rec.op == APSM_RDS_OP_DEL &&
	      shadow_blocks(sh, f)) &&
	    !tomb_blocks(apsmd_flow_keyhash(f), f->version, f->origin,
			 apsmd_now_ms()))
		return false;
	apsmd_ctr.tomb_blocked++;
	apsmd_ctr.tombstone_hits++;
	return true;
}

/* ------------------------------------------------------------ push */

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The live node ids, sorted, self included (all configured peers while
 * none is known alive yet).
 */
static unsigned int live_ids(uint32_t *ids)
{
	unsigned int i, n = 0, live = 0;

	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(conf->peers[i].id);

		live += ps && apsmd_peer_alive(ps);
	}
	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(conf->peers[i].id);

		if (!live || (ps && apsmd_peer_alive(ps)))
			ids[n++] = conf->peers[i].id;
	}
	ids[n++] = conf->id;
	qsort(ids, n, sizeof(*ids), cmp_id);
	return n;
}

/* Above DirectPushMax: w (origin's LOG data) to this node's children in
 * origin's relay tree (relay.c). Each live node gets it once when
 * nothing is lost; a miss is a gap (or a tail) that NACKs/vectors repair.
 */
static unsigned int send_tree(struct apsmd_wbuf *w, uint32_t origin)
{
	static uint32_t ids[APSMD_PEERS_MAX + 1], kids[APSMD_PEERS_MAX];
	static struct apsmd_wbuf c;
	unsigned int n = live_ids(ids), k, i;

	k = relay_children(origin, conf->id, ids, n, conf->gossip_fanout,
			   kids);
	for (i = 0; i < k; i++) {
		c = *w;
		apsmd_send_to(&c, kids[i], 0, 0);
	}
	apsmd_wire_begin(w, w->type);
	apsmd_ctr.tree_sends += k;
	return k;
}

static void send_log(struct apsmd_wbuf *w, uint32_t skip, uint8_t ttl)
{
	(void)ttl;
	if (apsmd_gossip())
		send_tree(w, conf->id);
	else
		apsmd_send_all(w, skip, 0, 0);
}

void apsmd_sync_flush(void)
{
	if (!pw_open)
		return;
	pw_open = false;
	if (!pw.count)
		return;
	apsmd_ctr.sent += pw.count;
	apsmd_ctr.batches_sent++;
	apsmd_dirty = true;
	send_log(&pw, 0, 0);
}

/* Number f in this node's stream, keep it, pack it. */
static void write_own(const struct apsmd_flow *f0)
{
	struct apsmd_flow fo = *f0;
	const struct apsmd_flow *f = &fo;
	uint64_t seq = my_next;
	int r;

	/* test only: this node's writes as if its clock were ahead */
	fo.version += test_version_offset;

	if (!pw_open) {
		apsmd_wire_log_begin(&pw, conf->id, my_epoch, seq);
		pw_open = true;
	}
	r = apsmd_wire_log_add(&pw, f);
	if (r == 1) {
		apsmd_sync_flush();
		apsmd_wire_log_begin(&pw, conf->id, my_epoch, seq);
		pw_open = true;
		r = apsmd_wire_log_add(&pw, f);
	}
	if (r) {
		apsmd_ctr.bad_format++;
		return;
	}
	my_next++;
	olog_put(conf->id, my_epoch, seq, f);
}

/* The shadow mirrors the replicated state of the kernel RDS. */
static void shadow_feed(const struct apsmd_flow *f, uint8_t cause)
{
	if (sh)
		shadow_apply(sh, f, f->op, cause, apsmd_now_ms());
}

/* Written already? After a lost feed range the shadow is reconciled
 * with a dump (apsmd_sync_behind), then the kept changes after the range
 * come again: what the shadow holds as new or newer is not written twice
 * (an own delete found by the dump is at version + 1; its replay at the
 * entry's version would undo that in the shadow).
 */
static bool written(const struct apsmd_flow *w)
{
	struct apsmd_flow rec;

	if (!sh || !shadow_find(sh, w, &rec) ||
	    apsmd_newer(w->version, w->origin, rec.version, rec.origin))
		return false;
	return rec.op == APSM_RDS_OP_DEL || w->op == APSM_RDS_OP_NEW;
}

/* The replication rule for one kernel change (olog_write_rule). */
void apsmd_sync_local(const struct apsmd_flow *f, uint8_t cause)
{
	struct apsmd_flow w;

	if (cause < APSMD_CAUSE_INSERT || cause > APSMD_CAUSE_PEER_DEL) {
		apsmd_ctr.bad_format++;
		return;
	}
	if (!olog_write_rule(f, cause, conf->id, &w)) {
		if (!shadow_takes(f, cause, conf->id)) {
			/* a replica's idle expiry is local: not a tombstone
			 * in the shadow, or the Merkle exchange would spread
			 * it as a delete
			 */
			apsmd_ctr.foreign_del++;
			return;
		}
		shadow_feed(f, cause);		/* a peer's write, installed */
		return;
	}
	if (written(&w))
		return;
	shadow_feed(&w, cause);		/* as written (a foreign delete: v + 1) */
	if (w.op == APSM_RDS_OP_DEL)
		tomb_note(&w);
	else
		tomb_clear(apsmd_flow_keyhash(&w), w.version, w.origin);
	write_own(&w);
}

/* kern_ops.changes */
void apsmd_sync_changes(const struct apsmd_change *c, unsigned int n)
{
	unsigned int i;

	apsmd_ctr.feed_changes += n;
	for (i = 0; i < n; i++)
		apsmd_sync_local(&c[i].f, c[i].cause);
}

static void write_present(const struct apsmd_flow *f, void *arg)
{
	(void)arg;
	if (f->origin == conf->id)
		write_own(f);
}

/* Write every own entry of the kernel again (start, lost feed). */
void apsmd_sync_resync(void)
{
	apsmd_ctr.resyncs++;
	apsmd_dirty = true;
	apsmd_kern_flows(write_present, NULL);
	apsmd_sync_flush();
}

struct recon {
	struct apsmd_flow *f;
	size_t n, cap;
	bool oom;
};

static void recon_add(const struct apsmd_flow *f, void *arg)
{
	struct recon *r = arg;

	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 256;
		struct apsmd_flow *p = realloc(r->f, nc * sizeof(*p));

		if (!p) {
			r->oom = true;
			return;
		}
		r->f = p;
		r->cap = nc;
	}
	r->f[r->n++] = *f;
}

/* A dumped entry: marked in the shadow; kept if the shadow lacks it */
static void recon_dump(const struct apsmd_flow *f, void *arg)
{
	struct apsmd_flow had;

	if (shadow_mark(sh, f, &had) && had.op == APSM_RDS_OP_NEW &&
	    had.version == f->version && had.origin == f->origin)
		return;
	recon_add(f, arg);
}

/* kern_ops.behind: changes from..to never reached apsmd. The shadow is
 * reconciled with a dump: own entries the shadow has and the kernel no
 * longer has were deleted in the lost range (written as deletes at
 * version + 1, which beats the entry everywhere, tombstones included);
 * entries the kernel has and the shadow lacks (or holds older) are
 * written if own, mirrored if a peer's. Without a shadow: every own
 * entry is written again (a lost delete stays unknown).
 */
void apsmd_sync_behind(uint64_t from, uint64_t to)
{
	struct recon dump = { 0 }, gone = { 0 };
	uint64_t bad = apsmd_ctr.bad_format;
	size_t i;

	apsmd_ctr.feed_behind++;
	if (from || to)
		apsmd_log("kernel feed lost changes %llu..%llu: reconciling",
			  (unsigned long long)from, (unsigned long long)to);
	if (!sh) {
		apsmd_sync_resync();
		return;
	}
	apsmd_ctr.resyncs++;
	apsmd_dirty = true;
	shadow_unmark(sh);
	if (apsmd_kern_flows(recon_dump, &dump) || dump.oom ||
	    apsmd_ctr.bad_format != bad) {
		/* an incomplete dump (failed, out of memory, an entry it
		 * could not read) proves no delete: write what it has
		 */
		apsmd_log("feed reconcile: the dump failed: no deletes found");
	} else {
		shadow_unmarked(sh, conf->id, recon_add, &gone);
	}
	for (i = 0; i < gone.n; i++) {
		struct apsmd_flow d = gone.f[i];

		d.op = APSM_RDS_OP_DEL;
		d.version++;
		apsmd_sync_local(&d, APSMD_CAUSE_DELETE);
		apsmd_ctr.behind_deletes++;
	}
	for (i = 0; i < dump.n; i++)
		apsmd_sync_local(&dump.f[i], dump.f[i].origin == conf->id ?
				 APSMD_CAUSE_INSERT : APSMD_CAUSE_INSTALL);
	apsmd_sync_flush();
	free(dump.f);
	free(gone.f);
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

static void send_ranges(uint8_t type, uint32_t peer,
			const struct apsmd_range *r, unsigned int n)
{
	static struct apsmd_wbuf w;
	unsigned int i;

	apsmd_wire_begin(&w, type);
	for (i = 0; i < n; i++) {
		if (apsmd_wire_add_range(&w, &r[i]) == 1) {
			apsmd_send_to(&w, peer, 0, 0);
			apsmd_wire_add_range(&w, &r[i]);
		}
	}
	if (w.count)
		apsmd_send_to(&w, peer, 0, 0);
}

/* Ask peer for what is missing of r's stream up to upto. */
static void nack(struct olog_rx *r, uint32_t peer, uint64_t upto)
{
	struct apsmd_range m[NACK_RANGES];
	unsigned int n;

	if (!ready || !peer || peer == conf->id)
		return;
	n = olog_rx_missing(r, upto, NACK_SEQS, m, NACK_RANGES);
	if (!n)
		return;
	send_ranges(APSMD_T_NACK, peer, m, n);
	r->nack_ms = apsmd_now_ms();
	r->nack_tries++;
}

static bool version_refused(const struct apsmd_flow *f);

static void install(const struct apsmd_flow *f, struct apsmd_flow *inst,
		    unsigned int *ni)
{
	if (version_refused(f) || tomb_blocked(f))
		return;
	if (f->op == APSM_RDS_OP_DEL) {
		tomb_note(f);
		/* the kernel reports no change for a delete of a key it
		 * does not hold: the shadow keeps the tombstone anyway, so
		 * the Merkle trees of nodes that saw the delete agree
		 */
		if (sh && !shadow_blocks(sh, f))
			shadow_apply(sh, f, APSM_RDS_OP_DEL, APSMD_CAUSE_PEER_DEL,
				     apsmd_now_ms());
	}
	inst[(*ni)++] = *f;
}

/* repair_ops.install: an item from a Merkle exchange, newer than ours */
static void repair_install(void *ctx, uint32_t peer,
			   const struct apsmd_flow *f)
{
	struct apsmd_flow one;
	unsigned int n = 0;

	(void)ctx;
	(void)peer;
	apsmd_ctr.ae_repair_received++;
	install(f, &one, &n);
	if (n)
		apsmd_kern_install(&one, 1);
}

/* Unsequenced entries (snapshot, fallback repair). */
static void on_unsequenced(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			   const struct apsmd_flow *f, unsigned int n)
{
	static struct apsmd_flow inst[FLOWS_PER_DGRAM];
	unsigned int i, ni = 0;

	for (i = 0; i < n; i++) {
		if (ps)
			ps->rx_entries++;
		apsmd_ctr.ae_repair_received++;
		if (conf->per_node && f[i].origin != h->sender)
			apsmd_ctr.auth_relayed++;
		install(&f[i], inst, &ni);
	}
	apsmd_kern_install(inst, ni);
	if ((h->flags & APSMD_F_SNAP_END) && !ready) {
		apsmd_sync_set_ready("snapshot installed");
		/* what the snapshot missed (sent while it was being made,
		 * deletes it cannot show): a Merkle round once the
		 * installed records are in the tree
		 */
		merkle_due_ms = apsmd_now_ms() + merkle_horizon() +
				conf->ae_ms;
	}
}

/* ---- authorisation (session.c's rules; Documentation/security.md) ----
 * With per-node keys h->sender is the peer whose key opened the
 * datagram. A pushed (non-REPAIR) LOG datagram of a stream comes from
 * its origin, or above DirectPushMax from the origin's parent in this
 * node's view of the relay tree; a stream's entries are of its own
 * origin, or deletes (an operator's delete of a foreign entry). Repair
 * data (REPAIR, snapshots, Merkle) carries no proof of origin: accepted
 * from any authenticated peer and counted (auth_relayed).
 */
static bool stream_refused(const struct apsmd_hdr *h,
			   const struct apsmd_range *pre)
{
	static uint32_t ids[APSMD_PEERS_MAX + 1];
	uint32_t parent = 0;

	if (!conf->per_node || (h->flags & APSMD_F_REPAIR))
		return false;
	if (pre->stream != h->sender && apsmd_gossip() &&
	    !relay_parent(pre->stream, conf->id, ids, live_ids(ids),
			  conf->gossip_fanout, &parent))
		parent = 0;
	if (apsmd_auth_stream(h->sender, pre->stream, parent) ==
	    APSMD_AUTH_OK)
		return false;
	apsmd_ctr.auth_origin_refused += h->count;
	return true;
}

static bool entry_refused(const struct apsmd_hdr *h,
			  const struct apsmd_range *pre,
			  const struct apsmd_flow *f)
{
	if (!conf->per_node)
		return false;
	if (h->flags & APSMD_F_REPAIR) {
		if (f->origin != h->sender)
			apsmd_ctr.auth_relayed++;
		return false;
	}
	if (apsmd_auth_entry(pre->stream, f) == APSMD_AUTH_OK)
		return false;
	apsmd_ctr.auth_origin_refused++;
	return true;
}

/* Versions beyond MaxClockSkew ahead of this node's clock, or that would
 * wrap the logical clock, are refused in every mode.
 */
static bool version_refused(const struct apsmd_flow *f)
{
	switch (apsmd_auth_version(f->version, apsmd_wall_ms(),
				   conf->max_skew_ms)) {
	case APSMD_AUTH_OK:
		return false;
	case APSMD_AUTH_WRAP:
		apsmd_ctr.version_wrap++;
		return true;
	default:
		apsmd_ctr.version_ahead++;
		return true;
	}
}

void apsmd_sync_on_log(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
		       const uint8_t *body, size_t blen)
{
	static struct apsmd_flow f[FLOWS_PER_DGRAM], inst[FLOWS_PER_DGRAM];
	static struct apsmd_wbuf relay;
	bool repair = h->flags & APSMD_F_REPAIR;
	struct apsmd_range pre;
	struct olog_rx *r;
	unsigned int n, i, ni = 0, fresh = 0;

	if (apsmd_wire_log_open(body, blen, h->count, &pre, f,
				FLOWS_PER_DGRAM, &n)) {
		apsmd_ctr.bad_format++;
		return;
	}
	apsmd_ctr.batches_received++;
	if (!pre.stream) {
		on_unsequenced(ps, h, f, n);
		return;
	}
	if (pre.stream == conf->id)
		return;		/* our own writes, relayed back */
	if (stream_refused(h, &pre))
		return;
	r = rx_get(pre.stream, true);
	if (!r)
		return;
	for (i = 0; i < n; i++) {
		uint64_t opened;
		enum olog_verdict v;

		if (ps)
			ps->rx_entries++;
		v = olog_rx_accept(r, pre.epoch, pre.from + i, &opened);
		if (opened)
			apsmd_ctr.gaps_detected++;
		if (v == OLOG_DUP) {
			apsmd_ctr.dup_suppressed++;
			continue;
		}
		if (v == OLOG_NEW) {
			olog_put(pre.stream, pre.epoch, pre.from + i, &f[i]);
			fresh++;
		}
		if (repair)
			apsmd_ctr.gap_entries_repaired++;
		else
			note_lag(ps, &f[i]);
		if (entry_refused(h, &pre, &f[i]))
			continue;
		install(&f[i], inst, &ni);
	}
	apsmd_kern_install(inst, ni);
	if (!repair)
		r->from = h->sender;
	/* relay tree: the body as it came, to this node's children in
	 * the origin's tree
	 */
	if (fresh && apsmd_gossip()) {
		/* a NACK answer too: what this node missed, its subtree in
		 * the origin's tree missed as well; it goes down as a push
		 * (the children relay it on; a child that has it drops the
		 * duplicates), counted as repair_relayed, not relayed
		 */
		apsmd_wire_begin(&relay, APSMD_T_LOG);
		apsmd_wire_raw(&relay, body, blen);
		relay.count = h->count;
		if (send_tree(&relay, pre.stream)) {
			if (repair)
				apsmd_ctr.repair_relayed += fresh;
			else
				apsmd_ctr.relayed += fresh;
		}
	}
	if (olog_rx_gap(r) && !r->nack_ms)
		nack(r, h->sender, 0);
}

/* ------------------------------------------------------------ NACK */

/* Answer one range from the kept log: runs as LOG (REPAIR), the rest
 * LOG_GONE. Returns the seqs handled.
 */
static uint64_t answer(uint32_t peer, const struct apsmd_range *q,
		       uint64_t budget, struct apsmd_range *gone,
		       unsigned int *ngone, unsigned int maxgone)
{
	static struct apsmd_wbuf w;
	uint64_t s, last = q->to, sent = 0;
	bool open = false;

	if (last - q->from >= budget)
		last = q->from + budget - 1;
	for (s = q->from; s <= last; s++) {
		const struct apsmd_flow *f;

		if (q->stream == conf->id && (q->epoch != my_epoch ||
					      s >= my_next))
			f = NULL;
		else
			f = olog_get(q->stream, q->epoch, s);
		if (!f) {
			if (open) {
				apsmd_send_to(&w, peer, 0, APSMD_F_REPAIR);
				open = false;
			}
			if (*ngone && gone[*ngone - 1].to == s - 1 &&
			    gone[*ngone - 1].stream == q->stream)
				gone[*ngone - 1].to = s;
			else if (*ngone < maxgone)
				gone[(*ngone)++] = (struct apsmd_range){
					q->stream, q->epoch, s, s };
			continue;
		}
		if (!open) {
			apsmd_wire_log_begin(&w, q->stream, q->epoch, s);
			open = true;
		}
		if (apsmd_wire_log_add(&w, f) == 1) {
			apsmd_send_to(&w, peer, 0, APSMD_F_REPAIR);
			apsmd_wire_log_begin(&w, q->stream, q->epoch, s);
			apsmd_wire_log_add(&w, f);
		}
		sent++;
	}
	if (open && w.count)
		apsmd_send_to(&w, peer, 0, APSMD_F_REPAIR);
	apsmd_ctr.ae_repair_sent += sent;
	return last - q->from + 1;
}

void apsmd_sync_on_nack(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen)
{
	struct apsmd_range q[APSMD_DGRAM_MAX / APSMD_RANGE_REC], gone[NACK_RANGES];
	unsigned int n, i, ngone = 0;
	uint64_t budget = ANSWER_SEQS;

	(void)ps;
	if (apsmd_wire_ranges(body, blen, APSMD_T_NACK, h->count, q,
			      sizeof(q) / sizeof(q[0]), &n)) {
		apsmd_ctr.bad_format++;
		return;
	}
	apsmd_ctr.ae_pulls++;
	for (i = 0; i < n && budget; i++)
		budget -= answer(h->sender, &q[i], budget, gone, &ngone,
				 NACK_RANGES);
	if (ngone)
		send_ranges(APSMD_T_LOG_GONE, h->sender, gone, ngone);
}

static void send_pull(uint32_t peer, uint8_t what)
{
	static struct apsmd_wbuf w;
	uint8_t b[APSMD_PULL_LEN];

	memset(b, 0, sizeof(b));
	b[0] = what;
	apsmd_wire_begin(&w, APSMD_T_PULL);
	apsmd_wire_raw(&w, b, sizeof(b));
	apsmd_send_to(&w, peer, 0, 0);
}

/* What peer no longer keeps: counted as received (the hwm moves past
 * it) and repaired from a snapshot of that peer (at most one per
 * SnapshotTimeout; the Merkle repair replaces this).
 */
void apsmd_sync_on_log_gone(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			    const uint8_t *body, size_t blen)
{
	struct apsmd_range g[APSMD_DGRAM_MAX / APSMD_RANGE_REC];
	unsigned int n, i;
	uint64_t now = apsmd_now_ms();
	bool origin_gone = false;

	(void)ps;
	if (apsmd_wire_ranges(body, blen, APSMD_T_LOG_GONE, h->count, g,
			      sizeof(g) / sizeof(g[0]), &n)) {
		apsmd_ctr.bad_format++;
		return;
	}
	for (i = 0; i < n; i++) {
		struct olog_rx *r = rx_get(g[i].stream, false);

		apsmd_ctr.log_gone++;
		if (!r || g[i].epoch != r->epoch)
			continue;
		/* A relay that lacks the range (it missed it too, or it
		 * came to it in a snapshot) is no proof that it is gone:
		 * the next try asks another node. Only the origin's
		 * "gone" moves the hwm past it.
		 */
		if (g[i].stream != h->sender) {
			r->nack_ms = 0;		/* retry at once, elsewhere */
			continue;
		}
		olog_rx_raise(r, g[i].epoch, g[i].to);
		origin_gone = true;
	}
	apsmd_dirty = true;
	if (!origin_gone)
		return;
	if (sh) {
		/* what was given up is older than the log: in the Merkle
		 * tree by now (at most one round per MERKLE_GAP_MS)
		 */
		if (!merkle_last_ms || now - merkle_last_ms >= MERKLE_GAP_MS) {
			apsmd_log("node %u no longer keeps what is missing "
				  "here: Merkle repair with it", h->sender);
			merkle_round(h->sender);
		}
		return;
	}
	if (!fallback_ms || now - fallback_ms >= conf->snapshot_ms) {
		fallback_ms = now;
		apsmd_log("node %u no longer keeps what is missing here: "
			  "snapshot from it", h->sender);
		send_pull(h->sender, APSMD_PULL_FULL);
	}
}

/* ------------------------------------------------------------ vectors */

static void send_vector(uint32_t peer, uint8_t flags)
{
	static struct apsmd_wbuf w;
	struct apsmd_range v = { conf->id, my_epoch, 0, my_next - 1 };
	unsigned int i;

	apsmd_wire_begin(&w, APSMD_T_VECTOR);
	apsmd_wire_add_range(&w, &v);
	for (i = 0; i < nrx; i++) {
		v = (struct apsmd_range){ rx[i].stream, rx[i].epoch, 0,
					  rx[i].hwm };
		if (apsmd_wire_add_range(&w, &v) == 1) {
			apsmd_send_to(&w, peer, 0, flags);
			apsmd_wire_add_range(&w, &v);
		}
	}
	apsmd_send_to(&w, peer, 0, flags);
}

/* Anti-entropy round: our vector to a random live ready peer. */
void apsmd_sync_ae_round(void)
{
	uint32_t peer;

	if (!ready)
		return;
	peer = apsmd_random_live_peer(true);
	if (!peer)
		return;
	send_vector(peer, 0);
	apsmd_ctr.ae_rounds++;
	apsmd_dirty = true;
	/* the slow fallback: what no log shows (a lost kernel delete, a
	 * range given up) is found by comparing the trees
	 */
	if (!(apsmd_ctr.ae_rounds % MERKLE_EVERY))
		merkle_round(peer);
}

void apsmd_sync_on_vector(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			  const uint8_t *body, size_t blen)
{
	struct apsmd_range v[APSMD_DGRAM_MAX / APSMD_VEC_REC];
	bool baseline = h->flags & APSMD_F_BASELINE;
	unsigned int n, i;

	(void)ps;
	if (apsmd_wire_ranges(body, blen, APSMD_T_VECTOR, h->count, v,
			      sizeof(v) / sizeof(v[0]), &n)) {
		apsmd_ctr.bad_format++;
		return;
	}
	apsmd_ctr.ae_digests_received++;
	for (i = 0; i < n; i++) {
		struct olog_rx *r;

		if (v[i].stream == conf->id || !v[i].to)
			continue;
		r = rx_get(v[i].stream, true);
		if (!r)
			return;
		if (baseline) {
			/* the snapshot that follows holds all of it */
			olog_rx_raise(r, v[i].epoch, v[i].to);
			continue;
		}
		if (!ready || v[i].epoch < r->epoch)
			continue;
		if (v[i].epoch > r->epoch)
			olog_rx_reset(r, v[i].epoch, 0);
		if (v[i].to <= r->hwm)
			continue;
		if (!r->from)
			r->from = h->sender;
		if (v[i].to > r->max) {
			apsmd_ctr.gaps_detected++;
			apsmd_ctr.ae_diff_buckets++;
			/* a tail nothing else reveals: keep it open, so the
			 * tick asks again until it is here
			 */
			r->max = v[i].to;
		}
		nack(r, h->sender, v[i].to);
	}
}

/* Gaps still open: ask again, alternately the node the data came from
 * and the origin.
 */
void apsmd_sync_tick(uint64_t now)
{
	static uint64_t poll_ms;
	unsigned int i;

	if (now - poll_ms >= FEED_POLL_MS) {
		poll_ms = now;
		apsmd_kern_feed_poll();	/* peers' installs: not multicast */
	}
	tomb_expire(now);
	if (sh)
		shadow_tick(sh, now);
	if (merkle_due_ms && now >= merkle_due_ms && ready) {
		merkle_due_ms = 0;
		merkle_round(snap_from);
	}
	if (apsmd_ctr.tomb_live != tomb_live()) {
		apsmd_ctr.tomb_live = tomb_live();
		apsmd_dirty = true;
	}
	if (!ready)
		return;
	for (i = 0; i < nrx; i++) {
		struct olog_rx *r = &rx[i];
		uint32_t to;

		if (!olog_rx_gap(r) || now - r->nack_ms < NACK_RETRY_MS)
			continue;
		switch (r->nack_tries % 3) {
		case 0:
			to = r->stream;
			break;
		case 1:
			to = r->from;
			break;
		default:	/* neither had it: any ready node */
			to = apsmd_random_live_peer(true);
		}
		if (!to || !apsmd_pstate(to) ||
		    !apsmd_peer_alive(apsmd_pstate(to)))
			to = apsmd_random_live_peer(true);
		nack(r, to, 0);
	}
}

/* ------------------------------------------------------------ snapshot */

static uint32_t snap_to;		/* the peer a snapshot is being sent to */
static struct apsmd_wbuf sw;

static void snap_entry(const struct apsmd_flow *f, void *arg)
{
	(void)arg;
	if (apsmd_wire_log_add(&sw, f) == 1) {
		apsmd_send_to(&sw, snap_to, 0, APSMD_F_REPAIR);
		apsmd_wire_log_begin(&sw, 0, 0, 0);
		apsmd_wire_log_add(&sw, f);
	}
	apsmd_ctr.snapshot_entries++;
}

/* A full snapshot to peer: BASELINE vector, RDS, inventory, SNAP_END. */
static void send_snapshot(uint32_t peer)
{
	send_vector(peer, APSMD_F_BASELINE | APSMD_F_REPAIR);
	snap_to = peer;
	apsmd_wire_log_begin(&sw, 0, 0, 0);
	apsmd_kern_flows(snap_entry, NULL);
	if (sw.count)
		apsmd_send_to(&sw, peer, 0, APSMD_F_REPAIR);
	apsmd_inv_send_full(peer);
	apsmd_wire_log_begin(&sw, 0, 0, 0);
	apsmd_send_to(&sw, peer, 0, APSMD_F_REPAIR | APSMD_F_SNAP_END);
}

void apsmd_sync_on_pull(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen)
{
	if (blen != APSMD_PULL_LEN) {
		apsmd_ctr.bad_format++;
		return;
	}
	switch (body[0]) {
	case APSMD_PULL_FULL:
		if (!ready)
			return;	/* not a good source yet: it will ask another */
		send_snapshot(h->sender);
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
	send_pull(peer, APSMD_PULL_FULL);
}
