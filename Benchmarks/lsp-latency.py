#!/usr/bin/env python3
"""From an edit to its diagnostics: `sop lsp` against linting the same text in process.

    Benchmarks/lsp-latency.py [--sop BIN] [--bench BIN] [--edits N] [--rounds R] [--keep DIR]

Generates a workspace of 200 SOPs with a ticket schema (one SOP of about 1,000 lines, the others
50 to 300 lines, calling each other as child runs), starts `sop lsp` (release build) on it, opens
the big SOP and sends N (default 1,000) didChange edits at random lines, one at a time (a word
changed in a title or an instruction; and half of the edits type a mistake or take it back on
the next edit: `&&` for `and`, a misspelt `to:`), timing each from the
didChange written to the publishDiagnostics for that document received. The floor is
`sop-bench lint-one --workspace`: the same edits applied to the same text, each text set into a
LintSession over the same workspace (the server's linter, index and ticket schema) and its
findings read back, in process. The two alternate in R (default 10) rounds of N/R edits (the
floor's edits before its chunk applied untimed), so both run under the same load; prints p50 and
p99 of each over all edits, the ratios, each round's p50 ratio, and the server's peak resident
memory (VmHWM) over the workspace.

Build first: swift build -c release --product sop && swift build -c release --product sop-bench
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TICKET_SCHEMA = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "subject": {"type": "string", "description": "the customer's own summary"},
        "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "category": {"type": "string", "enum": ["returns", "billing", "technical", "general"]},
        "order_id": {"type": "string"},
        "order_total": {"type": "number"},
        "refund_status": {"type": "string", "enum": ["none", "pending", "approved", "refused"]},
        "purchased_on": {"type": "string", "format": "date"},
        "complaint_count": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "customer": {"type": "object", "properties": {
            "name": {"type": "string"},
            "email": {"type": "string"},
            "tier": {"type": "string", "enum": ["standard", "plus", "enterprise"]},
        }},
    },
}

REASONS = ["damaged", "wrong_item", "late", "missing"]


def state_text(n: int, states: int, rng: random.Random) -> str:
    """One working state of a generated SOP (about 25 lines): instructions with templates, a
    checklist, typed inputs, guards over inputs, ticket fields and vars, actions, an event, a timer."""
    nxt = f"s{n + 1}" if n + 1 < states else "resolved"
    other = f"s{rng.randrange(n + 1, states)}" if n + 2 < states else "resolved"
    reason = REASONS[n % len(REASONS)]
    return f"""  s{n}:
    title: Step {n} for ${{{{ ticket.customer.name }}}}
    instructions: |
      Check order `${{{{ ticket.order_id }}}}` against the ticket ({n}) and confirm the details with
      the customer; write down anything unusual before moving on.
    checklist:
      - Customer identity confirmed
      - Order details match the ticket
    inputs:
      amount_{n}: {{type: number, min: 0, prompt: Amount in question}}
      reason_{n}: {{type: enum, values: [{", ".join(REASONS)}], prompt: Reason}}
    transitions:
      - to: {nxt}
        when: input.amount_{n} <= var.limit and input.reason_{n} in ['{reason}', 'late']
        do:
          - set: {{ticket.refund_status: pending, var.attempts: "${{{{ var.attempts + 1 }}}}"}}
          - notify: {{to: customer, template: "We are on it: ${{{{ ticket.id }}}} (${{{{ input.reason_{n} }}}})."}}
      - to: {other}
        when: ticket.priority == 'urgent' and input.amount_{n} > var.limit
        label: Hand on at once
      - to: {nxt}
        on: approve_{n}
        label: Approve and continue
        role: supervisor
      - to: abandoned
        after: 48h
        role: system
"""


def call_state(n: int, states: int, child: str) -> str:
    nxt = f"s{n + 1}" if n + 1 < states else "resolved"
    return f"""  s{n}:
    title: Run {child} as a child
    call: {child}
    transitions:
      - to: {nxt}
        when: child.outcome == 'resolved'
      - to: abandoned
"""


def sop_text(i: int, states: int, children: list, rng: random.Random) -> str:
    out = f"""# A generated SOP of Benchmarks/lsp-latency.py
