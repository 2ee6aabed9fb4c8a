#!/usr/bin/env python3
"""sopkit's durable paths against their floor, in one run (docs/benchmarks.md).

    Benchmarks/durable-floor.py [--runs N] [--steps K] [--sop PATH]

The floor (Benchmarks/floor/floor.c, built here with the system SQLite) does the same writes
with nothing else: WAL, synchronous=FULL, sopkit's tables. Measured, alternating sop and floor:
  - one step as a whole process: `sop step RUN --event answer` against `floor step`
    (K of each, medians);
  - a tick over N due runs, 5,000 per transaction: `sop tick` against `floor tick`;
  - starting N runs, 5,000 per transaction: `sop start --tickets` against `floor insert`.
Each result is printed as the ratio sop / floor. The shipping build (scripts/build-release) is
measured unless --sop names another binary.
"""
import argparse
import os
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
    p.add_argument("--steps", type=int, default=21)
    p.add_argument("--sop")
    a = p.parse_args()
    subprocess.run([os.path.join(ROOT, "scripts", "bootstrap")], check=True)
    sop = os.path.abspath(a.sop) if a.sop else subprocess.run([os.path.join(ROOT, "scripts", "build-release"), "sop"], check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="sop-floor-")
    floor = os.path.join(work, "floor")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(ROOT, "Benchmarks", "floor", "floor.c"), "-lsqlite3"], check=True)
    os.makedirs(os.path.join(work, "sops"))
    with open(os.path.join(work, "sops", "floor.sop.yaml"), "w") as f:
        f.write(SOP)
    tickets = os.path.join(work, "tickets.jsonl")
    with open(tickets, "w") as f:
        for i in range(a.runs):
            f.write('{"id": "T-%d"}\n' % i)
    t0 = "2026-11-02T09:00:00Z"
    later = "2026-11-02T11:00:00Z"
    env = dict(os.environ, SOP_STORE=os.path.join(work, "runs.sqlite"))

    # Starting N runs (alternately: floor, sop).
    fdb = os.path.join(work, "floor.sqlite")
    floor_insert, _ = timed([floor, "insert", fdb, str(a.runs)])
    sop_start, _ = timed([sop, "start", "floor", "--tickets", tickets, "--now", t0], cwd=work, env=env)

    # One step as a process, on runs of the stores just filled.
    subprocess.run([floor, "init", fdb, str(a.steps)], check=True)
    ids = subprocess.run([sop, "runs", "--format", "json"], cwd=work, env=env, capture_output=True, text=True).stdout
    import json
    run_ids = [r["run"] for r in json.loads(ids)][: a.steps]
    floor_steps, sop_steps = [], []
    for i in range(a.steps):
        floor_steps.append(timed([floor, "step", fdb, "f-%d" % i])[0])
        sop_steps.append(timed([sop, "step", run_ids[i], "--event", "answer", "--now", t0], cwd=work, env=env)[0])
    start_up = statistics.median(timed([sop, "--version"])[0] for _ in range(a.steps))

    # A tick over the runs still due.
    tdb = os.path.join(work, "floor-tick.sqlite")
    subprocess.run([floor, "init", tdb, str(a.runs)], check=True)
    floor_tick, n = timed([floor, "tick", tdb, "1"])
    sop_tick, out = timed([sop, "tick", "--now", later], cwd=work, env=env)

    f_step, s_step = statistics.median(floor_steps), statistics.median(sop_steps)
    print("one step as a process: sop %.1f ms, floor %.1f ms: %.2fx  (sop --version: %.1f ms)"
          % (s_step * 1000, f_step * 1000, s_step / f_step, start_up * 1000))
    print("tick over %d due runs: sop %.2f s (%s), floor %.2f s (%s runs): %.2fx"
          % (a.runs, sop_tick, out.strip(), floor_tick, n.strip(), sop_tick / floor_tick))
    print("start %d runs: sop %.2f s, floor %.2f s: %.2fx" % (a.runs, sop_start, floor_insert, sop_start / floor_insert))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
