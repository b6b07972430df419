"""The learning-rate finder: one short run whose learning rate grows exponentially.

Smith's range test (2015), as fastai's ``lr_find`` popularised it: train the config's
model from its seeded initial weights for up to ``steps`` optimizer steps while the
learning rate grows from ``start_lr`` to ``end_lr`` by the same factor each step, and
record the training loss. The loss first barely moves (the rate is too small), then falls
fast, then blows up (too large). The curve is smoothed with a bias-corrected
exponential moving average (``beta``) and the ramp stops early once the smoothed loss
exceeds ``diverge`` times its minimum.

**Suggestion rule** (fastai's "steep" point): the learning rate where the smoothed loss
falls fastest, i.e. the most negative slope of the smoothed loss against log(lr), looked
for before the loss's minimum. At the minimum the rate is already about as large as
training tolerates; where the loss falls fastest it is still stable and learns quickly.

Example
-------
>>> import optwidgets as ow
>>> found = ow.lr_find(ow.RunConfig(dataset="digits", model="mlp"), steps=100)
>>> found.suggestion < found.min_lr, list(found.curve.columns)
(True, ['step', 'lr', 'loss', 'smoothed'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from optwidgets.config import RunConfig
from optwidgets.core.devices import resolve_device
from optwidgets.core.errors import ConfigError
from optwidgets.models import logits_of
from optwidgets.runs.prepare import build_model_for, prepare_data, seed_everything
from optwidgets.train.optim import make_optimizer, warm_up

__all__ = ["lr_find", "LRFinderResult", "SUGGESTION_RULE"]

SUGGESTION_RULE = ("the learning rate where the smoothed loss falls fastest against log(lr), "
                   "before its minimum")


@dataclass
class LRFinderResult:
    """What :func:`lr_find` measured.

    Attributes
    ----------
    curve : DataFrame
        ``step``, ``lr``, ``loss`` (the batch's training loss) and ``smoothed``.
    suggestion : float
        The suggested learning rate (see :data:`SUGGESTION_RULE`).
    min_lr : float
        The learning rate at the smoothed loss's minimum.
    stopped_early : bool
        The ramp ended before ``steps`` because the loss diverged.
    """

    curve: pd.DataFrame
    suggestion: float
    min_lr: float
    stopped_early: bool
    rule: str = SUGGESTION_RULE


def lr_find(cfg: RunConfig, *, data: Any = None, start_lr: float = 1e-6, end_lr: float = 10.0,
            steps: int = 200, beta: float = 0.9, diverge: float = 4.0) -> LRFinderResult:
    """Ramp the learning rate exponentially over up to ``steps`` steps; suggest one.

    Parameters
    ----------
    cfg : RunConfig
        Model, data, optimizer, batch size and regularization as a run would use them
        (its ``lr`` is ignored: the ramp sets it).
    data : optional
        Your own data, as for :func:`optwidgets.run`.
    start_lr, end_lr : float
        The ramp's first and last learning rate (``0 < start_lr < end_lr``).
    steps : int
        Optimizer steps of the ramp (the training split is cycled through as needed).
    beta : float
        Smoothing of the exponential moving average, in ``[0, 1)``.
    diverge : float
        Stop once the smoothed loss exceeds this many times its minimum (> 1).

    Returns
    -------
    LRFinderResult
    """
    if not 0 < start_lr < end_lr:
        raise ConfigError("start_lr", start_lr, f"a number in (0, end_lr={end_lr:g})")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 10:
        raise ConfigError("steps", steps, "a whole number >= 10")
    if not 0 <= beta < 1:
        raise ConfigError("beta", beta, "a number in [0, 1)")
    if not diverge > 1:
        raise ConfigError("diverge", diverge, "a number > 1")
    cfg.validate()
    device = resolve_device(cfg.device)
    cfg.check_device(device.type)
    seed_everything(cfg.seed)
    prepared = prepare_data(cfg, data)
    model = build_model_for(cfg, prepared.input_shape, prepared.num_classes).to(device)
    X, y = prepared.X_train.to(device), prepared.y_train.to(device)
    warm_up()
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad],
                         cfg.replace(lr=start_lr))
    factor = (end_lr / start_lr) ** (1 / (steps - 1))  # per step
    gen = torch.Generator().manual_seed(cfg.seed)
    bs = min(cfg.batch_size, len(X))
    order = torch.randperm(len(X), generator=gen)
    rows: list[tuple[int, float, float, float]] = []
    avg, best, stopped = 0.0, math.inf, False
    model.train()
    for step in range(steps):
        lr = start_lr * factor**step
        for group in opt.param_groups:
            group["lr"] = lr
        start = (step * bs) % len(X)
        if start + bs > len(X):  # a new pass over the data in a new order
            order = torch.randperm(len(X), generator=gen)
        idx = order[start:start + bs].to(device)
        loss = F.cross_entropy(logits_of(model(X[idx])), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        value = float(loss.detach())
        if not math.isfinite(value):
            stopped = True
            break
        avg = beta * avg + (1 - beta) * value
        smoothed = avg / (1 - beta ** (step + 1))  # bias-corrected
        rows.append((step + 1, lr, value, smoothed))
        best = min(best, smoothed)
        if step > 10 and smoothed > diverge * best:
            stopped = True
            break
    curve = pd.DataFrame(rows, columns=["step", "lr", "loss", "smoothed"])
    if curve.empty:
        raise ConfigError("start_lr", start_lr, "a rate whose first step does not diverge")
    smooth, lrs = curve["smoothed"].to_numpy(), curve["lr"].to_numpy()
    lowest = int(np.argmin(smooth))
    if lowest < 2:  # the loss only rose: the ramp started too high
        raise ConfigError("start_lr", start_lr, "a smaller first rate (the loss never fell)")
    slope = np.gradient(smooth[:lowest + 1], np.log(lrs[:lowest + 1]))
    return LRFinderResult(curve=curve, suggestion=float(lrs[int(np.argmin(slope))]),
                          min_lr=float(lrs[lowest]), stopped_early=stopped)
