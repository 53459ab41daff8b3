// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl --store URL [--prefix P]: the cluster catalogue in etcd.
 *
 *   service|chain|policy add ARGS   same grammar as the local commands
 *   service|chain|policy del NAME   (policy: del prio N)
 *   service|chain|policy show
 *   node show                       the nodes' applied catalogue revisions
 *
 * A write reads the catalogue (PREFIX/catalog/...) at revision R, checks
 * the change against it (names exist, are not in use, SPIs are unique),
 * and commits with a txn that holds only if no catalogue key changed after
 * R and every key it depends on still has the revision it was checked at;
 * if another writer came between, it reads and checks again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apsmctl.h"
#include "catobj.h"
#include "store.h"

#define TXN_RETRIES	5
#define PRIO_STEP	100

const char *ctl_store_url;
const char *ctl_store_prefix = "/apsm/default";

static struct store *st;

static int open_store(void)
{
	char err[STORE_ERR_LEN];

	if (st)
		return 0;
	st = store_open(ctl_store_url, err, sizeof(err));
	if (!st) {
		ctl_seterr("%s", err);
		return -1;
	}
	return 0;
}

static void key_of(char *buf, size_t len, enum cat_kind k, const char *name)
{
	snprintf(buf, len, "%s/catalog/%s/%s", ctl_store_prefix,
		 cat_kind_name[k], name);
}

/* The catalogue at one revision, parsed. */
struct cat {
	struct store_range r;
	int64_t rev;
};

static int cat_read(struct cat *c)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/catalog/", ctl_store_prefix);
	if (store_get_prefix(st, p, &c->r)) {
		ctl_seterr("%s", store_error(st));
		return -1;
	}
	c->rev = c->r.revision;
	return 0;
}

/* The kv of kind/name, or NULL. */
static const struct store_kv *cat_find(const struct cat *c, enum cat_kind k,
				       const char *name)
{
	char key[300];
	size_t i;

	key_of(key, sizeof(key), k, name);
	for (i = 0; i < c->r.n; i++)
		if (!strcmp(c->r.kvs[i].key, key))
			return &c->r.kvs[i];
	return NULL;
}

/* Call fn for every object of kind k in c (parsed; unparsable skipped). */
static int cat_each(const struct cat *c, enum cat_kind k,
		    int (*fn)(const struct cat_obj *o, void *arg), void *arg)
{
	char pfx[300];
	struct cat_obj *o = malloc(sizeof(*o));
	size_t i, n;
	int ret = 0;

	if (!o)
		return -1;
	n = snprintf(pfx, sizeof(pfx), "%s/catalog/%s/", ctl_store_prefix,
		     cat_kind_name[k]);
	for (i = 0; !ret && i < c->r.n; i++) {
		if (strncmp(c->r.kvs[i].key, pfx, n) ||
		    cat_parse_line(k, c->r.kvs[i].value, o))
			continue;
		ret = fn(o, arg);
	}
	free(o);
	return ret;
}

static bool refs(const struct cat_obj *o, const char *name)
{
	unsigned int i;

	for (i = 0; i < o->n_refs; i++)
		if (!strcmp(o->refs[i], name))
			return true;
	return false;
}

struct use {
	const char *name;
	char user[APSM_NAME_MAX];
	uint32_t spi;
	uint8_t *spis;		/* chain: SPIs in use (bitmap of 1..4096) */
	uint64_t max_prio;
	bool any_prio;
};

static int find_user(const struct cat_obj *o, void *arg)
{
	struct use *u = arg;

	if (refs(o, u->name)) {
		snprintf(u->user, sizeof(u->user), "%s", o->name);
		return 1;
	}
	return 0;
}

static int find_spi(const struct cat_obj *o, void *arg)
{
	struct use *u = arg;

	if (u->spi && o->spi == u->spi) {
		snprintf(u->user, sizeof(u->user), "%s", o->name);
		return 1;
	}
	if (o->spi && o->spi <= 4096)
		u->spis[o->spi - 1] = 1;
	return 0;
}

static int find_prio(const struct cat_obj *o, void *arg)
{
	struct use *u = arg;

	if (o->v[0].u >= u->max_prio || !u->any_prio)
		u->max_prio = o->v[0].u;
	u->any_prio = true;
	return 0;
}

/*
 * Check o against c, completing it (a chain's SPI, a policy's prio), and
 * fill the compares: every referenced key at its checked revision.
 */
static int check_add(struct cat_obj *o, const struct cat *c,
		     struct store_cmp *cmp, char (*keys)[300], size_t *ncmp)
{
	const enum cat_kind refkind = o->kind == CAT_CHAIN ? CAT_SERVICE :
				      CAT_CHAIN;
	unsigned int i;

