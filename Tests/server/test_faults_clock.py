"""The clock jumps back (issue 38): two `sop serve` on one PostgreSQL store, one of them under
libfaketime, whose clock the test steps back an hour while clients step runs through both and
timers and SLA clocks fall due around the jump. No run's records go back in time, no timer fires
twice, SLA clocks neither gain nor lose time, and the server logs the jump.

Runs in the PostgreSQL pass of scripts/test (SOP_TEST_POSTGRES set); libfaketime comes from
scripts/bootstrap --test."""

import datetime
import glob
import re
import threading
import time

import pytest
import requests

from conftest import POSTGRES, Server, record_fault, sop, store_of, workspace

pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs SOP_TEST_POSTGRES (the PostgreSQL pass of scripts/test)")

LIBFAKETIME = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))

ALWAYS = """\
calendar: always
time_zone: UTC
week: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"],
       fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
"""

TIMER = 6  # seconds: the `after:` of the state `open`

CLOCKED = f"""\
sop: clocked
version: 1
title: A reminder and a response target around a clock jump
roles: [agent]
sla:
  calendar: always
  targets:
    response:
      target: 2h
      pause: [waiting]
      stop: [closed]
start: open
states:
  open:
    title: Open
    transitions:
      - {{to: waiting, on: ask}}
      - {{to: closed, on: close}}
      - {{to: reminded, after: {TIMER}s}}
  waiting:
    title: Waiting on the customer
    transitions:
      - {{to: open, on: answered}}
  reminded:
    title: Reminded
    transitions:
      - {{to: waiting, on: ask}}
      - {{to: closed, on: close}}
  closed: {{title: Closed, end: closed}}
"""

TARGET_MS = 2 * 3_600_000
HOUR = 3600


