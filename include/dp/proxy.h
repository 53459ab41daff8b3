/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proxy mode (Documentation/proxy.md): legacy (NSH-unaware) NFs get the
 * plain inner frame; the module keeps the packet's NSH context and
 * re-attaches it when the NF sends the frame back, even if the NF
 * rewrote addresses and ports (a NAT). The context of a frame back from
 * the NF is recovered, in order:
 *  1. by its unchanged flow key: the context saved when a frame with that
 *     key was handed to the NF;
 *  2. by a rewritten key learned earlier: "this instance sends K' for
 *     what it was given as K" (and the reverse for the other direction),
 *     then as in 1 with K;
 *  3. by the invariant fingerprint of the packet (include/fprint.h), kept
 *     per instance for packets in flight; a hit learns the rewritten key
 *     of both directions, so the rest of the flow hits by key.
 * Without context, the instance's unrecovered (noctx) policy applies.
 *
 * One module-wide RCU hash table holds two kinds of entries keyed by
 * (netns cookie, instance id, flow key): saved contexts (bounded,
 * APSM_PROXY_MAX, APSM_PROXY_TTL plus the instance's fprint-ttl after the
 * last frame of the key: a context outlives the fingerprints leading to
 * it) and learned rewrites (bounded, APSM_PROXY_MAP_MAX,
 * APSM_PROXY_MAP_TTL after the last hit). Expired entries are reclaimed as inserts sweep the table.
 * Packet path only; no process context needed.
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
#define APSM_PROXY_MAP_MAX	16384
#define APSM_PROXY_MAP_TTL	(60 * HZ)
#define APSM_PROXY_BUCKETS	1024

/* Hand the NSH frame @skb (owned) to the proxy-mode instance @inst on
 * @port as its plain inner frame, to MAC @mac; keep its context (and its
 * fingerprint, unless the flow is known to be recovered by key). Consumes
 * @skb; returns NF_STOLEN.
 */
unsigned int apsm_proxy_to_instance(struct apsm_net *an, struct sk_buff *skb,
				    struct apsm_instance *inst,
				    struct apsm_port *port,
				    const struct apsm_nsh_ctx *ctx,
				    const u8 *mac);

/* A plain frame the proxy-mode instance @inst sent back (the hook's):
 * recover and re-attach its context and continue the walk; without
 * context, follow the instance's unrecovered (noctx) policy. Counted per
 * instance by how (enum apsm_proxy_rec).
 */
unsigned int apsm_proxy_from_instance(struct apsm_net *an, struct sk_buff *skb,
				      struct apsm_instance *inst);

/* Free every context (module exit, after the hooks are gone). */
void apsm_proxy_exit(void);

/* src/datapath.c: classify a plain frame as if it came in on @iif. */
unsigned int apsm_dp_classify_steer(struct apsm_net *an, struct sk_buff *skb,
				    int iif);

#endif /* _APSM_PROXY_H */
