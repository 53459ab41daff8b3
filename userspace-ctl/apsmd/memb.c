// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's membership, the main loop's side. The I/O thread (peer.c)
 * sends a HEARTBEAT to every peer each HeartbeatInterval (carrying
 * "ready" and the hash of this node's own instance inventory, published
 * here), takes any authenticated datagram as proof that a peer is alive
 * and declares one silent for PeerTimeout dead; its events reach
 * apsmd_memb_on_event() in order. A dead peer's kernel peer is set down
 * (APSM_PEER_A_STATE: the LB tables skip its instances, pinned flows per
 * the node's peer-down policy) until it is heard again. A kernel without
 * peer states gets the fallback: the dead node's instances are set down
 * here and back when it returns. Each tick also pushes the per-peer
 * replication figures into the kernel (APSM_PEER_A_REPL) for `apsmctl
 * peer show`.
 */
#include <string.h>

#include "core.h"
#include "inv.h"
#include "kern.h"
#include "memb.h"
#include "peer.h"
#include "sync.h"

static const struct apsmd_conf *conf;
static bool no_peer_state, no_repl;	/* the kernel refused them once */

void apsmd_memb_init(const struct apsmd_conf *c)
{
	conf = c;
}

static void node_down(struct apsmd_pstate *p)
{
	if (!no_peer_state) {
		if (!apsmd_kern_peer_state(p->id, APSM_PEER_DOWN)) {
			apsmd_ctr.peer_state_down++;
			return;
		}
		no_peer_state = true;
		apsmd_log("no peer state in this kernel: marking instances down instead");
	}
	apsmd_inv_node_down(p->id);
}

/* Also when first heard: a previous apsmd may have left it down. */
static void node_up(struct apsmd_pstate *p, bool was_dead)
{
	if (!no_peer_state) {
		if (!apsmd_kern_peer_state(p->id, APSM_PEER_UP)) {
			apsmd_ctr.peer_state_up += was_dead;
			return;
		}
		no_peer_state = true;
	}
	apsmd_inv_node_up(p->id);
}

void apsmd_memb_publish(void)
{
	uint64_t hash;
	uint32_t count;

	apsmd_inv_own_hash(&hash, &count);
	apsmd_peer_publish(hash, count, apsmd_sync_ready());
}

/* The kernel follows the I/O thread's view of the peer; ev 0 (events were
 * lost): whatever that view is now.
 */
void apsmd_memb_on_event(struct apsmd_pstate *p, enum apsmd_peer_ev ev,
			 uint64_t arg)
{
	bool dead = __atomic_load_n(&p->dead, __ATOMIC_RELAXED);

	(void)arg;
	apsmd_dirty = true;
	if (ev == APSMD_EV_DEAD || (!ev && dead)) {
		p->ready = false;
		if (p->kstate != APSMD_KS_DOWN)
			node_down(p);
		p->kstate = APSMD_KS_DOWN;
		return;
	}
	if (ev || apsmd_peer_alive(p)) {
		if (p->kstate != APSMD_KS_UP)
			node_up(p, p->kstate == APSMD_KS_DOWN);
		p->kstate = APSMD_KS_UP;
	}
}

void apsmd_memb_on_heartbeat(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			     const uint8_t *body, size_t blen)
{
	if (blen != APSMD_HB_LEN) {
		apsmd_ctr.bad_format++;
		return;
	}
	p->ready = h->flags & APSMD_F_READY;
	p->inv_hash = apsmd_get64(body);
	if (p->ready)
		apsmd_inv_check(p);
	if (!apsmd_sync_ready())
		apsmd_sync_snapshot_ask();
}

static int push_repl(const struct apsmd_pstate *p, uint64_t now)
{
	uint64_t last = __atomic_load_n(&p->last_rx_ms, __ATOMIC_RELAXED);
	struct kern_repl r = {
		.tx_entries = p->tx_entries, .rx_entries = p->rx_entries,
		.tx_dgrams = __atomic_load_n(&p->tx_dgrams, __ATOMIC_RELAXED),
		.rx_dgrams = __atomic_load_n(&p->rx_dgrams, __ATOMIC_RELAXED),
		.auth_fail = __atomic_load_n(&p->auth_fail, __ATOMIC_RELAXED),
		.replayed = __atomic_load_n(&p->replayed, __ATOMIC_RELAXED),
		.resyncs = p->resyncs, .lag_ms = p->lag_ms,
		.heard = last != 0,
		.last_rx_ago_ms = last && now > last ? now - last : 0,
	};

	return apsmd_kern_peer_repl(p->id, &r);
}

void apsmd_memb_tick(void)
{
	uint64_t now = apsmd_now_ms();
	unsigned int i;

	apsmd_memb_publish();
	for (i = 0; i < conf->n_peers && !no_repl; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf->peers[i].id);

		if (p && push_repl(p, now)) {
			no_repl = true;
			apsmd_log("no replication figures in this kernel (peer set repl): not pushing them");
		}
	}
}

/* Peers removed from the config: forget their liveness; new ones get a
 * state.
 */
void apsmd_memb_reload(void)
{
	apsmd_peer_forget_removed();
}
