#!/usr/bin/env python3
"""The PostgreSQL store beside the SQLite store and beside pgbench, in one run (docs/benchmarks.md).

    Benchmarks/postgres-store.py [--runs N] [--steps K] [--pgbench-seconds S] [--sop PATH]

On a throwaway cluster (scripts/postgres: fsync and synchronous_commit on, as shipped), measures:
  - starting N runs (`sop start --tickets`, 5,000 per transaction) and a tick over the N due runs
    (`sop tick`), on SQLite and on PostgreSQL;
  - one step as a whole process (`sop step`, K of each, medians): a PostgreSQL command connects
    and checks the migrations first;
  - pgbench's TPC-B-like transactions per second with one client (sop's CLI and a server's
    service thread write through one connection): the floor of what this PostgreSQL does.
Prints each result and the ratios. The shipping build (scripts/build-release) is measured unless
--sop names another binary.
"""
import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: floor
version: 1
title: One step, one timer
start: waiting
states:
  waiting:
    title: Waiting for an answer
    transitions:
      - to: answered
        on: answer
      - to: closed
        after: 1h
  answered: {title: Answered, end: answered}
  closed: {title: Closed, end: closed}
"""


def timed(cmd, **kw):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return elapsed, r.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=11)
    p.add_argument("--pgbench-seconds", type=int, default=20)
    p.add_argument("--sop")
    a = p.parse_args()
    subprocess.run([os.path.join(ROOT, "scripts", "bootstrap")], check=True)
    sop = os.path.abspath(a.sop) if a.sop else subprocess.run([os.path.join(ROOT, "scripts", "build-release"), "sop"], check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="sop-pg-bench-")
    # Its own folder under the temporary directory: the cluster's owner (not root) must reach it.
    pgdir = tempfile.mkdtemp(prefix="sop-pg-cluster-")
    url = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", pgdir], check=True, capture_output=True,
                         text=True).stdout.strip()
    try:
        os.makedirs(os.path.join(work, "sops"))
        with open(os.path.join(work, "sops", "floor.sop.yaml"), "w") as f:
            f.write(SOP)
        tickets = os.path.join(work, "tickets.jsonl")
        with open(tickets, "w") as f:
            for i in range(a.runs):
                f.write('{"id": "T-%d"}\n' % i)
        t0, later = "2026-11-02T09:00:00Z", "2026-11-02T11:00:00Z"
        stores = {"SQLite": os.path.join(work, "runs.sqlite"), "PostgreSQL": url + "?sslmode=disable&schema=bench"}
        results = {}
        for name, store in stores.items():
            start, _ = timed([sop, "start", "floor", "--tickets", tickets, "--now", t0, "--store", store], cwd=work)
            ids = json.loads(subprocess.run([sop, "runs", "--format", "json", "--limit", str(a.steps), "--store", store], cwd=work,
                                            capture_output=True, text=True, check=True).stdout)
            steps = [timed([sop, "step", r["run"], "--event", "answer", "--now", t0, "--store", store], cwd=work)[0] for r in ids["runs"]]
            tick, out = timed([sop, "tick", "--now", later, "--store", store], cwd=work)
            results[name] = (start, statistics.median(steps), tick, out.strip())

        # The floor: pgbench, TPC-B-like, one client, on the same cluster.
        pgbench = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[-1]
        plain = url.replace("postgres://", "").split("@")[1]
        host, rest = plain.split(":")
        port, db = rest.split("/")
        conn = ["-h", host, "-p", port, "-U", "sopkit", db]
        subprocess.run([pgbench, "-i", "-q", "-s", "10", *conn], check=True, capture_output=True)
        out = subprocess.run([pgbench, "-c", "1", "-j", "1", "-T", str(a.pgbench_seconds), *conn], check=True, capture_output=True,
                             text=True).stdout
        tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))

        for name, (start, step, tick, out) in results.items():
            print("%-10s start %d runs: %.2f s (%.0f runs/s)  tick: %.2f s (%.0f runs/s; %s)  one step as a process: %.1f ms"
                  % (name, a.runs, start, a.runs / start, tick, a.runs / tick, out, step * 1000))
        s, pg = results["SQLite"], results["PostgreSQL"]
        print("pgbench (TPC-B-like, 1 client, %d s): %.0f transactions/s" % (a.pgbench_seconds, tps))
        print("PostgreSQL / SQLite time: start %.2fx, tick %.2fx, one step %.2fx" % (pg[0] / s[0], pg[2] / s[2], pg[1] / s[1]))
        print("PostgreSQL tick runs/s over pgbench transactions/s: %.2f" % ((a.runs / pg[2]) / tps))
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", pgdir])
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pgdir, ignore_errors=True)


if __name__ == "__main__":
    main()
