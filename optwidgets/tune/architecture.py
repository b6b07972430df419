"""Architecture search: spaces over a model's shape, and the named preset ``"architecture"``.

Two searched names are not RunConfig fields: they build ``hidden`` (the mlp family's
hidden layers), so a sampler sees the number of layers and their width as two numbers:

============  ===========================================================================
``depth``     number of hidden layers, a whole number in [1, 16]
``units``     units in each hidden layer, a whole number in [1, 65,536]
============  ===========================================================================

A trial with ``depth=2, units=64`` runs ``hidden=(64, 64)``; a space with only one of them
keeps the base's other one (its number of layers, its first layer's units). The other
architecture knobs are RunConfig fields: ``activation``, ``dropout`` and ``width`` (the
channels of the first conv layer of cnn / resnet_tiny; later layers scale it).

``space="architecture"`` (or the text ``architecture`` among ``--space`` items) is the
preset: the knobs the base model's factory takes (:func:`optwidgets.models.model_options`)
over the ranges of :data:`ARCHITECTURE_RANGES`; further items add fields or replace a
preset range (``["architecture", "units=log:8:64"]``). Its default objectives are
``("val_acc", "size_bytes")``: the most accurate model on *validation* data for each
saved size (the test split only reports).

Example
-------
>>> from optwidgets.config import RunConfig
>>> architecture_space(RunConfig(model="mlp"))
{'depth': 'int:1:3', 'units': 'log:16:256', 'activation': 'choice:relu,tanh,gelu', \
'dropout': 'float:0:0.5'}
>>> architecture_space(RunConfig(model="cnn"))
{'width': 'log:4:64', 'dropout': 'float:0:0.5'}
>>> config_changes({"depth": 2, "units": 64, "dropout": 0.1}, RunConfig(model="mlp"))
{'dropout': 0.1, 'hidden': (64, 64)}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.models import model_options

__all__ = [
    "DERIVED",
    "DERIVED_BOUNDS",
    "ARCHITECTURE_RANGES",
    "PRESETS",
    "PRESET_OBJECTIVES",
    "architecture_space",
    "preset_space",
    "preset_names_in",
    "default_objectives",
    "config_changes",
    "searched_value",
    "field_of",
    "check_derived",
]

# searched name -> the RunConfig field it builds
DERIVED: dict[str, str] = {"depth": "hidden", "units": "hidden"}
# inclusive bounds of the derived names (a 16-layer mlp is already far past what trains
# in seconds; 65536 units is the widest layer worth a search on one machine)
DERIVED_BOUNDS: dict[str, tuple[int, int]] = {"depth": (1, 16), "units": (1, 65536)}

# The preset's ranges, per knob. Units and width on a log scale: halving a layer matters
# as much at 16 as at 256. Three activations that train well in a few epochs (sigmoid
# saturates and needs many more); dropout up to one half (beyond, small nets underfit).
ARCHITECTURE_RANGES: dict[str, str] = {
    "depth": "int:1:3",
    "units": "log:16:256",
    "activation": "choice:relu,tanh,gelu",
    "dropout": "float:0:0.5",
    "width": "log:4:64",
}
# model option -> the searched names that vary it
_KNOBS_OF_OPTION = {
    "hidden": ("depth", "units"),
    "activation": ("activation",),
    "width": ("width",),
    "dropout": ("dropout",),
}


def architecture_space(base: RunConfig | None = None) -> dict[str, str]:
    """The ``"architecture"`` preset for ``base.model``: each knob its factory takes.

    Raises
    ------
    ConfigError
        The model's factory takes none of ``hidden, activation, width, dropout``.
    """
    base = base or RunConfig()
    options = model_options(base.model)
    space = {
        knob: ARCHITECTURE_RANGES[knob]
        for option in ("hidden", "activation", "width", "dropout")
        if option in options
        for knob in _KNOBS_OF_OPTION[option]
    }
    if not space:
        raise ConfigError(
            "space",
            "architecture",
            "a model whose factory takes hidden, activation, width or dropout",
            f"model {base.model!r} takes none of them: search its fields by name",
        )
    return space


PRESETS = {"architecture": architecture_space}  # name -> (base RunConfig) -> space dict
PRESET_OBJECTIVES: dict[str, tuple[str, ...]] = {"architecture": ("val_acc", "size_bytes")}


def preset_space(name: str, base: RunConfig | None = None) -> dict[str, str]:
    """The space of preset ``name`` for ``base``."""
    if name not in PRESETS:
        raise unknown_name("space preset", name, PRESETS)
    return PRESETS[name](base)


def preset_names_in(space: Any) -> list[str]:
    """The preset names a space names (``"architecture"``, or such an item of a list)."""
    if isinstance(space, str):
        space = [space]
    if isinstance(space, Mapping) or space is None:
        return []
    try:
        items = list(space)
    except TypeError:
        return []
    return [s.strip() for s in items if isinstance(s, str) and s.strip() in PRESETS]


def default_objectives(space: Any) -> tuple[str, ...]:
    """Objectives when none are given: the preset's (``("val_acc", "size_bytes")`` for
    ``"architecture"``), else ``("val_acc",)``: a search chooses on validation data, so
    that the test split still reports the choice honestly.

    Example
    -------
    >>> default_objectives("architecture"), default_objectives({"lr": "log:1e-3:1e-1"})
    (('val_acc', 'size_bytes'), ('val_acc',))
    """
    names = preset_names_in(space)
    return PRESET_OBJECTIVES[names[0]] if names else ("val_acc",)


def field_of(name: str) -> str:
    """The RunConfig field a searched name sets (``depth`` and ``units``: ``hidden``)."""
    return DERIVED.get(name, name)


def check_derived(name: str, value: Any) -> int:
    """A value of ``depth`` or ``units`` as a whole number in its bounds, or ConfigError."""
    lo, hi = DERIVED_BOUNDS[name]
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and value == int(value)
    if not ok or not lo <= int(value) <= hi:
        what = "hidden layers" if name == "depth" else "units per hidden layer"
        raise ConfigError(f"space[{name!r}]", value, f"a whole number in [{lo}, {hi:,}] ({what})")
    return int(value)


def config_changes(values: Mapping[str, Any], base: RunConfig) -> dict[str, Any]:
    """Searched values as RunConfig changes: ``depth`` and ``units`` become ``hidden``
    (``(units,) * depth``; a missing one is the base's), the rest pass through."""
    out = {k: v for k, v in values.items() if k not in DERIVED}
    if any(k in values for k in DERIVED):
        depth = check_derived("depth", values.get("depth", len(base.hidden)))
        units = check_derived("units", values.get("units", base.hidden[0]))
        out["hidden"] = (units,) * depth
    return out


def searched_value(cfg: RunConfig, name: str) -> Any:
    """The value of searched name ``name`` in a config (``depth``: its number of hidden
    layers, ``units``: its first hidden layer's units; a field: the field).

    Example
    -------
    >>> cfg = RunConfig(model="mlp", hidden=(32, 32))
    >>> searched_value(cfg, "depth"), searched_value(cfg, "units"), searched_value(cfg, "lr")
    (2, 32, 0.003)
    """
    if name == "depth":
        return len(cfg.hidden)
    if name == "units":
        return cfg.hidden[0]
    return getattr(cfg, name)
