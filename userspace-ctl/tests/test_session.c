// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's per-node identity (keys.c, session.c, conf.c's identity keys):
 * seal/open round trips, tampering, wrong keys and senders, rotation,
 * replay (also after a simulated restart, from the persisted state),
 * epoch persistence, the authorisation rules and key file modes.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../apsmd/conf.h"
#include "../apsmd/keys.h"
#include "../apsmd/session.h"
#include "unit.h"

struct node {
	struct apsmd_ident me;
};

static void node_make(struct node *n, uint32_t id)
{
	memset(n, 0, sizeof(*n));
	n->me.id = id;
	crypto_box_keypair(n->me.pk, n->me.sk);
}

/* a LOG-like datagram body of w */
static void body(struct apsmd_wbuf *w, uint8_t type)
{
	uint8_t b[40];
	unsigned int i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 7);
	apsmd_wire_begin(w, type);
	apsmd_wire_raw(w, b, sizeof(b));
	w->count = 1;
}

static size_t seal_as(const struct node *from, const uint8_t to_pk[32],
		      uint32_t to_id, uint32_t claim, uint64_t epoch,
		      uint64_t seq, uint8_t *out)
{
	struct apsmd_session s;
	struct apsmd_wbuf w;
	struct apsmd_hdr h = { .sender = claim, .epoch = epoch, .seq = seq };
	size_t len;

	CHECK(!apsmd_session_make(&s, &from->me, to_id,
				  (const uint8_t (*)[32])to_pk, 1), "session");
	body(&w, APSMD_T_LOG);
	len = apsmd_session_seal(s.tx, out, &w, &h);
	apsmd_session_wipe(&s);
	return len;
}

static enum apsmd_verdict open_at(const struct node *at, const uint8_t (*pks)[32],
				  unsigned int npk, uint32_t from_id,
				  const uint8_t *b, size_t len,
				  struct apsmd_hdr *h)
{
	struct apsmd_session s;
	uint8_t out[APSMD_DGRAM_MAX + 16];
	enum apsmd_verdict v;
	size_t blen;

	CHECK(!apsmd_session_make(&s, &at->me, from_id, pks, npk), "session");
	v = apsmd_session_open(&s, b, len, out, h, &blen);
	if (v == APSMD_OK)
		CHECK(blen == 40 && out[5] == 35, "body back: %zu", blen);
	return v;
}

static void test_seal_open(void)
{
	struct node a, b, c;
	uint8_t d[APSMD_DGRAM_MAX + 16];
	struct apsmd_hdr h;
	size_t len;

	node_make(&a, 1);
	node_make(&b, 2);
	node_make(&c, 3);
	len = seal_as(&a, b.me.pk, 2, 1, 7, 9, d);
	CHECK(len == APSMD_HDR_LEN + 40 + APSMD_TAG_LEN,
	      "16-byte tag: %zu", len);
	CHECK(memcmp(d + APSMD_HDR_LEN, "\0\7\16", 3), "body encrypted");
	CHECK(open_at(&b, (const uint8_t (*)[32])a.me.pk, 1, 1, d, len, &h) ==
	      APSMD_OK && h.sender == 1 && h.epoch == 7 && h.seq == 9 &&
	      h.type == APSMD_T_LOG && h.count == 1, "round trip");
	/* any flipped bit: header (AD), body, tag */
	for (size_t i = 0; i < len; i += 7) {
		d[i] ^= 0x10;
		CHECK(open_at(&b, (const uint8_t (*)[32])a.me.pk, 1, 1, d, len,
			      &h) != APSMD_OK, "bit flipped at %zu opened", i);
		d[i] ^= 0x10;
	}
	CHECK(open_at(&b, (const uint8_t (*)[32])a.me.pk, 1, 1, d, len - 1,
		      &h) != APSMD_OK, "truncated");
	/* C (unregistered at B as node 1) seals as node 1 */
	len = seal_as(&c, b.me.pk, 2, 1, 7, 9, d);
	CHECK(open_at(&b, (const uint8_t (*)[32])a.me.pk, 1, 1, d, len, &h) ==
	      APSMD_BAD_MAC, "a wrong key is refused");
	/* B's key sealing as node 3 (C), to A: A opens it with C's session */
	len = seal_as(&b, a.me.pk, 1, 3, 7, 9, d);
	CHECK(open_at(&a, (const uint8_t (*)[32])c.me.pk, 1, 3, d, len, &h) ==
	      APSMD_BAD_MAC, "node 2's key claiming to be node 3 refused");
	CHECK(open_at(&a, (const uint8_t (*)[32])b.me.pk, 1, 2, d, len, &h) ==
	      APSMD_BAD_MAC, "header names a sender that is not the session's");
	/* direction bound: what A sends B does not open as B -> A */
	len = seal_as(&a, b.me.pk, 2, 1, 7, 9, d);
	apsmd_put32(d + 8, 2);
	CHECK(open_at(&a, (const uint8_t (*)[32])b.me.pk, 1, 2, d, len, &h) ==
	      APSMD_BAD_MAC, "reflected back to its sender: refused");
}

