// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd: the per-node APSM controller.
 *
 *   apsmd genkey
 *   apsmd -c FILE [-n NETNS] [--foreground]
 *
 * This file: command line, start-up, the main loop (netlink, the queue
 * of checked datagrams and peer events from the I/O thread, signals,
 * timers: per-peer figures, anti-entropy, snapshot retries) and the stats
 * file. Liveness (heartbeats, dead peers) runs on peer.c's I/O thread so
 * that a stalled main loop does not starve it. The work is in kern.c
 * (kernel), peer.c (UDP, I/O thread), sync.c (RDS replication), memb.c
 * (membership) and inv.c (instance inventory). SIGUSR1 prints counters,
 * SIGHUP reloads the peer list, SIGTERM/SIGINT exit, SIGUSR2 is a test
 * hook (APSMD_TEST_STALL, see test_stall()).
 *
 * The modules in their one-way order (each includes only headers to its
 * left; tests/host/apsmd-layers.sh checks it):
 *
 *   core, wire < conf < kern < peer < inv < sync < memb < main
 *   (priv: core only; main drops capabilities after start-up)
 *
 * main owns the config and wires the modules together: what the lower
 * ones hear (kernel notifications, datagrams, readiness) goes up through
 * the kern_ops, peer_ops and sync_ops tables installed here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "args.h"
#include "nl.h"

#include "catalog.h"
#include "conf.h"
#include "core.h"
#include "inv.h"
#include "kern.h"
#include "memb.h"
#include "peer.h"
#include "keys.h"
#include "session.h"
#include "priv.h"
#include "sync.h"
#include "wire.h"

static const char *conf_file;
static struct apsmd_conf conf;
static uint8_t key[APSMD_KEY_BYTES];
static int sfd = -1;
static uint32_t test_stall_ms;	/* APSMD_TEST_STALL: SIGUSR2 stalls the loop */

/* ------------------------------------------------------------ stats */

static void stats_print(FILE *f, bool json)
{
	const char *sep = "";
	unsigned int i, live = 0;

	for (i = 0; i < conf.n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf.peers[i].id);

		live += p && apsmd_peer_alive(p);
	}
	if (json)
		fprintf(f, "{\"Ready\":%d,\"live_peers\":%u", apsmd_sync_ready(), live);
	else
		fprintf(f, "apsmd: ready %d live_peers %u", apsmd_sync_ready(), live);
	sep = json ? "," : " ";
#define X(n) fprintf(f, json ? "%s\"%s\":%llu" : "%s%s %llu", sep, #n, \
		     (unsigned long long)apsmd_ctr_get(n));
	APSMD_COUNTERS(X)
#undef X
	if (!json) {
		fputc('\n', f);
		return;
	}
	fputs(",\"peers\":[", f);
	for (i = 0; i < conf.n_peers; i++) {
		struct apsmd_pstate *p = apsmd_pstate(conf.peers[i].id);

		if (!p)
			continue;
		fprintf(f, "%s{\"id\":%u,\"alive\":%d,\"ready\":%d,\"tx_entries\":%llu,"
			"\"rx_entries\":%llu,\"tx_dgrams\":%llu,\"rx_dgrams\":%llu,"
			"\"lag_ms\":%llu}", i ? "," : "", p->id,
			apsmd_peer_alive(p), p->ready,
			(unsigned long long)p->tx_entries,
			(unsigned long long)p->rx_entries,
			(unsigned long long)__atomic_load_n(&p->tx_dgrams,
							    __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->rx_dgrams,
							    __ATOMIC_RELAXED),
			(unsigned long long)p->lag_ms);
	}
	fputs("]}\n", f);
}

