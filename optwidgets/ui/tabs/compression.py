"""Compression tab: pruning, quantization, distillation and low rank, plus *sweep this knob*.

Every control edits one RunConfig field; ``ow.run`` applies them in its fixed order
(train -> distill -> low-rank -> prune + fine-tune -> quantize -> measure). Below the
controls, :class:`SweepPanel` runs one knob over a series of values (prune ratio 0 … 0.9,
bits 2 … 16, low-rank fractions) on the Explorer's background runner: each finished run
joins the trade-off plot at once, and the series is drawn there as a line in knob order.
**Stop** (the panel's or the Explorer's) ends the current run within one batch and starts
no further one.

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> ex = ow.Explorer(ow.RunConfig(dataset="xor", model="mlp", hidden=(8,), epochs=1,
...                               prune_method="weight"), store=tempfile.mkdtemp())
>>> ex.sweep.knob.value = "prune_ratio"
>>> ex.sweep.values.value = "0, 0.5"
>>> ex.sweep.start(block=True)
True
>>> len(ex.sweep.results)
2
"""

from __future__ import annotations

import html
import threading
import traceback
from typing import Any

import ipywidgets as W
import plotly.graph_objects as go

from optwidgets.config import PRUNE_METHODS, PRUNE_SCHEDULES, PRUNE_SCOPES, QUANT_MODES
from optwidgets.core.errors import ConfigError
from optwidgets.models import model_names
from optwidgets.runs import RunResult
from optwidgets.train.callbacks import Callback
from optwidgets.tune.sweep import SWEEPABLE, parse_values, sweep_configs, sweep_curve, sweep_knob
from optwidgets.ui._form import error_html, note_html
from optwidgets.ui._layout import help_html
from optwidgets.ui._runner import Outcome, describe
from optwidgets.ui._spec import Control, Tab

__all__ = ["TAB", "SweepPanel", "KNOB_LABELS", "TRACE_SWEEP"]

TRACE_SWEEP = "sweep"  # name prefix of the sweep's line on the trade-off plot

# Knobs offered by "sweep this knob", with the label shown (series: optwidgets.tune.sweep).
KNOB_LABELS: dict[str, str] = {
    "prune_ratio": "prune ratio",
    "quant_bits": "bits (simulated)",
    "lowrank_rank": "low-rank rank",
    "distill_alpha": "distillation alpha",
    "distill_temperature": "distillation T",
}


def _students() -> list[Any]:
    return [("off", ""), *((name, name) for name in model_names())]  # all (label, value)


