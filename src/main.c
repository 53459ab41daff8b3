// SPDX-License-Identifier: GPL-2.0
/*
 * APSM - anticipatory packet steering module: module init and exit only.
 */
#include <linux/module.h>
#include <linux/apsm.h>

#include "dp/holdq.h"
#include "nl/netlink.h"
#include "core/netns.h"
#include "nl/notifier.h"
#include "dp/proxy.h"
#include "flow/rds.h"
#include "core/version.h"

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

	ret = apsm_notifier_init();
	if (ret)
		goto err_notifier;

	ret = apsm_genl_init();
	if (ret)
		goto err_genl;

	pr_info("APSM %s loaded\n", APSM_VERSION);
	return 0;

err_genl:
	apsm_notifier_exit();
err_notifier:
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
	apsm_genl_exit();
	/* Drops every device the config objects hold (it replays
	 * NETDEV_UNREGISTER for all devices).
	 */
	apsm_notifier_exit();
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
/* NSH GSO segmentation (nsh_gso_segment) of steered super-packets;
 * Debian builds it as nsh.ko (Documentation/nsh.md, "GSO").
 */
MODULE_SOFTDEP("pre: nsh");