	if (o->kind == CAT_POLICY && !o->prio_set) {
		struct use u = { 0 };

		cat_each(c, CAT_POLICY, find_prio, &u);
		if (u.any_prio && u.max_prio + PRIO_STEP > UINT32_MAX) {
			ctl_seterr("no room after the last rule (prio %llu): give prio",
				   (unsigned long long)u.max_prio);
			return -1;
		}
		cat_set_prio(o, u.any_prio ? u.max_prio + PRIO_STEP : PRIO_STEP);
	}
	if (cat_find(c, o->kind, o->name)) {
		ctl_seterr("%s \"%s\" exists in the store", cat_kind_name[o->kind],
			   o->name);
		return -1;
	}
	if (o->kind == CAT_CHAIN) {
		uint8_t spis[4096] = { 0 };
		struct use u = { .spi = o->spi, .spis = spis };

		if (cat_each(c, CAT_CHAIN, find_spi, &u)) {
			ctl_seterr("spi %u is chain \"%s\"'s in the store", o->spi,
				   u.user);
			return -1;
		}
		if (!o->spi) {
			/* SPIs are cluster-wide: the store assigns them */
			char *argv[64], line[CAT_LINE_MAX + 16], spi[16];
			unsigned int s;
			int argc;

			for (s = 1; s <= 4096 && spis[s - 1]; s++)
				;
			snprintf(spi, sizeof(spi), " spi %u", s);
			/* name first, then spi, then the rest */
			snprintf(line, sizeof(line), "%s%s%s", o->name, spi,
				 o->line + strlen(o->name));
			argc = split_line(line, argv, 64);
			if (argc < 0 || cat_parse(CAT_CHAIN, argc, argv, o))
				return -1;
		}
	}
	for (i = 0; o->kind != CAT_SERVICE && i < o->n_refs; i++) {
		const struct store_kv *kv = cat_find(c, refkind, o->refs[i]);

		if (!kv) {
			ctl_seterr("unknown %s \"%s\" (not in the store)",
				   cat_kind_name[refkind], o->refs[i]);
			return -1;
		}
		snprintf(keys[*ncmp], 300, "%s", kv->key);
		cmp[*ncmp] = (struct store_cmp){ .key = keys[*ncmp],
			.target = STORE_CMP_MOD, .result = STORE_CMP_EQUAL,
			.value = kv->mod_rev };
		(*ncmp)++;
	}
	return 0;
}

static int check_del(enum cat_kind k, const char *name, const struct cat *c,
		     struct store_cmp *cmp, char (*keys)[300], size_t *ncmp)
{
	const struct store_kv *kv = cat_find(c, k, name);
	struct use u = { .name = name };

	if (!kv) {
		ctl_seterr("%s \"%s\" is not in the store", cat_kind_name[k],
			   name);
		return -1;
	}
	if (k != CAT_POLICY && cat_each(c, k + 1, find_user, &u)) {
		ctl_seterr("%s \"%s\" is in use by %s \"%s\"", cat_kind_name[k],
			   name, cat_kind_name[k + 1], u.user);
		return -1;
	}
	snprintf(keys[*ncmp], 300, "%s", kv->key);
	cmp[*ncmp] = (struct store_cmp){ .key = keys[*ncmp],
		.target = STORE_CMP_MOD, .result = STORE_CMP_EQUAL,
		.value = kv->mod_rev };
	(*ncmp)++;
	return 0;
}

/* add (o != NULL) or delete kind/name, checked, in one txn. */
static int write_obj(struct cat_obj *o, enum cat_kind k, const char *name)
{
	static char keys[2 * APSM_PATH_MAX + 2][300];
	struct store_cmp cmp[2 * APSM_PATH_MAX + 2];
	char pfx[300], end[302], key[300];
	int tries;

	snprintf(pfx, sizeof(pfx), "%s/catalog/", ctl_store_prefix);
	store_prefix_end(pfx, end);
	for (tries = 0; tries < TXN_RETRIES; tries++) {
		struct cat c;
		struct store_op op = { 0 };
		size_t ncmp = 0;
		bool ok = false;
		int ret;

		if (cat_read(&c))
			return -1;
		ret = o ? check_add(o, &c, cmp, keys, &ncmp) :
			  check_del(k, name, &c, cmp, keys, &ncmp);
		store_range_free(&c.r);
		if (ret)
			return -1;
		/* no catalogue key written since the read ... */
		cmp[ncmp++] = (struct store_cmp){ .key = pfx, .range_end = end,
			.target = STORE_CMP_MOD, .result = STORE_CMP_LESS,
			.value = c.rev + 1 };
		if (o) {
			key_of(key, sizeof(key), o->kind, o->name);
			/* ... and the new key does not exist */
			cmp[ncmp++] = (struct store_cmp){ .key = key,
				.target = STORE_CMP_CREATE,
				.result = STORE_CMP_EQUAL, .value = 0 };
			op = (struct store_op){ .key = key, .value = o->line,
						.vlen = strlen(o->line) };
		} else {
			key_of(key, sizeof(key), k, name);
			op = (struct store_op){ .del = true, .key = key };
		}
		if (store_txn(st, cmp, ncmp, &op, 1, &ok, NULL)) {
			ctl_seterr("%s", store_error(st));
			return -1;
		}
		if (ok)
			return 0;
	}
	ctl_seterr("the catalogue kept changing under this write (%d tries): try again",
		   TXN_RETRIES);
	return -1;
}

