"""POST /v1/migrations through a real HTTP client (docs/server.md, "Migrating runs"): runs
started on version 1 of an SOP are moved to version 2 once the server reloads its folder; the
plan (dry run, the default) writes nothing; an apply moves what the map allows and refuses the
rest with rule ids; the runs verify after, through the API and with `sop verify` on the store."""

import json
import re
import signal
import threading
import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import RETURN_TICKET, sop, today
from test_console import SHOTS, browser, csrf_of, heading, sign_in, signed_in  # noqa: F401 (browser is a fixture)


def ticket(n):
    return {**RETURN_TICKET, "id": f"T-{n}", "order_id": f"A-{n}"}


def two_versions(server, title=None):
    """Starts r1 and r2 (waiting in verify_purchase) and r3 (in send_label) on version 1 of
    `returns`, then serves version 2, where verify_purchase is verify_order and send_label is
    ship_label (and the first state's title says "order"), and waits until the server has reloaded it."""
    for n in (1, 2, 3):
        assert server.start(ticket(n), f"r{n}").status_code == 201
    moved = server.step("r3", inputs={"order_found": True, "purchased_on": today(-2), "amount": 20}, checks="all")
    assert moved.json()["state"] == "send_label", moved.text
    path = server.dir / "sops" / "returns.sop.yaml"
    v2 = path.read_text().replace("version: 1", "version: 2", 1).replace("verify_purchase", "verify_order").replace("send_label", "ship_label")
    v2 = v2.replace("title: Verify the purchase", "title: Verify the order", 1)
    if title:
        v2 = v2.replace("title: Product return and refund", f"title: {json.dumps(title)}", 1)
    path.write_text(v2)
    server.process.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        returns = next(s for s in server.get("/v1/sops").json()["sops"] if s["id"] == "returns")
        if returns["version"] == 2:
            return
        time.sleep(0.2)
    raise AssertionError("the server did not reload version 2")


PLAN = {"sop": "returns", "map": {"verify_purchase": "verify_order"}}


def test_a_dry_run_plans_and_an_apply_moves_the_runs_in_flight(server):
    two_versions(server)
    before = {r: server.get(f"/v1/runs/{r}").headers["ETag"] for r in ("r1", "r2", "r3")}
    # The plan: dry_run left out is a dry run.
    plan = server.post("/v1/migrations", PLAN, actor="sam")
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["dry_run"] is True and body["version"] == 2 and body["migrated"] == 2 and body["refused"] == 1
    assert body["moves"] == [{"from": "verify_purchase", "to": "verify_order", "runs": ["r1", "r2"]}]
    assert [(r["run"], r["state"], r["rule"]) for r in body["refusals"]] == [("r3", "send_label", "migrate/state-removed")]
    assert body["problems"] == []
    # Nothing was written.
    assert {r: server.get(f"/v1/runs/{r}").headers["ETag"] for r in before} == before
    assert server.get("/v1/runs/r1").json()["sop_version"] == 1

    # Apply, with the events stream open from before.
    stream = requests.get(server.url + "/v1/events", headers=server.headers("sam"), stream=True, timeout=10)
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines).startswith(": sopkit journal from")
    applied = server.post("/v1/migrations", {**PLAN, "dry_run": False}, actor="sam")
    assert applied.status_code == 200, applied.text
    done = applied.json()
    assert done["dry_run"] is False and done["migrated"] == 2 and done["refused"] == 1
    assert done["moves"] == body["moves"] and done["refusals"] == body["refusals"]
    for r in ("r1", "r2"):
        run = server.get(f"/v1/runs/{r}").json()
        assert (run["state"], run["sop_version"]) == ("verify_order", 2)
        assert server.get(f"/v1/runs/{r}/verify").json()["ok"]
        records = server.get(f"/v1/runs/{r}/journal").json()["records"]
        assert records[-1]["trigger"]["kind"] == "migrate", records[-1]
    # The refused run is left as it was, on version 1.
    r3 = server.get("/v1/runs/r3")
    assert r3.headers["ETag"] == before["r3"] and r3.json()["sop_version"] == 1
    # The events stream carries the two migrate records.
    migrated = set()
    deadline = time.time() + 10
    while time.time() < deadline and len(migrated) < 2:
        line = next(lines)
        if line.startswith("data: "):
            record = json.loads(line[6:])
            if record["trigger"]["kind"] == "migrate":
                migrated.add(record["run"])
    stream.close()
    assert migrated == {"r1", "r2"}
    # The apply is logged, with who did it; the dry run is not.
    log = (server.dir / "server.log").read_text()
    assert len(re.findall(r"notice .*actor=sam migrated=2 refused=1 sop=returns version=2.* migration$", log, re.M)) == 1, log[-3000:]
    # Applying again moves nothing: the runs are on version 2 already.
    again = server.post("/v1/migrations", {**PLAN, "dry_run": False}, actor="sam").json()
    assert (again["migrated"], again["already"], again["refused"]) == (0, 2, 1)
    # The refused run moves once it is mapped; then the whole store verifies.
    mapped = server.post("/v1/migrations", {"sop": "returns", "map": {"send_label": "ship_label"}, "runs": ["r3"], "dry_run": False}, actor="sam").json()
    assert mapped["moves"] == [{"from": "send_label", "to": "ship_label", "runs": ["r3"]}]
    assert server.step("r3", event="label_sent", checks="all").json()["state"] == "awaiting_item"
    verified = sop("verify", "--store", server.store, cwd=server.dir)
    assert verified.returncode == 0


