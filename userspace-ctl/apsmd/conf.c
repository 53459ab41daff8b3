// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's config file (INI, like wg's): [Node] Id, Listen, KeyFile,
 * FabricDevice, StatsFile, timers (HeartbeatInterval, PeerTimeout,
 * AntiEntropyInterval, SnapshotTimeout), gossip (GossipThreshold,
 * GossipFanout, GossipTTL), Inventory, NetlinkRcvbuf, UdpRcvbuf, UdpSndbuf,
 * RepairRate; repeated [Peer] Id, Endpoint,
 * LinkAddress; [Cluster] Store, Prefix, Catalog, CatalogState (catalog.c).
 * '#' and ';' start comments; keys are case-insensitive.
 * [Node] PushLinger: see conf.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "args.h"
#include "conf.h"
#include "keys.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "a.b.c.d:port" or "[v6]:port". */
static int parse_endpoint(const char *s, struct sockaddr_storage *ss,
			  socklen_t *len)
{
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -1;
		hl = colon - s - 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = colon - s;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || !port || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(s, 1, UINT32_MAX, &v))
		return -1;
	*id = v;
	return 0;
}

/* "2", "0.5", "2s", "300ms" (seconds unless ms) into ms, 1 ms..1 h. */
static int parse_ms(const char *s, uint32_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (!(v >= 0.001 && v <= 3600))
		return -1;
	*ms = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, min, max, &x))
		return -1;
	*v = x;
	return 0;
}

enum { SEC_NONE, SEC_NODE, SEC_PEER, SEC_CLUSTER };

