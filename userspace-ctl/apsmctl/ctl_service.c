// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl service add | del | show: NF types.
 */
#include <stdio.h>

#include "apsmctl.h"
#include "catobj.h"

static const uint8_t service_kind[APSM_SERVICE_A_MAX + 1] = {
	[APSM_SERVICE_A_NAME] = NLK_STR,
	[APSM_SERVICE_A_STATEFUL] = NLK_U8,
	[APSM_SERVICE_A_INSTANCES] = NLK_U32,
	[APSM_SERVICE_A_LB_SIZE] = NLK_U32,
};

static const struct arg_spec service_del_spec[] = {
	ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
};

/* The arguments are those of the cluster catalogue (lib/catobj.c): one
 * parser and one request builder for the command line, -b batches,
 * apsmctl --store and apsmd's catalogue.
 */
int cmd_service_add(int argc, char **argv)
{
	struct cat_obj o;
	struct nlmsghdr *nlh;

	if (cat_parse(CAT_SERVICE, argc, argv, &o) || nl_open())
		return -1;
	nlh = cat_nl_add(&o);
	return nlh ? nl_request(nlh, NULL, NULL) : -1;
}

int cmd_service_del(int argc, char **argv)
{
	struct arg_val v[1];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (ARGS_PARSE(argc, argv, service_del_spec, v) || nl_open())
		return -1;
	nlh = nl_msg(APSM_CMD_SERVICE_DEL, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_SERVICE);
	mnl_attr_put_strz(nlh, APSM_SERVICE_A_NAME, v[0].name);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nlh, NULL, NULL);
}

void print_service(const struct nlattr *nest, struct json *j)
{
	const struct nlattr *tb[APSM_SERVICE_A_MAX + 1];
	const char *name;
	bool stateful;

	nl_parse_nest(nest, service_kind, APSM_SERVICE_A_MAX, tb);
	name = nl_str(tb[APSM_SERVICE_A_NAME]);
	stateful = !tb[APSM_SERVICE_A_STATEFUL] ||
		   nl_u8(tb[APSM_SERVICE_A_STATEFUL]);
	if (j) {
		json_obj_open(j);
		json_kv_str(j, "name", name);
		json_kv_bool(j, "stateful", stateful);
		json_kv_u64(j, "instances",
			    nl_u32(tb[APSM_SERVICE_A_INSTANCES]));
		json_kv_u64(j, "lb_size", nl_u32(tb[APSM_SERVICE_A_LB_SIZE]));
		json_obj_close(j);
		return;
	}
	printf("%s %s instances %u lb-size %u", name ? name : "?",
	       stateful ? "stateful" : "stateless",
	       nl_u32(tb[APSM_SERVICE_A_INSTANCES]),
	       nl_u32(tb[APSM_SERVICE_A_LB_SIZE]));
}

static int service_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *nest = nl_attr(nlh, APSM_A_SERVICE);
	struct json *j = show_json(arg);

	if (!nest)
		return 0;
	print_service(nest, j);
	if (!j)
		fputc('\n', stdout);
	return 0;
}

int cmd_service_show(int argc, char **argv)
{
	struct show s;

	if (no_args(argc, argv) || nl_open())
		return -1;
	show_begin(&s);
	return show_end(&s, nl_dump(nl_msg(APSM_CMD_SERVICE_GET, 0),
				    service_one, &s));
}
