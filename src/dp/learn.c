// SPDX-License-Identifier: GPL-2.0
/*
 * Return-path learning decisions at chain egress (include/learn.h): pure
 * functions of the packet's NSH context, its inner key, the chain's
 * return configuration and the RDS entry already there.
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include "dp/learn.h"
#include "dp/parse.h"

bool apsm_learn_wanted(u8 dir, int parse, u8 pi_flags)
{
	return dir == APSM_DIR_FORWARD && parse == APSM_PARSE_OK &&
	       !(pi_flags & APSM_PI_ICMP_ERR);
}

u8 apsm_learn_return_path(const struct apsm_nsh_ctx *ctx,
			  const struct apsm_learn_chain *ch, u32 *path)
{
	u8 n = 0, hops = min_t(u8, ctx->n, APSM_PATH_MAX);
	int i;

	if (ch->known && ch->has_return) {
		for (i = 0; i < ch->n_return && i < APSM_PATH_MAX; i++)
			if (ch->ret[i] < hops)
				path[n++] = ctx->path[ch->ret[i]];
		return n;
	}
	for (i = hops - 1; i >= 0; i--)
		if (ch->stateful[i])
			path[n++] = ctx->path[i];
	return n;
}

bool apsm_learn_build(struct apsm_rds_flow *f, const struct apsm_nsh_ctx *ctx,
		      const struct apsm_learn_chain *ch,
		      const struct apsm_flow_key *key)
{
	memset(f, 0, sizeof(*f));
	f->path_n = apsm_learn_return_path(ctx, ch, f->path);
	if (!f->path_n)
		return false;
	apsm_flow_key_reverse(&f->key, key);
	f->spi = ctx->spi;
	f->dir = APSM_DIR_RETURN;
	return true;
}

enum apsm_learn_verdict apsm_learn_decide(const struct apsm_rds_flow *want,
					  const struct apsm_rds_flow *have)
{
	if (!have)
		return APSM_LEARN_INSERT;
	if (have->dir == APSM_DIR_FORWARD)
		return APSM_LEARN_KEEP_FORWARD;
	if (have->dir == APSM_DIR_RETURN && have->spi == want->spi &&
	    have->path_n == want->path_n &&
	    !memcmp(have->path, want->path,
		    want->path_n * sizeof(want->path[0])))
		return APSM_LEARN_SAME;
	return APSM_LEARN_REPLACE;
}
