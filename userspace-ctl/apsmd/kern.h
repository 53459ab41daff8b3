/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's kernel side (kern.c): node setup and every request to the apsm
 * family, and the socket on the "rds" and "events" groups. It calls no
 * module: what it hears goes up through the kern_ops main installs.
 */
#ifndef APSMD_KERN_H
#define APSMD_KERN_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "wire.h"

/* APSMD_CAUSE_*: why an RDS entry changed, in wire.h. */

/* One kernel RDS change: f.op is APSM_RDS_OP_NEW/DEL, seq the feed's
 * per-netns sequence number (0: unknown, a kernel without the feed).
 */
struct apsmd_change {
	struct apsmd_flow f;
	uint64_t seq;
	uint8_t cause;
};

struct kern_ops {
	/* kernel RDS changes in seq order, no gaps */
	void (*changes)(const struct apsmd_change *c, unsigned int n);
	/* the feed lost these seqs: repair from a snapshot */
	void (*behind)(uint64_t lost_from, uint64_t lost_to);
	void (*inst_event)(const struct apsmd_inst *r);	/* own instance */
	void (*drained)(void);		/* after each read of the socket */
};

/* Replication figures of one peer (APSM_PEER_A_REPL). */
struct kern_repl {
	uint64_t tx_entries, rx_entries, tx_dgrams, rx_dgrams;
	uint64_t auth_fail, replayed, resyncs, lag_ms;
	bool heard;			/* last_rx_ago_ms is known */
	uint64_t last_rx_ago_ms;
};

/* Node id, fabric port and peers of c (kept: c must outlive the module),
 * then the group socket. 0 or -1.
 */
int apsmd_kern_setup(const struct apsmd_conf *c, const struct kern_ops *ops);
int apsmd_kern_fd(void);		/* poll it; then: */
void apsmd_kern_on_readable(void);
int apsmd_kern_peer_add(const struct apsmd_peer *p);
void apsmd_kern_peer_del(uint32_t id);
void apsmd_kern_install(const struct apsmd_flow *f, unsigned int n);
/* Dump the RDS: cb per entry. 0 or -1. */
int apsmd_kern_flows(void (*cb)(const struct apsmd_flow *f, void *arg),
		     void *arg);
/* Dump the instances into out (op = APSMD_INST_OP_SET): their number or -1. */
int apsmd_kern_insts(struct apsmd_inst *out, unsigned int max);
/* Create or update a remote instance; delete one by id. 0 or -1. */
int apsmd_kern_inst_apply(const struct apsmd_inst *r);
int apsmd_kern_inst_del(uint32_t id);
int apsmd_kern_inst_state(uint32_t id, uint8_t state);
/* Peer state (APSM_PEER_A_STATE) and replication figures (REPL): 0, or
 * -1 (e.g. a kernel without APSM_CMD_PEER_SET).
 */
int apsmd_kern_peer_state(uint32_t id, uint8_t state);
int apsmd_kern_peer_repl(uint32_t id, const struct kern_repl *r);
void apsmd_kern_close(void);
/* Read the change feed up to the kernel's NEXT now (the multicast only
 * carries this node's own changes: installs from peers come this way);
 * no-op on a kernel without the feed.
 */
void apsmd_kern_feed_poll(void);

#endif /* APSMD_KERN_H */