def _format(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


class SweepPanel:
    """*Sweep this knob*: run the Explorer's config over a series of one field's values.

    Attributes (for code and tests): ``knob`` (Dropdown), ``values`` (Text),
    ``button``, ``stop_button``, ``message``; ``field`` and ``results`` of the latest
    sweep (``results`` grows as runs finish); ``widget``.
    """

    def __init__(self, explorer: Any) -> None:
        self.explorer = explorer
        self.field = "prune_ratio"
        self.results: list[RunResult] = []
        style = {"description_width": "118px"}
        self.knob = W.Dropdown(
            options=[(label, f) for f, label in KNOB_LABELS.items()],
            value=self.field,
            description="sweep this knob",
            style=style,
            layout=W.Layout(width="auto"),
        )
        self.values = W.Text(
            value=self._defaults(self.field),
            description="values",
            style=style,
            layout=W.Layout(width="auto"),
            tooltip="the series, separated by commas; every other setting is kept",
            continuous_update=False,
        )
        self.button = W.Button(
            description="Sweep",
            icon="line-chart",
            button_style="info",
            tooltip="one run per value, on the background thread; points appear as runs end",
        )
        self.stop_button = W.Button(
            description="Stop",
            icon="stop",
            button_style="danger",
            disabled=True,
            tooltip="stop the current run within one batch and start no further one",
        )
        self.message = W.HTML("", layout=W.Layout(width="auto", min_width="0"))
        self.message.add_class("ow-note")
        self.knob.observe(
            lambda ch: setattr(self.values, "value", self._defaults(ch["new"])), names="value"
        )
        self.button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        # Sweep is possible exactly when Train is (not running, every control valid).
        W.dlink((explorer.train_button, "disabled"), (self.button, "disabled"))
        W.dlink((explorer.stop_button, "disabled"), (self.stop_button, "disabled"))
        self._hook_tradeoff()
        self.widget = W.VBox(
            [
                W.HTML(
                    "<b>Sweep this knob</b>"
                    + help_html(
                        "The same run once per value; each run joins the trade-off plot "
                        "as it ends, joined in knob order by a line."
                    )
                ),
                self.knob,
                self.values,
                W.HBox([self.button, self.stop_button]),
                self.message,
            ],
            layout=W.Layout(width="100%", border_top="1px solid #e0e0e0", padding="6px 0 0 0"),
        )

    @staticmethod
    def _defaults(field: str) -> str:
        return ", ".join(_format(v) for v in SWEEPABLE.get(field, ()))

    # -- running -------------------------------------------------------------------------
    def start(self, *, block: bool = False, timeout: float | None = None) -> bool:
        """Start the sweep on the Explorer's background runner; returns whether it started.

        Refused (with the reason shown) while a run is going on, while a control holds a
        refused value, or when the values or the knob do not fit the config.
        """
        ex = self.explorer
        if ex.running or ex.runner.running:
            self.message.value = note_html("a run is going on: wait or press Stop")
            return False
        if not ex.form.valid:
            problem = "; ".join(ex.form.errors.values()) or ex.form.form_error
            self.message.value = error_html(f"not started: {problem}")
            return False
        field = self.knob.value
        try:
            values = parse_values(self.values.value)
            sweep_configs(ex.config, field, values)  # refuse now: nothing half-starts
        except ConfigError as exc:
            self.message.value = error_html(f"sweep not started: {exc}")
            return False
        cfg = ex.config.replace()  # the sweep's own copy: edits meanwhile don't leak in
        self.field, self.results = field, []
        self.message.value = f"sweeping {html.escape(field)} over {len(values)} values …"
        return ex.start_job(
            lambda cancel: self._job(cfg, field, values, cancel),
            status=f"sweeping {field}: {', '.join(map(_format, values))} …",
            block=block,
            timeout=timeout,
        )

    def stop(self) -> None:
        """Stop the sweep: the current run ends within one batch, no further one starts."""
        self.explorer.stop()

    def _job(self, cfg: Any, field: str, values: list[Any], cancel: threading.Event) -> Outcome:
        """On the worker thread; the Explorer shows the returned Outcome and refreshes."""
        ex = self.explorer
        label = _SweepLabel(ex.progress, field, len(values), KNOB_LABELS.get(field, field))
        try:
            sweep_knob(
                cfg,
                field,
                values,
                callbacks=[label, *ex.run_callbacks()],
                store=ex.store,
                on_result=lambda r: self._one_done(r, len(values)),
                cancel=cancel,
            )
            outcome = Outcome(self.results[-1] if self.results else None, self._summary())
        except Exception as exc:  # refused by a run's preflight, or a bug: shown as one line
            done = f" after {len(self.results)} runs" if self.results else ""
            text = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            outcome = Outcome(
                self.results[-1] if self.results else None,
                f"sweep ended{done}: {text}",
                traceback.format_exc(),
            )
        self.message.value = html.escape(outcome.message.splitlines()[0])
        return outcome

    def _one_done(self, result: RunResult, total: int) -> None:
        self.results.append(result)
        ex = self.explorer
        ex.last_result = result
        self._final = ex.progress.final  # this run's step count, as its progress line says
        self.message.value = html.escape(
            f"{self.field}={_format(getattr(result.config, self.field))}: "
            f"{len(self.results)}/{total} runs · {describe(result, final=self._final)}"
        )
        ex.refresh(latest=result.run_id)  # the trade-off plot and the runs table

    def _summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in counts.items())
        final = getattr(self, "_final", None)
        last = f" · last: {describe(self.results[-1], final=final)}" if self.results else ""
        n = len(self.results)
        return f"sweep {self.field}: {n} run{'s' * (n != 1)} ({parts}){last}"

    # -- the curve on the trade-off plot ------------------------------------------------
    def _hook_tradeoff(self) -> None:
        view = getattr(self.explorer, "tradeoff", None)
        if view is not None:  # drawn after every redraw of the plot (new runs, new axes)
            view.on_redraw.append(lambda fig, frame: self.draw_curve())

    def curve(self) -> Any:
        """The latest sweep's points in knob order (see :func:`optwidgets.tune.sweep.sweep_curve`)."""
        view = self.explorer.tradeoff
        ids = [r.run_id for r in self.results]
        return sweep_curve(view.frame, self.field, ids, x=view.x.value, y=view.y.value)

    def draw_curve(self) -> None:
        """Add the sweep's line (points joined in knob order) to the trade-off plot."""
        view = getattr(self.explorer, "tradeoff", None)
        if view is None or view.figure is None or not self.results:
            return
        pts = self.curve()
        if len(pts) == 0:
            return
        x, y = view.x.value, view.y.value
        label = KNOB_LABELS.get(self.field, self.field)
        view.figure.add_trace(
            go.Scatter(
                x=pts[x].to_numpy(),
                y=pts[y].to_numpy(),
                mode="lines+text",
                name=f"{TRACE_SWEEP}: {label}",
                text=[_format(v) for v in pts[self.field]],
                textposition="top center",
                textfont={"size": 10, "color": "#555"},
                line={"color": "#555", "width": 1.5},
                customdata=pts["run_id"].to_numpy(),
                hovertemplate=f"{label} %{{text}}<extra></extra>",
            )
        )
        view.figure.data[-1].on_click(view._clicked)


