/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's UDP wire format (wire.c): pure encode/decode, MAC, stable entry
 * hashes, anti-replay window. The bottom of apsmd: includes no module.
 */
#ifndef APSMD_WIRE_H
#define APSMD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/apsm.h>

#define APSMD_KEY_BYTES		32

/* ---- wire format v3 (all fixed-size integers big-endian) ----
 *
 * header (32 bytes): magic u32 "APSM", version u8 (3), type u8, count u16,
 *   sender u32, ttl u8, flags u8, pad u16, epoch u64, seq u64
 * body, by type:
 *   LOG:       stream u32, epoch u64, first u64 (prefix, 20 bytes), then
 *              count entries numbered first, first + 1, ... (stream 0:
 *              unsequenced repair/snapshot entries, first 0). Each entry
 *              is coded against the one before it in the datagram:
 *                same u8: bit set = this part is the previous entry's
 *                  and is absent here (0x01 flags+origin, 0x02 proto,
 *                  0x04 src, 0x08 dst, 0x10 sport, 0x20 dport, 0x40 spi,
 *                  0x80 npath+path); the first entry has same = 0
 *                [flags u8: 0x80 del, 0x40 IPv6, 0x20 origin follows,
 *                  0x10 return dir, low 4 bits 0]
 *                [varint origin: absent = the stream id]
 *                [proto u8] [src 4|16] [dst 4|16] [sport u16] [dport u16]
 *                [varint spi]
 *                varint zigzag(version - previous entry's version, 0
 *                  before the first): always present
 *                [npath u8 (<= APSM_PATH_MAX), npath varint instance ids]
 *              An address is "same" only across entries of one family.
 *              Typical: same client and service, new source port: 4-6
 *              bytes; a new IPv4 client too: 8-10 bytes.
 *              Varint: LEB128, 7 bits a byte, at most 10 bytes.
 *   HEARTBEAT: inventory hash u64, own instances u32, pad u32 (count 0)
 *   PULL:      what u8, pad[7], bitmap[16] (ignored)
 *   INSTANCE:  generation u32, total u16, pad u16, count records: op u8,
 *              state u8, mode u8, pad u8, id u32, node u32, weight u32,
 *              name[32], service[32]
 *   VECTOR:    count records: stream u32, epoch u64, hwm u64
 *   NACK:      count ranges: stream u32, epoch u64, from u64, to u64
 *   LOG_GONE:  count ranges (as NACK) the sender no longer keeps
 * MAC: crypto_auth (HMAC-SHA512-256) over everything before, 32 bytes.
 */
#define APSMD_MAGIC		0x4150534dU
#define APSMD_WIRE_VERSION	3
#define APSMD_T_HEARTBEAT	2
#define APSMD_T_PULL		4
#define APSMD_T_INSTANCE	5
#define APSMD_T_LOG		6
#define APSMD_T_VECTOR		7
#define APSMD_T_NACK		8
#define APSMD_T_LOG_GONE	9
#define APSMD_T_TREE		10	/* repair.c */
#define APSMD_T_TREE_ENTRIES	11	/* repair.c */
#define APSMD_T_MAX		12
#define APSMD_HDR_LEN		32
#define APSMD_MAC_LEN		32
#define APSMD_DGRAM_MAX		1400

#define APSMD_F_REPAIR		0x01	/* repair/snapshot data: not relayed */
#define APSMD_F_SNAP_END	0x02	/* last datagram of a snapshot */
#define APSMD_F_READY		0x04	/* heartbeat: sender is ready */
#define APSMD_F_BASELINE	0x08	/* VECTOR: what the snapshot covers */

#define APSMD_PULL_FULL		2	/* RDS + inventory + SNAP_END */
#define APSMD_PULL_INVENTORY	3

#define APSMD_HB_LEN		16
#define APSMD_PULL_LEN		24
#define APSMD_LOG_PREFIX	20
/* LOG entries a datagram can hold (an entry is at least 2 bytes) */
#define APSMD_LOG_ENTRIES_MAX	((APSMD_DGRAM_MAX - APSMD_LOG_PREFIX) / 2)
#define APSMD_VEC_REC		20
#define APSMD_RANGE_REC		28
#define APSMD_INST_PREFIX	8
#define APSMD_INST_REC		80
#define APSMD_INST_OP_SET	1
#define APSMD_INST_OP_DEL	2

/* Why an RDS entry changed (values of the uapi's enum apsm_rds_cause,
 * APSM_FLOW_A_CAUSE in the feed and the "rds" multicast).
 */
#define APSMD_CAUSE_INSERT	1	/* created here (packet path) */
#define APSMD_CAUSE_INSTALL	2	/* installed/replaced from a peer */
#define APSMD_CAUSE_DELETE	3	/* operator's delete */
#define APSMD_CAUSE_FLUSH	4	/* operator's flush */
#define APSMD_CAUSE_EXPIRE	5	/* idle past its timeout */
#define APSMD_CAUSE_PEER_DEL	6	/* a peer's delete, installed here */

struct apsmd_flow {
	uint8_t op, family, proto, dir, npath;
	uint16_t sport, dport;
	uint32_t spi, origin;
	uint64_t version;
	uint8_t src[16], dst[16];
	uint32_t path[APSM_PATH_MAX];
};

struct apsmd_inst {
	uint8_t op, state, mode;
	uint32_t id, node, weight;
	char name[APSM_NAME_MAX], service[APSM_NAME_MAX];
};

struct apsmd_hdr {
	uint8_t type, ttl, flags;
	uint16_t count;
	uint32_t sender;
	uint64_t epoch, seq;
};

/* Builds datagrams: begin, add until it returns 1 (full: seal and send,
 * then begin again and re-add), seal.
 */
struct apsmd_wbuf {
	uint8_t b[APSMD_DGRAM_MAX];
	size_t len;
	uint16_t count;
	uint8_t type;
	uint32_t stream;	/* LOG: stream id, previous version */
	uint64_t prev;
	struct apsmd_flow last;	/* LOG: the previous entry */
};

/* A per-stream record: VECTOR (hwm in to, from unused) and NACK/LOG_GONE. */
struct apsmd_range {
	uint32_t stream;
	uint64_t epoch, from, to;
};

static inline void apsmd_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void apsmd_put32(uint8_t *p, uint32_t v)
{
	apsmd_put16(p, v >> 16);
	apsmd_put16(p + 2, v);
}

static inline void apsmd_put64(uint8_t *p, uint64_t v)
{
	apsmd_put32(p, v >> 32);
	apsmd_put32(p + 4, v);
}

static inline uint16_t apsmd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t apsmd_get32(const uint8_t *p)
{
	return (uint32_t)apsmd_get16(p) << 16 | apsmd_get16(p + 2);
}

static inline uint64_t apsmd_get64(const uint8_t *p)
{
	return (uint64_t)apsmd_get32(p) << 32 | apsmd_get32(p + 4);
}

void apsmd_wire_begin(struct apsmd_wbuf *w, uint8_t type);
/* LOG: begin with the prefix (stream, epoch, first seq), then add the
 * consecutive entries: 0 added, 1 does not fit, -1 invalid entry.
 */
void apsmd_wire_log_begin(struct apsmd_wbuf *w, uint32_t stream,
			  uint64_t epoch, uint64_t first);
int apsmd_wire_log_add(struct apsmd_wbuf *w, const struct apsmd_flow *f);
/* Decode a LOG body: prefix into *pre (to unused), entries into f. */
enum apsmd_verdict apsmd_wire_log_open(const uint8_t *body, size_t blen,
				       unsigned int count,
				       struct apsmd_range *pre,
				       struct apsmd_flow *f, unsigned int max,
				       unsigned int *n);
/* VECTOR (r->to = hwm), NACK, LOG_GONE records: 0 added, 1 full. */
int apsmd_wire_add_range(struct apsmd_wbuf *w, const struct apsmd_range *r);
enum apsmd_verdict apsmd_wire_ranges(const uint8_t *body, size_t blen,
				     uint8_t type, unsigned int count,
				     struct apsmd_range *r, unsigned int max,
				     unsigned int *n);
/* INSTANCE (after the prefix, see apsmd_wire_raw): 0 added, 1 full. */
int apsmd_wire_add_inst(struct apsmd_wbuf *w, const struct apsmd_inst *r);
/* Append n raw body bytes (no count change): 0, or 1 if they do not fit. */
int apsmd_wire_raw(struct apsmd_wbuf *w, const void *p, size_t n);
/* Fill the header (type and count from w) and append the MAC; returns
 * the datagram length.
 */
size_t apsmd_wire_seal(struct apsmd_wbuf *w, const struct apsmd_hdr *h,
		       const uint8_t key[APSMD_KEY_BYTES]);

enum apsmd_verdict {
	APSMD_OK,
	APSMD_BAD_FORMAT,
	APSMD_BAD_MAC,
};

/* The fixed header of b (APSMD_HDR_LEN bytes, already authenticated):
 * magic, version and type checked, fields into h. APSMD_OK or
 * APSMD_BAD_FORMAT. Shared by the MAC (here) and AEAD (session.c) paths.
 */
enum apsmd_verdict apsmd_wire_hdr_decode(const uint8_t *b,
					 struct apsmd_hdr *h);

/* Check the MAC and the header of a datagram; on APSMD_OK fill h and
 * point body/blen at what follows the header (before the MAC).
 */
enum apsmd_verdict apsmd_wire_verify(const uint8_t *b, size_t len,
				     const uint8_t key[APSMD_KEY_BYTES],
				     struct apsmd_hdr *h, const uint8_t **body,
				     size_t *blen);
/* Decode an INSTANCE body. */
enum apsmd_verdict apsmd_wire_insts(const uint8_t *body, size_t blen,
				    unsigned int count, uint32_t *gen,
				    uint16_t *total, struct apsmd_inst *r,
				    unsigned int max, unsigned int *n);

/* Stable hashes (same on every node): of the flow key only (family,
 * proto, addresses, ports: the tombstone key), and of the whole entry (key, dir, spi, path, origin, version).
 */
uint64_t apsmd_flow_keyhash(const struct apsmd_flow *f);
uint64_t apsmd_flow_hash(const struct apsmd_flow *f);
/* Order of versions (kernel's rule): newer, tie: higher origin. */
static inline bool apsmd_newer(uint64_t va, uint32_t oa, uint64_t vb,
			       uint32_t ob)
{
	return va > vb || (va == vb && oa > ob);
}

/* Anti-replay window of one sender. */
struct apsmd_replay {
	uint64_t epoch, top;
	uint64_t bits;		/* bit i: top - i seen */
	bool init;
};

/* 0: fresh (and recorded), -1: replayed, stale epoch or too old. */
int apsmd_replay_check(struct apsmd_replay *r, uint64_t epoch, uint64_t seq);

#endif /* APSMD_WIRE_H */
