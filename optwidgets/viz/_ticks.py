"""Readable, unit-formatted axis ticks: ``10 kB``, ``20 kB``, ``0.05 ms``, ``10k`` (plain data).

Plotly's own log ticks read ``8 9 10k 2 3 4 …`` (every digit labelled, units nowhere).
:func:`unit_ticks` picks round values (1, 2, 5 times a power of ten) inside the data's
range and writes each with its unit, so an axis of saved sizes reads ``5 kB · 10 kB ·
20 kB``; :func:`format_measure` is the same text for one value (hover, tables, status).

Example
-------
>>> format_measure(12_345, "B"), format_measure(0.0421, "ms"), format_measure(2_500_000, "")
('12.3 kB', '0.0421 ms', '2.5M')
>>> unit_ticks(3_000, 90_000, "B")[1]
['5 kB', '10 kB', '20 kB', '50 kB']
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["format_measure", "unit_ticks", "axis_range", "value_range"]

_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))
# Mantissa sets tried in turn until the ticks in range are few enough but not too few.
_MANTISSAS = (
    (1.0,),
    (1.0, 2.0, 5.0),
    (1.0, 2.0, 3.0, 5.0, 7.0),
    tuple(float(m) for m in range(1, 10)),
)


def _short(x: float) -> str:
    """3 significant digits, no trailing zeros, no exponent for everyday magnitudes."""
    if x == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:.{min(digits, 6)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_measure(value: float | None, unit: str) -> str:
    """One value with its unit: bytes in B / kB / MB / GB (powers of 1000), ``ms`` and
    ``s`` as they are, a count (``unit=""``) with k / M.

    Example
    -------
    >>> format_measure(999, "B"), format_measure(1500, "B"), format_measure(7, "s")
    ('999 B', '1.5 kB', '7 s')
    >>> format_measure(float("nan"), "ms")
    '—'
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    v = float(value)
    if unit in ("B", ""):
        for scale, prefix in _PREFIXES:
            if abs(v) >= scale:
                number = _short(v / scale)
                return f"{number} {prefix}{unit}" if unit else f"{number}{prefix}"
        return f"{_short(v)} {unit}".rstrip() if unit else _short(v)
    return f"{_short(v)} {unit}"


def unit_ticks(
    lo: float, hi: float, unit: str, *, log: bool = True, max_ticks: int = 7
) -> tuple[list[float], list[str]]:
    """Round tick values in ``[lo, hi]`` and their labels with ``unit``.

    On a log axis: powers of ten when three or more fit, else 1, 2, 5 (or more mantissas)
    times powers of ten, at least two ticks and at most ``max_ticks``; on a linear axis: numpy-style nice steps.

    Example
    -------
    >>> unit_ticks(0.01, 0.2, "ms")
    ([0.01, 0.02, 0.05, 0.1, 0.2], ['0.01 ms', '0.02 ms', '0.05 ms', '0.1 ms', '0.2 ms'])
    >>> unit_ticks(0, 10, "s", log=False)[1]
    ['0 s', '2 s', '4 s', '6 s', '8 s', '10 s']
    """
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if log:
        lo = max(lo, 1e-12)
        hi = max(hi, lo)
        k0, k1 = int(math.floor(math.log10(lo))) - 1, int(math.ceil(math.log10(hi))) + 1
        best: list[float] = []
        for mantissas in _MANTISSAS:
            vals = [m * 10.0**k for k in range(k0, k1 + 1) for m in mantissas]
            vals = [float(f"{v:.6g}") for v in vals if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
            if len(vals) > max_ticks:
                break
            best = vals
            if len(vals) >= (3 if len(mantissas) == 1 else 2):
                break
        if len(best) < 2:  # a narrow range: its two ends, rounded
            best = sorted({float(f"{lo:.2g}"), float(f"{hi:.2g}")})
        return best, [format_measure(v, unit) for v in best]
    span = hi - lo or abs(hi) or 1.0
    raw = span / max(max_ticks - 2, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    vals = [float(f"{v:.6g}") for v in np.arange(math.ceil(lo / step) * step, hi + step / 2, step)]
    return vals, [format_measure(v, unit) for v in vals]


def axis_range(values: np.ndarray, *, log: bool, pad: float = 0.08) -> tuple[float, float] | None:
    """A padded ``(lo, hi)`` holding every finite value (log10 units for a log axis, as
    plotly wants them); None when there is nothing to hold. One value gets a range around
    it (a factor of 2 on a log axis), not plotly's default of -1 to 4.

    Example
    -------
    >>> import numpy as np
    >>> [round(v, 3) for v in axis_range(np.array([100.0]), log=True)]
    [1.699, 2.301]
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)] if log else v[np.isfinite(v)]
    if v.size == 0:
        return None
    lo, hi = float(v.min()), float(v.max())
    if log:
        a, b = math.log10(lo), math.log10(hi)
        d = max((b - a) * pad, math.log10(2.0) if a == b else 0.05)
        return a - d, b + d
    d = (hi - lo) * pad or max(abs(hi) * 0.1, 0.5)
    return lo - d, hi + d


def value_range(values: np.ndarray, *, pad: float = 0.1) -> list[float] | None:
    """A y range holding ``values`` with some room, that stays inside [0, 1] (plus a
    hair) when every value is in [0, 1] (accuracies, F1): one trial at 0.97 gets
    ``[0.95, 0.99]``, not plotly's 0.47 to 1.47. None when there is no finite value.

    Example
    -------
    >>> import numpy as np
    >>> value_range(np.array([0.97]))
    [0.95, 0.99]
    >>> [round(v, 2) for v in value_range(np.array([0.2, 1.0]))]
    [0.12, 1.01]
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    lo, hi = float(v.min()), float(v.max())
    unit = lo >= 0.0 and hi <= 1.0
    d = (hi - lo) * pad or (0.02 if unit else max(abs(hi) * 0.05, 1e-9))
    lo, hi = lo - d, hi + d
    if unit:
        lo, hi = max(lo, 0.0), min(hi, 1.01)
    return [round(lo, 10), round(hi, 10)]
