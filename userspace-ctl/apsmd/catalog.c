// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster catalogue on this node (see catalog.h, Documentation/cluster.md).
 *
 * The store thread owns the store connection: it reads PREFIX/catalog/
 * fully, then watches it from the read revision, keeps the whole desired
 * catalogue, and hands a copy of it with its revision to the main loop
 * (latest wins, eventfd wakeup). It also keeps PREFIX/status/NODEID (the
 * applied revision) under a lease. Store unreachable: counted, retried
 * with backoff, the kernel is left as it is (fail-static), and on return
 * the catalogue is read fully again (also after a compaction).
 *
 * The main loop reconciles the kernel with the desired catalogue: deletes
 * first (policies, chains, services), then adds (services, chains,
 * policies). Only objects apsmd created are deleted or replaced: it lists
 * them in CatalogState ("KIND add ARGS" lines, the catalogue file format),
 * so objects made by hand with apsmctl are never touched.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "catobj.h"
#include "core.h"
#include "nl.h"
#include "store.h"

#define LEASE_TTL_S	10
#define WATCH_SLICE_MS	1000
#define BACKOFF_MIN_MS	200
#define BACKOFF_MAX_MS	5000

/* One catalogue entry: kind, name (key), canonical args. */
struct ent {
	int kind;
	char name[APSM_NAME_MAX];
	char *line;
};

struct set {
	struct ent *e;
	size_t n, cap;
};

static const struct apsmd_conf *conf;
static struct set applied;		/* main loop: what apsmd made */
static int efd = -1;

/* ------------------------------------------------------------ sets */

static void set_clear(struct set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->e[i].line);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

static struct ent *set_find(const struct set *s, int kind, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].kind == kind && !strcmp(s->e[i].name, name))
			return &s->e[i];
	return NULL;
}

/* Insert or replace. 0 or -1. */
static int set_put(struct set *s, int kind, const char *name, const char *line)
{
	struct ent *e = set_find(s, kind, name);
	char *l = strdup(line);

	if (!l)
		return -1;
	if (e) {
		free(e->line);
		e->line = l;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct ent *n = realloc(s->e, cap * sizeof(*n));

		if (!n) {
			free(l);
			return -1;
		}
		s->e = n;
		s->cap = cap;
	}
	e = &s->e[s->n++];
	e->kind = kind;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->line = l;
	return 0;
}

static void set_del(struct set *s, int kind, const char *name)
{
	struct ent *e = set_find(s, kind, name);

	if (!e)
		return;
	free(e->line);
	*e = s->e[--s->n];
}

static int set_copy(struct set *dst, const struct set *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->n; i++)
		if (set_put(dst, src->e[i].kind, src->e[i].name,
			    src->e[i].line)) {
			set_clear(dst);
			return -1;
		}
	return 0;
}

/* ------------------------------------------------------------ files */

/* Lines "KIND add ARGS" into s (policies without prio get the last + 100,
 * as apsmctl gives them). 0, or -1 with the reason logged.
 */
static int read_lines(const char *file, struct set *s, bool must_exist)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, *argv[64];
	unsigned long lineno = 0;
	uint64_t last_prio = 0;
	struct cat_obj *o;
	size_t cap = 0;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		apsmd_log("catalogue: %s: %s", file, strerror(errno));
		return -1;
	}
	o = malloc(sizeof(*o));
	while (o && !ret && getline(&line, &cap, f) >= 0) {
		int argc, k;

		lineno++;
		argc = split_line(line, argv, 64);
		if (argc == 0)
			continue;
		if (argc < 2 || (k = cat_kind_parse(argv[0])) < 0 ||
		    strcmp(argv[1], "add")) {
			ctl_seterr("not \"service|chain|policy add ...\"");
			argc = -1;
		}
		if (argc < 0 || cat_parse(k, argc - 2, argv + 2, o)) {
			apsmd_log("catalogue: %s:%lu: %s", file, lineno,
				  ctl_error());
			ret = -1;
			break;
		}
		if (k == CAT_POLICY) {
			if (!o->prio_set)
				cat_set_prio(o, last_prio + 100);
			last_prio = o->v[0].u;
		}
		if (set_put(s, k, o->name, o->line))
			ret = -1;
	}
	free(o);
	free(line);
	fclose(f);
	if (ret)
		set_clear(s);
	return ret;
}

