// SPDX-License-Identifier: GPL-2.0
/*
 * nsh-nf: an NSH-aware test network function, attached to a tap device the
 * way a VM's virtio backend is (IFF_TAP | IFF_NO_PI: whole Ethernet frames).
 *
 * For every NSH frame (ethertype 0x894F) it reads: validate the header
 * (RFC 8300 MD type 2 with APSM's path TLV, Documentation/nsh.md), check
 * SI >= 1, decrement SI, optionally SNAT the inner IPv4 packet, and send
 * the frame back to where it came from (outer dst = the frame's outer src,
 * outer src = our MAC). Everything else is counted and ignored.
 *
 *   nsh-nf [options] IFNAME
 *     -m, --mac MAC          our MAC (default 02:4e:46 + a hash of IFNAME)
 *     -n, --nat IP           SNAT inner IPv4 TCP/UDP/ICMP-echo to IP, with
 *                            our own per-flow table; packets to IP whose
 *                            translation we do not hold are NOT translated
 *                            back (counted as "untranslated")
 *         --nat-ports LO-HI  ports (and echo ids) to allocate (20000-29999)
 *         --nat-timeout S    idle translations may be reused after S s (300)
 *     -s, --stats FILE       JSON counters, written on SIGUSR1 and on exit
 *         --strict-mac       drop frames whose outer dst is not our MAC
 *                            (or broadcast/multicast), like a real VM
 *         --hello            send one broadcast frame (ethertype 0x88B5)
 *                            at start so the switch side learns our MAC
 *         --up               set IFNAME administratively up
 *     -v, --verbose          log every frame to stderr
 *
 * Exits 0 on SIGINT/SIGTERM (after writing the stats). Runs in any netns
 * (ip netns exec): the tap is created in, or attached from, the caller's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_HELLO	0x88b5		/* IEEE local experimental 1 */

#define NSH_MD_CLASS	0xfff6		/* Documentation/nsh.md */
#define NSH_TLV_PATH	0x01
#define NSH_PATH_MAX	8		/* APSM_PATH_MAX */

#define FRAME_MAX	(65536 + 64)
#define FLOWS_MAX	65536		/* flow statistics entries */

enum { P_TCP = 6, P_UDP = 17, P_ICMP = 1 };

static bool verbose;

