#!/usr/bin/env python3
"""`sop serve` under load, beside `sop tick` in the same run (docs/benchmarks.md).

    Benchmarks/server-load.py [--seconds S] [--connections C] [--runs N] [--tick-runs N] [--rss-runs N]

- Steps: wrk (Debian's package; installed when missing) with C connections on loopback, each
  request `POST /v1/runs/{run}/steps {"event": "ping"}` on one of N runs in turn, for S
  seconds. Every answered step is durable (committed, synchronous=FULL) before its answer; the
  journal is counted before and after to prove it. Prints steps/s, p50 and p99.
- The floor it is compared with: `sop tick` over the same SOP on --tick-runs due runs, in the
  same store format, on the same machine, right after: transitions/s.
- The HTTP floor: the same server answering `GET /healthz` (no store, no token) with the same
  wrk settings: what the HTTP stack alone allows on this machine.
- Memory: the server's peak RSS (VmHWM) after serving load over a store of --rss-runs runs.

The release builds are measured: .build/release/sop and .build/release/sopd (built first with
`swift build -c release`).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: bench
version: 1
title: A run an agent pings
start: open
states:
  open:
    title: Open
    transitions:
      - to: open
        on: ping
      - to: closed
        after: 1m
  closed: {title: Closed, end: closed}
"""


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def build():
    for product in ("sop", "sopd"):
        subprocess.run(["swift", "build", "--package-path", ROOT, "-c", "release", "--product", product], check=True,
                       stdout=sys.stderr)
    return os.path.join(ROOT, ".build/release/sop")


def workspace(sop, runs, now):
    d = tempfile.mkdtemp(prefix="sop-load-")
    os.makedirs(os.path.join(d, "sops"))
    with open(os.path.join(d, "sops", "bench.sop.yaml"), "w") as f:
        f.write(SOP)
    tickets = os.path.join(d, "tickets.jsonl")
    with open(tickets, "w") as f:
        for i in range(runs):
            f.write(json.dumps({"id": f"T-{i}"}) + "\n")
    store = os.path.join(d, "runs.sqlite")
    run(sop, "start", "bench", "--tickets", tickets, "--store", store, "--now", now, cwd=d)
    return d, store


def serve(sop, d, store):
    token = json.loads(run(sop, "token", "create", "--actor", "load", "--roles", "agent", "--store", store, "--format", "json",
                           cwd=d).stdout)["token"]
    server = subprocess.Popen([sop, "serve", "--store", store, "--port", "0", "--log-level", "error"], cwd=d,
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().split()[-1]
    return server, url, token


def journal_count(store):
    import sqlite3
    with sqlite3.connect(store) as db:
        return db.execute("SELECT count(*) FROM journal").fetchone()[0]


def wrk(url, token, ids, seconds, connections, d):
    script = os.path.join(d, "step.lua")
    with open(script, "w") as f:
        f.write("local ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
        f.write(f'wrk.method = "POST"\nwrk.body = \'{{"event": "ping"}}\'\n')
        f.write(f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {token}"\n')
        f.write("local n = 0\nrequest = function()\n  n = n + 1\n"
                "  return wrk.format(nil, \"/v1/runs/\" .. ids[(n % #ids) + 1] .. \"/steps\")\nend\n")
    out = run("wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script, url).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0

    def pct(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rate, total, non2xx, pct(50), pct(99), out


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--runs", type=int, default=1024)
    ap.add_argument("--tick-runs", type=int, default=50000)
    ap.add_argument("--rss-runs", type=int, default=100000)
    ap.add_argument("--sop", help="the sop binary (default: a release build)")
    args = ap.parse_args()
    ensure_wrk()
    sop = os.path.abspath(args.sop) if args.sop else build()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    # Steps through the server.
    d, store = workspace(sop, args.runs, now)
    ids = [r["run"] for r in json.loads(run(sop, "runs", "--store", store, "--format", "json", cwd=d).stdout)]
    server, url, token = serve(sop, d, store)
    before = journal_count(store)
    rate, total, non2xx, p50, p99, out = wrk(url, token, ids, args.seconds, args.connections, d)
    bare = run("wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.seconds}s", url + "/healthz").stdout
    bare_rate = float(re.search(r"Requests/sec:\s+([\d.]+)", bare).group(1))
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    written = journal_count(store) - before
    print(out, file=sys.stderr)
    print(f"server: {rate:.0f} durable steps/s with {args.connections} connections on {len(ids)} runs; "
          f"p50 {p50:.2f} ms, p99 {p99:.2f} ms; {total} requests, {non2xx} not 2xx; {written} journal records written "
          f"(exit {server.returncode})")
    print(f"http floor: {bare_rate:.0f} GET /healthz answers/s, same server and wrk settings; steps / floor = {rate / bare_rate:.2f}")
    if written < total - non2xx:
        sys.exit("answered steps are missing from the journal")
    shutil.rmtree(d)

    # The floor: sop tick on due runs of the same SOP, same machine, now.
    d, store = workspace(sop, args.tick_runs, now)
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 120))
    started = time.perf_counter()
    tick = json.loads(run(sop, "tick", "--store", store, "--now", later, "--format", "json", cwd=d).stdout)
    elapsed = time.perf_counter() - started
    tick_rate = tick["transitions"] / elapsed
    print(f"sop tick: {tick_rate:.0f} transitions/s ({tick['transitions']} in {elapsed:.2f} s)")
    print(f"ratio: server steps/s / tick transitions/s = {rate / tick_rate:.2f} (goal: at least 0.5)")
    shutil.rmtree(d)

    # Memory with many runs in the store.
    d, store = workspace(sop, args.rss_runs, now)
    ids = [r["run"] for r in json.loads(run(sop, "runs", "--store", store, "--format", "json", "--limit", "1024", cwd=d).stdout)["runs"]]
    server, url, token = serve(sop, d, store)
    wrk(url, token, ids, 5, args.connections, d)
    # A full listing pages through every run.
    import urllib.request
    cursor, listed = None, 0
    while True:
        q = f"{url}/v1/runs?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = json.load(urllib.request.urlopen(urllib.request.Request(q, headers={"Authorization": f"Bearer {token}"})))
        listed += len(page["runs"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    rss = peak_rss_mib(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    print(f"memory: peak RSS {rss:.0f} MiB with {args.rss_runs} runs in the store ({listed} listed, load served) (goal: under 200)")
    shutil.rmtree(d)


if __name__ == "__main__":
    main()
