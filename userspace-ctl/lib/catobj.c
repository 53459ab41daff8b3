// SPDX-License-Identifier: GPL-2.0
/*
 * Catalogue objects: "KIND add" arguments parsed with args.c, written back
 * canonically, and turned into netlink requests. See catobj.h.
 */
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "catobj.h"
#include "nl.h"

#define ARGS_MAX	64

const char *const cat_kind_name[CAT_KINDS] = { "service", "chain", "policy" };

static const char *const type_choices[] = { "stateful", "stateless", NULL };

enum { S_NAME, S_TYPE, S_MAX };

/* the keywords of apsmctl's service add, chain add, policy add */
static const struct arg_spec service_spec[S_MAX] = {
	[S_NAME] = ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
	[S_TYPE] = ARG_CHOICES("type", ARG_POS, type_choices),
};

enum { C_NAME, C_SPI, C_SERVICES, C_RETURN, C_MAX };

static const struct arg_spec chain_spec[C_MAX] = {
	[C_NAME] = ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
	[C_SPI] = ARG_RANGE("spi", ARG_U32, 0, 1, APSM_SPI_MAX),
	[C_SERVICES] = ARG_RANGE("services", ARG_NAMES, ARG_REQ, 0, APSM_PATH_MAX),
	[C_RETURN] = ARG_RANGE("return", ARG_NAMES, 0, 0, APSM_PATH_MAX),
};

enum {
	PO_PRIO, PO_IIF, PO_SRC, PO_DST, PO_PROTO, PO_SPORT, PO_DPORT,
	PO_VLAN, PO_CHAIN, PO_MAX
};

/* iif is a name here (resolved by the node that applies the rule) */
static const struct arg_spec policy_spec[PO_MAX] = {
	[PO_PRIO] = ARG_RANGE("prio", ARG_U32, 0, 0, UINT32_MAX),
	[PO_IIF] = ARG_SPEC("iif", ARG_NAME, 0),
	[PO_SRC] = ARG_SPEC("src", ARG_PREFIX, 0),
	[PO_DST] = ARG_SPEC("dst", ARG_PREFIX, 0),
	[PO_PROTO] = ARG_SPEC("proto", ARG_PROTO, 0),
	[PO_SPORT] = ARG_SPEC("sport", ARG_PORTS, 0),
	[PO_DPORT] = ARG_SPEC("dport", ARG_PORTS, 0),
	[PO_VLAN] = ARG_RANGE("vlan", ARG_U32, 0, 0, 4095),
	[PO_CHAIN] = ARG_SPEC("chain", ARG_NAME, ARG_REQ),
};

static const struct arg_spec name_spec[] = {
	ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
};

static const struct arg_spec prio_spec[] = {
	ARG_RANGE("prio", ARG_U32, ARG_REQ, 0, UINT32_MAX),
};

int cat_kind_parse(const char *s)
{
	int k;

	for (k = 0; k < CAT_KINDS; k++)
		if (!strcmp(s, cat_kind_name[k]))
			return k;
	return -1;
}

