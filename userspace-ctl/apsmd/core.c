// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's shared bottom: log, clocks, counters, SPSC queue, token bucket.
 * See core.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "core.h"

struct apsmd_counters apsmd_ctr;
struct apsmd_counters apsmd_io_ctr;
bool apsmd_dirty;
static uint32_t log_id;

static bool log_syslog;

void apsmd_log_id(uint32_t id)
{
	log_id = id;
}

void apsmd_log_syslog(void)
{
	/* LOG_NDELAY: connect to /dev/log now, before privileges go */
	openlog("apsmd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = true;
}

void apsmd_log(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);	/* one line, whichever thread logs */
	fprintf(stderr, "apsmd[%u]: ", log_id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	if (log_syslog) {
		char line[512];

		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		syslog(LOG_INFO, "node %u: %s", log_id, line);
	}
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t apsmd_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t apsmd_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

uint64_t apsmd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------ SPSC queue */

int apsmd_ring_init(struct apsmd_ring *r, uint32_t n, uint32_t size)
{
	memset(r, 0, sizeof(*r));
	if (!n || (n & (n - 1)) || !size)
		return -1;
	r->slots = calloc(n, size);
	if (!r->slots)
		return -1;
	r->n = n;
	r->size = size;
	return 0;
}

void apsmd_ring_fini(struct apsmd_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

uint32_t apsmd_ring_used(const struct apsmd_ring *r)
{
	return __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
}

/* producer */
void *apsmd_ring_slot(struct apsmd_ring *r, uint32_t keep)
{
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t free_slots = r->n - (tail - head);

	if (free_slots < 1 + (uint64_t)keep)
		return NULL;
	return r->slots + (size_t)(tail & (r->n - 1)) * r->size;
}

void apsmd_ring_push(struct apsmd_ring *r)
{
	__atomic_store_n(&r->tail, __atomic_load_n(&r->tail, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

/* consumer */
void *apsmd_ring_head(struct apsmd_ring *r)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);

	if (head == __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE))
		return NULL;
	return r->slots + (size_t)(head & (r->n - 1)) * r->size;
}

void apsmd_ring_pop(struct apsmd_ring *r)
{
	__atomic_store_n(&r->head, __atomic_load_n(&r->head, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ token bucket */

/* tokens are kept in byte x 10^-6 units, so that no fraction is lost */
#define TB_UNIT	1000000ULL

void apsmd_tb_init(struct apsmd_tbucket *b, uint64_t rate, uint64_t burst,
		   uint64_t now_us)
{
	b->rate = rate;
	b->burst = burst;
	b->tokens = burst * TB_UNIT;
	b->t_us = now_us;
}

static void tb_refill(struct apsmd_tbucket *b, uint64_t now_us)
{
	uint64_t dt, max = b->burst * TB_UNIT;

	if (now_us <= b->t_us)
		return;
	dt = now_us - b->t_us;
	if (dt > 60 * TB_UNIT)
		dt = 60 * TB_UNIT;	/* full anyway; no overflow */
	b->tokens = dt * b->rate >= max - b->tokens ? max :
		    b->tokens + dt * b->rate;
	b->t_us = now_us;
}

bool apsmd_tb_take(struct apsmd_tbucket *b, uint64_t len, uint64_t now_us)
{
	uint64_t need = (len > b->burst ? b->burst : len) * TB_UNIT;

	if (!b->rate)
		return true;
	tb_refill(b, now_us);
	/* more than burst: allowed once the bucket is full */
	if (b->tokens < need)
		return false;
	b->tokens -= len * TB_UNIT > b->tokens ? b->tokens : len * TB_UNIT;
	return true;
}

uint64_t apsmd_tb_wait_us(struct apsmd_tbucket *b, uint64_t len,
			  uint64_t now_us)
{
	uint64_t need = (len > b->burst ? b->burst : len) * TB_UNIT;

	if (!b->rate)
		return 0;
	tb_refill(b, now_us);
	if (b->tokens >= need)
		return 0;
	return (need - b->tokens + b->rate - 1) / b->rate;
}
