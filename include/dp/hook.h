/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netdev ingress hook: one netfilter NF_NETDEV_INGRESS hook per
 * attached port (uplink, fabric, and each local instance's nf port),
 * registered in the port's netns on the port's device. It runs after tc
 * ingress and before a bridge/OVS/macvlan rx_handler, so it coexists with
 * them; frames APSM does not steer go on untouched (NF_ACCEPT).
 *
 * Attach when the port is created, detach when it is destroyed (port
 * del, instance del, NETDEV_UNREGISTER through src/notifier.c, netns
 * exit). Both need process context (nf_hook_mutex); the hook ops live in
 * struct apsm_port, which is freed after an RCU grace period, so a CPU
 * still running the hook when it is unregistered finds the port alive.
 */
#ifndef _APSM_HOOK_H
#define _APSM_HOOK_H

struct apsm_port;

/* Priority among the device's netdev ingress hooks: after the usual nft
 * "filter" netdev chains (priority 0), so an operator's ingress filter
 * sees (and may drop) frames before APSM steers them.
 */
#define APSM_HOOK_PRIORITY	100

int apsm_hook_attach(struct apsm_port *port);
void apsm_hook_detach(struct apsm_port *port);

#endif /* _APSM_HOOK_H */
