"""ow.search in this process: the four methods, Optuna as the reference, multi-objective
Pareto fronts, pruning, failures, cancel, and every trial stored as a run."""

from __future__ import annotations

import importlib.util
import json
import threading

import numpy as np
import optuna
import pytest

import optwidgets as ow
from optwidgets.tune import SearchResult, make_pruner

from .helpers import MOONS2, TINY, BoomAbove

SPACE = {"lr": ("log", 1e-3, 1e-1, 2), "optimizer": ["adam", "sgd"]}


@pytest.mark.parametrize(
    "method,sampler",
    [
        ("grid", "GridSampler"),
        ("random", "RandomSampler"),
        ("bayes", "TPESampler"),
        # CMA-ES needs the cmaes package; without it evolution is NSGA-II (and says so)
        ("evolution", "CmaEsSampler" if importlib.util.find_spec("cmaes") else "NSGAIISampler"),
    ],
)
def test_each_method_runs_stores_and_reports(method, sampler, store):
    res = ow.search(TINY, space=SPACE, method=method, n_trials=4, store=store, seed=1)
    assert isinstance(res, SearchResult)
    assert type(res.study.sampler).__name__ == sampler == res.sampler_name
    frame = res.trials_frame()
    assert len(frame) == 4 and (frame["state"] == "COMPLETE").all()
    for col in (
        "number",
        "value",
        "params_lr",
        "params_optimizer",
        "run_id",
        "test_acc",
        "size_bytes",
        "latency_ms",
        "train_seconds",
        "duration",
        "state",
    ):
        assert col in frame.columns
    assert (frame["value"] == frame["val_acc"]).all()  # chosen on validation by default
    assert frame["duration"].gt(0).all()
    if method == "grid":  # four distinct grid points of the 2 x 2 grid
        pts = set(zip(frame["params_lr"].round(6), frame["params_optimizer"]))
        assert pts == {(0.001, "adam"), (0.001, "sgd"), (0.1, "adam"), (0.1, "sgd")}
    # every trial is a run in the store, tagged with its trial number and study
    runs = store.to_frame().set_index("run_id")
    assert set(frame["run_id"]) == set(runs.index)
    assert sorted(runs["search_trial"].astype(int)) == [0, 1, 2, 3]
    assert {store.load(r).extras["search_study"] for r in runs.index} == {res.study_name}
    best = res.best
    top = frame.loc[frame["value"].idxmax()]
    assert best.values["val_acc"] == top["value"]
    assert best.metrics["test_acc"] == frame.loc[top.name, "test_acc"]  # the test reports
    assert best.config == TINY.replace(lr=top["params_lr"], optimizer=top["params_optimizer"])
    assert store.load(best.run_id).config == best.config


def test_random_search_matches_optuna_called_directly(store):
    space = {
        "lr": ("log", 1e-3, 1e-1),
        "dropout": ("float", 0.0, 0.5),
        "optimizer": ["adam", "sgd", "rmsprop"],
    }
    res = ow.search(TINY, space=space, method="random", n_trials=5, seed=3, store=store)
    ours = res.trials_frame()[["params_lr", "params_dropout", "params_optimizer"]]

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3), direction="maximize")
    ref = []
    for _ in range(5):
        t = study.ask()
        ref.append(
            (
                t.suggest_float("lr", 1e-3, 1e-1, log=True),
                t.suggest_float("dropout", 0.0, 0.5),
                t.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"]),
            )
        )
        study.tell(t, 0.5)
    assert [tuple(r) for r in ours.itertuples(index=False)] == ref
    # and the run of a trial is exactly ow.run of the config it names
    row = res.trials_frame().iloc[0]
    again = ow.run(
        TINY.replace(
            lr=row["params_lr"], dropout=row["params_dropout"], optimizer=row["params_optimizer"]
        ),
        store=False,
    )
    assert again.metrics["test_acc"] == row["test_acc"]


def test_multi_objective_pareto_front(store):
    space = {"hidden": [(2,), (8,), (32, 32)], "lr": ("log", 1e-2, 1e-1)}
    res = ow.search(
        MOONS2,
        space=space,
        method="evolution",
        n_trials=6,
        objectives=("test_acc", "size_bytes"),
        store=store,
    )
    assert res.sampler_name == "NSGAIISampler"
    assert res.directions == ("maximize", "minimize")
    frame = res.trials_frame()
    assert {"values_0", "values_1"} <= set(frame.columns)
    assert (frame["values_0"] == frame["test_acc"]).all()
    assert (frame["values_1"] == frame["size_bytes"]).all()
    front = res.pareto_front()
    # reference: brute-force non-dominated set (maximize acc, minimize size)
    pts = frame[["values_0", "values_1"]].to_numpy()
    keep = [
        i
        for i, (a, s) in enumerate(pts)
        if not any((a2 >= a and s2 <= s) and (a2 > a or s2 < s) for a2, s2 in pts)
    ]
    assert set(front["number"]) == set(frame.loc[keep, "number"])
    assert front["values_1"].is_monotonic_increasing  # sorted by size
    best = res.best
    assert isinstance(best, list) and [b.number for b in best] == front["number"].tolist()
    assert all(b.config.hidden == b.params["hidden"] for b in best)


