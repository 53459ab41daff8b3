// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl flow show | get | del | flush | install: the RDS (flow key ->
 * path) of this node; and the id -> name resolver flows are printed with.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "apsmctl.h"
#include "flow.h"

static const char *const dir_names[] = { "forward", "return", NULL };

/* ------------------------------------------------------------ names */

static int name_cmp(const void *a, const void *b)
{
	const struct ctl_name *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static const char *name_find(const struct ctl_name *t, unsigned int n,
			     uint32_t key)
{
	struct ctl_name k = { .key = key }, *e;

	if (!n)
		return NULL;
	e = bsearch(&k, t, n, sizeof(*t), name_cmp);
	return e ? e->name : NULL;
}

/* Insert, replace or (name NULL) remove, keeping t sorted. */
static void name_set(struct ctl_name **t, unsigned int *n, uint32_t key,
		     const char *name)
{
	unsigned int lo = 0, hi = *n, mid;
	struct ctl_name *p;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((*t)[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < *n && (*t)[lo].key == key) {
		if (name) {
			snprintf((*t)[lo].name, APSM_NAME_MAX, "%s", name);
		} else {
			memmove(&(*t)[lo], &(*t)[lo + 1],
				(*n - lo - 1) * sizeof(**t));
			(*n)--;
		}
		return;
	}
	if (!name)
		return;
	p = realloc(*t, (*n + 1) * sizeof(**t));
	if (!p)
		return;		/* the id then prints as a number */
	*t = p;
	memmove(&p[lo + 1], &p[lo], (*n - lo) * sizeof(*p));
	p[lo].key = key;
	snprintf(p[lo].name, APSM_NAME_MAX, "%s", name);
	(*n)++;
}

const char *names_instance(const struct ctl_names *n, uint32_t id)
{
	return name_find(n->inst, n->n_inst, id);
}

const char *names_chain(const struct ctl_names *n, uint32_t spi)
{
	return name_find(n->chain, n->n_chain, spi);
}

void names_set_instance(struct ctl_names *n, uint32_t id, const char *name)
{
	name_set(&n->inst, &n->n_inst, id, name);
}

void names_set_chain(struct ctl_names *n, uint32_t spi, const char *name)
{
	name_set(&n->chain, &n->n_chain, spi, name);
}

static int names_inst_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_INSTANCE);
	const char *name;
	uint32_t id;

	if (nest) {
		instance_key(nest, &id, &name);
		if (id && name)
			names_set_instance(arg, id, name);
	}
	return 0;
}

static int names_chain_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_CHAIN);
	const char *name;
	uint32_t spi;

	if (nest) {
		chain_key(nest, &spi, &name);
		if (spi && name)
			names_set_chain(arg, spi, name);
	}
	return 0;
}

void names_load(struct ctl_names *n)
{
	/* Best effort: without names, ids and SPIs print as numbers. */
	nl_dump(nl_msg(APSM_CMD_INSTANCE_GET, 0), names_inst_one, n);
	nl_dump(nl_msg(APSM_CMD_CHAIN_GET, 0), names_chain_one, n);
}

void names_free(struct ctl_names *n)
{
	free(n->inst);
	free(n->chain);
	memset(n, 0, sizeof(*n));
}

/* ------------------------------------------------------------ printing */

const char *flow_addr(const struct nlattr *a, char buf[CTL_ADDR_STRLEN])
{
	struct ctl_addr ad = { 0 };
	uint16_t len;

	if (!a)
		return NULL;
	len = mnl_attr_get_payload_len(a);
	if (len != 4 && len != 16)
		return NULL;
	ad.family = len == 4 ? AF_INET : AF_INET6;
	ad.plen = len * 8;
	memcpy(ad.a, mnl_attr_get_payload(a), len);
	return fmt_prefix(&ad, buf);
}

void print_flow(const struct nlattr *nest, const struct ctl_names *names,
		struct json *j)
{
	const struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	char sb[CTL_ADDR_STRLEN], db[CTL_ADDR_STRLEN], dirb[4];
	const char *src, *dst, *dir, *pname, *chain;
	uint32_t path[APSM_PATH_MAX * 4];
	unsigned int npath = 0, i;
	uint8_t proto, d;
	uint32_t spi;

