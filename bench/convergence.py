#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Convergence figures from a kprobe trace (bench/convergence.sh).

  convergence.py TRACE GEN_JSON N1_RDS N2_RDS N3_RDS LABEL

TRACE holds lines of the kprobe event on apsm_rds_net_added (trace_clock
mono), one per entry that entered a node's RDS:
  ... 1234.567890: added: (...) rds=0xffff... why=1 dport=... ver=...
why = enum apsm_rds_cause: 1 APSM_RDS_INSERT = created by the packet path
(the kernel event on node 1), 2 APSM_RDS_INSTALL = installed from a peer
(the arrival on node 2 or 3). An entry is matched
across nodes by (version, dport). GEN_JSON is flowgen's summary line.

Prints one table row (LABEL first) and, on stderr, nothing unless the
trace is unusable. Exit status 1 if no event was seen.

  convergence.py TRACE GEN_JSON N1_RDS N2_RDS N3_RDS LABEL \
          --extra EXTRA_JSON --json OUT_JSON

also counts the entries not in both other nodes 5 s after the last event
on node 1 (same trace clock), and takes from EXTRA_JSON (written by
convergence.sh: "before"/"after" snapshots of `snap`, "rtt" file, probe
sizes) the fabric bytes per update, false peer deaths, repair vs push
bytes and the fabric UDP RTT of the same run; the run's figures go to
OUT_JSON as one JSON object (the row prints them too).

Helpers for convergence.sh:
  convergence.py --header
  convergence.py snap IFACE,IFACE,... STATS_JSON...
      one JSON object: rx bytes/packets summed over the (host ends of the)
      fabric veths, and the apsmd counters summed over the stats files
  convergence.py udp-echo ADDR PORT       echo UDP datagrams (until killed)
  convergence.py udp-ping ADDR PORT OUT   a 32-byte probe every 100 ms,
      one line per probe in OUT: "rtt_us N" or "lost" (1 s), until killed
