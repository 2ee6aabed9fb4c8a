"""The disk fills under a SQLite store (issue 38): a size-limited tmpfs holds the store, a ballast
file fills the rest. Steps are refused with 507 `store_full` (the command line exits 2 and says the
disk is full), nothing is half-written, reads and `sop verify` work while the disk is full, and
writes resume by themselves once the ballast is deleted. The same for a long `sop tick`: the
batches it committed are kept, the one that failed is rolled back, and a second tick finishes the
rest without firing any timer twice.

Mounting a tmpfs needs root (as in CI); elsewhere these tests are skipped."""

import datetime
import json
import os
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import RETURN_TICKET, SOP, Server, TIMED, record_fault, sop, today, workspace


class SmallDisk:
    """A tmpfs of `size` mounted on `path` (unmounted by `close`), and a ballast file that fills
    it up to a margin and is deleted to free the space."""

    def __init__(self, path, size):
        self.path = path
        path.mkdir()
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs for a small disk (needs root): {mounted.stderr.strip()}")
        self.ballast = path / "ballast"

    def free(self):
        s = os.statvfs(self.path)
        return s.f_bavail * s.f_frsize

    def fill(self, leave=0):
        """Writes the ballast so that `leave` bytes stay free (0: until the disk is full)."""
        with open(self.ballast, "ab") as f:
            chunk = b"\0" * 65536
            try:
                while self.free() > leave:
                    f.write(chunk[:max(4096, min(len(chunk), self.free() - leave))])
                    f.flush()
            except OSError:
                pass  # ENOSPC: full

    def empty(self):
        self.ballast.unlink()

    def close(self):
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture
def disk(tmp_path):
    d = SmallDisk(tmp_path / "disk", "16m")
    yield d
    d.close()


def journal_rows(store):
    """Every run's journal records, read straight from the file: {run: [record, …]}."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        runs = {}
        for run, record in db.execute("SELECT run, record FROM journal ORDER BY run, seq"):
            runs.setdefault(run, []).append(json.loads(record))
        return runs, dict(db.execute("SELECT id, version FROM runs"))
    finally:
        db.close()


def ok(statuses):
    return sum(v for k, v in statuses.items() if k in (200, 201))


def duplicates(records):
    """Steps applied twice in one run's journal: the same move (from, to, trigger) at two versions."""
    seen, twice = {}, 0
    for r in records:
        key = (r["from"], r["to"], r["trigger"]["kind"], r["trigger"].get("event"))
        if key in seen and seen[key] != r["version"]:
            twice += 1
        seen.setdefault(key, r["version"])
    return twice


