/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Chains: logical service chains, keyed by SPI (24 bits) and by name. A
 * chain is an ordered list of services (the forward path) and, optionally,
 * an explicit return list; without one, return traffic goes back through
 * the chain's stateful services in reverse order.
 *
 * A chain's service pointers never dangle: a service used by a chain
 * cannot be deleted. Readers look chains up under rcu_read_lock(); a chain
 * never changes once published (there is no CHAIN_SET). Writers hold
 * an->conf_lock.
 */
#ifndef _APSM_CHAIN_H
#define _APSM_CHAIN_H

#include <linux/hashtable.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>
#include <linux/apsm.h>

struct apsm_net;
struct apsm_service;
struct apsm_req;

#define APSM_CHAINS_MAX		1024	/* per netns */

struct apsm_chain {
	u32 spi;			/* the table key, 1..APSM_SPI_MAX */
	u8 n_services;			/* 1..APSM_PATH_MAX */
	bool has_return;		/* an explicit return list was given */
	u8 n_return;			/* 0..n_services */
	struct apsm_service *services[APSM_PATH_MAX];	/* forward order */
	/* explicit return list, in return order, as indexes into services[] */
	u8 ret[APSM_PATH_MAX];
	struct hlist_node name_node;	/* apsm_chains.names */
	char name[APSM_NAME_MAX];
	struct rcu_head rcu;
};

/* The per-netns table (struct apsm_net::chains). */
struct apsm_chains {
	struct xarray xa;		/* SPI -> struct apsm_chain */
	DECLARE_HASHTABLE(names, 6);
	u32 count;
	u32 next_spi;			/* automatic SPI cursor */
};

/* What APSM_CMD_CHAIN_NEW asks for, validated by src/nl_chain.c. */
struct apsm_chain_params {
	const char *name;
	u32 spi;			/* 0: the next free one */
	u8 n_services;
	struct apsm_service *services[APSM_PATH_MAX];
	bool has_return;
	u8 n_return;
	u8 ret[APSM_PATH_MAX];
};

void apsm_chains_init(struct apsm_net *an);
void apsm_chains_exit(struct apsm_net *an);

/* RCU or conf_lock: the chain with @spi / named @name, or NULL. */
struct apsm_chain *apsm_chain_find_spi(struct apsm_net *an, u32 spi);
struct apsm_chain *apsm_chain_find_name(struct apsm_net *an,
					const char *name);

/* Writers: an->conf_lock held; bump an->generation and send the event. */
struct apsm_chain *apsm_chain_create(struct apsm_net *an,
				     const struct apsm_chain_params *p,
				     struct apsm_req *req);
/* The caller checked that no policy rule uses @chain. */
void apsm_chain_destroy(struct apsm_net *an, struct apsm_chain *chain,
			struct apsm_req *req);

#endif /* _APSM_CHAIN_H */
