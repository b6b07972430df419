"""One visual vocabulary for every optwidgets figure: template, colours, symbols, labels.

A colour means one thing everywhere: the technique *family* of a run (baseline, pruning,
quantization, distillation, low rank, ensemble, combined), in the trade-off plot, its legend, the
runs grid and the live curves of a run, in every notebook, so a reader learns "green =
pruned" once. Symbols tell techniques of a family apart (``int8`` a diamond, simulated
k-bit a wide diamond) and combinations (``"prune-filter+int8"``) get a star. Labels
unknown here get a colour and a symbol picked by a stable hash of the label, so they too
keep them between sessions. Runs that failed or diverged are drawn in :data:`FAILED_COLOR`.

Example
-------
>>> from optwidgets.viz.style import technique_color, technique_family, axis_label
>>> technique_family("sim-4bit"), technique_color("sim-4bit") == technique_color("int8")
('quantization', True)
>>> axis_label("latency_ms")
'Latency, batch 1 (ms)'
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "TEMPLATE",
    "PALETTE",
    "FAMILIES",
    "FAMILY_COLORS",
    "FAILED_COLOR",
    "technique_family",
    "AXIS_UNITS",
    "TECHNIQUE_COLORS",
    "TECHNIQUE_SYMBOLS",
    "SPLIT_COLORS",
    "AXIS_LABELS",
    "X_CHOICES",
    "Y_CHOICES",
    "TASK_Y",
    "axis_label",
    "technique_color",
    "technique_symbol",
    "color_map",
    "symbol_map",
    "finish",
]

# Fallback colours (Tableau 10 without the grey, which is kept for the baseline).
PALETTE: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
)

# Technique families, in legend order, and their one colour each.
FAMILIES: tuple[str, ...] = (
    "baseline",
    "pruning",
    "quantization",
    "distillation",
    "low rank",
    "ensemble",
    "combined",
)
FAMILY_COLORS: dict[str, str] = {
    "baseline": "#4d4d4d",  # grey: the reference everything is compared with
    "pruning": "#2ca02c",  # green
    "quantization": "#1f77b4",  # blue: int8, fp16, bf16 and simulated k-bit
    "distillation": "#ff7f0e",  # orange
    "low rank": "#d62728",  # red
    "ensemble": "#17becf",  # cyan: k members deployed together, probabilities averaged
    "combined": "#9467bd",  # purple: several techniques in one run
}
FAILED_COLOR = "#b8b8b8"  # failed and diverged runs: drawn apart, never on a front
_QUANT_TYPES = ("int8", "fp16", "bf16", "int4")


def technique_family(technique: object) -> str:
    """The family of a technique label as a run writes it (``"prune-filter-agp"`` ->
    ``"pruning"``); an unknown label is its own family.

    Example
    -------
    >>> [technique_family(t) for t in ("baseline", "prune-weight", "int8-dynamic",
    ...                                "sim-2bit-act", "distill", "lowrank", "ensemble-5",
    ...                                "distill+int8")]  # doctest: +NORMALIZE_WHITESPACE
    ['baseline', 'pruning', 'quantization', 'quantization', 'distillation', 'low rank',
     'ensemble', 'combined']
    """
    label = str(technique)
    if "+" in label:
        return "combined"
    if label in ("baseline", "", "None", "nan"):
        return "baseline"
    if label.startswith("prune"):
        return "pruning"
    if label.startswith("sim-") or label.split("-")[0] in _QUANT_TYPES:
        return "quantization"
    if label.startswith("distill"):
        return "distillation"
    if label.startswith("lowrank"):
        return "low rank"
    if label.startswith("ensemble"):
        return "ensemble"
    return label


# The colour of each technique label a run writes: its family's (kept as a table so code
# can list the known labels).
TECHNIQUE_COLORS: dict[str, str] = {
    label: FAMILY_COLORS[technique_family(label)]
    for label in (
        "baseline",
        "prune-weight",
        "prune-neuron",
        "prune-filter",
        "int8",
        "fp16",
        "bf16",
        "sim-2bit",
        "sim-3bit",
        "sim-4bit",
        "sim-6bit",
        "sim-8bit",
        "distill",
        "lowrank",
        "ensemble-2",
        "ensemble-4",
    )
}

# One marker symbol per technique family.
TECHNIQUE_SYMBOLS: dict[str, str] = {
    "baseline": "circle",
    "prune": "square",
    "quant": "diamond",
    "sim": "diamond-wide",
    "distill": "triangle-up",
    "lowrank": "cross",
    "ensemble": "hexagram",
    "combo": "star",
}
_FALLBACK_SYMBOLS = ("pentagon", "hexagon", "triangle-down", "x", "hourglass", "bowtie")

SPLIT_COLORS: dict[str, str] = {
    "train": "#1f77b4",
    "val": "#ff7f0e",
    "test": "#2ca02c",
    "acc": "#2ca02c",
}

# Axis titles with units. `packed_bytes` is computed from the bit width, not measured.
AXIS_LABELS: dict[str, str] = {
    "size_bytes": "Saved size (bytes)",
    "latency_ms": "Latency, batch 1 (ms)",
    "latency_ms_b256": "Latency, batch 256 (ms)",
    "params": "Parameters",
    "nonzero_params": "Non-zero parameters",
    "train_seconds": "Training time (s)",
    "sparse_bytes": "Sparse size (bytes)",
    "packed_bytes": "Packed size (bytes, computed)",
    "test_acc": "Test accuracy",
    "f1": "F1 (macro)",
    "precision": "Precision (macro)",
    "recall": "Recall (macro)",
    "test_r2": "Test R²",
    "val_r2": "Validation R²",
    "test_rmse": "Test RMSE (target units)",
    "val_rmse": "Validation RMSE (target units)",
    "test_mae": "Test MAE (target units)",
    "val_mae": "Validation MAE (target units)",
    "train_loss": "Train loss",
    "val_loss": "Validation loss",
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "epochs": "Epochs",
    "prune_ratio": "Prune ratio",
    "quant_bits": "Quantization bits",
    "step": "Step",
    "epoch": "Epoch",
    "ratio": "Prune ratio",
    "acc": "Accuracy",
    "layer": "Layer",
    "technique": "Technique",
    "dense_bytes": "Dense fp32 size (bytes)",
    "duration_s": "Duration (s)",
    "number": "Trial",
}
# The unit of a measure, for tick labels: "B" (bytes: 10 kB), "ms", "s", "" (a count: 10k).
AXIS_UNITS: dict[str, str] = {
    "size_bytes": "B",
    "dense_bytes": "B",
    "sparse_bytes": "B",
    "packed_bytes": "B",
    "latency_ms": "ms",
    "latency_ms_b256": "ms",
    "train_seconds": "s",
    "params": "",
    "nonzero_params": "",
}
# The measures a trade-off plot offers on each axis (for the UI's dropdowns).
X_CHOICES: tuple[str, ...] = (
    "size_bytes",
    "nonzero_params",
    "params",
    "latency_ms",
    "latency_ms_b256",
    "train_seconds",
    "dense_bytes",
    "sparse_bytes",
    "packed_bytes",
)
Y_CHOICES: tuple[str, ...] = ("test_acc", "f1", "precision", "recall", "test_r2")
# the quality a run of each task is judged by (higher is better in both)
TASK_Y: dict[str, str] = {"classification": "test_acc", "regression": "test_r2"}


def _make_template() -> go.layout.Template:
    base = pio.templates["plotly_white"]
    template = go.layout.Template(base.to_plotly_json())
    template.layout.colorway = PALETTE
    template.layout.font = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 13}
    template.layout.margin = {"l": 60, "r": 20, "t": 50, "b": 50}
    template.layout.legend = {"bgcolor": "rgba(255,255,255,0.6)"}
    template.layout.hoverlabel = {"namelength": -1}
    return template


TEMPLATE: go.layout.Template = _make_template()


def axis_label(column: str) -> str:
    """The axis title (with units) for a column name; the name itself when unknown.

    Example
    -------
    >>> axis_label("size_bytes"), axis_label("my_metric")
    ('Saved size (bytes)', 'my_metric')
    """
    return AXIS_LABELS.get(column, column)


def _stable_pick(label: str, choices: tuple[str, ...]) -> str:
    return choices[zlib.crc32(label.encode("utf-8")) % len(choices)]


def technique_color(technique: str) -> str:
    """The colour of a technique label: its family's (a stable pick for unknown labels).

    Example
    -------
    >>> technique_color("distill"), technique_color("prune-filter+int8")
    ('#ff7f0e', '#9467bd')
    >>> technique_color("prune-weight") == technique_color("prune-filter-agp")
    True
    """
    family = technique_family(technique)
    if family in FAMILY_COLORS:
        return FAMILY_COLORS[family]
    return _stable_pick(str(technique), PALETTE)


def technique_symbol(technique: str) -> str:
    """The marker symbol of a technique label: one per family, a star for combinations.

    Example
    -------
    >>> technique_symbol("int8"), technique_symbol("sim-4bit"), technique_symbol("distill+int8")
    ('diamond', 'diamond-wide', 'star')
    """
    label = str(technique)
    if "+" in label:
        return TECHNIQUE_SYMBOLS["combo"]
    if label in TECHNIQUE_SYMBOLS:
        return TECHNIQUE_SYMBOLS[label]
    if label.startswith("prune"):
        return TECHNIQUE_SYMBOLS["prune"]
    if label.startswith("sim-"):
        return TECHNIQUE_SYMBOLS["sim"]
    if label.split("-")[0] in _QUANT_TYPES:  # int8, int8-dynamic, fp16, ...
        return TECHNIQUE_SYMBOLS["quant"]
    if label.startswith("distill"):
        return TECHNIQUE_SYMBOLS["distill"]
    if label.startswith("lowrank"):
        return TECHNIQUE_SYMBOLS["lowrank"]
    if label.startswith("ensemble"):
        return TECHNIQUE_SYMBOLS["ensemble"]
    return _stable_pick(label, _FALLBACK_SYMBOLS)


def color_map(values: Iterable[object], *, column: str | None = None) -> dict[str, str]:
    """Colours for the distinct values of a categorical column, in first-seen order.

    Technique labels use :func:`technique_color`; other columns cycle through PALETTE.

    Example
    -------
    >>> color_map(["adam", "sgd", "adam"], column="optimizer")
    {'adam': '#1f77b4', 'sgd': '#ff7f0e'}
    """
    keys = list(dict.fromkeys(str(v) for v in values))
    if column == "technique":
        return {k: technique_color(k) for k in keys}
    return {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}


def symbol_map(values: Iterable[object], *, column: str | None = None) -> dict[str, str]:
    """Marker symbols for the distinct values of a categorical column, in first-seen order.

    Example
    -------
    >>> symbol_map(["baseline", "int8"], column="technique")
    {'baseline': 'circle', 'int8': 'diamond'}
    """
    keys = list(dict.fromkeys(str(v) for v in values))
    if column == "technique":
        return {k: technique_symbol(k) for k in keys}
    cycle = ("circle", "square", "diamond", "triangle-up", "cross", "star") + _FALLBACK_SYMBOLS
    return {k: cycle[i % len(cycle)] for i, k in enumerate(keys)}


def finish(
    fig: go.Figure,
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
) -> go.Figure:
    """Apply the optwidgets template and titles to a figure and return it."""
    fig.update_layout(template=TEMPLATE)
    if title is not None:
        fig.update_layout(title={"text": title})
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig
