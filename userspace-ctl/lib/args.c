// SPDX-License-Identifier: GPL-2.0
/*
 * apsmctl's argument parser: value parsers, the keyword parser and the
 * batch-line tokenizer. See args.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"

static char errbuf[512];

void ctl_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
}

const char *ctl_error(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static bool name_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

int parse_name(const char *s, char out[APSM_NAME_MAX])
{
	size_t i;

	if (!s || !s[0])
		return -1;
	for (i = 0; s[i]; i++) {
		if (!name_char_ok(s[i]))
			return -1;
		if (i >= APSM_NAME_MAX - 1)
			return -2;
	}
	memcpy(out, s, i + 1);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	int i, d;

	if (!s)
		return -1;
	for (i = 0; i < 6; i++) {
		if ((d = hexval(*s)) < 0)
			return -1;
		m[i] = d;
		s++;
		if ((d = hexval(*s)) >= 0) {
			m[i] = m[i] << 4 | d;
			s++;
		}
		if (i < 5 && *s++ != ':')
			return -1;
	}
	if (*s)
		return -1;
	if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -2;
	memcpy(mac, m, 6);
	return 0;
}

int parse_addr(const char *s, struct ctl_addr *a)
{
	struct ctl_addr t = { 0 };

	if (!s)
		return -1;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, t.a) != 1)
			return -1;
		t.family = AF_INET6;
		t.plen = 128;
	} else {
		/* inet_pton (unlike inet_aton) takes dotted quads only. */
		if (inet_pton(AF_INET, s, t.a) != 1)
			return -1;
		t.family = AF_INET;
		t.plen = 32;
	}
	*a = t;
	return 0;
}

int parse_prefix(const char *s, struct ctl_addr *a)
{
	char buf[CTL_ADDR_STRLEN];
	const char *slash;
	struct ctl_addr t;
	uint64_t plen;
	int i, bytes;

	if (!s)
		return -1;
	slash = strchr(s, '/');
	if (!slash)
		return parse_addr(s, a);
	if ((size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (parse_addr(buf, &t))
		return -1;
	if (!slash[1] || !isdigit((unsigned char)slash[1]) ||
	    strlen(slash + 1) > 3)
		return -1;
	if (parse_u64(slash + 1, 0, 255, &plen))
		return -1;
	if ((int)plen > t.plen)
		return -2;
	t.plen = plen;
	bytes = t.family == AF_INET ? 4 : 16;
	for (i = 0; i < bytes; i++) {
		int keep = t.plen - i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
			       (uint8_t)(0xff << (8 - keep));

		if (t.a[i] & ~mask)
			return -3;
	}
	*a = t;
	return 0;
}

int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	const char *dash;
	uint64_t l, h;

	if (!s)
		return -1;
	dash = strchr(s, '-');
	if (!dash) {
		if (parse_u64(s, 0, 65535, &l))
			return -1;
		*lo = *hi = l;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, dash - s);
	buf[dash - s] = '\0';
	if (parse_u64(buf, 0, 65535, &l) || parse_u64(dash + 1, 0, 65535, &h))
		return -1;
	if (l > h)
		return -2;
	*lo = l;
	*hi = h;
	return 0;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "icmp", 1 },
	{ "tcp", 6 },
	{ "udp", 17 },
	{ "icmpv6", 58 },
	{ "ipv6-icmp", 58 },
};

int parse_proto(const char *s, uint8_t *proto)
{
	uint64_t v;
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	}
	if (parse_u64(s, 0, 255, &v))
		return -1;
	*proto = v;
	return 0;
}

const char *proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

/* Call fn on each comma-separated element of s (copied to a buffer of
 * size max_elem); empty elements are errors.
 */
static int for_each_elem(const char *s, size_t max_elem, unsigned int max,
			 unsigned int *n,
			 int (*fn)(const char *elem, unsigned int i, void *arg),
			 void *arg)
{
	char buf[64];
	unsigned int count = 0;
	const char *p = s, *comma;
	size_t len;
	int ret;

	if (!s || !*s)
		return -1;
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len)
			return -1;
		if (count >= max)
			return -2;
		if (len >= max_elem || len >= sizeof(buf))
			return -3;
		memcpy(buf, p, len);
		buf[len] = '\0';
		ret = fn(buf, count, arg);
		if (ret)
			return ret;
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*n = count;
	return 0;
}

static int name_elem(const char *elem, unsigned int i, void *arg)
{
	char (*out)[APSM_NAME_MAX] = arg;

	return parse_name(elem, out[i]) ? -1 : 0;
}

int parse_name_list(const char *s, char (*out)[APSM_NAME_MAX],
		    unsigned int max, unsigned int *n)
{
	return for_each_elem(s, APSM_NAME_MAX, max, n, name_elem, out);
}

static int id_elem(const char *elem, unsigned int i, void *arg)
{
	uint32_t *out = arg;
	uint64_t v;

	if (parse_u64(elem, 1, UINT32_MAX, &v))
		return -1;
	out[i] = v;
	return 0;
}

int parse_id_list(const char *s, uint32_t *out, unsigned int max,
		  unsigned int *n)
{
	return for_each_elem(s, 24, max, n, id_elem, out);
}

const char *fmt_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *fmt_prefix(const struct ctl_addr *a, char buf[CTL_ADDR_STRLEN])
{
	int full = a->family == AF_INET ? 32 : 128;
	size_t len;

	if (!inet_ntop(a->family, a->a, buf, CTL_ADDR_STRLEN)) {
		snprintf(buf, CTL_ADDR_STRLEN, "?");
		return buf;
	}
	if (a->plen < full) {
		len = strlen(buf);
		snprintf(buf + len, CTL_ADDR_STRLEN - len, "/%d", a->plen);
	}
	return buf;
}

/* ------------------------------------------------------------------ */

static void choices_text(const char *const *c, char *buf, size_t size)
{
	size_t len = 0;
	int i, n = 0;

	while (c[n])
		n++;
	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++) {
		len += snprintf(buf + len, size - len, "%s%s",
				i == 0 ? "" : i == n - 1 ? " or " : ", ", c[i]);
	}
}

static int parse_value(const struct arg_spec *sp, const char *s,
		       struct arg_val *v)
{
	unsigned int max = sp->max ? sp->max : APSM_PATH_MAX;
	char buf[256];
	int ret, i;

