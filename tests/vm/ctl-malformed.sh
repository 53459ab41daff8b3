#!/bin/bash
# ctl-malformed: malformed and refused requests fail cleanly and change
# nothing.
#   scripts/vm-run.sh tests/vm/ctl-malformed.sh
#
# What it proves:
#  - apsmctl: every malformed input (bad names: blank, too long, empty,
#    "../x"; unknown object, command and keyword; out-of-range weight, spi,
#    vlan, port, prefix length, id, limits; bad MACs, port ranges, host
#    bits; missing required arguments) and every request the kernel refuses
#    (duplicate add -> EEXIST, delete of something missing -> ENOENT,
#    references to unknown services/chains -> ENOENT, deleting a service
#    that has instances or is used by a chain, or a chain used by a policy
#    -> EBUSY) exits 1 with one error line naming the offending argument,
#    and leaves every table exactly as it was: the `-j show` dump of node
#    (generation included), peer, port, service, instance, chain, policy and
#    flow is compared before and after each command.
#  - raw generic netlink (tests/tools/apsm_nl.py, for what apsmctl refuses
#    to build): a missing object nest, an attribute without NLA_F_NESTED,
#    read-only attributes set, wrong attribute types and lengths, oversized
#    or unterminated strings, unknown attributes and commands, out-of-range
#    values, a FLOW_INSTALL whose second entry is bad (nothing installed):
#    each gets the expected errno and, where the kernel gives one, its
#    extack message and the offending/missing attribute; nothing changes.
#  - `apsmctl -b FILE` with a bad line 3 (once an argument error, once a
#    kernel refusal) exits 1, reports "FILE:3:", and lines 1-2 HAVE taken
#    effect while line 4 has not: batch mode is not transactional, it stops
#    at the first failing line (as documented in apsmctl(8)).
# Run time under TCG: about 60 s (printed at the end).

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
require_vm

t0=${EPOCHREALTIME/[!0-9]/}
CTL=$APSM_CTL
PY=/usr/bin/python3
[ -x "$CTL" ] || fail "$CTL missing: run 'make userspace'"
tmp=$(mktemp -d)

unload_apsm
pp load_apsm
on_exit unload_apsm
modprobe veth 2>/dev/null || true
# No IPv6 on the test's links: neighbour discovery would tick packet counters.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

ctl() { pp "$CTL" "$@"; }

# --------------------------------------------------------------- setup
for p in A C D; do
	pp ip link add "v${p}" type veth peer name "v${p}p"
	ip link set "v${p}" up
	ip link set "v${p}p" up
done
ctl node set id 1
ctl peer add id 2 dev vD lladdr 02:00:00:00:00:02
ctl port add dev vC role uplink
ctl service add fw
ctl service add nat stateless
ctl service add lonely
printf 'service add s%d\n' 1 2 3 4 5 6 >"$tmp/svc.batch"
ctl -b "$tmp/svc.batch"
ctl instance add fw1 service fw id 4097 dev vA mode proxy lladdr 02:00:00:00:01:01
ctl chain add web spi 10 services fw,nat
ctl policy add prio 5 dst 10.0.0.0/8 proto tcp dport 80 chain web
ctl flow install dir forward proto tcp src 10.0.0.1 sport 1000 dst 10.1.0.1 dport 80 \
	spi 10 path 4097 origin 1 version 5

# Every table, as JSON, minus what ticks on its own: the ages of flows and
# the packet/byte counters (IPv6 neighbour discovery on the veths).
printf '%s show\n' node peer port service instance chain policy flow >"$tmp/snap.batch"
snap() {
	"$CTL" -j -b "$tmp/snap.batch" | sed -E 's/"(age_ms|[rt]x_packets|[rt]x_bytes)":[0-9]+,?//g'
}
base=$(snap)
# Sanity: the snapshot really holds the setup.
for w in '"id":1,' '"lladdr":"02:00:00:00:00:02"' '"role":"uplink"' '"name":"lonely"' \
	'"name":"fw1"' '"name":"web"' '"prio":5,' '"src":"10.0.0.1"'; do
	[[ $base == *"$w"* ]] || fail "setup snapshot lacks $w: $base"
