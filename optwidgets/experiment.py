"""``run(config) -> RunResult``: train, then distill, compress, fine-tune and measure.

The order is fixed: train -> distill -> low-rank -> prune (+ fine-tune) -> quantize ->
measure, each phase optional and announced as a ``phase`` event. Settings are checked
before anything starts; once a run has started, an error inside it ends the run as
``failed`` (with the message) instead of raising, so a dashboard or a search never
loses earlier runs. Every finished run is written to the RunStore as it finishes.

Example
-------
>>> import optwidgets as ow
>>> res = ow.run(ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2),
...              store=False)
>>> res.status, res.metrics["test_acc"] > 0.5
('done', True)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import random
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from optwidgets.config import RunConfig
from optwidgets.devices import resolve_device
from optwidgets.errors import ConfigError
from optwidgets.results import HISTORY_COLUMNS, RunResult, RunStore, default_store
from optwidgets.train.callbacks import Callback, CallbackList, RunState, StopRun
from optwidgets.train.metrics import classification_metrics
from optwidgets.train.trainer import RunDiverged, Trainer, evaluate

__all__ = ["run", "prepare_data", "build_model_for", "new_run_id", "seed_everything"]


def new_run_id() -> str:
    """Sortable by start time, unique across processes: ``20261122-194501-1a2b3c``."""
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def prepare_data(cfg: RunConfig, data: Any = None) -> Any:
    """Load the config's dataset (or take ``data``) and apply ``cfg.preprocess`` with
    statistics from the training split only. Returns a Dataset on the CPU."""
    from optwidgets.data import fit_preprocessor, load_dataset

    if data is None:
        data = load_dataset(cfg.dataset, seed=cfg.seed, val_fraction=cfg.val_fraction,
                            test_fraction=cfg.test_fraction, n_samples=cfg.n_samples,
                            noise=cfg.noise, classes=cfg.classes,
                            train_fraction=cfg.train_fraction,
                            labels_per_class=cfg.labels_per_class)
    pre = fit_preprocessor(cfg.preprocess, data.X_train, image=data.kind == "image")
    return dataclasses.replace(data, X_train=pre.transform(data.X_train),
                               X_val=pre.transform(data.X_val), X_test=pre.transform(data.X_test))


def build_model_for(cfg: RunConfig, input_shape: tuple[int, ...] | None = None,
                    num_classes: int | None = None, *, name: str | None = None) -> nn.Module:
    """The config's model (or the zoo model ``name``), seeded with ``cfg.seed``."""
    from optwidgets.models import build_model

    if input_shape is None or num_classes is None:
        d = prepare_data(cfg)
        input_shape, num_classes = d.input_shape, d.num_classes
    torch.manual_seed(cfg.seed)
    return build_model(name or cfg.model, input_shape, num_classes, hidden=cfg.hidden,
                       activation=cfg.activation, width=cfg.width, dropout=cfg.dropout)


def _compressing(cfg: RunConfig) -> bool:
    return (cfg.prune_method != "none" and cfg.prune_ratio > 0) or cfg.quant_mode != "none" \
        or cfg.lowrank_rank > 0


def _preflight(cfg: RunConfig, device: torch.device) -> None:
    """Refuse settings that cannot run on this device before anything starts."""
    if cfg.amp == "fp16" and device.type != "cuda":
        raise ConfigError("amp", cfg.amp, "'none' or 'bf16' on " + device.type,
                          "fp16 mixed precision needs CUDA")
    if cfg.amp != "none" and device.type == "mps":
        raise ConfigError("amp", cfg.amp, "'none' on mps")
    if cfg.quant_mode == "int8" and device.type != "cpu":
        raise ConfigError("quant_mode", "int8", "'simulated', 'fp16' or 'bf16' on " + device.type,
                          "real int8 kernels run on the CPU; set device='cpu'")


def _evaluate_and_measure(model: nn.Module, data: Any, device: torch.device) -> dict[str, Any]:
    from optwidgets.compress.measure import measure

    test_loss, _, pred = evaluate(model, data.X_test, data.y_test)
    out = classification_metrics(pred, data.y_test, data.num_classes)
    out["test_loss"] = test_loss
    out.update(measure(model, data.input_shape, device=device))
    return out


def _as_store(store: RunStore | str | os.PathLike | bool | None) -> RunStore | None:
    """None or True: the default store; False: none; a path: a store there."""
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


