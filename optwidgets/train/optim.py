"""Optimizers and learning-rate schedules from a RunConfig.

``make_optimizer`` and ``make_scheduler`` read ``cfg`` by attribute only and need nothing
but torch and math, so the exported plain script carries their source as it is.

Example
-------
>>> import torch
>>> from optwidgets.config import RunConfig
>>> net = torch.nn.Linear(2, 2)
>>> opt = make_optimizer(net.parameters(), RunConfig(model="mlp", optimizer="sgd", lr=0.1))
>>> type(opt).__name__
'SGD'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from optwidgets.config import RunConfig

__all__ = ["make_optimizer", "make_scheduler", "warm_up"]

_warm = False


def warm_up() -> None:
    """Pay, once per process, what the first optimizer built in it costs.

    The first ``torch.optim`` optimizer constructed in a process imports ``torch._dynamo``
    (0.7-1.5 s on a small CPU; later ones take ~0.1 ms). A run calls this before its
    training clock starts, so ``train_seconds`` measures training only, and the Explorer
    calls it while it is drawn, so the user's first Train is as quick as the next.

    Example
    -------
    >>> warm_up(); warm_up()  # the second call returns at once
    """
    global _warm
    if not _warm:
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        _warm = True


def make_optimizer(params: Iterable[Any], cfg: RunConfig) -> torch.optim.Optimizer:
    """The optimizer named by ``cfg.optimizer`` with ``lr``, ``weight_decay`` (L2) and
    ``momentum`` / ``nesterov`` where they apply. ``params`` may be parameter groups.

    Example
    -------
    >>> cfg = RunConfig(optimizer="sgd", lr=0.1, momentum=0.9, nesterov=True)
    >>> opt = make_optimizer(torch.nn.Linear(2, 2).parameters(), cfg)
    >>> type(opt).__name__, opt.defaults["nesterov"]
    ('SGD', True)
    """
    wd = cfg.weight_decay
    name = cfg.optimizer
    if name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum,
                               nesterov=cfg.nesterov and cfg.momentum > 0, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=wd)
    if name == "adamw":  # decoupled weight decay
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=wd)
    raise AssertionError(name)  # RunConfig validated the name


def make_scheduler(opt: torch.optim.Optimizer, cfg: RunConfig, steps_per_epoch: int,
                   epochs: int) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-step scheduler, or None for ``constant`` (nothing to call in the loop).

    ``step_size`` is in epochs; ``cosine`` and ``onecycle`` span ``steps_per_epoch *
    epochs`` steps.

    Example
    -------
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=1.0)
    >>> sched = make_scheduler(opt, RunConfig(schedule="step", step_size=1, gamma=0.5), 2, 3)
    >>> for _ in range(2):  # one epoch of two steps
    ...     opt.step()
    ...     sched.step()
    >>> opt.param_groups[0]["lr"]
    0.5
    """
    total = max(1, steps_per_epoch * epochs)
    if cfg.schedule == "constant":
        return None
    if cfg.schedule == "onecycle":
        max_lr = [g["lr"] for g in opt.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total)
    if cfg.schedule == "step":
        every = max(1, cfg.step_size * steps_per_epoch)  # step_size is in epochs
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cfg.gamma ** (s // every))
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, total) / total)))
    raise AssertionError(cfg.schedule)
