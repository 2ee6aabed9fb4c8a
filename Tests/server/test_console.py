"""The agent console in a real headless browser (Chromium through Selenium), and its security
through plain HTTP: an agent completes a return through the forms, a supervisor approves it
from their own queue, `sop verify` passes; refusals, roles, escaping, CSRF and the cookie."""

import datetime
import json
import os
import pathlib
import re
import time

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import RETURN_TICKET, ROOT, Server, sop, store_of, today, workspace

# The screenshots in docs/ are these tests' own: `SOP_RECORD=1 scripts/server-tests -k console` takes them again.
SHOTS = ROOT / "docs" if os.environ.get("SOP_RECORD") == "1" else pathlib.Path(os.environ.get("TMPDIR", "/tmp"))


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("SOP_CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1000"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=os.environ.get("SOP_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def sign_in(driver, server, actor):
    driver.delete_all_cookies()
    driver.get(server.url + "/console/signin")
    driver.find_element(By.ID, "token").send_keys(server.tokens[actor])
    driver.find_element(By.CSS_SELECTOR, "form.signin button").click()
    heading(driver, "My queue")


def wait_for(driver, condition):
    def holds(d):
        try:
            return condition(d)
        except WebDriverException:  # the page is being replaced by the next one
            return False
    WebDriverWait(driver, 10).until(holds)


def heading(driver, text):
    """Waits for the page whose h1 is `text` (a form post navigates after the click returns)."""
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text == text)


def button(driver, text):
    return next(b for b in driver.find_elements(By.CSS_SELECTOR, "form#step button") if text in b.text)


def set_value(driver, element_id, value):
    # A date input's typing depends on the browser's locale: set its value as a form would hold it.
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def test_an_agent_and_a_supervisor_complete_a_return_in_the_browser(server, browser):
    d = browser
    sign_in(d, server, "ana")
    # Start a run: paste the ticket, see which SOPs apply, start the return.
    d.find_element(By.LINK_TEXT, "Start a run").click()
    ticket = {"id": "T-77", "category": "returns", "order_id": "A-77", "subject": "Broken kettle",
              "customer": {"name": "Ann Lee", "email": "ann@example.org"}}
    d.find_element(By.ID, "ticket").send_keys(json.dumps(ticket))
    d.find_element(By.XPATH, "//button[@value='route']").click()
    d.find_element(By.XPATH, "//button[@value='returns']").click()
    heading(d, "Verify the purchase")
    run = d.current_url.rsplit("/", 1)[-1]
    assert "A-77" in d.find_element(By.CSS_SELECTOR, ".instructions").text

    # A refused step shows its reason next to the form, and keeps the answers.
    d.find_element(By.CSS_SELECTOR, "input[name=check]").click()
    Select(d.find_element(By.ID, "input-order_found")).select_by_visible_text("yes")
    set_value(d, "input-purchased_on", today(-3))
    amount = d.find_element(By.ID, "input-amount")
    d.execute_script("arguments[0].removeAttribute('min')", amount)  # the browser would stop it; the server must too
    amount.send_keys("-5")
    button(d, "Save answers").click()
    wait_for(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".refusal"))
    refusal = d.find_element(By.CSS_SELECTOR, ".refusal").text
    assert "amount" in refusal, refusal
    assert d.find_element(By.ID, "input-amount").get_attribute("value") == "-5"
    assert Select(d.find_element(By.ID, "input-order_found")).first_selected_option.text == "yes"

    amount = d.find_element(By.ID, "input-amount")
    amount.clear()
    amount.send_keys("640")
    set_value(d, "input-purchased_on", today(-3))
    if not d.find_element(By.CSS_SELECTOR, "input[name=check]").is_selected():
        d.find_element(By.CSS_SELECTOR, "input[name=check]").click()
    button(d, "Save answers").click()
    heading(d, "Send the return instructions and label")
    for box in d.find_elements(By.CSS_SELECTOR, "input[name=check]"):
        box.click()
    button(d, "The label has been sent").click()
    heading(d, "Wait for the item")
    assert "Inspect the item" in d.find_element(By.CSS_SELECTOR, ".timers").text or "Return denied" in d.find_element(By.CSS_SELECTOR, ".timers").text
    button(d, "The item has arrived at the warehouse").click()
    heading(d, "Inspect the item")
    Select(d.find_element(By.ID, "input-condition")).select_by_value("as_new")
    button(d, "Save answers").click()

    # The supervisor's state: said up front, its events disabled with the role named.
    heading(d, "Supervisor approval")
    assert "supervisor" in d.find_element(By.CSS_SELECTOR, ".notice").text
    approve = button(d, "Approve the refund")
    assert not approve.is_enabled() and "(supervisor)" in approve.text
    timeline = d.find_element(By.ID, "timeline").text
    assert "ana (agent)" in timeline and "answers: amount = 640" in timeline
    d.save_screenshot(str(SHOTS / "console-approval.png"))

    # A forged POST of the supervisor's event with ana's own session and CSRF token: 403.
    session = requests.Session()
    for c in d.get_cookies():
        session.cookies.set(c["name"], c["value"])
    csrf = d.find_element(By.NAME, "csrf").get_attribute("value")
    forged = session.post(f"{server.url}/console/runs/{run}", data={"csrf": csrf, "event": "approve"}, allow_redirects=False)
    assert forged.status_code == 403 and "supervisor" in forged.text

    # More work in the queue: a run waiting for its item (a 21-day timer) and a fresh one.
    for n, steps in (("q-2", 2), ("q-3", 0)):
        server.start({**ticket, "id": f"T-{n}", "order_id": f"A-{n}", "subject": "Wrong size"}, n)
        if steps:
            server.step(n, inputs={"order_found": True, "purchased_on": today(-2), "amount": 20}, checks="all")
            server.step(n, event="label_sent", checks="all")

    # The supervisor finds it in their queue and approves it.
    sign_in(d, server, "sam")
    rows = d.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    row = next(r for r in rows if r.get_attribute("data-run") == run)
    assert "Supervisor approval" in row.text and "T-77" in row.text and "supervisor" in row.text
    row.find_element(By.LINK_TEXT, run).click()
    heading(d, "Supervisor approval")
    button(d, "Approve the refund").click()
    heading(d, "Ended: refunded")
    assert f"{run}: ok" in sop("verify", run, "--store", server.store, cwd=server.dir).stdout

    # The catalogue: each SOP with its diagram drawn on the server.
    d.get(server.url + "/console/sops/returns")
    svg = d.find_element(By.CSS_SELECTOR, "figure.diagram svg")
    assert svg.find_element(By.CSS_SELECTOR, "#state-approval").text.startswith("Supervisor approval")
    assert "Approve the refund" in svg.text


