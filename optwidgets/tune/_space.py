"""Search spaces: which RunConfig fields a search varies, and over what.

A space is a dict of RunConfig field name -> spec:

=============================  =================================================
``("log", 1e-4, 1e-1)``        float (or int field) on a log scale, low > 0
``("float", 0.0, 0.9)``        float, uniform
``("int", 1, 5)``              integer, inclusive bounds
``["adam", "sgd"]``            choices (tuples and dicts allowed: ``[(64,), (128, 64)]``)
``"log:1e-4:1e-1"``            the same as text (the CLI form ``lr=log:1e-4:1e-1``)
``"choice:adam,sgd"``          choices as text (``"choice:64|128,64"``: split on ``|``)
=============================  =================================================

Besides RunConfig fields a space may search ``depth`` and ``units`` (they build
``hidden``), and the whole space may be the preset ``"architecture"``, alone or among
``'field=spec'`` texts that add or replace fields (:mod:`optwidgets.tune.architecture`).

A range may carry a fourth number: how many points a *grid* search puts on it (default
5 for floats; every integer when there are at most 10, else 5). Other methods ignore it.

Example
-------
>>> from optwidgets.tune import parse_space
>>> space = parse_space({"lr": "log:1e-3:1e-1", "optimizer": ["adam", "sgd"]})
>>> [p.name for p in space], space[0].grid_values()  # doctest: +ELLIPSIS
(['lr', 'optimizer'], [0.001, 0.00316..., 0.01, 0.0316..., 0.1])
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.models import model_options
from optwidgets.tune.architecture import (
    DERIVED,
    PRESETS,
    check_derived,
    field_of,
    preset_space,
)

__all__ = ["Param", "parse_space", "parse_space_item", "grid_size", "space_to_dict", "KINDS"]

KINDS = ("log", "float", "int", "choice")
GRID_MAX = 1000  # a grid larger than this needs an explicit n_trials
_DEFAULT_GRID_POINTS = 5
_ALLOWED = (
    "('log', low, high), ('float', low, high), ('int', low, high), a list of choices, "
    "or text like 'log:1e-4:1e-1', 'int:1:5', 'choice:adam,sgd'"
)


@dataclass(frozen=True)
class Param:
    """One searched RunConfig field.

    ``choices`` holds the values Optuna sees (None, bool, int, float or str); tuples and
    dicts are encoded as text and ``decode`` maps them back to the RunConfig value.
    """

    name: str
    kind: str  # log | float | int | choice
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    grid_points: int | None = None  # points on a range for grid search
    integer: bool = False  # suggest integers (int spec, or a log range on an int field)
    decode_map: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def _bounds(self) -> tuple[float, float]:
        """``(low, high)`` of a range (log, float, int): parse_space sets both for those."""
        if self.low is None or self.high is None:
            # TypeError, as int(None) / float(None) raised here before
            raise TypeError(f"parameter {self.name!r} ({self.kind}) has no range bounds")
        return self.low, self.high

    def distribution(self) -> Any:
        """The Optuna distribution of this parameter."""
        from optuna.distributions import (  # heavy: Optuna, only when a search runs
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "choice":
            return CategoricalDistribution(self.choices)
        lo, hi = self._bounds()
        if self.integer:
            return IntDistribution(int(lo), int(hi), log=self.kind == "log")
        return FloatDistribution(float(lo), float(hi), log=self.kind == "log")

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for a value; returns the RunConfig value."""
        if self.kind == "choice":
            return self.decode(trial.suggest_categorical(self.name, list(self.choices)))
        lo, hi = self._bounds()
        if self.integer:
            return trial.suggest_int(self.name, int(lo), int(hi), log=self.kind == "log")
        return trial.suggest_float(self.name, float(lo), float(hi), log=self.kind == "log")

    def decode(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.decode_map:
            return self.decode_map[value]
        return value

    def grid_values(self) -> list[Any]:
        """The values a grid search visits."""
        if self.kind == "choice":
            return list(self.choices)
        lo, hi = self._bounds()
        if self.integer:
            span = int(hi) - int(lo) + 1
            n = self.grid_points or (span if span <= 10 else _DEFAULT_GRID_POINTS)
            if n >= span:
                return list(range(int(lo), int(hi) + 1))
            pts = np.geomspace(lo, hi, n) if self.kind == "log" else np.linspace(lo, hi, n)
            return sorted({int(round(v)) for v in pts})
        n = self.grid_points or _DEFAULT_GRID_POINTS
        if n == 1:
            return [float(math.sqrt(lo * hi)) if self.kind == "log" else (lo + hi) / 2]
        pts = np.geomspace(lo, hi, n) if self.kind == "log" else np.linspace(lo, hi, n)
        return [float(v) for v in pts]

    def to_text(self) -> str:
        """The CLI form of this parameter: ``lr=log:0.0001:0.1``."""
        if self.kind == "choice":
            sep = "|" if any("," in str(c) for c in self.choices) else ","
            return f"{self.name}=choice:" + sep.join(str(c) for c in self.choices)
        low, high = self._bounds()
        lo, hi = (int(low), int(high)) if self.integer else (low, high)
        text = f"{self.name}={self.kind}:{lo:g}:{hi:g}"
        return text + (f":{self.grid_points}" if self.grid_points else "")


def _encode_choice(name: str, value: Any, decode_map: dict[str, Any]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True)
    else:
        raise ConfigError(
            f"space[{name!r}]", value, "choices that are numbers, text, booleans, tuples or dicts"
        )
    decode_map[text] = tuple(value) if isinstance(value, list) else value
    return text


def _number(name: str, text: Any) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"space[{name!r}]", text, "a number for a range bound") from None
    if not math.isfinite(v):
        raise ConfigError(f"space[{name!r}]", text, "a finite number for a range bound")
    return v


