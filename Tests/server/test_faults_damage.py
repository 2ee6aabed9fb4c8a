"""A damaged store (issue 38): a journal row edited by hand, bytes flipped in a SQLite page, a
truncated WAL. `sop verify` names the run and the record; the server refuses to step a run whose
journal's chain is broken (409 `damaged_run`), answers a request that touches a page SQLite
cannot read with 500 `store_damaged`, never crashes, and serves the other runs. A WAL cut
mid-frame leaves the store at an earlier commit, whole.

Each test records its row of the fault table with record_fault (docs/testing.md)."""

import collections
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

import pytest

from conftest import POSTGRES, RETURN_TICKET, SOP, Server, record_fault, sop, workspace

LOOP = """\
sop: loop
version: 1
title: A run an agent pings
start: open
states:
  open:
    title: Open
    transitions:
      - {to: open, on: ping}
      - {to: closed, on: close}
  closed: {title: Closed, end: closed}
"""

STORE_NAME = "PostgreSQL" if POSTGRES else "SQLite"


def loop_workspace(tmp_path):
    w = workspace(tmp_path)
    (w / "sops" / "loop.sop.yaml").write_text(LOOP)
    return w


def start_runs(server, ids, pings):
    """Starts a loop run per id and pings each `pings` times; every answer must be 2xx."""
    for run in ids:
        r = server.start({**RETURN_TICKET, "id": run}, run_id=run, sop_id="loop")
        assert r.status_code == 201, r.text
        for _ in range(pings):
            r = server.step(run, event="ping")
            assert r.status_code == 200, r.text


def journal_count(store, cwd):
    """The number of records of each run that verifies, from `sop verify --verbose`'s lines."""
    out = sop("verify", "--verbose", "--store", store, cwd=cwd, check=False)
    counts = {}
    for line in out.stdout.splitlines():
        run, _, rest = line.partition(": ok (")
        if rest:
            counts[run] = int(rest.split()[0])
    return counts, out


def sql(store, statement, *args):
    """Runs one statement on the store behind sopkit's back: sqlite3 on the file, psql on the
    PostgreSQL schema the store URL names. Returns the rows changed (SQLite) or psql's output."""
    if not store.startswith("postgres"):
        with sqlite3.connect(store, timeout=30) as db:
            return db.execute(statement, args).rowcount
    url = urllib.parse.urlsplit(store)
    schema = urllib.parse.parse_qs(url.query)["schema"][0]
    quoted = [("'" + str(a).replace("'", "''") + "'") for a in args]
    text = statement.replace("?", "{}").format(*quoted)
    plain = urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, "sslmode=disable", ""))
    out = subprocess.run(["psql", plain, "-v", "ON_ERROR_STOP=1", "-qAtc", f"SET search_path TO {schema}; {text}"],
                         capture_output=True, text=True, check=True)
    return out.stdout


