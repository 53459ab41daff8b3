// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd v3 client over the HTTP/JSON gateway: libcurl for HTTP, json-c
 * for JSON. See store.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "store.h"

#define STORE_TIMEOUT_MS	3000
#define STORE_CONNECT_MS	1000

struct store {
	CURL *curl;
	char eps[STORE_EP_MAX][STORE_EP_LEN];
	int n_eps, cur;
	long timeout_ms;
	char err[STORE_ERR_LEN];
};

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ base64 */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_enc(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

/* malloc'd, NUL-terminated, length in *len; NULL on bad input. */
static char *b64_dec(const char *in, size_t *len)
{
	size_t n = strlen(in), i;
	char *out = malloc(n / 4 * 3 + 4), *o = out;
	unsigned int acc = 0, bits = 0;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		int v;

		if (in[i] == '=')
			break;
		v = b64_val(in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	*o = 0;
	*len = o - out;
	return out;
}

/* ------------------------------------------------------------ URL */

int store_parse_url(const char *url, char eps[][STORE_EP_LEN], int max,
		    char *err, size_t errlen)
{
	const char *p = url, *end;
	int n = 0;

	if (!strncmp(p, "etcd://", 7))
		p += 7;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	else if (strstr(p, "://")) {
		seterr(err, errlen, "store URL \"%s\": only etcd:// (or http://) is supported",
		       url);
		return -1;
	}
	while (1) {
		const char *colon, *host = p;
		size_t hlen;
		char *pe;
		long port;

		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (host[0] == '[') {
			const char *rb = memchr(host, ']', end - host);

			if (!rb || rb + 1 >= end || rb[1] != ':') {
				seterr(err, errlen, "store URL \"%s\": IPv6 endpoint needs [ADDR]:PORT",
				       url);
				return -1;
			}
			colon = rb + 1;
		} else {
			colon = memchr(host, ':', end - host);
		}
		hlen = colon ? (size_t)(colon - host) : 0;
		if (!colon || !hlen || end - colon < 2) {
			seterr(err, errlen, "store URL \"%s\": endpoint \"%.*s\" is not HOST:PORT",
			       url, (int)(end - p), p);
			return -1;
		}
		port = strtol(colon + 1, &pe, 10);
		if (pe != end || port < 1 || port > 65535 ||
		    !isdigit((unsigned char)colon[1])) {
			seterr(err, errlen, "store URL \"%s\": bad port in \"%.*s\"",
			       url, (int)(end - p), p);
			return -1;
		}
		if (memchr(host, '/', hlen) || hlen > 255) {
			seterr(err, errlen, "store URL \"%s\": bad host in \"%.*s\"",
			       url, (int)(end - p), p);
			return -1;
		}
		if (n == max) {
			seterr(err, errlen, "store URL \"%s\": more than %d endpoints",
			       url, max);
			return -1;
		}
		snprintf(eps[n++], STORE_EP_LEN, "http://%.*s:%ld", (int)hlen,
			 host, port);
		if (!*end)
			break;
		p = end + 1;
	}
	return n;
}

void store_prefix_end(const char *prefix, char *out)
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n + 1);
	while (n > 0) {
		unsigned char c = out[n - 1];

		if (c < 0xff) {
			out[n - 1] = (char)(c + 1);
			out[n] = 0;
			return;
		}
		n--;
	}
	out[0] = 0;	/* every key: etcd's "\0" range end */
}

/* ------------------------------------------------------------ JSON */

static void add_b64(struct json_object *o, const char *name, const char *s,
		    size_t len)
{
	char *e = b64_enc(s, len);

	json_object_object_add(o, name, json_object_new_string(e ? e : ""));
	free(e);
}

/* int64 as etcd's gateway writes it: a string. */
static void add_i64(struct json_object *o, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_object_object_add(o, name, json_object_new_string(buf));
}

static char *to_text(struct json_object *o)
{
	char *s = o ? strdup(json_object_to_json_string_ext(o,
					JSON_C_TO_STRING_PLAIN)) : NULL;

	json_object_put(o);
	return s;
}

