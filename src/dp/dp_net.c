// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path's ties to the layers below (include/dp/dp_net.h).
 */
#include <net/net_namespace.h>

#include "cfg/instance.h"
#include "cfg/port.h"
#include "core/netns.h"
#include "dp/dp_net.h"
#include "dp/fprint.h"
#include "dp/holdq.h"
#include "dp/hook.h"
#include "flow/rds.h"

static const struct apsm_port_ops apsm_dp_port_ops = {
	.attach = apsm_hook_attach,
	.detach = apsm_hook_detach,
};

static const struct apsm_instance_ops apsm_dp_instance_ops = {
	.fprint_alloc = apsm_fprint_table_alloc,
	.fprint_free = apsm_fprint_table_free,
};

/* Return packets that came before the entry go on now. */
static void apsm_dp_rds_added(struct apsm_net *an,
			      const struct apsm_rds_entry *e,
			      enum apsm_rds_cause why)
{
	apsm_holdq_release(an, &e->f.key);
}

static struct apsm_rds_sub apsm_dp_rds_sub = {
	.added = apsm_dp_rds_added,
};

static int __net_init apsm_dp_pernet_init(struct net *net)
{
	struct apsm_net *an = apsm_net(net);

	apsm_holdq_defaults(an);
	return apsm_holdq_net_init(an);
}

/* Before the RDS goes (nothing is released after it) and before the
 * ports go. The netns has no device left, so no hook runs.
 */
static void __net_exit apsm_dp_pernet_exit(struct net *net)
{
	apsm_holdq_net_exit(apsm_net(net));
}

static struct pernet_operations apsm_dp_net_ops = {
	.init = apsm_dp_pernet_init,
	.exit = apsm_dp_pernet_exit,
};

int apsm_dp_net_init(void)
{
	int ret;

	ret = register_pernet_subsys(&apsm_dp_net_ops);
	if (ret)
		return ret;
	apsm_port_set_ops(&apsm_dp_port_ops);
	apsm_instance_set_ops(&apsm_dp_instance_ops);
	apsm_rds_subscribe(&apsm_dp_rds_sub);
	return 0;
}

void apsm_dp_net_exit(void)
{
	apsm_rds_unsubscribe(&apsm_dp_rds_sub);
	unregister_pernet_subsys(&apsm_dp_net_ops);
	/* The port and instance ops stay: the config layer's exit (after
	 * this one) and its RCU callbacks (until main.c's rcu_barrier())
	 * free instances with fingerprint tables. They are module code,
	 * valid until the module is gone.
	 */
}
