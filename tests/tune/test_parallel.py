"""Persistence and parallel trials: a study resumed by a second process, two local worker
processes, a worker that dies, and a real two-worker Dask LocalCluster on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
import time

import optuna
import pytest

import optwidgets as ow
from optwidgets.tune import load_search

from .helpers import TINY, CrashAbove

SPACE = {"lr": ("log", 1e-3, 1e-1), "optimizer": ["adam", "sgd"]}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _child(code: str) -> subprocess.CompletedProcess:
    script = "import optwidgets as ow\nfrom tests.tune.helpers import TINY, CrashAbove\n"
    script += "SPACE = " + repr(SPACE) + "\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_a_study_resumes_in_another_process_and_nothing_is_lost(tmp_path, store):
    journal = tmp_path / "study.log"
    # process 1: two trials, then a trial during which the process dies (a kernel crash)
    out = _child(f"""
        ow.search(TINY, space=SPACE, method="random", n_trials=2, storage={str(journal)!r},
                  store={str(store.path)!r})
        ow.search(TINY, space=SPACE, method="random", n_trials=1, storage={str(journal)!r},
                  store={str(store.path)!r}, run_callbacks=[CrashAbove(0.0)])
    """)
    assert out.returncode == 7, out.stderr
    assert len(store) == 2
    # this process: the same call resumes the same study (default name from its settings)
    res = ow.search(TINY, space=SPACE, method="random", n_trials=2, storage=journal, store=store)
    frame = res.trials_frame()
    assert frame["number"].tolist() == [0, 1, 2, 3, 4]
    assert frame["state"].tolist() == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    assert "process ended" in frame.loc[2, "error"]
    assert len(store) == 4 and set(frame["run_id"].dropna()) == set(store.run_ids())
    # reopened without running anything, e.g. after a kernel restart
    again = load_search(journal)
    assert again.trials_frame()["value"].tolist() == pytest.approx(
        frame["value"].tolist(), nan_ok=True
    )
    assert again.best.number == res.best.number
    # another space under the same study name is refused, naming what differs
    with pytest.raises(ow.ConfigError) as err:
        ow.search(
            TINY,
            space={"lr": ("log", 1e-4, 1e-1)},
            method="random",
            n_trials=1,
            storage=journal,
            study_name=res.study_name,
            store=store,
        )
    assert err.value.field == "space"
    assert len(load_search(journal).study.trials) == 5


def test_two_local_workers(two_workers, store):
    t0 = time.perf_counter()
    res = ow.search(
        TINY, space=SPACE, method="bayes", n_trials=6, n_workers=2, store=store, pruner=False
    )
    assert time.perf_counter() - t0 < 60
    frame = res.trials_frame()
    assert len(frame) == 6 and (frame["state"] == "COMPLETE").all()
    assert isinstance(res.study._storage, optuna.storages.InMemoryStorage)  # copied back
    pids = {t.user_attrs["ow"]["pid"] for t in res.study.trials}
    assert len(pids) == 2 and os.getpid() not in pids
    assert set(frame["run_id"]) == set(store.run_ids())
    # workers drew different random start points (seed + slot), no duplicates
    assert frame["params_lr"].nunique() == 6


def test_a_worker_that_dies_fails_only_its_trial(two_workers, store, tmp_path):
    space = {"lr": [0.01, 0.5, 0.02, 0.03]}
    seen = []
    res = ow.search(
        TINY,
        space=space,
        method="grid",
        n_workers=2,
        store=store,
        storage=tmp_path / "s.log",
        run_callbacks=[CrashAbove(0.1)],
        callbacks=[lambda study, t: seen.append((t.number, t.state.name))],
    )
    frame = res.trials_frame().set_index("params_lr")
    assert frame.loc[0.5, "state"] == "FAIL"
    assert "worker process died" in frame.loc[0.5, "error"]
    assert (frame.drop(index=0.5)["state"] == "COMPLETE").all()
    assert sorted(seen) == sorted(zip(res.trials_frame()["number"], res.trials_frame()["state"]))
    assert len(store) == 3


def test_a_grid_started_by_workers_is_finished_in_one_process(two_workers, store, tmp_path):
    space = {"lr": [0.01, 0.02, 0.03], "optimizer": ["adam", "sgd"]}
    journal = tmp_path / "grid.log"
    first = ow.search(
        TINY, space=space, method="grid", n_trials=4, n_workers=2, storage=journal, store=store
    )
    assert len(first.trials_frame()) == 4
    rest = ow.search(TINY, space=space, method="grid", storage=journal, store=store, pruner=False)
    frame = rest.trials_frame()
    points = set(zip(frame["params_lr"], frame["params_optimizer"]))
    assert len(frame) == 6 and len(points) == 6  # every point once, none twice
    assert (frame["state"] == "COMPLETE").all()


needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="needs dask[distributed] (pip install 'optwidgets[dask]')",
)


@needs_dask
def test_unreachable_dask_address_is_a_clear_error_and_loses_nothing(tmp_path, store):
    journal = tmp_path / "s.log"
    first = ow.search(TINY, space=SPACE, method="random", n_trials=1, storage=journal, store=store)
    with pytest.raises(ow.ConfigError) as err:
        ow.search(
            TINY,
            space=SPACE,
            method="random",
            n_trials=2,
            storage=journal,
            store=store,
            executor="dask",
            dask_address="tcp://127.0.0.1:9",
        )
    assert err.value.field == "dask_address" and "127.0.0.1:9" in str(err.value)
    assert load_search(journal, first.study_name).trials_frame()["state"].tolist() == ["COMPLETE"]
    assert len(store) == 1


@needs_dask
@pytest.mark.slow
def test_dask_local_cluster_of_two_worker_processes(tmp_path, store):
    res = ow.search(
        TINY,
        space=SPACE,
        method="random",
        n_trials=4,
        executor="dask",
        storage=tmp_path / "dask.log",
        store=store,
    )
    frame = res.trials_frame()
    assert res.executor == "dask" and res.n_workers == 2
    assert len(frame) == 4 and (frame["state"] == "COMPLETE").all()
    pids = {t.user_attrs["ow"]["pid"] for t in res.study.trials}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert set(frame["run_id"]) == set(store.run_ids())
    assert load_search(tmp_path / "dask.log").trials_frame()["state"].eq("COMPLETE").all()
