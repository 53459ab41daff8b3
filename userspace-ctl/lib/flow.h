/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RDS (flow table) over netlink, for both programs: the attribute
 * kinds of an APSM_A_FLOW nest, the one loop over the flows of a message,
 * and the dump of this node's table built on it.
 */
#ifndef APSM_LIB_FLOW_H
#define APSM_LIB_FLOW_H

#include <linux/apsm.h>

#include "nl.h"

extern const uint8_t nl_flow_kind[APSM_FLOW_A_MAX + 1];

/* Called per APSM_A_FLOW nest; nonzero stops the walk (and is returned). */
typedef int (*nl_flow_cb)(const struct nlattr *flow, void *arg);

/* Every flow nest of one genl message: an RDS notification, a flow event
 * or one message of a flow dump (a message may carry several).
 */
int for_each_flow(const struct nlmsghdr *nlh, nl_flow_cb cb, void *arg);

/* A kernel-side filter of the flow dump; 0 fields match everything. */
struct nl_flow_filter {
	uint32_t origin;
	uint32_t spi;		/* the chain */
	uint32_t instance;	/* an instance id anywhere in the path */
	uint8_t dir;		/* enum apsm_flow_dir */
};

/* Dump this node's RDS (APSM_CMD_FLOW_GET), cb per flow as the messages
 * arrive; flt may be NULL. The dump completes under changes of the table
 * and is never restarted: it returns every entry that existed for its
 * whole duration at least once, and may return an entry twice (dedup if
 * a set is needed). 0, or -1 with ctl_error() set (a dump error, or cb
 * returned nonzero).
 */
int nl_flow_dump_filter(const struct nl_flow_filter *flt, nl_flow_cb cb,
			void *arg);
int nl_flow_dump(nl_flow_cb cb, void *arg);

#endif /* APSM_LIB_FLOW_H */
