"""The runs grid: every stored run in a real data grid, plus the curves of the selected
runs overlaid and the confusion matrix of one.

The grid (:class:`~optwidgets.ui._grid.DataGrid`, itables) sorts by any column, searches,
keeps one line per run and a fixed height (it scrolls inside; never wider than the
dashboard). Columns show what each knob did: technique (its family's colour, as on the
trade-off plot), pruning and quantization settings, the saved size with its encoding and
its share of the dense size, non-zero parameters, latencies. Selecting rows draws their
curves on the overlay and the first one's confusion matrix (the latest run's when
nothing is selected). Read from the RunStore, so it survives a kernel restart; the
dashboard refreshes it when any process adds a run.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from optwidgets import viz
from optwidgets.runs import RunStore
from optwidgets.ui._figures import figure_widget, replace_figure
from optwidgets.ui._grid import DataGrid
from optwidgets.ui._layout import SIZES, PlotSlot, flow, saved_html

__all__ = ["RunsTable", "RunsGrid", "GRID_COLUMNS", "OVERLAYS", "grid_frame"]

# Overlay choices: label -> (split, metric) of the history.
OVERLAYS = {
    "train loss": ("train", "loss"),
    "val loss": ("val", "loss"),
    "val accuracy": ("val", "acc"),
    "val R²": ("val", "r2"),  # regression runs
}
# The grid's columns, in order (title shown -> how it is computed in grid_frame).
GRID_COLUMNS = (
    "run",
    "status",
    "technique",
    "test acc",
    "test R²",  # regression runs: R² and RMSE (target units) where there is no accuracy
    "test RMSE",
    "size kB",
    "encoding",
    "× dense",
    "non-zero",
    "prune",
    "quant",
    "ms (b1)",
    "ms (b256)",
    "model",
    "optimizer",
    "lr",
    "epochs",
    "train s",
    "F1",
    "dataset",
    "finished",
    "error",
)
MAX_ROWS = 1000  # the grid shows the newest ones; Export CSV has them all


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _col(frame: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(default, index=frame.index)


def _technique_cell(t: Any) -> str:
    label = html.escape(str(t))
    color = viz.technique_color(str(t))
    return f'<span class="ow-dot" style="background:{color}"></span>{label}'


def _status_cell(s: Any) -> str:
    s = html.escape(str(s))
    return f'<span class="ow-badge ow-badge-{s}">{s}</span>'


def _prune_cell(row: pd.Series) -> str:
    method = str(row.get("prune_method", "none"))
    if method in ("none", "nan", "None"):
        return "—"
    ratio = _num(row.get("prune_ratio"))
    sched = "" if str(row.get("prune_schedule", "oneshot")) != "agp" else " agp"
    return f"{method} {ratio:g}{sched}" if math.isfinite(ratio) else method


def _quant_cell(row: pd.Series) -> str:
    mode = str(row.get("quant_mode", "none"))
    if mode in ("none", "nan", "None"):
        return "—"
    if mode == "simulated":
        bits = _num(row.get("quant_bits"))
        act = " +act" if bool(row.get("quant_activations")) is True else ""
        return f"{int(bits)}-bit{act}" if math.isfinite(bits) else "simulated"
    return mode


def _round(series: pd.Series, digits: int) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").round(digits)


def grid_frame(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """The runs as the grid shows them: newest first, :data:`GRID_COLUMNS`, numbers
    rounded (they stay numbers, so they sort as numbers), HTML for status and technique.

    Example
    -------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"run_id": ["a"], "status": ["done"], "technique": ["sim-2bit"],
    ...                      "size_bytes": [3100], "dense_bytes": [24800], "test_acc": [0.96],
    ...                      "quant_mode": ["simulated"], "quant_bits": [2]})
    >>> row = grid_frame(runs).iloc[0]
    >>> float(row["size kB"]), float(row["× dense"]), row["quant"]
    (3.1, 0.125, '2-bit')
    """
    if not len(frame):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GRID_COLUMNS})
    f = frame
    if "finished_at" in f.columns or "started_at" in f.columns:
        key = _col(f, "finished_at").fillna(_col(f, "started_at")).fillna("").astype(str)
        f = f.assign(_key=key).sort_values(["_key", "run_id"], ascending=False, kind="stable")
    f = f.head(max_rows)
    size = pd.to_numeric(_col(f, "size_bytes"), errors="coerce")
    dense = pd.to_numeric(_col(f, "dense_bytes"), errors="coerce")
    finished = _col(f, "finished_at", "").fillna("").astype(str).str.replace("T", " ").str[:16]
    error = _col(f, "error", "").fillna("").astype(str)
    out = pd.DataFrame(
        {
            "run": _col(f, "run_id", "").astype(str),
            "status": _col(f, "status", "").map(_status_cell),
            "technique": _col(f, "technique", "baseline").fillna("baseline").map(_technique_cell),
            "test acc": _round(_col(f, "test_acc"), 4),
            "test R²": _round(_col(f, "test_r2"), 4),
            "test RMSE": pd.to_numeric(_col(f, "test_rmse"), errors="coerce").map(
                lambda v: float(f"{v:.4g}") if pd.notna(v) else v),
            "size kB": (size / 1000).round(1),
            "encoding": _col(f, "size_encoding", "").fillna("").astype(str),
            "× dense": (size / dense).round(3),
            "non-zero": pd.to_numeric(_col(f, "nonzero_params"), errors="coerce"),
            "prune": [_prune_cell(r) for _, r in f.iterrows()],
            "quant": [_quant_cell(r) for _, r in f.iterrows()],
            "ms (b1)": _round(_col(f, "latency_ms"), 4),
            "ms (b256)": _round(_col(f, "latency_ms_b256"), 3),
            "model": _col(f, "model", "").astype(str),
            "optimizer": _col(f, "optimizer", "").astype(str),
            "lr": pd.to_numeric(_col(f, "lr"), errors="coerce"),
            "epochs": pd.to_numeric(_col(f, "epochs"), errors="coerce"),
            "train s": _round(_col(f, "train_seconds"), 2),
            "F1": _round(_col(f, "f1"), 4),
            "dataset": _col(f, "dataset", "").astype(str),
            "finished": finished,
            "error": error.map(lambda e: html.escape(e[:80] + ("…" if len(e) > 80 else ""))),
        }
    )
    return out.reset_index(drop=True)


class RunsGrid:
    """The stored runs in a grid, with overlay and confusion matrix of the selection.

    Parameters
    ----------
    store : RunStore
    export_dir : path, optional
        Where :meth:`export_csv` writes (default: the working directory).
    download : callable, optional
        ``download(filename, text, mime=...)``: also hand the CSV to the browser (the
        dashboard's :class:`~optwidgets.ui._bridge.PageBridge`).

    Attributes (for code and tests): ``grid`` (DataGrid), ``frame`` (the store's frame),
    ``shown`` (the grid's frame, newest first), ``selected`` (run ids), ``overlay_metric``,
    ``export_button``, ``message``, ``overlay`` / ``confusion`` (FigureWidgets, made by
    :meth:`make_figures`), ``widget``.
    """

    def __init__(
        self,
        store: RunStore,
        *,
        export_dir: str | Path | None = None,
        download: Callable[..., None] | None = None,
    ) -> None:
        self.store = store
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self.download = download
        self.frame = pd.DataFrame()
        self.shown = grid_frame(self.frame)
        self.selected: list[str] = []
        self.latest: str | None = None
        self._lock = threading.RLock()
        self.grid = DataGrid(self.shown, height=SIZES["grid"])
        self.grid.observe(lambda _: self._selection_changed(), names="selected_rows")
        self.export_button = W.Button(
            description="Export CSV",
            icon="download",
            tooltip="every run with every column: downloaded by the browser and saved here",
            layout=W.Layout(flex="0 0 auto", width="auto"),
        )
        self.export_button.on_click(lambda _: self._export_clicked())
        self.overlay_metric = W.Dropdown(
            options=list(OVERLAYS),
            value="train loss",
            description="compare",
            style={"description_width": "58px"},
            layout=W.Layout(width="200px", flex="0 0 200px"),
            tooltip="the curve drawn for each selected run",
        )
        self.overlay_metric.observe(lambda _: self.show_selected(), names="value")
        self.message = W.HTML("", layout=W.Layout(flex="1 1 200px", min_width="0"))
        self.message.add_class("ow-note")
        self.title = W.HTML("<b>Runs</b>", layout=W.Layout(flex="0 0 auto"))
        self._overlay = PlotSlot(SIZES["compare"], "Select runs in the grid (click rows) to "
                                 "compare their curves here", flex="1 1 380px")  # fmt: skip
        self._confusion = PlotSlot(SIZES["compare"], "The confusion matrix of the selected run "
                                   "(or the latest one) appears here", flex="1 1 320px")  # fmt: skip
        bar = W.HBox(
            [self.title, self.overlay_metric, self.export_button, self.message],
            layout=W.Layout(width="100%", align_items="center", grid_gap="8px", overflow="hidden"),
        )
        bar.add_class("ow-runs-bar")
        self._overlay.widget.add_class("ow-overlay")
        self._confusion.widget.add_class("ow-confusion")
        self.widget = W.VBox(
            [bar, self.grid, flow([self._overlay.widget, self._confusion.widget], gap="10px")],
            layout=W.Layout(width="100%", min_width="0"),
        )
        self.widget.add_class("ow-runs")

    # -- figures ---------------------------------------------------------------------------
    @property
    def overlay(self) -> Any:
        """FigureWidget of the selected runs' curves (made on first use if not yet)."""
        if self._overlay.figure is None:
            self.make_figures()
        return self._overlay.figure

    @property
    def confusion(self) -> Any:
        """FigureWidget of the selected (or latest) run's confusion matrix."""
        if self._confusion.figure is None:
            self.make_figures()
        return self._confusion.figure

    def make_figures(self) -> None:
        """Make both FigureWidgets (plotly's bundle each) and draw what is known."""
        made = False
        if self._overlay.figure is None:
            self._overlay.show(figure_widget(height=self._overlay.height))
            made = True
        if self._confusion.figure is None:
            empty = viz.placeholder(viz.confusion_matrix(np.zeros((0, 0))),
                                    "The confusion matrix of the selected<br>(or the latest) run")
            self._confusion.show(figure_widget(empty, height=self._confusion.height))
            made = True
        if made:
            self.show_selected()

    # -- data ----------------------------------------------------------------------------
    def refresh(self, frame: pd.DataFrame | None = None, *, latest: str | None = None) -> None:
        """Reload from the store (or use ``frame``); ``latest`` = a run whose confusion
        matrix to show when nothing is selected."""
        with self._lock:
            self._refresh(frame, latest)

    def _refresh(self, frame: pd.DataFrame | None, latest: str | None) -> None:
        self.frame = self.store.to_frame() if frame is None else frame
        if latest is not None:
            self.latest = latest
        self.shown = grid_frame(self.frame)
        ids = self.shown["run"].tolist()
        self.selected = [r for r in self.selected if r in ids]
        rows = [ids.index(r) for r in self.selected]
        self._updating = True
        try:
            self.grid.set_frame(self.shown, rows)
        finally:
            self._updating = False
        n = len(self.frame)
        note = f" (the {MAX_ROWS:,} newest shown)" if n > MAX_ROWS else ""
        self.title.value = f"<b>Runs</b> <span class='ow-note'>· {n:,}{note}</span>"
        self.show_selected()

    _updating = False

    def _selection_changed(self) -> None:
        if self._updating:
            return
        ids = self.shown["run"].tolist()
        chosen = [ids[i] for i in self.grid.selected_rows if 0 <= i < len(ids)]
        if chosen != self.selected:
            self.selected = chosen
            self.show_selected()

    def select(self, run_ids: Sequence[str]) -> None:
        """Select these runs in the grid (as clicking their rows does)."""
        ids = self.shown["run"].tolist()
        self.grid.selected_rows = [ids.index(r) for r in run_ids if r in ids]

    def sorted_frame(self) -> pd.DataFrame:
        """The runs, newest first (the grid's own order until someone sorts it)."""
        f = self.frame
        if not len(f):
            return f
        key = _col(f, "finished_at").fillna(_col(f, "started_at")).fillna("").astype(str)
        return f.assign(_k=key).sort_values("_k", ascending=False, kind="stable").drop(columns="_k")

    def _labels(self) -> dict[str, str]:
        f = self.frame
        if not len(f):
            return {}
        out = {}
        for _, r in f.iterrows():
            rid = str(r["run_id"])
            out[rid] = f"{r.get('technique', '')} · {r.get('model')} lr={r.get('lr')} · {rid[-6:]}"
        return out

    def _colors(self) -> dict[str, str]:
        f = self.frame
        if not len(f) or "technique" not in f.columns:
            return {}
        return {str(r): viz.technique_color(str(t)) for r, t in zip(f["run_id"], f["technique"])}

    # -- actions ---------------------------------------------------------------------------
    def export_csv(self, path: str | Path | None = None) -> Path:
        """Write every run (every column, newest first) as CSV on the server, hand it to
        the browser as a download too; returns the path."""
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        if path is None:
            path = (self.export_dir or Path.cwd()) / f"optwidgets-runs-{stamp}.csv"
        path = Path(path)
        text = self.sorted_frame().to_csv(index=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.message.value = (
                f'<span style="color:#c62828">could not write CSV: {html.escape(str(exc))}</span>'
            )
            raise
        if self.download is not None:
            self.download(path.name, text, mime="text/csv")
        self.message.value = saved_html(f"CSV of {len(self.frame):,} runs downloaded",
                                        path.resolve())  # fmt: skip
        return path

    def _export_clicked(self) -> None:
        with contextlib.suppress(OSError):  # the message says why
            self.export_csv()

    def show_selected(self) -> None:
        """Draw the selected runs' curves and the first one's (or the latest run's)
        confusion matrix."""
        with self._lock:
            self._show_selected()

    def _show_selected(self) -> None:
        ids = list(self.selected)
        if self._overlay.figure is not None:
            split, metric = OVERLAYS[self.overlay_metric.value]
            parts = []
            for rid in ids:
                try:
                    h = self.store.history(rid)
                except Exception:  # a run deleted meanwhile: leave it out
                    continue
                parts.append(h.assign(run_id=rid))
            history = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
            n = len(parts)
            fig = viz.overlay_curves(
                history,
                split=split,
                metric=metric,
                labels=self._labels(),
                colors=self._colors(),
                empty_text="Select runs in the grid (click rows)<br>to compare their curves here",
                title=f"{self.overlay_metric.value} of {n} selected run{'s' * (n != 1)}"
                if n
                else None,
            )
            fig.update_layout(margin={"l": 56, "r": 10, "t": 40, "b": 40},
                              legend={"font": {"size": 11}})  # fmt: skip
            replace_figure(self._overlay.figure, fig)
        target = ids[0] if ids else self.latest
        if target is not None:
            self.show_confusion(target)

    def show_confusion(self, run_id: str) -> None:
        fig_widget = self._confusion.figure
        if fig_widget is None:
            return
        try:
            result = self.store.load(run_id)
        except Exception:
            return
        if result.confusion:
            title = f"Confusion matrix · run …{run_id[-6:]}"
            try:
                fig = viz.confusion_matrix(
                    result.confusion, result.class_names or None, title=title
                )
            except ValueError:  # class names that do not fit the matrix: use numbers
                fig = viz.confusion_matrix(result.confusion, title=title)
        else:
            fig = viz.placeholder(
                viz.confusion_matrix(np.zeros((0, 0))), f"No confusion matrix: run {result.status}"
            )
        fig.update_layout(margin={"l": 56, "r": 10, "t": 40, "b": 40})
        replace_figure(fig_widget, fig)


RunsTable = RunsGrid  # the name code written before the grid used
