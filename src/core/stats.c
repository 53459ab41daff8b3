// SPDX-License-Identifier: GPL-2.0
/*
 * Node-wide per-cpu counters (APSM_STATS_A_*).
 */
#include <linux/percpu.h>

#include "core/stats.h"

struct apsm_stats __percpu *apsm_stats_alloc(void)
{
	return alloc_percpu(struct apsm_stats);
}

void apsm_stats_free(struct apsm_stats __percpu *stats)
{
	free_percpu(stats);
}

u64 apsm_stats_read(struct apsm_stats __percpu *stats, unsigned int id)
{
	u64 sum = 0;
	int cpu;

	if (!stats || id >= __APSM_STATS_A_MAX)
		return 0;
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(stats, cpu)->cnt[id]);
	return sum;
}

int apsm_stats_net_init(struct apsm_net *an)
{
	an->stats = apsm_stats_alloc();
	return an->stats ? 0 : -ENOMEM;
}

void apsm_stats_net_exit(struct apsm_net *an)
{
	apsm_stats_free(an->stats);
	an->stats = NULL;
}
