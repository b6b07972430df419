"""Search scaling: one worker, two local worker processes, a two-worker Dask LocalCluster,
start-up counted.

Sixteen trials of about one second each (digits ``mlp``; the number of epochs is
calibrated so one run takes ``--trial-seconds``, then fixed), random search over ``lr``
and ``dropout`` (neither changes a trial's cost), no pruning, every run saved to a
RunStore as in real use. Every trial trains on one torch thread in every setting
(``torch.set_num_threads(1)`` here, as in the workers), so the speedups measure the
search's parallelism, not torch's.

Measured, in this order, each ``--repeats`` times (interleaved, so a change in the
machine's load hits every setting; the fastest of each is kept, and the ratios of each
round are reported too):

- ``wall_1_s``: ``ow.search(..., n_workers=1)`` (Optuna's loop in this process).
- ``plain_loop_s``: the same 16 ``ow.run`` calls (the configs the 1-worker search
  chose) in a plain ``for`` loop: the cost of the training and measuring itself.
- ``plain_parallel_2_s``: the same 16 runs mapped over a plain, already started pool of
  two processes (``multiprocessing``, no Optuna): what two cores give at that moment,
  the ceiling the search's speedups can be held against on a shared machine.
- ``wall_local_2_s``: ``n_workers=2``, its two workers started by the search itself
  (forked from the kernel's forkserver) and stopped at its end: start-up counted.
- ``wall_dask_2_s``: ``executor="dask"``, a new LocalCluster (2 worker processes, one
  thread each, 127.0.0.1) started by the search and closed at its end: start-up counted.
- ``wall_local_2_warm_s``: ``n_workers=2`` on a warm :func:`optwidgets.tune.worker_pool`
  (start-up not counted), for comparison.

The *first* parallel search of a kernel also starts the forkserver (it imports torch
and the kit, a few seconds of one core; this process runs trials meanwhile). That is
measured in fresh interpreters, each like a notebook that has done one run: ``first_1_s``
(one worker), ``first_local_2_s``, ``first_dask_2_s`` (in the first ``--fresh-repeats``
rounds).

Derived: ``speedup_local_2 = wall_1_s / wall_local_2_s``, ``speedup_dask_2`` likewise,
``speedup_*_first`` from the fresh interpreters; ``overhead_per_trial_ms =
(wall_1_s - plain_loop_s) / n_trials``: the search's own bookkeeping per trial
(sampling, storage, callbacks, tagging), and ``overhead_pct``. Targets (2 cores, 16
trials, start-up counted): local >= 1.5, Dask >= 1.4, overhead <= 5 %.

    python benchmarks/search_scaling.py [--trials 16] [--trial-seconds 1.0] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import subprocess
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


def _search(cfg: ow.RunConfig, n: int, store: str, **kw) -> ow.SearchResult:
    return ow.search(
        cfg, space=SPACE, method="random", n_trials=n, seed=0, pruner=False, store=store, **kw
    )


def _child(kind: str, cfg_json: str, n: int, store: str) -> None:
    """A fresh interpreter like a notebook that has done one run, then one search."""
    torch.set_num_threads(1)
    cfg = ow.RunConfig.from_dict(json.loads(cfg_json))
    ow.run(cfg.replace(epochs=1), store=False)  # the kernel's imports and first run
    kw = {"one": {}, "local_2": {"n_workers": 2}, "dask_2": {"executor": "dask"}}[kind]
    t0 = time.perf_counter()
    res = _search(cfg, n, store, **kw)
    wall = time.perf_counter() - t0
    frame = res.trials_frame()
    here = sum(t.user_attrs["ow"]["pid"] == os.getpid() for t in res.study.trials)
    done = int((frame["state"] == "COMPLETE").sum())
    print(json.dumps({"wall": wall, "completed": done, "trials_here": here}))


def _fresh(kind: str, cfg: ow.RunConfig, n: int, store: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--cfg", json.dumps(cfg.to_dict()),
         "--trials", str(n), "--store", store],
        capture_output=True, text=True, timeout=900, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--trial-seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2, help="rounds; the fastest of each is kept")
    ap.add_argument("--fresh-repeats", type=int, default=2, help="fresh interpreters per setting")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask measurements")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--cfg", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.cfg, args.trials, args.store)
        return {}
    torch.set_num_threads(1)
    n = args.trials
    tmp = tempfile.mkdtemp(prefix="optwidgets-bench-")
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    cfg, one_run = calibrate(args.trial_seconds)
    log(f"digits mlp, {cfg.epochs} epochs: one run {one_run:.2f} s")
    counter = iter(range(10**6))

    def store() -> str:
        return os.path.join(tmp, f"s{next(counter)}")

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out

    kinds = ["one", "plain", "plain_2", "local_2", "local_2_warm"]
    kinds += [] if args.no_dask else ["dask_2"]
    walls: dict[str, list[float]] = {k: [] for k in kinds}
    completed: dict[str, int] = {}
    here: dict[str, list[int]] = {"local_2": [], "dask_2": []}
    plain_train = 0.0
    # the first parallel searches of a kernel: fresh interpreters, forkserver not started
    first: dict[str, list[dict]] = {"one": [], "local_2": []}
    if not args.no_dask:
        first["dask_2"] = []
    with contextlib.ExitStack() as stack:
        # the reference for 2 workers: the same plain ow.run calls in 2 plain processes
        ref = stack.enter_context(
            multiprocessing.get_context("spawn").Pool(2, initializer=_init_worker)
        )
        ref.map(_run_one, [(cfg.replace(epochs=1), os.path.join(tmp, "warm"))] * 2)
        for r in range(args.repeats):  # interleaved, so load changes hit every setting
            wall, one = timed(lambda: _search(cfg, n, store()))
            walls["one"].append(wall)
            frame = one.trials_frame()
            completed["one"] = int((frame["state"] == "COMPLETE").sum())
            configs = [
                cfg.replace(lr=t.params_lr, dropout=t.params_dropout) for t in frame.itertuples()
            ]
            plain_store = ow.RunStore(store())
            wall, plain_train = timed(
                lambda cs=configs, st=plain_store: sum(
                    ow.run(c, store=st).train_seconds for c in cs
                )
            )
            walls["plain"].append(wall)
            ref_store = store()
            wall, _ = timed(
                lambda cs=configs, s=ref_store: ref.map(_run_one, [(c, s) for c in cs], chunksize=1)
            )
            walls["plain_2"].append(wall)
            for kind, kw in (("local_2", {"n_workers": 2}), ("dask_2", {"executor": "dask"})):
                if kind not in walls:
                    continue
                wall, res = timed(lambda kw=kw: _search(cfg, n, store(), **kw))
                walls[kind].append(wall)
                completed[kind] = int((res.trials_frame()["state"] == "COMPLETE").sum())
                here[kind].append(
                    sum(t.user_attrs["ow"]["pid"] == os.getpid() for t in res.study.trials)
                )
            with worker_pool(2) as pool:
                pool.warm()
                wall, _ = timed(lambda: _search(cfg, n, store(), n_workers=2))
            walls["local_2_warm"].append(wall)
            if r < args.fresh_repeats:  # in the same round: the same load
                for kind in first:
                    first[kind].append(_fresh(kind, cfg, n, store()))
                    log(f"fresh {r} {kind}: {first[kind][-1]}")
            log(f"round {r}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in walls.items() if v))
    best = {k: min(v) for k, v in walls.items() if v}
    best_first = {k: min(d["wall"] for d in v) for k, v in first.items() if v}
    out: dict = {
        "date": time.strftime("%Y-%m-%d"),
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
        "wall_local_2_warm_s": best["local_2_warm"],
        "plain_parallel_2_s": best["plain_2"],
        "speedup_plain_2": best["plain"] / best["plain_2"],
        "speedup_local_2": best["one"] / best["local_2"],
        "speedup_local_2_warm": best["one"] / best["local_2_warm"],
        "first_1_s": best_first["one"],
        "first_local_2_s": best_first["local_2"],
        "speedup_local_2_first": best_first["one"] / best_first["local_2"],
        "trials_here_local_2": here["local_2"],
        "overhead_per_trial_ms": 1000 * (best["one"] - best["plain"]) / n,
        "overhead_pct": 100 * (best["one"] - best["plain"]) / best["plain"],
        # the same ratios round by round (each from neighbouring measurements): on a
        # shared machine the spread says how much the load moved
        "speedup_local_2_rounds": [a / b for a, b in zip(walls["one"], walls["local_2"])],
        "speedup_local_2_first_rounds": [
            a["wall"] / b["wall"] for a, b in zip(first["one"], first["local_2"])
        ],
        "speedup_plain_2_rounds": [a / b for a, b in zip(walls["plain"], walls["plain_2"])],
        "completed": completed,
        "walls_s": walls,
        "first_runs": first,
    }
    if "dask_2" in best:
        out.update(
            {
                "wall_dask_2_s": best["dask_2"],
                "speedup_dask_2": best["one"] / best["dask_2"],
                "first_dask_2_s": best_first["dask_2"],
                "speedup_dask_2_first": best_first["one"] / best_first["dask_2"],
                "trials_here_dask_2": here["dask_2"],
                "speedup_dask_2_rounds": [a / b for a, b in zip(walls["one"], walls["dask_2"])],
                "speedup_dask_2_first_rounds": [
                    a["wall"] / b["wall"] for a, b in zip(first["one"], first["dask_2"])
                ],
            }
        )
    out["targets_met"] = bool(
        min(out["speedup_local_2"], out["speedup_local_2_first"]) >= 1.5
        and min(out.get("speedup_dask_2", 99), out.get("speedup_dask_2_first", 99)) >= 1.4
        and out["overhead_pct"] <= 5.0
    )
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>24}: {v:.3f}" if isinstance(v, float) else f"{k:>24}: {v}")
    return out


if __name__ == "__main__":  # the guard Dask's nanny and the workers' start need
    main()
