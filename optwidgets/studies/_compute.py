"""Studies of time: parallelism vs training time, search methods, training time by
hardware (tables 8, 11 and 12).

Times are wall-clock seconds measured here, warmed (one untimed run or search first) and
alternated (the order of the variants rotates from repeat to repeat), with the spread
over repeats. GPU rows appear only where CUDA is present; without it they are left out
and the frame's ``attrs["left_out"]`` says so (a row that was not measured holds no
number).
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import torch

from optwidgets.config import RunConfig
from optwidgets.studies._common import (
    CPU_THREADS,
    Budget,
    alternated,
    check_budget,
    check_device,
    frame,
    run_one,
    spread,
    threads,
)
from optwidgets.tune import search

__all__ = ["parallelism", "search_methods", "hardware_times"]

NO_GPU = "GPU rows: not measured, no CUDA GPU on this machine"
SEVERAL_GPUS = "several GPUs: not measured, this machine has fewer than two"


def _thread_levels() -> list[int]:
    """1, 2 and all CPU threads (fewer where the machine has fewer)."""
    return sorted({1, min(2, CPU_THREADS), CPU_THREADS})


def _cnn(b: Budget, seed: int, device: str) -> RunConfig:
    return RunConfig(dataset="digits", model="cnn", width=b.width, epochs=b.time_epochs,
                     batch_size=64, seed=seed, device=device)


def _seed_grid(b: Budget, seeds: list[int], workers: int) -> float:
    """Wall seconds of ``len(seeds)`` cnn runs as a grid search over ``seed`` with
    ``workers`` local worker processes (one torch thread each)."""
    t0 = time.perf_counter()
    with threads(1):  # as each worker process runs (one thread), also in this process
        search(_cnn(b, 0, "cpu"), space={"seed": seeds}, method="grid",
               objectives=("val_acc",), n_workers=workers, pruner=False, store=False,
               study_name=f"studies-{workers}-{time.time_ns()}")
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------
# 8. parallelism vs training time

def parallelism(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 8: training time of one model with 1, 2 and all CPU threads (and one GPU where
    CUDA is present), and wall time of a search of ``b.workload`` runs with 1, 2 and all
    worker processes.

    Columns: ``parallelism``, ``kind`` (``threads``, ``gpu`` or ``search workers``),
    ``level`` (threads or workers), ``seconds_mean``, ``seconds_std`` (``train_seconds``
    of the run for threads and GPU, wall seconds of the whole search for workers),
    ``n_seeds``, ``speedup`` (1-thread or 1-worker seconds over these).
    """
    b, dev = check_budget(budget), check_device(device)
    levels: list[tuple[str, str, int]] = [
        (f"{n} CPU thread{'s' if n > 1 else ''}" + (" (all)" if n == CPU_THREADS else ""),
         "threads", n) for n in _thread_levels()]
    if torch.cuda.is_available():
        levels.append(("1 GPU", "gpu", 1))
    run_one(_cnn(b, 0, "cpu"), n_threads=CPU_THREADS)  # warm-up, untimed
    if torch.cuda.is_available():
        run_one(_cnn(b, 0, "cuda"))
    rows = []
    for seed, (label, kind, n) in alternated(levels, b.seeds):
        res = run_one(_cnn(b, seed, "cuda" if kind == "gpu" else "cpu"),
                      n_threads=1 if kind == "gpu" else n)
        rows.append({"parallelism": label, "kind": kind, "level": n, "seed": seed,
                     "seconds": res.train_seconds})
    workers = sorted({1, 2, CPU_THREADS})
    _seed_grid(b, [0, 1], 2)  # warm-up: starts the worker server once, untimed
    for i, (seed, n) in enumerate(alternated(workers, b.seeds)):
        seeds = [100 * (i + 1) + k for k in range(b.workload)]  # new runs each repeat
        rows.append({"parallelism": f"search, {n} worker{'s' if n > 1 else ''}",
                     "kind": "search workers", "level": n, "seed": seed,
                     "seconds": _seed_grid(b, seeds, n)})
    table = spread(pd.DataFrame(rows), by=["parallelism", "kind", "level"], values=["seconds"])
    first = table.groupby("kind")["seconds_mean"].transform("first")
    table["speedup"] = first / table["seconds_mean"]
    table.loc[table["kind"] == "gpu", "speedup"] = (
        table.loc[table["kind"] == "threads", "seconds_mean"].iloc[0]
        / table.loc[table["kind"] == "gpu", "seconds_mean"])
    return frame(table, b, dev, notes=[
        f"digits, cnn width {b.width}, epochs {b.time_epochs}, batch 64; threads: the run's "
        f"training clock; search: wall seconds of {b.workload} runs as a grid over the "
        f"seed, each worker process on one thread; this machine has {CPU_THREADS} CPU "
        "threads; speedup is relative to 1 thread (GPU too) or 1 worker"],
        left_out=[] if torch.cuda.is_available() else [NO_GPU])


# ---------------------------------------------------------------------------------------
# 11. search methods

METHODS = {"grid": "grid", "random": "random", "Bayesian (TPE)": "bayes",
           "evolutionary (CMA-ES)": "evolution"}


