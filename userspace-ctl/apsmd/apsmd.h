/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd: the per-node APSM controller. Shared declarations:
 *
 *   apsmd.c        main, event loop, timers, signals, stats file
 *   apsmd_conf.c   config file parser
 *   apsmd_wire.c   UDP wire format (pure: encode, decode, MAC, replay)
 *   apsmd_kern.c   kernel side: netlink requests, rds+events groups
 *   apsmd_peer.c   peer side: UDP socket, send, receive and dispatch
 *   apsmd_sync.c   RDS replication: push, gossip relay, anti-entropy,
 *                  snapshots, tombstones
 *   apsmd_memb.c   membership: heartbeats, dead peers, their instances
 *   apsmd_inv.c    instance inventory (zero-touch scale-out)
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
	/* timers, ms */
	uint32_t heartbeat_ms, peer_timeout_ms, ae_ms, snapshot_ms;
	/* gossip relay above gossip_threshold nodes (peers + 1) */
	uint32_t gossip_threshold, gossip_fanout, gossip_ttl;
	uint32_t nl_rcvbuf;	/* bytes, the rds/events socket */
	bool inventory;		/* announce/install instances (Inventory) */
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
 *   sender u32, ttl u8, flags u8, pad u16, epoch u64, seq u64
 * body, by type:
 *   BATCH:     count entries: op u8, family u8, proto u8, dir u8, npath u8,
 *              pad[3], sport u16, dport u16, spi u32, origin u32,
 *              version u64, src[4|16], dst[4|16], path u32[npath]
 *   HEARTBEAT: inventory hash u64, own instances u32, pad u32 (count 0)
 *   DIGEST:    entries u32, pad u32, count (= APSMD_BUCKETS) u64 hashes
 *   PULL:      what u8, pad[7], bucket bitmap[APSMD_BUCKETS / 8]
 *   INSTANCE:  generation u32, total u16, pad u16, count records: op u8,
 *              state u8, mode u8, pad u8, id u32, node u32, weight u32,
 *              name[32], service[32]
 * MAC: crypto_auth (HMAC-SHA512-256) over everything before, 32 bytes.
 */
#define APSMD_MAGIC		0x4150534dU
#define APSMD_WIRE_VERSION	1
#define APSMD_T_BATCH		1
#define APSMD_T_HEARTBEAT	2
#define APSMD_T_DIGEST		3
#define APSMD_T_PULL		4
#define APSMD_T_INSTANCE	5
#define APSMD_T_MAX		5
#define APSMD_HDR_LEN		32
#define APSMD_MAC_LEN		32
#define APSMD_DGRAM_MAX		1400

#define APSMD_F_REPAIR		0x01	/* anti-entropy/snapshot: not relayed */
#define APSMD_F_SNAP_END	0x02	/* last datagram of a snapshot */
#define APSMD_F_READY		0x04	/* heartbeat: sender is ready */

#define APSMD_BUCKETS		128	/* digest ranges (key hash buckets) */
#define APSMD_PULL_RANGES	1
#define APSMD_PULL_FULL		2	/* RDS + inventory + SNAP_END */
#define APSMD_PULL_INVENTORY	3

#define APSMD_HB_LEN		16
#define APSMD_DIGEST_LEN	(8 + 8 * APSMD_BUCKETS)
#define APSMD_PULL_LEN		(8 + APSMD_BUCKETS / 8)
#define APSMD_INST_PREFIX	8
#define APSMD_INST_REC		80
#define APSMD_INST_OP_SET	1
#define APSMD_INST_OP_DEL	2

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
/* BATCH: 0 added, 1 does not fit, -1 invalid entry. */
int apsmd_wire_add(struct apsmd_wbuf *w, const struct apsmd_flow *f);
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

/* Check the MAC and the header of a datagram; on APSMD_OK fill h and
 * point body/blen at what follows the header (before the MAC).
 */
enum apsmd_verdict apsmd_wire_verify(const uint8_t *b, size_t len,
				     const uint8_t key[APSMD_KEY_BYTES],
				     struct apsmd_hdr *h, const uint8_t **body,
				     size_t *blen);
