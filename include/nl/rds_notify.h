/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _APSM_RDS_NOTIFY_H
#define _APSM_RDS_NOTIFY_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "flow/feed.h"

struct net;
struct apsm_stats;

/* Batched multicast of RDS changes to the "rds" group (src/nl/rds_notify.c),
 * sent straight from the netns's change feed (flow/feed.h) with a cursor
 * of its own: an RDS subscriber kicks a work item on every change this
 * node made (causes INSERT, DELETE, FLUSH, EXPIRE; a peer's INSTALL and
 * PEER_DEL came from that peer and are not echoed), and the work copies
 * the feed from its cursor on, packing as many APSM_A_FLOW nests (each
 * with OP, SEQ and CAUSE) per APSM_CMD_RDS_NOTIFY message as fit. With
 * nobody subscribed to "rds" the work only moves its cursor to NEXT:
 * nobody is there to lose anything (a subscriber that joins later resyncs
 * from a dump, or reads the feed). When the feed overtook the cursor
 * (more than the feed's size of changes since the work last ran), or an
 * allocation or a send failed, the changes lost are counted in
 * APSM_STATS_A_RDS_NOTIFY_FAIL and the subscribers get ENOBUFS on their
 * sockets, so they resync (or read the missed seqs by cursor). A
 * subscriber whose own receive buffer overruns gets ENOBUFS from netlink
 * as always.
 */
struct apsm_rds_notify {
	spinlock_t lock;		/* dead, and queueing the work */
	bool dead;			/* netns going away: queue nothing */
	u64 cursor;			/* next seq to look at (the work's) */
	struct work_struct work;
	struct net *net;
	struct apsm_feed *feed;
	struct apsm_stats __percpu *stats;
	struct apsm_feed_change *buf;	/* the work's copy of a batch */
};

/* Netlink's pernet operations: one per netns (an->rds_notify), kicked by
 * an RDS subscriber. Registered after the genl family and unregistered
 * before it, so no work item multicasts on a family that is gone.
 */
int apsm_rds_notify_net_init(void);
void apsm_rds_notify_net_exit(void);

#endif /* _APSM_RDS_NOTIFY_H */
