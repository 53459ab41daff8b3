// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd-sim has no kernel catalogue to apply (no netlink): catalog.c is
 * left out of it and these stand in (a [Cluster] section is refused).
 */
#include "../catalog.h"
#include "../core.h"

int apsmd_catalog_init(const struct apsmd_conf *c)
{
	if (c->store_url[0] || c->catalog_file[0]) {
		apsmd_log("apsmd-sim: [Cluster] Store/Catalog is not simulated");
		return -1;
	}
	return 0;
}

int apsmd_catalog_fd(void)
{
	return -1;
}

void apsmd_catalog_on_readable(void)
{
}

void apsmd_catalog_reload(void)
{
}

void apsmd_catalog_close(void)
{
}