done
[ "$(wc -l <<<"$base")" -eq 8 ] || fail "snapshot has not 8 lines: $base"

unchanged() { # WHAT
	local now
	now=$(snap)
	if [ "$now" != "$base" ]; then
		diff <(echo "$base") <(echo "$now") >&2 || true
		fail "$1: the tables changed"
	fi
}

# bad SUBSTRING ARGS...: `apsmctl ARGS` exits 1, its one-line error
# contains SUBSTRING, and nothing changed.
nbad=0
bad() {
	local want=$1 rc=0 err
	shift
	"$CTL" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	err=$(cat "$tmp/err")
	printf '[+] apsmctl %s -> %s: %s\n' "$*" "$rc" "$err" >&2
	[ "$rc" -eq 1 ] || fail "apsmctl $*: exit status $rc, expected 1"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "apsmctl $*: expected one error line"
	[[ $err == "apsmctl: "*"$want"* ]] || fail "apsmctl $*: error '$err' does not say '$want'"
	[ ! -s "$tmp/out" ] || fail "apsmctl $*: printed on stdout: $(cat "$tmp/out")"
	unchanged "apsmctl $*"
	nbad=$((nbad + 1))
}

# -------------------------------------------------------- bad arguments
log "argument errors (apsmctl refuses them before the kernel)"
long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa # 32 characters
bad 'service add: invalid name "a b"' service add "a b"
bad "service add: name \"$long\" is too long (at most 31 characters)" service add "$long"
bad 'service add: invalid name ""' service add ""
bad 'service add: invalid name "../x"' service add ../x
bad 'instance add: invalid name "../x"' instance add ../x service fw
bad 'instance add: invalid service "a/b"' instance add i1 service a/b
bad 'chain add: invalid name "a b"' chain add "a b" services fw
bad 'chain add: invalid services "fw,,nat"' chain add c1 services fw,,nat
bad 'unknown object "bogus"' bogus show
bad 'service: unknown command "frob"' service frob
bad 'unknown keyword "frob"' service add x42 frob
bad 'unknown keyword "colour"' instance add i1 service fw colour red
bad 'unknown keyword "extra"' node show extra
bad 'invalid weight "0" (1..65535)' instance add i1 service fw weight 0
bad 'invalid weight "65536" (1..65535)' instance add i1 service fw weight 65536
bad 'invalid weight "abc"' instance add i1 service fw weight abc
bad 'instance set: invalid weight "0"' instance set fw1 weight 0
bad 'instance set: invalid weight "65536"' instance set fw1 weight 65536
bad 'invalid state "sleepy"' instance set fw1 state sleepy
bad 'invalid mode "tap"' instance add i1 service fw mode tap
bad 'invalid spi "0" (1..16777215)' chain add c1 spi 0 services fw
bad 'invalid spi "0x1000000" (1..16777215)' chain add c1 spi 0x1000000 services fw
bad 'invalid vlan "4096" (0..4095)' policy add prio 9 vlan 4096 chain web
bad 'invalid dport "70000"' policy add prio 9 proto tcp dport 70000 chain web
bad 'invalid sport "1-70000"' policy add prio 9 proto udp sport 1-70000 chain web
bad 'invalid dport "90-80"' policy add prio 9 proto tcp dport 90-80 chain web
bad 'invalid src "10.0.0.0/33"' policy add prio 9 src 10.0.0.0/33 chain web
bad 'invalid dst "2001:db8::/129"' policy add prio 9 dst 2001:db8::/129 chain web
bad 'invalid src "10.1.2.3/16" (host bits set; the network is 10.1.0.0/16)' \
	policy add prio 9 src 10.1.2.3/16 chain web
