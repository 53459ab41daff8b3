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

#include "apsmd.h"

static bool no_peer_state, no_repl;	/* the kernel refused them once */

static void node_down(struct apsmd_pstate *p)
{
	if (!no_peer_state) {
		if (!apsmd_kern_peer_state(p->id, APSM_PEER_DOWN)) {
			apsmd.c.peer_state_down++;
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
			apsmd.c.peer_state_up += was_dead;
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
		apsmd_send_to(&w, to, 0, apsmd.ready ? APSMD_F_READY : 0);
	else
		apsmd_send_all(&w, 0, 0, apsmd.ready ? APSMD_F_READY : 0);
	apsmd.c.heartbeats_sent++;
}

void apsmd_memb_heard(struct apsmd_pstate *p)
{
	p->last_rx_ms = apsmd_now_ms();
	if (p->alive)
		return;
	p->alive = true;
	apsmd.dirty = true;
	if (p->dead) {
		p->dead = false;
		apsmd.c.peer_returns++;
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
		apsmd.c.bad_format++;
		return;
	}
	apsmd.c.heartbeats_received++;
	p->ready = h->flags & APSMD_F_READY;
	p->inv_hash = apsmd_get64(body);
	if (p->ready)
		apsmd_inv_check(p);
	if (!apsmd.ready)
		apsmd_sync_snapshot_ask();
}

void apsmd_memb_tick(void)
{
	uint64_t now = apsmd_now_ms();
	unsigned int i;

	send_heartbeat(0);
	for (i = 0; i < apsmd.conf.n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(apsmd.conf.peers[i].id);

		if (!p || !p->alive ||
		    now - p->last_rx_ms < apsmd.conf.peer_timeout_ms)
			continue;
		p->alive = false;
		p->ready = false;
		p->dead = true;
		apsmd.c.peer_deaths++;
		apsmd.dirty = true;
		apsmd_log("peer %u is dead (silent for %llu ms)", p->id,
			  (unsigned long long)(now - p->last_rx_ms));
		node_down(p);
	}
	for (i = 0; i < apsmd.conf.n_peers && !no_repl; i++) {
		struct apsmd_pstate *p = apsmd_pstate(apsmd.conf.peers[i].id);

		if (p && apsmd_kern_peer_repl(p, now)) {
			no_repl = true;
			apsmd_log("no replication figures in this kernel (peer set repl): not pushing them");
		}
	}
}

/* Peers removed from the config: forget their liveness (not their replay
 * windows: apsmd_pstate() keeps those by id).
 */
void apsmd_memb_reload(void)
{
	unsigned int i;

	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (apsmd.ps[i].id && !apsmd_peer_conf(apsmd.ps[i].id))
			apsmd.ps[i].alive = false;
}
