// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd-sim's kernel: ../kern.h implemented on an in-memory flow table
 * (sim_tab.c) instead of the apsm module, so that many apsmd processes
 * can run on one host without a module, a VM or netlink. apsmd-sim is
 * apsmd's sources minus kern.c plus sim/ (userspace-ctl/Makefile).
 *
 *  - the table follows the kernel's rules: an install of NEW keeps the
 *    newer version (tie: higher origin), a DEL removes the entry unless
 *    the entry is newer than the delete; versions are the kernel's HLC
 *    (wall ms << 16 | counter, observes what it installs);
 *  - every change gets a feed seq (1, 2, ...) and a cause (INSERT for a
 *    flow the load generator created, INSTALL/PEER_DEL for a peer's
 *    update, EXPIRE for a generated delete, DELETE for a ctl delete) and
 *    reaches apsmd through kern_ops.changes, in seq order, from the
 *    event loop (never from inside an install). More than FEED_SIZE
 *    changes pending at once: the oldest are dropped and kern_ops.behind
 *    says which;
 *  - the load generator creates flows at a rate, keys unique per node
 *    (src 10.ID_HI.ID_LO.1, dst = the flow's index, UDP 40000 -> 53),
 *    origin = node id, and may delete a share of them later;
 *  - the state file (JSON) holds the entry count, per-origin counts and
 *    digests, the table digest (sum of sim_entry_hash: the same entries
 *    give the same digest on every node), the arrival lag histogram of
 *    peers' entries, and the generator's progress; written every
 *    STATE_MS when something changed, on the ctl command "state" and at
 *    exit;
 *  - no instances (run with Inventory = no), peer add/del/state/repl
 *    calls succeed and are only counted.
 *
 * Configuration (environment, all optional):
 *   APSMD_SIM_RATE       flows/s this node creates (0: none)
 *   APSMD_SIM_COUNT      flows in all (0: none)
 *   APSMD_SIM_START      wall clock ms (CLOCK_REALTIME) to begin; default now
 *   APSMD_SIM_SEED       PRNG seed (which flows are deleted, spi, path);
 *                        default the node id
 *   APSMD_SIM_DEL_PCT    share of created flows deleted (0..100, default 0)
 *   APSMD_SIM_DEL_AFTER  ms after creation they are deleted (default 1000)
 *   APSMD_SIM_STATE      state file (default StatsFile + ".sim.json")
 *   APSMD_SIM_STATE_MS   period of the state file (default 200)
 *   APSMD_SIM_CTL        a FIFO (created if missing) taking lines:
 *                          state               write the state file now
 *                          del ORIGIN INDEX    delete that flow here
 *                          gen RATE COUNT      create COUNT more flows now
 *   APSMD_SIM_FEED_SIZE  feed window (default 65536)
 *   APSMD_SIM_BREAK      for tests only: "install" drops every peer
 *                        update at install (replication broken), "del"
 *                        drops the peers' deletes only
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"

#include "../core.h"
#include "../kern.h"
#include "sim.h"

#define DELIVER_MAX	256	/* changes per kern_ops.changes call */
#define TICK_MS		2	/* the generator batches this long at most */
#define LAG_FINE	1000	/* 1 ms buckets below, then 10 ms, then 1 s */
#define LAG_MID		60000
#define LAG_MAX		600000
#define LAG_BUCKETS	(LAG_FINE + (LAG_MID - LAG_FINE) / 10 + \
			 (LAG_MAX - LAG_MID) / 1000 + 1)

enum { BREAK_NONE, BREAK_INSTALL, BREAK_DEL };

static const struct apsmd_conf *conf;
static const struct kern_ops *ops;
static int ep = -1, tfd = -1, cfd = -1;
static uint64_t armed_ns = UINT64_MAX;

/* configuration */
static uint64_t seed, del_after_ms;
static unsigned int del_pct, state_ms, breakage;
static uint32_t feed_size;
static char state_path[300], ctl_path[300];

/* load: flows [0, target) are due from gen_start at rate/s after base */
static double rate;
static uint64_t created, target, base, gen_start_ms;	/* monotonic ms */
static uint64_t rng;