sop: gen-{i:03d}
version: 1
title: Generated procedure {i} for ${{{{ ticket.customer.name }}}}
description: |
  A generated procedure with the shape of a real one: inputs, checklists, guards, timers,
  actions, templates and child runs.
category: returns
applies_when: ticket.category == 'returns' and ticket.priority != 'low'
roles: [agent, supervisor]
vars:
  attempts: {{type: integer, initial: 0}}
  limit: {{type: number, initial: 250}}
start: s0
states:
"""
    call_at = {}
    for k, child in enumerate(children):
        call_at[1 + (k * 3) % max(1, states - 1)] = child
    for n in range(states):
        out += call_state(n, states, call_at[n]) if n in call_at else state_text(n, states, rng)
    out += """  resolved:
    title: Resolved
    end: resolved
  abandoned:
    title: Abandoned
    end: abandoned
"""
    return out


def generate(folder: Path, rng: random.Random) -> Path:
    """200 SOPs: gen-000 about 1,000 lines, the others 50 to 300; SOP i calls up to two of the SOPs
    after it (a DAG: no SOP calls itself through others)."""
    sops = folder / "sops"
    (folder / "schemas").mkdir(parents=True)
    sops.mkdir()
    (folder / "schemas" / "ticket.schema.json").write_text(json.dumps(TICKET_SCHEMA, indent=2) + "\n")
    for i in range(200):
        lines_wanted = 1000 if i == 0 else rng.randrange(50, 301)
        states = max(1, round((lines_wanted - 24) / 26))
        later = list(range(i + 1, 200))
        children = [f"gen-{c:03d}" for c in rng.sample(later, min(len(later), 2 if states > 4 else 1 if states > 2 else 0))]
        (sops / f"gen-{i:03d}.sop.yaml").write_text(sop_text(i, states, children, rng))
    return sops / "gen-000.sop.yaml"


def make_edits(text: str, count: int, rng: random.Random) -> list:
    """`count` small edits as (line, start, end, new text), each applied to the text left by the one
    before; a mistake typed is taken back by the edit after it."""
    lines = text.split("\n")
    edits = []
    pending_undo = None
    while len(edits) < count:
        if pending_undo is not None:
            edit, pending_undo = pending_undo, None
        else:
            kind = rng.random()
            n = rng.randrange(len(lines))
            if kind < 1 / 6 and len(edits) + 1 < count:
                candidates = [k for k, l in enumerate(lines) if " and " in l and "when:" in l]
                n = rng.choice(candidates)
                at = lines[n].index(" and ")
                edit, pending_undo = (n, at + 1, at + 4, "&&"), (n, at + 1, at + 3, "and")
            elif kind < 1 / 3 and len(edits) + 1 < count:
                candidates = [k for k, l in enumerate(lines) if re.match(r"^      - to: s\d+$", l)]
                n = rng.choice(candidates)
                at = lines[n].index("to: ") + 4
                word = lines[n][at:]
                typo = word[0] + "x" + word[1:]
                edit, pending_undo = (n, at, len(lines[n]), typo), (n, at, at + len(typo), word)
            else:
                candidates = [k for k, l in enumerate(lines) if l.startswith("    title: ") or l.startswith("      Check order")]
                n = rng.choice(candidates)
                line = lines[n]
                if line.endswith(" (reviewed)"):
                    edit = (n, len(line) - len(" (reviewed)"), len(line), "")
                else:
                    edit = (n, len(line), len(line), " (reviewed)")
        n, start, end, new = edit
        lines[n] = lines[n][:start] + new + lines[n][end:]
        edits.append({"line": n, "start": start, "end": end, "text": new})
    return edits


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


class Server:
    """`sop lsp` over pipes, framed by hand: the client does nothing but write and read, so the
    time measured is the server's."""

    def __init__(self, command, cwd):
        self.proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.cond = threading.Condition()
        self.responses = {}
        self.diagnostics = []  # (time, uri, version, count)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                header = out.readline()
                if not header:
                    with self.cond:
                        self.cond.notify_all()
                    return
                header = header.strip()
                if not header:
                    break
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = json.loads(out.read(length))
            now = time.perf_counter()
            if "method" in body and "id" in body:  # a request from the server: answer null
                self.send({"jsonrpc": "2.0", "id": body["id"], "result": None})
                continue
            with self.cond:
                if body.get("method") == "textDocument/publishDiagnostics":
                    p = body["params"]
                    self.diagnostics.append((now, p["uri"], p.get("version"), len(p["diagnostics"])))
                elif "id" in body:
                    self.responses[body["id"]] = body
                self.cond.notify_all()

    def send(self, message):
        data = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def request(self, method, params, timeout=120):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        with self.cond:
            if not self.cond.wait_for(lambda: rid in self.responses or self.proc.poll() is not None, timeout):
                raise SystemExit(f"no answer to {method} within {timeout} s")
        if rid not in self.responses:
            raise SystemExit(f"the server exited ({self.proc.returncode}) before answering {method}")
        return self.responses.pop(rid)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_diagnostics(self, uri, version, since, timeout=60):
        """The first publishDiagnostics for `uri` after index `since` with that version (or, when
        the server sends no version, the first for `uri`)."""
        def found():
            for k in range(since, len(self.diagnostics)):
                t, u, v, n = self.diagnostics[k]
                if u == uri and (v is None or v == version):
                    return k
            return None
        with self.cond:
            if not self.cond.wait_for(lambda: found() is not None or self.proc.poll() is not None, timeout):
                raise SystemExit(f"no publishDiagnostics for version {version} within {timeout} s")
            k = found()
            if k is None:
                raise SystemExit(f"the server exited ({self.proc.returncode})")
            return self.diagnostics[k]

    def peak_rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None


