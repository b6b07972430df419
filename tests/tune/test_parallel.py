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
from optwidgets.tune import _executors, load_search

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
    # the crashed trial's run was recorded when it started: it reads as interrupted
    assert len(store) == 3
    assert sorted(store.to_frame()["status"]) == ["done", "done", "interrupted"]
    # this process: the same call resumes the same study (default name from its settings)
    res = ow.search(TINY, space=SPACE, method="random", n_trials=2, storage=journal, store=store)
    frame = res.trials_frame()
    assert frame["number"].tolist() == [0, 1, 2, 3, 4]
    assert frame["state"].tolist() == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    assert "process ended" in frame.loc[2, "error"] and frame.loc[2, "status"] == "interrupted"
    assert store.load(frame.loc[2, "run_id"]).status == "interrupted"  # the trial names its run
    assert len(store) == 5 and set(frame["run_id"]) == set(store.run_ids())
    # each resume continued the sampler's sequence: no trial drew another's values
    assert frame["params_lr"].nunique() == 5
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
    # the dead worker's run is in the store too, as interrupted (its record from the start)
    runs = store.to_frame().set_index("run_id")
    assert len(runs) == 4 and set(runs.index) == set(res.trials_frame()["run_id"])
    assert runs.loc[frame.loc[0.5, "run_id"], "status"] == "interrupted"
    assert (runs.drop(index=frame.loc[0.5, "run_id"])["status"] == "done").all()


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
def test_dask_local_cluster_of_two_worker_processes(tmp_path, store, monkeypatch):
    # trials on the workers only (this process would otherwise run trials while they start)
    monkeypatch.setattr(_executors, "INLINE_GRACE_S", float("inf"))
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


class _Starting:
    """A pool whose workers never finish starting: every trial must run in this process."""

    slots = 2

    def can_take(self, n_running):
        return False

    def starting(self, grace):
        return True

    def wait_any(self, futures, timeout):
        return []

    def broken(self, exc):
        return False


def test_while_workers_start_this_process_runs_trials_one_at_a_time(tmp_path, store):
    # drive() against a pool still starting: the trials run here, one at a time, and the
    # budget, the study and the callbacks are as with workers
    import threading

    from optwidgets.tune._executors import TrialJob, drive
    from optwidgets.tune._objective import TrialRunner
    from optwidgets.tune._space import parse_space
    from optwidgets.tune._storage import resolve_storage

    storage, spec, _ = resolve_storage(tmp_path / "s.log", workers=True)
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    params = parse_space(SPACE)
    runner = TrialRunner(TINY.to_dict(), params, ("test_acc",), "s", store=str(store.path))
    at_once, seen = [], []

    class Count(ow.Callback):
        def on_run_start(self, run):
            at_once.append(threading.active_count())

    runner.run_callbacks = [Count()]

    def job(slot):
        return TrialJob(spec, "s", runner, "random", 1, slot, 3, pruner=None)

    cancel = threading.Event()
    drive(_Starting(), study, job, 3, timeout=None, cancel=cancel,
          callbacks=[lambda s, t: seen.append(t.number)])  # fmt: skip
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
    assert {t.user_attrs["ow"]["pid"] for t in study.trials} == {os.getpid()}
    assert sorted(seen) == [0, 1, 2] and len(store) == 3
    assert len({t.params["lr"] for t in study.trials}) == 3  # each slot its own seed


def test_a_cold_local_pool_pays_from_the_first_trial(store, monkeypatch):
    # a pool that starts with the search: this process bridges the start-up (if any),
    # the workers take over; every trial runs once either way
    warm = _executors.LocalPool(1)  # the kernel's forkserver up: the workers come quickly
    warm.warm()
    warm.close()
    monkeypatch.setattr(_executors, "INLINE_GRACE_S", 0.0)
    res = ow.search(TINY, space=SPACE, method="random", n_trials=6, n_workers=2, store=store,
                    pruner=False)  # fmt: skip
    frame = res.trials_frame()
    assert len(frame) == 6 and (frame["state"] == "COMPLETE").all()
    assert frame["params_lr"].nunique() == 6 and len(store) == 6
    assert len({t.user_attrs["ow"]["pid"] for t in res.study.trials}) >= 2


@needs_dask
@pytest.mark.slow
def test_dask_studies_live_in_optunas_dask_storage(tmp_path, store, monkeypatch):
    from optwidgets.tune import _api

    kinds = []
    real = _api.dask_storage

    def spy(storage, client):
        out = real(storage, client)
        kinds.append((type(out[0]).__name__, out[1].kind))
        return out

    monkeypatch.setattr(_api, "dask_storage", spy)
    url = f"sqlite:///{tmp_path / 'dask.db'}"
    res = ow.search(TINY, space=SPACE, method="grid", n_trials=4, executor="dask", storage=url,
                    study_name="d", store=store)  # fmt: skip
    assert kinds == [("DaskStorage", "dask")]
    assert (res.trials_frame()["state"] == "COMPLETE").all() and len(res.study.trials) == 4
    back = optuna.load_study(study_name="d", storage=url)  # written by the scheduler
    points = {(t.params["lr"], t.params["optimizer"]) for t in back.trials}
    assert len(points) == 4
    # no storage: in memory on the scheduler, copied here at the end
    res = ow.search(TINY, space=SPACE, method="random", n_trials=3, executor="dask", store=store)
    assert isinstance(res.study._storage, optuna.storages.InMemoryStorage)
    assert len(res.study.trials) == 3
