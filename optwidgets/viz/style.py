"""One visual vocabulary for every optwidgets figure: template, colours, symbols, labels.

A technique always has the same colour and the same marker symbol, in every figure and
every notebook, so a reader learns "orange triangle = distilled" once. Colours encode the
exact technique; symbols encode its family (pruning, quantization, distillation, low rank),
and combinations (``"prune-filter+int8"``) get a star. Labels unknown here get a colour and
a symbol picked by a stable hash of the label, so they too keep them between sessions.

Example
-------
>>> from optwidgets.viz.style import technique_color, technique_symbol, axis_label
>>> technique_color("baseline"), technique_symbol("prune-filter")
('#4d4d4d', 'square')
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
    "TECHNIQUE_COLORS",
    "TECHNIQUE_SYMBOLS",
    "SPLIT_COLORS",
    "AXIS_LABELS",
    "X_CHOICES",
    "Y_CHOICES",
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

# One colour per technique label as `experiment` writes it; families share a hue range.
TECHNIQUE_COLORS: dict[str, str] = {
    "baseline": "#4d4d4d",  # grey: the reference everything is compared with
    "prune-weight": "#74c476",  # greens: pruning
    "prune-neuron": "#31a354",
    "prune-filter": "#006d2c",
    "int8": "#08519c",  # blues: real low-precision types
    "fp16": "#3182bd",
    "bf16": "#6baed6",
    "sim-2bit": "#54278f",  # purples: simulated k-bit quantization, darker = fewer bits
    "sim-3bit": "#6a51a3",
    "sim-4bit": "#807dba",
    "sim-6bit": "#9e9ac8",
    "sim-8bit": "#bcbddc",
    "distill": "#e6550d",  # orange: knowledge distillation
    "lowrank": "#a50f15",  # red: low-rank factorization
}

# One marker symbol per technique family.
TECHNIQUE_SYMBOLS: dict[str, str] = {
    "baseline": "circle",
    "prune": "square",
    "quant": "diamond",
    "sim": "diamond-wide",
    "distill": "triangle-up",
    "lowrank": "cross",
    "combo": "star",
}
_FALLBACK_SYMBOLS = ("pentagon", "hexagon", "triangle-down", "x", "hourglass", "bowtie")
_QUANT_TYPES = ("int8", "fp16", "bf16", "int4")

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
    "duration_s": "Duration (s)",
    "number": "Trial",
}
# The measures a trade-off plot offers on each axis (for the UI's dropdowns).
X_CHOICES: tuple[str, ...] = (
    "size_bytes",
    "latency_ms",
    "latency_ms_b256",
    "params",
    "nonzero_params",
    "train_seconds",
    "sparse_bytes",
    "packed_bytes",
)
Y_CHOICES: tuple[str, ...] = ("test_acc", "f1", "precision", "recall")


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
    """The colour of a technique label (stable for labels not listed in TECHNIQUE_COLORS).

    Example
    -------
    >>> technique_color("distill")
    '#e6550d'
    >>> technique_color("prune-filter+int8") == technique_color("prune-filter+int8")
    True
    """
    label = str(technique)
    if label in TECHNIQUE_COLORS:
        return TECHNIQUE_COLORS[label]
    return _stable_pick(label, PALETTE)


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
    if label in _QUANT_TYPES:
        return TECHNIQUE_SYMBOLS["quant"]
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