static void stats_write(void)
{
	char tmp[300];
	FILE *f;

	apsmd_dirty = false;
	if (!conf.stats_file[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", conf.stats_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	stats_print(f, true);
	if (fclose(f) == 0)
		rename(tmp, conf.stats_file);
}

/* sync_ops.ready */
static void on_ready(void)
{
	apsmd_memb_publish();	/* the next heartbeats say READY */
	stats_write();
}

/* ------------------------------------------------------------ reload */

static int identity_load(char *err, size_t errlen);

/* Keys may change on a reload (rotation, Documentation/security.md);
 * the mode may not.
 */
static void reload_identity(const struct apsmd_conf *nc)
{
	char err[512];

	if (nc->per_node != conf.per_node) {
		apsmd_log("reload: switching between a shared KeyFile and per-node keys needs a restart (keeping the keys)");
		return;
	}
	strcpy(conf.key_file, nc->key_file);
	strcpy(conf.prev_key_file, nc->prev_key_file);
	conf.max_skew_ms = nc->max_skew_ms;
	if (conf.per_node && identity_load(err, sizeof(err)))
		apsmd_log("reload: %s (keeping the old keys)", err);
}

static void reload(void)
{
	static struct apsmd_conf nc;
	char err[512];
	unsigned int i, j;

	if (apsmd_conf_load(conf_file, &nc, err, sizeof(err))) {
		apsmd_log("reload: %s (keeping the old config)", err);
		return;
	}
	apsmd_catalog_reload();
	for (i = 0; i < conf.n_peers; i++) {
		for (j = 0; j < nc.n_peers; j++)
			if (nc.peers[j].id == conf.peers[i].id)
				break;
		if (j == nc.n_peers)
			apsmd_kern_peer_del(conf.peers[i].id);
	}
	for (j = 0; j < nc.n_peers; j++)
		apsmd_kern_peer_add(&nc.peers[j]);
	apsmd_peer_lock();	/* the I/O thread reads the peer list */
	memcpy(conf.peers, nc.peers, sizeof(nc.peers));
	conf.n_peers = nc.n_peers;
	apsmd_peer_unlock();
	reload_identity(&nc);
	apsmd_memb_reload();
	apsmd_log("reloaded: %u peers", conf.n_peers);
}

/* ------------------------------------------------------------ wiring */

/* The kernel's changes lost..to were lost to apsmd (0, 0: unknown). */
static void kern_behind(uint64_t from, uint64_t to)
{
	apsmd_sync_behind(from, to);
	apsmd_inv_send_full(0);
}

static const struct kern_ops kern_ops = {
	.changes = apsmd_sync_changes,
	.inst_event = apsmd_inv_on_event,
	.behind = kern_behind,
	.drained = apsmd_sync_flush,
};

static const struct peer_ops peer_ops = {
	.event = apsmd_memb_on_event,
	.msg = {
		[APSMD_T_HEARTBEAT] = apsmd_memb_on_heartbeat,
		[APSMD_T_PULL] = apsmd_sync_on_pull,
		[APSMD_T_LOG] = apsmd_sync_on_log,
		[APSMD_T_VECTOR] = apsmd_sync_on_vector,
		[APSMD_T_NACK] = apsmd_sync_on_nack,
		[APSMD_T_LOG_GONE] = apsmd_sync_on_log_gone,
		[APSMD_T_INSTANCE] = apsmd_inv_on_msg,
		[APSMD_T_TREE] = apsmd_sync_on_tree,
		[APSMD_T_TREE_ENTRIES] = apsmd_sync_on_tree,
	},
	.drained = apsmd_sync_flush,
};

static const struct sync_ops sync_ops = {
	.ready = on_ready,
};

/* ------------------------------------------------------------ main */

/* ------------------------------------------------------------ identity */

static struct apsmd_ident ident;
static struct apsmd_state rstate;
static bool rstate_on;

/* KeyFile (and PreviousKeyFile) for conf's mode: per-node keys are
 * private (0600, owned); the shared key is as today, with a warning.
 */
static int identity_load(char *err, size_t errlen)
{
	if (!conf.per_node) {
		if (apsmd_key_load(conf.key_file, key, err, errlen))
			return -1;
		if (conf.n_peers)
			apsmd_log("WARNING: one shared KeyFile and no PublicKey: any node holding it can impersonate any other (Documentation/security.md)");
		if (apsmd_key_file_open_mode(conf.key_file))
			apsmd_log("WARNING: %s is readable by group or others: chmod 600 it",
				  conf.key_file);
		apsmd_peer_identity(NULL, NULL);
		return 0;
	}
	memset(&ident, 0, sizeof(ident));
	ident.id = conf.id;
	if (apsmd_key_file(conf.key_file, true, ident.sk, err, errlen))
		return -1;
	if (apsmd_key_public(ident.sk, ident.pk)) {
		snprintf(err, errlen, "%s: not a usable X25519 key", conf.key_file);
		return -1;
	}
	if (conf.prev_key_file[0]) {
		if (apsmd_key_file(conf.prev_key_file, true, ident.prev_sk,
				   err, errlen))
			return -1;
		if (apsmd_key_public(ident.prev_sk, ident.prev_pk)) {
			snprintf(err, errlen, "%s: not a usable X25519 key",
				 conf.prev_key_file);
			return -1;
		}
		ident.have_prev = true;
	}
	memcpy(key, ident.sk, sizeof(key));	/* unused by peer.c then */
	apsmd_peer_identity(&ident, rstate_on ? &rstate : NULL);
	return 0;
}

/* This node's epoch from the replay state (StateFile); without a usable
 * state file: the wall clock as before, with a warning.
 */
static int identity_epoch(uint64_t *epoch)
{
	char err[512];

	if (apsmd_state_load(&rstate, conf.state_file, err, sizeof(err)) ||
	    apsmd_state_next_epoch(&rstate, *epoch, err, sizeof(err))) {
		if (conf.per_node) {
			apsmd_log("%s: per-node keys need a replay state (StateFile)",
				  err);
			return -1;
		}
		apsmd_log("WARNING: %s: epoch from the wall clock, replay state not kept across restarts",
			  err);
		return 0;
	}
	*epoch = rstate.epoch;
	rstate_on = true;
	apsmd_peer_identity(conf.per_node ? &ident : NULL, &rstate);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: apsmd genkey\n"
		"       apsmd -c FILE [-n NETNS] [--foreground]\n");
}

static int enter_netns(const char *name)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "apsmd: netns %s: %s\n", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A timer's next deadline, jittered by up to a tenth so that nodes
 * started together do not run in lockstep.
 */
static uint64_t next_at(uint64_t now, uint32_t ms)
{
	return now + ms - (ms >= 10 ? randombytes_uniform(ms / 10) : 0);
}

/* Test hook (tests/vm/apsmd-stall.sh), off unless APSMD_TEST_STALL=MS is
 * set at start: SIGUSR2 makes the main loop sleep MS ms, as a long
 * netlink dump or install burst would. Liveness must not suffer from it.
 */
static void test_stall(void)
{
	struct timespec ts = {
		.tv_sec = test_stall_ms / 1000,
		.tv_nsec = (long)(test_stall_ms % 1000) * 1000000,
	};

	apsmd_log("test hook: main loop stalls for %u ms", test_stall_ms);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	apsmd_log("test hook: stall over");
}

static int handle_signals(void)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			return 1;
		case SIGHUP:
			reload();
			break;
		case SIGUSR1:
			stats_print(stderr, false);
			break;
		case SIGUSR2:
			test_stall();
			break;
		}
	}
	return 0;
}