class _SweepLabel(Callback):
    """Tells the progress line which run of the sweep is going (``run 2/5 · bits=4``)."""

    def __init__(self, progress: Any, field: str, total: int, label: str) -> None:
        self.progress, self.field, self.total, self.label = progress, field, total, label
        self.index = 0

    def on_run_start(self, run: Any) -> None:
        self.index += 1
        value = getattr(run.config, self.field, "?")
        self.progress.job = f"run {self.index}/{self.total} · {self.label} {_format(value)}"


def _sweep_panel(explorer: Any) -> W.Widget:
    panel = SweepPanel(explorer)
    explorer.sweep = panel  # for code and tests: explorer.sweep.start()
    return panel.widget


TAB = Tab(
    "Compression",
    order=50,
    help="Train, then distill, factorize, prune (+ fine-tune) and quantize; "
    "every size and latency is measured on the result.",
    extra=_sweep_panel,
    controls=[
        Control(
            "prune_method",
            "dropdown",
            "pruning",
            choices=PRUNE_METHODS,
            help="weight: masks (dense size, sparse_bytes computed); neuron / filter: "
            "units or conv channels physically removed",
        ),
        Control(
            "prune_ratio",
            "slider",
            "prune ratio",
            min=0.0,
            max=0.95,
            step=0.05,
            help="fraction of weights / units / channels removed, in [0, 1)",
        ),
        Control(
            "prune_scope",
            "dropdown",
            "weight scope",
            choices=PRUNE_SCOPES,
            help="weight pruning: a threshold per layer, or one global threshold",
        ),
        Control(
            "prune_schedule",
            "dropdown",
            "schedule",
            choices=PRUNE_SCHEDULES,
            help="oneshot, or agp: cubic schedule over several steps, fine-tuning between",
        ),
        Control(
            "prune_steps",
            "int_slider",
            "pruning steps",
            min=1,
            max=10,
            help="steps of the agp schedule",
        ),
        Control(
            "finetune_epochs",
            "int",
            "fine-tune epochs",
            help="epochs of fine-tuning after each low-rank / pruning step; 0 = none",
        ),
        Control(
            "quant_mode",
            "dropdown",
            "quantization",
            choices=QUANT_MODES,
            help="simulated k-bit (packed size computed), real int8 (CPU), fp16 / bf16",
        ),
        Control(
            "quant_bits",
            "int_slider",
            "bits",
            min=2,
            max=16,
            help="bit width of simulated quantization, 2..16",
        ),
        Control(
            "quant_activations",
            "checkbox",
            "quantize activations",
            help="simulated: quantize the inputs of every layer too",
        ),
        Control(
            "qat_epochs",
            "int",
            "QAT epochs",
            help="simulated: quantization-aware fine-tune epochs (straight-through)",
        ),
        Control(
            "distill_student",
            "dropdown",
            "distill into",
            choices=_students,
            help="a smaller zoo model trained on the teacher's soft targets; off = none",
        ),
        Control(
            "distill_teacher",
            "text",
            "teacher run id",
            help="a stored run as teacher; empty = the model this run trains",
        ),
        Control(
            "distill_temperature",
            "slider",
            "temperature",
            min=0.5,
            max=20.0,
            step=0.5,
            help="softmax temperature T of the distillation term",
        ),
        Control(
            "distill_alpha",
            "slider",
            "alpha",
            min=0.0,
            max=1.0,
            step=0.05,
            help="weight of the distillation term; 1 - alpha weighs cross-entropy",
        ),
        Control(
            "lowrank_rank",
            "float",
            "low-rank rank",
            help="SVD rank: a fraction in (0, 1) or a count >= 1; 0 = off",
        ),
    ],
)
