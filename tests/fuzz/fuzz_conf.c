// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: apsmd.conf. The input is written to a memfd and
 * parsed by apsmd_conf_load() through /proc/self/fd/N, as apsmd reads its
 * file; the same bytes then go through apsmd_key_load() (the KeyFile
 * reader). Checks what the parser promises: on success the fields are in
 * their documented ranges and the strings terminated; on failure the
 * message is a terminated string.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void check(const struct apsmd_conf *c)
{
	unsigned int i;

	if (!c->id || !c->listen_len || !c->key_file[0] || !c->fabric_dev[0] ||
	    c->n_peers > APSMD_PEERS_MAX ||
	    c->peer_timeout_ms <= c->heartbeat_ms ||
	    !memchr(c->key_file, 0, sizeof(c->key_file)) ||
	    !memchr(c->fabric_dev, 0, sizeof(c->fabric_dev)) ||
	    !memchr(c->stats_file, 0, sizeof(c->stats_file)))
		abort();
	for (i = 0; i < c->n_peers; i++)
		if (!c->peers[i].id || c->peers[i].id == c->id ||
		    !c->peers[i].ep_len ||
		    c->peers[i].ep.ss_family != c->listen.ss_family)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct apsmd_conf c;
	uint8_t key[APSMD_KEY_BYTES];
	char err[512];

	if (fd < 0) {
		fd = memfd_create("fuzz-apsmd.conf", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = '\0';
	if (apsmd_conf_load(path, &c, err, sizeof(err)) == 0)
		check(&c);
	else if (!memchr(err, 0, sizeof(err)) || !err[0])
		abort();
	err[0] = '\0';
	if (apsmd_key_load(path, key, err, sizeof(err)) && !err[0])
		abort();
	return 0;
}
