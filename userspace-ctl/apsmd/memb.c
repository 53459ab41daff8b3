// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's membership: a HEARTBEAT to every peer each HeartbeatInterval
 * (carrying "ready" and the hash of the sender's own instance inventory).
 * Any authenticated datagram proves a peer alive; one silent for
 * PeerTimeout is declared dead: its kernel peer is set down
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

static void send_heartbeat(uint32_t to)
{
	static struct apsmd_wbuf w;
	uint8_t b[APSMD_HB_LEN];
	uint64_t hash;
	uint32_t count;

	apsmd_inv_own_hash(&hash, &count);
	memset(b, 0, sizeof(b));
	apsmd_put64(b, hash);
	apsmd_put32(b + 8, count);
	apsmd_wire_begin(&w, APSMD_T_HEARTBEAT);
	apsmd_wire_raw(&w, b, sizeof(b));
	if (to)
		apsmd_send_to(&w, to, 0, apsmd_sync_ready() ? APSMD_F_READY : 0);
	else
		apsmd_send_all(&w, 0, 0, apsmd_sync_ready() ? APSMD_F_READY : 0);
	apsmd_ctr.heartbeats_sent++;
}

void apsmd_memb_heard(struct apsmd_pstate *p)
{
	p->last_rx_ms = apsmd_now_ms();
	if (p->alive)
		return;
	p->alive = true;
	apsmd_dirty = true;
	if (p->dead) {
		p->dead = false;
		apsmd_ctr.peer_returns++;
		apsmd_log("peer %u is back", p->id);
		node_up(p, true);
	} else {
		apsmd_log("peer %u is alive", p->id);
		node_up(p, false);
	}
	send_heartbeat(p->id);	/* so that it learns of us at once too */
}

void apsmd_memb_on_heartbeat(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			     const uint8_t *body, size_t blen)
{
	if (blen != APSMD_HB_LEN) {
		apsmd_ctr.bad_format++;
		return;
	}
	apsmd_ctr.heartbeats_received++;
	p->ready = h->flags & APSMD_F_READY;
	p->inv_hash = apsmd_get64(body);
	if (p->ready)
		apsmd_inv_check(p);
	if (!apsmd_sync_ready())
		apsmd_sync_snapshot_ask();
}

static int push_repl(const struct apsmd_pstate *p, uint64_t now)
{
	struct kern_repl r = {
		.tx_entries = p->tx_entries, .rx_entries = p->rx_entries,
		.tx_dgrams = p->tx_dgrams, .rx_dgrams = p->rx_dgrams,
		.auth_fail = p->auth_fail, .replayed = p->replayed,
		.resyncs = p->resyncs, .lag_ms = p->lag_ms,
		.heard = p->last_rx_ms != 0,
		.last_rx_ago_ms = p->last_rx_ms ? now - p->last_rx_ms : 0,
	};

	return apsmd_kern_peer_repl(p->id, &r);
}

void apsmd_memb_tick(void)
{
	uint64_t now = apsmd_now_ms();
	unsigned int i;

	send_heartbeat(0);
	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf->peers[i].id);

		if (!p || !p->alive ||
		    now - p->last_rx_ms < conf->peer_timeout_ms)
			continue;
		p->alive = false;
		p->ready = false;
		p->dead = true;
		apsmd_ctr.peer_deaths++;
		apsmd_dirty = true;
		apsmd_log("peer %u is dead (silent for %llu ms)", p->id,
			  (unsigned long long)(now - p->last_rx_ms));
		node_down(p);
	}
	for (i = 0; i < conf->n_peers && !no_repl; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf->peers[i].id);

		if (p && push_repl(p, now)) {
			no_repl = true;
			apsmd_log("no replication figures in this kernel (peer set repl): not pushing them");
		}
	}
}

/* Peers removed from the config: forget their liveness. */
void apsmd_memb_reload(void)
{
	apsmd_peer_forget_removed();
}
