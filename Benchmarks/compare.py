#!/usr/bin/env python3
"""Two release builds of sopkit, measured against each other in one run (docs/benchmarks.md,
"Before and after a refactor (issue 33)").

    Benchmarks/compare.py A_DIR B_DIR [--rounds R] [--runs N] [--quick] [--json FILE]
                          [--only NAME,…] [--corpus DIR | --no-corpus] [--clients C]

A_DIR and B_DIR each hold a release `sop` and `sopd` (`sop serve` runs the `sopd` beside it), for
example a copy of `.build/release` before a change and `.build/release` after it. Python 3's
standard library only.

Three contestants are measured: A, B and A′, a second copy of A with work folders of its own. In
every round each measurement runs once per contestant, in an order that rotates from round to
round (A B A′, B A′ A, A′ A B, …), and the process measurements alternate run by run, so a drift of
the shared machine's speed hits all three alike. B/A is the change; A′/A is the noise: the same
executables measured the same way, so a B/A no further from 1 than A′/A is no change this run can
show.

Measurements (all times: a ratio above 1 means slower):
  version     `sop --version`, wall time per process (start-up)
  lint-sops   `sop lint sops` over a copy of the repository's sops/ and schemas/
  lint-corpus `sop lint --format json sops` over the corpus Benchmarks/lint-corpus.sh lints
              (1,000 generated SOPs, `sop-bench generate`; made with the sop-bench found beside
              A's or B's sop, or given with --corpus; skipped when neither)
  step        `sop step` as a whole process on one run (Benchmarks/runtime.sh's guarded loop):
              a durable commit per process
  bulk-start  `sop start timer --tickets` of N runs into a fresh store (runtime.sh's timer SOP)
  tick        one `sop tick` over those N due runs
  report      `sop report --format json` over a store of N/2 runs × 10 journal records
              (Benchmarks/report.py's hourly reminder, 9 hours later)
  http-steps  `sop serve` on a store of 64 runs; C clients (threads, keep-alive connections) send
              `POST /v1/runs/{run}/steps {"event": "ping"}` until N/5 steps are answered: wall
              time per step (the inverse of steps/s) and the server's CPU time per step

Each sample keeps wall time and CPU time (user + system of the process, or of the server for
http-steps). The table gives best and median wall time per contestant and the ratios; a second
table the CPU medians. --json FILE writes every sample.
"""
import argparse
import hashlib
import http.client
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = "2026-11-02T09:00:00Z"
TICKS = os.sysconf("SC_CLK_TCK")

# Benchmarks/sops: the SOPs runtime.sh runs, a guarded loop a step walks and a timer a tick fires.
def bench_sop(name):
    with open(os.path.join(ROOT, "Benchmarks", "sops", name + ".sop.yaml"), encoding="utf-8") as f:
        return f.read()


# Benchmarks/report.py's SOP: a reminder every hour back into its own state.
REMINDER_SOP = """sop: reminder
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
# Benchmarks/server-load.py's SOP without its timer: the runs stay open however long a round
# takes, so every step is answered 200.
PING_SOP = """sop: ping
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
        on: close
  closed: {title: Closed, end: closed}
"""


class Failure(Exception):
    """A command of a build failed: the comparison stops with its output."""


def environment():
    env = {k: v for k, v in os.environ.items() if k != "SOP_STORE"}
    env.setdefault("USER", "bench")
    return env


ENV = environment()


def spawn(cmd, cwd):
    """Runs a command to its end, its output thrown away: (wall seconds, CPU seconds of the
    process and its children, as wait4 reports them). Raises Failure on a non-zero exit."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    if p.returncode != 0:
        raise Failure("%s (in %s) exited %d:\n%s" % (" ".join(cmd), cwd, p.returncode, err.decode(errors="replace")))
    return wall, usage.ru_utime + usage.ru_stime


