// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing: numbers, names, MACs, addresses, prefixes, port ranges,
 * protocols, lists, the keyword parser and the batch-line tokenizer.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../lib/args.h"
#include "unit.h"

static void t_u64(void)
{
	uint64_t v = 0;

	CHECK(parse_u64("0", 0, 10, &v) == 0 && v == 0, "0");
	CHECK(parse_u64("1", 1, UINT32_MAX, &v) == 0 && v == 1, "1");
	CHECK(parse_u64("4294967295", 1, UINT32_MAX, &v) == 0 &&
	      v == UINT32_MAX, "u32 max");
	CHECK(parse_u64("4294967296", 1, UINT32_MAX, &v) < 0, "u32 max + 1");
	CHECK(parse_u64("0", 1, UINT32_MAX, &v) < 0, "below min");
	CHECK(parse_u64("0x10", 0, 100, &v) == 0 && v == 16, "hex");
	CHECK(parse_u64("0xffffff", 1, 0xffffff, &v) == 0 && v == 0xffffff,
	      "spi max");
	CHECK(parse_u64("0x1000000", 1, 0xffffff, &v) < 0, "spi max + 1");
	CHECK(parse_u64("0x", 0, 100, &v) < 0, "bare 0x");
	CHECK(parse_u64("010", 0, 100, &v) == 0 && v == 10,
	      "leading zero is decimal");
	CHECK(parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 &&
	      v == UINT64_MAX, "u64 max");
	CHECK(parse_u64("18446744073709551616", 0, UINT64_MAX, &v) < 0,
	      "u64 overflow");
	CHECK(parse_u64("", 0, 10, &v) < 0, "empty");
	CHECK(parse_u64("abc", 0, 10, &v) < 0, "letters");
	CHECK(parse_u64("-1", 0, UINT64_MAX, &v) < 0, "negative");
	CHECK(parse_u64("+1", 0, 10, &v) < 0, "plus sign");
	CHECK(parse_u64(" 1", 0, 10, &v) < 0, "leading space");
	CHECK(parse_u64("1 ", 0, 10, &v) < 0, "trailing space");
	CHECK(parse_u64("1.5", 0, 10, &v) < 0, "fraction");
	CHECK(parse_u64("65535", 1, 65535, &v) == 0, "weight max");
	CHECK(parse_u64("65536", 1, 65535, &v) < 0, "weight max + 1");
}

static void t_name(void)
{
	char n[APSM_NAME_MAX];

	CHECK(parse_name("fw", n) == 0 && !strcmp(n, "fw"), "fw");
	CHECK(parse_name("a.b-c_D9", n) == 0, "all allowed classes");
	CHECK(parse_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", n) == 0 &&
	      strlen(n) == 31, "31 characters");
	CHECK(parse_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", n) == -2,
	      "32 characters");
	CHECK(parse_name("", n) == -1, "empty");
	CHECK(parse_name("a b", n) == -1, "space");
	CHECK(parse_name("a/b", n) == -1, "slash");
	CHECK(parse_name("a:b", n) == -1, "colon");
	CHECK(parse_name("caf\xc3\xa9", n) == -1, "non-ASCII");
	CHECK(parse_name("a\"", n) == -1, "quote");
}