def signed_in(server, actor="ana", headers=None):
    s = requests.Session()
    r = s.post(server.url + "/console/signin", data={"token": server.tokens[actor]}, headers=headers or {}, allow_redirects=False)
    return s, r


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_values_from_tickets_and_instructions_render_as_text(server):
    hostile = {"id": "T-9", "category": "returns", "order_id": "<img src=x onerror=alert(1)>",
               "subject": "<script>alert('subject')</script>", "customer": {"name": "<b>Eve</b>"}}
    assert server.start(hostile, "x1").status_code == 201
    s, _ = signed_in(server)
    page = s.get(server.url + "/console/runs/x1").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Eve</b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the instruction's template value, as text
    queue = s.get(server.url + "/console/queue").text
    assert "<script>alert" not in queue and "&lt;script&gt;" in queue
    # No page loads anything from elsewhere.
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_forms_need_their_csrf_token_and_the_cookie_its_flags(server):
    s, signin = signed_in(server)
    cookie = signin.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
    _, behind_tls = signed_in(server, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_tls.headers["Set-Cookie"]
    server.start({"id": "T-5", "category": "returns", "order_id": "A-5"}, "c1")
    no_csrf = s.post(server.url + "/console/runs/c1", data={"event": "nope"}, allow_redirects=False)
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    wrong = s.post(server.url + "/console/runs/c1", data={"csrf": "x" * 43, "event": "nope"}, allow_redirects=False)
    assert wrong.status_code == 403
    csrf = csrf_of(s.get(server.url + "/console/runs/c1").text)
    refused = s.post(server.url + "/console/runs/c1", data={"csrf": csrf, "event": "nope"}, allow_redirects=False)
    assert refused.status_code == 422 and "not possible" in refused.text
    # Signed out, or with no session: the pages send to sign-in, and a POST is refused.
    assert requests.get(server.url + "/console/queue", allow_redirects=False).headers["Location"] == "/console/signin"
    assert requests.post(server.url + "/console/runs/c1", data={"csrf": csrf}, allow_redirects=False).status_code == 401
    s.post(server.url + "/console/signout", data={"csrf": csrf})
    assert s.get(server.url + "/console/queue", allow_redirects=False).status_code == 303


def test_pages_fetch_nothing_from_elsewhere(server):
    s, _ = signed_in(server)
    for path in ("/console/queue", "/console/start", "/console/sops", "/console/sops/returns"):
        r = s.get(server.url + path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert not re.search(r'(src|href|action)="(https?:)?//', r.text), path


def test_an_open_run_page_offers_a_reload_when_the_run_moves_on(server, browser):
    server.start({"id": "T-8", "category": "returns", "order_id": "A-8"}, "live1")
    sign_in(browser, server, "ana")
    browser.get(server.url + "/console/runs/live1")
    heading(browser, "Verify the purchase")
    assert not browser.find_elements(By.CSS_SELECTOR, ".live")
    # Someone else takes the step (through the API): the page hears of it from the event stream.
    server.step("live1", inputs={"order_found": True, "purchased_on": today(-1), "amount": 10}, checks="all")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".live"))
    browser.find_element(By.CSS_SELECTOR, ".live a").click()
    heading(browser, "Send the return instructions and label")


