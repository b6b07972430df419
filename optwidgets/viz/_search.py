"""Figures of an Optuna search from its trials frame (``study.trials_dataframe()``).

Only finished trials count: ``state`` equal to ``"COMPLETE"`` (when the column exists)
and a finite objective. Each figure has a plain-data function tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz._pareto import pareto_front
from optwidgets.viz._scatter import format_value, hover_lines
from optwidgets.viz._ticks import axis_range, unit_ticks, value_range
from optwidgets.viz._tradeoff import finite_rows, front_trace
from optwidgets.viz.style import PALETTE, axis_label, finish

__all__ = [
    "TRACE_OBJECTIVE",
    "TRACE_BEST",
    "TRACE_TRIALS",
    "TRACE_PARETO_TRIALS",
    "completed_trials",
    "optimization_history_data",
    "optimization_history",
    "parallel_coordinates_data",
    "parallel_coordinates",
    "pareto_trials",
    "value_range",
]

TRACE_OBJECTIVE = "Objective value"
TRACE_BEST = "Best value"
TRACE_TRIALS = "Trials"
TRACE_PARETO_TRIALS = "Pareto-optimal trials"


def _label(column: str) -> str:
    if column.startswith("params_"):
        return column[len("params_") :]
    if column == "value":
        return "Objective value"
    if column.startswith("values_"):
        return f"Objective {column[len('values_') :]}"
    return axis_label(column)


def _check_direction(direction: str) -> None:
    if direction not in ("maximize", "minimize"):
        raise ValueError(
            f"direction={direction!r} is not allowed: expected 'maximize' or 'minimize'"
        )


def completed_trials(trials: pd.DataFrame, columns: Sequence[str] = ()) -> pd.DataFrame:
    """Trials whose state is COMPLETE (if a ``state`` column exists) and ``columns`` finite.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"number": [0, 1, 2], "state": ["COMPLETE", "PRUNED", "COMPLETE"],
    ...                   "value": [0.5, 0.7, float("nan")]})
    >>> completed_trials(t, ["value"])["number"].tolist()
    [0]
    """
    if len(trials) and "state" in trials.columns:
        state = trials["state"].astype(str).str.upper()
        trials = trials[state.str.endswith("COMPLETE")]
    return finite_rows(trials, columns) if columns else trials


def optimization_history_data(
    trials: pd.DataFrame, *, objective: str = "value", direction: str = "maximize"
) -> pd.DataFrame:
    """Completed trials in order with their objective and the best value so far.

    Returns
    -------
    DataFrame with columns ``number, value, best``.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"number": [0, 1, 2], "value": [0.5, 0.4, 0.8]})
    >>> optimization_history_data(t)["best"].tolist()
    [0.5, 0.5, 0.8]
    """
    _check_direction(direction)
    done = completed_trials(trials, [objective])
    if len(done) == 0:
        return pd.DataFrame({"number": [], "value": [], "best": []}, dtype=np.float64)
    number = done["number"] if "number" in done.columns else pd.Series(range(len(done)))
    out = pd.DataFrame(
        {
            "number": number.to_numpy(),
            "value": pd.to_numeric(done[objective]).to_numpy(dtype=np.float64),
        }
    ).sort_values("number", kind="stable", ignore_index=True)
    acc = np.maximum if direction == "maximize" else np.minimum
    out["best"] = acc.accumulate(out["value"].to_numpy())
    return out


def optimization_history(
    trials: pd.DataFrame,
    *,
    objective: str = "value",
    direction: str = "maximize",
    title: str | None = None,
) -> go.Figure:
    """Each completed trial's objective (points) and the best so far (step line).

    Parameters
    ----------
    trials : DataFrame
        ``study.trials_dataframe()``: ``number``, ``state``, ``value`` or ``values_0..``.
    objective : str
        The objective column.
    direction : {"maximize", "minimize"}
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Traces :data:`TRACE_OBJECTIVE` (``customdata`` = trial number) and :data:`TRACE_BEST`.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"number": [0, 1], "state": "COMPLETE", "value": [0.5, 0.7]})
    >>> [tr.name for tr in optimization_history(t).data]
    ['Objective value', 'Best value']
    """
    data = optimization_history_data(trials, objective=objective, direction=direction)
    fig = go.Figure(
        [
            go.Scatter(
                x=data["number"],
                y=data["value"],
                mode="markers",
                name=TRACE_OBJECTIVE,
                marker={"color": PALETTE[0], "size": 8},
                customdata=data["number"],
                hovertemplate="trial %{x}<br>%{y:.4g}<extra></extra>",
            ),
            go.Scatter(
                x=data["number"],
                y=data["best"],
                mode="lines",
                name=TRACE_BEST,
                line={"color": PALETTE[3], "shape": "hv", "width": 2},
                hovertemplate="trial %{x}<br>best %{y:.4g}<extra></extra>",
            ),
        ]
    )
    finish(fig, title=title, x_title="Trial", y_title=_label(objective))
    _tidy_axes(fig, data["number"].to_numpy(dtype=np.float64), data["value"].to_numpy())
    return fig


def _tidy_axes(fig: go.Figure, x: np.ndarray, y: np.ndarray) -> None:
    """Ranges right for 1 to N trials: whole trial numbers on x, y padded (see
    :func:`value_range`), the title clear of the axis titles."""
    y_range = value_range(y)
    if y_range is not None:
        fig.update_yaxes(range=y_range)
    if x.size:
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        fig.update_xaxes(range=[lo - 0.5, hi + 0.5])
        if hi - lo <= 12:
            fig.update_xaxes(dtick=1, tick0=0)
    fig.update_layout(
        title={"x": 0.5, "xanchor": "center", "y": 0.98, "yanchor": "top", "font": {"size": 14}},
        margin={"t": 40},
    )


def parallel_coordinates_data(
    trials: pd.DataFrame,
    params: Sequence[str] | None = None,
    *,
    objective: str = "value",
) -> list[dict[str, object]]:
    """Parcoords dimensions: the objective first, then each parameter.

    ``params`` are names with or without the ``params_`` prefix (default: every
    ``params_*`` column). Trials missing any of them are left out (conditional spaces).
    Text parameters become integer codes with their names as tick labels; positive
    numeric parameters spanning two decades or more are drawn on a log10 axis with the
    original values as tick labels.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"value": [0.9, 0.8], "params_optimizer": ["adam", "sgd"],
    ...                   "params_lr": [1e-4, 1e-1]})
    >>> [d["label"] for d in parallel_coordinates_data(t)]
    ['Objective value', 'optimizer', 'lr (log)']
    """
    if params is None:
        cols = [c for c in trials.columns if str(c).startswith("params_")]
    else:
        cols = [p if p.startswith("params_") else f"params_{p}" for p in params]
        missing = [c for c in cols if c not in trials.columns]
        if missing:
            raise KeyError(f"no such parameter columns: {missing} (have: {list(trials.columns)})")
    done = completed_trials(trials, [objective])
    if len(done):
        done = done.dropna(subset=cols)
    dims: list[dict[str, object]] = [
        {
            "label": _label(objective),
            "values": done[objective].to_numpy(dtype=np.float64) if len(done) else np.empty(0),
        }
    ]
    for col in cols:
        values = done[col] if len(done) else pd.Series([], dtype=np.float64)
        dim: dict[str, object] = {"label": _label(col)}
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            names = sorted(dict.fromkeys(values.astype(str)))
            codes = {n: i for i, n in enumerate(names)}
            dim.update(
                values=np.array([codes[v] for v in values.astype(str)], dtype=np.float64),
                tickvals=list(range(len(names))),
                ticktext=names,
            )
        else:
            v = values.to_numpy(dtype=np.float64)
            if v.size and v.min() > 0 and v.max() / v.min() >= 100:
                lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
                ticks = list(range(lo, hi + 1))
                dim.update(
                    label=f"{_label(col)} (log)",
                    values=np.log10(v),
                    tickvals=ticks,
                    ticktext=[format_value(10.0**t) for t in ticks],
                )
            else:
                dim["values"] = v
                if v.size and v.min() == v.max():  # one trial (or all equal): room around it
                    d = abs(v[0]) * 0.1 or 1.0
                    dim["range"] = [float(v[0] - d), float(v[0] + d)]
        dims.append(dim)
    obj = dims[0]["values"]
    if isinstance(obj, np.ndarray) and obj.size:
        dims[0]["range"] = value_range(obj)
    return dims


def parallel_coordinates(
    trials: pd.DataFrame,
    params: Sequence[str] | None = None,
    *,
    objective: str = "value",
    direction: str = "maximize",
    title: str | None = None,
) -> go.Figure:
    """One line per completed trial across the objective and every parameter axis.

    Lines are coloured by the objective (darker = better for ``direction``). See
    :func:`parallel_coordinates_data` for how parameters become axes.

    Returns
    -------
    plotly.graph_objects.Figure
        One Parcoords trace.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"value": [0.9, 0.8], "params_lr": [0.01, 0.1]})
    >>> fig = parallel_coordinates(t)
    >>> [d.label for d in fig.data[0].dimensions]
    ['Objective value', 'lr']
    """
    _check_direction(direction)
    dims = parallel_coordinates_data(trials, params, objective=objective)
    fig = go.Figure(
        go.Parcoords(
            dimensions=dims,
            line={
                "color": dims[0]["values"],
                "colorscale": "Blues",
                "reversescale": direction == "minimize",
                "showscale": True,
                "colorbar": {"title": {"text": _label(objective)}},
            },
        )
    )
    finish(fig, title=title)
    # parcoords draws its axis names above the plot: the title goes above them
    fig.update_layout(
        margin={"t": 84 if title else 56, "l": 56, "r": 56, "b": 30},
        title={"x": 0.5, "xanchor": "center", "y": 0.99, "yanchor": "top", "font": {"size": 14}},
    )
    return fig


def pareto_trials(
    trials: pd.DataFrame,
    *,
    x: str = "values_0",
    y: str = "values_1",
    minimize_x: bool = True,
    maximize_y: bool = True,
    x_title: str | None = None,
    y_title: str | None = None,
    title: str | None = None,
    log_x: bool = False,
    x_unit: str | None = None,
) -> go.Figure:
    """Completed trials of a two-objective search, Pareto-optimal ones highlighted.

    Parameters
    ----------
    trials : DataFrame
        Trials frame of a multi-objective study (``values_0``, ``values_1``, ...).
    x, y : str
        Objective columns; ``x`` is the cost, ``y`` the quality by default.
    minimize_x, maximize_y : bool
        Directions of the two objectives.
    x_title, y_title, title : str, optional
        Axis titles (default: a label for the column).
    log_x : bool
        A log x axis (saved sizes that span decades).
    x_unit : str, optional
        Unit of ``x`` for round tick labels (``"B"``: ``10 kB``, ``"ms"``), as the
        trade-off plot writes them. The x range always holds every trial with room
        around it, one trial included.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces :data:`TRACE_PARETO` (the front line), :data:`TRACE_TRIALS` (dominated) and
        :data:`TRACE_PARETO_TRIALS`; markers carry ``customdata`` = trial number.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"number": [0, 1, 2], "values_0": [1.0, 2.0, 3.0],
    ...                   "values_1": [0.5, 0.9, 0.8]})
    >>> fig = pareto_trials(t)
    >>> [tr.name for tr in fig.data], fig.data[2].customdata.tolist()
    (['Pareto front', 'Trials', 'Pareto-optimal trials'], [0, 1])
    """
    done = completed_trials(trials, [x, y])
    front = (
        pareto_front(done, x, y, minimize_x=minimize_x, maximize_y=maximize_y)
        if len(done)
        else done
    )
    rest = done.drop(index=front.index) if len(done) else done
    params = [c for c in trials.columns if str(c).startswith("params_")]
    fig = go.Figure([front_trace(front, x, y, minimize_x=minimize_x)])
    for name, part, color in (
        (TRACE_TRIALS, rest, "#bbbbbb"),
        (TRACE_PARETO_TRIALS, front, PALETTE[3]),
    ):
        number = part["number"] if "number" in part.columns else part.index.to_series()
        fig.add_trace(
            go.Scatter(
                x=part[x].to_numpy() if len(part) else [],
                y=part[y].to_numpy() if len(part) else [],
                mode="markers",
                name=name,
                marker={"color": color, "size": 9, "line": {"width": 1, "color": "white"}},
                customdata=number.to_numpy() if len(part) else [],
                text=hover_lines(part, params) if len(part) else [],
                hovertemplate="<b>trial %{customdata}</b><br>%{x:.4g}, %{y:.4g}<br>%{text}"
                "<extra></extra>",
            )
        )
    finish(fig, title=title, x_title=x_title or _label(x), y_title=y_title or _label(y))
    fig.update_xaxes(type="log" if log_x else "linear")
    x_range = axis_range(done[x].to_numpy(dtype=np.float64), log=log_x) if len(done) else None
    if x_range is not None:  # one trial too: around it, not plotly's -1 to 4
        fig.update_xaxes(range=list(x_range))
        if x_unit is not None:
            lo, hi = (10.0 ** x_range[0], 10.0 ** x_range[1]) if log_x else x_range
            ticks, text = unit_ticks(lo, hi, x_unit, log=log_x)
            fig.update_xaxes(tickvals=ticks, ticktext=text)
    y_range = value_range(done[y].to_numpy(dtype=np.float64)) if len(done) else None
    if y_range is not None:
        fig.update_yaxes(range=y_range)
    fig.update_layout(
        title={"x": 0.5, "xanchor": "center", "y": 0.98, "yanchor": "top", "font": {"size": 14}},
        margin={"t": 40},
    )
    return fig
