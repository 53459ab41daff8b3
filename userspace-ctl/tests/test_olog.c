// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's sequenced log (olog.c): a receiver's gap detection and the
 * exact NACK ranges, restarts (new epoch), baselines; the kept log's
 * window (what can still be answered); the write rule (who replicates
 * which change, the delete rule).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "../apsmd/olog.h"
#include "unit.h"

static enum olog_verdict acc(struct olog_rx *r, uint64_t e, uint64_t s,
			     uint64_t *opened)
{
	return olog_rx_accept(r, e, s, opened);
}

static void t_rx(void)
{
	struct olog_rx r;
	struct apsmd_range m[8];
	uint64_t op;
	unsigned int n;

	memset(&r, 0, sizeof(r));
	r.stream = 4;
	olog_rx_reset(&r, 10, 0);
	CHECK(acc(&r, 10, 1, &op) == OLOG_NEW && !op && r.hwm == 1, "in order");
	CHECK(acc(&r, 10, 1, &op) == OLOG_DUP, "duplicate");
	CHECK(acc(&r, 10, 2, &op) == OLOG_NEW && r.hwm == 2 && !olog_rx_gap(&r),
	      "next");
	/* 3, 4 and 7 lost: 5, 6, 8, 9 arrive */
	CHECK(acc(&r, 10, 5, &op) == OLOG_NEW && op == 2 && r.hwm == 2 &&
	      olog_rx_gap(&r), "gap of 2 opened");
	acc(&r, 10, 6, &op);
	CHECK(acc(&r, 10, 8, &op) == OLOG_NEW && op == 1, "gap of 1 opened");
	acc(&r, 10, 9, &op);
	CHECK(acc(&r, 10, 6, &op) == OLOG_DUP, "out-of-order duplicate");
	n = olog_rx_missing(&r, 0, 100, m, 8);
	CHECK(n == 2 && m[0].stream == 4 && m[0].epoch == 10 &&
	      m[0].from == 3 && m[0].to == 4 && m[1].from == 7 && m[1].to == 7,
	      "missing: %u ranges, [%llu..%llu] [%llu..%llu]", n,
	      (unsigned long long)m[0].from, (unsigned long long)m[0].to,
	      (unsigned long long)m[1].from, (unsigned long long)m[1].to);
	/* a vector says the origin is at 12: the tail is missing too */
	n = olog_rx_missing(&r, 12, 100, m, 8);
	CHECK(n == 3 && m[2].from == 10 && m[2].to == 12, "tail range");
	n = olog_rx_missing(&r, 12, 2, m, 8);
	CHECK(n == 1 && m[0].from == 3 && m[0].to == 4, "limit in seqs");
	n = olog_rx_missing(&r, 12, 100, m, 1);
	CHECK(n == 1, "limit in ranges");
	/* the repairs arrive */
	acc(&r, 10, 4, &op);
	CHECK(r.hwm == 2, "hwm waits for 3");
	acc(&r, 10, 3, &op);
	CHECK(r.hwm == 6 && olog_rx_gap(&r), "hwm 6");
	acc(&r, 10, 7, &op);
	CHECK(r.hwm == 9 && !olog_rx_gap(&r) &&
	      !olog_rx_missing(&r, 0, 100, m, 8), "closed");
	/* an old epoch: stale; a new one: the origin restarted */
	CHECK(acc(&r, 9, 100, &op) == OLOG_STALE && r.hwm == 9, "stale epoch");
	CHECK(acc(&r, 11, 2, &op) == OLOG_NEW && r.epoch == 11 && r.hwm == 0 &&
	      op == 1, "restart resets the hwm");
	n = olog_rx_missing(&r, 0, 100, m, 8);
	CHECK(n == 1 && m[0].from == 1 && m[0].to == 1 && m[0].epoch == 11,
	      "the restarted origin's seq 1 is asked for");
	/* far beyond the window: installed, the whole gap asked for */
	CHECK(acc(&r, 11, 2 + OLOG_WINDOW + 10, &op) == OLOG_NEW &&
	      r.max == 2 + OLOG_WINDOW + 10, "beyond the window");
	n = olog_rx_missing(&r, 0, 1000000, m, 8);
	CHECK(n == 2 && m[0].from == 1 && m[0].to == 1 && m[1].from == 3 &&
	      m[1].to == 2 + OLOG_WINDOW + 10, "window and beyond: %u", n);
	/* a baseline (snapshot) or a range given up moves the hwm */
	olog_rx_raise(&r, 11, 2 + OLOG_WINDOW + 10);
	CHECK(r.hwm == 2 + OLOG_WINDOW + 10 && !olog_rx_gap(&r), "raised");
	olog_rx_reset(&r, 12, 0);
	acc(&r, 12, 5, &op);
	acc(&r, 12, 6, &op);
	olog_rx_raise(&r, 12, 4);
	CHECK(r.hwm == 6 && !olog_rx_gap(&r), "raise absorbs what follows");
}

