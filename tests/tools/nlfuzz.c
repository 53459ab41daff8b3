// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: a hostile client of the "apsm" generic netlink family.
 *
 *   nlfuzz [-v] [-G] [COUNT [SEED]]     (COUNT default 20000)
 *
 * Sends COUNT malformed requests, each built so that it is certainly
 * invalid (never a well-formed valid request), and classifies what the
 * kernel answers. Every message must get an error (NLMSG_ERROR with a
 * negative error) or, for the structural generators (truncated nlmsghdr,
 * nlmsg_len past the datagram, no NLM_F_REQUEST, control message types),
 * be ignored. Any success -- an ACK with error 0, a reply, a dump -- is a
 * failure and is printed. Afterwards the state must be unchanged: the node
 * generation (unless -G) and the number of objects in every dumpable table
 * but the flow table. Run as root, so that admin commands get past the
 * permission check into validation.
 *
 * Generic netlink handles a request synchronously in sendmsg(), so every
 * reply to a message is queued by the time send returns; the replies are
 * drained with MSG_DONTWAIT before the next message.
 *
 * Exit: 0 all as expected, 1 something unexpected, 2 setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/apsm.h>

#define MSG_MAX		16384
#define PRINT_MAX	10	/* unexpected messages printed in full */

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* Uniform-ish in [0, n). */
static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)((rnd() >> 32) % n) : 0;
}

static bool coin(unsigned int percent)
{
	return rn(100) < percent;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rnd() >> 56;
}

/* ------------------------------------------------------------ schema */

enum kind { K_U8, K_U16, K_U32, K_U64, K_STR, K_BIN, K_LIST };

struct sattr {
	uint16_t type;
	uint8_t kind;
};

struct snest {
	const char *name;
	uint16_t max;
	unsigned int n;
	struct sattr a[26];
};

static const struct snest s_node = { "node", APSM_NODE_A_MAX, 14, {
	{ APSM_NODE_A_ID, K_U32 }, { APSM_NODE_A_RDS_MAX, K_U32 },
	{ APSM_NODE_A_RDS_COUNT, K_U32 }, { APSM_NODE_A_POLICY_MAX, K_U32 },
	{ APSM_NODE_A_TIMEOUT_TCP, K_U32 }, { APSM_NODE_A_TIMEOUT_UDP, K_U32 },
	{ APSM_NODE_A_TIMEOUT_OTHER, K_U32 },
	{ APSM_NODE_A_GENERATION, K_U32 }, { APSM_NODE_A_HOLD_MS, K_U32 },
	{ APSM_NODE_A_HOLD_MAX, K_U32 }, { APSM_NODE_A_HOLD_FLOW_MAX, K_U32 },
	{ APSM_NODE_A_HOLD_EXPIRE, K_U8 }, { APSM_NODE_A_HOLD_COUNT, K_U32 },
	{ APSM_NODE_A_PEERDOWN, K_U8 } } };

/* APSM_PEER_A_REPL is a nest: fuzzed as opaque bytes. */
static const struct snest s_peer = { "peer", APSM_PEER_A_MAX, 7, {
	{ APSM_PEER_A_ID, K_U32 }, { APSM_PEER_A_IFINDEX, K_U32 },
	{ APSM_PEER_A_LLADDR, K_BIN }, { APSM_PEER_A_TX_PACKETS, K_U64 },
	{ APSM_PEER_A_RX_PACKETS, K_U64 }, { APSM_PEER_A_STATE, K_U8 },
	{ APSM_PEER_A_REPL, K_BIN } } };

static const struct snest s_port = { "port", APSM_PORT_A_MAX, 5, {
	{ APSM_PORT_A_IFINDEX, K_U32 }, { APSM_PORT_A_ROLE, K_U8 },
	{ APSM_PORT_A_IFNAME, K_STR }, { APSM_PORT_A_RX_PACKETS, K_U64 },
	{ APSM_PORT_A_TX_PACKETS, K_U64 } } };

static const struct snest s_service = { "service", APSM_SERVICE_A_MAX, 4, {
	{ APSM_SERVICE_A_NAME, K_STR }, { APSM_SERVICE_A_STATEFUL, K_U8 },
	{ APSM_SERVICE_A_INSTANCES, K_U32 },
	{ APSM_SERVICE_A_LB_SIZE, K_U32 } } };

