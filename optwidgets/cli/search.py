"""``optwidgets search``: an Optuna search from the command line.

Example
-------
``optwidgets search --dataset digits --model mlp --epochs 2 --method bayes --n-trials 12
--space lr=log:1e-4:1e-1 --space optimizer=choice:adam,sgd --objectives val_acc,size_bytes
--storage sweep.log --n-workers 2 --json`` prints one JSON object:
``{"study": ..., "method": ..., "objectives": [...], "trials": [...], "best": ...}``
(``best`` is one trial, or the Pareto-optimal list for several objectives). Progress
goes to stderr; the exit code is 0 when at least one trial completed.

``optwidgets search --model mlp --space architecture --n-trials 12 --json`` searches the
model's shape (depth, units, activation, dropout; width for a cnn) for validation
accuracy and saved size; ``--space architecture --space units=log:8:64`` changes a range.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from optwidgets.cli.flags import (
    add_config_flags,
    add_run_flags,
    config_from_args,
    loggers_from_args,
)
from optwidgets.tune import EXECUTORS, METHODS, OBJECTIVES, PRESETS, SAMPLERS, search

__all__ = ["add_search_parser"]


def add_search_parser(subparsers: Any) -> Any:
    """Add the ``search`` command to ``optwidgets``' subparsers."""

    p = subparsers.add_parser(
        "search",
        help="search RunConfig fields with Optuna (grid, random, bayes, evolution)",
        description="Every flag of 'optwidgets run' sets the base config; --space says "
        "which fields to search.",
    )
    add_config_flags(p)
    g = p.add_argument_group("search")
    g.add_argument("--method", default="bayes", help="one of " + ", ".join(METHODS))
    g.add_argument("--n-trials", dest="n_trials", default=None, help="trials to run")
    g.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="FIELD=SPEC",
        help="a searched field, repeatable: lr=log:1e-4:1e-1, epochs=int:1:5, "
        "prune_ratio=float:0:0.9, optimizer=choice:adam,sgd; or a preset: "
        + ", ".join(PRESETS)
        + " (depth, units, activation, dropout or width: what --model takes), "
        "which later --space items extend or override",
    )
    g.add_argument(
        "--objectives",
        default=None,
        help="comma-separated, from " + ", ".join(OBJECTIVES) + " (default: val_acc, "
        "chosen on validation data; val_acc,size_bytes with --space architecture)",
    )
    g.add_argument("--timeout", type=float, default=None, help="seconds; no new trial after")
    g.add_argument("--storage", default=None, help="journal file path or database URL")
    g.add_argument("--study-name", dest="study_name", default=None)
    g.add_argument("--n-workers", dest="n_workers", default=None, help="trials at once")
    g.add_argument("--executor", default="local", help="one of " + ", ".join(EXECUTORS))
    g.add_argument("--dask-address", dest="dask_address", default=None)
    g.add_argument(
        "--search-seed",
        dest="search_seed",
        type=int,
        default=0,
        help="seed of the sampler (--seed seeds each run)",
    )
    g.add_argument("--sampler", default=None, help="override: " + ", ".join(SAMPLERS))
    g.add_argument(
        "--no-prune", dest="prune", action="store_false", help="do not prune weak trials"
    )
    add_run_flags(p)
    p.set_defaults(func=_cmd_search)
    return p


def _progress(study: Any, trial: Any) -> None:
    info = trial.user_attrs.get("ow") or {}
    vals = "" if trial.values is None else " ".join(f"{v:.4g}" for v in trial.values)
    params = " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
    )
    err = f" ({info.get('error')})" if trial.state.name == "FAIL" and info.get("error") else ""
    print(
        f"trial {trial.number:>3} {trial.state.name:<8} {vals:<20} {params}{err}",
        file=sys.stderr,
        flush=True,
    )


def _cmd_search(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    store: Any = False if args.no_store else (args.store or None)
    result = search(
        cfg,
        space=args.space,
        method=args.method,
        n_trials=args.n_trials,
        objectives=args.objectives,
        timeout=args.timeout,
        n_workers=args.n_workers,
        storage=args.storage,
        study_name=args.study_name,
        executor=args.executor,
        dask_address=args.dask_address,
        seed=args.search_seed,
        pruner=args.prune,
        sampler=args.sampler,
        store=store,
        callbacks=[] if args.quiet else [_progress],
        run_callbacks=loggers_from_args(args),
    )
    frame = result.trials_frame()
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict()) + "\n")
    else:
        cols = [
            "number",
            "state",
            *result.value_columns(),
            *[f"params_{p.name}" for p in result.params],
            "duration",
        ]
        print(frame[cols].to_string(index=False))
        best = result.best
        for b in best if isinstance(best, list) else [best] if best else []:
            print(f"best: trial {b.number} {b.values} {b.params}")
    return 0 if (frame["state"] == "COMPLETE").any() else 1
