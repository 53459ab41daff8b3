// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's shadow RDS: the incremental Merkle tree equals one recomputed
 * from scratch after random inserts/deletes, the push horizon, tombstone
 * TTL, the LWW rule of shadow_blocks.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../apsmd/olog.h"
#include "../apsmd/shadow.h"
#include "unit.h"

void test_key(struct apsmd_flow *f, uint32_t i, uint64_t version);

void test_key(struct apsmd_flow *f, uint32_t i, uint64_t version)
{
	memset(f, 0, sizeof(*f));
	f->op = APSM_RDS_OP_NEW;
	f->family = AF_INET;
	f->proto = 6;
	f->dir = APSM_DIR_FORWARD;
	f->npath = 1;
	f->sport = (uint16_t)(i & 0xffff);
	f->dport = 80;
	f->spi = 10;
	f->origin = 1;
	f->version = version;
	f->src[0] = 10;
	f->src[1] = (uint8_t)(i >> 16);
	f->src[2] = (uint8_t)(i >> 24);
	f->src[3] = 1;
	f->dst[0] = 192;
	f->dst[3] = 2;
	f->path[0] = 100 + (i & 7);
}

static void t_random(void)
{
	struct shadow *s = shadow_new(100, 1000);
	struct shadow_stats st;
	struct apsmd_flow f;
	unsigned int k, bad = 0, checks = 0;
	uint64_t now = 0;

	srand(12);
	for (k = 0; k < 40000; k++) {
		uint32_t key = (uint32_t)rand() % 5000;
		uint8_t op = rand() % 3 ? APSM_RDS_OP_NEW : APSM_RDS_OP_DEL;

		test_key(&f, key, (uint64_t)rand());
		f.origin = 1 + rand() % 3;
		now += rand() % 3;
		if (shadow_apply(s, &f, op, 1, now))
			bad++;
		if (k % 97 == 0)
			shadow_tick(s, now);
		if (k % 2000 == 1999) {
			checks++;
			bad += !shadow_check(s);
		}
	}
	CHECK(!bad && checks == 20, "incremental tree != recomputed: %u of %u",
	      bad, checks);
	shadow_stats(s, &st);
	CHECK(st.entries + st.tombs <= 5000 && st.tombs > 0 && st.young > 0,
	      "stats %llu %llu %llu", (unsigned long long)st.entries,
	      (unsigned long long)st.tombs, (unsigned long long)st.young);
	shadow_tick(s, now + 2000);
	shadow_stats(s, &st);
	CHECK(st.tombs == 0 && st.young == 0 && st.in_tree == st.entries &&
	      shadow_check(s), "after TTL: tombs %llu young %llu",
	      (unsigned long long)st.tombs, (unsigned long long)st.young);
	shadow_free(s);
}

static void count_cb(const struct apsmd_flow *f, void *arg)
{
	(void)f;
	(*(unsigned int *)arg)++;
}

static void t_horizon_ttl(void)
{
	struct shadow *s = shadow_new(100, 500);
	struct apsmd_flow f, g, out;
	uint32_t leaf;
	unsigned int n = 0;

	test_key(&f, 7, 1000);
	leaf = shadow_leaf_of(apsmd_flow_keyhash(&f));
	shadow_apply(s, &f, APSM_RDS_OP_NEW, 1, 10);
	CHECK(shadow_root(s) == 0, "young entry is in the tree");
	shadow_tick(s, 109);
	CHECK(shadow_root(s) == 0, "entry joined before the horizon");
	shadow_tick(s, 110);
	CHECK(shadow_root(s) == apsmd_flow_hash(&f) &&
	      shadow_node(s, SHADOW_LEAF_LEVEL, leaf) == shadow_root(s),
	      "entry not in the tree at the horizon");
	CHECK(shadow_leaf_items(s, leaf, count_cb, &n) == 1 && n == 1,
	      "leaf items %u", n);
	/* LWW: at least as new blocks */
	g = f;
	CHECK(shadow_blocks(s, &g), "same version not blocked");
	g.version = 999;
	CHECK(shadow_blocks(s, &g), "older not blocked");
	g.version = 1000;
	g.origin = 2;
	CHECK(!shadow_blocks(s, &g), "tie with higher origin blocked");
	g.version = 1001;
	g.origin = 1;
	CHECK(!shadow_blocks(s, &g), "newer blocked");
	/* delete: tombstone leaves the tree until the horizon, blocks */
	shadow_apply(s, &f, APSM_RDS_OP_DEL, 3, 200);
	CHECK(shadow_root(s) == 0, "young tombstone in the tree");
	CHECK(shadow_blocks(s, &g) == false && shadow_find(s, &f, &out) &&
	      out.op == APSM_RDS_OP_DEL, "newer than the tombstone blocked");
	CHECK(shadow_blocks(s, &f), "tombstone does not block its version");
	shadow_tick(s, 300);
	CHECK(shadow_root(s) != 0 && shadow_check(s), "tombstone not in tree");
	shadow_tick(s, 699);
	CHECK(shadow_find(s, &f, NULL), "tombstone gone before its TTL");
	shadow_tick(s, 700);
	CHECK(!shadow_find(s, &f, NULL) && shadow_root(s) == 0,
	      "tombstone kept past its TTL");
	CHECK(!shadow_blocks(s, &f), "expired tombstone blocks");
	/* bad input */
	f.family = 0;
	CHECK(shadow_apply(s, &f, APSM_RDS_OP_NEW, 1, 800) == -1 &&
	      !shadow_blocks(s, &f), "bad family accepted");
	test_key(&f, 1, 1);
	CHECK(shadow_apply(s, &f, 9, 1, 800) == -1, "bad op accepted");
	shadow_free(s);
}

