#!/usr/bin/env python3
"""`sop simulate` against `sop verify` over the same recorded runs, in the same run
(docs/benchmarks.md, issue 35). Both replay every run's journal; the promise is that simulate
takes no more than 1.5 times what verify takes.

    Benchmarks/simulate-vs-verify.py [--runs N] [--rounds R] [--sop PATH]

Builds a store of N runs (default 100,000) of an SOP that triages a ticket by its amount, then
waits on a timer and a reminder: `sop start --tickets` and two `sop tick`s give each run 4
journal records in 3 steps (the start with an automatic transition, two timer steps). Then,
alternating, R times each (default 3):
  - `sop verify` (every run);
  - `sop simulate` of the recorded SOP itself (every run identical);
  - `sop simulate` of a candidate with the triage bound tightened (about a quarter of the runs
    diverge, and their replay goes on under the candidate).
Prints the best time of each, CPU time, peak resident memory (GNU time) and the ratios to verify.
`--sop` takes a built `sop` (default: scripts/build-release's).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: bench
version: 1
title: Triage by amount
start: triage
states:
  triage:
    title: Triage
    transitions:
      - to: small
        when: ticket.amount <= 100
      - to: large
  small:
    title: Small
    transitions:
      - {to: reminded, after: 1h}
  large:
    title: Large
    transitions:
      - {to: reminded, after: 2h}
  reminded:
    title: Reminded
    transitions:
      - {to: closed, after: 1d}
      - {to: closed, on: close}
  closed: {title: Closed, end: closed}
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
    if r.returncode not in (0, 1):
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    rss, user, system = r.stderr.strip().splitlines()[-1].split()
    return elapsed, int(rss) / 1024, float(user) + float(system)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sop")
    a = p.parse_args()
    sop = os.path.abspath(a.sop) if a.sop else run([os.path.join(ROOT, "scripts", "build-release"), "sop"]).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="sop-simulate-bench-")
    try:
        os.makedirs(os.path.join(work, "sops"))
        with open(os.path.join(work, "sops", "bench.sop.yaml"), "w") as f:
            f.write(SOP)
        with open(os.path.join(work, "tightened.sop.yaml"), "w") as f:
            f.write(SOP.replace("version: 1", "version: 2").replace("ticket.amount <= 100", "ticket.amount <= 50"))
        with open(os.path.join(work, "tickets.jsonl"), "w") as f:
            for i in range(a.runs):
                f.write('{"id": "T-%d", "amount": %d}\n' % (i, (i * 37) % 200))
        store = os.path.join(work, "runs.sqlite")
        started = time.perf_counter()
        run([sop, "start", "bench", "--tickets", "tickets.jsonl", "--now", "2026-11-02T00:00:00Z", "--store", store], cwd=work)
        run([sop, "tick", "--now", "2026-11-02T03:00:00Z", "--store", store], cwd=work)
        run([sop, "tick", "--now", "2026-11-04T00:00:00Z", "--store", store], cwd=work)
        print("store of %d runs built in %.1f s" % (a.runs, time.perf_counter() - started))
        commands = {
            "verify": [sop, "verify", "--store", store],
            "simulate (identical)": [sop, "simulate", "sops/bench.sop.yaml", "--format", "json", "--store", store],
            "simulate (tightened)": [sop, "simulate", "tightened.sop.yaml", "--format", "json", "--store", store],
        }
        times = {name: [] for name in commands}
        cpus = {name: [] for name in commands}
        rss = {name: 0.0 for name in commands}
        for _ in range(a.rounds):
            for name, cmd in commands.items():
                t, m, c = timed(cmd, work)
                times[name].append(t)
                cpus[name].append(c)
                rss[name] = max(rss[name], m)
        summary = run(commands["simulate (tightened)"], cwd=work).stdout
        diverged = summary.split('"diverged":')[1].split(",")[0]
        records = run([sop, "verify", "--store", store], cwd=work).stdout.strip()
        print("verify: %s" % records)
        print("tightened candidate: %s of %d runs diverged" % (diverged, a.runs))
        base = min(times["verify"])
        for name in commands:
            print("%-22s best %.2f s of %s (CPU %.2f s, peak %.0f MiB), %.2fx verify"
                  % (name, min(times[name]), ", ".join("%.2f" % t for t in times[name]), min(cpus[name]), rss[name], min(times[name]) / base))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