/* Append to o->line. */
static void add(struct cat_obj *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct cat_obj *o, const char *fmt, ...)
{
	size_t n = strlen(o->line);
	va_list ap;

	if (n >= sizeof(o->line) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(o->line + n, sizeof(o->line) - n, fmt, ap);
	va_end(ap);
}

static void add_list(struct cat_obj *o, const char *kw, const struct arg_val *v)
{
	unsigned int i;

	add(o, " %s ", kw);
	for (i = 0; i < v->n; i++) {
		add(o, "%s%s", i ? "," : "", v->names[i]);
		snprintf(o->refs[o->n_refs++], APSM_NAME_MAX, "%s", v->names[i]);
	}
}

static void add_ports(struct cat_obj *o, const char *kw, const struct arg_val *v)
{
	if (v->lo == v->hi)
		add(o, " %s %u", kw, v->lo);
	else
		add(o, " %s %u-%u", kw, v->lo, v->hi);
}

/* The canonical line of a policy from o->v (prio set). */
static void policy_line(struct cat_obj *o)
{
	const struct arg_val *v = o->v;
	char buf[CTL_ADDR_STRLEN];

	o->line[0] = 0;
	add(o, "prio %llu", (unsigned long long)v[PO_PRIO].u);
	if (v[PO_IIF].set)
		add(o, " iif %s", v[PO_IIF].name);
	if (v[PO_SRC].set)
		add(o, " src %s", fmt_prefix(&v[PO_SRC].addr, buf));
	if (v[PO_DST].set)
		add(o, " dst %s", fmt_prefix(&v[PO_DST].addr, buf));
	if (v[PO_PROTO].set) {
		const char *p = proto_name(v[PO_PROTO].u);

		if (p)
			add(o, " proto %s", p);
		else
			add(o, " proto %llu", (unsigned long long)v[PO_PROTO].u);
	}
	if (v[PO_SPORT].set)
		add_ports(o, "sport", &v[PO_SPORT]);
	if (v[PO_DPORT].set)
		add_ports(o, "dport", &v[PO_DPORT]);
	if (v[PO_VLAN].set)
		add(o, " vlan %llu", (unsigned long long)v[PO_VLAN].u);
	add(o, " chain %s", v[PO_CHAIN].name);
}

void cat_set_prio(struct cat_obj *o, uint32_t prio)
{
	o->v[PO_PRIO].set = true;
	o->v[PO_PRIO].u = prio;
	o->prio_set = true;
	snprintf(o->name, sizeof(o->name), "%u", prio);
	policy_line(o);
}

int cat_parse(enum cat_kind kind, int argc, char **argv, struct cat_obj *o)
{
	struct arg_val *v = o->v;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	switch (kind) {
	case CAT_SERVICE:
		if (args_parse(argc, argv, service_spec, S_MAX, v))
			return -1;
		snprintf(o->name, sizeof(o->name), "%s", v[S_NAME].name);
		/* the kernel's default is stateful */
		add(o, "%s %s", v[S_NAME].name,
		    v[S_TYPE].set && v[S_TYPE].u == 2 ? "stateless" : "stateful");
		return 0;
	case CAT_CHAIN:
		if (args_parse(argc, argv, chain_spec, C_MAX, v))
			return -1;
		snprintf(o->name, sizeof(o->name), "%s", v[C_NAME].name);
		add(o, "%s", v[C_NAME].name);
		if (v[C_SPI].set) {
			o->spi = v[C_SPI].u;
			add(o, " spi %u", o->spi);
		}
		add_list(o, "services", &v[C_SERVICES]);
		if (v[C_RETURN].set)
			add_list(o, "return", &v[C_RETURN]);
		return 0;
	case CAT_POLICY:
		if (args_parse(argc, argv, policy_spec, PO_MAX, v))
			return -1;
		if (v[PO_SRC].set && v[PO_DST].set &&
		    v[PO_SRC].addr.family != v[PO_DST].addr.family) {
			ctl_seterr("src and dst are of different address families");
			return -1;
		}
		snprintf(o->refs[o->n_refs++], APSM_NAME_MAX, "%s",
			 v[PO_CHAIN].name);
		if (v[PO_PRIO].set)
			cat_set_prio(o, v[PO_PRIO].u);
		return 0;
	default:
		ctl_seterr("unknown catalogue kind %d", kind);
		return -1;
	}
}

int cat_parse_line(enum cat_kind kind, const char *line, struct cat_obj *o)
{
	char buf[CAT_LINE_MAX], *argv[ARGS_MAX];
	int argc;

	if (strlen(line) >= sizeof(buf)) {
		ctl_seterr("%s: text too long", cat_kind_name[kind]);
		return -1;
	}
	strcpy(buf, line);
	argc = split_line(buf, argv, ARGS_MAX);
	if (argc < 0)
		return -1;
	return cat_parse(kind, argc, argv, o);
}

int cat_parse_del(enum cat_kind kind, int argc, char **argv,
		  char name[APSM_NAME_MAX])
{
	struct arg_val v[1];

	if (kind == CAT_POLICY) {
		if (args_parse(argc, argv, prio_spec, 1, v))
			return -1;
		snprintf(name, APSM_NAME_MAX, "%llu", (unsigned long long)v[0].u);
		return 0;
	}
	if (args_parse(argc, argv, name_spec, 1, v))
		return -1;
	snprintf(name, APSM_NAME_MAX, "%s", v[0].name);
	return 0;
}

static void put_list(struct nlmsghdr *nlh, uint16_t type,
		     const struct arg_val *v)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	unsigned int i;

	for (i = 0; i < v->n; i++)
		mnl_attr_put_strz(nlh, APSM_LIST_A_NAME, v->names[i]);
	mnl_attr_nest_end(nlh, nest);
}

static void put_prefix(struct nlmsghdr *nlh, uint16_t addr, uint16_t plen,
		       const struct ctl_addr *a)
{
	mnl_attr_put(nlh, addr, a->family == AF_INET ? 4 : 16, a->a);
	mnl_attr_put_u8(nlh, plen, a->plen);
}

static struct nlmsghdr *policy_add(const struct cat_obj *o)
{
	const struct arg_val *v = o->v;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned int iif = 0;
	int family = 0;

