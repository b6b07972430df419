"""``optwidgets tables``: the JSON shape of one table, and mistakes refused before anything
runs (one JSON object on stdout with --json, exit code 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optwidgets", "tables", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_only_4_json_is_a_list_of_one_table_with_title_claim_and_rows(tmp_path):
    out = _cli("--only", "4", "--json", "--csv", str(tmp_path))
    assert out.returncode == 0, out.stderr
    tables = json.loads(out.stdout)
    assert isinstance(tables, list) and len(tables) == 1
    t = tables[0]
    assert t["number"] == 4 and t["title"] and t["claim"] and t["budget"] == "quick"
    assert {r["technique"] for r in t["rows"]} == {"dense", "weight", "neuron", "filter"}
    assert all("size_reduction_pct_mean" in r and "size_reduction_pct_std" in r
               for r in t["rows"])
    assert [a["technique"] for a in t["article"]] == ["weight", "neuron", "filter"]
    assert (tmp_path / "table04_pruning.csv").exists() and (tmp_path / "machine.json").exists()
    assert "tables" in out.stderr  # the progress bar, on stderr


@pytest.mark.parametrize(("args", "field"), [
    (["--only", "0"], "only"),
    (["--only", "twelve"], "only"),
    (["--budget", "huge"], "budget"),
    (["--device", "tpu"], "device"),
])
def test_a_bad_value_is_one_json_error_naming_the_field(args, field):
    out = _cli(*args, "--json")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    err = json.loads(out.stdout)
    assert err["field"] == field and args[1] in err["error"] and "expected" in err["error"]
    text = _cli(*args)
    assert text.returncode == 2 and text.stderr.startswith("optwidgets: error: ")
