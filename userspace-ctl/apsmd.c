// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd: the per-node APSM controller.
 *
 *   apsmd genkey
 *   apsmd -c FILE [-n NETNS] [--foreground]
 *
 * Sets the node up from the config (node id, fabric port, peers), listens
 * to the kernel's "rds" multicast group and pushes every entry created or
 * deleted on this node to every peer over UDP (authenticated batches, see
 * apsmd.h); installs what peers push (APSM_CMD_FLOW_INSTALL, one message
 * per datagram). A netlink overflow (ENOBUFS) is counted and repaired by
 * pushing a dump of this node's own entries. SIGUSR1 prints counters,
 * SIGHUP reloads the peer list, SIGTERM/SIGINT exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "apsmd.h"
#include "args.h"
#include "nl.h"

#define FLOWS_PER_DGRAM	(APSMD_DGRAM_MAX / 36 + 1)

struct counters {
	uint64_t sent, received, batches_sent, batches_received, auth_fail,
		 replay, bad_format, unknown_sender, resyncs, enobufs,
		 install_fail, send_fail;
};

static struct {
	const char *conf_file;
	struct apsmd_conf conf;
	uint8_t key[APSMD_KEY_BYTES];
	int udp, mc, sfd;
	struct mnl_socket *mcsk;
	uint32_t ifindex;
	uint64_t epoch, seq;
	struct apsmd_replay replay[APSMD_PEERS_MAX];
	uint32_t replay_id[APSMD_PEERS_MAX];
	struct apsmd_wbuf w;
	struct counters c;
	bool dirty;
} d;

static void logm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logm(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "apsmd[%u]: ", d.conf.id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------ stats */

#define COUNTERS(X) X(sent) X(received) X(batches_sent) X(batches_received) \
	X(auth_fail) X(replay) X(bad_format) X(unknown_sender) X(resyncs) \
	X(enobufs) X(install_fail) X(send_fail)

static void stats_print(FILE *f, bool json)
{
	const char *sep = "";

	fputs(json ? "{" : "apsmd: ", f);
#define X(n) do { fprintf(f, json ? "%s\"%s\":%llu" : "%s%s %llu", sep, #n, \
			  (unsigned long long)d.c.n); sep = json ? "," : " "; } while (0);
	COUNTERS(X)
#undef X
	fputs(json ? "}\n" : "\n", f);
}

static void stats_write(void)
{
	char tmp[300];
	FILE *f;

	d.dirty = false;
	if (!d.conf.stats_file[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d.conf.stats_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	stats_print(f, true);
	if (fclose(f) == 0)
		rename(tmp, d.conf.stats_file);
}

/* ------------------------------------------------------------ kernel */

static bool is_eexist(void)
{
	return !strncmp(ctl_error(), strerror(EEXIST), strlen(strerror(EEXIST)));
}

static int kernel_peer_add(const struct apsmd_peer *p)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_PEER_NEW, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_PEER);

	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, p->id);
	mnl_attr_put_u32(nlh, APSM_PEER_A_IFINDEX, d.ifindex);
	mnl_attr_put(nlh, APSM_PEER_A_LLADDR, 6, p->lladdr);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL) && !is_eexist()) {
		logm("peer add %u: %s", p->id, ctl_error());
		return -1;
	}
	return 0;
}

static void kernel_peer_del(uint32_t id)
{
	struct nlmsghdr *nlh = nl_msg(APSM_CMD_PEER_DEL, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_PEER);

	mnl_attr_put_u32(nlh, APSM_PEER_A_ID, id);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL))
		logm("peer del %u: %s", id, ctl_error());
}