/* Decode a BATCH body (count entries, at most max) into f, *n entries. */
enum apsmd_verdict apsmd_wire_flows(const uint8_t *body, size_t blen,
				    unsigned int count, struct apsmd_flow *f,
				    unsigned int max, unsigned int *n);
/* Decode an INSTANCE body. */
enum apsmd_verdict apsmd_wire_insts(const uint8_t *body, size_t blen,
				    unsigned int count, uint32_t *gen,
				    uint16_t *total, struct apsmd_inst *r,
				    unsigned int max, unsigned int *n);

/* Compat: verify + decode a BATCH datagram. */
enum apsmd_verdict apsmd_wire_open(const uint8_t *b, size_t len,
				   const uint8_t key[APSMD_KEY_BYTES],
				   struct apsmd_hdr *h, struct apsmd_flow *f,
				   unsigned int max, unsigned int *n);

/* Stable hashes (same on every node): of the flow key only (family,
 * proto, addresses, ports: picks the digest bucket and the tombstone
 * slot), and of the whole entry (key, dir, spi, path, origin, version).
 */
uint64_t apsmd_flow_keyhash(const struct apsmd_flow *f);
uint64_t apsmd_flow_hash(const struct apsmd_flow *f);
static inline unsigned int apsmd_bucket(const struct apsmd_flow *f)
{
	return apsmd_flow_keyhash(f) % APSMD_BUCKETS;
}
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

/* ================================================================ daemon */

#define APSMD_COUNTERS(X) X(sent) X(received) X(batches_sent) \
	X(batches_received) X(auth_fail) X(replay) X(bad_format) \
	X(unknown_sender) X(resyncs) X(enobufs) X(install_fail) X(send_fail) \
	X(foreign_del) \
	X(heartbeats_sent) X(heartbeats_received) X(peer_deaths) \
	X(peer_returns) X(ae_rounds) X(ae_digests_received) X(ae_diff_buckets) \
	X(ae_repair_sent) X(ae_repair_received) X(ae_pulls) \
	X(snapshots_served) X(snapshot_entries) X(relayed) X(dup_suppressed) \
	X(tombstone_hits) X(inv_sent) X(inv_received) X(inv_installed) \
	X(inv_deleted) X(inv_fail) X(inv_pulls) X(peer_state_down) \
	X(peer_state_up) X(instances_down) X(instances_up) X(lag_ms_last) \
	X(lag_ms_max)

struct apsmd_counters {
#define APSMD_X(n) uint64_t n;
	APSMD_COUNTERS(APSMD_X)
#undef APSMD_X
};

/* What this node knows of a peer (kept by id across reloads). */
struct apsmd_pstate {
	uint32_t id;
	struct apsmd_replay replay;
	bool alive;		/* heard from within PeerTimeout */
	bool dead;		/* declared dead (its instances are down) */
	bool ready;		/* says it holds a full RDS */
	uint64_t last_rx_ms;
	uint64_t inv_hash;	/* its own inventory, per its heartbeat */
	uint64_t inv_pull_ms;	/* last inventory pull, rate limit */
	uint32_t inv_gen, inv_got; /* full inventory being received */
	uint64_t tx_entries, rx_entries, tx_dgrams, rx_dgrams, lag_ms;
	uint64_t auth_fail, replayed, resyncs;
};

struct apsmd_state {
	const char *conf_file;
	struct apsmd_conf conf;
	uint8_t key[APSMD_KEY_BYTES];
	int udp, mc, sfd;
	uint64_t epoch, seq;
	struct apsmd_pstate ps[APSMD_PEERS_MAX];
	struct apsmd_counters c;
	bool dirty, ready;
	uint64_t start_ms, snap_asked_ms;
	uint32_t snap_from;
};

extern struct apsmd_state apsmd;

void apsmd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t apsmd_now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t apsmd_wall_ms(void);		/* CLOCK_REALTIME */
void apsmd_set_ready(const char *why);

