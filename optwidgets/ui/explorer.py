"""The Explorer: the optwidgets dashboard, on one screen.

Layout (pieces of :mod:`optwidgets.ui._layout`, plain flex boxes that wrap)::

    ┌ optwidgets Explorer  [Train] [Stop]  ▰▰▰▱▱ train · epoch 3/10 · step … · ETA 2 s ┐
    │ status: done · sim-2bit · test accuracy 0.962 · 3.1 kB (packed-2bit, 0.13× dense) │
    ├ controls (fixed width) ───┬ live curves (+ decision boundary) ─────────────────────┤
    │ tabs wrap onto rows;      │ x [Saved size] y [Test accuracy]   feedback of a click │
    │ every pane one height,    │ trade-off plot: every run, colour = technique family   │
    │ scrolling inside          │                                                        │
    ├ Runs: a data grid (sort, search, select), fixed height, scrolls inside ────────────┤
    └ the selected runs' curves  │  confusion matrix of the selected (or latest) run ─────┘

On a 1366×768 screen in JupyterLab with the file browser open (~930 px wide) the action
bar, the live curves and the trade-off plot are all in view after Train; a narrower
output puts the plots under the controls; a wider one (from ~1,160 px) puts the trade-off
plot beside the curves and the runs grid under them, beside the controls, so the whole
dashboard fits one screen.

One-time costs are paid while the dashboard is drawn, on a background thread
(:class:`~optwidgets.ui._figures.FigureMaker`): the FigureWidgets (plotly's widget
module, ~5 MB of JavaScript each), the first optimizer's ``torch._dynamo`` import
(``warm_up``), the toy data of the decision boundary. Train waits for them if it is
pressed very early, so the first Train is as quick as the next. Runs written by any
process appear without pressing Train: the store is read on display and watched while
the Explorer lives.

Example
-------
>>> import tempfile
>>> import optwidgets as ow
>>> ex = ow.Explorer(preset="first_steps", store=tempfile.mkdtemp())
>>> ex.controls["lr"].value = 0.1          # the widget edits the config itself
>>> ex.config.lr
0.1
>>> ex.train(block=True)                   # in a notebook: press Train
True
>>> ex.last_result.status
'done'
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import threading
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.export import export_script as script_text
from optwidgets.runs import RunResult, RunStore
from optwidgets.runs.userdata import model_for, use_data
from optwidgets.train.callbacks import Callback
from optwidgets.train.optim import warm_up
from optwidgets.ui._boundary import BoundaryView
from optwidgets.ui._bridge import CopyButton, PageBridge
from optwidgets.ui._figures import LOSS_PLACEHOLDER, FigureMaker, loss_figure
from optwidgets.ui._form import error_html
from optwidgets.ui._gradients import GradientView
from optwidgets.ui._layout import (
    SIZES,
    PlotSlot,
    action_bar,
    column,
    columns,
    flow,
    saved_html,
)
from optwidgets.ui._live import LiveCurves
from optwidgets.ui._panel import RunPanel
from optwidgets.ui._runner import Outcome, describe, run_safely
from optwidgets.ui._runs_table import RunsGrid
from optwidgets.ui._spec import Tab
from optwidgets.ui._tradeoff import TradeoffView
from optwidgets.ui.presets import PANELS, get_preset
from optwidgets.ui.tabs import tabs as all_tabs

__all__ = ["Explorer", "StoreWatcher"]


class StoreWatcher:
    """One daemon thread for all Explorers: every ``interval`` seconds each live Explorer
    checks whether its store changed (a cheap ``stat`` of the runs folder) and, if it did
    and it is not running a job of its own, redraws its runs views."""

    interval = 2.0
    _panels: weakref.WeakSet = weakref.WeakSet()
    _thread: threading.Thread | None = None
    _lock = threading.Lock()

    @classmethod
    def watch(cls, panel: Any) -> None:
        with cls._lock:
            cls._panels.add(panel)
            if cls._thread is None or not cls._thread.is_alive():
                cls._thread = threading.Thread(target=cls._main, name="optwidgets-store-watcher",
                                               daemon=True)  # fmt: skip
                cls._thread.start()

    @classmethod
    def forget(cls, panel: Any) -> None:
        with cls._lock:
            cls._panels.discard(panel)

    @classmethod
    def _main(cls) -> None:
        stop = threading.Event()
        while not stop.wait(cls.interval):
            for panel in list(cls._panels):
                try:
                    panel.poll_store()
                except Exception:  # a broken panel must not stop the others
                    cls.forget(panel)


class Explorer(RunPanel):
    """The optwidgets dashboard (ipywidgets + plotly FigureWidget); see the module doc.

    An Explorer *is* an ``ipywidgets.VBox``: display it, or put it in a ``VBox``,
    ``AppLayout`` or a Voilà template.

    Parameters
    ----------
    config : RunConfig, optional
        The config the controls edit: ``explorer.config`` *is* this object.
        Default: the preset's config, else ``RunConfig()``.
    store : RunStore or path, optional
        Where runs are written and read from (default :func:`~optwidgets.default_store`).
    show : iterable of str, optional
        Classroom mode: the only controls shown (``["lr", "optimizer"]``); tabs left
        empty are hidden.
    lock : mapping, optional
        Fields fixed to a value (``{"lr": 0.01}``), shown disabled.
    preset : str, optional
        A name of :data:`optwidgets.ui.presets.PRESETS` (``"first_steps"``,
        ``"regularization"``, ``"optimizers"``, ``"full"``); ``show``, ``lock``,
        ``panels`` and ``config`` given here win over the preset's.
    panels : iterable of str, optional
        Which of ``curves, boundary, tradeoff, runs, gradients`` to draw (default all;
        ``gradients`` is folded under the curves until its action-bar button is pressed).
    tabs : sequence of Tab, optional
        Control tabs (default every module of :mod:`optwidgets.ui.tabs`).
    export_dir : path, optional
        Folder for exported scripts and CSV files (default: the working directory).
    callbacks : sequence of Callback
        Extra callbacks given to every run the Explorer starts (Train, sweeps, searches
        in this process): a ``TensorBoardLogger``, your own timer. They run on the
        training thread, so keep them light and leave widgets alone.
    data : DataFrame, (X, y), Dataset or CSV path, optional
        Your own data (:func:`optwidgets.runs.userdata.use_data`): registered, put in the
        dataset menu and selected; feature vectors get the ``mlp`` family.
    target : str, optional
        The label column when ``data`` is a DataFrame or CSV file.

    Attributes (for code and tests)
    -------------------------------
    controls : dict name -> widget; ``train_button``, ``stop_button``, ``copy_button``
    (copies to the browser's clipboard), ``json_button``, ``export_button``; ``status``
    (text) and ``state`` (``ready``, ``running``, ``done``, ``stopped``, ``diverged``,
    ``failed``, ``error``, ``invalid``); ``progress`` (its ``text`` and ``final``);
    ``last_result``; ``live`` (the :class:`LiveCurves` callback; ``figure`` is the loss
    plot); ``tradeoff``, ``runs``, ``boundary``, ``gradients`` (panels or None);
    ``bridge`` (browser downloads); ``store_problems`` (files the store skipped).
    """

    def __init__(
        self,
        config: RunConfig | None = None,
        *,
        store: RunStore | str | os.PathLike | None = None,
        show: Iterable[str] | None = None,
        lock: Mapping[str, Any] | None = None,
        preset: str | None = None,
        panels: Iterable[str] | None = None,
        tabs: Sequence[Tab] | None = None,
        export_dir: str | os.PathLike | None = None,
        callbacks: Sequence[Callback] = (),
        data: Any = None,
        target: str | None = None,
    ) -> None:
        p = get_preset(preset) if preset is not None else None
        if config is None:
            config = RunConfig(**p.config) if p is not None else RunConfig()
        if not isinstance(config, RunConfig):
            raise ConfigError("config", config, "an optwidgets.RunConfig (or None)")
        if data is not None or target is not None:  # bring your own data: into the menu
            if data is None:
                raise ConfigError("target", target, "a target only together with data=")
            config.dataset = use_data(data, target)
            config.model = model_for(config.dataset, config.model)
        if show is None and p is not None:
            show = p.show
        lock = {**(p.lock if p is not None else {}), **dict(lock or {})}
        panels = tuple(panels) if panels is not None else (p.panels if p else PANELS)
        for name in panels:
            if name not in PANELS:
                raise ConfigError("panels", name, "any of " + ", ".join(map(repr, PANELS)))
        callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise ConfigError("callbacks", cb, "instances of optwidgets.Callback")
        self.preset = p
        self.panels = panels
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self.callbacks = callbacks
        self.last_result: RunResult | None = None
        self.last_outcome: Outcome | None = None
        self.boundary: BoundaryView | None = None
        self.gradients: GradientView | None = None
        self.store_problems: list[Any] = []
        self._refresh_lock = threading.RLock()
        self._store_sig: Any = None
        self._init_panel(
            config, all_tabs() if tabs is None else tabs, store=store, show=show, lock=lock
        )
        self._build_widgets()
        self.refresh()
        self._update_buttons()
        self._maker = FigureMaker(self._warm_jobs(), start=True)
        StoreWatcher.watch(self)

    # ---------------------------------------------------------------- construction ----
    def _build_widgets(self) -> None:
        self.bridge = PageBridge()
        self.copy_button = CopyButton(
            on_result=self._copied,
            description="Copy config",
            tooltip="copy the settings (JSON) to the clipboard",
            text=self.to_json(),
        )
        self.copy_button.add_class("ow-copy")
        self.json_button = W.Button(
            description="JSON…", icon="pencil",
            tooltip="show the settings as JSON to edit or paste, then load them",
            layout=W.Layout(width="auto", flex="0 0 auto"),
        )  # fmt: skip
        self.export_button = W.Button(
            description="Export script", icon="file-code-o",
            tooltip="a plain PyTorch script that reproduces the run: downloaded and saved",
            layout=W.Layout(width="auto", flex="0 0 auto"),
        )  # fmt: skip
        self.json_button.on_click(lambda _: self._toggle_json())
        self.export_button.on_click(lambda _: self._export_clicked())

        self.message = W.HTML("", layout=W.Layout(width="auto", min_width="0"))
        self.message.add_class("ow-note")
        self.json_text = W.Textarea(layout=W.Layout(width="auto", height="200px"))
        self.json_apply = W.Button(description="Load this JSON", icon="upload")
        self.json_apply.on_click(lambda _: self.apply_json())
        self.json_box = W.VBox(
            [self.json_text, self.json_apply], layout=W.Layout(display="none", width="100%")
        )
        self.live = LiveCurves(listeners=[self.progress], make_figure=False)
        self.loss_slot = PlotSlot(SIZES["loss"], LOSS_PLACEHOLDER, flex="1 1 260px")
        self.loss_slot.widget.add_class("ow-loss")
        self.boundary = BoundaryView() if "boundary" in self.panels else None
        self.gradients = GradientView() if "gradients" in self.panels else None
        self.tradeoff = TradeoffView(self.load_run) if "tradeoff" in self.panels else None
        if self.tradeoff is not None:  # y: test accuracy, or test R² for a regression
            self.tradeoff.use_task(self.config.resolved_task)
        self.runs = (
            RunsGrid(self.store, export_dir=self.export_dir, download=self.bridge.download)
            if "runs" in self.panels
            else None
        )

        extras = {t.title: t.extra(self) for t in self.form.visible_tabs() if t.extra}
        title = "optwidgets Explorer"
        tip = html.escape(self.preset.description) if self.preset is not None else ""
        header = W.HTML(f'<span class="ow-title" title="{tip}">{title}</span>',
                        layout=W.Layout(flex="0 0 auto"))  # fmt: skip
        top = action_bar([header, self.train_button, self.stop_button, self.progress.widget,
                          *([self.gradients.toggle] if self.gradients is not None else [])])

        left: list[W.Widget] = []
        if self.form.visible_tabs():
            left.append(self.form.layout(extras))
        if self.preset is not None and self.preset.description:
            left.append(W.HTML(f'<div class="ow-help">{tip}</div>'))
        left += [
            self.form.form_message,
            W.HBox(
                [self.copy_button, self.json_button, self.export_button],
                layout=W.Layout(flex_flow="row wrap", width="100%", grid_gap="4px"),
            ),
            self.message,
            self.json_box,
        ]
        curves: list[W.Widget] = []
        if "curves" in self.panels:
            curves.append(self.loss_slot.widget)
        if self.boundary is not None:
            curves.append(self.boundary.widget)
        right: list[W.Widget] = []
        # the gradients panel: folded (no height) until its action-bar button unfolds it
        self._curves = column([flow(curves, gap="8px"),
                               *([self.gradients.widget] if self.gradients is not None else [])],
                              flex="1 1 400px")
        if curves or self.gradients is not None:
            right.append(self._curves)
        if self.tradeoff is not None:
            right.append(column([self.tradeoff.widget], flex="1 1 400px"))
        body = columns(left, [flow(right, gap="8px")],
                       self.runs.widget if self.runs is not None else None)  # fmt: skip
        self._show_boundary()
        self._show_layout([self.bridge, top, self.status_html, body], classes=("ow-explorer",))

    def _warm_jobs(self) -> list[Callable[[], Any]]:
        """What the background thread makes while the dashboard is drawn, in order."""
        jobs: list[Callable[[], Any]] = []
        if "curves" in self.panels:
            jobs.append(self._make_loss_figure)
        if self.tradeoff is not None:
            jobs.append(self.tradeoff.make_figure)
        if self.boundary is not None and self.boundary.applies(self.config.dataset):
            jobs.append(self._warm_boundary)
        jobs.append(warm_up)  # torch._dynamo, imported by the first optimizer
        if self.runs is not None:
            jobs.append(self.runs.make_figures)
        preview = getattr(self, "augment_preview", None)
        if preview is not None:
            jobs.append(preview.refresh)
        jobs.append(lambda: self.add_class("ow-ready"))
        return jobs

    def _make_loss_figure(self) -> None:
        fig = loss_figure(height=SIZES["loss"], empty_text=LOSS_PLACEHOLDER)
        fig.update_layout(margin={"l": 50, "r": 46, "t": 24, "b": 36},
                          legend={"font": {"size": 10}, "tracegroupgap": 0})  # fmt: skip
        fig.data[0].showlegend = False  # the faint raw loss: the smoothed one names "train"
        self.live.figure = fig
        self.loss_slot.show(fig)

    def _warm_boundary(self) -> None:
        if self.boundary is not None:
            self.boundary.make_figure()
            self.boundary.preload(self.config)

    def ready(self, timeout: float | None = 120) -> bool:
        """Wait until the figures are made and one-time imports are done (True then).
        Train waits for this by itself; code that reads the figures can call it."""
        return self._maker.wait(timeout)

    @property
    def figure(self) -> Any:
        """The live loss FigureWidget (made in the background: waits for it)."""
        self.ready()
        return self.live.figure

    @classmethod
    def from_json(cls, text: str, **kwargs: Any) -> Explorer:
        """An Explorer starting from a config saved as JSON (``Copy config``, a RunStore
        file or ``RunResult.to_dict()``); keyword arguments as for the constructor."""
        return cls(config=_config_from_json(text), **kwargs)

    def close(self) -> None:
        """Close the widget and stop watching the store."""
        StoreWatcher.forget(self)
        super().close()

    # ---------------------------------------------------------------------- config ----
    def to_json(self) -> str:
        """The current settings as JSON (what *Copy config* copies): as a run gets them,
        settings of disabled controls back at their defaults."""
        try:
            cfg = self.config.replace().without_unused()
        except ConfigError:  # settings that disagree: copy them as they are
            cfg = self.config
        return json.dumps(cfg.to_dict(), indent=2)

    def _form_changed(self, name: str) -> None:
        if name in ("dataset", "config"):
            self._show_boundary()
        if name in ("dataset", "task", "config") and self.tradeoff is not None:
            self.tradeoff.use_task(self.config.resolved_task)  # R² for a regression
        copy_button = getattr(self, "copy_button", None)
        if copy_button is not None:
            copy_button.text = self.to_json()
        super()._form_changed(name)

    def _show_boundary(self) -> None:
        if self.boundary is None or self._busy:
            return
        toy = self.boundary.applies(self.config.dataset)
        self.boundary.widget.layout.display = None if toy else "none"
        if hasattr(self, "_curves"):  # the curves and the boundary side by side: more room
            self._curves.layout.flex = "1 1 540px" if toy else "1 1 400px"
        if toy and self.boundary.slot.figure is None and hasattr(self, "_maker"):
            FigureMaker([self._warm_boundary], start=True)  # made now, not at Train

    def run_callbacks(self) -> list[Callback]:
        """The callbacks a run started by this Explorer gets: the live curves, the
        progress line and the Explorer's own ``callbacks`` (for tabs that start runs)."""
        views = [self.gradients] if self.gradients is not None else []
        return [self.live, self.progress, *views, *self.callbacks]

    def start_job(
        self,
        job: Callable[[threading.Event], Outcome | None],
        *,
        status: str,
        block: bool = False,
        timeout: float | None = None,
    ) -> bool:
        """Run ``job(cancel) -> Outcome`` on the Explorer's background thread, as Train does.

        For tabs that start their own runs (a sweep, a search): nothing starts while a run
        is going on or the settings disagree; Train is disabled and Stop sets ``cancel``
        meanwhile; ``status`` is shown while it runs; the returned Outcome (or an
        exception, as one line) becomes the status line, and the trade-off plot and runs
        grid are refreshed at the end. Give :meth:`run_callbacks` to the runs the job
        starts so their curves and progress are drawn; set ``progress.job`` to say which
        run of the series is going. Returns whether it started.
        """

        def wrapped(cancel: threading.Event) -> None:
            outcome = Outcome(None, "error: the job did not report back")
            try:
                self.ready()
                outcome = job(cancel) or outcome
            except Exception as exc:  # one readable line; the traceback is kept
                outcome = Outcome(
                    None, f"error: {type(exc).__name__}: {exc}", traceback.format_exc()
                )
            finally:
                self._finish(outcome, series=True)

        return self._start(wrapped, lambda: status, block=block, timeout=timeout)

    def _job(self, cancel: threading.Event) -> None:
        outcome = Outcome(None, "error: the run did not report back")
        try:
            self.ready()  # figures and one-time imports: normally done long before
            try:
                # the run's own copy (edits meanwhile don't leak in), with the settings
                # that do not apply (disabled controls) put back to their defaults
                cfg = self.config.replace().without_unused()
            except ConfigError as exc:
                outcome = Outcome(None, f"not started: {exc}")
                return
            self.progress.reset("starting …")
            callbacks: list[Any] = self.run_callbacks()
            if self.boundary is not None:
                try:
                    if self.boundary.prepare(cfg):
                        callbacks.append(self.boundary)
                except Exception as exc:  # no boundary, but the run goes on
                    self.boundary.note.value = error_html(f"decision boundary: {exc}")
                    self.boundary.note.layout.display = None
            outcome = run_safely(cfg, callbacks, cancel, self.store)
        finally:
            self._finish(outcome)

    def _finish(self, outcome: Outcome, *, series: bool = False) -> None:
        self.last_outcome = outcome
        if outcome.result is not None:
            self.last_result = outcome.result
        text = outcome.message
        result = outcome.result
        if result is not None and not series and outcome.message and not outcome.traceback:
            # the progress line's step count (a stopped run's is mid-epoch): the same here
            text = describe(result, final=self.progress.final)
        if self.live.last_error:
            text += f"\n(live plot: {self.live.last_error})"
        try:
            if self.progress.final is None or result is None:
                self.progress.finish(outcome.state)
                if result is None:
                    self.progress.show(text.splitlines()[0] if text else "")
            latest = result.run_id if result is not None else None
            self.refresh(latest=latest)
        except Exception as exc:  # the views failed to refresh; the run is stored anyway
            text += f"\n(refreshing the runs views failed: {type(exc).__name__}: {exc})"
        self._done(outcome.state, text)

    # --------------------------------------------------------------- the run views ----
    def _store_signature(self) -> Any:
        try:
            st = os.stat(self.store.runs_dir)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _read_store(self) -> pd.DataFrame:
        with warnings.catch_warnings(record=True):  # problems are shown, not printed
            warnings.simplefilter("always")
            frame = self.store.to_frame()
        self.store_problems = list(getattr(self.store, "problems", []))
        return frame

    def refresh(self, *, latest: str | None = None) -> None:
        """Reload the trade-off plot and the runs grid from the store."""
        if self.tradeoff is None and self.runs is None:
            return
        with self._refresh_lock:
            sig = self._store_signature()
            frame = self._read_store()
            self._store_sig = sig
            if self.tradeoff is not None:
                self.tradeoff.refresh(frame, latest=latest)
            if self.runs is not None:
                self.runs.refresh(frame, latest=latest)
                self._show_problems()

    def poll_store(self) -> bool:
        """Redraw the runs views if the store changed since they were drawn (another
        process, a script, a cell of this notebook); returns whether it did. Called by
        the store watcher every couple of seconds, and when the Explorer is displayed."""
        if self._busy or self.runner.running:
            return False  # our own job refreshes at its end
        sig = self._store_signature()
        if sig == self._store_sig:
            return False
        self.refresh()
        return True

    def _show_problems(self) -> None:
        if self.runs is None:
            return
        problems = self.store_problems
        if not problems:
            return
        detail = "; ".join(f"{Path(str(p.path)).name}: {p.reason}" for p in problems[:8])
        n = len(problems)
        self.runs.title.value += (
            f' <span style="color:#b26a00" title="{html.escape(detail)}">· {n} unusable '
            f"file{'s' * (n != 1)} in the store skipped</span>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        with contextlib.suppress(Exception):  # displaying never fails because of the store
            self.poll_store()  # what was stored since the Explorer was made
        return super()._repr_mimebundle_(**kwargs)

    def load_run(self, run_id: str) -> str | None:
        """Load a stored run's settings into the controls (what clicking a point does);
        returns the feedback shown beside the trade-off plot (None if it failed)."""
        try:
            result = self.store.load(run_id)
        except (ConfigError, OSError, ValueError) as exc:
            text = error_html(f"could not load run {run_id}: {exc}")
            self._feedback(text)
            return None
        self.config = result.config
        acc, r2 = result.metrics.get("test_acc"), result.metrics.get("test_r2")
        acc_text = (f", test accuracy {acc:.3f}" if acc is not None else
                    f", test R² {r2:.3f}" if r2 is not None else "")
        locked = ", ".join(sorted(self.form.lock))
        lock_text = f" (locked here: {locked})" if locked else ""
        text = (
            f"Loaded run <code>…{html.escape(run_id[-6:])}</code> ({html.escape(result.technique)}"
            f", {result.status}{acc_text}){html.escape(lock_text)}: press Train to run it again."
        )
        self._feedback(text, title=run_id)
        return text

    def _feedback(self, text: str, *, title: str = "") -> None:
        if self.tradeoff is not None:
            self.tradeoff.note.value = f'<span title="{html.escape(title)}">{text}</span>'
        else:
            self.message.value = text

    # ------------------------------------------------------------------- actions ------
    def copy_config(self) -> str:
        """The settings as JSON, shown in the JSON box (editable: *Load this JSON* applies
        it); returns it. In the browser, *Copy config* puts the same text on the
        clipboard."""
        text = self.to_json()
        self.copy_button.text = text
        self.json_text.value = text
        self.json_box.layout.display = None
        return text

    def _copied(self, ok: bool, error: str) -> None:
        if ok:
            self.message.value = (
                '<span title="paste into ow.Explorer.from_json(...), or JSON… to load them">'
                "Settings copied to the clipboard.</span>"
            )
        else:  # the page may not write the clipboard: show the text to copy by hand
            self.copy_config()
            self.message.value = error_html(
                f"could not copy to the clipboard ({error}): the settings are below"
            )

    def _toggle_json(self) -> None:
        if self.json_box.layout.display == "none":
            self.copy_config()
        else:
            self.json_box.layout.display = "none"

    def apply_json(self, text: str | None = None) -> bool:
        """Load settings from JSON text (default: the JSON box); refusals are shown."""
        text = self.json_text.value if text is None else text
        try:
            cfg = _config_from_json(text)
        except (ValueError, TypeError) as exc:  # JSONDecodeError and ConfigError included
            self.message.value = error_html(f"JSON not loaded: {exc}")
            return False
        self.config = cfg
        self.message.value = "Settings loaded from JSON."
        return True

    def export_script(self, path: str | os.PathLike | None = None) -> Path:
        """Write a plain PyTorch script reproducing the current settings and hand it to
        the browser as a download; returns its path on the server (the text is
        :func:`optwidgets.export.export_script`'s)."""
        cfg = self.config
        if path is None:
            path = (self.export_dir or Path.cwd()) / f"train_{cfg.dataset}_{cfg.model}.py"
        path = Path(path)
        text = script_text(cfg.replace().without_unused(), filename=path.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.bridge.download(path.name, text, mime="text/x-python")
        self.message.value = saved_html(
            f"Script downloaded (run it with: python {path.name})", path.resolve()
        )
        return path

    def _export_clicked(self) -> None:
        try:
            self.export_script()
        except ConfigError as exc:
            self.message.value = error_html(f"cannot export this run: {exc}")
        except Exception as exc:  # shown, not raised into the cell
            self.message.value = error_html(f"export failed: {type(exc).__name__}: {exc}")

    def export_csv(self, path: str | os.PathLike | None = None) -> Path:
        """Write the runs as CSV and download it (see :meth:`RunsGrid.export_csv`)."""
        if self.runs is None:
            raise ConfigError("panels", self.panels, "a 'runs' panel to export")
        return self.runs.export_csv(path)


def _config_from_json(text: str) -> RunConfig:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ConfigError("json", type(data).__name__, "a JSON object of RunConfig fields")
    if "config" in data and isinstance(data["config"], dict):  # a stored run / to_dict()
        data = data["config"]
    return RunConfig.from_dict(data)
