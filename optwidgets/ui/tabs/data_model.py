"""Data & model tab: which data (and what its targets are: the task), which network,
which seed and device."""

from __future__ import annotations

from typing import Any

from optwidgets.config import LOSSES, TASK_CHOICES, RunConfig
from optwidgets.core.devices import available_devices
from optwidgets.data import dataset_names
from optwidgets.models import model_names
from optwidgets.ui._spec import Control, Tab


def task_text(cfg: RunConfig) -> str:
    """What the run will fit, in words (the read-only note under the controls).

    Example
    -------
    >>> task_text(RunConfig(dataset="diabetes", model="mlp"))
    "task: regression (dataset 'diabetes' declares it) · test R², RMSE, MAE · loss mse"
    """
    task = cfg.resolved_task
    why = (f"dataset {cfg.dataset!r} declares it" if cfg.task == "auto" else "set here")
    metrics = ("test R², RMSE, MAE · loss " + cfg.loss if task == "regression" else
               "test accuracy, F1 · cross-entropy")
    return f"task: {task} ({why}) · {metrics}"


def _task_note(explorer: Any) -> Any:
    import html

    import ipywidgets as W  # the tab module stays plain data until a form is built

    note = W.HTML("", layout=W.Layout(margin="2px 0 0 0"))
    note.add_class("ow-task-note")

    def update(_change: Any = None) -> None:
        try:
            text = task_text(explorer.config)
        except Exception as exc:  # a half-edited config: say so, never break the tab
            text = f"task: unknown ({exc})"
        note.value = f'<span class="ow-note">{html.escape(text, quote=False)}</span>'

    for name in ("dataset", "task", "loss"):
        w = explorer.controls.get(name)
        if w is not None:  # after the form's own observer: the config is already updated
            w.observe(update, names="value")
    update()
    explorer.task_note = note
    return note


def _devices() -> list[str]:
    return ["auto", *available_devices()]


TAB = Tab(
    "Data & model",
    order=10,
    extra=_task_note,
    controls=[
        Control(
            "dataset",
            "dropdown",
            "dataset",
            choices=dataset_names,  # called when a form is built: registered data shows
            help="digits: 8x8 images; moons, circles, spiral, xor, gaussians: 2-D toy sets; "
            "diabetes, sine (1-D), ripple (2-D): regression",
        ),
        Control(
            "task",
            "dropdown",
            "task",
            choices=TASK_CHOICES,
            help="auto = what the dataset's targets are (the note below says which); "
            "classification or regression must match them",
        ),
        Control(
            "loss",
            "dropdown",
            "loss",
            choices=LOSSES,
            help="regression loss on the standardized target: mse (squared), mae (absolute), "
            "huber (squared below 1 std, absolute above)",
        ),
        Control(
            "model",
            "dropdown",
            "model",
            choices=model_names,
            help="mlp works on every dataset; cnn and resnet_tiny need images",
        ),
        Control(
            "hidden", "text", "hidden units", help="units per hidden layer of the mlp, e.g. 64, 64"
        ),
        Control(
            "seed", "int", "seed", help="seeds weights, splits and shuffling: same seed, same run"
        ),
        Control(
            "device", "dropdown", "device", choices=_devices, help="auto = cuda, then mps, then cpu"
        ),
    ],
)
