// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's LOG body v3 (each entry coded against the previous one): round
 * trips of mixed entries, the bytes an entry of the two typical shapes
 * costs (a format property), and hostile bodies: truncated at every byte
 * (against a guard page: an over-read crashes), "same" bits on the first
 * entry, npath too large, count mismatches, random corruption.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../apsmd/wire.h"
#include "unit.h"

#define HLC_MS	65536ULL	/* one ms of an HLC version (ms << 16) */

static struct apsmd_flow in[APSMD_LOG_ENTRIES_MAX + 1];
static struct apsmd_flow out[APSMD_LOG_ENTRIES_MAX + 1];

static void flow(struct apsmd_flow *f, const char *src, uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	f->op = APSM_RDS_OP_NEW;
	f->family = strchr(src, ':') ? AF_INET6 : AF_INET;
	f->proto = 6;
	f->dir = APSM_DIR_FORWARD;
	f->npath = 1;
	f->path[0] = 101;
	f->sport = sport;
	f->dport = 443;
	f->spi = 10;
	f->origin = 1;
	f->version = 1764990000000ULL << 16;
	inet_pton(f->family, src, f->src);
	inet_pton(f->family, f->family == AF_INET ? "10.2.0.2" : "2001:db8::53",
		  f->dst);
}

/* The LOG body of w (after the header). */
static const uint8_t *body(const struct apsmd_wbuf *w, size_t *blen)
{
	*blen = w->len - APSMD_HDR_LEN;
	return w->b + APSMD_HDR_LEN;
}

static enum apsmd_verdict open_body(const uint8_t *b, size_t blen,
				    unsigned int count, unsigned int *n)
{
	struct apsmd_range pre;

	return apsmd_wire_log_open(b, blen, count, &pre, out,
				   APSMD_LOG_ENTRIES_MAX, n);
}

#define NMIXED	40

/* v4/v6, new/del, forward/return, own/foreign origin, paths, versions
 * up and down: in[0..NMIXED) for stream, all added to w
 */
static void mixed(struct apsmd_wbuf *w, uint32_t stream)
{
	static const char *const src[] = { "10.1.0.2", "10.1.0.2", "2001:db8::1",
					   "10.1.0.9", "2001:db8::1", "2001:db8::7",
					   "10.1.0.9", "10.1.0.9" };
	unsigned int i, j;

	apsmd_wire_log_begin(w, stream, 77, stream ? 40 : 0);
	for (i = 0; i < NMIXED; i++) {
		struct apsmd_flow *f = &in[i];

		flow(f, src[i % 8], (uint16_t)(1000 + i * (i % 3)));
		f->op = i % 5 == 3 ? APSM_RDS_OP_DEL : APSM_RDS_OP_NEW;
		f->dir = i % 4 == 2 ? APSM_DIR_RETURN : APSM_DIR_FORWARD;
		f->origin = stream && i % 6 ? stream : 2 + i % 3 * 100000;
		f->proto = i % 7 == 1 ? 17 : 6;
		f->dport = i % 9 == 4 ? 53 : 443;
		f->spi = i % 10 == 5 ? APSM_SPI_MAX : 10;
		f->npath = i % 11 == 7 ? APSM_PATH_MAX : i % 13 == 1 ? 0 : 1;
		memset(f->path, 0, sizeof(f->path));
		for (j = 0; j < f->npath; j++)
			f->path[j] = 0xfffffff0 + j;
		f->version += i % 8 == 5 ? 0 - (uint64_t)i * HLC_MS :
			      (uint64_t)i * 3;
		if (i == NMIXED - 1)
			f->version = ~0ULL;
		CHECK(!apsmd_wire_log_add(w, f), "add %u", i);
	}
}

/* the mixed entries in a sequenced and an unsequenced datagram */
static void t_roundtrip(void)
{
	unsigned int i, k, n = 0;
	struct apsmd_range pre;
	struct apsmd_wbuf w;
	const uint8_t *b;
	size_t blen;

	for (k = 0; k < 2; k++) {
		uint32_t stream = k ? 0 : 1;

		mixed(&w, stream);
		b = body(&w, &blen);
		CHECK(apsmd_wire_log_open(b, blen, w.count, &pre, out,
					  APSMD_LOG_ENTRIES_MAX, &n) == APSMD_OK &&
		      n == NMIXED, "open stream %u: %u", stream, n);
		CHECK(pre.stream == stream && pre.epoch == 77 &&
		      pre.from == (k ? 0 : 40), "prefix");
		for (i = 0; i < NMIXED; i++)
			if (memcmp(&out[i], &in[i], sizeof(in[i])))
				break;
		CHECK(i == NMIXED, "stream %u: entry %u differs", stream, i);
	}
}

