// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl stats show: the node-wide counters.
 */
#include <stdio.h>

#include "apsmctl.h"

/* snake_case names, indexed by enum apsm_stats_attrs. */
static const char *const stat_names[APSM_STATS_A_MAX + 1] = {
	[APSM_STATS_A_RX_PACKETS] = "rx_packets",
	[APSM_STATS_A_RDS_HITS] = "rds_hits",
	[APSM_STATS_A_RDS_MISSES] = "rds_misses",
	[APSM_STATS_A_POLICY_HITS] = "policy_hits",
	[APSM_STATS_A_POLICY_MISSES] = "policy_misses",
	[APSM_STATS_A_RDS_INSERTS] = "rds_inserts",
	[APSM_STATS_A_RDS_INSERT_FULL] = "rds_insert_full",
	[APSM_STATS_A_RDS_INSERT_NOMEM] = "rds_insert_nomem",
	[APSM_STATS_A_RDS_EXPIRED] = "rds_expired",
	[APSM_STATS_A_RDS_INSTALLED] = "rds_installed",
	[APSM_STATS_A_RDS_STALE] = "rds_stale",
	[APSM_STATS_A_RDS_NOTIFY_FAIL] = "rds_notify_fail",
	[APSM_STATS_A_NSH_ENCAP] = "nsh_encap",
	[APSM_STATS_A_NSH_DECAP] = "nsh_decap",
	[APSM_STATS_A_LEARNED] = "learned",
	[APSM_STATS_A_DROP_MALFORMED] = "drop_malformed",
	[APSM_STATS_A_DROP_NSH_INVALID] = "drop_nsh_invalid",
	[APSM_STATS_A_DROP_TTL] = "drop_ttl",
	[APSM_STATS_A_DROP_NO_INSTANCE] = "drop_no_instance",
	[APSM_STATS_A_DROP_UNKNOWN_NODE] = "drop_unknown_node",
	[APSM_STATS_A_DROP_FABRIC_SRC] = "drop_fabric_src",
	[APSM_STATS_A_DROP_NOMEM] = "drop_nomem",
	[APSM_STATS_A_DROP_TX] = "drop_tx",
	[APSM_STATS_A_PASS_NONIP] = "pass_nonip",
	[APSM_STATS_A_PASS_FRAG] = "pass_frag",
	[APSM_STATS_A_POLICY_FULL] = "policy_full",
	[APSM_STATS_A_HOLD_HELD] = "hold_held",
	[APSM_STATS_A_HOLD_RELEASED] = "hold_released",
	[APSM_STATS_A_HOLD_TIMEOUT] = "hold_timeout",
	[APSM_STATS_A_HOLD_OVERFLOW] = "hold_overflow",
	[APSM_STATS_A_HOLD_OVERFLOW_FLOW] = "hold_overflow_flow",
	[APSM_STATS_A_PEERDOWN_DROP] = "peerdown_drop",
	[APSM_STATS_A_PEERDOWN_REPIN] = "peerdown_repin",
};

/* Every counter, in enum order; ones the kernel did not send print as 0,
 * ones this apsmctl does not know (a newer kernel) as stat_<N>.
 */
void print_stats(const struct nlattr *nest, struct json *j)
{
	uint64_t val[APSM_STATS_A_MAX + 1] = { 0 };
	const struct nlattr *a;
	int t;

	if (j)
		json_obj_open(j);
	if (nest) {
		mnl_attr_for_each_nested(a, nest) {
			t = mnl_attr_get_type(a);
			if (t == APSM_STATS_A_PAD ||
			    mnl_attr_get_payload_len(a) != sizeof(uint64_t))
				continue;
			if (t <= APSM_STATS_A_MAX && stat_names[t]) {
				val[t] = nl_u64(a);
			} else if (t > APSM_STATS_A_MAX) {
				char name[24];

				snprintf(name, sizeof(name), "stat_%d", t);
				if (j)
					json_kv_u64(j, name, nl_u64(a));
				else
					printf("%s %llu\n", name,
					       (unsigned long long)nl_u64(a));
			}
		}
	}
	for (t = 0; t <= APSM_STATS_A_MAX; t++) {
		if (!stat_names[t])
			continue;
		if (j)
			json_kv_u64(j, stat_names[t], val[t]);
		else
			printf("%s %llu\n", stat_names[t],
			       (unsigned long long)val[t]);
	}
	if (j)
		json_obj_close(j);
}

static int stats_reply(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_STATS);
	struct json *j = arg;

	if (!nest) {
		ctl_seterr("the kernel's reply carries no counters");
		return -1;
	}
	print_stats(nest, j);
	if (j)
		fputc('\n', stdout);
	return 0;
}

int cmd_stats_show(int argc, char **argv)
{
	struct json j;

	if (no_args(argc, argv) || nl_open())
		return -1;
	json_init(&j, stdout);
	/* One object with every counter, not an array. */
	return nl_request(nl_msg(APSM_CMD_STATS_GET, 0), stats_reply,
			  ctl_json ? &j : NULL);
}
