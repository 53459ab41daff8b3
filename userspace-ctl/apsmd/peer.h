/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's peer side (peer.c): the UDP socket, what this node knows of each
 * peer (struct apsmd_pstate, kept by id across reloads), sealing and
 * sending, and receiving: checks, then up through the peer_ops main
 * installs (it calls no module above it).
 */
#ifndef APSMD_PEER_H
#define APSMD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "wire.h"

/* What this node knows of a peer (kept by id across reloads). */
struct apsmd_pstate {
	uint32_t id;
	struct apsmd_replay replay;
	bool alive;		/* heard from within PeerTimeout */
	bool dead;		/* declared dead (its instances are down) */
	bool ready;		/* says it holds a full RDS */
	uint64_t last_rx_ms;
	uint64_t inv_hash;	/* its own inventory, per its heartbeat */
	uint64_t inv_pull_ms;	/* last inventory pull, rate limit */
	uint32_t inv_gen, inv_got; /* full inventory being received */
	uint64_t tx_entries, rx_entries, tx_dgrams, rx_dgrams, lag_ms;
	uint64_t auth_fail, replayed, resyncs;
};

typedef void (*peer_msg_fn)(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			    const uint8_t *body, size_t blen);

struct peer_ops {
	void (*heard)(struct apsmd_pstate *p);	/* any valid datagram */
	peer_msg_fn msg[APSMD_T_MAX + 1];	/* by type */
	void (*drained)(void);			/* after each read */
};

/* Bind Listen of c (kept: c must outlive the module; a reload changes its
 * peers in place); datagrams sealed with key (copied) under epoch. 0 or -1.
 */
int apsmd_peer_open(const struct apsmd_conf *c, const uint8_t *key,
		    uint64_t epoch, const struct peer_ops *ops);
int apsmd_peer_fd(void);		/* poll it; then: */
void apsmd_peer_on_readable(void);
void apsmd_peer_close(void);

struct apsmd_pstate *apsmd_pstate(uint32_t id);	/* configured peers only */
const struct apsmd_peer *apsmd_peer_conf(uint32_t id);
/* Call fn for each configured peer's state. */
void apsmd_peer_each(void (*fn)(struct apsmd_pstate *p, void *arg), void *arg);
/* Peers no longer configured (a reload): not alive. */
void apsmd_peer_forget_removed(void);
/* Seal w and send it to one peer, to every peer (except skip), or to up to
 * fanout random live peers (except skip). Begins w again.
 */
void apsmd_send_to(struct apsmd_wbuf *w, uint32_t peer, uint8_t ttl,
		   uint8_t flags);
void apsmd_send_all(struct apsmd_wbuf *w, uint32_t skip, uint8_t ttl,
		    uint8_t flags);
void apsmd_send_fanout(struct apsmd_wbuf *w, unsigned int fanout,
		       uint32_t skip, uint8_t ttl, uint8_t flags);
uint32_t apsmd_random_live_peer(bool need_ready);
bool apsmd_gossip(void);	/* cluster above GossipThreshold */

#endif /* APSMD_PEER_H */
