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

void test_shadow(void)
{
	t_random();
	t_horizon_ttl();
}
