#!/usr/bin/env python3
"""Runs the official JSON-Schema-Test-Suite (draft 2020-12) through sopkit's ticket validation.

    scripts/json-schema-suite.py SUITE_DIR [SOP_BINARY]

SUITE_DIR is a checkout of github.com/json-schema-org/JSON-Schema-Test-Suite (it is not kept in
this repository). Besides the top-level files it runs optional/ecmascript-regex.json and
optional/non-bmp-regex.json, the pattern cases. Each test group's schema becomes the ticket schema, and its test instances are
started as tickets of a one-state SOP with `sop start --tickets` (one process per group); a line
that starts agrees with "valid", a line refused for breaking the schema with "invalid". A schema
sopkit refuses (exit 2: a keyword it would not enforce) is counted as refused, not as a failure:
refusing is the promised behaviour. Prints, per file, the tests that agree and disagree, then the
totals; exit 1 when any test of a group sopkit accepted disagrees.
"""
import json
import os
import subprocess
import sys
import tempfile

# Where sopkit differs from the suite on purpose (docs/ticket-schema.md): `format` date and
# date-time are assertions in sopkit, annotations by default in 2020-12.
BY_DESIGN = {
    ("format.json", "date format", "invalid date string is only an annotation by default"),
    ("format.json", "date-time format", "invalid date-time string is only an annotation by default"),
}

SOP = """sop: conformance
version: 1
title: Conformance
start: done
states:
  done: {title: Done, end: done}
"""


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    suite = os.path.join(sys.argv[1], "tests", "draft2020-12")
    sop = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "sop")
    totals = {"agree": 0, "by design": 0, "disagree": 0, "refused": 0}
    failures = []
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "sops"))
        with open(os.path.join(work, "sops", "conformance.sop.yaml"), "w") as f:
            f.write(SOP)
        # The top-level files, and the optional regex cases: patterns are matched by sopkit's own
        # matcher (docs/format.md, Patterns), so ECMAScript's meaning of \d, \w, \s and $ is tested.
        names = sorted(n for n in os.listdir(suite) if n.endswith(".json"))
        names += [n for n in ["optional/ecmascript-regex.json", "optional/non-bmp-regex.json"] if os.path.exists(os.path.join(suite, n))]
        for name in names:
            counts = {"agree": 0, "by design": 0, "disagree": 0, "refused": 0}
            with open(os.path.join(suite, name)) as f:
                groups = json.load(f)
            for g, group in enumerate(groups):
                schema_path = os.path.join(work, "schema.json")
                with open(schema_path, "w") as f:
                    json.dump(group["schema"], f)
                tickets = os.path.join(work, "tickets.jsonl")
                with open(tickets, "w") as f:
                    for test in group["tests"]:
                        f.write(json.dumps(test["data"]) + "\n")
                store = os.path.join(work, "runs-%s-%d.sqlite" % (name, g))
                r = subprocess.run([sop, "start", "conformance", "--tickets", tickets, "--format", "json",
                                    "--ticket-schema", schema_path, "--store", store, "--sops", os.path.join(work, "sops")],
                                   capture_output=True, text=True, cwd=work)
                if r.returncode == 2 or r.returncode < 0:
                    if r.returncode < 0:
                        failures.append("%s group %d: sop died with signal %d" % (name, g, -r.returncode))
                    counts["refused"] += len(group["tests"])
                    continue
                failed = {item["line"]: item["reason"] for item in json.loads(r.stdout)["failed"]}
                for i, test in enumerate(group["tests"]):
                    reason = failed.get(i + 1)
                    valid = reason is None
                    if reason is not None and "cannot be kept exactly" in reason:
                        # A number beyond what sopkit keeps exactly is refused as such (docs/ticket-schema.md).
                        counts["refused"] += 1
                        continue
                    if reason is not None and "does not fit the ticket schema" not in reason:
                        failures.append("%s / %s / %s: refused for another reason: %s" % (name, group["description"], test["description"], reason))
                    if valid == test["valid"]:
                        counts["agree"] += 1
                    elif (name, group["description"], test["description"]) in BY_DESIGN:
                        counts["by design"] += 1
                    else:
                        counts["disagree"] += 1
                        failures.append("%s / %s / %s: expected %s" % (name, group["description"], test["description"],
                                                                      "valid" if test["valid"] else "invalid"))
            for k in totals:
                totals[k] += counts[k]
            print("%-28s agree %4d  by design %2d  disagree %3d  refused %4d"
                  % (name, counts["agree"], counts["by design"], counts["disagree"], counts["refused"]))
    print("total: agree %d, differ by design %d, disagree %d, refused %d (of %d)"
          % (totals["agree"], totals["by design"], totals["disagree"], totals["refused"], sum(totals.values())))
    for line in failures:
        print("  " + line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
