// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl flow changes [from SEQ] [limit N]: the kernel's change feed
 * (lib/feed.h) from a cursor: FIRST, NEXT, whether the cursor was behind
 * (changes lost), then every change with its seq, cause and op.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apsmctl.h"
#include "feed.h"

static const char *const cause_names[] = {
	"insert", "install", "delete", "flush", "expire", "peer-del",
};

static const char *const op_names[] = { "new", "del" };

static const char *feed_name(const char *const *names, unsigned int n,
			     uint8_t v, char buf[4])
{
	if (v >= 1 && v <= n)
		return names[v - 1];
	snprintf(buf, 4, "%u", v);
	return buf;
}

struct feed_out {
	struct json *j;		/* -j: into this array */
	FILE *f;		/* else lines of text to this */
};

/* One change, to j or as a line of text. */
static int feed_one(const struct nlattr *flow, void *arg)
{
	const struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	char sb[CTL_ADDR_STRLEN], db[CTL_ADDR_STRLEN], cb[4], ob[4], pb[4];
	const struct feed_out *out = arg;
	struct json *j = out->j;
	const char *cause, *op, *proto, *src, *dst;
	uint32_t path[APSM_PATH_MAX];
	unsigned int npath = 0, i;
	uint8_t d;

	nl_parse_nest(flow, nl_flow_kind, APSM_FLOW_A_MAX, tb);
	cause = feed_name(cause_names, 6, nl_u8(tb[APSM_FLOW_A_CAUSE]), cb);
	op = feed_name(op_names, 2, nl_u8(tb[APSM_FLOW_A_OP]), ob);
	proto = proto_name(nl_u8(tb[APSM_FLOW_A_PROTO]));
	if (!proto) {
		snprintf(pb, sizeof(pb), "%u", nl_u8(tb[APSM_FLOW_A_PROTO]));
		proto = pb;
	}
	src = flow_addr(tb[APSM_FLOW_A_SRC], sb);
	dst = flow_addr(tb[APSM_FLOW_A_DST], db);
	if (!src)
		src = "?";
	if (!dst)
		dst = "?";
	d = nl_u8(tb[APSM_FLOW_A_DIR]);
	if (tb[APSM_FLOW_A_PATH]) {
		npath = mnl_attr_get_payload_len(tb[APSM_FLOW_A_PATH]) /
			sizeof(uint32_t);
		if (npath > APSM_PATH_MAX)
			npath = APSM_PATH_MAX;
		memcpy(path, mnl_attr_get_payload(tb[APSM_FLOW_A_PATH]),
		       npath * sizeof(uint32_t));
	}
	if (j) {
		json_obj_open(j);
		json_kv_u64(j, "seq", nl_u64(tb[APSM_FLOW_A_SEQ]));
		json_kv_str(j, "cause", cause);
		json_kv_str(j, "op", op);
		json_kv_str(j, "dir", d == APSM_DIR_FORWARD ? "forward" :
				      d == APSM_DIR_RETURN ? "return" : "?");
		json_kv_str(j, "proto", proto);
		json_kv_str(j, "src", src);
		json_kv_u64(j, "sport", nl_u16(tb[APSM_FLOW_A_SPORT]));
		json_kv_str(j, "dst", dst);
		json_kv_u64(j, "dport", nl_u16(tb[APSM_FLOW_A_DPORT]));
		json_kv_u64(j, "spi", nl_u32(tb[APSM_FLOW_A_SPI]));
		json_key(j, "path");
		json_arr_open(j);
		for (i = 0; i < npath; i++)
			json_u64(j, path[i]);
		json_arr_close(j);
		json_kv_u64(j, "origin", nl_u32(tb[APSM_FLOW_A_ORIGIN]));
		json_kv_u64(j, "version", nl_u64(tb[APSM_FLOW_A_VERSION]));
		json_obj_close(j);
		return 0;
	}
	fprintf(out->f, "seq %llu cause %s op %s dir %s proto %s src %s sport %u dst %s dport %u spi %u path ",
	       (unsigned long long)nl_u64(tb[APSM_FLOW_A_SEQ]), cause, op,
	       d == APSM_DIR_FORWARD ? "forward" :
	       d == APSM_DIR_RETURN ? "return" : "?", proto, src,
	       nl_u16(tb[APSM_FLOW_A_SPORT]), dst,
	       nl_u16(tb[APSM_FLOW_A_DPORT]), nl_u32(tb[APSM_FLOW_A_SPI]));
	for (i = 0; i < npath; i++)
		fprintf(out->f, "%s%u", i ? "," : "", path[i]);
	if (!npath)
		fputc('-', out->f);
	fprintf(out->f, " origin %u version %llu\n", nl_u32(tb[APSM_FLOW_A_ORIGIN]),
	       (unsigned long long)nl_u64(tb[APSM_FLOW_A_VERSION]));
	return 0;
}

enum { FC_FROM, FC_LIMIT, FC_MAX };

static const struct arg_spec feed_spec[FC_MAX] = {
	[FC_FROM] = ARG_RANGE("from", ARG_U64, 0, 0, UINT64_MAX),
	[FC_LIMIT] = ARG_RANGE("limit", ARG_U32, 0, 0, UINT32_MAX),
};

int cmd_flow_changes(int argc, char **argv)
{
	struct arg_val v[FC_MAX];
	struct nl_feed_info info;
	struct json j, outer;
	struct feed_out fo;
	char *body = NULL;
	size_t len = 0;
	FILE *mem;
	int n;

	if (ARGS_PARSE(argc, argv, feed_spec, v) || nl_open())
		return -1;
	/* The changes come before FIRST and NEXT are known: keep them. */
	mem = open_memstream(&body, &len);
	if (!mem) {
		ctl_seterr("out of memory");
		return -1;
	}
	if (ctl_json) {
		json_init(&j, mem);
		json_arr_open(&j);
	}
	fo.j = ctl_json ? &j : NULL;
	fo.f = mem;
	n = nl_feed_read(v[FC_FROM].u, v[FC_LIMIT].u, feed_one, &fo, &info);
	if (n >= 0 && ctl_json)
		json_arr_close(&j);
	fclose(mem);
	if (n < 0) {
		free(body);
		return -1;
	}
	if (ctl_json) {
		json_init(&outer, stdout);
		json_obj_open(&outer);
		json_kv_u64(&outer, "first", info.first);
		json_kv_u64(&outer, "next", info.next);
		json_kv_bool(&outer, "behind", info.behind);
		json_kv_u64(&outer, "cursor", info.cursor);
		json_kv_u64(&outer, "count", (unsigned int)n);
		json_key(&outer, "changes");
		json_raw(&outer, body);
		json_obj_close(&outer);
		fputc('\n', stdout);
	} else {
		printf("first %llu next %llu behind %s cursor %llu count %d\n",
		       (unsigned long long)info.first,
		       (unsigned long long)info.next,
		       info.behind ? "yes" : "no",
		       (unsigned long long)info.cursor, n);
		fputs(body, stdout);
	}
	free(body);
	return 0;
}
