/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * APSM - anticipatory packet steering module: the user/kernel ABI.
 *
 * Generic netlink family "apsm", version 1. One APSM node per network
 * namespace; every request acts on the caller's netns. Requests that change
 * state need CAP_NET_ADMIN in the user namespace owning the netns
 * (GENL_UNS_ADMIN_PERM); reads are open to everyone.
 *
 * Every message carries its object in ONE top-level nest (APSM_A_NODE,
 * APSM_A_PEER, ...), validated strictly against the nest's own policy. Names
 * are NUL-terminated strings of at most APSM_NAME_MAX - 1 bytes made of
 * [A-Za-z0-9_.-]. Addresses are binary in network byte order (4 bytes for
 * IPv4, 16 for IPv6), ports are u16 in host byte order, MACs 6 bytes.
 * "(ro)" marks attributes the kernel reports and rejects on input; "[req]"
 * marks attributes a request must carry (-EINVAL with an extack naming the
 * attribute otherwise).
 *
 * APSM_CMD_NODE_GET (no dump)            reply: APSM_CMD_NODE_GET
 * APSM_CMD_NODE_SET (admin)
 *   APSM_A_NODE: NESTED
 *     APSM_NODE_A_ID: u32                this node's cluster-unique id (1..)
 *     APSM_NODE_A_RDS_MAX: u32           max RDS entries in this netns
 *     APSM_NODE_A_RDS_COUNT: u32 (ro)    RDS entries now
 *     APSM_NODE_A_POLICY_MAX: u32        max policy rules in this netns
 *     APSM_NODE_A_TIMEOUT_TCP: u32       idle timeout, ms, TCP flows
 *     APSM_NODE_A_TIMEOUT_UDP: u32       idle timeout, ms, UDP flows
 *     APSM_NODE_A_TIMEOUT_OTHER: u32     idle timeout, ms, everything else
 *     APSM_NODE_A_GENERATION: u32 (ro)   bumped on every config change
 *     APSM_NODE_A_HOLD_MS: u32           hold queue deadline, ms; 0: off
 *                                        (Documentation/datapath.md)
 *     APSM_NODE_A_HOLD_MAX: u32          packets held at most, node-wide
 *     APSM_NODE_A_HOLD_FLOW_MAX: u32     packets held at most, per flow
 *     APSM_NODE_A_HOLD_EXPIRE: u8        enum apsm_hold_action: what
 *                                        happens to a packet whose entry
 *                                        did not come in time (or that
 *                                        overflowed a cap)
 *     APSM_NODE_A_HOLD_COUNT: u32 (ro)   packets held now
 *     APSM_NODE_A_PEERDOWN: u8           enum apsm_peerdown_policy: pinned
 *                                        flows through a down peer's
 *                                        instances
 *     APSM_NODE_A_FEED_SIZE: u32         changes the change feed keeps
 *                                        (APSM_CMD_FLOW_CHANGES), a power
 *                                        of two, APSM_FEED_SIZE_MIN..MAX,
 *                                        default APSM_FEED_SIZE_DEFAULT;
 *                                        setting it (even to the same
 *                                        size) drops the kept changes:
 *                                        FIRST moves up to NEXT
 *
 * APSM_CMD_PEER_NEW (admin), APSM_CMD_PEER_DEL (admin: ID),
 * APSM_CMD_PEER_SET (admin: ID + STATE and/or REPL),
 * APSM_CMD_PEER_GET (admin: ID, or dump)
 *   APSM_A_PEER: NESTED
 *     APSM_PEER_A_ID: u32 [req]          the peer node's id
 *     APSM_PEER_A_IFINDEX: u32 [req NEW] fabric device towards it
 *     APSM_PEER_A_LLADDR: binary(6) [req NEW] its fabric MAC
 *     APSM_PEER_A_TX_PACKETS, APSM_PEER_A_RX_PACKETS: u64 (ro) NSH frames
 *     APSM_PEER_A_STATE: u8              enum apsm_peer_state (default up);
 *                                        down: its instances take no new
 *                                        flows, pinned ones per
 *                                        APSM_NODE_A_PEERDOWN
 *     APSM_PEER_A_REPL: NESTED of u64 counters set by apsmd (SET replaces
 *       the figures it carries, keeps the others; no event, no
 *       generation bump), see enum apsm_peer_repl_attrs
 *
 * APSM_CMD_PORT_NEW (admin), APSM_CMD_PORT_DEL (admin: IFINDEX),
 * APSM_CMD_PORT_GET (IFINDEX, or dump)
 *   APSM_A_PORT: NESTED
 *     APSM_PORT_A_IFINDEX: u32 [req]
 *     APSM_PORT_A_ROLE: u8 [req NEW]     enum apsm_port_role
 *     APSM_PORT_A_IFNAME: string (ro)
 *     APSM_PORT_A_RX_PACKETS, APSM_PORT_A_TX_PACKETS: u64 (ro)
 *
 * APSM_CMD_SERVICE_NEW (admin), APSM_CMD_SERVICE_DEL (admin: NAME),
 * APSM_CMD_SERVICE_GET (NAME, or dump)
 *   APSM_A_SERVICE: NESTED
 *     APSM_SERVICE_A_NAME: string [req]
 *     APSM_SERVICE_A_STATEFUL: u8        1 stateful (default), 0 stateless
 *     APSM_SERVICE_A_INSTANCES: u32 (ro) instances of this service
 *     APSM_SERVICE_A_LB_SIZE: u32 (ro)   Maglev table size now
 *
 * APSM_CMD_INSTANCE_NEW (admin), APSM_CMD_INSTANCE_SET (admin: NAME or ID +
 * WEIGHT/STATE/LLADDR/NOCTX/FPRINT_TTL), APSM_CMD_INSTANCE_DEL (admin:
 * NAME or ID),
 * APSM_CMD_INSTANCE_GET (NAME or ID, or dump; dump filter: SERVICE)
 *   APSM_A_INSTANCE: NESTED
 *     APSM_INSTANCE_A_NAME: string [req NEW]
 *     APSM_INSTANCE_A_ID: u32            cluster-unique; NEW picks one from
 *                                        (node id << 20 | local counter)
 *                                        when absent
 *     APSM_INSTANCE_A_SERVICE: string [req NEW]
 *     APSM_INSTANCE_A_NODE: u32          owning node (default: this node)
 *     APSM_INSTANCE_A_IFINDEX: u32       its port, on its own node only
 *     APSM_INSTANCE_A_MODE: u8           enum apsm_instance_mode
 *     APSM_INSTANCE_A_WEIGHT: u32        1..65535, default 100
 *     APSM_INSTANCE_A_STATE: u8          enum apsm_instance_state
 *     APSM_INSTANCE_A_LLADDR: binary(6)  the NF's MAC (else learned)
 *     APSM_INSTANCE_A_NOCTX: u8          enum apsm_noctx_policy (proxy)
 *     APSM_INSTANCE_A_TX_PACKETS, _TX_BYTES: u64 (ro)  module -> NF
 *     APSM_INSTANCE_A_RX_PACKETS, _RX_BYTES: u64 (ro)  NF -> module
 *     APSM_INSTANCE_A_FLOWS: u32 (ro)    RDS entries whose path names it
 *     APSM_INSTANCE_A_DROPS: u64 (ro)    frames it could not be given
 *     APSM_INSTANCE_A_FPRINT_TTL: u32    proxy: fingerprint lifetime, ms,
 *                                        10..10000, default 500
 *     APSM_INSTANCE_A_REC_KEY, _REC_LEARNED, _REC_FPRINT: u64 (ro) proxy:
 *                                        frames back from the NF whose
 *                                        context was recovered by their
 *                                        unchanged key / a learned
 *                                        rewritten key / their fingerprint
 *     APSM_INSTANCE_A_UNRECOVERED: u64 (ro) proxy: frames back without
 *                                        context (NOCTX policy applied)
 *     APSM_INSTANCE_A_FPRINT_ENTRIES: u32 (ro) fingerprints in flight now
 *     APSM_INSTANCE_A_FPRINT_SIZE: u32 (ro)  fingerprint table size
 *     APSM_INSTANCE_A_FPRINT_EVICTIONS: u64 (ro) entries overwritten early
 *     APSM_INSTANCE_A_FPRINT_COLLISIONS: u64 (ro) one fingerprint, two
 *                                        flows (made ambiguous, refused)
 *
 * APSM_CMD_CHAIN_NEW (admin), APSM_CMD_CHAIN_DEL (admin: NAME),
 * APSM_CMD_CHAIN_GET (NAME, or dump)
 *   APSM_A_CHAIN: NESTED
 *     APSM_CHAIN_A_NAME: string [req]
 *     APSM_CHAIN_A_SPI: u32              1..0xffffff, default: next free
 *     APSM_CHAIN_A_SERVICES: NESTED [req NEW]   forward order, 1..APSM_PATH_MAX
 *       APSM_LIST_A_NAME: string (repeated)
 *     APSM_CHAIN_A_RETURN: NESTED        explicit return list (optional)
 *       APSM_LIST_A_NAME: string (repeated)
 *
 * APSM_CMD_POLICY_NEW (admin), APSM_CMD_POLICY_DEL (admin: PRIO),
 * APSM_CMD_POLICY_GET (PRIO, or dump). Lowest PRIO matches first; PRIO is
 * the rule's key. An absent match attribute is a wildcard. A port MIN
 * alone means MIN..65535, a MAX alone 0..MAX; port matches need PROTO tcp,
 * udp, udplite, sctp or dccp. Address bits beyond PLEN are ignored (the
 * rule reports them cleared). VLAN 0 matches untagged frames.
 *   APSM_A_POLICY: NESTED
 *     APSM_POLICY_A_PRIO: u32 [req]
 *     APSM_POLICY_A_CHAIN: string [req NEW]
 *     APSM_POLICY_A_IIF: u32             ingress ifindex
 *     APSM_POLICY_A_FAMILY: u8           AF_INET / AF_INET6 (required with
 *                                        SRC or DST)
 *     APSM_POLICY_A_SRC, APSM_POLICY_A_DST: binary(4|16)
 *     APSM_POLICY_A_SRC_PLEN, APSM_POLICY_A_DST_PLEN: u8
 *     APSM_POLICY_A_PROTO: u8            IPPROTO_*
 *     APSM_POLICY_A_SPORT_MIN, _SPORT_MAX, _DPORT_MIN, _DPORT_MAX: u16
 *     APSM_POLICY_A_VLAN: u16            802.1Q VID (0..4095)
 *     APSM_POLICY_A_HITS: u64 (ro)
 *
 * APSM_CMD_FLOW_GET (admin: key, or dump), APSM_CMD_FLOW_DEL (admin: key),
 * APSM_CMD_FLOW_FLUSH (admin), APSM_CMD_FLOW_INSTALL (admin: one or more
 * APSM_A_FLOW, each a full entry received from a peer; an entry whose
 * VERSION is not newer than the installed one is ignored and counted; a
 * delete (OP del) may be just key, ORIGIN and VERSION: a tombstone)
 *   APSM_A_FLOW: NESTED (repeated in INSTALL and in RDS notifications)
 *     APSM_FLOW_A_FAMILY: u8 [req]       AF_INET / AF_INET6
 *     APSM_FLOW_A_PROTO: u8 [req]
 *     APSM_FLOW_A_SRC, APSM_FLOW_A_DST: binary(4|16) [req]
 *     APSM_FLOW_A_SPORT, APSM_FLOW_A_DPORT: u16  (ICMP: id, 0)
 *     APSM_FLOW_A_DIR: u8                enum apsm_flow_dir [req INSTALL]
 *     APSM_FLOW_A_SPI: u32               [req INSTALL]
 *     APSM_FLOW_A_PATH: binary(u32[])    instance ids in traversal order
 *                                        [req INSTALL], 1..APSM_PATH_MAX
 *     APSM_FLOW_A_ORIGIN: u32            node that created it [req INSTALL]
 *     APSM_FLOW_A_VERSION: u64           hybrid logical clock [req INSTALL]
 *     APSM_FLOW_A_AGE_MS: u64 (ro)       since last packet
 *     APSM_FLOW_A_PACKETS: u64 (ro)
 *     APSM_FLOW_A_OP: u8                 enum apsm_rds_op; in INSTALL
 *                                        (default new) del removes the
 *                                        entry unless it is newer
 *   FLOW_GET dump: completes whatever the table does meanwhile (never
 *   NLM_F_DUMP_INTR): every entry that existed for the whole dump comes at
 *   least once; one may come twice (after a resize of the table, or when
 *   the entry a message stopped at was deleted before the next part).
 *   Optional filter: an APSM_A_FLOW nest with any of ORIGIN, SPI, DIR and
 *   PATH (exactly one nonzero u32 instance id, matched anywhere in the
 *   path); an entry must match all given. Any other attribute in it:
 *   EINVAL with extack.
 *
 * APSM_CMD_FLOW_CHANGES (admin: dump only; read, as FLOW_GET): the change feed.
 * Every RDS change of this netns (enum apsm_rds_cause) gets a sequence
 * number: u64, 1 for the first change, +1 per change, never reused while
 * the module stays loaded. The netns keeps the last APSM_NODE_A_FEED_SIZE
 * changes. A replacement of an entry by a peer's newer version is one
 * change (the new entry, cause INSTALL). Request: top-level attributes,
 * no nest; any other attribute is refused:
 *   APSM_A_FEED_CURSOR: u64              first seq wanted; 0 (or absent):
 *                                        the oldest kept
 *   APSM_A_FEED_LIMIT: u32               at most this many changes in the
 *                                        whole dump; 0 (or absent): up to
 *                                        the NEXT of the dump's start
 * Every reply message (at least one, even with no change to report):
 *   APSM_A_FEED_FIRST: u64 (ro)          oldest seq still kept (= NEXT
 *                                        when nothing is kept)
 *   APSM_A_FEED_NEXT: u64 (ro)           seq the next change will get
 *   APSM_A_FEED_BEHIND: flag (ro)        changes from the cursor up to
 *                                        FIRST - 1 were overwritten before
 *                                        they could be read (in the first
 *                                        message when CURSOR < FIRST; in a
 *                                        later one when the feed overtook
 *                                        the dump): they are lost, repair
 *                                        from a snapshot (FLOW_GET dump)
 *   APSM_A_FLOW: NESTED (repeated: a batch, in seq order) the flow attrs
 *                                        of the entry that came or went
 *                                        (no AGE_MS, PACKETS) plus
 *     APSM_FLOW_A_SEQ: u64 (ro)          its seq
 *     APSM_FLOW_A_CAUSE: u8 (ro)         enum apsm_rds_cause
 *     APSM_FLOW_A_OP: u8                 enum apsm_rds_op: new (INSERT,
 *                                        INSTALL) or del (the others)
 * A CURSOR beyond NEXT (the module was reloaded) returns no change, only
 * FIRST and NEXT: the reader resyncs from a snapshot. CURSOR U64_MAX is
 * the way to learn NEXT alone.
 *
 * APSM_CMD_STATS_GET (admin): reply APSM_A_STATS: NESTED of u64 counters (a
 * request may carry an empty APSM_A_STATS)
 *   APSM_STATS_A_*, see enum apsm_stats_attrs.
 *
 * Multicast group "rds": APSM_CMD_RDS_NOTIFY, a batch of APSM_A_FLOW nests
 *   each with APSM_FLOW_A_OP (u8, enum apsm_rds_op), APSM_FLOW_A_SEQ and
 *   APSM_FLOW_A_CAUSE, sent from the change feed in seq order. Only the
 *   changes this node made go out (causes INSERT, DELETE, FLUSH, EXPIRE;
 *   a peer's INSTALL and PEER_DEL come from that peer), so seqs between
 *   them are skipped; every change is in APSM_CMD_FLOW_CHANGES. A lost
 *   notification (socket overrun, or the feed overtook the sender) makes
 *   the listener's next receive fail with ENOBUFS.
 * Multicast group "events": the NEW/SET/DEL command of the object that
 *   changed, carrying the object as a GET reply would.
 */
#ifndef _UAPI_LINUX_APSM_H
#define _UAPI_LINUX_APSM_H

#define APSM_GENL_NAME		"apsm"
#define APSM_GENL_VERSION	1
#define APSM_MCGRP_RDS		"rds"
#define APSM_MCGRP_EVENTS	"events"

#define APSM_NAME_MAX		32	/* including the NUL */
#define APSM_PATH_MAX		8	/* instances on one path */
#define APSM_SPI_MAX		0xffffff
#define APSM_WEIGHT_MAX		65535
#define APSM_WEIGHT_DEFAULT	100

enum apsm_cmd {
	APSM_CMD_UNSPEC,
	APSM_CMD_NODE_GET,
	APSM_CMD_NODE_SET,
	APSM_CMD_PEER_NEW,
	APSM_CMD_PEER_DEL,
	APSM_CMD_PEER_GET,
	APSM_CMD_PORT_NEW,
	APSM_CMD_PORT_DEL,
	APSM_CMD_PORT_GET,
	APSM_CMD_SERVICE_NEW,
	APSM_CMD_SERVICE_DEL,
	APSM_CMD_SERVICE_GET,
	APSM_CMD_INSTANCE_NEW,
	APSM_CMD_INSTANCE_SET,
	APSM_CMD_INSTANCE_DEL,
	APSM_CMD_INSTANCE_GET,
	APSM_CMD_CHAIN_NEW,
	APSM_CMD_CHAIN_DEL,
	APSM_CMD_CHAIN_GET,
	APSM_CMD_POLICY_NEW,
	APSM_CMD_POLICY_DEL,
	APSM_CMD_POLICY_GET,
	APSM_CMD_FLOW_GET,
	APSM_CMD_FLOW_DEL,
	APSM_CMD_FLOW_FLUSH,
	APSM_CMD_FLOW_INSTALL,
	APSM_CMD_STATS_GET,
	APSM_CMD_RDS_NOTIFY,
	APSM_CMD_PEER_SET,
	APSM_CMD_FLOW_CHANGES,
	__APSM_CMD_MAX
};
#define APSM_CMD_MAX (__APSM_CMD_MAX - 1)

enum apsm_attrs {
	APSM_A_UNSPEC,
	APSM_A_NODE,
	APSM_A_PEER,
	APSM_A_PORT,
	APSM_A_SERVICE,
	APSM_A_INSTANCE,
	APSM_A_CHAIN,
	APSM_A_POLICY,
	APSM_A_FLOW,
	APSM_A_STATS,
	APSM_A_FEED_CURSOR,
	APSM_A_FEED_LIMIT,
	APSM_A_FEED_FIRST,
	APSM_A_FEED_NEXT,
	APSM_A_FEED_BEHIND,
	APSM_A_PAD,
	__APSM_A_MAX
};
#define APSM_A_MAX (__APSM_A_MAX - 1)

enum apsm_node_attrs {
	APSM_NODE_A_UNSPEC,
	APSM_NODE_A_ID,
	APSM_NODE_A_RDS_MAX,
	APSM_NODE_A_RDS_COUNT,
	APSM_NODE_A_POLICY_MAX,
	APSM_NODE_A_TIMEOUT_TCP,
	APSM_NODE_A_TIMEOUT_UDP,
	APSM_NODE_A_TIMEOUT_OTHER,
	APSM_NODE_A_GENERATION,
	APSM_NODE_A_HOLD_MS,
	APSM_NODE_A_HOLD_MAX,
	APSM_NODE_A_HOLD_FLOW_MAX,
	APSM_NODE_A_HOLD_EXPIRE,
	APSM_NODE_A_HOLD_COUNT,
	APSM_NODE_A_PEERDOWN,
	APSM_NODE_A_FEED_SIZE,
	__APSM_NODE_A_MAX
};
#define APSM_NODE_A_MAX (__APSM_NODE_A_MAX - 1)

/* The change feed's size (APSM_NODE_A_FEED_SIZE): a power of two. */
#define APSM_FEED_SIZE_MIN	64
#define APSM_FEED_SIZE_MAX	4194304
#define APSM_FEED_SIZE_DEFAULT	65536

enum apsm_hold_action {
	APSM_HOLD_PASS = 1,	/* let it go on plain (not steered) */
	APSM_HOLD_DROP,		/* drop it */
	__APSM_HOLD_MAX
};

enum apsm_peerdown_policy {
	APSM_PEERDOWN_DROP = 1,	/* drop their packets, keep the entries */
	APSM_PEERDOWN_REPIN,	/* re-pick stateless hops, drop stateful */
	__APSM_PEERDOWN_MAX
};

enum apsm_peer_state {
	APSM_PEER_UP = 1,
	APSM_PEER_DOWN,
	__APSM_PEER_STATE_MAX
};

/* Replication figures of one peer, u64 each, in APSM_PEER_A_REPL. */
enum apsm_peer_repl_attrs {
	APSM_PEER_REPL_A_UNSPEC,
	APSM_PEER_REPL_A_PAD,
	APSM_PEER_REPL_A_UPDATES_TX,	/* RDS updates sent to it */
	APSM_PEER_REPL_A_UPDATES_RX,	/* RDS updates received from it */
	APSM_PEER_REPL_A_BATCHES_TX,	/* datagrams sent to it */
	APSM_PEER_REPL_A_BATCHES_RX,	/* datagrams received from it */
	APSM_PEER_REPL_A_AUTH_FAIL,	/* rejected: authentication */
	APSM_PEER_REPL_A_REPLAY,	/* rejected: replayed or old */
	APSM_PEER_REPL_A_RESYNC,	/* full resyncs with it */
	APSM_PEER_REPL_A_LAST_RX_MS,	/* ms since it was last heard */
	APSM_PEER_REPL_A_LAG_MS,	/* replication lag estimate, ms */
	__APSM_PEER_REPL_A_MAX
};
#define APSM_PEER_REPL_A_MAX (__APSM_PEER_REPL_A_MAX - 1)

enum apsm_peer_attrs {
	APSM_PEER_A_UNSPEC,
	APSM_PEER_A_ID,
	APSM_PEER_A_IFINDEX,
	APSM_PEER_A_LLADDR,
	APSM_PEER_A_TX_PACKETS,
	APSM_PEER_A_RX_PACKETS,
	APSM_PEER_A_PAD,
	APSM_PEER_A_STATE,
	APSM_PEER_A_REPL,
	__APSM_PEER_A_MAX
};
#define APSM_PEER_A_MAX (__APSM_PEER_A_MAX - 1)

enum apsm_port_role {
	APSM_PORT_UPLINK = 1,
	APSM_PORT_FABRIC,
	APSM_PORT_NF,		/* set by the kernel for instance ports */
	__APSM_PORT_ROLE_MAX
};

enum apsm_port_attrs {
	APSM_PORT_A_UNSPEC,
	APSM_PORT_A_IFINDEX,
	APSM_PORT_A_ROLE,
	APSM_PORT_A_IFNAME,
	APSM_PORT_A_RX_PACKETS,
	APSM_PORT_A_TX_PACKETS,
	APSM_PORT_A_PAD,
	__APSM_PORT_A_MAX
};
#define APSM_PORT_A_MAX (__APSM_PORT_A_MAX - 1)

enum apsm_service_attrs {
	APSM_SERVICE_A_UNSPEC,
	APSM_SERVICE_A_NAME,
	APSM_SERVICE_A_STATEFUL,
	APSM_SERVICE_A_INSTANCES,
	APSM_SERVICE_A_LB_SIZE,
	__APSM_SERVICE_A_MAX
};
#define APSM_SERVICE_A_MAX (__APSM_SERVICE_A_MAX - 1)

enum apsm_instance_mode {
	APSM_MODE_NSH = 1,	/* NSH-aware NF: gets the NSH frame */
	APSM_MODE_PROXY,	/* legacy NF: gets the plain frame */
	__APSM_MODE_MAX
};

enum apsm_instance_state {
	APSM_STATE_UP = 1,	/* takes new flows */
	APSM_STATE_DRAIN,	/* keeps pinned flows, takes no new ones */
	APSM_STATE_DOWN,	/* takes nothing */
	__APSM_STATE_MAX
};

enum apsm_noctx_policy {
	APSM_NOCTX_CLASSIFY = 1,	/* classify the packet anew */
	APSM_NOCTX_DROP,		/* drop it */
	__APSM_NOCTX_MAX
};

enum apsm_instance_attrs {
	APSM_INSTANCE_A_UNSPEC,
	APSM_INSTANCE_A_NAME,
	APSM_INSTANCE_A_ID,
	APSM_INSTANCE_A_SERVICE,
	APSM_INSTANCE_A_NODE,
	APSM_INSTANCE_A_IFINDEX,
	APSM_INSTANCE_A_MODE,
	APSM_INSTANCE_A_WEIGHT,
	APSM_INSTANCE_A_STATE,
	APSM_INSTANCE_A_LLADDR,
	APSM_INSTANCE_A_NOCTX,
	APSM_INSTANCE_A_TX_PACKETS,
	APSM_INSTANCE_A_TX_BYTES,
	APSM_INSTANCE_A_RX_PACKETS,
	APSM_INSTANCE_A_RX_BYTES,
	APSM_INSTANCE_A_FLOWS,
	APSM_INSTANCE_A_DROPS,
	APSM_INSTANCE_A_PAD,
	APSM_INSTANCE_A_FPRINT_TTL,
	APSM_INSTANCE_A_REC_KEY,
	APSM_INSTANCE_A_REC_LEARNED,
	APSM_INSTANCE_A_REC_FPRINT,
	APSM_INSTANCE_A_UNRECOVERED,
	APSM_INSTANCE_A_FPRINT_ENTRIES,
	APSM_INSTANCE_A_FPRINT_SIZE,
	APSM_INSTANCE_A_FPRINT_EVICTIONS,
	APSM_INSTANCE_A_FPRINT_COLLISIONS,
	__APSM_INSTANCE_A_MAX
};
#define APSM_INSTANCE_A_MAX (__APSM_INSTANCE_A_MAX - 1)

enum apsm_list_attrs {
	APSM_LIST_A_UNSPEC,
	APSM_LIST_A_NAME,
	__APSM_LIST_A_MAX
};
#define APSM_LIST_A_MAX (__APSM_LIST_A_MAX - 1)

enum apsm_chain_attrs {
	APSM_CHAIN_A_UNSPEC,
	APSM_CHAIN_A_NAME,
	APSM_CHAIN_A_SPI,
	APSM_CHAIN_A_SERVICES,
	APSM_CHAIN_A_RETURN,
	__APSM_CHAIN_A_MAX
};
#define APSM_CHAIN_A_MAX (__APSM_CHAIN_A_MAX - 1)

enum apsm_policy_attrs {
	APSM_POLICY_A_UNSPEC,
	APSM_POLICY_A_PRIO,
	APSM_POLICY_A_CHAIN,
	APSM_POLICY_A_IIF,
	APSM_POLICY_A_FAMILY,
	APSM_POLICY_A_SRC,
	APSM_POLICY_A_SRC_PLEN,
	APSM_POLICY_A_DST,
	APSM_POLICY_A_DST_PLEN,
	APSM_POLICY_A_PROTO,
	APSM_POLICY_A_SPORT_MIN,
	APSM_POLICY_A_SPORT_MAX,
	APSM_POLICY_A_DPORT_MIN,
	APSM_POLICY_A_DPORT_MAX,
	APSM_POLICY_A_VLAN,
	APSM_POLICY_A_HITS,
	APSM_POLICY_A_PAD,
	__APSM_POLICY_A_MAX
};
#define APSM_POLICY_A_MAX (__APSM_POLICY_A_MAX - 1)

enum apsm_flow_dir {
	APSM_DIR_FORWARD = 1,
	APSM_DIR_RETURN,
	__APSM_DIR_MAX
};

enum apsm_rds_op {
	APSM_RDS_OP_NEW = 1,	/* new entry or newer version of one */
	APSM_RDS_OP_DEL,	/* deleted (expired, flushed, deleted) */
	__APSM_RDS_OP_MAX
};

/* Why an RDS entry came or went (APSM_FLOW_A_CAUSE). */
enum apsm_rds_cause {
	APSM_RDS_INSERT = 1,	/* created on this node (packet path) */
	APSM_RDS_INSTALL,	/* installed or replaced from a peer */
	APSM_RDS_DELETE,	/* deleted by the operator (FLOW_DEL) */
	APSM_RDS_FLUSH,		/* flushed by the operator (FLOW_FLUSH) */
	APSM_RDS_EXPIRE,	/* idle past its timeout */
	APSM_RDS_PEER_DEL,	/* a peer's delete, installed here */
	__APSM_RDS_CAUSE_MAX
};

enum apsm_flow_attrs {
	APSM_FLOW_A_UNSPEC,
	APSM_FLOW_A_FAMILY,
	APSM_FLOW_A_PROTO,
	APSM_FLOW_A_SRC,
	APSM_FLOW_A_DST,
	APSM_FLOW_A_SPORT,
	APSM_FLOW_A_DPORT,
	APSM_FLOW_A_DIR,
	APSM_FLOW_A_SPI,
	APSM_FLOW_A_PATH,
	APSM_FLOW_A_ORIGIN,
	APSM_FLOW_A_VERSION,
	APSM_FLOW_A_AGE_MS,
	APSM_FLOW_A_PACKETS,
	APSM_FLOW_A_OP,
	APSM_FLOW_A_PAD,
	APSM_FLOW_A_SEQ,
	APSM_FLOW_A_CAUSE,
	__APSM_FLOW_A_MAX
};
#define APSM_FLOW_A_MAX (__APSM_FLOW_A_MAX - 1)

/* Node-wide counters, u64 each, in APSM_A_STATS. */
enum apsm_stats_attrs {
	APSM_STATS_A_UNSPEC,
	APSM_STATS_A_PAD,
	APSM_STATS_A_RX_PACKETS,	/* seen by the ingress hook */
	APSM_STATS_A_RDS_HITS,
	APSM_STATS_A_RDS_MISSES,
	APSM_STATS_A_POLICY_HITS,
	APSM_STATS_A_POLICY_MISSES,
	APSM_STATS_A_RDS_INSERTS,
	APSM_STATS_A_RDS_INSERT_FULL,	/* insert refused: table full */
	APSM_STATS_A_RDS_INSERT_NOMEM,
	APSM_STATS_A_RDS_EXPIRED,
	APSM_STATS_A_RDS_INSTALLED,	/* from peers */
	APSM_STATS_A_RDS_STALE,		/* peer install older than ours */
	APSM_STATS_A_RDS_NOTIFY_FAIL,	/* multicast could not be sent */
	APSM_STATS_A_NSH_ENCAP,
	APSM_STATS_A_NSH_DECAP,
	APSM_STATS_A_LEARNED,		/* return paths learned */
	APSM_STATS_A_DROP_MALFORMED,
	APSM_STATS_A_DROP_NSH_INVALID,
	APSM_STATS_A_DROP_TTL,
	APSM_STATS_A_DROP_NO_INSTANCE,
	APSM_STATS_A_DROP_UNKNOWN_NODE,
	APSM_STATS_A_DROP_NOMEM,
	APSM_STATS_A_DROP_TX,
	APSM_STATS_A_PASS_NONIP,
	APSM_STATS_A_PASS_FRAG,
	APSM_STATS_A_POLICY_FULL,	/* policy add refused: table full */
	APSM_STATS_A_HOLD_HELD,		/* return packets held (holdq) */
	APSM_STATS_A_HOLD_RELEASED,	/* held, released: entry came */
	APSM_STATS_A_HOLD_TIMEOUT,	/* held, deadline passed */
	APSM_STATS_A_HOLD_OVERFLOW,	/* not held: node-wide cap */
	APSM_STATS_A_HOLD_OVERFLOW_FLOW,	/* not held: per-flow cap */
	APSM_STATS_A_PEERDOWN_DROP,	/* pinned to a down peer: dropped */
	APSM_STATS_A_PEERDOWN_REPIN,	/* pinned to a down peer: re-picked */
	APSM_STATS_A_DROP_FABRIC_SRC,	/* fabric NSH not from a peer's MAC */
	__APSM_STATS_A_MAX
};
#define APSM_STATS_A_MAX (__APSM_STATS_A_MAX - 1)

#endif /* _UAPI_LINUX_APSM_H */
