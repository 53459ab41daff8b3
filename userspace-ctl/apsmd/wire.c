// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's UDP wire format: compact authenticated datagrams (batches of RDS
 * entries, heartbeats, digests, pulls, instance records), stable entry
 * hashes and the per-sender anti-replay window. See wire.h.
 */
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "wire.h"

#define ENTRY_FIXED 28

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

void apsmd_wire_begin(struct apsmd_wbuf *w, uint8_t type)
{
	w->len = APSMD_HDR_LEN;
	w->count = 0;
	w->type = type;
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
	apsmd_put16(p + 8, f->sport);
	apsmd_put16(p + 10, f->dport);
	apsmd_put32(p + 12, f->spi);
	apsmd_put32(p + 16, f->origin);
	apsmd_put64(p + 20, f->version);
	p += ENTRY_FIXED;
	memcpy(p, f->src, al);
	memcpy(p + al, f->dst, al);
	p += 2 * al;
	for (i = 0; i < f->npath; i++)
		apsmd_put32(p + 4 * i, f->path[i]);
	w->len += need;
	w->count++;
	return 0;
}

int apsmd_wire_raw(struct apsmd_wbuf *w, const void *p, size_t n)
{
	if (w->len + n + APSMD_MAC_LEN > sizeof(w->b))
		return 1;
	memcpy(w->b + w->len, p, n);
	w->len += n;
	return 0;
}

int apsmd_wire_add_inst(struct apsmd_wbuf *w, const struct apsmd_inst *r)
{
	uint8_t *p;

	if (w->len + APSMD_INST_REC + APSMD_MAC_LEN > sizeof(w->b) ||
	    w->count == 0xffff)
		return 1;
	p = w->b + w->len;
	memset(p, 0, APSMD_INST_REC);
	p[0] = r->op;
	p[1] = r->state;
	p[2] = r->mode;
	apsmd_put32(p + 4, r->id);
	apsmd_put32(p + 8, r->node);
	apsmd_put32(p + 12, r->weight);
	memcpy(p + 16, r->name, strnlen(r->name, APSM_NAME_MAX - 1));
	memcpy(p + 48, r->service, strnlen(r->service, APSM_NAME_MAX - 1));
	w->len += APSMD_INST_REC;
	w->count++;
	return 0;
}

size_t apsmd_wire_seal(struct apsmd_wbuf *w, const struct apsmd_hdr *h,
		       const uint8_t key[APSMD_KEY_BYTES])
{
	uint8_t *p = w->b;

	apsmd_put32(p, APSMD_MAGIC);
	p[4] = APSMD_WIRE_VERSION;
	p[5] = w->type;
	apsmd_put16(p + 6, w->count);
	apsmd_put32(p + 8, h->sender);
	p[12] = h->ttl;
	p[13] = h->flags;
	apsmd_put16(p + 14, 0);
	apsmd_put64(p + 16, h->epoch);
	apsmd_put64(p + 24, h->seq);
	crypto_auth(w->b + w->len, w->b, w->len, key);
	return w->len + APSMD_MAC_LEN;
}

enum apsmd_verdict apsmd_wire_verify(const uint8_t *b, size_t len,
				     const uint8_t key[APSMD_KEY_BYTES],
				     struct apsmd_hdr *h, const uint8_t **body,
				     size_t *blen)
{
	size_t end;

	if (len < APSMD_HDR_LEN + APSMD_MAC_LEN || len > APSMD_DGRAM_MAX)
		return APSMD_BAD_FORMAT;
	end = len - APSMD_MAC_LEN;
	if (crypto_auth_verify(b + end, b, end, key))
		return APSMD_BAD_MAC;
	if (apsmd_get32(b) != APSMD_MAGIC || b[4] != APSMD_WIRE_VERSION ||
	    !b[5] || b[5] > APSMD_T_MAX)
		return APSMD_BAD_FORMAT;
	h->type = b[5];
	h->count = apsmd_get16(b + 6);
	h->sender = apsmd_get32(b + 8);
	h->ttl = b[12];
	h->flags = b[13];
	h->epoch = apsmd_get64(b + 16);
	h->seq = apsmd_get64(b + 24);
	*body = b + APSMD_HDR_LEN;
	*blen = end - APSMD_HDR_LEN;
	return APSMD_OK;
}

