"""The authors' sandbox in the console (docs/console.md, "The authors' sandbox"), through
Chromium: an author edits an SOP's text and sees the diagram and lint follow, runs it in the
sandbox's memory store on its own clock, exports the session as a test case, and `sop test`
passes it; the real store is unchanged; others are refused."""

import datetime
import json
import re
import sqlite3

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import POSTGRES, sop, today
from test_console import SHOTS, browser, heading, set_value, sign_in, signed_in, wait_for  # noqa: F401 (a fixture)



def store_rows(server):
    """The real store's rows, to compare before and after a sandbox session."""
    if POSTGRES:
        return sop("runs", "--store", server.store, "--format", "json", cwd=server.dir).stdout
    db = sqlite3.connect(server.store)
    try:
        # Every table but the console's sessions (signing in adds one).
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sessions'")]
        rows = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in names}
        assert rows["runs"] and rows["journal_v2" if "journal_v2" in rows else "journal"]
        return rows
    finally:
        db.close()


def author_token(server, actor="ada", roles="author"):
    out = sop("token", "create", "--actor", actor, "--roles", roles, "--store", server.store, "--format", "json", cwd=server.dir)
    server.tokens[actor] = json.loads(out.stdout)["token"]


def set_text(driver, element_id, text):
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), text)


def step_button(driver, text):
    return next(b for b in driver.find_elements(By.CSS_SELECTOR, "form#step button") if text in b.text)


def sandbox_state(driver):
    return driver.find_element(By.ID, "sandbox-state").text


