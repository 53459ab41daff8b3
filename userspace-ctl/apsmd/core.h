/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's shared bottom (core.c): log, clocks, and the counters of the
 * stats file with its "dirty" flag. Every module may include it; it
 * includes no module.
 */
#ifndef APSMD_CORE_H
#define APSMD_CORE_H

#include <stdbool.h>
#include <stdint.h>

#define APSMD_COUNTERS(X) X(sent) X(received) X(batches_sent) \
	X(batches_received) X(auth_fail) X(replay) X(bad_format) \
	X(unknown_sender) X(resyncs) X(enobufs) X(install_fail) X(send_fail) \
	X(foreign_del) \
	X(heartbeats_sent) X(heartbeats_received) X(peer_deaths) \
	X(peer_returns) X(ae_rounds) X(ae_digests_received) X(ae_diff_buckets) \
	X(ae_repair_sent) X(ae_repair_received) X(ae_pulls) \
	X(snapshots_served) X(snapshot_entries) X(relayed) X(dup_suppressed) \
	X(tombstone_hits) X(inv_sent) X(inv_received) X(inv_installed) \
	X(inv_deleted) X(inv_fail) X(inv_pulls) X(peer_state_down) \
	X(peer_state_up) X(instances_down) X(instances_up) X(lag_ms_last) \
	X(lag_ms_max) \
	X(feed_behind) X(feed_changes) X(gaps_detected) \
	X(gap_entries_repaired) X(log_gone) X(tomb_live) X(tomb_blocked)

struct apsmd_counters {
#define APSMD_X(n) uint64_t n;
	APSMD_COUNTERS(APSMD_X)
#undef APSMD_X
};

extern struct apsmd_counters apsmd_ctr;
extern bool apsmd_dirty;		/* the stats file is out of date */

/* The node id in log lines (set once the config is read). */
void apsmd_log_id(uint32_t id);
void apsmd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t apsmd_now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t apsmd_wall_ms(void);		/* CLOCK_REALTIME */

#endif /* APSMD_CORE_H */