def run(config: RunConfig | None = None, *, callbacks: Sequence[Callback] | None = None,
        data: Any = None, model: nn.Module | str | None = None,
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
    data : Dataset, optional
        Your own data (``ow.data.from_arrays(...)``) instead of ``config.dataset``.
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
    cfg = (config or RunConfig()).replace(**overrides) if overrides else (config or RunConfig())
    cfg.validate()
    device = resolve_device(cfg.device)
    _preflight(cfg, device)
    run_store = _as_store(store)
    cbs = CallbackList(callbacks)

    seed_everything(cfg.seed)
    prepared = prepare_data(cfg, data)
    teacher_model = None
    if cfg.distill_student and cfg.distill_teacher:
        teacher_model = (run_store or default_store()).load_model(cfg.distill_teacher)
    if model is None:
        model = build_model_for(cfg, prepared.input_shape, prepared.num_classes)
    from optwidgets.transfer import prepare_transfer  # scratch: (model, None)

    model, param_groups = prepare_transfer(model, cfg, data=prepared,
                                           store=run_store)
    if _compressing(cfg):  # refuse a compression this model cannot take before training it
        from optwidgets.compress.pipeline import preflight

        target = model if not cfg.distill_student else build_model_for(
            cfg, prepared.input_shape, prepared.num_classes, name=cfg.distill_student)
        preflight(target, cfg, example_input=prepared.X_train[:1], device=device)
    dev_data = prepared.to(device)
    model = model.to(device)

    rid = run_id or new_run_id()
    state = RunState(cfg, rid, cancel=cancel or threading.Event())
    state.model = model
    result = RunResult(run_id=rid, config=cfg, device=str(device),
                       class_names=list(prepared.class_names),
                       started_at=_dt.datetime.now().isoformat(timespec="seconds"),
                       technique=_technique(cfg))
    clock = _Stopwatch()  # seconds spent training (train, distill, fine-tune), not measuring
    weights = None
    try:
        cbs.run_start(state)
        augment = _augmenter(cfg, device)
        if teacher_model is None:
            cbs.phase(state, "train")
            with clock:
                Trainer(model, dev_data, cfg, run=state, callbacks=cbs, device=device,
                        augment=augment, param_groups=param_groups).fit(cfg.epochs,
                                                                        phase="train")
            weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if cfg.distill_student:
            teacher = teacher_model.to(device) if teacher_model is not None else model
            result.teacher_run_id = cfg.distill_teacher or rid
            result.before = _evaluate_and_measure(teacher, dev_data, device)
            from optwidgets.compress.distill import check_student_size

            torch.manual_seed(cfg.seed)
            student = build_model_for(cfg, prepared.input_shape, prepared.num_classes,
                                      name=cfg.distill_student).to(device)
            check_student_size(student, teacher)
            cbs.phase(state, "distill")
            with clock:
                Trainer(student, dev_data, cfg, run=state, callbacks=cbs, device=device,
                        teacher=teacher, augment=augment).fit(cfg.epochs, phase="distill")
            model = student
        if _compressing(cfg):
            if not result.before:
                result.before = _evaluate_and_measure(model, dev_data, device)
            model = _compress(model, dev_data, cfg, state, cbs, device, clock)
        cbs.phase(state, "measure")
        status = "done"
    except StopRun:
        status = "stopped"
    except RunDiverged as exc:
        status, result.error = "diverged", str(exc)
    except Exception as exc:  # a run that breaks is recorded, not raised (see module doc)
        status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        result.extras["traceback"] = traceback.format_exc(limit=8)
    result.status = status
    result.train_seconds = clock.seconds
    result.history = pd.DataFrame(state.history_rows, columns=HISTORY_COLUMNS)
    result.technique = state.extra.pop("technique", result.technique)
    result.extras.update(state.extra)
    result.model = model
    if status != "failed":
        try:
            measured = _evaluate_and_measure(model, dev_data, device)
            result.confusion = measured.pop("confusion")
            for k in ("size_bytes", "params", "nonzero_params", "latency_ms", "latency_ms_b256"):
                setattr(result, k, measured.pop(k))
            result.metrics = {k: measured[k] for k in ("test_acc", "precision", "recall", "f1")}
            result.metrics["test_loss"] = measured["test_loss"]
            last = result.history
            for split, key in (("train", "train_loss"), ("val", "val_loss")):
                rows = last[(last["split"] == split) & (last["metric"] == "loss")]
                if split == "train" and len(rows):
                    rows = rows[rows["epoch"] == rows["epoch"].iloc[-1]]
                    result.metrics[key] = float(rows["value"].mean())
                elif len(rows):
                    result.metrics[key] = float(rows["value"].iloc[-1])
            if result.before:
                result.before.pop("confusion", None)
        except Exception as exc:  # measuring a broken model: keep the run, say why
            result.status = "failed"
            result.error = f"measuring failed: {type(exc).__name__}: {exc}"
    result.finished_at = _dt.datetime.now().isoformat(timespec="seconds")
    if run_store is not None:
        run_store.save(result, weights=weights)  # persist before anything else can fail
    cbs.run_end(state, result)
    return result


def _technique(cfg: RunConfig) -> str:
    from optwidgets.compress.pipeline import technique_label

    return technique_label(cfg)


def _augmenter(cfg: RunConfig, device: torch.device):
    if not cfg.augment:
        return None
    from optwidgets.data import augment_batch

    gen = torch.Generator(device=device).manual_seed(cfg.seed + 17)
    spec = dict(cfg.augment)
    return lambda xb: augment_batch(xb, spec, gen)


class _Stopwatch:
    """Adds up the time spent inside ``with`` blocks, also when they raise."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> _Stopwatch:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds += time.perf_counter() - self._t0


def _compress(model: nn.Module, data: Any, cfg: RunConfig, state: RunState, cbs: CallbackList,
              device: torch.device, clock: _Stopwatch) -> nn.Module:
    """Run the compression pipeline; fine-tuning time is added to ``clock``."""
    from optwidgets.compress.pipeline import compress

    def finetune(m: nn.Module, epochs: int, phase: str) -> nn.Module:
        if epochs <= 0:
            return m
        cbs.phase(state, phase)
        with clock:
            Trainer(m, data, cfg, run=state, callbacks=cbs, device=device).fit(epochs,
                                                                                phase=phase)
        return m

    n_cal = min(len(data.X_train), 512)  # calibration samples for static int8 quantization
    outcome = compress(model, cfg, example_input=data.X_train[:1],
                       calibration=data.X_train[:n_cal], finetune=finetune,
                       phase=lambda p: cbs.phase(state, p), device=device)
    state.extra.update(outcome.extras)
    state.extra["technique"] = outcome.technique  # e.g. int8-dynamic when FX could not trace
    return outcome.model
