// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl: the iproute2-style command line over the "apsm" generic netlink
 * family. main, the global options, the command table and batch mode; the
 * commands live in ctl_<object>.c.
 *
 *   apsmctl [-j] [-n NETNS] [-b FILE] OBJECT COMMAND [ARGS]
 *   apsmctl --store URL [--prefix P] [-b FILE] OBJECT COMMAND [ARGS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apsmctl.h"

#ifndef APSMCTL_VERSION
#define APSMCTL_VERSION "unknown"
#endif

#define BATCH_ARGS_MAX 64

bool ctl_json;

struct ctl_cmd {
	const char *obj;
	const char *cmd;	/* NULL: the object takes its args directly */
	int (*fn)(int argc, char **argv);
	const char *usage;	/* after "apsmctl OBJ" */
};

static const struct ctl_cmd cmds[] = {
	{ "node", "set", cmd_node_set,
	  "set [id ID] [rds-max N] [policy-max N] [timeout-tcp SECS] [timeout-udp SECS] [timeout-other SECS] [hold-ms MS] [hold-max N] [hold-flow-max N] [hold-expire pass|drop] [peerdown drop|repin] [feed-size N]" },
	{ "node", "show", cmd_node_show, "show" },
	{ "peer", "add", cmd_peer_add, "add id ID dev DEV lladdr MAC" },
	{ "peer", "del", cmd_peer_del, "del id ID" },
	{ "peer", "set", cmd_peer_set,
	  "set id ID [state up|down] [updates-tx N] [updates-rx N] [batches-tx N] [batches-rx N] [auth-fail N] [replay N] [resync N] [last-rx-ms N] [lag-ms N]" },
	{ "peer", "show", cmd_peer_show, "show" },
	{ "port", "add", cmd_port_add, "add dev DEV role uplink|fabric" },
	{ "port", "del", cmd_port_del, "del dev DEV" },
	{ "port", "show", cmd_port_show, "show" },
	{ "service", "add", cmd_service_add, "add NAME [stateful|stateless]" },
	{ "service", "del", cmd_service_del, "del NAME" },
	{ "service", "show", cmd_service_show, "show" },
	{ "instance", "add", cmd_instance_add,
	  "add NAME service SVC [id ID] [node ID] [dev DEV] [mode nsh|proxy] [weight W] [lladdr MAC] [unrecovered classify|drop] [fprint-ttl MS]" },
	{ "instance", "set", cmd_instance_set,
	  "set NAME [weight W] [state up|drain|down] [lladdr MAC] [unrecovered classify|drop] [fprint-ttl MS] [dev DEV]" },
	{ "instance", "del", cmd_instance_del, "del NAME" },
	{ "instance", "show", cmd_instance_show, "show [service SVC] [NAME]" },
	{ "chain", "add", cmd_chain_add,
	  "add NAME [spi N] services SVC[,SVC...] [return SVC[,SVC...]]" },
	{ "chain", "del", cmd_chain_del, "del NAME" },
	{ "chain", "show", cmd_chain_show, "show" },
	{ "policy", "add", cmd_policy_add,
	  "add [prio N] [iif DEV] [src PFX] [dst PFX] [proto tcp|udp|icmp|icmpv6|NUM] [sport P[-P]] [dport P[-P]] [vlan VID] chain NAME" },
	{ "policy", "del", cmd_policy_del, "del prio N" },
	{ "policy", "show", cmd_policy_show, "show" },
	{ "flow", "show", cmd_flow_show,
	  "show [origin NODE] [chain NAME|spi N] [instance NAME|ID] [dir forward|return]" },
	{ "flow", "get", cmd_flow_get,
	  "get proto P src ADDR [sport PORT] dst ADDR [dport PORT]" },
	{ "flow", "del", cmd_flow_del,
	  "del proto P src ADDR [sport PORT] dst ADDR [dport PORT]" },
	{ "flow", "flush", cmd_flow_flush, "flush" },
	{ "flow", "changes", cmd_flow_changes, "changes [from SEQ] [limit N]" },
	{ "flow", "install", cmd_flow_install,
	  "install dir forward|return proto P src ADDR sport PORT dst ADDR dport PORT spi N path ID[,ID...] origin NODE version V" },
	{ "stats", "show", cmd_stats_show, "show" },
	{ "monitor", NULL, cmd_monitor, "[rds|events]" },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Accepted spellings of the commands. */
static const struct {
	const char *alias, *cmd;
} aliases[] = {
	{ "list", "show" },
	{ "ls", "show" },
	{ "delete", "del" },
	{ "new", "add" },
};

/* ------------------------------------------------------------ helpers */

void show_begin(struct show *s)
{
	json_init(&s->j, stdout);
	s->started = false;
}

struct json *show_json(struct show *s)
{
	if (!ctl_json)
		return NULL;
	if (!s->started) {
		json_arr_open(&s->j);
		s->started = true;
	}
	return &s->j;
}

int show_end(struct show *s, int ret)
{
	if (ctl_json && (ret == 0 || s->started)) {
		show_json(s);
		json_arr_close(&s->j);
		fputc('\n', stdout);
	}
	return ret;
}

const char *ifname_of(uint32_t ifindex, char *buf)
{
	if (!ifindex)
		return NULL;
	return if_indextoname(ifindex, buf);
}

int no_args(int argc, char **argv)
{
	if (argc > 0) {
		ctl_seterr("unknown keyword \"%s\"", argv[0]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ usage */

static void usage_object(FILE *f, const char *obj)
{
	size_t i;

	for (i = 0; i < N_CMDS; i++)
		if (!obj || !strcmp(cmds[i].obj, obj))
			fprintf(f, "       apsmctl [OPTIONS] %s %s\n", cmds[i].obj,
				cmds[i].usage);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: apsmctl [-j] [-n NETNS] OBJECT COMMAND [ARGS]\n"
		"       apsmctl [-j] [-n NETNS] -b FILE\n"
		"OPTIONS: -j, --json        JSON output\n"
		"         -n, --netns NETNS run in /var/run/netns/NETNS\n"
		"         -b, --batch FILE  one command per line (- for stdin)\n"
		"         -h, --help        this text\n"
		"         -V, --version     print the version\n"
		"         --store URL       the cluster catalogue in etcd (etcd://HOST:PORT[,...]):\n"
		"                           service|chain|policy add|del|show, node show\n"
		"         --prefix P        its key prefix (default /apsm/default)\n"
		"OBJECT COMMAND:\n");
	usage_object(f, NULL);
}

/* ------------------------------------------------------------ dispatch */

static bool is_object(const char *obj)
{
	size_t i;

	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].obj, obj))
			return true;
	return false;
}

/* Run one command line (argv without "apsmctl" and without options).
 * 0, or -1 with the complete message (after "apsmctl: ") in ctl_error().
 */
static int dispatch(int argc, char **argv)
{
	const char *obj, *cmd;
	char err[600];
	size_t i;

	if (argc < 1) {
		ctl_seterr("missing OBJECT (try \"apsmctl help\")");
		return -1;
	}
	obj = argv[0];
	if (ctl_store_url && strcmp(obj, "help"))
		return ctl_store_dispatch(argc, argv);
	if (!strcmp(obj, "help")) {
		usage(stdout);
		return 0;
	}
	if (!is_object(obj)) {
		ctl_seterr("unknown object \"%s\" (try \"apsmctl help\")", obj);
		return -1;
	}
	cmd = argc > 1 ? argv[1] : NULL;
	if (cmd && !strcmp(cmd, "help")) {
		printf("Usage:\n");
		usage_object(stdout, obj);
		return 0;
	}
	for (i = 0; cmd && i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(cmd, aliases[i].alias))
			cmd = aliases[i].cmd;
	for (i = 0; i < N_CMDS; i++) {
		const struct ctl_cmd *c = &cmds[i];
		int ret, skip;

		if (strcmp(c->obj, obj))
			continue;
		if (c->cmd) {
			/* OBJECT alone means OBJECT show. */
			if (!(cmd ? !strcmp(c->cmd, cmd) : !strcmp(c->cmd, "show")))
				continue;
			skip = cmd ? 2 : 1;
		} else {
			skip = 1;
		}
		ret = c->fn(argc - skip, argv + skip);
		if (ret) {
			snprintf(err, sizeof(err), "%s", ctl_error());
			if (c->cmd)
				ctl_seterr("%s %s: %s", c->obj, c->cmd, err);
			else
				ctl_seterr("%s: %s", c->obj, err);
		}
		return ret ? -1 : 0;
	}
	if (!cmd)
		ctl_seterr("%s: missing COMMAND (try \"apsmctl %s help\")", obj,
			   obj);
	else
		ctl_seterr("%s: unknown command \"%s\" (try \"apsmctl %s help\")",
			   obj, argv[1], obj);
	return -1;
}

static int batch(const char *file)
{
	const char *name = strcmp(file, "-") ? file : "<stdin>";
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL, *argv[BATCH_ARGS_MAX];
	unsigned long lineno = 0;
	size_t cap = 0;
	int argc, ret = 0;

	if (!f) {
		fprintf(stderr, "apsmctl: cannot open %s: %s\n", file,
			strerror(errno));
		return 1;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		argc = split_line(line, argv, BATCH_ARGS_MAX);
		if (argc > 0 && argv[0][0] == '-') {
			ctl_seterr("global option \"%s\" in a batch line (give options on the command line)",
				   argv[0]);
			argc = -1;
		}
		if (argc > 0 && dispatch(argc, argv))
			argc = -1;
		fflush(stdout);
		if (argc < 0) {
			fprintf(stderr, "apsmctl: %s:%lu: %s\n", name, lineno,
				ctl_error());
			ret = 1;
			break;
		}
	}
	if (!ret && ferror(f)) {
		fprintf(stderr, "apsmctl: %s: read error: %s\n", name,
			strerror(errno));
		ret = 1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* Enter /var/run/netns/NAME like `ip -n`. */
static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		fprintf(stderr, "apsmctl: invalid netns name \"%s\"\n", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "apsmctl: cannot open netns \"%s\": %s\n", name,
			strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "apsmctl: cannot enter netns \"%s\": %s\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "netns", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "store", required_argument, NULL, 'S' },
		{ "prefix", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *netns = NULL, *batch_file = NULL;
	int c, ret;

	nl_set_attr_namer(ctl_attr_keyword);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jn:b:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl_json = true;
			break;
		case 'n':
			netns = optarg;
			break;
		case 'b':
			batch_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'S':
			ctl_store_url = optarg;
			break;
		case 'P':
			ctl_store_prefix = optarg;
			break;
		case 'V':
			printf("apsmctl %s\n", APSMCTL_VERSION);
			return 0;
		default:
			if (optopt && strchr("nb", optopt))
				fprintf(stderr, "apsmctl: option -%c needs an argument\n",
					optopt);
			else if (optopt)
				fprintf(stderr, "apsmctl: unknown option \"-%c\" (try \"apsmctl -h\")\n",
					optopt);
			else
				fprintf(stderr, "apsmctl: unknown option \"%s\" (try \"apsmctl -h\")\n",
					argv[optind - 1]);
			return 1;
		}
	}
	if (netns && enter_netns(netns))
		return 1;
	if (batch_file) {
		if (optind < argc) {
			fprintf(stderr, "apsmctl: -b takes no OBJECT on the command line (\"%s\")\n",
				argv[optind]);
			return 1;
		}
		ret = batch(batch_file);
	} else {
		ret = dispatch(argc - optind, argv + optind) ? 1 : 0;
		if (ret)
			fprintf(stderr, "apsmctl: %s\n", ctl_error());
	}
	nl_close();
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "apsmctl: write error on stdout\n");
		return 1;
	}
	return ret;
}
