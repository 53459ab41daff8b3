// SPDX-License-Identifier: GPL-2.0
/*
 * The store client's pure parts: URL parsing, the prefix range end, the
 * JSON of requests (keys/values base64) and the decoding of answers and
 * watch messages as etcd's gateway writes them.
 */
#include <stdlib.h>

#include "../lib/catobj.h"
#include "../lib/store.h"
#include "unit.h"

static void test_url(void)
{
	char eps[STORE_EP_MAX][STORE_EP_LEN], err[STORE_ERR_LEN];

	CHECK(store_parse_url("etcd://10.0.0.5:2379,10.0.0.6:2380", eps, STORE_EP_MAX,
			      err, sizeof(err)) == 2, "%s", err);
	CHECK_STR(eps[0], "http://10.0.0.5:2379");
	CHECK_STR(eps[1], "http://10.0.0.6:2380");
	CHECK(store_parse_url("etcd://[::1]:2379", eps, STORE_EP_MAX, err,
			      sizeof(err)) == 1, "%s", err);
	CHECK_STR(eps[0], "http://[::1]:2379");
	CHECK(store_parse_url("localhost:1", eps, STORE_EP_MAX, err,
			      sizeof(err)) == 1, "%s", err);
	CHECK(store_parse_url("etcd://h", eps, STORE_EP_MAX, err, sizeof(err)) < 0,
	      "no port accepted");
	CHECK(strstr(err, "not HOST:PORT") != NULL, "%s", err);
	CHECK(store_parse_url("etcd://h:0", eps, STORE_EP_MAX, err, sizeof(err)) < 0,
	      "port 0");
	CHECK(store_parse_url("etcd://h:70000", eps, STORE_EP_MAX, err, sizeof(err)) < 0,
	      "port 70000");
	CHECK(store_parse_url("etcd://h:1,", eps, STORE_EP_MAX, err, sizeof(err)) < 0,
	      "empty endpoint");
	CHECK(store_parse_url("https://h:1", eps, STORE_EP_MAX, err, sizeof(err)) < 0,
	      "https");
	CHECK(store_parse_url("etcd://a:1,b:2,c:3", eps, 2, err, sizeof(err)) < 0,
	      "too many");
}

static void test_prefix_end(void)
{
	char out[16];

	store_prefix_end("/apsm/", out);
	CHECK_STR(out, "/apsm0");
	store_prefix_end("a\xff", out);
	CHECK_STR(out, "b");
	store_prefix_end("\xff", out);
	CHECK(out[0] == 0, "all 0xff: every key");
}

static void test_encode(void)
{
	struct store_cmp c = { .key = "k", .target = STORE_CMP_CREATE,
			       .result = STORE_CMP_EQUAL, .value = 0 };
	struct store_op op = { .key = "/a", .value = "xyz", .vlen = 3 };
	char *s;

	s = store_json_put("/a", "xyz", 3, 0);
	CHECK_STR(s, "{\"key\":\"L2E=\",\"value\":\"eHl6\"}");
	free(s);
	s = store_json_put("/a", "", 0, 7);
	CHECK_STR(s, "{\"key\":\"L2E=\",\"value\":\"\",\"lease\":\"7\"}");
	free(s);
	s = store_json_range("/apsm/", "/apsm0");
	CHECK_STR(s, "{\"key\":\"L2Fwc20v\",\"range_end\":\"L2Fwc20w\"}");
	free(s);
	s = store_json_txn(&c, 1, &op, 1);
	CHECK_STR(s, "{\"compare\":[{\"key\":\"aw==\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
		  "\"success\":[{\"request_put\":{\"key\":\"L2E=\",\"value\":\"eHl6\"}}]}");
	free(s);
	s = store_json_watch("/a", "/b", 12);
	CHECK_STR(s, "{\"create_request\":{\"key\":\"L2E=\",\"range_end\":\"L2I=\",\"start_revision\":\"12\"}}");
	free(s);
}