class Session:
    """`sop lsp` on the workspace with the big SOP open, ready for edits."""

    def __init__(self, sop, workspace, big, wrap=()):
        self.server = Server([*wrap, sop, "lsp"], cwd=workspace)
        root = workspace.resolve().as_uri()
        started = time.perf_counter()
        init = self.server.request("initialize", {"processId": os.getpid(), "rootUri": root, "capabilities": {
            "textDocument": {"publishDiagnostics": {"versionSupport": True}}},
            "workspaceFolders": [{"uri": root, "name": "bench"}]})
        if "error" in init:
            raise SystemExit(f"initialize failed: {init['error']}")
        sync = init["result"]["capabilities"].get("textDocumentSync")
        self.change_kind = sync.get("change") if isinstance(sync, dict) else sync
        self.server.notify("initialized", {})
        self.uri = big.resolve().as_uri()
        text = big.read_text()
        since = len(self.server.diagnostics)
        self.server.notify("textDocument/didOpen", {"textDocument": {"uri": self.uri, "languageId": "yaml", "version": 1, "text": text}})
        self.server.wait_diagnostics(self.uri, 1, since, timeout=300)
        self.opened = time.perf_counter() - started
        self.lines = text.split("\n")
        self.version = 1

    def edit(self, e):
        """Sends one edit; returns the milliseconds to its diagnostics and how many there were."""
        self.version += 1
        line = self.lines[e["line"]]
        new_line = line[:e["start"]] + e["text"] + line[e["end"]:]
        if self.change_kind == 1:  # Full: the whole text each time, as such a client would send it
            self.lines[e["line"]] = new_line
            change = {"text": "\n".join(self.lines)}
        else:
            change = {"range": {"start": {"line": e["line"], "character": utf16(line[:e["start"]])},
                                "end": {"line": e["line"], "character": utf16(line[:e["end"]])}}, "text": e["text"]}
            self.lines[e["line"]] = new_line
        since = len(self.server.diagnostics)
        sent = time.perf_counter()
        self.server.notify("textDocument/didChange", {"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": [change]})
        t, _, _, n = self.server.wait_diagnostics(self.uri, self.version, since)
        return (t - sent) * 1000, n

    def finish(self):
        """The pipe's round trip alone (a request the server refuses at once), the peak RSS; then
        shutdown and exit."""
        server = self.server
        round_trips = []
        for _ in range(200):
            sent = time.perf_counter()
            server.request("sop/noSuchMethod", {})
            round_trips.append((time.perf_counter() - sent) * 1000)
        rss = server.peak_rss_kib()
        server.request("shutdown", None)
        server.notify("exit", None)
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
        return round_trips, rss


