// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's peer side: the UDP socket, its two users and what they share.
 *
 * The I/O thread owns the receive path and liveness, so that nothing the
 * main loop does (dumps, install bursts, a stall) can make a peer look
 * dead: it reads datagrams in batches (recvmmsg), checks MAC, format,
 * known sender and replay window, marks the sender alive (any
 * authenticated fresh datagram proves it), sends the HEARTBEATs on time
 * (what they carry is published to it by the main loop) and declares
 * silent peers dead. Every checked datagram and every peer state change
 * goes to the main loop through one bounded queue (struct apsmd_ring,
 * eventfd to wake it): full, a datagram is dropped (rx_queue_drop;
 * replication repairs it), state changes have room kept for them and,
 * were even that full, the main loop is told to look at every peer.
 *
 * The main loop sends: apsmd_send_*() seal datagrams into a queue that
 * leaves with sendmmsg when the loop is about to sleep or the queue is
 * full. REPAIR datagrams go through a token bucket (RepairRate): those
 * that find it empty wait, unsealed, in a backlog and are sealed when
 * they leave, so that their sequence numbers stay in the receiver's
 * replay window (repair_paced). HEARTBEATs carry a sequence of their own
 * (the I/O thread's), with a replay window of their own at the receiver.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core.h"
#include "peer.h"
#include "session.h"


#define RX_BATCH	64	/* recvmmsg */
#define RXQ_SLOTS	2048	/* I/O thread -> main loop */
#define RXQ_KEEP_DATA	256	/* datagrams leave this many slots free */
#define RXQ_KEEP_HB	32	/* heartbeats this many, events none */
#define TXQ_LEN		64	/* sendmmsg */
#define PACE_LEN	1024	/* REPAIR datagrams waiting for tokens */
#define DRAIN_BUDGET	4096	/* queue items per apsmd_peer_on_readable() */

static const struct apsmd_conf *conf;
static const struct peer_ops *ops;
static uint8_t key[APSMD_KEY_BYTES];
static uint64_t epoch, seq;	/* seq: the main loop's datagrams; epoch:
				 * atomic (the I/O thread bumps it) */
/* identity (session.c): per-node keys, one session per ps_tab slot */
static bool per_node;
static struct apsmd_ident ident;
static struct apsmd_session sess_tab[APSMD_PEERS_MAX];
static struct apsmd_state *rstate;	/* persisted replay state, or NULL */
static uint64_t bump_ms;		/* last epoch bump (I/O thread) */
static int udp = -1, rx_efd = -1, stop_efd = -1;
static struct apsmd_pstate ps_tab[APSMD_PEERS_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t io_thread;
static bool io_started;

/* published by the main loop for the heartbeats (atomics) */
static uint64_t pub_hash;
static uint32_t pub_count;
static bool pub_ready;
static bool io_dirty, events_lost;	/* atomics */

/* REPAIR datagrams waiting for tokens, unsealed. */
struct paced {
	struct apsmd_wbuf w;
	uint32_t peer;
	uint8_t ttl, flags;
};

static struct paced *pq;
static unsigned int pq_head, pq_n;
static struct apsmd_tbucket tb;
static bool tb_on;

/* ------------------------------------------------------------ peers */

const struct apsmd_peer *apsmd_peer_conf(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < conf->n_peers; i++)
		if (conf->peers[i].id == id)
			return &conf->peers[i];
	return NULL;
}

/* State is kept by id so that a reload does not reset replay windows.
 * Only looks up: states are made for every configured peer by tab_sync()
 * (under the lock), so the I/O thread never sees one being made.
 */
struct apsmd_pstate *apsmd_pstate(uint32_t id)
{
	unsigned int i;

	if (!id || !apsmd_peer_conf(id))
		return NULL;
	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (ps_tab[i].id == id)
			return &ps_tab[i];
	return NULL;
}

/* With the lock held (or before the thread runs). */
static void sess_sync(void);

static void tab_sync(void)
{
	unsigned int i, j;

	sess_sync();
	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (ps_tab[i].id && !apsmd_peer_conf(ps_tab[i].id))
			__atomic_store_n(&ps_tab[i].alive, false,
					 __ATOMIC_RELAXED);
	for (j = 0; j < conf->n_peers; j++) {
		uint32_t id = conf->peers[j].id;

		if (apsmd_pstate(id))
			continue;
		for (i = 0; i < APSMD_PEERS_MAX; i++) {
			if (!ps_tab[i].id) {
				memset(&ps_tab[i], 0, sizeof(ps_tab[i]));
				ps_tab[i].id = id;
				if (rstate)
					ps_tab[i].epoch_floor =
						apsmd_state_floor(rstate, id);
				break;
			}
		}
	}
}

/* The sessions of the configured peers (per-node keys), rebuilt from
 * their PublicKeys; with the lock held (or before the thread runs). A
 * peer whose key is degenerate gets none: its datagrams fail.
 */
static void sess_sync(void)
{
	unsigned int i;

	if (!per_node)
		return;
	for (i = 0; i < APSMD_PEERS_MAX; i++)
		apsmd_session_wipe(&sess_tab[i]);
	for (i = 0; i < conf->n_peers; i++) {
		const struct apsmd_peer *p = &conf->peers[i];
		struct apsmd_session *s = &sess_tab[i];

		if (apsmd_session_make(s, &ident, p->id,
				       (const uint8_t (*)[APSMD_KEY_BYTES])p->pubkey,
				       p->n_pubkeys)) {
			apsmd_log("peer %u: unusable PublicKey: its datagrams will be refused",
				  p->id);
			apsmd_session_wipe(s);
		}
	}
}

/* The session of a configured peer (index in conf->peers). */
static struct apsmd_session *sess_of(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < conf->n_peers; i++)
		if (sess_tab[i].peer == id)
			return sess_tab[i].n_rx ? &sess_tab[i] : NULL;
	return NULL;
}

