// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's wire format: round trips of every message type, MAC and format
 * rejections, MTU packing, stable hashes, the anti-replay window.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "../apsmd/wire.h"
#include "unit.h"

static const uint8_t key[APSMD_KEY_BYTES] = { 1, 2, 3 };

static void flow4(struct apsmd_flow *f, uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	f->op = APSM_RDS_OP_NEW;
	f->family = AF_INET;
	f->proto = 17;
	f->dir = APSM_DIR_FORWARD;
	f->npath = 2;
	f->sport = sport;
	f->dport = 53;
	f->spi = 10;
	f->origin = 1;
	f->version = 123456789ULL << 16;
	inet_pton(AF_INET, "10.1.0.2", f->src);
	inet_pton(AF_INET, "10.2.0.2", f->dst);
	f->path[0] = 101;
	f->path[1] = 201;
}

static void t_batch(void)
{
	static struct apsmd_flow out[64];
	struct apsmd_hdr h = { .sender = 7, .epoch = 5, .seq = 9, .ttl = 3,
			       .flags = APSMD_F_REPAIR }, g;
	struct apsmd_wbuf w;
	struct apsmd_flow f;
	unsigned int n = 0, added = 0;
	size_t len;

	apsmd_wire_begin(&w, APSMD_T_BATCH);
	flow4(&f, 1000);
	while (apsmd_wire_add(&w, &f) == 0) {
		added++;
		f.sport++;
	}
	CHECK(added == (APSMD_DGRAM_MAX - APSMD_HDR_LEN - APSMD_MAC_LEN) / 44,
	      "IPv4 2-hop entries per datagram: %u", added);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(len <= APSMD_DGRAM_MAX, "MTU: %zu", len);
	CHECK(apsmd_wire_open(w.b, len, key, &g, out, 64, &n) == APSMD_OK &&
	      n == added, "open: %u", n);
	CHECK(g.sender == 7 && g.epoch == 5 && g.seq == 9 && g.ttl == 3 &&
	      g.flags == APSMD_F_REPAIR && g.type == APSMD_T_BATCH, "header");
	flow4(&f, 1000);
	f.sport += added - 1;
	CHECK(!memcmp(&out[added - 1], &f, sizeof(f)), "last entry");
	w.b[40] ^= 1;
	CHECK(apsmd_wire_open(w.b, len, key, &g, out, 64, &n) == APSMD_BAD_MAC,
	      "flipped bit");
	w.b[40] ^= 1;
	CHECK(apsmd_wire_open(w.b, len, (const uint8_t *)"otherkeyotherkeyotherkeyotherkey",
			      &g, out, 64, &n) == APSMD_BAD_MAC, "wrong key");
	CHECK(apsmd_wire_open(w.b, len - 1, key, &g, out, 64, &n) == APSMD_BAD_MAC,
	      "truncated");
	CHECK(apsmd_wire_open(w.b, 10, key, &g, out, 64, &n) == APSMD_BAD_FORMAT,
	      "runt");
	/* valid MAC, count larger than the body */
	apsmd_wire_begin(&w, APSMD_T_BATCH);
	flow4(&f, 1);
	apsmd_wire_add(&w, &f);
	w.count = 2;
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(apsmd_wire_open(w.b, len, key, &g, out, 64, &n) == APSMD_BAD_FORMAT,
	      "count beyond body");
	/* valid MAC, unknown type */
	apsmd_wire_begin(&w, 42);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(apsmd_wire_open(w.b, len, key, &g, out, 64, &n) == APSMD_BAD_FORMAT,
	      "unknown type");
}

static void t_inst(void)
{
	struct apsmd_inst r = { .op = APSMD_INST_OP_SET, .state = APSM_STATE_UP,
				.mode = APSM_MODE_NSH, .id = 102, .node = 2,
				.weight = 50 }, o[32];
	struct apsmd_hdr h = { .sender = 2 }, g;
	struct apsmd_wbuf w;
	uint8_t pre[APSMD_INST_PREFIX] = { 0, 0, 0, 9, 0, 3 };
	const uint8_t *body;
	unsigned int n = 0, k = 0;
	uint32_t gen;
	uint16_t total;
	size_t len, blen;

	strcpy(r.name, "fw2");
	strcpy(r.service, "fw");
	apsmd_wire_begin(&w, APSMD_T_INSTANCE);
	apsmd_wire_raw(&w, pre, sizeof(pre));
	while (apsmd_wire_add_inst(&w, &r) == 0)
		k++;
	CHECK(k == 16, "instance records per datagram: %u", k);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(apsmd_wire_verify(w.b, len, key, &g, &body, &blen) == APSMD_OK &&
	      g.type == APSMD_T_INSTANCE, "verify");
	CHECK(apsmd_wire_insts(body, blen, g.count, &gen, &total, o, 32, &n) ==
	      APSMD_OK && n == k && gen == 9 && total == 3, "decode");
	CHECK(!strcmp(o[3].name, "fw2") && !strcmp(o[3].service, "fw") &&
	      o[3].id == 102 && o[3].node == 2 && o[3].weight == 50 &&
	      o[3].state == APSM_STATE_UP && o[3].mode == APSM_MODE_NSH, "record");
	((uint8_t *)body)[8 + 1] = 9;	/* state 9 */
	CHECK(apsmd_wire_insts(body, blen, g.count, &gen, &total, o, 32, &n) ==
	      APSMD_BAD_FORMAT, "bad state");
}

static void t_hash(void)
{
	struct apsmd_flow a, b;

	flow4(&a, 1);
	flow4(&b, 1);
	b.version++;
	CHECK(apsmd_flow_keyhash(&a) == apsmd_flow_keyhash(&b), "key hash ignores version");
	CHECK(apsmd_flow_hash(&a) != apsmd_flow_hash(&b), "entry hash sees version");
	CHECK(apsmd_bucket(&a) < APSMD_BUCKETS, "bucket");
	/* fixed vector: the hash must never change (it crosses the wire) */
	CHECK(apsmd_flow_keyhash(&a) == 0x5bc35c64c32eea8bULL &&
	      apsmd_flow_hash(&a) == 0x17656cf8edb5f556ULL, "fixed vector");
	CHECK(apsmd_newer(2, 1, 1, 9) && apsmd_newer(1, 2, 1, 1) &&
	      !apsmd_newer(1, 1, 1, 1), "version order");
}

static void t_replay(void)
{
	struct apsmd_replay r = { 0 };

	CHECK(apsmd_replay_check(&r, 10, 5) == 0, "first");
	CHECK(apsmd_replay_check(&r, 10, 5) < 0, "duplicate");
	CHECK(apsmd_replay_check(&r, 10, 3) == 0, "reordered, in window");
	CHECK(apsmd_replay_check(&r, 10, 3) < 0, "reordered duplicate");
	CHECK(apsmd_replay_check(&r, 10, 100) == 0, "jump");
	CHECK(apsmd_replay_check(&r, 10, 36) < 0, "older than the window");
	CHECK(apsmd_replay_check(&r, 9, 1000) < 0, "older epoch");
	CHECK(apsmd_replay_check(&r, 11, 1) == 0, "newer epoch resets");
}

void test_apsmd_wire(void)
{
	if (sodium_init() < 0) {
		CHECK(0, "sodium_init");
		return;
	}
	t_batch();
	t_inst();
	t_hash();
	t_replay();
}