static int show_kind(enum cat_kind k)
{
	struct store_range r;
	struct show s;
	char pfx[300];
	size_t i, n;

	n = snprintf(pfx, sizeof(pfx), "%s/catalog/%s/", ctl_store_prefix,
		     cat_kind_name[k]);
	if (store_get_prefix(st, pfx, &r)) {
		ctl_seterr("%s", store_error(st));
		return -1;
	}
	show_begin(&s);
	for (i = 0; i < r.n; i++) {
		struct json *j = show_json(&s);

		if (j) {
			json_obj_open(j);
			json_kv_str(j, "name", r.kvs[i].key + n);
			json_kv_str(j, "args", r.kvs[i].value);
			json_kv_u64(j, "revision", r.kvs[i].mod_rev);
			json_obj_close(j);
		} else {
			printf("%s\n", r.kvs[i].value);
		}
	}
	store_range_free(&r);
	return show_end(&s, 0);
}

/* node show: PREFIX/status/ID values are JSON written by apsmd. */
static int node_show(void)
{
	struct store_range r;
	struct cat c;
	char pfx[300];
	size_t i;

	if (cat_read(&c))
		return -1;
	store_range_free(&c.r);
	snprintf(pfx, sizeof(pfx), "%s/status/", ctl_store_prefix);
	if (store_get_prefix(st, pfx, &r)) {
		ctl_seterr("%s", store_error(st));
		return -1;
	}
	if (ctl_json) {
		printf("{\"revision\":%lld,\"nodes\":[", (long long)c.rev);
		for (i = 0; i < r.n; i++)
			printf("%s%s", i ? "," : "", r.kvs[i].value);
		printf("]}\n");
	} else {
		printf("catalogue revision %lld\n", (long long)c.rev);
		for (i = 0; i < r.n; i++)
			printf("%s\n", r.kvs[i].value);
	}
	store_range_free(&r);
	return 0;
}

static int store_cmd(int argc, char **argv);

/* Run one command on the store; a failure's message names it
 * ("chain add: unknown service ..."), as the local commands' do.
 */
int ctl_store_dispatch(int argc, char **argv)
{
	char err[600];

	if (!store_cmd(argc, argv))
		return 0;
	snprintf(err, sizeof(err), "%s", ctl_error());
	if (argc > 1)
		ctl_seterr("%s %s: %s", argv[0], argv[1], err);
	else if (argc == 1)
		ctl_seterr("%s: %s", argv[0], err);
	return -1;
}

static int store_cmd(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "show";
	struct cat_obj *o;
	char name[APSM_NAME_MAX];
	int k, ret;

	if (argc < 1) {
		ctl_seterr("missing OBJECT");
		return -1;
	}
	if (!strcmp(cmd, "list") || !strcmp(cmd, "ls"))
		cmd = "show";
	if (!strcmp(cmd, "delete"))
		cmd = "del";
	if (!strcmp(argv[0], "node")) {
		if (strcmp(cmd, "show")) {
			ctl_seterr("node: with --store only \"node show\"");
			return -1;
		}
		if (no_args(argc > 2 ? argc - 2 : 0, argv + 2) ||
		    open_store())
			return -1;
		return node_show();
	}
	k = cat_kind_parse(argv[0]);
	if (k < 0) {
		ctl_seterr("\"%s\" is not in the cluster catalogue (service, chain, policy, node show)",
			   argv[0]);
		return -1;
	}
	if (argc > 1) {
		argc -= 2;
		argv += 2;
	} else {
		argc = 0;
		argv += 1;
	}
	if (!strcmp(cmd, "show")) {
		if (no_args(argc, argv) || open_store())
			return -1;
		return show_kind(k);
	}
	if (!strcmp(cmd, "del")) {
		/* parsed before the store is asked anything */
		if (cat_parse_del(k, argc, argv, name) || open_store())
			return -1;
		return write_obj(NULL, k, name);
	}
	if (strcmp(cmd, "add")) {
		ctl_seterr("%s: unknown command \"%s\" with --store (add, del, show)",
			   cat_kind_name[k], cmd);
		return -1;
	}
	o = malloc(sizeof(*o));
	if (!o) {
		ctl_seterr("out of memory");
		return -1;
	}
	ret = cat_parse(k, argc, argv, o) || open_store() ||
	      write_obj(o, k, o->name) ? -1 : 0;
	free(o);
	return ret;
}