void apsmd_peer_identity(const struct apsmd_ident *me,
			 struct apsmd_state *st)
{
	apsmd_peer_lock();
	per_node = me != NULL;
	if (me)
		ident = *me;
	rstate = st;
	if (conf)
		tab_sync();
	apsmd_peer_unlock();
}

void apsmd_peer_lock(void)
{
	pthread_mutex_lock(&lock);
}

void apsmd_peer_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

bool apsmd_peer_alive(const struct apsmd_pstate *p)
{
	return __atomic_load_n(&p->alive, __ATOMIC_RELAXED);
}

void apsmd_peer_each(void (*fn)(struct apsmd_pstate *p, void *arg), void *arg)
{
	unsigned int i;

	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf->peers[i].id);

		if (p)
			fn(p, arg);
	}
}

/* Peers removed from the config: forget their liveness (not their replay
 * windows: the states are kept by id); peers added get a state.
 */
void apsmd_peer_forget_removed(void)
{
	apsmd_peer_lock();
	tab_sync();
	apsmd_peer_unlock();
}

uint32_t apsmd_random_live_peer(bool need_ready)
{
	uint32_t cand[APSMD_PEERS_MAX];
	unsigned int n = 0, i;

	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(conf->peers[i].id);

		if (ps && apsmd_peer_alive(ps) && (!need_ready || ps->ready))
			cand[n++] = ps->id;
	}
	return n ? cand[randombytes_uniform(n)] : 0;
}

bool apsmd_gossip(void)
{
	return conf->n_peers + 1 > conf->gossip_threshold;
}

/* ------------------------------------------------------------ socket */

static void set_buf(int force_opt, int opt, uint32_t want, const char *name)
{
	int v = want, got = 0;
	socklen_t len = sizeof(got);
	bool forced = !setsockopt(udp, SOL_SOCKET, force_opt, &v, sizeof(v));

	if (!forced)	/* no CAP_NET_ADMIN: capped by net.core.*mem_max */
		setsockopt(udp, SOL_SOCKET, opt, &v, sizeof(v));
	getsockopt(udp, SOL_SOCKET, opt, &got, &len);
	/* the kernel reports twice what it accounts (bookkeeping overhead) */
	apsmd_log("UDP %s: %d bytes (asked %u%s)", name, got, want,
		  forced ? "" : ", not forced: capped by net.core.*mem_max");
}