def test_start_fetches_a_ticket_the_store_knows_and_routes_it(server):
    server.start({"id": "T-42", "category": "returns", "order_id": "A-42", "subject": "Cracked lid"}, "f1")
    s, _ = signed_in(server)
    csrf = csrf_of(s.get(server.url + "/console/start").text)
    fetched = s.post(server.url + "/console/start", data={"csrf": csrf, "action": "fetch", "ticket_id": "T-42", "ticket": ""})
    assert fetched.status_code == 200
    assert "Cracked lid" in fetched.text and 'value="returns"' in fetched.text
    missing = s.post(server.url + "/console/start", data={"csrf": csrf, "action": "fetch", "ticket_id": "T-404", "ticket": ""})
    assert missing.status_code == 404 and "T-404" in missing.text


def test_a_ticket_that_is_not_utf8_is_refused_not_replaced(server):
    # Issue 32 item 26, through the console's form: raw or percent-encoded bytes that are not
    # UTF-8 are a 400 page, and no run starts.
    s, _ = signed_in(server)
    csrf = csrf_of(s.get(server.url + "/console/start").text)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for ticket in (b"%7B%22id%22%3A%22T-%FF%22%7D", b'{"id":"T-\xff"}'):
        r = s.post(server.url + "/console/start", data=b"csrf=" + csrf.encode() + b"&sop=returns&ticket=" + ticket, headers=form)
        assert r.status_code == 400 and "not UTF-8" in r.text
    assert server.get("/v1/runs").json()["runs"] == []


def test_a_sign_in_that_is_too_large_is_refused_with_a_page(server):
    r = requests.post(server.url + "/console/signin", data={"token": "x" * (1 << 20)}, allow_redirects=False)
    assert r.status_code == 413 and "Sign in" in r.text