static const struct snest s_instance = { "instance", APSM_INSTANCE_A_MAX, 25, {
	{ APSM_INSTANCE_A_NAME, K_STR }, { APSM_INSTANCE_A_ID, K_U32 },
	{ APSM_INSTANCE_A_SERVICE, K_STR }, { APSM_INSTANCE_A_NODE, K_U32 },
	{ APSM_INSTANCE_A_IFINDEX, K_U32 }, { APSM_INSTANCE_A_MODE, K_U8 },
	{ APSM_INSTANCE_A_WEIGHT, K_U32 }, { APSM_INSTANCE_A_STATE, K_U8 },
	{ APSM_INSTANCE_A_LLADDR, K_BIN }, { APSM_INSTANCE_A_NOCTX, K_U8 },
	{ APSM_INSTANCE_A_TX_PACKETS, K_U64 },
	{ APSM_INSTANCE_A_TX_BYTES, K_U64 },
	{ APSM_INSTANCE_A_RX_PACKETS, K_U64 },
	{ APSM_INSTANCE_A_RX_BYTES, K_U64 }, { APSM_INSTANCE_A_FLOWS, K_U32 },
	{ APSM_INSTANCE_A_DROPS, K_U64 }, { APSM_INSTANCE_A_FPRINT_TTL, K_U32 },
	{ APSM_INSTANCE_A_REC_KEY, K_U64 },
	{ APSM_INSTANCE_A_REC_LEARNED, K_U64 },
	{ APSM_INSTANCE_A_REC_FPRINT, K_U64 },
	{ APSM_INSTANCE_A_UNRECOVERED, K_U64 },
	{ APSM_INSTANCE_A_FPRINT_ENTRIES, K_U32 },
	{ APSM_INSTANCE_A_FPRINT_SIZE, K_U32 },
	{ APSM_INSTANCE_A_FPRINT_EVICTIONS, K_U64 },
	{ APSM_INSTANCE_A_FPRINT_COLLISIONS, K_U64 } } };

static const struct snest s_list = { "list", APSM_LIST_A_MAX, 1, {
	{ APSM_LIST_A_NAME, K_STR } } };

static const struct snest s_chain = { "chain", APSM_CHAIN_A_MAX, 4, {
	{ APSM_CHAIN_A_NAME, K_STR }, { APSM_CHAIN_A_SPI, K_U32 },
	{ APSM_CHAIN_A_SERVICES, K_LIST }, { APSM_CHAIN_A_RETURN, K_LIST } } };

static const struct snest s_policy = { "policy", APSM_POLICY_A_MAX, 15, {
	{ APSM_POLICY_A_PRIO, K_U32 }, { APSM_POLICY_A_CHAIN, K_STR },
	{ APSM_POLICY_A_IIF, K_U32 }, { APSM_POLICY_A_FAMILY, K_U8 },
	{ APSM_POLICY_A_SRC, K_BIN }, { APSM_POLICY_A_SRC_PLEN, K_U8 },
	{ APSM_POLICY_A_DST, K_BIN }, { APSM_POLICY_A_DST_PLEN, K_U8 },
	{ APSM_POLICY_A_PROTO, K_U8 }, { APSM_POLICY_A_SPORT_MIN, K_U16 },
	{ APSM_POLICY_A_SPORT_MAX, K_U16 }, { APSM_POLICY_A_DPORT_MIN, K_U16 },
	{ APSM_POLICY_A_DPORT_MAX, K_U16 }, { APSM_POLICY_A_VLAN, K_U16 },
	{ APSM_POLICY_A_HITS, K_U64 } } };

static const struct snest s_flow = { "flow", APSM_FLOW_A_MAX, 14, {
	{ APSM_FLOW_A_FAMILY, K_U8 }, { APSM_FLOW_A_PROTO, K_U8 },
	{ APSM_FLOW_A_SRC, K_BIN }, { APSM_FLOW_A_DST, K_BIN },
	{ APSM_FLOW_A_SPORT, K_U16 }, { APSM_FLOW_A_DPORT, K_U16 },
	{ APSM_FLOW_A_DIR, K_U8 }, { APSM_FLOW_A_SPI, K_U32 },
	{ APSM_FLOW_A_PATH, K_BIN }, { APSM_FLOW_A_ORIGIN, K_U32 },
	{ APSM_FLOW_A_VERSION, K_U64 }, { APSM_FLOW_A_AGE_MS, K_U64 },
	{ APSM_FLOW_A_PACKETS, K_U64 }, { APSM_FLOW_A_OP, K_U8 } } };

static const struct snest s_stats = { "stats", APSM_STATS_A_MAX, 4, {
	{ APSM_STATS_A_RX_PACKETS, K_U64 }, { APSM_STATS_A_RDS_HITS, K_U64 },
	{ APSM_STATS_A_DROP_TX, K_U64 }, { APSM_STATS_A_PASS_FRAG, K_U64 } } };

/* Indexed by APSM_A_*. */
static const struct snest *const s_top[APSM_A_MAX + 1] = {
	[APSM_A_NODE] = &s_node,
	[APSM_A_PEER] = &s_peer,
	[APSM_A_PORT] = &s_port,
	[APSM_A_SERVICE] = &s_service,
	[APSM_A_INSTANCE] = &s_instance,
	[APSM_A_CHAIN] = &s_chain,
	[APSM_A_POLICY] = &s_policy,
	[APSM_A_FLOW] = &s_flow,
	[APSM_A_STATS] = &s_stats,
};

