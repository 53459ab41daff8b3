// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl instance add | set | del | show: running NFs.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "apsmctl.h"
#include "instance.h"

/* The proxy figures (kernel: include/fprint.h) */
#define FPRINT_TTL_MIN	10
#define FPRINT_TTL_MAX	10000

/* Indexed by the enum value - 1 (the choice parser yields index + 1). */
static const char *const mode_names[] = { "nsh", "proxy", NULL };
static const char *const state_names[] = { "up", "drain", "down", NULL };
static const char *const noctx_names[] = { "classify", "drop", NULL };

/* "unrecovered" is the policy's name; "noctx" its older alias */
enum {
	I_NAME, I_SERVICE, I_ID, I_NODE, I_DEV, I_MODE, I_WEIGHT, I_LLADDR,
	I_NOCTX, I_UNREC, I_FPTTL, I_MAX
};

static const struct arg_spec instance_add_spec[I_MAX] = {
	[I_NAME] = ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
	[I_SERVICE] = ARG_SPEC("service", ARG_NAME, ARG_REQ),
	[I_ID] = ARG_RANGE("id", ARG_U32, 0, 1, UINT32_MAX),
	[I_NODE] = ARG_RANGE("node", ARG_U32, 0, 1, UINT32_MAX),
	[I_DEV] = ARG_SPEC("dev", ARG_DEV, 0),
	[I_MODE] = ARG_CHOICES("mode", 0, mode_names),
	[I_WEIGHT] = ARG_RANGE("weight", ARG_U32, 0, 1, APSM_WEIGHT_MAX),
	[I_LLADDR] = ARG_SPEC("lladdr", ARG_MAC, 0),
	[I_NOCTX] = ARG_CHOICES("noctx", 0, noctx_names),
	[I_UNREC] = ARG_CHOICES("unrecovered", 0, noctx_names),
	[I_FPTTL] = ARG_RANGE("fprint-ttl", ARG_U32, 0, FPRINT_TTL_MIN,
			      FPRINT_TTL_MAX),
};

enum {
	IS_NAME, IS_WEIGHT, IS_STATE, IS_LLADDR, IS_NOCTX, IS_DEV, IS_UNREC,
	IS_FPTTL, IS_MAX
};

static const struct arg_spec instance_set_spec[IS_MAX] = {
	[IS_NAME] = ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
	[IS_WEIGHT] = ARG_RANGE("weight", ARG_U32, 0, 1, APSM_WEIGHT_MAX),
	[IS_STATE] = ARG_CHOICES("state", 0, state_names),
	[IS_LLADDR] = ARG_SPEC("lladdr", ARG_MAC, 0),
	[IS_NOCTX] = ARG_CHOICES("noctx", 0, noctx_names),
	[IS_DEV] = ARG_SPEC("dev", ARG_DEV, 0),
	[IS_UNREC] = ARG_CHOICES("unrecovered", 0, noctx_names),
	[IS_FPTTL] = ARG_RANGE("fprint-ttl", ARG_U32, 0, FPRINT_TTL_MIN,
			       FPRINT_TTL_MAX),
};

/* The unrecovered policy from either keyword: -1 both given, 0 none. */
static int unrecovered_arg(const struct arg_val *noctx,
			   const struct arg_val *unrec, uint8_t *v)
{
	if (noctx->set && unrec->set) {
		ctl_seterr("give unrecovered or its alias noctx, not both");
		return -1;
	}
	if (!noctx->set && !unrec->set)
		return 0;
	*v = noctx->set ? noctx->u : unrec->u;
	return 1;
}

static const struct arg_spec instance_del_spec[] = {
	ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
};

enum { ISH_SERVICE, ISH_NAME, ISH_MAX };

static const struct arg_spec instance_show_spec[ISH_MAX] = {
	[ISH_SERVICE] = ARG_SPEC("service", ARG_NAME, 0),
	[ISH_NAME] = ARG_SPEC("name", ARG_NAME, ARG_POS),
};

