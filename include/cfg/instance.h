/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instances: running NFs, keyed by their cluster-unique id. Every node
 * knows every instance of the cluster (the LB tables span nodes); the
 * ones this node owns are "local" and have a port here (role nf).
 *
 * Readers (the packet path, the RDS) look instances up by id under
 * rcu_read_lock() and read the mutable fields with READ_ONCE() (or the
 * helpers below); writers hold an->conf_lock, and rtnl_lock() before it
 * when they bind a device.
 */
#ifndef _APSM_INSTANCE_H
#define _APSM_INSTANCE_H

#include <linux/atomic.h>
#include <linux/etherdevice.h>
#include <linux/hashtable.h>
#include <linux/if_ether.h>
#include <linux/list.h>
#include <linux/u64_stats_sync.h>
#include <linux/xarray.h>
#include <linux/apsm.h>

struct apsm_fprint_table;
struct apsm_net;
struct apsm_port;
struct apsm_service;
struct apsm_req;
struct net_device;
struct netlink_ext_ack;

#define APSM_INSTANCES_MAX	4096	/* per netns, local and remote */
/* Automatic ids: node id << APSM_INSTANCE_ID_SHIFT | a per-node counter. */
#define APSM_INSTANCE_ID_SHIFT	20

/* Proxy mode: how the context of a frame back from the NF was found
 * (src/proxy.c, Documentation/proxy.md).
 */
enum apsm_proxy_rec {
	APSM_PROXY_REC_KEY,		/* by its unchanged flow key */
	APSM_PROXY_REC_LEARNED,		/* by a rewritten key learned before */
	APSM_PROXY_REC_FPRINT,		/* by its invariant fingerprint */
	APSM_PROXY_REC_NONE,		/* not at all: the unrecovered policy */
	APSM_PROXY_REC_MAX
};

struct apsm_instance_stats {
	u64_stats_t tx_packets;		/* module -> NF */
	u64_stats_t tx_bytes;
	u64_stats_t rx_packets;		/* NF -> module */
	u64_stats_t rx_bytes;
	u64_stats_t drops;		/* frames it could not be given */
	/* proxy mode: how frames back from the NF got their context */
	u64_stats_t proxy[APSM_PROXY_REC_MAX];	/* enum apsm_proxy_rec */
	struct u64_stats_sync syncp;
};

/* instance->lladdr: the MAC in the low 48 bits plus these flags. */
#define APSM_LLADDR_VALID	BIT_ULL(48)
#define APSM_LLADDR_CONFIGURED	BIT_ULL(49)	/* set by the operator */

struct apsm_instance {
	u32 id;				/* the table key; != 0 */
	u32 node;			/* owning node */
	bool local;			/* node == this node's id */
	u8 mode;			/* enum apsm_instance_mode */
	/* READ_ONCE() on the packet path; written under conf_lock: */
	u8 state;			/* enum apsm_instance_state */
	u8 noctx;			/* enum apsm_noctx_policy */
	u32 weight;
	/* local only: its port (role nf), NULL when its device went away */
	struct apsm_port __rcu *port;
	atomic64_t lladdr;		/* see APSM_LLADDR_*; 0: unknown */
	atomic_t flows;			/* RDS entries naming it */
	/* proxy mode, local only (else NULL): packets in flight, fixed */
	struct apsm_fprint_table *fprint;
	u32 fprint_ttl_ms;		/* READ_ONCE; conf_lock writers */
	struct apsm_instance_stats __percpu *stats;
	struct apsm_service *svc;	/* outlives the instance */
	/* conf_lock: */
	struct hlist_node name_node;	/* apsm_instances.names */
	struct list_head svc_node;	/* apsm_service.instances */
	char name[APSM_NAME_MAX];
	struct rcu_head rcu;
};

/* The per-netns table (struct apsm_net::instances). */
struct apsm_instances {
	struct xarray xa;		/* id -> struct apsm_instance */
	DECLARE_HASHTABLE(names, 8);
	u32 count;
	u32 local;			/* of them owned by this node */
	u32 next_id;			/* automatic id cursor */
};

/* What APSM_CMD_INSTANCE_NEW asks for, validated by src/nl_instance.c. */
struct apsm_instance_params {
	const char *name;
	u32 id;				/* 0: pick one */
	u32 node;
	bool local;
	struct apsm_service *svc;
	struct net_device *dev;		/* local only; may be NULL */
	u8 mode, state, noctx;
	u32 weight;
	const u8 *lladdr;		/* NULL: learn it */
	u32 fprint_ttl_ms;		/* proxy: 0 = APSM_FPRINT_TTL_DEFAULT */
};