/* The object nest each command carries. */
static const uint16_t cmd_obj[APSM_CMD_MAX + 1] = {
	[APSM_CMD_NODE_GET] = APSM_A_NODE,
	[APSM_CMD_NODE_SET] = APSM_A_NODE,
	[APSM_CMD_PEER_NEW] = APSM_A_PEER,
	[APSM_CMD_PEER_DEL] = APSM_A_PEER,
	[APSM_CMD_PEER_GET] = APSM_A_PEER,
	[APSM_CMD_PEER_SET] = APSM_A_PEER,
	[APSM_CMD_PORT_NEW] = APSM_A_PORT,
	[APSM_CMD_PORT_DEL] = APSM_A_PORT,
	[APSM_CMD_PORT_GET] = APSM_A_PORT,
	[APSM_CMD_SERVICE_NEW] = APSM_A_SERVICE,
	[APSM_CMD_SERVICE_DEL] = APSM_A_SERVICE,
	[APSM_CMD_SERVICE_GET] = APSM_A_SERVICE,
	[APSM_CMD_INSTANCE_NEW] = APSM_A_INSTANCE,
	[APSM_CMD_INSTANCE_SET] = APSM_A_INSTANCE,
	[APSM_CMD_INSTANCE_DEL] = APSM_A_INSTANCE,
	[APSM_CMD_INSTANCE_GET] = APSM_A_INSTANCE,
	[APSM_CMD_CHAIN_NEW] = APSM_A_CHAIN,
	[APSM_CMD_CHAIN_DEL] = APSM_A_CHAIN,
	[APSM_CMD_CHAIN_GET] = APSM_A_CHAIN,
	[APSM_CMD_POLICY_NEW] = APSM_A_POLICY,
	[APSM_CMD_POLICY_DEL] = APSM_A_POLICY,
	[APSM_CMD_POLICY_GET] = APSM_A_POLICY,
	[APSM_CMD_FLOW_GET] = APSM_A_FLOW,
	[APSM_CMD_FLOW_DEL] = APSM_A_FLOW,
	[APSM_CMD_FLOW_FLUSH] = APSM_A_FLOW,
	[APSM_CMD_FLOW_INSTALL] = APSM_A_FLOW,
	[APSM_CMD_STATS_GET] = APSM_A_STATS,
};

/* ------------------------------------------------------------ builder */

struct buf {
	uint8_t d[MSG_MAX];
	size_t len;
	bool full;
};

static void b_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof(b->d)) {
		b->full = true;
		return;
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void b_zero(struct buf *b, size_t n)
{
	static const uint8_t z[8];

	while (n--)
		b_put(b, z, 1);
}

static void b_align(struct buf *b)
{
	b_zero(b, NLA_ALIGN(b->len) - b->len);
}

/* An attribute header with a length to be fixed by attr_end. */
static size_t attr_start(struct buf *b, uint16_t type)
{
	struct nlattr a = { .nla_len = 0, .nla_type = type };
	size_t off = b->len;

	b_put(b, &a, sizeof(a));
	return off;
}

/* Close an attribute: its length covers what follows its header (even an
 * unaligned tail); padding after it is not counted.
 */
static void attr_end(struct buf *b, size_t off)
{
	struct nlattr *a = (struct nlattr *)(b->d + off);
	size_t len = b->len - off;

	if (b->full || off + sizeof(*a) > b->len)
		return;
	a->nla_len = len > 0xffff ? 0xffff : len;
	b_align(b);
}

static void attr_put(struct buf *b, uint16_t type, const void *p, size_t n)
{
	size_t off = attr_start(b, type);

	b_put(b, p, n);
	attr_end(b, off);
}

static size_t msg_start(struct buf *b, uint16_t family, uint16_t flags,
			uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr nlh = {
		.nlmsg_type = family,
		.nlmsg_flags = flags,
		.nlmsg_seq = seq,
	};
	struct genlmsghdr g = { .cmd = cmd, .version = APSM_GENL_VERSION };
	size_t off = b->len;

	b_put(b, &nlh, sizeof(nlh));
	b_put(b, &g, sizeof(g));
	return off;
}

static void msg_end(struct buf *b, size_t off)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->d + off);

	nlh->nlmsg_len = b->len - off;
}

/* ------------------------------------------------------------ values */

