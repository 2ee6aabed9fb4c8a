"""`sop lsp` in a real editor: a headless Neovim with the set-up docs/lsp.md gives
(nvim/sop-lsp.lua) runs nvim/test-init.lua, which opens an SOP, types a mistake, waits for the
diagnostic, completes a ticket field and renames a state; this test reads what it saw."""

import json
import os
import pathlib
import re
import subprocess

from conftest import ROOT, SOP, TIMEOUT, lint_json

NVIM = pathlib.Path(__file__).resolve().parent / "nvim"


def test_neovim_session(workspace, tmp_path):
    sop_file = workspace / "sops" / "intake.sop.yaml"
    original_sop = sop_file.read_text()
    original_test = (workspace / "sops" / "intake.test.yaml").read_text()
    result_path = tmp_path / "nvim-result.json"
    env = dict(os.environ, SOP_NVIM_RESULT=str(result_path), SOP_NVIM_FILE=str(sop_file), SOP_NVIM_TIMEOUT=str(TIMEOUT),
               PATH=f"{pathlib.Path(SOP).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run(["nvim", "--headless", "--clean", "-u", str(NVIM / "test-init.lua")], cwd=workspace, env=env,
                         capture_output=True, text=True, timeout=6 * TIMEOUT, stdin=subprocess.DEVNULL)
    assert result_path.exists(), f"Neovim wrote no result (exit {run.returncode}): {run.stdout} {run.stderr}"
    result = json.loads(result_path.read_text())
    assert "error" not in result, result
    assert result["attached"] is True

    # The misspelt state was reported where it was typed, then cleared when fixed.
    assert result["mistake_reported"] is True, result["codes_after_mistake"]
    line = original_sop.split("\n")[result["mistake_row"]]
    assert result["mistake_at"] == {"lnum": result["mistake_row"], "col": line.index("categorise"),
                                    "end_col": line.index("categorise") + len("categorise")}
    assert result["mistake_cleared"] is True

    # Ticket fields after `ticket.`.
    assert {"priority", "customer", "status"} <= set(result["completion"]), result

    # The rename reached the SOP and its scenario tests, and nothing else changed.
    assert "rename_error" not in result, result
    expected_sop = re.sub(r"\bcategorise\b(?=:|\n)", "classify", original_sop)
    assert result["sop_text"] + "\n" == expected_sop or result["sop_text"] == expected_sop
    assert "categorise" not in re.sub(r"Categorise", "", result["sop_text"])
    assert result.get("test_text"), "the scenario tests were not edited"
    assert "categorise" in original_test and "categorise" not in result["test_text"]
    assert "classify" in result["test_text"]
    # What Neovim holds lints clean and passes its scenario tests.
    sop_file.write_text(result["sop_text"].rstrip("\n") + "\n")
    (workspace / "sops" / "intake.test.yaml").write_text(result["test_text"].rstrip("\n") + "\n")
    assert lint_json(workspace, "sops") == []
    tests = subprocess.run([SOP, "test", "sops/intake.test.yaml"], cwd=workspace, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_the_documented_set_up_is_the_tested_one():
    doc = (ROOT / "docs" / "lsp.md").read_text()
    section = doc.split("## Editor set-up", 1)[1]
    blocks = re.findall(r"```lua\n(.*?)```", section, re.S)
    assert (NVIM / "sop-lsp.lua").read_text() in blocks
