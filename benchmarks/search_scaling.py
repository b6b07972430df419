"""Search scaling: one worker, two local worker processes, a two-worker Dask LocalCluster.

Sixteen trials of about one second each (digits ``mlp``; the number of epochs is
calibrated so one run takes ``--trial-seconds``, then fixed), random search over ``lr``
and ``dropout`` (neither changes a trial's cost), no pruning, every run saved to a
RunStore as in real use. Every trial trains on one torch thread in every setting
(``torch.set_num_threads(1)`` here, as in the workers), so the speedups measure the
search's parallelism, not torch's.

Measured, in this order:

- ``plain_loop_s``: the same 16 ``ow.run`` calls (the configs the 1-worker search
  chose) in a plain ``for`` loop: the cost of the training and measuring itself.
- ``plain_parallel_2_s``: the same 16 runs mapped over a plain pool of two processes
  (``multiprocessing``, no Optuna): what two cores give at that moment, so
  ``speedup_plain_2`` is the ceiling the search's speedups can be held against on a
  shared machine.
- ``wall_1_s``: ``ow.search(..., n_workers=1)`` (Optuna's loop in this process).
- ``wall_local_2_s``: ``n_workers=2`` on a warm :func:`optwidgets.tune.worker_pool`;
  ``startup_local_s`` is the time to start those two workers (reported, not included).
- ``wall_dask_2_s``: ``executor="dask"`` on a LocalCluster (2 worker processes, one
  thread each, 127.0.0.1) started and warmed beforehand; ``startup_dask_s`` likewise.

Each setting runs ``--repeats`` times (interleaved, so a change in the machine's load hits
every setting) and the fastest run of each is kept. Derived:
``speedup_local_2 = wall_1_s / wall_local_2_s``, ``speedup_dask_2`` likewise;
``overhead_per_trial_ms = (wall_1_s - plain_loop_s) / n_trials``: the search's own
bookkeeping per trial (sampling, storage, callbacks, tagging), and
``overhead_pct = overhead_per_trial_ms / mean trial time``. ``*_cold`` speedups include
the worker start-up. Targets (on 2 cores): speedups >= 1.6, overhead <= 5 %.

    python benchmarks/search_scaling.py [--trials 16] [--trial-seconds 1.0] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
import tempfile
import time

import torch

import optwidgets as ow
from optwidgets.tune import worker_pool
from optwidgets.tune._executors import _init_worker

SPACE = {"lr": ("log", 1e-3, 3e-2), "dropout": ("float", 0.0, 0.3)}


def calibrate(seconds: float) -> tuple[ow.RunConfig, float]:
    """Digits mlp with the number of epochs that makes one run last about ``seconds``
    (a run costs a fixed part, data and measuring, plus a part per epoch)."""
    base = ow.RunConfig(dataset="digits", model="mlp", epochs=2, device="cpu")
    ow.run(base, store=False)  # imports and first-call costs out of the way

    def timed(epochs: int) -> float:
        t0 = time.perf_counter()
        ow.run(base.replace(epochs=epochs), store=False)
        return time.perf_counter() - t0

    short, long = min(timed(2), timed(2)), min(timed(22), timed(22))
    per_epoch = max((long - short) / 20, 1e-4)
    fixed = max(short - 2 * per_epoch, 0.0)
    cfg = base.replace(epochs=max(1, round((seconds - fixed) / per_epoch)))
    return cfg, timed(cfg.epochs)


def _run_one(args: tuple[ow.RunConfig, str]) -> float:
    """One plain ``ow.run`` in a worker of the reference pool; returns its train seconds."""
    cfg, store = args
    return ow.run(cfg, store=store).train_seconds


def _warm_dask_worker() -> int:
    _init_worker()
    return os.getpid()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--trial-seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2, help="rounds; the fastest of each is kept")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    n = args.trials
    tmp = tempfile.mkdtemp(prefix="optwidgets-bench-")
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    cfg, one_run = calibrate(args.trial_seconds)
    log(f"digits mlp, {cfg.epochs} epochs: one run {one_run:.2f} s")
    counter = iter(range(10**6))

    def sweep(**kw) -> ow.SearchResult:
        return ow.search(
            cfg,
            space=SPACE,
            method="random",
            n_trials=n,
            seed=0,
            pruner=False,
            store=os.path.join(tmp, f"s{next(counter)}"),
            **kw,
        )

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out

    walls: dict[str, list[float]] = {
        "one": [],
        "plain": [],
        "plain_2": [],
        "local_2": [],
        "dask_2": [],
    }
    completed: dict[str, int] = {}
    startup: dict[str, float] = {}
    plain_train = 0.0
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(worker_pool(2))
        startup["local"] = pool.warm()
        # the reference for 2 workers: the same plain ow.run calls in 2 plain processes
        ref = stack.enter_context(
            multiprocessing.get_context("spawn").Pool(2, initializer=_init_worker)
        )
        ref.map(_run_one, [(cfg.replace(epochs=1), os.path.join(tmp, "warm"))] * 2)
        address = None
        if not args.no_dask:
            from distributed import Client, LocalCluster

            t0 = time.perf_counter()
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
            client.run(_warm_dask_worker)
            startup["dask"] = time.perf_counter() - t0
            address = cluster.scheduler_address
        for r in range(args.repeats):  # interleaved, so load changes hit every setting
            wall, one = timed(sweep)
            walls["one"].append(wall)
            frame = one.trials_frame()
            completed["one"] = int((frame["state"] == "COMPLETE").sum())
            configs = [
                cfg.replace(lr=t.params_lr, dropout=t.params_dropout) for t in frame.itertuples()
            ]
            plain_store = ow.RunStore(os.path.join(tmp, f"plain{r}"))

            wall, plain_train = timed(
                lambda cs=configs, st=plain_store: sum(
                    ow.run(c, store=st).train_seconds for c in cs
                )
            )
            walls["plain"].append(wall)
            wall, _ = timed(
                lambda cs=configs, r=r: ref.map(
                    _run_one, [(c, os.path.join(tmp, f"plain2_{r}")) for c in cs], chunksize=1
                )
            )
            walls["plain_2"].append(wall)
            wall, two = timed(lambda: sweep(n_workers=2))
            walls["local_2"].append(wall)
            completed["local_2"] = int((two.trials_frame()["state"] == "COMPLETE").sum())
            if address is not None:
                wall, dk = timed(lambda: sweep(executor="dask", dask_address=address, n_workers=2))
                walls["dask_2"].append(wall)
                completed["dask_2"] = int((dk.trials_frame()["state"] == "COMPLETE").sum())
            log(f"round {r}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in walls.items() if v))
    best = {k: min(v) for k, v in walls.items() if v}
    out: dict = {
        "n_trials": n,
        "epochs": cfg.epochs,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
        "mean_trial_s": best["plain"] / n,
        "train_seconds_sum": plain_train,
        "plain_loop_s": best["plain"],
        "wall_1_s": best["one"],
        "wall_local_2_s": best["local_2"],
        "startup_local_s": startup["local"],
        "plain_parallel_2_s": best["plain_2"],
        "speedup_plain_2": best["plain"] / best["plain_2"],
        "speedup_local_2": best["one"] / best["local_2"],
        "speedup_local_2_cold": best["one"] / (best["local_2"] + startup["local"]),
        "overhead_per_trial_ms": 1000 * (best["one"] - best["plain"]) / n,
        "overhead_pct": 100 * (best["one"] - best["plain"]) / best["plain"],
        "completed": completed,
        "walls_s": walls,
    }
    if "dask_2" in best:
        out.update(
            {
                "wall_dask_2_s": best["dask_2"],
                "startup_dask_s": startup["dask"],
                "speedup_dask_2": best["one"] / best["dask_2"],
                "speedup_dask_2_cold": best["one"] / (best["dask_2"] + startup["dask"]),
            }
        )
    out["targets_met"] = bool(
        out["speedup_local_2"] >= 1.6
        and out.get("speedup_dask_2", 99) >= 1.6
        and out["overhead_pct"] <= 5.0
    )
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>24}: {v:.3f}" if isinstance(v, float) else f"{k:>24}: {v}")
    return out


if __name__ == "__main__":  # the guard Dask's nanny and spawn need
    main()
