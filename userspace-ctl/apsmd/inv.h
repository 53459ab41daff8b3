/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's instance inventory (inv.c). Below sync and memb; uses kern and
 * peer.
 */
#ifndef APSMD_INV_H
#define APSMD_INV_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "peer.h"
#include "wire.h"

void apsmd_inv_init(const struct apsmd_conf *c);
void apsmd_inv_on_event(const struct apsmd_inst *r);	/* local change */
void apsmd_inv_on_msg(struct apsmd_pstate *p, const struct apsmd_hdr *h,
		      const uint8_t *body, size_t blen);
void apsmd_inv_send_full(uint32_t peer);	/* our own instances */
void apsmd_inv_own_hash(uint64_t *hash, uint32_t *count);
void apsmd_inv_check(struct apsmd_pstate *p);	/* after a heartbeat */
/* Mark a node's remote instances down (dead) or back to their state. */
void apsmd_inv_node_down(uint32_t node);
void apsmd_inv_node_up(uint32_t node);

#endif /* APSMD_INV_H */
