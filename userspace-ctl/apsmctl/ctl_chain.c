// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl chain add | del | show: service chains (SPI + service list).
 */
#include <stdio.h>

#include "apsmctl.h"
#include "catobj.h"

static const uint8_t chain_kind[APSM_CHAIN_A_MAX + 1] = {
	[APSM_CHAIN_A_NAME] = NLK_STR,
	[APSM_CHAIN_A_SPI] = NLK_U32,
	[APSM_CHAIN_A_SERVICES] = NLK_NEST,
	[APSM_CHAIN_A_RETURN] = NLK_NEST,
};

static const struct arg_spec chain_del_spec[] = {
	ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
};

/* The arguments are those of the cluster catalogue (lib/catobj.c), as
 * for service add.
 */
int cmd_chain_add(int argc, char **argv)
{
	struct cat_obj o;
	struct nlmsghdr *nlh;

	if (cat_parse(CAT_CHAIN, argc, argv, &o) || nl_open())
		return -1;
	nlh = cat_nl_add(&o);
	return nlh ? nl_request(nlh, NULL, NULL) : -1;
}

int cmd_chain_del(int argc, char **argv)
{
	struct arg_val v[1];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, chain_del_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_CHAIN_DEL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_CHAIN);
	mnl_attr_put_strz(nlh, APSM_CHAIN_A_NAME, v[0].name);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

void chain_key(const struct nlattr *nest, uint32_t *spi, const char **name)
{
	const struct nlattr *tb[APSM_CHAIN_A_MAX + 1];

	nl_parse_nest(nest, chain_kind, APSM_CHAIN_A_MAX, tb);
	*spi = nl_u32(tb[APSM_CHAIN_A_SPI]);
	*name = nl_str(tb[APSM_CHAIN_A_NAME]);
}

/* The names of a list nest: JSON array, or "a,b,c" as text. */
static void print_list(const struct nlattr *list, struct json *j)
{
	const struct nlattr *a;
	bool first = true;

	if (j)
		json_arr_open(j);
	mnl_attr_for_each_nested(a, list) {
		if (mnl_attr_get_type(a) != APSM_LIST_A_NAME ||
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			continue;
		if (j)
			json_str(j, mnl_attr_get_str(a));
		else
			printf("%s%s", first ? "" : ",", mnl_attr_get_str(a));
		first = false;
	}
	if (j)
		json_arr_close(j);
	else if (first)
		printf("-");
}

void print_chain(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_CHAIN_A_MAX + 1];
	const char *name;

	nl_parse_nest(nest, chain_kind, APSM_CHAIN_A_MAX, tb);
	name = nl_str(tb[APSM_CHAIN_A_NAME]);
	if (j) {
		json_obj_open(j);
		json_kv_str(j, "name", name);
		json_kv_u64(j, "spi", nl_u32(tb[APSM_CHAIN_A_SPI]));
		json_key(j, "services");
		print_list(tb[APSM_CHAIN_A_SERVICES], j);
		json_key(j, "return");
		if (tb[APSM_CHAIN_A_RETURN])
			print_list(tb[APSM_CHAIN_A_RETURN], j);
		else
			json_null(j);
		json_obj_close(j);
		return;
	}
	printf("%s spi %u services ", name ? name : "?",
	       nl_u32(tb[APSM_CHAIN_A_SPI]));
	if (tb[APSM_CHAIN_A_SERVICES])
		print_list(tb[APSM_CHAIN_A_SERVICES], NULL);
	else
		printf("-");
	if (tb[APSM_CHAIN_A_RETURN]) {
		printf(" return ");
		print_list(tb[APSM_CHAIN_A_RETURN], NULL);
	}
}

static int chain_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_CHAIN);
	struct json *j = show_json(arg);

	if (!nest)
		return 0;
	print_chain(nest, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

int cmd_chain_show(int argc, char **argv)
{
	struct show s;

	if (no_args(argc, argv) || nl_open())
		return -1;
	show_begin(&s);
	return show_end(&s, nl_dump(nl_msg(APSM_CMD_CHAIN_GET, 0), chain_one,
				    &s));
}
