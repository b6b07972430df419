"""The fit loop: data already on the device, batches taken by index, no DataLoader.

The loop is built from small top-level functions, each self-contained (torch only, plus
a ``cfg`` read by attribute): :func:`batch_order`, :func:`train_step`, :func:`keep_loss`,
:func:`epoch_losses`, :func:`check_epoch_loss`, :func:`evaluate`, :class:`EarlyStopping`,
:func:`amp_context`, and ``make_optimizer`` / ``make_scheduler`` of
:mod:`optwidgets.train.optim`. ``Trainer.fit`` calls them and adds what a dashboard needs
(cancel check, history, callbacks); the exported plain script (:mod:`optwidgets.export`)
carries their source, verbatim, and calls them from its own short loop: one
implementation, run by both.

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
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.models.outputs import logits_of
from optwidgets.train.callbacks import CallbackList, RunState, StopRun
from optwidgets.train.gradients import GradientRecorder
from optwidgets.train.optim import make_optimizer, make_scheduler

__all__ = ["Trainer", "RunDiverged", "DIVERGENCE_GROWTH", "LossFn", "EVAL_BATCH",
           "EarlyStopping", "amp_context", "batch_order", "check_epoch_loss", "epoch_losses",
           "evaluate", "keep_loss", "l1_parameters", "regression_loss", "shuffle_seed",
           "train_step"]

# loss_fn(logits, inputs, targets) -> scalar loss tensor
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

EVAL_BATCH = 2048  # samples per forward pass when evaluating (memory-bound, not speed-bound)


def shuffle_seed(seed: int, step: int) -> int:
    """Seed of the batch order of a fit that starts after ``step`` optimizer steps (so each
    fine-tuning phase sees a fresh, still reproducible order).

    Example
    -------
    >>> shuffle_seed(0, 0), shuffle_seed(2, 10)
    (0, 2000016)
    """
    return seed * 1_000_003 + step


# A run diverges when its loss becomes NaN/inf, or when an epoch's mean training loss grows
# past this many times the run's first step loss (a loss that only climbs: rmsprop at lr 10
# reaches 8e10 without ever becoming inf). Healthy training never grows its loss 100-fold.
DIVERGENCE_GROWTH = 100.0

# The regression losses by their RunConfig name (training and evaluation use these).
REGRESSION_LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}


class RunDiverged(Exception):
    """The training loss became NaN or infinite, or grew past DIVERGENCE_GROWTH times its
    first value."""


@torch.inference_mode()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *,
             batch: int = EVAL_BATCH, loss: str = "mse") -> tuple[float, float, torch.Tensor]:
    """Mean cross-entropy, accuracy and predictions of ``model`` on ``(X, y)``, in eval mode.

    Float targets ``y`` are a regression: the mean ``loss`` ("mse", "mae" or "huber", as
    :func:`regression_loss`), R² in place of accuracy, and the one-unit outputs squeezed.

    Example
    -------
    >>> net = nn.Linear(2, 3)
    >>> loss, acc, pred = evaluate(net, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    >>> pred.shape, 0.0 <= acc <= 1.0, net.training
    (torch.Size([4]), True, True)
    >>> mse, r2, pred = evaluate(nn.Linear(2, 1), torch.ones(4, 2), torch.arange(4.0))
    >>> pred.shape, r2 <= 0.0
    (torch.Size([4]), True)
    """
    was_training = model.training
    model.eval()
    try:
        regress = y.is_floating_point()  # float targets: one output unit, no classes
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), X.dtype)
        total = torch.zeros((), device=X.device, dtype=torch.float64)
        preds = []
        for i in range(0, len(X), batch):
            out = model(X[i:i + batch].to(dtype))
            out = (out if isinstance(out, torch.Tensor) else logits_of(out)).float()
            if regress:
                out = out.reshape(len(out), -1)[:, 0]
                total += REGRESSION_LOSSES[loss](out, y[i:i + batch].float(),
                                                 reduction="sum").double()
                preds.append(out)
            else:
                total += F.cross_entropy(out, y[i:i + batch], reduction="sum").double()
                preds.append(out.argmax(1))
        pred = torch.cat(preds) if preds else torch.empty(0, dtype=y.dtype, device=X.device)
        n = max(len(y), 1)
        if regress:  # R² = 1 - SS_res / SS_tot (0 for a constant target: nothing to explain)
            ss_tot = float(((y.double() - y.double().mean()) ** 2).sum()) if len(y) else 0.0
            ss_res = float(((y.double() - pred.double()) ** 2).sum())
            score = 1.0 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0.0)
            return float(total) / n, score, pred
        return float(total) / n, float((pred == y).sum()) / n, pred
    finally:
        model.train(was_training)


def regression_loss(name: str) -> LossFn:
    """``loss_fn(outputs, inputs, targets)`` of a regression: ``"mse"`` (mean squared error),
    ``"mae"`` (mean absolute error) or ``"huber"`` (squared below 1, absolute above; the
    targets are standardized, so 1 is one standard deviation), on the squeezed output.

    Example
    -------
    >>> fn = regression_loss("mae")
    >>> float(fn(torch.tensor([[1.0], [3.0]]), None, torch.tensor([0.0, 0.0])))
    2.0
    """
    fn = REGRESSION_LOSSES.get(name)
    if fn is None:
        raise ConfigError("loss", name, "one of " + ", ".join(map(repr, REGRESSION_LOSSES)))
    return lambda out, xb, yb: fn(out.reshape(len(out), -1)[:, 0].float(), yb.float())


def amp_context(cfg: RunConfig, device: torch.device
                ) -> tuple[Callable[[], contextlib.AbstractContextManager[Any]], Any]:
    """``(autocast, scaler)`` for ``cfg.amp`` on ``device``: ``autocast()`` opens the
    forward pass's precision context; ``scaler`` is a ``GradScaler`` for fp16, else None.

    Example
    -------
    >>> autocast, scaler = amp_context(RunConfig(amp="bf16"), torch.device("cpu"))
    >>> with autocast():
    ...     out = nn.Linear(2, 2)(torch.ones(1, 2))
    >>> out.dtype, scaler
    (torch.bfloat16, None)
    """
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


def batch_order(n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """One epoch's order of the ``n`` training samples, on ``device``.

    Drawn on the CPU from ``generator`` (its own, so that dropout, which draws from the
    global generator, cannot shift it), then copied over without waiting.

    Example
    -------
    >>> gen = torch.Generator().manual_seed(0)
    >>> sorted(batch_order(5, gen, torch.device("cpu")).tolist())
    [0, 1, 2, 3, 4]
    """
    return torch.randperm(n, generator=generator).to(device, non_blocking=True)


def l1_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The tensors the L1 penalty applies to: trainable weights (dim > 1), not biases or norms.

    Example
    -------
    >>> [tuple(p.shape) for p in l1_parameters(nn.Linear(3, 2))]
    [(2, 3)]
    """
    return [p for p in model.parameters() if p.requires_grad and p.dim() > 1]


def train_step(model: nn.Module, opt: torch.optim.Optimizer, xb: torch.Tensor,
               yb: torch.Tensor, *,
               autocast: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
               loss_fn: LossFn | None = None, l1: float = 0.0,
               l1_params: Sequence[torch.Tensor] = (), clip: float = 0.0,
               scaler: Any = None, monitor: Any = None) -> torch.Tensor:
    """One optimizer step on the batch ``(xb, yb)``; returns its loss, detached.

    Forward pass (inside ``autocast()``; a model may return its logits in a dict or an
    object with ``.logits``: ``logits_of``), loss (cross-entropy, or ``loss_fn(logits, xb,
    yb)``), plus ``l1`` times the absolute sum of ``l1_params``; backward; gradient norm
    clipped to ``clip`` (0 = off); then the step (through ``scaler`` for fp16). The
    learning-rate schedule is the caller's: it steps once after this. A ``monitor`` (the
    run's gradient recorder, on a step it records) sees the unclipped gradients
    (``before_step()``) and the step taken (``after_step()``).

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> net = nn.Linear(2, 2)
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.5)
    >>> X, y = torch.randn(16, 2), torch.randint(0, 2, (16,))
    >>> first = train_step(net, opt, X, y)
    >>> last = [train_step(net, opt, X, y, clip=1.0) for _ in range(20)][-1]
    >>> bool(last < first), last.requires_grad
    (True, False)
    """
    with autocast():
        out = model(xb)
        if not isinstance(out, torch.Tensor):  # a dict, tuple or object holding the logits
            out = logits_of(out)
        loss = F.cross_entropy(out, yb) if loss_fn is None else loss_fn(out, xb, yb)
    if l1:
        loss = loss + l1 * sum(p.abs().sum() for p in l1_params)
    opt.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        if clip or monitor is not None:
            scaler.unscale_(opt)
        if monitor is not None:
            monitor.before_step()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        if monitor is not None:
            monitor.before_step()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
    if monitor is not None:
        monitor.after_step()
    return loss.detach()


def keep_loss(losses: list[Any], loss: torch.Tensor, on_cpu: bool) -> bool:
    """Append a step's loss to the epoch's ``losses``; False if it is NaN or infinite.

    On the CPU the loss is read as a float at once (that costs nothing, and a NaN is caught
    at its step); on a GPU the tensor is kept and read back once, by :func:`epoch_losses`,
    so the loop never waits for the device.

    Example
    -------
    >>> losses = []
    >>> keep_loss(losses, torch.tensor(0.5), True), keep_loss(losses, torch.tensor(math.nan), True)
    (True, False)
    >>> losses
    [0.5, nan]
    """
    if on_cpu:
        value = loss.item()
        losses.append(value)
        return math.isfinite(value)
    losses.append(loss)
    return True


def check_epoch_loss(train_loss: float, start_loss: float | None, epoch: int) -> None:
    """Raise :class:`RunDiverged` if ``epoch``'s mean training loss is NaN or infinite, or
    grew past ``DIVERGENCE_GROWTH`` times ``start_loss``, the phase's first step loss
    (None: not known yet; below 1e-3 it counts as 1e-3).

    Example
    -------
    >>> check_epoch_loss(0.9, 2.3, 1)  # falling: nothing happens
    >>> try:
    ...     check_epoch_loss(400.0, 2.3, 3)
    ... except RunDiverged as err:
    ...     print(err)
    training loss grew from 2.3 to 400 in epoch 3, past 100 times its start
    """
    if not math.isfinite(train_loss):
        raise RunDiverged(f"training loss became {train_loss} in epoch {epoch}")
    if start_loss is not None and train_loss > DIVERGENCE_GROWTH * max(start_loss, 1e-3):
        raise RunDiverged(f"training loss grew from {start_loss:.4g} to {train_loss:.4g} "
                          f"in epoch {epoch}, past {DIVERGENCE_GROWTH:g} times its start")


def epoch_losses(losses: list[Any]) -> list[float]:
    """The epoch's step losses kept by :func:`keep_loss`, as floats (one read-back from a GPU).

    Example
    -------
    >>> epoch_losses([torch.tensor(0.5), torch.tensor(0.25)]), epoch_losses([0.5])
    ([0.5, 0.25], [0.5])
    """
    if losses and isinstance(losses[0], torch.Tensor):
        return torch.stack(losses).tolist()
    return losses


class EarlyStopping:
    """Early stopping on the validation loss, keeping the best epoch's weights.

    An epoch improves when its validation loss is below the best so far by more than
    ``min_delta``; a copy of the weights is kept then. ``patience`` epochs in a row without
    improvement end training, and :meth:`restore` puts the best weights back.

    Parameters
    ----------
    patience : int
        Epochs in a row without improvement that end training (>= 1).
    min_delta : float
        The smallest decrease of the loss that counts as an improvement.

    Attributes
    ----------
    best_loss_, best_epoch_ : float, int
        The best validation loss so far and its epoch (0: none yet).
    bad_epochs_ : int
        Epochs since the last improvement.
    best_state_ : dict or None
        A copy of the best epoch's ``state_dict``.

    Example
    -------
    >>> net = nn.Linear(2, 2)
    >>> stop = EarlyStopping(patience=2)
    >>> [stop.update(net, epoch, loss) for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.6], 1)]
    [False, False, False, True]
    >>> stop.restore(net), stop.best_epoch_
    (True, 2)
    """

    def __init__(self, patience: int, *, min_delta: float = 1e-6) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss_ = math.inf
        self.best_epoch_ = 0
        self.bad_epochs_ = 0
        self.best_state_: dict[str, Any] | None = None

    def update(self, model: nn.Module, epoch: int, val_loss: float) -> bool:
        """Record ``epoch``'s validation loss (copying the weights if it is the best so
        far); True when training should stop."""
        if val_loss < self.best_loss_ - self.min_delta:
            self.best_loss_, self.best_epoch_, self.bad_epochs_ = val_loss, epoch, 0
            self.best_state_ = copy.deepcopy(model.state_dict())
            return False
        self.bad_epochs_ += 1
        return self.bad_epochs_ >= self.patience

    def restore(self, model: nn.Module) -> bool:
        """Load the best epoch's weights into ``model``; False if no epoch was recorded."""
        if self.best_state_ is None:
            return False
        model.load_state_dict(self.best_state_)
        return True


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
    gradients : GradientRecorder, optional
        Records per-layer gradient norms and update ratios (one recorder may span several
        fits, as a run's phases do); default: a new one when ``cfg.grad_every`` > 0.
    """

    def __init__(self, model: nn.Module, data: Any, cfg: RunConfig, *, run: RunState,
                 callbacks: CallbackList | None = None, device: torch.device | str | None = None,
                 loss_fn: LossFn | None = None, param_groups: list[dict] | None = None,
                 augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 gradients: GradientRecorder | None = None) -> None:
        self.model = model
        self.data = data
        self.cfg = cfg
        self.run = run
        self.callbacks = callbacks or CallbackList()
        self.device = torch.device(device) if device is not None else data.X_train.device
        self.loss_fn = loss_fn
        self.param_groups = param_groups
        self.augment = augment
        self.gradients = gradients if gradients is not None or not cfg.grad_every else \
            GradientRecorder(cfg.grad_every, run_id=run.run_id)
        self.best_epoch = 0

    def fit(self, epochs: int, *, phase: str = "train") -> str:
        """Train for ``epochs``; returns ``"done"``. Raises StopRun or RunDiverged."""
        cfg, run, model = self.cfg, self.run, self.model
        X, y = self.data.X_train, self.data.y_train
        n, bs = len(X), cfg.batch_size
        spe = math.ceil(n / bs)
        # -- set up: optimizer and schedule, precision, penalties, batch order, stopping
        params: list[Any] = (list(self.param_groups) if self.param_groups
                             else [p for p in model.parameters() if p.requires_grad])
        opt = make_optimizer(params, cfg)
        sched = make_scheduler(opt, cfg, spe, epochs)
        autocast, scaler = amp_context(cfg, self.device)
        l1, l1_params, clip = cfg.l1, l1_parameters(model), cfg.grad_clip
        loss_fn, augment = self.loss_fn, self.augment
        regress = getattr(self.data, "task", "classification") == "regression"
        if regress and loss_fn is None:  # one output unit fits the target (cfg.loss)
            loss_fn = regression_loss(cfg.loss)
        score = "r2" if regress else "acc"  # what validation reports besides its loss
        gen = torch.Generator().manual_seed(shuffle_seed(cfg.seed, run.step))
        stopper = (EarlyStopping(cfg.patience)
                   if cfg.patience and phase in ("train", "distill") else None)
        cancel, hooks = run.cancel, self.callbacks.batch_hooks
        on_cpu = self.device.type == "cpu"  # read each loss at once (free), else per epoch
        grads = self.gradients
        if grads is not None:
            grads.bind(model, phase)

        run.phase, run.epochs, run.steps_per_epoch = phase, epochs, spe
        run.total_steps, run.phase_step = spe * epochs, 0
        run.model = model
        model.train()
        start_loss: float | None = None  # the phase's first step loss, for DIVERGENCE_GROWTH
        for epoch in range(1, epochs + 1):
            # -- one pass over the training split, in a fresh seeded order
            run.epoch = epoch
            perm = batch_order(n, gen, self.device)
            first_step = run.step + 1
            losses: list[Any] = []
            for i in range(spe):
                if cancel.is_set():
                    raise StopRun("cancelled")
                idx = perm[i * bs:(i + 1) * bs]
                xb, yb = X[idx], y[idx]
                if augment is not None:
                    xb = augment(xb)
                monitor = grads.at(run.step + 1, epoch) if grads is not None else None
                loss = train_step(model, opt, xb, yb, autocast=autocast, loss_fn=loss_fn,
                                  l1=l1, l1_params=l1_params, clip=clip, scaler=scaler,
                                  monitor=monitor)
                if sched is not None:
                    sched.step()
                run.step += 1
                run.phase_step += 1
                for hook in hooks:
                    hook(run, loss)
                if not keep_loss(losses, loss, on_cpu):
                    self._log_losses(losses, first_step)
                    raise RunDiverged(f"training loss became {losses[-1]} at step {run.step}")
            # -- end of the epoch: history, validation, callbacks, early stopping
            values = epoch_losses(losses)
            if grads is not None:  # read back with the losses: no extra device sync
                grads.flush()
            train_loss = self._log_losses(values, first_step)
            if start_loss is None and values:
                start_loss = float(values[0])
            check_epoch_loss(train_loss, start_loss, epoch)
            val_loss, val_score, _ = evaluate(model, self.data.X_val, self.data.y_val,
                                              loss=cfg.loss)
            lr_now = opt.param_groups[0]["lr"]
            run.log("val", "loss", val_loss)
            run.log("val", score, val_score)
            run.log("train", "lr", lr_now)
            logs = {"train_loss": train_loss, "val_loss": val_loss, f"val_{score}": val_score,
                    "lr": lr_now}
            self.callbacks.epoch_end(run, logs)
            if stopper is not None and stopper.update(model, epoch, val_loss):
                run.extra["early_stopped_epoch"] = epoch
                break
        if stopper is not None and stopper.restore(model):  # the best epoch's weights
            self.best_epoch = run.extra["best_epoch"] = stopper.best_epoch_
        return "done"

    def _log_losses(self, values: list[float], first_step: int) -> float:
        """Write the epoch's per-step losses into the history; returns their mean."""
        epoch, phase = self.run.epoch, self.run.phase
        self.run.history_rows.extend(
            (first_step + k, epoch, phase, "train", "loss", v) for k, v in enumerate(values))
        return sum(values) / max(len(values), 1)