	nl_parse_nest(nest, nl_flow_kind, APSM_FLOW_A_MAX, tb);
	src = flow_addr(tb[APSM_FLOW_A_SRC], sb);
	dst = flow_addr(tb[APSM_FLOW_A_DST], db);
	proto = nl_u8(tb[APSM_FLOW_A_PROTO]);
	pname = proto_name(proto);
	d = nl_u8(tb[APSM_FLOW_A_DIR]);
	if (d >= APSM_DIR_FORWARD && d < __APSM_DIR_MAX) {
		dir = dir_names[d - 1];
	} else {
		snprintf(dirb, sizeof(dirb), "%u", d);
		dir = dirb;
	}
	spi = nl_u32(tb[APSM_FLOW_A_SPI]);
	chain = names ? names_chain(names, spi) : NULL;
	if (tb[APSM_FLOW_A_PATH]) {
		uint16_t len = mnl_attr_get_payload_len(tb[APSM_FLOW_A_PATH]);

		npath = len / sizeof(uint32_t);
		if (npath > sizeof(path) / sizeof(path[0]))
			npath = sizeof(path) / sizeof(path[0]);
		memcpy(path, mnl_attr_get_payload(tb[APSM_FLOW_A_PATH]),
		       npath * sizeof(uint32_t));
	}

	if (j) {
		json_obj_open(j);
		json_kv_str(j, "dir", dir);
		json_key(j, "proto");
		if (pname)
			json_str(j, pname);
		else
			json_u64(j, proto);
		json_kv_str(j, "src", src);
		json_kv_u64(j, "sport", nl_u16(tb[APSM_FLOW_A_SPORT]));
		json_kv_str(j, "dst", dst);
		json_kv_u64(j, "dport", nl_u16(tb[APSM_FLOW_A_DPORT]));
		json_kv_str(j, "chain", chain);
		json_kv_u64(j, "spi", spi);
		json_key(j, "path");
		json_arr_open(j);
		for (i = 0; i < npath; i++) {
			const char *n = names ? names_instance(names, path[i]) :
						NULL;

			if (n)
				json_str(j, n);
			else
				json_u64(j, path[i]);
		}
		json_arr_close(j);
		json_key(j, "path_ids");
		json_arr_open(j);
		for (i = 0; i < npath; i++)
			json_u64(j, path[i]);
		json_arr_close(j);
		json_kv_u64(j, "origin", nl_u32(tb[APSM_FLOW_A_ORIGIN]));
		json_kv_u64(j, "version", nl_u64(tb[APSM_FLOW_A_VERSION]));
		json_kv_u64(j, "age_ms", nl_u64(tb[APSM_FLOW_A_AGE_MS]));
		json_kv_u64(j, "packets", nl_u64(tb[APSM_FLOW_A_PACKETS]));
		json_obj_close(j);
		return;
	}
	printf("dir %s proto ", dir);
	if (pname)
		printf("%s", pname);
	else
		printf("%u", proto);
	printf(" src %s sport %u dst %s dport %u", src ? src : "?",
	       nl_u16(tb[APSM_FLOW_A_SPORT]), dst ? dst : "?",
	       nl_u16(tb[APSM_FLOW_A_DPORT]));
	if (chain)
		printf(" chain %s", chain);
	printf(" spi %u path ", spi);
	for (i = 0; i < npath; i++) {
		const char *n = names ? names_instance(names, path[i]) : NULL;

		if (n)
			printf("%s%s", i ? "," : "", n);
		else
			printf("%s%u", i ? "," : "", path[i]);
	}
	if (!npath)
		printf("-");
	printf(" origin %u version %llu age-ms %llu packets %llu",
	       nl_u32(tb[APSM_FLOW_A_ORIGIN]),
	       (unsigned long long)nl_u64(tb[APSM_FLOW_A_VERSION]),
	       (unsigned long long)nl_u64(tb[APSM_FLOW_A_AGE_MS]),
	       (unsigned long long)nl_u64(tb[APSM_FLOW_A_PACKETS]));
}

/* ------------------------------------------------------------ commands */

struct flow_show {
	struct show s;
	struct ctl_names names;
};