int cmd_instance_add(int argc, char **argv)
{
	struct arg_val v[I_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint8_t unrec = 0;
	int has_unrec;

	if (ARGS_PARSE(argc, argv, instance_add_spec, v))
		return -1;
	has_unrec = unrecovered_arg(&v[I_NOCTX], &v[I_UNREC], &unrec);
	if (has_unrec < 0 || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_INSTANCE_NEW, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);
	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_NAME, v[I_NAME].name);
	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_SERVICE, v[I_SERVICE].name);
	if (v[I_ID].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_ID, v[I_ID].u);
	if (v[I_NODE].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_NODE, v[I_NODE].u);
	if (v[I_DEV].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_IFINDEX, v[I_DEV].u);
	if (v[I_MODE].set)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_MODE, v[I_MODE].u);
	if (v[I_WEIGHT].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_WEIGHT, v[I_WEIGHT].u);
	if (v[I_LLADDR].set)
		mnl_attr_put(nlh, APSM_INSTANCE_A_LLADDR, 6, v[I_LLADDR].mac);
	if (has_unrec)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_NOCTX, unrec);
	if (v[I_FPTTL].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_FPRINT_TTL, v[I_FPTTL].u);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

int cmd_instance_set(int argc, char **argv)
{
	struct arg_val v[IS_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint8_t unrec = 0;
	int has_unrec;

	if (ARGS_PARSE(argc, argv, instance_set_spec, v))
		return -1;
	has_unrec = unrecovered_arg(&v[IS_NOCTX], &v[IS_UNREC], &unrec);
	if (has_unrec < 0)
		return -1;
	if (!v[IS_WEIGHT].set && !v[IS_STATE].set && !v[IS_LLADDR].set &&
	    !has_unrec && !v[IS_DEV].set && !v[IS_FPTTL].set) {
		ctl_seterr("nothing to set (weight, state, lladdr, unrecovered, fprint-ttl, dev)");
		return -1;
	}
	if (nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_INSTANCE_SET, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);
	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_NAME, v[IS_NAME].name);
	if (v[IS_WEIGHT].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_WEIGHT, v[IS_WEIGHT].u);
	if (v[IS_STATE].set)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_STATE, v[IS_STATE].u);
	if (v[IS_LLADDR].set)
		mnl_attr_put(nlh, APSM_INSTANCE_A_LLADDR, 6, v[IS_LLADDR].mac);
	if (has_unrec)
		mnl_attr_put_u8(nlh, APSM_INSTANCE_A_NOCTX, unrec);
	if (v[IS_FPTTL].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_FPRINT_TTL, v[IS_FPTTL].u);
	if (v[IS_DEV].set)
		mnl_attr_put_u32(nlh, APSM_INSTANCE_A_IFINDEX, v[IS_DEV].u);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

int cmd_instance_del(int argc, char **argv)
{
	struct arg_val v[1];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, instance_del_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_INSTANCE_DEL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);
	mnl_attr_put_strz(nlh, APSM_INSTANCE_A_NAME, v[0].name);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

/* The enum's name, or its number in buf. */
static const char *enum_name(const char *const *names, unsigned int n,
			     uint8_t v, char *buf, size_t size)
{
	if (v >= 1 && v <= n)
		return names[v - 1];
	snprintf(buf, size, "%u", v);
	return buf;
}

void instance_key(const struct nlattr *nest, uint32_t *id, const char **name)
{
	const struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];

	nl_parse_nest(nest, nl_instance_kind, APSM_INSTANCE_A_MAX, tb);
	*id = nl_u32(tb[APSM_INSTANCE_A_ID]);
	*name = nl_str(tb[APSM_INSTANCE_A_NAME]);
}

