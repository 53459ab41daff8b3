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

void apsm_pcpu_sum(const void __percpu *pcpu, size_t syncp_off, u64 *sums)
{
	unsigned int n = syncp_off / sizeof(u64_stats_t), start, i;
	u64 c[APSM_PCPU_SUM_MAX];
	int cpu;

	if (WARN_ON_ONCE(n > APSM_PCPU_SUM_MAX))
		return;
	for_each_possible_cpu(cpu) {
		const u8 *base = per_cpu_ptr(pcpu, cpu);
		const struct u64_stats_sync *syncp = (const void *)(base + syncp_off);
		const u64_stats_t *cnt = (const void *)base;

		do {
			start = u64_stats_fetch_begin(syncp);
			for (i = 0; i < n; i++)
				c[i] = u64_stats_read(&cnt[i]);
		} while (u64_stats_fetch_retry(syncp, start));
		for (i = 0; i < n; i++)
			sums[i] += c[i];
	}
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