static struct json_object *put_obj(const char *key, const char *value,
				   size_t vlen, int64_t lease)
{
	struct json_object *o = json_object_new_object();

	add_b64(o, "key", key, strlen(key));
	add_b64(o, "value", value, vlen);
	if (lease)
		add_i64(o, "lease", lease);
	return o;
}

static struct json_object *range_obj(const char *key, const char *range_end)
{
	struct json_object *o = json_object_new_object();

	add_b64(o, "key", key, strlen(key));
	/* "\0" as range end (every key >= key) is the single byte 0 */
	if (range_end)
		add_b64(o, "range_end", range_end,
			range_end[0] ? strlen(range_end) : 1);
	return o;
}

char *store_json_put(const char *key, const char *value, size_t vlen,
		     int64_t lease)
{
	return to_text(put_obj(key, value, vlen, lease));
}

char *store_json_range(const char *key, const char *range_end)
{
	return to_text(range_obj(key, range_end));
}

char *store_json_deleterange(const char *key, const char *range_end)
{
	return to_text(range_obj(key, range_end));
}

char *store_json_txn(const struct store_cmp *cmp, size_t ncmp,
		     const struct store_op *ops, size_t nops)
{
	static const char *const target[] = { "MOD", "CREATE", "VERSION" };
	static const char *const field[] = { "mod_revision", "create_revision",
					     "version" };
	static const char *const result[] = { "EQUAL", "LESS", "GREATER",
					      "NOT_EQUAL" };
	struct json_object *o = json_object_new_object();
	struct json_object *ca = json_object_new_array();
	struct json_object *sa = json_object_new_array();
	size_t i;

	for (i = 0; i < ncmp; i++) {
		struct json_object *c = range_obj(cmp[i].key, cmp[i].range_end);

		json_object_object_add(c, "target",
			json_object_new_string(target[cmp[i].target]));
		json_object_object_add(c, "result",
			json_object_new_string(result[cmp[i].result]));
		add_i64(c, field[cmp[i].target], cmp[i].value);
		json_object_array_add(ca, c);
	}
	for (i = 0; i < nops; i++) {
		struct json_object *r = json_object_new_object();

		if (ops[i].del)
			json_object_object_add(r, "request_delete_range",
				range_obj(ops[i].key, ops[i].range_end));
		else
			json_object_object_add(r, "request_put",
				put_obj(ops[i].key, ops[i].value, ops[i].vlen,
					ops[i].lease));
		json_object_array_add(sa, r);
	}
	json_object_object_add(o, "compare", ca);
	json_object_object_add(o, "success", sa);
	return to_text(o);
}

char *store_json_watch(const char *key, const char *range_end,
		       int64_t start_rev)
{
	struct json_object *o = json_object_new_object();
	struct json_object *c = range_obj(key, range_end);

	if (start_rev > 0)
		add_i64(c, "start_revision", start_rev);
	json_object_object_add(o, "create_request", c);
	return to_text(o);
}

static int64_t get_i64(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v))
		return 0;
	return json_object_get_int64(v);	/* also parses "123" */
}

static bool get_bool(struct json_object *o, const char *name)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, name, &v) &&
	       json_object_get_boolean(v);
}

/* An error answer ({"error": ..., "message": ...}) as text. */
static bool is_error(struct json_object *o, char *err, size_t errlen)
{
	struct json_object *m;

	if (json_object_object_get_ex(o, "message", &m) ||
	    json_object_object_get_ex(o, "error", &m)) {
		if (json_object_is_type(m, json_type_object)) {
			struct json_object *mm;

			/* the streaming calls: {"error":{"message":...}} */
			if (json_object_object_get_ex(m, "message", &mm))
				m = mm;
		}
		seterr(err, errlen, "store refused: %s",
		       json_object_get_string(m));
		return true;
	}
	return false;
}

