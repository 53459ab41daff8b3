/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal host unit-test harness for apsmctl: CHECK() counts and reports,
 * each test file registers its suites in unit_main.c.
 */
#ifndef APSMCTL_UNIT_H
#define APSMCTL_UNIT_H

#include <stdio.h>
#include <string.h>

extern unsigned int unit_passed, unit_failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			unit_passed++;					\
		} else {						\
			unit_failed++;					\
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		CHECK(g_ && !strcmp(g_, w_), "got \"%s\", want \"%s\"",	\
		      g_ ? g_ : "(null)", w_);				\
	} while (0)

void test_args(void);
void test_json(void);
void test_apsmd_wire(void);
void test_apsmd_wire_log(void);
void test_nlerr(void);
void test_flow(void);
void test_apsmd_io(void);
void test_shadow(void);
void test_repair(void);
void test_conf(void);
void test_relay(void);
void test_olog(void);
void test_tomb(void);
void test_session(void);
void test_store(void);

#endif /* APSMCTL_UNIT_H */