/* kernel side (apsmd_kern.c) */
int apsmd_kern_setup(void);
int apsmd_kern_peer_add(const struct apsmd_peer *p);
void apsmd_kern_peer_del(uint32_t id);
int apsmd_kern_mc_open(void);
void apsmd_kern_on_readable(void);
void apsmd_kern_install(const struct apsmd_flow *f, unsigned int n);
/* Dump the RDS: cb per entry. 0 or -1. */
int apsmd_kern_flows(void (*cb)(const struct apsmd_flow *f, void *arg),
		     void *arg);
/* Dump the instances into out (op = APSMD_INST_OP_SET): their number or -1. */
int apsmd_kern_insts(struct apsmd_inst *out, unsigned int max);
/* Create or update a remote instance; delete one by id. 0 or -1. */
int apsmd_kern_inst_apply(const struct apsmd_inst *r);
int apsmd_kern_inst_del(uint32_t id);
int apsmd_kern_inst_state(uint32_t id, uint8_t state);
/* Peer state (APSM_PEER_A_STATE) and replication figures (REPL): 0, or
 * -1 (e.g. a kernel without APSM_CMD_PEER_SET).
 */
int apsmd_kern_peer_state(uint32_t id, uint8_t state);
int apsmd_kern_peer_repl(const struct apsmd_pstate *p, uint64_t now_ms);
void apsmd_kern_close(void);

/* peer side (apsmd_peer.c) */
int apsmd_peer_open(void);
struct apsmd_pstate *apsmd_pstate(uint32_t id);	/* configured peers only */
const struct apsmd_peer *apsmd_peer_conf(uint32_t id);
/* Seal w and send it to one peer, to every peer (except skip), or to up to
 * fanout random live peers (except skip). Begins w again.
 */
void apsmd_send_to(struct apsmd_wbuf *w, uint32_t peer, uint8_t ttl,
		   uint8_t flags);
void apsmd_send_all(struct apsmd_wbuf *w, uint32_t skip, uint8_t ttl,
		    uint8_t flags);
void apsmd_send_fanout(struct apsmd_wbuf *w, unsigned int fanout,
		       uint32_t skip, uint8_t ttl, uint8_t flags);
uint32_t apsmd_random_live_peer(bool need_ready);
bool apsmd_gossip(void);	/* cluster above GossipThreshold */
void apsmd_peer_on_readable(void);

/* RDS replication (apsmd_sync.c) */
void apsmd_sync_init(void);
void apsmd_sync_local(const struct apsmd_flow *f);	/* from the kernel */
void apsmd_sync_flush(void);
void apsmd_sync_resync(void);		/* push own entries (ENOBUFS, start) */
void apsmd_sync_on_batch(const struct apsmd_hdr *h, const uint8_t *body,
			 size_t blen);
void apsmd_sync_on_digest(const struct apsmd_hdr *h, const uint8_t *body,
			  size_t blen);
void apsmd_sync_on_pull(const struct apsmd_hdr *h, const uint8_t *body,
			size_t blen);
void apsmd_sync_ae_round(void);
void apsmd_sync_snapshot_ask(void);

/* membership (apsmd_memb.c) */
void apsmd_memb_heard(struct apsmd_pstate *p);	/* any valid datagram */
void apsmd_memb_on_heartbeat(struct apsmd_pstate *p, const struct apsmd_hdr *h,
			     const uint8_t *body, size_t blen);
void apsmd_memb_tick(void);		/* send heartbeats, check timeouts */
void apsmd_memb_reload(void);

/* inventory (apsmd_inv.c) */
void apsmd_inv_on_event(const struct apsmd_inst *r);	/* local change */
void apsmd_inv_on_msg(struct apsmd_pstate *p, const struct apsmd_hdr *h,
		      const uint8_t *body, size_t blen);
void apsmd_inv_send_full(uint32_t peer);	/* our own instances */
void apsmd_inv_own_hash(uint64_t *hash, uint32_t *count);
void apsmd_inv_check(struct apsmd_pstate *p);	/* after a heartbeat */
/* Mark a node's remote instances down (dead) or back to their state. */
void apsmd_inv_node_down(uint32_t node);
void apsmd_inv_node_up(uint32_t node);

#endif /* APSMD_H */