def test_a_journal_row_edited_by_hand(tmp_path):
    """UPDATE journal SET record = … on one run's middle record (its hash left as it was): verify
    names the run and the record and exits 1; the server refuses to step that run (409
    damaged_run, the record and `sop verify RUN` in the reason), as does `sop step` (exit 2); the
    other runs step."""
    w = loop_workspace(tmp_path)
    s = Server(w)
    statuses = collections.Counter()
    try:
        runs = [f"edit-{i}" for i in range(4)]
        start_runs(s, runs, pings=3)
        victim = runs[1]
        # Record 1 (the first ping) claims another actor.
        edited = sql(s.store, "UPDATE journal SET record = replace(record, ?, ?) WHERE run = ? AND seq = 1",
                     '"id":"ana"', '"id":"eve"', victim)
        if isinstance(edited, int):
            assert edited == 1

        refused = s.step(victim, event="ping")
        statuses[refused.status_code] += 1
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["error"] == "damaged_run"
        assert body["status"] == 409
        assert f"run {victim}" in body["reason"] and "broken at record 1" in body["reason"]
        assert f"`sop verify {victim}`" in body["reason"]
        assert body["instead"] == [f"run `sop verify {victim}` to see which record is wrong and why"]
        # Nothing was written: the run is where it was.
        assert s.get(f"/v1/runs/{victim}").json()["version"] == 4
        # The operator hears of it from the log too.
        s.log.flush()
        deadline = time.time() + 5
        while "damaged run refused" not in (w / "server.log").read_text():
            assert time.time() < deadline, "the refusal of a damaged run is not in the server's log"
            time.sleep(0.1)

        acknowledged = 0
        for run in runs:
            if run == victim:
                continue
            for _ in range(2):
                r = s.step(run, event="ping")
                statuses[r.status_code] += 1
                assert r.status_code == 200, r.text
                acknowledged += 1
        # Reads of the damaged run still work: its journal is shown, and its verify says why.
        assert s.get(f"/v1/runs/{victim}/journal").status_code == 200
        verified = s.get(f"/v1/runs/{victim}/verify")
        assert verified.status_code == 200, verified.text

        cli = sop("step", victim, "--event", "ping", "--actor", "ana:agent", "--sops", "sops", "--store", s.store,
                  cwd=w, check=False)
        statuses[f"exit {cli.returncode}"] += 1
        assert cli.returncode == 2, cli.stderr
        assert cli.stderr == (f"error: run {victim} is not stepped: its journal's chain is broken at record 1 (its hash does not match "
                              f"its content (the record was changed)); run `sop verify {victim}` to see what is wrong\n")
    finally:
        s.stop()

    one = sop("verify", victim, "--store", s.store, cwd=w, check=False)
    assert one.returncode == 1
    assert one.stdout == f"{victim}: FAILED at record 1: the hash does not match the record's content (the record was changed)\n"
    every = sop("verify", "--store", s.store, cwd=w, check=False)
    statuses[f"exit {every.returncode}"] += 1
    assert every.returncode == 1
    assert every.stdout.splitlines() == [one.stdout.strip(), "1 of 4 runs FAILED (22 records)"]
    counts, _ = journal_count(s.store, w)
    found = sum(counts[r] - 4 for r in runs if r != victim)  # each ping after the edit is one record
    record_fault("a journal row edited by hand", STORE_NAME, "UPDATE journal SET record = … on one run's record 1, hash kept",
                 statuses, acknowledged, found, 0, f"exit 1: {one.stdout.strip()}", None,
                 "409 damaged_run for that run's steps, `sop step` exit 2; the other runs served throughout")
    assert found == acknowledged


def page_of(data, needle, page_size):
    at = data.find(needle)
    assert at >= 0 and data.find(needle, at + 1) < 0, f"{needle!r} is not in the file once"
    return at // page_size, at


