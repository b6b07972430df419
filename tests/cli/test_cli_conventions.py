"""CLI conventions: --version, allowed values in --help, errors without tracebacks (JSON with
--json), and the ``runs`` / ``export-script`` commands. Real subprocesses, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import optwidgets as ow

TINY = ["--dataset", "xor", "--model", "mlp", "--hidden", "4", "--epochs", "1",
        "--n-samples", "100", "--quiet"]


def _cli(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optwidgets", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_version():
    out = _cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"optwidgets {ow.__version__}"


def test_help_lists_the_allowed_values():
    out = _cli("run", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "one of 'sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'" in text
    assert "a number in (0, 10]" in text  # lr
    assert "an integer in [2, 16]" in text  # quant_bits


@pytest.mark.parametrize(("args", "field"), [
    (["run", *TINY, "--lr", "-1"], "lr"),
    (["run", *TINY, "--optimizer", "adamm"], "optimizer"),
    (["run", *TINY, "--config", "/nonexistent/cfg.json"], "config"),
    (["run", *TINY, "--store", "/proc/nope/store"], "store"),
    (["runs", "show", "../../x"], "run_id"),
    (["run", *TINY, "--epochs", "True"], "epochs"),
])
def test_a_mistake_is_one_message_and_exit_2_never_a_traceback(args, field, tmp_path):
    out = _cli(*args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    assert out.stderr.startswith("optwidgets: error: ") and field in out.stderr
    as_json = _cli(*args, "--json")
    assert as_json.returncode == 2 and "Traceback" not in as_json.stderr
    err = json.loads(as_json.stdout)
    assert err["field"] == field and field in err["error"]


def test_bad_json_config_and_unknown_flag(tmp_path):
    bad = tmp_path / "cfg.json"
    bad.write_text("{not json")
    out = _cli("run", "--config", str(bad), "--json")
    assert out.returncode == 2 and json.loads(out.stdout)["field"] == "config"
    out = _cli("run", "--lrr", "0.1", "--json")
    assert out.returncode == 2 and "--lrr" in json.loads(out.stdout)["error"]
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    out = _cli("run", "--config", str(listed))
    assert out.returncode == 2 and "JSON list" in out.stderr


def test_a_bad_weights_file_as_teacher_is_a_clear_error(tmp_path):
    store = ow.RunStore(tmp_path)
    teacher = ow.run(dataset="digits", model="cnn", epochs=1, store=store)
    (store.weights_dir / f"{teacher.run_id}.pt").write_bytes(b"not a pickle at all")
    for p in store.artefacts_dir.glob("*.pt"):
        p.write_bytes(b"not a pickle either")
    out = _cli("run", "--dataset", "digits", "--model", "cnn", "--epochs", "1",
               "--distill-student", "cnn_small", "--distill-teacher", teacher.run_id,
               "--store", str(tmp_path), "--quiet")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert teacher.run_id in out.stderr and "weights_only" not in out.stderr.split(":")[0]


def test_runs_list_show_export_delete_and_export_script(tmp_path):
    store = tmp_path / "store"
    first = json.loads(_cli("run", *TINY, "--store", str(store), "--json").stdout)
    listed = json.loads(_cli("runs", "list", "--store", str(store), "--json").stdout)
    assert [r["run_id"] for r in listed["runs"]] == [first["run_id"]]
    text = _cli("runs", "list", "--store", str(store)).stdout
    assert first["run_id"] in text and "test_acc" in text
    shown = json.loads(_cli("runs", "show", first["run_id"], "--store", str(store),
                            "--json").stdout)
    assert shown["metrics"]["test_acc"] == first["metrics"]["test_acc"]
    csv = tmp_path / "runs.csv"
    assert _cli("runs", "export", str(csv), "--store", str(store)).returncode == 0
    assert first["run_id"] in csv.read_text()
    script = tmp_path / "train.py"
    out = _cli("export-script", first["run_id"], "-o", str(script), "--store", str(store))
    assert out.returncode == 0, out.stderr
    assert "import optwidgets" not in script.read_text()
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=180)
    assert ran.stdout.strip().splitlines()[-1] == f"test_acc={first['metrics']['test_acc']:.6f}"
    missing = _cli("runs", "delete", "20990101-000000-ffffff", "--store", str(store))
    assert missing.returncode == 2 and "run_id" in missing.stderr
    assert _cli("runs", "delete", first["run_id"], "--store", str(store)).returncode == 0
    assert ow.RunStore(store).run_ids() == []


def test_log_to_tensorboard_from_the_cli(tmp_path):
    out = _cli("run", *TINY, "--no-store", "--log", f"tensorboard:{tmp_path / 'tb'}", "--json")
    assert out.returncode == 0, out.stderr
    run_id = json.loads(out.stdout)["run_id"]
    assert list((tmp_path / "tb" / run_id).glob("events.out.tfevents.*"))
    bad = _cli("run", *TINY, "--no-store", "--log", "wandb:x", "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["field"] == "log"