def test_sessions_outlive_a_restart_and_the_store_keeps_no_session_id(tmp_path):
    from conftest import Server, workspace
    w = workspace(tmp_path)
    first = Server(w)
    s, signin = signed_in(first)
    cookie = s.cookies.get("sop_session")
    assert s.get(first.url + "/console/queue", allow_redirects=False).status_code == 200
    first.stop()
    for f in w.glob("runs.sqlite*"):
        assert cookie.encode() not in f.read_bytes(), f
    second = Server(w)
    try:
        # The same cookie, against the restarted server (its tokens were made again: ana's old one still stands).
        r = s.get(second.url + "/console/queue", allow_redirects=False)
        assert r.status_code == 200 and "My queue" in r.text
        # Revoking the token ends the session.
        listed = json.loads(sop("token", "list", "--store", second.store, "--format", "json", cwd=w).stdout)
        for t in listed:
            if t["actor"] == "ana":
                sop("token", "revoke", t["id"], "--store", second.store, cwd=w)
        assert s.get(second.url + "/console/queue", allow_redirects=False).status_code == 303
    finally:
        second.stop()


# Issue 32: SLA clocks, titles with templates, called runs, the SOP page, post/redirect/get,
# every bad input beside its field, and times and nested ticket fields for people.

def complaint(ticket_id, **extra):
    return {"id": ticket_id, "category": "complaint", "subject": "Rude reply", "customer": {"name": "Cy Diaz"}, **extra}


def queue_rows(s, server):
    html = s.get(server.url + "/console/queue").text
    return re.findall(r'<tr data-run="([^"]+)">\s*<td><span class="badge (\w+)"[^>]*>([^<]*)</span>', html)


def test_the_queue_and_the_run_page_follow_sla_clocks(server, browser):
    # A complaint started ten days ago: both its SLA targets have breached (the server's tick
    # takes the breaches), and its current state has no timer.
    late = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)).strftime("%Y-%m-%dT10:00:00Z")
    (server.dir / "late.json").write_text(json.dumps(complaint("T-late")))
    sop("start", "complaint", "--ticket", "late.json", "--id", "c-late", "--now", late, "--actor", "ana:agent",
        "--store", server.store, cwd=server.dir)
    # A fresh complaint (SLA due within days) and a return waiting 21 days for its item (a timer).
    assert server.start(complaint("T-new"), "c-new", sop_id="complaint").status_code == 201
    server.start({"id": "T-w", "category": "returns", "order_id": "A-w"}, "r-wait")
    server.step("r-wait", inputs={"order_found": True, "purchased_on": today(-2), "amount": 20}, checks="all")
    server.step("r-wait", event="label_sent", checks="all")
    wait_for_status(server, "c-late", lambda r: any(t["status"] == "breached" for t in r.get("sla", [])))
    s, _ = signed_in(server)
    rows = queue_rows(s, server)
    order = [run for run, _, _ in rows]
    assert order.index("c-late") < order.index("c-new") < order.index("r-wait"), rows
    badges = {run: (badge, text) for run, badge, text in rows}
    assert badges["c-late"] == ("overdue", "SLA breached"), badges
    assert badges["r-wait"] == ("ok", "ok")
    # The run page lists each target: status, due time in the calendar's zone, business time left.
    page = s.get(server.url + "/console/runs/c-new").text
    slas = dict(re.findall(r'<tr data-target="(\w+)">(.*?)</tr>', page))
    assert set(slas) == {"first_response", "resolution"}, page
    assert "running" in slas["resolution"] and "Europe/Berlin" in slas["resolution"] and "business time left" in slas["resolution"]
    breached = dict(re.findall(r'<tr data-target="(\w+)">(.*?)</tr>', s.get(server.url + "/console/runs/c-late").text))
    assert "breached" in breached["resolution"] and "business time over" in breached["resolution"]
    # The same in the browser, for the screenshots in docs/console.md.
    sign_in(browser, server, "ana")
    browser.save_screenshot(str(SHOTS / "console-queue.png"))
    browser.get(server.url + "/console/runs/c-late")
    heading(browser, "Listen and apologise")
    assert "breached" in browser.find_element(By.CSS_SELECTOR, "table.sla").text
    # The journal says what an SLA clock did in words (a new user read "stayed in … (sla)").
    journal = browser.find_element(By.CSS_SELECTOR, "section.journal").text
    assert "SLA first response started, in" in journal and "(sla)" not in journal, journal
    browser.save_screenshot(str(SHOTS / "console-run.png"))