	switch (sp->type) {
	case ARG_U32:
	case ARG_U64:
		if (parse_u64(s, sp->min, sp->max, &v->u))
			goto bad_range;
		return 0;
	case ARG_NAME:
		ret = parse_name(s, v->name);
		if (ret == -2) {
			ctl_seterr("%s \"%s\" is too long (at most %d characters)",
				   sp->kw, s, APSM_NAME_MAX - 1);
			return -1;
		}
		if (ret) {
			ctl_seterr("invalid %s \"%s\" (1..%d characters of [A-Za-z0-9_.-])",
				   sp->kw, s, APSM_NAME_MAX - 1);
			return -1;
		}
		return 0;
	case ARG_NAMES:
		ret = parse_name_list(s, v->names, max, &v->n);
		if (ret == -2) {
			ctl_seterr("invalid %s \"%s\" (at most %u names)",
				   sp->kw, s, max);
			return -1;
		}
		if (ret == -3) {
			ctl_seterr("invalid %s \"%s\" (a name is longer than %d characters)",
				   sp->kw, s, APSM_NAME_MAX - 1);
			return -1;
		}
		if (ret) {
			ctl_seterr("invalid %s \"%s\" (NAME[,NAME...], names of [A-Za-z0-9_.-])",
				   sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_IDS:
		ret = parse_id_list(s, v->ids, max, &v->n);
		if (ret == -2) {
			ctl_seterr("invalid %s \"%s\" (at most %u ids)",
				   sp->kw, s, max);
			return -1;
		}
		if (ret) {
			ctl_seterr("invalid %s \"%s\" (ID[,ID...], ids 1..4294967295)",
				   sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_DEV:
		if (!s[0] || strlen(s) >= IFNAMSIZ || strchr(s, '/') ||
		    strpbrk(s, " \t\n:")) {
			ctl_seterr("invalid %s \"%s\" (not an interface name)",
				   sp->kw, s);
			return -1;
		}
		snprintf(v->name, sizeof(v->name), "%s", s);
		v->u = if_nametoindex(s);
		if (!v->u) {
			ctl_seterr("unknown device \"%s\"", s);
			return -1;
		}
		return 0;
	case ARG_MAC:
		ret = parse_mac(s, v->mac);
		if (ret == -2) {
			ctl_seterr("invalid %s \"%s\" (not a unicast MAC address)",
				   sp->kw, s);
			return -1;
		}
		if (ret) {
			ctl_seterr("invalid %s \"%s\" (expected a MAC address like 02:00:00:00:00:01)",
				   sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_ADDR:
		if (parse_addr(s, &v->addr)) {
			ctl_seterr("invalid %s \"%s\" (expected an IPv4 or IPv6 address)",
				   sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_PREFIX:
		ret = parse_prefix(s, &v->addr);
		if (ret == -2) {
			ctl_seterr("invalid %s \"%s\" (prefix length out of range)",
				   sp->kw, s);
			return -1;
		}
		if (ret == -3) {
			struct ctl_addr t;
			char net[CTL_ADDR_STRLEN];

			/* Tell the operator which network they meant. */
			snprintf(buf, sizeof(buf), "%s", s);
			*strchr(buf, '/') = '\0';
			parse_addr(buf, &t);
			t.plen = atoi(strchr(s, '/') + 1);
			for (i = 0; i < 16; i++) {
				int keep = t.plen - i * 8;

				t.a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 :
					  (uint8_t)(0xff << (8 - keep));
			}
			ctl_seterr("invalid %s \"%s\" (host bits set; the network is %s)",
				   sp->kw, s, fmt_prefix(&t, net));
			return -1;
		}
		if (ret) {
			ctl_seterr("invalid %s \"%s\" (expected ADDR[/LEN], IPv4 or IPv6)",
				   sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_PORT:
		if (parse_u64(s, 0, 65535, &v->u)) {
			ctl_seterr("invalid %s \"%s\" (0..65535)", sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_PORTS:
		ret = parse_port_range(s, &v->lo, &v->hi);
		if (ret == -2) {
			ctl_seterr("invalid %s \"%s\" (empty range: LO > HI)",
				   sp->kw, s);
			return -1;
		}
		if (ret) {
			ctl_seterr("invalid %s \"%s\" (PORT or LO-HI, 0..65535)",
				   sp->kw, s);
			return -1;
		}
		return 0;
	case ARG_PROTO: {
		uint8_t p;

		if (parse_proto(s, &p)) {
			ctl_seterr("invalid %s \"%s\" (tcp, udp, icmp, icmpv6 or 0..255)",
				   sp->kw, s);
			return -1;
		}
		v->u = p;
		return 0;
	}
	case ARG_CHOICE:
		for (i = 0; sp->choices[i]; i++) {
			if (!strcmp(s, sp->choices[i])) {
				v->u = i + 1;
				return 0;
			}
		}
		choices_text(sp->choices, buf, sizeof(buf));
		ctl_seterr("invalid %s \"%s\" (%s)", sp->kw, s, buf);
		return -1;
	}
	ctl_seterr("internal error: bad argument type");
	return -1;

bad_range:
	ctl_seterr("invalid %s \"%s\" (%llu..%llu)", sp->kw, s,
		   (unsigned long long)sp->min, (unsigned long long)sp->max);
	return -1;
}

static bool choice_matches(const struct arg_spec *sp, const char *s)
{
	int i;

	for (i = 0; sp->choices[i]; i++)
		if (!strcmp(s, sp->choices[i]))
			return true;
	return false;
}

int args_parse(int argc, char **argv, const struct arg_spec *spec,
	       size_t nspec, struct arg_val *val)
{
	size_t i, pos;
	int a;

	memset(val, 0, sizeof(*val) * nspec);
	for (a = 0; a < argc; a++) {
		const char *tok = argv[a];

		for (i = 0; i < nspec; i++)
			if (!(spec[i].flags & ARG_POS) && !strcmp(tok, spec[i].kw))
				break;
		if (i < nspec) {
			if (val[i].set) {
				ctl_seterr("duplicate keyword \"%s\"", tok);
				return -1;
			}
			if (a + 1 >= argc) {
				ctl_seterr("missing value after \"%s\"", tok);
				return -1;
			}
			if (parse_value(&spec[i], argv[++a], &val[i]))
				return -1;
			val[i].set = true;
			continue;
		}
		/* Not a keyword: the next free positional, if any. */
		for (pos = 0; pos < nspec; pos++)
			if ((spec[pos].flags & ARG_POS) && !val[pos].set)
				break;
		if (pos == nspec ||
		    (spec[pos].type == ARG_CHOICE &&
		     !choice_matches(&spec[pos], tok) &&
		     !(spec[pos].flags & ARG_REQ))) {
			ctl_seterr("unknown keyword \"%s\"", tok);
			return -1;
		}
		if (parse_value(&spec[pos], tok, &val[pos]))
			return -1;
		val[pos].set = true;
	}
	for (i = 0; i < nspec; i++) {
		if ((spec[i].flags & ARG_REQ) && !val[i].set) {
			if (spec[i].flags & ARG_POS) {
				char up[32];
				size_t k;

				for (k = 0; spec[i].kw[k] && k < sizeof(up) - 1; k++)
					up[k] = toupper((unsigned char)spec[i].kw[k]);
				up[k] = '\0';
				ctl_seterr("missing required argument %s", up);
			}
			else
				ctl_seterr("missing required argument \"%s\"",
					   spec[i].kw);
			return -1;
		}
	}
	return 0;
}

int split_line(char *line, char **argv, int max)
{
	char *r = line, *w = line;
	int argc = 0;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r || *r == '#')
			break;
		if (argc >= max) {
			ctl_seterr("too many words (at most %d)", max);
			return -1;
		}
		argv[argc++] = w;
		while (*r) {
			if (quote) {
				if (*r == quote) {
					quote = 0;
					r++;
					continue;
				}
			} else if (*r == '"' || *r == '\'') {
				quote = *r++;
				continue;
			} else if (*r == ' ' || *r == '\t' || *r == '\r' ||
				   *r == '\n') {
				break;
			}
			*w++ = *r++;
		}
		if (quote) {
			ctl_seterr("unterminated %c quote", quote);
			return -1;
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
	return argc;
}
