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

/* verify + decode a LOG datagram */
static enum apsmd_verdict log_open(const uint8_t *b, size_t len,
				   const uint8_t *k, struct apsmd_hdr *g,
				   struct apsmd_range *pre,
				   struct apsmd_flow *out, unsigned int *n)
{
	const uint8_t *body;
	size_t blen;
	enum apsmd_verdict v = apsmd_wire_verify(b, len, k, g, &body, &blen);

	if (v != APSMD_OK)
		return v;
	if (g->type != APSMD_T_LOG)
		return APSMD_BAD_FORMAT;
	return apsmd_wire_log_open(body, blen, g->count, pre, out, APSMD_LOG_ENTRIES_MAX, n);
}

static void t_log(void)
{
	static struct apsmd_flow out[APSMD_LOG_ENTRIES_MAX], in[APSMD_LOG_ENTRIES_MAX + 1];
	struct apsmd_hdr h = { .sender = 7, .epoch = 5, .seq = 9, .ttl = 3,
			       .flags = APSMD_F_REPAIR }, g;
	struct apsmd_range pre;
	struct apsmd_wbuf w;
	unsigned int n = 0, added = 0, i;
	size_t len;

	/* IPv4, 1 hop, origin = stream, versions ~1 ms apart: the common
	 * case must cost <= 40 bytes per entry with header and MAC
	 */
	apsmd_wire_log_begin(&w, 1, 77, 1000);
	for (;;) {
		flow4(&in[added], 1000 + added);
		in[added].npath = 1;
		in[added].path[1] = 0;
		in[added].version += (uint64_t)added * 65537;
		if (apsmd_wire_log_add(&w, &in[added]))
			break;
		added++;
	}
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(len <= APSMD_DGRAM_MAX, "MTU: %zu", len);
	CHECK(len / added <= 40 && added >= 50,
	      "IPv4 1-hop entries: %u per datagram, %zu bytes each", added,
	      len / added);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_OK &&
	      n == added, "open: %u", n);
	CHECK(g.sender == 7 && g.epoch == 5 && g.seq == 9 && g.ttl == 3 &&
	      g.flags == APSMD_F_REPAIR && g.type == APSMD_T_LOG, "header");
	CHECK(pre.stream == 1 && pre.epoch == 77 && pre.from == 1000, "prefix");
	for (i = 0; i < added; i++)
		if (memcmp(&out[i], &in[i], sizeof(in[i])))
			break;
	CHECK(i == added, "entry %u differs", i);

	/* IPv6, a foreign origin, a delete, a version going back, 8 hops */
	apsmd_wire_log_begin(&w, 1, 77, 5);
	flow4(&in[0], 7);
	in[0].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", in[0].src);
	inet_pton(AF_INET6, "2001:db8::2", in[0].dst);
	in[0].origin = 300000;
	in[0].dir = APSM_DIR_RETURN;
	in[0].npath = APSM_PATH_MAX;
	for (i = 0; i < APSM_PATH_MAX; i++)
		in[0].path[i] = 0xfffffff0 + i;
	in[0].spi = APSM_SPI_MAX;
	in[1] = in[0];
	in[1].op = APSM_RDS_OP_DEL;
	in[1].version = 3;
	in[2] = in[1];
	in[2].version = ~0ULL;
	CHECK(!apsmd_wire_log_add(&w, &in[0]) && !apsmd_wire_log_add(&w, &in[1]) &&
	      !apsmd_wire_log_add(&w, &in[2]), "add");
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_OK && n == 3 &&
	      !memcmp(out, in, 3 * sizeof(in[0])), "v6/foreign/del round trip");

	/* invalid entries are refused at add */
	flow4(&in[0], 1);
	in[0].family = 99;
	CHECK(apsmd_wire_log_add(&w, &in[0]) < 0, "bad family");
	flow4(&in[0], 1);
	in[0].npath = APSM_PATH_MAX + 1;
	CHECK(apsmd_wire_log_add(&w, &in[0]) < 0, "long path");

	/* MAC and format rejections */
	apsmd_wire_log_begin(&w, 1, 77, 1);
	flow4(&in[0], 1);
	apsmd_wire_log_add(&w, &in[0]);
	len = apsmd_wire_seal(&w, &h, key);
	w.b[40] ^= 1;
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_MAC,
	      "flipped bit");
	w.b[40] ^= 1;
	CHECK(log_open(w.b, len, (const uint8_t *)"otherkeyotherkeyotherkeyotherkey",
		       &g, &pre, out, &n) == APSMD_BAD_MAC, "wrong key");
	CHECK(log_open(w.b, len - 1, key, &g, &pre, out, &n) == APSMD_BAD_MAC,
	      "truncated");
	CHECK(log_open(w.b, 10, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "runt");
	w.count = 2;
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "count beyond body");
	/* a sequenced stream starts at 1 */
	apsmd_wire_log_begin(&w, 1, 77, 0);
	apsmd_wire_log_add(&w, &in[0]);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "seq 0");
	/* a varint that never ends */
	apsmd_wire_log_begin(&w, 1, 77, 1);
	apsmd_wire_log_add(&w, &in[0]);
	memset(w.b + w.len - 4, 0xff, 4);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "endless varint");
	/* unknown and retired types, version 1 */
	apsmd_wire_begin(&w, 42);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "unknown type");
	apsmd_wire_begin(&w, 1);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "retired BATCH");
	apsmd_wire_begin(&w, 3);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "retired DIGEST");
	apsmd_wire_begin(&w, APSMD_T_LOG);
	len = apsmd_wire_seal(&w, &h, key);
	w.b[4] = 1;
	crypto_auth(w.b + len - APSMD_MAC_LEN, w.b, len - APSMD_MAC_LEN, key);
	CHECK(log_open(w.b, len, key, &g, &pre, out, &n) == APSMD_BAD_FORMAT,
	      "wire version 1 refused");
}

