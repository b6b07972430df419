"""Sweep one knob: the same run repeated over a series of values of one RunConfig field.

A sweep answers "what does this knob buy?" with a curve: prune ratio 0 … 0.9, bits
2 … 16, low-rank fractions. Every run goes through :func:`optwidgets.run` (train, then
compress, then measure), is written to the RunStore as it finishes, and is handed to
``on_result`` at once, so a dashboard can draw each point while the series goes on.
All values are validated before the first run starts (a bad one is refused, naming the
field and the value), and a knob that has no effect with the other settings is refused
too, naming the setting that would make it apply (a prune-ratio sweep with
``prune_method="none"`` would draw the same point ten times); the rule is the config's
own :meth:`RunConfig.inactive_reason`.

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

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.runs import RunResult, RunStore, run

__all__ = [
    "SWEEPABLE",
    "check_knob_applies",
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


def _setting_to_change(cfg: RunConfig, reason: str) -> str:
    """The field a reason such as "applies only with prune_method 'weight', ..." names
    as the one to change: the first named field still at its default (the technique
    that is off), else the first named field."""
    names = [w for w in re.findall(r"[a-z_][a-z0-9_]*", reason) if w in RunConfig.field_names()]
    defaults = RunConfig()
    off = [n for n in names if getattr(cfg, n) == getattr(defaults, n)]
    return (off or names or [""])[0]


def check_knob_applies(cfg: RunConfig, field: str, n_values: int = 0) -> None:
    """Refuse a sweep of ``field`` that would change nothing with ``cfg``'s other
    settings (the rule is :meth:`RunConfig.inactive_reason`); the error names the
    setting that would make it apply.

    Example
    -------
    >>> check_knob_applies(RunConfig(), "quant_bits")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: quant_mode='none' is not allowed: expected a setting under which quant_bits has an effect: quant_bits applies only with quant_mode='simulated' ...
    """
    reason = cfg.inactive_reason(field)
    if reason is None:
        return
    other = _setting_to_change(cfg, reason) or field
    runs = f"{n_values} runs" if n_values > 1 else "the runs"
    raise ConfigError(
        other,
        getattr(cfg, other),
        f"a setting under which {field} has an effect: {field} {reason}",
        f"as it is, {runs} of the sweep would all train the same model",
    )


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
        and the value), a knob that has no effect with the other settings (naming the
        setting to change), or another setting that no run of the sweep would use.

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
    check_knob_applies(cfg, field, len(values))
    configs = [cfg.replace(**{field: v}) for v in values]  # replace validates each value
    # a setting no run of the sweep uses is refused, as ow.run refuses it; one that only
    # some values switch off goes back to its default in those runs (prune_steps in the
    # run with prune_ratio=0), so every run starts
    unused = [{n: r for n, _, r in c.unused_settings()} for c in configs]
    for name, reason in unused[0].items():
        if all(name in u for u in unused):
            raise ConfigError(
                name,
                getattr(cfg, name),
                f"{getattr(RunConfig(), name)!r} (its default) or a setting that uses it",
                f"{name} {reason}; no run of this sweep would use it",
            )
    return [c.without_unused() for c in configs]


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
