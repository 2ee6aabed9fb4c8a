"""`sop mcp` through the Model Context Protocol's own Python SDK: the client spawns the server,
lists its tools and drives the shipped returns SOP to its end, one refused step included."""

import asyncio
import json
import os

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

from conftest import RETURN_TICKET, SOP, sop, store_of, today, workspace


def token(w, actor, roles):
    out = sop("token", "create", "--actor", actor, "--roles", roles, "--store", store_of(w), "--format", "json", cwd=w)
    return json.loads(out.stdout)["token"]


async def session_calls(w, secret, body):
    params = StdioServerParameters(command=SOP, args=["mcp", "--sops", "sops", "--store", store_of(w)],
                                   env={**os.environ, "SOP_TOKEN": secret}, cwd=str(w))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)


def text(result):
    return json.loads(result.content[0].text)


def test_an_ai_agent_drives_a_return_to_its_end(tmp_path):
    w = workspace(tmp_path)
    agent = token(w, "bot", "agent")
    supervisor = token(w, "sue", "supervisor")

    async def as_agent(session):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {"list_sops", "route", "start_run", "get_run", "step", "update_ticket", "get_journal"}
        assert "returns" in [s["id"] for s in text(await session.call_tool("list_sops", {}))]
        assert "returns" in [r["sop"] for r in text(await session.call_tool("route", {"ticket": RETURN_TICKET}))]
        run = text(await session.call_tool("start_run", {"sop": "returns", "ticket": RETURN_TICKET, "run": "m1"}))
        assert run["state"] == "verify_purchase"
        schema = run["input_schema"]
        assert schema["properties"]["purchased_on"] == {"type": "string", "format": "date", "description": "Purchase date (from the order)"}
        assert set(schema["required"]) == {"order_found", "purchased_on", "amount"}
        # A refused step is a tool error with the reason and what is possible instead.
        refused = await session.call_tool("step", {"run": "m1", "event": "label_sent"})
        assert refused.is_error
        error = text(refused)
        assert error["error"] == "refused" and "not possible in state 'verify_purchase'" in error["reason"]
        # The object server.md documents: no command-line exit code in it.
        assert set(error) <= {"error", "reason", "instead", "fields"}, error
        step = lambda **args: session.call_tool("step", {"run": "m1", **args})
        r = text(await step(inputs={"order_found": True, "purchased_on": today(-2), "amount": 640}, checks="all"))
        assert r["state"] == "send_label", r
        r = text(await step(event="label_sent", checks="all"))
        assert r["state"] == "awaiting_item" and r["events"] == [{"event": "item_received", "label": "The item has arrived at the warehouse"}]
        r = text(await step(event="item_received"))
        r = text(await step(inputs={"condition": "as_new"}))
        assert r["state"] == "approval" and r["events"] == []
        # The supervisor's state is kept for humans: the agent's token may not approve.
        forbidden = await step(event="approve")
        assert forbidden.is_error and text(forbidden)["error"] == "forbidden"
        patched = text(await session.call_tool("update_ticket", {"run": "m1", "patch": {"priority": "high"}}))
        assert patched["ticket"]["priority"] == "high"

    asyncio.run(session_calls(w, agent, as_agent))

    async def as_supervisor(session):
        r = text(await session.call_tool("step", {"run": "m1", "event": "approve"}))
        assert r["status"] == "ended" and r["outcome"] == "refunded"
        journal = text(await session.call_tool("get_journal", {"run": "m1"}))
        assert journal[-1]["to"] == "refunded"
        assert {"id": "bot", "role": "agent"} in [j["actor"] for j in journal]
        assert {"id": "sue", "role": "supervisor"} in [j["actor"] for j in journal]

    asyncio.run(session_calls(w, supervisor, as_supervisor))
    assert "m1: ok" in sop("verify", "--verbose", "--store", store_of(w), cwd=w).stdout


def test_mcp_needs_a_valid_token(tmp_path):
    w = workspace(tmp_path)
    import subprocess
    missing = subprocess.run([SOP, "mcp", "--store", store_of(w)], cwd=w, capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k != "SOP_TOKEN"}, timeout=30)
    assert missing.returncode == 2 and "SOP_TOKEN" in missing.stderr
    forged = subprocess.run([SOP, "mcp", "--store", store_of(w)], cwd=w, capture_output=True, text=True,
                            env={**os.environ, "SOP_TOKEN": "sop_forged"}, timeout=30)
    assert forged.returncode == 2 and "not a valid token" in forged.stderr