def test_an_author_edits_runs_and_exports_a_case_in_the_sandbox(server, browser):
    author_token(server)
    # A run in the real store, so that "unchanged" is about something.
    assert server.start({"id": "T-1", "category": "returns", "order_id": "A-1"}, "real-1").status_code == 201
    before = store_rows(server)

    d = browser
    sign_in(d, server, "ada")
    d.find_element(By.LINK_TEXT, "Sandbox").click()
    heading(d, "Authors' sandbox")
    Select(d.find_element(By.ID, "sandbox-sop")).select_by_value("returns")
    d.find_element(By.XPATH, "//button[@value='load']").click()
    wait_for(d, lambda d: "Verify the purchase" in d.find_element(By.ID, "sandbox-source").get_attribute("value"))
    assert "Verify the purchase" in d.find_element(By.CSS_SELECTOR, "#sandbox-diagram svg").text
    assert d.find_element(By.CSS_SELECTOR, "#sandbox-findings").text.endswith("No findings.")

    # Edit a state's title: the diagram follows.
    original = d.find_element(By.ID, "sandbox-source").get_attribute("value")
    edited = original.replace("title: Verify the purchase", "title: Check the receipt")
    set_text(d, "sandbox-source", edited)
    d.find_element(By.ID, "sandbox-check").click()
    wait_for(d, lambda d: "Check the receipt" in d.find_element(By.CSS_SELECTOR, "#sandbox-diagram svg").text)
    assert "Verify the purchase" not in d.find_element(By.CSS_SELECTOR, "#sandbox-diagram svg").text

    # A mistake: the finding, with its help; the diagram stays the last good one, and says so.
    set_text(d, "sandbox-source", edited.replace("      - to: inspect\n", "      - to: inspekt\n"))
    d.find_element(By.ID, "sandbox-check").click()
    wait_for(d, lambda d: "inspekt" in d.find_element(By.ID, "sandbox-findings").text)
    findings = d.find_element(By.ID, "sandbox-findings").text
    assert "error[" in findings and "help:" in findings and "inspect" in findings.split("help:")[1], findings
    assert "last text without them" in d.find_element(By.CSS_SELECTOR, ".diagram-section").text
    set_text(d, "sandbox-source", edited)
    d.find_element(By.ID, "sandbox-check").click()
    wait_for(d, lambda d: d.find_element(By.ID, "sandbox-findings").text.endswith("No findings."))

    # A pasted ticket starts a run in the sandbox; it is stepped with the run page's form.
    set_text(d, "sandbox-ticket", json.dumps({"id": "T-S1", "category": "returns", "order_id": "A-S1"}))
    d.find_element(By.ID, "sandbox-start").click()
    wait_for(d, lambda d: sandbox_state(d) == "Check the receipt")
    d.save_screenshot(str(SHOTS / "console-sandbox.png"))
    clock = d.find_element(By.ID, "sandbox-clock").get_attribute("datetime")
    now = datetime.datetime.fromisoformat(clock.replace("Z", "+00:00"))
    for box in d.find_elements(By.CSS_SELECTOR, "form#step input[name=check]"):
        box.click()
    Select(d.find_element(By.ID, "input-order_found")).select_by_visible_text("yes")
    set_value(d, "input-purchased_on", (now.date() - datetime.timedelta(days=3)).isoformat())
    d.find_element(By.ID, "input-amount").send_keys("49.90")
    step_button(d, "Save answers").click()
    wait_for(d, lambda d: sandbox_state(d) == "Send the return instructions and label")
    # A refusal (an event the state does not take, posted by hand): 422 with the reason, and
    # recorded as the case's expected error.
    session = requests.Session()
    for c in d.get_cookies():
        session.cookies.set(c["name"], c["value"])
    csrf = d.find_element(By.NAME, "csrf").get_attribute("value")
    refused = session.post(server.url + "/console/sandbox/runs/sandbox-1", data={"csrf": csrf, "event": "item_received"})
    assert refused.status_code == 422 and "not possible" in refused.text
    set_text(d, "sandbox-patch-text", '{"priority": "high"}')
    d.find_element(By.ID, "sandbox-update").click()
    wait_for(d, lambda d: "high" in d.find_element(By.CSS_SELECTOR, "#sandbox-run .ticket").text)
    for box in d.find_elements(By.CSS_SELECTOR, "form#step input[name=check]"):
        box.click()
    step_button(d, "The label has been sent").click()
    wait_for(d, lambda d: sandbox_state(d) == "Wait for the item")
    assert "Return denied" in d.find_element(By.CSS_SELECTOR, "#sandbox-run .timers").text

    # Time: +1d moves the clock and nothing fires; to a date past the 21-day timer fires it.
    d.find_element(By.ID, "advance-1d").click()
    wait_for(d, lambda d: d.find_element(By.ID, "sandbox-clock").get_attribute("datetime") != clock)
    assert sandbox_state(d) == "Wait for the item"
    set_value(d, "sandbox-to", (now + datetime.timedelta(days=22)).strftime("%Y-%m-%dT%H:%M"))
    d.find_element(By.ID, "advance-to").click()
    wait_for(d, lambda d: sandbox_state(d) == "Ended: denied")

    # Export: the case, shown to copy and offered as a download.
    d.find_element(By.ID, "sandbox-export").click()
    wait_for(d, lambda d: d.find_elements(By.ID, "sandbox-case"))
    case = d.find_element(By.ID, "sandbox-case").get_attribute("value")
    assert case.startswith("# yaml-language-server") and "sop: returns" in case and "outcome: denied" in case, case
    assert "expect: {error: \"event 'item_received' is not possible" in case, case
    assert '- ticket: {"priority": "high"}' in case, case
    download = session.get(server.url + "/console/sandbox/export/sandbox-1")
    assert download.status_code == 200 and download.text == case
    assert download.headers["Content-Disposition"] == 'attachment; filename="returns.test.yaml"'

    # The exported case passes `sop test` against the SOP as edited.
    folder = server.dir / "exported"
    folder.mkdir()
    (folder / "returns.sop.yaml").write_text(d.find_element(By.ID, "sandbox-source").get_attribute("value"))
    (folder / "returns.test.yaml").write_text(case)
    result = sop("test", "exported", cwd=server.dir, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 0 failed" in result.stdout, result.stdout

    # Nothing the sandbox did reached the real store.
    assert store_rows(server) == before
    assert "sandbox-1" not in sop("runs", "--store", server.store, cwd=server.dir).stdout


def test_the_sandbox_is_for_authors_and_admins_and_escapes_what_it_shows(server):
    author_token(server)
    author_token(server, "root", "admin")
    agent, _ = signed_in(server, "sam")  # an agent and a supervisor, not an author
    page = agent.get(server.url + "/console/sandbox", allow_redirects=False)
    assert page.status_code == 403 and "author" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', agent.get(server.url + "/console/queue").text).group(1)
    assert agent.post(server.url + "/console/sandbox", data={"csrf": csrf, "action": "new"}, allow_redirects=False).status_code == 403
    assert 'href="/console/sandbox"' not in agent.get(server.url + "/console/queue").text
    admin, _ = signed_in(server, "root")
    assert admin.get(server.url + "/console/sandbox").status_code == 200

    author, _ = signed_in(server, "ada")
    page = author.get(server.url + "/console/sandbox").text
    assert 'href="/console/sandbox"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    # Without the CSRF token: refused.
    assert author.post(server.url + "/console/sandbox", data={"action": "new"}, allow_redirects=False).status_code == 403
    hostile = "sop: x\nversion: 1\ntitle: <script>alert(1)</script>\nstart: a\nstates:\n  a: {title: <img src=x onerror=alert(2)>, end: done}\n"
    r = author.post(server.url + "/console/sandbox", data={"csrf": csrf, "action": "lint", "text": hostile})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text and "&lt;script&gt;alert(1)" in r.text
    # Bad input: a ticket that is not JSON, a text too large, a time in the past.
    bad = author.post(server.url + "/console/sandbox", data={"csrf": csrf, "action": "start", "ticket": "{nope"})
    assert bad.status_code == 400 and "ticket" in bad.text
    large = author.post(server.url + "/console/sandbox", data={"csrf": csrf, "action": "lint", "text": "x" * (300 * 1024)})
    assert large.status_code == 400 and "at most" in large.text
    past = author.post(server.url + "/console/sandbox", data={"csrf": csrf, "action": "advance-to", "to": "2000-01-01T00:00"})
    assert past.status_code == 400 and "forward" in past.text
    # Signing out ends the sandbox with the session.
    author.post(server.url + "/console/signout", data={"csrf": csrf})
    again, _ = signed_in(server, "ada")
    assert "&lt;script&gt;alert(1)" not in again.get(server.url + "/console/sandbox").text
