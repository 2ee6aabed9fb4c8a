"""The HTTP API of `sop serve`, through a real HTTP client (requests)."""

import hashlib
import hmac
import json
import signal
import subprocess
import time

import requests

from conftest import RETURN_TICKET, ROOT, Server, sop, today, workspace


def drive_return_to_approval(server, run="w1", amount=640):
    assert server.start(RETURN_TICKET, run).status_code == 201
    r = server.step(run, inputs={"order_found": True, "purchased_on": today(-3), "amount": amount}, checks="all")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "send_label"
    r = server.step(run, event="label_sent", checks="all")
    assert r.json()["state"] == "awaiting_item", r.text
    assert server.step(run, event="item_received").json()["state"] == "inspect"
    r = server.step(run, inputs={"condition": "as_new"})
    assert r.json()["state"] == ("approval" if amount > 200 else "refunded"), r.text
    return r


def test_operations_endpoints(server):
    assert requests.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = requests.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    spec = requests.get(server.url + "/openapi.yaml")
    assert spec.headers["Content-Type"] == "application/yaml"
    assert spec.text == (ROOT / "schemas" / "openapi.yaml").read_text()
    metrics = requests.get(server.url + "/metrics").text
    assert "sop_ticks_total" in metrics and "sop_step_duration_seconds" in metrics


