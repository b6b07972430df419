"""``run(config) -> RunResult``, read top to bottom as its phases.

    prepare  -> train -> compress (distill, low rank, prune + fine-tune, quantize)
             -> measure -> store

Each phase is one function below, announced to callbacks as a ``phase`` event where it
trains or changes the model. Settings are checked in :func:`prepare`, before anything
starts; once a run has started, an error inside it ends the run as ``failed`` (with the
message) instead of raising, so a dashboard or a search never loses earlier runs. Every
run is written to the RunStore as it finishes, before ``run_end`` is sent.

Example
-------
>>> import optwidgets as ow
>>> res = ow.run(ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2),
...              store=False)
>>> res.status, res.metrics["test_acc"] > 0.5
('done', True)
"""

from __future__ import annotations

import datetime as _dt
import inspect
import os
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
from torch import nn

from optwidgets.compress.distill import check_student_size, distillation_objective
from optwidgets.compress.pipeline import compress as compress_model
from optwidgets.compress.pipeline import preflight as compression_preflight
from optwidgets.compress.pipeline import technique_label
from optwidgets.config import RunConfig
from optwidgets.core.devices import resolve_device
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.data import Dataset, augment_batch, register_dataset_object
from optwidgets.models.ensemble import Ensemble
from optwidgets.runs.ensemble import (
    build_members,
    compress_members,
    encode_deployed,
    measure_deployed,
    train_members,
)
from optwidgets.runs.prepare import build_model_for, new_run_id, prepare_data, seed_everything
from optwidgets.runs.result import HISTORY_COLUMNS, MEASURE_KEYS, REGRESSION_KEYS, RunResult
from optwidgets.runs.store import RunStore, as_store, default_store
from optwidgets.runs.transfer import prepare_transfer
from optwidgets.train.callbacks import Callback, CallbackList, RunState, StopRun
from optwidgets.train.gradients import GradientRecorder
from optwidgets.train.metrics import classification_metrics, regression_metrics
from optwidgets.train.optim import warm_up
from optwidgets.train.trainer import LossFn, RunDiverged, Trainer, evaluate

__all__ = ["run", "prepare", "train", "compress", "measure", "Job", "RUN_ARGUMENTS"]

# keyword arguments of run() besides RunConfig fields (for "did you mean" on a typo)
RUN_ARGUMENTS = ("config", "callbacks", "data", "target", "test_data", "model", "store",
                 "cancel", "run_id")
CALIBRATION_SAMPLES = 512  # training inputs that set static int8 activation ranges


def run(config: RunConfig | None = None, *, callbacks: Sequence[Callback] | None = None,
        data: Any = None, target: str | None = None, test_data: Any = None,
        model: nn.Module | str | None = None,
        store: RunStore | str | os.PathLike | bool | None = None,
        cancel: threading.Event | None = None,
        run_id: str | None = None, **overrides: Any) -> RunResult:
    """Train, compress and measure one configuration.

    Parameters
    ----------
    config : RunConfig, optional
        The settings; keyword ``overrides`` change fields of it (or of the default).
    callbacks : list of Callback
        Receive run_start, phase, batch_end, epoch_end and run_end.
    data : optional
        Your own data instead of ``config.dataset``, in any usual form: ``(X, y)``, a
        DataFrame or CSV path (with ``target``), a torch Dataset or DataLoader, or an
        ``ow.data`` Dataset. It is registered under its name (``"arrays"``,
        ``"dataframe"``, the CSV file's stem, ...), which the run's config records.
    target : str, optional
        The label column of a DataFrame or CSV file.
    test_data : optional
        A separate test set in the same form as ``data``.
    model : nn.Module or str, optional
        Your own untrained model instead of ``config.model`` (trained in place); a
        string is a zoo name and sets ``config.model``.
    store : RunStore, path, False or None
        Where the finished run is written; None = the default store, False = nowhere.
    cancel : threading.Event, optional
        Set it from another thread to stop the run within one batch.

    Returns
    -------
    RunResult
        ``status`` is done, stopped, diverged or failed; a failed run carries ``error``.

    Example
    -------
    >>> import optwidgets as ow
    >>> ow.run(dataset="xor", model="mlp", epochs=1, store=False).status
    'done'
    """
    if isinstance(model, str):  # ow.run(model="mlp") names a zoo model, not a module
        overrides["model"], model = model, None
    for key in overrides:
        if key not in RunConfig.field_names():
            raise unknown_name("run() argument", key, (*RunConfig.field_names(), *RUN_ARGUMENTS))
    if data is not None:  # the config names the data it ran on, not the default "digits"
        task = overrides.get("task", config.task if config is not None else "auto")
        overrides["dataset"] = register_dataset_object(data, target=target, test=test_data,
                                                       unique=False, task=task)
    elif target is not None or test_data is not None:
        raise ConfigError("target" if target is not None else "test_data",
                          target if target is not None else type(test_data).__name__,
                          "nothing without data= (it belongs to your own data)")
    cfg = (config or RunConfig()).replace(**overrides) if overrides else (config or RunConfig())
    job = prepare(cfg, model=model, store=store, callbacks=callbacks,
                  cancel=cancel, run_id=run_id)
    if job.store is not None:
        job.store.start(job.result)  # a record from the start: "interrupted" if we die
    try:
        job.callbacks.run_start(job.state)
        train(job)
        compress(job)
        status = "done"
    except StopRun:
        status = "stopped"
        if job.weights is None:  # stopped while training: keep the weights it reached
            job.weights = _cpu_state(job.model)
    except RunDiverged as exc:
        status, job.result.error = "diverged", str(exc)
    except Exception as exc:  # a run that breaks is recorded, not raised (see module doc)
        status, job.result.error = "failed", f"{type(exc).__name__}: {exc}"
        job.result.extras["traceback"] = traceback.format_exc(limit=8)
    artefact = measure(job, status)
    if job.store is not None:  # persist before anything else can fail
        job.store.save(job.result, weights=job.weights, artefact=artefact)
    job.callbacks.run_end(job.state, job.result)
    return job.result