static void state_save(void)
{
	char tmp[300], dir[256], *slash;
	size_t i;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", conf->catalog_state);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", conf->catalog_state);
	f = fopen(tmp, "w");
	if (!f) {
		apsmd_log("catalogue: %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f, "# apsmd %u: the catalogue objects it created (do not edit)\n",
		conf->id);
	for (i = 0; i < applied.n; i++)
		fprintf(f, "%s add %s\n", cat_kind_name[applied.e[i].kind],
			applied.e[i].line);
	if (fclose(f) || rename(tmp, conf->catalog_state))
		apsmd_log("catalogue: %s: %s", conf->catalog_state,
			  strerror(errno));
}

/* ------------------------------------------------------------ reconcile */

static bool names(const char *line, int kind, const char *name)
{
	struct cat_obj *o = malloc(sizeof(*o));
	bool ret = false;
	unsigned int i;

	if (o && !cat_parse_line(kind, line, o))
		for (i = 0; i < o->n_refs; i++)
			if (!strcmp(o->refs[i], name))
				ret = true;
	free(o);
	return ret;
}

static void count_error(const char *what, int kind, const char *name)
{
	apsmd_ctr.catalog_apply_errors++;
	apsmd_dirty = true;
	apsmd_log("catalogue: %s %s %s: %s", what, cat_kind_name[kind], name,
		  ctl_error());
}

/* Make the kernel hold want (for what apsmd manages). */
static void reconcile(const struct set *want, int64_t rev)
{
	bool *drop = calloc(applied.n + 1, sizeof(bool));
	struct cat_obj *o = malloc(sizeof(*o));
	size_t i, j;
	int k;

	if (!drop || !o) {
		free(drop);
		free(o);
		return;
	}
	/* gone or changed; then what names a dropped object (a chain of a
	 * dropped service, a policy of a dropped chain) goes too, and comes
	 * back below if still wanted
	 */
	for (i = 0; i < applied.n; i++) {
		const struct ent *w = set_find(want, applied.e[i].kind,
					       applied.e[i].name);

		drop[i] = !w || strcmp(w->line, applied.e[i].line);
	}
	for (k = CAT_SERVICE; k < CAT_POLICY; k++)
		for (i = 0; i < applied.n; i++) {
			if (!drop[i] || applied.e[i].kind != k)
				continue;
			for (j = 0; j < applied.n; j++)
				if (applied.e[j].kind == k + 1 &&
				    names(applied.e[j].line, k + 1,
					  applied.e[i].name))
					drop[j] = true;
		}
	for (k = CAT_POLICY; k >= CAT_SERVICE; k--)
		for (i = applied.n; i-- > 0;) {
			struct nlmsghdr *nlh;

			if (!drop[i] || applied.e[i].kind != k)
				continue;
			nlh = cat_nl_del(k, applied.e[i].name);
			if (nlh && nl_request(nlh, NULL, NULL) &&
			    nl_errno() != ENOENT) {
				count_error("delete", k, applied.e[i].name);
				continue;	/* still ours: retried next time */
			}
			apsmd_log("catalogue: deleted %s %s", cat_kind_name[k],
				  applied.e[i].name);
			free(applied.e[i].line);
			applied.e[i] = applied.e[--applied.n];
			drop[i] = drop[applied.n];
		}
	for (k = CAT_SERVICE; k <= CAT_POLICY; k++)
		for (i = 0; i < want->n; i++) {
			const struct ent *w = &want->e[i];
			struct nlmsghdr *nlh;

			if (w->kind != k || set_find(&applied, k, w->name))
				continue;
			if (cat_parse_line(k, w->line, o)) {
				count_error("invalid", k, w->name);
				continue;
			}
			nlh = cat_nl_add(o);
			if (!nlh || nl_request(nlh, NULL, NULL)) {
				if (nlh && nl_errno() == EEXIST)
					ctl_seterr("exists on this node and was not made by apsmd: left alone");
				count_error("create", k, w->name);
				continue;
			}
			apsmd_log("catalogue: created %s %s", cat_kind_name[k],
				  w->name);
			set_put(&applied, k, w->name, w->line);
		}
	free(drop);
	free(o);
	state_save();
	apsmd_ctr.catalog_applies++;
	if (rev >= 0)
		apsmd_ctr.catalog_applied_rev = rev;
	apsmd_dirty = true;
}

/* ------------------------------------------------------------ store thread */

static pthread_t thr;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool stop_flag;			/* under lock */
static struct set *pending;		/* under lock: the latest catalogue */
static int64_t pending_rev;
static int64_t applied_rev = -1;	/* atomic: main -> thread */