enum apsmd_verdict apsmd_wire_flows(const uint8_t *b, size_t end,
				    unsigned int count, struct apsmd_flow *f,
				    unsigned int max, unsigned int *n)
{
	size_t off = 0;
	unsigned int i;

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
		e->sport = apsmd_get16(p + 8);
		e->dport = apsmd_get16(p + 10);
		e->spi = apsmd_get32(p + 12);
		e->origin = apsmd_get32(p + 16);
		e->version = apsmd_get64(p + 20);
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
			e->path[j] = apsmd_get32(b + off + 4 * j);
		off += 4 * e->npath;
	}
	if (off != end)
		return APSMD_BAD_FORMAT;
	*n = count;
	return APSMD_OK;
}

enum apsmd_verdict apsmd_wire_insts(const uint8_t *b, size_t blen,
				    unsigned int count, uint32_t *gen,
				    uint16_t *total, struct apsmd_inst *r,
				    unsigned int max, unsigned int *n)
{
	unsigned int i;

	if (count > max || blen != APSMD_INST_PREFIX + count * APSMD_INST_REC)
		return APSMD_BAD_FORMAT;
	*gen = apsmd_get32(b);
	*total = apsmd_get16(b + 4);
	b += APSMD_INST_PREFIX;
	for (i = 0; i < count; i++, b += APSMD_INST_REC) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].op = b[0];
		r[i].state = b[1];
		r[i].mode = b[2];
		r[i].id = apsmd_get32(b + 4);
		r[i].node = apsmd_get32(b + 8);
		r[i].weight = apsmd_get32(b + 12);
		memcpy(r[i].name, b + 16, APSM_NAME_MAX - 1);
		memcpy(r[i].service, b + 48, APSM_NAME_MAX - 1);
		if ((r[i].op != APSMD_INST_OP_SET && r[i].op != APSMD_INST_OP_DEL) ||
		    !r[i].id || !r[i].node || !r[i].name[0] ||
		    (r[i].op == APSMD_INST_OP_SET && !r[i].service[0]) ||
		    r[i].state >= __APSM_STATE_MAX || r[i].mode >= __APSM_MODE_MAX ||
		    r[i].weight > APSM_WEIGHT_MAX)
			return APSMD_BAD_FORMAT;
	}
	*n = count;
	return APSMD_OK;
}

enum apsmd_verdict apsmd_wire_open(const uint8_t *b, size_t len,
				   const uint8_t key[APSMD_KEY_BYTES],
				   struct apsmd_hdr *h, struct apsmd_flow *f,
				   unsigned int max, unsigned int *n)
{
	enum apsmd_verdict v;
	const uint8_t *body;
	size_t blen;

	v = apsmd_wire_verify(b, len, key, h, &body, &blen);
	if (v != APSMD_OK)
		return v;
	if (h->type != APSMD_T_BATCH)
		return APSMD_BAD_FORMAT;
	return apsmd_wire_flows(body, blen, h->count, f, max, n);
}

/* The key bytes (and, with full, the rest of the entry) in a fixed layout,
 * hashed with SipHash under an all-zero key: the same on every node.
 */
static uint64_t flow_hash(const struct apsmd_flow *f, bool full)
{
	static const uint8_t zero[crypto_shorthash_KEYBYTES];
	uint8_t b[128], h[crypto_shorthash_BYTES];
	size_t al = addr_len(f->family), n = 0, i;

	b[n++] = f->family;
	b[n++] = f->proto;
	apsmd_put16(b + n, f->sport);
	apsmd_put16(b + n + 2, f->dport);
	n += 4;
	memcpy(b + n, f->src, al);
	memcpy(b + n + al, f->dst, al);
	n += 2 * al;
	if (full) {
		b[n++] = f->dir;
		b[n++] = f->npath;
		apsmd_put32(b + n, f->spi);
		apsmd_put32(b + n + 4, f->origin);
		apsmd_put64(b + n + 8, f->version);
		n += 16;
		for (i = 0; i < f->npath && i < APSM_PATH_MAX; i++, n += 4)
			apsmd_put32(b + n, f->path[i]);
	}
	crypto_shorthash(h, b, n, zero);
	return apsmd_get64(h);
}

uint64_t apsmd_flow_keyhash(const struct apsmd_flow *f)
{
	return flow_hash(f, false);
}

uint64_t apsmd_flow_hash(const struct apsmd_flow *f)
{
	return flow_hash(f, true);
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