static void test_rotation(void)
{
	struct node a, a2, b;
	uint8_t d[APSMD_DGRAM_MAX + 16], pks[2][32];
	struct apsmd_hdr h;
	size_t len;

	node_make(&a, 1);
	node_make(&b, 2);
	a2 = a;
	crypto_box_keypair(a2.me.pk, a2.me.sk);	/* A's new key */
	memcpy(pks[0], a.me.pk, 32);
	memcpy(pks[1], a2.me.pk, 32);
	/* B lists both of A's keys: opens what A seals with either */
	len = seal_as(&a, b.me.pk, 2, 1, 1, 1, d);
	CHECK(open_at(&b, (const uint8_t (*)[32])pks, 2, 1, d, len, &h) ==
	      APSMD_OK, "old key during the rotation");
	len = seal_as(&a2, b.me.pk, 2, 1, 1, 2, d);
	CHECK(open_at(&b, (const uint8_t (*)[32])pks, 2, 1, d, len, &h) ==
	      APSMD_OK, "new key during the rotation");
	CHECK(open_at(&b, (const uint8_t (*)[32])a.me.pk, 1, 1, d, len, &h) ==
	      APSMD_BAD_MAC, "new key before the peer lists it: refused");
	/* A on its new key with PreviousKeyFile: opens what B still seals
	 * to its old public key
	 */
	a2.me.have_prev = true;
	memcpy(a2.me.prev_sk, a.me.sk, 32);
	memcpy(a2.me.prev_pk, a.me.pk, 32);
	len = seal_as(&b, a.me.pk, 1, 2, 1, 3, d);
	CHECK(open_at(&a2, (const uint8_t (*)[32])b.me.pk, 1, 2, d, len, &h) ==
	      APSMD_OK, "sealed to the previous key, opened");
	a2.me.have_prev = false;
	CHECK(open_at(&a2, (const uint8_t (*)[32])b.me.pk, 1, 2, d, len, &h) ==
	      APSMD_BAD_MAC, "previous key dropped: refused");
}

static void test_replay_state(void)
{
	char path[] = "/tmp/apsmd-state-XXXXXX", err[512];
	struct apsmd_state st, st2;
	struct apsmd_replay rw;
	bool stale;
	int fd;

	fd = mkstemp(path);
	close(fd);
	unlink(path);
	CHECK(!apsmd_state_load(&st, path, err, sizeof(err)) && !st.epoch,
	      "no state file: empty");
	CHECK(!apsmd_state_next_epoch(&st, 1000, err, sizeof(err)) &&
	      st.epoch == 1000, "seeded");
	CHECK(apsmd_state_seen(&st, 2, 50) == 1 &&
	      apsmd_state_seen(&st, 2, 40) == 0 &&
	      apsmd_state_seen(&st, 2, 50) == 0, "written only when it grows");
	/* restart: the epoch grows by one, the peer's epoch is kept */
	CHECK(!apsmd_state_load(&st2, path, err, sizeof(err)) &&
	      st2.epoch == 1000 && apsmd_state_floor(&st2, 2) == 50 &&
	      apsmd_state_floor(&st2, 3) == 0, "reloaded");
	CHECK(!apsmd_state_next_epoch(&st2, 1, err, sizeof(err)) &&
	      st2.epoch == 1001, "next epoch: %llu",
	      (unsigned long long)st2.epoch);
	CHECK(!apsmd_state_load(&st, path, err, sizeof(err)) &&
	      st.epoch == 1001, "persisted");
	/* replay in the window */
	memset(&rw, 0, sizeof(rw));
	CHECK(!apsmd_replay_accept(&rw, 0, 50, 10, &stale), "fresh");
	CHECK(apsmd_replay_accept(&rw, 0, 50, 10, &stale) && !stale,
	      "replay refused");
	CHECK(apsmd_replay_accept(&rw, 0, 49, 11, &stale) && !stale,
	      "older epoch (a capture: the peer keeps its epoch)");
	/* after a restart (new window, floor 50 from the state): a capture
	 * of epoch 50 is refused although the window is empty
	 */
	memset(&rw, 0, sizeof(rw));
	CHECK(apsmd_replay_accept(&rw, apsmd_state_floor(&st, 2), 50, 99,
				  &stale) && stale,
	      "capture replayed after a restart refused, peer asked for a new epoch");
	CHECK(!apsmd_replay_accept(&rw, 50, 51, 1, &stale) && !stale,
	      "the peer's next epoch accepted");
	CHECK(!apsmd_replay_accept(&rw, 50, 51, 2, &stale) &&
	      apsmd_replay_accept(&rw, 50, 50, 100, &stale),
	      "then as usual");
	/* a garbled state file is an error, not a fresh start */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "junk\n", 5) == 5, "write");
	close(fd);
	CHECK(apsmd_state_load(&st, path, err, sizeof(err)) &&
	      strstr(err, "not an apsmd state file"), "garbled: %s", err);
	unlink(path);
}

