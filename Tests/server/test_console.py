"""The agent console in a real headless browser (Chromium through Selenium), and its security
through plain HTTP: an agent completes a return through the forms, a supervisor approves it
from their own queue, `sop verify` passes; refusals, roles, escaping, CSRF and the cookie."""

import json
import os
import pathlib
import re

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ROOT, sop, today

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
    d.save_screenshot(str(SHOTS / "console-run.png"))

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
    d.save_screenshot(str(SHOTS / "console-queue.png"))
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
