"""Small lesson widgets: one setup, several runs one after another, curves overlaid.

- :class:`LearningRateExplorer`: the same run at several learning rates.
- :class:`OptimizerRace`: SGD, Adam, AdaGrad and RMSprop on the same data, with the
  training time of each in the legend and in a table.

Both are built from the Explorer's parts and laid out like it (:mod:`optwidgets.ui._layout`):
an action bar (Train, Stop, progress), the status line, the shared settings in a
:class:`~optwidgets.ui.ConfigForm` on the left, the plot on the right, the table below.
One :class:`~optwidgets.ui.LiveCurves` per run draws into its own trace of one
FigureWidget (throttled, batched); a background runner with Stop. A lesson widget is an
``ipywidgets.VBox`` like the Explorer.

Example
-------
>>> import tempfile
>>> from optwidgets.ui import LearningRateExplorer
>>> lr = LearningRateExplorer(lrs=(0.01, 0.1), store=tempfile.mkdtemp())
>>> lr.config.epochs = 1
>>> lr.train(block=True)
True
>>> [r.status for r in lr.results]
['done', 'done']
"""

from __future__ import annotations

import functools
import html
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import plotly.graph_objects as go

from optwidgets import viz
from optwidgets.config import OPTIMIZERS, RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.runs import RunResult, RunStore
from optwidgets.ui._bridge import PageBridge
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._form import error_html
from optwidgets.ui._layout import action_bar, columns, help_html
from optwidgets.ui._live import LiveCurves, draw_smoothed_trace
from optwidgets.ui._panel import RunPanel
from optwidgets.ui._runner import run_safely
from optwidgets.ui.tabs import tabs as all_tabs

__all__ = ["LearningRateExplorer", "OptimizerRace"]

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _lesson_config(**changes: Any) -> RunConfig:
    base = {
        "dataset": "digits",
        "model": "mlp",
        "hidden": (64,),
        "epochs": 5,
        "batch_size": 32,
        "optimizer": "sgd",
        "lr": 0.01,
    }
    base.update(changes)
    return RunConfig(**base)


