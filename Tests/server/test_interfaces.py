"""Every interface gives the same journal: one random command sequence (starts on nested tickets
with members in any order, steps with good and bad inputs, checks and events, ticket updates,
steps on called child runs) is carried out through the command line, the HTTP API and MCP, each
on a store of its own. Each command must be applied or refused alike everywhere, and every run's
journal must hold the same records, their time, actor and hashes aside (issue 32)."""

import asyncio
import json
import random

import pytest
import requests

from conftest import Server, sop, store_of
from test_mcp import session_calls

CLAIM = """\
sop: claim
version: 1
title: Claim for ${{ ticket.id }}
roles: [agent]
vars:
  tries: {type: integer, initial: 0}
start: intake
states:
  intake:
    title: Take the claim
    checklist: [Read the claim, Checked the customer]
    inputs:
      kind: {type: enum, values: [damage, loss, delay], prompt: What happened?}
      amount: {type: number, min: 0, max: 5000}
      urgent: {type: boolean, required: false}
    transitions:
      - to: review
        when: input.amount > 1000 or input.urgent == true
        do:
          - set: {ticket.priority: high}
      - to: settle
        do:
          - tag: ["${{ input.kind }}"]
  review:
    title: Review with a specialist
    call: assess
    transitions:
      - to: settle
        when: child.outcome == 'approved'
      - to: rejected
        when: child.outcome == 'denied'
  settle:
    title: Settle the claim
    inputs:
      note: {type: string, required: false, max_length: 40}
    transitions:
      - to: paid
        on: paid
        do:
          - set: {var.tries: "${{ var.tries + 1 }}", ticket.status: resolved}
          - notify: {to: customer, template: "Paid (${{ coalesce(input.note, 'no note') }})"}
      - to: settle
        on: retry
        do:
          - set: {var.tries: "${{ var.tries + 1 }}"}
  paid: {title: Paid, end: paid}
  rejected: {title: Rejected, end: rejected}
"""

ASSESS = """\
sop: assess
version: 1
title: Assess ${{ ticket.id }}
start: look
states:
  look:
    title: Look at the evidence
    inputs:
      verdict: {type: enum, values: [approve, deny]}
    transitions:
      - to: approved
        when: input.verdict == 'approve'
        do:
          - set: {ticket.customer.tier: gold}
      - to: denied
  approved: {title: Approved, end: approved}
  denied: {title: Denied, end: denied}
"""

