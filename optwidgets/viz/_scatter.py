"""Shared scatter building: one marker trace per colour/symbol group, hover text, ids."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz.style import axis_label, color_map, symbol_map

__all__ = ["format_value", "hover_lines", "grouped_markers", "is_continuous"]


def format_value(value: object) -> str:
    """Short, readable text for a table cell (floats to 4 significant digits, NaN as '—')."""
    if value is None:
        return "—"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "—"
        return f"{v:,.0f}" if abs(v) >= 1e5 and v.is_integer() else f"{v:.4g}"
    return str(value)


def hover_lines(df: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """One '<br>'-joined 'label: value' block per row, for the columns present in ``df``."""
    cols = [c for c in columns if c in df.columns]
    if not cols:
        return [""] * len(df)
    values = [df[c].tolist() for c in cols]
    return [
        "<br>".join(f"{c}: {format_value(v[i])}" for c, v in zip(cols, values))
        for i in range(len(df))
    ]


def is_continuous(series: pd.Series) -> bool:
    """True for a numeric (not boolean) column, drawn with a colour scale."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def grouped_markers(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    color: str | None,
    symbol: str | None,
    ids: str | None,
    hover: Sequence[str],
    id_label: str = "run",
) -> list[go.Scatter]:
    """Marker traces for ``df``, one per (colour, symbol) group in first-seen order.

    Every trace carries ``customdata`` = the ``ids`` column (so a click handler can find
    the row) and ``text`` = the hover block. A numeric ``color`` column gives one trace per
    symbol group coloured on a shared scale with a colour bar.
    """
    if color is not None and color not in df.columns:
        color = None
    if symbol is not None and symbol not in df.columns:
        symbol = None
    continuous = color is not None and is_continuous(df[color])
    cat_color = None if continuous else color
    colors = color_map(df[cat_color], column=cat_color) if cat_color else {}
    symbols = symbol_map(df[symbol], column=symbol) if symbol else {}
    x_label, y_label = axis_label(x), axis_label(y)
    template = (
        (f"<b>{id_label} %{{customdata}}</b><br>" if ids else "")
        + f"{x_label}: %{{x:,.4~r}}<br>{y_label}: %{{y:,.4~r}}<br>"
        + "%{text}<extra>%{fullData.name}</extra>"
    )
    keys = pd.DataFrame(
        {
            "c": df[cat_color].astype(str) if cat_color else "",
            "s": df[symbol].astype(str) if symbol else "",
        },
        index=df.index,
    )
    text = pd.Series(hover_lines(df, hover), index=df.index)
    traces = []
    for (c_val, s_val), part in keys.groupby(["c", "s"], sort=False):
        rows = df.loc[part.index]
        if cat_color and symbol and cat_color != symbol:
            name = f"{c_val}, {s_val}"
        else:
            name = c_val or s_val or y_label
        marker: dict[str, object] = {
            "size": 10,
            "line": {"width": 1, "color": "white"},
            "symbol": symbols.get(s_val, "circle"),
        }
        if continuous:
            marker.update(
                color=rows[color].to_numpy(dtype=np.float64, na_value=np.nan),
                coloraxis="coloraxis",
            )
        elif cat_color:
            marker["color"] = colors[c_val]
        traces.append(
            go.Scatter(
                x=rows[x].to_numpy(),
                y=rows[y].to_numpy(),
                mode="markers",
                name=name,
                legendgroup=name,
                marker=marker,
                customdata=rows[ids].astype(str).to_numpy() if ids else None,
                text=text.loc[part.index].tolist(),
                hovertemplate=template,
            )
        )
    return traces
