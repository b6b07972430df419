"""One colour/symbol vocabulary, used by every figure."""

from __future__ import annotations

from optwidgets.viz import X_CHOICES, Y_CHOICES, axis_label, technique_color, technique_symbol
from optwidgets.viz.style import (
    AXIS_LABELS,
    FAMILIES,
    FAMILY_COLORS,
    PALETTE,
    TECHNIQUE_COLORS,
    TEMPLATE,
    color_map,
    symbol_map,
    technique_family,
)


def test_one_colour_per_family():
    assert len(set(FAMILY_COLORS.values())) == len(FAMILY_COLORS) == len(FAMILIES)
    for label in ("baseline", "prune-filter", "int8", "sim-4bit", "distill", "lowrank"):
        assert technique_color(label) == TECHNIQUE_COLORS[label]
        assert technique_color(label) == FAMILY_COLORS[technique_family(label)]
    assert technique_color("prune-weight") == technique_color("prune-filter-agp")
    assert technique_color("sim-2bit") == technique_color("int8-dynamic") == technique_color("bf16")


def test_families():
    assert technique_family("prune-neuron-agp") == "pruning"
    assert technique_family("sim-3bit-act") == "quantization"
    assert technique_family("lowrank+prune-weight") == "combined"
    assert technique_family("baseline") == "baseline"


def test_symbols_by_family():
    assert technique_symbol("baseline") == "circle"
    assert technique_symbol("prune-filter") == technique_symbol("prune-weight") == "square"
    assert technique_symbol("int8") == technique_symbol("fp16") == "diamond"
    assert technique_symbol("sim-4bit") == technique_symbol("sim-7bit") == "diamond-wide"
    assert technique_symbol("distill") == "triangle-up"
    assert technique_symbol("lowrank") == "cross"
    assert technique_symbol("prune-filter+int8") == "star"


def test_unknown_labels_are_stable():
    # crc32, not hash(): the same between interpreter runs
    assert technique_color("mystery") == technique_color("mystery")
    assert technique_color("mystery") in PALETTE
    assert technique_color("distill+lowrank") == FAMILY_COLORS["combined"]
    assert isinstance(technique_symbol("mystery"), str)


def test_maps_keep_first_seen_order():
    assert list(color_map(["int8", "baseline", "int8"], column="technique")) == ["int8", "baseline"]
    assert color_map(["a", "b"]) == {"a": PALETTE[0], "b": PALETTE[1]}
    assert symbol_map([1, 2]) == {"1": "circle", "2": "square"}


def test_axis_labels():
    for col in X_CHOICES + Y_CHOICES:
        assert col in AXIS_LABELS
    assert axis_label("size_bytes") == "Saved size (bytes)"
    assert axis_label("unknown") == "unknown"


def test_template_is_self_contained():
    assert tuple(TEMPLATE.layout.colorway) == PALETTE
    assert TEMPLATE.layout.plot_bgcolor  # built on plotly_white, not a registered name


def test_unit_ticks_and_measures():
    from optwidgets.viz import format_measure, unit_ticks

    assert unit_ticks(3_000, 90_000, "B")[1] == ["5 kB", "10 kB", "20 kB", "50 kB"]
    assert unit_ticks(1e3, 1e7, "B")[1] == ["1 kB", "10 kB", "100 kB", "1 MB", "10 MB"]
    assert all(t.endswith(" ms") for t in unit_ticks(0.004, 0.3, "ms")[1])
    assert format_measure(40_425, "B") == "40.4 kB" and format_measure(2_500, "") == "2.5k"
    assert format_measure(None, "B") == "—"
