// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's peer side: the UDP socket, sealing and sending datagrams (to
 * one peer, all peers, or a random fanout of live peers), and receiving:
 * MAC, format, known sender and replay window are checked before a
 * datagram is dispatched by type to sync, membership or inventory.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "core.h"
#include "peer.h"

static const struct apsmd_conf *conf;
static const struct peer_ops *ops;
static uint8_t key[APSMD_KEY_BYTES];
static uint64_t epoch, seq;
static int udp = -1;
static struct apsmd_pstate ps_tab[APSMD_PEERS_MAX];

const struct apsmd_peer *apsmd_peer_conf(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < conf->n_peers; i++)
		if (conf->peers[i].id == id)
			return &conf->peers[i];
	return NULL;
}

/* State is kept by id so that a reload does not reset replay windows. */
struct apsmd_pstate *apsmd_pstate(uint32_t id)
{
	unsigned int i;

	if (!id || !apsmd_peer_conf(id))
		return NULL;
	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (ps_tab[i].id == id)
			return &ps_tab[i];
	for (i = 0; i < APSMD_PEERS_MAX; i++) {
		if (!ps_tab[i].id) {
			memset(&ps_tab[i], 0, sizeof(ps_tab[i]));
			ps_tab[i].id = id;
			return &ps_tab[i];
		}
	}
	return NULL;
}

int apsmd_peer_open(const struct apsmd_conf *c, const uint8_t *k,
		    uint64_t ep, const struct peer_ops *o)
{
	int one = 1, buf = 4 << 20;

	conf = c;
	ops = o;
	memcpy(key, k, sizeof(key));
	epoch = ep;

	udp = socket(conf->listen.ss_family, SOCK_DGRAM |
			   SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (udp < 0)
		return -1;
	setsockopt(udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(udp, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(udp, (struct sockaddr *)&conf->listen,
		 conf->listen_len) < 0) {
		apsmd_log("bind Listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static size_t seal(struct apsmd_wbuf *w, uint8_t ttl, uint8_t flags)
{
	struct apsmd_hdr h = {
		.sender = conf->id, .epoch = epoch,
		.seq = ++seq, .ttl = ttl, .flags = flags,
	};

	return apsmd_wire_seal(w, &h, key);
}

static void xmit(const struct apsmd_wbuf *w, size_t len,
		 const struct apsmd_peer *p)
{
	struct apsmd_pstate *ps = apsmd_pstate(p->id);

	if (sendto(udp, w->b, len, 0, (const struct sockaddr *)&p->ep,
		   p->ep_len) < 0) {
		apsmd_ctr.send_fail++;
		return;
	}
	if (ps) {
		ps->tx_dgrams++;
		if (w->type == APSMD_T_LOG)
			ps->tx_entries += w->count;
	}
}

void apsmd_send_to(struct apsmd_wbuf *w, uint32_t peer, uint8_t ttl,
		   uint8_t flags)
{
	const struct apsmd_peer *p = apsmd_peer_conf(peer);
	size_t len = seal(w, ttl, flags);

	if (p)
		xmit(w, len, p);
	apsmd_wire_begin(w, w->type);
}

void apsmd_send_all(struct apsmd_wbuf *w, uint32_t skip, uint8_t ttl,
		    uint8_t flags)
{
	size_t len = seal(w, ttl, flags);
	unsigned int i;

	for (i = 0; i < conf->n_peers; i++)
		if (conf->peers[i].id != skip)
			xmit(w, len, &conf->peers[i]);
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
	size_t len = seal(w, ttl, flags);

	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(conf->peers[i].id);

		live += ps && ps->alive;
	}
	for (i = 0; i < conf->n_peers; i++) {
		const struct apsmd_peer *p = &conf->peers[i];
		struct apsmd_pstate *ps = apsmd_pstate(p->id);

		if (p->id != skip && (!live || (ps && ps->alive)))
			cand[n++] = p;
	}
	for (i = 0; i < fanout && n; i++) {
		unsigned int k = randombytes_uniform(n);

		xmit(w, len, cand[k]);
		cand[k] = cand[--n];
	}
	apsmd_wire_begin(w, w->type);
}

uint32_t apsmd_random_live_peer(bool need_ready)
{
	uint32_t cand[APSMD_PEERS_MAX];
	unsigned int n = 0, i;

	for (i = 0; i < conf->n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(conf->peers[i].id);

		if (ps && ps->alive && (!need_ready || ps->ready))
			cand[n++] = ps->id;
	}
	return n ? cand[randombytes_uniform(n)] : 0;
}

bool apsmd_gossip(void)
{
	return conf->n_peers + 1 > conf->gossip_threshold;
}

static void dispatch(const uint8_t *b, size_t len)
{
	struct apsmd_pstate *ps;
	struct apsmd_hdr h;
	const uint8_t *body;
	size_t blen;

	switch (apsmd_wire_verify(b, len, key, &h, &body, &blen)) {
	case APSMD_BAD_MAC:
		apsmd_ctr.auth_fail++;
		/* the sender field is not authenticated: a hint only */
		if (len >= 12) {
			ps = apsmd_pstate(apsmd_get32(b + 8));
			if (ps)
				ps->auth_fail++;
		}
		return;
	case APSMD_BAD_FORMAT:
		apsmd_ctr.bad_format++;
		return;
	case APSMD_OK:
		break;
	}
	ps = apsmd_pstate(h.sender);
	if (!ps) {
		apsmd_ctr.unknown_sender++;
		return;
	}
	if (apsmd_replay_check(&ps->replay, h.epoch, h.seq)) {
		apsmd_ctr.replay++;
		ps->replayed++;
		return;
	}
	ps->rx_dgrams++;
	ops->heard(ps);
	/* wire_verify accepts known types only */
	if (h.type <= APSMD_T_MAX && ops->msg[h.type])
		ops->msg[h.type](ps, &h, body, blen);
}

void apsmd_peer_on_readable(void)
{
	uint8_t buf[APSMD_DGRAM_MAX + 1];
	unsigned int budget = 4096;	/* let timers and netlink run too */
	ssize_t len;

	while (budget--) {
		len = recv(udp, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		apsmd_dirty = true;
		dispatch(buf, len);
	}
	ops->drained();
}

int apsmd_peer_fd(void)
{
	return udp;
}

void apsmd_peer_close(void)
{
	if (udp >= 0)
		close(udp);
	udp = -1;
	sodium_memzero(key, sizeof(key));
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
 * windows: apsmd_pstate() keeps those by id).
 */
void apsmd_peer_forget_removed(void)
{
	unsigned int i;

	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (ps_tab[i].id && !apsmd_peer_conf(ps_tab[i].id))
			ps_tab[i].alive = false;
}