static int kv_from(struct json_object *o, struct store_kv *kv, char *err,
		   size_t errlen)
{
	struct json_object *k, *v;
	size_t klen;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_object_get_ex(o, "key", &k) ||
	    !(kv->key = b64_dec(json_object_get_string(k), &klen))) {
		seterr(err, errlen, "store answer: key missing or not base64");
		return -1;
	}
	if (json_object_object_get_ex(o, "value", &v))
		kv->value = b64_dec(json_object_get_string(v), &kv->vlen);
	else
		kv->value = strdup("");
	if (!kv->value) {
		free(kv->key);
		kv->key = NULL;
		seterr(err, errlen, "store answer: value not base64");
		return -1;
	}
	kv->create_rev = get_i64(o, "create_revision");
	kv->mod_rev = get_i64(o, "mod_revision");
	kv->version = get_i64(o, "version");
	kv->lease = get_i64(o, "lease");
	return 0;
}

static void kv_free(struct store_kv *kv)
{
	free(kv->key);
	free(kv->value);
}

void store_range_free(struct store_range *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		kv_free(&r->kvs[i]);
	free(r->kvs);
	r->kvs = NULL;
	r->n = 0;
}

static struct json_object *parse_text(const char *json, char *err,
				      size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		seterr(err, errlen, "store answer is not a JSON object: \"%.60s\"",
		       json);
		return NULL;
	}
	if (is_error(o, err, errlen)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int store_parse_range(const char *json, struct store_range *out, char *err,
		      size_t errlen)
{
	struct json_object *o = parse_text(json, err, errlen), *h, *kvs;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!o)
		return -1;
	if (!json_object_object_get_ex(o, "header", &h)) {
		json_object_put(o);
		seterr(err, errlen, "store answer has no header");
		return -1;
	}
	out->revision = get_i64(h, "revision");
	if (json_object_object_get_ex(o, "kvs", &kvs) &&
	    json_object_is_type(kvs, json_type_array)) {
		n = json_object_array_length(kvs);
		out->kvs = calloc(n ? n : 1, sizeof(*out->kvs));
		for (i = 0; out->kvs && i < n; i++) {
			if (kv_from(json_object_array_get_idx(kvs, i),
				    &out->kvs[out->n], err, errlen)) {
				store_range_free(out);
				json_object_put(o);
				return -1;
			}
			out->n++;
		}
	}
	json_object_put(o);
	return 0;
}

int store_parse_header(const char *json, int64_t *revision, bool *succeeded,
		       char *err, size_t errlen)
{
	struct json_object *o = parse_text(json, err, errlen), *h;

	if (!o)
		return -1;
	if (!json_object_object_get_ex(o, "header", &h)) {
		json_object_put(o);
		seterr(err, errlen, "store answer has no header");
		return -1;
	}
	if (revision)
		*revision = get_i64(h, "revision");
	if (succeeded)
		*succeeded = get_bool(o, "succeeded");
	json_object_put(o);
	return 0;
}

static int watch_from(struct json_object *o, struct store_watch_msg *m,
		      char *err, size_t errlen)
{
	struct json_object *r, *h, *evs;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	if (is_error(o, err, errlen))
		return -1;
	if (!json_object_object_get_ex(o, "result", &r)) {
		seterr(err, errlen, "watch message has no result");
		return -1;
	}
	if (json_object_object_get_ex(r, "header", &h))
		m->revision = get_i64(h, "revision");
	m->created = get_bool(r, "created");
	m->canceled = get_bool(r, "canceled");
	m->compact_revision = get_i64(r, "compact_revision");
	if (json_object_object_get_ex(r, "events", &evs) &&
	    json_object_is_type(evs, json_type_array)) {
		n = json_object_array_length(evs);
		m->events = calloc(n ? n : 1, sizeof(*m->events));
		for (i = 0; m->events && i < n; i++) {
			struct json_object *e = json_object_array_get_idx(evs, i);
			struct json_object *t, *kv;
			struct store_event *ev = &m->events[m->n];

			if (!json_object_object_get_ex(e, "kv", &kv) ||
			    kv_from(kv, &ev->kv, err, errlen)) {
				seterr(err, errlen, "watch event without a valid kv");
				store_watch_msg_free(m);
				return -1;
			}
			/* PUT is the zero value: absent from the JSON */
			ev->type = json_object_object_get_ex(e, "type", &t) &&
				   !strcmp(json_object_get_string(t), "DELETE") ?
				   STORE_EV_DELETE : STORE_EV_PUT;
			m->n++;
		}
	}
	return 0;
}