/* What APSM_CMD_INSTANCE_SET changes; a NULL/0 member changes nothing. */
struct apsm_instance_change {
	u8 state;
	u8 noctx;
	u32 weight;
	u32 fprint_ttl_ms;
	const u8 *lladdr;		/* all-zero: forget, learn again */
	struct net_device *dev;		/* local only: move to this port */
};

/* Proxy fingerprints default TTL (ms), when the request names none. */
#define APSM_FPRINT_TTL_DEFAULT	500

/* What an instance needs from the packet path: the fingerprint table of
 * a local proxy instance (dp/fprint.h), allocated with it and freed after
 * an RCU grace period with it. Registered by the dp layer at module init
 * (dp/dp_net.c); without them a local proxy instance cannot be created
 * (-EOPNOTSUPP).
 */
struct apsm_instance_ops {
	struct apsm_fprint_table *(*fprint_alloc)(gfp_t gfp);
	void (*fprint_free)(struct apsm_fprint_table *t);
};

void apsm_instance_set_ops(const struct apsm_instance_ops *ops);

void apsm_instances_init(struct apsm_net *an);
void apsm_instances_exit(struct apsm_net *an);

/* RCU or conf_lock: the instance with @id, or NULL. */
struct apsm_instance *apsm_instance_find(struct apsm_net *an, u32 id);
/* conf_lock (or RCU): the instance named @name, or NULL. */
struct apsm_instance *apsm_instance_find_name(struct apsm_net *an,
					      const char *name);

/* RCU, lockless: the RDS inserted (@delta > 0) or removed (< 0) entries
 * whose path names instance @id. Unknown ids are ignored.
 */
void apsm_instance_flows_add(struct apsm_net *an, u32 id, int delta);

/* Writers: an->conf_lock held (and rtnl_lock() before it when a device is
 * bound). Each bumps an->generation and sends the events (@req: the
 * request, for NLM_F_ECHO; NULL when the kernel made the change).
 */
struct apsm_instance *apsm_instance_create(struct apsm_net *an,
					   const struct apsm_instance_params *p,
					   struct apsm_req *req);
int apsm_instance_change(struct apsm_net *an, struct apsm_instance *inst,
			 const struct apsm_instance_change *c,
			 struct apsm_req *req);
int apsm_instance_destroy(struct apsm_net *an, struct apsm_instance *inst,
			  struct apsm_req *req);
/* The device of @port (role nf) is being unregistered: its instance goes
 * down and loses the port.
 */
void apsm_instance_port_gone(struct apsm_net *an, struct apsm_port *port);
/* Refuse (-EBUSY, with an extack) a node id change while instances would
 * change owner: local ones exist, or remote ones of node @new_id.
 */
int apsm_instances_check_node_id(struct apsm_net *an, u32 new_id,
				 struct netlink_ext_ack *extack);

/* Packet path helpers. */

/* The NF's MAC, if known. */
static inline bool apsm_instance_lladdr(const struct apsm_instance *inst,
					u8 *mac)
{
	u64 v = atomic64_read(&inst->lladdr);

	if (!(v & APSM_LLADDR_VALID))
		return false;
	u64_to_ether_addr(v, mac);
	return true;
}

/* Learn the NF's MAC from a frame it sent (no-op if configured). */
void apsm_instance_lladdr_learn(struct apsm_instance *inst, const u8 *mac);

/* The per-cpu counters summed up. */
struct apsm_instance_counters {
	u64 tx_packets, tx_bytes, rx_packets, rx_bytes, drops;
	u64 proxy[APSM_PROXY_REC_MAX];
};

void apsm_instance_read_stats(const struct apsm_instance *inst,
			      struct apsm_instance_counters *sum);

static inline void apsm_instance_count_tx(struct apsm_instance *inst,
					  unsigned int len)
{
	struct apsm_instance_stats *s = this_cpu_ptr(inst->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->tx_packets);
	u64_stats_add(&s->tx_bytes, len);
	u64_stats_update_end(&s->syncp);
}

static inline void apsm_instance_count_rx(struct apsm_instance *inst,
					  unsigned int len)
{
	struct apsm_instance_stats *s = this_cpu_ptr(inst->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->rx_packets);
	u64_stats_add(&s->rx_bytes, len);
	u64_stats_update_end(&s->syncp);
}

static inline void apsm_instance_count_proxy(struct apsm_instance *inst,
					     enum apsm_proxy_rec how)
{
	struct apsm_instance_stats *s = this_cpu_ptr(inst->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->proxy[how]);
	u64_stats_update_end(&s->syncp);
}

static inline void apsm_instance_count_drop(struct apsm_instance *inst)
{
	struct apsm_instance_stats *s = this_cpu_ptr(inst->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->drops);
	u64_stats_update_end(&s->syncp);
}

#endif /* _APSM_INSTANCE_H */
