#!/usr/bin/env python3
"""`sop migrate` of N runs in flight beside `sop tick` firing N timers (docs/benchmarks.md, issue 35).

    Benchmarks/migrate-vs-tick.py [--runs N] [--rounds R] [--sop PATH]

Each round starts N runs of a one-timer SOP (`sop start --tickets`) into a store, copies it, then
ticks one copy past the timers (N timers fire: N records, N run rows written) and migrates the
other to version 2 of the SOP, whose timer is longer (N migrate records, N run rows written and
repinned). The rounds alternate the order so drift of this shared machine falls on both. Prints
the best time of each and the ratio migrate / tick (the issue's bound: 2). The shipping build
(scripts/build-release) is measured unless --sop names another binary.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOP = """sop: parcel
version: {version}
title: Parcel claim
start: waiting
states:
  waiting:
    title: Wait for the carrier
    transitions:
      - to: answered
        on: answer
      - to: chase
        after: {after}
        role: system
  chase:
    title: Chase the carrier
    transitions: [{{to: answered, on: answer}}]
  answered: {{title: Answered, end: answered}}
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
    work = tempfile.mkdtemp(prefix="sop-migrate-bench-")
    try:
        os.makedirs(os.path.join(work, "sops"))
        with open(os.path.join(work, "sops", "parcel.sop.yaml"), "w") as f:
            f.write(SOP.format(version=1, after="1h"))
        with open(os.path.join(work, "parcel-v2.sop.yaml"), "w") as f:
            f.write(SOP.format(version=2, after="4h"))
        tickets = os.path.join(work, "tickets.jsonl")
        with open(tickets, "w") as f:
            for i in range(a.runs):
                f.write('{"id": "T-%d"}\n' % i)
        t0, due, before_due = "2026-11-02T09:00:00Z", "2026-11-02T11:00:00Z", "2026-11-02T09:30:00Z"
        best = {"tick": float("inf"), "migrate": float("inf")}
        for r in range(a.rounds):
            base = os.path.join(work, "base-%d.sqlite" % r)
            timed([sop, "start", "parcel", "--tickets", tickets, "--now", t0, "--store", base], cwd=work)
            stores = {}
            for name in ("tick", "migrate"):
                stores[name] = os.path.join(work, "%s-%d.sqlite" % (name, r))
                timed([sop, "store", "copy", "--from", base, "--to", stores[name]], cwd=work)
            for name in (["tick", "migrate"] if r % 2 == 0 else ["migrate", "tick"]):
                if name == "tick":
                    elapsed, out = timed([sop, "tick", "--now", due, "--store", stores[name]], cwd=work)
                    if not out.startswith("%d runs due, %d transitions taken" % (a.runs, a.runs)):
                        sys.exit("unexpected tick: " + out)
                else:
                    elapsed, out = timed([sop, "migrate", "--to", "parcel-v2.sop.yaml", "--now", before_due,
                                          "--store", stores[name]], cwd=work)
                    if ("%d runs migrated, 0 refused" % a.runs) not in out:
                        sys.exit("unexpected migration: " + out[:300])
                best[name] = min(best[name], elapsed)
            for path in [base] + list(stores.values()):
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
        print("tick    %d timers: %.2f s (%.0f runs/s)" % (a.runs, best["tick"], a.runs / best["tick"]))
        print("migrate %d runs:   %.2f s (%.0f runs/s)" % (a.runs, best["migrate"], a.runs / best["migrate"]))
        print("migrate / tick: %.2fx (bound 2x)" % (best["migrate"] / best["tick"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
