"""What every study shares: budgets, the device check, seeded runs, and mean ± std tables.

Example
-------
>>> import pandas as pd
>>> rows = pd.DataFrame({"k": ["a", "a", "b"], "acc": [0.8, 0.9, 0.7]})
>>> spread(rows, by=["k"], values=["acc"]).round(4).to_dict("list")
{'k': ['a', 'b'], 'acc_mean': [0.85, 0.7], 'acc_std': [0.0707, 0.0], 'n_seeds': [2, 1]}
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from optwidgets.config import RunConfig
from optwidgets.core.devices import resolve_device
from optwidgets.core.errors import ConfigError
from optwidgets.runs import RunResult, run

__all__ = ["Budget", "BUDGETS", "check_budget", "check_device", "spread", "run_one",
           "val_acc", "threads", "alternated", "frame", "hardware", "CPU_THREADS"]

CPU_THREADS = os.cpu_count() or 1  # "all threads" of the parallelism tables


@dataclass(frozen=True)
class Budget:
    """How much each study runs. ``quick`` keeps all twelve tables within a few minutes
    on two CPU cores (tests, Binder, the lesson); ``full`` gives steadier numbers."""

    name: str
    seeds: tuple[int, ...]  # every variant is run once per seed; the spread is over these
    epochs: int  # epochs of a standard digits run
    width: int  # channels of the first conv layer of cnn / resnet_tiny
    hidden: int  # hidden units of the mlp
    rounds: int  # rounds of paired latency timing (warmed, alternated)
    trials: int  # trials per hyperparameter search
    es_epochs: tuple[int, ...]  # epoch counts of the early-stopping table
    transfer_labels: int  # labelled training images per class of the transfer target
    workload: int  # runs of the fixed workload of the hardware and parallelism tables
    time_epochs: int  # epochs of each run of the timing tables (8, 12)


BUDGETS: dict[str, Budget] = {
    "quick": Budget("quick", seeds=(0, 1, 2), epochs=4, width=8, hidden=64, rounds=3,
                    trials=6, es_epochs=(5, 15, 30), transfer_labels=5, workload=2,
                    time_epochs=1),
    "full": Budget("full", seeds=(0, 1, 2, 3, 4), epochs=8, width=16, hidden=128, rounds=7,
                   trials=12, es_epochs=(10, 30, 60), transfer_labels=5, workload=2,
                   time_epochs=1),
}


def check_budget(budget: str | Budget) -> Budget:
    """The Budget named ``budget``; ConfigError naming field, value and what is allowed.

    Example
    -------
    >>> check_budget("quick").seeds
    (0, 1, 2)
    >>> check_budget("huge")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: budget='huge' is not allowed: expected one of 'quick', 'full'
    """
    if isinstance(budget, Budget):
        return budget
    if not isinstance(budget, str) or budget not in BUDGETS:
        raise ConfigError("budget", budget, "one of " + ", ".join(map(repr, BUDGETS)))
    return BUDGETS[budget]


def check_device(device: str) -> str:
    """``device`` checked as RunConfig checks it and present on this machine; returns the
    resolved name (``"auto"`` becomes ``"cuda"``, ``"mps"`` or ``"cpu"``).

    Example
    -------
    >>> check_device("cpu")
    'cpu'
    """
    name = RunConfig(device=device).device  # refuses an unknown name, naming the choices
    return resolve_device(name).type


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch threads. Studies train on one thread unless threads
    are what they measure: on a CPU shared with other work, multi-threaded kernels wait for
    descheduled threads and times scatter (see ``compress.measure.latency``)."""
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def val_acc(result: RunResult) -> float:
    """The last validation accuracy a run logged (selection is made on it, never on test)."""
    h = result.history
    v = h[(h["split"] == "val") & (h["metric"] == "acc")]["value"]
    return float(v.iloc[-1]) if len(v) else float("nan")


def run_one(cfg: RunConfig, *, n_threads: int = 1, **kwargs: Any) -> RunResult:
    """``ow.run(cfg, store=False)`` on ``n_threads`` torch threads; a failed run raises
    (a study never fills a table with a run that did not happen)."""
    with threads(n_threads):
        res = run(cfg, store=False, **kwargs)
    if res.status == "failed":
        raise RuntimeError(f"a study run failed ({cfg.dataset}/{cfg.model}): {res.error}")
    return res


def alternated(variants: Sequence[Any], seeds: Sequence[int]) -> Iterator[tuple[int, Any]]:
    """``(seed, variant)`` pairs, the variants' order rotated from seed to seed, so a change
    in the machine's load is shared by every variant (timings are alternated, repeated).

    Example
    -------
    >>> list(alternated(["a", "b"], [0, 1]))
    [(0, 'a'), (0, 'b'), (1, 'b'), (1, 'a')]
    """
    items = list(variants)
    for i, seed in enumerate(seeds):
        k = i % len(items)
        for v in items[k:] + items[:k]:
            yield seed, v


def spread(rows: pd.DataFrame, *, by: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Per group of ``by`` (first-seen order): ``<value>_mean`` and ``<value>_std`` (ddof 1,
    0 for one seed) of each value, and ``n_seeds``."""
    keys = list(by)
    g = rows.groupby(keys, sort=False, dropna=False)
    out = g[list(values)].agg(["mean", "std"])
    out.columns = [f"{v}_{stat}" for v, stat in out.columns]
    for v in values:  # one seed: no spread (0); no value at all: no spread either (NaN)
        out[f"{v}_std"] = out[f"{v}_std"].where(out[f"{v}_mean"].isna(),
                                                out[f"{v}_std"].fillna(0.0))
    out["n_seeds"] = g.size()
    return out.reset_index()


def frame(table: pd.DataFrame, budget: Budget, device: str, *, notes: Sequence[str] = (),
          left_out: Sequence[str] = ()) -> pd.DataFrame:
    """``table`` with its provenance in ``attrs``: budget, device, seeds, notes (how it was
    measured) and ``left_out`` (rows not measured here, e.g. GPU rows without a GPU)."""
    table.attrs.update({"budget": budget.name, "device": device, "seeds": list(budget.seeds),
                        "notes": list(notes), "left_out": list(left_out)})
    return table


def hardware() -> dict[str, Any]:
    """Where the numbers were measured: date, CPU, threads, torch, GPU (or none).

    Example
    -------
    >>> sorted(hardware())
    ['cpu', 'cpu_threads', 'date', 'gpu', 'platform', 'python', 'torch']
    """
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cpu_threads": CPU_THREADS,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
