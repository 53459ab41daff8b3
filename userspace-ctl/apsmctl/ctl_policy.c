// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl policy add | del | show: the flow policy table (match -> chain).
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "apsmctl.h"
#include "catobj.h"

/* Without prio, a rule goes this far below the last one (or here). */
#define PRIO_STEP	100

static const uint8_t policy_kind[APSM_POLICY_A_MAX + 1] = {
	[APSM_POLICY_A_PRIO] = NLK_U32,
	[APSM_POLICY_A_CHAIN] = NLK_STR,
	[APSM_POLICY_A_IIF] = NLK_U32,
	[APSM_POLICY_A_FAMILY] = NLK_U8,
	[APSM_POLICY_A_SRC] = NLK_ANY,
	[APSM_POLICY_A_SRC_PLEN] = NLK_U8,
	[APSM_POLICY_A_DST] = NLK_ANY,
	[APSM_POLICY_A_DST_PLEN] = NLK_U8,
	[APSM_POLICY_A_PROTO] = NLK_U8,
	[APSM_POLICY_A_SPORT_MIN] = NLK_U16,
	[APSM_POLICY_A_SPORT_MAX] = NLK_U16,
	[APSM_POLICY_A_DPORT_MIN] = NLK_U16,
	[APSM_POLICY_A_DPORT_MAX] = NLK_U16,
	[APSM_POLICY_A_VLAN] = NLK_U16,
	[APSM_POLICY_A_HITS] = NLK_U64,
};

static const struct arg_spec policy_del_spec[] = {
	ARG_RANGE("prio", ARG_U32, ARG_REQ, 0, UINT32_MAX),
};

static int policy_max_prio(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[APSM_POLICY_A_MAX + 1];
	int64_t *max = arg;

	nl_parse_nest(nl_attr(nlh, APSM_A_POLICY), policy_kind,
		      APSM_POLICY_A_MAX, tb);
	if (tb[APSM_POLICY_A_PRIO] &&
	    (int64_t)nl_u32(tb[APSM_POLICY_A_PRIO]) > *max)
		*max = nl_u32(tb[APSM_POLICY_A_PRIO]);
	return 0;
}

/* The default prio: PRIO_STEP after the last rule. */
static int policy_next_prio(uint32_t *prio)
{
	int64_t max = 0;

	if (nl_dump(nl_msg(APSM_CMD_POLICY_GET, 0), policy_max_prio, &max))
		return -1;
	if (max + PRIO_STEP > UINT32_MAX) {
		ctl_seterr("no room after the last rule (prio %lld): give prio",
			   (long long)max);
		return -1;
	}
	*prio = max + PRIO_STEP;
	return 0;
}

/* The arguments are those of the cluster catalogue (lib/catobj.c), as
 * for service add; without prio the rule goes PRIO_STEP after the last.
 */
int cmd_policy_add(int argc, char **argv)
{
	struct cat_obj o;
	struct nlmsghdr *nlh;
	uint32_t prio;

	if (cat_parse(CAT_POLICY, argc, argv, &o) || nl_open())
		return -1;
	if (!o.prio_set) {
		if (policy_next_prio(&prio))
			return -1;
		cat_set_prio(&o, prio);
	}
	nlh = cat_nl_add(&o);
	return nlh ? nl_request(nlh, NULL, NULL) : -1;
}

int cmd_policy_del(int argc, char **argv)
{
	struct arg_val v[1];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, policy_del_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_POLICY_DEL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_POLICY);
	mnl_attr_put_u32(nlh, APSM_POLICY_A_PRIO, v[0].u);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

/* A prefix from ADDR + PLEN attributes into buf; NULL if absent/bad. */
static const char *get_prefix(const struct nlattr *addr,
			      const struct nlattr *plen, uint8_t family,
			      char buf[CTL_ADDR_STRLEN])
{
	struct ctl_addr a = { 0 };
	uint16_t len;

	if (!addr)
		return NULL;
	len = mnl_attr_get_payload_len(addr);
	if (len == 4 && family != AF_INET6)
		a.family = AF_INET;
	else if (len == 16 && family != AF_INET)
		a.family = AF_INET6;
	else
		return NULL;
	memcpy(a.a, mnl_attr_get_payload(addr), len);
	a.plen = plen ? nl_u8(plen) : len * 8;
	if (a.plen > len * 8)
		a.plen = len * 8;
	return fmt_prefix(&a, buf);
}

/* "lo-hi" or "p" into buf; NULL if neither end is there. */
static const char *get_range(const struct nlattr *lo, const struct nlattr *hi,
			     char *buf, size_t size)
{
	uint16_t l, h;

	if (!lo && !hi)
		return NULL;
	l = lo ? nl_u16(lo) : 0;
	h = hi ? nl_u16(hi) : 65535;
	if (l == h)
		snprintf(buf, size, "%u", l);
	else
		snprintf(buf, size, "%u-%u", l, h);
	return buf;
}