"""
import json
import re
import signal
import socket
import sys
import time

WHY_INSERT, WHY_INSTALL = 1, 2  # enum apsm_rds_cause (uapi/linux/apsm.h)
LINE = re.compile(r"\s(\d+)\.(\d+): added: .*\brds=(0x[0-9a-f]+) why=(\d+) "
                  r"dport=(\d+) ver=(\d+)")


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1,
                   int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


PROBE_LEN = 32
# one probe datagram on a fabric veth: Ethernet 14 + IPv4 20 + UDP 8 + data
PROBE_FRAME = 14 + 20 + 8 + PROBE_LEN
# apsmd counters the JSON reports (absent ones are left out)
COUNTERS = ("sent", "received", "batches_sent", "batches_received",
            "peer_deaths", "ae_rounds", "ae_repair_sent",
            "ae_repair_received", "enobufs", "resyncs", "tx_bytes",
            "tx_dgrams", "rx_bytes", "rx_dgrams", "push_bytes",
            "repair_bytes", "ctrl_bytes", "feed_behind", "gaps_detected",
            "gap_entries_repaired", "merkle_rounds")


def opt(name):
    """Value of --NAME VALUE in argv, or None."""
    if name in sys.argv:
        i = sys.argv.index(name)
        if i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return None


def snap(ifaces, stats):
    out = {"t": time.time(), "wire_bytes": 0, "wire_pkts": 0, "apsmd": {}}
    for i in ifaces.split(","):
        base = "/sys/class/net/%s/statistics/" % i
        with open(base + "rx_bytes") as f:
            out["wire_bytes"] += int(f.read())
        with open(base + "rx_packets") as f:
            out["wire_pkts"] += int(f.read())
    for path in stats:
        try:
            with open(path) as f:
                s = json.load(f)
        except (OSError, ValueError):
            continue
        for k in COUNTERS:
            if k in s:
                out["apsmd"][k] = out["apsmd"].get(k, 0) + s[k]
    print(json.dumps(out))
    return 0


def udp_echo(addr, port):
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.bind((addr, int(port)))
    while True:
        b, peer = sk.recvfrom(2048)
        sk.sendto(b, peer)


def udp_ping(addr, port, out):
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.connect((addr, int(port)))
    sk.settimeout(1.0)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    seq = 0
    with open(out, "w", buffering=1) as f:
        while not stop:
            seq += 1
            msg = seq.to_bytes(8, "big") + bytes(PROBE_LEN - 8)
            t0 = time.monotonic_ns()
            sk.send(msg)
            rtt = None
            while not stop:
                try:
                    b = sk.recv(2048)
                except socket.timeout:
                    break
                except InterruptedError:
                    continue
                if b[:8] == msg[:8]:
                    rtt = (time.monotonic_ns() - t0) // 1000
                    break
            f.write("rtt_us %d\n" % rtt if rtt is not None else "lost\n")
            if not stop:
                time.sleep(0.1)
    return 0


def extra_figures(extra, events):
    """Fabric bytes per update, deaths, repair share, RTT from EXTRA."""
    with open(extra) as f:
        e = json.load(f)
    b, a = e["before"], e["after"]
    ab, aa = b["apsmd"], a["apsmd"]

    def d(k):
        return aa[k] - ab[k] if k in aa and k in ab else None

    rtts = []
    lost = 0
    try:
        with open(e["rtt"]) as f:
            for line in f:
                w = line.split()
                if w[:1] == ["rtt_us"]:
                    rtts.append(int(w[1]) / 1000.0)
                elif w[:1] == ["lost"]:
                    lost += 1
    except OSError:
        pass
    rtts.sort()
    # the RTT probes crossed the fabric too: a request and a reply each
    probe_b = (len(rtts) * 2 + lost) * PROBE_FRAME
    probe_p = len(rtts) * 2 + lost
    wire_b = a["wire_bytes"] - b["wire_bytes"] - probe_b
    wire_p = a["wire_pkts"] - b["wire_pkts"] - probe_p
    r = {
        "window_s": round(a["t"] - b["t"], 2),
        "wire_bytes": wire_b,
        "wire_dgrams": wire_p,
        "wire_bytes_per_update": round(wire_b / events, 1) if events else None,
        "wire_dgrams_per_update": round(wire_p / events, 3) if events else None,
        "false_peer_deaths": d("peer_deaths"),
        "rtt_probes": len(rtts),
        "rtt_lost": lost,
        "rtt_p50_ms": round(pct(rtts, 50), 3) if rtts else None,
        "rtt_p99_ms": round(pct(rtts, 99), 3) if rtts else None,
        "apsmd_delta": {k: d(k) for k in aa if d(k) is not None},
    }
    if d("push_bytes") and d("repair_bytes") is not None:
        r["repair_share_pct"] = round(100.0 * d("repair_bytes") /
                                      d("push_bytes"), 2)
        r["repair_share_of"] = "bytes"
    elif d("sent") and d("ae_repair_sent") is not None:
        # apsmd v1 has no byte counters: repaired entries per pushed entry
        r["repair_share_pct"] = round(100.0 * d("ae_repair_sent") / d("sent"), 2)
        r["repair_share_of"] = "entries (ae_repair_sent / sent)"
    if d("tx_bytes") is not None and events:
        r["apsmd_tx_bytes_per_update"] = round(d("tx_bytes") / events, 1)
    return r


def fmt(v, spec):
    return "-" if v is None else spec % v


def main():
    trace, gen, rds1, rds2, rds3, label = sys.argv[1:7]
    rds1, rds2, rds3 = (int(x, 16) for x in (rds1, rds2, rds3))
    with open(gen) as f:
        g = json.loads(f.read().strip().splitlines()[-1])
    born = {}
    got = {rds2: {}, rds3: {}}
    with open(trace, errors="replace") as f:
        for line in f:
            m = LINE.search(line)
            if not m:
                continue
            t = int(m.group(1)) * 1000000 + int(m.group(2).ljust(6, "0")[:6])
            rds, why = int(m.group(3), 16), int(m.group(4))
            key = (int(m.group(6)), int(m.group(5)))
            if rds == rds1 and why == WHY_INSERT:
                born.setdefault(key, t)
            elif rds in got and why == WHY_INSTALL:
                got[rds].setdefault(key, t)
    if not born:
        print("convergence.py: no kernel event on node 1 in %s" % trace,
              file=sys.stderr)
        return 1
    t_first = min(born.values())
    t_last = max(born.values())
    ev_rate = (len(born) - 1) * 1e6 / (t_last - t_first) if t_last > t_first else 0
    lat = {2: [], 3: []}
    every = []
    missing = 0
    for key, t in born.items():
        a2 = got[rds2].get(key)
        a3 = got[rds3].get(key)
        if a2 is not None:
            lat[2].append((a2 - t) / 1000.0)
        if a3 is not None:
            lat[3].append((a3 - t) / 1000.0)
        if a2 is None or a3 is None:
            missing += 1
        else:
            every.append((max(a2, a3) - t) / 1000.0)
    # missing 5 s after the load stopped (the last event on node 1)
    cut = t_last + 5000000
    missing5 = 0
    for key in born:
        a2 = got[rds2].get(key)
        a3 = got[rds3].get(key)
        if a2 is None or a3 is None or a2 > cut or a3 > cut:
            missing5 += 1
    for v in lat.values():
        v.sort()
    every.sort()
    x = {}
    if opt("--extra"):
        x = extra_figures(opt("--extra"), len(born))
    res = {
        "run": label,
        "offered_per_s": g["offered_per_s"],
        "sent_per_s": g["achieved_per_s"],
        "events_per_s": round(ev_rate),
        "events": len(born),
        "n2_p50_ms": pct(lat[2], 50), "n2_p99_ms": pct(lat[2], 99),
        "n3_p50_ms": pct(lat[3], 50), "n3_p99_ms": pct(lat[3], 99),
        "all_p50_ms": pct(every, 50), "all_p99_ms": pct(every, 99),
        "all_max_ms": every[-1] if every else None,
        "missing_5s": missing5,
        "missing_end": missing,
    }
    res.update(x)
    for k, v in list(res.items()):
        if isinstance(v, float) and v != v:
            res[k] = None
    if opt("--json"):
        with open(opt("--json"), "w") as f:
            json.dump(res, f)
            f.write("\n")
    print("%-8s %8d %8d %8d %7d %7.2f %7.2f %7.2f %7.2f %8.2f %8.2f %8.2f %7d"
          " %7d %6s %7s %7s %7s %7s" % (
              label, g["offered_per_s"], g["achieved_per_s"], ev_rate,
              len(born), pct(lat[2], 50), pct(lat[2], 99), pct(lat[3], 50),
              pct(lat[3], 99), pct(every, 50), pct(every, 99),
              every[-1] if every else float("nan"), missing, missing5,
              fmt(x.get("false_peer_deaths"), "%d"),
              fmt(x.get("wire_bytes_per_update"), "%.0f"),
              fmt(x.get("repair_share_pct"), "%.1f"),
              fmt(x.get("rtt_p50_ms"), "%.2f"),
              fmt(x.get("rtt_p99_ms"), "%.2f")))
    return 0


def header():
    f = ("%-8s %8s %8s %8s %7s %7s %7s %7s %7s %8s %8s %8s %7s"
         " %7s %6s %7s %7s %7s %7s")
    print(f % (
        "run", "offered", "sent/s", "events/s", "events", "n2 p50", "n2 p99",
        "n3 p50", "n3 p99", "all p50", "all p99", "all max", "missing",
        "miss@5s", "false", "wire B", "repair", "rtt p50", "rtt p99"))
    print(f % (
        "", "/s", "", "(node 1)", "", "ms", "ms", "ms", "ms", "ms", "ms",
        "ms", "(end)", "", "deaths", "/update", "/push %", "ms", "ms"))


if __name__ == "__main__":
    if sys.argv[1:] == ["--header"]:
        header()
        sys.exit(0)
    if sys.argv[1:2] == ["snap"] and len(sys.argv) >= 3:
        sys.exit(snap(sys.argv[2], sys.argv[3:]))
    if sys.argv[1:2] == ["udp-echo"] and len(sys.argv) == 4:
        sys.exit(udp_echo(sys.argv[2], sys.argv[3]))
    if sys.argv[1:2] == ["udp-ping"] and len(sys.argv) == 5:
        sys.exit(udp_ping(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.exit(main())
