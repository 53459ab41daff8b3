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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
		if (argc > BATCH_ARGS_MAX) {
			fprintf(stderr, "split_line: %d words, max %d\n", argc,
				BATCH_ARGS_MAX);
			abort();
		}
		if (argc > 0 && argv[0][0] != '-')
			dispatch(argc, argv);
		/* an error message is always NUL-terminated */
		(void)strlen(ctl_error());
	}
	free(buf);
	return 0;
}