static int flow_one(const struct nlattr *flow, void *arg)
{
	struct flow_show *fs = arg;
	struct json *j = show_json(&fs->s);

	print_flow(flow, &fs->names, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

/* flow get: the reply message's flows. */
static int flow_msg(const struct nlmsghdr *nlh, void *arg)
{
	return for_each_flow(nlh, flow_one, arg);
}

enum { FS_ORIGIN, FS_CHAIN, FS_SPI, FS_INSTANCE, FS_DIR, FS_MAX };

static const struct arg_spec flow_show_spec[FS_MAX] = {
	[FS_ORIGIN] = ARG_RANGE("origin", ARG_U32, 0, 1, UINT32_MAX),
	[FS_CHAIN] = ARG_SPEC("chain", ARG_NAME, 0),
	[FS_SPI] = ARG_RANGE("spi", ARG_U32, 0, 1, APSM_SPI_MAX),
	[FS_INSTANCE] = ARG_SPEC("instance", ARG_NAME, 0),
	[FS_DIR] = ARG_CHOICES("dir", 0, dir_names),
};

/* The key of name in t; a name not known that is a decimal number is
 * taken as the id itself. 0 when neither.
 */
static uint32_t name_key(const struct ctl_name *t, unsigned int n,
			 const char *name)
{
	unsigned long long v;
	unsigned int i;
	char *end;

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return t[i].key;
	if (*name < '0' || *name > '9')
		return 0;
	v = strtoull(name, &end, 10);
	return *end || v > UINT32_MAX ? 0 : (uint32_t)v;
}

/* flow show [origin N] [chain NAME | spi N] [instance NAME|ID]
 * [dir forward|return]: the filters are applied by the kernel.
 */
int cmd_flow_show(int argc, char **argv)
{
	struct flow_show fs = { 0 };
	struct nl_flow_filter flt = { 0 };
	struct arg_val v[FS_MAX];
	int ret;

	if (ARGS_PARSE(argc, argv, flow_show_spec, v))
		return -1;
	if (v[FS_CHAIN].set && v[FS_SPI].set) {
		ctl_seterr("give chain or spi, not both");
		return -1;
	}
	if (nl_open())
		return -1;
	names_load(&fs.names);
	flt.origin = v[FS_ORIGIN].set ? v[FS_ORIGIN].u : 0;
	flt.spi = v[FS_SPI].set ? v[FS_SPI].u : 0;
	flt.dir = v[FS_DIR].set ? v[FS_DIR].u : 0;
	ret = 0;
	if (v[FS_CHAIN].set) {
		flt.spi = name_key(fs.names.chain, fs.names.n_chain,
				   v[FS_CHAIN].name);
		if (!flt.spi) {
			ctl_seterr("no such chain \"%s\"", v[FS_CHAIN].name);
			ret = -1;
		}
	}
	if (!ret && v[FS_INSTANCE].set) {
		flt.instance = name_key(fs.names.inst, fs.names.n_inst,
					v[FS_INSTANCE].name);
		if (!flt.instance) {
			ctl_seterr("no such instance \"%s\"",
				   v[FS_INSTANCE].name);
			ret = -1;
		}
	}
	if (ret) {
		names_free(&fs.names);
		return ret;
	}
	show_begin(&fs.s);
	ret = nl_flow_dump_filter(&flt, flow_one, &fs);
	ret = show_end(&fs.s, ret);
	names_free(&fs.names);
	return ret;
}

enum { FK_PROTO, FK_SRC, FK_SPORT, FK_DST, FK_DPORT, FK_MAX };

static const struct arg_spec flow_key_spec[FK_MAX] = {
	[FK_PROTO] = ARG_SPEC("proto", ARG_PROTO, ARG_REQ),
	[FK_SRC] = ARG_SPEC("src", ARG_ADDR, ARG_REQ),
	[FK_SPORT] = ARG_SPEC("sport", ARG_PORT, 0),
	[FK_DST] = ARG_SPEC("dst", ARG_ADDR, ARG_REQ),
	[FK_DPORT] = ARG_SPEC("dport", ARG_PORT, 0),
};

/* The key attributes (family, proto, addresses, ports) from v[FK_*];
 * the caller checked that src and dst are of one family.
 */
static void put_key(struct nlmsghdr *nlh, const struct arg_val *v)
{
	const struct ctl_addr *s = &v[FK_SRC].addr, *d = &v[FK_DST].addr;

	mnl_attr_put_u8(nlh, APSM_FLOW_A_FAMILY, s->family);
	mnl_attr_put_u8(nlh, APSM_FLOW_A_PROTO, v[FK_PROTO].u);
	mnl_attr_put(nlh, APSM_FLOW_A_SRC, s->family == AF_INET ? 4 : 16,
		     s->a);
	mnl_attr_put(nlh, APSM_FLOW_A_DST, d->family == AF_INET ? 4 : 16,
		     d->a);
	if (v[FK_SPORT].set)
		mnl_attr_put_u16(nlh, APSM_FLOW_A_SPORT, v[FK_SPORT].u);
	if (v[FK_DPORT].set)
		mnl_attr_put_u16(nlh, APSM_FLOW_A_DPORT, v[FK_DPORT].u);
}

static int flow_key_request(int argc, char **argv, uint8_t cmd,
			    struct flow_show *fs)
{
	struct arg_val v[FK_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, flow_key_spec, v))
		return -1;
	if (v[FK_SRC].addr.family != v[FK_DST].addr.family) {
		ctl_seterr("src and dst are of different address families");
		return -1;
	}
	if (nl_open())
		return -1;
	if (fs)
		names_load(&fs->names);
	nlh = nl_msg(cmd, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_FLOW);
	put_key(nlh, v);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, fs ? flow_msg : NULL, fs);
}