int store_parse_watch(const char *json, struct store_watch_msg *m, char *err,
		      size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);
	int ret;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		memset(m, 0, sizeof(*m));
		seterr(err, errlen, "watch message is not a JSON object");
		return -1;
	}
	ret = watch_from(o, m, err, errlen);
	json_object_put(o);
	return ret;
}

void store_watch_msg_free(struct store_watch_msg *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		kv_free(&m->events[i].kv);
	free(m->events);
	m->events = NULL;
	m->n = 0;
}

/* ------------------------------------------------------------ HTTP */

struct buf {
	char *p;
	size_t len, cap;
};

static size_t buf_write(char *data, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t n = sz * nm;

	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return n;
}

struct store *store_open(const char *url, char *err, size_t errlen)
{
	static bool inited;
	struct store *s = calloc(1, sizeof(*s));

	if (!s) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->n_eps = store_parse_url(url, s->eps, STORE_EP_MAX, err, errlen);
	if (s->n_eps < 0) {
		free(s);
		return NULL;
	}
	if (!inited) {
		/* the first call, from main before any thread: not thread-safe */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = true;
	}
	s->curl = curl_easy_init();
	if (!s->curl) {
		free(s);
		seterr(err, errlen, "curl_easy_init failed");
		return NULL;
	}
	s->timeout_ms = STORE_TIMEOUT_MS;
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	curl_easy_cleanup(s->curl);
	free(s);
}

const char *store_error(const struct store *s)
{
	return s->err;
}

void store_set_timeout(struct store *s, long ms)
{
	s->timeout_ms = ms;
}

/* Prepare the handle for a POST of body to ep + path. */
static void setup(struct store *s, int ep, const char *path, const char *body,
		  struct curl_slist *hdr)
{
	char url[STORE_EP_LEN + 64];

	snprintf(url, sizeof(url), "%s%s", s->eps[ep], path);
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)STORE_CONNECT_MS);
	curl_easy_setopt(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PROXY, "");	/* never a proxy */
}

/*
 * POST body to path on the endpoints in turn, from the one that answered
 * last; the answer (any HTTP status: the gateway explains refusals in
 * JSON) in *out (malloc'd). 0 or -1 (s->err: every endpoint failed).
 */
static int post(struct store *s, const char *path, char *body, char **out)
{
	struct curl_slist *hdr = curl_slist_append(NULL,
				"Content-Type: application/json");
	char first[600] = "";
	int i;

	*out = NULL;
	if (!body) {
		curl_slist_free_all(hdr);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	for (i = 0; i < s->n_eps; i++) {
		int ep = (s->cur + i) % s->n_eps;
		struct buf b = { 0 };
		long code = 0;
		CURLcode rc;

		setup(s, ep, path, body, hdr);
		curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, s->timeout_ms);
		curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, buf_write);
		curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &b);
		rc = curl_easy_perform(s->curl);
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK && b.p && code != 404 && code < 500) {
			s->cur = ep;
			*out = b.p;
			curl_slist_free_all(hdr);
			free(body);
			return 0;
		}
		if (!first[0]) {
			if (rc != CURLE_OK)
				snprintf(first, sizeof(first), "%.200s: %.200s",
					 s->eps[ep], curl_easy_strerror(rc));
			else
				snprintf(first, sizeof(first), "%.200s%.40s: HTTP %ld%s%.80s",
					 s->eps[ep], path, code,
					 b.p ? ": " : "", b.p ? b.p : "");
		}
		free(b.p);
	}
	if (s->n_eps > 1)
		snprintf(s->err, sizeof(s->err),
			 "store unreachable (%d endpoints), first: %s",
			 s->n_eps, first);
	else
		snprintf(s->err, sizeof(s->err), "store unreachable: %s", first);
	curl_slist_free_all(hdr);
	free(body);
	return -1;
}

