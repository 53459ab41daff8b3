// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace APSM state and its defaults. Every netns is one
 * APSM node; tables never cross namespaces.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <net/netns/generic.h>

#include "dp/holdq.h"
#include "core/netns.h"
#include "cfg/policy.h"
#include "flow/rds.h"
#include "core/stats.h"

static unsigned int rds_max = 1U << 20;
module_param(rds_max, uint, 0444);
MODULE_PARM_DESC(rds_max, "Default max RDS entries per netns (1M)");

static unsigned int policy_max = 4096;
module_param(policy_max, uint, 0444);
MODULE_PARM_DESC(policy_max, "Default max flow policy rules per netns (4096)");

static unsigned int apsm_net_id __read_mostly;

struct apsm_net *apsm_net(const struct net *net)
{
	return net_generic(net, apsm_net_id);
}

static int __net_init apsm_net_init(struct net *net)
{
	struct apsm_net *an = apsm_net(net);
	int ret;

	an->net = net;
	mutex_init(&an->conf_lock);
	an->rds_max = rds_max;
	an->policy_max = policy_max;
	/* Defaults in the spirit of conntrack's: established TCP is long
	 * lived, UDP and the rest are short.
	 */
	an->timeout_tcp_ms = 3600 * 1000;
	an->timeout_udp_ms = 120 * 1000;
	an->timeout_other_ms = 30 * 1000;
	get_random_bytes(&an->fprint_key, sizeof(an->fprint_key));
	apsm_holdq_defaults(an);
	an->peerdown = APSM_PEERDOWN_DROP;

	/* Configuration objects: empty tables, nothing to undo. */
	apsm_peers_init(an);
	apsm_ports_init(an);
	apsm_services_init(an);
	apsm_instances_init(an);
	apsm_chains_init(an);

	/* Stats first: every table counts into them. */
	ret = apsm_stats_net_init(an);
	if (ret)
		goto err_stats;
	apsm_policy_net_init(an);
	/* The hold queue before the RDS: RDS inserts release from it. */
	ret = apsm_holdq_net_init(an);
	if (ret)
		goto err_holdq;
	ret = apsm_rds_net_init(an);
	if (ret)
		goto err_rds;
	return 0;

err_rds:
	apsm_holdq_net_exit(an);
err_holdq:
	apsm_policy_net_exit(an);
	apsm_stats_net_exit(an);
err_stats:
	mutex_destroy(&an->conf_lock);
	return ret;
}

static void __net_exit apsm_net_exit(struct net *net)
{
	struct apsm_net *an = apsm_net(net);

	/* The RDS first: its aging work updates instance flow counts. */
	apsm_rds_net_exit(an);
	/* After the RDS (no more releases), before the ports go. */
	apsm_holdq_net_exit(an);
	apsm_policy_net_exit(an);
	/* Configuration objects after their users (policy, RDS), most
	 * dependent first. The netns's devices are gone by now.
	 */
	apsm_chains_exit(an);
	apsm_instances_exit(an);
	apsm_services_exit(an);
	apsm_ports_exit(an);
	apsm_peers_exit(an);
	/* Stats last: everything above may count until it is gone. */
	apsm_stats_net_exit(an);
	mutex_destroy(&an->conf_lock);
}

static struct pernet_operations apsm_net_ops = {
	.init = apsm_net_init,
	.exit = apsm_net_exit,
	.id = &apsm_net_id,
	.size = sizeof(struct apsm_net),
};

int apsm_netns_init(void)
{
	return register_pernet_subsys(&apsm_net_ops);
}

void apsm_netns_exit(void)
{
	unregister_pernet_subsys(&apsm_net_ops);
}
