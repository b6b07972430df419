"""The objective: one Optuna trial = one ``ow.run`` of the base config with sampled fields.

:class:`TrialRunner` is plain data (picklable), so the same object runs a trial in this
process, in a local worker process or on a Dask worker. It

- asks the trial for each searched field and builds the RunConfig (a value RunConfig
  refuses fails the trial, naming the field) with its *effective* settings: a sampled
  value that has no effect with the other settings (``prune_ratio`` when that trial's
  ``prune_method`` is ``"none"``) is put back to its default
  (:meth:`RunConfig.without_unused`), and its name and sampled value are kept in the
  trial's ``inactive_params`` (and the run's ``search_inactive`` extra);
- runs it with ``ow.run`` into the RunStore, the run tagged with ``search_trial`` and
  ``search_study`` in its extras (so it shows on the Explorer's trade-off plot);
- feeds each training epoch's ``val_acc`` to the pruner (one objective) and stops a
  weak run with :class:`~optwidgets.train.callbacks.StopRun`: the trial is PRUNED;
- writes what the run measured into the trial's user attribute ``"ow"`` (its
  ``run_id`` from the start, so a trial whose process dies still names its
  ``interrupted`` run) and returns the objective values. A run that fails (or is
  cancelled: then the trial is ``interrupted``) fails the trial: Optuna records FAIL
  and the search goes on.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.runs import MEASURE_KEYS, METRIC_KEYS, REGRESSION_KEYS, new_run_id, run
from optwidgets.train.callbacks import Callback, StopRun
from optwidgets.tune._space import Param
from optwidgets.tune.architecture import config_changes, field_of

__all__ = [
    "OBJECTIVES",
    "TrialRunner",
    "TrialFailed",
    "parse_objectives",
    "release_grid_point",
    "ATTR",
]

ATTR = "ow"  # the trial user attribute holding the run's id, status, metrics and measures

# objective -> direction; values come from RunResult.metrics, its measures or its extras
OBJECTIVES: dict[str, Literal["minimize", "maximize"]] = {
    "test_acc": "maximize",
    "val_acc": "maximize",
    "test_r2": "maximize",  # regression runs: R², RMSE and MAE (target units)
    "val_r2": "maximize",
    "test_rmse": "minimize",
    "val_rmse": "minimize",
    "test_mae": "minimize",
    "val_mae": "minimize",
    "f1": "maximize",
    "precision": "maximize",
    "recall": "maximize",
    "test_loss": "minimize",
    "val_loss": "minimize",
    "train_loss": "minimize",
    "size_bytes": "minimize",
    "params": "minimize",
    "nonzero_params": "minimize",
    "latency_ms": "minimize",
    "latency_ms_b256": "minimize",
    "train_seconds": "minimize",
}


class TrialFailed(RuntimeError):
    """The trial's run did not finish (failed, diverged without metrics, or cancelled)."""


# objectives only a classification run measures, and what a regression run has instead
CLASSIFICATION_ONLY = {"test_acc": "test_r2", "val_acc": "val_r2", "f1": "test_r2",
                       "precision": "test_r2", "recall": "test_r2"}
REGRESSION_ONLY = ("test_r2", "val_r2", "test_rmse", "val_rmse", "test_mae", "val_mae")