static void t_ranges(void)
{
	struct apsmd_range r[128], q = { 3, 9, 10, 20 };
	struct apsmd_hdr h = { .sender = 7 }, g;
	struct apsmd_wbuf w;
	const uint8_t *body;
	unsigned int n, added = 0;
	size_t blen, len;

	apsmd_wire_begin(&w, APSMD_T_NACK);
	while (!apsmd_wire_add_range(&w, &q))
		added++;
	CHECK(added == (APSMD_DGRAM_MAX - APSMD_HDR_LEN - APSMD_MAC_LEN) /
	      APSMD_RANGE_REC, "NACK ranges per datagram: %u", added);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(apsmd_wire_verify(w.b, len, key, &g, &body, &blen) == APSMD_OK &&
	      apsmd_wire_ranges(body, blen, g.type, g.count, r, 128, &n) ==
	      APSMD_OK && n == added && r[n - 1].stream == 3 &&
	      r[n - 1].epoch == 9 && r[n - 1].from == 10 && r[n - 1].to == 20,
	      "NACK round trip");
	apsmd_wire_begin(&w, APSMD_T_VECTOR);
	q.to = 123456789012ULL;
	apsmd_wire_add_range(&w, &q);
	len = apsmd_wire_seal(&w, &h, key);
	CHECK(len == APSMD_HDR_LEN + APSMD_VEC_REC + APSMD_MAC_LEN,
	      "vector record is %d bytes", APSMD_VEC_REC);
	CHECK(apsmd_wire_verify(w.b, len, key, &g, &body, &blen) == APSMD_OK &&
	      apsmd_wire_ranges(body, blen, g.type, g.count, r, 128, &n) ==
	      APSMD_OK && n == 1 && r[0].to == 123456789012ULL,
	      "VECTOR round trip");
	/* from > to, stream 0, a short body */
	apsmd_wire_begin(&w, APSMD_T_LOG_GONE);
	q = (struct apsmd_range){ 3, 9, 20, 10 };
	apsmd_wire_add_range(&w, &q);
	len = apsmd_wire_seal(&w, &h, key);
	apsmd_wire_verify(w.b, len, key, &g, &body, &blen);
	CHECK(apsmd_wire_ranges(body, blen, g.type, g.count, r, 128, &n) ==
	      APSMD_BAD_FORMAT, "from > to");
	CHECK(apsmd_wire_ranges(body, blen - 1, g.type, g.count, r, 128, &n) ==
	      APSMD_BAD_FORMAT, "short body");
	apsmd_wire_begin(&w, APSMD_T_NACK);
	q = (struct apsmd_range){ 0, 9, 1, 10 };
	apsmd_wire_add_range(&w, &q);
	len = apsmd_wire_seal(&w, &h, key);
	apsmd_wire_verify(w.b, len, key, &g, &body, &blen);
	CHECK(apsmd_wire_ranges(body, blen, g.type, g.count, r, 128, &n) ==
	      APSMD_BAD_FORMAT, "stream 0");
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
	t_log();
	t_ranges();
	t_inst();
	t_hash();
	t_replay();
}