static void json_kv_port(struct json *j, const char *key,
			 const struct nlattr *a)
{
	if (a)
		json_kv_u64(j, key, nl_u16(a));
	else
		json_kv_null(j, key);
}

void print_policy(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_POLICY_A_MAX + 1];
	char ifb[IF_NAMESIZE], sb[CTL_ADDR_STRLEN], db[CTL_ADDR_STRLEN];
	char spb[16], dpb[16], pb[4];
	const char *iif = NULL, *src, *dst, *proto = NULL, *sport, *dport;
	uint8_t family;

	nl_parse_nest(nest, policy_kind, APSM_POLICY_A_MAX, tb);
	family = nl_u8(tb[APSM_POLICY_A_FAMILY]);
	if (tb[APSM_POLICY_A_IIF]) {
		iif = ifname_of(nl_u32(tb[APSM_POLICY_A_IIF]), ifb);
		if (!iif) {
			snprintf(ifb, sizeof(ifb), "if%u",
				 nl_u32(tb[APSM_POLICY_A_IIF]));
			iif = ifb;
		}
	}
	src = get_prefix(tb[APSM_POLICY_A_SRC], tb[APSM_POLICY_A_SRC_PLEN],
			 family, sb);
	dst = get_prefix(tb[APSM_POLICY_A_DST], tb[APSM_POLICY_A_DST_PLEN],
			 family, db);
	if (tb[APSM_POLICY_A_PROTO]) {
		proto = proto_name(nl_u8(tb[APSM_POLICY_A_PROTO]));
		if (!proto) {
			snprintf(pb, sizeof(pb), "%u",
				 nl_u8(tb[APSM_POLICY_A_PROTO]));
			proto = pb;
		}
	}
	sport = get_range(tb[APSM_POLICY_A_SPORT_MIN],
			  tb[APSM_POLICY_A_SPORT_MAX], spb, sizeof(spb));
	dport = get_range(tb[APSM_POLICY_A_DPORT_MIN],
			  tb[APSM_POLICY_A_DPORT_MAX], dpb, sizeof(dpb));
	if (j) {
		json_obj_open(j);
		json_kv_u64(j, "prio", nl_u32(tb[APSM_POLICY_A_PRIO]));
		json_kv_str(j, "iif", iif);
		json_kv_str(j, "src", src);
		json_kv_str(j, "dst", dst);
		json_key(j, "proto");
		if (!tb[APSM_POLICY_A_PROTO])
			json_null(j);
		else if (proto_name(nl_u8(tb[APSM_POLICY_A_PROTO])))
			json_str(j, proto);
		else
			json_u64(j, nl_u8(tb[APSM_POLICY_A_PROTO]));
		json_kv_port(j, "sport_min", tb[APSM_POLICY_A_SPORT_MIN]);
		json_kv_port(j, "sport_max", tb[APSM_POLICY_A_SPORT_MAX]);
		json_kv_port(j, "dport_min", tb[APSM_POLICY_A_DPORT_MIN]);
		json_kv_port(j, "dport_max", tb[APSM_POLICY_A_DPORT_MAX]);
		json_kv_port(j, "vlan", tb[APSM_POLICY_A_VLAN]);
		json_kv_str(j, "chain", nl_str(tb[APSM_POLICY_A_CHAIN]));
		json_kv_u64(j, "hits", nl_u64(tb[APSM_POLICY_A_HITS]));
		json_obj_close(j);
		return;
	}
	printf("prio %u", nl_u32(tb[APSM_POLICY_A_PRIO]));
	if (iif)
		printf(" iif %s", iif);
	if (src)
		printf(" src %s", src);
	if (dst)
		printf(" dst %s", dst);
	if (proto)
		printf(" proto %s", proto);
	if (sport)
		printf(" sport %s", sport);
	if (dport)
		printf(" dport %s", dport);
	if (tb[APSM_POLICY_A_VLAN])
		printf(" vlan %u", nl_u16(tb[APSM_POLICY_A_VLAN]));
	printf(" chain %s hits %llu",
	       nl_str(tb[APSM_POLICY_A_CHAIN]) ?: "?",
	       (unsigned long long)nl_u64(tb[APSM_POLICY_A_HITS]));
}

static int policy_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_POLICY);
	struct json *j = show_json(arg);

	if (!nest)
		return 0;
	print_policy(nest, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

int cmd_policy_show(int argc, char **argv)
{
	struct show s;

	if (no_args(argc, argv) || nl_open())
		return -1;
	show_begin(&s);
	return show_end(&s, nl_dump(nl_msg(APSM_CMD_POLICY_GET, 0),
				    policy_one, &s));
}
