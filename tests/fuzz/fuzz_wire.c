// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: apsmd's datagram path, through wire.h's public
 * functions only (and repair.h for TREE/TREE_ENTRIES).
 *
 * Input byte 0 selects the mode:
 *   even: the rest is a datagram as it comes off the socket:
 *         apsmd_wire_verify() under a fixed key, then the body decoder of
 *         its type (reached only by inputs that carry the right MAC, like
 *         the seeds of corpus/wire/ that gen_corpus made).
 *   odd:  byte 1 type, bytes 2-3 count, byte 4 flags, byte 5 ttl, the rest
 *         a body: sealed with the right MAC by apsmd_wire_seal() first, so
 *         verify passes and every body decoder sees fuzzed bytes.
 * Oracles besides ASan/UBSan: seal -> verify gives back the header and the
 * body; a body that decodes re-encodes (wire.h's encoders) into one that
 * decodes to the same records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <sodium.h>

#include "repair.h"
#include "shadow.h"
#include "wire.h"

/* what the receive paths allow (sync.c, inv.c) */
#define FLOWS_MAX	(APSMD_DGRAM_MAX / 16 + 1)
#define RANGES_MAX	(APSMD_DGRAM_MAX / APSMD_RANGE_REC)
#define INSTS_MAX	((APSMD_DGRAM_MAX - APSMD_HDR_LEN - APSMD_MAC_LEN - \
			  APSMD_INST_PREFIX) / APSMD_INST_REC + 1)
#define BODY_MAX	(APSMD_DGRAM_MAX - APSMD_HDR_LEN - APSMD_MAC_LEN)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[APSMD_KEY_BYTES] = "apsm fuzz key, 32 bytes long...";
static struct shadow *sh;
static volatile uint64_t hash_sink;

#define FAIL(...) do { fprintf(stderr, "fuzz_wire: " __VA_ARGS__); \
		       fputc('\n', stderr); abort(); } while (0)

static void sealed_ok(struct apsmd_wbuf *w, const struct apsmd_hdr *h)
{
	struct apsmd_hdr g;
	const uint8_t *body;
	size_t len, blen, want = w->len - APSMD_HDR_LEN;
	uint8_t copy[APSMD_DGRAM_MAX];

	if (w->len > APSMD_DGRAM_MAX - APSMD_MAC_LEN)
		FAIL("built body of %zu bytes does not fit", w->len);
	len = apsmd_wire_seal(w, h, key);
	memcpy(copy, w->b, len);
	if (apsmd_wire_verify(copy, len, key, &g, &body, &blen) != APSMD_OK)
		FAIL("a sealed datagram (type %u, %zu bytes) does not verify",
		     w->type, len);
	if (g.type != w->type || g.count != w->count || g.sender != h->sender ||
	    g.ttl != h->ttl || g.flags != h->flags || g.epoch != h->epoch ||
	    g.seq != h->seq || blen != want ||
	    memcmp(body, w->b + APSMD_HDR_LEN, blen))
		FAIL("seal/verify changed the header or the body");
}

static bool flow_eq(const struct apsmd_flow *a, const struct apsmd_flow *b)
{
	return a->op == b->op && a->family == b->family &&
	       a->proto == b->proto && a->dir == b->dir &&
	       a->npath == b->npath && a->sport == b->sport &&
	       a->dport == b->dport && a->spi == b->spi &&
	       a->origin == b->origin && a->version == b->version &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
	       !memcmp(a->path, b->path, a->npath * sizeof(a->path[0]));
}

static void log_body(const struct apsmd_hdr *h, const uint8_t *body,
		     size_t blen)
{
	struct apsmd_flow *f = calloc(FLOWS_MAX, sizeof(*f));
	struct apsmd_flow *g = calloc(FLOWS_MAX, sizeof(*g));
	struct apsmd_range pre, pre2;
	struct apsmd_wbuf w;
	unsigned int n = 0, m = 0, i;

	if (!f || !g)
		abort();
	if (apsmd_wire_log_open(body, blen, h->count, &pre, f, FLOWS_MAX,
				&n) != APSMD_OK)
		goto out;
	if (n != h->count)
		FAIL("LOG: %u entries decoded of %u", n, h->count);
	/* what sync.c does with every entry next */
	for (i = 0; i < n; i++)
		hash_sink ^= apsmd_flow_keyhash(&f[i]) ^ apsmd_flow_hash(&f[i]);
	apsmd_wire_log_begin(&w, pre.stream, pre.epoch, pre.from);
	for (i = 0; i < n; i++) {
		int r = apsmd_wire_log_add(&w, &f[i]);

		if (r)
			FAIL("LOG: decoded entry %u does not re-encode (%d)", i, r);
	}
	sealed_ok(&w, h);
	if (apsmd_wire_log_open(w.b + APSMD_HDR_LEN, w.len - APSMD_HDR_LEN,
				w.count, &pre2, g, FLOWS_MAX, &m) != APSMD_OK ||
	    m != n || pre2.stream != pre.stream || pre2.epoch != pre.epoch ||
	    pre2.from != pre.from)
		FAIL("LOG: the re-encoded body does not decode the same");
	for (i = 0; i < n; i++)
		if (!flow_eq(&f[i], &g[i]))
			FAIL("LOG: entry %u changed in the round trip", i);
out:
	free(f);
	free(g);
}