static void t_mac(void)
{
	static const uint8_t want[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t m[6];
	char buf[18];

	CHECK(parse_mac("02:00:00:00:00:01", m) == 0 && !memcmp(m, want, 6),
	      "canonical");
	CHECK(parse_mac("2:0:0:0:0:1", m) == 0 && !memcmp(m, want, 6),
	      "short octets");
	CHECK(parse_mac("02:AB:cd:Ef:00:01", m) == 0 && m[1] == 0xab &&
	      m[2] == 0xcd && m[3] == 0xef, "mixed case");
	CHECK_STR(fmt_mac(m, buf), "02:ab:cd:ef:00:01");
	CHECK(parse_mac("02:00:00:00:00", m) == -1, "5 octets");
	CHECK(parse_mac("02:00:00:00:00:01:02", m) == -1, "7 octets");
	CHECK(parse_mac("02-00-00-00-00-01", m) == -1, "dashes");
	CHECK(parse_mac("020:00:00:00:00:01", m) == -1, "3 digits");
	CHECK(parse_mac("0g:00:00:00:00:01", m) == -1, "not hex");
	CHECK(parse_mac("02:00:00:00:00:", m) == -1, "trailing colon");
	CHECK(parse_mac("", m) == -1, "empty");
	CHECK(parse_mac("01:00:5e:00:00:01", m) == -2, "multicast");
	CHECK(parse_mac("ff:ff:ff:ff:ff:ff", m) == -2, "broadcast");
	CHECK(parse_mac("00:00:00:00:00:00", m) == -2, "zero");
}

static void t_addr(void)
{
	char buf[CTL_ADDR_STRLEN];
	struct ctl_addr a;

	CHECK(parse_addr("10.0.0.1", &a) == 0 && a.family == AF_INET &&
	      a.plen == 32 && a.a[0] == 10 && a.a[3] == 1, "v4");
	CHECK_STR(fmt_prefix(&a, buf), "10.0.0.1");
	CHECK(parse_addr("2001:db8::1", &a) == 0 && a.family == AF_INET6 &&
	      a.plen == 128, "v6");
	CHECK_STR(fmt_prefix(&a, buf), "2001:db8::1");
	CHECK(parse_addr("::ffff:10.0.0.1", &a) == 0 && a.family == AF_INET6,
	      "v4-mapped v6");
	CHECK(parse_addr("10.0.0", &a) < 0, "3 octets");
	CHECK(parse_addr("10.0.0.256", &a) < 0, "octet > 255");
	CHECK(parse_addr("10.0.0.1/32", &a) < 0, "prefix where address");
	CHECK(parse_addr("2001:db8:::1", &a) < 0, "bad v6");
	CHECK(parse_addr("", &a) < 0, "empty");
	CHECK(parse_addr("localhost", &a) < 0, "host name");
}

static void t_prefix(void)
{
	char buf[CTL_ADDR_STRLEN];
	struct ctl_addr a;

	CHECK(parse_prefix("10.0.0.0/8", &a) == 0 && a.plen == 8 &&
	      a.family == AF_INET, "10/8");
	CHECK_STR(fmt_prefix(&a, buf), "10.0.0.0/8");
	CHECK(parse_prefix("10.0.0.1", &a) == 0 && a.plen == 32, "host");
	CHECK(parse_prefix("10.0.0.1/32", &a) == 0 && a.plen == 32, "/32");
	CHECK_STR(fmt_prefix(&a, buf), "10.0.0.1");
	CHECK(parse_prefix("0.0.0.0/0", &a) == 0 && a.plen == 0, "default");
	CHECK(parse_prefix("192.168.1.128/25", &a) == 0, "/25");
	CHECK(parse_prefix("192.168.1.129/25", &a) == -3, "/25 host bits");
	CHECK(parse_prefix("10.0.0.1/8", &a) == -3, "host bits");
	CHECK(parse_prefix("10.0.0.0/33", &a) == -2, "v4 plen > 32");
	CHECK(parse_prefix("2001:db8::/32", &a) == 0 && a.plen == 32 &&
	      a.family == AF_INET6, "v6 /32");
	CHECK_STR(fmt_prefix(&a, buf), "2001:db8::/32");
	CHECK(parse_prefix("::/0", &a) == 0 && a.plen == 0, "v6 default");
	CHECK(parse_prefix("2001:db8::1/64", &a) == -3, "v6 host bits");
	CHECK(parse_prefix("2001:db8::/128", &a) == 0, "v6 /128");
	CHECK(parse_prefix("2001:db8::/129", &a) == -2, "v6 plen > 128");
	CHECK(parse_prefix("10.0.0.0/", &a) == -1, "empty plen");
	CHECK(parse_prefix("10.0.0.0/x", &a) == -1, "letter plen");
	CHECK(parse_prefix("10.0.0.0/-1", &a) == -1, "negative plen");
	CHECK(parse_prefix("10.0.0.0/8/8", &a) == -1, "two slashes");
	CHECK(parse_prefix("10.0.0.0/0008", &a) == -1, "long plen");
	CHECK(parse_prefix("/8", &a) == -1, "no address");
	CHECK(parse_prefix("10.0.0.0/ 8", &a) == -1, "space");
}

static void t_ports(void)
{
	uint16_t lo, hi;

	CHECK(parse_port_range("80", &lo, &hi) == 0 && lo == 80 && hi == 80,
	      "single");
	CHECK(parse_port_range("1-1024", &lo, &hi) == 0 && lo == 1 &&
	      hi == 1024, "range");
	CHECK(parse_port_range("0-65535", &lo, &hi) == 0 && lo == 0 &&
	      hi == 65535, "full range");
	CHECK(parse_port_range("443-443", &lo, &hi) == 0 && lo == 443 &&
	      hi == 443, "one-port range");
	CHECK(parse_port_range("1024-1", &lo, &hi) == -2, "lo > hi");
	CHECK(parse_port_range("65536", &lo, &hi) == -1, "too big");
	CHECK(parse_port_range("1-65536", &lo, &hi) == -1, "hi too big");
	CHECK(parse_port_range("-5", &lo, &hi) == -1, "no lo");
	CHECK(parse_port_range("5-", &lo, &hi) == -1, "no hi");
	CHECK(parse_port_range("1--2", &lo, &hi) == -1, "double dash");
	CHECK(parse_port_range("a-b", &lo, &hi) == -1, "letters");
	CHECK(parse_port_range("", &lo, &hi) == -1, "empty");
	CHECK(parse_port_range("1-2-3", &lo, &hi) == -1, "three parts");
}

static void t_proto(void)
{
	uint8_t p;

	CHECK(parse_proto("tcp", &p) == 0 && p == 6, "tcp");
	CHECK(parse_proto("udp", &p) == 0 && p == 17, "udp");
	CHECK(parse_proto("icmp", &p) == 0 && p == 1, "icmp");
	CHECK(parse_proto("icmpv6", &p) == 0 && p == 58, "icmpv6");
	CHECK(parse_proto("ipv6-icmp", &p) == 0 && p == 58, "ipv6-icmp");
	CHECK(parse_proto("132", &p) == 0 && p == 132, "number");
	CHECK(parse_proto("0", &p) == 0 && p == 0, "0");
	CHECK(parse_proto("255", &p) == 0 && p == 255, "255");
	CHECK(parse_proto("256", &p) < 0, "256");
	CHECK(parse_proto("TCP", &p) < 0, "upper case");
	CHECK(parse_proto("", &p) < 0, "empty");
	CHECK_STR(proto_name(6), "tcp");
	CHECK_STR(proto_name(58), "icmpv6");
	CHECK(proto_name(132) == NULL, "no name for 132");
}

static void t_lists(void)
{
	char names[APSM_PATH_MAX][APSM_NAME_MAX];
	uint32_t ids[APSM_PATH_MAX];
	unsigned int n = 0;

	CHECK(parse_name_list("fw,nat", names, APSM_PATH_MAX, &n) == 0 &&
	      n == 2 && !strcmp(names[0], "fw") && !strcmp(names[1], "nat"),
	      "two");
	CHECK(parse_name_list("fw", names, APSM_PATH_MAX, &n) == 0 && n == 1,
	      "one");
	CHECK(parse_name_list("a,b,c,d,e,f,g,h", names, APSM_PATH_MAX, &n) ==
	      0 && n == 8, "eight");
	CHECK(parse_name_list("a,b,c,d,e,f,g,h,i", names, APSM_PATH_MAX, &n) ==
	      -2, "nine");
	CHECK(parse_name_list("fw,,nat", names, APSM_PATH_MAX, &n) == -1,
	      "empty element");
	CHECK(parse_name_list("fw,", names, APSM_PATH_MAX, &n) == -1,
	      "trailing comma");
	CHECK(parse_name_list(",fw", names, APSM_PATH_MAX, &n) == -1,
	      "leading comma");
	CHECK(parse_name_list("", names, APSM_PATH_MAX, &n) == -1, "empty");
	CHECK(parse_name_list("fw,n t", names, APSM_PATH_MAX, &n) == -1,
	      "bad character");
	CHECK(parse_name_list("fw,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", names,
			      APSM_PATH_MAX, &n) == -3, "long element");

	CHECK(parse_id_list("1,2,4294967295", ids, APSM_PATH_MAX, &n) == 0 &&
	      n == 3 && ids[2] == UINT32_MAX, "ids");
	CHECK(parse_id_list("0", ids, APSM_PATH_MAX, &n) == -1, "id 0");
	CHECK(parse_id_list("4294967296", ids, APSM_PATH_MAX, &n) == -1,
	      "id > u32");
	CHECK(parse_id_list("1,2,3,4,5,6,7,8,9", ids, APSM_PATH_MAX, &n) == -2,
	      "nine ids");
	CHECK(parse_id_list("1,x", ids, APSM_PATH_MAX, &n) == -1, "letter");
}

/* ---------------------------------------------------------- args_parse */

static const char *const states[] = { "up", "drain", "down", NULL };
static const char *const types[] = { "stateful", "stateless", NULL };

enum { T_NAME, T_TYPE, T_SERVICE, T_WEIGHT, T_STATE, T_SPI, T_VLAN, T_DEV,
       T_SRC, T_DPORT, T_LIST, T_MAX };

static const struct arg_spec spec[T_MAX] = {
	[T_NAME] = ARG_SPEC("name", ARG_NAME, ARG_POS | ARG_REQ),
	[T_TYPE] = ARG_CHOICES("type", ARG_POS, types),
	[T_SERVICE] = ARG_SPEC("service", ARG_NAME, ARG_REQ),
	[T_WEIGHT] = ARG_RANGE("weight", ARG_U32, 0, 1, 65535),
	[T_STATE] = ARG_CHOICES("state", 0, states),
	[T_SPI] = ARG_RANGE("spi", ARG_U32, 0, 1, 0xffffff),
	[T_VLAN] = ARG_RANGE("vlan", ARG_U32, 0, 0, 4095),
	[T_DEV] = ARG_SPEC("dev", ARG_DEV, 0),
	[T_SRC] = ARG_SPEC("src", ARG_PREFIX, 0),
	[T_DPORT] = ARG_SPEC("dport", ARG_PORTS, 0),
	[T_LIST] = ARG_RANGE("services", ARG_NAMES, 0, 0, 8),
};

/* Parse a space-separated command (through split_line, as batch does). */
static int parse(const char *line, struct arg_val *v)
{
	static char buf[512];
	char *argv[32];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = split_line(buf, argv, 32);
	if (argc < 0)
		return -1;
	return args_parse(argc, argv, spec, T_MAX, v);
}

static void t_args_parse(void)
{
	struct arg_val v[T_MAX];

	CHECK(parse("fw1 service fw weight 7 state drain", v) == 0,
	      "%s", ctl_error());
	CHECK(v[T_NAME].set && !strcmp(v[T_NAME].name, "fw1"), "name");
	CHECK(!strcmp(v[T_SERVICE].name, "fw"), "service");
	CHECK(v[T_WEIGHT].set && v[T_WEIGHT].u == 7, "weight");
	CHECK(v[T_STATE].set && v[T_STATE].u == 2, "state drain = 2");
	CHECK(!v[T_SPI].set && !v[T_TYPE].set, "unset stay unset");

	CHECK(parse("service fw fw1", v) == 0 && !strcmp(v[T_NAME].name, "fw1"),
	      "positional after keywords");
	CHECK(parse("fw1 stateless service fw", v) == 0 && v[T_TYPE].u == 2,
	      "positional choice");

	CHECK(parse("fw1 service fw weight abc", v) < 0, "bad weight");
	CHECK_STR(ctl_error(), "invalid weight \"abc\" (1..65535)");
	CHECK(parse("fw1 service fw weight 0", v) < 0, "weight 0");
	CHECK(parse("fw1 service fw weight 65536", v) < 0, "weight 65536");
	CHECK(parse("fw1 service fw weight", v) < 0, "weight without value");
	CHECK_STR(ctl_error(), "missing value after \"weight\"");
	CHECK(parse("fw1 service fw weight 1 weight 2", v) < 0, "duplicate");
	CHECK_STR(ctl_error(), "duplicate keyword \"weight\"");
	CHECK(parse("fw1 service fw colour red", v) < 0, "unknown keyword");
	CHECK_STR(ctl_error(), "unknown keyword \"colour\"");
	CHECK(parse("fw1 weight 3", v) < 0, "missing service");
	CHECK_STR(ctl_error(), "missing required argument \"service\"");
	CHECK(parse("service fw", v) < 0, "missing name");
	CHECK_STR(ctl_error(), "missing required argument NAME");
	CHECK(parse("fw1 bogus service fw", v) < 0, "bad positional choice");
	CHECK_STR(ctl_error(), "unknown keyword \"bogus\"");
	CHECK(parse("fw1 stateful stateless service fw", v) < 0,
	      "two positional choices");
	CHECK(parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa service fw", v) < 0,
	      "long name");
	CHECK_STR(ctl_error(),
		  "name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is too long (at most 31 characters)");
	CHECK(parse("fw! service fw", v) < 0, "bad name");
	CHECK_STR(ctl_error(),
		  "invalid name \"fw!\" (1..31 characters of [A-Za-z0-9_.-])");
	CHECK(parse("fw1 service fw state sleeping", v) < 0, "bad state");
	CHECK_STR(ctl_error(), "invalid state \"sleeping\" (up, drain or down)");

	CHECK(parse("fw1 service fw spi 16777215", v) == 0 &&
	      v[T_SPI].u == 0xffffff, "spi max");
	CHECK(parse("fw1 service fw spi 16777216", v) < 0, "spi too big");
	CHECK_STR(ctl_error(), "invalid spi \"16777216\" (1..16777215)");
	CHECK(parse("fw1 service fw spi 0", v) < 0, "spi 0");
	CHECK(parse("fw1 service fw vlan 0", v) == 0 && v[T_VLAN].u == 0,
	      "vlan 0");
	CHECK(parse("fw1 service fw vlan 4095", v) == 0, "vlan 4095");
	CHECK(parse("fw1 service fw vlan 4096", v) < 0, "vlan 4096");

	CHECK(parse("fw1 service fw dev lo", v) == 0 && v[T_DEV].u > 0,
	      "dev lo: %s", ctl_error());
	CHECK(parse("fw1 service fw dev nosuchdev0", v) < 0, "unknown dev");
	CHECK_STR(ctl_error(), "unknown device \"nosuchdev0\"");
	CHECK(parse("fw1 service fw dev aaaaaaaaaaaaaaaa", v) < 0,
	      "dev name too long");

	CHECK(parse("fw1 service fw src 10.1.0.0/16", v) == 0 &&
	      v[T_SRC].addr.plen == 16, "prefix");
	CHECK(parse("fw1 service fw src 10.1.2.3/16", v) < 0, "host bits");
	CHECK_STR(ctl_error(),
		  "invalid src \"10.1.2.3/16\" (host bits set; the network is 10.1.0.0/16)");
	CHECK(parse("fw1 service fw src 2001:db8::1/32", v) < 0,
	      "v6 host bits");
	CHECK_STR(ctl_error(),
		  "invalid src \"2001:db8::1/32\" (host bits set; the network is 2001:db8::/32)");
	CHECK(parse("fw1 service fw dport 1000-2000", v) == 0 &&
	      v[T_DPORT].lo == 1000 && v[T_DPORT].hi == 2000, "port range");
	CHECK(parse("fw1 service fw dport 2000-1000", v) < 0, "empty range");
	CHECK_STR(ctl_error(), "invalid dport \"2000-1000\" (empty range: LO > HI)");
	CHECK(parse("fw1 service fw services fw,nat,dpi", v) == 0 &&
	      v[T_LIST].n == 3 && !strcmp(v[T_LIST].names[2], "dpi"),
	      "name list");
	CHECK(parse("fw1 service fw services a,b,c,d,e,f,g,h,i", v) < 0,
	      "list too long");
	CHECK_STR(ctl_error(), "invalid services \"a,b,c,d,e,f,g,h,i\" (at most 8 names)");
}

/* ---------------------------------------------------------- split_line */

static void t_split(void)
{
	char buf[256], *argv[8];
	int n, i;

	snprintf(buf, sizeof(buf), "node set id 1\n");
	n = split_line(buf, argv, 8);
	CHECK(n == 4 && !strcmp(argv[0], "node") && !strcmp(argv[3], "1"),
	      "simple: %d", n);
	snprintf(buf, sizeof(buf), "  \tpeer   show \r\n");
	n = split_line(buf, argv, 8);
	CHECK(n == 2 && !strcmp(argv[0], "peer") && !strcmp(argv[1], "show"),
	      "blanks and CRLF: %d", n);
	snprintf(buf, sizeof(buf), "# a comment");
	CHECK(split_line(buf, argv, 8) == 0, "comment line");
	snprintf(buf, sizeof(buf), "   ");
	CHECK(split_line(buf, argv, 8) == 0, "blank line");
	snprintf(buf, sizeof(buf), "%s", "");
	CHECK(split_line(buf, argv, 8) == 0, "empty line");
	snprintf(buf, sizeof(buf), "stats show # trailing comment");
	CHECK(split_line(buf, argv, 8) == 2, "trailing comment");
	snprintf(buf, sizeof(buf), "a#b c");
	n = split_line(buf, argv, 8);
	CHECK(n == 2 && !strcmp(argv[0], "a#b"), "# inside a word");
	snprintf(buf, sizeof(buf), "a \"b c\" 'd e' f\"g h\"i");
	n = split_line(buf, argv, 8);
	CHECK(n == 4 && !strcmp(argv[1], "b c") && !strcmp(argv[2], "d e") &&
	      !strcmp(argv[3], "fg hi"), "quotes: %d", n);
	snprintf(buf, sizeof(buf), "a \"\" b");
	n = split_line(buf, argv, 8);
	CHECK(n == 3 && argv[1][0] == '\0', "empty quoted word");
	snprintf(buf, sizeof(buf), "a \"b c");
	CHECK(split_line(buf, argv, 8) < 0, "unterminated quote");
	snprintf(buf, sizeof(buf), "1 2 3 4 5 6 7 8 9");
	CHECK(split_line(buf, argv, 8) < 0, "too many words");
	snprintf(buf, sizeof(buf), "1 2 3 4 5 6 7 8");
	n = split_line(buf, argv, 8);
	CHECK(n == 8, "exactly max words");
	for (i = 0; i < n; i++)
		CHECK(argv[i][0] == '1' + i && argv[i][1] == '\0', "word %d", i);
}

void test_args(void)
{
	t_u64();
	t_name();
	t_mac();
	t_addr();
	t_prefix();
	t_ports();
	t_proto();
	t_lists();
	t_args_parse();
	t_split();
}