class _Comparison(RunPanel):
    """Runs ``variants()`` one after another; each run draws into its own trace."""

    title = ""
    default_show: tuple[str, ...] = ()
    log_y = False

    def __init__(
        self,
        config: RunConfig,
        *,
        store: RunStore | str | os.PathLike | None,
        show: Iterable[str] | None,
        lock: Mapping[str, Any] | None,
    ) -> None:
        self.results: list[RunResult] = []
        self.rows: list[dict[str, Any]] = []
        self._init_panel(
            config,
            all_tabs(),
            store=store,
            show=self.default_show if show is None else show,
            lock=lock,
        )
        bridge = PageBridge()  # first: the figure uses the plotly bundle it carries
        self.figure = figure_widget(height=380)
        self.table = W.HTML("", layout=W.Layout(width="auto", overflow="auto hidden"))
        self.choice_message = W.HTML("", layout=W.Layout(width="auto", min_width="0"))
        header = W.HTML(f'<span class="ow-title">{html.escape(self.title)}</span>',
                        layout=W.Layout(flex="0 1 auto", min_width="0"))  # fmt: skip
        left: list[W.Widget] = [self.choice_widget(), self.choice_message]
        if self.form.visible_tabs():
            left.append(self.form.layout(height=None))
        left += [
            self.form.form_message,
            W.HTML(
                help_html(
                    "The runs go one after another; each one's curve is its "
                    "own colour, its training time in the legend."
                )
            ),
        ]
        children = [
            bridge,
            action_bar([header, self.train_button, self.stop_button, self.progress.widget]),
            self.status_html,
            columns(left, [self.figure]),
            self.table,
        ]  # fmt: skip
        self._show_layout(children, classes=("ow-lesson",))
        self._update_buttons()

    # -- what varies -------------------------------------------------------------------
    def choice_widget(self) -> W.Widget:  # pragma: no cover - abstract
        raise NotImplementedError

    def variants(self) -> list[tuple[str, dict[str, Any]]]:  # pragma: no cover - abstract
        """``(label, RunConfig changes)`` of each run, in order."""
        raise NotImplementedError

    def _problem(self) -> str | None:
        problem = super()._problem()
        if problem is None:
            try:
                if not self.variants():
                    problem = "choose at least one run to compare"
            except ConfigError as exc:
                problem = str(exc)
        self.choice_message.value = error_html(problem) if problem else ""
        return problem

    def _start_text(self) -> str:
        return f"running {len(self.variants())} runs one after another …"

    # -- the job ---------------------------------------------------------------------------
    def _job(self, cancel: threading.Event) -> None:
        state, text = "error", "error: the runs did not report back"
        try:
            base = self.config.replace()
            variants = self.variants()
            self.results, self.rows = [], []
            self._reset_figure([label for label, _ in variants])
            for i, (label, changes) in enumerate(variants):
                if cancel.is_set():
                    break
                self.progress.reset(f"{label}: starting …")
                live = LiveCurves(
                    self.figure,
                    listeners=[self.progress],
                    draw=functools.partial(draw_smoothed_trace, index=i),
                )
                live._placeholder = False  # the lesson figure has no placeholder text
                self.progress.job = f"run {i + 1}/{len(variants)} · {label}"
                outcome = run_safely(
                    base.replace(**changes), [live, self.progress], cancel, self.store
                )
                self._record(i, label, outcome)
            states = [r["status"] for r in self.rows]
            state = (
                "stopped"
                if cancel.is_set()
                else "done"
                if states and all(s == "done" for s in states)
                else states[-1]
                if states
                else "error"
            )
            text = f"{state}: {len(self.rows)} of {len(variants)} runs · " + ", ".join(
                f"{r['label']} {r['status']}" for r in self.rows
            )
        except Exception as exc:  # shown in the status line, never raised into the cell
            text = f"error: {type(exc).__name__}: {exc}"
        finally:
            self.progress.finish(state)
            self._done(state, text)

    def _reset_figure(self, labels: Sequence[str]) -> None:
        fig = go.Figure(
            [
                go.Scatter(
                    x=[],
                    y=[],
                    mode="lines",
                    name=label,
                    line={"color": _PALETTE[i % len(_PALETTE)], "width": 2},
                )
                for i, label in enumerate(labels)
            ],
            layout={
                "template": viz.TEMPLATE,
                "title": {"text": self.title},
                "xaxis": {"title": {"text": viz.axis_label("step")}},
                "yaxis": {
                    "title": {"text": "train loss (smoothed)"},
                    "type": "log" if self.log_y else "linear",
                },
                "hovermode": "x",
            },
        )
        replace_figure(self.figure, fig)

    def _record(self, i: int, label: str, outcome: Any) -> None:
        r = outcome.result
        row = {
            "label": label,
            "status": outcome.state,
            "seconds": None,
            "train_loss": None,
            "test_acc": None,
            "message": "" if r is not None else outcome.message,
        }
        if r is not None:
            self.results.append(r)
            row.update(
                seconds=r.train_seconds,
                train_loss=r.metrics.get("train_loss"),
                test_acc=r.metrics.get("test_acc"),
            )
            if r.status in ("failed", "diverged"):
                row["message"] = r.error or ""
        self.rows.append(row)
        seconds = f" · {row['seconds']:.1f} s" if row["seconds"] is not None else ""
        self.figure.data[i].name = f"{label}{seconds}" + (
            f" ({row['status']})" if row["status"] != "done" else ""
        )
        self.table.value = self._table_html()

    def _table_html(self) -> str:
        def fmt(v: Any, spec: str) -> str:
            return "—" if v is None else format(v, spec)

        head = (
            "<tr><th>run</th><th>status</th><th>training time (s)</th>"
            "<th>final train loss</th><th>test accuracy</th><th></th></tr>"
        )
        body = "".join(
            f"<tr><td>{html.escape(r['label'])}</td><td>{r['status']}</td>"
            f"<td>{fmt(r['seconds'], '.2f')}</td><td>{fmt(r['train_loss'], '.4f')}</td>"
            f"<td>{fmt(r['test_acc'], '.3f')}</td><td>{html.escape(r['message'][:120])}</td></tr>"
            for r in self.rows
        )
        return (
            '<table style="border-collapse:collapse;font-size:12px" cellpadding="4">'
            f"{head}{body}</table>"
        )


