"""Every answer validates: each operation of schemas/openapi.yaml is called with a valid request
(and its main error answers), on a folder with an SOP that leaves out every optional key beside
the shipped ones, and each answer's status, media type and body are checked against the
operation's response in the document (its schemas resolved with jsonschema, JSON Schema 2020-12
as OpenAPI 3.1 has it). schemathesis (test_contract.py) generates requests; this test makes sure
the answers that need a run in a given state, or an SOP without prompts, are seen at all."""

import hashlib
import hmac
import json
import signal
import time

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import requests
from openapi_spec_validator.readers import read_from_filename

from conftest import ROOT, Server, workspace

DOCUMENT, _ = read_from_filename(str(ROOT / "schemas" / "openapi.yaml"))
REGISTRY = referencing.Registry().with_resource(
    "urn:sopkit:openapi", referencing.Resource.from_contents(DOCUMENT, default_specification=referencing.jsonschema.DRAFT202012))

# No prompt, labels, instructions, checklist, roles, category, description, vars, applies_when.
BARE = """\
sop: bare
version: 1
title: Bare
start: ask
states:
  ask:
    title: Ask
    inputs:
      answer: {type: string}
      choice: {type: enum, values: [a, b], required: false}
    transitions:
      - {to: wait, on: next}
  wait:
    title: Wait
    transitions:
      - {to: done, on: finish}
  done: {title: Done, end: done}
"""

CATEGORIES = json.loads((ROOT / "schemas" / "ticket.schema.json").read_text())["properties"]["category"]["enum"]

TICKET = {"id": "T-9", "category": "general", "customer": {"name": "Bo", "email": "bo@example.org"}}


def pointer(*parts):
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class Checker:
    """Checks answers against the document and remembers which operation answered what."""

    def __init__(self):
        self.seen = {}

    def operation(self, path, method):
        for template, item in DOCUMENT["paths"].items():
            if method in item and self.matches(template, path):
                return template, item[method]
        raise AssertionError(f"no operation {method.upper()} {path} in openapi.yaml")

    @staticmethod
    def matches(template, path):
        a, b = template.split("/"), path.split("?")[0].split("/")
        return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b))

    def __call__(self, response, expected_status=None):
        path = response.request.path_url
        method = response.request.method.lower()
        template, operation = self.operation(requests.utils.unquote(path).split("?")[0], method)
        status = str(response.status_code)
        if expected_status is not None:
            assert response.status_code == expected_status, f"{method.upper()} {path}: {response.status_code} {response.text[:500]}"
        assert status in operation["responses"], f"{method.upper()} {path}: undocumented status {status}: {response.text[:300]}"
        self.seen.setdefault(operation["operationId"], set()).add(response.status_code)
        answer = operation["responses"][status]
        where = ["paths", template, method, "responses", status]
        if "$ref" in answer:
            where = answer["$ref"].lstrip("#/").split("/")
            answer = DOCUMENT["components"]["responses"][where[-1]]
        content = answer.get("content")
        if not content:
            return response
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        assert media in content, f"{method.upper()} {path} {status}: media type {media!r}, documented {list(content)}"
        if media == "application/json":
            schema = {"$ref": "urn:sopkit:openapi#/" + pointer(*where, "content", media, "schema")}
            validator = jsonschema.Draft202012Validator(schema, registry=REGISTRY, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.absolute_path))
            assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
        return response


@pytest.fixture
def bare_server(tmp_path):
    folder = workspace(tmp_path)
    (folder / "sops" / "bare.sop.yaml").write_text(BARE)
    s = Server(folder)
    yield s
    s.stop()


