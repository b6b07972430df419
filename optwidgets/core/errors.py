"""Errors that name the field, the value and what is allowed.

Example
-------
>>> from optwidgets.core.errors import ConfigError
>>> str(ConfigError("lr", -1.0, "a finite number > 0"))
'lr=-1.0 is not allowed: expected a finite number > 0'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = ["ConfigError", "DataError", "closest_names", "unknown_name"]


class ConfigError(ValueError):
    """A setting has a value that is not allowed.

    Attributes
    ----------
    field : str
        The setting's name as RunConfig spells it (``"lr"``, ``"prune_ratio"``).
    value : object
        The value that was refused.
    allowed : str
        What would have been accepted, in words.
    """

    def __init__(self, field: str, value: Any, allowed: str, hint: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.hint = hint
        msg = f"{field}={value!r} is not allowed: expected {allowed}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class DataError(ValueError):
    """A dataset could not be loaded or does not fit the request."""


def closest_names(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The registered names that look most like ``name`` (for 'did you mean')."""
    return difflib.get_close_matches(str(name), list(choices), n=n, cutoff=0.5)


def unknown_name(field: str, value: Any, choices: Iterable[str]) -> ConfigError:
    """A ConfigError for a name that is not registered, suggesting the closest ones."""
    choices = sorted(choices)
    close = closest_names(str(value), choices)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ConfigError(field, value, "one of " + ", ".join(repr(c) for c in choices), hint)
