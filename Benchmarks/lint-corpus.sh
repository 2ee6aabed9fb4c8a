#!/usr/bin/env bash
# The lint benchmark of issue 4 (docs/benchmarks.md): a generated corpus of 1,000 SOPs of about
# 200 lines (about 8 MB), linted by sop, with libyaml's own parse time as the floor, and yamllint
# and check-jsonschema on the same files for comparison.
#   Benchmarks/lint-corpus.sh [WORKDIR]      (default /tmp/sop-lint-bench)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/sop-lint-bench}"
"$root/scripts/bootstrap"
swift build --package-path "$root" -c release >&2
bench="$root/.build/release/sop-bench"
sop="$root/.build/release/sop"
# sop as README.md says to ship it (scripts/build-release: on Linux the Swift runtime linked in and
# full LTO).
ship_sop=""
ship_bench=""
if [[ "$(uname -s)" == Linux ]]; then
  ship_bench="$("$root/scripts/build-release" sop-bench)"
  ship_sop="$("$root/scripts/build-release" sop)"
fi

rm -rf "$work" && mkdir -p "$work/schemas"
cp "$root/schemas/ticket.schema.json" "$root/schemas/sop.schema.json" "$work/schemas/"
"$bench" generate "$work/sops" 1000
cd "$work"

echo
echo "== in process (sop-bench lint)"
"$bench" lint sops schemas/ticket.schema.json
if [[ -n "$ship_bench" ]]; then
  echo
  echo "== in process, the shipping build (scripts/build-release sop-bench)"
  "$ship_bench" lint sops schemas/ticket.schema.json
fi

# Median wall time of N runs of a command and the peak RSS of its runs, measured by Python's
# subprocess and getrusage (no shell or /usr/bin/time overhead in the figures).
measure() {
  python3 - "$@" <<'PY'
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{statistics.median(times):10.1f} ms  {rss:7.1f} MiB peak RSS")
PY
}

echo
echo "== as whole processes"
printf '%-52s %s\n' "sop lint sops/ (1,000 files)" "$(measure 5 "$sop" lint --format json sops)"
printf '%-52s %s\n' "sop lint sops/bench-1.sop.yaml (one file)" "$(measure 31 "$sop" lint sops/bench-1.sop.yaml)"
printf '%-52s %s\n' "sop --version (process start-up)" "$(measure 31 "$sop" --version)"
if [[ -n "$ship_sop" ]]; then
  printf '%-52s %s\n' "shipping sop lint sops/ (1,000 files)" "$(measure 5 "$ship_sop" lint --format json sops)"
  printf '%-52s %s\n' "shipping sop lint sops/bench-1.sop.yaml (one file)" "$(measure 31 "$ship_sop" lint sops/bench-1.sop.yaml)"
  printf '%-52s %s\n' "shipping sop --version (process start-up)" "$(measure 31 "$ship_sop" --version)"
fi

echo
echo "== other tools on the same corpus"
if ! command -v yamllint >/dev/null || ! command -v check-jsonschema >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check yamllint check-jsonschema >&2
fi
printf '%-52s %s\n' "yamllint $(yamllint --version | awk '{print $2}') (default rules)" "$(measure 3 yamllint -f parsable sops)"
printf '%-52s %s\n' "check-jsonschema $(check-jsonschema --version | awk '{print $NF}') (sop.schema.json)" \
  "$(measure 3 check-jsonschema --schemafile schemas/sop.schema.json sops/*.sop.yaml)"
printf '%-52s %s\n' "check-jsonschema, one file" "$(measure 5 check-jsonschema --schemafile schemas/sop.schema.json sops/bench-1.sop.yaml)"
