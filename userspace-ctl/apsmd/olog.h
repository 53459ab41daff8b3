/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's per-origin sequenced log (olog.c), pure (no I/O, includes only
 * wire/core): the bounded log of the entries this node wrote and
 * received, by (stream, epoch, seq), to answer NACKs; and a receiver's
 * view of one stream: epoch, contiguous high-water mark, a bounded
 * out-of-order window, the missing ranges.
 */
#ifndef APSMD_OLOG_H
#define APSMD_OLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

/* ---- the kept log: slots (power of two), a slot per (stream, epoch,
 * seq) picked so that one stream's consecutive seqs never collide; other
 * streams may evict (then the range is "gone" and the asker falls back).
 */
int olog_init(uint32_t slots);		/* rounded up to a power of two */
/* This node's own stream: kept in a table of its own, never evicted by
 * the streams it receives or relays (call after olog_init).
 */
void olog_own(uint32_t stream);
void olog_free(void);
uint32_t olog_slots(void);
void olog_put(uint32_t stream, uint64_t epoch, uint64_t seq,
	      const struct apsmd_flow *f);
/* The kept entry, or NULL. */
const struct apsmd_flow *olog_get(uint32_t stream, uint64_t epoch,
				  uint64_t seq);

/* ---- the write rule: what this node writes into its stream for one
 * kernel change (cause APSMD_CAUSE_*), into *out. Own-origin inserts
 * and their deletes/expiry; an operator's delete/flush of any entry, a
 * foreign one at version + 1 (a delete is a write: it wins over the
 * entry, a later origin update has a newer HLC and wins again). Not: a
 * replica's idle expiry (local), installs from peers. 1 written, 0 not.
 */
int olog_write_rule(const struct apsmd_flow *f, uint8_t cause,
		    uint32_t self, struct apsmd_flow *out);

/* ---- a receiver's view of one stream ---- */
#define OLOG_WINDOW	4096		/* out-of-order seqs tracked */

struct olog_rx {
	uint32_t stream;
	uint64_t epoch;
	uint64_t hwm;			/* every seq <= hwm arrived */
	uint64_t max;			/* highest seq seen (>= hwm) */
	uint64_t seen[OLOG_WINDOW / 64];/* bit s % WINDOW: s in (hwm, max] seen */
	/* for sync.c: gap repair state */
	uint32_t from;			/* node the stream's data came from */
	uint64_t nack_ms;		/* last NACK sent, 0: none pending */
	unsigned int nack_tries;
};

enum olog_verdict {
	OLOG_NEW,		/* not seen before: install */
	OLOG_DUP,		/* seen (or at/below the hwm) */
	OLOG_STALE,		/* older epoch than the stream's */
};

/* Start (or restart: a new epoch of the origin) at hwm. */
void olog_rx_reset(struct olog_rx *r, uint64_t epoch, uint64_t hwm);
/* Everything up to hwm of epoch is known to be here (a snapshot's
 * baseline, a range given up as gone): move the hwm there.
 */
void olog_rx_raise(struct olog_rx *r, uint64_t epoch, uint64_t hwm);
/* Seq s of epoch arrived. *opened: how many seqs it showed missing. */
enum olog_verdict olog_rx_accept(struct olog_rx *r, uint64_t epoch,
				 uint64_t s, uint64_t *opened);
static inline bool olog_rx_gap(const struct olog_rx *r)
{
	return r->max > r->hwm;
}
/* The missing ranges in (hwm, upto], at most max of them, at most
 * limit seqs in all (clipped); returns their number.
 */
unsigned int olog_rx_missing(const struct olog_rx *r, uint64_t upto,
			     uint64_t limit, struct apsmd_range *out,
			     unsigned int max);

#endif /* APSMD_OLOG_H */