class LearningRateExplorer(_Comparison):
    """The same setup trained at several learning rates, losses overlaid on one figure.

    Parameters
    ----------
    config : RunConfig, optional
        Shared settings (default: digits, mlp, SGD, 5 epochs).
    lrs : sequence of float
        Learning rates, run in this order (editable in the widget as text).
    store, show, lock
        As for :class:`~optwidgets.Explorer`.
    """

    title = "Learning rate: too small, just right, too large"
    default_show = ("dataset", "model", "optimizer", "batch_size", "epochs")
    log_y = True

    def __init__(
        self,
        config: RunConfig | None = None,
        *,
        lrs: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0),
        store: RunStore | str | os.PathLike | None = None,
        show: Iterable[str] | None = None,
        lock: Mapping[str, Any] | None = None,
    ) -> None:
        self.lrs_text = W.Text(
            value=", ".join(f"{v:g}" for v in lrs),
            description="learning rates",
            continuous_update=False,
            style={"description_width": "118px"},
            layout=W.Layout(width="auto"),
            tooltip="comma-separated, each in (0, 10]",
        )
        self.lrs_text.observe(lambda _: self._update_buttons(), names="value")
        super().__init__(config or _lesson_config(), store=store, show=show, lock=lock)

    def choice_widget(self) -> W.Widget:
        return self.lrs_text

    @property
    def lrs(self) -> list[float]:
        """The learning rates to compare, parsed from the text box (ConfigError if bad)."""
        out = []
        for part in self.lrs_text.value.replace(";", ",").split(","):
            if part.strip():
                out.append(_valid_lr(part.strip()))
        return out

    def variants(self) -> list[tuple[str, dict[str, Any]]]:
        return [(f"lr={lr:g}", {"lr": lr}) for lr in self.lrs]


def _valid_lr(text: str) -> float:
    cfg = RunConfig(dataset="moons", model="mlp")
    cfg.lr = text  # validates: a number in (0, 10]
    return cfg.lr


class OptimizerRace(_Comparison):
    """SGD, Adam, AdaGrad and RMSprop trained on the same data, curves overlaid, with the
    training time of each in the legend and the table.

    Parameters
    ----------
    config : RunConfig, optional
        Shared settings (default: digits, mlp, lr 0.01, 5 epochs).
    optimizers : sequence of str
        Which optimizers race, in this order.
    lrs : mapping optimizer -> float, optional
        A learning rate per optimizer (others use ``config.lr``).
    store, show, lock
        As for :class:`~optwidgets.Explorer`.
    """

    title = "Optimizer race: same data, same model, same steps"
    default_show = ("dataset", "model", "lr", "batch_size", "epochs")

    def __init__(
        self,
        config: RunConfig | None = None,
        *,
        optimizers: Sequence[str] = ("sgd", "adam", "adagrad", "rmsprop"),
        lrs: Mapping[str, float] | None = None,
        store: RunStore | str | os.PathLike | None = None,
        show: Iterable[str] | None = None,
        lock: Mapping[str, Any] | None = None,
    ) -> None:
        for name in optimizers:
            if name not in OPTIMIZERS:
                raise ConfigError("optimizers", name, "names from " + ", ".join(OPTIMIZERS))
        self.lr_overrides = {k: _valid_lr(str(v)) for k, v in (lrs or {}).items()}
        self.optimizers = W.SelectMultiple(
            options=list(OPTIMIZERS),
            value=tuple(optimizers),
            rows=len(OPTIMIZERS),
            description="optimizers",
            style={"description_width": "118px"},
            layout=W.Layout(width="auto"),
        )
        self.optimizers.observe(lambda _: self._update_buttons(), names="value")
        super().__init__(config or _lesson_config(), store=store, show=show, lock=lock)

    def choice_widget(self) -> W.Widget:
        return self.optimizers

    def variants(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for name in self.optimizers.value:
            changes: dict[str, Any] = {"optimizer": name}
            if name in self.lr_overrides:
                changes["lr"] = self.lr_overrides[name]
            out.append((name, changes))
        return out
