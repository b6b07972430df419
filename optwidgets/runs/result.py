"""RunResult: what one run measured, as plain data that round-trips through JSON.

Example
-------
>>> from optwidgets.config import RunConfig
>>> r = RunResult(run_id="20260101-000000-abcdef", config=RunConfig(dataset="moons", model="mlp"))
>>> RunResult.from_dict(r.to_dict()).config == r.config
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optwidgets.config import RunConfig
from optwidgets.core.io import json_safe

__all__ = ["RunResult", "STATUSES", "METRIC_KEYS", "MEASURE_KEYS", "HISTORY_COLUMNS"]

STATUSES = ("done", "stopped", "diverged", "failed")
METRIC_KEYS = ("test_acc", "precision", "recall", "f1", "train_loss", "val_loss")
MEASURE_KEYS = ("size_bytes", "params", "nonzero_params", "latency_ms", "latency_ms_b256")
HISTORY_COLUMNS = ["step", "epoch", "phase", "split", "metric", "value"]


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
    input_shape: list[int] = field(default_factory=list)  # one sample's shape, batch excluded
    num_classes: int | None = None
    model_class: str = ""  # import path of the deployed model's class
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
        return json_safe({
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
            "input_shape": self.input_shape,
            "num_classes": self.num_classes,
            "model_class": self.model_class,
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
                "class_names", "input_shape", "num_classes", "model_class"}
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