@pytest.mark.skipif(bool(POSTGRES), reason="SQLite's file")
def test_flipped_bytes_in_a_sqlite_page(tmp_path):
    """The server stopped, bytes flipped in two pages of the journal, the server started again.
    Bytes inside a record's text (SQLite cannot see it): the chain breaks, the run's steps are 409
    damaged_run, verify names the run and the record. The page's header (SQLite's b-tree is
    damaged): every request that reads that page is 500 store_damaged, the server stays up, and
    runs whose records are elsewhere are served; verify names the run and the first record it cannot
    read, exit 1."""
    w = loop_workspace(tmp_path)
    s = Server(w)
    runs = [f"page-{i:02d}" for i in range(24)]
    try:
        start_runs(s, runs, pings=3)
    finally:
        s.stop()
    with sqlite3.connect(s.store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(open(s.store, "rb").read())
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size

    # Bytes in a record's text: record 1 of one run claims to be record 7.
    text_victim = runs[4]
    _, at = page_of(data, f'"run":"{text_victim}","seq":1,'.encode(), page_size)
    digit = at + len(f'"run":"{text_victim}","seq":')
    data[digit] ^= 0x06
    # The header of the page holding another run's records: its b-tree page type and cell count.
    page_victim = runs[12]
    damaged_page, _ = page_of(data, f'"run":"{page_victim}","seq":2,'.encode(), page_size)
    start = damaged_page * page_size
    assert data[start] == 0x0D, "not a table leaf page"
    for k in range(0, 8):
        data[start + k] ^= 0xA5
    # Runs with no record on that page (nor on the text victim's) are the ones served.
    spared = [r for r in runs[16:] if all(page_of(data, f'"run":"{r}","seq":{q},'.encode(), page_size)[0] != damaged_page
                                         for q in range(4))]
    assert spared, "every late run shares the damaged page"
    open(s.store, "wb").write(bytes(data))

    statuses = collections.Counter()
    s = Server(w, tokens=s.tokens)
    try:
        r = s.step(text_victim, event="ping")
        statuses[r.status_code] += 1
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "damaged_run" and "broken at record 1" in r.json()["reason"]

        r = s.step(page_victim, event="ping")
        statuses[r.status_code] += 1
        assert r.status_code == 500, r.text
        assert r.json()["error"] == "store_damaged", r.text
        r = s.get(f"/v1/runs/{page_victim}/journal")
        statuses[r.status_code] += 1
        assert r.status_code == 500 and r.json()["error"] == "store_damaged", r.text

        acknowledged = 0
        for run in spared:
            r = s.step(run, event="ping")
            statuses[r.status_code] += 1
            assert r.status_code == 200, r.text
            acknowledged += 1
        assert s.process.poll() is None, "the server stopped"
        assert s.get("/healthz").status_code == 200
    finally:
        s.stop()

    every = sop("verify", "--store", s.store, cwd=w, check=False)
    statuses[f"exit {every.returncode}"] += 1
    lines = every.stdout.splitlines()
    # verify reads the record (its seq now says 7) before it hashes it.
    assert f"{text_victim}: FAILED at record 1: the record's seq is 7, expected 1" in lines
    unreadable = [line for line in lines if line.startswith(f"{page_victim}: FAILED at record ")]
    assert len(unreadable) == 1 and ": it cannot be read: the run store is damaged: " in unreadable[0], every.stdout
    assert "malformed" in unreadable[0]
    assert every.returncode == 1, every.stderr
    counts, _ = journal_count(s.store, w)
    found = sum(1 for run in spared if counts.get(run) == 5)
    record_fault("bytes flipped in a SQLite page", "SQLite",
                 "server stopped; one byte of a record's text, and a journal page's header, XORed; server started", statuses,
                 acknowledged, found, 0, "exit 1: " + "; ".join(line.split(" - while executing")[0] for line in lines if ": FAILED" in line),
                 None, "409 damaged_run for the run whose record changed; 500 store_damaged for requests reading the damaged page")
    assert found == acknowledged


WAL_HEADER = 32
FRAME_HEADER = 24


def wal_frames(path):
    """The valid frames of a WAL file, as SQLite's recovery reads them: [(offset, commit?)]."""
    data = open(path, "rb").read()
    if len(data) < WAL_HEADER:
        return [], 0, None
    page_size = int.from_bytes(data[8:12], "big")
    salt = data[16:24]
    frames = []
    at = WAL_HEADER
    while at + FRAME_HEADER + page_size <= len(data) and data[at + 8:at + 16] == salt:
        frames.append((at, int.from_bytes(data[at + 4:at + 8], "big") != 0))
        at += FRAME_HEADER + page_size
    return frames, page_size, salt


@pytest.mark.skipif(bool(POSTGRES), reason="SQLite's WAL")
def test_a_truncated_wal(tmp_path):
    """Steps committed (and answered 200) that are only in the WAL, the server killed with -9, the
    WAL cut in the middle of a frame: SQLite's recovery keeps the frames up to the last commit
    before the cut and drops the rest. The store is at that earlier commit, whole: verify passes,
    every run's row agrees with its journal, the server starts and serves; the steps committed
    after the cut are lost (and counted)."""
    w = loop_workspace(tmp_path)
    s = Server(w)
    runs = [f"wal-{i}" for i in range(4)]
    start_runs(s, runs, pings=1)
    # A reader holding a snapshot keeps the checkpointer from copying later commits into the
    # file: they stay in the WAL alone, as commits between two checkpoints do.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN'); db.execute('SELECT count(*) FROM journal').fetchone()\n"
        "print('held', flush=True); time.sleep(600)\n"), s.store], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    before, _, salt_before = wal_frames(s.store + "-wal")
    acknowledged = []
    for i in range(6):
        for run in runs:
            r = s.step(run, event="ping")
            assert r.status_code == 200, r.text
            acknowledged.append((run, r.json()["version"]))
    s.process.send_signal(signal.SIGKILL)
    s.process.wait()
    s.receiver.close()
    holder.kill()
    holder.wait()

    wal = s.store + "-wal"
    frames, page_size, salt = wal_frames(wal)
    # The frames the steps wrote: after those there were when the reader took its snapshot (or,
    # when the WAL started over under a new salt since, all of them).
    first = len(before) if salt == salt_before else 0
    commits = [i for i, (_, commit) in enumerate(frames) if commit and i >= first]
    assert len(commits) == len(acknowledged), f"each step is not one commit in the WAL ({len(frames)} frames, {len(commits)} commits)"
    # Cut in the middle of the frame after the commit halfway through.
    keep = commits[len(commits) // 2]
    os.truncate(wal, frames[keep + 1][0] + FRAME_HEADER + page_size // 2)
    lost_commits = len(commits) - (len(commits) // 2 + 1)

    statuses = collections.Counter()
    with sqlite3.connect(s.store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    every = sop("verify", "--store", s.store, cwd=w, check=False)
    statuses[f"exit {every.returncode}"] += 1
    assert every.returncode == 0 and every.stdout == f"4 runs ok ({sum(journal_count(s.store, w)[0].values())} records)\n", every.stdout

    began = time.monotonic()
    s = Server(w, tokens=s.tokens)
    try:
        stored = {run: s.get(f"/v1/runs/{run}").json()["version"] for run in runs}
        recovered = time.monotonic() - began
        found = sum(1 for run, version in acknowledged if stored[run] >= version)
        lost = len(acknowledged) - found
        # Each ping was its own commit: the lost steps are the commits after the cut.
        assert lost == lost_commits, (lost, lost_commits)
        assert lost > 0
        # Service goes on from the earlier commit: every run steps again.
        for run in runs:
            r = s.step(run, event="ping")
            statuses[r.status_code] += 1
            assert r.status_code == 200, r.text
            assert r.json()["version"] == stored[run] + 1
    finally:
        s.stop()
    again = sop("verify", "--store", s.store, cwd=w, check=False)
    assert again.returncode == 0, again.stdout
    statuses[200] += len(acknowledged)
    record_fault("a truncated WAL", "SQLite",
                 "server killed with -9 after commits only in the WAL; the WAL cut mid-frame; server started",
                 statuses, len(acknowledged), found, 0, "passed", recovered,
                 f"the store is at the last commit before the cut: the {lost} steps committed after it are lost")


@pytest.mark.skipif(bool(POSTGRES), reason="SQLite's WAL")
def test_a_cut_wal_after_a_checkpoint_tears_commits(tmp_path):
    """What docs/decisions.md says of a WAL cut behind frames a checkpoint already copied: SQLite
    alone, no sopkit. Twenty commits each update a shared row and a row of their own (the first
    ten's rows on one page, the last ten's on another); a PASSIVE checkpoint copies them all into
    the file; the process dies; the WAL is cut after the tenth commit. The shared row shows ten
    commits, yet the last ten commits' own rows are updated too: those commits are torn."""
    db = str(tmp_path / "t.db")
    writer = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute('CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)')\n"
        "c.execute('BEGIN')\n"
        "for i in range(2000): c.execute('INSERT INTO t VALUES (?, 0, ?)', (i, 'x' * 300))\n"
        "c.execute('COMMIT'); c.execute('PRAGMA wal_checkpoint(TRUNCATE)')\n"
        "for k in list(range(1000, 1010)) + list(range(1990, 2000)):\n"
        "    c.execute('BEGIN'); c.execute('UPDATE t SET v = v + 1 WHERE id = 0')\n"
        "    c.execute('UPDATE t SET v = v + 1 WHERE id = ?', (k,)); c.execute('COMMIT')\n"
        "busy, frames, copied = c.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchone()\n"
        "assert frames == copied == 40, (frames, copied)\n"
        "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", writer, db], check=True)
    frames, page_size, _ = wal_frames(db + "-wal")
    commits = [i for i, (_, commit) in enumerate(frames) if commit]
    assert len(commits) == 20
    os.truncate(db + "-wal", frames[commits[9] + 1][0] + FRAME_HEADER + page_size // 2)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT v FROM t WHERE id = 0").fetchone()[0] == 10
        assert c.execute("SELECT count(*) FROM t WHERE id BETWEEN 1000 AND 1009 AND v = 1").fetchone()[0] == 10
        # Torn: commits 11 to 20 are not in the shared row, yet their own rows show them.
        assert c.execute("SELECT count(*) FROM t WHERE id BETWEEN 1990 AND 1999 AND v = 1").fetchone()[0] == 10
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