def wait_for_status(server, run, condition, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = server.get(f"/v1/runs/{run}").json()
        if condition(r):
            return r
        time.sleep(0.2)
    raise AssertionError(f"run {run} never got there: {r}")


def test_a_called_run_and_its_caller_link_each_other_and_the_caller_is_no_work(server, browser):
    # A repeat complaint goes straight to escalation, which calls the escalation SOP.
    server.start(complaint("T-rep", complaint_count=2), "c-rep", sop_id="complaint")
    server.step("c-rep", event="acknowledged", checks="all")
    r = server.step("c-rep", inputs={"summary": "Third time the parcel was lost"}, checks="all").json()
    assert r["state"] == "escalate" and r["child"], r
    child = r["child"]
    s, _ = signed_in(server)
    queued = [run for run, _, _ in queue_rows(s, server)]
    assert "c-rep" not in queued and child in queued
    d = browser
    sign_in(d, server, "ana")
    d.get(server.url + "/console/runs/c-rep")
    heading(d, "Escalate the complaint")
    waiting = d.find_element(By.CSS_SELECTOR, ".waiting")
    assert "Escalate a ticket" in waiting.text and "Assess the ticket" in waiting.text, waiting.text
    assert not d.find_elements(By.CSS_SELECTOR, "form#step")
    waiting.find_element(By.LINK_TEXT, child).click()
    heading(d, "Assess the ticket")
    back = d.find_element(By.CSS_SELECTOR, ".called-by")
    assert "Resolve a service complaint" in back.text
    back.find_element(By.LINK_TEXT, "c-rep").click()
    heading(d, "Escalate the complaint")
    # Once the called run has ended, its page says the caller went on (a new user found it still
    # saying "it goes on when this run ends").
    d.get(server.url + f"/console/runs/{child}")
    assert "it goes on when this run ends" in d.find_element(By.CSS_SELECTOR, ".called-by").text
    for body in ({"inputs": {"complexity": "routine", "frustration": "angry", "impact": "one_user"}, "checks": "all"},
                 {"inputs": {"timeline_hours": 4}, "checks": "all"}):
        assert server.step(child, **body).status_code == 200
    ended = server.step(child, actor="sam", event="cannot_resolve")
    assert ended.status_code == 200 and ended.json()["status"] == "ended", ended.text
    d.get(server.url + f"/console/runs/{child}")
    called_by = d.find_element(By.CSS_SELECTOR, ".called-by").text
    assert "it went on when this run ended" in called_by and "it goes on" not in called_by, called_by


CHARGEBACK = """sop: chargeback
version: 1
title: Chargeback dispute for ${{ ticket.id }}
category: billing
applies_when: ticket.category == 'billing'
roles: [agent]
start: gather
states:
  gather:
    title: Gather the evidence for ${{ ticket.id }}
    inputs:
      reason: {type: enum, values: [fraud, not_received], prompt: Why does the customer dispute it?}
    transitions:
      - to: done
        on: sent
        label: The evidence is sent
  done:
    title: Evidence sent
    end: sent
"""


def test_titles_are_rendered_where_the_ticket_is_known_and_shown_without_templates_elsewhere(tmp_path):
    from conftest import Server
    w = workspace(tmp_path)
    (w / "sops" / "chargeback.sop.yaml").write_text(CHARGEBACK)
    server = Server(w)
    try:
        sops = {s["id"]: s["title"] for s in server.get("/v1/sops").json()["sops"]}
        assert sops["chargeback"] == "Chargeback dispute for …"
        assert server.get("/v1/sops/chargeback").json()["title"] == "Chargeback dispute for …"
        s, _ = signed_in(server)
        csrf = csrf_of(s.get(server.url + "/console/start").text)
        routed = s.post(server.url + "/console/start", data={"csrf": csrf, "action": "route", "ticket": json.dumps({"id": "T-55", "category": "billing"})})
        assert "Start Chargeback dispute for T-55" in routed.text and "${{" not in routed.text
        assert server.start({"id": "T-55", "category": "billing"}, "cb1", sop_id="chargeback").status_code == 201
        queue = s.get(server.url + "/console/queue").text
        assert "Chargeback dispute for T-55" in queue and "Gather the evidence for T-55" in queue and "${{" not in queue
        run = s.get(server.url + "/console/runs/cb1").text
        assert "Chargeback dispute for T-55" in run and "${{" not in run
        # The diagram's own labels are the SVG export's (sop graph), not the page's.
        sop_page = re.sub(r'<figure class="diagram">.*?</figure>', "", s.get(server.url + "/console/sops/chargeback").text, flags=re.S)
        catalogue = s.get(server.url + "/console/sops").text + sop_page
        assert "Chargeback dispute for …" in catalogue and "${{" not in catalogue
    finally:
        server.stop()


def test_the_sop_page_marks_only_end_states_and_lists_enum_values(server, browser):
    sign_in(browser, server, "ana")
    browser.get(server.url + "/console/sops/complaint")
    heading(browser, "Resolve a service complaint")
    ends = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".states .end")]
    assert ends == ["end: resolved", "end: unresolved", "end: no_reply"], ends
    inputs = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".states ul.inputs li")]
    assert "root_cause enum (agent_error, process_gap, product_defect, misunderstanding) — Root cause" in inputs, inputs
    assert not [i for i in inputs if i.endswith("—")], inputs
    assert "calls escalation" in browser.find_element(By.CSS_SELECTOR, "body").text
    # The states, below the diagram: what this test is about.
    browser.execute_script("document.querySelector('section.states').scrollIntoView()")
    browser.save_screenshot(str(SHOTS / "console-sop.png"))