static void test_decode(void)
{
	struct store_range r;
	struct store_watch_msg m;
	char err[STORE_ERR_LEN];
	int64_t rev = 0;
	bool ok = true;

	CHECK(!store_parse_range("{\"header\":{\"cluster_id\":\"1\",\"revision\":\"9\"},"
				 "\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"3\",\"mod_revision\":\"8\","
				 "\"version\":\"2\",\"value\":\"eHl6\"}],\"count\":\"1\"}",
				 &r, err, sizeof(err)), "%s", err);
	CHECK(r.revision == 9 && r.n == 1, "rev %lld n %zu", (long long)r.revision, r.n);
	if (r.n == 1) {
		CHECK_STR(r.kvs[0].key, "/a");
		CHECK_STR(r.kvs[0].value, "xyz");
		CHECK(r.kvs[0].mod_rev == 8 && r.kvs[0].create_rev == 3, "revs");
	}
	store_range_free(&r);
	/* an empty range has no kvs at all */
	CHECK(!store_parse_range("{\"header\":{\"revision\":\"4\"}}", &r, err,
				 sizeof(err)) && r.n == 0 && r.revision == 4, "empty");
	CHECK(store_parse_range("{\"error\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}",
				&r, err, sizeof(err)) < 0, "error answer");
	CHECK(strstr(err, "compacted") != NULL, "%s", err);
	CHECK(store_parse_range("not json", &r, err, sizeof(err)) < 0, "garbage");
	CHECK(store_parse_range("{\"header\":{},\"kvs\":[{\"key\":\"!!\"}]}", &r, err,
				sizeof(err)) < 0, "bad base64");
	CHECK(!store_parse_header("{\"header\":{\"revision\":\"5\"}}", &rev, &ok,
				  err, sizeof(err)) && rev == 5 && !ok, "txn failed");
	CHECK(!store_parse_header("{\"header\":{\"revision\":\"6\"},\"succeeded\":true}",
				  &rev, &ok, err, sizeof(err)) && rev == 6 && ok,
	      "txn succeeded");

	CHECK(!store_parse_watch("{\"result\":{\"header\":{\"revision\":\"10\"},\"events\":["
				 "{\"kv\":{\"key\":\"L2E=\",\"mod_revision\":\"10\",\"value\":\"eHl6\"}},"
				 "{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2I=\",\"mod_revision\":\"10\"}}]}}",
				 &m, err, sizeof(err)), "%s", err);
	CHECK(m.n == 2 && m.revision == 10, "n %zu", m.n);
	if (m.n == 2) {
		CHECK(m.events[0].type == STORE_EV_PUT, "put");
		CHECK_STR(m.events[0].kv.value, "xyz");
		CHECK(m.events[1].type == STORE_EV_DELETE, "delete");
		CHECK_STR(m.events[1].kv.key, "/b");
	}
	store_watch_msg_free(&m);
	CHECK(!store_parse_watch("{\"result\":{\"header\":{\"revision\":\"20\"},\"canceled\":true,"
				 "\"compact_revision\":\"15\"}}", &m, err, sizeof(err)) &&
	      m.canceled && m.compact_revision == 15, "compacted");
	store_watch_msg_free(&m);
}

static void test_catobj(void)
{
	struct cat_obj o;

	CHECK(!cat_parse_line(CAT_SERVICE, "fw", &o), "%s", ctl_error());
	CHECK_STR(o.line, "fw stateful");
	CHECK(!cat_parse_line(CAT_CHAIN, "web return nat services fw,nat spi 7", &o),
	      "%s", ctl_error());
	CHECK_STR(o.line, "web spi 7 services fw,nat return nat");
	CHECK(o.n_refs == 3 && o.spi == 7, "refs %u", o.n_refs);
	CHECK(!cat_parse_line(CAT_POLICY, "chain web proto 6 dport 80 prio 5 src 10.1.0.0/16",
			      &o), "%s", ctl_error());
	CHECK_STR(o.line, "prio 5 src 10.1.0.0/16 proto tcp dport 80 chain web");
	CHECK_STR(o.name, "5");
	CHECK(!cat_parse_line(CAT_POLICY, "chain web", &o) && !o.prio_set, "no prio");
	CHECK(cat_parse_line(CAT_CHAIN, "web", &o) < 0, "chain without services");
	CHECK(cat_parse_line(CAT_POLICY, "src 10.0.0.0/8 dst ::/0 chain c", &o) < 0,
	      "mixed families");
	CHECK(cat_parse_line(CAT_SERVICE, "fw \"unterminated", &o) < 0, "quote");
}

void test_store(void)
{
	test_url();
	test_prefix_end();
	test_encode();
	test_decode();
	test_catobj();
}
