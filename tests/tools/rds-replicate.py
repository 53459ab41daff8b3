#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# A stand-in for apsmd in tests and the demo, until apsmd replicates the
# RDS: it follows `apsmctl -j monitor rds` output files (WORKDIR/rdsmonI.json,
# one per node, written by the caller) and installs every new entry of one
# node on the others with `apsmctl -n NS flow install`. Runs until killed.
#
#   rds-replicate.py APSMCTL WORKDIR NS0 NS1 NS2
import json, subprocess, sys, time
ctl, work, ns = sys.argv[1], sys.argv[2], sys.argv[3:]
pos = [0, 0, 0]
buf = ["", "", ""]
dec = json.JSONDecoder()
def msgs(i):
    try:
        with open("%s/rdsmon%d.json" % (work, i)) as f:
            f.seek(pos[i])
            data = f.read()
    except FileNotFoundError:
        return []
    pos[i] += len(data)
    buf[i] += data
    out = []
    while True:
        b = buf[i].lstrip()
        if not b:
            buf[i] = ""
            break
        try:
            m, end = dec.raw_decode(b)
        except ValueError:
            buf[i] = b
            break
        out.append(m)
        buf[i] = b[end:]
    return out
while True:
    for i in range(3):
        for m in msgs(i):
            if m.get("op") != "new":
                continue
            fl = m["flow"]
            args = ["flow", "install", "dir", fl["dir"], "proto", str(fl["proto"]),
                    "src", fl["src"], "sport", str(fl["sport"]), "dst", fl["dst"],
                    "dport", str(fl["dport"]), "spi", str(fl["spi"]),
                    "path", ",".join(str(p) for p in fl["path_ids"]),
                    "origin", str(fl["origin"]), "version", str(fl["version"])]
            for j in range(3):
                if j != i:
                    r = subprocess.run([ctl, "-n", ns[j]] + args)
                    print("install on", ns[j], args, "->", r.returncode, flush=True)
    time.sleep(0.05)