/* deletes scheduled by the generator (FIFO: constant delay) */
struct pdel {
	uint64_t idx, due_ms;
};
static struct pdel *dq;
static size_t dq_head, dq_tail, dq_cap;

/* the feed */
static struct apsmd_change *pend;
static size_t npend, cappend;
static uint64_t next_seq = 1;
static uint64_t hlc_last;

/* figures of the state file */
static struct {
	uint64_t created, deleted, ctl_deleted, installs, applied, stale,
		 dropped, peer_dels, behind, behind_lost, peer_down, peer_up,
		 peer_repl, ctl_cmds, ctl_bad;
	uint64_t last_change_wall_ms, last_local_wall_ms;
	uint64_t lag_n, lag_max, lag_sum;
	uint32_t lag[LAG_BUCKETS];
} st;
static bool state_dirty = true;
static uint64_t state_written_ms;

/* apsmd-sim has no netlink: main.c's nl_open() (lib/nl.c) is this one, so
 * lib/nl.o is never linked in.
 */
int nl_open(void)
{
	return 0;
}

/* ------------------------------------------------------------ helpers */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end) {
		apsmd_log("sim: %s=%s is not a number: using %llu", name, s,
			  (unsigned long long)def);
		return def;
	}
	return v;
}

static uint64_t rnd(void)	/* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* The kernel's HLC: wall ms << 16 | counter, above all seen. */
static uint64_t hlc_now(void)
{
	uint64_t pt = apsmd_wall_ms() << 16;

	hlc_last = pt > hlc_last + 1 ? pt : hlc_last + 1;
	return hlc_last;
}

static void hlc_observe(uint64_t v)
{
	if (v > hlc_last)
		hlc_last = v;
}

/* The key of flow idx of node origin (unique per node and index). */
static void flow_key(struct apsmd_flow *f, uint32_t origin, uint64_t idx)
{
	memset(f, 0, sizeof(*f));
	f->family = AF_INET;
	f->proto = 17;
	f->src[0] = 10;
	f->src[1] = origin >> 8;
	f->src[2] = origin;
	f->src[3] = 1 + (idx >> 32);
	f->dst[0] = idx >> 24;
	f->dst[1] = idx >> 16;
	f->dst[2] = idx >> 8;
	f->dst[3] = idx;
	f->sport = 40000;
	f->dport = 53;
}

/* ------------------------------------------------------------ feed */

static void arm(uint64_t at_ns)
{
	struct itimerspec it = { 0 };

	if (at_ns == armed_ns)
		return;
	if (!at_ns)
		at_ns = 1;	/* 0 would disarm: "at once" is any past time */
	it.it_value.tv_sec = at_ns / 1000000000ULL;
	it.it_value.tv_nsec = at_ns % 1000000000ULL;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL) == 0)
		armed_ns = at_ns;
}

static void change(const struct apsmd_flow *f, uint8_t op, uint8_t cause)
{
	struct apsmd_change *c;

	if (npend == cappend) {
		cappend = cappend ? 2 * cappend : 1024;
		pend = realloc(pend, cappend * sizeof(*pend));
		if (!pend) {
			apsmd_log("sim: out of memory");
			exit(1);
		}
	}
	c = &pend[npend++];
	c->f = *f;
	c->f.op = op;
	c->seq = next_seq++;
	c->cause = cause;
	st.last_change_wall_ms = apsmd_wall_ms();
	state_dirty = true;
	if (armed_ns > 1)
		arm(1);		/* the event loop delivers it */
}

/* Hand the pending changes up. The callbacks may cause new changes (or
 * call apsmd_kern_feed_poll again): those queue in a fresh buffer and go
 * up in the next round.
 */
static void deliver(void)
{
	static struct apsmd_change *spare;
	static size_t capspare;
	struct apsmd_change *b = pend;
	size_t nb = npend, cb = cappend, i = 0, n;

	if (!nb)
		return;
	pend = spare;
	cappend = capspare;
	npend = 0;
	spare = NULL;
	capspare = 0;
	if (nb > feed_size) {	/* the window overflowed */
		i = nb - feed_size;
		st.behind++;
		st.behind_lost += i;
		ops->behind(b[0].seq, b[i - 1].seq);
	}
	for (; i < nb; i += n) {
		n = nb - i < DELIVER_MAX ? nb - i : DELIVER_MAX;
		ops->changes(b + i, n);
	}
	if (!spare) {		/* keep the larger buffer for next time */
		spare = b;
		capspare = cb;
	} else {
		free(b);
	}
}