def _one_search(b: Budget, method: str, seed: int, device: str) -> dict[str, Any]:
    per_dropout = 2 if b.trials < 16 else 4  # grid points: lr x dropout = trials
    base = RunConfig(dataset="digits", model="mlp", hidden=(b.hidden,), epochs=b.epochs,
                     batch_size=64, seed=seed, device=device)
    space = {"lr": ("log", 1e-4, 3e-1, b.trials // per_dropout),
             "dropout": ("float", 0.0, 0.6, per_dropout)}
    res = search(base, space=space, method=method, n_trials=b.trials, seed=seed,
                 objectives=("val_acc",), pruner=False, store=False,
                 study_name=f"studies-{method}-{seed}-{time.time_ns()}")
    t = res.trials_frame()
    t = t[t["state"] == "COMPLETE"].sort_values("number")
    best = t.loc[t["value"].idxmax()]  # first trial reaching the best val_acc
    start = t["datetime_start"].min()
    return {"best_val_acc": float(best["value"]), "test_acc_of_best": float(best["test_acc"]),
            "seconds_to_best": (best["datetime_complete"] - start).total_seconds(),
            "search_seconds": res.wall_seconds, "trials": len(t)}


def search_methods(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 11: grid, random, Bayesian (TPE) and evolutionary (CMA-ES) search over the
    learning rate and dropout with the same trial budget: the best validation accuracy,
    the test accuracy of that trial, and the seconds until the search first reached it.

    Columns: ``method``, ``best_val_acc``, ``test_acc_of_best``, ``seconds_to_best``,
    ``search_seconds`` (``_mean``/``_std`` over search seeds), ``trials``, ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    _one_search(b, "random", 0, dev)  # warm-up: Optuna's imports, untimed
    rows = []
    for seed, label in alternated(list(METHODS), b.seeds):
        with threads(1):  # one thread per run, as everywhere in the studies
            rows.append({"method": label, "seed": seed,
                         **_one_search(b, METHODS[label], seed, dev)})
    order = pd.DataFrame(rows).set_index("method").loc[list(METHODS)].reset_index()
    table = spread(order, by=["method", "trials"],
                   values=["best_val_acc", "test_acc_of_best", "seconds_to_best",
                           "search_seconds"])
    return frame(table, b, dev, notes=[
        f"digits, mlp hidden ({b.hidden},), {b.epochs} epochs; {b.trials} trials each over "
        "lr (log 1e-4..0.3) and dropout (0..0.6), selected on val_acc, no pruning; with "
        "this few trials TPE starts from random trials and CMA-ES from one"])


# ---------------------------------------------------------------------------------------
# 12. training time by hardware

def hardware_times(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 12: wall seconds of one fixed workload (``b.workload`` cnn runs) on one CPU
    thread, all CPU threads, one GPU (where CUDA is present) and several worker processes.

    Columns: ``hardware``, ``workers``, ``threads_per_worker``, ``seconds_mean``,
    ``seconds_std``, ``n_seeds`` (repeats), ``speedup`` (one thread's seconds over these).
    """
    b, dev = check_budget(budget), check_device(device)
    n_workers = max(2, CPU_THREADS)
    setups: list[tuple[str, int, int, str]] = [  # label, workers, threads, device
        ("1 CPU thread", 1, 1, "cpu"),
        (f"all {CPU_THREADS} CPU threads", 1, CPU_THREADS, "cpu"),
        (f"{n_workers} worker processes", n_workers, 1, "cpu")]
    if torch.cuda.is_available():
        setups.insert(2, ("1 GPU", 1, 1, "cuda"))
    run_one(_cnn(b, 0, "cpu"))  # warm-up, untimed
    _seed_grid(b, [0, 1], n_workers)
    rows = []
    for i, (seed, (label, workers, n_threads, where)) in enumerate(alternated(setups,
                                                                             b.seeds)):
        seeds = [1000 * (i + 1) + k for k in range(b.workload)]
        t0 = time.perf_counter()
        if workers > 1:
            seconds = _seed_grid(b, seeds, workers)
        else:
            for s in seeds:
                run_one(_cnn(b, s, where), n_threads=n_threads)
            seconds = time.perf_counter() - t0
        rows.append({"hardware": label, "workers": workers, "threads_per_worker": n_threads,
                     "seed": seed, "seconds": seconds})
    order = pd.DataFrame(rows).set_index("hardware").loc[[s[0] for s in setups]]
    table = spread(order.reset_index(), by=["hardware", "workers", "threads_per_worker"],
                   values=["seconds"])
    table["speedup"] = table["seconds_mean"].iloc[0] / table["seconds_mean"]
    return frame(table, b, dev, notes=[
        f"workload: {b.workload} runs of the digits cnn width {b.width}, epochs "
        f"{b.time_epochs} (data loading, training and measuring each run); workers: a "
        f"grid search over the seed in local worker processes; this machine has "
        f"{CPU_THREADS} CPU threads"], left_out=([] if torch.cuda.is_available() else [NO_GPU])
        + ([] if torch.cuda.device_count() > 1 else [SEVERAL_GPUS]))
