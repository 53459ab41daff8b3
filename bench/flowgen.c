// SPDX-License-Identifier: GPL-2.0
/*
 * flowgen: offer new UDP flows at a fixed rate, one datagram per flow.
 *
 *   flowgen --rate PER_SEC --count N --net A.B.C [--dport-base P]
 *           [--src-port S] [--size BYTES] [--flows K] [--seconds S]
 *
 * Datagram k (0 <= k < N) goes to A.B.C.(1 + k / 60000), port
 * P + k % 60000 (P = 1024), from one socket (source port S, default
 * ephemeral): every datagram is a new 5-tuple, so each one is a new RDS
 * entry on the APSM node it enters. With --flows K, datagram k goes to
 * A.B.C.1 port P + k % K instead (K flows, over and over). --seconds
 * stops sending after S seconds even if fewer than N went. Datagrams leave in bursts, one burst
 * per millisecond (sendmmsg), each burst due at start + k / rate; a burst
 * that is late goes at once, so a slow system shows up as an achieved rate
 * below the offered one rather than as a burst of catch-up.
 *
 * Prints one JSON object on stdout: offered and achieved rate, datagrams
 * sent, send errors, and the CLOCK_MONOTONIC times (ns) of the first and
 * last send.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORTS_PER_ADDR	60000U
#define MAX_BURST	1024U

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000ULL),
		.tv_nsec = (long)(t % 1000000000ULL),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static unsigned long num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || v > max || v == 0) {
		fprintf(stderr, "flowgen: bad %s '%s' (1..%lu)\n", what, s, max);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: flowgen --rate PER_SEC --count N --net A.B.C "
		"[--dport-base P] [--src-port S] [--size BYTES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ "net", required_argument, NULL, 'n' },
		{ "dport-base", required_argument, NULL, 'p' },
		{ "src-port", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sockaddr_in dst[MAX_BURST];
	static struct mmsghdr msgs[MAX_BURST];
	static struct iovec iov[MAX_BURST];
	static char payload[1400];
	unsigned long rate = 0, count = 0, dport_base = 1024, sport = 0;
	unsigned long size = 16, burst, k = 0, errors = 0, sent = 0;
	unsigned long flows = 0, seconds = 0;
	uint64_t t0, first = 0, last = 0, elapsed;
	struct in_addr base;
	const char *net = NULL;
	char addr[32];
	int fd, o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': rate = num(optarg, "rate", 10000000); break;
		case 'c': count = num(optarg, "count", PORTS_PER_ADDR * 250UL); break;
		case 'n': net = optarg; break;
		case 'p': dport_base = num(optarg, "dport-base", 65535 - PORTS_PER_ADDR); break;
		case 's': sport = num(optarg, "src-port", 65535); break;
		case 'z': size = num(optarg, "size", sizeof(payload)); break;
		case 'f': flows = num(optarg, "flows", PORTS_PER_ADDR); break;
		case 't': seconds = num(optarg, "seconds", 3600); break;
		default: usage();
		}
	}
	if (!rate || !count || !net || optind != argc)
		usage();
	snprintf(addr, sizeof(addr), "%s.0", net);
	if (inet_pton(AF_INET, addr, &base) != 1) {
		fprintf(stderr, "flowgen: bad --net '%s' (want A.B.C)\n", net);
		return 2;
	}
	burst = rate / 1000;
	if (burst < 1)
		burst = 1;
	if (burst > MAX_BURST)
		burst = MAX_BURST;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("flowgen: socket");
		return 1;
	}
	if (sport) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)sport) };

		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("flowgen: bind");
			return 1;
		}
	}
	for (unsigned long i = 0; i < MAX_BURST; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(dst[i]);
	}

	t0 = now_ns() + 1000000;
	while (k < count) {
		unsigned long n = count - k < burst ? count - k : burst, i;
		uint64_t due = t0 + (uint64_t)((double)k * 1e9 / (double)rate);
		int r;

		sleep_until(due);
		if (seconds && first &&
		    now_ns() - first >= (uint64_t)seconds * 1000000000ULL)
			break;
		for (i = 0; i < n; i++) {
			unsigned long f = flows ? (k + i) % flows : k + i;

			dst[i].sin_family = AF_INET;
			dst[i].sin_port = htons((uint16_t)(dport_base + f % PORTS_PER_ADDR));
			dst[i].sin_addr.s_addr = htonl(ntohl(base.s_addr) + 1 +
						       (uint32_t)(f / PORTS_PER_ADDR));
		}
		if (!first)
			first = now_ns();
		r = sendmmsg(fd, msgs, (unsigned int)n, 0);
		last = now_ns();
		if (r < 0) {
			/* e.g. ENOBUFS: this datagram is lost, go on. */
			errors++;
			k++;
			continue;
		}
		sent += (unsigned long)r;
		k += (unsigned long)r;
		if (r == 0)
			k++;
	}
	elapsed = last > first ? last - first : 1;
	printf("{\"offered_per_s\":%lu,\"sent\":%lu,\"errors\":%lu,"
	       "\"achieved_per_s\":%.0f,\"first_ns\":%" PRIu64
	       ",\"last_ns\":%" PRIu64 "}\n",
	       rate, sent, errors,
	       sent > 1 ? (double)(sent - 1) * 1e9 / (double)elapsed : 0.0,
	       first, last);
	close(fd);
	return 0;
}
