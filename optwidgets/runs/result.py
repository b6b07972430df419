"""RunResult: what one run measured, as plain data that round-trips through JSON.

Example
-------
>>> from optwidgets.config import RunConfig
>>> r = RunResult(run_id="20260101-000000-abcdef", config=RunConfig(dataset="moons", model="mlp"))
>>> RunResult.from_dict(r.to_dict()).config == r.config
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optwidgets.config import RunConfig
from optwidgets.core.io import json_safe
from optwidgets.train.gradients import GRADIENT_COLUMNS, empty_gradients

__all__ = ["RunResult", "STATUSES", "METRIC_KEYS", "REGRESSION_KEYS", "MEASURE_KEYS",
           "HISTORY_COLUMNS"]

# a run's record says "running" from its start; "interrupted" is how a later read shows a
# running record whose process died
STATUSES = ("done", "stopped", "diverged", "failed", "running", "interrupted")
METRIC_KEYS = ("test_acc", "precision", "recall", "f1", "train_loss", "val_loss")
# a regression run's metrics instead of accuracy & co. (RMSE and MAE in target units)
REGRESSION_KEYS = ("test_r2", "test_rmse", "test_mae", "val_r2", "val_rmse", "val_mae")
# measured numbers of the deployed model (size_bytes: bytes of its saved artefact;
# dense_bytes: the same model saved dense fp32; latencies: median and IQR, milliseconds)
MEASURE_KEYS = ("size_bytes", "dense_bytes", "params", "nonzero_params", "latency_ms",
                "latency_iqr_ms", "latency_ms_b256", "latency_iqr_ms_b256")
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
        ``train_loss`` (last epoch's mean), ``val_loss``. A regression run (``task``) has
        ``test_r2``, ``test_rmse``, ``test_mae`` and ``val_r2``, ``val_rmse``, ``val_mae``
        instead of accuracy and F1 (RMSE and MAE in target units; losses on the
        standardized target).
    task : "classification" | "regression"
        What the run fitted (``config.task``, or with ``"auto"`` its dataset's).
    before : dict
        The same metrics and measures of the model before compression (empty when no
        compression ran).
    size_bytes, size_encoding, dense_bytes
        Bytes of the deployed model's saved artefact, the encoding of that file
        (``dense-fp32``, ``csr``, ``packed-4bit``, ``int8``, ...), and the bytes of the
        same model saved dense in fp32.
    latency_ms, latency_iqr_ms, latency_ms_b256, latency_iqr_ms_b256
        Median and interquartile range of one forward pass, batch 1 and batch 256.
    extras : dict
        Other numbers; a size that is computed rather than saved says so in its key.
    gradients : DataFrame
        Gradient health every ``config.grad_every`` steps, one row per (step, layer):
        ``step, epoch, phase, layer, grad_norm, update_ratio`` (layer: module path and
        type, e.g. ``"1 (Linear)"``; see :mod:`optwidgets.train.gradients`). Empty when
        ``grad_every`` is 0. Saved with the run and reloaded by the RunStore.
    """

    run_id: str
    config: RunConfig
    status: str = "done"
    metrics: dict[str, float | None] = field(default_factory=dict)
    size_bytes: int | None = None
    size_encoding: str = ""
    dense_bytes: int | None = None
    params: int | None = None
    nonzero_params: int | None = None
    latency_ms: float | None = None
    latency_iqr_ms: float | None = None
    latency_ms_b256: float | None = None
    latency_iqr_ms_b256: float | None = None
    train_seconds: float = 0.0
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORY_COLUMNS))
    gradients: pd.DataFrame = field(default_factory=empty_gradients)
    confusion: list[list[int]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    input_shape: list[int] = field(default_factory=list)  # one sample's shape, batch excluded
    num_classes: int | None = None
    model_class: str = ""  # import path of the deployed model's class
    model_args: dict[str, Any] = field(default_factory=dict)  # its constructor's, where known
    custom_model: bool = False  # a model the user passed, not one of the zoo's
    technique: str = "baseline"
    task: str = "classification"
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
            "config": self.config.to_dict(),
            **{k: getattr(self, k) for k in _PLAIN_FIELDS},
            "history": {c: hist[c].tolist() for c in HISTORY_COLUMNS if c in hist},
            "gradients": {c: self.gradients[c].tolist() for c in GRADIENT_COLUMNS
                          if c in self.gradients},
        })

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        """Rebuild a result saved with :meth:`to_dict` (without the model)."""
        hist = pd.DataFrame(d.get("history") or {c: [] for c in HISTORY_COLUMNS})
        if "value" in hist:
            hist["value"] = hist["value"].astype(float)
        kwargs = {k: d[k] for k in _PLAIN_FIELDS if d.get(k) is not None}
        return cls(run_id=d["run_id"], config=RunConfig.from_stored(d["config"]), history=hist,
                   gradients=_gradients_frame(d.get("gradients")), **kwargs)

    def summary(self) -> str:
        """A few readable lines for a terminal."""
        m = self.metrics
        acc = m.get("test_acc")
        lines = [f"run {self.run_id}: {self.status}" + (f" ({self.error})" if self.error else ""),
                 f"  {self.config.dataset} / {self.config.model} / {self.technique} on {self.device}"]
        if m.get("test_r2") is not None:
            lines.append(f"  test R² {m['test_r2']:.4f}   RMSE {m['test_rmse']:.4g}   "
                         f"MAE {m['test_mae']:.4g}")
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


def _gradients_frame(columns: dict[str, list] | None) -> pd.DataFrame:
    """The gradient frame saved by to_dict (None: a run stored before it was recorded)."""
    if not columns or not columns.get("step"):
        return empty_gradients()
    frame = pd.DataFrame({c: columns[c] for c in GRADIENT_COLUMNS if c in columns})
    for c in ("grad_norm", "update_ratio"):  # None (a NaN or inf when saved) -> NaN
        if c in frame:
            frame[c] = frame[c].astype(float)
    return frame


# fields saved as they are (JSON-safe after json_safe): everything but the run id, the
# config (a RunConfig), the frames (history, gradients) and the model (not saved)
_PLAIN_FIELDS = tuple(f.name for f in dataclasses.fields(RunResult)
                      if f.name not in ("run_id", "config", "history", "gradients", "model"))
