// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's UDP wire format v3: compact authenticated datagrams (sequenced
 * LOG entries, vectors, NACKs, heartbeats, pulls, instance records), stable entry
 * hashes and the per-sender anti-replay window. See wire.h.
 */
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "wire.h"

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

void apsmd_wire_begin(struct apsmd_wbuf *w, uint8_t type)
{
	w->len = APSMD_HDR_LEN;
	w->count = 0;
	w->type = type;
	w->stream = 0;
	w->prev = 0;
}

/* ---- LOG entries (v3: each coded against the one before it) ---- */

/* "same as the previous entry" bits (the first entry has none) */
#define S_META		0x01	/* flags byte and origin */
#define S_PROTO		0x02
#define S_SRC		0x04
#define S_DST		0x08
#define S_SPORT		0x10
#define S_DPORT		0x20
#define S_SPI		0x40
#define S_PATH		0x80	/* npath and the instance ids */
/* the flags byte */
#define E_DEL		0x80
#define E_V6		0x40
#define E_ORIGIN	0x20
#define E_RETURN	0x10
#define E_RESERVED	0x0f	/* must be 0 */
#define ENTRY_MAX	(2 + 5 + 1 + 32 + 4 + 5 + 10 + 1 + 5 * APSM_PATH_MAX)

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* 0 and the value, or -1 (truncated or longer than 10 bytes). */
static int get_varint(const uint8_t *p, size_t end, size_t *off, uint64_t *v)
{
	unsigned int shift = 0;

	*v = 0;
	while (*off < end && shift < 64) {
		uint8_t b = p[(*off)++];

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* A varint of at most 32 bits. */
static int get_var32(const uint8_t *p, size_t end, size_t *off, uint32_t *v)
{
	uint64_t x;

	if (get_varint(p, end, off, &x) || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

void apsmd_wire_log_begin(struct apsmd_wbuf *w, uint32_t stream,
			  uint64_t epoch, uint64_t first)
{
	uint8_t *p;

	apsmd_wire_begin(w, APSMD_T_LOG);
	p = w->b + w->len;
	apsmd_put32(p, stream);
	apsmd_put64(p + 4, epoch);
	apsmd_put64(p + 12, first);
	w->len += APSMD_LOG_PREFIX;
	w->stream = stream;
}

static uint8_t entry_flags(const struct apsmd_flow *f, uint32_t stream)
{
	return (f->op == APSM_RDS_OP_DEL ? E_DEL : 0) |
	       (f->family == AF_INET6 ? E_V6 : 0) |
	       (f->origin != stream ? E_ORIGIN : 0) |
	       (f->dir == APSM_DIR_RETURN ? E_RETURN : 0);
}

int apsmd_wire_log_add(struct apsmd_wbuf *w, const struct apsmd_flow *f)
{
	const struct apsmd_flow *p = &w->last;
	size_t al = addr_len(f->family), n = 1, i;
	uint8_t e[ENTRY_MAX], fl = entry_flags(f, w->stream), same = 0;
	uint64_t d = f->version - w->prev;
	bool first = !w->count;

	if (!al || f->npath > APSM_PATH_MAX ||
	    (f->op != APSM_RDS_OP_NEW && f->op != APSM_RDS_OP_DEL))
		return -1;
	if (!first) {
		same |= fl == entry_flags(p, w->stream) &&
			f->origin == p->origin ? S_META : 0;
		same |= f->proto == p->proto ? S_PROTO : 0;
		if (f->family == p->family) {
			same |= !memcmp(f->src, p->src, al) ? S_SRC : 0;
			same |= !memcmp(f->dst, p->dst, al) ? S_DST : 0;
		}
		same |= f->sport == p->sport ? S_SPORT : 0;
		same |= f->dport == p->dport ? S_DPORT : 0;
		same |= f->spi == p->spi ? S_SPI : 0;
		same |= f->npath == p->npath &&
			!memcmp(f->path, p->path, f->npath * sizeof(f->path[0])) ?
			S_PATH : 0;
	}
	e[0] = same;
	if (!(same & S_META)) {
		e[n++] = fl;
		if (fl & E_ORIGIN)
			n += put_varint(e + n, f->origin);
	}
	if (!(same & S_PROTO))
		e[n++] = f->proto;
	if (!(same & S_SRC)) {
		memcpy(e + n, f->src, al);
		n += al;
	}
	if (!(same & S_DST)) {
		memcpy(e + n, f->dst, al);
		n += al;
	}
	if (!(same & S_SPORT)) {
		apsmd_put16(e + n, f->sport);
		n += 2;
	}
	if (!(same & S_DPORT)) {
		apsmd_put16(e + n, f->dport);
		n += 2;
	}
	if (!(same & S_SPI))
		n += put_varint(e + n, f->spi);
	/* zigzag of the signed difference */
	n += put_varint(e + n, (d << 1) ^ (uint64_t)((int64_t)d >> 63));
	if (!(same & S_PATH)) {
		e[n++] = f->npath;
		for (i = 0; i < f->npath; i++)
			n += put_varint(e + n, f->path[i]);
	}
	if (w->len + n + APSMD_MAC_LEN > sizeof(w->b) ||
	    w->count >= APSMD_LOG_ENTRIES_MAX)
		return 1;
	memcpy(w->b + w->len, e, n);
	w->len += n;
	w->count++;
	w->prev = f->version;
	w->last = *f;
	return 0;
}

/* One entry at *off, coded against prev (NULL: the first). */
static int log_entry(const uint8_t *b, size_t end, size_t *off,
		     uint32_t stream, const struct apsmd_flow *prev,
		     uint64_t *version, struct apsmd_flow *e)
{
	size_t al;
	uint64_t v;
	uint8_t same, fl;
	unsigned int j;

	if (*off >= end)
		return -1;
	same = b[(*off)++];
	if (!prev && same)
		return -1;	/* nothing to be the same as */
	memset(e, 0, sizeof(*e));
	if (same & S_META) {
		e->op = prev->op;
		e->family = prev->family;
		e->dir = prev->dir;
		e->origin = prev->origin;
	} else {
		if (*off >= end)
			return -1;
		fl = b[(*off)++];
		if (fl & E_RESERVED)
			return -1;
		e->op = fl & E_DEL ? APSM_RDS_OP_DEL : APSM_RDS_OP_NEW;
		e->family = fl & E_V6 ? AF_INET6 : AF_INET;
		e->dir = fl & E_RETURN ? APSM_DIR_RETURN : APSM_DIR_FORWARD;
		e->origin = stream;
		if ((fl & E_ORIGIN) && get_var32(b, end, off, &e->origin))
			return -1;
		if (!e->origin)
			return -1;
	}
	al = addr_len(e->family);
	if (same & S_PROTO) {
		e->proto = prev->proto;
	} else {
		if (*off >= end)
			return -1;
		e->proto = b[(*off)++];
	}
	/* an address is the same only as one of the same family */
	if ((same & (S_SRC | S_DST)) && prev->family != e->family)
		return -1;
	if (same & S_SRC) {
		memcpy(e->src, prev->src, al);
	} else {
		if (end - *off < al)
			return -1;
		memcpy(e->src, b + *off, al);
		*off += al;
	}
	if (same & S_DST) {
		memcpy(e->dst, prev->dst, al);
	} else {
		if (end - *off < al)
			return -1;
		memcpy(e->dst, b + *off, al);
		*off += al;
	}
	if (same & S_SPORT) {
		e->sport = prev->sport;
	} else {
		if (end - *off < 2)
			return -1;
		e->sport = apsmd_get16(b + *off);
		*off += 2;
	}
	if (same & S_DPORT) {
		e->dport = prev->dport;
	} else {
		if (end - *off < 2)
			return -1;
		e->dport = apsmd_get16(b + *off);
		*off += 2;
	}
	if (same & S_SPI)
		e->spi = prev->spi;
	else if (get_var32(b, end, off, &e->spi))
		return -1;
	if (get_varint(b, end, off, &v))
		return -1;
	*version += (v >> 1) ^ (0 - (v & 1));
	e->version = *version;
	if (same & S_PATH) {
		e->npath = prev->npath;
		memcpy(e->path, prev->path, sizeof(e->path));
		return 0;
	}
	if (*off >= end || b[*off] > APSM_PATH_MAX)
		return -1;
	e->npath = b[(*off)++];
	for (j = 0; j < e->npath; j++)
		if (get_var32(b, end, off, &e->path[j]))
			return -1;
	return 0;
}

enum apsmd_verdict apsmd_wire_log_open(const uint8_t *b, size_t end,
				       unsigned int count,
				       struct apsmd_range *pre,
				       struct apsmd_flow *f, unsigned int max,
				       unsigned int *n)
{
	uint64_t version = 0;
	size_t off = APSMD_LOG_PREFIX;
	unsigned int i;

	if (count > max || end < APSMD_LOG_PREFIX)
		return APSMD_BAD_FORMAT;
	pre->stream = apsmd_get32(b);
	pre->epoch = apsmd_get64(b + 4);
	pre->from = apsmd_get64(b + 12);
	pre->to = 0;
	/* a sequenced stream is numbered from 1 */
	if (pre->stream && (!pre->from || pre->from + count < pre->from))
		return APSMD_BAD_FORMAT;
	for (i = 0; i < count; i++)
		if (log_entry(b, end, &off, pre->stream, i ? &f[i - 1] : NULL,
			      &version, &f[i]))
			return APSMD_BAD_FORMAT;
	if (off != end)
		return APSMD_BAD_FORMAT;
	*n = count;
	return APSMD_OK;
}

/* ---- VECTOR, NACK, LOG_GONE records ---- */

int apsmd_wire_add_range(struct apsmd_wbuf *w, const struct apsmd_range *r)
{
	size_t rec = w->type == APSMD_T_VECTOR ? APSMD_VEC_REC : APSMD_RANGE_REC;
	uint8_t *p = w->b + w->len;

	if (w->len + rec + APSMD_MAC_LEN > sizeof(w->b) || w->count == 0xffff)
		return 1;
	apsmd_put32(p, r->stream);
	apsmd_put64(p + 4, r->epoch);
	if (w->type == APSMD_T_VECTOR) {
		apsmd_put64(p + 12, r->to);
	} else {
		apsmd_put64(p + 12, r->from);
		apsmd_put64(p + 20, r->to);
	}
	w->len += rec;
	w->count++;
	return 0;
}

enum apsmd_verdict apsmd_wire_ranges(const uint8_t *b, size_t blen,
				     uint8_t type, unsigned int count,
				     struct apsmd_range *r, unsigned int max,
				     unsigned int *n)
{
	size_t rec = type == APSMD_T_VECTOR ? APSMD_VEC_REC : APSMD_RANGE_REC;
	unsigned int i;

	if (count > max || blen != count * rec)
		return APSMD_BAD_FORMAT;
	for (i = 0; i < count; i++, b += rec) {
		r[i].stream = apsmd_get32(b);
		r[i].epoch = apsmd_get64(b + 4);
		if (type == APSMD_T_VECTOR) {
			r[i].from = 0;
			r[i].to = apsmd_get64(b + 12);
		} else {
			r[i].from = apsmd_get64(b + 12);
			r[i].to = apsmd_get64(b + 20);
			if (!r[i].from || r[i].from > r[i].to)
				return APSMD_BAD_FORMAT;
		}
		if (!r[i].stream)
			return APSMD_BAD_FORMAT;
	}
	*n = count;
	return APSMD_OK;
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

enum apsmd_verdict apsmd_wire_hdr_decode(const uint8_t *b,
					 struct apsmd_hdr *h)
{
	/* v1 and v2 are refused; types 1 (BATCH) and 3 (DIGEST) are retired */
	if (apsmd_get32(b) != APSMD_MAGIC || b[4] != APSMD_WIRE_VERSION ||
	    b[5] < APSMD_T_HEARTBEAT || b[5] == 3 || b[5] > APSMD_T_MAX)
		return APSMD_BAD_FORMAT;
	h->type = b[5];
	h->count = apsmd_get16(b + 6);
	h->sender = apsmd_get32(b + 8);
	h->ttl = b[12];
	h->flags = b[13];
	h->epoch = apsmd_get64(b + 16);
	h->seq = apsmd_get64(b + 24);
	return APSMD_OK;
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
	if (apsmd_wire_hdr_decode(b, h) != APSMD_OK)
		return APSMD_BAD_FORMAT;
	*body = b + APSMD_HDR_LEN;
	*blen = end - APSMD_HDR_LEN;
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
