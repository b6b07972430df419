"""RunStore: every run, on disk, in a folder that survives restarts.

A store is a folder: ``runs/<run_id>.json`` holds a run's ``to_dict()`` (history
included) and ``weights/<run_id>.pt`` the trained model's state dict (before any
compression, so a later run can use it as a teacher or a transfer source). Each file
is written with :func:`optwidgets.core.io.atomic_write`, so several processes (a
notebook, a search's workers) can write to one store at once without locks and a
reader never sees half a run.

Example
-------
>>> import tempfile
>>> store = RunStore(tempfile.mkdtemp())
>>> len(store), store.to_frame().empty
(0, True)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.core.io import atomic_write
from optwidgets.data import data_home
from optwidgets.runs.prepare import build_model_for
from optwidgets.runs.result import MEASURE_KEYS, METRIC_KEYS, RunResult

__all__ = ["RunStore", "default_store", "as_store"]


def _row(d: dict[str, Any]) -> dict[str, Any]:
    """One flat row of a saved run for to_frame (history left out)."""
    row: dict[str, Any] = {"run_id": d["run_id"], "status": d.get("status"),
                           "finished_at": d.get("finished_at"), "technique": d.get("technique"),
                           "device": d.get("device"), "error": d.get("error"),
                           "teacher_run_id": d.get("teacher_run_id")}
    for k, v in (d.get("config") or {}).items():
        if isinstance(v, list):
            v = ",".join(str(x) for x in v)
        elif isinstance(v, dict):
            v = json.dumps(v, sort_keys=True)
        row[k] = v
    metrics = d.get("metrics") or {}
    for k in METRIC_KEYS:
        row[k] = metrics.get(k)
    for k in (*MEASURE_KEYS, "train_seconds"):
        row[k] = d.get(k)
    for k, v in (d.get("extras") or {}).items():
        # the traceback stays in the JSON: the status and error columns say what happened
        if (isinstance(v, (int, float, str)) or v is None) and k != "traceback":
            row[k] = v
    for k, v in (d.get("before") or {}).items():
        if isinstance(v, (int, float)) or v is None:
            row[f"before_{k}"] = v
    return row


class RunStore:
    """Every finished run, one JSON file each, in a folder that survives restarts.

    Example
    -------
    >>> import tempfile
    >>> from optwidgets.runs import RunStore
    >>> RunStore(tempfile.mkdtemp()).run_ids()
    []
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        self.runs_dir = self.path / "runs"
        self.weights_dir = self.path / "weights"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    def __len__(self) -> int:
        return len(self.run_ids())

    def save(self, result: RunResult, weights: dict | None = None) -> Path:
        """Write a run (and optionally its trained weights); returns the JSON path."""
        if weights is not None:
            buf = io.BytesIO()
            torch.save(weights, buf)
            atomic_write(self.weights_dir / f"{result.run_id}.pt", buf.getvalue())
        target = self.runs_dir / f"{result.run_id}.json"
        atomic_write(target, json.dumps(result.to_dict()).encode())
        return target

    def run_ids(self) -> list[str]:
        """Ids of the stored runs, oldest first (ids start with their start time)."""
        return sorted(p.stem for p in self.runs_dir.glob("*.json") if not p.name.startswith("."))

    def _load_dict(self, run_id: str) -> dict[str, Any]:
        p = self.runs_dir / f"{run_id}.json"
        try:
            mtime = p.stat().st_mtime
        except FileNotFoundError:
            raise unknown_name("run_id", run_id, self.run_ids()) from None
        with self._lock:
            hit = self._cache.get(run_id)
            if hit and hit[0] == mtime:
                return hit[1]
        d = json.loads(p.read_text())
        with self._lock:
            self._cache[run_id] = (mtime, d)
        return d

    def load(self, run_id: str) -> RunResult:
        """The stored RunResult (without its model)."""
        return RunResult.from_dict(self._load_dict(run_id))

    def history(self, run_id: str) -> pd.DataFrame:
        """The run's history frame (step, epoch, phase, split, metric, value)."""
        return self.load(run_id).history

    def weights_path(self, run_id: str) -> Path | None:
        p = self.weights_dir / f"{run_id}.pt"
        return p if p.exists() else None

    def load_model(self, run_id: str, map_location: str = "cpu"):
        """Rebuild the run's trained model (before compression) from its config and weights."""
        p = self.weights_path(run_id)
        if p is None:
            raise ConfigError("run_id", run_id, "a run saved with its weights",
                              f"no weights file in {self.weights_dir}")
        result = self.load(run_id)
        if result.input_shape and result.num_classes:  # recorded since 0.2: no dataset needed
            model = build_model_for(result.config, tuple(result.input_shape), result.num_classes)
        else:  # a store file from before: the dataset tells the shapes
            model = build_model_for(result.config)
        model.load_state_dict(torch.load(p, map_location=map_location, weights_only=True))
        return model

    def to_frame(self) -> pd.DataFrame:
        """One row per stored run: config columns, metrics and measures."""
        rows = []
        for rid in self.run_ids():
            try:
                rows.append(_row(self._load_dict(rid)))
            except (json.JSONDecodeError, KeyError, OSError):
                continue  # a file another process is replacing right now; next call sees it
        return pd.DataFrame(rows)

    def delete(self, run_id: str) -> None:
        for p in (self.runs_dir / f"{run_id}.json", self.weights_dir / f"{run_id}.pt"):
            with contextlib.suppress(OSError):
                p.unlink()
        self._cache.pop(run_id, None)


def default_store() -> RunStore:
    """The store under the data home: ``$OPTWIDGETS_DATA/results``."""
    return RunStore(data_home() / "results")


def as_store(store: RunStore | str | os.PathLike | bool | None) -> RunStore | None:
    """The one reading of a ``store=`` argument, everywhere the kit takes one.

    ``None`` or ``True``: the default store; ``False``: none (the run is not saved); a
    RunStore: itself; a folder path: a store there.

    Example
    -------
    >>> as_store(False) is None, as_store(None).path.name
    (True, 'results')
    """
    if store is None or store is True:
        return default_store()
    if store is False:
        return None
    if isinstance(store, RunStore):
        return store
    if isinstance(store, (str, os.PathLike)):
        return RunStore(store)
    raise ConfigError("store", store, "a RunStore, a folder path, True / None (the default "
                      "store) or False (do not save)")
