/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel change feed (APSM_CMD_FLOW_CHANGES) for both programs: every
 * RDS change of this node's netns with its seq and cause, read from a
 * cursor. See uapi/linux/apsm.h and Documentation/design.md, "Change
 * feed".
 */
#ifndef APSM_LIB_FEED_H
#define APSM_LIB_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

/* What one read learnt about the feed. */
struct nl_feed_info {
	uint64_t first;		/* oldest seq still kept (first message) */
	uint64_t next;		/* seq of the next change (first message) */
	bool behind;		/* changes from the cursor on were lost */
	/* Where the next read continues: the seq after the last change
	 * delivered; with none, max(cursor, first) (next when the cursor
	 * was beyond it: the kernel's seqs restarted).
	 */
	uint64_t cursor;
};

/* Read the changes from seq cursor on (0: the oldest kept), at most limit
 * of them (0: up to the NEXT of the read's start). cb gets each change's
 * APSM_A_FLOW nest (flow attrs plus APSM_FLOW_A_SEQ, _CAUSE and _OP) in
 * seq order; nonzero from cb stops the read (-1). When info->behind, the
 * changes cursor .. info->first - 1 were overwritten before they could be
 * read (later gaps, when the feed overtook the read itself, show as seq
 * jumps between calls of cb). Returns the number of changes delivered, or
 * -1 with ctl_error() set. info may be NULL.
 */
int nl_feed_read(uint64_t cursor, uint32_t limit, nl_flow_cb cb, void *arg,
		 struct nl_feed_info *info);

/* The seq of a change's nest (APSM_FLOW_A_SEQ), 0 if it has none. */
uint64_t nl_feed_seq(const struct nlattr *flow);

#endif /* APSM_LIB_FEED_H */