def test_every_operation_answers_as_the_document_says(bare_server):
    s, check = bare_server, Checker()
    anonymous = {"Authorization": "Bearer sop_not-a-token"}
    # Operations.
    check(requests.get(s.url + "/healthz", timeout=10), 200)
    check(requests.get(s.url + "/readyz", timeout=10), 200)
    check(requests.get(s.url + "/metrics", timeout=10), 200)
    check(requests.get(s.url + "/openapi.yaml", timeout=10), 200)
    # SOPs: the bare one, every shipped one, an unknown one.
    sops = check(s.get("/v1/sops"), 200).json()["sops"]
    assert {"bare", "returns"} <= {x["id"] for x in sops}
    check(requests.get(s.url + "/v1/sops", headers=anonymous, timeout=10), 401)
    bare = check(s.get("/v1/sops/bare"), 200).json()
    assert [i["prompt"] for i in bare["states"][0]["inputs"]] == ["answer", "choice"]
    for entry in sops:
        check(s.get(f"/v1/sops/{entry['id']}"), 200)
    check(s.get("/v1/sops/nope"), 404)
    # Report: for supervisors.
    check(s.get("/v1/report", actor="sam"), 200)
    check(s.get("/v1/report", actor="sam", params={"format": "html"}), 200)
    check(s.get("/v1/report", actor="sam", params={"from": "yesterday"}), 400)
    check(s.get("/v1/report"), 403)
    # Starting runs.
    started = check(s.start(TICKET, "b1", sop_id="bare"), 201).json()
    assert [(i["name"], i["prompt"]) for i in started["input_specs"]] == [("answer", "answer"), ("choice", "choice")]
    check(s.start(TICKET, "b1", sop_id="bare"), 200)
    check(s.start({**TICKET, "id": "T-10"}, "b1", sop_id="bare"), 409)
    check(s.start(TICKET, "b2", sop_id="nope"), 404)
    # A run of every shipped SOP (the complaint one with its SLA clocks in the answer), as sam,
    # who holds agent and supervisor.
    for n, entry in enumerate(e for e in sops if e["id"] != "bare"):
        category = entry["category"] if entry["category"] in CATEGORIES else "general"
        ticket = {**TICKET, "id": f"T-S{n}", "category": category, "order_id": "A-17"}
        check(s.start(ticket, f"s{n}", sop_id=entry["id"], actor="sam"), 201)
        check(s.get(f"/v1/runs/s{n}", actor="sam"), 200)
    # A ticket that breaks the ticket schema is refused.
    check(s.start({"id": ["not", "a", "string"]}, "b2", sop_id="bare"), 422)
    check(s.post("/v1/runs", {"sop": "bare"}), 400)
    check(requests.post(s.url + "/v1/runs", data="x", headers={**s.headers(), "Content-Type": "text/plain"}, timeout=10), 415)
    check(requests.post(s.url + "/v1/runs", json={"sop": "bare", "ticket": TICKET}, headers=anonymous, timeout=10), 401)
    check(s.start(TICKET, "b3", sop_id="bare", actor="olga"), 403)
    # Listing and reading runs.
    check(s.get("/v1/runs"), 200)
    check(s.get("/v1/runs", params={"sort": "sla_due"}), 200)
    check(s.get("/v1/runs", params={"limit": "0"}), 400)
    status = check(s.get("/v1/runs/b1"), 200)
    version = status.json()["version"]
    check(s.get("/v1/runs/b1", actor="olga"), 403)
    check(s.get("/v1/runs/nope"), 404)
    # Steps: refused, stale, malformed, forbidden, then taken.
    check(s.step("b1", event="nope"), 422)
    check(s.step("b1", event="next", headers={"If-Match": f'"{version + 1}"'}), 412)
    check(s.step("b1", event="next", headers={"If-Match": '"abc"'}), 412)
    check(s.step("b1", event="next", headers={"If-Match": "abc"}), 400)
    check(s.step("b1", nonsense=1), 400)
    check(s.step("b1", actor="olga", event="next"), 403)
    check(s.step("nope", event="next"), 404)
    check(requests.post(s.url + "/v1/runs/b1/steps", data="x", headers={**s.headers(), "Content-Type": "text/plain"}, timeout=10), 415)
    stepped = check(s.step("b1", inputs={"answer": "yes"}, event="next"), 200).json()
    assert stepped["state"] == "wait"
    # Ticket patches.
    patch = {**s.headers(), "Content-Type": "application/merge-patch+json"}
    check(requests.patch(s.url + "/v1/runs/b1/ticket", data=json.dumps({"priority": "high"}), headers=patch, timeout=10), 200)
    check(requests.patch(s.url + "/v1/runs/b1/ticket", data="[1]", headers=patch, timeout=10), 400)
    check(requests.patch(s.url + "/v1/runs/b1/ticket", data="{}", headers={**patch, "If-Match": '"0"'}, timeout=10), 412)
    check(requests.patch(s.url + "/v1/runs/nope/ticket", data="{}", headers=patch, timeout=10), 404)
    check(requests.patch(s.url + "/v1/runs/b1/ticket", data="{}", headers={**s.headers(), "Content-Type": "text/plain"}, timeout=10), 415)
    ended = check(s.step("b1", event="finish"), 200).json()
    assert ended["status"] == "ended"
    check(requests.patch(s.url + "/v1/runs/b1/ticket", data=json.dumps({"priority": "low"}), headers=patch, timeout=10), 422)
    # Journal and verification.
    check(s.get("/v1/runs/b1/journal"), 200)
    check(s.get("/v1/runs/b1/journal", params={"after": "x"}), 400)
    check(s.get("/v1/runs/nope/journal"), 404)
    check(s.get("/v1/runs/b1/verify"), 200)
    check(s.get("/v1/runs/nope/verify"), 404)
    # The event stream: its head only (it does not end).
    stream = s.get("/v1/events", params={"after": "0"}, stream=True)
    check(stream, 200)
    stream.close()
    check(s.get("/v1/events", params={"after": "x"}), 400)
    check(s.get("/v1/events", params={"run": "nope"}), 404)
    # The helpdesk hook.
    update = {"ticket_id": "T-9", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "patch": {"priority": "urgent"}}
    check(s.signed_hook(update, "d-1"), 200)
    check(s.signed_hook(update, "d-2", secret=b"another-secret-another-secret"), 401)
    raw = b"{}"
    stamp = str(int(time.time()))
    mac = hmac.new(s.hook_secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    check(requests.post(s.url + "/v1/hooks/tickets", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "Sop-Delivery": "d-3", "Sop-Timestamp": stamp, "Sop-Signature": "v1=" + mac}), 400)
    # Migrations: a run of bare waits in `wait`, then version 2 (where `wait` is `hold`) is served.
    check(s.start({**TICKET, "id": "T-11"}, "b4", sop_id="bare"), 201)
    check(s.step("b4", inputs={"answer": "yes"}, event="next"), 200)
    (s.dir / "sops" / "bare.sop.yaml").write_text(BARE.replace("version: 1", "version: 2").replace("wait", "hold"))
    s.process.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and s.get("/v1/sops/bare").json()["version"] != 2:
        time.sleep(0.2)
    refused = check(s.post("/v1/migrations", {"sop": "bare"}, actor="sam"), 200).json()
    assert [r["rule"] for r in refused["refusals"]] == ["migrate/state-removed"]
    check(s.post("/v1/migrations", {"sop": "bare", "map": {"wait": "nowhere"}}, actor="sam"), 200)
    moved = check(s.post("/v1/migrations", {"sop": "bare", "map": {"wait": "hold"}, "dry_run": False}, actor="sam"), 200).json()
    assert moved["moves"] == [{"from": "wait", "to": "hold", "runs": ["b4"]}]
    check(s.post("/v1/migrations", {"sop": "bare"}), 403)
    check(s.post("/v1/migrations", {"sop": "nope"}, actor="sam"), 404)
    check(s.post("/v1/migrations", {"sop": "bare", "dry_run": 1}, actor="sam"), 400)
    check(requests.post(s.url + "/v1/migrations", data="x", headers={**s.headers("sam"), "Content-Type": "text/plain"}, timeout=10), 415)
    check(requests.post(s.url + "/v1/migrations", json={"sop": "bare"}, headers=anonymous, timeout=10), 401)
    # Every operation of the document answered at least once, and with a success.
    operations = {op["operationId"] for item in DOCUMENT["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op}
    assert operations == set(check.seen), operations ^ set(check.seen)
    assert all(any(code < 300 for code in codes) for codes in check.seen.values()), check.seen