struct th {
	struct store *s;
	struct set want;
	int64_t rev;
	char pfx[300];
	int64_t reported;
};

static bool stopping(void *arg)
{
	struct th *t = arg;
	bool s;

	pthread_mutex_lock(&lock);
	s = stop_flag;
	pthread_mutex_unlock(&lock);
	/* come back to report a newly applied revision */
	return s || __atomic_load_n(&applied_rev, __ATOMIC_RELAXED) != t->reported;
}

static void post(struct th *t)
{
	struct set *c = malloc(sizeof(*c));
	uint64_t one = 1;

	if (!c || set_copy(c, &t->want)) {
		free(c);
		return;
	}
	pthread_mutex_lock(&lock);
	if (pending) {
		set_clear(pending);
		free(pending);
	}
	pending = c;
	pending_rev = t->rev;
	pthread_mutex_unlock(&lock);
	/* fails only when the counter is full: a wakeup is pending anyway */
	(void)!write(efd, &one, sizeof(one));
}

/* A key under PREFIX/catalog/ into kind and name; false if not ours. */
static bool split_key(const struct th *t, const char *key, int *kind,
		      const char **name)
{
	size_t n = strlen(t->pfx);
	const char *slash;
	char k[16];

	if (strncmp(key, t->pfx, n))
		return false;
	key += n;
	slash = strchr(key, '/');
	if (!slash || slash - key >= (long)sizeof(k) || !slash[1] ||
	    strlen(slash + 1) >= APSM_NAME_MAX)
		return false;
	memcpy(k, key, slash - key);
	k[slash - key] = 0;
	*kind = cat_kind_parse(k);
	*name = slash + 1;
	return *kind >= 0;
}

static int full_read(struct th *t)
{
	struct store_range r;
	size_t i;

	if (store_get_prefix(t->s, t->pfx, &r))
		return -1;
	set_clear(&t->want);
	for (i = 0; i < r.n; i++) {
		const char *name;
		int kind;

		if (split_key(t, r.kvs[i].key, &kind, &name))
			set_put(&t->want, kind, name, r.kvs[i].value);
	}
	t->rev = r.revision;
	store_range_free(&r);
	post(t);
	return 0;
}

static int on_watch(const struct store_watch_msg *m, void *arg)
{
	struct th *t = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct store_event *e = &m->events[i];
		const char *name;
		int kind;

		if (!split_key(t, e->kv.key, &kind, &name))
			continue;
		if (e->type == STORE_EV_PUT)
			set_put(&t->want, kind, name, e->kv.value);
		else
			set_del(&t->want, kind, name);
	}
	/* the events' own revisions (a delete's too): the header revision
	 * of a message may run ahead of events still to come
	 */
	for (i = 0; i < m->n; i++)
		if (m->events[i].kv.mod_rev > t->rev)
			t->rev = m->events[i].kv.mod_rev;
	if (m->n)
		post(t);
	return 0;
}

static int report(struct th *t, int64_t *lease, uint64_t *t_keep)
{
	int64_t rev = __atomic_load_n(&applied_rev, __ATOMIC_RELAXED), ttl;
	char key[300], val[256];
	uint64_t now = apsmd_now_ms();

	if (!*lease) {
		if (store_lease_grant(t->s, LEASE_TTL_S, lease))
			return -1;
		t->reported = -2;	/* a new lease: put the status again */
		*t_keep = now + LEASE_TTL_S * 1000 / 3;
	} else if (now >= *t_keep) {
		if (store_lease_keepalive(t->s, *lease, &ttl)) {
			*lease = 0;
			return -1;
		}
		*t_keep = now + LEASE_TTL_S * 1000 / 3;
	}
	if (rev == t->reported)
		return 0;
	snprintf(key, sizeof(key), "%s/status/%u", conf->store_prefix, conf->id);
	snprintf(val, sizeof(val),
		 "{\"node\":%u,\"applied\":%lld,\"apply_errors\":%llu,\"state\":\"%s\"}",
		 conf->id, (long long)rev,
		 (unsigned long long)apsmd_ctr.catalog_apply_errors,
		 rev < 0 ? "starting" : "ok");
	if (store_put(t->s, key, val, *lease, NULL))
		return -1;
	t->reported = rev;
	return 0;
}

/* Sleep ms, or less if apsmd is stopping (a new applied revision does not
 * cut it short: the store is away).
 */
static void nap(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 50 * 1000000L };
	bool stop = false;
	long i;

	for (i = 0; i < ms / 50 && !stop; i++) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&lock);
		stop = stop_flag;
		pthread_mutex_unlock(&lock);
	}
}

