"""Declarative control specs: which RunConfig field a control edits, and with what widget.

A :class:`Control` names one RunConfig field (or one key of a dict field such as
``augment``) and the widget that edits it; a :class:`Tab` is a titled list of controls.
The Explorer turns them into widgets (:mod:`optwidgets.ui._form`), so a tab module is
plain data and needs no widget code.

Example
-------
>>> from optwidgets.ui._spec import Control, Tab
>>> tab = Tab("Training", [Control("lr", "log_slider", min=1e-5, max=1.0)], order=20)
>>> tab.fields()
('lr',)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name

__all__ = ["Control", "Tab", "KINDS"]

# Widget kinds a Control may ask for (see _form.build_widget for what each becomes).
KINDS = (
    "dropdown",  # ipywidgets.Dropdown over `choices` (a sequence, or a callable giving one)
    "log_slider",  # FloatLogSlider between `min` and `max` (actual values, not exponents)
    "slider",  # FloatSlider between `min` and `max`, `step`
    "int_slider",  # IntSlider between `min` and `max`, `step`
    "int",  # IntText: any integer can be typed; RunConfig refuses bad ones
    "float",  # FloatText: any number can be typed; RunConfig refuses bad ones
    "text",  # Text: strings; tuples shown as "64, 32" and parsed by RunConfig
    "checkbox",  # Checkbox for booleans
)


@dataclass(frozen=True)
class Control:
    """One widget that edits one RunConfig field.

    Parameters
    ----------
    field : str
        The RunConfig field (``"lr"``). Checked against ``RunConfig.field_names()``.
    kind : str
        One of :data:`KINDS`.
    label : str
        Text left of the widget (default: the field name).
    help : str
        Tooltip: what the setting does, with units.
    choices : sequence or callable, optional
        Options of a ``dropdown``; a callable is asked each time the widget is built, so
        registries (``ow.data.dataset_names``) stay current. Items are values or
        ``(label, value)`` pairs.
    min, max, step : float, optional
        Range of sliders (a value loaded from a config outside it widens the range).
    key : str, optional
        For dict fields (``augment``): the key this control edits; a value of 0 / False
        removes the key (off).

    The control's name in ``Explorer.controls`` is ``field`` (or ``"field.key"``).
    """

    field: str
    kind: str = "float"
    label: str = ""
    help: str = ""
    choices: Sequence[Any] | Callable[[], Sequence[Any]] | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if self.field not in RunConfig.field_names():
            raise unknown_name("Control field", self.field, RunConfig.field_names())
        if self.kind not in KINDS:
            raise ConfigError("kind", self.kind, "one of " + ", ".join(map(repr, KINDS)))
        if self.kind == "dropdown" and self.choices is None:
            raise ConfigError("choices", None, f"options for the dropdown of {self.field!r}")
        if self.kind in ("log_slider", "slider", "int_slider") and (
            self.min is None or self.max is None
        ):
            raise ConfigError(
                "min/max", (self.min, self.max), f"a range for the {self.kind} of {self.field!r}"
            )
        if self.kind == "log_slider" and self.min is not None and self.min <= 0:
            raise ConfigError("min", self.min, "a number > 0 for a log slider")

    @property
    def name(self) -> str:
        """Key of this control in ``Explorer.controls``: ``field`` or ``field.key``."""
        return f"{self.field}.{self.key}" if self.key else self.field

    def options(self) -> list[Any]:
        """The dropdown's options now (calls ``choices`` when it is a callable)."""
        choices = self.choices() if callable(self.choices) else self.choices
        return list(choices or ())


@dataclass(frozen=True)
class Tab:
    """A titled group of controls, shown as one tab of the Explorer.

    Parameters
    ----------
    title : str
        Tab title.
    controls : sequence of Control
    order : int
        Tabs are shown by increasing ``order`` (built-ins use 10, 20, 30; leave gaps).
    help : str
        One line shown at the top of the tab.
    extra : callable, optional
        ``extra(explorer) -> ipywidgets.Widget`` appended below the controls, for a tab
        that needs more than field editors (a search panel's own buttons). Keep the
        widget thin: it edits ``explorer.config`` and calls engine functions.
    """

    title: str
    controls: Sequence[Control] = field(default_factory=tuple)
    order: int = 100
    help: str = ""
    extra: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "controls", tuple(self.controls))
        names = [c.name for c in self.controls]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError("controls", sorted(dup), "each field once per tab")

    def fields(self) -> tuple[str, ...]:
        """Control names of this tab, in order."""
        return tuple(c.name for c in self.controls)
