// SPDX-License-Identifier: GPL-2.0
/*
 * flowchurn: create, replace and delete RDS entries over netlink at a
 * target rate, for tests that need the table to change fast (dumps under
 * churn, tests/vm/ctl-flowdump-churn.sh).
 *
 * Every change is an APSM_A_FLOW nest of APSM_CMD_FLOW_INSTALL (op new or
 * op del), many nests per message and many messages per sendmsg, without
 * NLM_F_ACK: the kernel answers only on error (counted, the first one
 * printed). The entries ("churn entries") are
 *   UDP 10.2.<s/256%256>.<s%256>:<1 + s/65536%1024> > 192.0.2.2:53,
 *   dir forward, spi 7, path 30, origin 9
 * for a sequence number s. The live ones are s in lo..hi-1: a cycle grows
 * them to MAX (new entries only), then keeps creating while deleting the
 * oldest two for each one created until none is left, and starts again,
 * so the table grows and shrinks (resizes) all the time. Some creations
 * are followed by a replacement of a random live entry (a newer version).
 *
 *   flowchurn [-r RATE] [-m MAX] [-b N] [-p PCT] [-s FILE]
 *     -r RATE  entries created per second to aim at (10000; 0: flat out)
 *     -m MAX   live churn entries at the top of a cycle (20000)
 *     -b N     nests per message (64)
 *     -p PCT   replacements per 100 creations (25)
 *     -s FILE  status, rewritten every 100 ms and at the end:
 *              "ms created replaced deleted errors cycles live"
 *
 * Runs until SIGTERM or SIGINT, then deletes every live churn entry,
 * writes the status, prints one summary line (rates are over the whole
 * run) and exits 0, or 1 if the kernel refused anything.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/apsm.h>

#define SEND_BYTES	(128 * 1024)	/* one sendmsg at most */
#define MSG_BYTES	(16 * 1024)	/* one message at most */
#define NEST_MAX	128		/* bytes of one APSM_A_FLOW nest */

static volatile sig_atomic_t stop;
static struct mnl_socket *sk;
static uint16_t family;
static uint32_t seq;

static unsigned long rate = 10000, max_live = 20000, per_msg = 64, pct = 25;
static const char *status_path;

static uint64_t lo, hi, version;	/* live: lo..hi-1 */
static int growing = 1;
static unsigned long created, replaced, deleted, errors, cycles;
static uint32_t rnd = 2463534242u;

static char sbuf[SEND_BYTES];	/* messages, one after the other */
static size_t used;		/* bytes of complete messages in sbuf */
static struct nlmsghdr *cur;	/* the message being filled, at sbuf+used */
static unsigned long cur_n;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "flowchurn: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static void resolve_family(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, APSM_GENL_NAME);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		die("sendto");
	do {
		n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (n < 0)
			die("recv");
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq,
				 mnl_socket_get_portid(sk), family_cb, &family);
	} while (ret > 0);
	if (ret < 0 || !family) {
		fprintf(stderr, "flowchurn: no \"%s\" generic netlink family (module not loaded?)\n",
			APSM_GENL_NAME);
		exit(2);
	}
}

/* Errors the kernel sent back (we ask for no acks): count them. */
static void drain(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *err;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(mnl_socket_get_fd(sk), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ENOBUFS) {	/* errors were lost */
				errors++;
				continue;
			}
			die("recv");
		}
		len = n;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			err = mnl_nlmsg_get_payload(nlh);
			if (!err->error)
				continue;
			if (!errors)
				fprintf(stderr, "flowchurn: first error: %s\n",
					strerror(-err->error));
			errors++;
		}
	}
}

static void end_msg(void)
{
	if (cur) {
		used += NLMSG_ALIGN(cur->nlmsg_len);
		cur = NULL;
	}
}

static void flush_batch(void)
{
	end_msg();
	if (used && mnl_socket_sendto(sk, sbuf, used) < 0) {
		if (errno != ENOBUFS && errno != EINTR)
			die("sendto");
		errors++;
	}
	used = 0;
	drain();
}

/* Room for one more nest: a message with room, in a buffer with room. */
static void need_room(void)
{
	struct genlmsghdr *g;

	if (cur && (cur_n >= per_msg ||
		    cur->nlmsg_len + NEST_MAX > MSG_BYTES))
		end_msg();
	if (cur)
		return;
	if (used + MSG_BYTES > SEND_BYTES)
		flush_batch();
	cur = mnl_nlmsg_put_header(sbuf + used);
	cur->nlmsg_type = family;
	cur->nlmsg_flags = NLM_F_REQUEST;
	cur->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(cur, sizeof(*g));
	g->cmd = APSM_CMD_FLOW_INSTALL;
	g->version = APSM_GENL_VERSION;
	cur_n = 0;
}