def test_list_sops_shows_titles_without_templates_and_route_fills_them(tmp_path):
    """Issue 32, item 6: no ticket in list_sops (a template shows as …); route knows it."""
    w = workspace(tmp_path)
    (w / "sops" / "dispute.sop.yaml").write_text("""sop: dispute
version: 1
title: Chargeback dispute for ${{ ticket.id }}
category: billing
applies_when: ticket.category == 'billing'
roles: [agent]
start: gather
states:
  gather:
    title: Gather the evidence
    transitions:
      - {to: done, on: sent, label: The evidence is sent}
  done: {title: Done, end: sent}
""")
    agent = token(w, "bot", "agent")

    async def calls(session):
        sops = {s["id"]: s["title"] for s in text(await session.call_tool("list_sops", {}))}
        assert sops["dispute"] == "Chargeback dispute for …"
        routed = {r["sop"]: r["title"] for r in text(await session.call_tool("route", {"ticket": {"id": "T-55", "category": "billing"}}))}
        assert routed["dispute"] == "Chargeback dispute for T-55"

    asyncio.run(session_calls(w, agent, calls))

HANDOFF = """\
sop: handoff
version: 1
title: Hand a ticket to a check
start: check
states:
  check:
    title: Run the check
    call: check
    transitions:
      - {to: passed, when: "child.outcome == 'ok'"}
      - {to: failed, when: "child.outcome == 'bad'"}
  passed:
    title: Tell the customer
    transitions:
      - {to: done, on: told}
  failed: {title: Failed, end: failed}
  done: {title: Done, end: done}
"""

CHECK = """\
sop: check
version: 1
title: A check
start: look
states:
  look:
    title: Look
    transitions:
      - {to: ok, on: fine}
      - {to: bad, on: broken}
  ok: {title: OK, end: ok}
  bad: {title: Bad, end: bad}
"""


def test_a_step_that_ends_a_child_answers_with_the_parent_too(tmp_path):
    """docs/server.md: the child, ended, and in parent_run the parent that took its outcome and
    moved on, where the agent goes on."""
    w = workspace(tmp_path)
    (w / "sops" / "handoff.sop.yaml").write_text(HANDOFF)
    (w / "sops" / "check.sop.yaml").write_text(CHECK)
    agent = token(w, "bot", "agent")

    async def as_agent(session):
        parent = text(await session.call_tool("start_run", {"sop": "handoff", "ticket": RETURN_TICKET, "run": "h1"}))
        child = parent["child"]
        assert parent["state"] == "check" and child
        stepped = text(await session.call_tool("step", {"run": child, "event": "fine"}))
        assert stepped["run"] == child and stepped["status"] == "ended" and stepped["parent"] == "h1"
        moved = stepped["parent_run"]
        assert moved["run"] == "h1" and moved["state"] == "passed", moved
        assert moved["events"] == [{"event": "told", "label": "told"}] and "input_schema" in moved
        # A step that ends no child answers as get_run does, without parent_run.
        done = text(await session.call_tool("step", {"run": "h1", "event": "told"}))
        assert done["status"] == "ended" and "parent_run" not in done

    asyncio.run(session_calls(w, agent, as_agent))


def test_requests_written_before_the_input_closes_are_all_answered(tmp_path):
    """A client that writes its requests and closes its end (a pipe, a script) gets every answer:
    the server answers what it read before it stops (a new user's afternoon lost the tool call)."""
    import subprocess
    w = workspace(tmp_path)
    secret = token(w, "bot", "agent")
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "pipe", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_sops", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "start_run", "arguments": {"sop": "returns", "ticket": RETURN_TICKET, "run": "p1"}}},
    ]
    done = subprocess.run([SOP, "mcp", "--sops", "sops", "--store", store_of(w)], cwd=w, timeout=60, capture_output=True, text=True,
                          input="".join(json.dumps(line) + "\n" for line in lines), env={**os.environ, "SOP_TOKEN": secret})
    answers = {m["id"]: m for m in map(json.loads, done.stdout.splitlines()) if "id" in m}
    assert set(answers) == {1, 2, 3}, done.stdout + done.stderr
    assert not answers[3]["result"].get("isError"), answers[3]
    assert "p1: ok" in sop("verify", "--verbose", "--store", store_of(w), cwd=w).stdout


def test_calls_are_answered_in_the_order_they_come(tmp_path):
    """A client that sends a change and then a read without waiting reads its change: `sop mcp`
    carries out its calls one at a time, in order (reads are not taken beside the writes there)."""
    import subprocess
    w = workspace(tmp_path)
    secret = token(w, "bot", "agent")
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "pipe", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "start_run", "arguments": {"sop": "returns", "ticket": RETURN_TICKET, "run": "p1"}}},
    ]
    for i in range(3, 23, 2):
        lines.append({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                      "params": {"name": "update_ticket", "arguments": {"run": "p1", "patch": {"order_id": f"A-{i}"}}}})
        lines.append({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {"name": "get_journal", "arguments": {"run": "p1"}}})
    done = subprocess.run([SOP, "mcp", "--sops", "sops", "--store", store_of(w)], cwd=w, timeout=60, capture_output=True, text=True,
                          input="".join(json.dumps(line) + "\n" for line in lines), env={**os.environ, "SOP_TOKEN": secret})
    answers = {m["id"]: m for m in map(json.loads, done.stdout.splitlines()) if "id" in m}
    assert set(answers) == set(range(1, 23)), done.stdout + done.stderr
    for n, i in enumerate(range(4, 24, 2)):
        journal = json.loads(answers[i]["result"]["content"][0]["text"])
        # The start, then one record per update sent before this read.
        assert len(journal) == n + 2, (i, [r.get("trigger") for r in journal])