static int run(void)
{
	uint64_t now = apsmd_now_ms(), t_hb = now, t_ae, t_stats = 0;
	struct pollfd pfd[4];
	int pace;

	t_ae = next_at(now, conf.ae_ms);
	pfd[0] = (struct pollfd){ .fd = apsmd_kern_fd(), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = apsmd_peer_fd(), .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[3] = (struct pollfd){ .fd = apsmd_catalog_fd(), .events = POLLIN };
	for (;;) {
		uint64_t next;
		int timeout;

		now = apsmd_now_ms();
		if (apsmd_peer_io_dirty())
			apsmd_dirty = true;
		if (now >= t_hb) {
			apsmd_memb_tick();
			t_hb = next_at(now, conf.heartbeat_ms);
		}
		if (!apsmd_sync_ready()) {
			apsmd_sync_snapshot_ask();
		} else if (now >= t_ae) {
			apsmd_sync_ae_round();
			t_ae = next_at(now, conf.ae_ms);
		}
		apsmd_sync_tick(now);
		/* the stats file: at most every 50 ms */
		if (apsmd_dirty && now >= t_stats) {
			stats_write();
			t_stats = now + 50;
		}
		next = t_hb < t_ae ? t_hb : t_ae;
		if (next > now + 50)	/* sync_tick: gap NACK retries */
			next = now + 50;
		if (apsmd_dirty && next > t_stats)
			next = t_stats;
		timeout = next > now ? (int)(next - now) : 0;
		pace = apsmd_sync_push_wait(now);	/* PushLinger */
		if (pace >= 0 && pace < timeout)
			timeout = pace;
		/* what this round sent leaves now; paced repairs when due */
		pace = apsmd_peer_flush();
		if (pace >= 0 && pace < timeout)
			timeout = pace;
		if (poll(pfd, 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			apsmd_log("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			apsmd_kern_on_readable();
		if (pfd[1].revents)
			apsmd_peer_on_readable();
		if (pfd[3].revents)
			apsmd_catalog_on_readable();
		if (pfd[2].revents && handle_signals())
			return 0;
	}
}

int main(int argc, char **argv)
{
	const char *netns = NULL;
	bool foreground = false;
	struct timespec ts;
	uint64_t epoch;
	char err[512];
	sigset_t ss;
	int i, ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "apsmd: libsodium failed to initialise\n");
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "genkey"))
		return apsmd_cmd_genkey();
	if (argc == 2 && !strcmp(argv[1], "pubkey"))
		return apsmd_cmd_pubkey();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			conf_file = argv[++i];
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			netns = argv[++i];
		} else if (!strcmp(argv[i], "--foreground") ||
			   !strcmp(argv[i], "-f")) {
			foreground = true;
		} else {
			usage();
			return 2;
		}
	}
	if (!conf_file) {
		usage();
		return 2;
	}
	if (apsmd_conf_load(conf_file, &conf, err, sizeof(err)) ||
	    identity_load(err, sizeof(err))) {
		fprintf(stderr, "apsmd: %s\n", err);
		return 1;
	}
	apsmd_log_id(conf.id);
	apsmd_log_syslog();
	if (netns && enter_netns(netns))
		return 1;
	if (nl_open()) {
		fprintf(stderr, "apsmd: %s\n", ctl_error());
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	epoch = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* the persisted counter (seeded once with the wall clock, so that
	 * it follows the wall-clock epochs of older versions)
	 */
	if (identity_epoch(&epoch))
		return 1;
	if (apsmd_kern_setup(&conf, &kern_ops) ||
	    apsmd_peer_open(&conf, key, epoch, &peer_ops))
		return 1;
	sodium_memzero(key, sizeof(key));	/* peer.c holds it now */
	if (!foreground && daemon(0, 1) < 0) {
		apsmd_log("daemon: %s", strerror(errno));
		return 1;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	if (getenv("APSMD_TEST_STALL")) {
		test_stall_ms = strtoul(getenv("APSMD_TEST_STALL"), NULL, 10);
		sigaddset(&ss, SIGUSR2);
	}
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	/* Everything that needed more than CAP_NET_ADMIN is done (netns,
	 * sockets, buffer sizes); drop the rest before the I/O thread is
	 * started, since capabilities are per thread.
	 */
	if (apsmd_priv_drop())
		return 1;
	apsmd_inv_init(&conf);
	apsmd_sync_init(&conf, apsmd_now_ms(), &sync_ops);
	apsmd_memb_init(&conf);
	apsmd_memb_publish();
	if (apsmd_peer_start())
		return 1;
	/* after daemon(): it starts the store thread */
	if (apsmd_catalog_init(&conf))
		return 1;
	apsmd_log("running: %u peers, fabric %s%s", conf.n_peers,
		  conf.fabric_dev, apsmd_gossip() ? ", gossip" : "");
	/* entries made before we listened (a restart): push them */
	apsmd_sync_resync();
	apsmd_ctr.resyncs = 0;
	if (!conf.n_peers)
		apsmd_sync_set_ready("no peers");
	stats_write();

	ret = run();
	apsmd_log("exiting");
	stats_print(stderr, false);
	stats_write();
	apsmd_catalog_close();
	apsmd_peer_close();
	apsmd_kern_close();
	return ret;
}