int apsmd_peer_open(const struct apsmd_conf *c, const uint8_t *k,
		    uint64_t ep, const struct peer_ops *o)
{
	int one = 1;

	conf = c;
	ops = o;
	memcpy(key, k, sizeof(key));
	epoch = ep;
	tab_sync();

	udp = socket(conf->listen.ss_family, SOCK_DGRAM |
			   SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (udp < 0)
		return -1;
	setsockopt(udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_buf(SO_RCVBUFFORCE, SO_RCVBUF, conf->udp_rcvbuf, "receive buffer");
	set_buf(SO_SNDBUFFORCE, SO_SNDBUF, conf->udp_sndbuf, "send buffer");
	if (bind(udp, (struct sockaddr *)&conf->listen,
		 conf->listen_len) < 0) {
		apsmd_log("bind Listen: %s", strerror(errno));
		return -1;
	}
	if (conf->repair_rate) {
		/* a burst of 50 ms, at least 4 full datagrams */
		uint64_t burst = conf->repair_rate / 20;

		if (burst < 4 * APSMD_DGRAM_MAX)
			burst = 4 * APSMD_DGRAM_MAX;
		pq = calloc(PACE_LEN, sizeof(*pq));
		if (!pq)
			return -1;
		apsmd_tb_init(&tb, conf->repair_rate, burst, apsmd_now_us());
		tb_on = true;
	}
	rx_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	stop_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rx_efd < 0 || stop_efd < 0)
		return -1;
	return 0;
}

/* The wire class of a datagram, for push_bytes, repair_bytes, ctrl_bytes. */
enum { CL_PUSH, CL_REPAIR, CL_CTRL };

static int dgram_class(uint8_t type, uint8_t flags)
{
	if ((flags & APSMD_F_REPAIR) || type == APSMD_T_TREE ||
	    type == APSMD_T_TREE_ENTRIES)
		return CL_REPAIR;
	if (type == APSMD_T_LOG)
		return CL_PUSH;
	return CL_CTRL;
}

/* ------------------------------------------------------------ I/O thread */

/* What the queue carries: a checked datagram or a peer state change. */
struct rx_item {
	uint8_t kind;		/* RX_DGRAM or RX_EVENT */
	uint8_t ev;
	uint32_t peer;
	uint64_t arg;
	struct apsmd_hdr h;
	uint16_t blen;
	uint8_t body[APSMD_DGRAM_MAX];
};

enum { RX_DGRAM = 1, RX_EVENT };

static struct apsmd_ring rxq;
static uint64_t hb_seq;		/* the I/O thread's */

static void io_wake(void)
{
	uint64_t one = 1;

	if (write(rx_efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		apsmd_log("eventfd: %s", strerror(errno));
}

static void io_event(struct apsmd_pstate *p, uint8_t ev, uint64_t arg)
{
	struct rx_item *it = apsmd_ring_slot(&rxq, 0);

	if (!it) {
		apsmd_io_add(rx_queue_drop, 1);
		__atomic_store_n(&events_lost, true, __ATOMIC_RELEASE);
		return;
	}
	it->kind = RX_EVENT;
	it->ev = ev;
	it->peer = p->id;
	it->arg = arg;
	apsmd_ring_push(&rxq);
}

static void hb_build(struct apsmd_wbuf *w, uint8_t *flags,
		     struct apsmd_hdr *hp)
{
	uint8_t b[APSMD_HB_LEN];
	struct apsmd_hdr h = { .sender = conf->id,
			       .epoch = __atomic_load_n(&epoch, __ATOMIC_RELAXED) };
	unsigned int i;

	memset(b, 0, sizeof(b));
	apsmd_put64(b, __atomic_load_n(&pub_hash, __ATOMIC_RELAXED));
	apsmd_put32(b + 8, __atomic_load_n(&pub_count, __ATOMIC_RELAXED));
	apsmd_wire_begin(w, APSMD_T_HEARTBEAT);
	apsmd_wire_raw(w, b, sizeof(b));
	*flags = __atomic_load_n(&pub_ready, __ATOMIC_RELAXED) ?
		 APSMD_F_READY : 0;
	/* a peer refused our epoch (it restarted): ask for a new one */
	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf->peers[i].id);

		if (p && p->epoch_stale)
			*flags |= APSMD_F_EPOCH_STALE;
	}
	h.flags = *flags;
	h.seq = ++hb_seq;
	*hp = h;
	if (!per_node)
		w->len = apsmd_wire_seal(w, &h, key);
}

/* A HEARTBEAT to one peer (to) or all; with the lock held. */
static void hb_send(uint32_t to)
{
	struct mmsghdr mm[APSMD_PEERS_MAX];
	struct iovec iov;
	struct apsmd_pstate *pst[APSMD_PEERS_MAX];
	struct apsmd_wbuf w;
	static uint8_t sealed[APSMD_PEERS_MAX][APSMD_DGRAM_MAX + APSMD_TAG_LEN];
	struct iovec iovs[APSMD_PEERS_MAX];
	struct apsmd_hdr h;
	unsigned int i, n = 0;
	uint8_t flags;
	int r, sent = 0;
	size_t len;

	hb_build(&w, &flags, &h);
	len = w.len;
	iov = (struct iovec){ .iov_base = w.b, .iov_len = w.len };
	memset(mm, 0, sizeof(mm[0]) * conf->n_peers);
	for (i = 0; i < conf->n_peers; i++) {
		const struct apsmd_peer *p = &conf->peers[i];

		if (to && p->id != to)
			continue;
		mm[n].msg_hdr.msg_name = (void *)&p->ep;
		mm[n].msg_hdr.msg_namelen = p->ep_len;
		mm[n].msg_hdr.msg_iov = &iov;
		mm[n].msg_hdr.msg_iovlen = 1;
		if (per_node) {
			/* sealed for each peer with its session */
			struct apsmd_session *s = sess_of(p->id);

			if (!s)
				continue;
			len = apsmd_session_seal(s->tx, sealed[n], &w, &h);
			iovs[n] = (struct iovec){ .iov_base = sealed[n],
						  .iov_len = len };
			mm[n].msg_hdr.msg_iov = &iovs[n];
		}
		pst[n++] = apsmd_pstate(p->id);
	}
	while (sent < (int)n) {
		r = sendmmsg(udp, mm + sent, n - sent, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			apsmd_io_add(send_fail, 1);
			sent++;		/* skip the one that failed */
			continue;
		}
		for (i = sent; i < (unsigned int)(sent + r); i++) {
			apsmd_io_add(heartbeats_sent, 1);
			apsmd_io_add(tx_dgrams, 1);
			apsmd_io_add(tx_bytes, len);
			apsmd_io_add(ctrl_bytes, len);
			if (pst[i])
				__atomic_fetch_add(&pst[i]->tx_dgrams, 1,
						   __ATOMIC_RELAXED);
		}
		sent += r;
	}
}

/* Any authenticated fresh datagram: the sender is alive. */
static void io_heard(struct apsmd_pstate *p, uint64_t now)
{
	__atomic_store_n(&p->last_rx_ms, now, __ATOMIC_RELAXED);
	if (p->alive)
		return;
	__atomic_store_n(&p->alive, true, __ATOMIC_RELAXED);
	__atomic_store_n(&io_dirty, true, __ATOMIC_RELAXED);
	if (p->dead) {
		__atomic_store_n(&p->dead, false, __ATOMIC_RELAXED);
		apsmd_io_add(peer_returns, 1);
		apsmd_log("peer %u is back", p->id);
		io_event(p, APSMD_EV_BACK, 0);
	} else {
		apsmd_log("peer %u is alive", p->id);
		io_event(p, APSMD_EV_ALIVE, 0);
	}
	hb_send(p->id);		/* so that it learns of us at once too */
}

static uint64_t apsmd_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A fresh datagram of ps: persist its epoch if it grew; bump ours if it
 * says our epoch is stale there (it restarted and saw it before).
 */
static void io_epoch(struct apsmd_pstate *ps, const struct apsmd_hdr *h,
		     uint64_t now)
{
	if (h->epoch > ps->epoch_floor)
		__atomic_store_n(&ps->epoch_stale, false, __ATOMIC_RELAXED);
	if (rstate && apsmd_state_seen(rstate, ps->id, h->epoch) < 0)
		apsmd_io_add(state_write_fail, 1);
	if (!(h->flags & APSMD_F_EPOCH_STALE) || !rstate ||
	    (bump_ms && now - bump_ms < conf->heartbeat_ms))
		return;
	bump_ms = now;
	{
		char err[300];

		if (apsmd_state_next_epoch(rstate, apsmd_wall_ns(), err,
				   sizeof(err))) {
			apsmd_io_add(state_write_fail, 1);
			apsmd_log("%s", err);
			return;
		}
	}
	__atomic_store_n(&epoch, rstate->epoch, __ATOMIC_RELAXED);
	apsmd_io_add(epoch_bumps, 1);
	apsmd_log("peer %u restarted and refuses our epoch: now %llu",
		  ps->id, (unsigned long long)rstate->epoch);
	hb_send(ps->id);
}

/* One datagram off the socket; with the lock held. */
static void io_rx(const uint8_t *b, size_t len, uint64_t now)
{
	static uint8_t pt[APSMD_DGRAM_MAX + APSMD_TAG_LEN];
	struct apsmd_session *s = NULL;
	struct apsmd_replay *rw;
	struct apsmd_pstate *ps;
	struct rx_item *it;
	struct apsmd_hdr h;
	const uint8_t *body;
	enum apsmd_verdict v;
	bool stale;
	size_t blen;

	apsmd_io_add(rx_dgrams, 1);
	apsmd_io_add(rx_bytes, len);
	if (per_node) {
		/* the sender's session opens it, or nothing does */
		uint32_t from = apsmd_session_sender(b, len);

		if (len >= APSMD_HDR_LEN) {
			s = sess_of(from);
			if (!s) {
				apsmd_io_add(unknown_sender, 1);
				return;
			}
		}
		v = s ? apsmd_session_open(s, b, len, pt, &h, &blen) :
			APSMD_BAD_FORMAT;
		body = pt;
	} else {
		v = apsmd_wire_verify(b, len, key, &h, &body, &blen);
	}
	switch (v) {
	case APSMD_BAD_MAC:
		apsmd_io_add(auth_fail, 1);
		/* the sender field is not authenticated: a hint only */
		if (len >= 12) {
			ps = apsmd_pstate(apsmd_get32(b + 8));
			if (ps)
				__atomic_fetch_add(&ps->auth_fail, 1,
						   __ATOMIC_RELAXED);
		}
		return;
	case APSMD_BAD_FORMAT:
		apsmd_io_add(bad_format, 1);
		return;
	case APSMD_OK:
		break;
	}
	ps = apsmd_pstate(h.sender);
	if (!ps) {
		apsmd_io_add(unknown_sender, 1);
		return;
	}
	rw = h.type == APSMD_T_HEARTBEAT ? &ps->replay_hb : &ps->replay;
	/* after this node's restart: nothing of an epoch already seen (it
	 * may be a capture); the peer is asked for a new epoch
	 */
	if (apsmd_replay_accept(rw, ps->epoch_floor, h.epoch, h.seq,
				&stale)) {
		if (stale) {
			__atomic_store_n(&ps->epoch_stale, true,
					 __ATOMIC_RELAXED);
			/* ask it at once (rate-limited: replays must not
			 * make us send), then with every heartbeat
			 */
			if (now - ps->stale_hb_ms >= conf->heartbeat_ms) {
				ps->stale_hb_ms = now;
				hb_send(ps->id);
			}
		}
		apsmd_io_add(replay, 1);
		__atomic_fetch_add(&ps->replayed, 1, __ATOMIC_RELAXED);
		return;
	}
	io_epoch(ps, &h, now);
	__atomic_fetch_add(&ps->rx_dgrams, 1, __ATOMIC_RELAXED);
	io_heard(ps, now);
	if (h.type == APSMD_T_HEARTBEAT)
		apsmd_io_add(heartbeats_received, 1);
	it = apsmd_ring_slot(&rxq, h.type == APSMD_T_HEARTBEAT ?
			     RXQ_KEEP_HB : RXQ_KEEP_DATA);
	if (!it) {
		apsmd_io_add(rx_queue_drop, 1);
		return;
	}
	it->kind = RX_DGRAM;
	it->peer = ps->id;
	it->h = h;
	it->blen = blen;
	memcpy(it->body, body, blen);
	apsmd_ring_push(&rxq);
}

/* Heartbeats out, silent peers dead; with the lock held. */
static void io_tick(uint64_t now)
{
	unsigned int i;

	hb_send(0);
	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf->peers[i].id);
		uint64_t last;

		if (!p || !p->alive)
			continue;
		last = __atomic_load_n(&p->last_rx_ms, __ATOMIC_RELAXED);
		if (now - last < conf->peer_timeout_ms)
			continue;
		__atomic_store_n(&p->alive, false, __ATOMIC_RELAXED);
		__atomic_store_n(&p->dead, true, __ATOMIC_RELAXED);
		__atomic_store_n(&io_dirty, true, __ATOMIC_RELAXED);
		apsmd_io_add(peer_deaths, 1);
		apsmd_log("peer %u is dead (silent for %llu ms)", p->id,
			  (unsigned long long)(now - last));
		io_event(p, APSMD_EV_DEAD, now - last);
	}
}

