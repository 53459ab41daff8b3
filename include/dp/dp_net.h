/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path's module and per-netns setup (src/dp/dp_net.c): the
 * hold queue of every netns, the subscription that releases it when the
 * RDS gains an entry, and the ops the config layer calls for port hooks
 * and instance fingerprint tables. Registered after the flow layer.
 */
#ifndef _APSM_DP_NET_H
#define _APSM_DP_NET_H

int apsm_dp_net_init(void);
void apsm_dp_net_exit(void);

#endif /* _APSM_DP_NET_H */