	if (v[PO_IIF].set) {
		iif = if_nametoindex(v[PO_IIF].name);
		if (!iif) {
			ctl_seterr("policy %s: unknown device \"%s\" on this node",
				   o->name, v[PO_IIF].name);
			return NULL;
		}
	}
	if (v[PO_SRC].set)
		family = v[PO_SRC].addr.family;
	if (v[PO_DST].set)
		family = v[PO_DST].addr.family;
	nlh = nl_msg(APSM_CMD_POLICY_NEW, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_POLICY);
	mnl_attr_put_u32(nlh, APSM_POLICY_A_PRIO, v[PO_PRIO].u);
	mnl_attr_put_strz(nlh, APSM_POLICY_A_CHAIN, v[PO_CHAIN].name);
	if (iif)
		mnl_attr_put_u32(nlh, APSM_POLICY_A_IIF, iif);
	if (family)
		mnl_attr_put_u8(nlh, APSM_POLICY_A_FAMILY, family);
	if (v[PO_SRC].set)
		put_prefix(nlh, APSM_POLICY_A_SRC, APSM_POLICY_A_SRC_PLEN,
			   &v[PO_SRC].addr);
	if (v[PO_DST].set)
		put_prefix(nlh, APSM_POLICY_A_DST, APSM_POLICY_A_DST_PLEN,
			   &v[PO_DST].addr);
	if (v[PO_PROTO].set)
		mnl_attr_put_u8(nlh, APSM_POLICY_A_PROTO, v[PO_PROTO].u);
	if (v[PO_SPORT].set) {
		mnl_attr_put_u16(nlh, APSM_POLICY_A_SPORT_MIN, v[PO_SPORT].lo);
		mnl_attr_put_u16(nlh, APSM_POLICY_A_SPORT_MAX, v[PO_SPORT].hi);
	}
	if (v[PO_DPORT].set) {
		mnl_attr_put_u16(nlh, APSM_POLICY_A_DPORT_MIN, v[PO_DPORT].lo);
		mnl_attr_put_u16(nlh, APSM_POLICY_A_DPORT_MAX, v[PO_DPORT].hi);
	}
	if (v[PO_VLAN].set)
		mnl_attr_put_u16(nlh, APSM_POLICY_A_VLAN, v[PO_VLAN].u);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

struct nlmsghdr *cat_nl_add(const struct cat_obj *o)
{
	const struct arg_val *v = o->v;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	switch (o->kind) {
	case CAT_SERVICE:
		nlh = nl_msg(APSM_CMD_SERVICE_NEW, 0);
		nest = mnl_attr_nest_start(nlh, APSM_A_SERVICE);
		mnl_attr_put_strz(nlh, APSM_SERVICE_A_NAME, o->name);
		mnl_attr_put_u8(nlh, APSM_SERVICE_A_STATEFUL,
				v[S_TYPE].set && v[S_TYPE].u == 2 ? 0 : 1);
		mnl_attr_nest_end(nlh, nest);
		return nlh;
	case CAT_CHAIN:
		nlh = nl_msg(APSM_CMD_CHAIN_NEW, 0);
		nest = mnl_attr_nest_start(nlh, APSM_A_CHAIN);
		mnl_attr_put_strz(nlh, APSM_CHAIN_A_NAME, o->name);
		if (v[C_SPI].set)
			mnl_attr_put_u32(nlh, APSM_CHAIN_A_SPI, v[C_SPI].u);
		put_list(nlh, APSM_CHAIN_A_SERVICES, &v[C_SERVICES]);
		if (v[C_RETURN].set)
			put_list(nlh, APSM_CHAIN_A_RETURN, &v[C_RETURN]);
		mnl_attr_nest_end(nlh, nest);
		return nlh;
	case CAT_POLICY:
		if (!o->prio_set) {
			ctl_seterr("policy without prio");
			return NULL;
		}
		return policy_add(o);
	default:
		ctl_seterr("unknown catalogue kind");
		return NULL;
	}
}

struct nlmsghdr *cat_nl_del(enum cat_kind kind, const char *name)
{
	static const uint8_t cmd[CAT_KINDS] = { APSM_CMD_SERVICE_DEL,
		APSM_CMD_CHAIN_DEL, APSM_CMD_POLICY_DEL };
	static const uint16_t nest_type[CAT_KINDS] = { APSM_A_SERVICE,
		APSM_A_CHAIN, APSM_A_POLICY };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint64_t prio;

	if (kind >= CAT_KINDS)
		return NULL;
	nlh = nl_msg(cmd[kind], 0);
	nest = mnl_attr_nest_start(nlh, nest_type[kind]);
	if (kind == CAT_SERVICE)
		mnl_attr_put_strz(nlh, APSM_SERVICE_A_NAME, name);
	else if (kind == CAT_CHAIN)
		mnl_attr_put_strz(nlh, APSM_CHAIN_A_NAME, name);
	else {
		if (parse_u64(name, 0, UINT32_MAX, &prio)) {
			ctl_seterr("policy key \"%s\" is not a prio", name);
			return NULL;
		}
		mnl_attr_put_u32(nlh, APSM_POLICY_A_PRIO, prio);
	}
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}