static int kernel_setup(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned int i;

	d.ifindex = if_nametoindex(d.conf.fabric_dev);
	if (!d.ifindex) {
		logm("FabricDevice %s: %s", d.conf.fabric_dev, strerror(errno));
		return -1;
	}
	nlh = nl_msg(APSM_CMD_NODE_SET, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_NODE);
	mnl_attr_put_u32(nlh, APSM_NODE_A_ID, d.conf.id);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL)) {
		logm("node set id %u: %s", d.conf.id, ctl_error());
		return -1;
	}
	nlh = nl_msg(APSM_CMD_PORT_NEW, 0);
	nest = mnl_attr_nest_start(nlh, APSM_A_PORT);
	mnl_attr_put_u32(nlh, APSM_PORT_A_IFINDEX, d.ifindex);
	mnl_attr_put_u8(nlh, APSM_PORT_A_ROLE, APSM_PORT_FABRIC);
	mnl_attr_nest_end(nlh, nest);
	if (nl_request(nlh, NULL, NULL) && !is_eexist()) {
		logm("port add %s role fabric: %s", d.conf.fabric_dev,
		     ctl_error());
		return -1;
	}
	for (i = 0; i < d.conf.n_peers; i++)
		if (kernel_peer_add(&d.conf.peers[i]))
			return -1;
	return 0;
}

static const uint8_t flow_kind[APSM_FLOW_A_MAX + 1] = {
	[APSM_FLOW_A_FAMILY] = NLK_U8,
	[APSM_FLOW_A_PROTO] = NLK_U8,
	[APSM_FLOW_A_SPORT] = NLK_U16,
	[APSM_FLOW_A_DPORT] = NLK_U16,
	[APSM_FLOW_A_DIR] = NLK_U8,
	[APSM_FLOW_A_SPI] = NLK_U32,
	[APSM_FLOW_A_ORIGIN] = NLK_U32,
	[APSM_FLOW_A_VERSION] = NLK_U64,
	[APSM_FLOW_A_OP] = NLK_U8,
};

/* An APSM_A_FLOW nest into f. 0 or -1 (malformed). */
static int flow_from_nest(const struct nlattr *nest, struct apsmd_flow *f)
{
	const struct nlattr *tb[APSM_FLOW_A_MAX + 1];
	size_t al;
	uint16_t pl;

	nl_parse_nest(nest, flow_kind, APSM_FLOW_A_MAX, tb);
	memset(f, 0, sizeof(*f));
	f->family = nl_u8(tb[APSM_FLOW_A_FAMILY]);
	al = f->family == AF_INET ? 4 : f->family == AF_INET6 ? 16 : 0;
	if (!al || !tb[APSM_FLOW_A_SRC] || !tb[APSM_FLOW_A_DST] ||
	    mnl_attr_get_payload_len(tb[APSM_FLOW_A_SRC]) != al ||
	    mnl_attr_get_payload_len(tb[APSM_FLOW_A_DST]) != al)
		return -1;
	memcpy(f->src, mnl_attr_get_payload(tb[APSM_FLOW_A_SRC]), al);
	memcpy(f->dst, mnl_attr_get_payload(tb[APSM_FLOW_A_DST]), al);
	f->op = tb[APSM_FLOW_A_OP] ? nl_u8(tb[APSM_FLOW_A_OP]) : APSM_RDS_OP_NEW;
	f->proto = nl_u8(tb[APSM_FLOW_A_PROTO]);
	f->dir = nl_u8(tb[APSM_FLOW_A_DIR]);
	f->sport = nl_u16(tb[APSM_FLOW_A_SPORT]);
	f->dport = nl_u16(tb[APSM_FLOW_A_DPORT]);
	f->spi = nl_u32(tb[APSM_FLOW_A_SPI]);
	f->origin = nl_u32(tb[APSM_FLOW_A_ORIGIN]);
	f->version = nl_u64(tb[APSM_FLOW_A_VERSION]);
	if (tb[APSM_FLOW_A_PATH]) {
		pl = mnl_attr_get_payload_len(tb[APSM_FLOW_A_PATH]);
		if (pl % 4 || pl / 4 > APSM_PATH_MAX)
			return -1;
		f->npath = pl / 4;
		memcpy(f->path, mnl_attr_get_payload(tb[APSM_FLOW_A_PATH]), pl);
	}
	return 0;
}

