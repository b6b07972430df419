"""The fit loop: data already on the device, batches taken by index, no DataLoader.

The hot loop does only what a plain PyTorch loop does, plus a cancel check,
keeping the step's loss (a float on CPU, a device tensor on a GPU) and the batch hooks
that a callback actually overrides. It never synchronizes with a GPU per step: losses are
read back once per epoch (and NaN/Inf checked then; on CPU, where reading a scalar
costs nothing, every step).

Example
-------
>>> import torch
>>> from optwidgets.config import RunConfig
>>> from optwidgets.data import load_dataset
>>> from optwidgets.models import build_model
>>> from optwidgets.train import Trainer, RunState
>>> cfg = RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2, lr=0.01)
>>> data = load_dataset("moons")
>>> net = build_model("mlp", data.input_shape, data.num_classes, hidden=(16,))
>>> status = Trainer(net, data, cfg, run=RunState(cfg, "doc")).fit(2, phase="train")
>>> status
'done'
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.train.callbacks import CallbackList, RunState, StopRun
from optwidgets.train.optim import make_optimizer, make_scheduler

__all__ = ["Trainer", "RunDiverged", "evaluate", "shuffle_seed", "LossFn"]

# loss_fn(logits, inputs, targets) -> scalar loss tensor
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

EVAL_BATCH = 2048  # samples per forward pass when evaluating (memory-bound, not speed-bound)


def shuffle_seed(seed: int, step: int) -> int:
    """Seed of the batch order of a fit that starts after ``step`` optimizer steps (so each
    fine-tuning phase sees a fresh, still reproducible order)."""
    return seed * 1_000_003 + step


class RunDiverged(Exception):
    """The training loss became NaN or infinite."""


@torch.inference_mode()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *,
             batch: int = EVAL_BATCH) -> tuple[float, float, torch.Tensor]:
    """Mean cross-entropy, accuracy and predictions of ``model`` on ``(X, y)``, in eval mode."""
    was_training = model.training
    model.eval()
    try:
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), X.dtype)
        total = torch.zeros((), device=X.device, dtype=torch.float64)
        preds = []
        for i in range(0, len(X), batch):
            out = model(X[i:i + batch].to(dtype)).float()
            total += F.cross_entropy(out, y[i:i + batch], reduction="sum").double()
            preds.append(out.argmax(1))
        pred = torch.cat(preds) if preds else torch.empty(0, dtype=torch.long, device=X.device)
        n = max(len(y), 1)
        return float(total) / n, float((pred == y).sum()) / n, pred
    finally:
        model.train(was_training)


def _amp_context(cfg: RunConfig, device: torch.device) -> tuple[Any, Any]:
    """(autocast context factory, grad scaler or None) for ``cfg.amp`` on ``device``."""
    if cfg.amp == "none":
        return contextlib.nullcontext, None
    if device.type == "cuda":
        dtype = torch.bfloat16 if cfg.amp == "bf16" else torch.float16
        scaler = torch.amp.GradScaler("cuda") if cfg.amp == "fp16" else None
        return (lambda: torch.autocast("cuda", dtype=dtype)), scaler
    if device.type == "cpu" and cfg.amp == "bf16":
        return (lambda: torch.autocast("cpu", dtype=torch.bfloat16)), None
    raise ConfigError("amp", cfg.amp, "'none' on this device"
                      + (" or 'bf16'" if device.type == "cpu" else ""),
                      f"mixed precision {cfg.amp} needs CUDA, the run's device is {device.type}")


class Trainer:
    """Fits ``model`` on ``data`` (a Dataset already on ``device``) with ``cfg``'s settings.

    Parameters
    ----------
    loss_fn : callable, optional
        ``loss_fn(logits, inputs, targets) -> scalar tensor``; default: cross-entropy.
        Distillation passes its own (:func:`optwidgets.compress.distill.distillation_objective`),
        so the trainer knows nothing of teachers.
    param_groups : list of dict, optional
        Optimizer parameter groups (e.g. a smaller learning rate for a backbone);
        default: all trainable parameters at ``cfg.lr``.
    augment : callable, optional
        ``augment(batch) -> batch`` applied to training batches only.
    """

    def __init__(self, model: nn.Module, data: Any, cfg: RunConfig, *, run: RunState,
                 callbacks: CallbackList | None = None, device: torch.device | str | None = None,
                 loss_fn: LossFn | None = None, param_groups: list[dict] | None = None,
                 augment: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self.model = model
        self.data = data
        self.cfg = cfg
        self.run = run
        self.callbacks = callbacks or CallbackList()
        self.device = torch.device(device) if device is not None else data.X_train.device
        self.loss_fn = loss_fn
        self.param_groups = param_groups
        self.augment = augment
        self.best_epoch = 0

    def fit(self, epochs: int, *, phase: str = "train") -> str:
        """Train for ``epochs``; returns ``"done"``. Raises StopRun or RunDiverged."""
        cfg, run, model = self.cfg, self.run, self.model
        X, y = self.data.X_train, self.data.y_train
        n, bs = len(X), cfg.batch_size
        spe = math.ceil(n / bs)
        params: list[Any] = (list(self.param_groups) if self.param_groups
                             else [p for p in model.parameters() if p.requires_grad])
        opt = make_optimizer(params, cfg)
        sched = make_scheduler(opt, cfg, spe, epochs)
        autocast, scaler = _amp_context(cfg, self.device)
        l1_params = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
        l1 = cfg.l1
        clip = cfg.grad_clip
        loss_fn = self.loss_fn
        augment = self.augment
        cancel = run.cancel
        hooks = self.callbacks.batch_hooks
        # On CPU a loss is read as a float each step (free, and NaN is caught at once); on a
        # GPU the detached loss tensors are kept and read back once per epoch (no sync).
        on_cpu = self.device.type == "cpu"
        gen = torch.Generator().manual_seed(shuffle_seed(cfg.seed, run.step))

        run.phase, run.epochs, run.steps_per_epoch = phase, epochs, spe
        run.total_steps, run.phase_step = spe * epochs, 0
        run.model = model
        best_loss, best_state, bad_epochs = math.inf, None, 0
        model.train()
        for epoch in range(1, epochs + 1):
            run.epoch = epoch
            perm = torch.randperm(n, generator=gen).to(self.device, non_blocking=True)
            first_step = run.step + 1
            step_losses: list = []
            for i in range(spe):
                if cancel.is_set():
                    raise StopRun("cancelled")
                idx = perm[i * bs:(i + 1) * bs]
                xb, yb = X[idx], y[idx]
                if augment is not None:
                    xb = augment(xb)
                with autocast():
                    out = model(xb)
                    loss = F.cross_entropy(out, yb) if loss_fn is None else loss_fn(out, xb, yb)
                if l1:
                    loss = loss + l1 * sum(p.abs().sum() for p in l1_params)
                opt.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    if clip:
                        scaler.unscale_(opt)
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    scaler.step(opt)
                    scaler.update()
                else:
                    loss.backward()
                    if clip:
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    opt.step()
                if sched is not None:
                    sched.step()
                loss = loss.detach()
                run.step += 1
                run.phase_step += 1
                for hook in hooks:
                    hook(run, loss)
                if on_cpu:
                    value = loss.item()
                    step_losses.append(value)
                    if not math.isfinite(value):
                        self._log_losses(step_losses, first_step)
                        raise RunDiverged(f"training loss became {value} at step {run.step}")
                else:
                    step_losses.append(loss)
            if not on_cpu:
                step_losses = torch.stack(step_losses).tolist() if step_losses else []
            train_loss = self._log_losses(step_losses, first_step)
            if not math.isfinite(train_loss):
                raise RunDiverged(f"training loss became {train_loss} in epoch {epoch}")
            val_loss, val_acc, _ = evaluate(model, self.data.X_val, self.data.y_val)
            lr_now = opt.param_groups[0]["lr"]
            run.log("val", "loss", val_loss)
            run.log("val", "acc", val_acc)
            run.log("train", "lr", lr_now)
            logs = {"train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc,
                    "lr": lr_now}
            self.callbacks.epoch_end(run, logs)
            if cfg.patience and phase in ("train", "distill"):
                if val_loss < best_loss - 1e-6:
                    best_loss, bad_epochs, self.best_epoch = val_loss, 0, epoch
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    bad_epochs += 1
                    if bad_epochs >= cfg.patience:
                        run.extra["early_stopped_epoch"] = epoch
                        break
        if best_state is not None:
            model.load_state_dict(best_state)  # early stopping restores the best weights
            run.extra["best_epoch"] = self.best_epoch
        return "done"

    def _log_losses(self, values: list[float], first_step: int) -> float:
        """Write the epoch's per-step losses into the history; returns their mean."""
        epoch, phase = self.run.epoch, self.run.phase
        self.run.history_rows.extend(
            (first_step + k, epoch, phase, "train", "loss", v) for k, v in enumerate(values))
        return sum(values) / max(len(values), 1)
