/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node-wide counters: one per-cpu block of u64 per netns, one slot per
 * APSM_STATS_A_* of the uapi, summed over the CPUs when read.
 *
 * Counting is this_cpu_add(): safe from any context, no atomics, no
 * shared cache lines. A reader on a 64-bit kernel sees each per-cpu word
 * whole; the sum is not a snapshot across counters (nothing needs it to be).
 */
#ifndef _APSM_STATS_H
#define _APSM_STATS_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/apsm.h>

#include "core/netns.h"

struct apsm_stats {
	u64 cnt[__APSM_STATS_A_MAX];
};

struct apsm_stats __percpu *apsm_stats_alloc(void);
void apsm_stats_free(struct apsm_stats __percpu *stats);

/* Sum of counter @id over all CPUs. */
u64 apsm_stats_read(struct apsm_stats __percpu *stats, unsigned int id);

static inline void apsm_stats_count(struct apsm_stats __percpu *stats,
				    unsigned int id, u64 n)
{
	if (stats && id < __APSM_STATS_A_MAX)
		this_cpu_add(stats->cnt[id], n);
}

static inline void apsm_stats_add(struct apsm_net *an, unsigned int id, u64 n)
{
	apsm_stats_count(an->stats, id, n);
}

static inline void apsm_stats_inc(struct apsm_net *an, unsigned int id)
{
	apsm_stats_count(an->stats, id, 1);
}

/* Per-object counters (peers, ports, instances) are per-cpu structs of
 * u64_stats_t that start at offset 0 and run up to the struct's
 * u64_stats_sync, at @syncp_off. apsm_pcpu_sum() adds each counter summed
 * over all CPUs to @sums (@syncp_off / sizeof(u64_stats_t) of them, at
 * most APSM_PCPU_SUM_MAX), every CPU's block read whole under its syncp.
 * APSM_PCPU_SUM(pcpu, type, sums) does the offset arithmetic.
 */
#define APSM_PCPU_SUM_MAX	16

void apsm_pcpu_sum(const void __percpu *pcpu, size_t syncp_off, u64 *sums);

#define APSM_PCPU_SUM(pcpu, type, sums) do {				\
	BUILD_BUG_ON(offsetof(type, syncp) % sizeof(u64_stats_t) ||	\
		     offsetof(type, syncp) / sizeof(u64_stats_t) >	\
		     APSM_PCPU_SUM_MAX);				\
	apsm_pcpu_sum(pcpu, offsetof(type, syncp), sums);		\
} while (0)

int apsm_stats_net_init(struct apsm_net *an);
void apsm_stats_net_exit(struct apsm_net *an);

#endif /* _APSM_STATS_H */