static void kernel_install(const struct apsmd_flow *f, unsigned int n)
{
	struct nlmsghdr *nlh;
	unsigned int i;

	if (!n)
		return;
	nlh = nl_msg(APSM_CMD_FLOW_INSTALL, 0);
	for (i = 0; i < n; i++) {
		size_t al = f[i].family == AF_INET ? 4 : 16;
		struct nlattr *nest = mnl_attr_nest_start(nlh, APSM_A_FLOW);

		mnl_attr_put_u8(nlh, APSM_FLOW_A_FAMILY, f[i].family);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_PROTO, f[i].proto);
		mnl_attr_put(nlh, APSM_FLOW_A_SRC, al, f[i].src);
		mnl_attr_put(nlh, APSM_FLOW_A_DST, al, f[i].dst);
		mnl_attr_put_u16(nlh, APSM_FLOW_A_SPORT, f[i].sport);
		mnl_attr_put_u16(nlh, APSM_FLOW_A_DPORT, f[i].dport);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_DIR, f[i].dir);
		mnl_attr_put_u32(nlh, APSM_FLOW_A_SPI, f[i].spi);
		mnl_attr_put(nlh, APSM_FLOW_A_PATH, 4 * f[i].npath, f[i].path);
		mnl_attr_put_u32(nlh, APSM_FLOW_A_ORIGIN, f[i].origin);
		mnl_attr_put_u64(nlh, APSM_FLOW_A_VERSION, f[i].version);
		mnl_attr_put_u8(nlh, APSM_FLOW_A_OP, f[i].op);
		mnl_attr_nest_end(nlh, nest);
	}
	if (nl_request(nlh, NULL, NULL)) {
		d.c.install_fail++;
		logm("flow install (%u entries): %s", n, ctl_error());
		return;
	}
	d.c.received += n;
}

/* ------------------------------------------------------------ push */

static void push_flush(void)
{
	struct apsmd_hdr h = { .sender = d.conf.id, .epoch = d.epoch };
	unsigned int i;
	size_t len;

	if (!d.w.count)
		return;
	h.seq = ++d.seq;
	h.count = d.w.count;
	len = apsmd_wire_seal(&d.w, &h, d.key);
	for (i = 0; i < d.conf.n_peers; i++) {
		const struct apsmd_peer *p = &d.conf.peers[i];

		if (sendto(d.udp, d.w.b, len, 0, (const struct sockaddr *)&p->ep,
			   p->ep_len) < 0)
			d.c.send_fail++;
	}
	d.c.sent += d.w.count;
	d.c.batches_sent++;
	d.dirty = true;
	apsmd_wire_begin(&d.w);
}

static void push_flow(const struct apsmd_flow *f)
{
	int r = apsmd_wire_add(&d.w, f);

	if (r == 1) {
		push_flush();
		r = apsmd_wire_add(&d.w, f);
	}
	if (r)
		d.c.bad_format++;
}

/* A kernel message (RDS_NOTIFY, or a FLOW_GET dump reply): push its flows;
 * only_own: skip those another node created.
 */
static int push_msg(const struct nlmsghdr *nlh, bool only_own)
{
	const struct nlattr *a;
	struct apsmd_flow f;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return 0;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != APSM_A_FLOW)
			continue;
		if (flow_from_nest(a, &f)) {
			d.c.bad_format++;
			continue;
		}
		if (only_own && f.origin != d.conf.id)
			continue;
		push_flow(&f);
	}
	return 0;
}

static int dump_one(const struct nlmsghdr *nlh, void *arg)
{
	(void)arg;
	return push_msg(nlh, true);
}

static void resync(void)
{
	d.c.resyncs++;
	d.dirty = true;
	if (nl_dump(nl_msg(APSM_CMD_FLOW_GET, 0), dump_one, NULL))
		logm("resync dump: %s", ctl_error());
	push_flush();
}

/* ------------------------------------------------------------ sockets */

