#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Figures of bench/sim.sh from the files of its apsmd-sim nodes.

  sim.py ready DIR N SECS            wait until every node is Ready with
                                     N-1 live peers (status 1 if not)
  sim.py counters DIR N IFACES...    print one JSON object: the fabric's
                                     bytes/packets (sum of rx of IFACES: the
                                     host ends of the nodes' veths, or "lo")
                                     and the sums of the apsmd counters
  sim.py idle SECS IFACES...          the fabric's idle traffic over SECS
  sim.py wait DIR N SECS             wait until the cluster converged: every
                                     generator done, every table the same
                                     digest (status 1 if not within SECS)
  sim.py row DIR N LABEL IDLE BEFORE AFTER WAIT_MS  print the JSON result
  sim.py header | sim.py line JSON   the table

DIR holds, per node i (1..N), stats<i>.json (apsmd's stats file) and
state<i>.json (apsmd-sim's state file).
"""
import json
import os
import sys
import time

COUNTERS = ("sent", "received", "batches_sent", "batches_received",
            "peer_deaths", "peer_returns", "ae_rounds", "ae_repair_sent",
            "ae_repair_received", "relayed", "dup_suppressed", "tx_bytes",
            "tx_dgrams", "rx_bytes", "rx_dgrams", "push_bytes",
            "repair_bytes", "ctrl_bytes", "heartbeats_sent", "send_fail",
            "gaps_detected", "feed_behind")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def nodes(d, n, kind):
    return [load(os.path.join(d, "%s%d.json" % (kind, i)))
            for i in range(1, n + 1)]


def ready(d, n, secs):
    end = time.time() + float(secs)
    while True:
        st = nodes(d, n, "stats")
        if all(s and s.get("Ready") == 1 and s.get("live_peers") == n - 1
               for s in st):
            return 0
        if time.time() > end:
            bad = [i + 1 for i, s in enumerate(st)
                   if not s or s.get("Ready") != 1 or
                   s.get("live_peers") != n - 1]
            print("sim.py: not ready after %s s: nodes %s" % (secs, bad[:20]),
                  file=sys.stderr)
            return 1
        time.sleep(0.2)


def netdev(ifaces):
    b = p = 0
    for i in ifaces:
        base = "/sys/class/net/%s/statistics/" % i
        with open(base + "rx_bytes") as f:
            b += int(f.read())
        with open(base + "rx_packets") as f:
            p += int(f.read())
    return b, p


def counters(d, n, ifaces):
    b, p = netdev(ifaces)
    out = {"t": time.time(), "wire_bytes": b, "wire_pkts": p}
    sums = dict.fromkeys(COUNTERS, 0)
    have = set()
    peer_tx = 0
    for s in nodes(d, n, "stats"):
        if not s:
            continue
        for k in COUNTERS:
            if k in s:
                have.add(k)
                sums[k] += s[k]
        peer_tx += sum(p.get("tx_dgrams", 0) for p in s.get("peers", []))
    out["apsmd"] = {k: v for k, v in sums.items() if k in have}
    out["apsmd"]["peer_tx_dgrams"] = peer_tx
    print(json.dumps(out))
    return 0


def idle(secs, ifaces):
    t0 = time.time()
    b0, p0 = netdev(ifaces)
    time.sleep(float(secs))
    t1 = time.time()
    b1, p1 = netdev(ifaces)
    print(json.dumps({"t0": t0, "t1": t1, "b0": b0, "b1": b1, "p0": p0,
                      "p1": p1}))
    return 0


def converged(states):
    if not all(states):
        return False
    if not all(s.get("gen_done") for s in states):
        return False
    return len({s["digest"] for s in states}) == 1


def wait(d, n, secs):
    end = time.time() + float(secs)
    while True:
        if converged(nodes(d, n, "state")):
            return 0
        if time.time() > end:
            return 1
        time.sleep(0.25)


def pct(hist, total, p):
    """Nearest-rank percentile from [[floor_ms, count], ...] (ascending)."""
    if not total:
        return None
    rank = max(1, -(-p * total // 100))
    seen = 0
    for ms, c in hist:
        seen += c
        if seen >= rank:
            return ms
    return hist[-1][0]


def row(d, n, label, idle, before, after, wait_ms):
    idle, before, after = (json.loads(x) for x in (idle, before, after))
    st = nodes(d, n, "state")
    states = [s for s in st if s]
    # updates: every entry created and every delete made by a generator or
    # a ctl command, each once (at its origin)
    updates = sum(s["created"] + s["deleted"] + s["ctl_deleted"]
                  for s in states)
    window = after["t"] - before["t"]
    wire_b = after["wire_bytes"] - before["wire_bytes"]
    wire_p = after["wire_pkts"] - before["wire_pkts"]
    idle_s = idle["t1"] - idle["t0"]
    idle_bps = (idle["b1"] - idle["b0"]) / idle_s if idle_s > 0 else 0
    idle_pps = (idle["p1"] - idle["p0"]) / idle_s if idle_s > 0 else 0
    net_b = max(0.0, wire_b - idle_bps * window)
    net_p = max(0.0, wire_p - idle_pps * window)
    ab, aa = before["apsmd"], after["apsmd"]

    def delta(k):
        return aa[k] - ab[k] if k in aa and k in ab else None

    # coverage over (node, entry) pairs, the origin itself not counted:
    # an origin's own table holds exactly its live entries
    own = {}
    for s in states:
        for o in s["origins"]:
            if o["origin"] == s["node"]:
                own[s["node"]] = (o["count"], o["digest"])
    want = have = 0
    for s in states:
        by = {o["origin"]: o for o in s["origins"]}
        for origin, (cnt, dig) in own.items():
            if origin == s["node"]:
                continue
            want += cnt
            o = by.get(origin)
            if not o:
                continue
            have += cnt if o["digest"] == dig else min(o["count"], cnt)
    missing_nodes = n - len(states)
    want += missing_nodes * sum(c for c, _ in own.values())
    digests = {}
    for s in states:
        digests[s["digest"]] = digests.get(s["digest"], 0) + 1
    hist = {}
    lag_n = 0
    lag_max = 0
    for s in states:
        lag = s.get("lag", {})
        lag_n += lag.get("n", 0)
        lag_max = max(lag_max, lag.get("max_ms", 0))
        for ms, c in lag.get("hist", []):
            hist[ms] = hist.get(ms, 0) + c
    hl = sorted(hist.items())
    last_change = max((s.get("last_change_ms", 0) for s in states), default=0)
    last_local = max((s.get("last_local_ms", 0) for s in states), default=0)
    res = {
        "label": label,
        "nodes": n,
        "updates": updates,
        "window_s": round(window, 2),
        "wire_bytes": wire_b,
        "wire_dgrams": wire_p,
        "idle_bytes_per_s": round(idle_bps),
        "idle_dgrams_per_s": round(idle_pps),
        "bytes_per_update": round(wire_b / updates, 1) if updates else None,
        "dgrams_per_update": round(wire_p / updates, 3) if updates else None,
        "net_bytes_per_update": round(net_b / updates, 1) if updates else None,
        "net_dgrams_per_update": round(net_p / updates, 3) if updates else None,
        "net_bytes_per_update_per_peer":
            round(net_b / updates / (n - 1), 1) if updates and n > 1 else None,
        "lag_samples": lag_n,
        "lag_p50_ms": pct(hl, lag_n, 50),
        "lag_p99_ms": pct(hl, lag_n, 99),
        "lag_max_ms": lag_max,
        "converged": wait_ms is not None and int(wait_ms) >= 0,
        "settle_ms": (last_change - last_local) if last_local else None,
        "coverage_pct": round(100.0 * have / want, 3) if want else None,
        "identical_nodes": max(digests.values()) if digests else 0,
        "false_peer_deaths": delta("peer_deaths"),
        "ready_nodes": sum(1 for x in nodes(d, n, "stats")
                           if x and x.get("Ready") == 1),
        "min_live_peers": min((x.get("live_peers", 0) for x in
                               nodes(d, n, "stats") if x), default=0),
        "apsmd_delta": {k: delta(k) for k in aa if delta(k) is not None},
    }
    if delta("push_bytes") and delta("repair_bytes") is not None:
        res["repair_share_pct"] = round(
            100.0 * delta("repair_bytes") / delta("push_bytes"), 2)
    if delta("tx_bytes") is not None and updates:
        res["apsmd_tx_bytes_per_update"] = round(delta("tx_bytes") / updates, 1)
    print(json.dumps(res))
    return 0


HDR = ("%-6s %5s %7s %7s %9s %9s %8s %7s %7s %7s %8s %8s %6s" % (
    "nodes", "mode", "updates", "dg/upd", "B/upd", "B/upd", "B/upd",
    "lag", "lag", "lag", "settle", "coverage", "false"),
    "%-6s %5s %7s %7s %9s %9s %8s %7s %7s %7s %8s %8s %6s" % (
    "", "", "", "(net)", "(all)", "(net)", "/peer", "p50 ms", "p99 ms",
    "max ms", "ms", "%", "deaths"))


def fmt(v, spec):
    return "-" if v is None else spec % v


def line(js):
    r = json.loads(js)
    print("%-6d %5s %7d %7s %9s %9s %8s %7s %7s %7s %8s %8s %6s" % (
        r["nodes"], r["label"], r["updates"],
        fmt(r["net_dgrams_per_update"], "%.2f"),
        fmt(r["bytes_per_update"], "%.0f"),
        fmt(r["net_bytes_per_update"], "%.0f"),
        fmt(r["net_bytes_per_update_per_peer"], "%.1f"),
        fmt(r["lag_p50_ms"], "%d"), fmt(r["lag_p99_ms"], "%d"),
        fmt(r["lag_max_ms"], "%d"),
        fmt(r["settle_ms"], "%d") if r["converged"] else "timeout",
        fmt(r["coverage_pct"], "%.2f"),
        fmt(r["false_peer_deaths"], "%d")))
    return 0


def main(a):
    if a[:1] == ["ready"] and len(a) == 4:
        return ready(a[1], int(a[2]), a[3])
    if a[:1] == ["counters"] and len(a) >= 4:
        return counters(a[1], int(a[2]), a[3:])
    if a[:1] == ["idle"] and len(a) >= 3:
        return idle(a[1], a[2:])
    if a[:1] == ["wait"] and len(a) == 4:
        return wait(a[1], int(a[2]), a[3])
    if a[:1] == ["row"] and len(a) == 8:
        w = None if a[7] == "-" else a[7]
        return row(a[1], int(a[2]), a[3], a[4], a[5], a[6], w)
    if a == ["header"]:
        print("\n".join(HDR))
        return 0
    if a[:1] == ["line"] and len(a) == 2:
        return line(a[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
