// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's UDP wire format: compact authenticated batches of RDS entries,
 * and the per-sender anti-replay window. See apsmd.h.
 */
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "apsmd.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

#define ENTRY_FIXED 28

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

void apsmd_wire_begin(struct apsmd_wbuf *w)
{
	w->len = APSMD_HDR_LEN;
	w->count = 0;
}

int apsmd_wire_add(struct apsmd_wbuf *w, const struct apsmd_flow *f)
{
	size_t al = addr_len(f->family), need, i;
	uint8_t *p;

	if (!al || f->npath > APSM_PATH_MAX)
		return -1;
	need = ENTRY_FIXED + 2 * al + 4 * f->npath;
	if (w->len + need + APSMD_MAC_LEN > sizeof(w->b) || w->count == 0xffff)
		return 1;
	p = w->b + w->len;
	p[0] = f->op;
	p[1] = f->family;
	p[2] = f->proto;
	p[3] = f->dir;
	p[4] = f->npath;
	p[5] = p[6] = p[7] = 0;
	put16(p + 8, f->sport);
	put16(p + 10, f->dport);
	put32(p + 12, f->spi);
	put32(p + 16, f->origin);
	put64(p + 20, f->version);
	p += ENTRY_FIXED;
	memcpy(p, f->src, al);
	memcpy(p + al, f->dst, al);
	p += 2 * al;
	for (i = 0; i < f->npath; i++)
		put32(p + 4 * i, f->path[i]);
	w->len += need;
	w->count++;
	return 0;
}

size_t apsmd_wire_seal(struct apsmd_wbuf *w, const struct apsmd_hdr *h,
		       const uint8_t key[APSMD_KEY_BYTES])
{
	uint8_t *p = w->b;

	put32(p, APSMD_MAGIC);
	p[4] = APSMD_WIRE_VERSION;
	p[5] = APSMD_T_BATCH;
	put16(p + 6, w->count);
	put32(p + 8, h->sender);
	put32(p + 12, 0);
	put64(p + 16, h->epoch);
	put64(p + 24, h->seq);
	crypto_auth(w->b + w->len, w->b, w->len, key);
	return w->len + APSMD_MAC_LEN;
}

enum apsmd_verdict apsmd_wire_open(const uint8_t *b, size_t len,
				   const uint8_t key[APSMD_KEY_BYTES],
				   struct apsmd_hdr *h, struct apsmd_flow *f,
				   unsigned int max, unsigned int *n)
{
	size_t off = APSMD_HDR_LEN, end;
	unsigned int i, count;

	if (len < APSMD_HDR_LEN + APSMD_MAC_LEN || len > APSMD_DGRAM_MAX)
		return APSMD_BAD_FORMAT;
	end = len - APSMD_MAC_LEN;
	if (crypto_auth_verify(b + end, b, end, key))
		return APSMD_BAD_MAC;
	if (get32(b) != APSMD_MAGIC || b[4] != APSMD_WIRE_VERSION ||
	    b[5] != APSMD_T_BATCH)
		return APSMD_BAD_FORMAT;
	count = get16(b + 6);
	h->count = count;
	h->sender = get32(b + 8);
	h->epoch = get64(b + 16);
	h->seq = get64(b + 24);
	if (count > max)
		return APSMD_BAD_FORMAT;
	for (i = 0; i < count; i++) {
		struct apsmd_flow *e = &f[i];
		const uint8_t *p = b + off;
		size_t al, j;

		if (off + ENTRY_FIXED > end)
			return APSMD_BAD_FORMAT;
		memset(e, 0, sizeof(*e));
		e->op = p[0];
		e->family = p[1];
		e->proto = p[2];
		e->dir = p[3];
		e->npath = p[4];
		e->sport = get16(p + 8);
		e->dport = get16(p + 10);
		e->spi = get32(p + 12);
		e->origin = get32(p + 16);
		e->version = get64(p + 20);
		al = addr_len(e->family);
		if (!al || e->npath > APSM_PATH_MAX ||
		    (e->op != APSM_RDS_OP_NEW && e->op != APSM_RDS_OP_DEL))
			return APSMD_BAD_FORMAT;
		off += ENTRY_FIXED;
		if (off + 2 * al + 4 * e->npath > end)
			return APSMD_BAD_FORMAT;
		memcpy(e->src, b + off, al);
		memcpy(e->dst, b + off + al, al);
		off += 2 * al;
		for (j = 0; j < e->npath; j++)
			e->path[j] = get32(b + off + 4 * j);
		off += 4 * e->npath;
	}
	if (off != end)
		return APSMD_BAD_FORMAT;
	*n = count;
	return APSMD_OK;
}

int apsmd_replay_check(struct apsmd_replay *r, uint64_t epoch, uint64_t seq)
{
	uint64_t d;

	if (!r->init || epoch > r->epoch) {
		r->init = true;
		r->epoch = epoch;
		r->top = seq;
		r->bits = 1;
		return 0;
	}
	if (epoch < r->epoch)
		return -1;
	if (seq > r->top) {
		d = seq - r->top;
		r->bits = d >= 64 ? 0 : r->bits << d;
		r->bits |= 1;
		r->top = seq;
		return 0;
	}
	d = r->top - seq;
	if (d >= 64 || (r->bits & (1ULL << d)))
		return -1;
	r->bits |= 1ULL << d;
	return 0;
}