def test_each_sop_is_offered_as_a_procedure_in_words(tmp_path):
    """Issue 36: every SOP the token may see is a resource `sop://ID` (Markdown) and a prompt named
    by its id, whose text is generated from the SOP; with `run`, the prompt says where the run is."""
    w = workspace(tmp_path)
    agent = token(w, "bot", "agent")
    tier2 = token(w, "tia", "tier2")

    async def as_agent(session):
        resources = {r.name: r for r in (await session.list_resources()).resources}
        sops = [s["id"] for s in text(await session.call_tool("list_sops", {}))]
        assert sorted(resources) == sorted(sops) and "complaint" in resources
        complaint = resources["complaint"]
        assert str(complaint.uri) == "sop://complaint" and complaint.mime_type == "text/markdown"
        assert complaint.title == "Resolve a service complaint"
        read = await session.read_resource("sop://complaint")
        assert len(read.contents) == 1 and read.contents[0].mime_type == "text/markdown"
        markdown = read.contents[0].text
        assert markdown.startswith("# Resolve a service complaint\n\nSOP `complaint`, version 1")
        assert "### `acknowledge`: Acknowledge the complaint" in markdown
        assert "On the SLA event `sla.first_response.breached`" in markdown
        assert "Calls the SOP `escalation` (Escalate a ticket)" in markdown
        assert "- `ticket.id`: string, required. The helpdesk's ticket id." in markdown

        prompts = {p.name: p for p in (await session.list_prompts()).prompts}
        assert sorted(prompts) == sorted(sops)
        assert prompts["complaint"].description == "Resolve a service complaint"
        assert [(a.name, a.required) for a in prompts["complaint"].arguments] == [("run", False)]
        got = await session.get_prompt("complaint")
        assert got.description == "Resolve a service complaint"
        [message] = got.messages
        assert message.role == "user"
        assert message.content.text.startswith(markdown)
        assert "## How to act" in message.content.text and "`start_run`" in message.content.text
        assert "## Where the run" not in message.content.text

        # With a run: where it is now, the facts get_run gives.
        run = text(await session.call_tool("start_run", {"sop": "complaint", "ticket": {"id": "T-9", "category": "complaint"}, "run": "c1"}))
        assert run["state"] == "acknowledge"
        with_run = (await session.get_prompt("complaint", {"run": "c1"})).messages[0].content.text
        assert "## Where the run `c1` is now" in with_run
        shown = json.loads(with_run.split("```json\n")[1].split("\n```")[0])
        now = text(await session.call_tool("get_run", {"run": "c1"}))
        assert shown["state"] == now["state"] == "acknowledge" and shown["events"] == now["events"]
        assert shown["input_schema"] == now["input_schema"]

        # Unknown ids are invalid params with the reason, and the server goes on.
        for call, needle in [(lambda: session.read_resource("sop://nope"), "no SOP 'nope'"),
                             (lambda: session.read_resource("file:///etc/passwd"), "sop://ID"),
                             (lambda: session.get_prompt("nope"), "no SOP 'nope'"),
                             (lambda: session.get_prompt("complaint", {"run": "missing"}), "no run has the id 'missing'"),
                             (lambda: session.get_prompt("returns", {"run": "c1"}), "follows the SOP 'complaint'")]:
            with pytest.raises(MCPError) as refused:
                await call()
            assert refused.value.code == -32602 and needle in refused.value.error.message, refused.value.error
        assert "returns" in [s["id"] for s in text(await session.call_tool("list_sops", {}))]

    asyncio.run(session_calls(w, agent, as_agent))

    async def as_tier2(session):
        # As list_sops: only the SOPs one of the token's roles acts in.
        visible = [s["id"] for s in text(await session.call_tool("list_sops", {}))]
        assert visible == ["escalation"]
        assert [r.name for r in (await session.list_resources()).resources] == visible
        assert [p.name for p in (await session.list_prompts()).prompts] == visible
        with pytest.raises(MCPError) as refused:
            await session.read_resource("sop://complaint")
        assert refused.value.code == -32602 and "forbidden" in refused.value.error.message
        # The prompt of an SOP it may not see is forbidden, even with a run it may see.
        started = await session.call_tool("start_run", {"sop": "escalation", "ticket": {"id": "T-10"}, "run": "e1"})
        assert not started.is_error, started
        with pytest.raises(MCPError) as refused:
            await session.get_prompt("complaint", {"run": "e1"})
        assert refused.value.code == -32602 and "forbidden" in refused.value.error.message, refused.value.error

    asyncio.run(session_calls(w, tier2, as_tier2))
