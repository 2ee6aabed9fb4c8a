"""Faults of a PostgreSQL store (issue 38): the database restarts (`pg_ctl restart -m fast`, as in
an upgrade or a failover), its connections are cut (`pg_terminate_backend`, as a proxy or an
operator cuts them, mid-transaction), and it is stopped and started again (readiness).

Eight client threads step runs through two `sop serve` processes while both servers' tick loops
fire timers. Clients use short timeouts and retry a 503 with the same `Idempotency-Key`. What must
hold: requests during the fault are answered 503 with `Retry-After` (never 500, never a hang, never
401 for a good token); the servers reconnect by themselves; every step answered 2xx is in the
journal exactly once, no step is applied twice, `sop verify` passes, and every timer fires once,
those due during or after the fault included.

Each test owns a throwaway cluster (scripts/postgres), because it restarts or stops it. The tests
run in the PostgreSQL pass of scripts/test (SOP_TEST_POSTGRES set), where PostgreSQL is installed;
with SOP_FAULT_RESULTS set they write their rows of the fault table (docs/testing.md)."""

import datetime
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from conftest import POSTGRES, ROOT, Server, TIMED, record_fault, sop, workspace

pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (the PostgreSQL pass of scripts/test sets SOP_TEST_POSTGRES)")

NOTES = """\
sop: notes
version: 1
title: Take notes
roles: [agent]
start: working
states:
  working:
    title: Working
    inputs:
      note: {type: string, prompt: A note}
    transitions:
      - to: working
        on: note
      - to: done
        on: finish
  done: {title: Done, end: finished}
"""

CLIENTS = 8
RUNS_PER_CLIENT = 2
TIMERS = 12