static void range_body(const struct apsmd_hdr *h, const uint8_t *body,
		       size_t blen)
{
	struct apsmd_range r[RANGES_MAX], q[RANGES_MAX];
	struct apsmd_wbuf w;
	unsigned int n = 0, m = 0, i;

	if (apsmd_wire_ranges(body, blen, h->type, h->count, r, RANGES_MAX,
			      &n) != APSMD_OK)
		return;
	apsmd_wire_begin(&w, h->type);
	for (i = 0; i < n; i++)
		if (apsmd_wire_add_range(&w, &r[i]))
			FAIL("type %u: decoded record %u does not re-encode",
			     h->type, i);
	sealed_ok(&w, h);
	if (apsmd_wire_ranges(w.b + APSMD_HDR_LEN, w.len - APSMD_HDR_LEN,
			      h->type, w.count, q, RANGES_MAX, &m) != APSMD_OK ||
	    m != n)
		FAIL("type %u: the re-encoded body does not decode", h->type);
	for (i = 0; i < n; i++)
		if (q[i].stream != r[i].stream || q[i].epoch != r[i].epoch ||
		    q[i].from != r[i].from || q[i].to != r[i].to)
			FAIL("type %u: record %u changed in the round trip",
			     h->type, i);
}

static void inst_body(const struct apsmd_hdr *h, const uint8_t *body,
		      size_t blen)
{
	struct apsmd_inst r[INSTS_MAX], q[INSTS_MAX];
	struct apsmd_wbuf w;
	unsigned int n = 0, m = 0, i;
	uint8_t prefix[APSMD_INST_PREFIX] = { 0 };
	uint32_t gen, gen2;
	uint16_t total, total2;

	if (apsmd_wire_insts(body, blen, h->count, &gen, &total, r, INSTS_MAX,
			     &n) != APSMD_OK)
		return;
	for (i = 0; i < n; i++)
		if (!memchr(r[i].name, 0, sizeof(r[i].name)) ||
		    !memchr(r[i].service, 0, sizeof(r[i].service)))
			FAIL("INSTANCE: record %u: name not terminated", i);
	apsmd_wire_begin(&w, APSMD_T_INSTANCE);
	apsmd_put32(prefix, gen);
	apsmd_put16(prefix + 4, total);
	if (apsmd_wire_raw(&w, prefix, sizeof(prefix)))
		FAIL("INSTANCE: prefix does not fit");
	for (i = 0; i < n; i++)
		if (apsmd_wire_add_inst(&w, &r[i]))
			FAIL("INSTANCE: record %u does not re-encode", i);
	sealed_ok(&w, h);
	if (apsmd_wire_insts(w.b + APSMD_HDR_LEN, w.len - APSMD_HDR_LEN,
			     w.count, &gen2, &total2, q, INSTS_MAX, &m) !=
	    APSMD_OK || m != n || gen2 != gen || total2 != total)
		FAIL("INSTANCE: the re-encoded body does not decode");
	for (i = 0; i < n; i++)
		if (q[i].op != r[i].op || q[i].state != r[i].state ||
		    q[i].mode != r[i].mode || q[i].id != r[i].id ||
		    q[i].node != r[i].node || q[i].weight != r[i].weight ||
		    strcmp(q[i].name, r[i].name) ||
		    strcmp(q[i].service, r[i].service))
			FAIL("INSTANCE: record %u changed in the round trip", i);
}

/* repair's answers: sealed and verified like io would, then dropped */
static int repair_send(void *ctx, uint32_t peer, struct apsmd_wbuf *w)
{
	struct apsmd_hdr h = { .sender = 1, .ttl = 1, .epoch = 1, .seq = 1 };

	(void)ctx;
	(void)peer;
	sealed_ok(w, &h);
	return 0;
}

