/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proxy mode: legacy (NSH-unaware) NFs get the plain inner frame; the
 * module keeps the packet's NSH context, keyed by (netns, instance, inner
 * flow key), and re-attaches it when the NF sends the frame back. This
 * recovers the context of NFs that do not rewrite the headers (firewalls,
 * IDS, analytics); header-rewriting legacy NFs (NAT) need the fingerprint
 * recovery of DESIGN.md "Legacy NFs", which is not built yet.
 *
 * One module-wide RCU hash table, bounded (APSM_PROXY_MAX contexts),
 * contexts live APSM_PROXY_TTL; expired ones are reclaimed as inserts
 * sweep the table. Packet path only; no process context needed.
 */
#ifndef _APSM_PROXY_H
#define _APSM_PROXY_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct apsm_instance;
struct apsm_net;
struct apsm_nsh_ctx;
struct apsm_port;

#define APSM_PROXY_MAX		8192
#define APSM_PROXY_TTL		(2 * HZ)
#define APSM_PROXY_BUCKETS	1024

/* Hand the NSH frame @skb (owned) to the proxy-mode instance @inst on
 * @port as its plain inner frame, to MAC @mac; keep its context. Consumes
 * @skb; returns NF_STOLEN.
 */
unsigned int apsm_proxy_to_instance(struct apsm_net *an, struct sk_buff *skb,
				    struct apsm_instance *inst,
				    struct apsm_port *port,
				    const struct apsm_nsh_ctx *ctx,
				    const u8 *mac);

/* A plain frame the proxy-mode instance @inst sent back (the hook's):
 * re-attach its context and continue the walk; without context, follow
 * the instance's noctx policy.
 */
unsigned int apsm_proxy_from_instance(struct apsm_net *an, struct sk_buff *skb,
				      struct apsm_instance *inst);

/* Free every context (module exit, after the hooks are gone). */
void apsm_proxy_exit(void);

/* src/datapath.c: classify a plain frame as if it came in on @iif. */
unsigned int apsm_dp_classify_steer(struct apsm_net *an, struct sk_buff *skb,
				    int iif);

#endif /* _APSM_PROXY_H */