def _split_text(name: str, text: str) -> tuple[Any, ...] | list[Any]:
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind in ("choice", "choices", "cat", "categorical"):
        sep = "|" if "|" in rest else ","  # 'hidden=choice:64|128,64' for tuple choices
        return [_auto(c.strip()) for c in rest.split(sep) if c.strip()]
    if kind not in ("log", "float", "int"):
        raise ConfigError(f"space[{name!r}]", text, _ALLOWED)
    parts = rest.split(":")
    if len(parts) not in (2, 3):
        raise ConfigError(
            f"space[{name!r}]", text, f"'{kind}:low:high' or '{kind}:low:high:points'"
        )
    return (kind, *parts)


def _auto(text: str) -> Any:
    """'3' -> 3, '0.5' -> 0.5, 'true' -> True, anything else stays text."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _is_int_field(name: str) -> bool:
    """Integer fields, and tuple-of-int fields searched as one number (``hidden=64``)."""
    if name in DERIVED:  # depth, units: whole numbers
        return True
    default = RunConfig.__dataclass_fields__[name].default
    if isinstance(default, tuple) and default:
        return all(isinstance(v, int) for v in default)
    return isinstance(default, int) and not isinstance(default, bool)


def parse_space_item(name: str, spec: Any, base: RunConfig | None = None) -> Param:
    """One field's spec -> :class:`Param`, checked against RunConfig (field and values)."""
    fields = RunConfig.field_names()
    if name not in fields and name not in DERIVED:
        raise unknown_name("space", name, (*fields, *DERIVED))
    base = base or RunConfig()
    if isinstance(spec, str):
        spec = _split_text(name, spec)
    if isinstance(spec, (list, set, frozenset)):
        values = list(spec)
        if not values:
            raise ConfigError(f"space[{name!r}]", spec, "at least one choice")
        decode: dict[str, Any] = {}
        choices = tuple(dict.fromkeys(_encode_choice(name, v, decode) for v in values))
        for c in choices:  # each choice must be a value RunConfig accepts
            _check_value(base, name, decode.get(c, c) if isinstance(c, str) else c)
        return Param(name, "choice", choices=choices, decode_map=decode)
    if not isinstance(spec, tuple) or len(spec) not in (3, 4):
        raise ConfigError(f"space[{name!r}]", spec, _ALLOWED)
    kind = str(spec[0]).lower()
    if kind not in ("log", "float", "int"):
        raise ConfigError(f"space[{name!r}]", spec, _ALLOWED)
    lo, hi = _number(name, spec[1]), _number(name, spec[2])
    points = None
    if len(spec) == 4:
        p = _number(name, spec[3])
        if p < 1 or p != int(p):
            raise ConfigError(f"space[{name!r}]", spec[3], "a whole number >= 1 of grid points")
        points = int(p)
    if lo >= hi:
        raise ConfigError(
            f"space[{name!r}]", (lo, hi), "low < high", f"got low={lo:g}, high={hi:g}"
        )
    if kind == "log" and lo <= 0:
        raise ConfigError(f"space[{name!r}]", lo, "low > 0 on a log scale")
    int_field = _is_int_field(name)
    if kind == "float" and int_field:
        raise ConfigError(
            f"space[{name!r}]", spec, f"an 'int' or 'log' range ({name} is an integer)"
        )
    integer = kind == "int" or (kind == "log" and int_field)
    if integer and (lo != int(lo) or hi != int(hi)):
        raise ConfigError(f"space[{name!r}]", (lo, hi), "whole-number bounds for an integer range")
    for v in (lo, hi):
        _check_value(base, name, int(v) if integer else v)
    return Param(name, kind, low=lo, high=hi, grid_points=points, integer=integer)


