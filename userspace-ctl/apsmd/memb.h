/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's membership (memb.c), the main loop's side: what the I/O thread
 * decides about peers (peer.c: heartbeats, alive, dead) applied to the
 * kernel, heartbeat contents in both directions. The top module below
 * main: uses kern, peer, inv and sync.
 */
#ifndef APSMD_MEMB_H
#define APSMD_MEMB_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "peer.h"
#include "wire.h"

void apsmd_memb_init(const struct apsmd_conf *c);
/* peer_ops.event: a peer state change the I/O thread decided */
void apsmd_memb_on_event(struct apsmd_pstate *p, enum apsmd_peer_ev ev,
			 uint64_t arg);
void apsmd_memb_on_heartbeat(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			     const uint8_t *body, size_t blen);
/* What our heartbeats carry (inventory hash, READY) to the I/O thread. */
void apsmd_memb_publish(void);
/* Every HeartbeatInterval: publish, per-peer figures into the kernel. */
void apsmd_memb_tick(void);
void apsmd_memb_reload(void);

#endif /* APSMD_MEMB_H */
