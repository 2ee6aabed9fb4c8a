#!/usr/bin/env python3
"""`sop report` over a million journal records, beside the time SQLite alone takes to read them
(docs/benchmarks.md, issue 23).

    Benchmarks/report.py [--runs N] [--reminders K] [--sop PATH]

Builds a store of N runs (default 100,000) of an SOP whose reminder timer fires every hour back
into its own state; a tick K hours later (default 9) writes K records per run, so the journal
holds N × (K + 1) records (a million by default). Then, alternating, three times each:
  - the floor: `sqlite3 STORE "SELECT run, seq, record FROM journal"` to /dev/null, and the same
    read by Python's sqlite3 module (the faster of the two counts);
  - `sop report --format json` over the whole period, to /dev/null.
Prints the best time of each, the ratio, each one's CPU time (the report reads on one thread and
scans on another) and peak resident memory (GNU time).
"""
import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: loop
version: 1
title: A reminder every hour
start: waiting
states:
  waiting:
    title: Waiting
    transitions:
      - to: waiting
        after: 1h
      - to: done
        on: close
  done: {title: Done, end: done}
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r


def timed(cmd, cwd):
    """Seconds, peak RSS (MiB) and CPU seconds (user + system) of a command, its output thrown away."""
    start = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    rss, user, system = r.stderr.strip().splitlines()[-1].split()
    return elapsed, int(rss) / 1024, float(user) + float(system)


def python_floor(store):
    start = time.perf_counter()
    conn = sqlite3.connect(store)
    n = 0
    for _run, _seq, record in conn.execute("SELECT run, seq, record FROM journal"):
        n += len(record)
    conn.close()
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--reminders", type=int, default=9)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sop")
    a = p.parse_args()
    sop = os.path.abspath(a.sop) if a.sop else run([os.path.join(ROOT, "scripts", "build-release"), "sop"]).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="sop-report-bench-")
    try:
        os.makedirs(os.path.join(work, "sops"))
        with open(os.path.join(work, "sops", "loop.sop.yaml"), "w") as f:
            f.write(SOP)
        with open(os.path.join(work, "tickets.jsonl"), "w") as f:
            for i in range(a.runs):
                f.write('{"id": "T-%d", "priority": "%s"}\n' % (i, ["low", "normal", "high"][i % 3]))
        store = os.path.join(work, "runs.sqlite")
        run([sop, "start", "loop", "--tickets", "tickets.jsonl", "--now", "2026-11-02T00:00:00Z", "--store", store], cwd=work)
        run([sop, "tick", "--now", "2026-11-02T%02d:00:00Z" % a.reminders, "--store", store], cwd=work)
        records = sqlite3.connect(store).execute("SELECT count(*) FROM journal").fetchone()[0]
        floor_cli, floor_py, report, floor_rss, report_rss, floor_cpu, report_cpu = [], [], [], 0, 0, [], []
        for _ in range(a.rounds):
            t, rss, cpu = timed(["sqlite3", store, "SELECT run, seq, record FROM journal"], work)
            floor_cli.append(t)
            floor_cpu.append(cpu)
            floor_rss = max(floor_rss, rss)
            floor_py.append(python_floor(store))
            t, rss, cpu = timed([sop, "report", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "json", "--store", store], work)
            report.append(t)
            report_cpu.append(cpu)
            report_rss = max(report_rss, rss)
        floor = min(min(floor_cli), min(floor_py))
        print("journal records: %d in %d runs" % (records, a.runs))
        print("floor, sqlite3 CLI: %.2f s (CPU %.2f s, peak %.0f MiB); Python sqlite3: %.2f s"
              % (min(floor_cli), min(floor_cpu), floor_rss, min(floor_py)))
        print("sop report --format json: %.2f s (CPU %.2f s on two threads, %.0f records/s, peak %.0f MiB)"
              % (min(report), min(report_cpu), records / min(report), report_rss))
        print("report / floor: %.2fx wall, %.2fx CPU (against the sqlite3 CLI's)" % (min(report) / floor, min(report_cpu) / min(floor_cpu)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
