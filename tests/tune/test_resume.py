"""A search killed in the middle of a trial resumes exactly (issue #11 item 5).

``optwidgets search --method M ... --storage F --study-name s`` is killed (SIGKILL, from
here) while one of its trials runs, then started again with the same storage and study
name: every trial that completed before the kill is still there, no configuration runs
twice, and a grid runs its interrupted point again. The study is read back with
Optuna's own API: the journal is a plain Optuna storage.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage

from optwidgets.tune import parse_space

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPACE = ["lr=log:1e-3:1e-1:3", "optimizer=choice:adam,sgd"]  # a grid of 3 x 2 points
# the CLI, with a run callback that marks and sleeps in the AT-th run of this process
CHILD = """
import sys
import optwidgets.cli.search as cli_search
from optwidgets.cli import main
from tests.tune.helpers import MarkAndSleep
marker, at = sys.argv[1], int(sys.argv[2])
cli_search.loggers_from_args = lambda args: [MarkAndSleep(marker, at)] if at else []
sys.exit(main(sys.argv[3:]))
"""


def _command(method: str, tmp_path, n_trials: int | None) -> list[str]:
    args = ["search", "--dataset", "xor", "--model", "mlp", "--hidden", "4", "--epochs", "1"]
    args += ["--n-samples", "100", "--batch-size", "16", "--method", method, "--quiet"]
    args += ["--storage", str(tmp_path / "study.log"), "--study-name", "s"]
    args += ["--store", str(tmp_path / "runs"), "--no-prune"]
    for item in SPACE:
        args += ["--space", item]
    return args + (["--n-trials", str(n_trials)] if n_trials else [])


def _start(tmp_path, args: list[str], at: int) -> subprocess.Popen:
    marker = tmp_path / "marker"
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker), str(at), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _trials(tmp_path) -> list[optuna.trial.FrozenTrial]:
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "study.log")))
    return optuna.load_study(study_name="s", storage=storage).get_trials(deepcopy=False)


def _complete(trials) -> list[tuple[int, tuple]]:
    return [
        (t.number, (t.params["lr"], t.params["optimizer"]))
        for t in trials
        if t.state == optuna.trial.TrialState.COMPLETE
    ]


@pytest.mark.parametrize("method", ["grid", "random", "bayes", "evolution"])
def test_a_killed_search_resumes_with_nothing_lost_and_nothing_repeated(method, tmp_path):
    n = None if method == "grid" else 5  # a grid runs the points it has not run
    # 1: killed in the middle of its third trial
    first = _start(tmp_path, _command(method, tmp_path, n), at=3)
    deadline = time.monotonic() + 180
    while not (tmp_path / "marker").exists():
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        assert time.monotonic() < deadline, "the third trial never started"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    before = _trials(tmp_path)
    done_before = _complete(before)
    assert len(done_before) == 2
    states = [t.state.name for t in before]
    assert states[:3] == ["COMPLETE", "COMPLETE", "RUNNING"]
    # a grid queues its points up front (Optuna's WAITING trials): the resume takes them
    assert states[3:] == (["WAITING"] * 3 if method == "grid" else [])

    # 2: the same command again
    second = _start(tmp_path, _command(method, tmp_path, n), at=0)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    after = _trials(tmp_path)
    done_after = _complete(after)
    assert set(done_before) <= set(done_after)  # 0 lost
    points = [p for _, p in done_after]
    assert len(points) == len(set(points))  # 0 repeated
    # the trial that was running when the process died: failed, named interrupted
    dead = after[2]
    assert dead.state.name == "FAIL" and dead.user_attrs["ow"]["status"] == "interrupted"
    if method == "grid":  # every point exactly once, the interrupted one again
        grid = parse_space(SPACE)
        full = {(lr, opt) for lr in grid[0].grid_values() for opt in grid[1].grid_values()}
        assert set(points) == full and len(points) == 6
        assert (dead.params["lr"], dead.params["optimizer"]) in set(points[2:])
    else:
        assert len(done_after) == 2 + n
    # the runs: every trial's run is in the store, the dead one as interrupted
    from optwidgets import RunStore

    runs = RunStore(tmp_path / "runs").to_frame().set_index("run_id")
    assert runs.loc[dead.user_attrs["ow"]["run_id"], "status"] == "interrupted"
    assert len(runs) == len(after)