/* The proxy-mode figures: a JSON object, or an indented line. */
static void print_proxy(const struct nlattr *const *tb, struct json *j)
{
	static const struct {
		int attr;
		bool u32;
		const char *json, *text;
	} f[] = {
		{ APSM_INSTANCE_A_FPRINT_TTL, true, "fprint_ttl_ms", "fprint-ttl" },
		{ APSM_INSTANCE_A_REC_KEY, false, "recovered_key", "recovered-key" },
		{ APSM_INSTANCE_A_REC_LEARNED, false, "recovered_learned",
		  "recovered-learned" },
		{ APSM_INSTANCE_A_REC_FPRINT, false, "recovered_fprint",
		  "recovered-fprint" },
		{ APSM_INSTANCE_A_UNRECOVERED, false, "unrecovered",
		  "unrecovered" },
		{ APSM_INSTANCE_A_FPRINT_ENTRIES, true, "fprint_entries",
		  "fprint-entries" },
		{ APSM_INSTANCE_A_FPRINT_SIZE, true, "fprint_size",
		  "fprint-size" },
		{ APSM_INSTANCE_A_FPRINT_EVICTIONS, false, "fprint_evictions",
		  "fprint-evictions" },
		{ APSM_INSTANCE_A_FPRINT_COLLISIONS, false, "fprint_collisions",
		  "fprint-collisions" },
	};
	unsigned int i;

	if (j)
		json_obj_open(j);
	else
		printf("\n    proxy");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint64_t v = f[i].u32 ? nl_u32(tb[f[i].attr]) :
			     nl_u64(tb[f[i].attr]);

		if (j)
			json_kv_u64(j, f[i].json, v);
		else
			printf(" %s %llu", f[i].text, (unsigned long long)v);
	}
	if (j)
		json_obj_close(j);
}

void print_instance(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];
	char ifb[IF_NAMESIZE], mac[18], mb[4], sb[4], nb[4];
	const char *dev, *mode, *state, *noctx = NULL, *lladdr = NULL;
	const char *name, *service;
	const struct nlattr *ll;
	uint32_t ifindex;

	nl_parse_nest(nest, nl_instance_kind, APSM_INSTANCE_A_MAX, tb);
	name = nl_str(tb[APSM_INSTANCE_A_NAME]);
	service = nl_str(tb[APSM_INSTANCE_A_SERVICE]);
	ifindex = nl_u32(tb[APSM_INSTANCE_A_IFINDEX]);
	dev = ifname_of(ifindex, ifb);
	mode = enum_name(mode_names, 2, nl_u8(tb[APSM_INSTANCE_A_MODE]),
			 mb, sizeof(mb));
	state = enum_name(state_names, 3, nl_u8(tb[APSM_INSTANCE_A_STATE]),
			  sb, sizeof(sb));
	if (tb[APSM_INSTANCE_A_NOCTX])
		noctx = enum_name(noctx_names, 2,
				  nl_u8(tb[APSM_INSTANCE_A_NOCTX]), nb,
				  sizeof(nb));
	ll = tb[APSM_INSTANCE_A_LLADDR];
	if (ll && mnl_attr_get_payload_len(ll) == 6)
		lladdr = fmt_mac(mnl_attr_get_payload(ll), mac);
	if (j) {
		json_obj_open(j);
		json_kv_str(j, "name", name);
		json_kv_u64(j, "id", nl_u32(tb[APSM_INSTANCE_A_ID]));
		json_kv_str(j, "service", service);
		json_kv_u64(j, "node", nl_u32(tb[APSM_INSTANCE_A_NODE]));
		json_kv_str(j, "dev", dev);
		json_kv_u64(j, "ifindex", ifindex);
		json_kv_str(j, "mode", mode);
		json_kv_u64(j, "weight", nl_u32(tb[APSM_INSTANCE_A_WEIGHT]));
		json_kv_str(j, "state", state);
		json_kv_str(j, "lladdr", lladdr);
		json_kv_str(j, "noctx", noctx);
		json_kv_u64(j, "tx_packets",
			    nl_u64(tb[APSM_INSTANCE_A_TX_PACKETS]));
		json_kv_u64(j, "tx_bytes",
			    nl_u64(tb[APSM_INSTANCE_A_TX_BYTES]));
		json_kv_u64(j, "rx_packets",
			    nl_u64(tb[APSM_INSTANCE_A_RX_PACKETS]));
		json_kv_u64(j, "rx_bytes",
			    nl_u64(tb[APSM_INSTANCE_A_RX_BYTES]));
		json_kv_u64(j, "flows", nl_u32(tb[APSM_INSTANCE_A_FLOWS]));
		json_kv_u64(j, "drops", nl_u64(tb[APSM_INSTANCE_A_DROPS]));
		if (tb[APSM_INSTANCE_A_REC_KEY]) {
			json_key(j, "proxy");
			print_proxy(tb, j);
		}
		json_obj_close(j);
		return;
	}
	printf("%s id %u service %s node %u", name ? name : "?",
	       nl_u32(tb[APSM_INSTANCE_A_ID]), service ? service : "?",
	       nl_u32(tb[APSM_INSTANCE_A_NODE]));
	if (dev)
		printf(" dev %s", dev);
	else if (ifindex)
		printf(" ifindex %u", ifindex);
	printf(" mode %s weight %u state %s", mode,
	       nl_u32(tb[APSM_INSTANCE_A_WEIGHT]), state);
	if (lladdr)
		printf(" lladdr %s", lladdr);
	if (noctx)
		printf(" noctx %s", noctx);
	printf(" tx-packets %llu tx-bytes %llu rx-packets %llu rx-bytes %llu flows %u drops %llu",
	       (unsigned long long)nl_u64(tb[APSM_INSTANCE_A_TX_PACKETS]),
	       (unsigned long long)nl_u64(tb[APSM_INSTANCE_A_TX_BYTES]),
	       (unsigned long long)nl_u64(tb[APSM_INSTANCE_A_RX_PACKETS]),
	       (unsigned long long)nl_u64(tb[APSM_INSTANCE_A_RX_BYTES]),
	       nl_u32(tb[APSM_INSTANCE_A_FLOWS]),
	       (unsigned long long)nl_u64(tb[APSM_INSTANCE_A_DROPS]));
	/* proxy mode: a second line, like ip -s (the first stays as it was) */
	if (tb[APSM_INSTANCE_A_REC_KEY])
		print_proxy(tb, NULL);
}