@dataclass
class Job:
    """What the phases of one run share (built by :func:`prepare`)."""

    cfg: RunConfig
    device: torch.device
    data: Dataset  # prepared, on ``device``
    model: nn.Module  # the model being trained or compressed; the deployed one at the end
    state: RunState
    result: RunResult
    callbacks: CallbackList
    store: RunStore | None
    teacher: nn.Module | None = None  # a stored teacher (then this run trains no model)
    param_groups: list[dict] | None = None  # transfer learning's optimizer groups
    member_param_groups: list[list[dict] | None] | None = None  # an ensemble's, per member
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None
    weights: dict[str, torch.Tensor] | None = None  # trained, before compression
    gradients: GradientRecorder | None = None  # per-layer gradient health (cfg.grad_every)
    clock: _Stopwatch = field(default_factory=lambda: _Stopwatch())

    def fit(self, model: nn.Module, epochs: int, phase: str, *, loss_fn: LossFn | None = None,
            param_groups: list[dict] | None = None, augment: bool = True) -> nn.Module:
        """Train ``model`` for ``epochs`` with the run's settings, on the training clock."""
        self.callbacks.phase(self.state, phase)
        with self.clock:
            Trainer(model, self.data, self.cfg, run=self.state, callbacks=self.callbacks,
                    device=self.device, loss_fn=loss_fn, param_groups=param_groups,
                    augment=self.augment if augment else None,
                    gradients=self.gradients).fit(epochs, phase=phase)
        return model


# ---------------------------------------------------------------------------------------
# prepare: check everything, load data and model; nothing trains yet