/* A tombstone at version v against an entry of the same key at v and at
 * v + 1 (the delete rule: a delete wins a tie, a newer write wins).
 */
static void t_tomb_vs_entry(void)
{
	struct shadow *s = shadow_new(100, 1000);
	struct apsmd_flow f, out;

	test_key(&f, 3, 5000);
	shadow_apply(s, &f, APSM_RDS_OP_NEW, APSMD_CAUSE_INSERT, 0);
	shadow_apply(s, &f, APSM_RDS_OP_DEL, APSMD_CAUSE_DELETE, 1);
	CHECK(shadow_blocks(s, &f), "entry at the tombstone's version wins");
	f.origin = 0;
	CHECK(shadow_blocks(s, &f), "entry at v, lower origin, wins");
	f.origin = 1;
	f.version = 5001;
	CHECK(!shadow_blocks(s, &f), "entry at v + 1 loses to the tombstone");
	shadow_apply(s, &f, APSM_RDS_OP_NEW, APSMD_CAUSE_INSTALL, 2);
	CHECK(shadow_find(s, &f, &out) && out.op == APSM_RDS_OP_NEW &&
	      out.version == 5001, "v + 1 did not replace the tombstone");
	/* a foreign delete is written at v + 1: it beats the entry */
	f.version = 5002;
	CHECK(!shadow_blocks(s, &f), "delete at v + 1 blocked");
	shadow_free(s);
}

/* A replica's idle expiry (EXPIRE of another origin's entry) is local:
 * not a shadow tombstone, not written; the rest as the write rule says.
 */
static void t_replica_expiry(void)
{
	struct apsmd_flow f, w;

	test_key(&f, 4, 7000);
	f.op = APSM_RDS_OP_DEL;
	f.origin = 2;
	CHECK(!shadow_takes(&f, APSMD_CAUSE_EXPIRE, 1),
	      "replica expiry goes into the shadow");
	CHECK(!olog_write_rule(&f, APSMD_CAUSE_EXPIRE, 1, &w),
	      "replica expiry is sent");
	CHECK(shadow_takes(&f, APSMD_CAUSE_EXPIRE, 2) &&
	      olog_write_rule(&f, APSMD_CAUSE_EXPIRE, 2, &w) &&
	      w.version == 7000, "own expiry not a written delete at v");
	CHECK(shadow_takes(&f, APSMD_CAUSE_PEER_DEL, 1) &&
	      !olog_write_rule(&f, APSMD_CAUSE_PEER_DEL, 1, &w),
	      "a peer's delete: not in the shadow, or sent again");
	CHECK(shadow_takes(&f, APSMD_CAUSE_DELETE, 1) &&
	      olog_write_rule(&f, APSMD_CAUSE_DELETE, 1, &w) &&
	      w.version == 7001 && w.origin == 2,
	      "operator delete of a foreign entry not written at v + 1");
}

static void collect(const struct apsmd_flow *f, void *arg)
{
	*(struct apsmd_flow *)arg = *f;
}

/* Reconcile with a dump: marked keys stay, own live entries not in the
 * dump are listed, tombstones and other origins' entries are not.
 */
static void t_mark(void)
{
	struct shadow *s = shadow_new(100, 1000);
	struct apsmd_flow f, out;
	unsigned int i;

	for (i = 0; i < 10; i++) {
		test_key(&f, i, 100 + i);
		f.origin = i < 8 ? 1 : 2;
		shadow_apply(s, &f, i == 5 ? APSM_RDS_OP_DEL : APSM_RDS_OP_NEW,
			     APSMD_CAUSE_INSERT, i);
	}
	shadow_unmark(s);
	for (i = 0; i < 10; i++) {
		test_key(&f, i, 100 + i);
		if (i != 3 && i != 5 && i != 9)
			CHECK(shadow_mark(s, &f, &out) && out.version == 100 + i,
			      "key %u not marked", i);
	}
	test_key(&f, 77, 1);
	CHECK(!shadow_mark(s, &f, NULL), "absent key marked");
	memset(&out, 0, sizeof(out));
	CHECK(shadow_unmarked(s, 1, collect, &out) == 1 &&
	      out.sport == 3 && out.op == APSM_RDS_OP_NEW,
	      "unmarked own entries: want key 3 only, got %u", out.sport);
	CHECK(shadow_unmarked(s, 2, NULL, NULL) == 1, "origin 2: key 9");
	shadow_unmark(s);
	CHECK(shadow_unmarked(s, 1, NULL, NULL) == 7, "unmark");
	shadow_free(s);
}

void test_shadow(void)
{
	t_random();
	t_horizon_ttl();
	t_tomb_vs_entry();
	t_replica_expiry();
	t_mark();
}
