// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's privileges: see priv.h. libcap-ng does the capset/prctl work.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>

#include "core.h"
#include "priv.h"

int apsmd_priv_drop(void)
{
	int have;

	have = capng_have_capabilities(CAPNG_SELECT_CAPS);
	if (have == CAPNG_FAIL) {
		apsmd_log("capabilities: cannot read them");
		return -1;
	}
	if (have == CAPNG_NONE) {
		apsmd_log("capabilities: none held, nothing to drop");
		return 0;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			 CAPNG_BOUNDING_SET, CAP_NET_ADMIN) ||
	    capng_apply(CAPNG_SELECT_BOTH)) {
		apsmd_log("capabilities: could not drop them");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		apsmd_log("no_new_privs: %s", strerror(errno));
		return -1;
	}
	apsmd_log("capabilities: kept CAP_NET_ADMIN only");
	return 0;
}
