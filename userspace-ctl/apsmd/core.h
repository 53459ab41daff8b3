/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's shared bottom (core.c): log, clocks, the counters of the
 * stats file with its "dirty" flag, and two pure helpers: a bounded SPSC
 * queue and a token bucket. Every module may include it; it includes no
 * module.
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
	X(tx_bytes) X(tx_dgrams) X(rx_bytes) X(rx_dgrams) X(push_bytes) \
	X(repair_bytes) X(ctrl_bytes) X(rx_queue_drop) X(repair_paced) \
	X(feed_behind) X(feed_changes) X(gaps_detected) \
	X(gap_entries_repaired) X(log_gone) X(tomb_live) X(tomb_blocked) \
	X(tree_sends) X(merkle_rounds) X(merkle_diff_leaves) \
	X(behind_deletes) X(repair_relayed) \
	X(epoch_bumps) X(state_write_fail) X(auth_origin_refused) \
	X(auth_relayed) X(inst_foreign) X(version_ahead) X(version_wrap) \
	X(store_errors) X(store_outages) X(catalog_applied_rev) \
	X(catalog_apply_errors) X(catalog_applies)

struct apsmd_counters {
#define APSMD_X(n) uint64_t n;
	APSMD_COUNTERS(APSMD_X)
#undef APSMD_X
};

extern struct apsmd_counters apsmd_ctr;
extern bool apsmd_dirty;		/* the stats file is out of date */

/* The I/O thread's counters (peer.c): its own copy, so that no counter is
 * written by two threads. It adds with apsmd_io_add() (relaxed atomics);
 * the stats file shows apsmd_ctr + apsmd_io_ctr (apsmd_ctr_get()).
 */
extern struct apsmd_counters apsmd_io_ctr;
#define apsmd_io_add(n, v) \
	__atomic_fetch_add(&apsmd_io_ctr.n, (v), __ATOMIC_RELAXED)
#define apsmd_ctr_get(n) \
	(apsmd_ctr.n + __atomic_load_n(&apsmd_io_ctr.n, __ATOMIC_RELAXED))

/* The node id in log lines (set once the config is read). */
void apsmd_log_id(uint32_t id);
/* From now on apsmd_log() also goes to syslog (journald reads it). */
void apsmd_log_syslog(void);
void apsmd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t apsmd_now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t apsmd_wall_ms(void);		/* CLOCK_REALTIME */
uint64_t apsmd_now_us(void);		/* CLOCK_MONOTONIC */

/*
 * A bounded single-producer single-consumer queue of fixed-size slots
 * (pure; the I/O thread produces, the main loop consumes). n is a power
 * of two. The producer fills the slot apsmd_ring_slot() returns and
 * publishes it with apsmd_ring_push(); it gets NULL when fewer than
 * 1 + keep slots are free (keep: room held back for what must not be
 * dropped). The consumer reads apsmd_ring_head() (NULL: empty) and
 * releases it with apsmd_ring_pop().
 */
struct apsmd_ring {
	uint8_t *slots;
	uint32_t n, size;
	uint32_t head, tail;	/* atomics: consumer's, producer's index */
};

int apsmd_ring_init(struct apsmd_ring *r, uint32_t n, uint32_t size);
void apsmd_ring_fini(struct apsmd_ring *r);
void *apsmd_ring_slot(struct apsmd_ring *r, uint32_t keep);
void apsmd_ring_push(struct apsmd_ring *r);
void *apsmd_ring_head(struct apsmd_ring *r);
void apsmd_ring_pop(struct apsmd_ring *r);
uint32_t apsmd_ring_used(const struct apsmd_ring *r);

/*
 * A token bucket (pure): rate bytes/s (0: unlimited), holding at most
 * burst bytes; time in us. apsmd_tb_take() takes len bytes if they are
 * there; apsmd_tb_wait_us() says how long until len bytes will be.
 */
struct apsmd_tbucket {
	uint64_t rate, burst;
	uint64_t tokens;	/* in 10^-6 bytes */
	uint64_t t_us;
};

void apsmd_tb_init(struct apsmd_tbucket *b, uint64_t rate, uint64_t burst,
		   uint64_t now_us);
bool apsmd_tb_take(struct apsmd_tbucket *b, uint64_t len, uint64_t now_us);
uint64_t apsmd_tb_wait_us(struct apsmd_tbucket *b, uint64_t len,
			  uint64_t now_us);

#endif /* APSMD_CORE_H */
