/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd: the per-node APSM controller. Shared declarations of the config
 * parser (apsmd_conf.c), the UDP wire format (apsmd_wire.c) and the daemon
 * (apsmd.c).
 */
#ifndef APSMD_H
#define APSMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/apsm.h>

#define APSMD_KEY_BYTES		32
#define APSMD_PEERS_MAX		256

struct apsmd_peer {
	uint32_t id;
	struct sockaddr_storage ep;
	socklen_t ep_len;
	uint8_t lladdr[6];
};

struct apsmd_conf {
	uint32_t id;
	struct sockaddr_storage listen;
	socklen_t listen_len;
	char key_file[256];
	char fabric_dev[32];
	char stats_file[256];
	unsigned int n_peers;
	struct apsmd_peer peers[APSMD_PEERS_MAX];
};

/* Parse FILE into c. 0, or -1 with "FILE:LINE: why" in err. */
int apsmd_conf_load(const char *file, struct apsmd_conf *c, char *err,
		    size_t errlen);

/* Read a base64 key file into key. 0 or -1 (err set). */
int apsmd_key_load(const char *file, uint8_t key[APSMD_KEY_BYTES], char *err,
		   size_t errlen);

/* ---- wire format (all integers big-endian) ----
 *
 * header (32 bytes): magic u32 "APSM", version u8, type u8, count u16,
 *   sender u32, reserved u32, epoch u64, seq u64
 * count entries: op u8, family u8, proto u8, dir u8, npath u8, pad[3],
 *   sport u16, dport u16, spi u32, origin u32, version u64,
 *   src[4|16], dst[4|16], path u32[npath]
 * MAC: crypto_auth (HMAC-SHA512-256) over everything before, 32 bytes.
 */
#define APSMD_MAGIC		0x4150534dU
#define APSMD_WIRE_VERSION	1
#define APSMD_T_BATCH		1
#define APSMD_HDR_LEN		32
#define APSMD_MAC_LEN		32
#define APSMD_DGRAM_MAX		1400

struct apsmd_flow {
	uint8_t op, family, proto, dir, npath;
	uint16_t sport, dport;
	uint32_t spi, origin;
	uint64_t version;
	uint8_t src[16], dst[16];
	uint32_t path[APSM_PATH_MAX];
};

struct apsmd_hdr {
	uint32_t sender;
	uint16_t count;
	uint64_t epoch, seq;
};

/* Builds datagrams: begin, add until it returns 1 (full: seal and send,
 * then begin again and re-add), seal.
 */
struct apsmd_wbuf {
	uint8_t b[APSMD_DGRAM_MAX];
	size_t len;
	uint16_t count;
};

void apsmd_wire_begin(struct apsmd_wbuf *w);
/* 0 added, 1 does not fit, -1 invalid entry. */
int apsmd_wire_add(struct apsmd_wbuf *w, const struct apsmd_flow *f);
/* Fill the header and append the MAC; returns the datagram length. */
size_t apsmd_wire_seal(struct apsmd_wbuf *w, const struct apsmd_hdr *h,
		       const uint8_t key[APSMD_KEY_BYTES]);

enum apsmd_verdict {
	APSMD_OK,
	APSMD_BAD_FORMAT,
	APSMD_BAD_MAC,
};

/* Check the MAC and the format of a datagram; on APSMD_OK fill h and
 * (at most max) flows, *n their number.
 */
enum apsmd_verdict apsmd_wire_open(const uint8_t *b, size_t len,
				   const uint8_t key[APSMD_KEY_BYTES],
				   struct apsmd_hdr *h, struct apsmd_flow *f,
				   unsigned int max, unsigned int *n);

/* Anti-replay window of one sender. */
struct apsmd_replay {
	uint64_t epoch, top;
	uint64_t bits;		/* bit i: top - i seen */
	bool init;
};

/* 0: fresh (and recorded), -1: replayed, stale epoch or too old. */
int apsmd_replay_check(struct apsmd_replay *r, uint64_t epoch, uint64_t seq);

#endif /* APSMD_H */
