#!/usr/bin/env python3
"""`sop serve` at a year's scale, on SQLite and on PostgreSQL, in one run (docs/benchmarks.md).

    Benchmarks/server-scale.py [--runs N] [--seconds S] [--connections C] [--sop PATH] [--only sqlite|postgres]

For each store (SQLite, then PostgreSQL on a throwaway cluster from scripts/postgres):

- a small store (1,024 runs) and a big one (--runs, default 1,000,000), each made with
  `sop start --tickets`, of one SOP whose state loops on `ping` and holds a 30-day timer (every
  run has a due time, none falls due);
- wrk (Debian's package; installed when missing) with C connections for S seconds, each request
  `POST /v1/runs/{run}/steps {"event": "ping"}` on 1,024 runs in turn (on the big store, runs
  spread over it): steps/s, p50, p90, p99, timeouts (wrk gives up on an answer after 2 s);
- the same load on the big store while two clients ask `GET /v1/report` one after the other, the
  whole time (each report reads every record of the store);
- every 2xx answer is a committed step: the journal is counted before and after each load.

The small store is measured first, --rounds times, each load followed by its floor (the
machine's speed drifts: each ratio is to the floor measured beside it):

- SQLite: Benchmarks/floor/floor.c's group mode, the least a durable step costs (read a run,
  update it, append a 400-byte record) in transactions of C steps, WAL, synchronous=FULL;
- PostgreSQL: pgbench's TPC-B-like transaction with C clients (scale 10);

and once at 128 connections. Then the big store is made, settled (on PostgreSQL, VACUUM ANALYZE
and a CHECKPOINT: after a million inserts the server does them in the background for minutes)
and measured alone and with reports beside. It prints the ratios the issue asks for: big store
p99 / small store p99, and with reports / without (steps/s and p99).

The release builds are measured (.build/release/sop and sopd, built first), or --sop PATH.
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: bench
version: 1
title: A run an agent pings
start: open
roles: [agent]
states:
  open:
    title: Open
    transitions:
      - to: open
        on: ping
      - to: closed
        after: 30d
  closed: {title: Closed, end: closed}
"""


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def _server_load():
    """Benchmarks/server-load.py, whose wrk install and release build this script shares."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("server_load", os.path.join(ROOT, "Benchmarks", "server-load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _server_load()
ensure_wrk, build = _shared.ensure_wrk, _shared.build


def make_store(sop, work, store, runs):
    """A store of `runs` runs of the bench SOP; the ids of 1,024 of them, spread over it."""
    tickets = os.path.join(work, f"tickets-{runs}.jsonl")
    if not os.path.exists(tickets):
        with open(tickets, "w") as f:
            for i in range(runs):
                f.write('{"id": "T-%d", "customer": {"tier": "gold", "since": 2019}}\n' % i)
    started = time.perf_counter()
    run(sop, "start", "bench", "--tickets", tickets, "--store", store, cwd=work)
    made = time.perf_counter() - started
    every = max(1, runs // 1024)
    ids, cursor, seen = [], None, 0
    while len(ids) < 1024:
        args = [sop, "runs", "--store", store, "--format", "json", "--limit", "10000"] + (["--after", cursor] if cursor else [])
        page = json.loads(run(*args, cwd=work).stdout)
        for r in page["runs"]:
            if seen % every == 0 and len(ids) < 1024:
                ids.append(r["run"])
            seen += 1
        cursor = page.get("next")
        if not cursor:
            break
    return ids, made


class Server:
    def __init__(self, sop, work, store):
        self.work, self.store = work, store
        self.token = json.loads(run(sop, "token", "create", "--actor", "load", "--roles", "agent,supervisor", "--store", store,
                                    "--format", "json", cwd=work).stdout)["token"]
        self.process = subprocess.Popen([sop, "serve", "--store", store, "--port", "0", "--log-level", "error"], cwd=work,
                                        stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().split()[-1]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def journal_count(server):
    req = urllib.request.Request(server.url + "/readyz")
    return json.load(urllib.request.urlopen(req))["journal_position"]


def wrk(server, ids, seconds, connections, work):
    script = os.path.join(work, "step.lua")
    with open(script, "w") as f:
        f.write("local ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
        f.write('wrk.method = "POST"\nwrk.body = \'{"event": "ping"}\'\n')
        f.write(f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {server.token}"\n')
        f.write("local n = 0\nrequest = function()\n  n = n + 1\n"
                "  return wrk.format(nil, \"/v1/runs/\" .. ids[(n % #ids) + 1] .. \"/steps\")\nend\n"
                "done = function(summary, latency, requests)\n"
                "  io.write(string.format(\"P90 %d\\n\", latency:percentile(90)))\nend\n")
    out = run("wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script, server.url).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    timeouts = int(m.group(1)) if (m := re.search(r"timeout (\d+)", out)) else 0

    def pct(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    p90 = int(re.search(r"P90 (\d+)", out).group(1)) / 1000
    return {"rate": rate, "total": total, "non2xx": non2xx, "timeouts": timeouts, "p50": pct(50), "p90": p90, "p99": pct(99)}


def reports_beside(server, stop, done):
    """Asks for the report, one after the other, until `stop` is set; appends each one's seconds."""
    while not stop.is_set():
        started = time.perf_counter()
        req = urllib.request.Request(server.url + "/v1/report", headers={"Authorization": f"Bearer {server.token}"})
        try:
            with urllib.request.urlopen(req, timeout=600) as answer:
                answer.read()
            done.append(time.perf_counter() - started)
        except urllib.error.HTTPError as e:
            done.append(f"HTTP {e.code}")
            time.sleep(1)


