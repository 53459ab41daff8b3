// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace APSM state and its defaults. Every netns is one
 * APSM node; tables never cross namespaces.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <linux/user_namespace.h>
#include <net/netns/generic.h>

#include "core/netns.h"
#include "core/stats.h"

static unsigned int rds_max = 1U << 20;
module_param(rds_max, uint, 0444);
MODULE_PARM_DESC(rds_max, "Default max RDS entries per netns (1M)");

static unsigned int policy_max = 4096;
module_param(policy_max, uint, 0444);
MODULE_PARM_DESC(policy_max, "Default max flow policy rules per netns (4096)");

static unsigned int userns_rds_max = 1U << 16;
module_param(userns_rds_max, uint, 0644);
MODULE_PARM_DESC(userns_rds_max,
		 "Max RDS entries of a node in a netns owned by a non-initial user namespace (65536)");

static unsigned int userns_policy_max = 1024;
module_param(userns_policy_max, uint, 0644);
MODULE_PARM_DESC(userns_policy_max,
		 "Max policy rules of a node in a netns owned by a non-initial user namespace (1024)");

static unsigned int userns_feed_max = 1U << 16;
module_param(userns_feed_max, uint, 0644);
MODULE_PARM_DESC(userns_feed_max,
		 "Max change feed size of a node in a netns owned by a non-initial user namespace (65536)");

static unsigned int apsm_net_id __read_mostly;

u32 apsm_net_limit(const struct apsm_net *an, enum apsm_limit which)
{
	if (an->net->user_ns == &init_user_ns)
		return U32_MAX;
	switch (which) {
	case APSM_LIMIT_RDS:
		return READ_ONCE(userns_rds_max);
	case APSM_LIMIT_POLICY:
		return READ_ONCE(userns_policy_max);
	case APSM_LIMIT_FEED:
		return READ_ONCE(userns_feed_max);
	}
	return 0;
}

struct apsm_net *apsm_net(const struct net *net)
{
	return net_generic(net, apsm_net_id);
}

static int __net_init apsm_net_init(struct net *net)
{
	struct apsm_net *an = apsm_net(net);

	an->net = net;
	mutex_init(&an->conf_lock);
	an->rds_max = min_t(u32, rds_max, apsm_net_limit(an, APSM_LIMIT_RDS));
	an->policy_max = min_t(u32, policy_max,
			       apsm_net_limit(an, APSM_LIMIT_POLICY));
	/* Defaults in the spirit of conntrack's: established TCP is long
	 * lived, UDP and the rest are short.
	 */
	an->timeout_tcp_ms = 3600 * 1000;
	an->timeout_udp_ms = 120 * 1000;
	an->timeout_other_ms = 30 * 1000;
	get_random_bytes(&an->fprint_key, sizeof(an->fprint_key));
	an->peerdown = APSM_PEERDOWN_DROP;
	/* Stats first: every layer above counts into them. */
	return apsm_stats_net_init(an);
}

static void __net_exit apsm_net_exit(struct net *net)
{
	struct apsm_net *an = apsm_net(net);

	/* Last: every layer above is gone (its pernet exit ran first) and
	 * may have counted until then.
	 */
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