static void flow(struct apsmd_flow *f, uint32_t origin, uint64_t version)
{
	memset(f, 0, sizeof(*f));
	f->op = APSM_RDS_OP_NEW;
	f->family = AF_INET;
	f->proto = 6;
	f->dir = APSM_DIR_FORWARD;
	f->npath = 1;
	f->path[0] = 3;
	f->origin = origin;
	f->version = version;
	inet_pton(AF_INET, "10.0.0.1", f->src);
	inet_pton(AF_INET, "10.0.0.2", f->dst);
}

static void t_log(void)
{
	struct apsmd_flow f;
	const struct apsmd_flow *g;
	uint64_t s;
	uint32_t st;
	unsigned int kept = 0;

	CHECK(!olog_init(1000) && olog_slots() == 1024, "slots rounded up");
	for (s = 1; s <= 3000; s++) {
		flow(&f, 1, s);
		olog_put(1, 7, s, &f);
	}
	for (s = 1; s <= 3000; s++)
		kept += olog_get(1, 7, s) != NULL;
	CHECK(kept == 1024 && !olog_get(1, 7, 1976) && olog_get(1, 7, 1977),
	      "one stream keeps exactly its last 1024: %u", kept);
	g = olog_get(1, 7, 2999);
	CHECK(g && g->version == 2999, "the right entry");
	CHECK(!olog_get(1, 8, 2999) && !olog_get(2, 7, 2999) &&
	      !olog_get(1, 7, 3001) && !olog_get(1, 7, 0), "other keys");
	olog_free();
	CHECK(!olog_get(1, 7, 2999), "freed");

	/* The own stream keeps its last slots whatever else is put: 64
	 * other streams writing 4 x slots each evict none of its entries
	 * (before, the shared table let close offsets overwrite it).
	 */
	CHECK(!olog_init(1024), "init again");
	olog_own(5);
	for (s = 1; s <= 1024; s++)
		olog_put(5, 3, s, &f);
	for (st = 100; st < 164; st++)
		for (s = 1; s <= 4096; s++)
			olog_put(st, 9, s, &f);
	kept = 0;
	for (s = 1; s <= 1024; s++)
		kept += olog_get(5, 3, s) != NULL;
	CHECK(kept == 1024, "own stream: %u of 1024 kept after other streams' puts", kept);
	CHECK(olog_get(163, 9, 4096) != NULL, "another stream's newest kept");
	olog_free();
}

static void t_rule(void)
{
	struct apsmd_flow f, w;

	flow(&f, 1, 100);
	CHECK(olog_write_rule(&f, APSMD_CAUSE_INSERT, 1, &w) && w.version == 100,
	      "own insert");
	CHECK(!olog_write_rule(&f, APSMD_CAUSE_INSTALL, 1, &w) &&
	      !olog_write_rule(&f, APSMD_CAUSE_INSTALL, 2, &w),
	      "installs never re-replicate");
	f.op = APSM_RDS_OP_DEL;
	CHECK(olog_write_rule(&f, APSMD_CAUSE_EXPIRE, 1, &w) &&
	      w.op == APSM_RDS_OP_DEL && w.version == 100, "own expiry");
	CHECK(!olog_write_rule(&f, APSMD_CAUSE_EXPIRE, 2, &w),
	      "a replica's expiry stays local");
	CHECK(!olog_write_rule(&f, APSMD_CAUSE_PEER_DEL, 2, &w),
	      "a peer's delete is not re-sent");
	CHECK(olog_write_rule(&f, APSMD_CAUSE_DELETE, 1, &w) && w.version == 100,
	      "own delete at the entry's version");
	CHECK(olog_write_rule(&f, APSMD_CAUSE_FLUSH, 2, &w) &&
	      w.version == 101 && w.origin == 1 && w.op == APSM_RDS_OP_DEL,
	      "an operator's delete of a foreign entry: version + 1");
	/* LWW: it wins over the entry, a later origin write wins over it */
	CHECK(apsmd_newer(w.version, w.origin, 100, 1), "delete wins");
	CHECK(apsmd_newer(101ULL + (1 << 16), 1, w.version, w.origin),
	      "a later origin update wins again");
}

void test_olog(void)
{
	t_rx();
	t_log();
	t_rule();
}
