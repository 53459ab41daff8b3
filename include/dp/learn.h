/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Learning the return path at chain egress (method 700), as pure
 * functions: no RCU, no tables, no skb. src/datapath.c gathers what it
 * knows (the NSH context of the packet leaving the chain, its parsed inner
 * key, the chain's return configuration, the RDS entry the reversed key
 * already has) and asks these what to do; kunit/learn_test.c checks the
 * decisions table by table. The rules: Documentation/datapath.md, "Chain
 * egress".
 */
#ifndef _APSM_LEARN_H
#define _APSM_LEARN_H

#include <linux/types.h>
#include <linux/apsm.h>

#include "core/flowkey.h"
#include "dp/nsh.h"
#include "flow/rds.h"

/* What the egress knows about the chain of the packet's SPI. */
struct apsm_learn_chain {
	/* the chain exists and has as many services as the path has hops
	 * (else the explicit return list cannot be trusted: stateful
	 * reversal, with stateful[] from the instances' services)
	 */
	bool known;
	bool has_return;		/* an explicit return list */
	u8 n_return;			/* entries in ret[] */
	u8 ret[APSM_PATH_MAX];		/* hop indexes, return order */
	bool stateful[APSM_PATH_MAX];	/* per hop of the path, in order */
};

enum apsm_learn_verdict {
	APSM_LEARN_INSERT = 0,	/* no entry for the reversed key: insert */
	APSM_LEARN_SAME,	/* the same return entry exists: nothing */
	APSM_LEARN_REPLACE,	/* a return entry with another path or SPI
				 * (a NAT reused the tuple, a re-pick): the
				 * newest learning wins, delete and insert
				 */
	APSM_LEARN_KEEP_FORWARD,	/* the reversed key is classified
					 * forward by policy itself: keep it
					 */
};

/* Does a packet leaving the chain with direction @dir, parse result
 * @parse (enum apsm_parse_result) and parser flags @pi_flags teach a
 * return path? Only forward packets whose inner flow key parsed, and not
 * ICMP errors (their key is a quoted flow's, not their own).
 */
bool apsm_learn_wanted(u8 dir, int parse, u8 pi_flags);

/* The return path of the path in @ctx (ctx->n hops): the explicit return
 * list if @ch is known and has one (indexes beyond the path skipped), else
 * the stateful hops in reverse order. Writes @path, returns its length
 * (0: nothing to learn).
 */
u8 apsm_learn_return_path(const struct apsm_nsh_ctx *ctx,
			  const struct apsm_learn_chain *ch, u32 *path);

/* The return entry to learn for a packet that leaves the chain of @ctx
 * with inner key @key (after any rewrite by the NFs): key reversed, same
 * SPI, direction return, path from apsm_learn_return_path(). Returns
 * false (and @f is not to be used) when there is no return path.
 * Origin and version are the RDS's to set.
 */
bool apsm_learn_build(struct apsm_rds_flow *f, const struct apsm_nsh_ctx *ctx,
		      const struct apsm_learn_chain *ch,
		      const struct apsm_flow_key *key);

/* @want (from apsm_learn_build()) against @have, the flow the RDS holds
 * for want->key (NULL: none).
 */
enum apsm_learn_verdict apsm_learn_decide(const struct apsm_rds_flow *want,
					  const struct apsm_rds_flow *have);

#endif /* _APSM_LEARN_H */
