/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The config layer's per-netns state (src/cfg/cfg_net.c): the object
 * tables an->peers, ports, services, instances, chains and the policy
 * table, set up by pernet operations main.c registers after core's.
 */
#ifndef _APSM_CFG_NET_H
#define _APSM_CFG_NET_H

int apsm_cfg_net_init(void);
void apsm_cfg_net_exit(void);

#endif /* _APSM_CFG_NET_H */