/* Bytes of the entry added to w. */
static size_t entry_bytes(struct apsmd_wbuf *w, const struct apsmd_flow *f)
{
	size_t before = w->len;

	if (apsmd_wire_log_add(w, f))
		return 0;
	return w->len - before;
}

static void t_size(void)
{
	struct apsmd_wbuf w;
	struct apsmd_flow f;
	char a[32];
	unsigned int i, n;
	size_t first;

	/* same client and service, a new source port: "same" byte,
	 * sport, version delta (1 byte in the same ms, 3 a ms later)
	 */
	apsmd_wire_log_begin(&w, 1, 77, 1);
	flow(&f, "10.1.0.2", 40000);
	first = entry_bytes(&w, &f);
	CHECK(first == 1 + 1 + 1 + 8 + 4 + 1 + 9 + 2,
	      "first IPv4 entry: %zu bytes", first);
	f.sport++;
	f.version++;
	CHECK(entry_bytes(&w, &f) == 4, "same client, new port, same ms");
	f.sport++;
	f.version += HLC_MS;
	CHECK(entry_bytes(&w, &f) == 6, "same client, new port, next ms");
	/* a new IPv4 client too: + 4 address bytes */
	inet_pton(AF_INET, "192.0.2.77", f.src);
	f.sport = 61234;
	f.version++;
	CHECK(entry_bytes(&w, &f) == 8, "new client and port, same ms");
	inet_pton(AF_INET, "198.51.100.3", f.src);
	f.sport = 1025;
	f.version += HLC_MS;
	CHECK(entry_bytes(&w, &f) == 10, "new client and port, next ms");
	/* its delete: flags byte + version */
	f.op = APSM_RDS_OP_DEL;
	f.version++;
	CHECK(entry_bytes(&w, &f) == 3, "its delete");

	/* a full datagram of the first shape, a ms apart: <= 8 bytes an
	 * entry with header, prefix and MAC
	 */
	apsmd_wire_log_begin(&w, 1, 77, 1);
	for (n = 0;; n++) {
		flow(&f, "10.1.0.2", (uint16_t)(2000 + n));
		f.version += (uint64_t)n * HLC_MS;
		if (apsmd_wire_log_add(&w, &f))
			break;
	}
	CHECK(n == (APSMD_DGRAM_MAX - APSMD_HDR_LEN - APSMD_MAC_LEN -
		    APSMD_LOG_PREFIX - first) / 6 + 1,
	      "typical entries per datagram: %u", n);
	/* random IPv4 clients: <= 12 */
	apsmd_wire_log_begin(&w, 1, 77, 1);
	for (i = 0;; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.%u", i % 7, i * 13 % 256,
			 i * 101 % 256);
		flow(&f, a, (uint16_t)(i * 7919));
		f.version += (uint64_t)i * HLC_MS;
		if (apsmd_wire_log_add(&w, &f))
			break;
	}
	CHECK((w.len + APSMD_MAC_LEN) / i <= 12, "random clients: %u, %zu B each",
	      i, (w.len + APSMD_MAC_LEN) / i);
}

/* A mapping whose end is a guard page: a body placed flush against it
 * crashes the decoder if it reads one byte too far.
 */
static uint8_t *guard;
static size_t page;

static uint8_t *at_guard(const uint8_t *b, size_t len)
{
	uint8_t *p = guard + page - len;

	memcpy(p, b, len);
	return p;
}

static const uint8_t one_entry[] = {
	0, 0, 0, 1,  0, 0, 0, 0, 0, 0, 0, 1,  0, 0, 0, 0, 0, 0, 0, 1, /* prefix */
	0,		/* same: nothing */
	0,		/* flags: IPv4, new, forward, origin = stream */
	17,		/* proto */
	10, 1, 0, 2,  10, 2, 0, 2,	/* src, dst */
	0x9c, 0x40,  0, 53,		/* sport 40000, dport 53 */
	10,		/* spi */
	10,		/* version delta +5 */
	1, 101,		/* npath 1, instance 101 */
};