static const char *const good_names[] = {
	"fw", "nat", "dpi", "fw1", "web", "a", "chain-1", "x.y_z",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

/* A string attribute: a plausible name, or garbage. */
static void put_str(struct buf *b, uint16_t type)
{
	uint8_t s[80];
	size_t n;

	switch (rn(4)) {
	case 0:
	case 1: {
		const char *g = good_names[rn(sizeof(good_names) /
					      sizeof(good_names[0]))];

		attr_put(b, type, g, strlen(g) + 1);
		break;
	}
	case 2:		/* random bytes, NUL-terminated */
		n = rn(sizeof(s) - 1);
		rnd_bytes(s, n);
		s[n] = '\0';
		attr_put(b, type, s, n + 1);
		break;
	default:	/* no NUL, or empty */
		n = rn(40);
		rnd_bytes(s, n);
		attr_put(b, type, s, n);
		break;
	}
}

static uint64_t rnd_int(void)
{
	switch (rn(6)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return rn(256);
	case 3:
		return ~0ULL;
	case 4:
		return 0xffffff + rn(3);
	default:
		return rnd();
	}
}

static const size_t kind_len[] = {
	[K_U8] = 1, [K_U16] = 2, [K_U32] = 4, [K_U64] = 8,
};

static void put_valid_attr(struct buf *b, const struct sattr *sa, int depth);

static void put_list(struct buf *b, uint16_t type, int depth)
{
	size_t off = attr_start(b, type | NLA_F_NESTED);
	unsigned int i, n = rn(12);

	for (i = 0; i < n; i++)
		put_valid_attr(b, &s_list.a[0], depth + 1);
	attr_end(b, off);
}

/* An attribute of the right type and size, with a random value. */
static void put_valid_attr(struct buf *b, const struct sattr *sa, int depth)
{
	uint8_t v[40];
	uint64_t x;
	size_t n;

	switch (sa->kind) {
	case K_U8:
	case K_U16:
	case K_U32:
	case K_U64:
		x = rnd_int();
		memcpy(v, &x, 8);
		attr_put(b, sa->type, v, kind_len[sa->kind]);
		break;
	case K_STR:
		put_str(b, sa->type);
		break;
	case K_BIN:
		n = coin(50) ? (coin(50) ? 4 : coin(50) ? 6 : 16) : rn(sizeof(v));
		rnd_bytes(v, n);
		attr_put(b, sa->type, v, n);
		break;
	case K_LIST:
		put_list(b, sa->type, depth);
		break;
	}
}

/* ------------------------------------------------------------ violations */

enum viol {
	V_UNKNOWN_TYPE,	/* type 0 or above the nest's max */
	V_INT_LEN,	/* an integer attribute of the wrong size */
	V_NESTED_FLAG,	/* NLA_F_NESTED missing on a nest / set on a scalar */
	V_TRAILING,	/* 1..3 bytes after the last attribute */
	V_BAD_LEN,	/* nla_len < 4 or past the end of the nest */
	V_MAX
};

static const char *const viol_names[V_MAX] = {
	"unknown-type", "int-len", "nested-flag", "trailing", "bad-len",
};

/* Emit one certain violation into the nest described by s (s NULL: the
 * top level, whose attributes are all nests).
 */
static void put_violation(struct buf *b, const struct snest *s, enum viol v)
{
	uint16_t max = s ? s->max : APSM_A_MAX;
	unsigned int i, tries;
	uint8_t junk[24];
	struct nlattr h;

	rnd_bytes(junk, sizeof(junk));
	switch (v) {
	case V_INT_LEN:
		/* An integer attribute of this nest, with a wrong length. */
		for (tries = 0; s && tries < 16; tries++) {
			const struct sattr *sa = &s->a[rn(s->n)];
			size_t want, len;

			if (sa->kind > K_U64)
				continue;
			want = kind_len[sa->kind];
			do {
				len = rn(17);
			} while (len == want);
			attr_put(b, sa->type, junk, len);
			return;
		}
		/* no integer here */
		__attribute__((fallthrough));
	case V_UNKNOWN_TYPE:
		i = coin(20) ? 0 : max + 1 + rn(coin(50) ? 4 : 0x3fff - max);
		attr_put(b, i, junk, rn(9));
		return;
	case V_NESTED_FLAG:
		if (!s) {
			/* An object nest without the flag. */
			size_t off = attr_start(b, 1 + rn(APSM_A_MAX));

			attr_end(b, off);
			return;
		}
		for (tries = 0; tries < 16; tries++) {
			const struct sattr *sa = &s->a[rn(s->n)];

			if (sa->kind == K_LIST) {
				size_t off = attr_start(b, sa->type);

				put_str(b, APSM_LIST_A_NAME);
				attr_end(b, off);
				return;
			}
			if (sa->kind <= K_U64) {
				attr_put(b, sa->type | NLA_F_NESTED, junk,
					 kind_len[sa->kind]);
				return;
			}
			if (sa->kind == K_STR) {
				attr_put(b, sa->type | NLA_F_NESTED, "fw", 3);
				return;
			}
		}
		attr_put(b, max + 1, junk, 4);
		return;
	case V_TRAILING:
		/* The caller puts this last. */
		b_put(b, junk, 1 + rn(3));
		return;
	case V_BAD_LEN:
		h.nla_type = s ? s->a[rn(s->n)].type : 1 + rn(APSM_A_MAX);
		h.nla_len = coin(50) ? rn(4) : 0xff00 + rn(0x100);
		b_put(b, &h, sizeof(h));
		b_put(b, junk, rn(sizeof(junk)) & ~3u);
		return;
	case V_MAX:
		break;
	}
}

/*
 * Fill a nest with random valid-looking attributes; if inject, one of them
 * is replaced by (or, for V_TRAILING, followed by) the violation.
 */
static void fill_nest(struct buf *b, const struct snest *s, bool inject,
		      enum viol v)
{
	unsigned int i, n = rn(s->n + 3), at = rn(n + 1);

	for (i = 0; i <= n; i++) {
		if (inject && i == at && v != V_TRAILING && v != V_BAD_LEN)
			put_violation(b, s, v);
		if (i < n)
			put_valid_attr(b, &s->a[rn(s->n)], 1);
	}
	/* bad-len and trailing garbage go last: nothing after them is parsed */
	if (inject && (v == V_TRAILING || v == V_BAD_LEN))
		put_violation(b, s, v);
}

/* ------------------------------------------------------------ generators */

enum expect {
	EXP_ERROR,	/* an error reply is certain */
	EXP_IGNORED,	/* the kernel drops it silently (or errors) */
};

enum gen {
	G_SHORT_NLH, G_LEN_OVER, G_LEN_UNDER, G_NOREQ, G_CTRL_TYPE,
	G_SHORT_GENL, G_BAD_CMD, G_TREE, G_DEEP, G_RANDOM, G_MULTI, G_MAX
};

static const struct {
	const char *name;
	unsigned int weight;
	enum expect expect;
} gens[G_MAX] = {
	[G_SHORT_NLH] = { "short-nlmsghdr", 3, EXP_IGNORED },
	[G_LEN_OVER] = { "nlmsg_len-over", 4, EXP_IGNORED },
	[G_LEN_UNDER] = { "nlmsg_len-under", 3, EXP_IGNORED },
	[G_NOREQ] = { "no-request-flag", 2, EXP_IGNORED },
	[G_CTRL_TYPE] = { "control-type", 2, EXP_IGNORED },
	[G_SHORT_GENL] = { "short-genlmsghdr", 4, EXP_ERROR },
	[G_BAD_CMD] = { "bad-cmd", 8, EXP_ERROR },
	[G_TREE] = { "attr-tree", 50, EXP_ERROR },
	[G_DEEP] = { "deep-nest", 8, EXP_ERROR },
	[G_RANDOM] = { "random-attrs", 10, EXP_ERROR },
	[G_MULTI] = { "multi-msg", 6, EXP_ERROR },
};

static uint16_t family;
static uint32_t seq;

/* A real command: anything but UNSPEC and the notification-only one. */
static uint8_t real_cmd(void)
{
	uint8_t c;

	do {
		c = 1 + rn(APSM_CMD_MAX);
	} while (c == APSM_CMD_RDS_NOTIFY);
	return c;
}

static uint16_t req_flags(void)
{
	static const uint16_t extra[] = {
		0, 0, 0, NLM_F_DUMP, NLM_F_DUMP, NLM_F_ECHO, NLM_F_ROOT,
		NLM_F_CREATE | NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND,
	};

	return NLM_F_REQUEST | NLM_F_ACK | extra[rn(sizeof(extra) / sizeof(extra[0]))];
}

/* G_TREE: a schema-shaped request with one certain violation somewhere. */
static void gen_tree(struct buf *b, char *desc, size_t dsize)
{
	uint8_t cmd = real_cmd();
	uint16_t obj = coin(85) ? cmd_obj[cmd] : 0;

	if (!obj || !s_top[obj])	/* a command without an object here */
		obj = APSM_A_NODE + rn(APSM_A_STATS - APSM_A_NODE + 1);
	enum viol v = rn(V_MAX);
	unsigned int level = rn(3), nobj = 1 + (coin(20) ? rn(3) : 0), i;
	size_t m, off;

	/* Level 2 is a chain's service list; other objects have none. */
	if (level == 2 && obj != APSM_A_CHAIN)
		level = 1;
	m = msg_start(b, family, req_flags(), cmd, ++seq);
	for (i = 0; i < nobj; i++) {
		if (level == 0 && i == 0 && v != V_TRAILING && v != V_BAD_LEN)
			put_violation(b, NULL, v);
		off = attr_start(b, obj | NLA_F_NESTED);
		if (level == 2 && i == 0) {
			size_t l = attr_start(b, APSM_CHAIN_A_SERVICES |
					      NLA_F_NESTED);

			fill_nest(b, &s_list, true, v);
			attr_end(b, l);
			fill_nest(b, s_top[obj], false, v);
		} else {
			fill_nest(b, s_top[obj], level == 1 && i == 0, v);
		}
		attr_end(b, off);
	}
	if (level == 0 && (v == V_TRAILING || v == V_BAD_LEN))
		put_violation(b, NULL, v);
	msg_end(b, m);
	snprintf(desc, dsize, "cmd %u obj %s violation %s at level %u", cmd,
		 s_top[obj]->name, viol_names[v], level);
}

/* G_DEEP: nests inside nests, far deeper than any valid tree. */
static void gen_deep(struct buf *b, char *desc, size_t dsize)
{
	uint8_t cmd = real_cmd();
	unsigned int depth = 3 + rn(coin(50) ? 20 : 1000), i;
	size_t m, offs[1100];
	uint8_t junk[16];

	m = msg_start(b, family, req_flags(), cmd, ++seq);
	offs[0] = attr_start(b, (coin(80) ? cmd_obj[cmd] : 1 + rn(APSM_A_MAX)) |
			     NLA_F_NESTED);
	for (i = 1; i < depth; i++)
		offs[i] = attr_start(b, (1 + rn(20)) | NLA_F_NESTED);
	rnd_bytes(junk, sizeof(junk));
	b_put(b, junk, rn(sizeof(junk)));
	for (i = depth; i-- > 0;)
		attr_end(b, offs[i]);
	msg_end(b, m);
	snprintf(desc, dsize, "cmd %u depth %u", cmd, depth);
}

/* G_RANDOM: random bytes as attributes, the first header certainly bad. */
static void gen_random(struct buf *b, char *desc, size_t dsize)
{
	uint8_t cmd = real_cmd(), junk[2048];
	size_t n = 1 + rn(coin(80) ? 64 : sizeof(junk)), m;
	uint16_t len;

	rnd_bytes(junk, n);
	if (n >= 2) {
		/* nla_len 0..3 or past the end: nla_ok() fails at once, so
		 * the whole region is left over.
		 */
		len = coin(50) ? rn(4) : n + 1 + rn(0xffff - n);
		memcpy(junk, &len, 2);
	}
	m = msg_start(b, family, req_flags(), cmd, ++seq);
	b_put(b, junk, n);
	msg_end(b, m);
	snprintf(desc, dsize, "cmd %u %zu random bytes", cmd, n);
}

static void gen_one(enum gen g, struct buf *b, char *desc, size_t dsize);

static void gen_multi(struct buf *b, char *desc, size_t dsize)
{
	unsigned int i, n = 2 + rn(3);
	char sub[128];

	for (i = 0; i < n; i++) {
		static const enum gen pick[] = { G_TREE, G_BAD_CMD, G_RANDOM };

		b_align(b);
		gen_one(pick[rn(3)], b, sub, sizeof(sub));
	}
	snprintf(desc, dsize, "%u messages, last: %s", n, sub);
}

static void gen_one(enum gen g, struct buf *b, char *desc, size_t dsize)
{
	struct nlmsghdr nlh = { .nlmsg_type = family, .nlmsg_seq = ++seq };
	struct genlmsghdr gh = { .version = 1 };
	uint8_t junk[64];
	size_t m, n;

	rnd_bytes(junk, sizeof(junk));
	switch (g) {
	case G_SHORT_NLH:
		n = 1 + rn(NLMSG_HDRLEN - 1);
		b_put(b, junk, n);
		snprintf(desc, dsize, "%zu bytes", n);
		break;
	case G_LEN_OVER:
		nlh.nlmsg_flags = req_flags();
		gh.cmd = real_cmd();
		n = rn(sizeof(junk));
		nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + n + 1 +
				(coin(50) ? rn(16) : rnd() >> 33);
		b_put(b, &nlh, sizeof(nlh));
		b_put(b, &gh, sizeof(gh));
		b_put(b, junk, n);
		snprintf(desc, dsize, "nlmsg_len %u, %zu bytes sent",
			 nlh.nlmsg_len, b->len);
		break;
	case G_LEN_UNDER:
		nlh.nlmsg_flags = req_flags();
		nlh.nlmsg_len = rn(NLMSG_HDRLEN);
		b_put(b, &nlh, sizeof(nlh));
		b_put(b, junk, rn(sizeof(junk)));
		snprintf(desc, dsize, "nlmsg_len %u", nlh.nlmsg_len);
		break;
	case G_NOREQ:
		/* No NLM_F_ACK either: the kernel would ACK, not act. */
		gh.cmd = real_cmd();
		nlh.nlmsg_flags = rn(2) ? NLM_F_DUMP : 0;
		m = b->len;
		b_put(b, &nlh, sizeof(nlh));
		b_put(b, &gh, sizeof(gh));
		b_put(b, junk, rn(sizeof(junk)));
		msg_end(b, m);
		snprintf(desc, dsize, "cmd %u", gh.cmd);
		break;
	case G_CTRL_TYPE:
		nlh.nlmsg_type = 1 + rn(NLMSG_MIN_TYPE - 1);
		nlh.nlmsg_flags = NLM_F_REQUEST;
		gh.cmd = real_cmd();
		m = b->len;
		b_put(b, &nlh, sizeof(nlh));
		b_put(b, &gh, sizeof(gh));
		b_put(b, junk, rn(sizeof(junk)));
		msg_end(b, m);
		snprintf(desc, dsize, "type %u", nlh.nlmsg_type);
		break;
	case G_SHORT_GENL:
		nlh.nlmsg_flags = req_flags();
		n = rn(GENL_HDRLEN);
		nlh.nlmsg_len = NLMSG_HDRLEN + n;
		b_put(b, &nlh, sizeof(nlh));
		b_put(b, junk, n);
		snprintf(desc, dsize, "%zu genl header bytes", n);
		break;
	case G_BAD_CMD: {
		static const uint8_t bad[] = { APSM_CMD_UNSPEC,
					       APSM_CMD_RDS_NOTIFY };
		uint8_t cmd = coin(40) ? bad[rn(2)] :
			      APSM_CMD_MAX + 1 + rn(255 - APSM_CMD_MAX);
		uint16_t obj;
		size_t off;

		do	/* an object nest (APSM_A_FEED_* are not nests) */
			obj = 1 + rn(APSM_A_MAX);
		while (!s_top[obj]);
		m = msg_start(b, family, req_flags(), cmd, ++seq);
		off = attr_start(b, obj | NLA_F_NESTED);
		fill_nest(b, s_top[obj], false, V_MAX);
		attr_end(b, off);
		msg_end(b, m);
		snprintf(desc, dsize, "cmd %u", cmd);
		break;
	}
	case G_TREE:
		gen_tree(b, desc, dsize);
		break;
	case G_DEEP:
		gen_deep(b, desc, dsize);
		break;
	case G_RANDOM:
		gen_random(b, desc, dsize);
		break;
	case G_MULTI:
		gen_multi(b, desc, dsize);
		break;
	case G_MAX:
		break;
	}
}

static enum gen pick_gen(void)
{
	unsigned int total = 0, r, g;

	for (g = 0; g < G_MAX; g++)
		total += gens[g].weight;
	r = rn(total);
	for (g = 0; g < G_MAX; g++) {
		if (r < gens[g].weight)
			return g;
		r -= gens[g].weight;
	}
	return G_TREE;
}

/* ------------------------------------------------------------ kernel */

static struct mnl_socket *open_sock(void)
{
	struct mnl_socket *sk = mnl_socket_open(NETLINK_GENERIC);
	int one = 1, fd;

	if (!sk)
		return NULL;
	fd = mnl_socket_get_fd(sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(sk);
		return NULL;
	}
	return sk;
}

/* A well-formed request on a separate socket (setup and state checks). */
static int request(struct mnl_socket *sk, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data)
{
	static char rbuf[65536];
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(sk, rbuf, sizeof(rbuf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(rbuf, n, nlh->nlmsg_seq,
				 mnl_socket_get_portid(sk), cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int resolve_family(struct mnl_socket *sk)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	uint16_t id = 0;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, APSM_GENL_NAME);
	if (request(sk, nlh, family_cb, &id) || !id)
		return -1;
	family = id;
	return 0;
}

struct snapshot {
	long generation;		/* -1: unknown */
	long count[APSM_CMD_MAX + 1];	/* dump sizes, -1: no dump */
};

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != APSM_A_NODE)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == APSM_NODE_A_GENERATION &&
			    mnl_attr_get_payload_len(b) == 4)
				*(long *)data = mnl_attr_get_u32(b);
	}
	return MNL_CB_OK;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(long *)data)++;
	return MNL_CB_OK;
}

