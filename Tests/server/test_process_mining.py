"""`sop report` and `sop export` read by the tools process miners use: the XES and OCEL 2.0
files load in PM4Py, and the directly-follows graph PM4Py discovers from the XES has exactly
the edges, with the same counts, that sopkit's own report shows. The HTML report renders every
chart in headless Chromium."""
import json
import shutil

import pytest

from conftest import ROOT, sop, store_of

pm4py = pytest.importorskip("pm4py")


def workspace(tmp_path):
    shutil.copytree(ROOT / "sops", tmp_path / "sops")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path


def at(day, hm):
    return f"2026-11-{day:02d}T{hm}:00Z"


def run_history(d, store):
    """Complaints, escalations and returns with known times: some resolved at first contact,
    some escalated, one breaching its first-response SLA, one left open."""
    s = lambda *a: sop(*a, "--store", store, cwd=d)
    for i in range(6):
        run, day = f"c{i}", 2 + i % 3
        s("start", "complaint", "--ticket", json.dumps({"id": f"T-{i}", "category": "complaint", "priority": ["high", "normal"][i % 2]}),
          "--id", run, "--now", at(day, "09:00"), "--actor", "ana:agent")
        if i == 5:
            continue  # never acknowledged: its first-response SLA breaches
        s("step", run, "--event", "acknowledged", "--check", "all", "--now", at(day, "09:10"), "--actor", "ana:agent")
        s("step", run, "--input", "summary=late parcel", "--check", "all", "--now", at(day, "09:30"), "--actor", "ana:agent")
        s("step", run, "--input", "root_cause=process_gap", "--now", at(day, "10:00"), "--actor", "ana:agent")
        s("step", run, "--input", "remedy=credit", "--now", at(day, "10:30"), "--actor", "ana:agent")
        s("step", run, "--event", "accepted" if i % 3 else "declined", "--now", at(day, "12:00"), "--actor", "ana:agent")
    s("tick", "--now", at(20, "12:00"))


@pytest.fixture
def mined(tmp_path):
    d = workspace(tmp_path)
    store = store_of(d)
    run_history(d, store)
    period = ["--from", "2026-11-01", "--to", "2026-12-01", "--store", store]
    report = json.loads(sop("report", *period, "--format", "json", "--html", str(d / "report.html"), cwd=d).stdout)
    sop("export", "--format", "xes", str(d / "log.xes"), "--store", store, cwd=d)
    sop("export", "--format", "ocel", str(d / "log.jsonocel"), "--store", store, cwd=d)
    return d, report


def test_pm4py_finds_the_directly_follows_graph_of_the_report(mined):
    d, report = mined
    log = pm4py.read_xes(str(d / "log.xes"))
    dfg, starts, ends = pm4py.discover_dfg(log)
    # XES names an activity by its state alone: the report's moves (per SOP) summed by state.
    ours = {}
    for e in report["directly_follows"]:
        ours[(e["from"], e["to"])] = ours.get((e["from"], e["to"]), 0) + e["count"]
    assert ours, "the report shows no edges"
    assert dict(dfg) == ours
    # Every run is a trace; the traces start in their SOP's start state.
    assert log["case:concept:name"].nunique() == report["overall"]["started"]
    assert set(starts) <= {"acknowledge", "assess", "scheduled", "confirm_customer", "check_eligibility", "warn"}


def test_the_logs_carry_resources_roles_and_objects(mined):
    d, report = mined
    log = pm4py.read_xes(str(d / "log.xes"))
    assert {"org:resource", "org:role", "lifecycle:transition", "time:timestamp"} <= set(log.columns)
    assert "ana" in set(log["org:resource"])
    ocel = pm4py.read_ocel2_json(str(d / "log.jsonocel"))
    assert len(ocel.events) == len(log)
    assert {"run", "ticket", "actor", "sop_version"} <= set(ocel.objects["ocel:type"])


def test_the_report_counts_what_happened(mined):
    _, report = mined
    overall = report["overall"]
    # Six complaints; the two declined went to escalation (a child run each); resolved ones
    # start a follow-up each; one complaint is still open (never acknowledged).
    assert report["by_sop"]["complaint v1"]["started"] == 6
    assert report["sla"]["complaint.first_response"]["breached"] == 1
    assert report["sla"]["complaint.first_response"]["breaches"][0]["run"] == "c5"
    assert report["by_sop"]["complaint v1"]["escalated"] == 2
    assert overall["started"] >= 6 and overall["open"] >= 1


def test_the_html_report_renders_every_chart_in_chromium(mined):
    """Opened from the file, offline: four charts drawn, with their bars, lines and edges."""
    import os
    import pathlib

    from selenium import webdriver
    from selenium.webdriver.common.by import By

    d, report = mined
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("SOP_CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,2500"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=os.environ.get("SOP_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.get((d / "report.html").as_uri())
        charts = {c.get_attribute("class").split()[-1]: c for c in driver.find_elements(By.CSS_SELECTOR, "svg.chart")}
        assert set(charts) == {"trend", "histogram", "sla", "dfg"}
        for name, chart in charts.items():
            size = chart.size
            assert size["width"] > 200 and size["height"] > 50, f"{name} is not drawn: {size}"
        assert len(charts["trend"].find_elements(By.TAG_NAME, "polyline")) == 2
        bars = [r for r in charts["histogram"].find_elements(By.TAG_NAME, "rect") if float(r.get_attribute("height")) > 0]
        assert sum(int(r.find_element(By.TAG_NAME, "title").get_attribute("textContent").split()[0]) for r in bars) \
            == report["overall"]["ended"]
        assert len(charts["sla"].find_elements(By.TAG_NAME, "rect")) == 2 * len(report["sla"])
        edges = charts["dfg"].find_elements(By.CSS_SELECTOR, ".edge")
        assert len(edges) == len(report["directly_follows"])
        # The screenshot in docs/ is this test's own: `SOP_RECORD=1 scripts/server-tests -k html` takes it again.
        shots = ROOT / "docs" if os.environ.get("SOP_RECORD") == "1" else pathlib.Path(os.environ.get("TMPDIR", "/tmp"))
        driver.save_screenshot(str(shots / "report.png"))
    finally:
        driver.quit()


def test_the_server_gives_supervisors_the_same_report(mined):
    from conftest import Server

    d, report = mined
    s = Server(d)
    try:
        period = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
        r = s.get("/v1/report", actor="sam", params=period)
        assert r.status_code == 200, r.text
        assert r.json() == report
        # Dates, as `sop report --from` takes them: midnight in tz (UTC here).
        dated = s.get("/v1/report", actor="sam", params={"from": "2026-11-01", "to": "2026-12-01"})
        assert dated.status_code == 200 and dated.json() == report, dated.text
        assert s.get("/v1/report", actor="ana", params=period).status_code == 403
        assert s.get("/v1/report", actor="sam", params={"from": "yesterday"}).status_code == 400
        assert s.get("/v1/report", actor="sam", params={**period, "tz": "Mars/Olympus"}).status_code == 400
        page = s.get("/v1/report", actor="sam", params={**period, "format": "html"})
        assert page.headers["content-type"].startswith("text/html") and page.text.count('<svg class="chart') == 4
        assert requests_without_token(s.url + "/v1/report") == 401
    finally:
        s.stop()


def requests_without_token(url):
    import requests

    return requests.get(url, timeout=10).status_code
