#!/usr/bin/env python3
"""A tick over runs whose timers are business timers, beside the same tick with wall-clock timers
(docs/benchmarks.md, issue 22).

    Benchmarks/business-timers.py [--runs N] [--rounds R] [--sop PATH]

Two SOPs alike but for the timer: `after: 1h` and `after: {business: 1h, calendar: team}` (Mon–Fri
09:00–12:00 and 13:00–18:00 in Europe/Berlin, three yearly holidays). Each round starts N runs of
each (`sop start --tickets`, a store of its own) and ticks them all due; the rounds alternate the
two so drift of this shared machine falls on both. Prints the best time of each and the ratio.
The shipping build (scripts/build-release) is measured unless --sop names another binary.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: {id}
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
        after: {after}
  answered: {{title: Answered, end: answered}}
  closed: {{title: Closed, end: closed}}
"""

CALENDAR = """calendar: team
time_zone: Europe/Berlin
week:
  mon: ["09:00-12:00", "13:00-18:00"]
  tue: ["09:00-12:00", "13:00-18:00"]
  wed: ["09:00-12:00", "13:00-18:00"]
  thu: ["09:00-12:00", "13:00-18:00"]
  fri: ["09:00-12:00", "13:00-18:00"]
holidays: [{every_year: 12-25}, {every_year: 12-26}, {every_year: 01-01}]
"""


def timed(cmd, **kw):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return elapsed, r.stdout.strip()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sop")
    a = p.parse_args()
    sop = os.path.abspath(a.sop) if a.sop else subprocess.run([os.path.join(ROOT, "scripts", "build-release"), "sop"], check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="sop-business-bench-")
    try:
        os.makedirs(os.path.join(work, "sops", "calendars"))
        for name, after in [("wall", "1h"), ("business", "{business: 1h, calendar: team}")]:
            with open(os.path.join(work, "sops", name + ".sop.yaml"), "w") as f:
                f.write(SOP.format(id=name, after=after))
        with open(os.path.join(work, "sops", "calendars", "team.calendar.yaml"), "w") as f:
            f.write(CALENDAR)
        tickets = os.path.join(work, "tickets.jsonl")
        with open(tickets, "w") as f:
            for i in range(a.runs):
                f.write('{"id": "T-%d"}\n' % i)
        # Friday 17:30 in Berlin: the business timer is due on Monday at 09:30, the other at 17:30.
        t0, later = "2026-11-06T16:30:00Z", "2026-11-09T12:00:00Z"
        best = {}
        for r in range(a.rounds):
            for name in (["wall", "business"] if r % 2 == 0 else ["business", "wall"]):
                store = os.path.join(work, "%s-%d.sqlite" % (name, r))
                start, _ = timed([sop, "start", name, "--tickets", tickets, "--now", t0, "--store", store], cwd=work)
                tick, out = timed([sop, "tick", "--now", later, "--store", store], cwd=work)
                if not out.startswith("%d runs due, %d transitions taken" % (a.runs, a.runs)):
                    sys.exit("unexpected tick: " + out)
                s, t = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(s, start), min(t, tick))
                os.remove(store)
        for name in ["wall", "business"]:
            s, t = best[name]
            print("%-8s timers: start %d runs %.2f s (%.0f runs/s), tick %.2f s (%.0f runs/s)" % (name, a.runs, s, a.runs / s, t, a.runs / t))
        print("business / wall-clock time: start %.2fx, tick %.2fx"
              % (best["business"][0] / best["wall"][0], best["business"][1] / best["wall"][1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