def test_starting_a_run_redirects_so_a_reload_starts_nothing(server, browser):
    s, _ = signed_in(server)
    csrf = csrf_of(s.get(server.url + "/console/start").text)
    started = s.post(server.url + "/console/start", data={"csrf": csrf, "sop": "returns", "ticket": json.dumps({"id": "T-61", "category": "returns"})},
                     allow_redirects=False)
    assert started.status_code == 303 and started.headers["Location"].startswith("/console/runs/")
    d = browser
    sign_in(d, server, "ana")
    d.find_element(By.LINK_TEXT, "Start a run").click()
    d.find_element(By.ID, "ticket").send_keys(json.dumps({"id": "T-62", "category": "returns", "order_id": "A-62"}))
    d.find_element(By.XPATH, "//button[@value='route']").click()
    d.find_element(By.XPATH, "//button[@value='returns']").click()
    heading(d, "Verify the purchase")
    assert "/console/runs/" in d.current_url
    d.refresh()
    heading(d, "Verify the purchase")
    runs = server.get("/v1/runs?sop=returns").json()["runs"]
    assert len([r for r in runs if r["run"] != started.headers["Location"].rsplit("/", 1)[-1]]) == 1, runs


def test_every_bad_input_is_shown_beside_its_field_and_in_the_api(server, browser):
    server.start({"id": "T-70", "category": "returns", "order_id": "A-70"}, "b1")
    both = server.step("b1", inputs={"amount": -5, "purchased_on": "soon"})
    assert both.status_code == 422
    body = both.json()
    assert [f["input"] for f in body["fields"]] == ["amount", "purchased_on"], body
    assert body["reason"] == "2 inputs are not valid: 'amount', 'purchased_on'"
    one = server.step("b1", inputs={"amount": -5}).json()
    assert one["reason"] == "input 'amount' must be at least 0, found -5" and [f["input"] for f in one["fields"]] == ["amount"]
    d = browser
    sign_in(d, server, "ana")
    d.get(server.url + "/console/runs/b1")
    heading(d, "Verify the purchase")
    Select(d.find_element(By.ID, "input-order_found")).select_by_visible_text("yes")
    amount = d.find_element(By.ID, "input-amount")
    d.execute_script("arguments[0].removeAttribute('min')", amount)
    amount.send_keys("-5")
    purchased = d.find_element(By.ID, "input-purchased_on")
    d.execute_script("arguments[0].type = 'text'", purchased)  # the browser would stop it; the server must too
    purchased.send_keys("soon")
    button(d, "Save answers").click()
    wait_for(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".field-error"))
    assert d.find_element(By.ID, "error-amount").text == "input 'amount' must be at least 0, found -5"
    assert d.find_element(By.ID, "error-purchased_on").text == "input 'purchased_on' expects a date as YYYY-MM-DD, found 'soon'"
    assert d.find_element(By.ID, "input-amount").get_attribute("aria-invalid") == "true"
    assert not d.find_elements(By.ID, "error-order_found")


