/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmctl's argument parser: the value parsers (numbers, names, MACs,
 * addresses, prefixes, port ranges, protocols), the keyword parser every
 * command uses, and the tokenizer for -b batch lines. The command line and
 * a batch line go through the same code: a batch line is split into an
 * argv and handed to the same dispatcher.
 */
#ifndef APSMCTL_ARGS_H
#define APSMCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/apsm.h>

/* An IPv4/IPv6 address or prefix. plen is the full length for an address. */
struct ctl_addr {
	int family;		/* AF_INET or AF_INET6 */
	int plen;
	uint8_t a[16];		/* network byte order */
};

/* ---- value parsers: 0 on success, negative on error, no message ---- */

/* Decimal, or hex with 0x; no sign, no spaces; min <= value <= max. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* An object name: 1..APSM_NAME_MAX-1 of [A-Za-z0-9_.-].
 * -1: bad character or empty, -2: too long.
 */
int parse_name(const char *s, char out[APSM_NAME_MAX]);

/* xx:xx:xx:xx:xx:xx (1 or 2 hex digits per octet). -1: syntax,
 * -2: not a unicast address (multicast, broadcast or all zero).
 */
int parse_mac(const char *s, uint8_t mac[6]);

/* An IPv4 or IPv6 address (no prefix length). */
int parse_addr(const char *s, struct ctl_addr *a);

/* ADDR[/LEN]. -1: syntax, -2: length out of range, -3: host bits set. */
int parse_prefix(const char *s, struct ctl_addr *a);

/* PORT or LO-HI, 0..65535. -1: syntax or range, -2: LO > HI. */
int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi);

/* tcp, udp, icmp, icmpv6 (ipv6-icmp) or 0..255. */
int parse_proto(const char *s, uint8_t *proto);

/* A comma list of names (1..max) / of ids 1..2^32-1 (1..max).
 * -1: bad element, -2: too many, -3: too long element.
 */
int parse_name_list(const char *s, char (*out)[APSM_NAME_MAX],
		    unsigned int max, unsigned int *n);
int parse_id_list(const char *s, uint32_t *out, unsigned int max,
		  unsigned int *n);

/* ---- formatting ---- */

#define CTL_ADDR_STRLEN 48	/* INET6_ADDRSTRLEN + "/128" */

const char *fmt_mac(const uint8_t mac[6], char buf[18]);
/* The address, with "/plen" when plen is shorter than the full length. */
const char *fmt_prefix(const struct ctl_addr *a, char buf[CTL_ADDR_STRLEN]);
/* Protocol name or NULL if it has none. */
const char *proto_name(uint8_t proto);

/* ---- the keyword parser ---- */

enum arg_type {
	ARG_U32,	/* u32 in min..max */
	ARG_U64,	/* u64 in min..max */
	ARG_NAME,	/* object name */
	ARG_NAMES,	/* NAME[,NAME...], at most max (default APSM_PATH_MAX) */
	ARG_IDS,	/* ID[,ID...], at most max (default APSM_PATH_MAX) */
	ARG_DEV,	/* interface name, resolved to an ifindex in .u */
	ARG_MAC,
	ARG_ADDR,
	ARG_PREFIX,
	ARG_PORT,	/* single port 0..65535 in .u */
	ARG_PORTS,	/* PORT or LO-HI in .lo/.hi */
	ARG_PROTO,	/* in .u */
	ARG_CHOICE,	/* one of .choices; .u = index + 1 */
};

#define ARG_REQ	0x1	/* must be given */
#define ARG_POS	0x2	/* positional: no keyword; kw names it in messages */

struct arg_spec {
	const char *kw;
	enum arg_type type;
	unsigned int flags;
	uint64_t min, max;
	const char *const *choices;	/* ARG_CHOICE: NULL-terminated */
};

/* Spec table entries. For ARG_NAMES/ARG_IDS, max is the element count. */
#define ARG_SPEC(k, t, f) { .kw = (k), .type = (t), .flags = (f) }
#define ARG_RANGE(k, t, f, lo, hi) \
	{ .kw = (k), .type = (t), .flags = (f), .min = (lo), .max = (hi) }
#define ARG_CHOICES(k, f, c) \
	{ .kw = (k), .type = ARG_CHOICE, .flags = (f), .choices = (c) }

struct arg_val {
	bool set;
	uint64_t u;
	uint16_t lo, hi;
	uint8_t mac[6];
	struct ctl_addr addr;
	char name[APSM_NAME_MAX];
	unsigned int n;
	char names[APSM_PATH_MAX][APSM_NAME_MAX];
	uint32_t ids[APSM_PATH_MAX];
};

/* Parse argv against spec[0..nspec-1] into val[0..nspec-1] (same index).
 * Keywords take one value each; tokens that are not keywords fill the
 * positional specs in order. Returns 0, or -1 with the message in
 * ctl_error().
 */
int args_parse(int argc, char **argv, const struct arg_spec *spec,
	       size_t nspec, struct arg_val *val);

/* Split a batch line in place into argv (at most max entries). Words are
 * separated by blanks; "..." and '...' group; a word starting with # ends
 * the line. Returns the count (0 for a blank or comment line), or -1 with
 * the message in ctl_error().
 */
int split_line(char *line, char **argv, int max);

/* ---- errors ---- */

/* Set / read the current error message (printf-style). */
void ctl_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ctl_error(void);

#endif /* APSMCTL_ARGS_H */
