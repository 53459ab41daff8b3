// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's per-peer sessions: pairwise keys, AEAD sealing of datagrams,
 * the persisted replay state and the authorisation rules. See session.h.
 * All crypto is libsodium's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "session.h"

#define NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KDF_LABEL	"apsmd session v1"

/* ------------------------------------------------------------ keys */

int apsmd_session_kdf(const uint8_t a_sk[APSMD_KEY_BYTES],
		      const uint8_t a_pk[APSMD_KEY_BYTES], uint32_t a_id,
		      const uint8_t b_pk[APSMD_KEY_BYTES], uint32_t b_id,
		      bool a_sends, uint8_t out[APSMD_KEY_BYTES])
{
	uint8_t q[crypto_scalarmult_BYTES], ids[8];
	crypto_generichash_state st;

	if (crypto_scalarmult(q, a_sk, b_pk))
		return -1;	/* b_pk is a low-order point */
	/* H(label, q, sender's pk, receiver's pk, sender id, receiver id):
	 * both ends compute the same key for one direction
	 */
	crypto_generichash_init(&st, NULL, 0, APSMD_KEY_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)KDF_LABEL,
				  sizeof(KDF_LABEL));
	crypto_generichash_update(&st, q, sizeof(q));
	if (a_sends) {
		crypto_generichash_update(&st, a_pk, APSMD_KEY_BYTES);
		crypto_generichash_update(&st, b_pk, APSMD_KEY_BYTES);
		apsmd_put32(ids, a_id);
		apsmd_put32(ids + 4, b_id);
	} else {
		crypto_generichash_update(&st, b_pk, APSMD_KEY_BYTES);
		crypto_generichash_update(&st, a_pk, APSMD_KEY_BYTES);
		apsmd_put32(ids, b_id);
		apsmd_put32(ids + 4, a_id);
	}
	crypto_generichash_update(&st, ids, sizeof(ids));
	crypto_generichash_final(&st, out, APSMD_KEY_BYTES);
	sodium_memzero(q, sizeof(q));
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int apsmd_session_make(struct apsmd_session *s, const struct apsmd_ident *me,
		       uint32_t peer, const uint8_t (*pks)[APSMD_KEY_BYTES],
		       unsigned int n_pk)
{
	unsigned int i, own;

	memset(s, 0, sizeof(*s));
	s->peer = peer;
	if (!n_pk || n_pk > 2)
		return -1;
	if (apsmd_session_kdf(me->sk, me->pk, me->id, pks[0], peer, true,
			      s->tx))
		return -1;
	/* what the peer seals with: any listed key of it, to this node's
	 * current key or (during a rotation) its previous one
	 */
	for (own = 0; own < (me->have_prev ? 2u : 1u); own++) {
		for (i = 0; i < n_pk; i++) {
			const uint8_t *sk = own ? me->prev_sk : me->sk;
			const uint8_t *pk = own ? me->prev_pk : me->pk;

			if (apsmd_session_kdf(sk, pk, me->id, pks[i], peer,
					      false, s->rx[s->n_rx]))
				return -1;
			s->n_rx++;
		}
	}
	return 0;
}

void apsmd_session_wipe(struct apsmd_session *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* ------------------------------------------------------------ seal/open */

static void nonce_of(uint8_t n[NONCE_LEN], const uint8_t *hdr)
{
	memset(n, 0, NONCE_LEN);
	memcpy(n, hdr + 8, 4);		/* sender */
	memcpy(n + 4, hdr + 16, 16);	/* epoch, seq */
	n[20] = hdr[5] == APSMD_T_HEARTBEAT;	/* a seq of their own */
}

size_t apsmd_session_seal(const uint8_t key[APSMD_KEY_BYTES], uint8_t *dst,
			  const struct apsmd_wbuf *w,
			  const struct apsmd_hdr *h)
{
	size_t blen = w->len - APSMD_HDR_LEN;
	uint8_t n[NONCE_LEN];

	apsmd_put32(dst, APSMD_MAGIC);
	dst[4] = APSMD_WIRE_VERSION;
	dst[5] = w->type;
	apsmd_put16(dst + 6, w->count);
	apsmd_put32(dst + 8, h->sender);
	dst[12] = h->ttl;
	dst[13] = h->flags;
	apsmd_put16(dst + 14, 0);
	apsmd_put64(dst + 16, h->epoch);
	apsmd_put64(dst + 24, h->seq);
	nonce_of(n, dst);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
		dst + APSMD_HDR_LEN, dst + APSMD_HDR_LEN + blen, NULL,
		w->b + APSMD_HDR_LEN, blen, dst, APSMD_HDR_LEN, NULL, n, key);
	return APSMD_HDR_LEN + blen + APSMD_TAG_LEN;
}

uint32_t apsmd_session_sender(const uint8_t *b, size_t len)
{
	return len >= APSMD_HDR_LEN ? apsmd_get32(b + 8) : 0;
}

