"""The optwidgets command, run as a user would run it (a real subprocess)."""

import json
import subprocess
import sys

import pytest


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "optwidgets", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_run_json_prints_one_object_with_measurements(tmp_path):
    out = _cli("run", "--dataset", "digits", "--model", "cnn", "--json", "--store", str(tmp_path))
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)  # exactly one JSON object on stdout
    assert d["status"] == "done" and d["metrics"]["test_acc"] >= 0.97
    assert d["size_bytes"] > 0 and d["params"] > 0 and d["latency_ms"] > 0
    assert (tmp_path / "runs" / f"{d['run_id']}.json").exists()


def test_flags_mirror_config_fields():
    out = _cli("run", "--dataset", "moons", "--model", "mlp", "--hidden", "8,8", "--epochs", "1",
               "--prune-ratio", "0", "--lr", "0.01", "--json", "--no-store", "--quiet")
    assert out.returncode == 0, out.stderr
    cfg = json.loads(out.stdout)["config"]
    assert cfg["hidden"] == [8, 8] and cfg["lr"] == 0.01 and cfg["dataset"] == "moons"


def test_human_summary():
    out = _cli("run", "--dataset", "xor", "--model", "mlp", "--epochs", "1", "--no-store")
    assert out.returncode == 0 and "test accuracy" in out.stdout


@pytest.mark.parametrize("args,fragment", [
    (["--lr", "-1"], "lr=-1"),
    (["--lr", "nan"], "lr=nan"),
    (["--batch-size", "0"], "batch_size=0"),
    (["--epochs", "0"], "epochs=0"),
    (["--dropout", "1"], "dropout=1"),
    (["--optimizer", "adamm"], "did you mean 'adam'"),
    (["--schedule", "cosin"], "did you mean 'cosine'"),
    (["--dataset", "mnsit"], "did you mean 'mnist'"),
    (["--model", "cnnn"], "did you mean 'cnn'"),
    (["--dataset", "moons", "--model", "cnn"], "needs image input"),
])
def test_bad_input_exits_non_zero_with_a_clear_message(args, fragment):
    out = _cli("run", *args, "--no-store", "--quiet")
    assert out.returncode == 2
    assert fragment in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == ""
    as_json = _cli("run", *args, "--no-store", "--quiet", "--json")  # one JSON object instead
    assert as_json.returncode == 2 and as_json.stderr == ""
    assert fragment in json.loads(as_json.stdout)["error"]


def test_lab_passes_unknown_flags_to_jupyter_and_checks_the_notebook(tmp_path):
    out = subprocess.run([sys.executable, "-m", "optwidgets", "lab", "--notebook",
                          str(tmp_path / "missing.ipynb"), "--port", "9"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "missing.ipynb" in out.stderr
    out = _cli("run", "--port", "9")
    assert out.returncode == 2 and "unrecognized arguments: --port" in out.stderr