int store_put(struct store *s, const char *key, const char *value,
	      int64_t lease, int64_t *revision)
{
	char *ans;
	int ret;

	if (post(s, "/v3/kv/put", store_json_put(key, value, strlen(value),
						 lease), &ans))
		return -1;
	ret = store_parse_header(ans, revision, NULL, s->err, sizeof(s->err));
	free(ans);
	return ret;
}

static int range(struct store *s, const char *key, const char *end,
		 struct store_range *out)
{
	char *ans;
	int ret;

	memset(out, 0, sizeof(*out));
	if (post(s, "/v3/kv/range", store_json_range(key, end), &ans))
		return -1;
	ret = store_parse_range(ans, out, s->err, sizeof(s->err));
	free(ans);
	return ret;
}

int store_get_prefix(struct store *s, const char *prefix,
		     struct store_range *out)
{
	char end[strlen(prefix) + 2];

	store_prefix_end(prefix, end);
	return range(s, prefix, end, out);
}

int store_get(struct store *s, const char *key, struct store_range *out)
{
	return range(s, key, NULL, out);
}

int store_delete(struct store *s, const char *key, bool prefix,
		 int64_t *revision)
{
	char end[strlen(key) + 2], *ans;
	int ret;

	store_prefix_end(key, end);
	if (post(s, "/v3/kv/deleterange",
		 store_json_deleterange(key, prefix ? end : NULL), &ans))
		return -1;
	ret = store_parse_header(ans, revision, NULL, s->err, sizeof(s->err));
	free(ans);
	return ret;
}

int store_txn(struct store *s, const struct store_cmp *cmp, size_t ncmp,
	      const struct store_op *ops, size_t nops, bool *succeeded,
	      int64_t *revision)
{
	char *ans;
	int ret;

	if (post(s, "/v3/kv/txn", store_json_txn(cmp, ncmp, ops, nops), &ans))
		return -1;
	ret = store_parse_header(ans, revision, succeeded, s->err,
				 sizeof(s->err));
	free(ans);
	return ret;
}

static char *lease_body(const char *name, int64_t v)
{
	struct json_object *o = json_object_new_object();

	add_i64(o, name, v);
	return to_text(o);
}

int store_lease_grant(struct store *s, int64_t ttl_s, int64_t *id)
{
	struct json_object *o;
	char *ans;

	if (post(s, "/v3/lease/grant", lease_body("TTL", ttl_s), &ans))
		return -1;
	o = parse_text(ans, s->err, sizeof(s->err));
	free(ans);
	if (!o)
		return -1;
	*id = get_i64(o, "ID");
	json_object_put(o);
	if (!*id) {
		snprintf(s->err, sizeof(s->err), "lease grant: no lease ID");
		return -1;
	}
	return 0;
}

int store_lease_keepalive(struct store *s, int64_t id, int64_t *ttl_s)
{
	struct json_object *o, *r;
	char *ans;

	if (post(s, "/v3/lease/keepalive", lease_body("ID", id), &ans))
		return -1;
	o = parse_text(ans, s->err, sizeof(s->err));
	free(ans);
	if (!o)
		return -1;
	/* a streaming call: the answer is in "result" */
	if (!json_object_object_get_ex(o, "result", &r))
		r = o;
	*ttl_s = get_i64(r, "TTL");
	json_object_put(o);
	if (*ttl_s <= 0) {
		snprintf(s->err, sizeof(s->err), "lease %llx has expired",
			 (unsigned long long)id);
		return -1;
	}
	return 0;
}

int store_lease_revoke(struct store *s, int64_t id)
{
	char *ans;
	int ret;

	if (post(s, "/v3/lease/revoke", lease_body("ID", id), &ans))
		return -1;
	ret = store_parse_header(ans, NULL, NULL, s->err, sizeof(s->err));
	free(ans);
	return ret;
}

/* ------------------------------------------------------------ watch */

