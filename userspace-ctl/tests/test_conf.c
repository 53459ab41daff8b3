// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd.conf's line reader (apsmd/conf.c): lines up to 1023 bytes,
 * with or without a final newline, are read; longer ones and NUL bytes
 * are refused with their own message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../apsmd/conf.h"
#include "unit.h"

/* Load TEXT (len bytes) as a config; 0 or -1, the error in err. */
static int load(const char *text, size_t len, char *err, size_t errlen)
{
	char path[] = "/tmp/apsm-test-conf.XXXXXX";
	static struct apsmd_conf c;
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		snprintf(err, errlen, "temp file");
		return -2;
	}
	close(fd);
	ret = apsmd_conf_load(path, &c, err, errlen);
	unlink(path);
	return ret;
}

void test_conf(void)
{
	static const char head[] =
		"[Node]\nId = 1\nListen = 127.0.0.1:7946\nKeyFile = /k\n"
		"FabricDevice = lo\n";
	char text[4096], err[512];
	size_t n;
	int ret;

	/* the last line: a comment of exactly 1023 bytes, no newline */
	n = strlen(head);
	memcpy(text, head, n);
	memset(text + n, '#', 1023);
	ret = load(text, n + 1023, err, sizeof(err));
	CHECK(ret == 0, "1023-byte last line without newline: %s", ret ? err : "");
	/* the same with a newline */
	text[n + 1023] = '\n';
	ret = load(text, n + 1024, err, sizeof(err));
	CHECK(ret == 0, "1023-byte line with newline: %s", ret ? err : "");
	/* 1024 bytes: too long, named */
	memset(text + n, '#', 1024);
	text[n + 1024] = '\n';
	ret = load(text, n + 1025, err, sizeof(err));
	CHECK(ret == -1 && strstr(err, "line too long") && strstr(err, ":6:"),
	      "1024-byte line: %d %s", ret, err);
	/* a NUL byte: its own message */
	memcpy(text + n, "Inventory = n\0o\n", 16);
	ret = load(text, n + 16, err, sizeof(err));
	CHECK(ret == -1 && strstr(err, "NUL byte"), "NUL byte: %d %s", ret, err);
	/* CRLF line ends still parse */
	snprintf(text, sizeof(text), "%s",
		 "[Node]\r\nId = 2\r\nListen = 127.0.0.1:7946\r\nKeyFile = /k\r\n"
		 "FabricDevice = lo\r\n");
	ret = load(text, strlen(text), err, sizeof(err));
	CHECK(ret == 0, "CRLF: %s", ret ? err : "");
}