bad 'invalid proto "256"' policy add prio 9 proto 256 chain web
bad 'src and dst are of different address families' policy add prio 9 src 10.0.0.0/8 dst 2001:db8::/32 chain web
bad 'invalid id "0" (1..4294967295)' instance add i1 service fw id 0
bad 'invalid id "4294967296"' instance add i1 service fw id 4294967296
bad 'invalid node "0"' instance add i1 service fw node 0
bad 'invalid id "0" (1..4294967295)' peer add id 0 dev vD lladdr 02:00:00:00:00:03
bad 'invalid lladdr "01:00:5e:00:00:01"' instance add i1 service fw lladdr 01:00:5e:00:00:01
bad 'invalid lladdr "ff:ff:ff:ff:ff:ff"' peer add id 3 dev vD lladdr ff:ff:ff:ff:ff:ff
bad 'invalid lladdr "00:00:00:00:00:00"' instance set fw1 lladdr 00:00:00:00:00:00
bad 'invalid lladdr "02:00:00:00:01"' instance add i1 service fw lladdr 02:00:00:00:01
bad 'invalid rds-max "0" (1..16777216)' node set rds-max 0
bad 'invalid rds-max "16777217"' node set rds-max 16777217
bad 'invalid policy-max "65537"' node set policy-max 65537
bad 'invalid timeout-tcp "604801"' node set timeout-tcp 604801
bad 'invalid id "0"' node set id 0
bad 'nothing to set' node set
bad 'nothing to set' instance set fw1
bad 'invalid role "nf" (uplink or fabric)' port add dev vC role nf
bad 'unknown device "nosuchdev"' port add dev nosuchdev role uplink
bad 'unknown device "nosuchdev"' instance add i1 service fw dev nosuchdev
bad 'invalid version' flow install dir forward proto tcp src 10.0.0.9 sport 1 dst 10.1.0.1 \
	dport 80 spi 10 path 4097 origin 1 version x
bad 'invalid version "0" (1..' flow install dir forward proto tcp \
	src 10.0.0.9 sport 1 dst 10.1.0.1 dport 80 spi 10 path 4097 origin 1 version 0
bad 'invalid path "1,2,3,4,5,6,7,8,9"' flow install dir forward proto tcp src 10.0.0.9 sport 1 \
	dst 10.1.0.1 dport 80 spi 10 path 1,2,3,4,5,6,7,8,9 origin 1 version 1
bad 'invalid path "1,0"' flow install dir forward proto tcp src 10.0.0.9 sport 1 \
	dst 10.1.0.1 dport 80 spi 10 path 1,0 origin 1 version 1

log "missing required arguments"
bad 'chain add: missing required argument "services"' chain add c1
bad 'instance add: missing required argument "service"' instance add i1
bad 'instance add: missing required argument NAME' instance add service fw
bad 'peer add: missing required argument "dev"' peer add id 3 lladdr 02:00:00:00:00:03
bad 'peer add: missing required argument "lladdr"' peer add id 3 dev vD
bad 'port add: missing required argument "role"' port add dev vD
bad 'policy add: missing required argument "chain"' policy add prio 9 dst 10.0.0.0/8
bad 'policy del: missing required argument "prio"' policy del
bad 'flow install: missing required argument "version"' flow install dir forward proto tcp \
	src 10.0.0.9 sport 1 dst 10.1.0.1 dport 80 spi 10 path 4097 origin 1
bad 'instance add: missing value after "service"' instance add i1 service