def test_timers_and_nested_ticket_fields_read_as_people_read_them(server):
    server.start({"id": "T-80", "category": "returns", "order_id": "A-80", "customer": {"name": "Ann Lee", "email": "ann@example.org"}}, "n1")
    server.step("n1", inputs={"order_found": True, "purchased_on": today(-2), "amount": 20}, checks="all")
    server.step("n1", event="label_sent", checks="all")
    s, _ = signed_in(server)
    page = s.get(server.url + "/console/runs/n1").text
    timers = re.search(r'<section class="timers">(.*?)</section>', page, re.S).group(1)
    shown = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', timers)
    assert shown and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", t) for t in shown), timers
    assert "in 20d" in timers or "in 21d" in timers or "in 3w" in timers, timers
    fields = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))
    assert fields["customer.name"] == "Ann Lee" and fields["customer.email"] == "ann@example.org", fields
    assert "customer" not in fields


def test_a_paused_and_a_met_sla_target_are_shown_as_such(server):
    # In `offer` the resolution clock pauses; the first response was met on reaching `listen`.
    server.start(complaint("T-pause"), "c-pause", sop_id="complaint")
    server.step("c-pause", event="acknowledged", checks="all")
    server.step("c-pause", inputs={"summary": "Late delivery"}, checks="all")
    r = server.step("c-pause", inputs={"root_cause": "process_gap"}).json()
    assert r["state"] == "offer", r
    s, _ = signed_in(server)
    slas = dict(re.findall(r'<tr data-target="(\w+)">(.*?)</tr>', s.get(server.url + "/console/runs/c-pause").text))
    assert ">paused<" in slas["resolution"] and "business time left" in slas["resolution"], slas
    assert ">met<" in slas["first_response"] and "business time" not in slas["first_response"], slas


def test_start_offers_every_sop_the_caller_runs_not_only_those_that_apply(server):
    # A new user's console could start only SOPs with `applies_when`: an SOP without it, or one
    # whose condition does not hold, could be started from the CLI, HTTP and MCP but not here.
    s, _ = signed_in(server)
    csrf = csrf_of(s.get(server.url + "/console/start").text)
    ticket = json.dumps({"id": "T-77", "category": "billing"})
    routed = s.post(server.url + "/console/start", data={"csrf": csrf, "action": "route", "ticket": ticket})
    assert routed.status_code == 200
    applying = re.findall(r'<p>These SOPs apply to the ticket:</p>\s*<div class="actions">(.*?)</div>', routed.text, re.S)
    assert applying and 'value="intake"' in applying[0] and 'value="returns"' not in applying[0]
    others = re.findall(r'Or start another SOP you may run:</p>\s*<div class="actions">(.*?)</div>', routed.text, re.S)
    assert others and 'value="returns"' in others[0] and 'value="intake"' not in others[0]
    started = s.post(server.url + "/console/start", data={"csrf": csrf, "sop": "returns", "ticket": ticket}, allow_redirects=False)
    assert started.status_code == 303 and started.headers["Location"].startswith("/console/runs/")
    run = started.headers["Location"].rsplit("/", 1)[1]
    assert server.get(f"/v1/runs/{run}").json()["sop"] == "returns"
    # A caller sees only the SOPs they run: olga (billing) is offered none of these.
    s2, _ = signed_in(server, actor="olga")
    csrf2 = csrf_of(s2.get(server.url + "/console/start").text)
    routed2 = s2.post(server.url + "/console/start", data={"csrf": csrf2, "action": "route", "ticket": ticket})
    assert 'name="sop"' not in routed2.text and "No SOP applies to this ticket." in routed2.text