def test_latency_objective_and_three_objectives(store):
    res = ow.search(
        TINY,
        space={"hidden": [(4,), (64,)]},
        method="grid",
        store=store,
        objectives=("test_acc", "size_bytes", "latency_ms"),
    )
    frame = res.trials_frame()
    assert len(frame) == 2 and (frame["values_2"] == frame["latency_ms"]).all()
    assert len(res.pareto_front()) >= 1


def test_pruner_stops_weak_trials_and_records_them_pruned(store):
    # a pruner that prunes every trial after its first reported epoch
    res = ow.search(
        MOONS2,
        space={"lr": ("log", 1e-3, 1e-1)},
        method="random",
        n_trials=3,
        pruner=optuna.pruners.ThresholdPruner(lower=1.01),
        store=store,
    )
    frame = res.trials_frame()
    assert (frame["state"] == "PRUNED").all()
    assert (frame["pruned_at_epoch"] == 1).all() and (frame["status"] == "pruned").all()
    for t in res.study.trials:  # the reported values are the epochs' val_acc
        assert list(t.intermediate_values) == [1]
        hist = store.history(t.user_attrs["ow"]["run_id"])
        val = hist[(hist["split"] == "val") & (hist["metric"] == "acc")]["value"].tolist()
        assert val == [t.intermediate_values[1]]
    # stored as stopped runs (MOONS2 trains 2 epochs; the pruned ones trained one)
    runs = store.to_frame()
    assert (runs["status"] == "stopped").all() and (runs["pruned_at_epoch"] == 1).all()
    assert res.best is None


def test_median_pruner_prunes_a_hopeless_trial(store):
    default = make_pruner(True, 1)
    assert isinstance(default, optuna.pruners.MedianPruner)  # the default, once 4 trials ended
    space = {"lr": [0.05, 0.04, 0.03, 1e-5]}  # the last one cannot learn in 2 epochs
    res = ow.search(
        MOONS2,
        space=space,
        method="grid",
        store=store,
        seed=0,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1),
    )
    frame = res.trials_frame().set_index("params_lr")
    assert frame.loc[1e-5, "number"] > 0  # (a trial before it gives the median)
    assert frame.loc[1e-5, "state"] == "PRUNED"
    assert frame.loc[1e-5, "pruned_at_epoch"] == 1
    assert (frame["state"] == "COMPLETE").sum() >= 1  # (median pruning also cuts near-ties)


def test_multi_objective_is_not_pruned(store):
    res = ow.search(
        TINY,
        space={"lr": ("log", 1e-3, 1e-1)},
        method="random",
        n_trials=2,
        objectives=("test_acc", "size_bytes"),
        store=store,
    )
    assert isinstance(res.study.pruner, optuna.pruners.NopPruner)


def test_failing_trial_is_recorded_and_the_search_goes_on(store):
    space = {"lr": [0.01, 0.5, 0.02]}
    res = ow.search(TINY, space=space, method="grid", store=store, run_callbacks=[BoomAbove(0.1)])
    frame = res.trials_frame().set_index("params_lr")
    assert frame.loc[0.5, "state"] == "FAIL" and "boom" in frame.loc[0.5, "error"]
    assert (frame.drop(index=0.5)["state"] == "COMPLETE").all()
    assert store.load(frame.loc[0.5, "run_id"]).status == "failed"  # kept, not lost


def test_invalid_combination_fails_only_that_trial(store):
    # neuron pruning is fine for an mlp; 'filter' needs conv layers: refused per trial
    space = {"prune_method": ["weight", "filter"], "prune_ratio": [0.5]}
    res = ow.search(TINY, space=space, method="grid", store=store)
    frame = res.trials_frame().set_index("params_prune_method")
    assert frame.loc["filter", "state"] == "FAIL"
    assert "prune_method" in frame.loc["filter", "error"]
    assert frame.loc["weight", "state"] == "COMPLETE"


def test_cancel_stops_between_trials(store):
    cancel = threading.Event()
    seen = []

    def after_first(study, trial):
        seen.append(trial.number)
        cancel.set()

    res = ow.search(
        TINY,
        space={"lr": ("log", 1e-3, 1e-1)},
        method="random",
        n_trials=5,
        callbacks=[after_first],
        cancel=cancel,
        store=store,
    )
    assert seen == [0] and len(res.study.trials) == 1


def test_frames_and_json_are_plain_data(store):
    res = ow.search(
        TINY, space={"lr": ("log", 1e-3, 1e-1)}, method="random", n_trials=2, store=store
    )
    d = json.loads(json.dumps(res.to_dict()))
    assert len(d["trials"]) == 2 and d["best"]["values"]["val_acc"] > 0
    assert ow.RunConfig.from_dict(d["best"]["config"]) == res.best.config
    assert np.isfinite(res.trials_frame()["value"]).all()