def test_tokens_are_required_and_revocable(server):
    assert requests.get(server.url + "/v1/sops").status_code == 401
    bad = requests.get(server.url + "/v1/sops", headers={"Authorization": "Bearer sop_nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
    assert server.get("/v1/sops").status_code == 200
    listed = json.loads(sop("token", "list", "--store", server.store, "--format", "json", cwd=server.dir).stdout)
    ana = next(t for t in listed if t["actor"] == "ana")
    assert "token" not in ana and server.tokens["ana"] not in json.dumps(listed)
    sop("token", "revoke", ana["id"], "--store", server.store, cwd=server.dir)
    assert server.get("/v1/sops").status_code == 401
    # Tokens never reach the log.
    log = (server.dir / "server.log").read_text()
    assert all(token not in log for token in server.tokens.values())


def test_sops_are_listed_with_their_lint_status(server):
    sops = server.get("/v1/sops").json()["sops"]
    returns = next(s for s in sops if s["id"] == "returns")
    assert returns["lint"] == {"status": "ok", "errors": 0, "warnings": 0} and returns["version"] == 1
    detail = server.get("/v1/sops/returns").json()
    assert detail["start"] == "verify_purchase"
    approval = next(s for s in detail["states"] if s["id"] == "approval")
    assert approval["role"] == "supervisor" and {t["on"] for t in approval["transitions"]} == {"approve", "deny"}
    assert detail["graph"]["mermaid"].startswith("stateDiagram")
    missing = server.get("/v1/sops/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_sop"
    # An SOP is shown to a token with one of its roles, as the list shows it (issue 33): olga
    # (billing) sees none in the list, and the SOP itself is 403 for her; an unknown one is 404.
    assert server.get("/v1/sops", actor="olga").json()["sops"] == []
    hidden = server.get("/v1/sops/returns", actor="olga")
    assert hidden.status_code == 403 and hidden.json()["error"] == "forbidden" and "'billing'" in hidden.json()["reason"]
    assert server.get("/v1/sops/nope", actor="olga").status_code == 404


def test_a_return_runs_to_its_end_with_refusals_roles_and_versions(server):
    drive_return_to_approval(server)
    status = server.get("/v1/runs/w1")
    assert status.headers["ETag"] == f'"{status.json()["version"]}"'
    # ana (agent) is not shown the supervisor's events, and sending one is 403; nothing changes.
    assert status.json()["events"] == []
    before = server.get("/v1/runs/w1/journal").json()["records"]
    forbidden = server.step("w1", event="approve")
    assert forbidden.status_code == 403 and "'supervisor'" in forbidden.json()["reason"]
    # A refused step is 422 with the same reason and alternatives as the command line.
    refused = server.step("w1", actor="sam", event="nope")
    assert refused.status_code == 422
    assert refused.json()["error"] == "refused" and refused.json()["reason"] == "event 'nope' is not possible in state 'approval'"
    assert refused.json()["instead"] == ["event approve (Approve the refund)", "event deny (Deny the refund)"]
    # A stale If-Match is 412 and changes nothing.
    version = status.json()["version"]
    stale = server.step("w1", actor="sam", event="approve", headers={"If-Match": f'"{version - 1}"'})
    assert stale.status_code == 412 and stale.json()["error"] == "stale_version"
    assert server.get("/v1/runs/w1/journal").json()["records"] == before
    # RFC 9110 §13.1.1: a well-formed entity tag that names no version is a false condition
    # (412), as is a list of tags none of which is the run's; only a header that is not a list
    # of entity tags is 400.
    for header in ('"abc"', 'W/"abc"', f'"abc", "{version - 1}"'):
        false = server.step("w1", actor="sam", event="approve", headers={"If-Match": header})
        assert (false.status_code, false.json()["error"]) == (412, "stale_version"), (header, false.text)
    for header in ('abc', '"3', '"3" x'):
        bad = server.step("w1", actor="sam", event="approve", headers={"If-Match": header})
        assert (bad.status_code, bad.json()["error"]) == (400, "bad_request"), (header, bad.text)
    assert server.get("/v1/runs/w1/journal").json()["records"] == before
    # sam holds supervisor: the step is taken as sam:supervisor, once for a repeated key.
    ok = server.step("w1", actor="sam", event="approve", headers={"If-Match": f'"abc", "{version}"', "Idempotency-Key": "k1"})
    assert ok.status_code == 200 and ok.json()["outcome"] == "refunded", ok.text
    again = server.step("w1", actor="sam", event="approve", headers={"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json()["version"] == ok.json()["version"]
    records = server.get("/v1/runs/w1/journal").json()["records"]
    approve = next(r for r in records if r["trigger"].get("event") == "approve")
    assert approve["actor"] == {"id": "sam", "role": "supervisor"}
    after = server.get("/v1/runs/w1/journal", params={"after": approve["seq"]}).json()["records"]
    assert [r["seq"] for r in after] == [r["seq"] for r in records if r["seq"] > approve["seq"]]
    assert server.get("/v1/runs/w1/verify").json() == {"run": "w1", "ok": True, "records": len(records), "failure": None}
    # The command line agrees with the server's journal.
    assert "w1: ok" in sop("verify", "w1", "--store", server.store, cwd=server.dir).stdout


def test_starts_are_idempotent_by_run_id(server):
    first = server.start(RETURN_TICKET, "same")
    assert first.status_code == 201 and first.headers["Location"] == "/v1/runs/same"
    assert server.start(RETURN_TICKET, "same").status_code == 200
    other = server.start({**RETURN_TICKET, "order_id": "B-2"}, "same")
    assert other.status_code == 409 and other.json()["error"] == "conflict"
    keyed = server.post("/v1/runs", {"sop": "returns", "ticket": RETURN_TICKET}, headers={"Idempotency-Key": "start-1"})
    again = server.post("/v1/runs", {"sop": "returns", "ticket": RETURN_TICKET}, headers={"Idempotency-Key": "start-1"})
    assert keyed.status_code == 201 and again.status_code == 200 and keyed.json()["run"] == again.json()["run"]
    bad = server.start({"category": "returns"}, "bad")
    assert bad.status_code == 422 and bad.json()["error"] == "refused"
    assert server.get("/v1/runs/bad").status_code == 404


def test_ticket_patches_are_merge_patches_and_validated(server):
    server.start(RETURN_TICKET, "p1")
    url = server.url + "/v1/runs/p1/ticket"
    wrong_type = requests.patch(url, json={"priority": "high"}, headers=server.headers())
    assert wrong_type.status_code == 415
    patch = lambda body: requests.patch(url, data=json.dumps(body), headers=server.headers(**{"Content-Type": "application/merge-patch+json"}))
    invalid = patch({"priority": "sky-high"})
    assert invalid.status_code == 422 and invalid.json()["instead"]
    ok = patch({"priority": "high", "customer": {"name": None}})
    assert ok.status_code == 200 and ok.json()["ticket"]["priority"] == "high" and "name" not in ok.json()["ticket"]["customer"]
    # An ended run's ticket cannot change.
    server.step("p1", inputs={"order_found": False, "purchased_on": today(), "amount": 1}, checks="all")
    ended = patch({"priority": "low"})
    assert ended.status_code == 422 and "has ended" in ended.json()["reason"]


def test_hostile_bodies_get_clear_4xx(server):
    server.start(RETURN_TICKET, "h1")
    big = requests.post(server.url + "/v1/runs/h1/steps", data=b'{"event": "' + b"x" * (1 << 20) + b'"}',
                        headers=server.headers(**{"Content-Type": "application/json"}))
    assert big.status_code == 413 and big.json()["error"] == "too_large"
    deep = requests.post(server.url + "/v1/runs/h1/steps", data="[" * 65 + "]" * 65,
                         headers=server.headers(**{"Content-Type": "application/json"}))
    assert deep.status_code == 400 and "64" in deep.json()["reason"]
    unknown = server.step("h1", event="x", bogus=1)
    assert unknown.status_code == 400 and "'bogus'" in unknown.json()["reason"]
    not_json = requests.post(server.url + "/v1/runs/h1/steps", data="{", headers=server.headers(**{"Content-Type": "application/json"}))
    assert not_json.status_code == 400
    checks = server.step("h1", checks=[0])
    assert checks.status_code == 400
    assert server.step("nope", event="x").status_code == 404


def test_invalid_utf8_is_refused_with_400_never_stored(server):
    # Issue 32 item 26: a byte that is not UTF-8 in a ticket value, a key or a patch was stored as
    # U+FFFD. Each is a 400 naming the byte; nothing starts or changes.
    json_type = server.headers(**{"Content-Type": "application/json"})
    value = requests.post(server.url + "/v1/runs", data=b'{"sop": "returns", "id": "u1", "ticket": {"id": "T-\xff1"}}',
                          headers=json_type, timeout=10)
    assert value.status_code == 400 and value.json()["error"] == "bad_request"
    assert "invalid UTF-8: the byte 0xFF" in value.json()["reason"]
    key = requests.post(server.url + "/v1/runs", data=b'{"sop": "returns", "id": "u1", "ticket": {"i\xc3d": "T-1"}}',
                        headers=json_type, timeout=10)
    assert key.status_code == 400 and "invalid UTF-8: the byte 0xC3" in key.json()["reason"]
    assert server.get("/v1/runs/u1").status_code == 404
    server.start(RETURN_TICKET, "u2")
    patch = requests.patch(server.url + "/v1/runs/u2/ticket", data=b'{"subject": "caf\xe9"}',
                           headers=server.headers(**{"Content-Type": "application/merge-patch+json"}), timeout=10)
    assert patch.status_code == 400 and "invalid UTF-8: the byte 0xE9" in patch.json()["reason"]
    assert server.get("/v1/runs/u2").json()["ticket"].get("subject") != "caf\ufffd"


def test_the_body_limit_is_the_ticket_limit_and_can_be_set(tmp_path):
    # Issue 32 item 25: tickets arrive in bodies; `--max-ticket-size` sets the body limit (1 MiB
    # by default), and the 413 says how to raise it.
    server = Server(workspace(tmp_path), extra=("--max-ticket-size", "2000"))
    try:
        ticket = dict(RETURN_TICKET, description="x" * 3000)
        big = server.start(ticket, "b1")
        assert big.status_code == 413 and big.json()["error"] == "too_large"
        assert big.json()["reason"] == "the request body is larger than 2000 bytes; the server's --max-ticket-size sets the limit"
        assert server.start(RETURN_TICKET, "b2").status_code == 201
    finally:
        server.stop()


def test_lists_filter_page_and_hide_what_the_caller_may_not_see(server):
    for i in range(5):
        server.start({**RETURN_TICKET, "id": f"T-{i}"}, f"l{i}")
    drive_return_to_approval(server, "l9")
    page = server.get("/v1/runs", params={"limit": 2}).json()
    seen = [r["run"] for r in page["runs"]]
    while page["next_cursor"]:
        page = server.get("/v1/runs", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [r["run"] for r in page["runs"]]
    assert seen == ["l0", "l1", "l2", "l3", "l4", "l9"]
    assert [r["run"] for r in server.get("/v1/runs", params={"role": "supervisor"}).json()["runs"]] == ["l9"]
    assert [r["run"] for r in server.get("/v1/runs", params={"ticket_id": "T-3"}).json()["runs"]] == ["l3"]
    assert len(server.get("/v1/runs", params={"state": "verify_purchase", "sop": "returns"}).json()["runs"]) == 5
    assert server.get("/v1/runs", params={"sop": "nope"}).status_code == 400
    assert server.get("/v1/runs", params={"limit": 0}).status_code == 400
    # olga holds no role the shipped SOPs name: she sees no runs, and none by id.
    assert server.get("/v1/runs", actor="olga").json()["runs"] == []
    assert server.get("/v1/runs/l0", actor="olga").status_code == 403
    assert server.start(RETURN_TICKET, "o1", actor="olga").status_code == 403


def test_events_stream_committed_records_and_resume(server):
    server.start(RETURN_TICKET, "e1")
    stream = requests.get(server.url + "/v1/events", params={"after": "0"}, headers=server.headers(), stream=True, timeout=10)
    assert stream.headers["Content-Type"] == "text/event-stream"
    events = []
    lines = stream.iter_lines(decode_unicode=True)
    server.step("e1", inputs={"order_found": True, "purchased_on": today(-3), "amount": 10}, checks="all")
    current = {}
    deadline = time.time() + 10
    while time.time() < deadline and len(events) < 3:
        line = next(lines)
        if line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("data: "):
            current["record"] = json.loads(line[6:])
        elif line == "" and "record" in current:
            events.append(current)
            current = {}
    stream.close()
    assert [e["record"]["seq"] for e in events] == [0, 1, 2]
    assert all(e["record"]["run"] == "e1" for e in events)
    # Resuming after the second event gives the third first.
    resumed = requests.get(server.url + "/v1/events", headers=server.headers(**{"Last-Event-ID": str(events[1]["id"])}), stream=True, timeout=10)
    for line in resumed.iter_lines(decode_unicode=True):
        if line.startswith("id: "):
            assert int(line[4:]) == events[2]["id"]
            break
    resumed.close()


def test_events_stream_only_the_sops_a_caller_sees(server):
    # The stream filters by the run's SOP as the store reports it (journalFeed), not by parsing records.
    server.start(RETURN_TICKET, "v1")

    def data_lines(actor):
        stream = requests.get(server.url + "/v1/events", params={"after": "0"}, headers=server.headers(actor=actor),
                              stream=True, timeout=(5, 1.5))
        assert stream.status_code == 200
        lines = []
        try:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    lines.append(json.loads(line[6:]))
                    if len(lines) == 1:
                        break
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
            pass  # the read timed out: nothing more is coming
        stream.close()
        return lines

    seen = data_lines("ana")
    assert [(r["run"], r["sop"]) for r in seen] == [("v1", "returns")]
    # olga holds no role the shipped SOPs name: the same journal shows her nothing.
    assert data_lines("olga") == []


def test_helpdesk_updates_are_signed_deduplicated_and_ordered(server):
    server.start(RETURN_TICKET, "k1")
    server.start({**RETURN_TICKET, "category": "returns"}, "k2", sop_id="returns")
    now = time.time()
    update = {"ticket_id": "T-1", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "patch": {"priority": "urgent"}}
    applied = server.signed_hook(update, "d-1")
    assert applied.status_code == 200 and applied.json()["result"] == "applied" and applied.json()["runs"] == ["k1", "k2"]
    assert server.get("/v1/runs/k2").json()["ticket"]["priority"] == "urgent"
    assert server.signed_hook(update, "d-1").json()["result"] == "duplicate"
    older = {**update, "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)), "patch": {"priority": "low"}}
    assert server.signed_hook(older, "d-0").json()["result"] == "stale"
    assert server.get("/v1/runs/k1").json()["ticket"]["priority"] == "urgent"
    # A bad signature, another secret, or a timestamp outside the window: 401, nothing applied.
    assert server.signed_hook(update, "d-2", secret=b"wrong-secret-wrong-secret").status_code == 401
    assert server.signed_hook(update, "d-3", stamp=int(now) - 600).status_code == 401
    raw = json.dumps(update).encode()
    stamp = str(int(now))
    mac = hmac.new(server.hook_secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    tampered = requests.post(server.url + "/v1/hooks/tickets", data=raw.replace(b"urgent", b"low"), headers={
        "Content-Type": "application/json", "Sop-Delivery": "d-4", "Sop-Timestamp": stamp, "Sop-Signature": "v1=" + mac})
    assert tampered.status_code == 401
    records = server.get("/v1/runs/k1/journal").json()["records"]
    assert [r["actor"] for r in records if r["trigger"]["kind"] == "input"] == [{"id": "helpdesk", "role": "system"}]


def test_notify_messages_are_delivered_signed_and_retried(server):
    drive_return_to_approval(server, "n1", amount=20)
    deadline = time.time() + 20
    outbox = []
    while time.time() < deadline:
        outbox = json.loads(sop("outbox", "--format", "json", "--store", server.store, cwd=server.dir).stdout)
        if len(outbox) == 2 and all(d["status"] == "delivered" for m in outbox for d in m["deliveries"]) and all(m["deliveries"] for m in outbox):
            break
        time.sleep(0.3)
    assert len(outbox) == 2, outbox
    for message in outbox:
        (delivery,) = message["deliveries"]
        assert delivery["status"] == "delivered" and delivery["attempts"] == 2, delivery
    with server.receiver.lock:
        received = list(server.receiver.deliveries)
    assert len(received) == 4
    for d in received:
        stamp = d["headers"]["Sop-Timestamp"]
        expected = hmac.new(server.webhook_secret, stamp.encode() + b"." + d["body"], hashlib.sha256).hexdigest()
        assert d["headers"]["Sop-Signature"] == "v1=" + expected
        body = json.loads(d["body"])
        assert body["delivery"] == d["headers"]["Sop-Delivery"] and body["run"] == "n1" and body["notify"]["to"] == "customer"
    # The same delivery id on the retry as on the first attempt.
    ids = [d["headers"]["Sop-Delivery"] for d in received]
    assert sorted(ids.count(i) for i in set(ids)) == [2, 2]
    metrics = requests.get(server.url + "/metrics").text
    assert 'sop_webhook_deliveries_total{result="delivered"} 2' in metrics
    assert 'sop_webhook_deliveries_total{result="retry"} 2' in metrics


def test_sigterm_finishes_and_exits_zero(tmp_path):
    s = Server(workspace(tmp_path))
    assert s.start(RETURN_TICKET, "s1").status_code == 201
    assert s.stop(signal.SIGTERM) == 0
    assert "s1: ok" in sop("verify", "--verbose", "--store", s.store, cwd=s.dir).stdout


def test_sigterm_does_not_wait_for_a_long_tick_interval(tmp_path):
    # A new user's server with --tick-interval 3600 kept serving for the hour after SIGTERM.
    s = Server(workspace(tmp_path), extra=("--tick-interval", "3600"))
    assert s.start(RETURN_TICKET, "t1").status_code == 201
    time.sleep(0.5)  # the tick loop is in its wait
    started = time.time()
    assert s.stop(signal.SIGTERM) == 0
    assert time.time() - started < 5


def test_a_server_refuses_to_start_on_lint_errors(tmp_path):
    w = workspace(tmp_path)
    (w / "sops" / "broken.sop.yaml").write_text("sop: broken\nversion: 1\ntitle: B\nstart: nowhere\nstates: {}\n")
    result = subprocess.run([str(ROOT / ".build" / "debug" / "sop"), "serve", "--port", "0", "--store", str(w / "s.sqlite")],
                            cwd=w, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "broken.sop.yaml" in result.stderr and "not starting" in result.stderr


def test_a_silent_webhook_endpoint_does_not_hold_up_shutdown(tmp_path):
    import socket
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections are queued and never answered
    s = Server(workspace(tmp_path), extra=("--webhook", f"http://127.0.0.1:{silent.getsockname()[1]}/hook"))
    try:
        drive_return_to_approval(s, "q1", amount=20)
        time.sleep(1.5)  # the deliveries are in flight to the silent endpoint
        started = time.time()
        assert s.stop(signal.SIGTERM) == 0
        assert time.time() - started < 5
    finally:
        silent.close()
    # The interrupted deliveries are still pending, to be attempted again.
    outbox = json.loads(sop("outbox", "--format", "json", "--store", s.store, cwd=s.dir).stdout)
    assert any(d["status"] == "pending" for m in outbox for d in m["deliveries"])


def test_sighup_reloads_the_sop_folder_unless_it_has_lint_errors(server):
    path = server.dir / "sops" / "returns.sop.yaml"
    original = path.read_text()
    path.write_text(original.replace("version: 1", "version: 2", 1).replace("title: Product return and refund", "title: Returns, revised", 1))
    server.process.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        returns = next(s for s in server.get("/v1/sops").json()["sops"] if s["id"] == "returns")
        if returns["version"] == 2:
            break
        time.sleep(0.2)
    assert returns["version"] == 2 and returns["title"] == "Returns, revised"
    started = server.start(RETURN_TICKET, "v2")
    assert started.json()["sop_version"] == 2
    # A folder with lint errors is not taken: the SOPs served stay as they were.
    path.write_text(original.replace("start: verify_purchase", "start: nowhere", 1))
    server.process.send_signal(signal.SIGHUP)
    time.sleep(1.5)
    returns = next(s for s in server.get("/v1/sops").json()["sops"] if s["id"] == "returns")
    assert returns["version"] == 2
    assert "was not reloaded" in (server.dir / "server.log").read_text()
    assert server.get("/v1/runs/v2/verify").json()["ok"]


def test_secret_files_are_their_exact_bytes_but_one_final_line_break(tmp_path):
    """docs/server.md, "Secret files": one rule for the inbound and the outbound key. A key
    whose last bytes are spaces and a line break keeps them; only the one newline an editor
    adds (here \\r\\n) is taken off."""
    hook_key = b"helpdesk-key-ending-in-spaces \t \n"
    webhook_key = b"outbound-key-ending-in-spaces  \n"
    s = Server(workspace(tmp_path), key_files={"hook.key": (hook_key + b"\r\n", hook_key),
                                                "webhook.key": (webhook_key + b"\n", webhook_key)})
    try:
        s.start(RETURN_TICKET, "x1")
        update = {"ticket_id": "T-1", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "patch": {"priority": "urgent"}}
        # Signed with the key stripped of its whitespace, as the server once read it: refused.
        assert s.signed_hook(update, "d-0", secret=hook_key.rstrip()).status_code == 401
        applied = s.signed_hook(update, "d-1")
        assert applied.status_code == 200 and applied.json()["runs"] == ["x1"], applied.text
        drive_return_to_approval(s, "x2", amount=20)
        deadline = time.time() + 20
        while time.time() < deadline and not s.receiver.deliveries:
            time.sleep(0.2)
        with s.receiver.lock:
            received = list(s.receiver.deliveries)
        assert received
        for d in received:
            mac = hmac.new(webhook_key, d["headers"]["Sop-Timestamp"].encode() + b"." + d["body"], hashlib.sha256).hexdigest()
            assert d["headers"]["Sop-Signature"] == "v1=" + mac
    finally:
        s.stop()