def percentile(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(-(-len(s) * p // 1)) - 1))]


def floor(bench, workspace, big, edits_path, start, end, samples_path):
    """The floor's timings (ms) of edits start..<end, the ones before applied untimed."""
    subprocess.run([bench, "lint-one", str(big), "--edits", str(edits_path), "--workspace", str(workspace),
                    "--range", f"{start}:{end}", "--samples", str(samples_path)], capture_output=True, text=True, check=True)
    return [float(x) for x in samples_path.read_text().split()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sop", default=str(REPO / ".build/release/sop"))
    ap.add_argument("--bench", default=str(REPO / ".build/release/sop-bench"))
    ap.add_argument("--edits", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=37)
    ap.add_argument("--rounds", type=int, default=10, help="chunks the floor and the server alternate in")
    ap.add_argument("--keep", help="write the workspace here and keep it")
    ap.add_argument("--wrap", default="", help="a command to run the server under, e.g. 'perf record -g -o lsp.perf --'")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="sop-lsp-bench.")
    try:
        workspace = Path(a.keep) if a.keep else Path(tmp) / "workspace"
        if workspace.exists():
            shutil.rmtree(workspace)
        big = generate(workspace, rng)
        sizes = [len(p.read_text().split("\n")) - 1 for p in sorted((workspace / "sops").glob("*.sop.yaml"))]
        lint = subprocess.run([a.sop, "lint", "sops"], cwd=workspace, capture_output=True, text=True)
        if lint.returncode != 0:
            raise SystemExit("the generated workspace does not lint clean:\n" + lint.stdout[-3000:] + lint.stderr[-2000:])
        text = big.read_text()
        edits = make_edits(text, a.edits, rng)
        edits_path = Path(tmp) / "edits.json"
        edits_path.write_text(json.dumps(edits))
        print(f"workspace: {len(sizes)} SOPs, {sum(sizes)} lines; the edited one {sizes[0]} lines; "
              f"the others {min(sizes[1:])}-{max(sizes[1:])} lines; {len(edits)} edits")

        # Floor and server alternate, a chunk of the edits each, so both run under the same load
        # (the shared VM's speed drifts by tens of percent within a minute).
        session = Session(a.sop, workspace, big, a.wrap.split())
        floor_samples, server_samples, counts, rounds = [], [], [], []
        chunk = max(1, len(edits) // a.rounds)
        for start in range(0, len(edits), chunk):
            end = min(len(edits), start + chunk)
            f = floor(a.bench, workspace, big, edits_path, start, end, Path(tmp) / "samples")
            s = [session.edit(e) for e in edits[start:end]]
            floor_samples += f
            server_samples += [ms for ms, _ in s]
            counts += [n for _, n in s]
            rounds.append(percentile([ms for ms, _ in s], 0.5) / percentile(f, 0.5))
        round_trips, rss = session.finish()
        p50, p99 = percentile(server_samples, 0.5), percentile(server_samples, 0.99)
        f50, f99 = percentile(floor_samples, 0.5), percentile(floor_samples, 0.99)
        with_findings = sum(1 for c in counts if c)
        print(f"sop lsp: initialize to the big SOP's first diagnostics {session.opened * 1000:.0f} ms; "
              f"sync kind {'full' if session.change_kind == 1 else 'incremental'}; {len(server_samples)} edits, {with_findings} with findings")
        print(f"sop lsp didChange -> publishDiagnostics: p50 {p50:.3f} ms, p99 {p99:.3f} ms, mean {statistics.mean(server_samples):.3f} ms")
        print(f"floor (sop-bench lint-one, in process):  p50 {f50:.3f} ms, p99 {f99:.3f} ms, mean {statistics.mean(floor_samples):.3f} ms")
        print(f"ratio to the floor: p50 {p50 / f50:.2f}x, p99 {p99 / f99:.2f}x (target <= 1.2x); "
              f"p50 ratio of each of the {len(rounds)} rounds: {min(rounds):.2f}x-{max(rounds):.2f}x")
        print(f"round trip of a request refused at once (the pipe and this client): p50 {percentile(round_trips, 0.5):.3f} ms")
        print(f"server peak RSS (VmHWM): {rss / 1024:.1f} MiB" if rss else "server peak RSS: not read (--wrap)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