static int mc_resolve_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *g, *x;
	uint32_t *id = arg;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(g, a) {
			const char *name = NULL;
			uint32_t gid = 0;

			mnl_attr_for_each_nested(x, g) {
				if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME &&
				    mnl_attr_validate(x, MNL_TYPE_NUL_STRING) == 0)
					name = mnl_attr_get_str(x);
				if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID &&
				    mnl_attr_validate(x, MNL_TYPE_U32) == 0)
					gid = mnl_attr_get_u32(x);
			}
			if (name && !strcmp(name, APSM_MCGRP_RDS))
				*id = gid;
		}
	}
	return MNL_CB_OK;
}

/* A second netlink socket, only for the "rds" group, so that requests on
 * nl.c's socket never swallow notifications.
 */
static int mc_open(void)
{
	char buf[8192];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int rcvbuf = 32 << 20, fl;
	uint32_t grp = 0;
	ssize_t n;

	d.mcsk = mnl_socket_open(NETLINK_GENERIC);
	if (!d.mcsk || mnl_socket_bind(d.mcsk, 0, MNL_SOCKET_AUTOPID) < 0) {
		logm("netlink socket: %s", strerror(errno));
		return -1;
	}
	d.mc = mnl_socket_get_fd(d.mcsk);
	if (setsockopt(d.mc, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(d.mc, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, APSM_GENL_NAME);
	if (mnl_socket_sendto(d.mcsk, nlh, nlh->nlmsg_len) < 0)
		goto err;
	n = mnl_socket_recvfrom(d.mcsk, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, n, 1, mnl_socket_get_portid(d.mcsk),
				mc_resolve_cb, &grp) < 0 || !grp)
		goto err;
	if (mnl_socket_setsockopt(d.mcsk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		goto err;
	fl = fcntl(d.mc, F_GETFL);
	fcntl(d.mc, F_SETFL, fl | O_NONBLOCK);
	return 0;
err:
	logm("cannot join the \"%s\" group: %s", APSM_MCGRP_RDS,
	     errno ? strerror(errno) : "no such group");
	return -1;
}

static int udp_open(void)
{
	int one = 1, buf = 4 << 20;

	d.udp = socket(d.conf.listen.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (d.udp < 0)
		return -1;
	setsockopt(d.udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(d.udp, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(d.udp, (struct sockaddr *)&d.conf.listen,
		 d.conf.listen_len) < 0) {
		logm("bind Listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ events */

static void on_netlink(void)
{
	static char buf[NL_BUF_SIZE];
	ssize_t n;

	for (;;) {
		const struct nlmsghdr *r;
		int len;

		n = recv(d.mc, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				d.c.enobufs++;
				logm("netlink overflow: resyncing");
				resync();
				continue;
			}
			break;		/* EAGAIN: drained */
		}
		len = n;
		for (r = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len))
			if (r->nlmsg_type >= NLMSG_MIN_TYPE &&
			    nl_cmd(r) == APSM_CMD_RDS_NOTIFY)
				push_msg(r, false);
	}
	push_flush();
}

static struct apsmd_replay *replay_of(uint32_t sender)
{
	unsigned int i;

	for (i = 0; i < d.conf.n_peers; i++)
		if (d.conf.peers[i].id == sender)
			break;
	if (i == d.conf.n_peers)
		return NULL;
	/* windows are kept by id so that a reload does not reset them */
	for (i = 0; i < APSMD_PEERS_MAX; i++)
		if (d.replay_id[i] == sender)
			return &d.replay[i];
	for (i = 0; i < APSMD_PEERS_MAX; i++) {
		if (!d.replay_id[i]) {
			d.replay_id[i] = sender;
			return &d.replay[i];
		}
	}
	return NULL;
}

static void on_udp(void)
{
	static struct apsmd_flow f[FLOWS_PER_DGRAM];
	uint8_t buf[APSMD_DGRAM_MAX + 1];
	struct apsmd_replay *rp;
	struct apsmd_hdr h;
	unsigned int n;
	ssize_t len;

	for (;;) {
		len = recv(d.udp, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		d.dirty = true;
		switch (apsmd_wire_open(buf, len, d.key, &h, f, FLOWS_PER_DGRAM,
					&n)) {
		case APSMD_BAD_MAC:
			d.c.auth_fail++;
			continue;
		case APSMD_BAD_FORMAT:
			d.c.bad_format++;
			continue;
		case APSMD_OK:
			break;
		}
		rp = replay_of(h.sender);
		if (!rp) {
			d.c.unknown_sender++;
			continue;
		}
		if (apsmd_replay_check(rp, h.epoch, h.seq)) {
			d.c.replay++;
			continue;
		}
		d.c.batches_received++;
		kernel_install(f, n);
	}
}

static void reload(void)
{
	static struct apsmd_conf nc;
	char err[512];
	unsigned int i, j;

	if (apsmd_conf_load(d.conf_file, &nc, err, sizeof(err))) {
		logm("reload: %s (keeping the old config)", err);
		return;
	}
	for (i = 0; i < d.conf.n_peers; i++) {
		for (j = 0; j < nc.n_peers; j++)
			if (nc.peers[j].id == d.conf.peers[i].id)
				break;
		if (j == nc.n_peers)
			kernel_peer_del(d.conf.peers[i].id);
	}
	for (j = 0; j < nc.n_peers; j++)
		kernel_peer_add(&nc.peers[j]);
	memcpy(d.conf.peers, nc.peers, sizeof(nc.peers));
	d.conf.n_peers = nc.n_peers;
	logm("reloaded: %u peers", d.conf.n_peers);
}

/* ------------------------------------------------------------ main */

static int genkey(void)
{
	uint8_t key[APSMD_KEY_BYTES];
	char b64[sodium_base64_ENCODED_LEN(APSMD_KEY_BYTES,
					   sodium_base64_VARIANT_ORIGINAL)];

	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	puts(b64);
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

int main(int argc, char **argv)
{
	const char *netns = NULL;
	bool foreground = false;
	struct pollfd pfd[3];
	struct timespec ts;
	char err[512];
	sigset_t ss;
	int i;

	if (sodium_init() < 0) {
		fprintf(stderr, "apsmd: libsodium failed to initialise\n");
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "genkey"))
		return genkey();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			d.conf_file = argv[++i];
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
	if (!d.conf_file) {
		usage();
		return 2;
	}
	if (apsmd_conf_load(d.conf_file, &d.conf, err, sizeof(err)) ||
	    apsmd_key_load(d.conf.key_file, d.key, err, sizeof(err))) {
		fprintf(stderr, "apsmd: %s\n", err);
		return 1;
	}
	if (netns && enter_netns(netns))
		return 1;
	if (nl_open()) {
		fprintf(stderr, "apsmd: %s\n", ctl_error());
		return 1;
	}
	if (kernel_setup() || mc_open() || udp_open())
		return 1;
	if (!foreground && daemon(0, 1) < 0) {
		logm("daemon: %s", strerror(errno));
		return 1;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	d.sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_REALTIME, &ts);
	d.epoch = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	apsmd_wire_begin(&d.w);
	logm("running: %u peers, fabric %s", d.conf.n_peers, d.conf.fabric_dev);
	/* entries made before we listened: push them (a restart) */
	resync();
	d.c.resyncs = 0;
	stats_write();

	pfd[0] = (struct pollfd){ .fd = d.mc, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = d.udp, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = d.sfd, .events = POLLIN };
	for (;;) {
		struct signalfd_siginfo si;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			logm("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			on_netlink();
		if (pfd[1].revents)
			on_udp();
		while (read(d.sfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGTERM:
			case SIGINT:
				logm("exiting");
				stats_print(stderr, false);
				stats_write();
				mnl_socket_close(d.mcsk);
				close(d.udp);
				nl_close();
				sodium_memzero(d.key, sizeof(d.key));
				return 0;
			case SIGHUP:
				reload();
				break;
			case SIGUSR1:
				stats_print(stderr, false);
				break;
			}
		}
		if (d.dirty)
			stats_write();
	}
}