struct instance_show {
	struct show s;
	const char *service;	/* filter, or NULL */
	const char *name;	/* filter, or NULL */
};

static int instance_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_INSTANCE);
	const struct nlattr *tb[APSM_INSTANCE_A_MAX + 1];
	struct instance_show *is = arg;
	const char *svc, *name;
	struct json *j;

	if (!nest)
		return 0;
	/* Filter here too: the kernel's dump filter is an optimisation. */
	nl_parse_nest(nest, nl_instance_kind, APSM_INSTANCE_A_MAX, tb);
	svc = nl_str(tb[APSM_INSTANCE_A_SERVICE]);
	name = nl_str(tb[APSM_INSTANCE_A_NAME]);
	if (is->service && (!svc || strcmp(svc, is->service)))
		return 0;
	if (is->name && (!name || strcmp(name, is->name)))
		return 0;
	j = show_json(&is->s);
	print_instance(nest, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

int cmd_instance_show(int argc, char **argv)
{
	struct arg_val v[ISH_MAX];
	struct instance_show is = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int ret;

	if (ARGS_PARSE(argc, argv, instance_show_spec, v) || nl_open())
		return -1;
	if (v[ISH_SERVICE].set)
		is.service = v[ISH_SERVICE].name;
	if (v[ISH_NAME].set)
		is.name = v[ISH_NAME].name;
	show_begin(&is.s);
	if (is.name) {
		nlh = nl_msg(APSM_CMD_INSTANCE_GET, 0);
		nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);
		mnl_attr_put_strz(nlh, APSM_INSTANCE_A_NAME, is.name);
		mnl_attr_nest_end(nlh, nest);
		ret = nl_request(nlh, instance_one, &is);
	} else {
		nlh = nl_msg(APSM_CMD_INSTANCE_GET, 0);
		if (is.service) {
			nest = mnl_attr_nest_start(nlh, APSM_A_INSTANCE);
			mnl_attr_put_strz(nlh, APSM_INSTANCE_A_SERVICE,
					  is.service);
			mnl_attr_nest_end(nlh, nest);
		}
		ret = nl_dump(nlh, instance_one, &is);
	}
	return show_end(&is.s, ret);
}
