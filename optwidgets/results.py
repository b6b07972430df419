"""RunResult (what one run measured) and RunStore (every finished run, on disk).

A store is a folder: ``runs/<run_id>.json`` holds a run's ``to_dict()`` (history
included) and ``weights/<run_id>.pt`` the trained model's state dict (before any
compression, so a later run can use it as a teacher or a transfer source). Each file
is written to a temporary name and renamed into place, which is atomic on POSIX, so
several processes (a notebook, a search's workers) can write to one store at once
without locks and a reader never sees half a run.

Example
-------
>>> import tempfile
>>> store = RunStore(tempfile.mkdtemp())
>>> len(store), store.to_frame().empty
(0, True)
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optwidgets.config import RunConfig

__all__ = ["RunResult", "RunStore", "default_store", "STATUSES", "METRIC_KEYS", "MEASURE_KEYS"]

STATUSES = ("done", "stopped", "diverged", "failed")
METRIC_KEYS = ("test_acc", "precision", "recall", "f1", "train_loss", "val_loss")
MEASURE_KEYS = ("size_bytes", "params", "nonzero_params", "latency_ms", "latency_ms_b256")
HISTORY_COLUMNS = ["step", "epoch", "phase", "split", "metric", "value"]


def _json_safe(value: Any) -> Any:
    """NaN/Inf become None; tuples become lists; nested dicts and lists are walked."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return _json_safe(value.item())
    return value


@dataclass
class RunResult:
    """What a run measured. Every number is measured on the run's device; sizes that are
    computed rather than saved say so in their key (``packed_bytes``, ``sparse_bytes``).

    Attributes
    ----------
    status : "done" | "stopped" | "diverged" | "failed"
    metrics : dict
        ``test_acc``, ``precision``, ``recall``, ``f1`` (macro, held-out test split),
        ``train_loss`` (last epoch's mean), ``val_loss``.
    before : dict
        The same metrics and measures of the model before compression (empty when no
        compression ran).
    extras : dict
        Other measured or computed numbers (``sparse_bytes``, ``packed_bytes``, ...).
    """

    run_id: str
    config: RunConfig
    status: str = "done"
    metrics: dict[str, float | None] = field(default_factory=dict)
    size_bytes: int | None = None
    params: int | None = None
    nonzero_params: int | None = None
    latency_ms: float | None = None
    latency_ms_b256: float | None = None
    train_seconds: float = 0.0
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORY_COLUMNS))
    confusion: list[list[int]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    technique: str = "baseline"
    before: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    teacher_run_id: str | None = None
    device: str = "cpu"
    error: str | None = None
    started_at: str = ""
    finished_at: str = ""
    model: Any = field(default=None, repr=False, compare=False)  # the final nn.Module (not saved)

    @property
    def test_acc(self) -> float | None:
        return self.metrics.get("test_acc")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``RunConfig.from_dict(d["config"])`` rebuilds the config."""
        hist = self.history
        return _json_safe({
            "run_id": self.run_id,
            "status": self.status,
            "config": self.config.to_dict(),
            "metrics": dict(self.metrics),
            "size_bytes": self.size_bytes,
            "params": self.params,
            "nonzero_params": self.nonzero_params,
            "latency_ms": self.latency_ms,
            "latency_ms_b256": self.latency_ms_b256,
            "train_seconds": self.train_seconds,
            "technique": self.technique,
            "before": self.before,
            "extras": self.extras,
            "teacher_run_id": self.teacher_run_id,
            "device": self.device,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "confusion": self.confusion,
            "class_names": self.class_names,
            "history": {c: hist[c].tolist() for c in HISTORY_COLUMNS if c in hist},
        })

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        """Rebuild a result saved with :meth:`to_dict` (without the model)."""
        hist = pd.DataFrame(d.get("history") or {c: [] for c in HISTORY_COLUMNS})
        if "value" in hist:
            hist["value"] = hist["value"].astype(float)
        keys = {"status", "metrics", "size_bytes", "params", "nonzero_params", "latency_ms",
                "latency_ms_b256", "train_seconds", "technique", "before", "extras",
                "teacher_run_id", "device", "error", "started_at", "finished_at", "confusion",
                "class_names"}
        kwargs = {k: d[k] for k in keys if k in d and d[k] is not None}
        return cls(run_id=d["run_id"], config=RunConfig.from_dict(d["config"]), history=hist,
                   **kwargs)

    def summary(self) -> str:
        """A few readable lines for a terminal."""
        m = self.metrics
        acc = m.get("test_acc")
        lines = [f"run {self.run_id}: {self.status}" + (f" ({self.error})" if self.error else ""),
                 f"  {self.config.dataset} / {self.config.model} / {self.technique} on {self.device}"]
        if acc is not None:
            lines.append(f"  test accuracy {acc:.4f}   macro F1 {m.get('f1') or 0:.4f}")
        if self.size_bytes is not None:
            lines.append(f"  size {self.size_bytes:,} bytes   params {self.params:,}"
                         f"   non-zero {self.nonzero_params:,}")
        if self.latency_ms is not None:
            lines.append(f"  latency {self.latency_ms:.3f} ms (batch 1), "
                         f"{self.latency_ms_b256:.3f} ms (batch 256)")
        lines.append(f"  trained in {self.train_seconds:.2f} s")
        return "\n".join(lines)


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
    >>> from optwidgets.results import RunStore
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

    def _atomic_write(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)  # atomic: readers see the old file or the whole new one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def save(self, result: RunResult, weights: dict | None = None) -> Path:
        """Write a run (and optionally its trained weights); returns the JSON path."""
        if weights is not None:
            import io

            import torch

            buf = io.BytesIO()
            torch.save(weights, buf)
            self._atomic_write(self.weights_dir / f"{result.run_id}.pt", buf.getvalue())
        target = self.runs_dir / f"{result.run_id}.json"
        self._atomic_write(target, json.dumps(result.to_dict()).encode())
        return target

    def run_ids(self) -> list[str]:
        """Ids of the stored runs, oldest first (ids start with their start time)."""
        return sorted(p.stem for p in self.runs_dir.glob("*.json") if not p.name.startswith("."))

    def _load_dict(self, run_id: str) -> dict[str, Any]:
        p = self.runs_dir / f"{run_id}.json"
        try:
            mtime = p.stat().st_mtime
        except FileNotFoundError:
            from optwidgets.errors import unknown_name

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
        import torch

        from optwidgets.experiment import build_model_for

        p = self.weights_path(run_id)
        if p is None:
            from optwidgets.errors import ConfigError

            raise ConfigError("run_id", run_id, "a run saved with its weights",
                              f"no weights file in {self.weights_dir}")
        result = self.load(run_id)
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
    from optwidgets.data import data_home

    return RunStore(data_home() / "results")
