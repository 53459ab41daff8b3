// SPDX-License-Identifier: GPL-2.0
/*
 * Chains: ordered service lists, keyed by SPI and by name. A chain is
 * immutable once published; it pins its services (svc->chain_refs).
 */
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cfg/chain.h"
#include "core/netns.h"
#include "core/event.h"
#include "cfg/service.h"

static u32 apsm_chain_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

void apsm_chains_init(struct apsm_net *an)
{
	xa_init_flags(&an->chains->xa, XA_FLAGS_ALLOC1);
	hash_init(an->chains->names);
	an->chains->count = 0;
	an->chains->next_spi = 1;
}

struct apsm_chain *apsm_chain_find_spi(struct apsm_net *an, u32 spi)
{
	return xa_load(&an->chains->xa, spi);
}

struct apsm_chain *apsm_chain_find_name(struct apsm_net *an,
					const char *name)
{
	struct apsm_chain *chain;

	hash_for_each_possible_rcu(an->chains->names, chain, name_node,
				   apsm_chain_hash(name),
				   lockdep_is_held(&an->conf_lock)) {
		if (!strcmp(chain->name, name))
			return chain;
	}
	return NULL;
}

struct apsm_chain *apsm_chain_create(struct apsm_net *an,
				     const struct apsm_chain_params *p,
				     struct apsm_req *req)
{
	struct apsm_chain *chain;
	int ret;
	u8 i;

	lockdep_assert_held(&an->conf_lock);

	if (an->chains->count >= APSM_CHAINS_MAX)
		return ERR_PTR(-ENOSPC);
	if (WARN_ON_ONCE(!p->n_services || p->n_services > APSM_PATH_MAX ||
			 p->n_return > p->n_services))
		return ERR_PTR(-EINVAL);
	chain = kzalloc(sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return ERR_PTR(-ENOMEM);
	strscpy(chain->name, p->name, sizeof(chain->name));
	chain->n_services = p->n_services;
	memcpy(chain->services, p->services,
	       p->n_services * sizeof(chain->services[0]));
	chain->has_return = p->has_return;
	chain->n_return = p->n_return;
	memcpy(chain->ret, p->ret, p->n_return * sizeof(chain->ret[0]));

	if (p->spi) {
		chain->spi = p->spi;
		ret = xa_insert(&an->chains->xa, p->spi, chain, GFP_KERNEL);
		if (ret == -EBUSY)
			ret = -EEXIST;
	} else {
		/* The next free one after the last allocated, so that a
		 * deleted chain's SPI is not soon reused while packets and
		 * flows may still carry it.
		 */
		ret = xa_alloc_cyclic(&an->chains->xa, &chain->spi, chain,
				      XA_LIMIT(1, APSM_SPI_MAX),
				      &an->chains->next_spi, GFP_KERNEL);
		if (ret == -EBUSY)
			ret = -ENOSPC;
	}
	if (ret < 0) {
		kfree(chain);
		return ERR_PTR(ret);
	}
	hash_add_rcu(an->chains->names, &chain->name_node,
		     apsm_chain_hash(chain->name));
	for (i = 0; i < chain->n_services; i++)
		chain->services[i]->chain_refs++;
	an->chains->count++;
	an->generation++;
	apsm_event(an, APSM_EV_CHAIN_NEW, chain, req);
	return chain;
}

static void apsm_chain_unlink(struct apsm_net *an, struct apsm_chain *chain)
{
	u8 i;

	xa_erase(&an->chains->xa, chain->spi);
	hash_del_rcu(&chain->name_node);
	for (i = 0; i < chain->n_services; i++)
		chain->services[i]->chain_refs--;
	an->chains->count--;
}

void apsm_chain_destroy(struct apsm_net *an, struct apsm_chain *chain,
			struct apsm_req *req)
{
	lockdep_assert_held(&an->conf_lock);

	apsm_chain_unlink(an, chain);
	an->generation++;
	apsm_event(an, APSM_EV_CHAIN_DEL, chain, req);
	kvfree_rcu(chain, rcu);
}

void apsm_chains_exit(struct apsm_net *an)
{
	struct apsm_chain *chain;
	unsigned long spi;

	mutex_lock(&an->conf_lock);
	xa_for_each(&an->chains->xa, spi, chain) {
		apsm_chain_unlink(an, chain);
		kvfree_rcu(chain, rcu);
	}
	xa_destroy(&an->chains->xa);
	mutex_unlock(&an->conf_lock);
}
