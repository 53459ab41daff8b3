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

#include <sodium.h>

#include "apsmd.h"

const struct apsmd_peer *apsmd_peer_conf(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < apsmd.conf.n_peers; i++)
		if (apsmd.conf.peers[i].id == id)
			return &apsmd.conf.peers[i];
	return NULL;
}

/* State is kept by id so that a reload does not reset replay windows. */
struct apsmd_pstate *apsmd_pstate(uint32_t id)
{
	unsigned int i;

	if (!id || !apsmd_peer_conf(id))
		return NULL;
	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (apsmd.ps[i].id == id)
			return &apsmd.ps[i];
	for (i = 0; i < APSMD_PEERS_MAX; i++) {
		if (!apsmd.ps[i].id) {
			memset(&apsmd.ps[i], 0, sizeof(apsmd.ps[i]));
			apsmd.ps[i].id = id;
			return &apsmd.ps[i];
		}
	}
	return NULL;
}

int apsmd_peer_open(void)
{
	int one = 1, buf = 4 << 20;

	apsmd.udp = socket(apsmd.conf.listen.ss_family, SOCK_DGRAM |
			   SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (apsmd.udp < 0)
		return -1;
	setsockopt(apsmd.udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(apsmd.udp, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(apsmd.udp, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(apsmd.udp, (struct sockaddr *)&apsmd.conf.listen,
		 apsmd.conf.listen_len) < 0) {
		apsmd_log("bind Listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static size_t seal(struct apsmd_wbuf *w, uint8_t ttl, uint8_t flags)
{
	struct apsmd_hdr h = {
		.sender = apsmd.conf.id, .epoch = apsmd.epoch,
		.seq = ++apsmd.seq, .ttl = ttl, .flags = flags,
	};

	return apsmd_wire_seal(w, &h, apsmd.key);
}

static void xmit(const struct apsmd_wbuf *w, size_t len,
		 const struct apsmd_peer *p)
{
	struct apsmd_pstate *ps = apsmd_pstate(p->id);

	if (sendto(apsmd.udp, w->b, len, 0, (const struct sockaddr *)&p->ep,
		   p->ep_len) < 0) {
		apsmd.c.send_fail++;
		return;
	}
	if (ps) {
		ps->tx_dgrams++;
		if (w->type == APSMD_T_BATCH)
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

	for (i = 0; i < apsmd.conf.n_peers; i++)
		if (apsmd.conf.peers[i].id != skip)
			xmit(w, len, &apsmd.conf.peers[i]);
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

	for (i = 0; i < apsmd.conf.n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(apsmd.conf.peers[i].id);

		live += ps && ps->alive;
	}
	for (i = 0; i < apsmd.conf.n_peers; i++) {
		const struct apsmd_peer *p = &apsmd.conf.peers[i];
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

	for (i = 0; i < apsmd.conf.n_peers; i++) {
		struct apsmd_pstate *ps = apsmd_pstate(apsmd.conf.peers[i].id);

		if (ps && ps->alive && (!need_ready || ps->ready))
			cand[n++] = ps->id;
	}
	return n ? cand[randombytes_uniform(n)] : 0;
}

bool apsmd_gossip(void)
{
	return apsmd.conf.n_peers + 1 > apsmd.conf.gossip_threshold;
}

static void dispatch(const uint8_t *b, size_t len)
{
	struct apsmd_pstate *ps;
	struct apsmd_hdr h;
	const uint8_t *body;
	size_t blen;

	switch (apsmd_wire_verify(b, len, apsmd.key, &h, &body, &blen)) {
	case APSMD_BAD_MAC:
		apsmd.c.auth_fail++;
		/* the sender field is not authenticated: a hint only */
		if (len >= 12) {
			ps = apsmd_pstate(apsmd_get32(b + 8));
			if (ps)
				ps->auth_fail++;
		}
		return;
	case APSMD_BAD_FORMAT:
		apsmd.c.bad_format++;
		return;
	case APSMD_OK:
		break;
	}
	ps = apsmd_pstate(h.sender);
	if (!ps) {
		apsmd.c.unknown_sender++;
		return;
	}
	if (apsmd_replay_check(&ps->replay, h.epoch, h.seq)) {
		apsmd.c.replay++;
		ps->replayed++;
		return;
	}
	ps->rx_dgrams++;
	apsmd_memb_heard(ps);
	switch (h.type) {
	case APSMD_T_BATCH:
		apsmd_sync_on_batch(&h, body, blen);
		break;
	case APSMD_T_HEARTBEAT:
		apsmd_memb_on_heartbeat(ps, &h, body, blen);
		break;
	case APSMD_T_DIGEST:
		apsmd_sync_on_digest(&h, body, blen);
		break;
	case APSMD_T_PULL:
		apsmd_sync_on_pull(&h, body, blen);
		break;
	case APSMD_T_INSTANCE:
		apsmd_inv_on_msg(ps, &h, body, blen);
		break;
	}
}

void apsmd_peer_on_readable(void)
{
	uint8_t buf[APSMD_DGRAM_MAX + 1];
	unsigned int budget = 4096;	/* let timers and netlink run too */
	ssize_t len;

	while (budget--) {
		len = recv(apsmd.udp, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		apsmd.dirty = true;
		dispatch(buf, len);
	}
	apsmd_sync_flush();
}
