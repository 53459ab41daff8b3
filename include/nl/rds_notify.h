/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _APSM_RDS_NOTIFY_H
#define _APSM_RDS_NOTIFY_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "flow/rds.h"

struct net;
struct apsm_stats;

/* Batched multicast of RDS changes to the "rds" group (src/nl/rds_notify.c).
 * Recording copies the flow into a bounded ring under a spinlock (any
 * context) and kicks a work item, which packs as many APSM_A_FLOW nests
 * per APSM_CMD_RDS_NOTIFY message as fit and sends a message when it is
 * full or the ring is drained. With nobody subscribed to "rds", nothing
 * is recorded and nothing is counted: there is no one to lose anything (a
 * subscriber that joins later resyncs from a dump). A full ring, a failed
 * allocation, or a failed send counts every flow it lost in
 * APSM_STATS_A_RDS_NOTIFY_FAIL, and the subscribers get ENOBUFS on their
 * sockets, so they resync. A subscriber whose own receive buffer overruns
 * gets ENOBUFS from netlink as always; the kernel cannot count those
 * (unless the socket set NETLINK_BROADCAST_ERROR, then they count too).
 */
#define APSM_RDS_NOTIFY_QLEN	4096

struct apsm_rds_note {
	struct apsm_rds_flow f;
	u8 op;				/* enum apsm_rds_op */
};

struct apsm_rds_notify {
	spinlock_t lock;
	bool dead;			/* netns going away: record nothing */
	bool overflow;			/* lost some: tell the subscribers */
	u32 head, len;			/* ring of APSM_RDS_NOTIFY_QLEN */
	struct apsm_rds_note *ring;
	struct work_struct work;
	struct net *net;
	struct apsm_stats __percpu *stats;
};

/* Netlink's pernet operations: one ring per netns (an->rds_notify),
 * filled by an RDS subscriber. Registered after the genl family and
 * unregistered before it, so no work item multicasts on a family that is
 * gone.
 */
int apsm_rds_notify_net_init(void);
void apsm_rds_notify_net_exit(void);

#endif /* _APSM_RDS_NOTIFY_H */
