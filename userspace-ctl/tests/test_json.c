// SPDX-License-Identifier: GPL-2.0
/*
 * JSON writer: escaping and structure.
 */
#include <stdlib.h>

#include "../lib/json.h"
#include "unit.h"

/* Run fn on a memory stream, return what it wrote (static buffer). */
static const char *capture(void (*fn)(FILE *f, const void *arg),
			   const void *arg)
{
	static char out[1024];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, arg);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf ? buf : "");
	free(buf);
	return out;
}

static void do_escape(FILE *f, const void *arg)
{
	json_escape(f, arg);
}

static const char *esc(const char *s)
{
	return capture(do_escape, s);
}

static void do_doc(FILE *f, const void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_obj_open(&j);
	json_kv_u64(&j, "a", 1);
	json_key(&j, "b");
	json_arr_open(&j);
	json_u64(&j, 1);
	json_s64(&j, -2);
	json_obj_open(&j);
	json_kv_null(&j, "c");
	json_obj_close(&j);
	json_arr_close(&j);
	json_kv_str(&j, "d", "x");
	json_kv_str(&j, "e", NULL);
	json_kv_bool(&j, "f", true);
	json_kv_bool(&j, "g", false);
	json_key(&j, "h");
	json_arr_open(&j);
	json_arr_close(&j);
	json_key(&j, "i");
	json_obj_open(&j);
	json_obj_close(&j);
	json_kv_u64(&j, "max", UINT64_MAX);
	json_obj_close(&j);
}

static void do_array_of_objects(FILE *f, const void *arg)
{
	struct json j;
	int i;

	(void)arg;
	json_init(&j, f);
	json_arr_open(&j);
	for (i = 1; i <= 3; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "n", i);
		json_kv_str(&j, "s", "q\"");
		json_obj_close(&j);
	}
	json_arr_close(&j);
}

static void do_empty_array(FILE *f, const void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_arr_open(&j);
	json_arr_close(&j);
}

void test_json(void)
{
	CHECK_STR(esc(""), "\"\"");
	CHECK_STR(esc("plain fw-1.x_y"), "\"plain fw-1.x_y\"");
	CHECK_STR(esc("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(esc("/"), "\"/\"");
	CHECK_STR(esc("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
	CHECK_STR(esc("\x01\x1f"), "\"\\u0001\\u001f\"");
	CHECK_STR(esc("\x7f"), "\"\\u007f\"");
	/* valid UTF-8 passes through */
	CHECK_STR(esc("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	CHECK_STR(esc("\xe2\x82\xac"), "\"\xe2\x82\xac\"");
	CHECK_STR(esc("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
	/* invalid UTF-8 becomes U+FFFD, byte by byte */
	CHECK_STR(esc("a\xff" "b"), "\"a\\ufffdb\"");
	CHECK_STR(esc("\xc0\x80"), "\"\\ufffd\\ufffd\"");
	CHECK_STR(esc("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR(esc("\xc3"), "\"\\ufffd\"");
	CHECK_STR(esc("\xe2\x82"), "\"\\ufffd\\ufffd\"");
	CHECK_STR(esc("\xf4\x90\x80\x80"),
		  "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR(esc("\xf8\x88\x80\x80\x80"),
		  "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");

	CHECK_STR(capture(do_doc, NULL),
		  "{\"a\":1,\"b\":[1,-2,{\"c\":null}],\"d\":\"x\",\"e\":null,"
		  "\"f\":true,\"g\":false,\"h\":[],\"i\":{},"
		  "\"max\":18446744073709551615}");
	CHECK_STR(capture(do_array_of_objects, NULL),
		  "[{\"n\":1,\"s\":\"q\\\"\"},{\"n\":2,\"s\":\"q\\\"\"},"
		  "{\"n\":3,\"s\":\"q\\\"\"}]");
	CHECK_STR(capture(do_empty_array, NULL), "[]");
}
