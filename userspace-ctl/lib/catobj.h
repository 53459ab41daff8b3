/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Catalogue objects (lib/catobj.c): the services, chains and policies of
 * the cluster catalogue, as one canonical text each.
 *
 * The value format of the store (PREFIX/catalog/KIND/NAME) and the lines
 * of a catalogue file are the apsmctl argument list of "KIND add", parsed
 * by the keyword parser of args.c (the one apsmctl uses for its command
 * line and for -b batch lines) and written back in canonical order:
 *
 *   service/fw       "fw stateful"
 *   chain/web        "web spi 10 services fw,nat return nat"
 *   policy/100       "prio 100 iif eth0 src 10.0.0.0/8 proto tcp dport 80 chain web"
 *
 * A policy's NAME is its prio. iif is kept as a name (the node resolves it
 * when it applies the rule), so a store written from any host is valid.
 */
#ifndef APSM_CATOBJ_H
#define APSM_CATOBJ_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/apsm.h>
#include <libmnl/libmnl.h>

#include "args.h"

#define CAT_LINE_MAX	512

enum cat_kind { CAT_SERVICE, CAT_CHAIN, CAT_POLICY, CAT_KINDS };

/* "service", "chain", "policy" */
extern const char *const cat_kind_name[CAT_KINDS];

struct cat_obj {
	enum cat_kind kind;
	char name[APSM_NAME_MAX];	/* the key (a policy: its prio) */
	char line[CAT_LINE_MAX];	/* canonical "KIND add" arguments */
	/* what the object names: a chain's services (and return), a
	 * policy's chain
	 */
	unsigned int n_refs;
	char refs[2 * APSM_PATH_MAX][APSM_NAME_MAX];
	/* chain: spi (0: not given); policy: prio given */
	uint32_t spi;
	bool prio_set;
	struct arg_val v[10];		/* the parsed arguments */
};

/* The kind named s, or -1. */
int cat_kind_parse(const char *s);

/* Parse the arguments of "KIND add" into o (canonical line, refs). A
 * policy without prio is accepted with prio_set false (the caller
 * chooses one: cat_set_prio). 0, or -1 with the message in ctl_error().
 */
int cat_parse(enum cat_kind kind, int argc, char **argv, struct cat_obj *o);
/* The same from a text (a store value or a file line's arguments). */
int cat_parse_line(enum cat_kind kind, const char *line, struct cat_obj *o);
/* Give a policy its prio (name and line follow). */
void cat_set_prio(struct cat_obj *o, uint32_t prio);

/* Parse the argument of "KIND del" (a name, or "prio N") into name.
 * 0 or -1 (ctl_error).
 */
int cat_parse_del(enum cat_kind kind, int argc, char **argv,
		  char name[APSM_NAME_MAX]);

/* Netlink requests (lib/nl.c's send buffer) to create o / delete the
 * object kind+name in this node's kernel. NULL with ctl_error() set when
 * the object cannot be made here (a policy's iif is not a device here).
 */
struct nlmsghdr *cat_nl_add(const struct cat_obj *o);
struct nlmsghdr *cat_nl_del(enum cat_kind kind, const char *name);

#endif /* APSM_CATOBJ_H */
