"""Sweep one knob: the same run repeated over a series of values of one RunConfig field.

A sweep answers "what does this knob buy?" with a curve: prune ratio 0 … 0.9, bits
2 … 16, low-rank fractions. Every run goes through :func:`optwidgets.run` (train, then
compress, then measure), is written to the RunStore as it finishes, and is handed to
``on_result`` at once, so a dashboard can draw each point while the series goes on.
All values are validated before the first run starts (a bad one is refused, naming the
field and the value), and a knob whose technique is switched off is refused too (a
prune-ratio sweep with ``prune_method="none"`` would draw the same point ten times).

Unlike :func:`optwidgets.tune`, a sweep samples nothing: it walks the values in order
and keeps every other setting, seed included, so the runs differ only in that knob.

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.tune.sweep import sweep_knob
>>> cfg = ow.RunConfig(dataset="xor", model="mlp", hidden=(8,), epochs=1,
...                    prune_method="weight")
>>> runs = sweep_knob(cfg, "prune_ratio", [0.0, 0.5], store=False)
>>> [r.config.prune_ratio for r in runs], [r.technique for r in runs]
([0.0, 0.5], ['baseline', 'prune-weight'])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.runs import RunResult, RunStore, run

__all__ = [
    "SWEEPABLE",
    "default_values",
    "parse_values",
    "sweep_configs",
    "sweep_knob",
    "sweep_curve",
]

# Knobs a sweep offers by default, with their series (units as in RunConfig).
SWEEPABLE: dict[str, tuple[float, ...]] = {
    # fraction of weights / units / channels removed
    "prune_ratio": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    # bit width of simulated quantization
    "quant_bits": (2, 3, 4, 5, 6, 8, 12, 16),
    # SVD rank as a fraction of each layer's full rank
    "lowrank_rank": (0.1, 0.25, 0.5, 0.75),
    # distillation: weight of the KL term, and the temperature
    "distill_alpha": (0.0, 0.25, 0.5, 0.75, 1.0),
    "distill_temperature": (1.0, 2.0, 4.0, 8.0),
}

# Which setting must be on for a knob to change anything (field, test, what to set).
_NEEDS: dict[str, tuple[str, Callable[[RunConfig], bool], str]] = {
    "prune_ratio": (
        "prune_method",
        lambda c: c.prune_method != "none",
        "'weight', 'neuron' or 'filter' to sweep prune_ratio",
    ),
    "prune_steps": (
        "prune_method",
        lambda c: c.prune_method != "none",
        "'weight', 'neuron' or 'filter' to sweep prune_steps",
    ),
    "quant_bits": (
        "quant_mode",
        lambda c: c.quant_mode == "simulated",
        "'simulated' to sweep quant_bits (int8, fp16 and bf16 have fixed widths)",
    ),
    "qat_epochs": (
        "quant_mode",
        lambda c: c.quant_mode == "simulated",
        "'simulated' to sweep qat_epochs",
    ),
    "distill_alpha": (
        "distill_student",
        lambda c: bool(c.distill_student),
        "a student model to sweep distill_alpha",
    ),
    "distill_temperature": (
        "distill_student",
        lambda c: bool(c.distill_student),
        "a student model to sweep distill_temperature",
    ),
}


def default_values(field: str) -> tuple[float, ...]:
    """The default series of a sweepable knob.

    Example
    -------
    >>> default_values("quant_bits")
    (2, 3, 4, 5, 6, 8, 12, 16)
    """
    if field not in SWEEPABLE:
        raise unknown_name("sweep knob", field, SWEEPABLE)
    return SWEEPABLE[field]


def parse_values(text: str) -> list[float]:
    """Numbers from text as typed in a box: ``"0, 0.25 0.5"`` -> ``[0.0, 0.25, 0.5]``.

    Whole numbers come back as ``int`` (bits, counts). Raises ConfigError naming
    ``values`` on anything that is not a number.

    Example
    -------
    >>> parse_values("2, 4 8"), parse_values("0.1,0.5")
    ([2, 4, 8], [0.1, 0.5])
    """
    out: list[float] = []
    for part in str(text).replace(",", " ").replace(";", " ").split():
        try:
            v = float(part)
        except ValueError:
            raise ConfigError("values", part, "numbers separated by commas or spaces") from None
        out.append(int(v) if v.is_integer() and "." not in part else v)
    return out


def sweep_configs(cfg: RunConfig, field: str, values: Iterable[Any]) -> list[RunConfig]:
    """One validated config per value (every other field kept). Nothing runs.

    Raises
    ------
    ConfigError
        An unknown field, an empty series, a value the field refuses (naming the field
        and the value), or a knob whose technique is off (naming the setting to change).

    Example
    -------
    >>> from optwidgets.config import RunConfig
    >>> cfgs = sweep_configs(RunConfig(quant_mode="simulated"), "quant_bits", [4, 8])
    >>> [c.quant_bits for c in cfgs]
    [4, 8]
    """
    if not isinstance(cfg, RunConfig):
        raise ConfigError("config", cfg, "an optwidgets.RunConfig")
    if field not in RunConfig.field_names():
        raise unknown_name("sweep field", field, RunConfig.field_names())
    values = list(values)
    if not values:
        raise ConfigError("values", values, f"at least one value of {field}")
    need = _NEEDS.get(field)
    if need is not None and not need[1](cfg):
        other, _, allowed = need
        raise ConfigError(other, getattr(cfg, other), allowed)
    return [cfg.replace(**{field: v}) for v in values]  # replace validates each value


def sweep_knob(
    cfg: RunConfig,
    field: str,
    values: Iterable[Any] | None = None,
    *,
    callbacks: Sequence[Any] | None = None,
    store: RunStore | str | bool | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[RunResult]:
    """Run ``cfg`` once per value of ``field``, in order, through :func:`optwidgets.run`.

    Parameters
    ----------
    cfg : RunConfig
        The settings every run shares (not changed).
    field : str
        The RunConfig field swept (``"prune_ratio"``, ``"quant_bits"``, ``"lowrank_rank"``,
        or any other field).
    values : iterable, optional
        The series; default :func:`default_values` of ``field``.
    callbacks : sequence of Callback
        Given to every run (live curves, a logger).
    store : RunStore, path, False or None
        Where each run is written as it finishes (None = the default store, False =
        nowhere), as for :func:`optwidgets.run`.
    on_result : callable, optional
        ``on_result(result)`` after each run, on the calling thread; redraw here.
    cancel : threading.Event, optional
        Set from another thread to stop: the current run ends within one batch
        (``status="stopped"``, kept) and no further run starts.

    Returns
    -------
    list of RunResult
        One per run that started, in the order of ``values``.

    Example
    -------
    >>> import optwidgets as ow
    >>> cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(8,), epochs=1,
    ...                    quant_mode="simulated")
    >>> runs = sweep_knob(cfg, "quant_bits", [2, 8], store=False)
    >>> [(r.config.quant_bits, r.status) for r in runs]
    [(2, 'done'), (8, 'done')]
    """
    configs = sweep_configs(cfg, field, default_values(field) if values is None else values)
    cancel = cancel if cancel is not None else threading.Event()
    results: list[RunResult] = []
    for c in configs:
        if cancel.is_set():
            break
        result = run(c, callbacks=list(callbacks or ()), store=store, cancel=cancel)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if result.status == "stopped":
            break
    return results


def sweep_curve(
    runs: pd.DataFrame, field: str, run_ids: Sequence[str], *, x: str, y: str
) -> pd.DataFrame:
    """The points of a sweep, in knob order: columns ``run_id, <field>, x, y``.

    ``runs`` is a runs frame (``RunStore.to_frame()``); rows of ``run_ids`` whose ``x``
    or ``y`` is missing or not finite (a failed run) are left out, so the curve joins
    the runs that measured something.

    Example
    -------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"run_id": ["a", "b", "c"], "prune_ratio": [0.5, 0.0, 0.9],
    ...                      "size_bytes": [50, 100, 10], "test_acc": [0.9, 0.95, None]})
    >>> sweep_curve(runs, "prune_ratio", ["a", "b", "c"], x="size_bytes", y="test_acc")
      run_id  prune_ratio  size_bytes  test_acc
    0      b          0.0         100      0.95
    1      a          0.5          50      0.90
    """
    columns = ["run_id", field, x, y]
    if len(runs) == 0 or any(c not in runs.columns for c in columns):
        return pd.DataFrame(columns=list(dict.fromkeys(columns)))
    rows = runs[runs["run_id"].isin(list(run_ids))]
    rows = rows[list(dict.fromkeys(columns))].copy()
    for c in (x, y):
        rows[c] = pd.to_numeric(rows[c], errors="coerce")
    rows = rows[rows[x].notna() & rows[y].notna()]
    rows = rows[(rows[x].abs() != float("inf")) & (rows[y].abs() != float("inf"))]
    order = {rid: i for i, rid in enumerate(run_ids)}
    rows["_order"] = rows["run_id"].map(order)
    rows = rows.sort_values([field, "_order"], kind="stable").drop(columns="_order")
    return rows.reset_index(drop=True)
