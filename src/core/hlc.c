// SPDX-License-Identifier: GPL-2.0
/*
 * Hybrid logical clock (see include/hlc.h). Lock-free: the last version
 * handed out or observed is one atomic64, advanced with cmpxchg.
 */
#include <linux/ktime.h>
#include <linux/math64.h>

#include "core/hlc.h"

static u64 apsm_hlc_physical(void)
{
	return div_u64(ktime_get_real_ns(), NSEC_PER_MSEC)
		<< APSM_HLC_LOGICAL_BITS;
}

u64 apsm_hlc_now(struct apsm_hlc *c)
{
	u64 pt = apsm_hlc_physical();
	s64 last = atomic64_read(&c->last);
	u64 next;

	do {
		/* Wall clock ahead: take it (logical part 0); otherwise
		 * step the logical part (it carries into the ms part if it
		 * must, which keeps the order).
		 */
		next = max_t(u64, pt, (u64)last + 1);
	} while (!atomic64_try_cmpxchg(&c->last, &last, next));
	return next;
}

void apsm_hlc_observe(struct apsm_hlc *c, u64 remote)
{
	s64 last = atomic64_read(&c->last);

	do {
		if ((u64)last >= remote)
			return;
	} while (!atomic64_try_cmpxchg(&c->last, &last, remote));
}
