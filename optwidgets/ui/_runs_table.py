"""Runs table from the RunStore: sortable, CSV export, overlay of selected runs' curves,
confusion matrix of the selected run. Read from disk, so it survives a kernel restart."""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as W
import numpy as np
import pandas as pd

from optwidgets import viz
from optwidgets.runs import RunStore
from optwidgets.ui._figures import LazyFigure, replace_figure

__all__ = ["RunsTable", "TABLE_COLUMNS", "OVERLAYS"]

TABLE_COLUMNS = (
    "run_id",
    "status",
    "dataset",
    "model",
    "optimizer",
    "lr",
    "batch_size",
    "epochs",
    "test_acc",
    "f1",
    "size_bytes",
    "latency_ms",
    "train_seconds",
    "technique",
    "error",
)
# Overlay choices: label -> (split, metric) of the history.
OVERLAYS = {
    "train loss": ("train", "loss"),
    "val loss": ("val", "loss"),
    "val accuracy": ("val", "acc"),
}
_ROW_COLORS = {"failed": "#fdecea", "diverged": "#fdecea", "stopped": "#fff8e1"}


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"
    return str(value)


def table_html(frame: pd.DataFrame, columns: Sequence[str], *, max_rows: int = 100) -> str:
    """An HTML table of ``frame`` (failed / diverged rows tinted, long errors cut)."""
    cols = [c for c in columns if c in frame.columns]
    if not len(frame):
        return "<i>No runs yet: press Train.</i>"
    head = "".join(
        f'<th style="padding:2px 6px;text-align:left">{html.escape(c)}</th>' for c in cols
    )
    rows = []
    for _, r in frame.head(max_rows).iterrows():
        bg = _ROW_COLORS.get(str(r.get("status")), "")
        cells = []
        for c in cols:
            text = _cell(r.get(c))
            title = ""
            if c == "error" and len(text) > 80:
                title, text = f' title="{html.escape(text)}"', text[:77] + "…"
            cells.append(f'<td style="padding:2px 6px"{title}>{html.escape(text)}</td>')
        rows.append(f'<tr style="background:{bg}">' + "".join(cells) + "</tr>")
    more = (
        f"<div><i>showing {max_rows} of {len(frame)} runs</i></div>"
        if len(frame) > max_rows
        else ""
    )
    return (
        '<div style="max-height:320px;overflow:auto"><table style="border-collapse:collapse;'
        f'font-size:12px"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        f"</table></div>{more}"
    )