static void repair_install(void *ctx, uint32_t peer,
			   const struct apsmd_flow *f)
{
	(void)ctx;
	(void)peer;
	if ((f->op != APSM_RDS_OP_NEW && f->op != APSM_RDS_OP_DEL) ||
	    (f->family != AF_INET && f->family != AF_INET6) ||
	    f->npath > APSM_PATH_MAX)
		FAIL("repair installs a malformed entry");
}

static const struct repair_ops rops = {
	.send = repair_send,
	.install = repair_install,
};

static void decode_body(const struct apsmd_hdr *h, const uint8_t *body,
			size_t blen)
{
	struct apsmd_repair rp;

	switch (h->type) {
	case APSMD_T_LOG:
		log_body(h, body, blen);
		break;
	case APSMD_T_VECTOR:
	case APSMD_T_NACK:
	case APSMD_T_LOG_GONE:
		range_body(h, body, blen);
		break;
	case APSMD_T_INSTANCE:
		inst_body(h, body, blen);
		break;
	case APSMD_T_TREE:
	case APSMD_T_TREE_ENTRIES:
		/* fresh per input; the shadow is never changed (install
		 * above only checks), so a run does not depend on the last
		 */
		apsmd_repair_init(&rp, sh, &rops, NULL);
		apsmd_repair_on_msg(&rp, h->sender, h, body, blen);
		break;
	default:
		/* HEARTBEAT, PULL: fixed sizes checked by their callers */
		break;
	}
}

/* The body in a heap block of its exact size: a decoder that reads past
 * it is caught by ASan instead of reading the MAC.
 */
static void decode(const struct apsmd_hdr *h, const uint8_t *body,
		   size_t blen)
{
	uint8_t *b = malloc(blen ? blen : 1);

	if (!b)
		abort();
	memcpy(b, body, blen);
	decode_body(h, b, blen);
	free(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct apsmd_flow f;
	unsigned int i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	/* a few hundred entries, so that TREE records find differences
	 * and TREE_ENTRIES items find records to compare with
	 */
	sh = shadow_new(0, 1000000);
	if (!sh)
		abort();
	for (i = 0; i < 300; i++) {
		memset(&f, 0, sizeof(f));
		f.op = i % 7 ? APSM_RDS_OP_NEW : APSM_RDS_OP_DEL;
		f.family = i % 3 ? AF_INET : AF_INET6;
		f.proto = 6;
		f.src[0] = 10;
		f.src[3] = i;
		f.dst[0] = 10;
		f.dst[1] = 1;
		f.sport = 1000 + i;
		f.dport = 80;
		f.spi = 1 + i % 4;
		f.origin = 1 + i % 3;
		f.version = 100 + i;
		f.npath = f.op == APSM_RDS_OP_NEW ? 1 + i % 3 : 0;
		f.path[0] = f.path[1] = f.path[2] = 1 + i;
		shadow_apply(sh, &f, f.op, 1, 0);
	}
	shadow_tick(sh, 10000);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apsmd_hdr h = { 0 }, g;
	struct apsmd_wbuf w;
	const uint8_t *body;
	uint8_t *copy;
	size_t blen, n;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		/* exact-size heap copy: ASan sees any read past the end */
		n = size - 1;
		copy = malloc(n ? n : 1);
		if (!copy)
			abort();
		memcpy(copy, data + 1, n);
		if (apsmd_wire_verify(copy, n, key, &h, &body, &blen) ==
		    APSMD_OK) {
			if (body < copy || body + blen > copy + n)
				FAIL("verify's body is outside the datagram");
			decode(&h, body, blen);
		}
		free(copy);
		return 0;
	}
	if (size < 6)
		return 0;
	apsmd_wire_begin(&w, data[1]);
	n = size - 6 > BODY_MAX ? BODY_MAX : size - 6;
	if (apsmd_wire_raw(&w, data + 6, n))
		FAIL("a body of %zu bytes does not fit", n);
	w.count = apsmd_get16(data + 2);
	h.flags = data[4];
	h.ttl = data[5];
	h.sender = 2;
	h.epoch = 7;
	h.seq = 9;
	n = apsmd_wire_seal(&w, &h, key);
	copy = malloc(n);
	if (!copy)
		abort();
	memcpy(copy, w.b, n);
	if (apsmd_wire_verify(copy, n, key, &g, &body, &blen) == APSMD_OK)
		decode(&g, body, blen);
	free(copy);
	return 0;
}