/* ------------------------------------------------------------ state */

static unsigned int lag_bucket(uint64_t ms)
{
	if (ms < LAG_FINE)
		return ms;
	if (ms < LAG_MID)
		return LAG_FINE + (ms - LAG_FINE) / 10;
	if (ms < LAG_MAX)
		return LAG_FINE + (LAG_MID - LAG_FINE) / 10 + (ms - LAG_MID) / 1000;
	return LAG_BUCKETS - 1;
}

static uint64_t lag_floor(unsigned int b)	/* lowest ms of bucket b */
{
	if (b < LAG_FINE)
		return b;
	b -= LAG_FINE;
	if (b < (LAG_MID - LAG_FINE) / 10)
		return LAG_FINE + 10ULL * b;
	b -= (LAG_MID - LAG_FINE) / 10;
	return LAG_MID + 1000ULL * b;
}

static void note_lag(const struct apsmd_flow *f)
{
	uint64_t now = apsmd_wall_ms(), t = f->version >> 16;
	uint64_t lag = now > t ? now - t : 0;

	st.lag_n++;
	st.lag_sum += lag;
	if (lag > st.lag_max)
		st.lag_max = lag;
	st.lag[lag_bucket(lag)]++;
}

static void state_write(void)
{
	const struct sim_origin *o;
	unsigned int n, i;
	char tmp[320];
	FILE *f;

	state_dirty = false;
	state_written_ms = apsmd_now_ms();
	if (!state_path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "{\"node\":%u,\"pid\":%d,\"wall_ms\":%llu,\"entries\":%llu,"
		"\"digest\":\"%016llx\",\"created\":%llu,\"deleted\":%llu,"
		"\"ctl_deleted\":%llu,\"gen_target\":%llu,\"gen_done\":%d,"
		"\"installs\":%llu,\"applied\":%llu,\"stale\":%llu,"
		"\"dropped\":%llu,\"peer_dels\":%llu,\"changes\":%llu,"
		"\"behind\":%llu,\"behind_lost\":%llu,\"last_change_ms\":%llu,"
		"\"last_local_ms\":%llu,"
		"\"peer_down\":%llu,\"peer_up\":%llu,\"peer_repl\":%llu,"
		"\"ctl_cmds\":%llu,\"ctl_bad\":%llu,",
		conf->id, (int)getpid(),
		(unsigned long long)apsmd_wall_ms(),
		(unsigned long long)sim_tab_count(),
		(unsigned long long)sim_tab_digest(),
		(unsigned long long)st.created, (unsigned long long)st.deleted,
		(unsigned long long)st.ctl_deleted,
		(unsigned long long)target,
		created >= target && dq_head == dq_tail,
		(unsigned long long)st.installs, (unsigned long long)st.applied,
		(unsigned long long)st.stale, (unsigned long long)st.dropped,
		(unsigned long long)st.peer_dels,
		(unsigned long long)(next_seq - 1),
		(unsigned long long)st.behind,
		(unsigned long long)st.behind_lost,
		(unsigned long long)st.last_change_wall_ms,
		(unsigned long long)st.last_local_wall_ms,
		(unsigned long long)st.peer_down, (unsigned long long)st.peer_up,
		(unsigned long long)st.peer_repl,
		(unsigned long long)st.ctl_cmds, (unsigned long long)st.ctl_bad);
	n = sim_tab_origins(&o);
	fputs("\"origins\":[", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{\"origin\":%u,\"count\":%llu,\"digest\":\"%016llx\"}",
			i ? "," : "", o[i].origin,
			(unsigned long long)o[i].count,
			(unsigned long long)o[i].digest);
	fprintf(f, "],\"lag\":{\"n\":%llu,\"sum_ms\":%llu,\"max_ms\":%llu,"
		"\"hist\":[", (unsigned long long)st.lag_n,
		(unsigned long long)st.lag_sum, (unsigned long long)st.lag_max);
	for (i = 0, n = 0; i < LAG_BUCKETS; i++)
		if (st.lag[i])
			fprintf(f, "%s[%llu,%u]", n++ ? "," : "",
				(unsigned long long)lag_floor(i), st.lag[i]);
	fputs("]}}\n", f);
	if (fclose(f) == 0)
		rename(tmp, state_path);
}

/* ------------------------------------------------------------ load */

static void gen_start(double r, uint64_t n, uint64_t start_ms)
{
	base = created;
	target = created + n;
	rate = r;
	gen_start_ms = start_ms;
	state_dirty = true;
}

static void dq_push(uint64_t idx, uint64_t due)
{
	if (dq_tail == dq_cap) {
		if (dq_head) {
			memmove(dq, dq + dq_head, (dq_tail - dq_head) * sizeof(*dq));
			dq_tail -= dq_head;
			dq_head = 0;
		}
		if (dq_tail == dq_cap) {
			dq_cap = dq_cap ? 2 * dq_cap : 1024;
			dq = realloc(dq, dq_cap * sizeof(*dq));
			if (!dq) {
				apsmd_log("sim: out of memory");
				exit(1);
			}
		}
	}
	dq[dq_tail++] = (struct pdel){ idx, due };
}

static void create_one(uint64_t now)
{
	struct apsmd_flow f;
	uint64_t r = rnd();

	flow_key(&f, conf->id, created);
	f.dir = APSM_DIR_FORWARD;
	f.spi = 1 + r % 64;
	f.npath = 1;
	f.path[0] = 100 + (r >> 8) % 16;
	f.origin = conf->id;
	f.version = hlc_now();
	if (!sim_tab_get(&f)) {	/* a peer's install may not beat ours */
		sim_tab_put(&f);
		change(&f, APSM_RDS_OP_NEW, APSMD_CAUSE_INSERT);
		st.created++;
		st.last_local_wall_ms = st.last_change_wall_ms;
	}
	if (del_pct && (r >> 16) % 100 < del_pct)
		dq_push(created, now + del_after_ms);
	created++;
}

/* Delete flow idx of origin here (cause), as the kernel reports it: the
 * entry as it was, op DEL.
 */
static bool delete_one(uint32_t origin, uint64_t idx, uint8_t cause)
{
	struct apsmd_flow k, old;

	flow_key(&k, origin, idx);
	if (!sim_tab_del(&k, &old))
		return false;
	change(&old, APSM_RDS_OP_DEL, cause);
	st.last_local_wall_ms = st.last_change_wall_ms;
	return true;
}

/* Next ms (monotonic) the generator has work, or UINT64_MAX. */
static uint64_t gen_next(void)
{
	uint64_t t = UINT64_MAX;

	if (created < target && rate > 0)
		t = gen_start_ms + (uint64_t)((created - base) * 1000.0 / rate);
	if (dq_head < dq_tail && dq[dq_head].due_ms < t)
		t = dq[dq_head].due_ms;
	return t;
}

static void gen_run(uint64_t now)
{
	uint64_t due;

	if (created < target && rate > 0 && now >= gen_start_ms) {
		due = base + (uint64_t)((now - gen_start_ms) * rate / 1000.0) + 1;
		if (due > target)
			due = target;
		while (created < due)
			create_one(now);
	}
	while (dq_head < dq_tail && dq[dq_head].due_ms <= now) {
		st.deleted += delete_one(conf->id, dq[dq_head].idx,
					 APSMD_CAUSE_EXPIRE);
		dq_head++;
	}
}

/* ------------------------------------------------------------ ctl */

static void ctl_line(char *l)
{
	unsigned long long a, b;
	double r;

	st.ctl_cmds++;
	if (!strcmp(l, "state")) {
		state_write();
	} else if (sscanf(l, "del %llu %llu", &a, &b) == 2 && a <= UINT32_MAX) {
		st.ctl_deleted += delete_one(a, b, APSMD_CAUSE_DELETE);
	} else if (sscanf(l, "gen %lf %llu", &r, &a) == 2 && r > 0) {
		gen_start(r, a, apsmd_now_ms());
	} else {
		st.ctl_bad++;
		apsmd_log("sim: ctl: unknown command \"%s\"", l);
	}
}

static void ctl_read(void)
{
	static char buf[4096];
	static size_t len;
	char *nl, *p;
	ssize_t r;

	if (cfd < 0)
		return;
	while ((r = read(cfd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += r;
		buf[len] = '\0';
		p = buf;
		while ((nl = strchr(p, '\n'))) {
			*nl = '\0';
			if (*p)
				ctl_line(p);
			p = nl + 1;
		}
		len -= p - buf;
		memmove(buf, p, len);
		if (len == sizeof(buf) - 1)	/* a line too long: drop it */
			len = 0;
	}
}

/* ------------------------------------------------------------ kern.h */

static void rearm(void)
{
	uint64_t now = apsmd_now_ms(), t = gen_next();

	if (npend) {
		arm(1);
		return;
	}
	if (state_dirty && state_written_ms + state_ms < t)
		t = state_written_ms + state_ms;
	if (t == UINT64_MAX) {
		struct itimerspec it = { 0 };

		timerfd_settime(tfd, 0, &it, NULL);
		armed_ns = UINT64_MAX;
		return;
	}
	if (t < now + TICK_MS)
		t = now + TICK_MS;
	arm(t * 1000000ULL);
}

int apsmd_kern_setup(const struct apsmd_conf *c, const struct kern_ops *o)
{
	struct epoll_event ev = { .events = EPOLLIN };
	const char *s;
	uint64_t start;
	long long d;

	conf = c;
	ops = o;
	sim_tab_init();
	seed = env_u64("APSMD_SIM_SEED", c->id);
	rng = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (!rng)
		rng = 1;
	del_pct = env_u64("APSMD_SIM_DEL_PCT", 0);
	if (del_pct > 100)
		del_pct = 100;
	del_after_ms = env_u64("APSMD_SIM_DEL_AFTER", 1000);
	state_ms = env_u64("APSMD_SIM_STATE_MS", 200);
	feed_size = env_u64("APSMD_SIM_FEED_SIZE", 65536);
	if (!feed_size)
		feed_size = 1;
	s = getenv("APSMD_SIM_BREAK");
	breakage = !s || !*s ? BREAK_NONE : !strcmp(s, "install") ? BREAK_INSTALL :
	      !strcmp(s, "del") ? BREAK_DEL : BREAK_NONE;
	if (s && *s && breakage == BREAK_NONE)
		apsmd_log("sim: APSMD_SIM_BREAK=%s unknown: ignored", s);
	if (breakage)
		apsmd_log("sim: APSMD_SIM_BREAK=%s: peer updates are dropped", s);
	s = getenv("APSMD_SIM_STATE");
	if (s && *s)
		snprintf(state_path, sizeof(state_path), "%s", s);
	else if (c->stats_file[0])
		snprintf(state_path, sizeof(state_path), "%s.sim.json",
			 c->stats_file);
	s = getenv("APSMD_SIM_CTL");
	if (s && *s)
		snprintf(ctl_path, sizeof(ctl_path), "%s", s);

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev)) {
		apsmd_log("sim: epoll/timerfd: %s", strerror(errno));
		return -1;
	}
	if (ctl_path[0]) {
		if (mkfifo(ctl_path, 0600) && errno != EEXIST) {
			apsmd_log("sim: mkfifo %s: %s", ctl_path, strerror(errno));
			return -1;
		}
		/* read-write: never EOF when a writer goes away */
		cfd = open(ctl_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (cfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev)) {
			apsmd_log("sim: %s: %s", ctl_path, strerror(errno));
			return -1;
		}
	}
	start = env_u64("APSMD_SIM_START", 0);
	d = start ? (long long)start - (long long)apsmd_wall_ms() : 0;
	if (d < 0)
		d = 0;
	gen_start(env_u64("APSMD_SIM_RATE", 0), env_u64("APSMD_SIM_COUNT", 0),
		  apsmd_now_ms() + d);
	apsmd_log("sim: kernel stand-in: %g flows/s, %llu flows, start in %lld ms, "
		  "delete %u%% after %llu ms, state %s", rate,
		  (unsigned long long)target, d, del_pct,
		  (unsigned long long)del_after_ms,
		  state_path[0] ? state_path : "(none)");
	rearm();
	return 0;
}

int apsmd_kern_fd(void)
{
	return ep;
}

void apsmd_kern_on_readable(void)
{
	uint64_t exp;

	if (read(tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		apsmd_log("sim: timerfd: %s", strerror(errno));
	armed_ns = UINT64_MAX;	/* fired or about to: arm again below */
	ctl_read();
	gen_run(apsmd_now_ms());
	deliver();
	ops->drained();
	if (state_dirty && apsmd_now_ms() >= state_written_ms + state_ms)
		state_write();
	rearm();
}

int apsmd_kern_peer_add(const struct apsmd_peer *p)
{
	(void)p;
	return 0;
}

void apsmd_kern_peer_del(uint32_t id)
{
	(void)id;
}

/* A peer's updates, by the kernel's rules (apsm_rds_install). */
void apsmd_kern_install(const struct apsmd_flow *f, unsigned int n)
{
	const struct apsmd_flow *old;
	unsigned int i;

	for (i = 0; i < n; i++) {
		st.installs++;
		if (breakage == BREAK_INSTALL ||
		    (breakage == BREAK_DEL && f[i].op == APSM_RDS_OP_DEL)) {
			st.dropped++;
			continue;
		}
		hlc_observe(f[i].version);
		old = sim_tab_get(&f[i]);
		if (f[i].op == APSM_RDS_OP_DEL) {
			struct apsmd_flow gone;

			if (!old || apsmd_newer(old->version, old->origin,
						f[i].version, f[i].origin)) {
				st.stale++;
				continue;
			}
			sim_tab_del(&f[i], &gone);
			change(&gone, APSM_RDS_OP_DEL, APSMD_CAUSE_PEER_DEL);
			st.peer_dels++;
			st.applied++;
			continue;
		}
		if (f[i].op != APSM_RDS_OP_NEW || !f[i].npath ||
		    f[i].npath > APSM_PATH_MAX) {
			st.stale++;
			continue;
		}
		if (old && !apsmd_newer(f[i].version, f[i].origin,
					old->version, old->origin)) {
			st.stale++;
			continue;
		}
		if (!old && f[i].origin != conf->id)
			note_lag(&f[i]);
		sim_tab_put(&f[i]);
		change(&f[i], APSM_RDS_OP_NEW, APSMD_CAUSE_INSTALL);
		st.applied++;
	}
	apsmd_ctr.received += n;
}

struct dump_arg {
	void (*cb)(const struct apsmd_flow *f, void *arg);
	void *arg;
};

static void dump_one(const struct apsmd_flow *f, void *arg)
{
	struct dump_arg *d = arg;
	struct apsmd_flow e = *f;

	e.op = APSM_RDS_OP_NEW;
	d->cb(&e, d->arg);
}

/* The callback must not install (the table must not change under the
 * walk); apsmd's dump users copy or send.
 */
int apsmd_kern_flows(void (*cb)(const struct apsmd_flow *f, void *arg),
		     void *arg)
{
	struct dump_arg d = { cb, arg };

	sim_tab_each(dump_one, &d);
	return 0;
}

int apsmd_kern_insts(struct apsmd_inst *out, unsigned int max)
{
	(void)out;
	(void)max;
	return 0;
}

int apsmd_kern_inst_apply(const struct apsmd_inst *r)
{
	(void)r;
	return 0;
}

int apsmd_kern_inst_del(uint32_t id)
{
	(void)id;
	return 0;
}

int apsmd_kern_inst_state(uint32_t id, uint8_t state)
{
	(void)id;
	(void)state;
	return 0;
}

int apsmd_kern_peer_state(uint32_t id, uint8_t state)
{
	(void)id;
	if (state == APSM_PEER_DOWN)
		st.peer_down++;
	else
		st.peer_up++;
	state_dirty = true;
	return 0;
}

int apsmd_kern_peer_repl(uint32_t id, const struct kern_repl *r)
{
	(void)id;
	(void)r;
	st.peer_repl++;
	return 0;
}

/* Changes go up from the event loop anyway; this delivers them now. */
void apsmd_kern_feed_poll(void)
{
	deliver();
}

void apsmd_kern_close(void)
{
	state_write();
	if (cfd >= 0)
		close(cfd);
	if (tfd >= 0)
		close(tfd);
	if (ep >= 0)
		close(ep);
	cfd = tfd = ep = -1;
}