static void put_flow(uint64_t s, uint8_t op)
{
	struct nlattr *nest;
	uint32_t src = htonl(0x0a020000 | (s & 0xffff));
	uint32_t dst = htonl(0xc0000202);
	uint32_t path = 30;

	need_room();
	nest = mnl_attr_nest_start(cur, APSM_A_FLOW);
	mnl_attr_put_u8(cur, APSM_FLOW_A_FAMILY, AF_INET);
	mnl_attr_put_u8(cur, APSM_FLOW_A_PROTO, IPPROTO_UDP);
	mnl_attr_put(cur, APSM_FLOW_A_SRC, sizeof(src), &src);
	mnl_attr_put(cur, APSM_FLOW_A_DST, sizeof(dst), &dst);
	mnl_attr_put_u16(cur, APSM_FLOW_A_SPORT, 1 + ((s >> 16) & 0x3ff));
	mnl_attr_put_u16(cur, APSM_FLOW_A_DPORT, 53);
	mnl_attr_put_u8(cur, APSM_FLOW_A_DIR, APSM_DIR_FORWARD);
	mnl_attr_put_u32(cur, APSM_FLOW_A_SPI, 7);
	mnl_attr_put(cur, APSM_FLOW_A_PATH, sizeof(path), &path);
	mnl_attr_put_u32(cur, APSM_FLOW_A_ORIGIN, 9);
	mnl_attr_put_u64(cur, APSM_FLOW_A_VERSION, ++version);
	mnl_attr_put_u8(cur, APSM_FLOW_A_OP, op);
	mnl_attr_nest_end(cur, nest);
	cur_n++;
}

/* One creation and what the cycle does with it. */
static void churn_one(void)
{
	put_flow(hi++, APSM_RDS_OP_NEW);
	created++;
	rnd ^= rnd << 13;
	rnd ^= rnd >> 17;
	rnd ^= rnd << 5;
	if (rnd % 100 < pct) {
		put_flow(lo + rnd / 100 % (hi - lo), APSM_RDS_OP_NEW);
		replaced++;
	}
	if (growing) {
		if (hi - lo >= max_live)
			growing = 0;
		return;
	}
	/* Shrinking: the two oldest go for each new one. */
	put_flow(lo++, APSM_RDS_OP_DEL);
	deleted++;
	if (lo < hi) {
		put_flow(lo++, APSM_RDS_OP_DEL);
		deleted++;
	}
	if (lo == hi) {
		growing = 1;
		cycles++;
	}
}

static void write_status(double t0)
{
	char tmp[4096];
	FILE *f;

	if (!status_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	fprintf(f, "%.0f %lu %lu %lu %lu %lu %llu\n", (now_s() - t0) * 1000,
		created, replaced, deleted, errors, cycles,
		(unsigned long long)(hi - lo));
	if (fclose(f) || rename(tmp, status_path))
		die(status_path);
}

static unsigned long num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end) {
		fprintf(stderr, "flowchurn: bad %s \"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	double t0, t, last_status = 0, dt;
	struct timespec nap = { 0, 1000000 };
	unsigned long due, n;
	int opt;

	while ((opt = getopt(argc, argv, "r:m:b:p:s:")) != -1) {
		switch (opt) {
		case 'r': rate = num(optarg, "rate"); break;
		case 'm': max_live = num(optarg, "max"); break;
		case 'b': per_msg = num(optarg, "batch"); break;
		case 'p': pct = num(optarg, "percentage"); break;
		case 's': status_path = optarg; break;
		default:
			fprintf(stderr, "usage: flowchurn [-r RATE] [-m MAX] [-b N] [-p PCT] [-s FILE]\n");
			return 2;
		}
	}
	if (!max_live || max_live > (1u << 25) || !per_msg || pct > 100) {
		fprintf(stderr, "flowchurn: -m 1..%u, -b >= 1, -p 0..100\n",
			1u << 25);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	sk = mnl_socket_open(NETLINK_GENERIC);
	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	resolve_family();

	t0 = now_s();
	while (!stop) {
		t = now_s();
		if (t - last_status >= 0.1) {
			write_status(t0);
			last_status = t;
		}
		due = rate ? (unsigned long)((t - t0) * rate) : created + 1024;
		if (created >= due) {
			nanosleep(&nap, NULL);
			continue;
		}
		/* At most about a sendmsg's worth at a time. */
		for (n = due - created; n && !stop; n--) {
			churn_one();
			if (created % 256 == 0)
				break;
		}
		flush_batch();
	}
	dt = now_s() - t0;

	/* Leave no churn entry behind. */
	while (lo < hi) {
		put_flow(lo++, APSM_RDS_OP_DEL);
		deleted++;
	}
	flush_batch();
	write_status(t0);
	printf("flowchurn: %.1f s: %lu created (%.0f/s), %lu replaced, %lu deleted; %.0f changes/s; %lu cycles of %lu; %lu errors\n",
	       dt, created, created / dt, replaced, deleted,
	       (created + replaced + deleted) / dt, cycles, max_live, errors);
	mnl_socket_close(sk);
	return errors ? 1 : 0;
}
