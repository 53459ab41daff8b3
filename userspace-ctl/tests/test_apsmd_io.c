// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's pure I/O helpers (apsmd/core.c): the bounded SPSC queue between
 * the I/O thread and the main loop, and the token bucket that paces
 * REPAIR datagrams.
 */
#include <pthread.h>
#include <stdint.h>

#include "../apsmd/core.h"
#include "unit.h"

static void test_ring_basic(void)
{
	struct apsmd_ring r;
	uint32_t *p;
	unsigned int i;

	CHECK(apsmd_ring_init(&r, 6, 4) == -1, "n not a power of two refused");
	CHECK(apsmd_ring_init(&r, 8, 0) == -1, "size 0 refused");
	CHECK(!apsmd_ring_init(&r, 8, sizeof(uint32_t)), "init");
	CHECK(!apsmd_ring_head(&r), "empty at start");
	for (i = 0; i < 8; i++) {
		p = apsmd_ring_slot(&r, 0);
		CHECK(p != NULL, "slot %u", i);
		if (!p)
			break;
		*p = i;
		apsmd_ring_push(&r);
	}
	CHECK(apsmd_ring_used(&r) == 8, "8 used: %u", apsmd_ring_used(&r));
	CHECK(!apsmd_ring_slot(&r, 0), "full: no slot");
	for (i = 0; i < 8; i++) {
		p = apsmd_ring_head(&r);
		CHECK(p && *p == i, "FIFO order at %u", i);
		apsmd_ring_pop(&r);
	}
	CHECK(!apsmd_ring_head(&r), "empty again");
	/* keep: room held back for what must not be dropped */
	for (i = 0; i < 6; i++) {
		p = apsmd_ring_slot(&r, 2);
		CHECK(p != NULL, "slot %u with 2 kept", i);
		apsmd_ring_push(&r);
	}
	CHECK(!apsmd_ring_slot(&r, 2), "only 2 free: none for keep 2");
	CHECK(apsmd_ring_slot(&r, 1) != NULL, "keep 1: one more");
	apsmd_ring_push(&r);
	CHECK(apsmd_ring_slot(&r, 0) != NULL, "keep 0: the last one");
	apsmd_ring_push(&r);
	CHECK(!apsmd_ring_slot(&r, 0), "full");
	apsmd_ring_fini(&r);
}

/* one producer thread, the consumer here: every item once, in order,
 * across many wrap-arounds of the index
 */
#define RING_ITEMS 200000

static void *producer(void *arg)
{
	struct apsmd_ring *r = arg;
	uint64_t i = 0, *p;

	while (i < RING_ITEMS) {
		p = apsmd_ring_slot(r, 0);
		if (!p)
			continue;
		*p = i++;
		apsmd_ring_push(r);
	}
	return NULL;
}

static void test_ring_threads(void)
{
	struct apsmd_ring r;
	pthread_t t;
	uint64_t want = 0, *p;
	unsigned int bad = 0;

	CHECK(!apsmd_ring_init(&r, 64, sizeof(uint64_t)), "init");
	CHECK(!pthread_create(&t, NULL, producer, &r), "producer");
	while (want < RING_ITEMS) {
		p = apsmd_ring_head(&r);
		if (!p)
			continue;
		bad += *p != want;
		want++;
		apsmd_ring_pop(&r);
	}
	pthread_join(t, NULL);
	CHECK(bad == 0, "%u items out of order or torn", bad);
	CHECK(!apsmd_ring_head(&r), "nothing extra");
	apsmd_ring_fini(&r);
}

static void test_tbucket(void)
{
	struct apsmd_tbucket b;
	uint64_t t = 1000000, sent = 0, us;
	unsigned int i;

	/* 1 MB/s, burst 10 kB */
	apsmd_tb_init(&b, 1000000, 10000, t);
	for (i = 0; i < 10; i++)
		CHECK(apsmd_tb_take(&b, 1000, t), "burst: take %u", i);
	CHECK(!apsmd_tb_take(&b, 1000, t), "burst spent");
	us = apsmd_tb_wait_us(&b, 1000, t);
	CHECK(us == 1000, "1000 B at 1 MB/s: 1000 us, got %llu",
	      (unsigned long long)us);
	CHECK(!apsmd_tb_take(&b, 1000, t + 999), "not before");
	CHECK(apsmd_tb_take(&b, 1000, t + 1000), "then yes");
	/* refill is capped at burst */
	CHECK(apsmd_tb_wait_us(&b, 1000, t + 10000000) == 0, "refilled");
	for (i = 0; i < 10; i++)
		CHECK(apsmd_tb_take(&b, 1000, t + 10000000), "capped burst %u", i);
	CHECK(!apsmd_tb_take(&b, 1000, t + 10000000), "no more than burst");

	/* the rate holds over time, small steps lose no fractions:
	 * 1 s in steps of 3 us (0.9 byte each), 1400-byte datagrams at
	 * 300 kB/s
	 */
	apsmd_tb_init(&b, 300000, 2800, 0);
	for (t = 0; t <= 1000000; t += 3)
		while (apsmd_tb_take(&b, 1400, t))
			sent += 1400;
	CHECK(sent >= 300000 - 1400 && sent <= 300000 + 2800 + 1400,
	      "1 s at 300 kB/s (+burst) sent %llu bytes",
	      (unsigned long long)sent);

	/* more than burst: only with a full bucket; rate 0: unlimited */
	apsmd_tb_init(&b, 1000000, 1000, 0);
	CHECK(apsmd_tb_take(&b, 1400, 0), "full bucket lets a big one pass");
	CHECK(!apsmd_tb_take(&b, 1400, 500), "not again before refilled");
	CHECK(apsmd_tb_wait_us(&b, 1400, 500) == 500, "waits for a full bucket");
	apsmd_tb_init(&b, 0, 0, 0);
	CHECK(apsmd_tb_take(&b, 1 << 30, 0) && !apsmd_tb_wait_us(&b, 1 << 30, 0),
	      "rate 0: unpaced");
}

void test_apsmd_io(void)
{
	test_ring_basic();
	test_ring_threads();
	test_tbucket();
}
