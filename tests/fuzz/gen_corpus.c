// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for fuzz_wire: real datagrams of every type, made with wire.h's
 * encoders (and repair.c for TREE/TREE_ENTRIES) under fuzz_wire's key, in
 * both of fuzz_wire's modes: "d-*" a whole sealed datagram (mode byte 0),
 * "b-*" a body with its header fields (mode byte 1). `make corpus`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "repair.h"
#include "shadow.h"
#include "wire.h"

static const uint8_t key[APSMD_KEY_BYTES] = "apsm fuzz key, 32 bytes long...";
static const char *dir;

static void put(const char *name, const struct apsmd_wbuf *w0,
		const struct apsmd_hdr *h)
{
	struct apsmd_wbuf w = *w0;
	char path[512];
	uint8_t b[6];
	size_t n;
	FILE *f;

	n = apsmd_wire_seal(&w, h, key);
	snprintf(path, sizeof(path), "%s/d-%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputc(0, f) == EOF || fwrite(w.b, 1, n, f) != n || fclose(f))
		exit(1);
	b[0] = 1;
	b[1] = w.type;
	apsmd_put16(b + 2, w.count);
	b[4] = h->flags;
	b[5] = h->ttl;
	snprintf(path, sizeof(path), "%s/b-%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(b, 1, 6, f) != 6 ||
	    fwrite(w.b + APSMD_HDR_LEN, 1, w.len - APSMD_HDR_LEN, f) !=
	    w.len - APSMD_HDR_LEN || fclose(f))
		exit(1);
}

static void flow(struct apsmd_flow *f, unsigned int i, bool v6)
{
	memset(f, 0, sizeof(*f));
	f->op = i % 5 == 4 ? APSM_RDS_OP_DEL : APSM_RDS_OP_NEW;
	f->family = v6 ? AF_INET6 : AF_INET;
	f->proto = i % 2 ? 17 : 6;
	f->src[0] = v6 ? 0xfd : 10;
	f->src[v6 ? 15 : 3] = i;
	f->dst[0] = v6 ? 0xfd : 10;
	f->dst[1] = 2;
	f->sport = 40000 + i;
	f->dport = 443;
	f->dir = i % 3 == 2 ? APSM_DIR_RETURN : APSM_DIR_FORWARD;
	f->spi = 100 + i % 4;
	f->origin = i % 4 == 3 ? 9 : 3;
	f->version = 1000 + i * 7 - (i % 2) * 10;
	f->npath = f->op == APSM_RDS_OP_NEW ? 1 + i % APSM_PATH_MAX : 0;
	for (unsigned int j = 0; j < f->npath; j++)
		f->path[j] = 200 + j + i;
}

static struct apsmd_wbuf sent[64];
static unsigned int n_sent;

static int grab(void *ctx, uint32_t peer, struct apsmd_wbuf *w)
{
	(void)ctx;
	(void)peer;
	if (n_sent < 64)
		sent[n_sent++] = *w;
	return 0;
}

static void ignore(void *ctx, uint32_t peer, const struct apsmd_flow *f)
{
	(void)ctx;
	(void)peer;
	(void)f;
}

int main(int argc, char **argv)
{
	struct apsmd_hdr h = { .sender = 3, .ttl = 4, .epoch = 5, .seq = 6 };
	static const struct repair_ops ops = { .send = grab, .install = ignore };
	struct apsmd_range r;
	struct apsmd_inst in;
	struct apsmd_flow f;
	struct apsmd_wbuf w;
	struct apsmd_repair rp;
	struct shadow *a, *b;
	char name[64];
	unsigned int i, t;

	if (argc != 2 || sodium_init() < 0)
		return 2;
	dir = argv[1];

	/* LOG: one entry, v4; many, v6; a stream-0 repair batch; a full one */
	apsmd_wire_log_begin(&w, 3, 5, 1);
	flow(&f, 0, false);
	apsmd_wire_log_add(&w, &f);
	put("log-1", &w, &h);
	apsmd_wire_log_begin(&w, 3, 5, 17);
	for (i = 0; i < 9; i++) {
		flow(&f, i, true);
		apsmd_wire_log_add(&w, &f);
	}
	put("log-v6", &w, &h);
	apsmd_wire_log_begin(&w, 0, 0, 0);
	for (i = 0; i < 6; i++) {
		flow(&f, i, i % 2);
		f.origin = 3 + i;
		apsmd_wire_log_add(&w, &f);
	}
	h.flags = APSMD_F_REPAIR | APSMD_F_SNAP_END;
	put("log-repair", &w, &h);
	h.flags = 0;
	apsmd_wire_log_begin(&w, 3, 5, 100);
	for (i = 0; i < 200; i++) {
		flow(&f, i, false);
		if (apsmd_wire_log_add(&w, &f))
			break;
	}
	put("log-full", &w, &h);

	/* VECTOR, NACK, LOG_GONE */
	for (t = APSMD_T_VECTOR; t <= APSMD_T_LOG_GONE; t++) {
		apsmd_wire_begin(&w, t);
		for (i = 0; i < 3; i++) {
			r.stream = 1 + i;
			r.epoch = 5;
			r.from = 10 + i;
			r.to = 20 + i * 100;
			apsmd_wire_add_range(&w, &r);
		}
		h.flags = t == APSMD_T_VECTOR ? APSMD_F_BASELINE : 0;
		snprintf(name, sizeof(name), "ranges-%u", t);
		put(name, &w, &h);
	}
	h.flags = 0;

	/* INSTANCE: generation, total, set and delete records */
	apsmd_wire_begin(&w, APSMD_T_INSTANCE);
	{
		uint8_t pre[APSMD_INST_PREFIX] = { 0, 0, 0, 4, 0, 2 };

		apsmd_wire_raw(&w, pre, sizeof(pre));
	}
	memset(&in, 0, sizeof(in));
	in.op = APSMD_INST_OP_SET;
	in.state = 1;
	in.mode = 1;
	in.id = 11;
	in.node = 3;
	in.weight = 100;
	strcpy(in.name, "fw-a");
	strcpy(in.service, "fw");
	apsmd_wire_add_inst(&w, &in);
	in.op = APSMD_INST_OP_DEL;
	in.id = 12;
	strcpy(in.name, "fw-b");
	apsmd_wire_add_inst(&w, &in);
	put("instance", &w, &h);

	/* HEARTBEAT and PULL (their callers check them) */
	apsmd_wire_begin(&w, APSMD_T_HEARTBEAT);
	{
		uint8_t hb[APSMD_HB_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2 };

		apsmd_wire_raw(&w, hb, sizeof(hb));
	}
	h.flags = APSMD_F_READY;
	put("heartbeat", &w, &h);
	h.flags = 0;
	apsmd_wire_begin(&w, APSMD_T_PULL);
	{
		uint8_t pull[APSMD_PULL_LEN] = { APSMD_PULL_FULL };

		apsmd_wire_raw(&w, pull, sizeof(pull));
	}
	put("pull", &w, &h);

	/* TREE and TREE_ENTRIES: a repair round between two trees that
	 * differ, its datagrams captured
	 */
	a = shadow_new(0, 1000000);
	b = shadow_new(0, 1000000);
	if (!a || !b)
		return 1;
	for (i = 0; i < 40; i++) {
		flow(&f, i, i % 2);
		shadow_apply(a, &f, f.op, 1, 0);
		if (i % 3)
			shadow_apply(b, &f, f.op, 1, 0);
	}
	shadow_tick(a, 10000);
	shadow_tick(b, 10000);
	apsmd_repair_init(&rp, a, &ops, NULL);
	apsmd_repair_round(&rp, 2);
	for (i = 0; i < n_sent && i < 64; i++) {
		struct apsmd_repair rb;
		unsigned int before = n_sent;
		struct apsmd_hdr g;
		const uint8_t *body;
		size_t blen, len;
		struct apsmd_wbuf c = sent[i];

		len = apsmd_wire_seal(&c, &h, key);
		if (apsmd_wire_verify(c.b, len, key, &g, &body, &blen))
			return 1;
		apsmd_repair_init(&rb, i % 2 ? a : b, &ops, NULL);
		apsmd_repair_on_msg(&rb, 1, &g, body, blen);
		(void)before;
		snprintf(name, sizeof(name), "repair-%u-%02u", sent[i].type, i);
		put(name, &sent[i], &h);
		if (i > 12)
			break;
	}
	shadow_free(a);
	shadow_free(b);
	return 0;
}