def prepare(cfg: RunConfig, *, data: Any = None, model: nn.Module | None = None,
            store: RunStore | str | os.PathLike | bool | None = None,
            callbacks: Sequence[Callback] | None = None,
            cancel: threading.Event | None = None, run_id: str | None = None) -> Job:
    """Validate ``cfg`` against itself and the device, load data, teacher and model.

    Raises ConfigError for anything that would stop the run, before anything starts.
    """
    cfg.validate().check_settings_apply()
    if cancel is not None and not callable(getattr(cancel, "is_set", None)):
        raise ConfigError("cancel", cancel, "a threading.Event (set it to stop the run)")
    device = resolve_device(cfg.device)
    cfg.check_device(device.type)
    run_store = as_store(store)
    callback_list = CallbackList(callbacks)

    seed_everything(cfg.seed)
    prepared = prepare_data(cfg, data)
    n_train = len(prepared.y_train)
    if cfg.batch_size > n_train:  # one short step per epoch: nothing would be learnt
        raise ConfigError("batch_size", cfg.batch_size,
                          f"at most {n_train}, the samples in the training split")
    teacher = None
    if cfg.distilling and cfg.distill_teacher:
        teacher = (run_store or default_store()).load_model(cfg.distill_teacher)
    custom = model is not None
    member_groups = None
    if custom and cfg.ensembling:
        raise ConfigError("ensemble", cfg.ensemble, "1 with a model of your own (model=...)",
                          "an ensemble builds its members from the zoo model config.model")
    if cfg.ensembling:  # k zoo models, member i seeded cfg.seed + i (runs/ensemble.py)
        model, member_groups = build_members(
            cfg, prepared.input_shape, prepared.num_classes,
            prepare=lambda m, c: prepare_transfer(m, c, data=prepared, store=run_store))
        param_groups = None
    else:
        if model is None:
            model = build_model_for(cfg, prepared.input_shape, prepared.num_classes)
        model, param_groups = prepare_transfer(model, cfg, data=prepared, store=run_store)
    deployed = build_model_for(cfg, prepared.input_shape, prepared.num_classes,
                               name=cfg.distill_student) if cfg.distilling else model
    if cfg.compressing:  # refuse a compression this model cannot take before training it
        compression_preflight(deployed.members[0] if isinstance(deployed, Ensemble)
                              else deployed, cfg, example_input=prepared.X_train[:1],
                              device=device)
    warm_up()  # one-time imports are paid here, not on the training clock

    rid = run_id or new_run_id()
    state = RunState(cfg, rid, cancel=cancel or threading.Event())
    state.model = model
    result = RunResult(run_id=rid, config=cfg, device=str(device),
                       class_names=list(prepared.class_names),
                       input_shape=list(prepared.input_shape),
                       num_classes=int(prepared.num_classes),
                       model_class=_class_path(deployed),
                       model_args=constructor_args(deployed) if custom and not cfg.distilling
                       else {},
                       custom_model=custom and not cfg.distilling,
                       task=prepared.task,
                       started_at=_dt.datetime.now().isoformat(timespec="seconds"),
                       technique=technique_label(cfg))
    return Job(cfg=cfg, device=device, data=prepared.to(device), model=model.to(device),
               state=state, result=result, callbacks=callback_list, store=run_store,
               teacher=None if teacher is None else teacher.to(device),
               param_groups=param_groups, member_param_groups=member_groups,
               augment=_augmenter(cfg, device),
               gradients=GradientRecorder(cfg.grad_every, run_id=rid) if cfg.grad_every
               else None)


def _class_path(model: nn.Module) -> str:
    return f"{type(model).__module__}.{type(model).__qualname__}"


def constructor_args(model: nn.Module) -> dict[str, Any]:
    """The model's constructor arguments where they can be known: each ``__init__``
    parameter that the object keeps as an attribute of the same name with a plain value
    (the scikit-learn convention). ``RunStore.load_model`` rebuilds the class with them.

    Example
    -------
    >>> import torch.nn as nn
    >>> constructor_args(nn.Linear(3, 2))
    {'in_features': 3, 'out_features': 2}
    """
    try:
        params = inspect.signature(type(model).__init__).parameters
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
        return {}
    out: dict[str, Any] = {}
    for name, p in params.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value = getattr(model, name, None)
        if isinstance(value, (bool, int, float, str)) or (
                isinstance(value, (list, tuple)) and all(
                    isinstance(v, (bool, int, float, str)) for v in value)):
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _augmenter(cfg: RunConfig, device: torch.device
               ) -> Callable[[torch.Tensor], torch.Tensor] | None:
    if not cfg.augment:
        return None
    gen = torch.Generator(device=device).manual_seed(cfg.seed + 17)
    spec = dict(cfg.augment)
    return lambda xb: augment_batch(xb, spec, gen)


# ---------------------------------------------------------------------------------------
# train: the model of the config (skipped when a stored teacher is distilled)

def train(job: Job) -> None:
    """Train the run's model for ``cfg.epochs``; keep its weights (before compression)."""
    if job.teacher is not None:
        return  # the teacher was trained by another run; this one trains only the student
    if isinstance(job.model, Ensemble):
        train_members(job)  # each member on its own seed (and bootstrap sample)
    else:
        job.fit(job.model, job.cfg.epochs, "train", param_groups=job.param_groups)
    job.weights = _cpu_state(job.model)


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------------
# compress: distill into a student, then low rank, prune (+ fine-tune), quantize

def compress(job: Job) -> None:
    """Apply the config's compression; the deployed model replaces ``job.model``."""
    cfg = job.cfg
    if cfg.distilling:
        distill(job)
    if not cfg.compressing:
        return
    if not job.result.before:
        job.result.before = _test_and_measure(job.model, job)
    if isinstance(job.model, Ensemble):  # each member compressed as one model would be
        compress_members(job)
        return
    n_cal = min(len(job.data.X_train), CALIBRATION_SAMPLES)
    outcome = compress_model(
        job.model, cfg, example_input=job.data.X_train[:1],
        calibration=job.data.X_train[:n_cal],
        finetune=lambda m, epochs, phase: job.fit(m, epochs, phase, augment=False),
        phase=lambda p: job.callbacks.phase(job.state, p), device=job.device)
    job.model = outcome.model
    job.result.technique = outcome.technique  # e.g. int8-dynamic when FX could not trace
    job.result.extras.update(outcome.extras)