static int conf_err(char *err, size_t errlen, const char *file,
		    unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int conf_err(char *err, size_t errlen, const char *file,
		    unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s:%u: ", file, line);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool peer_done(const struct apsmd_peer *p, bool have_ll)
{
	return p->id && p->ep_len && have_ll;
}

/* One line of f into buf (without its newline; the last line may lack
 * one): 1 read, 0 end of file, -1 longer than size - 1, -2 a NUL byte.
 */
static int conf_getline(FILE *f, char *buf, size_t size)
{
	size_t n = 0;
	bool nul = false;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (!ch)
			nul = true;
		if (n + 1 >= size) {
			while ((ch = getc(f)) != EOF && ch != '\n')
				;
			return -1;
		}
		buf[n++] = (char)ch;
	}
	if (ch == EOF && !n && !nul)
		return 0;
	buf[n] = '\0';
	return nul ? -2 : 1;
}

/* [Node] KeyFile's companions (identity, session.c): 0 taken, 1 not
 * ours (err empty) or bad (err set).
 */
static int conf_node_identity(struct apsmd_conf *c, const char *key,
			      const char *val, char *err, size_t errlen)
{
	err[0] = '\0';
	if (!strcasecmp(key, "PreviousKeyFile") ||
	    !strcasecmp(key, "StateFile")) {
		char *dst = key[0] == 'P' || key[0] == 'p' ? c->prev_key_file :
							     c->state_file;

		if (strlen(val) >= sizeof(c->state_file)) {
			snprintf(err, errlen, "%s: path too long", key);
			return 1;
		}
		strcpy(dst, val);
		return 0;
	}
	if (!strcasecmp(key, "MaxClockSkew")) {
		if (parse_ms(val, &c->max_skew_ms) || !c->max_skew_ms) {
			snprintf(err, errlen, "MaxClockSkew: not a time (\"60\", \"60s\", \"60000ms\"; 1 ms..1 h): %s", val);
			return 1;
		}
		return 0;
	}
	return 1;
}

/* Every peer with a PublicKey (per-node keys) or none (one shared key). */
static int conf_identity_check(struct apsmd_conf *c, char *err,
			       size_t errlen)
{
	unsigned int i, with = 0;

	for (i = 0; i < c->n_peers; i++)
		with += c->peers[i].n_pubkeys > 0;
	if (with && with != c->n_peers) {
		for (i = 0; i < c->n_peers && c->peers[i].n_pubkeys; i++)
			;
		snprintf(err, errlen, "peer %u has no PublicKey but %u other peer(s) have one: give every peer its PublicKey (per-node keys) or none (one shared KeyFile)",
			 c->peers[i].id, with);
		return -1;
	}
	c->per_node = with > 0;
	if (c->prev_key_file[0] && !c->per_node) {
		snprintf(err, errlen, "PreviousKeyFile needs per-node keys (a PublicKey for every peer)");
		return -1;
	}
	/* persistent storage (StatsFile is often on a tmpfs: /run) */
	if (!c->state_file[0])
		snprintf(c->state_file, sizeof(c->state_file),
			 "/var/lib/apsm/apsmd-%u.state", c->id);
	return 0;
}

int apsmd_conf_load(const char *file, struct apsmd_conf *c, char *err,
		    size_t errlen)
{
	char buf[1024], *line, *key, *val, *eq, *hash;
	int got;
	unsigned int lineno = 0, sec = SEC_NONE, peer_line = 0, i;
	struct apsmd_peer *p = NULL;
	bool have_ll = false;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->heartbeat_ms = 1000;
	c->peer_timeout_ms = 0;		/* default: 4 heartbeats */
	c->ae_ms = 2000;
	c->snapshot_ms = 2000;
	c->gossip_threshold = 16;
	c->gossip_fanout = 3;
	c->gossip_ttl = 4;
	c->nl_rcvbuf = 32 << 20;
	c->udp_rcvbuf = 16 << 20;
	c->udp_sndbuf = 16 << 20;
	c->repair_rate = 8000000;
	c->push_linger_ms = APSMD_PUSH_LINGER_MS;
	c->push_linger_rate = APSMD_PUSH_LINGER_RATE;
	c->inventory = true;
	c->log_size = 262144;
	c->tomb_max = 1U << 20;
	c->tomb_ttl_ms = 120000;
	c->max_skew_ms = 60000;
	f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
#define FAIL(...) do { conf_err(err, errlen, file, lineno, __VA_ARGS__); \
		       fclose(f); return -1; } while (0)
	while ((got = conf_getline(f, buf, sizeof(buf))) != 0) {
		lineno++;
		if (got == -1)
			FAIL("line too long (%zu bytes at most)", sizeof(buf) - 1);
		if (got == -2)
			FAIL("NUL byte in the line");
		hash = strpbrk(buf, "#;");
		if (hash)
			*hash = '\0';
		line = trim(buf);
		if (!*line)
			continue;
		if (*line == '[') {
			if (p && !peer_done(p, have_ll)) {
				lineno = peer_line;
				FAIL("[Peer] needs Id, Endpoint and LinkAddress");
			}
			p = NULL;
			if (!strcasecmp(line, "[Node]")) {
				sec = SEC_NODE;
			} else if (!strcasecmp(line, "[Cluster]")) {
				sec = SEC_CLUSTER;
			} else if (!strcasecmp(line, "[Peer]")) {
				if (c->n_peers >= APSMD_PEERS_MAX)
					FAIL("too many peers (max %d)",
					     APSMD_PEERS_MAX);
				sec = SEC_PEER;
				p = &c->peers[c->n_peers++];
				have_ll = false;
				peer_line = lineno;
			} else {
				FAIL("unknown section %s", line);
			}
			continue;
		}
		eq = strchr(line, '=');
		if (!eq)
			FAIL("expected Key = Value");
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!*val)
			FAIL("%s: empty value", key);
		if (sec == SEC_NODE) {
			if (!strcasecmp(key, "Id")) {
				if (parse_id(val, &c->id))
					FAIL("Id: not a node id (1..4294967295): %s", val);
			} else if (!strcasecmp(key, "Listen")) {
				if (parse_endpoint(val, &c->listen, &c->listen_len))
					FAIL("Listen: not ADDRESS:PORT: %s", val);
			} else if (!strcasecmp(key, "KeyFile")) {
				if (strlen(val) >= sizeof(c->key_file))
					FAIL("KeyFile: path too long");
				strcpy(c->key_file, val);
			} else if (!strcasecmp(key, "FabricDevice")) {
				if (strlen(val) >= sizeof(c->fabric_dev))
					FAIL("FabricDevice: name too long");
				strcpy(c->fabric_dev, val);
			} else if (!strcasecmp(key, "StatsFile")) {
				if (strlen(val) >= sizeof(c->stats_file))
					FAIL("StatsFile: path too long");
				strcpy(c->stats_file, val);
			} else if (!strcasecmp(key, "HeartbeatInterval")) {
				if (parse_ms(val, &c->heartbeat_ms))
					FAIL("HeartbeatInterval: not a duration (2s, 300ms): %s", val);
			} else if (!strcasecmp(key, "PeerTimeout")) {
				if (parse_ms(val, &c->peer_timeout_ms))
					FAIL("PeerTimeout: not a duration (2s, 300ms): %s", val);
			} else if (!strcasecmp(key, "AntiEntropyInterval")) {
				if (parse_ms(val, &c->ae_ms))
					FAIL("AntiEntropyInterval: not a duration (2s, 300ms): %s", val);
			} else if (!strcasecmp(key, "SnapshotTimeout")) {
				if (parse_ms(val, &c->snapshot_ms))
					FAIL("SnapshotTimeout: not a duration (2s, 300ms): %s", val);
			} else if (!strcasecmp(key, "GossipThreshold") ||
				   !strcasecmp(key, "DirectPushMax")) {
				if (parse_u32(val, 1, APSMD_PEERS_MAX + 1, &c->gossip_threshold))
					FAIL("%s: not a node count (1..%d): %s", key,
					     APSMD_PEERS_MAX + 1, val);
			} else if (!strcasecmp(key, "LogSize")) {
				if (parse_u32(val, 64, 1U << 26, &c->log_size))
					FAIL("LogSize: not 64..2^26 entries: %s", val);
			} else if (!strcasecmp(key, "TombstoneMax")) {
				if (parse_u32(val, 16, 1U << 26, &c->tomb_max))
					FAIL("TombstoneMax: not 16..2^26: %s", val);
			} else if (!strcasecmp(key, "TombstoneTTL")) {
				if (parse_ms(val, &c->tomb_ttl_ms))
					FAIL("TombstoneTTL: not a duration (120s): %s", val);
			} else if (!strcasecmp(key, "PushLinger")) {
				if (strcmp(val, "0") &&
				    (parse_ms(val, &c->push_linger_ms) ||
				     c->push_linger_ms > APSMD_PUSH_LINGER_MAX))
					FAIL("PushLinger: not 0 or a duration up to %dms (2ms): %s",
					     APSMD_PUSH_LINGER_MAX, val);
				if (!strcmp(val, "0"))
					c->push_linger_ms = 0;
			} else if (!strcasecmp(key, "PushLingerRate")) {
				if (parse_u32(val, 0, 1U << 30, &c->push_linger_rate))
					FAIL("PushLingerRate: not writes/s (0..2^30, 0: always linger): %s", val);
			} else if (!strcasecmp(key, "GossipFanout")) {
				if (parse_u32(val, 1, APSMD_PEERS_MAX, &c->gossip_fanout))
					FAIL("GossipFanout: not 1..%d: %s", APSMD_PEERS_MAX, val);
			} else if (!strcasecmp(key, "GossipTTL")) {
				if (parse_u32(val, 1, 255, &c->gossip_ttl))
					FAIL("GossipTTL: not 1..255: %s", val);
			} else if (!strcasecmp(key, "Inventory")) {
				if (!strcasecmp(val, "yes") || !strcmp(val, "1") ||
				    !strcasecmp(val, "true") || !strcasecmp(val, "on"))
					c->inventory = true;
				else if (!strcasecmp(val, "no") || !strcmp(val, "0") ||
					 !strcasecmp(val, "false") || !strcasecmp(val, "off"))
					c->inventory = false;
				else
					FAIL("Inventory: not yes or no: %s", val);
			} else if (!strcasecmp(key, "UdpRcvbuf")) {
				if (parse_u32(val, 65536, 1U << 30, &c->udp_rcvbuf))
					FAIL("UdpRcvbuf: not bytes (65536..2^30): %s", val);
			} else if (!strcasecmp(key, "UdpSndbuf")) {
				if (parse_u32(val, 65536, 1U << 30, &c->udp_sndbuf))
					FAIL("UdpSndbuf: not bytes (65536..2^30): %s", val);
			} else if (!strcasecmp(key, "RepairRate")) {
				if (parse_u32(val, 0, 1U << 31, &c->repair_rate) ||
				    (c->repair_rate && c->repair_rate < 100000))
					FAIL("RepairRate: not bytes/s (0 or 100000..2^31): %s", val);
			} else if (!strcasecmp(key, "MerkleHorizon")) {
				if (parse_ms(val, &c->merkle_horizon_ms) ||
				    !c->merkle_horizon_ms)
					FAIL("MerkleHorizon: not a duration > 0 (4s, 500ms): %s", val);
			} else if (!strcasecmp(key, "NetlinkRcvbuf")) {
				if (parse_u32(val, 1024, 1U << 30, &c->nl_rcvbuf))
					FAIL("NetlinkRcvbuf: not bytes (1024..2^30): %s", val);
			} else if (!conf_node_identity(c, key, val, err, errlen)) {
				;
			} else if (*err) {
				char why[256];

				snprintf(why, sizeof(why), "%s", err);
				FAIL("%s", why);
			} else {
				FAIL("unknown key %s in [Node]", key);
			}
		} else if (sec == SEC_PEER) {
			if (!strcasecmp(key, "Id")) {
				if (parse_id(val, &p->id))
					FAIL("Id: not a node id (1..4294967295): %s", val);
			} else if (!strcasecmp(key, "Endpoint")) {
				if (parse_endpoint(val, &p->ep, &p->ep_len))
					FAIL("Endpoint: not ADDRESS:PORT: %s", val);
			} else if (!strcasecmp(key, "LinkAddress")) {
				if (parse_mac(val, p->lladdr))
					FAIL("LinkAddress: not a MAC address: %s", val);
				have_ll = true;
			} else if (!strcasecmp(key, "PublicKey")) {
				if (p->n_pubkeys == 2)
					FAIL("PublicKey: at most 2 per peer (the current and, during a rotation, the new one)");
				if (apsmd_key_parse(val, p->pubkey[p->n_pubkeys]))
					FAIL("PublicKey: not base64 of %d bytes (make it with 'apsmd pubkey < node.key'): %s",
					     APSMD_KEY_BYTES, val);
				p->n_pubkeys++;
			} else {
				FAIL("unknown key %s in [Peer]", key);
			}
		} else if (sec == SEC_CLUSTER) {
			char *dst = NULL;
			size_t len = 0;

			if (!strcasecmp(key, "Store")) {
				dst = c->store_url;
				len = sizeof(c->store_url);
			} else if (!strcasecmp(key, "Prefix")) {
				if (val[0] != '/')
					FAIL("Prefix: not a key path starting with /: %s", val);
				dst = c->store_prefix;
				len = sizeof(c->store_prefix);
			} else if (!strcasecmp(key, "Catalog")) {
				dst = c->catalog_file;
				len = sizeof(c->catalog_file);
			} else if (!strcasecmp(key, "CatalogState")) {
				dst = c->catalog_state;
				len = sizeof(c->catalog_state);
			} else {
				FAIL("unknown key %s in [Cluster]", key);
			}
			if (strlen(val) >= len)
				FAIL("%s: too long", key);
			strcpy(dst, val);
		} else {
			FAIL("%s outside a section", key);
		}
	}
	if (p && !peer_done(p, have_ll)) {
		lineno = peer_line;
		FAIL("[Peer] needs Id, Endpoint and LinkAddress");
	}
	lineno++;
	if (!c->id)
		FAIL("[Node] Id missing");
	if (!c->listen_len)
		FAIL("[Node] Listen missing");
	if (!c->key_file[0])
		FAIL("[Node] KeyFile missing");
	if (!c->fabric_dev[0])
		FAIL("[Node] FabricDevice missing");
	if (!c->store_prefix[0])
		strcpy(c->store_prefix, "/apsm/default");
	if (!c->catalog_state[0])
		snprintf(c->catalog_state, sizeof(c->catalog_state),
			 "/run/apsmd/catalog-%u.state", c->id);
	if (!c->peer_timeout_ms)
		c->peer_timeout_ms = 4 * c->heartbeat_ms;
	if (c->peer_timeout_ms <= c->heartbeat_ms)
		FAIL("PeerTimeout must exceed HeartbeatInterval");
	for (i = 0; i < c->n_peers; i++) {
		unsigned int j;

		if (c->peers[i].id == c->id)
			FAIL("peer %u has this node's own Id", c->id);
		if (c->peers[i].ep.ss_family != c->listen.ss_family)
			FAIL("peer %u: Endpoint and Listen are of different address families",
			     c->peers[i].id);
		for (j = 0; j < i; j++)
			if (c->peers[j].id == c->peers[i].id)
				FAIL("peer %u listed twice", c->peers[i].id);
	}
	if (conf_identity_check(c, err, errlen)) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		FAIL("%s", why);
	}
#undef FAIL
	fclose(f);
	return 0;
}

int apsmd_key_load(const char *file, uint8_t key[APSMD_KEY_BYTES], char *err,
		   size_t errlen)
{
	char buf[256], *s;
	size_t len;
	FILE *f;

	f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	s = trim(buf);
	if (sodium_base642bin(key, APSMD_KEY_BYTES, s, strlen(s), NULL, &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    len != APSMD_KEY_BYTES) {
		sodium_memzero(buf, sizeof(buf));
		snprintf(err, errlen, "%s:1: not base64 of %d bytes (make one with 'apsmd genkey')",
			 file, APSMD_KEY_BYTES);
		return -1;
	}
	sodium_memzero(buf, sizeof(buf));
	return 0;
}