# --------------------------------------------------- kernel refusals
log "requests the kernel refuses"
bad 'service add: File exists' service add fw
bad 'instance add: File exists' instance add fw1 service fw
bad 'instance add: File exists' instance add fw9 service fw id 4097
bad 'chain add: File exists' chain add web services fw
bad 'chain add: File exists: SPI in use by another chain (spi)' chain add c9 spi 10 services fw
bad 'policy add: File exists' policy add prio 5 chain web
bad 'peer add: File exists' peer add id 2 dev vD lladdr 02:00:00:00:00:02
bad 'port add: File exists' port add dev vC role fabric
bad 'port add: Device or resource busy: device is an instance' port add dev vA role uplink
bad 'instance add: Device or resource busy' instance add fw9 service fw dev vA
bad 'service del: No such file or directory: no such service' service del nope
bad 'instance del: No such file or directory: no such instance' instance del nope
bad 'instance set: No such file or directory: no such instance' instance set nope weight 3
bad 'chain del: No such file or directory: no such chain' chain del nope
bad 'policy del: No such file or directory' policy del prio 77
bad 'peer del: No such file or directory: no such peer' peer del id 9
bad 'port del: No such file or directory: no such port' port del dev vD
bad 'flow del: No such file or directory: no such flow' flow del proto tcp src 1.1.1.1 sport 1 dst 2.2.2.2 dport 2
bad 'flow get: No such file or directory: no such flow' flow get proto tcp src 1.1.1.1 sport 1 dst 2.2.2.2 dport 2
bad 'instance show: No such file or directory' instance show nope
bad 'instance add: No such file or directory: no such service' instance add i1 service nope
bad 'chain add: No such file or directory: no such service' chain add c2 services fw,nope
bad 'chain add: Invalid argument: return list names a service that is not in the chain' \
	chain add c2 services fw return nope
bad 'chain add: Invalid argument: return list names a service that is not in the chain' \
	chain add c2 services fw return lonely
bad 'policy add: No such file or directory: no such chain' policy add prio 7 chain nope
bad 'service del: Device or resource busy: service has instances' service del fw
bad 'service del: Device or resource busy: service is used by a chain' service del nat
bad 'chain del: Device or resource busy: chain is used by a policy rule' chain del web
bad "peer add: Invalid argument: peer id is this node's own id (id)" peer add id 1 dev vD lladdr 02:00:00:00:00:09

# ------------------------------------------------------------ raw netlink
log "raw generic netlink (apsm_nl.py)"
# Each case: [description, command, attribute tokens as for apsm_nl.py
# (nest=False: no default object nest), errno, extack message substring or
# None, offending attribute substring or None, missing attribute substring
# or None].
cat >"$tmp/raw.py" <<'EOF'
import errno as E, os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "tools"))
import apsm_nl as nl

ctl, batch, basefile = sys.argv[1:4]
def ctl_snap():
    out = subprocess.run([ctl, "-j", "-b", batch], check=True,
                         capture_output=True, text=True).stdout
    return re.sub(r'"(age_ms|[rt]x_packets|[rt]x_bytes)":[0-9]+,?', "", out).rstrip("\n")
if ctl_snap() != open(basefile).read().rstrip("\n"):
    sys.exit("raw: the tables differ before the raw cases even started")

api = nl.Apsm()
TICKS = ("age_ms", "tx_packets", "rx_packets", "tx_bytes", "rx_bytes")
def snap():
    """Every table, dumped over this process's own socket (a subprocess
    per case is slow under TCG), minus what ticks on its own."""
    res = [api.request("node-get", [])]
    for obj in ("peer", "port", "service", "instance", "chain", "policy",
                "flow"):
        res.append(api.request(obj + "-get", [], dump=True))
    for msgs in res:
        for m in msgs:
            for v in m.values():
                for o in v if isinstance(v, list) else [v]:
                    if isinstance(o, dict):
                        for k in TICKS:
                            o.pop(k, None)
    return repr(res)
base = snap()
if "'fw1'" not in base or "'10.0.0.1'" not in base or "'lonely'" not in base:
    sys.exit("raw: the netlink snapshot misses the setup: " + base)
# The detector detects: a real change shows, and undoing it restores base.
st = nl.build_tree(nl.cmd_number("service-new"), ["name=selftest"])
api.request("service-new", st)
if snap() == base:
    sys.exit("raw: the snapshot did not see a service being added")