def load(sop, work, store, ids, seconds, connections, reports=0):
    server = Server(sop, work, store)
    try:
        # Warm up: the first answers read the runs' pages.
        wrk(server, ids, 3, connections, work)
        before = journal_count(server)
        stop, done, threads = threading.Event(), [], []
        for _ in range(reports):
            t = threading.Thread(target=reports_beside, args=(server, stop, done))
            t.start()
            threads.append(t)
        if reports:
            time.sleep(1)
        result = wrk(server, ids, seconds, connections, work)
        stop.set()
        for t in threads:
            t.join()
        written = journal_count(server) - before
        if written < result["total"] - result["non2xx"] - result["timeouts"]:
            sys.exit(f"answered steps are missing from the journal: {written} written, {result['total']} answered")
        result["reports"] = done
        return result
    finally:
        server.stop()


def line(name, r):
    extra = ""
    if r.get("reports"):
        times = [t for t in r["reports"] if isinstance(t, float)]
        extra = f"; {len(times)} reports beside, {min(times):.1f}–{max(times):.1f} s each" if times else f"; reports: {r['reports']}"
    return (f"{name:<44} {r['rate']:8.0f} steps/s  p50 {r['p50']:7.2f} ms  p90 {r['p90']:7.2f} ms  p99 {r['p99']:7.2f} ms  "
            f"timeouts {r['timeouts']}  not 2xx {r['non2xx']}{extra}")


