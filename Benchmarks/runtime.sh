#!/usr/bin/env bash
# The interpreter benchmarks of issue 5 (docs/benchmarks.md):
#   in-process throughput, `sop step` as a whole process, bulk start and one tick over 100,000
#   due runs, and the same returns-like machine in sismic, transitions and python-statemachine.
#   Benchmarks/runtime.sh [WORKDIR] [RUNS]     (default /tmp/sop-runtime-bench, 100000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/sop-runtime-bench}"
count="${2:-100000}"
"$root/scripts/bootstrap"
swift build --package-path "$root" -c release >&2
sop="$root/.build/release/sop"

echo "== in process (sop-bench runtime)"
"$root/.build/release/sop-bench" runtime

rm -rf "$work" && mkdir -p "$work/sops" && cd "$work"
# The two SOPs the interpreter benchmarks run (compare.py runs them too).
cp "$root/Benchmarks/sops/loop.sop.yaml" "$root/Benchmarks/sops/timer.sop.yaml" sops/

python3 - "$sop" "$count" <<'PY'
import statistics, subprocess, sys, time
sop, count = sys.argv[1], int(sys.argv[2])
def run(*args):
    subprocess.run([sop, *args], check=True, stdout=subprocess.DEVNULL)
run("start", "loop", "--ticket", '{"id":"T-1","priority":"high"}', "--id", "r1", "--now", "2026-11-02T09:00:00Z")
times = []
for i in range(31):
    t = time.perf_counter()
    run("step", "r1", "--event", "next", "--now", "2026-11-02T09:01:00Z")
    times.append((time.perf_counter() - t) * 1000)
print(f"\n== as whole processes\nsop step (durable commit, synchronous=FULL)   median {statistics.median(times):.1f} ms, "
      f"p90 {sorted(times)[int(len(times) * 0.9)]:.1f} ms over {len(times)} steps")
with open("bulk.jsonl", "w") as f:
    for i in range(count):
        f.write('{"id":"T-%d","priority":"high"}\n' % i)
t = time.perf_counter()
run("start", "timer", "--tickets", "bulk.jsonl", "--now", "2026-11-02T09:00:00Z")
start = time.perf_counter() - t
t = time.perf_counter()
out = subprocess.run([sop, "tick", "--now", "2026-11-02T11:00:00Z", "--format", "json"], check=True, capture_output=True, text=True).stdout
tick = time.perf_counter() - t
print(f"sop start --tickets ({count:,} runs)           {start:.1f} s, {count / start:,.0f} runs/s")
print(f"sop tick over {count:,} due runs              {tick:.1f} s, {count / tick:,.0f} transitions/s  {out.strip()}")
PY

echo
echo "== other interpreters, same machine (Python)"
if ! python3 -c 'import sismic, transitions, statemachine' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check sismic transitions python-statemachine >&2
fi
python3 "$root/Benchmarks/python/statecharts.py"