static void snapshot(struct mnl_socket *sk, struct snapshot *s)
{
	static const uint8_t dumps[] = {
		APSM_CMD_PEER_GET, APSM_CMD_PORT_GET, APSM_CMD_SERVICE_GET,
		APSM_CMD_INSTANCE_GET, APSM_CMD_CHAIN_GET, APSM_CMD_POLICY_GET,
	};
	char buf[256];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i <= APSM_CMD_MAX; i++)
		s->count[i] = -1;
	s->generation = -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = APSM_CMD_NODE_GET;
	g->version = APSM_GENL_VERSION;
	if (request(sk, nlh, gen_cb, &s->generation))
		s->generation = -1;
	for (i = 0; i < sizeof(dumps); i++) {
		long n = 0;

		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = family;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = dumps[i];
		g->version = APSM_GENL_VERSION;
		if (request(sk, nlh, count_cb, &n) == 0)
			s->count[dumps[i]] = n;
	}
}

/* ------------------------------------------------------------ main */

static struct {
	/* tried = sent + send_refused; sent = errors + ignored +
	 * bad_success + bad_silence
	 */
	unsigned long tried, sent, send_refused, errors, ignored, bad_success,
		bad_silence;
	unsigned long per_gen[G_MAX][3];	/* error, ignored, bad */
	unsigned long errno_hist[200];
} st;