def settle(store):
    """After a million inserts PostgreSQL vacuums and checkpoints in the background for minutes;
    do it now, so that it does not fall in a measurement."""
    if store.startswith("postgres://"):
        psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
        plain = store.partition("?")[0].replace("postgres://", "").split("@")[1]
        host, rest = plain.split(":")
        port, db = rest.split("/")
        # Each -c on its own: VACUUM cannot run in the transaction a multi-statement string is.
        run(psql, "-h", host, "-p", port, "-U", "sopkit", "-d", db, "-q", "-c", "VACUUM ANALYZE", "-c", "CHECKPOINT")
    else:
        import sqlite3
        with sqlite3.connect(store) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def measure(sop, work, name, small_store, big_store, runs, seconds, connections, floor, rounds):
    """The small store against its floor (alternating, `rounds` times), then the big store."""
    small_ids, _ = make_store(sop, work, small_store, 1024)
    settle(small_store)
    ratios, smalls = [], []
    for i in range(rounds):
        small = load(sop, work, small_store, small_ids, seconds, connections)
        smalls.append(small)
        print(line(f"{name}, 1,024 runs, {connections} connections", small), flush=True)
        base = floor(connections)
        ratios.append(small["rate"] / base)
        print(f"{name} floor ({floor.__doc__}), {connections}: {base:.0f}/s; HTTP steps / floor = {ratios[-1]:.2f}", flush=True)
    wide = load(sop, work, small_store, small_ids, seconds, 128)
    print(line(f"{name}, 1,024 runs, 128 connections", wide), flush=True)
    if name == "SQLite":
        # (PostgreSQL as scripts/postgres starts it takes 100 connections: no pgbench at 128.)
        base = floor(128)
        print(f"{name} floor ({floor.__doc__}), 128: {base:.0f}/s; HTTP steps / floor = {wide['rate'] / base:.2f}", flush=True)
    print(f"{name}: HTTP steps / floor at {connections}, median of {rounds}: {sorted(ratios)[len(ratios) // 2]:.2f}", flush=True)
    small = sorted(smalls, key=lambda r: r["p99"])[len(smalls) // 2]
    big_ids, made = make_store(sop, work, big_store, runs)
    settle(big_store)
    print(f"{name}: made a store of {runs:,} runs in {made:.0f} s", flush=True)
    big = load(sop, work, big_store, big_ids, seconds, connections)
    print(line(f"{name}, {runs:,} runs", big), flush=True)
    beside = load(sop, work, big_store, big_ids, seconds, connections, reports=2)
    print(line(f"{name}, {runs:,} runs, two reports beside", beside), flush=True)
    print(f"{name}: big store p99 / small store p99 (median of {rounds}) = {big['p99'] / small['p99']:.2f} (goal: at most 1.5)")
    print(f"{name}: with reports / without: steps {beside['rate'] / big['rate']:.2f} (goal: at least 0.8), "
          f"p99 {beside['p99'] / big['p99']:.2f} (goal: at most 1.5), timeouts {beside['timeouts']} (goal: 0)", flush=True)


def sqlite_floor(work):
    def floor(k):
        """floor.c, group commit"""
        binary = os.path.join(work, "floor")
        if not os.path.exists(binary):
            subprocess.run(["cc", "-O2", "-o", binary, os.path.join(ROOT, "Benchmarks/floor/floor.c"), "-lsqlite3"], check=True)
        db = os.path.join(work, f"floor-{k}.db")
        if not os.path.exists(db):
            run(binary, "init", db, "1024")
        return float(run(binary, "group", db, str(k)).stdout)
    return floor


def pgbench(url, seconds):
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[-1]
    plain = url.replace("postgres://", "").split("@")[1]
    host, rest = plain.split(":")
    port, db = rest.split("/")
    conn = ["-h", host, "-p", port, "-U", "sopkit", db]
    subprocess.run([binary, "-i", "-q", "-s", "10", *conn], check=True, capture_output=True)

    def floor(clients):
        """pgbench TPC-B-like"""
        out = run(binary, "-c", str(clients), "-j", "2", "-T", str(seconds), *conn).stdout
        return float(re.search(r"tps = ([0-9.]+)", out).group(1))
    return floor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--sop", help="the sop binary (default: a release build)")
    ap.add_argument("--only", choices=["sqlite", "postgres"])
    ap.add_argument("--rounds", type=int, default=3, help="small-store loads, each beside its floor")
    args = ap.parse_args()
    ensure_wrk()
    sop = os.path.abspath(args.sop) if args.sop else build()
    work = tempfile.mkdtemp(prefix="sop-scale-")
    os.makedirs(os.path.join(work, "sops"))
    with open(os.path.join(work, "sops", "bench.sop.yaml"), "w") as f:
        f.write(SOP)
    try:
        if args.only != "postgres":
            measure(sop, work, "SQLite", os.path.join(work, "small.sqlite"), os.path.join(work, "big.sqlite"),
                    args.runs, args.seconds, args.connections, sqlite_floor(work), args.rounds)
            for f in glob.glob(os.path.join(work, "*.sqlite*")):
                os.remove(f)
        if args.only != "sqlite":
            subprocess.run([os.path.join(ROOT, "scripts", "bootstrap")], check=True, stdout=sys.stderr)
            pgdir = tempfile.mkdtemp(prefix="sop-scale-pg-")
            url = run(os.path.join(ROOT, "scripts", "postgres"), "start", pgdir).stdout.strip()
            try:
                measure(sop, work, "PostgreSQL", url + "?sslmode=disable&schema=small", url + "?sslmode=disable&schema=big",
                        args.runs, args.seconds, args.connections, pgbench(url, args.seconds), args.rounds)
            finally:
                subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", pgdir])
                shutil.rmtree(pgdir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