def test_a_queue_longer_than_it_orders_says_so(tmp_path):
    """The queue orders the 500 longest-waiting runs of each role; with more waiting, the page
    says so instead of looking complete (a new user's 20,000 runs showed as 500, silently)."""
    w = workspace(tmp_path)
    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text("".join(json.dumps({**RETURN_TICKET, "id": f"T-{i}"}) + "\n" for i in range(501)))
    sop("start", "returns", "--tickets", str(tickets), "--store", store_of(w), cwd=w)
    s = Server(w)
    try:
        session, _ = signed_in(s)
        page = session.get(s.url + "/console/queue").text
        assert "More runs wait on your roles than the queue orders" in page
        assert page.count("<tr data-run=") == 500
        # Narrowed to fewer than the limit, the note goes.
        assert "More runs wait" not in session.get(s.url + "/console/queue?state=nowhere").text
    finally:
        s.stop()


RETAIL = """\
sop: retail
version: 1
title: Retail service
start: serving
states:
  serving:
    title: Serving the customer
    inputs:
      confirmed: {type: boolean, prompt: "Did the customer confirm this change?", required: false, scope: visit}
    transitions:
      - to: serving
        on: modify_pending_order
        when: input.confirmed == true and ticket.priority != 'urgent'
        do:
          - set: {ticket.priority: high}
      - to: serving
        on: cancel_pending_order
        when: input.confirmed == true and ticket.status == 'pending'
        do:
          - set: {ticket.status: closed}
      - to: done
        on: finish
  done: {title: Done, end: done}
"""


def test_a_confirmation_is_asked_afresh_after_each_write_and_a_refusal_names_the_rule(tmp_path, browser):
    """Issue 36: the run page does not offer the last write's "yes" for the next one (a visit
    input is forgotten when the hub state is entered again), and refuses the write without it,
    naming the condition of the guard that failed."""
    work = workspace(tmp_path)
    (work / "sops" / "retail.sop.yaml").write_text(RETAIL)
    server = Server(work)
    try:
        assert server.start({"id": "T-36", "status": "pending"}, "v1", sop_id="retail").status_code == 201
        wrote = server.step("v1", event="modify_pending_order", inputs={"confirmed": True})
        assert wrote.status_code == 200, wrote.text
        d = browser
        sign_in(d, server, "ana")
        d.get(server.url + "/console/runs/v1")
        heading(d, "Serving the customer")
        assert Select(d.find_element(By.ID, "input-confirmed")).first_selected_option.text != "yes"
        # The field says its answer counts for this visit only, as `sop status` does.
        label = d.find_element(By.CSS_SELECTOR, "label[for=input-confirmed]").text
        assert "(this visit only)" in label, label
        button(d, "cancel_pending_order").click()
        wait_for(d, lambda d: d.find_elements(By.CSS_SELECTOR, ".refusal"))
        refusal = d.find_element(By.CSS_SELECTOR, ".refusal").text
        assert "`input.confirmed == true` does not hold" in refusal, refusal
        Select(d.find_element(By.ID, "input-confirmed")).select_by_visible_text("yes")
        button(d, "cancel_pending_order").click()
        wait_for(d, lambda d: json.loads(server.get("/v1/runs/v1").text)["ticket"].get("status") == "closed")
        heading(d, "Serving the customer")
        assert Select(d.find_element(By.ID, "input-confirmed")).first_selected_option.text != "yes"
        refused = server.step("v1", event="cancel_pending_order")
        assert refused.status_code == 422, refused.text
        assert refused.json()["reason"] == ("event 'cancel_pending_order' is not enabled in state 'serving': "
                                            "`input.confirmed == true` does not hold")
        assert "v1: ok (3 records)" in sop("verify", "v1", "--store", server.store, cwd=server.dir).stdout
    finally:
        server.stop()