def distill(job: Job) -> None:
    """Train ``cfg.distill_student`` on the teacher's softened outputs."""
    cfg, data = job.cfg, job.data
    teacher = job.teacher if job.teacher is not None else job.model
    job.result.teacher_run_id = cfg.distill_teacher or job.result.run_id
    job.result.before = _test_and_measure(teacher, job)
    torch.manual_seed(cfg.seed)
    student = build_model_for(cfg, data.input_shape, data.num_classes,
                              name=cfg.distill_student).to(job.device)
    check_student_size(student, teacher)
    loss_fn = distillation_objective(teacher, temperature=cfg.distill_temperature,
                                     alpha=cfg.distill_alpha)
    job.model = job.fit(student, cfg.epochs, "distill", loss_fn=loss_fn)


# ---------------------------------------------------------------------------------------
# measure: test metrics and deployment numbers of the deployed model

def measure(job: Job, status: str) -> bytes | list[bytes] | None:
    """Fill ``job.result`` with status, history, test metrics and measurements.

    Returns the deployed model's artefact (the bytes ``size_bytes`` counts; an ensemble's:
    one per member, ``size_bytes`` their sum), or None when the run failed before it had
    a model worth saving.
    """
    result = job.result
    result.status = status
    result.train_seconds = job.clock.seconds
    result.history = pd.DataFrame(job.state.history_rows, columns=HISTORY_COLUMNS)
    if job.gradients is not None:
        result.gradients = job.gradients.frame()
    result.extras.update(job.state.extra)
    result.model = job.model
    artefact = None
    if status != "failed":
        job.callbacks.phase(job.state, "measure")
        try:
            artefact = encode_deployed(job.model)  # an ensemble: one artefact per member
            measured = _test_and_measure(job.model, job)
        except Exception as exc:  # measuring a broken model: keep the run, say why
            artefact = None
            result.status = "failed"
            result.error = f"measuring failed: {type(exc).__name__}: {exc}"
        else:
            result.confusion = measured.pop("confusion", None) or []
            for key in MEASURE_KEYS:
                setattr(result, key, measured.get(key))
            # the size is the saved file's, for every technique
            result.size_bytes, result.size_encoding = artefact.nbytes, artefact.encoding
            result.dense_bytes = artefact.dense_bytes
            keys = ((*REGRESSION_KEYS, "test_loss") if result.task == "regression" else
                    ("test_acc", "precision", "recall", "f1", "test_loss"))
            result.metrics = {k: measured[k] for k in keys}
            result.metrics.update(_final_losses(result.history))
    result.before.pop("confusion", None)
    result.finished_at = _dt.datetime.now().isoformat(timespec="seconds")
    return None if artefact is None else artefact.payload


def _test_and_measure(model: nn.Module, job: Job) -> dict[str, Any]:
    data = job.data
    test_loss, _, pred = evaluate(model, data.X_test, data.y_test, loss=job.cfg.loss)
    if data.task == "regression":  # R², and RMSE / MAE back in target units
        std = data.target_scale[1]
        out = regression_metrics(pred, data.y_test, scale=std)
        _, _, val_pred = evaluate(model, data.X_val, data.y_val, loss=job.cfg.loss)
        out.update(regression_metrics(val_pred, data.y_val, prefix="val_", scale=std))
    else:
        out = classification_metrics(pred, data.y_test, data.num_classes)
    out["test_loss"] = test_loss
    out.update(measure_deployed(model, data.input_shape, device=job.device))
    return out


def _final_losses(history: pd.DataFrame) -> dict[str, float]:
    """``train_loss``: mean step loss of the last epoch; ``val_loss``: the last one logged."""
    out: dict[str, float] = {}
    train = history[(history["split"] == "train") & (history["metric"] == "loss")]
    if len(train):
        out["train_loss"] = float(train[train["epoch"] == train["epoch"].iloc[-1]]["value"].mean())
    val = history[(history["split"] == "val") & (history["metric"] == "loss")]
    if len(val):
        out["val_loss"] = float(val["value"].iloc[-1])
    return out


class _Stopwatch:
    """Adds up the time spent inside ``with`` blocks, also when they raise.

    ``train_seconds`` is this clock: the optimizer steps, per-epoch validation and
    fine-tuning of every phase, and nothing else (not data loading, model building,
    one-time imports, compression or measuring).
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> _Stopwatch:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds += time.perf_counter() - self._t0
