"""Figures for optwidgets: pure functions from DataFrames (or arrays) to plotly figures.

Every function returns a ``plotly.graph_objects.Figure`` and never displays it; the UI
wraps figures in ``go.FigureWidget`` and notebooks show them. Figures are drawn from
plain data computed by functions tested on their own (``loss_curve_data``,
``pareto_front``, ``optimization_history_data``, ...). One vocabulary of colours,
symbols and axis labels lives in :mod:`optwidgets.viz.style`.

This package imports neither torch nor ipywidgets.

Example
-------
>>> import pandas as pd
>>> import optwidgets.viz as viz
>>> runs = pd.DataFrame({"run_id": ["a", "b"], "technique": ["baseline", "int8"],
...                      "size_bytes": [4e5, 1e5], "test_acc": [0.97, 0.95]})
>>> viz.pareto_front(runs, "size_bytes", "test_acc")["run_id"].tolist()
['b', 'a']
>>> fig = viz.tradeoff(runs)
"""

from optwidgets.viz._augmentation import augmentation_grid, to_rgb_uint8
from optwidgets.viz._confusion import ConfusionData, confusion_data, confusion_matrix
from optwidgets.viz._decision_boundary import decision_boundary
from optwidgets.viz._loss_curves import (
    LOSS_CURVE_TRACES,
    TRACE_TRAIN_RAW,
    TRACE_TRAIN_SMOOTH,
    TRACE_VAL_ACC,
    TRACE_VAL_LOSS,
    LossCurveData,
    Series,
    hide_axes,
    loss_curve_data,
    loss_curves,
    overlay_curves,
    recolor_loss_curves,
    show_axes,
    update_loss_curves,
)
from optwidgets.viz._lr_finder import lr_finder_curve
from optwidgets.viz._pareto import pareto_front
from optwidgets.viz._search import (
    TRACE_BEST,
    TRACE_OBJECTIVE,
    TRACE_PARETO_TRIALS,
    TRACE_TRIALS,
    completed_trials,
    optimization_history,
    optimization_history_data,
    parallel_coordinates,
    parallel_coordinates_data,
    pareto_trials,
)
from optwidgets.viz._sensitivity import sensitivity_heatmap, sensitivity_table
from optwidgets.viz._series import decimate, smooth_ema
from optwidgets.viz._summary import bar_with_error, line_vs, mean_std
from optwidgets.viz._surface import prediction_surface
from optwidgets.viz._ticks import format_measure, unit_ticks
from optwidgets.viz._tradeoff import (
    DEFAULT_HOVER,
    TRACE_FAILED,
    TRACE_LATEST,
    TRACE_PARETO,
    default_y,
    placeholder,
    tradeoff,
)
from optwidgets.viz.gradients import (
    GRADIENT_LABELS,
    gradient_heatmap,
    gradient_lines,
    gradient_table,
)
from optwidgets.viz.style import (
    AXIS_LABELS,
    AXIS_UNITS,
    FAILED_COLOR,
    FAMILIES,
    FAMILY_COLORS,
    TASK_Y,
    TEMPLATE,
    X_CHOICES,
    Y_CHOICES,
    axis_label,
    technique_color,
    technique_family,
    technique_symbol,
)

__all__ = [
    "lr_finder_curve",
    # series helpers
    "decimate",
    "smooth_ema",
    # training curves
    "loss_curves",
    "loss_curve_data",
    "update_loss_curves",
    "overlay_curves",
    "hide_axes",
    "show_axes",
    "recolor_loss_curves",
    "LossCurveData",
    "Series",
    "TRACE_TRAIN_RAW",
    "TRACE_TRAIN_SMOOTH",
    "TRACE_VAL_LOSS",
    "TRACE_VAL_ACC",
    "LOSS_CURVE_TRACES",
    # trade-off
    "pareto_front",
    "tradeoff",
    "default_y",
    "placeholder",
    "TRACE_PARETO",
    "TRACE_LATEST",
    "TRACE_FAILED",
    "DEFAULT_HOVER",
    # units
    "format_measure",
    "unit_ticks",
    # classification
    "confusion_matrix",
    "confusion_data",
    "ConfusionData",
    "decision_boundary",
    # regression
    "prediction_surface",
    # gradient health
    "gradient_table",
    "gradient_lines",
    "gradient_heatmap",
    "GRADIENT_LABELS",
    # compression
    "sensitivity_heatmap",
    "sensitivity_table",
    # search
    "completed_trials",
    "optimization_history",
    "optimization_history_data",
    "parallel_coordinates",
    "parallel_coordinates_data",
    "pareto_trials",
    "TRACE_OBJECTIVE",
    "TRACE_BEST",
    "TRACE_TRIALS",
    "TRACE_PARETO_TRIALS",
    # summaries
    "mean_std",
    "bar_with_error",
    "line_vs",
    # images
    "augmentation_grid",
    "to_rgb_uint8",
    # style
    "TEMPLATE",
    "AXIS_LABELS",
    "AXIS_UNITS",
    "FAMILIES",
    "FAMILY_COLORS",
    "FAILED_COLOR",
    "X_CHOICES",
    "Y_CHOICES",
    "TASK_Y",
    "axis_label",
    "technique_color",
    "technique_family",
    "technique_symbol",
]
