"""The Explorer: controls for every RunConfig field, Train / Stop, live curves, the
trade-off plot of every stored run, the runs table, decision boundary and confusion matrix.

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

import html
import importlib.util
import json
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.runs import RunResult, RunStore
from optwidgets.train.callbacks import Callback
from optwidgets.ui._boundary import BoundaryView
from optwidgets.ui._form import error_html
from optwidgets.ui._live import LiveCurves
from optwidgets.ui._panel import RunPanel
from optwidgets.ui._runner import Outcome, run_safely
from optwidgets.ui._runs_table import RunsTable
from optwidgets.ui._spec import Tab
from optwidgets.ui._tradeoff import TradeoffView
from optwidgets.ui.presets import PANELS, get_preset
from optwidgets.ui.tabs import tabs as all_tabs

__all__ = ["Explorer"]


class Explorer(RunPanel):
    """The optwidgets dashboard (ipywidgets + plotly FigureWidget).

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
        Which of ``curves, boundary, tradeoff, runs`` to draw (default all).
    tabs : sequence of Tab, optional
        Control tabs (default every module of :mod:`optwidgets.ui.tabs`).
    export_dir : path, optional
        Folder for exported scripts and CSV files (default: the working directory).
    callbacks : sequence of Callback
        Extra callbacks given to every run (your own logger, a timer); they run on the
        training thread, so keep them light and leave widgets alone.
    data : DataFrame, (X, y), Dataset or CSV path, optional
        Your own data (:func:`optwidgets.runs.userdata.use_data`): registered, put in the
        dataset menu and selected; feature vectors get the ``mlp`` family.
    target : str, optional
        The label column when ``data`` is a DataFrame or CSV file.

    Attributes (for code and tests)
    -------------------------------
    controls : dict name -> widget; ``train_button``, ``stop_button``, ``copy_button``,
    ``export_button``; ``status`` (text) and ``state`` (``ready``, ``running``, ``done``,
    ``stopped``, ``diverged``, ``failed``, ``error``, ``invalid``); ``last_result``;
    ``live`` (the :class:`LiveCurves` callback; ``live.figure`` is the loss plot);
    ``tradeoff``, ``runs``, ``boundary`` (panels or None); ``widget`` (what is displayed).
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
            from optwidgets.runs.userdata import model_for, use_data

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
        self.preset = p
        self.panels = panels
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self.callbacks = list(callbacks)
        self.last_result: RunResult | None = None
        self.last_outcome: Outcome | None = None
        self.boundary: BoundaryView | None = None
        self._init_panel(
            config, all_tabs() if tabs is None else tabs, store=store, show=show, lock=lock
        )
        self._build_widgets()
        self.refresh()
        self._update_buttons()

    # ---------------------------------------------------------------- construction ----
    def _build_widgets(self) -> None:
        self.copy_button = W.Button(
            description="Copy config", icon="copy", tooltip="show the settings as JSON"
        )
        self.export_button = W.Button(description="Export script", icon="file-code-o")
        if importlib.util.find_spec("optwidgets.export") is None:
            self.export_button.disabled = True
            self.export_button.tooltip = "needs optwidgets.export (not in this version)"
        else:
            self.export_button.tooltip = "write a plain PyTorch script that reproduces the run"
        self.copy_button.on_click(lambda _: self.copy_config())
        self.export_button.on_click(lambda _: self._export_clicked())

        self.message = W.HTML("")
        self.json_text = W.Textarea(layout=W.Layout(width="640px", height="220px"))
        self.json_apply = W.Button(description="Load this JSON", icon="upload")
        self.json_apply.on_click(lambda _: self.apply_json())
        self.json_box = W.VBox([self.json_text, self.json_apply], layout=W.Layout(display="none"))
        self.live = LiveCurves(listeners=[self.progress])
        self.figure = self.live.figure
        self.boundary = BoundaryView() if "boundary" in self.panels else None
        self.tradeoff = TradeoffView(self.load_run) if "tradeoff" in self.panels else None
        self.runs = (
            RunsTable(self.store, export_dir=self.export_dir) if "runs" in self.panels else None
        )

        extras = {t.title: t.extra(self) for t in self.form.visible_tabs() if t.extra}
        header = "<b>optwidgets Explorer</b>"
        if self.preset is not None and self.preset.description:
            header += f" — {html.escape(self.preset.description)}"
        rows: list[W.Widget] = [W.HTML(header)]
        if self.form.visible_tabs():
            rows.append(self.form.layout(extras))
        rows += [
            self.form.form_message,
            W.HBox([self.train_button, self.stop_button, self.copy_button, self.export_button]),
            self.progress.widget,
            self.status_html,
            self.message,
            self.json_box,
        ]
        figures = []
        if "curves" in self.panels:
            figures.append(self.live.figure)
        if self.boundary is not None:
            figures.append(self.boundary.widget)
            self._show_boundary()
        if figures:
            rows.append(W.HBox(figures))
        if self.tradeoff is not None:
            rows.append(self.tradeoff.widget)
        if self.runs is not None:
            rows.append(self.runs.widget)
        self.widget = W.VBox(rows)

    @classmethod
    def from_json(cls, text: str, **kwargs: Any) -> Explorer:
        """An Explorer starting from a config saved as JSON (``Copy config``, a RunStore
        file or ``RunResult.to_dict()``); keyword arguments as for the constructor."""
        return cls(config=_config_from_json(text), **kwargs)

    # ---------------------------------------------------------------------- config ----
    def to_json(self) -> str:
        """The current settings as JSON (what *Copy config* shows)."""
        return json.dumps(self.config.to_dict(), indent=2)

    def _form_changed(self, name: str) -> None:
        if name in ("dataset", "config"):
            self._show_boundary()
        super()._form_changed(name)

    def _show_boundary(self) -> None:
        from optwidgets.data import TOY_DATASETS

        if self.boundary is not None and not self._busy:
            toy = self.config.dataset in TOY_DATASETS
            self.boundary.widget.layout.display = None if toy else "none"

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
        is going on or a control holds a refused value; Train is disabled and Stop sets
        ``cancel`` meanwhile; ``status`` is shown while it runs; the returned Outcome (or
        an exception, as one line) becomes the status line, and the trade-off plot and
        runs table are refreshed at the end. Give ``self.live`` (and ``self.callbacks``)
        to the runs the job starts so their curves are drawn. Returns whether it started.
        """

        def wrapped(cancel: threading.Event) -> None:
            outcome = Outcome(None, "error: the job did not report back")
            try:
                outcome = job(cancel) or outcome
            except Exception as exc:  # one readable line; the traceback is kept
                outcome = Outcome(
                    None, f"error: {type(exc).__name__}: {exc}", traceback.format_exc()
                )
            finally:
                self._finish(outcome)

        return self._start(wrapped, lambda: status, block=block, timeout=timeout)

    def _job(self, cancel: threading.Event) -> None:
        outcome = Outcome(None, "error: the run did not report back")
        try:
            try:
                cfg = self.config.replace()  # the run's own copy: edits meanwhile don't leak in
            except ConfigError as exc:
                outcome = Outcome(None, f"not started: {exc}")
                return
            self.progress.reset("starting …")
            callbacks: list[Any] = [self.live, *self.callbacks]
            if self.boundary is not None:
                try:
                    if self.boundary.prepare(cfg):
                        callbacks.append(self.boundary)
                except Exception as exc:  # no boundary, but the run goes on
                    self.boundary.note.value = error_html(f"decision boundary: {exc}")
            outcome = run_safely(cfg, callbacks, cancel, self.store)
        finally:
            self._finish(outcome)

    def _finish(self, outcome: Outcome) -> None:
        self.last_outcome = outcome
        if outcome.result is not None:
            self.last_result = outcome.result
        text = outcome.message
        if self.live.last_error:
            text += f"\n(live plot: {self.live.last_error})"
        try:
            self.progress.finish(outcome.state)
            latest = outcome.result.run_id if outcome.result is not None else None
            self.refresh(latest=latest)
        except Exception as exc:  # the views failed to refresh; the run is stored anyway
            text += f"\n(refreshing the runs views failed: {type(exc).__name__}: {exc})"
        self._done(outcome.state, text)

    # --------------------------------------------------------------- the run views ----
    def refresh(self, *, latest: str | None = None) -> None:
        """Reload the trade-off plot and the runs table from the store."""
        if self.tradeoff is None and self.runs is None:
            return
        frame = self.store.to_frame()
        if self.tradeoff is not None:
            self.tradeoff.refresh(frame)
        if self.runs is not None:
            self.runs.refresh(frame, latest=latest)

    def load_run(self, run_id: str) -> RunConfig | None:
        """Load a stored run's settings into the controls (what clicking a point does)."""
        try:
            result = self.store.load(run_id)
        except (ConfigError, OSError, ValueError) as exc:
            self.message.value = error_html(f"could not load run {run_id}: {exc}")
            return None
        self.config = result.config
        acc = result.metrics.get("test_acc")
        acc_text = f", test accuracy {acc:.3f}" if acc is not None else ""
        locked = ", ".join(sorted(self.form.lock))
        lock_text = f" (locked here: {locked})" if locked else ""
        self.message.value = (
            f"Loaded the settings of run <code>{html.escape(run_id)}</code> "
            f"({result.status}{acc_text}){html.escape(lock_text)}."
        )
        return self.config

    # ------------------------------------------------------------------- actions ------
    def copy_config(self) -> str:
        """Show the settings as JSON (editable: *Load this JSON* applies it); returns it."""
        text = self.to_json()
        self.json_text.value = text
        self.json_box.layout.display = None
        return text

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
        """Write a plain PyTorch script reproducing the current settings; returns its path.

        Needs ``optwidgets.export`` (``export_script(cfg) -> str``).
        """
        from optwidgets.export import export_script

        cfg = self.config
        if path is None:
            path = (self.export_dir or Path.cwd()) / f"train_{cfg.dataset}_{cfg.model}.py"
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(export_script(cfg, filename=path.name), encoding="utf-8")
        self.message.value = (
            f"Script written to <code>{html.escape(str(path.resolve()))}</code>"
            f" — run it with <code>python {html.escape(path.name)}</code>."
        )
        return path

    def _export_clicked(self) -> None:
        try:
            self.export_script()
        except ImportError:
            self.message.value = error_html(
                "exporting needs optwidgets.export, which this version does not have"
            )
        except ConfigError as exc:
            self.message.value = error_html(f"cannot export this run: {exc}")
        except Exception as exc:  # shown, not raised into the cell
            self.message.value = error_html(f"export failed: {type(exc).__name__}: {exc}")

    def export_csv(self, path: str | os.PathLike | None = None) -> Path:
        """Write the runs table as CSV (see :meth:`RunsTable.export_csv`)."""
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