def test_a_plan_with_problems_and_bad_bodies(server):
    two_versions(server)
    # A map to a state version 2 lacks: a problem of the plan, answered 200, no run looked at.
    bad_map = server.post("/v1/migrations", {"sop": "returns", "map": {"verify_purchase": "nowhere"}, "dry_run": False}, actor="sam")
    assert bad_map.status_code == 200
    assert [p["rule"] for p in bad_map.json()["problems"]] == ["migrate/invalid-map"]
    assert bad_map.json()["migrated"] == 0 and server.get("/v1/runs/r1").json()["sop_version"] == 1
    # An agent may not migrate.
    forbidden = server.post("/v1/migrations", PLAN, actor="ana")
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "forbidden"
    assert server.post("/v1/migrations", {"sop": "no-such-sop"}, actor="sam").status_code == 404
    assert requests.post(server.url + "/v1/migrations", json=PLAN, timeout=10).status_code == 401
    for body, words in [
        ({"sop": "returns", "dry_run": "no"}, "'dry_run' must be true or false"),
        ({"sop": "returns", "mapping": {}}, "unknown field 'mapping'"),
        ({"sop": "returns", "map": {"verify_purchase": 3}}, "'map' must be an object"),
        ({"sop": "returns", "map": ["verify_purchase=verify_order"]}, "'map' must be an object"),
        ({"sop": "returns", "set": {"amount": 3}}, "'set' must be an object"),
        ({"sop": "returns", "runs": []}, "at least one run id"),
        ({"sop": "returns", "runs": [1]}, "'runs' must be an array of run ids"),
        ({"sop": "returns", "state": 1}, "'state' must be a string"),
        ({"map": {}}, "'sop' must be the id of an SOP"),
    ]:
        answer = server.post("/v1/migrations", body, actor="sam")
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"] == "bad_request" and words in answer.json()["reason"], answer.text
    not_json = requests.post(server.url + "/v1/migrations", data="sop=returns", timeout=10,
                             headers=server.headers("sam", **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert not_json.status_code == 415
    # None of it wrote anything.
    assert all(server.get(f"/v1/runs/{r}").json()["sop_version"] == 1 for r in ("r1", "r2", "r3"))


def test_a_step_that_races_a_migration_is_taken_or_refused_never_lost(server):
    two_versions(server)
    etag = server.get("/v1/runs/r2").headers["ETag"]
    answers = {}

    def step():
        answers["step"] = server.step("r1", inputs={"order_found": True, "purchased_on": today(-1), "amount": 10}, checks="all")

    def migrate():
        answers["migration"] = server.post("/v1/migrations", {**PLAN, "dry_run": False}, actor="sam")

    threads = [threading.Thread(target=step), threading.Thread(target=migrate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    migration = answers["migration"].json()
    assert answers["step"].status_code == 200, answers["step"].text
    kinds = [r["trigger"]["kind"] for r in server.get("/v1/runs/r1/journal").json()["records"]]
    r1 = server.get("/v1/runs/r1").json()
    if "r1" in [r for m in migration["moves"] for r in m["runs"]]:
        # Migrated first: the step was taken by version 2 (verify_order → ship_label).
        assert kinds.index("migrate") < len(kinds) - 1 and (r1["state"], r1["sop_version"]) == ("ship_label", 2)
    else:
        # Stepped first: r1 left verify_purchase for send_label, which version 2 lacks: refused.
        assert "migrate" not in kinds and (r1["state"], r1["sop_version"]) == ("send_label", 1)
        assert any(r["run"] == "r1" and r["rule"] == "migrate/state-removed" for r in migration["refusals"])
    # A step that names the version from before the migration is 412, and changes nothing.
    stale = server.step("r2", headers={"If-Match": etag}, inputs={"order_found": False})
    assert stale.status_code == 412, stale.text
    assert server.get("/v1/runs/r2").json()["state"] == "verify_order"
    for r in ("r1", "r2", "r3"):
        assert server.get(f"/v1/runs/{r}/verify").json()["ok"]
    assert sop("verify", "--store", server.store, cwd=server.dir).returncode == 0


def test_the_console_shows_the_plan_and_applies_it(server, browser):
    # SOP text is untrusted: the new version's title is shown as text.
    two_versions(server, title="Returns <b>revised</b>")
    d = browser
    sign_in(d, server, "sam")
    d.get(server.url + "/console/sops/returns")
    d.find_element(By.LINK_TEXT, "Migrate runs in flight to this version").click()
    heading(d, "Migrate Returns <b>revised</b>")
    # Both diagrams: version 1, to which the three runs are pinned, and version 2.
    pinned = d.find_element(By.CSS_SELECTOR, "figure.pinned")
    assert pinned.get_attribute("data-version") == "1" and "3 run(s) in flight" in pinned.text
    assert pinned.find_element(By.TAG_NAME, "svg") and "verify_purchase" in pinned.get_attribute("innerHTML")
    current = d.find_element(By.CSS_SELECTOR, "figure.current")
    assert current.get_attribute("data-version") == "2" and "verify_order" in current.get_attribute("innerHTML")
    # Without a mapping every run waits in a state version 2 lacks: all refused, with their rule.
    rows = d.find_elements(By.CSS_SELECTOR, "table.refused tbody tr")
    assert sorted(r.find_element(By.TAG_NAME, "td").text for r in rows) == ["r1", "r2", "r3"]
    assert all("migrate/state-removed" in r.text for r in rows)
    # A select per state version 2 lacks, listing version 2's states; map one, see the plan.
    mapping = Select(d.find_element(By.ID, "map-verify_purchase"))
    assert "verify_order" in [o.get_attribute("value") for o in mapping.options]
    # End states are not offered: a migration never ends a run.
    assert not {"denied", "refunded", "replaced"} & {o.get_attribute("value") for o in mapping.options}
    assert d.find_element(By.ID, "map-send_label")
    mapping.select_by_value("verify_order")
    d.find_element(By.XPATH, "//button[@value='plan']").click()
    heading(d, "Migrate Returns <b>revised</b>")
    move = d.find_element(By.CSS_SELECTOR, "article.move")
    assert "verify_purchase → verify_order: 2 run(s)" in move.text
    assert [a.get_attribute("href").rsplit("/", 1)[-1] for a in move.find_elements(By.TAG_NAME, "a")] == ["r1", "r2"]
    rows = d.find_elements(By.CSS_SELECTOR, "table.refused tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == ["r3"]
    d.save_screenshot(str(SHOTS / "console-migrate.png"))
    # The plan wrote nothing.
    assert server.get("/v1/runs/r1").json()["sop_version"] == 1
    # Apply: the mapping chosen is kept in the form.
    assert Select(d.find_element(By.ID, "map-verify_purchase")).first_selected_option.get_attribute("value") == "verify_order"
    d.find_element(By.XPATH, "//button[@value='apply']").click()
    wait = d.find_element(By.CSS_SELECTOR, "p.applied")
    assert "Migrated 2 run(s) to version 2; 1 refused" in wait.text
    for r in ("r1", "r2"):
        run = server.get(f"/v1/runs/{r}").json()
        assert (run["state"], run["sop_version"]) == ("verify_order", 2)
    assert server.get("/v1/runs/r3").json()["sop_version"] == 1
    # The moved run's page shows the migration in its journal.
    d.find_element(By.LINK_TEXT, "r1").click()
    heading(d, "Verify the order")
    assert "migrated from version 1 to 2" in d.find_element(By.TAG_NAME, "main").text
    assert sop("verify", "--store", server.store, cwd=server.dir).returncode == 0


def test_the_migration_page_is_for_supervisors_and_needs_its_csrf_token(server):
    two_versions(server)
    agent, _ = signed_in(server, "ana")
    assert "/migrate" not in agent.get(server.url + "/console/sops/returns").text
    refused = agent.get(server.url + "/console/sops/returns/migrate")
    assert refused.status_code == 403 and "supervisor" in refused.text
    # A run started after the reload is on version 2: no diagram of its own, counted as already there.
    assert server.start(ticket(4), "r4").json()["sop_version"] == 2
    supervisor, _ = signed_in(server, "sam")
    page = supervisor.get(server.url + "/console/sops/returns/migrate")
    assert page.status_code == 200
    assert page.text.count('class="diagram pinned"') == 1 and "3 run(s) in flight pinned to it" in page.text
    assert server.post("/v1/migrations", PLAN, actor="sam").json()["already"] == 1
    forged = supervisor.post(server.url + "/console/sops/returns/migrate", data={"action": "apply", "map.verify_purchase": "verify_order"},
                             allow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert server.get("/v1/runs/r1").json()["sop_version"] == 1
    applied = supervisor.post(server.url + "/console/sops/returns/migrate",
                              data={"csrf": csrf_of(page.text), "action": "apply", "map.verify_purchase": "verify_order"}, allow_redirects=False)
    assert applied.status_code == 200 and server.get("/v1/runs/r1").json()["sop_version"] == 2
    # Logged as an apply through the API is.
    assert re.search(r"notice .*actor=sam migrated=2 refused=1 sop=returns version=2.* migration$", (server.dir / "server.log").read_text(), re.M)
    assert supervisor.get(server.url + "/console/sops/no-such-sop/migrate").status_code == 404