struct watch_ctx {
	struct store *s;
	struct buf b;
	struct json_tokener *tok;
	store_watch_cb cb;
	bool (*stop)(void *arg);
	void *arg;
	struct timespec t0;
	long max_ms;
	int result;		/* 1 stopped, 0 time up, -2 canceled, -1 error */
	bool done, got;
	int64_t compact;
};

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static size_t watch_write(char *data, size_t sz, size_t nm, void *arg)
{
	struct watch_ctx *w = arg;
	size_t n = sz * nm, off = 0;

	w->got = true;
	while (off < n && !w->done) {
		struct json_object *o;
		struct store_watch_msg m;

		while (off < n && isspace((unsigned char)data[off]))
			off++;
		if (off == n)
			break;
		o = json_tokener_parse_ex(w->tok, data + off, (int)(n - off));
		if (!o) {
			if (json_tokener_get_error(w->tok) == json_tokener_continue)
				break;	/* consumed all: the rest comes later */
			snprintf(w->s->err, sizeof(w->s->err),
				 "watch stream: bad JSON: %s",
				 json_tokener_error_desc(json_tokener_get_error(w->tok)));
			w->result = -1;
			w->done = true;
			return 0;
		}
		off += json_tokener_get_parse_end(w->tok);
		json_tokener_reset(w->tok);
		if (watch_from(o, &m, w->s->err, sizeof(w->s->err))) {
			json_object_put(o);
			w->result = -1;
			w->done = true;
			return 0;
		}
		json_object_put(o);
		if (m.canceled) {
			w->compact = m.compact_revision;
			if (m.compact_revision)
				snprintf(w->s->err, sizeof(w->s->err),
					 "watch canceled: revision compacted (compact revision %lld)",
					 (long long)m.compact_revision);
			else
				snprintf(w->s->err, sizeof(w->s->err),
					 "watch canceled by the store");
			w->result = -2;
			w->done = true;
		} else if (w->cb(&m, w->arg)) {
			w->result = 1;
			w->done = true;
		}
		store_watch_msg_free(&m);
	}
	return w->done ? 0 : n;
}

static int watch_progress(void *arg, curl_off_t dt, curl_off_t dn,
			  curl_off_t ut, curl_off_t un)
{
	struct watch_ctx *w = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (w->done)
		return 1;
	if (w->stop && w->stop(w->arg)) {
		w->result = 1;
		w->done = true;
		return 1;
	}
	if (w->max_ms > 0 && elapsed_ms(&w->t0) >= w->max_ms) {
		w->result = 0;
		w->done = true;
		return 1;
	}
	return 0;
}

int store_watch(struct store *s, const char *prefix, int64_t start_rev,
		store_watch_cb cb, bool (*stop)(void *arg), void *arg,
		long max_ms, int64_t *compact_rev)
{
	struct curl_slist *hdr = curl_slist_append(NULL,
				"Content-Type: application/json");
	char end[strlen(prefix) + 2], *body;
	struct watch_ctx w = { .s = s, .cb = cb, .stop = stop, .arg = arg,
			       .max_ms = max_ms };
	int i, ret = -1;

	store_prefix_end(prefix, end);
	body = store_json_watch(prefix, end, start_rev);
	w.tok = json_tokener_new();
	if (!body || !w.tok) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &w.t0);
	for (i = 0; i < s->n_eps; i++) {
		int ep = (s->cur + i) % s->n_eps;
		CURLcode rc;

		setup(s, ep, "/v3/watch", body, hdr);
		curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, watch_write);
		curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &w);
		curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION,
				 watch_progress);
		curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, &w);
		w.got = false;
		rc = curl_easy_perform(s->curl);
		if (w.done) {
			s->cur = ep;
			ret = w.result;
			goto out;
		}
		if (w.got) {
			/* it answered, then the stream broke: the store went away */
			snprintf(s->err, sizeof(s->err), "%.200s: watch stream ended: %.200s",
				 s->eps[ep], rc == CURLE_OK ? "closed by the store" :
				 curl_easy_strerror(rc));
			goto out;
		}
		snprintf(s->err, sizeof(s->err), "store unreachable: %.200s: %.200s",
			 s->eps[ep], curl_easy_strerror(rc));
	}
out:
	if (ret == -2 && compact_rev)
		*compact_rev = w.compact;
	free(body);
	free(w.b.p);
	if (w.tok)
		json_tokener_free(w.tok);
	curl_slist_free_all(hdr);
	return ret;
}
