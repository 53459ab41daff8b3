/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's peer side (peer.c): the UDP socket, what this node knows of each
 * peer (struct apsmd_pstate, kept by id across reloads), sealing and
 * sending, and the I/O thread: it owns the receive path (recvmmsg, MAC,
 * replay), liveness (heartbeats, dead peers) and hands every datagram and
 * every peer state change to the main loop through a bounded queue, which
 * apsmd_peer_on_readable() drains up through the peer_ops main installs
 * (it calls no module above it).
 *
 * Threads: everything here runs on the main loop unless marked "I/O
 * thread". The fields of struct apsmd_pstate are each written by one of
 * them only (see the struct).
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
	/* written by the I/O thread only; the main loop reads alive, dead
	 * and last_rx_ms with apsmd_peer_alive() / __atomic loads
	 */
	struct apsmd_replay replay;	/* every type but HEARTBEAT */
	struct apsmd_replay replay_hb;	/* HEARTBEATs: a sequence of their own */
	bool alive;		/* heard from within PeerTimeout */
	bool dead;		/* declared dead, not heard since */
	uint64_t last_rx_ms;
	uint64_t rx_dgrams, auth_fail, replayed;	/* atomics */
	uint64_t tx_dgrams;	/* atomic: both threads send */
	/* identity (session.c), the I/O thread's: the highest epoch of it
	 * this node had seen when it started (nothing of it or before is
	 * accepted), and whether it must be asked for a new epoch
	 */
	uint64_t epoch_floor, stale_hb_ms;
	bool epoch_stale;
	/* the main loop's */
	bool ready;		/* says it holds a full RDS */
	uint8_t kstate;		/* what memb told the kernel: APSMD_KS_* */
	uint64_t inv_hash;	/* its own inventory, per its heartbeat */
	uint64_t inv_pull_ms;	/* last inventory pull, rate limit */
	uint32_t inv_gen, inv_got; /* full inventory being received */
	uint64_t tx_entries, rx_entries, lag_ms;
	uint64_t resyncs;
};

#define APSMD_KS_UNKNOWN	0
#define APSMD_KS_UP		1
#define APSMD_KS_DOWN		2

/* Peer state changes the I/O thread decided, in the order it did. */
enum apsmd_peer_ev {
	APSMD_EV_ALIVE = 1,	/* heard for the first time */
	APSMD_EV_BACK,		/* heard again after it was declared dead */
	APSMD_EV_DEAD,		/* silent for PeerTimeout (arg: ms silent) */
};

typedef void (*peer_msg_fn)(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			    const uint8_t *body, size_t blen);

struct peer_ops {
	/* a state change; also for peers heard once the queue had room again
	 * after a lost event: (p, 0, 0) means "look at p's state"
	 */
	void (*event)(struct apsmd_pstate *p, enum apsmd_peer_ev ev,
		      uint64_t arg);
	peer_msg_fn msg[APSMD_T_MAX + 1];	/* by type, checked datagrams */
	void (*drained)(void);			/* after each drain */
};

/* Bind Listen of c (kept: c must outlive the module; a reload changes its
 * peers in place, between apsmd_peer_lock() and apsmd_peer_unlock());
 * datagrams sealed with key (copied) under epoch. 0 or -1.
 */
int apsmd_peer_open(const struct apsmd_conf *c, const uint8_t *key,
		    uint64_t epoch, const struct peer_ops *ops);
struct apsmd_ident;
struct apsmd_state;
/* Per-node keys (me: this node's, copied; NULL: the shared KeyFile) and
 * the persisted replay state (kept; NULL: none). Before apsmd_peer_open()
 * and after a reload.
 */
void apsmd_peer_identity(const struct apsmd_ident *me,
			 struct apsmd_state *st);
/* Start the I/O thread (after daemon(), with the signals blocked). */
int apsmd_peer_start(void);
/* What the heartbeats carry from now on (the I/O thread sends them). */
void apsmd_peer_publish(uint64_t inv_hash, uint32_t inv_count, bool ready);
int apsmd_peer_fd(void);		/* poll it (the queue); then: */
void apsmd_peer_on_readable(void);
/* Before the main loop sleeps: release paced datagrams, send everything
 * queued (sendmmsg). Returns the ms until paced datagrams are due, or -1.
 */
int apsmd_peer_flush(void);
bool apsmd_peer_io_dirty(void);	/* the I/O thread changed counters */
void apsmd_peer_close(void);
void apsmd_peer_lock(void);		/* around changes of c's peer list */
void apsmd_peer_unlock(void);

struct apsmd_pstate *apsmd_pstate(uint32_t id);	/* configured peers only */
const struct apsmd_peer *apsmd_peer_conf(uint32_t id);
bool apsmd_peer_alive(const struct apsmd_pstate *p);
/* Call fn for each configured peer's state. */
void apsmd_peer_each(void (*fn)(struct apsmd_pstate *p, void *arg), void *arg);
/* After a reload: peers no longer configured are not alive; new ones get
 * a state.
 */
void apsmd_peer_forget_removed(void);
/* Seal w and send it to one peer, to every peer (except skip), or to up to
 * fanout random live peers (except skip). Begins w again. Datagrams are
 * queued and leave at the next apsmd_peer_flush() (or when the queue is
 * full); REPAIR ones are paced (RepairRate) and sealed when they leave.
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