def test_steps_on_a_full_disk_get_507_reads_work_and_writes_resume_when_space_is_freed(tmp_path, disk):
    w = workspace(tmp_path)
    store = str(disk.path / "runs.sqlite")
    s = Server(w, store=store)
    statuses, acknowledged, errors = {}, {}, []
    kinds = set()
    lock = threading.Lock()
    stop = threading.Event()
    first_success_after = {}
    freed = threading.Event()
    freed_at = [None]

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
                # A refused step is sent again until it is taken: a step refused for a full disk
                # must have written nothing, or its second sending would apply it twice.
                while not stop.is_set():
                    r = session.post(s.url + path, json=body, timeout=30)
                    with lock:
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code in (200, 201):
                        with lock:
                            acknowledged[run] = r.json()["version"]
                            if freed.is_set() and "t" not in first_success_after:
                                first_success_after["t"] = time.monotonic() - freed_at[0]
                        break
                    with lock:
                        kinds.add((r.status_code, r.json().get("error")))
                        if r.status_code not in (507, 500):
                            errors.append((run, path, r.status_code, r.text))
                    time.sleep(0.02)
                else:
                    return

    def seen():
        with lock:
            return dict(statuses)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    try:
        # A few hundred steps' room: the store fills while the clients step.
        disk.fill(leave=6 * 1024 * 1024)
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while seen().get(507, 0) + seen().get(500, 0) < 40:
            assert time.time() < deadline, f"the disk did not fill: {statuses} {errors[:3]}"
            assert not errors, errors[:3]
            time.sleep(0.05)
        full_at = seen()

        # While the disk is full: a step is refused with a clear reason, and reads work.
        r = s.start({**RETURN_TICKET, "id": "probe"}, run_id="probe")
        assert r.status_code in (500, 507), r.text
        body = r.json()
        assert body["error"] == "store_full" and "full" in body["reason"], body
        assert s.get("/v1/runs").status_code == 200
        run = next(iter(acknowledged))
        assert s.get(f"/v1/runs/{run}").status_code == 200
        assert s.get(f"/v1/runs/{run}/journal").status_code == 200
        verified_full = sop("verify", "--store", store, cwd=w, check=False)
        assert verified_full.returncode == 0, verified_full.stderr
        assert s.process.poll() is None, "the server died"

        # Free the space: writes resume without a restart.
        with lock:
            freed_at[0] = time.monotonic()
            freed.set()
        disk.empty()
        before = ok(seen())
        deadline = time.time() + 30
        while ok(seen()) < before + 40:
            assert time.time() < deadline, f"writes did not resume: {statuses}"
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()

        # The webhook dispatcher went on: every notify message (a `label_sent` step's) is delivered.
        deadline = time.time() + 30
        while True:
            outbox = json.loads(sop("outbox", "--format", "json", "--store", store, cwd=w).stdout)
            undelivered = [m for m in outbox if not m["deliveries"] or any(d["status"] != "delivered" for d in m["deliveries"])]
            if not undelivered:
                break
            assert time.time() < deadline, f"{len(undelivered)} messages not delivered: {undelivered[:2]}"
            time.sleep(0.3)
        assert {m["run"] for m in outbox} == {run for run, version in acknowledged.items() if version >= 3}
    finally:
        stop.set()
        for t in threads:
            if t.ident:
                t.join()
        code = s.stop()
    assert code == 0, (w / "server.log").read_text()[-2000:]
    assert not errors, errors[:3]
    assert kinds == {(507, "store_full")}, kinds

    # Nothing half-written, nothing lost, nothing twice: each run's journal ends at the version
    # its last acknowledged step gave, and every version up to it is there.
    runs, versions = journal_rows(store)
    # A run's version counts its steps (its start is version 1): the acknowledged steps found.
    found = sum(min(version, versions.get(run, 0)) for run, version in acknowledged.items())
    twice = sum(duplicates(records) for records in runs.values())
    for run, version in acknowledged.items():
        assert versions.get(run) == version, f"{run}: acknowledged version {version}, stored {versions.get(run)}"
        assert sorted({r["version"] for r in runs[run]}) == list(range(1, version + 1)), run
    assert set(versions) == set(acknowledged), "a run was stored that no client was told about"
    assert twice == 0
    verified = sop("verify", "--store", store, cwd=w, check=False)
    assert verified.returncode == 0 and "FAILED" not in verified.stdout, verified.stdout + verified.stderr
    log = (w / "server.log").read_text()
    assert "Fatal error" not in log
    assert found == sum(acknowledged.values()) == ok(statuses)
    record_fault("disk fills", "SQLite", "tmpfs of 16 MiB, a ballast leaves 6 MiB; 4 clients step; the ballast deleted",
                 statuses, ok(statuses), found, twice, "passed (also while full)", first_success_after.get("t"),
                 note=f"507 from about the {ok(full_at)}th write on")


def test_the_command_line_on_a_full_disk_exits_2_saying_so(tmp_path, disk):
    w = workspace(tmp_path)
    store = str(disk.path / "runs.sqlite")
    sop("start", "returns", "--ticket", json.dumps(RETURN_TICKET), "--id", "r1", "--store", store, cwd=w)
    disk.fill()
    seen = {}
    for args in (("start", "returns", "--ticket", json.dumps({**RETURN_TICKET, "id": "T-2"}), "--id", "r2"),
                 ("step", "r1", "--input", "order_found=true", "--input", f"purchased_on={today(-1)}", "--input", "amount=10",
                  "--check", "all")):
        out = sop(*args, "--store", store, cwd=w, check=False)
        seen[f"exit {out.returncode}"] = seen.get(f"exit {out.returncode}", 0) + 1
        assert out.returncode == 2, out.stderr
        assert "the run store is full" in out.stderr and "no space left" in out.stderr, out.stderr
        assert "Fatal error" not in out.stderr
    disk.empty()
    out = sop("step", "r1", "--input", "order_found=true", "--input", f"purchased_on={today(-1)}", "--input", "amount=10",
              "--check", "all", "--store", store, cwd=w)
    verified = sop("verify", "--store", store, cwd=w)
    _, versions = journal_rows(store)
    assert versions == {"r1": 2}, versions
    record_fault("disk full (command line)", "SQLite", "tmpfs filled by a ballast; `sop start`, `sop step`; ballast deleted",
                 {**seen, "exit 0": 1}, 1, 1, 0, "passed", None, note="no other process holds the store open")


