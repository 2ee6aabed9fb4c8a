"""Fixtures for the server's tests: a real `sop serve` on a loopback port, over a copy of the
shipped SOPs, with tokens made by `sop token create`, a signed helpdesk hook and a webhook
receiver. The clients are real: requests for HTTP, the MCP Python SDK for `sop mcp`."""

import datetime
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOP = os.environ.get("SOP_BIN", str(ROOT / ".build" / "debug" / "sop"))


def sop(*args, cwd, check=True, env=None):
    """Runs the `sop` command line; returns the finished process."""
    result = subprocess.run([SOP, *args], cwd=cwd, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"sop {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def today(days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)).isoformat()


class Receiver:
    """A webhook endpoint: records every delivery, answers 500 to the first attempt of each."""

    def __init__(self):
        self.deliveries = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.deliveries.append({"headers": dict(self.headers), "body": body})
                    first = sum(1 for d in receiver.deliveries if d["headers"].get("Sop-Delivery") == self.headers.get("Sop-Delivery")) == 1
                self.send_response(500 if first else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


POSTGRES = os.environ.get("SOP_TEST_POSTGRES") or None


def store_of(workdir):
    """The store of a test's folder: a SQLite file in it, or (with SOP_TEST_POSTGRES set, as
    scripts/test sets it for its PostgreSQL pass) a schema of that database made for the folder
    (a server restarted on the folder finds the same one)."""
    if not POSTGRES:
        return str(workdir / "runs.sqlite")
    saved = workdir / "store-url"
    if not saved.exists():
        saved.write_text(f"{POSTGRES.split('?')[0]}?sslmode=disable&schema=t_{uuid.uuid4().hex[:16]}")
    return saved.read_text()


class Server:
    """A running `sop serve` and what the tests need to talk to it."""

    def __init__(self, workdir, extra=(), store=None, tokens=None, key_files=None, env=None, launcher=()):
        """key_files: {"hook.key": (file bytes, the key they hold), "webhook.key": …} to test
        how secret files are read; by default each file holds its key and nothing else. env: more
        environment variables for the server (LD_PRELOAD, say); launcher: a command that
        starts `sop serve` (its arguments follow it)."""
        self.dir = workdir
        self.store = store or store_of(workdir)
        key_files = {"hook.key": (b"helpdesk-shared-secret-0123456789",) * 2,
                     "webhook.key": (b"outbound-shared-secret-0123456789",) * 2, **(key_files or {})}
        self.hook_secret = key_files["hook.key"][1]
        self.webhook_secret = key_files["webhook.key"][1]
        for name, (content, _) in key_files.items():
            path = workdir / name
            path.write_bytes(content)
            path.chmod(0o600)
        self.receiver = Receiver()
        self.tokens = dict(tokens or {})
        for actor, roles in (("ana", "agent"), ("sam", "agent,supervisor"), ("olga", "billing")):
            if actor in self.tokens:
                continue
            out = sop("token", "create", "--actor", actor, "--roles", roles, "--store", self.store, "--format", "json", cwd=workdir)
            self.tokens[actor] = json.loads(out.stdout)["token"]
        self.log = open(workdir / "server.log", "w")
        self.process = subprocess.Popen(
            [*launcher, SOP, "serve", "--sops", "sops", "--store", self.store, "--port", "0", "--tick-interval", "0.2",
             "--webhook", self.receiver.url, "--webhook-secret-file", "webhook.key", "--hook-secret-file", "hook.key",
             "--log-level", "debug", *extra],
            cwd=workdir, stdout=subprocess.PIPE, stderr=self.log, text=True, env={**os.environ, **env} if env else None)
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), f"the server did not start: {line!r} {(workdir / 'server.log').read_text()}"
        self.url = line.split()[-1]

    def headers(self, actor="ana", **extra):
        return {"Authorization": f"Bearer {self.tokens[actor]}", **extra}

    def get(self, path, actor="ana", **kw):
        return requests.get(self.url + path, headers=self.headers(actor, **kw.pop("headers", {})), timeout=kw.pop("timeout", 10), **kw)

    def post(self, path, body, actor="ana", **kw):
        return requests.post(self.url + path, json=body, headers=self.headers(actor, **kw.pop("headers", {})), timeout=10, **kw)

    def start(self, ticket, run_id=None, sop_id="returns", actor="ana"):
        body = {"sop": sop_id, "ticket": ticket}
        if run_id:
            body["id"] = run_id
        return self.post("/v1/runs", body, actor=actor)

    def step(self, run, actor="ana", headers=None, **body):
        return self.post(f"/v1/runs/{run}/steps", body, actor=actor, headers=headers or {})

    def signed_hook(self, body, delivery, stamp=None, secret=None):
        raw = json.dumps(body).encode()
        stamp = str(int(time.time()) if stamp is None else stamp)
        mac = hmac.new(secret or self.hook_secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return requests.post(self.url + "/v1/hooks/tickets", data=raw, timeout=10, headers={
            "Content-Type": "application/json", "Sop-Delivery": delivery, "Sop-Timestamp": stamp, "Sop-Signature": "v1=" + mac})

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.receiver.close()
        self.log.close()
        return self.process.returncode


def workspace(tmp_path):
    shutil.copytree(ROOT / "sops", tmp_path / "sops", ignore=shutil.ignore_patterns("*.test.yaml"))
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path


@pytest.fixture
def server(tmp_path):
    s = Server(workspace(tmp_path))
    yield s
    s.stop()


def record_fault(fault, store, injection, statuses, acknowledged, found, duplicates, verify, recover_seconds, note=""):
    """Adds one row to the fault table (docs/testing.md, "Faults a deployment meets"): a JSON line
    in the file $SOP_FAULT_RESULTS names, when it is set (scripts/fault-table renders them).

    statuses: {HTTP status or "exit N": count} of what clients saw while the fault lasted and
    after; acknowledged: steps answered 2xx (or exit 0); found: those found in the journal;
    duplicates: steps applied twice; verify: "passed" or what `sop verify` said; recover_seconds:
    from the fault's end to the first success (None when service never stopped)."""
    path = os.environ.get("SOP_FAULT_RESULTS")
    if not path:
        return
    row = {"fault": fault, "store": store, "injection": injection,
           "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
           "acknowledged": acknowledged, "found": found, "duplicates": duplicates, "verify": verify,
           "recover_seconds": None if recover_seconds is None else round(recover_seconds, 2), "note": note}
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


# An SOP whose runs wait a minute for a timer, then for an event: the tests that need many
# due timers (ticks, faults) write it into their workspace.
TIMED = """\
sop: timed
version: 1
title: Remind, then close
roles: [agent]
start: waiting
states:
  waiting:
    title: Waiting for the reminder
    transitions:
      - to: reminded
        after: 1m
  reminded:
    title: Reminded
    transitions:
      - to: closed
        on: close
  closed: {title: Closed, end: closed}
"""


RETURN_TICKET = {"id": "T-1", "category": "returns", "order_id": "A-17", "customer": {"name": "Ann", "email": "ann@example.org"}}
