"""Many writers on one PostgreSQL store: two `sop serve` processes and four tick loops (the two
servers' and two `sop tick` loops) over 10,000 runs whose timers are due, while two clients step
and patch runs through both servers; one server is killed with `kill -9` mid-tick. No timer fires
twice or is lost, no acknowledged step or patch is lost, and every run verifies.

Runs in the PostgreSQL pass of scripts/test (SOP_TEST_POSTGRES set)."""

import datetime
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import POSTGRES, SOP, Server, TIMED, sop, store_of, workspace

pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs SOP_TEST_POSTGRES (the PostgreSQL pass of scripts/test)")

RUNS = 10_000


def count(server, state):
    """How many runs are in a state, by paging through the list."""
    total, after = 0, None
    while True:
        params = {"sop": "timed", "state": state, "limit": 1000}
        if after:
            params["cursor"] = after
        page = server.get("/v1/runs", params=params, timeout=60).json()
        total += len(page["runs"])
        after = page["next_cursor"]
        if not after:
            return total


def test_two_servers_and_four_tick_loops_fire_each_timer_once_and_lose_nothing(tmp_path):
    w = workspace(tmp_path)
    (w / "sops" / "timed.sop.yaml").write_text(TIMED)
    store = store_of(w)
    (w / "bulk.jsonl").write_text("".join(json.dumps({"id": f"T-{i}"}) + "\n" for i in range(RUNS)))
    two_hours_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sop("start", "timed", "--tickets", "bulk.jsonl", "--store", store, "--now", two_hours_ago, "--actor", "ana:agent", cwd=w)

    a = Server(w)
    b = Server(w, tokens=a.tokens)
    loops = [subprocess.Popen(["bash", "-c", f'while true; do "{SOP}" tick --store "{store}" >/dev/null 2>&1; sleep 0.05; done'],
                              cwd=w, start_new_session=True) for _ in range(2)]
    acknowledged_closes, acknowledged_patches, errors = set(), {}, []
    lock = threading.Lock()
    stop = threading.Event()

    def client(server, name):
        session = requests.Session()
        session.headers.update(server.headers("ana"))
        rng = random.Random(name)
        n = 0
        while not stop.is_set():
            try:
                page = session.get(server.url + "/v1/runs", params={"sop": "timed", "state": "reminded", "limit": 20}, timeout=60).json()
                for run in page["runs"]:
                    r = session.post(f"{server.url}/v1/runs/{run['run']}/steps", json={"event": "close"}, timeout=60)
                    if r.status_code == 200:
                        with lock:
                            acknowledged_closes.add(run["run"])
                    elif r.status_code not in (409, 412, 422):
                        errors.append(f"close {run['run']}: {r.status_code} {r.text}")
                    n += 1
                    listed = session.get(server.url + "/v1/runs", params={"ticket_id": f"T-{rng.randrange(RUNS)}"}, timeout=60).json()
                    for other in listed["runs"]:
                        key = f"{name}_{n}"
                        p = session.patch(f"{server.url}/v1/runs/{other['run']}/ticket", data=json.dumps({key: n}), timeout=60,
                                          headers={"Content-Type": "application/merge-patch+json"})
                        if p.status_code == 200:
                            with lock:
                                acknowledged_patches.setdefault(other["run"], []).append(key)
                        elif p.status_code != 422:  # a closed run's ticket cannot change
                            errors.append(f"patch {other['run']}: {p.status_code} {p.text}")
            except requests.RequestException:
                if server is a:
                    return  # killed
                errors.append(f"client {name}: the live server failed to answer")
                return
            except Exception as e:  # noqa: BLE001 - a broken client must fail the test, not die quietly
                errors.append(f"client {name}: {e!r}")
                return

    clients = [threading.Thread(target=client, args=(s, name)) for s, name in ((a, "a"), (b, "b"))]
    try:
        for t in clients:
            t.start()
        # Kill one server while the timers are being fired.
        deadline = time.time() + 120
        while count(b, "waiting") > RUNS * 0.7 and time.time() < deadline:
            time.sleep(0.1)
        a.process.send_signal(signal.SIGKILL)
        a.process.wait()
        deadline = time.time() + 300
        while count(b, "waiting") > 0:
            assert time.time() < deadline, "the timers were not all fired"
            time.sleep(0.5)
    finally:
        stop.set()
        for t in clients:
            t.join()
        for loop in loops:
            os.killpg(loop.pid, signal.SIGTERM)
            loop.wait()
        a.stop()
        b.stop()
    assert not errors, errors[:5]
    assert len(acknowledged_closes) > 10 and acknowledged_patches, "the clients did not get going"

    # Every run's journal, through a copy into SQLite (which checks the copy too).
    copy = w / "copy.sqlite"
    sop("store", "copy", "--from", store, "--to", str(copy), cwd=w)
    db = sqlite3.connect(copy)
    fired = dict(db.execute("""
        SELECT run, count(*) FROM journal
        WHERE json_extract(record, '$.from') = 'waiting' AND json_extract(record, '$.to') = 'reminded' GROUP BY run"""))
    assert len(fired) == RUNS, f"{RUNS - len(fired)} runs never had their timer fired"
    twice = [run for run, n in fired.items() if n != 1]
    assert not twice, f"timers fired more than once: {twice[:5]}"
    closes = dict(db.execute("SELECT run, count(*) FROM journal WHERE json_extract(record, '$.to') = 'closed' GROUP BY run"))
    assert all(n == 1 for n in closes.values())
    assert acknowledged_closes <= set(closes), "an acknowledged close is missing"
    tickets = {run: json.loads(data)["ticket"] for run, data in db.execute("SELECT id, data FROM runs")}
    for run, keys in acknowledged_patches.items():
        missing = [k for k in keys if k not in tickets[run]]
        assert not missing, f"{run}: acknowledged patches lost: {missing}"

    out = sop("verify", "--verbose", "--store", store, cwd=w)
    assert out.stdout.count(": ok") == RUNS and "FAILED" not in out.stdout