static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("nsh-nf: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* --- counters -------------------------------------------------------- */

static struct {
	uint64_t packets_in, packets_out, bytes_in, bytes_out;
	uint64_t non_nsh, not_mine, invalid, si_zero, tx_errors;
	uint64_t translated, restored, untranslated, nat_skipped, nat_full;
	uint64_t flows_untracked;
} st;

/* --- NSH ------------------------------------------------------------- */

struct nsh_info {
	unsigned int hlen;	/* NSH header bytes */
	uint32_t spi;
	uint8_t si, ttl, dir, n;
	uint32_t origin;
	uint32_t path[NSH_PATH_MAX];
	unsigned int si_off;	/* offset of SI in the frame */
};

/* NULL if valid, else why not. @p: the NSH header, @len: bytes after it */
static const char *nsh_parse(const uint8_t *p, size_t len, struct nsh_info *ni)
{
	unsigned int off, i;
	bool have_path = false;

	memset(ni, 0, sizeof(*ni));
	if (len < 8)
		return "truncated";
	if (p[0] >> 6)
		return "version";
	if (p[0] & 0x20)
		return "oam";
	if ((p[2] & 0x0f) != 2)
		return "md type";
	if (p[3] != 3)
		return "next protocol";
	ni->hlen = (p[1] & 0x3f) * 4u;
	if (ni->hlen < 8)
		return "length";
	if (len < ni->hlen + ETH_HLEN)
		return "truncated";
	ni->ttl = (get16(p) >> 6) & 0x3f;
	ni->spi = get32(p + 4) >> 8;
	ni->si = p[7];

	for (off = 8; off < ni->hlen;) {
		unsigned int vlen, tlen;

		if (ni->hlen - off < 4)
			return "tlv overrun";
		vlen = p[off + 3] & 0x7f;
		tlen = 4 + ((vlen + 3) & ~3u);
		if (tlen > ni->hlen - off)
			return "tlv overrun";
		if (get16(p + off) == NSH_MD_CLASS && p[off + 2] == NSH_TLV_PATH) {
			const uint8_t *v = p + off + 4;

			if (have_path)
				return "duplicate path";
			if (vlen < 8)
				return "path length";
			ni->origin = get32(v);
			ni->dir = v[4];
			ni->n = v[5];
			if (!ni->n || ni->n > NSH_PATH_MAX || vlen < 8 + 4u * ni->n)
				return "path length";
			if (ni->dir != 1 && ni->dir != 2)
				return "direction";
			for (i = 0; i < ni->n; i++)
				ni->path[i] = get32(v + 8 + 4 * i);
			have_path = true;
		}
		off += tlen;
	}
	if (!have_path)
		return "no path";
	if (ni->si > ni->n)
		return "si beyond path";
	return NULL;
}

/* --- checksums (RFC 1624 incremental updates) ------------------------- */

static uint16_t csum_fold32(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* checksum field @ck (network order bytes): old 16-bit word -> new */
static void csum_replace16(uint8_t *ck, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~get16(ck);

	sum += (uint16_t)~old;
	sum += new;
	put16(ck, (uint16_t)~csum_fold32(sum));
}

static void csum_replace32(uint8_t *ck, uint32_t old, uint32_t new)
{
	csum_replace16(ck, old >> 16, new >> 16);
	csum_replace16(ck, old & 0xffff, new & 0xffff);
}

/* --- flow statistics and NAT tables ------------------------------------ */

struct tuple {
	uint8_t proto;
	uint32_t saddr, daddr;	/* host order */
	uint16_t sport, dport;	/* host order; ICMP echo: id, 0 */
};

static uint32_t tuple_hash(const struct tuple *t)
{
	uint32_t h = 2166136261u;
	uint32_t w[4] = { t->proto, t->saddr, t->daddr,
			  (uint32_t)t->sport << 16 | t->dport };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 16777619u;
		h ^= h >> 15;
	}
	return h;
}

static bool tuple_eq(const struct tuple *a, const struct tuple *b)
{
	return a->proto == b->proto && a->saddr == b->saddr &&
	       a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport;
}

static void tuple_fmt(char *buf, size_t len, uint32_t a, uint16_t port)
{
	struct in_addr in = { htonl(a) };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, port);
}

static const char *proto_name(uint8_t proto)
{
	static char other[8];

	switch (proto) {
	case P_TCP:
		return "tcp";
	case P_UDP:
		return "udp";
	case P_ICMP:
		return "icmp";
	default:
		snprintf(other, sizeof(other), "%u", proto);
		return other;
	}
}

/* Per inner flow as received: packets, last SPI/SI/direction. */
struct flow {
	struct tuple t;
	uint64_t packets;
	uint32_t spi;
	uint8_t dir;
	int32_t next;
};

static struct flow *flows;
static int32_t *flow_bucket;
static unsigned int nflows;
#define FLOW_BUCKETS	(FLOWS_MAX * 2)

static void flow_count(const struct tuple *t, const struct nsh_info *ni)
{
	uint32_t b = tuple_hash(t) % FLOW_BUCKETS;
	int32_t i;

	for (i = flow_bucket[b]; i >= 0; i = flows[i].next)
		if (tuple_eq(&flows[i].t, t))
			break;
	if (i < 0) {
		if (nflows == FLOWS_MAX) {
			st.flows_untracked++;
			return;
		}
		i = (int32_t)nflows++;
		flows[i].t = *t;
		flows[i].next = flow_bucket[b];
		flow_bucket[b] = i;
	}
	flows[i].packets++;
	flows[i].spi = ni->spi;
	flows[i].dir = ni->dir;
}

/* NAT: one entry per translated flow, stored at its (protocol, port);
 * a hash over the original 5-tuple finds it for outbound packets.
 */
struct nat {
	bool used;
	struct tuple orig;	/* as the inside host sent it */
	uint16_t port;		/* allocated source port / echo id */
	uint64_t out, in;
	time_t last;
	int32_t next;
};

