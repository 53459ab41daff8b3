#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Convergence figures from a kprobe trace (bench/convergence.sh).

  convergence.py TRACE GEN_JSON N1_RDS N2_RDS N3_RDS LABEL

TRACE holds lines of the kprobe event on apsm_rds_net_added (trace_clock
mono), one per entry that entered a node's RDS:
  ... 1234.567890: added: (...) rds=0xffff... why=0 dport=... ver=...
why 0 = created by the packet path (the kernel event on node 1), why 1 =
installed from a peer (the arrival on node 2 or 3). An entry is matched
across nodes by (version, dport). GEN_JSON is flowgen's summary line.

Prints one table row (LABEL first) and, on stderr, nothing unless the
trace is unusable. Exit status 1 if no event was seen.
"""
import json
import re
import sys

LINE = re.compile(r"\s(\d+)\.(\d+): added: .*\brds=(0x[0-9a-f]+) why=(\d+) "
                  r"dport=(\d+) ver=(\d+)")


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1,
                   int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


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
            if rds == rds1 and why == 0:
                born.setdefault(key, t)
            elif rds in got and why == 1:
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
    for v in lat.values():
        v.sort()
    every.sort()
    print("%-8s %8d %8d %8d %7d %7.2f %7.2f %7.2f %7.2f %8.2f %8.2f %8.2f %7d" % (
        label, g["offered_per_s"], g["achieved_per_s"], ev_rate, len(born),
        pct(lat[2], 50), pct(lat[2], 99), pct(lat[3], 50), pct(lat[3], 99),
        pct(every, 50), pct(every, 99), every[-1] if every else float("nan"),
        missing))
    return 0


def header():
    print("%-8s %8s %8s %8s %7s %7s %7s %7s %7s %8s %8s %8s %7s" % (
        "run", "offered", "sent/s", "events/s", "events", "n2 p50", "n2 p99",
        "n3 p50", "n3 p99", "all p50", "all p99", "all max", "missing"))
    print("%-8s %8s %8s %8s %7s %7s %7s %7s %7s %8s %8s %8s %7s" % (
        "", "/s", "", "(node 1)", "", "ms", "ms", "ms", "ms", "ms", "ms",
        "ms", ""))


if __name__ == "__main__":
    if sys.argv[1:] == ["--header"]:
        header()
        sys.exit(0)
    sys.exit(main())