def test_a_long_tick_that_fills_the_disk_keeps_its_committed_batches_and_finishes_after(tmp_path):
    disk = SmallDisk(tmp_path / "disk", "64m")
    try:
        w = workspace(tmp_path)
        (w / "sops" / "timed.sop.yaml").write_text(TIMED)
        store = str(disk.path / "runs.sqlite")
        runs = 12_000
        (w / "bulk.jsonl").write_text("".join(json.dumps({"id": f"T-{i}"}) + "\n" for i in range(runs)))
        two_hours_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sop("start", "timed", "--tickets", "bulk.jsonl", "--store", store, "--now", two_hours_ago, "--actor", "ana:agent", cwd=w)
        # Room for the tick's first batch of 5,000 runs (about 8 MiB of WAL and 3.5 MiB of
        # database pages), not for all three.
        disk.fill(leave=10 * 1024 * 1024)

        tick = sop("tick", "--store", store, cwd=w, check=False)
        assert tick.returncode == 2, tick.stdout + tick.stderr
        assert "the run store is full" in tick.stderr, tick.stderr
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        reminded = db.execute("SELECT count(*) FROM runs WHERE state = 'reminded'").fetchone()[0]
        db.close()
        assert 0 < reminded < runs and reminded % 5000 == 0, f"{reminded} runs reminded: not whole batches"
        assert f"note: {reminded} runs stepped ({reminded} transitions) in the transactions before the failure are kept" in tick.stderr, tick.stderr
        verified = sop("verify", "--store", store, cwd=w, check=False)  # while the disk is still full
        assert verified.returncode == 0, verified.stderr

        disk.empty()
        freed = time.monotonic()
        again = sop("tick", "--store", store, cwd=w)
        recovered = time.monotonic() - freed
        assert f"{runs - reminded} runs due" in again.stdout, again.stdout
        records, versions = journal_rows(store)
        fired = {run: sum(1 for r in rs if r["from"] == "waiting" and r["to"] == "reminded") for run, rs in records.items()}
        assert len(fired) == runs and set(fired.values()) == {1}, "a timer fired twice or never"
        verified = sop("verify", "--store", store, cwd=w)
        assert f"{runs} runs ok" in verified.stdout, verified.stdout
    finally:
        disk.close()
    record_fault("disk fills during a long `sop tick`", "SQLite",
                 f"12,000 due runs; tmpfs with 10 MiB free; ballast deleted, tick again",
                 {"exit 2": 1, "exit 0": 1}, runs, sum(fired.values()), 0, "passed (also while full)", recovered,
                 note=f"{reminded} runs' timers (whole batches) kept by the failed tick")


def test_a_busy_server_keeps_its_wal_bounded_so_it_does_not_fill_the_disk(tmp_path):
    """Under steady writes a passive checkpoint never lets SQLite start the WAL again from its
    beginning: the WAL grew by every commit's pages (39 MB for 1,200 starts beside a 2 MB
    database) until the disk was full. The server empties it (a TRUNCATE checkpoint) once it
    holds 16 MiB. On the real disk, not a tmpfs: there each commit's sync is free, the checkpoints
    keep up, and the WAL starts again by itself."""
    (tmp_path / "disk").mkdir()
    w = workspace(tmp_path)
    store = str(tmp_path / "disk" / "runs.sqlite")
    s = Server(w, store=store)
    statuses, largest = {}, [0]
    lock = threading.Lock()

    def client(n):
        session = requests.Session()
        session.headers.update(s.headers("ana"))
        for i in range(500):
            r = session.post(s.url + "/v1/runs", json={"sop": "returns", "ticket": {**RETURN_TICKET, "id": f"b{n}-{i}"}, "id": f"b{n}-{i}"},
                             timeout=30)
            with lock:
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            wal = tmp_path / "disk" / "runs.sqlite-wal"
            largest[0] = max(largest[0], wal.stat().st_size if wal.exists() else 0)
            time.sleep(0.05)
    finally:
        for t in threads:
            t.join()
        s.stop()
    assert statuses == {201: 2000}, statuses
    assert largest[0] < 32 * 1024 * 1024, f"the WAL grew to {largest[0]} bytes"