api.request("service-del", st)
# (The node generation moved on: the new base is the state from here.)
base = snap()
ctl_base = ctl_snap()

L32 = "a" * 32
FLOW = ("family=inet proto=tcp src=10.0.0.2 dst=10.1.0.1 sport=1 dport=2 "
        "dir=forward spi=10 path=4097 origin=1 version=u64:1")
cases = [
    # structure
    ("no object nest", "service-new", "", False, E.EINVAL,
     "missing object attribute", None, "APSM_A_SERVICE"),
    ("object not NLA_F_NESTED", "service-new", "^service=u32:3", False,
     E.EINVAL, "NLA_F_NESTED is missing", "APSM_A_SERVICE", None),
    ("list not NLA_F_NESTED", "chain-new", "name=c5 services=str:fw", True,
     E.EINVAL, "NLA_F_NESTED is missing", "APSM_CHAIN_A_SERVICES", None),
    ("empty nest", "service-new", "", True, E.EINVAL, None, None,
     "APSM_SERVICE_A_NAME"),
    ("unknown attribute in the nest", "service-new", "name=x1 99=u32:1", True,
     E.EINVAL, "Unknown attribute type", "APSM_SERVICE_A_99", None),
    ("unknown top-level attribute", "service-new", "name=x1 ^77=u32:1", True,
     E.EINVAL, None, None, None),
    ("unknown command", "200", "", False, E.EOPNOTSUPP, None, None, None),
    ("FLOW_INSTALL with another object", "flow-install",
     FLOW + " +service name=x1", True, E.EINVAL,
     "FLOW_INSTALL carries only APSM_A_FLOW", "APSM_A_SERVICE", None),
    ("FLOW_INSTALL: 2nd entry bad, nothing installed", "flow-install",
     FLOW + " +flow " + FLOW.replace("10.0.0.2", "10.0.0.3")
     .replace("version=u64:1", "version=u64:0"), True, E.EINVAL,
     "version must be nonzero", "APSM_FLOW_A_VERSION", None),
    ("FLOW_INSTALL without entries", "flow-install", "", False, E.EINVAL,
     "missing APSM_A_FLOW", None, "APSM_A_FLOW"),
    # read-only attributes
    ("ro service instances", "service-new", "name=x9 instances=3", True,
     E.EINVAL, "read-only attribute", "APSM_SERVICE_A_INSTANCES", None),
    ("ro node generation", "node-set", "generation=5", True, E.EINVAL,
     "read-only attribute", "APSM_NODE_A_GENERATION", None),
    ("ro node rds_count", "node-set", "rds_count=5", True, E.EINVAL,
     "read-only attribute", "APSM_NODE_A_RDS_COUNT", None),
    ("ro peer tx_packets", "peer-new",
     "id=5 ifindex=vD lladdr=02:00:00:00:00:05 tx_packets=u64:1", True,
     E.EINVAL, "read-only attribute", "APSM_PEER_A_TX_PACKETS", None),
    ("ro port ifname", "port-new", "ifindex=vD role=uplink ifname=vD", True,
     E.EINVAL, "read-only attribute", "APSM_PORT_A_IFNAME", None),
    ("ro instance flows", "instance-new", "name=i9 service=fw flows=3", True,
     E.EINVAL, "read-only attribute", "APSM_INSTANCE_A_FLOWS", None),
    ("ro instance drops on set", "instance-set", "name=fw1 drops=u64:0",
     True, E.EINVAL, "read-only attribute", "APSM_INSTANCE_A_DROPS", None),
    ("ro policy hits", "policy-new", "prio=9 chain=web hits=u64:1", True,
     E.EINVAL, "read-only attribute", "APSM_POLICY_A_HITS", None),
    ("ro flow age_ms", "flow-install", FLOW + " age_ms=u64:5", True,
     E.EINVAL, "read-only attribute", "APSM_FLOW_A_AGE_MS", None),
    # types and lengths
    ("u8 where u32 is due", "instance-new", "name=i9 service=fw weight=u8:3",
     True, E.EINVAL, None, "APSM_INSTANCE_A_WEIGHT", None),
    ("u32 where u8 is due", "service-new", "name=x9 stateful=u32:1", True,
     E.EINVAL, None, "APSM_SERVICE_A_STATEFUL", None),
    ("u32 where u64 is due", "flow-install",
     FLOW.replace("version=u64:1", "version=u32:1"), True, E.EINVAL, None,
     "APSM_FLOW_A_VERSION", None),
    ("2-byte MAC", "instance-new", "name=i9 service=fw lladdr=hex:0102",
     True, E.ERANGE, None, "APSM_INSTANCE_A_LLADDR", None),
    ("3-byte address", "flow-install",
     FLOW.replace("src=10.0.0.2", "src=hex:0a0000"), True, E.ERANGE, None,
     "APSM_FLOW_A_SRC", None),
    ("IPv6 address with family inet", "policy-new",
     "prio=9 chain=web family=inet dst=2001:db8::1", True, E.EINVAL,
     "address length does not match the family", "APSM_POLICY_A_DST", None),
    ("path not a u32 array", "flow-install",
     FLOW.replace("path=4097", "path=hex:01020304ff"), True, E.EINVAL,
     "path must be an array of u32", "APSM_FLOW_A_PATH", None),
    ("path of 9 instances", "flow-install",
     FLOW.replace("path=4097", "path=1,2,3,4,5,6,7,8,9"), True, E.ERANGE,
     None, "APSM_FLOW_A_PATH", None),
    # strings
    ("name of 32 characters", "service-new", "name=str:" + L32, True,
     E.EINVAL, None, "APSM_SERVICE_A_NAME", None),
    ("name of 4000 characters", "chain-new",
     "name=str:" + "b" * 4000 + " services=fw", True, E.EINVAL, None,
     "APSM_CHAIN_A_NAME", None),
    ("name without NUL", "service-new", "name=raw:abc", True, E.EINVAL,
     None, "APSM_SERVICE_A_NAME", None),
    ("empty name", "service-new", "name=str:", True, E.EINVAL, "empty name",
     "APSM_SERVICE_A_NAME", None),
    ("name ../x", "service-new", "name=../x", True, E.EINVAL,
     "name may only hold [A-Za-z0-9_.-]", "APSM_SERVICE_A_NAME", None),
    ("service list entry ../x", "chain-new", "name=c5 services=fw,../x",
     True, E.EINVAL, None, "APSM_LIST_A_NAME", None),
    ("oversized list entry", "chain-new",
     "name=c5 services=fw," + L32 * 4, True, E.EINVAL, None,
     "APSM_CHAIN_A_SERVICES", None),
    ("empty service list", "chain-new", "name=c5 services=nest:", True,
     E.EINVAL, "a chain needs at least one service",
     "APSM_CHAIN_A_SERVICES", None),
    ("9 services", "chain-new",
     "name=c5 services=fw,nat,lonely,s1,s2,s3,s4,s5,s6", True, E.EINVAL,
     "too many services in a chain",
     "APSM_CHAIN_A_SERVICES", None),
    # values
    ("weight 0", "instance-new", "name=i9 service=fw weight=0", True,
     E.ERANGE, "integer out of range", "APSM_INSTANCE_A_WEIGHT", None),
    ("weight 65536", "instance-set", "name=fw1 weight=65536", True,
     E.ERANGE, "integer out of range", "APSM_INSTANCE_A_WEIGHT", None),
    ("instance id 0", "instance-new", "name=i9 service=fw id=0", True,
     E.ERANGE, None, "APSM_INSTANCE_A_ID", None),
    ("spi 0", "chain-new", "name=c5 spi=0 services=fw", True, E.ERANGE,
     None, "APSM_CHAIN_A_SPI", None),
    ("spi 0x1000000", "chain-new", "name=c5 spi=0x1000000 services=fw",
     True, E.ERANGE, None, "APSM_CHAIN_A_SPI", None),
    ("vlan 4096", "policy-new", "prio=9 chain=web vlan=4096", True, E.ERANGE,
     None, "APSM_POLICY_A_VLAN", None),
    ("v4 prefix /33", "policy-new",
     "prio=9 chain=web family=inet src=10.0.0.0 src_plen=33", True,
     E.EINVAL, "prefix length too long for the family",
     "APSM_POLICY_A_SRC_PLEN", None),
    ("address without family", "policy-new", "prio=9 chain=web src=10.0.0.0",
     True, E.EINVAL, "needs APSM_POLICY_A_FAMILY", None,
     "APSM_POLICY_A_FAMILY"),
    ("port range min > max", "policy-new",
     "prio=9 chain=web proto=tcp dport_min=90 dport_max=80", True, E.EINVAL,
     "port range minimum above its maximum", "APSM_POLICY_A_DPORT", None),
    ("ports without proto", "policy-new", "prio=9 chain=web dport_min=80",
     True, E.EINVAL, "port match needs PROTO", "APSM_POLICY_A_DPORT_MIN",
     None),
    ("family 7", "policy-new", "prio=9 chain=web family=u8:7", True, None,
     None, "APSM_POLICY_A_FAMILY", None),
    ("port role nf", "port-new", "ifindex=vD role=nf", True, None, None,
     "APSM_PORT_A_ROLE", None),
    ("port role 9", "port-new", "ifindex=vD role=9", True, E.ERANGE, None,
     "APSM_PORT_A_ROLE", None),
    ("instance state 4", "instance-set", "name=fw1 state=4", True, E.ERANGE,
     None, "APSM_INSTANCE_A_STATE", None),
    ("multicast MAC", "peer-new", "id=5 ifindex=vD lladdr=01:00:5e:00:00:01",
     True, E.EINVAL, None, "APSM_PEER_A_LLADDR", None),
    ("flow version 0", "flow-install",
     FLOW.replace("version=u64:1", "version=u64:0"), True, E.EINVAL,
     "version must be nonzero", "APSM_FLOW_A_VERSION", None),
    ("path holding id 0", "flow-install",
     FLOW.replace("path=4097", "path=4097,0"), True, E.EINVAL,
     "path holds instance id 0", "APSM_FLOW_A_PATH", None),
    ("flow dir 3", "flow-install", FLOW.replace("dir=forward", "dir=3"),
     True, E.ERANGE, None, "APSM_FLOW_A_DIR", None),
    ("flow family 3", "flow-install",
     FLOW.replace("family=inet", "family=u8:3"), True, E.EINVAL,
     "family must be AF_INET or AF_INET6", "APSM_FLOW_A_FAMILY", None),
    ("flow without dir", "flow-install", FLOW.replace("dir=forward", ""),
     True, E.EINVAL, "missing APSM_FLOW_A_DIR", None, "APSM_FLOW_A_DIR"),
    ("flow origin 0", "flow-install", FLOW.replace("origin=1", "origin=0"),
     True, E.ERANGE, None, "APSM_FLOW_A_ORIGIN", None),
    ("node rds_max 0", "node-set", "rds_max=0", True, None, None,
     "APSM_NODE_A_RDS_MAX", None),
    ("instance ifindex of a missing device", "instance-new",
     "name=i9 service=fw ifindex=99999", True, None, None,
     "APSM_INSTANCE_A_IFINDEX", None),
    ("instance SET changing its service", "instance-set",
     "name=fw1 service=nat", True, E.EOPNOTSUPP, "cannot be changed",
     "APSM_INSTANCE_A_SERVICE", None),
]

