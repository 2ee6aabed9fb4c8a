"""A report has a time limit (`sop serve --report-time-limit`, docs/server.md): past it the
server stops reading and answers 503 `time_limit` with the error object, and goes on serving."""

import json

from conftest import RETURN_TICKET, Server, sop, workspace


def test_a_report_past_its_time_limit_is_503_time_limit(tmp_path):
    d = workspace(tmp_path)
    # 10,000 runs: the clock is looked at every 4,096 rows, and 4,096 rows take longer than 1 ms.
    tickets = d / "tickets.jsonl"
    tickets.write_text("".join(json.dumps({**RETURN_TICKET, "id": f"T-{i}"}) + "\n" for i in range(10_000)))
    limited = Server(d, extra=("--report-time-limit", "0.001"))
    try:
        sop("start", "returns", "--tickets", str(tickets), "--store", limited.store, cwd=d)
        r = limited.get("/v1/report", actor="sam")
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == {
            "error": "time_limit",
            "reason": "the report took longer than its limit of 0.001 s (it reads the whole journal, whatever the period or SOPs); "
                      "raise the server's --report-time-limit, or run `sop report`, which has no limit",
            "instead": [],
            "status": 503,
        }
        # The HTML page is stopped the same way; the server goes on answering.
        assert limited.get("/v1/report", actor="sam", params={"format": "html"}).status_code == 503
        assert limited.start({**RETURN_TICKET, "id": "T-after"}).status_code == 201
    finally:
        limited.stop()
    # The operator sees it in the log.
    assert "report stopped at its time limit" in (d / "server.log").read_text()
    # The default limit (60 s) lets the same report through.
    s = Server(d)
    try:
        r = s.get("/v1/report", actor="sam", timeout=60)
        assert r.status_code == 200, r.text
    finally:
        s.stop()


def test_the_limit_must_be_a_positive_number_of_seconds(tmp_path):
    d = workspace(tmp_path)
    for bad in ("0", "-1", "86401", "soon"):
        r = sop("serve", "--sops", "sops", "--store", str(d / "runs.sqlite"), "--report-time-limit", bad, cwd=d, check=False)
        assert r.returncode == 2, (bad, r.returncode, r.stderr)
        assert "--report-time-limit" in r.stderr, r.stderr
