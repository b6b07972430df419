"""Named classroom presets: a starting config, the controls shown, the locked ones.

Example
-------
>>> from optwidgets.ui.presets import PRESETS
>>> sorted(PRESETS)
['first_steps', 'full', 'optimizers', 'regularization']
>>> PRESETS["first_steps"].show
('lr', 'epochs', 'optimizer')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from optwidgets.core.errors import unknown_name

__all__ = ["Preset", "PRESETS", "get_preset", "PANELS"]

# Panels of the Explorer below the controls ("gradients": per-layer gradient health,
# folded under the curves until its button on the action bar is pressed).
PANELS = ("curves", "boundary", "tradeoff", "runs", "gradients")


@dataclass(frozen=True)
class Preset:
    """What a lesson shows: ``config`` fields to start from, controls to ``show``
    (None = all), fields to ``lock`` and the ``panels`` to draw."""

    config: dict[str, Any] = field(default_factory=dict)
    show: tuple[str, ...] | None = None
    lock: dict[str, Any] = field(default_factory=dict)
    panels: tuple[str, ...] = PANELS
    description: str = ""


PRESETS: dict[str, Preset] = {
    "first_steps": Preset(
        config={
            "dataset": "moons",
            "model": "mlp",
            "hidden": (16, 16),
            "optimizer": "sgd",
            "lr": 0.05,
            "epochs": 20,
            "batch_size": 32,
            "noise": 0.2,
        },
        show=("lr", "epochs", "optimizer"),
        panels=("curves", "boundary", "runs"),
        description="Learning rate, epochs and optimizer on the two moons.",
    ),
    "optimizers": Preset(
        config={
            "dataset": "spiral",
            "model": "mlp",
            "hidden": (32, 32),
            "epochs": 30,
            "batch_size": 32,
        },
        show=("optimizer", "lr", "batch_size", "epochs", "schedule"),
        panels=("curves", "boundary", "runs"),
        description="How the optimizer, its step size and the schedule change training.",
    ),
    "regularization": Preset(
        config={
            "dataset": "moons",
            "model": "mlp",
            "hidden": (128, 128),
            "n_samples": 300,
            "noise": 0.3,
            "epochs": 150,
            "batch_size": 32,
            "lr": 0.003,
        },
        show=("weight_decay", "l1", "dropout", "patience", "grad_clip", "epochs"),
        panels=("curves", "boundary", "tradeoff", "runs"),
        description="A big network on little noisy data overfits: regularize it.",
    ),
    "full": Preset(description="Every control and every panel."),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name is refused with the closest names."""
    if name not in PRESETS:
        raise unknown_name("preset", name, PRESETS)
    return PRESETS[name]
