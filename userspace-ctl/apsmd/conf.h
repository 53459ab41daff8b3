/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's config file and key file (conf.c): parsed into struct
 * apsmd_conf, which main owns and hands (const) to the modules.
 */
#ifndef APSMD_CONF_H
#define APSMD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire.h"

#define APSMD_PEERS_MAX		256
#define APSMD_PUSH_LINGER_MS	2	/* PushLinger default */
#define APSMD_PUSH_LINGER_MAX	100
#define APSMD_PUSH_LINGER_RATE	2000	/* PushLingerRate default, writes/s */

struct apsmd_peer {
	uint32_t id;
	struct sockaddr_storage ep;
	socklen_t ep_len;
	uint8_t lladdr[6];
	/* identity: its public keys (2 during a rotation; the first is the
	 * one this node seals with); none in the shared-key mode
	 */
	uint8_t n_pubkeys;
	uint8_t pubkey[2][APSMD_KEY_BYTES];
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
	/* direct push up to gossip_threshold nodes (peers + 1,
	 * DirectPushMax; GossipThreshold is its old name), relay above
	 */
	uint32_t gossip_threshold, gossip_fanout, gossip_ttl;
	uint32_t nl_rcvbuf;	/* bytes, the rds/events socket */
	uint32_t udp_rcvbuf, udp_sndbuf;	/* bytes, the UDP socket */
	uint32_t repair_rate;	/* bytes/s of REPAIR datagrams, 0: unpaced */
	/* LOG pushes wait up to this for more entries (PushLinger), 0:
	 * sent at the end of each feed read
	 */
	uint32_t push_linger_ms;
	/* ... only while this node writes at least this many entries a
	 * second (PushLingerRate; 0: always): below it a LOG leaves at once
	 */
	uint32_t push_linger_rate;
	bool inventory;		/* announce/install instances (Inventory) */
	/* replication v2 (sync): kept log entries, tombstones */
	uint32_t log_size, tomb_max, tomb_ttl_ms;
	/* Merkle repair: records join the tree this old (MerkleHorizon),
	 * 0: 2 x ae_ms, at least 1 s
	 */
	uint32_t merkle_horizon_ms;
	unsigned int n_peers;
	struct apsmd_peer peers[APSMD_PEERS_MAX];
	/* identity (session.c): per_node when every peer has a PublicKey
	 * (KeyFile is then this node's private key), else one shared key
	 */
	bool per_node;
	char prev_key_file[256];	/* PreviousKeyFile: during a rotation */
	char state_file[256];		/* StateFile: the replay state */
	uint32_t max_skew_ms;		/* MaxClockSkew */
	/* [Cluster] (catalog.c): Store URL ("" none), Prefix, Catalog file
	 * (used when there is no Store), CatalogState (what apsmd created)
	 */
	char store_url[512];
	char store_prefix[256];
	char catalog_file[256];
	char catalog_state[256];
};

/* Parse FILE into c. 0, or -1 with "FILE:LINE: why" in err. */
int apsmd_conf_load(const char *file, struct apsmd_conf *c, char *err,
		    size_t errlen);

/* Read a base64 key file into key. 0 or -1 (err set). */
int apsmd_key_load(const char *file, uint8_t key[APSMD_KEY_BYTES], char *err,
		   size_t errlen);

#endif /* APSMD_CONF_H */