class RunsTable:
    """The stored runs as a sortable table, plus overlay and confusion-matrix figures.

    Parameters
    ----------
    store : RunStore
    export_dir : path, optional
        Where :meth:`export_csv` writes (default: the working directory).
    """

    def __init__(self, store: RunStore, *, export_dir: str | Path | None = None) -> None:
        self.store = store
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self.frame = pd.DataFrame()
        self.sort_by = W.Dropdown(
            options=["finished_at", *TABLE_COLUMNS[1:]],
            value="finished_at",
            description="sort by",
            style={"description_width": "60px"},
        )
        self.ascending = W.ToggleButton(
            value=False,
            description="ascending",
            tooltip="sort ascending (off: descending)",
            icon="sort-amount-asc",
        )
        self.export_button = W.Button(description="Export CSV", icon="download")
        self.message = W.HTML("")
        self.table = W.HTML("")
        self.table.add_class("ow-runs-table")
        self.select = W.SelectMultiple(
            options=[],
            rows=6,
            description="compare",
            layout=W.Layout(width="420px"),
            tooltip="select runs to overlay their curves",
        )
        self.overlay_metric = W.Dropdown(
            options=list(OVERLAYS),
            value="train loss",
            description="curve",
            style={"description_width": "60px"},
        )
        self._overlay = LazyFigure(height=320)
        self._confusion = LazyFigure(height=320)
        self.sort_by.observe(lambda _: self.render(), names="value")
        self.ascending.observe(lambda _: self.render(), names="value")
        self.export_button.on_click(lambda _: self.export_csv())
        self.select.observe(lambda _: self.show_selected(), names="value")
        self.overlay_metric.observe(lambda _: self.show_selected(), names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.sort_by, self.ascending, self.export_button, self.message]),
                self.table,
                W.HBox([self.select, self.overlay_metric]),
                W.HBox([self._overlay.widget, self._confusion.widget]),
            ]
        )

    @property
    def overlay(self):
        """FigureWidget of the selected runs' curves (made on first use)."""
        return self._overlay.get()

    @property
    def confusion(self):
        """FigureWidget of the selected (or latest) run's confusion matrix."""
        return self._confusion.get()

    # -- data ----------------------------------------------------------------------------
    def refresh(self, frame: pd.DataFrame | None = None, *, latest: str | None = None) -> None:
        """Reload from the store (or use ``frame``); ``latest`` = a run whose confusion
        matrix to show when nothing is selected."""
        self.frame = self.store.to_frame() if frame is None else frame
        self.render()
        ids = self.frame["run_id"].tolist()[::-1] if len(self.frame) else []
        labels = self._labels()
        keep = tuple(r for r in self.select.value if r in ids)
        with self.select.hold_trait_notifications():
            self.select.options = [(labels.get(r, r), r) for r in ids]
            self.select.value = keep
        if not keep and latest:
            self.show_confusion(latest)

    def sorted_frame(self) -> pd.DataFrame:
        """The runs in the table's order."""
        f = self.frame
        if not len(f) or self.sort_by.value not in f.columns:
            return f
        return f.sort_values(
            self.sort_by.value, ascending=self.ascending.value, na_position="last", kind="stable"
        )

    def render(self) -> None:
        self.table.value = table_html(self.sorted_frame(), TABLE_COLUMNS)

    def _labels(self) -> dict[str, str]:
        f = self.frame
        if not len(f):
            return {}
        out = {}
        for _, r in f.iterrows():
            acc = r.get("test_acc")
            acc_text = f" acc {acc:.3f}" if isinstance(acc, float) and not math.isnan(acc) else ""
            out[r["run_id"]] = (
                f"{r.get('model')} {r.get('optimizer')} lr={_cell(r.get('lr'))}"
                f" · {r.get('status')}{acc_text} · {r['run_id'][-6:]}"
            )
        return out

    # -- actions ---------------------------------------------------------------------------
    def export_csv(self, path: str | Path | None = None) -> Path:
        """Write the table (all columns, table order) as CSV; returns the path."""
        if path is None:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = (self.export_dir or Path.cwd()) / f"optwidgets-runs-{stamp}.csv"
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.sorted_frame().to_csv(path, index=False)
        except OSError as exc:
            self.message.value = (
                f'<span style="color:#c62828">could not write CSV: {html.escape(str(exc))}</span>'
            )
            raise
        self.message.value = f"CSV written to <code>{html.escape(str(path.resolve()))}</code>"
        return path

    def show_selected(self) -> None:
        ids = list(self.select.value)
        split, metric = OVERLAYS[self.overlay_metric.value]
        parts = []
        for rid in ids:
            try:
                h = self.store.history(rid)
            except Exception:  # a run deleted meanwhile: leave it out
                continue
            parts.append(h.assign(run_id=rid))
        history = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        labels = {k: v.split(" · ")[0] + " · " + k[-6:] for k, v in self._labels().items()}
        replace_figure(
            self.overlay,
            viz.overlay_curves(
                history,
                split=split,
                metric=metric,
                labels=labels,
                title=f"{self.overlay_metric.value} of {len(parts)} selected runs",
            ),
        )
        if ids:
            self.show_confusion(ids[0])

    def show_confusion(self, run_id: str) -> None:
        try:
            result = self.store.load(run_id)
        except Exception:
            return
        if result.confusion:
            title = f"Confusion matrix · run {run_id[-6:]}"
            try:
                fig = viz.confusion_matrix(
                    result.confusion, result.class_names or None, title=title
                )
            except ValueError:  # class names that do not fit the matrix: use numbers
                fig = viz.confusion_matrix(result.confusion, title=title)
        else:
            fig = viz.confusion_matrix([], [], title=f"No confusion matrix: run {result.status}")
        replace_figure(self.confusion, fig)