def _check_value(base: RunConfig, name: str, value: Any) -> None:
    """Refuse a value RunConfig refuses, naming the field (e.g. dropout=1.0)."""
    if name in DERIVED:
        check_derived(name, value)
        return
    base.replace(**{name: value})


def parse_space(
    space: Mapping[str, Any] | Sequence[str] | Sequence[Param] | str,
    base: RunConfig | None = None,
) -> list[Param]:
    """Check a whole space; accepts a dict, a list of ``'name=spec'`` texts or Params, a
    preset name (``"architecture"``), or a list mixing a preset with texts that add or
    replace fields.

    Raises
    ------
    ConfigError
        Empty space, unknown field (with close names) or preset, low >= high, a log range
        with low <= 0, a value RunConfig does not accept, ``hidden`` searched together
        with ``depth`` / ``units``, or ``depth`` / ``units`` for a model without hidden
        layers.

    Example
    -------
    >>> [p.to_text() for p in parse_space(["architecture", "units=int:8:32"],
    ...                                   RunConfig(model="mlp"))]  # doctest: +NORMALIZE_WHITESPACE
    ['depth=int:1:3', 'units=int:8:32', 'activation=choice:relu,tanh,gelu',
     'dropout=float:0:0.5']
    """
    if isinstance(space, str):
        space = [space]
    if space is None or len(space) == 0:
        raise ConfigError(
            "space",
            space if space is not None else {},
            "at least one RunConfig field to search, e.g. {'lr': ('log', 1e-4, 1e-1)}",
        )
    preset: dict[str, Any] = {}
    if isinstance(space, Mapping):
        items = list(space.items())
    else:
        items = []
        for item in space:
            if isinstance(item, Param):
                items.append((item.name, item))
                continue
            name, eq, spec = str(item).partition("=")
            if not eq and name.strip() in PRESETS:
                preset.update(preset_space(name.strip(), base))
                continue
            if not eq:
                raise ConfigError(
                    "space",
                    item,
                    "'field=spec' such as 'lr=log:1e-4:1e-1', or a preset: "
                    + ", ".join(map(repr, PRESETS)),
                )
            items.append((name.strip().replace("-", "_"), spec))
    out, seen = [], set()
    for name, _spec in items:
        if name in seen:
            raise ConfigError("space", name, "each field once")
        seen.add(name)
    if "hidden" in seen:  # an explicit hidden replaces the preset's depth and units
        preset = {k: v for k, v in preset.items() if k not in DERIVED}
    given = dict(items)
    merged = {**preset, **{k: given.pop(k) for k in list(given) if k in preset}, **given}
    _check_layers(merged, base)
    for name, spec in merged.items():
        out.append(spec if isinstance(spec, Param) else parse_space_item(name, spec, base))
    return out


def _check_layers(space: Mapping[str, Any], base: RunConfig | None) -> None:
    """``depth`` / ``units`` build ``hidden``: not both, and only for a model that has
    hidden layers (unless the model itself is searched)."""
    derived = [k for k in space if k in DERIVED]
    if not derived:
        return
    if "hidden" in space:
        raise ConfigError(
            "space",
            "hidden",
            f"either 'hidden' or {' and '.join(map(repr, derived))}, not both",
            "depth and units build hidden",
        )
    model = (base or RunConfig()).model
    if "model" not in space and "hidden" not in model_options(model):
        raise ConfigError(
            f"space[{derived[0]!r}]",
            space[derived[0]],
            "a model that takes hidden layers (e.g. 'mlp')",
            f"model {model!r} has no hidden layers to {field_of(derived[0])}; "
            "its architecture knobs: " + (", ".join(model_options(model)) or "none"),
        )


def grid_size(params: Sequence[Param]) -> int:
    """How many points the full grid over ``params`` has."""
    return int(np.prod([len(p.grid_values()) for p in params], dtype=np.float64))


def space_to_dict(params: Sequence[Param]) -> dict[str, str]:
    """A JSON-safe description (``{'lr': 'log:0.0001:0.1'}``), stored with the study."""
    return {p.name: p.to_text().partition("=")[2] for p in params}