static bool verbose;

static void hexdump(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 512; i++)
		printf("%02x%s", p[i], (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
	if (n > 512)
		printf("... (%zu bytes)\n", n);
}

static void report_bad(unsigned long i, enum gen g, const char *desc,
		       const char *what, const struct buf *b)
{
	if (st.bad_success + st.bad_silence > PRINT_MAX)
		return;
	printf("nlfuzz: UNEXPECTED %s for message %lu (%s: %s):\n", what, i,
	       gens[g].name, desc);
	hexdump(b->d, b->len);
}

int main(int argc, char **argv)
{
	static char rbuf[65536];
	struct mnl_socket *sk, *check;
	struct snapshot before, after;
	unsigned long count = 20000, i;
	uint64_t seed = 0;
	bool seeded = false, gen_check = true;
	int opt, fd, failed = 0;
	struct buf *b;

	while ((opt = getopt(argc, argv, "vGh")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'G':
			gen_check = false;
			break;
		default:
			fprintf(stderr, "usage: nlfuzz [-v] [-G] [COUNT [SEED]]\n");
			return 2;
		}
	}
	if (optind < argc)
		count = strtoul(argv[optind++], NULL, 0);
	if (optind < argc) {
		seed = strtoull(argv[optind++], NULL, 0);
		seeded = true;
	}
	if (!seeded)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
	if (geteuid() != 0)
		fprintf(stderr, "nlfuzz: warning: not root; admin commands fail with EPERM before validation\n");

	sk = open_sock();
	check = open_sock();
	if (!sk || !check) {
		fprintf(stderr, "nlfuzz: cannot open netlink sockets: %s\n",
			strerror(errno));
		return 2;
	}
	if (resolve_family(check)) {
		fprintf(stderr, "nlfuzz: no \"%s\" generic netlink family (module not loaded?)\n",
			APSM_GENL_NAME);
		return 2;
	}
	snapshot(check, &before);
	printf("nlfuzz: family %u, %lu messages, seed %llu\n", family, count,
	       (unsigned long long)seed);
	fflush(stdout);

	b = malloc(sizeof(*b));
	if (!b)
		return 2;
	fd = mnl_socket_get_fd(sk);
	for (i = 0; i < count; i++) {
		enum gen g = pick_gen();
		char desc[160] = "";
		unsigned int nerr = 0, nok = 0;
		ssize_t n;

		b->len = 0;
		b->full = false;
		gen_one(g, b, desc, sizeof(desc));
		if (verbose)
			printf("%lu %s: %s (%zu bytes)\n", i, gens[g].name, desc,
			       b->len);
		st.tried++;
		if (mnl_socket_sendto(sk, b->d, b->len) < 0) {
			st.send_refused++;
			continue;
		}
		st.sent++;
		/* Everything the kernel answers is queued already. */
		while ((n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0) {
			const struct nlmsghdr *r = (const void *)rbuf;
			int len = n;

			for (; mnl_nlmsg_ok(r, len); r = mnl_nlmsg_next(r, &len)) {
				if (r->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);

					if (e->error < 0) {
						nerr++;
						if (-e->error < 200)
							st.errno_hist[-e->error]++;
						continue;
					}
				} else if (r->nlmsg_type == NLMSG_DONE) {
					const int *e = mnl_nlmsg_get_payload(r);

					if (*e < 0) {
						nerr++;
						continue;
					}
				}
				nok++;
			}
		}
		if (nok) {
			st.bad_success++;
			st.per_gen[g][2]++;
			report_bad(i, g, desc, "SUCCESS", b);
		} else if (nerr) {
			st.errors++;
			st.per_gen[g][0]++;
		} else if (gens[g].expect == EXP_IGNORED) {
			st.ignored++;
			st.per_gen[g][1]++;
		} else {
			st.bad_silence++;
			st.per_gen[g][2]++;
			report_bad(i, g, desc, "SILENCE (an error was certain)", b);
		}
	}

	snapshot(check, &after);
	printf("nlfuzz: tried %lu, refused by send() %lu, sent %lu: %lu errors, %lu ignored (structural), %lu unexpected\n",
	       st.tried, st.send_refused, st.sent, st.errors, st.ignored,
	       st.bad_success + st.bad_silence);
	printf("nlfuzz: unexpected: %lu successes, %lu silences\n",
	       st.bad_success, st.bad_silence);
	for (i = 0; i < G_MAX; i++)
		printf("  %-18s error %-7lu ignored %-7lu unexpected %lu\n",
		       gens[i].name, st.per_gen[i][0], st.per_gen[i][1],
		       st.per_gen[i][2]);
	printf("  errnos:");
	for (i = 0; i < 200; i++)
		if (st.errno_hist[i])
			printf(" %s=%lu", strerrorname_np(i) ?: "?",
			       st.errno_hist[i]);
	printf("\n");
	if (st.bad_success || st.bad_silence)
		failed = 1;
	if (before.generation < 0 || after.generation < 0) {
		printf("nlfuzz: FAIL: node get failed %s the run\n",
		       before.generation < 0 ? "before" : "after");
		failed = 1;
	} else if (gen_check && before.generation != after.generation) {
		printf("nlfuzz: FAIL: node generation changed %ld -> %ld\n",
		       before.generation, after.generation);
		failed = 1;
	}
	for (i = 0; i <= APSM_CMD_MAX; i++) {
		if (before.count[i] != after.count[i]) {
			printf("nlfuzz: FAIL: dump of cmd %lu: %ld -> %ld objects\n",
			       i, before.count[i], after.count[i]);
			failed = 1;
		}
	}
	printf("nlfuzz: %s\n", failed ? "FAIL" : "PASS");
	free(b);
	mnl_socket_close(sk);
	mnl_socket_close(check);
	return failed;
}