/* jittered by up to a tenth, so that nodes started together do not run
 * in lockstep
 */
static uint64_t next_at(uint64_t now, uint32_t ms)
{
	return now + ms - (ms >= 10 ? randombytes_uniform(ms / 10) : 0);
}

static void *io_main(void *arg)
{
	static uint8_t bufs[RX_BATCH][APSMD_DGRAM_MAX + 1];
	static struct mmsghdr mm[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	struct pollfd pfd[2] = {
		{ .fd = udp, .events = POLLIN },
		{ .fd = stop_efd, .events = POLLIN },
	};
	uint64_t now, t_hb = 0;
	unsigned int i;
	int n, k;

	(void)arg;
	for (i = 0; i < RX_BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs[i],
					 .iov_len = sizeof(bufs[i]) };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		now = apsmd_now_ms();
		if (now >= t_hb) {
			pthread_mutex_lock(&lock);
			io_tick(now);
			pthread_mutex_unlock(&lock);
			io_wake();
			t_hb = next_at(now, conf->heartbeat_ms);
		}
		if (poll(pfd, 2, (int)(t_hb - now)) < 0 && errno != EINTR)
			apsmd_log("I/O thread: poll: %s", strerror(errno));
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		/* a few batches, then the heartbeat deadline again */
		for (k = 0; k < 16; k++) {
			n = recvmmsg(udp, mm, RX_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			now = apsmd_now_ms();
			pthread_mutex_lock(&lock);
			for (i = 0; i < (unsigned int)n; i++)
				io_rx(bufs[i], mm[i].msg_len, now);
			pthread_mutex_unlock(&lock);
			__atomic_store_n(&io_dirty, true, __ATOMIC_RELAXED);
			io_wake();
			if (n < RX_BATCH || now >= t_hb)
				break;
		}
	}
	return NULL;
}

void apsmd_peer_publish(uint64_t inv_hash, uint32_t inv_count, bool ready)
{
	__atomic_store_n(&pub_hash, inv_hash, __ATOMIC_RELAXED);
	__atomic_store_n(&pub_count, inv_count, __ATOMIC_RELAXED);
	__atomic_store_n(&pub_ready, ready, __ATOMIC_RELAXED);
}

int apsmd_peer_start(void)
{
	int err;

	if (apsmd_ring_init(&rxq, RXQ_SLOTS, sizeof(struct rx_item))) {
		apsmd_log("out of memory for the receive queue");
		return -1;
	}
	err = pthread_create(&io_thread, NULL, io_main, NULL);
	if (err) {
		apsmd_log("I/O thread: %s", strerror(err));
		return -1;
	}
	io_started = true;
	return 0;
}

bool apsmd_peer_io_dirty(void)
{
	return __atomic_exchange_n(&io_dirty, false, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ main loop: receive */

int apsmd_peer_fd(void)
{
	return rx_efd;
}

void apsmd_peer_on_readable(void)
{
	unsigned int budget = DRAIN_BUDGET;	/* let timers and netlink run too */
	struct apsmd_pstate *ps;
	struct rx_item *it;
	uint64_t v;
	unsigned int i;

	if (read(rx_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		apsmd_log("eventfd: %s", strerror(errno));
	while (budget-- && (it = apsmd_ring_head(&rxq))) {
		ps = apsmd_pstate(it->peer);	/* gone by a reload: dropped */
		if (ps && it->kind == RX_EVENT) {
			ops->event(ps, it->ev, it->arg);
		} else if (ps && it->h.type <= APSMD_T_MAX &&
			   ops->msg[it->h.type]) {
			apsmd_dirty = true;
			ops->msg[it->h.type](ps, &it->h, it->body, it->blen);
		}
		apsmd_ring_pop(&rxq);
	}
	if (__atomic_exchange_n(&events_lost, false, __ATOMIC_ACQUIRE)) {
		apsmd_log("receive queue was full: peer state events lost, checking every peer");
		for (i = 0; i < conf->n_peers; i++) {
			ps = apsmd_pstate(conf->peers[i].id);
			if (ps)
				ops->event(ps, 0, 0);
		}
	}
	if (apsmd_ring_head(&rxq))
		io_wake();	/* more: come back after the timers */
	ops->drained();
}

/* ------------------------------------------------------------ main loop: send */

struct tx_ent {
	const struct apsmd_peer *to;
	uint32_t len;
	uint16_t count;
	uint8_t type, flags;
	uint8_t b[APSMD_DGRAM_MAX];
};

static struct tx_ent txq[TXQ_LEN];
static unsigned int n_txq;


static void tx_done(const struct tx_ent *e)
{
	struct apsmd_pstate *ps = apsmd_pstate(e->to->id);

	apsmd_ctr.tx_dgrams++;
	apsmd_ctr.tx_bytes += e->len;
	switch (dgram_class(e->type, e->flags)) {
	case CL_PUSH:
		apsmd_ctr.push_bytes += e->len;
		break;
	case CL_REPAIR:
		apsmd_ctr.repair_bytes += e->len;
		break;
	default:
		apsmd_ctr.ctrl_bytes += e->len;
	}
	if (ps) {
		__atomic_fetch_add(&ps->tx_dgrams, 1, __ATOMIC_RELAXED);
		if (e->type == APSMD_T_LOG)
			ps->tx_entries += e->count;
	}
}

static void txq_flush(void)
{
	struct mmsghdr mm[TXQ_LEN];
	struct iovec iov[TXQ_LEN];
	unsigned int i, sent = 0;
	bool waited = false;
	int r;

	if (!n_txq)
		return;
	memset(mm, 0, sizeof(mm[0]) * n_txq);
	for (i = 0; i < n_txq; i++) {
		iov[i] = (struct iovec){ .iov_base = txq[i].b,
					 .iov_len = txq[i].len };
		mm[i].msg_hdr.msg_name = (void *)&txq[i].to->ep;
		mm[i].msg_hdr.msg_namelen = txq[i].to->ep_len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < n_txq) {
		r = sendmmsg(udp, mm + sent, n_txq - sent, 0);
		if (r > 0) {
			for (i = sent; i < sent + r; i++)
				tx_done(&txq[i]);
			sent += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN && !waited) {
			/* the send buffer is full: give it a moment, once */
			struct pollfd pfd = { .fd = udp, .events = POLLOUT };

			poll(&pfd, 1, 100);
			waited = true;
			continue;
		}
		apsmd_ctr.send_fail++;
		sent++;			/* skip the one that failed */
	}
	n_txq = 0;
}

static void txq_add(const struct apsmd_wbuf *w, size_t len,
		    const struct apsmd_peer *p, uint8_t flags)
{
	struct tx_ent *e;

	if (n_txq == TXQ_LEN)
		txq_flush();
	e = &txq[n_txq++];
	e->to = p;
	e->len = len;
	e->count = w->count;
	e->type = w->type;
	e->flags = flags;
	memcpy(e->b, w->b, len);
}

static size_t seal(struct apsmd_wbuf *w, uint8_t ttl, uint8_t flags)
{
	struct apsmd_hdr h = {
		.sender = conf->id,
		.epoch = __atomic_load_n(&epoch, __ATOMIC_RELAXED),
		.seq = ++seq, .ttl = ttl, .flags = flags,
	};

	return apsmd_wire_seal(w, &h, key);
}

/* Seal w for p and queue it. One shared key: sealed once (*len) for
 * every peer, in place; per-node keys: w is left as it is and sealed
 * into the queue with p's session, each peer its own seq.
 */
static void txq_put(struct apsmd_wbuf *w, const struct apsmd_peer *p,
		    uint8_t ttl, uint8_t flags, size_t *len)
{
	struct apsmd_session *s;
	struct apsmd_hdr h;
	struct tx_ent *e;

	if (!per_node) {
		if (!*len)
			*len = seal(w, ttl, flags);
		txq_add(w, *len, p, flags);
		return;
	}
	s = sess_of(p->id);
	if (!s) {
		apsmd_ctr.send_fail++;
		return;
	}
	if (n_txq == TXQ_LEN)
		txq_flush();
	e = &txq[n_txq++];
	e->to = p;
	e->count = w->count;
	e->type = w->type;
	e->flags = flags;
	h = (struct apsmd_hdr){
		.sender = conf->id,
		.epoch = __atomic_load_n(&epoch, __ATOMIC_RELAXED),
		.seq = ++seq, .ttl = ttl, .flags = flags,
	};
	e->len = apsmd_session_seal(s->tx, e->b, w, &h);
}

/* Paced datagrams whose tokens are there: sealed and queued. Returns the
 * us until the next one is due, 0 when none waits.
 */
static uint64_t pace_release(uint64_t now_us)
{
	while (pq_n) {
		struct paced *q = &pq[pq_head];
		const struct apsmd_peer *p = apsmd_peer_conf(q->peer);
		uint64_t wait;

		if (p) {
			wait = apsmd_tb_wait_us(&tb, q->w.len + APSMD_MAC_LEN,
						now_us);
			if (wait)
				return wait;
			size_t len = 0;

			apsmd_tb_take(&tb, q->w.len + APSMD_MAC_LEN, now_us);
			txq_put(&q->w, p, q->ttl, q->flags, &len);
		}
		pq_head = (pq_head + 1) % PACE_LEN;
		pq_n--;
	}
	return 0;
}

/* A REPAIR datagram: now if tokens are there and nothing waits, else
 * into the backlog; a full backlog makes the caller wait (the repair
 * producer is slowed down, nothing is dropped).
 */
static void pace(struct apsmd_wbuf *w, const struct apsmd_peer *p,
		 uint8_t ttl, uint8_t flags)
{
	uint64_t now = apsmd_now_us(), wait;
	struct paced *q;

	if (!pq_n && apsmd_tb_take(&tb, w->len + APSMD_MAC_LEN, now)) {
		struct apsmd_wbuf c = *w;	/* w may go to more peers */
		size_t len = 0;

		txq_put(&c, p, ttl, flags, &len);
		return;
	}
	while (pq_n == PACE_LEN) {
		txq_flush();
		wait = pace_release(apsmd_now_us());
		if (wait) {
			struct timespec ts = { .tv_sec = wait / 1000000,
					       .tv_nsec = wait % 1000000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	q = &pq[(pq_head + pq_n++) % PACE_LEN];
	q->w = *w;
	q->peer = p->id;
	q->ttl = ttl;
	q->flags = flags;
	apsmd_ctr.repair_paced++;
}

static void out(struct apsmd_wbuf *w, const struct apsmd_peer *p,
		uint8_t ttl, uint8_t flags, size_t *len)
{
	if ((flags & APSMD_F_REPAIR) && tb_on) {
		pace(w, p, ttl, flags);
		return;
	}
	txq_put(w, p, ttl, flags, len);
}

int apsmd_peer_flush(void)
{
	uint64_t wait = 0;

	if (pq_n)
		wait = pace_release(apsmd_now_us());
	txq_flush();
	if (!pq_n)
		return -1;
	return (int)((wait + 999) / 1000);
}

void apsmd_send_to(struct apsmd_wbuf *w, uint32_t peer, uint8_t ttl,
		   uint8_t flags)
{
	const struct apsmd_peer *p = apsmd_peer_conf(peer);
	size_t len = 0;

	if (p)
		out(w, p, ttl, flags, &len);
	apsmd_wire_begin(w, w->type);
}

void apsmd_send_all(struct apsmd_wbuf *w, uint32_t skip, uint8_t ttl,
		    uint8_t flags)
{
	unsigned int i;
	size_t len = 0;

	for (i = 0; i < conf->n_peers; i++)
		if (conf->peers[i].id != skip)
			out(w, &conf->peers[i], ttl, flags, &len);
	apsmd_wire_begin(w, w->type);
}

/* Up to fanout distinct random live peers (all peers if none is known
 * to be alive yet), never skip.
 */
void apsmd_send_fanout(struct apsmd_wbuf *w, unsigned int fanout,
		       uint32_t skip, uint8_t ttl, uint8_t flags)
{
	const struct apsmd_peer *cand[APSMD_PEERS_MAX];
	unsigned int n = 0, i, live = 0;
	size_t len = 0;

	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(conf->peers[i].id);

		live += ps && apsmd_peer_alive(ps);
	}
	for (i = 0; i < conf->n_peers; i++) {
		const struct apsmd_peer *p = &conf->peers[i];
		struct apsmd_pstate *ps = apsmd_pstate(p->id);

		if (p->id != skip && (!live || (ps && apsmd_peer_alive(ps))))
			cand[n++] = p;
	}
	for (i = 0; i < fanout && n; i++) {
		unsigned int k = randombytes_uniform(n);

		out(w, cand[k], ttl, flags, &len);
		cand[k] = cand[--n];
	}
	apsmd_wire_begin(w, w->type);
}

void apsmd_peer_close(void)
{
	uint64_t one = 1;

	if (io_started) {
		if (write(stop_efd, &one, sizeof(one)) < 0)
			apsmd_log("eventfd: %s", strerror(errno));
		pthread_join(io_thread, NULL);
		io_started = false;
		apsmd_ring_fini(&rxq);
	}
	if (udp >= 0) {
		tb.rate = 0;		/* no wait at exit */
		pace_release(apsmd_now_us());
		txq_flush();
		close(udp);
	}
	udp = -1;
	if (rx_efd >= 0)
		close(rx_efd);
	if (stop_efd >= 0)
		close(stop_efd);
	rx_efd = stop_efd = -1;
	free(pq);
	pq = NULL;
	sodium_memzero(key, sizeof(key));
	sodium_memzero(sess_tab, sizeof(sess_tab));
	sodium_memzero(&ident, sizeof(ident));
}
