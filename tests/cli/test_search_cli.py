"""``optwidgets search`` as a user runs it: a real subprocess, tiny budgets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

BASE = [
    "--dataset",
    "xor",
    "--model",
    "mlp",
    "--hidden",
    "8",
    "--epochs",
    "1",
    "--n-samples",
    "400",
]


def _cli(*args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "optwidgets", "search", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("method", ["grid", "random", "bayes", "evolution"])
def test_search_json_for_each_method(method, tmp_path):
    out = _cli(
        *BASE,
        "--method",
        method,
        "--n-trials",
        "3",
        "--space",
        "lr=log:1e-3:1e-1:3",
        "--space",
        "optimizer=choice:adam,sgd",
        "--store",
        str(tmp_path),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)  # exactly one JSON object
    assert d["method"] == method and len(d["trials"]) == 3
    assert {t["state"] for t in d["trials"]} == {"COMPLETE"}
    assert d["best"]["values"]["val_acc"] == max(t["value"] for t in d["trials"])
    assert d["best"]["config"]["hidden"] == [8] and d["best"]["config"]["epochs"] == 1
    runs = sorted(p.stem for p in (tmp_path / "runs").glob("*.json"))
    assert runs == sorted(t["run_id"] for t in d["trials"])
    assert "trial   0" in out.stderr  # progress goes to stderr


def test_search_multi_objective_with_storage_and_two_workers(tmp_path):
    journal = str(tmp_path / "s.log")
    common = [
        *BASE,
        "--method",
        "random",
        "--space",
        "hidden=choice:2|16,16",
        "--space",
        "lr=log:1e-2:1e-1",
        "--objectives",
        "test_acc,size_bytes",
        "--storage",
        journal,
        "--no-store",
        "--json",
        "--quiet",
    ]
    out = _cli(*common, "--n-trials", "4", "--n-workers", "2")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["objectives"] == ["test_acc", "size_bytes"] and d["n_workers"] == 2
    assert isinstance(d["best"], list) and len(d["trials"]) == 4
    assert {str(t["params_hidden"]) for t in d["trials"]} <= {"2", "16,16"}
    again = _cli(*common, "--n-trials", "1")  # resumes the stored study
    assert again.returncode == 0, again.stderr
    assert len(json.loads(again.stdout)["trials"]) == 5


@pytest.mark.parametrize(
    "args,fragment",
    [
        # (the same checks run in-process in test_space.py; here: the CLI's way of saying it)
        (["--space", "lr=log:0:1", "--n-trials", "2"], "low > 0 on a log scale"),
        (["--space", "lrr=log:1e-3:1e-1", "--n-trials", "2"], "did you mean 'lr'"),
        (
            ["--space", "lr=log:1e-3:1e-1", "--n-trials", "2", "--method", "bayesian"],
            "did you mean 'bayes'",
        ),
    ],
)
def test_sweep_bad_input_exits_non_zero_with_a_clear_message(args, fragment):
    out = _cli(*BASE, *args, "--no-store")
    assert out.returncode == 2
    assert fragment in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == ""
    as_json = _cli(*BASE, *args, "--no-store", "--json")
    assert as_json.returncode == 2 and fragment in json.loads(as_json.stdout)["error"]