SCHEMA = {
    "type": "object", "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "priority": {"enum": ["low", "normal", "high", None]},
        "status": {"enum": ["open", "resolved", None]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "customer": {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": ["string", "null"]}, "tier": {"enum": ["standard", "gold", None]},
            "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}}}}},
    },
}


def shuffled(value, rng):
    if isinstance(value, dict):
        items = [(k, shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def commands(seed, count=45):
    """A random command sequence, as data: ("start", run, ticket), ("step", run, body),
    ("update", run, patch)."""
    rng = random.Random(seed)
    runs, out = [], []
    for _ in range(count):
        roll = rng.random()
        if not runs or roll < 0.15:
            run = f"c{len(runs) + 1}"
            runs.append(run)
            ticket = {"id": f"T-{run}", "customer": {"name": rng.choice(["Ada", "Zoë Ångström", None]), "id": "C-1",
                                                      "address": {"zip": "50667", "city": "Köln"}}}
            if rng.random() < 0.5:
                ticket["priority"] = rng.choice(["low", "normal"])
            if rng.random() < 0.3:
                ticket["tags"] = ["ü", "a"]
            if rng.random() < 0.05:
                ticket["priority"] = "urgent"  # breaks the schema
            out.append(("start", run, shuffled(ticket, rng)))
            continue
        run = rng.choice(runs)
        if rng.random() < 0.4:
            run += ".1"  # the child a claim in review calls, when there is one
        if roll < 0.3:
            patch = rng.choice([{"priority": "high"}, {"customer": {"id": "C-1", "address": {"city": "Köln", "zip": "50667"}}},
                                {"customer": {"tier": "standard"}}, {"tags": ["x"]}, {"priority": "sky-high"}])
            out.append(("update", run, shuffled(patch, rng)))
            continue
        body = {}
        inputs = {}
        bad = rng.random() < 0.15
        if run.endswith(".1"):
            inputs["verdict"] = "maybe" if bad else rng.choice(["approve", "approve", "deny"])
        elif rng.random() < 0.6:
            inputs["kind"] = "theft" if bad else rng.choice(["damage", "loss", "delay"])
            inputs["amount"] = rng.choice([6000, -1]) if bad and rng.random() < 0.5 else rng.choice([10, 250.5, 1200, 2e3, 1500.50])
            if rng.random() < 0.3:
                inputs["urgent"] = rng.choice([True, False])
            body["checks"] = "all" if rng.random() < 0.8 else rng.choice([[1], [3]])
        else:
            if rng.random() < 0.3:
                inputs["note"] = rng.choice(["paid by transfer", "x" * 50, "Grüße"])
            body["event"] = rng.choice(["paid", "paid", "retry", "nonsense"])
        if inputs:
            body["inputs"] = inputs
        out.append(("step", run, body))
    return out


def cli_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def through_cli(w, sequence):
    outcomes = []
    store = ["--store", store_of(w)]
    for kind, run, arg in sequence:
        if kind == "start":
            r = sop("start", "claim", "--id", run, "--ticket", json.dumps(arg), "--actor", "ana:agent", *store, cwd=w, check=False)
        elif kind == "update":
            r = sop("update", run, "--ticket", json.dumps(arg), "--actor", "ana:agent", *store, cwd=w, check=False)
        else:
            args = ["step", run, "--actor", "ana:agent", *store]
            for name, value in arg.get("inputs", {}).items():
                args += ["--input", f"{name}={cli_text(value)}"]
            if "checks" in arg:
                checks = arg["checks"]
                args += ["--check", checks if checks == "all" else ",".join(map(str, checks))]
            if "event" in arg:
                args += ["--event", arg["event"]]
            r = sop(*args, cwd=w, check=False)
        # 1: refused; 2: an unknown run (a child not called yet), as docs/cli.md says.
        assert r.returncode in (0, 1) or (r.returncode == 2 and "no run has the id" in r.stderr), \
            f"{kind} {run} {arg}: exit {r.returncode}: {r.stderr}"
        outcomes.append(r.returncode == 0)
    return outcomes


def through_http(server, sequence):
    outcomes = []
    for kind, run, arg in sequence:
        if kind == "start":
            r = server.post("/v1/runs", {"sop": "claim", "ticket": arg, "id": run})
        elif kind == "update":
            r = requests.patch(server.url + f"/v1/runs/{run}/ticket", data=json.dumps(arg), timeout=10,
                               headers=server.headers(**{"Content-Type": "application/merge-patch+json"}))
        else:
            r = server.step(run, **arg)
        assert r.status_code in (200, 201, 404, 409, 422), f"{kind} {run} {arg}: {r.status_code} {r.text}"
        outcomes.append(r.status_code in (200, 201))
    return outcomes


def through_mcp(w, secret, sequence):
    async def drive(session):
        outcomes = []
        for kind, run, arg in sequence:
            if kind == "start":
                r = await session.call_tool("start_run", {"sop": "claim", "ticket": arg, "run": run})
            elif kind == "update":
                r = await session.call_tool("update_ticket", {"run": run, "patch": arg})
            else:
                r = await session.call_tool("step", {"run": run, **arg})
            outcomes.append(not r.is_error)
        return outcomes

    return asyncio.run(session_calls(w, secret, drive))


def journals(w):
    """Every run's journal as the CLI reads it, each record without its time, actor and hashes."""
    runs = json.loads(sop("runs", "--format", "json", "--limit", "1000", "--store", store_of(w), cwd=w).stdout)
    ids = sorted(r["run"] for r in (runs["runs"] if isinstance(runs, dict) else runs))
    out = {}
    for run in ids:
        lines = sop("log", run, "--format", "json", "--store", store_of(w), cwd=w).stdout.splitlines()
        records = []
        for line in lines:
            record = json.loads(line)
            for key in ("at", "actor", "hash", "prev"):
                record.pop(key)
            for effect in record["effects"]:
                effect.get("notify", {}).pop("at", None)  # when the message was sent
            records.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
        out[run] = records
    return out


def folder(base, name):
    w = base / name
    (w / "sops").mkdir(parents=True)
    (w / "schemas").mkdir()
    (w / "sops" / "claim.sop.yaml").write_text(CLAIM)
    (w / "sops" / "assess.sop.yaml").write_text(ASSESS)
    (w / "schemas" / "ticket.schema.json").write_text(json.dumps(SCHEMA))
    return w


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_every_interface_gives_the_same_journal(tmp_path, seed):
    sequence = commands(seed)
    lint = sop("lint", "--strict", "sops", cwd=folder(tmp_path, "lint"), check=False)
    assert lint.returncode == 0, lint.stdout

    cli = folder(tmp_path, "cli")
    cli_outcomes = through_cli(cli, sequence)

    http = folder(tmp_path, "http")
    server = Server(http)
    try:
        http_outcomes = through_http(server, sequence)
    finally:
        server.stop()

    mcp = folder(tmp_path, "mcp")
    secret = json.loads(sop("token", "create", "--actor", "ana", "--roles", "agent", "--store", store_of(mcp), "--format", "json",
                            cwd=mcp).stdout)["token"]
    mcp_outcomes = through_mcp(mcp, secret, sequence)

    for i, command in enumerate(sequence):
        assert cli_outcomes[i] == http_outcomes[i] == mcp_outcomes[i], \
            f"command {i} {command}: cli {cli_outcomes[i]}, http {http_outcomes[i]}, mcp {mcp_outcomes[i]}"
    # The sequence did something worth comparing: runs moved, children were called and ended.
    assert sum(cli_outcomes) >= 5, cli_outcomes

    expected = journals(cli)
    assert any(run.endswith(".1") for run in expected), "no child run was called"
    assert any('"kind": "child"' in record for records in expected.values() for record in records), "no child run ended"
    assert journals(http) == expected
    assert journals(mcp) == expected
    for w in (cli, http, mcp):
        verify = sop("verify", "--store", store_of(w), cwd=w, check=False)
        assert verify.returncode == 0, verify.stdout