def output(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure("%s (in %s) exited %d:\n%s%s" % (" ".join(cmd), cwd, r.returncode, r.stdout, r.stderr))
    return r.stdout


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def remove_store(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def proc_cpu(pid):
    """User + system CPU seconds of a running process, from /proc (the server under load)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Build:
    """One contestant: a folder of executables and work folders (stores) of its own, all made the
    same way for every contestant."""

    def __init__(self, label, folder, work, args):
        self.label, self.folder, self.args = label, folder, args
        self.sop = os.path.join(folder, "sop")
        self.work = os.path.join(work, label.replace("′", "2"))
        os.makedirs(self.work)

    def prepare(self, only):
        n = self.args.runs
        # Runs: the SOPs of runtime.sh, report.py and server-load.py, no ticket schema.
        runs = os.path.join(self.work, "runs")
        os.makedirs(os.path.join(runs, "sops"))
        for name, text in (("loop", bench_sop("loop")), ("timer", bench_sop("timer")), ("reminder", REMINDER_SOP), ("ping", PING_SOP)):
            write(os.path.join(runs, "sops", name + ".sop.yaml"), text)
        self.runs = runs
        with open(os.path.join(runs, "bulk.jsonl"), "w") as f:
            for i in range(n):
                f.write('{"id":"T-%d","priority":"high"}\n' % i)
        if "lint-sops" in only:
            self.lint = os.path.join(self.work, "lint")
            shutil.copytree(os.path.join(ROOT, "sops"), os.path.join(self.lint, "sops"))
            shutil.copytree(os.path.join(ROOT, "schemas"), os.path.join(self.lint, "schemas"))
        if "step" in only:
            self.step_store = os.path.join(runs, "step.sqlite")
            spawn([self.sop, "start", "loop", "--ticket", '{"id":"T-1","priority":"high"}', "--id", "r1",
                   "--now", NOW, "--store", self.step_store], runs)
        if "report" in only:
            self.report_store = os.path.join(runs, "report.sqlite")
            with open(os.path.join(runs, "report.jsonl"), "w") as f:
                for i in range(max(1, n // 2)):
                    f.write('{"id": "T-%d", "priority": "%s"}\n' % (i, ["low", "normal", "high"][i % 3]))
            spawn([self.sop, "start", "reminder", "--tickets", "report.jsonl", "--now", "2026-11-02T00:00:00Z",
                   "--store", self.report_store], runs)
            spawn([self.sop, "tick", "--now", "2026-11-02T09:00:00Z", "--store", self.report_store], runs)
            with sqlite3.connect(self.report_store) as db:
                self.report_records = db.execute("SELECT count(*) FROM journal").fetchone()[0]
        if "http-steps" in only:
            # `sop serve` runs the sopd beside its own (symlinks resolved) executable, else one on PATH:
            # that one would belong to another build, so it must be there.
            beside = os.path.join(os.path.dirname(os.path.realpath(self.sop)), "sopd")
            if not os.access(beside, os.X_OK):
                raise Failure("%s: no sopd beside sop (http-steps needs it; leave it out with --only)" % beside)
            self.http_store = os.path.join(runs, "http.sqlite")
            with open(os.path.join(runs, "ping.jsonl"), "w") as f:
                for i in range(64):
                    f.write('{"id": "P-%d"}\n' % i)
            started = json.loads(output([self.sop, "start", "ping", "--tickets", "ping.jsonl", "--now", NOW,
                                         "--store", self.http_store, "--format", "json"], runs))
            self.http_runs = started["started"]
            self.token = json.loads(output([self.sop, "token", "create", "--actor", "bench", "--roles", "agent",
                                            "--store", self.http_store, "--format", "json"], runs))["token"]

    def version(self):
        return spawn([self.sop, "--version"], self.work)

    def lint_sops(self):
        return spawn([self.sop, "lint", "sops"], self.lint)

    def lint_corpus(self):
        return spawn([self.sop, "lint", "--format", "json", "sops"], self.args.corpus)

    def step(self):
        return spawn([self.sop, "step", "r1", "--event", "next", "--now", "2026-11-02T09:01:00Z",
                      "--store", self.step_store], self.runs)

    def bulk_start(self, round_):
        if getattr(self, "bulk_store", None):
            remove_store(self.bulk_store)  # left by a round without its tick
        self.bulk_store = os.path.join(self.runs, "bulk-%d.sqlite" % round_)
        return spawn([self.sop, "start", "timer", "--tickets", "bulk.jsonl", "--now", NOW,
                      "--store", self.bulk_store], self.runs)

    def tick(self):
        sample = spawn([self.sop, "tick", "--now", "2026-11-02T11:00:00Z", "--store", self.bulk_store], self.runs)
        remove_store(self.bulk_store)
        self.bulk_store = None
        return sample

    def report(self):
        return spawn([self.sop, "report", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "json",
                      "--store", self.report_store], self.runs)

    def http_steps(self):
        server = subprocess.Popen([self.sop, "serve", "--store", self.http_store, "--port", "0", "--log-level", "error"],
                                  cwd=self.runs, env=ENV, stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            if "http://" not in line:
                raise Failure("%s serve did not say where it listens (exit %s): %r" % (self.sop, server.poll(), line))
            url = urllib.parse.urlsplit(line.split()[-1])
            clients = self.args.clients
            # Warm up: a connection and a few steps per client, untimed.
            drive(url, self.token, self.http_runs, clients, clients * 4)
            cpu = proc_cpu(server.pid)
            start = time.perf_counter()
            drive(url, self.token, self.http_runs, clients, self.args.http_steps)
            wall = time.perf_counter() - start
            cpu = proc_cpu(server.pid) - cpu
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if server.returncode != 0:
            raise Failure("%s serve exited %d after SIGTERM" % (self.sop, server.returncode))
        return wall / self.args.http_steps, cpu / self.args.http_steps


def drive(url, token, runs, clients, steps):
    """`steps` steps from `clients` threads, each on its own keep-alive connection and its own
    share of the runs. Raises Failure on any answer but 200."""
    body = b'{"event": "ping"}'
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    errors = []

    def client(k):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        mine = runs[k::clients]
        try:
            for i in range(k, steps, clients):
                conn.request("POST", "/v1/runs/%s/steps" % mine[(i // clients) % len(mine)], body, headers)
                r = conn.getresponse()
                answer = r.read()
                if r.status != 200:
                    errors.append("HTTP %d: %s" % (r.status, answer[:300].decode(errors="replace")))
                    return
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise Failure("a step through HTTP failed: " + errors[0])


# name: (what the table calls it, samples per contestant per round, the Build method)
MEASUREMENTS = {
    "version": ("`sop --version` (start-up)", None, lambda b, r: b.version()),
    "lint-sops": ("`sop lint sops/` (the repository's SOPs)", 5, lambda b, r: b.lint_sops()),
    "lint-corpus": ("`sop lint` over the corpus ({files:,} files)", 2, lambda b, r: b.lint_corpus()),
    "step": ("`sop step` (a process, a durable commit)", 10, lambda b, r: b.step()),
    "bulk-start": ("`sop start --tickets`, {runs:,} runs", 1, lambda b, r: b.bulk_start(r)),
    "tick": ("`sop tick` over {runs:,} due runs", 1, lambda b, r: b.tick()),
    "report": ("`sop report` over {records:,} records", 2, lambda b, r: b.report()),
    "http-steps": ("HTTP steps, {clients} clients (time per step)", 1, lambda b, r: b.http_steps()),
}


def corpus_folder(args, a_dir, b_dir, work):
    """The lint corpus: --corpus, or made as lint-corpus.sh makes it with a sop-bench beside A's or
    B's sop; None when there is none."""
    if args.no_corpus:
        return None
    if args.corpus:
        if not os.path.isdir(os.path.join(args.corpus, "sops")):
            raise Failure("--corpus %s: no sops/ folder in it (give the folder lint-corpus.sh makes)" % args.corpus)
        return os.path.abspath(args.corpus)
    for folder in (a_dir, b_dir):
        bench = os.path.join(folder, "sop-bench")
        if os.access(bench, os.X_OK):
            corpus = os.path.join(work, "corpus")
            os.makedirs(os.path.join(corpus, "schemas"))
            for name in ("ticket.schema.json", "sop.schema.json"):
                shutil.copy(os.path.join(ROOT, "schemas", name), os.path.join(corpus, "schemas"))
            output([bench, "generate", os.path.join(corpus, "sops"), str(args.corpus_files)], corpus)
            return corpus
    return None


def fmt_time(seconds):
    if seconds >= 1:
        return "%.2f s" % seconds
    if seconds >= 0.001:
        return "%.2f ms" % (seconds * 1e3)
    return "%.0f µs" % (seconds * 1e6)


def summarize(samples, rounds):
    """Best and median of every contestant's wall and CPU samples, the ratios and the range of the
    per-round B/A and A′/A ratios (of each round's medians)."""
    out = {}
    for label, by_round in samples.items():
        wall = [s[0] for r in by_round for s in r]
        cpu = [s[1] for r in by_round for s in r]
        out[label] = {"best": min(wall), "median": statistics.median(wall), "cpu_median": statistics.median(cpu),
                      "samples": len(wall),
                      "round_medians": [statistics.median(s[0] for s in r) for r in by_round if r]}
    a, b, a2 = out["A"], out["B"], out["A′"]

    def rounds_range(x):
        ratios = [xr / ar for xr, ar in zip(x["round_medians"], a["round_medians"])]
        return [min(ratios), max(ratios)]
    out["ratios"] = {
        "B/A best": b["best"] / a["best"], "B/A median": b["median"] / a["median"],
        "B/A rounds": rounds_range(b),
        "A′/A best": a2["best"] / a["best"], "A′/A median": a2["median"] / a["median"],
        "A′/A rounds": rounds_range(a2),
        "B/A CPU": b["cpu_median"] / a["cpu_median"] if a["cpu_median"] else None,
        "A′/A CPU": a2["cpu_median"] / a["cpu_median"] if a["cpu_median"] else None,
    }
    return out


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cores, %.0f GiB, %s %s" % (model, os.cpu_count(), mem, platform.system(), platform.release())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", metavar="A_DIR", help="the build before: a folder with sop and sopd")
    p.add_argument("b", metavar="B_DIR", help="the build after: a folder with sop and sopd")
    p.add_argument("--rounds", type=int, help="rounds (default 7; --quick 3)")
    p.add_argument("--runs", type=int, help="N: runs of bulk start and tick (default 20000; --quick 2000); "
                   "the report's store has N/2 runs, HTTP sends N/5 steps")
    p.add_argument("--version-runs", type=int, help="`sop --version` processes per contestant, over all rounds "
                   "(default 200; --quick 60)")
    p.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    p.add_argument("--quick", action="store_true", help="a smaller, shorter run: to try the script, not to judge")
    p.add_argument("--only", help="a comma-separated list of measurements: " + ",".join(MEASUREMENTS))
    p.add_argument("--corpus", help="a lint corpus folder (with sops/ and schemas/), as lint-corpus.sh makes")
    p.add_argument("--corpus-files", type=int, default=1000, help="files of the generated corpus (default 1000)")
    p.add_argument("--no-corpus", action="store_true", help="leave out the lint corpus")
    p.add_argument("--json", metavar="FILE", help="write every sample and the summary as JSON")
    p.add_argument("--keep", action="store_true", help="keep the work folders (printed on standard error)")
    args = p.parse_args()
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.runs = args.runs or (2000 if args.quick else 20000)
    args.version_runs = args.version_runs or (60 if args.quick else 200)
    args.http_steps = max(args.clients, args.runs // 5)
    if args.rounds < 1 or args.runs < 1 or args.version_runs < 1 or args.clients < 1:
        p.error("--rounds, --runs, --version-runs and --clients must be at least 1")
    only = list(MEASUREMENTS) if not args.only else [m.strip() for m in args.only.split(",")]
    unknown = [m for m in only if m not in MEASUREMENTS]
    if unknown:
        p.error("unknown measurement %s; the measurements: %s" % (", ".join(unknown), ", ".join(MEASUREMENTS)))
    if "tick" in only and "bulk-start" not in only:
        only.append("bulk-start")  # the tick fires the runs bulk start made in the same round
    only = [m for m in MEASUREMENTS if m in only]
    folders = []
    for given in (args.a, args.b):
        folder = os.path.abspath(given)
        if not os.access(os.path.join(folder, "sop"), os.X_OK):
            p.error("%s: no executable sop in this folder (give a folder holding a release sop and sopd)" % given)
        folders.append(folder)

    work = tempfile.mkdtemp(prefix="sop-compare-")
    try:
        try:
            return run(args, only, folders, work)
        except Failure as e:
            print("compare.py: %s" % e, file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if args.keep:
            print("work folders kept in %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args, only, folders, work):
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()[0]
    clock = time.perf_counter()
    if "lint-corpus" in only:
        args.corpus = corpus_folder(args, folders[0], folders[1], work)
        if args.corpus is None:
            print("lint-corpus left out: no --corpus and no sop-bench beside either sop", file=sys.stderr)
            only.remove("lint-corpus")
    builds = [Build("A", folders[0], work, args), Build("B", folders[1], work, args), Build("A′", folders[0], work, args)]
    for b in builds:
        print("preparing %s (%s)" % (b.label, b.folder), file=sys.stderr)
        b.prepare(only)
    # `sop --version` and the start of the executable's SHA-256: that A and B are the builds meant.
    versions = {}
    for b in builds[:2]:
        with open(b.sop, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()[:12]
        versions[b.label] = "%s, sha256 %s…" % (output([b.sop, "--version"], b.work).strip(), digest)

    # One untimed run of each measurement that leaves its store as it found it, so that no
    # contestant's first round pays for a cold page cache alone.
    for m in only:
        if m in ("version", "lint-sops", "lint-corpus", "step", "report"):
            for b in builds:
                MEASUREMENTS[m][2](b, None)

    samples = {m: {b.label: [[] for _ in range(args.rounds)] for b in builds} for m in only}
    for r in range(args.rounds):
        order = builds[r % 3:] + builds[:r % 3]
        print("round %d of %d: %s" % (r + 1, args.rounds, " ".join(b.label for b in order)), file=sys.stderr)
        for m in only:
            reps = MEASUREMENTS[m][1] or max(1, args.version_runs // args.rounds)
            for _ in range(reps):
                for b in order:
                    samples[m][b.label][r].append(MEASUREMENTS[m][2](b, r))

    summary = {m: summarize(samples[m], args.rounds) for m in only}
    records = getattr(builds[0], "report_records", 0)
    files = len(os.listdir(os.path.join(args.corpus, "sops"))) if "lint-corpus" in only else 0
    names = {m: MEASUREMENTS[m][0].format(runs=args.runs, records=records, clients=args.clients, files=files)
             for m in only}
    command = "Benchmarks/compare.py " + " ".join(sys.argv[1:])
    lines = [
        "Measured %s on %s (load average %.1f at the start, %.1f at the end); `%s`; %d rounds, order "
        "rotating (A B A′, B A′ A, A′ A B), %.0f s in all." % (
            started, machine(), load_before, os.getloadavg()[0], command, args.rounds, time.perf_counter() - clock),
        "A: `%s` (%s); B: `%s` (%s); A′: A again, with work folders of its own." % (
            folders[0], versions["A"], folders[1], versions["B"]),
        "",
        "| measurement | A best | A median | B best | B median | B/A best | **B/A median** | B/A rounds | noise: A′/A best | **A′/A median** | A′/A rounds |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in only:
        s = summary[m]
        q = s["ratios"]
        lines.append("| %s | %s | %s | %s | %s | %.2f | **%.2f** | %.2f–%.2f | %.2f | **%.2f** | %.2f–%.2f |" % (
            names[m], fmt_time(s["A"]["best"]), fmt_time(s["A"]["median"]), fmt_time(s["B"]["best"]),
            fmt_time(s["B"]["median"]), q["B/A best"], q["B/A median"], *q["B/A rounds"], q["A′/A best"],
            q["A′/A median"], *q["A′/A rounds"]))
    lines += ["", "CPU time (user + system; for HTTP steps the server's, per step), medians:", "",
              "| measurement | A | B | B/A | noise: A′/A |", "|---|---|---|---|---|"]
    for m in only:
        s = summary[m]
        q = s["ratios"]
        lines.append("| %s | %s | %s | %s | %s |" % (
            names[m], fmt_time(s["A"]["cpu_median"]), fmt_time(s["B"]["cpu_median"]),
            "%.2f" % q["B/A CPU"] if q["B/A CPU"] else "–", "%.2f" % q["A′/A CPU"] if q["A′/A CPU"] else "–"))
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"started": started, "machine": machine(), "load_average": [load_before, os.getloadavg()[0]],
                       "command": command, "rounds": args.rounds,
                       "runs": args.runs, "http_steps": args.http_steps, "clients": args.clients,
                       "version_runs": args.version_runs, "report_records": records,
                       "builds": {"A": folders[0], "B": folders[1], "A′": folders[0]}, "versions": versions,
                       "unit": "seconds per process, per run of the command, or per HTTP step; [wall, cpu]",
                       "samples": samples, "summary": summary}, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