static struct {
	bool on;
	uint32_t ip;		/* host order */
	uint16_t lo, hi;
	unsigned int nports;
	time_t timeout;
	struct nat *e;		/* [3][nports]: tcp, udp, icmp */
	int32_t *bucket;
	unsigned int nbuckets;
	uint16_t cursor[3];
	unsigned int used;
} nat = { .lo = 20000, .hi = 29999, .timeout = 300 };

static int nat_pidx(uint8_t proto)
{
	return proto == P_TCP ? 0 : proto == P_UDP ? 1 : 2;
}

static int32_t nat_index(uint8_t proto, uint16_t port)
{
	if (port < nat.lo || port > nat.hi)
		return -1;
	return (int32_t)(nat_pidx(proto) * nat.nports + (port - nat.lo));
}

static void nat_unhash(int32_t idx)
{
	uint32_t b = tuple_hash(&nat.e[idx].orig) % nat.nbuckets;
	int32_t *pp;

	for (pp = &nat.bucket[b]; *pp >= 0; pp = &nat.e[*pp].next) {
		if (*pp == idx) {
			*pp = nat.e[idx].next;
			return;
		}
	}
}

static struct nat *nat_lookup_out(const struct tuple *t)
{
	uint32_t b = tuple_hash(t) % nat.nbuckets;
	int32_t i;

	for (i = nat.bucket[b]; i >= 0; i = nat.e[i].next)
		if (tuple_eq(&nat.e[i].orig, t))
			return &nat.e[i];
	return NULL;
}

/* a free (or idle-expired) port for @t->proto; NULL when all are busy */
static struct nat *nat_alloc(const struct tuple *t, time_t now)
{
	int p = nat_pidx(t->proto);
	unsigned int tries;

	for (tries = 0; tries < nat.nports; tries++) {
		uint16_t port = (uint16_t)(nat.lo + nat.cursor[p]);
		int32_t idx = nat_index(t->proto, port);
		struct nat *e = &nat.e[idx];

		nat.cursor[p] = (uint16_t)((nat.cursor[p] + 1) % nat.nports);
		if (e->used && now - e->last < nat.timeout)
			continue;
		if (e->used) {
			nat_unhash(idx);
			nat.used--;
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->orig = *t;
		e->port = port;
		e->last = now;
		e->next = nat.bucket[tuple_hash(t) % nat.nbuckets];
		nat.bucket[tuple_hash(t) % nat.nbuckets] = idx;
		nat.used++;
		return e;
	}
	return NULL;
}

static void nat_init(void)
{
	unsigned int i;

	nat.nports = nat.hi - nat.lo + 1u;
	nat.nbuckets = 3 * nat.nports;
	nat.e = calloc(3 * (size_t)nat.nports, sizeof(*nat.e));
	nat.bucket = malloc(nat.nbuckets * sizeof(*nat.bucket));
	if (!nat.e || !nat.bucket)
		die("out of memory");
	for (i = 0; i < nat.nbuckets; i++)
		nat.bucket[i] = -1;
}

/* --- the inner packet -------------------------------------------------- */

/* An IPv4 packet inside the frame at @ip, @len bytes available. */
struct inner {
	uint8_t *ip;
	unsigned int ihl, len;	/* header length; bytes of the IP packet */
	uint8_t *l4;		/* NULL: no L4 header (fragment, short) */
	unsigned int l4len;
	struct tuple t;
	bool echo;		/* ICMP echo request/reply */
};

/* Locate IPv4 and its 5-tuple in the inner Ethernet frame @f/@len. */
static bool inner_parse(uint8_t *f, size_t len, struct inner *in)
{
	unsigned int off = ETH_HLEN, tags = 0, tot;
	uint16_t type;

	memset(in, 0, sizeof(*in));
	if (len < ETH_HLEN)
		return false;
	type = get16(f + 12);
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) && tags++ < 2) {
		if (len < off + 4)
			return false;
		type = get16(f + off + 2);
		off += 4;
	}
	if (type != ETH_P_IP || len < off + 20)
		return false;
	in->ip = f + off;
	if (in->ip[0] >> 4 != 4 || (in->ip[0] & 0xf) < 5)
		return false;
	in->ihl = (in->ip[0] & 0xf) * 4u;
	tot = get16(in->ip + 2);
	if (tot < in->ihl || tot > len - off)
		return false;
	in->len = tot;
	in->t.proto = in->ip[9];
	in->t.saddr = get32(in->ip + 12);
	in->t.daddr = get32(in->ip + 16);
	/* fragments other than the first carry no L4 header */
	if (get16(in->ip + 6) & 0x1fff)
		return true;
	in->l4 = in->ip + in->ihl;
	in->l4len = tot - in->ihl;
	switch (in->t.proto) {
	case P_TCP:
		if (in->l4len < 20)
			in->l4 = NULL;
		break;
	case P_UDP:
		if (in->l4len < 8)
			in->l4 = NULL;
		break;
	case P_ICMP:
		if (in->l4len < 8)
			in->l4 = NULL;
		else if (in->l4[0] == 8 || in->l4[0] == 0)
			in->echo = true;
		break;
	default:
		in->l4 = NULL;
		break;
	}
	if (!in->l4)
		return true;
	if (in->t.proto == P_ICMP) {
		if (in->echo)
			in->t.sport = get16(in->l4 + 4);
	} else {
		in->t.sport = get16(in->l4);
		in->t.dport = get16(in->l4 + 2);
	}
	return true;
}

