/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd-sim's internals: the in-memory flow table (sim_tab.c) that stands
 * in for the kernel RDS. kern_sim.c implements ../kern.h on top of it.
 */
#ifndef APSMD_SIM_H
#define APSMD_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "../wire.h"

/* Per origin: entries held and the sum of their hashes. */
struct sim_origin {
	uint32_t origin;
	uint64_t count, digest;
};

/* Stable hash of a whole entry (key, dir, spi, path, origin, version):
 * the table digest is the sum of it over the entries, so two tables with
 * the same entries have the same digest whatever the order.
 */
uint64_t sim_entry_hash(const struct apsmd_flow *f);

void sim_tab_init(void);
/* The entry with f's key (family, proto, addresses, ports) or NULL. */
const struct apsmd_flow *sim_tab_get(const struct apsmd_flow *f);
/* Insert or replace the entry with f's key (op ignored). */
void sim_tab_put(const struct apsmd_flow *f);
/* Remove the entry with f's key; its last content into *old. true if
 * there was one.
 */
bool sim_tab_del(const struct apsmd_flow *f, struct apsmd_flow *old);
uint64_t sim_tab_count(void);
uint64_t sim_tab_digest(void);
/* Per-origin figures, in ascending origin order; their number. */
unsigned int sim_tab_origins(const struct sim_origin **o);
/* Call cb for every entry (the table must not change meanwhile). */
void sim_tab_each(void (*cb)(const struct apsmd_flow *f, void *arg),
		  void *arg);

#endif /* APSMD_SIM_H */