def parse_objectives(objectives: Any, *, regression: bool | None = None) -> tuple[str, ...]:
    """``"test_acc,size_bytes"`` or a sequence -> a checked tuple of objective names.

    With ``regression`` (the base config's task: True / False; None = unchecked), an
    objective the task does not measure is refused: accuracy, F1, precision and recall
    for a regression, R², RMSE and MAE for a classification.

    Example
    -------
    >>> parse_objectives("test_r2,size_bytes", regression=True)
    ('test_r2', 'size_bytes')
    >>> parse_objectives("test_acc", regression=True)
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: objectives='test_acc' is not allowed: expected ...
    """
    if isinstance(objectives, str):
        objectives = [o.strip() for o in objectives.split(",") if o.strip()]
    try:
        names = tuple(objectives)
    except TypeError:
        raise ConfigError("objectives", objectives, "a sequence of objective names") from None
    if not names:
        raise ConfigError("objectives", objectives, "at least one of " + ", ".join(OBJECTIVES))
    for name in names:
        if name not in OBJECTIVES:
            raise unknown_name("objectives", name, OBJECTIVES)
    if len(set(names)) != len(names):
        raise ConfigError("objectives", objectives, "each objective once")
    for name in names:
        if regression and name in CLASSIFICATION_ONLY:
            raise ConfigError("objectives", name, f"an objective a regression run measures, "
                              f"e.g. {CLASSIFICATION_ONLY[name]!r} (maximize R²) or "
                              "'test_rmse' (minimize RMSE)",
                              "the base config fits a continuous target: it has no accuracy")
        if regression is False and name in REGRESSION_ONLY:
            raise ConfigError("objectives", name, "an objective a classification run "
                              "measures, e.g. 'test_acc'", "R², RMSE and MAE are measured "
                              "by regression runs only")
    return names


def last_val_acc(result: Any) -> float | None:
    """Validation accuracy of the run's last epoch (of its last phase that logged one)."""
    h = result.history
    if h is None or not len(h):
        return None
    rows = h[(h["split"] == "val") & (h["metric"] == "acc")]
    return float(rows["value"].iloc[-1]) if len(rows) else None


def objective_value(result: Any, name: str) -> float | None:
    if name == "val_acc":
        return last_val_acc(result)
    if name in result.metrics:
        return result.metrics.get(name)
    if name in (*MEASURE_KEYS, "train_seconds"):
        return getattr(result, name)
    value = result.extras.get(name)
    return value if isinstance(value, (int, float)) else None


def result_attrs(result: Any) -> dict[str, Any]:
    """JSON-safe summary of a run for the trial's user attribute."""
    out: dict[str, Any] = {
        "run_id": result.run_id,
        "status": result.status,
        "technique": result.technique,
        "size_encoding": result.size_encoding,
        "error": result.error,
        "train_seconds": result.train_seconds,
    }
    for k in (*METRIC_KEYS, *REGRESSION_KEYS, "test_loss"):
        out[k] = result.metrics.get(k)
    out["val_acc"] = last_val_acc(result)
    for k in MEASURE_KEYS:
        out[k] = getattr(result, k)
    for k, v in result.extras.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in out:
            out[k] = v
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in out.items()}


def release_grid_point(storage: Any, trial_id: int, system_attrs: dict[str, Any]) -> None:
    """An interrupted trial did not visit its grid point. A GridSampler counts a point
    visited by the ``grid_id`` of a finished trial, so before the trial fails its
    ``grid_id`` is moved to -1 (the point kept as ``interrupted_grid_id``): a resumed
    grid, or Optuna's own GridSampler, runs the point again."""
    gid = system_attrs.get("grid_id")
    if isinstance(gid, int) and gid >= 0:
        storage.set_trial_system_attr(trial_id, "interrupted_grid_id", gid)
        storage.set_trial_system_attr(trial_id, "grid_id", -1)


def _plain(value: Any) -> Any:
    """A config value as JSON keeps it (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


class _Tag(Callback):
    """Puts the trial number, the study name and the sampled fields that had no effect
    (comma-separated) into the run's extras (saved with the run)."""

    def __init__(self, number: int, study: str, inactive: Sequence[str] = ()) -> None:
        self.number, self.study, self.inactive = number, study, tuple(inactive)

    def on_run_start(self, run: Any) -> None:
        run.extra["search_trial"] = self.number
        run.extra["search_study"] = self.study
        if self.inactive:
            run.extra["search_inactive"] = ",".join(self.inactive)