failed = 0
for desc, cmd, toks, nest, eno, msg, bad, miss in cases:
    c = nl.cmd_number(cmd)
    tree = nl.build_tree(c, [t for t in toks.split(" ") if t], nest)
    problems = []
    try:
        r = api.request(c, tree)
        problems.append("SUCCEEDED: %r" % r)
        got = "success"
    except nl.ApsmError as e:
        got = str(e)
        if eno is not None and e.errno != eno:
            problems.append("errno %d, expected %d" % (e.errno, eno))
        if e.errno == 0 or e.errno in (E.EPERM, E.ENOENT) and eno is None:
            problems.append("unexpected errno %d" % e.errno)
        if msg is not None and msg not in (e.msg or ""):
            problems.append("extack %r lacks %r" % (e.msg, msg))
        if bad is not None and bad not in (e.bad_attr or ""):
            problems.append("offending attribute %r, expected %r" %
                            (e.bad_attr, bad))
        if miss is not None and miss not in (e.miss_attr or ""):
            problems.append("missing attribute %r, expected %r" %
                            (e.miss_attr, miss))
    if snap() != base:
        problems.append("THE TABLES CHANGED")
        base = snap()
    print("[%s] %s: %s" % ("ok" if not problems else "FAIL", desc, got))
    for p in problems:
        print("      " + p)
    failed += bool(problems)
