/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's per-peer sessions (session.c), between wire and peer:
 *  - pairwise keys: X25519 (this node's key, the peer's public key) and a
 *    BLAKE2b KDF bound to both public keys, both node ids and the
 *    direction: one key for what this node sends the peer, one for what
 *    it receives from it;
 *  - datagrams sealed with XChaCha20-Poly1305: the 32-byte header stays
 *    in clear as additional data, the body is encrypted, a 16-byte tag
 *    follows (the shared-key mode keeps wire.c's HMAC, 32 bytes). Nonce:
 *    sender, epoch, seq, and whether it is a HEARTBEAT (their own seq);
 *  - the persisted replay state: this node's epoch (a counter, bumped and
 *    fsync'd at each start) and the highest epoch seen of each peer;
 *  - authorisation rules (pure): who may write which LOG entries, and
 *    how far ahead of this node's clock a version may be.
 */
#ifndef APSMD_SESSION_H
#define APSMD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define APSMD_TAG_LEN		16	/* AEAD tag (per-node keys) */
#define APSMD_SESS_RX		4	/* 2 own keys (rotation) x 2 peer keys */
#define APSMD_STATE_PEERS	256
/* header flag: "your epoch is refused here (I restarted): take a new
 * one" (authenticated with the datagram)
 */
#define APSMD_F_EPOCH_STALE	0x80

/* This node's keys. */
struct apsmd_ident {
	uint32_t id;
	uint8_t sk[APSMD_KEY_BYTES], pk[APSMD_KEY_BYTES];
	bool have_prev;		/* the previous key, during a rotation */
	uint8_t prev_sk[APSMD_KEY_BYTES], prev_pk[APSMD_KEY_BYTES];
};

struct apsmd_session {
	uint32_t peer;
	uint8_t tx[APSMD_KEY_BYTES];		/* this node -> peer */
	uint8_t rx[APSMD_SESS_RX][APSMD_KEY_BYTES];	/* peer -> this node */
	unsigned int n_rx, last;		/* last: the rx key that opened */
};

/* The directional key for datagrams from node a (key pair a_sk/a_pk) to
 * node b (b_pk). 0, or -1 (a degenerate shared point).
 */
int apsmd_session_kdf(const uint8_t a_sk[APSMD_KEY_BYTES],
		      const uint8_t a_pk[APSMD_KEY_BYTES], uint32_t a_id,
		      const uint8_t b_pk[APSMD_KEY_BYTES], uint32_t b_id,
		      bool a_sends, uint8_t out[APSMD_KEY_BYTES]);
/* The session with peer (its public keys pks[0..n_pk), the first one is
 * the one this node seals with). 0 or -1.
 */
int apsmd_session_make(struct apsmd_session *s, const struct apsmd_ident *me,
		       uint32_t peer, const uint8_t (*pks)[APSMD_KEY_BYTES],
		       unsigned int n_pk);
void apsmd_session_wipe(struct apsmd_session *s);

/* Seal w's body with key under h into dst (APSMD_DGRAM_MAX + 16 bytes
 * at least); w is not changed. Returns the datagram length.
 */
size_t apsmd_session_seal(const uint8_t key[APSMD_KEY_BYTES], uint8_t *dst,
			  const struct apsmd_wbuf *w,
			  const struct apsmd_hdr *h);
/* The sender id a datagram claims (clear header), 0 if too short. */
uint32_t apsmd_session_sender(const uint8_t *b, size_t len);
/* Open a datagram from s's peer: the body decrypted into out (at least
 * APSMD_DGRAM_MAX bytes), h filled. APSMD_BAD_MAC if no key of s opens
 * it or the header names another sender, APSMD_BAD_FORMAT if it is not
 * a datagram.
 */
enum apsmd_verdict apsmd_session_open(struct apsmd_session *s,
				      const uint8_t *b, size_t len,
				      uint8_t *out, struct apsmd_hdr *h,
				      size_t *blen);

/* ---- persisted replay state ---- */
struct apsmd_state {
	char path[256];
	uint64_t epoch;		/* this node's, current */
	unsigned int n;
	struct {
		uint32_t id;
		uint64_t epoch;	/* highest seen of that peer */
	} peer[APSMD_STATE_PEERS];
};

/* Read path (a missing file is an empty state). 0 or -1 (err). */
int apsmd_state_load(struct apsmd_state *st, const char *path, char *err,
		     size_t errlen);
/* The next epoch of this node: the stored one + 1, or seed if that is
 * larger (the wall clock in ns: a lost state starts above); written and fsync'd before it is returned in st->epoch.
 * 0 or -1 (err).
 */
int apsmd_state_next_epoch(struct apsmd_state *st, uint64_t seed, char *err,
			   size_t errlen);
uint64_t apsmd_state_floor(const struct apsmd_state *st, uint32_t id);
/* Record peer id's epoch if it grew (written at once). 1 written, 0 not
 * grown, -1 write error.
 */
int apsmd_state_seen(struct apsmd_state *st, uint32_t id, uint64_t epoch);
int apsmd_state_save(const struct apsmd_state *st);

/* The replay check of a datagram of a peer whose highest epoch seen
 * before this node started is floor: nothing of that epoch or older is
 * fresh until the window has one (a capture replayed after a restart);
 * *stale is set then: the peer must take a new epoch. (Not for an epoch
 * older than a running window's: a replayed capture must not make the
 * peer change its epoch.) 0 fresh
 * (recorded), -1 refused.
 */
int apsmd_replay_accept(struct apsmd_replay *rw, uint64_t floor,
			uint64_t epoch, uint64_t seq, bool *stale);

/* ---- authorisation (pure) ---- */
enum apsmd_auth {
	APSMD_AUTH_OK,
	APSMD_AUTH_ORIGIN,	/* the sender may not speak for that origin */
	APSMD_AUTH_AHEAD,	/* version beyond MaxClockSkew */
	APSMD_AUTH_WRAP,	/* version would wrap the logical clock */
};

/* A sequenced, non-repair LOG datagram of stream from sender: the origin
 * itself, or its parent in stream's relay tree (relay_parent, 0: none).
 */
enum apsmd_auth apsmd_auth_stream(uint32_t sender, uint32_t stream,
				  uint32_t relay_parent);
/* One entry of a stream: a node writes entries of its own origin, and
 * deletes of any (the operator's delete of a foreign entry).
 */
enum apsmd_auth apsmd_auth_entry(uint32_t stream, const struct apsmd_flow *f);
/* An INSTANCE record naming node, from sender: only its own. */
enum apsmd_auth apsmd_auth_inst(uint32_t sender, uint32_t node);
/* A version (ms << 16 | logical) against this node's clock now_ms. */
enum apsmd_auth apsmd_auth_version(uint64_t version, uint64_t now_ms,
				   uint32_t skew_ms);

#endif /* APSMD_SESSION_H */
