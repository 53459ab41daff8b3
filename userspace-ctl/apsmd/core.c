// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's shared bottom: log, clocks, counters. See core.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "core.h"

struct apsmd_counters apsmd_ctr;
bool apsmd_dirty;
static uint32_t log_id;

void apsmd_log_id(uint32_t id)
{
	log_id = id;
}

void apsmd_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "apsmd[%u]: ", log_id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
