"""Crash safety: `kill -9` of the server under load, then a restart on the same store. Every
step the server answered 2xx is in the journal (the run is at least at the version the answer
gave), nothing is half-written, and `sop verify` passes on every run."""

import signal
import threading
import time

import requests

from conftest import RETURN_TICKET, Server, sop, today, workspace


def test_kill_9_under_load_loses_no_acknowledged_step(tmp_path):
    w = workspace(tmp_path)
    s = Server(w)
    acknowledged = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client(n):
        session = requests.Session()
        session.headers.update(s.headers("ana"))
        i = 0
        while not stop.is_set():
            run = f"c{n}-{i}"
            i += 1
            steps = [("/v1/runs", {"sop": "returns", "ticket": {**RETURN_TICKET, "id": run}, "id": run}),
                     (f"/v1/runs/{run}/steps", {"inputs": {"order_found": True, "purchased_on": today(-1), "amount": 10}, "checks": "all"}),
                     (f"/v1/runs/{run}/steps", {"event": "label_sent", "checks": "all"}),
                     (f"/v1/runs/{run}/steps", {"event": "item_received"})]
            for path, body in steps:
                try:
                    r = session.post(s.url + path, json=body, timeout=5)
                except requests.RequestException:
                    return
                if r.status_code in (200, 201):
                    with lock:
                        acknowledged[run] = max(acknowledged.get(run, 0), r.json()["version"])
                else:
                    return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    s.process.send_signal(signal.SIGKILL)
    s.process.wait()
    stop.set()
    for t in threads:
        t.join()
    s.receiver.close()
    assert len(acknowledged) > 10, "the load did not get going"

    restarted = Server(w)
    try:
        for run, version in acknowledged.items():
            r = restarted.get(f"/v1/runs/{run}")
            assert r.status_code == 200, f"{run} acknowledged at version {version} is missing"
            assert r.json()["version"] >= version, f"{run}: acknowledged version {version}, stored {r.json()['version']}"
    finally:
        restarted.stop()
    out = sop("verify", "--verbose", "--store", restarted.store, cwd=w)
    assert out.stdout.count(": ok") >= len(acknowledged) and "FAILED" not in out.stdout