def ms(text):
    """An RFC 3339 time as milliseconds since 1970."""
    return round(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def duration_ms(text):
    """`1h59m58s`, `7198123ms`, `-2s`: a duration as the API writes it, in milliseconds."""
    if text.startswith("-"):
        return -duration_ms(text[1:])
    if text.endswith("ms"):
        return int(text[:-2])
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    assert parts and text, f"not a duration: {text!r}"
    h, m, s = (int(p or 0) for p in parts.groups())
    return ((h * 60 + m) * 60 + s) * 1000


def truth(journal, now):
    """An SLA clock's time left and due time at `now` (ms), worked out from the journal's own
    SLA records: the target, less the time it ran (from its start, without its pauses)."""
    started, paused_since, paused = None, None, 0
    for r in journal:
        sla = r["trigger"].get("sla") or {}
        event = sla.get("event")
        if event == "started":
            started = ms(r["at"])
        elif event == "paused":
            paused_since = ms(r["at"])
        elif event == "resumed":
            paused += ms(r["at"]) - paused_since
            paused_since = None
    end = paused_since if paused_since is not None else now
    return TARGET_MS - (end - started - paused), started + TARGET_MS + paused


def wait_for(condition, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(not LIBFAKETIME, reason="needs libfaketime (scripts/bootstrap --test installs Debian's faketime)")
def test_a_server_whose_clock_jumps_back_an_hour_neither_refuses_nor_records_back_in_time(tmp_path):
    w = workspace(tmp_path)
    (w / "sops" / "calendars" / "always.calendar.yaml").write_text(ALWAYS)
    (w / "sops" / "clocked.sop.yaml").write_text(CLOCKED)
    store = store_of(w)
    # The second server in a folder of its own, so that each has its own log.
    wb = workspace(tmp_path / "b")
    (wb / "sops" / "calendars" / "always.calendar.yaml").write_text(ALWAYS)
    (wb / "sops" / "clocked.sop.yaml").write_text(CLOCKED)
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    a = Server(w)
    # Started by a shell: a Swift program that is the first process to load libfaketime sees no
    # command-line arguments (seen with libfaketime 0.9.10; likely because libfaketime changes the
    # environment as it starts, and Swift on Linux finds argv beside the environment); exec'd
    # from a process that loaded it first, it sees them.
    b = Server(wb, store=store, tokens=a.tokens, launcher=("bash", "-c", 'exec "$@"', "bash"), env={
        "LD_PRELOAD": LIBFAKETIME[0], "FAKETIME_TIMESTAMP_FILE": str(offset), "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    servers = {"a": a, "b": b}
    statuses, acknowledged, through = {}, [], {"a": 0, "b": 0}
    lock = threading.Lock()
    try:
        # Runs left alone, whose timer falls due a few seconds after the jump, and runs that
        # clients keep stepping (their SLA clock pausing and resuming) through both servers.
        waiting = [f"W-{i}" for i in range(4)]
        stepped = [f"S-{i}" for i in range(4)]
        for i, run in enumerate(waiting + stepped):
            r = (a if i % 2 else b).start({"id": run}, run_id=run, sop_id="clocked")
            assert r.status_code == 201, r.text
        before_jump = time.time() * 1000
        offset.write_text(f"-{HOUR}\n")
        jumped = time.time() * 1000
        # The server's tick loop reads its clock five times a second: the jump is seen at once.
        line = wait_for(lambda: next((l for l in (wb / "server.log").read_text().splitlines()
                                      if "the system clock went back" in l), None), "the jump's warning in the log")
        assert "warning" in line and "went back by 1h;" in line, line
        back = int(re.search(r"back_ms=(\d+)", line).group(1))
        assert abs(back - HOUR * 1000) < 1000, line
        assert "the system clock went back" not in (w / "server.log").read_text()
        # b's system clock reads an hour ago; the time it gives stays at the latest it gave.
        as_of = ms(b.get("/v1/runs/W-0").json()["as_of"])
        assert before_jump - 1000 <= as_of <= jumped + 5, (as_of, before_jump)

        stop = threading.Event()

        def client(name, runs):
            session = requests.Session()
            k = 0
            while not stop.is_set():
                for run in runs:
                    name = "ab"[k % 2]
                    server = servers[name]
                    state = session.get(server.url + f"/v1/runs/{run}", headers=server.headers(), timeout=10).json()["state"]
                    event = "answered" if state == "waiting" else "ask"
                    r = session.post(server.url + f"/v1/runs/{run}/steps", json={"event": event}, headers=server.headers(), timeout=10)
                    with lock:
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                        if r.status_code == 200:
                            acknowledged.append((run, r.json()["version"]))
                            through[name] += 1
                    k += 1
                time.sleep(0.05)

        threads = [threading.Thread(target=client, args=(f"c{i}", stepped[i::2])) for i in range(2)]
        for t in threads:
            t.start()
        # Until every left-alone run's timer has fired (a tick of a, whose clock is right), and
        # a little longer, so steps come after it.
        wait_for(lambda: all(a.get(f"/v1/runs/{run}").json()["state"] == "reminded" for run in waiting),
                 "the timers of the runs left alone", timeout=TIMER + 20)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()

        # SLA clocks as both servers show them, against the journal's truth at the real time.
        for run in stepped:
            journal = a.get(f"/v1/runs/{run}/journal").json()["records"]
            before = time.time() * 1000
            shown = {name: s.get(f"/v1/runs/{run}").json() for name, s in servers.items()}
            after = time.time() * 1000
            left_then, due = truth(journal, before)
            left_now, _ = truth(journal, after)
            sla = {name: next(x for x in v["sla"] if x["target"] == "response") for name, v in shown.items()}
            # a's clock is right: what it shows is the truth (to the request's time).
            assert left_now - 5 <= duration_ms(sla["a"]["remaining"]) <= left_then + 5, (run, sla, left_then, left_now)
            if sla["a"]["status"] == "running":
                assert ms(sla["a"]["due"]) == due and ms(sla["b"]["due"]) == due, (run, sla, due)
            # b's clock stands where it was when it jumped, or at the run's last change if later:
            # it may show time left that has passed since then, never more than that, never the
            # extra hour its system clock claims, and never less than the truth.
            shown_b = duration_ms(sla["b"]["remaining"])
            assert left_now - 5 <= shown_b <= left_then + (after - before_jump) + 5, (run, sla, left_then)
            assert shown_b <= TARGET_MS

        # Every step through either server was taken: none refused for going back in time.
        assert set(statuses) == {200}, statuses
        assert through["a"] >= 8 and through["b"] >= 8, through

        found, duplicates = 0, 0
        for run in waiting + stepped:
            journal = a.get(f"/v1/runs/{run}/journal").json()["records"]
            times = [ms(r["at"]) for r in journal]
            assert times == sorted(times), (run, [r["at"] for r in journal])
            versions = [r.get("version") for r in journal]
            found += sum(1 for r, v in acknowledged if r == run and v in versions)
            # Each timer fired once per entry into `open`, at that entry's time plus its length.
            entries = [ms(r["at"]) for r in journal if r["to"] == "open" and r["trigger"]["kind"] != "sla"]
            fired = [ms(r["at"]) for r in journal if r["trigger"]["kind"] == "timer"]
            assert len(fired) == len(set(fired)), (run, fired)
            for at in fired:
                assert at - TIMER * 1000 in entries, (run, at, entries)
            if run in waiting:
                assert len(fired) == 1 and fired[0] == entries[0] + TIMER * 1000, (run, fired, entries)
            # The SLA records' due times are the journal's truth (start + target + pauses).
            for i, r in enumerate(journal):
                sla = r["trigger"].get("sla") or {}
                if sla.get("event") in ("started", "resumed"):
                    assert ms(sla["due"]) == truth(journal[:i + 1], ms(r["at"]))[1], (run, r)
        duplicates = len(acknowledged) - len(set(acknowledged))
        assert found == len(acknowledged) and duplicates == 0

        verify = sop("verify", "--store", store, cwd=w, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        record_fault("clock jumps back 1h on one of two servers", "postgres",
                     "libfaketime on one `sop serve` (FAKETIME_TIMESTAMP_FILE stepped from +0 to -1h while clients step runs)",
                     statuses, len(acknowledged), found, duplicates, "passed", None,
                     note=f"log: 'the system clock went back by 1h'; {sum(1 for r in waiting)} timers fired once each")
    finally:
        a.stop()
        b.stop()