if ctl_snap() != ctl_base:
    print("FAIL: apsmctl's dump differs after the raw cases")
    failed += 1
print("raw: %d cases, %d failed" % (len(cases), failed))
sys.exit(1 if failed else 0)
EOF
echo "$base" >"$tmp/base"
"$PY" "$tmp/raw.py" "$CTL" "$tmp/snap.batch" "$tmp/base" || fail "raw netlink cases failed"

# --------------------------------------------------------------- batch
log "batch mode: not transactional, stops at the first bad line"
bfile=$tmp/bad-args.apsm
printf '%s\n' 'service add b1' 'service add b2 stateless' 'service add "bad name"' \
	'service add b4' >"$bfile"
rc=0
"$CTL" -b "$bfile" 2>"$tmp/err" || rc=$?
log "apsmctl -b $bfile -> $rc: $(cat "$tmp/err")"
assert_eq "$rc" 1 "batch with a bad line 3: exit status"
assert_match "$(cat "$tmp/err")" "^apsmctl: $bfile:3: service add: invalid name \"bad name\"" "batch error"
svc=$("$CTL" service show)
assert_match "$svc" $'(^|\n)b1 stateful ' "line 1 of the batch applied"
assert_match "$svc" $'(^|\n)b2 stateless ' "line 2 of the batch applied"
if [[ $svc == *b4* ]]; then fail "line 4 after the bad line 3 was applied: $svc"; fi

