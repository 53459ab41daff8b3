/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmctl: what the command files (ctl_*.c) share: the global options, the
 * command handlers the table in apsmctl.c dispatches to, the per-object
 * printers (also used by `monitor`), and the id -> name resolver.
 */
#ifndef APSMCTL_H
#define APSMCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/apsm.h>

#include "args.h"
#include "json.h"
#include "nl.h"

/* -j given. */
extern bool ctl_json;

/* The output of one show command: a JSON array with -j, lines without. */
struct show {
	struct json j;
	bool started;
};

void show_begin(struct show *s);
/* The json writer to use for one object (opening the array on first
 * use), or NULL for plain text.
 */
struct json *show_json(struct show *s);
/* Close the array (an empty one if ret is 0 and nothing was shown);
 * returns ret.
 */
int show_end(struct show *s, int ret);

/* Interface name of ifindex in this netns, NULL if 0 or unknown. */
const char *ifname_of(uint32_t ifindex, char *buf);

/* Parse argv against a spec table with the sizes taken from the arrays. */
#define ARGS_PARSE(argc, argv, spec, val) \
	args_parse(argc, argv, spec, sizeof(spec) / sizeof(spec[0]), val)

/* The names of instances (by id) and chains (by SPI), for printing flows. */
struct ctl_names {
	struct ctl_name {
		uint32_t key;
		char name[APSM_NAME_MAX];
	} *inst, *chain;
	unsigned int n_inst, n_chain;
};

/* Fill from instance and chain dumps; failures leave the table short
 * (ids then print as numbers).
 */
void names_load(struct ctl_names *n);
void names_free(struct ctl_names *n);
const char *names_instance(const struct ctl_names *n, uint32_t id);
const char *names_chain(const struct ctl_names *n, uint32_t spi);
/* name NULL removes the entry. */
void names_set_instance(struct ctl_names *n, uint32_t id, const char *name);
void names_set_chain(struct ctl_names *n, uint32_t spi, const char *name);

/*
 * Printers: one object (the content of its APSM_A_<OBJ> nest) as a JSON
 * object to j, or, with j NULL, as one line of text without the newline.
 */
void print_node(const struct nlattr *nest, struct json *j);
void print_peer(const struct nlattr *nest, struct json *j);
void print_port(const struct nlattr *nest, struct json *j);
void print_service(const struct nlattr *nest, struct json *j);
void print_instance(const struct nlattr *nest, struct json *j);
void print_chain(const struct nlattr *nest, struct json *j);
void print_policy(const struct nlattr *nest, struct json *j);
void print_flow(const struct nlattr *nest, const struct ctl_names *names,
		struct json *j);
/* A flow's address attribute as text in buf, or NULL (absent, bad length). */
const char *flow_addr(const struct nlattr *a, char buf[CTL_ADDR_STRLEN]);
void print_stats(const struct nlattr *nest, struct json *j);

/* Instance/chain attributes (for the monitor's name cache). */
void instance_key(const struct nlattr *nest, uint32_t *id, const char **name);
void chain_key(const struct nlattr *nest, uint32_t *spi, const char **name);

/* Command handlers: argv holds the arguments after OBJECT COMMAND.
 * 0 on success, -1 with the message in ctl_error().
 */
int cmd_node_set(int argc, char **argv);
int cmd_node_show(int argc, char **argv);
int cmd_peer_add(int argc, char **argv);
int cmd_peer_del(int argc, char **argv);
int cmd_peer_set(int argc, char **argv);
int cmd_peer_show(int argc, char **argv);
int cmd_port_add(int argc, char **argv);
int cmd_port_del(int argc, char **argv);
int cmd_port_show(int argc, char **argv);
int cmd_service_add(int argc, char **argv);
int cmd_service_del(int argc, char **argv);
int cmd_service_show(int argc, char **argv);
int cmd_instance_add(int argc, char **argv);
int cmd_instance_set(int argc, char **argv);
int cmd_instance_del(int argc, char **argv);
int cmd_instance_show(int argc, char **argv);
int cmd_chain_add(int argc, char **argv);
int cmd_chain_del(int argc, char **argv);
int cmd_chain_show(int argc, char **argv);
int cmd_policy_add(int argc, char **argv);
int cmd_policy_del(int argc, char **argv);
int cmd_policy_show(int argc, char **argv);
int cmd_flow_show(int argc, char **argv);
int cmd_flow_get(int argc, char **argv);
int cmd_flow_changes(int argc, char **argv);
int cmd_flow_del(int argc, char **argv);
int cmd_flow_flush(int argc, char **argv);
int cmd_flow_install(int argc, char **argv);
int cmd_stats_show(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

/* A command that takes no arguments: -1 with a message if argc > 0. */
int no_args(int argc, char **argv);

/* keywords.c: the CLI keyword of a netlink attribute (nest 0: of an
 * object nest), or NULL; the namer of nl_error_text().
 */
const char *ctl_attr_keyword(uint16_t nest, uint16_t type);

/* ctl_store.c: --store URL / --prefix P, and the commands run on the
 * store instead of the kernel (service, chain, policy, node show).
 */
extern const char *ctl_store_url;
extern const char *ctl_store_prefix;
int ctl_store_dispatch(int argc, char **argv);

#endif /* APSMCTL_H */