class Cluster:
    """A PostgreSQL cluster of the test's own (scripts/postgres), which it may restart or stop."""

    def __init__(self):
        # Not under pytest's tmp_path: the cluster's system user must be able to enter it.
        self.dir = tempfile.mkdtemp(prefix="sopkit-pgfault.")
        self.url = self.script("start")

    def script(self, command):
        result = subprocess.run([str(ROOT / "scripts" / "postgres"), command, self.dir], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"scripts/postgres {command} failed: {result.stderr}"
        return result.stdout.strip()

    def store(self):
        """A new store: a schema of its own in the cluster's database."""
        return f"{self.url}?sslmode=disable&schema=t_{uuid.uuid4().hex[:16]}"

    def sql(self, statement):
        """Runs one statement through psql (as the cluster's superuser); returns its output."""
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or [shutil.which("psql")]
        result = subprocess.run([candidates[-1], self.url, "-tAc", statement], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"psql failed: {result.stderr}"
        return result.stdout.strip()

    def close(self):
        subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.close()


def utc(seconds_from_now):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Load:
    """Eight client threads stepping runs through two servers; each step carries an
    Idempotency-Key and a note naming it, and a 503 is retried with the same key."""

    def __init__(self, servers, runs):
        self.servers, self.runs = servers, runs
        self.statuses = Counter()
        self.acknowledged = []  # keys answered 2xx
        self.unexpected = []  # what must never happen: 500, 401, a 503 without Retry-After...
        self.ok_times = []  # when each 2xx came back
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]

    def client(self, i):
        server = self.servers[i % len(self.servers)]
        session = requests.Session()
        session.headers.update(server.headers("ana"))
        mine = self.runs[i * RUNS_PER_CLIENT:(i + 1) * RUNS_PER_CLIENT]
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"c{i}-{n}"
            run = mine[n % len(mine)]
            while not self.stop.is_set():
                try:
                    # Short timeouts: a request must be answered, not held while the database is away.
                    r = session.post(f"{server.url}/v1/runs/{run}/steps", json={"inputs": {"note": key}, "event": "note"},
                                     headers={"Idempotency-Key": key}, timeout=(2, 8))
                except requests.RequestException as e:
                    with self.lock:
                        self.statuses["no answer"] += 1
                        self.unexpected.append(f"{key}: no answer ({type(e).__name__}: {e})")
                    continue
                with self.lock:
                    self.statuses[r.status_code] += 1
                if r.status_code == 200:
                    with self.lock:
                        self.acknowledged.append(key)
                        self.ok_times.append(time.monotonic())
                    break
                if r.status_code == 503 and r.headers.get("Retry-After"):
                    # Retry-After says 2 s; the test retries sooner to see recovery to the tenth of a second.
                    time.sleep(0.1)
                    continue
                with self.lock:
                    self.unexpected.append(f"{key}: {r.status_code} {r.headers.get('Retry-After')!r} {r.text[:300]}")
                time.sleep(0.1)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a client hung"

    def wait_for_steps(self, count, after=0.0, deadline=30):
        """Waits until `count` steps were acknowledged after the monotonic time `after`."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with self.lock:
                if sum(1 for t in self.ok_times if t > after) >= count:
                    return
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} steps acknowledged within {deadline} s; seen {dict(self.statuses)}, {self.unexpected[:3]}")

    def first_ok_after(self, moment):
        with self.lock:
            later = [t for t in self.ok_times if t >= moment]
        return min(later) - moment if later else None


def setup(tmp_path, cluster):
    """A workspace, its store in the cluster, two servers on it, the runs the clients step and
    the timer runs, due from a second before the fault to a few seconds after it begins."""
    w = workspace(tmp_path)
    (w / "sops" / "notes.sop.yaml").write_text(NOTES)
    (w / "sops" / "timed.sop.yaml").write_text(TIMED)
    store = cluster.store()
    a = Server(w, store=store)
    # The second server in a folder of its own: its own server.log.
    shutil.copytree(w / "sops", w / "b" / "sops")
    b = Server(w / "b", tokens=a.tokens, store=store)
    runs = []
    for i in range(CLIENTS * RUNS_PER_CLIENT):
        r = a.start({"id": f"N-{i}"}, run_id=f"n{i}", sop_id="notes")
        assert r.status_code == 201, r.text
        runs.append(f"n{i}")
    # `after: 1m`, started (60 - d) seconds ago: due in d seconds.
    for k in range(TIMERS):
        due_in = -1 + k * 0.5
        (w / "ticket.json").write_text(json.dumps({"id": f"M-{k}"}))
        sop("start", "timed", "--ticket", "ticket.json", "--id", f"m{k}", "--store", store, "--now", utc(due_in - 60),
            "--actor", "ana:agent", cwd=w)
    return w, store, a, b, runs


def check_journal(w, store, load):
    """Counts every acknowledged step in the journal (through a copy into SQLite) and the
    timers fired; runs `sop verify`. Returns (found, duplicates, verify)."""
    copy = w / f"copy-{uuid.uuid4().hex[:6]}.sqlite"
    sop("store", "copy", "--from", store, "--to", str(copy), cwd=w)
    db = sqlite3.connect(copy)
    notes = Counter(note for (note,) in db.execute(
        "SELECT json_extract(record, '$.inputs.note') FROM journal WHERE json_extract(record, '$.inputs.note') IS NOT NULL"))
    found = sum(1 for key in load.acknowledged if notes[key] >= 1)
    duplicates = sum(n - 1 for n in notes.values() if n > 1)
    fired = Counter(run for (run,) in db.execute(
        "SELECT run FROM journal WHERE json_extract(record, '$.from') = 'waiting' AND json_extract(record, '$.to') = 'reminded'"))
    db.close()
    verify = sop("verify", "--store", store, cwd=w, check=False)
    return found, duplicates, fired, "passed" if verify.returncode == 0 else f"failed: {verify.stdout[-300:]} {verify.stderr[-300:]}"


def wait_for_timers(server, deadline=30):
    """Waits until every timer run has left `waiting` (the tick loops go on after the fault)."""
    end = time.monotonic() + deadline
    while True:
        waiting = server.get("/v1/runs", params={"sop": "timed", "state": "waiting"}).json()["runs"]
        if not waiting:
            return
        assert time.monotonic() < end, f"timers never fired: {[r['run'] for r in waiting]}"
        time.sleep(0.2)


def finish(fault, injection, w, store, load, servers, recover, note):
    """The promises every fault keeps, and its row of the fault table."""
    for s in servers:
        assert s.process.poll() is None, "a server stopped"  # reconnected without a restart of its own
    # The tick loops go on: a timer that falls due after the fault fires too.
    (w / "ticket.json").write_text(json.dumps({"id": "M-late"}))
    sop("start", "timed", "--ticket", "ticket.json", "--id", "late", "--store", store, "--now", utc(1 - 60), "--actor", "ana:agent", cwd=w)
    wait_for_timers(servers[1])
    found, duplicates, fired, verify = check_journal(w, store, load)
    record_fault(fault, "PostgreSQL", injection, dict(load.statuses), len(load.acknowledged), found, duplicates, verify, recover, note)
    assert not load.unexpected, sorted(load.unexpected, key=lambda u: " 500 " in u)[:5]
    assert load.statuses[503] > 0, f"no client saw the fault: {dict(load.statuses)}"
    assert found == len(load.acknowledged), f"{len(load.acknowledged) - found} acknowledged steps are missing from the journal"
    assert duplicates == 0, f"{duplicates} steps were applied twice"
    assert verify == "passed", verify
    assert set(fired) == {f"m{k}" for k in range(TIMERS)} | {"late"}, f"timers not fired: {fired}"
    assert all(n == 1 for n in fired.values()), f"timers fired twice: {fired}"


def test_a_postgres_restart_under_load_answers_503_then_recovers_and_loses_nothing(tmp_path, cluster):
    w, store, a, b, runs = setup(tmp_path, cluster)
    try:
        with Load([a, b], runs) as load:
            load.wait_for_steps(40)
            cluster.script("restart")  # returns once PostgreSQL accepts connections again
            back = time.monotonic()
            load.wait_for_steps(40, after=back)
        recover = load.first_ok_after(back)
        finish("PostgreSQL restarts", "`pg_ctl restart -m fast` under 8 clients, 2 servers, tick loops", w, store, load, [a, b],
               recover, "clients retry 503 with the same Idempotency-Key")
    finally:
        a.stop()
        b.stop()


def test_connections_cut_mid_transaction_answer_503_and_lose_nothing(tmp_path, cluster):
    w, store, a, b, runs = setup(tmp_path, cluster)
    cut = 0
    try:
        with Load([a, b], runs) as load:
            load.wait_for_steps(40)
            # Every sopkit connection of both servers, cut again and again for two seconds: many
            # of them in the middle of a step's transaction (or of its COMMIT).
            end = time.monotonic() + 2
            while time.monotonic() < end:
                cut += int(cluster.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE application_name LIKE 'sop %' AND pid <> pg_backend_pid()") or 0)
                time.sleep(0.1)
            back = time.monotonic()
            load.wait_for_steps(40, after=back)
        recover = load.first_ok_after(back)
        assert cut > 0
        finish("A connection is cut", f"`pg_terminate_backend` on every server connection, every 0.1 s for 2 s ({cut} cut)",
               w, store, load, [a, b], recover, "mid-transaction cuts; clients retry 503 with the same Idempotency-Key")
    finally:
        a.stop()
        b.stop()


def test_readiness_is_503_while_postgres_is_stopped_and_200_after_it_starts(tmp_path, cluster):
    w = workspace(tmp_path)
    s = Server(w, store=cluster.store())
    statuses = Counter()
    try:
        assert s.get("/readyz").status_code == 200
        cluster.script("stop")
        end = time.monotonic() + 20
        while True:
            r = s.get("/readyz", timeout=8)
            statuses[r.status_code] += 1
            if r.status_code == 503:
                break
            assert time.monotonic() < end, f"/readyz stayed {r.status_code} with PostgreSQL stopped"
            time.sleep(0.1)
        body = r.json()
        assert r.headers.get("Retry-After"), r.headers
        assert "cannot be reached" in json.dumps(body), body
        # A request with a good token is 503 too, not 401: a token check that cannot reach the
        # store is not "no such token".
        listed = s.get("/v1/runs", timeout=8)
        statuses[listed.status_code] += 1
        assert listed.status_code == 503 and listed.headers.get("Retry-After"), (listed.status_code, listed.text)
        cluster.script("start")
        back = time.monotonic()
        while True:
            r = s.get("/readyz", timeout=8)
            statuses[r.status_code] += 1
            if r.status_code == 200:
                break
            assert r.status_code == 503, (r.status_code, r.text)
            assert time.monotonic() < back + 20, "/readyz did not come back"
            time.sleep(0.1)
        recover = time.monotonic() - back
        assert s.process.poll() is None
        assert s.get("/v1/runs").status_code == 200
        record_fault("Readiness", "PostgreSQL", "`pg_ctl stop -m fast`, then start (one server, polling /readyz)", dict(statuses),
                     0, 0, 0, "n/a", recover, "/readyz 503 with Retry-After while stopped; a token's request 503, not 401")
    finally:
        s.stop()
