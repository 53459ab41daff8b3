/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's membership (memb.c): heartbeats, dead peers. The top module
 * below main: uses kern, peer, inv and sync.
 */
#ifndef APSMD_MEMB_H
#define APSMD_MEMB_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "peer.h"
#include "wire.h"

void apsmd_memb_init(const struct apsmd_conf *c);
void apsmd_memb_heard(struct apsmd_pstate *p);	/* any valid datagram */
void apsmd_memb_on_heartbeat(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			     const uint8_t *body, size_t blen);
void apsmd_memb_tick(void);		/* send heartbeats, check timeouts */
void apsmd_memb_reload(void);

#endif /* APSMD_MEMB_H */
