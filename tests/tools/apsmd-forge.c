// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd-forge: one apsmd datagram sealed with a given X25519 private key
 * for a given peer (per-node keys), for the identity tests
 * (tests/vm/apsmd-identity.sh): a node that is not registered, a node
 * claiming another origin, a node deleting another node's instance.
 * Built with apsmd's own wire.c/session.c/keys.c (userspace-ctl/Makefile).
 *
 *   apsmd-forge KEYFILE FROM_ID TO_PUBKEY TO_ID ADDR:PORT EPOCH SEQ log STREAM SEQNO ORIGIN VERSION
 *       one LOG entry (not REPAIR): IPv4 UDP 10.9.9.9:1111 -> 10.8.8.8:2222,
 *       spi 10, path 101, of ORIGIN with VERSION, numbered SEQNO in STREAM
 *   apsmd-forge ... inst ID NODE
 *       one INSTANCE record: delete instance ID of NODE
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "../../userspace-ctl/apsmd/keys.h"
#include "../../userspace-ctl/apsmd/session.h"

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "apsmd-forge: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct apsmd_wbuf w;
	uint8_t out[APSMD_DGRAM_MAX + APSMD_TAG_LEN], pk[1][APSMD_KEY_BYTES];
	struct apsmd_ident me = { 0 };
	struct apsmd_session s;
	struct apsmd_hdr h = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	char err[512], *colon;
	size_t len;
	int fd;

	if (argc < 10 || sodium_init() < 0) {
		fprintf(stderr, "usage: apsmd-forge KEYFILE FROM_ID TO_PUBKEY TO_ID ADDR:PORT EPOCH SEQ log STREAM SEQNO ORIGIN VERSION\n"
			"       apsmd-forge KEYFILE FROM_ID TO_PUBKEY TO_ID ADDR:PORT EPOCH SEQ inst ID NODE\n");
		return 2;
	}
	if (apsmd_key_file(argv[1], false, me.sk, err, sizeof(err)) ||
	    apsmd_key_public(me.sk, me.pk)) {
		fprintf(stderr, "apsmd-forge: %s\n", err);
		return 1;
	}
	me.id = num(argv[2]);
	if (apsmd_key_parse(argv[3], pk[0])) {
		fprintf(stderr, "apsmd-forge: TO_PUBKEY: not a key\n");
		return 2;
	}
	if (apsmd_session_make(&s, &me, num(argv[4]),
			       (const uint8_t (*)[APSMD_KEY_BYTES])pk, 1)) {
		fprintf(stderr, "apsmd-forge: no session\n");
		return 1;
	}
	colon = strrchr(argv[5], ':');
	if (!colon || (*colon = 0, inet_pton(AF_INET, argv[5], &to.sin_addr) != 1)) {
		fprintf(stderr, "apsmd-forge: ADDR:PORT (IPv4)\n");
		return 2;
	}
	to.sin_port = htons(num(colon + 1));
	h.sender = me.id;
	h.epoch = num(argv[6]);
	h.seq = num(argv[7]);
	if (!strcmp(argv[8], "log") && argc == 13) {
		struct apsmd_flow f = {
			.op = APSM_RDS_OP_NEW, .family = AF_INET, .proto = 17,
			.dir = APSM_DIR_FORWARD, .npath = 1, .sport = 1111,
			.dport = 2222, .spi = 10,
		};

		f.origin = num(argv[11]);
		f.version = num(argv[12]);
		f.path[0] = 101;
		inet_pton(AF_INET, "10.9.9.9", f.src);
		inet_pton(AF_INET, "10.8.8.8", f.dst);
		apsmd_wire_log_begin(&w, num(argv[9]), 1, num(argv[10]));
		if (apsmd_wire_log_add(&w, &f)) {
			fprintf(stderr, "apsmd-forge: entry refused by the encoder\n");
			return 1;
		}
	} else if (!strcmp(argv[8], "inst") && argc == 11) {
		struct apsmd_inst r = { .op = APSMD_INST_OP_DEL };
		uint8_t pre[APSMD_INST_PREFIX] = { 0 };

		r.id = num(argv[9]);
		strcpy(r.name, "fw1");	/* the decoder wants a name */
		r.node = num(argv[10]);
		apsmd_wire_begin(&w, APSMD_T_INSTANCE);
		apsmd_wire_raw(&w, pre, sizeof(pre));
		apsmd_wire_add_inst(&w, &r);
	} else {
		fprintf(stderr, "apsmd-forge: log STREAM SEQNO ORIGIN VERSION | inst ID NODE\n");
		return 2;
	}
	len = apsmd_session_seal(s.tx, out, &w, &h);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, out, len, 0, (struct sockaddr *)&to,
			     sizeof(to)) != (ssize_t)len) {
		perror("apsmd-forge: sendto");
		return 1;
	}
	close(fd);
	return 0;
}
