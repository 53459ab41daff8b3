// SPDX-License-Identifier: GPL-2.0
/*
 * The Merkle repair exchange (repair.h): stateless per message, descends
 * only where the two trees differ, swaps the items of differing leaves.
 */
#include <string.h>
#include <sys/socket.h>

#include "repair.h"

#define ITEM_FIXED	32
#define ITEM_LEAF	0	/* leaf marker item */

struct out {
	struct apsmd_repair *r;
	uint32_t peer;
	uint8_t type, flags;
	struct apsmd_wbuf w;
	int err;
};

static void out_begin(struct out *o)
{
	uint8_t p[8] = { 0 };

	apsmd_wire_begin(&o->w, o->type);
	apsmd_put32(p, o->r->round);
	p[4] = o->flags;
	apsmd_wire_raw(&o->w, p, sizeof(p));
}

static void out_flush(struct out *o)
{
	if (o->err || !o->w.count)
		return;
	o->r->st.dgrams++;
	o->r->st.bytes += o->w.len + APSMD_MAC_LEN;
	if (o->r->ops->send(o->r->ctx, o->peer, &o->w))
		o->err = -1;
	out_begin(o);
}

static void out_init(struct out *o, struct apsmd_repair *r, uint32_t peer,
		     uint8_t type, uint8_t flags)
{
	o->r = r;
	o->peer = peer;
	o->type = type;
	o->flags = flags;
	o->err = 0;
	out_begin(o);
}

static void out_put(struct out *o, const uint8_t *p, size_t n)
{
	if (o->err)
		return;
	if (apsmd_wire_raw(&o->w, p, n)) {
		out_flush(o);
		if (o->err || apsmd_wire_raw(&o->w, p, n)) {
			o->err = -1;
			return;
		}
	}
	o->w.count++;
}

static void put_node(struct out *o, unsigned int level, uint32_t idx)
{
	uint8_t p[REPAIR_TREE_REC] = { 0 };

	p[0] = level;
	apsmd_put32(p + 4, idx);
	apsmd_put64(p + 8, shadow_node(o->r->sh, level, idx));
	out_put(o, p, sizeof(p));
}