static void t_hostile(void)
{
	uint8_t b[APSMD_DGRAM_MAX], *p;
	struct apsmd_wbuf w;
	const uint8_t *wb;
	size_t blen, cut, i;
	unsigned int n = 0, k, bad = 0, ok = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	page = (size_t)sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(guard != MAP_FAILED && !mprotect(guard + page, page, PROT_NONE),
	      "guard page");
	if (guard == MAP_FAILED)
		return;

	/* the hand-made entry is valid */
	p = at_guard(one_entry, sizeof(one_entry));
	CHECK(open_body(p, sizeof(one_entry), 1, &n) == APSMD_OK && n == 1 &&
	      out[0].sport == 40000 && out[0].version == 5 &&
	      out[0].path[0] == 101 && out[0].origin == 1, "hand-made entry");

	/* a mixed datagram truncated at every byte */
	mixed(&w, 1);
	wb = body(&w, &blen);
	for (cut = 0; cut < blen; cut++)
		bad += open_body(at_guard(wb, cut), cut, w.count, &n) ==
		       APSMD_BAD_FORMAT;
	CHECK(bad == blen, "truncated bodies refused: %u of %zu", bad, blen);
	/* count mismatch */
	p = at_guard(wb, blen);
	CHECK(open_body(p, blen, w.count, &n) == APSMD_OK, "whole body");
	CHECK(open_body(p, blen, w.count + 1, &n) == APSMD_BAD_FORMAT,
	      "count + 1");
	CHECK(open_body(p, blen, w.count - 1, &n) == APSMD_BAD_FORMAT,
	      "count - 1");
	CHECK(open_body(p, blen, APSMD_LOG_ENTRIES_MAX + 1, &n) ==
	      APSMD_BAD_FORMAT, "count above the maximum");

	/* a "same" bit on the first entry: nothing to be the same as */
	for (k = 0; k < 8; k++) {
		memcpy(b, one_entry, sizeof(one_entry));
		b[APSMD_LOG_PREFIX] = (uint8_t)(1 << k);
		CHECK(open_body(at_guard(b, sizeof(one_entry)), sizeof(one_entry),
				1, &n) == APSMD_BAD_FORMAT, "first same bit %u", k);
	}
	/* reserved flag bits */
	memcpy(b, one_entry, sizeof(one_entry));
	b[APSMD_LOG_PREFIX + 1] = 0x01;
	CHECK(open_body(at_guard(b, sizeof(one_entry)), sizeof(one_entry), 1,
			&n) == APSMD_BAD_FORMAT, "reserved flag bit");
	/* npath APSM_PATH_MAX + 1 with that many ids */
	memcpy(b, one_entry, sizeof(one_entry));
	blen = sizeof(one_entry) - 2;
	b[blen++] = APSM_PATH_MAX + 1;
	for (k = 0; k <= APSM_PATH_MAX; k++)
		b[blen++] = 7;
	CHECK(open_body(at_guard(b, blen), blen, 1, &n) == APSMD_BAD_FORMAT,
	      "npath %d", APSM_PATH_MAX + 1);
	b[sizeof(one_entry) - 2] = APSM_PATH_MAX;
	CHECK(open_body(at_guard(b, blen - 1), blen - 1, 1, &n) == APSMD_OK &&
	      out[0].npath == APSM_PATH_MAX, "npath %d", APSM_PATH_MAX);
	/* a second entry whose address is "same" across a family change */
	memcpy(b, one_entry, sizeof(one_entry));
	blen = sizeof(one_entry);
	b[blen++] = 0xff & ~0x01;	/* all same but flags */
	b[blen++] = 0x40;		/* IPv6 */
	b[blen++] = 2;			/* version +1 */
	CHECK(open_body(at_guard(b, blen), blen, 2, &n) == APSMD_BAD_FORMAT,
	      "v4 address as the same for a v6 entry");
	b[blen - 2] = 0x00;
	CHECK(open_body(at_guard(b, blen), blen, 2, &n) == APSMD_OK && n == 2 &&
	      out[1].version == 6 && out[1].sport == 40000, "same but flags");
	/* an unsequenced entry needs an origin */
	memcpy(b, one_entry, sizeof(one_entry));
	memset(b, 0, APSMD_LOG_PREFIX);
	CHECK(open_body(at_guard(b, sizeof(one_entry)), sizeof(one_entry), 1,
			&n) == APSMD_BAD_FORMAT, "stream 0 without origin");

	/* random corruption: refused or decoded, never past the body */
	bad = 0;
	mixed(&w, 1);
	wb = body(&w, &blen);
	for (i = 0; i < 20000; i++) {
		size_t len = blen;

		memcpy(b, wb, blen);
		for (k = 0; k < 1 + i % 3; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[APSMD_LOG_PREFIX + x % (blen - APSMD_LOG_PREFIX)] ^=
				(uint8_t)(1 + (x >> 32) % 255);
		}
		if (i % 5 == 4)
			len -= x % 8;
		if (open_body(at_guard(b, len), len, w.count, &n) == APSMD_OK) {
			ok++;
			for (k = 0; k < n && out[k].npath <= APSM_PATH_MAX &&
				    out[k].origin; k++)
				;
			bad += n != w.count || k != n;
		}
	}
	CHECK(!bad, "%u corrupt bodies decoded into bad entries", bad);
	CHECK(ok < 20000, "corruption noticed (%u of 20000 decoded)", ok);
	munmap(guard, 2 * page);
}

void test_apsmd_wire_log(void)
{
	t_roundtrip();
	t_size();
	t_hostile();
}
