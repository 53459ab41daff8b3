/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's RDS replication (sync.c), and this node's readiness (it holds
 * a full RDS). Uses kern, peer and inv; tells main through sync_ops.
 */
#ifndef APSMD_SYNC_H
#define APSMD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "kern.h"
#include "peer.h"
#include "wire.h"

struct sync_ops {
	void (*ready)(void);	/* this node just became ready */
};

void apsmd_sync_init(const struct apsmd_conf *c, uint64_t start_ms,
		     const struct sync_ops *ops);
bool apsmd_sync_ready(void);
void apsmd_sync_set_ready(const char *why);
/* The replication rule for one kernel change (cause APSMD_CAUSE_*). */
void apsmd_sync_local(const struct apsmd_flow *f, uint8_t cause);
void apsmd_sync_changes(const struct apsmd_change *c, unsigned int n);
void apsmd_sync_behind(uint64_t from, uint64_t to);
void apsmd_sync_flush(void);
/* ms until the pending LOG push is due (PushLinger), 0: now, -1: none */
int apsmd_sync_push_wait(uint64_t now);
void apsmd_sync_resync(void);		/* write own entries again (start) */
void apsmd_sync_on_log(struct apsmd_pstate *p, const struct apsmd_hdr *h,
		       const uint8_t *body, size_t blen);
void apsmd_sync_on_vector(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			  const uint8_t *body, size_t blen);
void apsmd_sync_on_nack(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen);
void apsmd_sync_on_log_gone(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			    const uint8_t *body, size_t blen);
void apsmd_sync_on_pull(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen);
/* TREE / TREE_ENTRIES: the Merkle repair exchange (repair.c) */
void apsmd_sync_on_tree(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			const uint8_t *body, size_t blen);
void apsmd_sync_ae_round(void);		/* a vector to a random peer */
void apsmd_sync_tick(uint64_t now);	/* gap NACK retries, tombstones */
void apsmd_sync_snapshot_ask(void);

#endif /* APSMD_SYNC_H */
