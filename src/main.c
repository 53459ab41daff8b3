// SPDX-License-Identifier: GPL-2.0
/*
 * APSM - anticipatory packet steering module: module init and exit only.
 *
 * Init builds the layers bottom-up (Documentation/design.md, "Layers"):
 * caches, core (netns state), cfg, flow, dp, the netdev notifier, then
 * netlink (event ops and family, then the "rds" notify rings). Each
 * layer's pernet operations register after the one below, so a netns is
 * set up in that order and torn down in the reverse one.
 *
 * Exit unwinds the same ladder top-down. Everything that multicasts stops
 * before the genl family goes: the "rds" notify work first, then the
 * event ops (inside apsm_genl_exit(), before the family is unregistered);
 * the notifier's replay afterwards changes objects without a listener.
 */
#include <linux/module.h>
#include <linux/apsm.h>

#include "cfg/cfg_net.h"
#include "core/netns.h"
#include "core/version.h"
#include "dp/dp_net.h"
#include "dp/holdq.h"
#include "dp/proxy.h"
#include "flow/rds.h"
#include "nl/netlink.h"
#include "nl/notifier.h"
#include "nl/rds_notify.h"

static int __init apsm_mod_init(void)
{
	int ret;

	ret = apsm_rds_cache_init();
	if (ret)
		goto err_rds_cache;

	ret = apsm_holdq_cache_init();
	if (ret)
		goto err_holdq_cache;

	ret = apsm_netns_init();
	if (ret)
		goto err_netns;

	ret = apsm_cfg_net_init();
	if (ret)
		goto err_cfg;

	ret = apsm_rds_net_init();
	if (ret)
		goto err_rds;

	ret = apsm_dp_net_init();
	if (ret)
		goto err_dp;

	ret = apsm_notifier_init();
	if (ret)
		goto err_notifier;

	ret = apsm_genl_init();
	if (ret)
		goto err_genl;

	ret = apsm_rds_notify_net_init();
	if (ret)
		goto err_rds_notify;

	pr_info("APSM %s loaded\n", APSM_VERSION);
	return 0;

err_rds_notify:
	apsm_genl_exit();
err_genl:
	apsm_notifier_exit();
err_notifier:
	apsm_dp_net_exit();
err_dp:
	apsm_rds_net_exit();
err_rds:
	apsm_cfg_net_exit();
err_cfg:
	apsm_netns_exit();
err_netns:
	apsm_holdq_cache_exit();
err_holdq_cache:
	apsm_rds_cache_exit();
err_rds_cache:
	return ret;
}

static void __exit apsm_mod_exit(void)
{
	/* The "rds" notify work of every netns, stopped while the family
	 * is still there.
	 */
	apsm_rds_notify_net_exit();
	/* Event ops, then the family (it waits for requests in flight). */
	apsm_genl_exit();
	/* Drops every device the config objects hold (it replays
	 * NETDEV_UNREGISTER for all devices): every hook goes with its port.
	 */
	apsm_notifier_exit();
	apsm_dp_net_exit();
	apsm_rds_net_exit();
	apsm_cfg_net_exit();
	apsm_netns_exit();
	/* Every hook is gone with its port: no proxy context is used. */
	apsm_proxy_exit();
	/* The config objects' call_rcu() callbacks are module code. */
	rcu_barrier();
	/* After every netns is gone; waits for their RCU frees. */
	apsm_rds_cache_exit();
	apsm_holdq_cache_exit();
	pr_info("APSM unloaded\n");
}

module_init(apsm_mod_init);
module_exit(apsm_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Anticipatory packet steering through NF service chains");
MODULE_VERSION(APSM_VERSION);
MODULE_ALIAS_GENL_FAMILY(APSM_GENL_NAME);
