// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: apsmctl's command line, as a -b batch file. Every line
 * goes through split_line() and apsmctl's dispatcher into the command's
 * argument parser (lib/args.c with its keyword tables) and, when it
 * parses, into the netlink request it builds; nl_stub.c checks that
 * request and acks it without a socket. Global options (-j) come from the
 * first input byte.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* apsmctl.c's dispatcher is static: take the file whole, main renamed. */
#define main apsmctl_main
#include "../../userspace-ctl/apsmctl/apsmctl.c"
#undef main

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* help and show output is noise here */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	nl_set_attr_namer(ctl_attr_keyword);
	return 0;
}

#define FAIL(...) do { fprintf(stderr, "fuzz_args: " __VA_ARGS__); \
		       fputc('\n', stderr); abort(); } while (0)

/* The value parsers on their own, with what they promise: a value that
 * parses formats (fmt_*) into text that parses back to the same value.
 */
static void values(const char *w)
{
	char buf[CTL_ADDR_STRLEN], mb[18], name[APSM_NAME_MAX];
	char names[APSM_PATH_MAX][APSM_NAME_MAX];
	uint32_t ids[APSM_PATH_MAX];
	struct ctl_addr a, b;
	uint8_t m[6], m2[6], p, p2;
	uint16_t lo, hi;
	unsigned int n;
	const char *pn;

	if (!parse_prefix(w, &a)) {
		fmt_prefix(&a, buf);
		if (parse_prefix(buf, &b) || a.family != b.family ||
		    a.plen != b.plen || memcmp(a.a, b.a, 16))
			FAIL("prefix \"%s\" formats as \"%s\", which differs", w,
			     buf);
	}
	if (!parse_mac(w, m)) {
		fmt_mac(m, mb);
		if (parse_mac(mb, m2) || memcmp(m, m2, 6))
			FAIL("MAC \"%s\" formats as \"%s\", which differs", w, mb);
	}
	if (!parse_port_range(w, &lo, &hi) && lo > hi)
		FAIL("port range \"%s\": %u > %u", w, lo, hi);
	if (!parse_proto(w, &p) && (pn = proto_name(p)) &&
	    (parse_proto(pn, &p2) || p2 != p))
		FAIL("protocol \"%s\" is %u, named %s", w, p, pn);
	if (!parse_name(w, name) && strcmp(name, w))
		FAIL("name \"%s\" parsed as \"%s\"", w, name);
	if (!parse_name_list(w, names, APSM_PATH_MAX, &n) &&
	    (!n || n > APSM_PATH_MAX))
		FAIL("name list \"%s\": %u names", w, n);
	if (!parse_id_list(w, ids, APSM_PATH_MAX, &n) &&
	    (!n || n > APSM_PATH_MAX))
		FAIL("id list \"%s\": %u ids", w, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int i;

	char *buf, *line, *next, *argv[BATCH_ARGS_MAX];
	int argc;

	if (size < 1 || size > 4096)
		return 0;
	ctl_json = data[0] & 1;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (line = buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		argc = split_line(line, argv, BATCH_ARGS_MAX);
		if (argc < 0)
			continue;
		if (argc > BATCH_ARGS_MAX)
			FAIL("split_line: %d words, max %d", argc, BATCH_ARGS_MAX);
		for (i = 0; i < argc; i++)
			values(argv[i]);
		if (argc > 0 && argv[0][0] != '-')
			dispatch(argc, argv);
		/* an error message is always NUL-terminated */
		(void)strlen(ctl_error());
	}
	free(buf);
	return 0;
}
