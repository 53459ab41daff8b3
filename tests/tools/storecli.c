// SPDX-License-Identifier: GPL-2.0
/*
 * storecli: lib/store.c from the shell, for tests/host/store-etcd.sh.
 *
 *   storecli URL put KEY VALUE
 *   storecli URL get PREFIX              "KEY=VALUE" lines, then "rev N"
 *   storecli URL lease-put KEY VALUE TTL grant a lease, put under it, exit
 *                                        (no keepalive: the key expires)
 *   storecli URL watch PREFIX REV N MS   print the first N events from REV
 *                                        ("PUT KEY=VALUE" / "DELETE KEY"),
 *                                        exit 0; 1 if MS ms pass first, or
 *                                        "canceled, compact revision N"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static long want, seen;

static int on_msg(const struct store_watch_msg *m, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < m->n && seen < want; i++, seen++) {
		if (m->events[i].type == STORE_EV_PUT)
			printf("PUT %s=%s\n", m->events[i].kv.key,
			       m->events[i].kv.value);
		else
			printf("DELETE %s\n", m->events[i].kv.key);
		fflush(stdout);
	}
	return seen >= want;
}

int main(int argc, char **argv)
{
	char err[STORE_ERR_LEN];
	struct store *s;
	int64_t lease, rev;
	int ret = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: storecli URL put|get|lease-put|watch ...\n");
		return 2;
	}
	s = store_open(argv[1], err, sizeof(err));
	if (!s) {
		fprintf(stderr, "storecli: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[2], "put") && argc == 5) {
		ret = store_put(s, argv[3], argv[4], 0, NULL) ? 1 : 0;
	} else if (!strcmp(argv[2], "get") && argc == 4) {
		struct store_range r;
		size_t i;

		if (!store_get_prefix(s, argv[3], &r)) {
			for (i = 0; i < r.n; i++)
				printf("%s=%s\n", r.kvs[i].key, r.kvs[i].value);
			printf("rev %lld\n", (long long)r.revision);
			store_range_free(&r);
			ret = 0;
		}
	} else if (!strcmp(argv[2], "lease-put") && argc == 6) {
		ret = store_lease_grant(s, atol(argv[5]), &lease) ||
		      store_put(s, argv[3], argv[4], lease, NULL) ? 1 : 0;
	} else if (!strcmp(argv[2], "watch") && argc == 7) {
		want = atol(argv[5]);
		rev = atoll(argv[4]);
		int64_t compact = 0;

		ret = store_watch(s, argv[3], rev, on_msg, NULL, NULL,
				  atol(argv[6]), &compact);
		if (ret == -2)
			printf("canceled, compact revision %lld\n",
			       (long long)compact);
		ret = ret == 1 ? 0 : 1;
	} else {
		fprintf(stderr, "storecli: bad arguments\n");
		store_close(s);
		return 2;
	}
	if (ret)
		fprintf(stderr, "storecli: %s\n", store_error(s));
	store_close(s);
	return ret;
}