static size_t alen(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void put_item(const struct apsmd_flow *f, void *arg)
{
	struct out *o = arg;
	uint8_t p[ITEM_FIXED + 32 + 4 * APSM_PATH_MAX];
	size_t al = alen(f->family), n = ITEM_FIXED;
	unsigned int i;

	memset(p, 0, ITEM_FIXED);
	p[0] = f->op;
	p[1] = f->family;
	p[2] = f->proto;
	p[3] = f->dir;
	p[4] = f->npath;
	apsmd_put16(p + 8, f->sport);
	apsmd_put16(p + 10, f->dport);
	apsmd_put32(p + 12, f->spi);
	apsmd_put32(p + 16, f->origin);
	apsmd_put64(p + 20, f->version);
	/* bytes 28..31 pad */
	memcpy(p + n, f->src, al);
	memcpy(p + n + al, f->dst, al);
	n += 2 * al;
	for (i = 0; i < f->npath; i++, n += 4)
		apsmd_put32(p + n, f->path[i]);
	out_put(o, p, n);
	o->r->st.items_sent++;
}

static void put_leaf(struct out *o, uint32_t leaf)
{
	uint8_t p[8] = { ITEM_LEAF };

	apsmd_put32(p + 4, leaf);
	out_put(o, p, sizeof(p));
	shadow_leaf_items(o->r->sh, leaf, put_item, o);
}

void apsmd_repair_init(struct apsmd_repair *r, struct shadow *sh,
		       const struct repair_ops *ops, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->sh = sh;
	r->ops = ops;
	r->ctx = ctx;
}

int apsmd_repair_round(struct apsmd_repair *r, uint32_t peer)
{
	struct out o;
	uint32_t i;

	r->round++;
	r->st.rounds++;
	out_init(&o, r, peer, APSMD_T_TREE, 0);
	put_node(&o, 0, 0);
	for (i = 0; i < SHADOW_FANOUT; i++)
		put_node(&o, 1, i);
	out_flush(&o);
	return o.err;
}

static int bad(struct apsmd_repair *r)
{
	r->st.bad_format++;
	return -1;
}

static int on_tree(struct apsmd_repair *r, uint32_t peer, uint8_t flags,
		   uint16_t count, const uint8_t *p, size_t blen)
{
	struct out t, e;
	bool has_l1 = false;
	unsigned int k, c;

	if (blen != (size_t)count * REPAIR_TREE_REC)
		return bad(r);
	for (k = 0; k < count; k++) {
		const uint8_t *q = p + k * REPAIR_TREE_REC;

		if (q[0] > SHADOW_LEAF_LEVEL ||
		    (uint64_t)apsmd_get32(q + 4) >=
		    1ULL << (SHADOW_FANOUT_BITS * q[0]))
			return bad(r);
		has_l1 |= q[0] == 1;
	}
	if (flags & REPAIR_TREE_DONE) {
		r->st.done++;
		return 0;
	}
	out_init(&t, r, peer, APSMD_T_TREE, 0);
	out_init(&e, r, peer, APSMD_T_TREE_ENTRIES, REPAIR_TE_WANT);
	for (k = 0; k < count; k++) {
		const uint8_t *q = p + k * REPAIR_TREE_REC;
		unsigned int level = q[0];
		uint32_t idx = apsmd_get32(q + 4);

		if (shadow_node(r->sh, level, idx) == apsmd_get64(q + 8)) {
			if (level == 0) {
				struct out d;

				out_init(&d, r, peer, APSMD_T_TREE,
					 REPAIR_TREE_DONE);
				put_node(&d, 0, 0);
				out_flush(&d);
				r->st.done++;
				return d.err;
			}
			continue;
		}
		if (level == 0 && has_l1)
			continue;
		r->st.diff_nodes++;
		if (level == SHADOW_LEAF_LEVEL) {
			r->st.diff_leaves++;
			put_leaf(&e, idx);
			continue;
		}
		for (c = 0; c < SHADOW_FANOUT; c++)
			put_node(&t, level + 1, idx * SHADOW_FANOUT + c);
	}
	out_flush(&t);
	out_flush(&e);
	return t.err ? t.err : e.err;
}

/* Is x newer than the local record of its key? A delete wins a tie. */
static bool wanted(const struct apsmd_repair *r, const struct apsmd_flow *x)
{
	struct apsmd_flow own;

	if (!shadow_find(r->sh, x, &own))
		return true;
	if (x->op == APSM_RDS_OP_DEL && own.op == APSM_RDS_OP_NEW)
		return !apsmd_newer(own.version, own.origin, x->version,
				    x->origin);
	return apsmd_newer(x->version, x->origin, own.version, own.origin);
}

/* Walk a TREE_ENTRIES body: leaf markers into leaves, items to install
 * (when install is set: the body is checked whole first, so a malformed
 * datagram installs nothing, as LOG decodes all or nothing). 0 or -1.
 */
static int walk_entries(struct apsmd_repair *r, uint32_t peer, bool install,
			uint16_t count, const uint8_t *p, size_t blen,
			uint32_t *leaves, unsigned int maxleaf,
			unsigned int *nleaf)
{
	unsigned int k, i;
	size_t off = 0;

	*nleaf = 0;
	for (k = 0; k < count; k++) {
		struct apsmd_flow f;
		size_t al, n;

		if (blen - off < 8)
			return -1;
		if (p[off] == ITEM_LEAF) {
			uint32_t leaf = apsmd_get32(p + off + 4);

			if (leaf >= SHADOW_LEAVES || *nleaf == maxleaf)
				return -1;
			leaves[(*nleaf)++] = leaf;
			off += 8;
			continue;
		}
		if (blen - off < ITEM_FIXED)
			return -1;
		memset(&f, 0, sizeof(f));
		f.op = p[off];
		f.family = p[off + 1];
		f.proto = p[off + 2];
		f.dir = p[off + 3];
		f.npath = p[off + 4];
		f.sport = apsmd_get16(p + off + 8);
		f.dport = apsmd_get16(p + off + 10);
		f.spi = apsmd_get32(p + off + 12);
		f.origin = apsmd_get32(p + off + 16);
		f.version = apsmd_get64(p + off + 20);
		if ((f.op != APSM_RDS_OP_NEW && f.op != APSM_RDS_OP_DEL) ||
		    (f.family != AF_INET && f.family != AF_INET6) ||
		    f.npath > APSM_PATH_MAX)
			return -1;
		al = alen(f.family);
		n = ITEM_FIXED + 2 * al + 4 * (size_t)f.npath;
		if (blen - off < n)
			return -1;
		memcpy(f.src, p + off + ITEM_FIXED, al);
		memcpy(f.dst, p + off + ITEM_FIXED + al, al);
		for (i = 0; i < f.npath; i++)
			f.path[i] = apsmd_get32(p + off + ITEM_FIXED + 2 * al +
						4 * i);
		off += n;
		if (install && wanted(r, &f)) {
			r->st.items_installed++;
			r->ops->install(r->ctx, peer, &f);
		}
	}
	return off == blen ? 0 : -1;
}

static int on_entries(struct apsmd_repair *r, uint32_t peer, uint8_t flags,
		      uint16_t count, const uint8_t *p, size_t blen)
{
	uint32_t leaves[APSMD_DGRAM_MAX / 8];
	unsigned int nleaf, max = sizeof(leaves) / sizeof(leaves[0]), i;
	struct out o;

	if (walk_entries(r, peer, false, count, p, blen, leaves, max, &nleaf))
		return bad(r);
	walk_entries(r, peer, true, count, p, blen, leaves, max, &nleaf);
	if (!(flags & REPAIR_TE_WANT) || !nleaf)
		return 0;
	out_init(&o, r, peer, APSMD_T_TREE_ENTRIES, 0);
	for (i = 0; i < nleaf; i++)
		put_leaf(&o, leaves[i]);
	out_flush(&o);
	return o.err;
}

int apsmd_repair_on_msg(struct apsmd_repair *r, uint32_t peer,
			const struct apsmd_hdr *h, const uint8_t *body,
			size_t blen)
{
	if (h->type == APSMD_T_TREE) {
		if (blen < REPAIR_TREE_PREFIX)
			return bad(r);
		return on_tree(r, peer, body[4], h->count,
			       body + REPAIR_TREE_PREFIX,
			       blen - REPAIR_TREE_PREFIX);
	}
	if (h->type == APSMD_T_TREE_ENTRIES) {
		if (blen < REPAIR_TE_PREFIX)
			return bad(r);
		return on_entries(r, peer, body[4], h->count,
				  body + REPAIR_TE_PREFIX,
				  blen - REPAIR_TE_PREFIX);
	}
	return bad(r);
}