int cmd_flow_get(int argc, char **argv)
{
	struct flow_show fs = { 0 };
	int ret;

	show_begin(&fs.s);
	ret = flow_key_request(argc, argv, APSM_CMD_FLOW_GET, &fs);
	ret = show_end(&fs.s, ret);
	names_free(&fs.names);
	return ret;
}

int cmd_flow_del(int argc, char **argv)
{
	return flow_key_request(argc, argv, APSM_CMD_FLOW_DEL, NULL);
}

int cmd_flow_flush(int argc, char **argv)
{
	if (no_args(argc, argv) || nl_open())
		return -1;
	return nl_request(nl_msg(APSM_CMD_FLOW_FLUSH, 0), NULL, NULL);
}

enum {
	FI_DIR = FK_MAX, FI_SPI, FI_PATH, FI_ORIGIN, FI_VERSION, FI_MAX
};

static const struct arg_spec flow_install_spec[FI_MAX] = {
	[FK_PROTO] = ARG_SPEC("proto", ARG_PROTO, ARG_REQ),
	[FK_SRC] = ARG_SPEC("src", ARG_ADDR, ARG_REQ),
	[FK_SPORT] = ARG_SPEC("sport", ARG_PORT, ARG_REQ),
	[FK_DST] = ARG_SPEC("dst", ARG_ADDR, ARG_REQ),
	[FK_DPORT] = ARG_SPEC("dport", ARG_PORT, ARG_REQ),
	[FI_DIR] = ARG_CHOICES("dir", ARG_REQ, dir_names),
	[FI_SPI] = ARG_RANGE("spi", ARG_U32, ARG_REQ, 1, APSM_SPI_MAX),
	[FI_PATH] = ARG_RANGE("path", ARG_IDS, ARG_REQ, 0, APSM_PATH_MAX),
	[FI_ORIGIN] = ARG_RANGE("origin", ARG_U32, ARG_REQ, 1, UINT32_MAX),
	[FI_VERSION] = ARG_RANGE("version", ARG_U64, ARG_REQ, 1, UINT64_MAX),
};

int cmd_flow_install(int argc, char **argv)
{
	struct arg_val v[FI_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint64_t version;

	if (ARGS_PARSE(argc, argv, flow_install_spec, v))
		return -1;
	if (v[FK_SRC].addr.family != v[FK_DST].addr.family) {
		ctl_seterr("src and dst are of different address families");
		return -1;
	}
	if (nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_FLOW_INSTALL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_FLOW);
	put_key(nlh, v);
	mnl_attr_put_u8(nlh, APSM_FLOW_A_DIR, v[FI_DIR].u);
	mnl_attr_put_u32(nlh, APSM_FLOW_A_SPI, v[FI_SPI].u);
	mnl_attr_put(nlh, APSM_FLOW_A_PATH, v[FI_PATH].n * sizeof(uint32_t),
		     v[FI_PATH].ids);
	mnl_attr_put_u32(nlh, APSM_FLOW_A_ORIGIN, v[FI_ORIGIN].u);
	version = v[FI_VERSION].u;
	mnl_attr_put_u64(nlh, APSM_FLOW_A_VERSION, version);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}
