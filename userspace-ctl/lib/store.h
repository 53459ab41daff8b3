/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cluster store client (lib/store.c): etcd v3 through its HTTP/JSON
 * gateway (POST /v3/kv/put, /v3/kv/range, /v3/kv/deleterange, /v3/kv/txn,
 * /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke, /v3/watch), with
 * libcurl for HTTP and json-c for JSON. Keys and values are base64 on the
 * wire and plain byte strings here. A request goes to the endpoints in
 * order until one answers; the one that answered is tried first next time.
 *
 * One struct store per thread (it owns a curl handle). Every call returns
 * 0 on success or -1 with a one-line reason in store_error(); none keeps a
 * lock or a global.
 *
 * The pure parts (URL parsing, request encoding, response decoding) are
 * exported for the unit tests (userspace-ctl/tests/test_store.c).
 */
#ifndef APSM_STORE_H
#define APSM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_EP_MAX	8
#define STORE_EP_LEN	280	/* "http://" HOST ":" PORT */
#define STORE_ERR_LEN	1024

struct store;

/* One key: key and value NUL-terminated (value may hold NULs: vlen). */
struct store_kv {
	char *key;
	char *value;
	size_t vlen;
	int64_t create_rev, mod_rev, version, lease;
};

/* A range answer: its kvs and the store's revision when it was read. */
struct store_range {
	struct store_kv *kvs;
	size_t n;
	int64_t revision;
};

void store_range_free(struct store_range *r);

/* ------------------------------------------------------------ URL */

/* etcd://HOST:PORT[,HOST:PORT...] (also http://, and a bare HOST:PORT
 * list): the endpoints as "http://HOST:PORT" into eps. IPv6 as [ADDR]:PORT.
 * Returns the count (1..max), or -1 with the reason in err.
 */
int store_parse_url(const char *url, char eps[][STORE_EP_LEN], int max,
		    char *err, size_t errlen);

/* The end of the range of all keys starting with prefix (etcd's
 * "prefix + 1": last byte incremented, trailing 0xff dropped) into out
 * (size >= strlen(prefix) + 1); "\0" (every key) when prefix is all 0xff.
 */
void store_prefix_end(const char *prefix, char *out);

/* ------------------------------------------------------------ JSON */

/* Request bodies (malloc'd JSON text, NULL on allocation failure). */
char *store_json_put(const char *key, const char *value, size_t vlen,
		     int64_t lease);
/* range_end NULL: the single key; "" : no range_end either. */
char *store_json_range(const char *key, const char *range_end);
char *store_json_deleterange(const char *key, const char *range_end);

/* A txn: if every compare holds, run the success ops, else nothing. */
enum store_cmp_target { STORE_CMP_MOD, STORE_CMP_CREATE, STORE_CMP_VERSION };
enum store_cmp_result { STORE_CMP_EQUAL, STORE_CMP_LESS, STORE_CMP_GREATER,
			STORE_CMP_NOT_EQUAL };

struct store_cmp {
	const char *key;
	const char *range_end;	/* NULL: just key */
	enum store_cmp_target target;
	enum store_cmp_result result;
	int64_t value;		/* the revision or version compared with */
};

struct store_op {
	bool del;		/* deleterange, else put */
	const char *key;
	const char *range_end;	/* del only, NULL: just key */
	const char *value;	/* put only */
	size_t vlen;
	int64_t lease;
};

char *store_json_txn(const struct store_cmp *cmp, size_t ncmp,
		     const struct store_op *ops, size_t nops);
char *store_json_watch(const char *key, const char *range_end,
		       int64_t start_rev);

/* Decode a range response into out. 0 or -1 (err). */
int store_parse_range(const char *json, struct store_range *out, char *err,
		      size_t errlen);
/* The header revision of a response (put, delete, txn), and for a txn
 * whether it succeeded (may be NULL). 0 or -1 (err: also an error answer
 * such as {"error":...}).
 */
int store_parse_header(const char *json, int64_t *revision, bool *succeeded,
		       char *err, size_t errlen);

/* One watch message of the stream. */
enum store_ev_type { STORE_EV_PUT, STORE_EV_DELETE };

struct store_event {
	enum store_ev_type type;
	struct store_kv kv;	/* for a delete: key and mod_rev only */
};

struct store_watch_msg {
	int64_t revision;	/* header revision */
	bool created, canceled;
	int64_t compact_revision;	/* > 0: the start revision was compacted */
	struct store_event *events;
	size_t n;
};

int store_parse_watch(const char *json, struct store_watch_msg *m, char *err,
		      size_t errlen);
void store_watch_msg_free(struct store_watch_msg *m);

/* ------------------------------------------------------------ client */

/* Connect lazily: this only parses url. NULL with the reason in err. */
struct store *store_open(const char *url, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_error(const struct store *s);
/* Per-request timeout in ms (default 3000). */
void store_set_timeout(struct store *s, long ms);

int store_put(struct store *s, const char *key, const char *value,
	      int64_t lease, int64_t *revision);
/* Every key under prefix (range_end = store_prefix_end), sorted by key. */
int store_get_prefix(struct store *s, const char *prefix,
		     struct store_range *out);
/* One key: out->n is 0 or 1. */
int store_get(struct store *s, const char *key, struct store_range *out);
/* prefix: every key under it, else the single key. */
int store_delete(struct store *s, const char *key, bool prefix,
		 int64_t *revision);
/* *succeeded says whether the compares held (ops ran). */
int store_txn(struct store *s, const struct store_cmp *cmp, size_t ncmp,
	      const struct store_op *ops, size_t nops, bool *succeeded,
	      int64_t *revision);

int store_lease_grant(struct store *s, int64_t ttl_s, int64_t *id);
/* The remaining TTL in *ttl_s; a lease that has expired is an error. */
int store_lease_keepalive(struct store *s, int64_t id, int64_t *ttl_s);
int store_lease_revoke(struct store *s, int64_t id);

/*
 * Watch every key under prefix from start_rev on: cb gets each message
 * (events in revision order) and returns 0 to go on, non-zero to stop.
 * Returns when cb stops it (1), when stop(arg) returns true (checked in
 * curl's progress callback, about once a second or more often; 1), after
 * max_ms if > 0 (0), on a canceled watch (-2, compact revision in
 * *compact_rev when it was compacted), or on an error (-1: store
 * unreachable, stream broken).
 */
typedef int (*store_watch_cb)(const struct store_watch_msg *m, void *arg);
int store_watch(struct store *s, const char *prefix, int64_t start_rev,
		store_watch_cb cb, bool (*stop)(void *arg), void *arg,
		long max_ms, int64_t *compact_rev);

#endif /* APSM_STORE_H */
