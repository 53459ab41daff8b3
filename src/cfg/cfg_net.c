// SPDX-License-Identifier: GPL-2.0
/*
 * The config layer's per-netns state: empty object tables and the policy
 * table at netns creation, everything freed at its exit (after the flow,
 * dp and nl layers let go of it: their pernet exits run first).
 */
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "cfg/cfg_net.h"
#include "cfg/chain.h"
#include "cfg/instance.h"
#include "cfg/peer.h"
#include "cfg/policy.h"
#include "cfg/port.h"
#include "cfg/service.h"
#include "core/netns.h"

struct apsm_cfg_tables {
	struct apsm_peers peers;
	struct apsm_ports ports;
	struct apsm_services services;
	struct apsm_instances instances;
	struct apsm_chains chains;
};

static int __net_init apsm_cfg_pernet_init(struct net *net)
{
	struct apsm_net *an = apsm_net(net);
	struct apsm_cfg_tables *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	an->peers = &t->peers;
	an->ports = &t->ports;
	an->services = &t->services;
	an->instances = &t->instances;
	an->chains = &t->chains;
	/* Empty tables, nothing to undo. */
	apsm_peers_init(an);
	apsm_ports_init(an);
	apsm_services_init(an);
	apsm_instances_init(an);
	apsm_chains_init(an);
	apsm_policy_net_init(an);
	return 0;
}

static void __net_exit apsm_cfg_pernet_exit(struct net *net)
{
	struct apsm_net *an = apsm_net(net);

	apsm_policy_net_exit(an);
	/* Most dependent first. The netns's devices are gone by now. */
	apsm_chains_exit(an);
	apsm_instances_exit(an);
	apsm_services_exit(an);
	apsm_ports_exit(an);
	apsm_peers_exit(an);
	/* Readers are gone (no device, no hook) but the objects' RCU
	 * callbacks never touch the tables, so they may go now.
	 */
	kfree(container_of(an->peers, struct apsm_cfg_tables, peers));
	an->peers = NULL;
	an->ports = NULL;
	an->services = NULL;
	an->instances = NULL;
	an->chains = NULL;
}

static struct pernet_operations apsm_cfg_net_ops = {
	.init = apsm_cfg_pernet_init,
	.exit = apsm_cfg_pernet_exit,
};

int apsm_cfg_net_init(void)
{
	return register_pernet_subsys(&apsm_cfg_net_ops);
}

void apsm_cfg_net_exit(void)
{
	unregister_pernet_subsys(&apsm_cfg_net_ops);
}
