"""``optwidgets sweep``: one knob over a series, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import optwidgets as ow

BASE = ["--dataset", "xor", "--model", "mlp", "--hidden", "8", "--epochs", "1",
        "--n-samples", "200"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optwidgets", "sweep", *BASE, *args],
                          capture_output=True, text=True, timeout=180)


def test_sweep_walks_the_values_in_order_and_stores_each_run(tmp_path):
    out = _cli("--quant-mode", "simulated", "--knob", "quant_bits", "--values", "2,8",
               "--store", str(tmp_path), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["knob"] == "quant_bits" and doc["values"] == [2, 8]
    assert [r["config"]["quant_bits"] for r in doc["runs"]] == [2, 8]
    assert all(r["status"] == "done" for r in doc["runs"])
    assert sorted(ow.RunStore(tmp_path).run_ids()) == sorted(r["run_id"] for r in doc["runs"])


def test_a_knob_whose_technique_is_off_is_refused_naming_the_setting(tmp_path):
    out = _cli("--knob", "prune_ratio", "--values", "0.5", "--store", str(tmp_path))
    assert out.returncode == 2
    assert "prune_method" in out.stderr and "Traceback" not in out.stderr
    assert ow.RunStore(tmp_path).run_ids() == []
