// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's per-origin sequenced log: the kept entries by (stream, epoch,
 * seq) and a receiver's per-stream tracking. See olog.h.
 */
#include <stdlib.h>
#include <string.h>

#include "olog.h"

struct slot {
	uint32_t stream;
	uint64_t epoch, seq;		/* seq 0: empty */
	struct apsmd_flow f;
};

static struct slot *log_tab;	/* every stream but the own one */
static struct slot *own_tab;	/* the own stream: no other evicts it */
static uint32_t log_mask;
static uint32_t own_stream;
static bool own_set;

int olog_init(uint32_t slots)
{
	uint32_t n = 64;

	while (n < slots && n < (1U << 30))
		n <<= 1;
	olog_free();
	/* pages come on use */
	log_tab = calloc(n, sizeof(*log_tab));
	own_tab = calloc(n, sizeof(*own_tab));
	if (!log_tab || !own_tab) {
		olog_free();
		return -1;
	}
	log_mask = n - 1;
	return 0;
}

void olog_own(uint32_t stream)
{
	own_stream = stream;
	own_set = true;
}

void olog_free(void)
{
	free(log_tab);
	free(own_tab);
	log_tab = own_tab = NULL;
	log_mask = 0;
	own_set = false;
}

uint32_t olog_slots(void)
{
	return log_tab ? log_mask + 1 : 0;
}

/* The own stream has a table of its own (only the origin's LOG_GONE
 * makes a receiver fall back to Merkle, so it must keep its last LogSize
 * entries whatever it relays). The other streams share one: a stream's
 * seqs fill consecutive slots from an offset of its own, and streams
 * whose offsets are close evict each other (a relay's LOG_GONE only
 * sends the asker elsewhere).
 */
static struct slot *slot_of(uint32_t stream, uint64_t epoch, uint64_t seq)
{
	uint64_t off = (stream * 0x9e3779b97f4a7c15ULL) ^ (epoch * 0xff51afd7ed558ccdULL);

	if (own_set && stream == own_stream)
		return &own_tab[seq & log_mask];
	return &log_tab[(seq + (off >> 20)) & log_mask];
}

void olog_put(uint32_t stream, uint64_t epoch, uint64_t seq,
	      const struct apsmd_flow *f)
{
	struct slot *s;

	if (!log_tab || !seq)
		return;
	s = slot_of(stream, epoch, seq);
	s->stream = stream;
	s->epoch = epoch;
	s->seq = seq;
	s->f = *f;
}

const struct apsmd_flow *olog_get(uint32_t stream, uint64_t epoch,
				  uint64_t seq)
{
	struct slot *s;

	if (!log_tab || !seq)
		return NULL;
	s = slot_of(stream, epoch, seq);
	if (s->seq != seq || s->stream != stream || s->epoch != epoch)
		return NULL;
	return &s->f;
}

int olog_write_rule(const struct apsmd_flow *f, uint8_t cause,
		    uint32_t self, struct apsmd_flow *out)
{
	bool own = f->origin == self;

	*out = *f;
	switch (cause) {
	case APSMD_CAUSE_INSERT:
		return f->op == APSM_RDS_OP_NEW && own;
	case APSMD_CAUSE_EXPIRE:
		return f->op == APSM_RDS_OP_DEL && own;
	case APSMD_CAUSE_DELETE:
	case APSMD_CAUSE_FLUSH:
		if (f->op != APSM_RDS_OP_DEL)
			return 0;
		if (!own)
			out->version++;
		return 1;
	default:		/* INSTALL, PEER_DEL: a peer wrote it */
		return 0;
	}
}

/* ---- receiver ---- */

static bool bit(const struct olog_rx *r, uint64_t s)
{
	return r->seen[(s % OLOG_WINDOW) / 64] >> (s % 64) & 1;
}

static void bit_set(struct olog_rx *r, uint64_t s, bool on)
{
	uint64_t m = 1ULL << (s % 64);

	if (on)
		r->seen[(s % OLOG_WINDOW) / 64] |= m;
	else
		r->seen[(s % OLOG_WINDOW) / 64] &= ~m;
}

void olog_rx_reset(struct olog_rx *r, uint64_t epoch, uint64_t hwm)
{
	r->epoch = epoch;
	r->hwm = r->max = hwm;
	memset(r->seen, 0, sizeof(r->seen));
	r->nack_ms = 0;
	r->nack_tries = 0;
}

enum olog_verdict olog_rx_accept(struct olog_rx *r, uint64_t epoch,
				 uint64_t s, uint64_t *opened)
{
	*opened = 0;
	if (epoch < r->epoch)
		return OLOG_STALE;
	if (epoch > r->epoch)
		olog_rx_reset(r, epoch, 0);	/* the origin restarted */
	if (s <= r->hwm)
		return OLOG_DUP;
	if (s - r->hwm > OLOG_WINDOW) {
		/* beyond the window: installed, not recorded (the gap
		 * before it is asked for, this one comes again then)
		 */
		if (s > r->max) {
			*opened = s - r->max - 1;
			r->max = s;
		}
		return OLOG_NEW;
	}
	if (bit(r, s))
		return OLOG_DUP;
	if (s > r->max) {
		*opened = s - r->max - 1;
		r->max = s;
	}
	if (s != r->hwm + 1) {
		bit_set(r, s, true);
		return OLOG_NEW;
	}
	r->hwm = s;
	while (r->hwm < r->max && bit(r, r->hwm + 1)) {
		bit_set(r, r->hwm + 1, false);
		r->hwm++;
	}
	if (r->hwm == r->max) {
		r->nack_ms = 0;
		r->nack_tries = 0;
	}
	return OLOG_NEW;
}

void olog_rx_raise(struct olog_rx *r, uint64_t epoch, uint64_t hwm)
{
	if (epoch > r->epoch) {
		olog_rx_reset(r, epoch, hwm);
		return;
	}
	if (epoch < r->epoch || hwm <= r->hwm)
		return;
	if (hwm - r->hwm >= OLOG_WINDOW)
		memset(r->seen, 0, sizeof(r->seen));
	else
		while (r->hwm < hwm)
			bit_set(r, ++r->hwm, false);
	r->hwm = hwm;
	if (r->max < hwm)
		r->max = hwm;
	while (r->hwm < r->max && bit(r, r->hwm + 1)) {
		bit_set(r, r->hwm + 1, false);
		r->hwm++;
	}
	if (r->hwm == r->max) {
		r->nack_ms = 0;
		r->nack_tries = 0;
	}
}

unsigned int olog_rx_missing(const struct olog_rx *r, uint64_t upto,
			     uint64_t limit, struct apsmd_range *out,
			     unsigned int max)
{
	uint64_t s = r->hwm + 1, win_end = r->hwm + OLOG_WINDOW;
	unsigned int n = 0;

	if (upto < r->max)
		upto = r->max;
	while (s <= upto && n < max && limit) {
		uint64_t e;

		if (s <= win_end && bit(r, s)) {
			s++;
			continue;
		}
		/* a run of missing seqs (beyond the window: all of it) */
		e = s;
		while (e < upto && e + 1 - s < limit &&
		       (e + 1 > win_end || !bit(r, e + 1)))
			e++;
		out[n++] = (struct apsmd_range){ r->stream, r->epoch, s, e };
		limit -= e + 1 - s;
		s = e + 1;
	}
	return n;
}