static void test_auth(void)
{
	struct apsmd_flow f = { .op = APSM_RDS_OP_NEW, .origin = 3 };
	uint64_t now = 1700000000000ULL;

	CHECK(apsmd_auth_stream(2, 2, 0) == APSMD_AUTH_OK, "own stream");
	CHECK(apsmd_auth_stream(2, 3, 0) == APSMD_AUTH_ORIGIN,
	      "origin 3 from node 2 refused");
	CHECK(apsmd_auth_stream(2, 3, 2) == APSMD_AUTH_OK,
	      "from 3's relay parent");
	CHECK(apsmd_auth_stream(2, 3, 4) == APSMD_AUTH_ORIGIN,
	      "not the relay parent");
	CHECK(apsmd_auth_entry(2, &f) == APSMD_AUTH_ORIGIN,
	      "a new entry of origin 3 in 2's stream refused");
	f.op = APSM_RDS_OP_DEL;
	CHECK(apsmd_auth_entry(2, &f) == APSMD_AUTH_OK,
	      "an operator's delete of a foreign entry");
	f.op = APSM_RDS_OP_NEW;
	f.origin = 2;
	CHECK(apsmd_auth_entry(2, &f) == APSMD_AUTH_OK, "own entry");
	CHECK(apsmd_auth_inst(2, 2) == APSMD_AUTH_OK &&
	      apsmd_auth_inst(2, 3) == APSMD_AUTH_ORIGIN,
	      "instances: own only");
	CHECK(apsmd_auth_version(now << 16, now, 60000) == APSMD_AUTH_OK,
	      "now");
	CHECK(apsmd_auth_version((now + 60000) << 16 | 0xffff, now, 60000) ==
	      APSMD_AUTH_OK, "at the skew");
	CHECK(apsmd_auth_version((now + 60001) << 16, now, 60000) ==
	      APSMD_AUTH_AHEAD, "beyond the skew");
	CHECK(apsmd_auth_version((now + 3600000) << 16, now, 60000) ==
	      APSMD_AUTH_AHEAD, "an hour ahead");
	CHECK(apsmd_auth_version(UINT64_MAX, now, 60000) == APSMD_AUTH_WRAP,
	      "would wrap");
	CHECK(apsmd_auth_version(UINT64_MAX - 0x10000, UINT64_MAX >> 16,
				 60000) == APSMD_AUTH_WRAP,
	      "wraps even with a clock there");
}

static int write_file(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(s, f);
	fclose(f);
	return chmod(path, mode);
}

