"""SearchPanel: pick a method, a budget, objectives and the knobs to search; watch it live.

Start runs :func:`optwidgets.tune.search` on a background thread (the kernel stays
responsive). As trials finish, an Optuna callback redraws, at most every
``min_interval`` seconds plus once at the end: the trials table, the optimization
history, the parallel-coordinates plot and, with several objectives, the Pareto front
(FigureWidgets refilled from the pure builders of :mod:`optwidgets.viz`). Stop ends the
running trial within one batch and starts no further one (``study.stop()``).

Every trial is an ``ow.run`` saved in the RunStore, so inside the Explorer (its *Search*
tab) the trials join the trade-off plot and the runs table as they finish.

The *preset* dropdown fills the knobs: ``architecture`` ticks the shape knobs the base
model takes (depth, units, activation, dropout for an mlp; width, dropout for a cnn) with
the ranges of :data:`optwidgets.tune.ARCHITECTURE_RANGES`, unticks the rest and sets the
objectives to validation accuracy and saved size.

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> from optwidgets.ui.search_panel import SearchPanel
>>> panel = SearchPanel(ow.RunConfig(dataset="xor", model="mlp", hidden=(8,),
...                                 epochs=1), store=tempfile.mkdtemp())
>>> panel.method.value, panel.n_trials.value = "random", 3
>>> panel.knob("lr").enabled.value = True
>>> panel.start(block=True)
True
>>> len(panel.result.trials_frame())
3
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Any

import ipywidgets as W

from optwidgets import viz
from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.runs import RunStore
from optwidgets.train.callbacks import Callback
from optwidgets.tune import (
    METHODS,
    OBJECTIVES,
    PRESETS,
    SearchResult,
    parse_space,
    search,
)
from optwidgets.tune.architecture import DERIVED, PRESET_OBJECTIVES
from optwidgets.ui._bridge import PageBridge
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._form import error_html
from optwidgets.ui._layout import PlotSlot, action_bar, columns, flow, help_html, status_html
from optwidgets.ui._live import ProgressView
from optwidgets.ui._panel import panel_store
from optwidgets.ui._runner import BackgroundRunner, Outcome

__all__ = [
    "SearchPanel",
    "KnobRow",
    "DEFAULT_KNOBS",
    "OBJECTIVE_CHOICES",
    "METHOD_CHOICES",
    "PRESET_CHOICES",
    "RANGE_HELP",
]

# The knobs offered, with a starting range (the text form of a search space), and
# whether they are ticked at first. Any other RunConfig field goes in "more fields".
DEFAULT_KNOBS: dict[str, tuple[str, bool]] = {
    "lr": ("log:1e-4:1e-1", True),
    "optimizer": ("choice:adam,sgd,rmsprop", True),
    "weight_decay": ("log:1e-6:1e-2", False),
    "dropout": ("float:0:0.5", False),
    "batch_size": ("choice:32,64,128", False),
    "epochs": ("int:1:5", False),
    "hidden": ("choice:32|64|128,64", False),
    "depth": ("int:1:3", False),  # hidden layers (builds hidden with units)
    "units": ("log:16:256", False),  # units in each hidden layer
    "activation": ("choice:relu,tanh,gelu", False),
    "width": ("int:8:64", False),
    "prune_method": ("choice:none,weight,neuron", False),
    "prune_ratio": ("float:0:0.9", False),
    "quant_mode": ("choice:none,int8,fp16", False),
    "quant_bits": ("int:2:8", False),
}
OBJECTIVE_CHOICES: list[tuple[str, tuple[str, ...]]] = [
    # choosing on validation data leaves the test split to report the choice (the default)
    ("val accuracy", ("val_acc",)),
    ("val accuracy + size", ("val_acc", "size_bytes")),
    ("val accuracy + latency", ("val_acc", "latency_ms")),
    ("val accuracy + size + latency", ("val_acc", "size_bytes", "latency_ms")),
    # selecting on the test split makes its accuracy optimistic: kept for comparison
    ("test accuracy", ("test_acc",)),
    ("test accuracy + size", ("test_acc", "size_bytes")),
    ("test accuracy + latency", ("test_acc", "latency_ms")),
]
# (label, preset name): a menu, back at "" once a preset filled the knobs (so choosing
# it again, say after the model changed, fills them again)
PRESET_CHOICES: list[tuple[str, str]] = [("fill from…", ""), *[(n, n) for n in PRESETS]]
# (label, value); "bayes-gp" is method bayes with sampler="gp"
METHOD_CHOICES = [
    ("grid", "grid"),
    ("random", "random"),
    ("Bayesian (TPE)", "bayes"),
    ("Bayesian (GP)", "bayes-gp"),
    ("evolutionary", "evolution"),
]
_TABLE_COLUMNS = ("number", "state", "duration", "run_id")


RANGE_HELP = (
    "Ranges: <code>log:1e-4:1e-1</code> log-uniform (rates), <code>float:0:0.5</code> uniform, "
    "<code>int:1:5</code> whole numbers, <code>choice:adam,sgd</code> one of a list "
    "(<code>|</code> inside a choice separates a tuple: <code>choice:32|64,128</code> is "
    "(32, 64) or 128). A 4th number sets how many points a grid puts on a range "
    "(<code>float:0:0.9:4</code>)."
)


class _TrialLabel(Callback):
    """Tells the progress line which trial is going (``trial 3/12``)."""

    def __init__(self, progress: Any, total: int) -> None:
        self.progress, self.total, self.index = progress, total, 0

    def on_run_start(self, run: Any) -> None:
        self.index += 1
        self.progress.job = f"trial {self.index}/{self.total}"


class KnobRow:
    """One searchable field: a checkbox (search it or not) and its range as text."""

    def __init__(self, field: str, spec: str, enabled: bool) -> None:
        self.field = field
        self.enabled = W.Checkbox(
            value=enabled,
            description=field,
            indent=False,
            layout=W.Layout(width="118px", flex="0 0 118px"),
            tooltip=f"search {field}",
        )
        self.spec = W.Text(
            value=spec,
            layout=W.Layout(flex="1 1 120px", width="auto", min_width="0"),
            tooltip="log:low:high, float:low:high, int:low:high or choice:a,b,c",
            continuous_update=False,
        )
        self.widget = W.HBox(
            [self.enabled, self.spec], layout=W.Layout(width="100%", overflow="hidden")
        )


class SearchPanel:
    """A search over the config's fields with Optuna, drawn live (see the module doc).

    Parameters
    ----------
    cfg : RunConfig, optional
        The base settings (default ``RunConfig()``); each trial changes the ticked knobs.
    store : RunStore or path, optional
        Where the trials' runs go (default: the default store).
    explorer : Explorer, optional
        Embed in an Explorer (its *Search* tab): the base settings are the Explorer's at
        Start, runs go to its store, it runs on the Explorer's background thread (Train
        waits, the Explorer's Stop stops it) and its trade-off plot follows the trials.
    min_interval : float
        Seconds between live redraws (the last one always happens).

    Attributes (for code and tests): ``method``, ``n_trials``, ``objectives``,
    ``n_workers``, ``prune`` (widgets), ``knobs`` (field -> :class:`KnobRow`), ``more``
    (Textarea: extra ``field=spec`` lines), ``start_button``, ``stop_button``,
    ``status``, ``table`` (HTML), ``history``, ``parallel``, ``pareto`` (FigureWidgets),
    ``result`` (the latest :class:`SearchResult`), ``error`` (why the search failed),
    ``draw_error``, ``redraws``, ``widget``.
    """

    def __init__(
        self,
        cfg: RunConfig | None = None,
        store: RunStore | str | os.PathLike | None = None,
        *,
        explorer: Any = None,
        min_interval: float = 0.5,
        height: int = 240,
    ) -> None:
        if cfg is not None and not isinstance(cfg, RunConfig):
            raise ConfigError("cfg", cfg, "an optwidgets.RunConfig (or None)")
        self.explorer = explorer
        self._config = cfg if cfg is not None else RunConfig()
        self.store = explorer.store if explorer is not None else panel_store(store)
        self.min_interval = float(min_interval)
        self.result: SearchResult | None = None
        self.error: str | None = None
        self.draw_error: str | None = None  # the last redraw's problem (None when it drew)
        self.redraws = 0
        self.runner = BackgroundRunner()
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._timer: threading.Timer | None = None
        self._live: dict[str, Any] = {}
        self._busy = False
        self._build(height)

    # -- widgets ---------------------------------------------------------------------------
    def _build(self, height: int) -> None:
        style = {"description_width": "70px"}
        self.preset = W.Dropdown(
            options=PRESET_CHOICES, value="", description="preset", style=style,
            layout=W.Layout(width="auto"),
            tooltip="architecture: tick the model's shape knobs, objectives val accuracy + size",
        )  # fmt: skip
        self.preset.observe(self._on_preset, names="value")
        self.method = W.Dropdown(
            options=METHOD_CHOICES, value="bayes", description="method", style=style,
            layout=W.Layout(width="auto"),
        )  # fmt: skip
        self.n_trials = W.BoundedIntText(
            value=12, min=1, max=10_000, description="trials", style=style,
            layout=W.Layout(flex="1 1 120px", width="auto", min_width="0"),
        )  # fmt: skip
        self.objectives = W.Dropdown(
            options=OBJECTIVE_CHOICES, value=("val_acc",), description="objectives",
            style=style, layout=W.Layout(width="auto"),
        )  # fmt: skip
        self.n_workers = W.BoundedIntText(
            value=1, min=1, max=max(os.cpu_count() or 1, 1), description="workers",
            style=style, layout=W.Layout(flex="1 1 120px", width="auto", min_width="0"),
            tooltip="trials at once (local processes)",
        )  # fmt: skip
        self.prune = W.Checkbox(
            value=True, description="prune weak trials (one objective)", indent=False,
            layout=W.Layout(width="auto"),
        )  # fmt: skip
        self.knobs = {f: KnobRow(f, spec, on) for f, (spec, on) in DEFAULT_KNOBS.items()}
        self.more = W.Textarea(
            placeholder="more fields, one per line, e.g.\nmomentum=float:0.5:0.99",
            layout=W.Layout(width="auto", height="52px"),
        )
        self.start_button = W.Button(
            description="Start search", icon="search", button_style="success",
            layout=W.Layout(width="auto", flex="0 0 auto"),
        )  # fmt: skip
        self.stop_button = W.Button(
            description="Stop", icon="stop", button_style="danger", disabled=True,
            tooltip="stop the running trial and the search",
            layout=W.Layout(width="auto", flex="0 0 auto"),
        )  # fmt: skip
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.status = W.HTML(status_html("ready", "ready: tick knobs, set ranges, Start"),
                             layout=W.Layout(width="auto", min_width="0"))  # fmt: skip
        self.status.add_class("ow-status")
        self.status_text = "ready: tick knobs, set ranges, Start"
        self.progress = self.explorer.progress if self.explorer is not None else ProgressView()
        self.table = W.HTML("", layout=W.Layout(width="auto", overflow="auto hidden"))
        # filled on the first redraw: each FigureWidget ships plotly's ~5 MB bundle
        inside = self.explorer is not None
        flex = "1 1 100%" if inside else "1 1 380px"
        self._slots = {
            "history": PlotSlot(height, "The objective of each trial appears here", flex=flex),
            "parallel": PlotSlot(height, "Each trial's settings, as lines", flex=flex),
            "pareto": PlotSlot(height, "The Pareto front of two objectives", flex=flex),
        }
        self._pareto_box = self._slots["pareto"].widget
        self._pareto_box.layout.display = "none"
        if self.explorer is not None:  # Start exactly when Train could start
            W.dlink((self.explorer.train_button, "disabled"), (self.start_button, "disabled"))
            W.dlink((self.explorer.stop_button, "disabled"), (self.stop_button, "disabled"))
        self._rows = W.VBox([r.widget for r in self.knobs.values()],
                            layout=W.Layout(width="100%"))  # fmt: skip
        settings = [
            W.HTML(
                "<b>Hyperparameter search</b>"
                + help_html("Each trial is a run; tick the knobs to search and give ranges.")
            ),
            self.preset,
            self.method,
            self.objectives,
            W.HBox([self.n_trials, self.n_workers], layout=W.Layout(width="100%")),
            self.prune,
            W.HTML(help_html(RANGE_HELP)),
            self._rows,
            self.more,
        ]
        buttons = W.HBox([self.start_button, self.stop_button],
                         layout=W.Layout(grid_gap="4px"))  # fmt: skip
        plots = flow([s.widget for s in self._slots.values()], gap="8px")
        if inside:  # the Explorer's tab: a narrow pane that scrolls
            self.widget = W.VBox(
                [*settings, buttons, self.status, plots, self.table],
                layout=W.Layout(width="100%"),
            )
        else:  # on its own: the dashboard's two columns
            self.widget = W.VBox(
                [
                    action_bar([W.HTML('<span class="ow-title">Hyperparameter search</span>'),
                                buttons, self.progress.widget]),
                    self.status,
                    columns(settings, [plots]),
                    self.table,
                ],
                layout=W.Layout(width="100%"),
            )  # fmt: skip
            self.widget.add_class("ow-dash")
            self.widget.children = (PageBridge(), *self.widget.children)

    @property
    def history(self) -> Any:
        """The optimization-history FigureWidget (None before the first drawing)."""
        return self._slots["history"].figure

    @property
    def parallel(self) -> Any:
        """The parallel-coordinates FigureWidget (None before the first drawing)."""
        return self._slots["parallel"].figure

    @property
    def pareto(self) -> Any:
        """The Pareto-front FigureWidget (None unless several objectives were drawn)."""
        return self._slots["pareto"].figure

    def _figure(self, name: str) -> Any:
        slot = self._slots[name]
        if slot.figure is None:
            slot.show(figure_widget(height=slot.height))
        return slot.figure

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def knob(self, field: str) -> KnobRow:
        """The row of a knob; another RunConfig field gets a new row (unticked)."""
        if field not in self.knobs:
            names = (*RunConfig.field_names(), *DERIVED)
            if field not in names:
                raise unknown_name("knob", field, names)
            self.knobs[field] = KnobRow(field, "float:0:1", False)
            self._rows.children = (*self._rows.children, self.knobs[field].widget)
        return self.knobs[field]

    def apply_preset(self, name: str) -> list[str]:
        """Fill the knobs from preset ``name`` for the current model: its knobs ticked
        with the preset's ranges, every other knob unticked, the extra lines cleared and
        the objectives set to the preset's. Returns the ticked knobs.

        Example
        -------
        >>> import tempfile
        >>> import optwidgets as ow
        >>> panel = SearchPanel(ow.RunConfig(dataset="digits", model="cnn"),
        ...                     store=tempfile.mkdtemp())
        >>> panel.apply_preset("architecture"), panel.objectives.value
        (['width', 'dropout'], ('val_acc', 'size_bytes'))
        """
        if name not in PRESETS:
            raise unknown_name("preset", name, PRESETS)
        try:
            space = PRESETS[name](self.config)
        except ConfigError as exc:
            self._show("invalid", f"preset {name!r} not applied: {exc}")
            return []
        for row in self.knobs.values():
            row.enabled.value = False
        for field, spec in space.items():
            row = self.knob(field)
            row.spec.value, row.enabled.value = spec, True
        self.more.value = ""
        self.objectives.value = PRESET_OBJECTIVES[name]
        self._show(
            "ready",
            f"preset {name} applied: {', '.join(space)} of model {self.config.model!r}; "
            f"objectives {', '.join(PRESET_OBJECTIVES[name])}",
        )
        return list(space)

    def _on_preset(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.apply_preset(change["new"])
            self.preset.value = ""

    # -- settings --------------------------------------------------------------------------
    @property
    def config(self) -> RunConfig:
        """The base settings (the Explorer's current ones when embedded)."""
        return self.explorer.config if self.explorer is not None else self._config

    @config.setter
    def config(self, cfg: RunConfig) -> None:
        if self.explorer is not None:
            self.explorer.config = cfg
        else:
            self._config = cfg

    def space(self) -> list[str]:
        """The ticked knobs and extra lines as ``field=spec`` texts."""
        items = [
            f"{r.field}={r.spec.value.strip()}" for r in self.knobs.values() if r.enabled.value
        ]
        items += [line.strip() for line in self.more.value.splitlines() if line.strip()]
        return items

    def settings(self) -> dict[str, Any]:
        """Keyword arguments for :func:`optwidgets.tune.search` from the widgets."""
        method, sampler = self.method.value, None
        if method == "bayes-gp":
            method, sampler = "bayes", "gp"
        objectives = tuple(self.objectives.value)
        return {
            "space": self.space(),
            "method": method,
            "sampler": sampler,
            "n_trials": int(self.n_trials.value),
            "objectives": objectives,
            "n_workers": int(self.n_workers.value),
            "pruner": bool(self.prune.value) and len(objectives) == 1,
        }

    # -- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._busy

    def start(self, *, block: bool = False, timeout: float | None = None) -> bool:
        """Start the search on a background thread; returns whether it started.

        Refused, with the reason shown, while a search (or an Explorer run) is going on
        or when the space does not fit the config (nothing half-starts).
        """
        if self._busy or self.runner.running:
            return False
        kwargs = self.settings()
        try:
            cfg = self.config.replace()  # the search's own copy
            params = parse_space(kwargs["space"], cfg)
        except ConfigError as exc:
            self._show("invalid", f"not started: {exc}")
            return False
        assert kwargs["method"] in METHODS
        self.result, self.error, self._live = None, None, {"cfg": cfg, "params": params, **kwargs}
        text = (
            f"searching {', '.join(p.name for p in params)} with {self.method.label}: "
            f"{kwargs['n_trials']} trials …"
        )
        if self.explorer is not None:
            started = self.explorer.start_job(lambda cancel: self._job(cancel), status=text)
            if started:
                self._busy = True
                self._show("running", text)
                if block:
                    self.explorer.wait(timeout)
            return started
        self._busy = True
        self.start_button.disabled, self.stop_button.disabled = True, False
        self._show("running", text)
        if not self.runner.start(lambda cancel: self._job(cancel), name="optwidgets-search"):
            self._busy = False
            return False
        if block:
            self.join(timeout)
        return True

    def stop(self) -> None:
        """Stop: the running trial ends within one batch, no further trial starts."""
        if self.explorer is not None:
            self.explorer.stop()
        else:
            self.runner.stop()
        self._show("running", "stopping …")

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the search thread; True when it has ended."""
        if self.explorer is not None:
            return self.explorer.wait(timeout)
        return self.runner.wait(timeout)

    def _job(self, cancel: threading.Event) -> Any:
        live = self._live
        kw = {
            k: live[k]
            for k in ("space", "method", "sampler", "n_trials", "objectives", "n_workers", "pruner")
        }
        state, text, outcome = "error", "search ended", None
        run_cbs: list[Any] = []
        if kw["n_workers"] == 1:  # trials in this process: their curves and progress live
            run_cbs = [_TrialLabel(self.progress, kw["n_trials"])]
            run_cbs += (
                self.explorer.run_callbacks() if self.explorer is not None else [self.progress]
            )
        try:
            self.result = search(
                live["cfg"], store=self.store, cancel=cancel, callbacks=[self._trial_done],
                run_callbacks=run_cbs, **kw,
            )  # fmt: skip
            state = "stopped" if cancel.is_set() else "done"
            text = self._summary(self.result)
            outcome = self._outcome(text)
        except Exception as exc:  # refused settings or a bug: one line, never raised
            text = f"search failed: {type(exc).__name__}: {exc}"
            self.error = traceback.format_exc()
            outcome = Outcome(None, text, self.error)
        finally:
            self._cancel_timer()
            self.redraw()
            self._busy = False
            if self.explorer is None:
                self.start_button.disabled, self.stop_button.disabled = False, True
            self._show(state, text)
        return outcome

    def _outcome(self, text: str) -> Any:
        """For the Explorer: the best trial's stored run as the Outcome's result."""
        best = self.result.best if self.result is not None else None
        best = best[0] if isinstance(best, list) and best else best
        run = None
        if best is not None and best.run_id:
            try:
                run = self.store.load(best.run_id)
            except (ConfigError, OSError, ValueError):
                run = None
        return Outcome(run, text)

    # -- live drawing ----------------------------------------------------------------------
    def _trial_done(self, study: Any, trial: Any) -> None:
        """Optuna callback (search thread): redraw now, or once ``min_interval`` is up."""
        self._live["study"] = study
        wait = self.min_interval - (time.monotonic() - self._last_draw)
        if wait <= 0:
            self._cancel_timer()
            self.redraw()
        elif self._timer is None:
            self._timer = threading.Timer(wait, self._deferred)
            self._timer.daemon = True
            self._timer.start()

    def _deferred(self) -> None:
        self._timer = None
        self.redraw()

    def _cancel_timer(self) -> None:
        t, self._timer = self._timer, None
        if t is not None:
            t.cancel()

    def _current(self) -> SearchResult | None:
        if self.result is not None:
            return self.result
        live = self._live
        if "study" not in live:
            return None
        return SearchResult(
            live["study"], live["cfg"], live["params"], tuple(live["objectives"]), live["method"]
        )

    def redraw(self) -> None:
        """Redraw table and figures from the study (thread-safe; one update per figure)."""
        with self._lock:
            res = self._current()
            if res is None:
                return
            try:
                self._draw(res)
                self.draw_error = None
            except Exception as exc:  # a drawing problem never stops the search
                self.draw_error = f"{type(exc).__name__}: {exc}"
            self._last_draw = time.monotonic()
            self.redraws += 1
        if self.explorer is not None and self._busy:
            self.explorer.refresh()  # the trials join the trade-off plot and runs table

    def _draw(self, res: SearchResult) -> None:
        frame = res.trials_frame()
        done = frame[frame["state"] == "COMPLETE"]
        objs, cols = res.objectives, res.value_columns()
        first = cols[0]
        best = done[first].max() if len(done) else float("nan")
        if self._busy:
            self._show(
                "running",
                f"{len(frame)} / {self._live.get('n_trials', '?')} trials · "
                f"best {objs[0]} {best:.4f}"
                if len(done)
                else f"{_trials(len(frame))}, none complete yet …",
            )
        show = [
            c
            for c in (
                *_TABLE_COLUMNS[:2],
                *cols,
                *[f"params_{p.name}" for p in res.params],
                *_TABLE_COLUMNS[2:],
            )
            if c in frame.columns
        ]
        table = frame[show].rename(columns={c: objs[i] for i, c in enumerate(cols)})
        table = table.rename(columns=lambda c: c.removeprefix("params_"))
        self.table.value = (
            table.iloc[::-1]
            .head(50)
            .to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, na_rep="")
        )
        if len(done) == 0:
            return
        direction = OBJECTIVES[objs[0]]
        history = self._figure("history")
        replace_figure(
            history,
            viz.optimization_history(
                frame, objective=first, direction=direction, title="Optimization history"
            ),
        )
        history.layout.yaxis.title.text = viz.axis_label(objs[0])
        replace_figure(
            self._figure("parallel"),
            viz.parallel_coordinates(
                frame, objective=first, direction=direction, title="Parallel coordinates"
            ),
        )
        if len(objs) > 1:
            unit = viz.AXIS_UNITS.get(objs[1])
            replace_figure(
                self._figure("pareto"),
                viz.pareto_trials(
                    frame,
                    x="values_1",
                    y="values_0",
                    minimize_x=OBJECTIVES[objs[1]] == "minimize",
                    maximize_y=direction == "maximize",
                    x_title=viz.axis_label(objs[1]),
                    y_title=viz.axis_label(objs[0]),
                    title="Pareto front",
                    log_x=unit == "B",  # saved sizes span decades
                    x_unit=unit,
                ),
            )
            self._pareto_box.layout.display = None
        else:
            self._pareto_box.layout.display = "none"

    # -- text ------------------------------------------------------------------------------
    def _show(self, state: str, text: str) -> None:
        shown = error_html(text) if state in ("invalid", "error") else status_html(state, text)
        self.status.value = shown
        self.status_text = text

    @staticmethod
    def _summary(res: SearchResult) -> str:
        counts = res.trials_frame()["state"].value_counts().to_dict()
        parts = ", ".join(f"{n} {s.lower()}" for s, n in counts.items())
        best = res.best
        if isinstance(best, list):
            tail = f"{len(best)} on the Pareto front" if best else "no trial completed"
        elif best is not None:
            vals = ", ".join(f"{k} {v:.4g}" for k, v in best.values.items())
            tail = (
                f"best {vals} (trial {best.number}: "
                + ", ".join(
                    f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in best.params.items()
                )
                + ")"
            )
        else:
            tail = "no trial completed"
        return f"search done in {res.wall_seconds:.1f} s: {parts} · {tail}"


def _trials(n: int) -> str:
    return f"{n} trial" + ("s" if n != 1 else "")
