// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's tombstones (tomb.c): blocking by version, TTL, collisions
 * (a hash table, not direct-mapped slots), bounded with FIFO eviction.
 */
#include "../apsmd/tomb.h"
#include "unit.h"

void test_tomb(void)
{
	unsigned int i, held = 0;

	CHECK(!tomb_init(100000, 1000), "init");
	tomb_put(42, 10, 1, 0);
	CHECK(tomb_blocks(42, 10, 1, 5) && tomb_blocks(42, 9, 9, 5) &&
	      tomb_blocks(42, 10, 0, 5), "not newer: blocked");
	CHECK(!tomb_blocks(42, 11, 1, 5) && !tomb_blocks(42, 10, 2, 5),
	      "newer passes");
	CHECK(!tomb_blocks(43, 1, 1, 5), "other key");
	CHECK(!tomb_blocks(42, 10, 1, 1000), "expired at TTL");
	CHECK(tomb_live() == 1, "live 1");
	/* a newer delete raises it */
	tomb_put(42, 20, 1, 500);
	CHECK(tomb_blocks(42, 15, 1, 1200) && tomb_live() == 1,
	      "raised and its TTL restarted");
	tomb_put(42, 5, 1, 600);
	CHECK(!tomb_blocks(42, 21, 1, 700), "an older delete does not lower it");
	tomb_clear(42, 21, 1);
	CHECK(!tomb_blocks(42, 1, 1, 700) && tomb_live() == 0,
	      "a newer write clears it");
	/* 50k deletes, all held (slots that collide in the low bits too) */
	for (i = 0; i < 50000; i++)
		tomb_put((uint64_t)i << 20, 1, 1, 2000);
	for (i = 0; i < 50000; i++)
		held += tomb_blocks((uint64_t)i << 20, 1, 1, 2500);
	CHECK(held == 50000 && tomb_live() == 50000 && !tomb_evicted(),
	      "50k colliding keys held: %u", held);
	tomb_expire(2999);
	CHECK(tomb_live() == 50000, "not before the TTL");
	tomb_expire(3000);
	CHECK(tomb_live() == 0, "all gone at the TTL: %u", tomb_live());
	/* bounded: the oldest go first, counted */
	CHECK(!tomb_init(16, 1000), "small");
	for (i = 0; i < 20; i++)
		tomb_put(1000 + i, 1, 1, 0);
	CHECK(tomb_live() == 16 && tomb_evicted() == 4 &&
	      !tomb_blocks(1000, 1, 1, 1) && tomb_blocks(1019, 1, 1, 1) &&
	      tomb_blocks(1004, 1, 1, 1), "FIFO eviction");
	tomb_free();
	CHECK(!tomb_blocks(1019, 1, 1, 1), "freed");
}
