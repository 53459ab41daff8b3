/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's cluster catalogue (catalog.c): services, chains and policies
 * from the store ([Cluster] Store, watched by a thread of its own) or
 * from a local file ([Cluster] Catalog, read at start and on SIGHUP),
 * applied to this node's kernel by the main loop. See
 * Documentation/cluster.md.
 */
#ifndef APSMD_CATALOG_H
#define APSMD_CATALOG_H

#include "conf.h"

/* Load what apsmd created earlier (CatalogState), apply the file or start
 * the store thread. Nothing configured: a no-op. 0 or -1.
 */
int apsmd_catalog_init(const struct apsmd_conf *c);
/* The store thread's wakeup (poll it), -1 without a store. */
int apsmd_catalog_fd(void);
void apsmd_catalog_on_readable(void);
/* SIGHUP: re-read the Catalog file (no-op with a store). */
void apsmd_catalog_reload(void);
void apsmd_catalog_close(void);

#endif /* APSMD_CATALOG_H */