enum apsmd_verdict apsmd_session_open(struct apsmd_session *s,
				      const uint8_t *b, size_t len,
				      uint8_t *out, struct apsmd_hdr *h,
				      size_t *blen)
{
	uint8_t n[NONCE_LEN];
	unsigned int i, k;
	size_t clen;

	if (len < APSMD_HDR_LEN + APSMD_TAG_LEN ||
	    len > APSMD_DGRAM_MAX + APSMD_TAG_LEN)
		return APSMD_BAD_FORMAT;
	if (apsmd_get32(b + 8) != s->peer)
		return APSMD_BAD_MAC;
	clen = len - APSMD_HDR_LEN - APSMD_TAG_LEN;
	nonce_of(n, b);
	for (i = 0; i < s->n_rx; i++) {
		k = (s->last + i) % s->n_rx;	/* the last good key first */
		if (!crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
			    out, NULL, b + APSMD_HDR_LEN, clen,
			    b + APSMD_HDR_LEN + clen, b, APSMD_HDR_LEN, n,
			    s->rx[k]))
			break;
	}
	if (i == s->n_rx)
		return APSMD_BAD_MAC;
	s->last = k;
	if (apsmd_wire_hdr_decode(b, h) != APSMD_OK)
		return APSMD_BAD_FORMAT;
	*blen = clen;
	return APSMD_OK;
}

/* ------------------------------------------------------------ state */

int apsmd_state_load(struct apsmd_state *st, const char *path, char *err,
		     size_t errlen)
{
	char line[128];
	unsigned long long e;
	unsigned int id;
	FILE *f;

	memset(st, 0, sizeof(*st));
	if (strlen(path) >= sizeof(st->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(st->path, path);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "epoch %llu", &e) == 1) {
			st->epoch = e;
		} else if (sscanf(line, "peer %u %llu", &id, &e) == 2) {
			if (st->n < APSMD_STATE_PEERS && id) {
				st->peer[st->n].id = id;
				st->peer[st->n++].epoch = e;
			}
		} else if (line[0] != '#' && line[0] != '\n') {
			fclose(f);
			snprintf(err, errlen, "%s: not an apsmd state file (remove it to start afresh)",
				 path);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int apsmd_state_save(const struct apsmd_state *st)
{
	char tmp[300];
	FILE *f;
	unsigned int i;
	int fd, r;

	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	fprintf(f, "# apsmd replay state: this node's epoch, the highest epoch seen of each peer\n");
	fprintf(f, "epoch %" PRIu64 "\n", st->epoch);
	for (i = 0; i < st->n; i++)
		fprintf(f, "peer %u %" PRIu64 "\n", st->peer[i].id,
			st->peer[i].epoch);
	r = fflush(f) || fsync(fd);
	r |= fclose(f);
	if (r || rename(tmp, st->path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int apsmd_state_next_epoch(struct apsmd_state *st, uint64_t seed, char *err,
			   size_t errlen)
{
	uint64_t old = st->epoch;

	if (st->epoch == UINT64_MAX) {
		snprintf(err, errlen, "%s: epoch exhausted", st->path);
		return -1;
	}
	/* never back; the seed (the wall clock in ns) lets a node whose
	 * state was lost start above every epoch it used before
	 */
	st->epoch = st->epoch + 1 > seed ? st->epoch + 1 : seed;
	if (apsmd_state_save(st)) {
		snprintf(err, errlen, "%s: cannot write the replay state: %s",
			 st->path, strerror(errno));
		st->epoch = old;
		return -1;
	}
	return 0;
}

uint64_t apsmd_state_floor(const struct apsmd_state *st, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < st->n; i++)
		if (st->peer[i].id == id)
			return st->peer[i].epoch;
	return 0;
}

int apsmd_state_seen(struct apsmd_state *st, uint32_t id, uint64_t epoch)
{
	unsigned int i;

	for (i = 0; i < st->n; i++)
		if (st->peer[i].id == id)
			break;
	if (i == st->n) {
		if (st->n == APSMD_STATE_PEERS)
			return -1;
		st->peer[st->n].id = id;
		st->peer[st->n++].epoch = 0;
	}
	if (epoch <= st->peer[i].epoch)
		return 0;
	st->peer[i].epoch = epoch;
	return apsmd_state_save(st) ? -1 : 1;
}

int apsmd_replay_accept(struct apsmd_replay *rw, uint64_t floor,
			uint64_t epoch, uint64_t seq, bool *stale)
{
	*stale = false;
	if (!rw->init && epoch <= floor) {
		*stale = true;
		return -1;
	}
	return apsmd_replay_check(rw, epoch, seq);
}

/* ------------------------------------------------------------ authorisation */

enum apsmd_auth apsmd_auth_inst(uint32_t sender, uint32_t node)
{
	return node == sender ? APSMD_AUTH_OK : APSMD_AUTH_ORIGIN;
}

enum apsmd_auth apsmd_auth_stream(uint32_t sender, uint32_t stream,
				  uint32_t relay_parent)
{
	if (stream == sender || (relay_parent && relay_parent == sender))
		return APSMD_AUTH_OK;
	return APSMD_AUTH_ORIGIN;
}

enum apsmd_auth apsmd_auth_entry(uint32_t stream, const struct apsmd_flow *f)
{
	if (f->origin == stream || f->op == APSM_RDS_OP_DEL)
		return APSMD_AUTH_OK;
	return APSMD_AUTH_ORIGIN;
}

/* The kernel's HLC: ms since the epoch << 16 | a logical counter. */
#define HLC_SHIFT	16
#define HLC_MS_MAX	((UINT64_MAX >> HLC_SHIFT) - 1)

enum apsmd_auth apsmd_auth_version(uint64_t version, uint64_t now_ms,
				   uint32_t skew_ms)
{
	uint64_t ms = version >> HLC_SHIFT;

	/* the receiver's clock becomes max(own, version) + 1: a version
	 * in the last ms would wrap it
	 */
	if (ms >= HLC_MS_MAX)
		return APSMD_AUTH_WRAP;
	if (ms > now_ms + skew_ms)
		return APSMD_AUTH_AHEAD;
	return APSMD_AUTH_OK;
}