bfile=$tmp/bad-kernel.apsm
printf '%s\n' '# a comment, then a blank line' '' 'chain add bc1 services lonely' \
	'chain add bc2 services lonely' 'chain add bc1 services fw' 'chain add bc4 services lonely' >"$bfile"
# File lines: 1 comment, 2 blank, 3 bc1, 4 bc2, 5 bc1 again (EEXIST), 6 bc4.
rc=0
"$CTL" -b "$bfile" 2>"$tmp/err" || rc=$?
log "apsmctl -b $bfile -> $rc: $(cat "$tmp/err")"
assert_eq "$rc" 1 "batch with a refused line: exit status"
assert_match "$(cat "$tmp/err")" "^apsmctl: $bfile:5: chain add: File exists" "batch error (kernel)"
chains=$("$CTL" chain show)
assert_match "$chains" $'(^|\n)bc1 spi [0-9]+ services lonely' "batch: bc1 applied"
assert_match "$chains" $'(^|\n)bc2 spi [0-9]+ services lonely' "batch: bc2 applied"
if [[ $chains == *bc4* ]]; then fail "batch line after the refused one was applied: $chains"; fi

log "ctl-malformed: OK ($nbad apsmctl cases; $(((${EPOCHREALTIME/[!0-9]/} - t0) / 1000)) ms)"