class _Pruning(Callback):
    """Reports each training epoch's val_acc (val_r2 for a regression: higher is better in
    both); stops the run when the pruner says so."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial
        self.pruned_at: int | None = None

    def on_epoch_end(self, run: Any, logs: dict[str, float]) -> None:
        if run.phase not in ("train", "distill"):
            return
        self.trial.report(float(logs["val_acc"] if "val_acc" in logs else logs["val_r2"]),
                          run.epoch)
        if self.trial.should_prune():
            self.pruned_at = run.epoch
            run.extra["pruned_at_epoch"] = run.epoch
            raise StopRun("pruned by the search")


@dataclass
class TrialRunner:
    """Callable objective for ``study.optimize`` (see the module doc).

    ``store`` is a RunStore folder, None for the default store or False for none;
    ``run_callbacks`` are :class:`~optwidgets.Callback` objects given to every run (they
    must pickle when trials run in other processes).
    """

    base: dict[str, Any]
    params: list[Param]
    objectives: tuple[str, ...]
    study_name: str
    store: str | bool | None = None
    prune: bool = False
    run_callbacks: list[Callback] = field(default_factory=list)
    task: str = ""
    cancel: threading.Event | None = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["cancel"] = None  # an Event does not cross processes
        return state

    def config_for(self, values: dict[str, Any]) -> RunConfig:
        """The RunConfig a trial with sampled ``values`` runs (its effective settings)."""
        return self.effective(values)[0]

    def effective(self, values: dict[str, Any]) -> tuple[RunConfig, dict[str, Any]]:
        """``(config, inactive)``: the base with ``values``, every setting without effect
        put back to its default; ``inactive`` maps each sampled field that had no effect
        to its sampled value (e.g. ``{"prune_ratio": 0.4}`` with ``prune_method="none"``).

        Example
        -------
        >>> from optwidgets.tune import parse_space
        >>> space = parse_space({"prune_method": ["none", "neuron"],
        ...                      "prune_ratio": ("float", 0, 0.8)})
        >>> runner = TrialRunner(RunConfig(finetune_epochs=1).to_dict(), space, ("test_acc",), "s")
        >>> cfg, inactive = runner.effective({"prune_method": "none", "prune_ratio": 0.4})
        >>> cfg.prune_ratio, cfg.finetune_epochs, inactive
        (0.0, 0, {'prune_ratio': 0.4})
        """
        base = RunConfig.from_dict(self.base)
        full = base.replace(**config_changes(values, base))  # depth, units -> hidden
        inactive = {
            k: v for k, v in values.items() if full.inactive_reason(field_of(k)) is not None
        }
        return full.without_unused(), inactive

    def __call__(self, trial: Any) -> float | list[float]:
        import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

        run_id = new_run_id()  # known from the start: a trial whose process dies names it
        info: dict[str, Any] = {
            "task": self.task,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": run_id,
        }
        trial.set_user_attr(ATTR, info)
        try:
            values = {p.name: p.suggest(trial) for p in self.params}
            cfg, inactive = self.effective(values)
            if inactive:
                info["inactive_params"] = {k: _plain(v) for k, v in inactive.items()}
                trial.set_user_attr(ATTR, info)
            pruning = _Pruning(trial) if self.prune else None
            cbs = [*self.run_callbacks, _Tag(trial.number, self.study_name, sorted(inactive))]
            if pruning is not None:
                cbs.append(pruning)
            result = run(cfg, callbacks=cbs, store=self.store, cancel=self.cancel, run_id=run_id)
        except Exception as exc:  # ConfigError of a sampled combination, or a broken run
            error = f"{type(exc).__name__}: {exc}"  # (the run did not start: no run_id)
            trial.set_user_attr(ATTR, {**info, "run_id": None, "status": "failed", "error": error})
            raise
        info.update(result_attrs(result))
        if pruning is not None and pruning.pruned_at is not None:
            info["status"] = "pruned"
            trial.set_user_attr(ATTR, info)
            raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_at}")
        if result.status == "stopped":  # cancelled: a resumed grid runs this point again
            info["interrupted"] = True
            storage = trial.study._storage
            release_grid_point(
                storage, trial._trial_id, storage.get_trial_system_attrs(trial._trial_id)
            )
        trial.set_user_attr(ATTR, info)
        if result.status == "failed" or result.status == "stopped":
            raise TrialFailed(result.error or f"the run was {result.status}")
        out = []
        for name in self.objectives:
            v = objective_value(result, name)
            if v is None:
                raise TrialFailed(f"the run measured no {name} (status {result.status})")
            out.append(float(v))
        return out[0] if len(out) == 1 else out