/* the L4 checksum field, NULL if none (ICMP: id only, no pseudo header) */
static uint8_t *l4_csum(struct inner *in)
{
	if (in->t.proto == P_TCP)
		return in->l4 + 16;
	if (in->t.proto == P_UDP)
		return get16(in->l4 + 6) ? in->l4 + 6 : NULL;
	return in->l4 + 2;
}

/* rewrite the source (@src) or destination address and port/id */
static void inner_rewrite(struct inner *in, bool src, uint32_t addr,
			  uint16_t port)
{
	uint8_t *a = in->ip + (src ? 12 : 16);
	uint32_t old_addr = get32(a);
	uint8_t *pp, *ck = l4_csum(in);
	uint16_t old_port;

	put32(a, addr);
	csum_replace32(in->ip + 10, old_addr, addr);
	if (in->t.proto == P_ICMP)
		pp = in->l4 + 4;		/* echo id */
	else
		pp = in->l4 + (src ? 0 : 2);
	old_port = get16(pp);
	put16(pp, port);
	if (ck) {
		if (in->t.proto != P_ICMP)	/* pseudo header */
			csum_replace32(ck, old_addr, addr);
		csum_replace16(ck, old_port, port);
		if (in->t.proto == P_UDP && !get16(ck))
			put16(ck, 0xffff);
	}
}

/* SNAT forward packets, restore return ones. A packet is a return one
 * when the NSH direction says so or when it is addressed to the NAT IP;
 * a return packet whose translation this instance does not hold goes on
 * unchanged and is counted ("untranslated"): its connection breaks.
 */
static void nat_packet(uint8_t *inner_frame, size_t len, uint8_t dir)
{
	struct inner in;
	char a[32], b[32];
	time_t now;

	if (!inner_parse(inner_frame, len, &in))
		return;
	if (!in.l4 || (in.t.proto == P_ICMP && !in.echo)) {
		st.nat_skipped++;
		return;
	}
	now = time(NULL);
	if (dir == 2 || in.t.daddr == nat.ip) {
		uint16_t port = in.t.proto == P_ICMP ? in.t.sport : in.t.dport;
		int32_t idx = nat_index(in.t.proto, port);
		struct nat *e = idx >= 0 ? &nat.e[idx] : NULL;

		if (in.t.daddr != nat.ip || !e || !e->used ||
		    e->orig.proto != in.t.proto || e->orig.daddr != in.t.saddr ||
		    (in.t.proto != P_ICMP && e->orig.dport != in.t.sport)) {
			st.untranslated++;
			tuple_fmt(a, sizeof(a), in.t.daddr, port);
			vlog("  nat: no translation for %s > %s here\n",
			     proto_name(in.t.proto), a);
			return;
		}
		/* destination back to the inside host (ICMP: the echo id) */
		inner_rewrite(&in, false, e->orig.saddr, e->orig.sport);
		e->in++;
		e->last = now;
		st.restored++;
		tuple_fmt(a, sizeof(a), e->orig.saddr, e->orig.sport);
		vlog("  nat: restored -> %s\n", a);
		return;
	}

	{
		struct nat *e = nat_lookup_out(&in.t);

		if (!e) {
			e = nat_alloc(&in.t, now);
			if (!e) {
				st.nat_full++;
				vlog("  nat: no free port\n");
				return;
			}
		}
		inner_rewrite(&in, true, nat.ip, e->port);
		e->out++;
		e->last = now;
		st.translated++;
		tuple_fmt(a, sizeof(a), in.t.saddr, in.t.sport);
		tuple_fmt(b, sizeof(b), nat.ip, e->port);
		vlog("  nat: %s %s -> %s\n", proto_name(in.t.proto), a, b);
	}
}

