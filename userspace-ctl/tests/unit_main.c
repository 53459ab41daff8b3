// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for apsmctl's argument parser and JSON writer; no kernel
 * needed. `make -C userspace-ctl test` prints "N passed, N failed".
 */
#include "unit.h"

unsigned int unit_passed, unit_failed;

int main(void)
{
	test_args();
	test_json();
	test_apsmd_wire();
	test_apsmd_wire_log();
	test_nlerr();
	test_flow();
	test_apsmd_io();
	test_shadow();
	test_repair();
	test_relay();
	test_olog();
	test_tomb();
	test_conf();
	test_session();
	test_store();
	printf("%u passed, %u failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