static void *store_main(void *arg)
{
	struct th *t = arg;
	bool have = false, out = false;
	long backoff = BACKOFF_MIN_MS;
	int64_t lease = 0, compact = 0;
	uint64_t t_keep = 0;

	for (;;) {
		int ret = 0;

		pthread_mutex_lock(&lock);
		if (stop_flag) {
			pthread_mutex_unlock(&lock);
			break;
		}
		pthread_mutex_unlock(&lock);
		if (!have) {
			ret = full_read(t);
			have = !ret;
		}
		if (!ret)
			ret = report(t, &lease, &t_keep);
		if (!ret) {
			ret = store_watch(t->s, t->pfx, t->rev + 1, on_watch,
					  stopping, t, WATCH_SLICE_MS, &compact);
			if (ret == -2) {
				/* compacted or canceled: read it all again */
				apsmd_log("catalogue: %s", store_error(t->s));
				apsmd_io_add(store_errors, 1);
				have = false;
				continue;
			}
			ret = ret < 0 ? -1 : 0;
		}
		if (!ret) {
			if (out)
				apsmd_log("catalogue: store is back: catalogue read again at revision %lld",
					  (long long)t->rev);
			out = false;
			backoff = BACKOFF_MIN_MS;
			continue;
		}
		apsmd_io_add(store_errors, 1);
		if (!out) {
			apsmd_io_add(store_outages, 1);
			apsmd_log("catalogue: %s: kernel kept as it is, retrying",
				  store_error(t->s));
		}
		out = true;
		have = false;		/* on return: a full read */
		lease = 0;		/* it may have expired meanwhile */
		nap(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			  backoff * 2;
	}
	if (lease)
		store_lease_revoke(t->s, lease);
	return NULL;
}

static struct th th;

static int store_start(void)
{
	char err[STORE_ERR_LEN];
	int e;

	th.s = store_open(conf->store_url, err, sizeof(err));
	if (!th.s) {
		apsmd_log("catalogue: %s", err);
		return -1;
	}
	snprintf(th.pfx, sizeof(th.pfx), "%s/catalog/", conf->store_prefix);
	th.reported = -3;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		apsmd_log("eventfd: %s", strerror(errno));
		return -1;
	}
	e = pthread_create(&thr, NULL, store_main, &th);
	if (e) {
		apsmd_log("catalogue thread: %s", strerror(e));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ main loop */

int apsmd_catalog_fd(void)
{
	return efd;
}

void apsmd_catalog_on_readable(void)
{
	struct set *c;
	uint64_t v;
	int64_t rev;

	(void)!read(efd, &v, sizeof(v));	/* EAGAIN: nothing new */
	pthread_mutex_lock(&lock);
	c = pending;
	rev = pending_rev;
	pending = NULL;
	pthread_mutex_unlock(&lock);
	if (!c)
		return;
	reconcile(c, rev);
	__atomic_store_n(&applied_rev, rev, __ATOMIC_RELAXED);
	set_clear(c);
	free(c);
}

static void file_apply(void)
{
	struct set want;

	if (read_lines(conf->catalog_file, &want, true)) {
		/* a bad file changes nothing */
		apsmd_ctr.catalog_apply_errors++;
		apsmd_dirty = true;
		return;
	}
	reconcile(&want, 0);
	set_clear(&want);
}

void apsmd_catalog_reload(void)
{
	if (!conf || conf->store_url[0] || !conf->catalog_file[0])
		return;
	apsmd_log("catalogue: reloading %s", conf->catalog_file);
	file_apply();
}

int apsmd_catalog_init(const struct apsmd_conf *c)
{
	conf = c;
	if (!c->store_url[0] && !c->catalog_file[0])
		return 0;	/* as before: nothing is managed */
	if (read_lines(c->catalog_state, &applied, false))
		apsmd_log("catalogue: %s unreadable: starting with nothing made by apsmd",
			  c->catalog_state);
	if (c->store_url[0]) {
		apsmd_log("catalogue: store %s prefix %s", c->store_url,
			  c->store_prefix);
		return store_start();
	}
	file_apply();
	return 0;
}

void apsmd_catalog_close(void)
{
	if (efd < 0)
		return;
	pthread_mutex_lock(&lock);
	stop_flag = true;
	pthread_mutex_unlock(&lock);
	pthread_join(thr, NULL);
	store_close(th.s);
	close(efd);
	efd = -1;
}