/* --- stats ------------------------------------------------------------- */

static const char *stats_path, *ifname;
static uint8_t mymac[ETH_ALEN];

static void mac_fmt(char *buf, const uint8_t *m)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		m[4], m[5]);
}

static void write_stats(void)
{
	char tmp[4096], mac[18], a[32], b[32];
	unsigned int i, k, first;
	FILE *fp;

	if (!stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	fp = fopen(tmp, "w");
	if (!fp) {
		fprintf(stderr, "nsh-nf: %s: %s\n", tmp, strerror(errno));
		return;
	}
	mac_fmt(mac, mymac);
	fprintf(fp, "{\"ifname\":\"%s\",\"mac\":\"%s\",\"pid\":%d,\n", ifname,
		mac, (int)getpid());
	fprintf(fp, " \"packets_in\":%" PRIu64 ",\"packets_out\":%" PRIu64
		",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\n",
		st.packets_in, st.packets_out, st.bytes_in, st.bytes_out);
	fprintf(fp, " \"non_nsh\":%" PRIu64 ",\"not_mine\":%" PRIu64
		",\"invalid\":%" PRIu64 ",\"si_zero\":%" PRIu64
		",\"tx_errors\":%" PRIu64 ",\n", st.non_nsh, st.not_mine,
		st.invalid, st.si_zero, st.tx_errors);
	fprintf(fp, " \"translated\":%" PRIu64 ",\"restored\":%" PRIu64
		",\"untranslated\":%" PRIu64 ",\"nat_skipped\":%" PRIu64
		",\"nat_full\":%" PRIu64 ",\n", st.translated, st.restored,
		st.untranslated, st.nat_skipped, st.nat_full);
	fprintf(fp, " \"flow_count\":%u,\"flows_untracked\":%" PRIu64
		",\n \"flows\":[", nflows, st.flows_untracked);
	for (i = 0; i < nflows; i++) {
		const struct flow *fl = &flows[i];

		tuple_fmt(a, sizeof(a), fl->t.saddr, fl->t.sport);
		tuple_fmt(b, sizeof(b), fl->t.daddr, fl->t.dport);
		fprintf(fp, "%s\n  {\"proto\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\""
			",\"packets\":%" PRIu64 ",\"spi\":%u,\"dir\":%u}",
			i ? "," : "", proto_name(fl->t.proto), a, b,
			fl->packets, fl->spi, fl->dir);
	}
	fprintf(fp, "],\n \"nat\":");
	if (!nat.on) {
		fprintf(fp, "null}\n");
	} else {
		struct in_addr in = { htonl(nat.ip) };

		fprintf(fp, "{\"ip\":\"%s\",\"ports\":\"%u-%u\",\"entries\":%u,"
			"\n  \"translations\":[", inet_ntoa(in), nat.lo, nat.hi,
			nat.used);
		first = 1;
		for (k = 0; k < 3 * nat.nports; k++) {
			const struct nat *e = &nat.e[k];

			if (!e->used)
				continue;
			tuple_fmt(a, sizeof(a), e->orig.saddr, e->orig.sport);
			tuple_fmt(b, sizeof(b), e->orig.daddr, e->orig.dport);
			fprintf(fp, "%s\n   {\"proto\":\"%s\",\"src\":\"%s\","
				"\"dst\":\"%s\",\"port\":%u,\"out\":%" PRIu64
				",\"in\":%" PRIu64 "}", first ? "" : ",",
				proto_name(e->orig.proto), a, b, e->port,
				e->out, e->in);
			first = 0;
		}
		fprintf(fp, "]}}\n");
	}
	if (fclose(fp) || rename(tmp, stats_path))
		fprintf(stderr, "nsh-nf: %s: %s\n", stats_path, strerror(errno));
}

/* --- the frame loop ----------------------------------------------------- */

static bool strict_mac;

static void handle(int fd, uint8_t *f, size_t len)
{
	struct nsh_info ni;
	const char *why;
	struct inner in;
	char a[32], b[32];
	ssize_t w;

	if (len < ETH_HLEN || get16(f + 12) != ETH_P_NSH) {
		st.non_nsh++;
		return;
	}
	if (strict_mac && !(f[0] & 1) && memcmp(f, mymac, ETH_ALEN)) {
		st.not_mine++;
		return;
	}
	st.packets_in++;
	st.bytes_in += len;
	why = nsh_parse(f + ETH_HLEN, len - ETH_HLEN, &ni);
	if (why) {
		st.invalid++;
		vlog("drop: %s (%zu bytes)\n", why, len);
		return;
	}
	if (!ni.si) {
		/* the chain was done: this frame should not have come here */
		st.si_zero++;
		vlog("drop: si 0, spi %u\n", ni.spi);
		return;
	}

	if (inner_parse(f + ETH_HLEN + ni.hlen, len - ETH_HLEN - ni.hlen, &in)) {
		tuple_fmt(a, sizeof(a), in.t.saddr, in.t.sport);
		tuple_fmt(b, sizeof(b), in.t.daddr, in.t.dport);
		vlog("spi %u si %u->%u ttl %u dir %u n %u origin %u: %s %s > %s\n",
		     ni.spi, ni.si, ni.si - 1, ni.ttl, ni.dir, ni.n, ni.origin,
		     proto_name(in.t.proto), a, b);
		flow_count(&in.t, &ni);
	} else {
		vlog("spi %u si %u->%u: non-IPv4 inner frame\n", ni.spi, ni.si,
		     ni.si - 1);
	}

	f[ETH_HLEN + 7] = ni.si - 1;
	if (nat.on)
		nat_packet(f + ETH_HLEN + ni.hlen, len - ETH_HLEN - ni.hlen,
			   ni.dir);
	memcpy(f, f + ETH_ALEN, ETH_ALEN);
	memcpy(f + ETH_ALEN, mymac, ETH_ALEN);

	w = write(fd, f, len);
	if (w != (ssize_t)len) {
		st.tx_errors++;
		vlog("write: %s\n", w < 0 ? strerror(errno) : "short");
		return;
	}
	st.packets_out++;
	st.bytes_out += len;
}

static volatile sig_atomic_t got_usr1, got_term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static int tap_open(const char *name, bool up)
{
	struct ifreq ifr;
	int fd, s;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		die("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (strlen(name) >= IFNAMSIZ)
		die("interface name too long: %s", name);
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF %s: %s", name, strerror(errno));
	if (!up)
		return fd;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS %s: %s", name, strerror(errno));
	close(s);
	return fd;
}

static void send_hello(int fd)
{
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memcpy(f + ETH_ALEN, mymac, ETH_ALEN);
	put16(f + 12, ETH_P_HELLO);
	snprintf((char *)f + ETH_HLEN, sizeof(f) - ETH_HLEN, "nsh-nf %s",
		 ifname);
	if (write(fd, f, sizeof(f)) != sizeof(f))
		vlog("hello: %s\n", strerror(errno));
}

static bool parse_mac(const char *s, uint8_t *m)
{
	unsigned int v[ETH_ALEN], i;
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return false;
	for (i = 0; i < ETH_ALEN; i++) {
		if (v[i] > 0xff)
			return false;
		m[i] = (uint8_t)v[i];
	}
	return !(m[0] & 1);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: nsh-nf [-v] [-m MAC] [-n IP [--nat-ports LO-HI] "
		"[--nat-timeout S]]\n"
		"              [-s FILE] [--strict-mac] [--hello] [--up] IFNAME\n");
	exit(status);
}

int main(int argc, char **argv)
{
	enum { O_NAT_PORTS = 256, O_NAT_TIMEOUT, O_STRICT, O_HELLO, O_UP };
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "mac", required_argument, NULL, 'm' },
		{ "nat", required_argument, NULL, 'n' },
		{ "nat-ports", required_argument, NULL, O_NAT_PORTS },
		{ "nat-timeout", required_argument, NULL, O_NAT_TIMEOUT },
		{ "stats", required_argument, NULL, 's' },
		{ "strict-mac", no_argument, NULL, O_STRICT },
		{ "hello", no_argument, NULL, O_HELLO },
		{ "up", no_argument, NULL, O_UP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_mac = false, hello = false, up = false;
	struct sigaction sa;
	sigset_t block, none;
	struct pollfd pfd;
	struct in_addr ip;
	unsigned int lo, hi, i;
	uint8_t *buf;
	int c, fd;
	char end;

	while ((c = getopt_long(argc, argv, "vm:n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'm':
			if (!parse_mac(optarg, mymac))
				die("bad unicast MAC: %s", optarg);
			have_mac = true;
			break;
		case 'n':
			if (inet_pton(AF_INET, optarg, &ip) != 1)
				die("bad IPv4 address: %s", optarg);
			nat.on = true;
			nat.ip = ntohl(ip.s_addr);
			break;
		case O_NAT_PORTS:
			if (sscanf(optarg, "%u-%u%c", &lo, &hi, &end) != 2 ||
			    !lo || lo > hi || hi > 65535)
				die("bad port range: %s", optarg);
			nat.lo = (uint16_t)lo;
			nat.hi = (uint16_t)hi;
			break;
		case O_NAT_TIMEOUT:
			if (sscanf(optarg, "%u%c", &lo, &end) != 1)
				die("bad timeout: %s", optarg);
			nat.timeout = lo;
			break;
		case 's':
			stats_path = optarg;
			break;
		case O_STRICT:
			strict_mac = true;
			break;
		case O_HELLO:
			hello = true;
			break;
		case O_UP:
			up = true;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc - 1)
		usage(2);
	ifname = argv[optind];
	if (!have_mac) {
		uint32_t h = 2166136261u;

		for (i = 0; ifname[i]; i++)
			h = (h ^ (uint8_t)ifname[i]) * 16777619u;
		mymac[0] = 0x02;
		mymac[1] = 0x4e;	/* 'N' */
		mymac[2] = 0x46;	/* 'F' */
		mymac[3] = h >> 16;
		mymac[4] = h >> 8;
		mymac[5] = h;
	}

	flows = calloc(FLOWS_MAX, sizeof(*flows));
	flow_bucket = malloc(FLOW_BUCKETS * sizeof(*flow_bucket));
	buf = malloc(FRAME_MAX);
	if (!flows || !flow_bucket || !buf)
		die("out of memory");
	for (i = 0; i < FLOW_BUCKETS; i++)
		flow_bucket[i] = -1;
	if (nat.on)
		nat_init();

	/* signals are only delivered inside ppoll(): no lost wakeups */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = tap_open(ifname, up);
	{
		char mac[18];

		mac_fmt(mac, mymac);
		fprintf(stderr, "nsh-nf: %s mac %s%s\n", ifname, mac,
			nat.on ? " nat" : "");
	}
	if (hello)
		send_hello(fd);
	write_stats();

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!got_term) {
		int n = ppoll(&pfd, 1, NULL, &none);

		if (got_usr1) {
			got_usr1 = 0;
			write_stats();
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			die("%s: device gone", ifname);
		/* drain what is there, bounded, then look at signals again */
		for (i = 0; i < 256 && !got_term; i++) {
			ssize_t r = read(fd, buf, FRAME_MAX);

			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("read %s: %s", ifname, strerror(errno));
			}
			handle(fd, buf, (size_t)r);
		}
	}
	write_stats();
	return 0;
}