static void test_keys_conf(void)
{
	char dir[] = "/tmp/apsmd-keys-XXXXXX", key[300], cf[300], err[512];
	char pk64[64], conf_text[1024];
	uint8_t sk[32], pk[32], k[32];
	struct apsmd_conf *c = calloc(1, sizeof(*c));

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(key, sizeof(key), "%s/node.key", dir);
	snprintf(cf, sizeof(cf), "%s/apsmd.conf", dir);
	crypto_box_keypair(pk, sk);
	sodium_bin2base64(pk64, sizeof(pk64), sk, 32,
			  sodium_base64_VARIANT_ORIGINAL);
	CHECK(!write_file(key, pk64, 0644), "key file");
	CHECK(apsmd_key_file(key, true, k, err, sizeof(err)) &&
	      strstr(err, "0600"), "mode 0644 refused: %s", err);
	CHECK(!apsmd_key_file(key, false, k, err, sizeof(err)),
	      "the shared key of the static mode is read as before");
	chmod(key, 0600);
	CHECK(!apsmd_key_file(key, true, k, err, sizeof(err)) &&
	      !memcmp(k, sk, 32), "mode 0600 read: %s", err);
	chmod(key, 0400);
	CHECK(!apsmd_key_file(key, true, k, err, sizeof(err)), "0400 too");
	CHECK(!apsmd_key_public(sk, k) && !memcmp(k, pk, 32),
	      "pubkey of the private key");
	sodium_bin2base64(pk64, sizeof(pk64), pk, 32,
			  sodium_base64_VARIANT_ORIGINAL);
	/* conf: PublicKey for every peer, or none */
	snprintf(conf_text, sizeof(conf_text),
		 "[Node]\nId = 1\nListen = 10.0.0.1:7946\nKeyFile = %s\nFabricDevice = fab0\nStatsFile = %s/s.json\nMaxClockSkew = 5s\n"
		 "[Peer]\nId = 2\nEndpoint = 10.0.0.2:7946\nLinkAddress = 02:00:00:00:00:02\nPublicKey = %s\nPublicKey = %s\n"
		 "[Peer]\nId = 3\nEndpoint = 10.0.0.3:7946\nLinkAddress = 02:00:00:00:00:03\nPublicKey = %s\n",
		 key, dir, pk64, pk64, pk64);
	write_file(cf, conf_text, 0644);
	CHECK(!apsmd_conf_load(cf, c, err, sizeof(err)) && c->per_node &&
	      c->peers[0].n_pubkeys == 2 && c->peers[1].n_pubkeys == 1 &&
	      !memcmp(c->peers[1].pubkey[0], pk, 32) &&
	      c->max_skew_ms == 5000 && !strcmp(c->state_file, "/var/lib/apsm/apsmd-1.state"),
	      "per-node config: %s", err);
	snprintf(conf_text, sizeof(conf_text),
		 "[Node]\nId = 1\nListen = 10.0.0.1:7946\nKeyFile = %s\nFabricDevice = fab0\n"
		 "[Peer]\nId = 2\nEndpoint = 10.0.0.2:7946\nLinkAddress = 02:00:00:00:00:02\nPublicKey = %s\n"
		 "[Peer]\nId = 3\nEndpoint = 10.0.0.3:7946\nLinkAddress = 02:00:00:00:00:03\n",
		 key, pk64);
	write_file(cf, conf_text, 0644);
	CHECK(apsmd_conf_load(cf, c, err, sizeof(err)) &&
	      strstr(err, "peer 3 has no PublicKey"), "mixed refused: %s", err);
	snprintf(conf_text, sizeof(conf_text),
		 "[Node]\nId = 1\nListen = 10.0.0.1:7946\nKeyFile = %s\nFabricDevice = fab0\n"
		 "[Peer]\nId = 2\nEndpoint = 10.0.0.2:7946\nLinkAddress = 02:00:00:00:00:02\nPublicKey = %s\nPublicKey = %s\nPublicKey = %s\n",
		 key, pk64, pk64, pk64);
	write_file(cf, conf_text, 0644);
	CHECK(apsmd_conf_load(cf, c, err, sizeof(err)) &&
	      strstr(err, "at most 2"), "3 keys refused: %s", err);
	snprintf(conf_text, sizeof(conf_text),
		 "[Node]\nId = 1\nListen = 10.0.0.1:7946\nKeyFile = %s\nFabricDevice = fab0\n"
		 "[Peer]\nId = 2\nEndpoint = 10.0.0.2:7946\nLinkAddress = 02:00:00:00:00:02\n",
		 key);
	write_file(cf, conf_text, 0644);
	CHECK(!apsmd_conf_load(cf, c, err, sizeof(err)) && !c->per_node &&
	      c->max_skew_ms == 60000, "shared-key config as before: %s", err);
	unlink(key);
	unlink(cf);
	rmdir(dir);
	free(c);
}

void test_session(void)
{
	test_seal_open();
	test_rotation();
	test_replay_state();
	test_auth();
	test_keys_conf();
}
