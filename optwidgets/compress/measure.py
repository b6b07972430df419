"""Measure a model as it would be deployed: bytes saved, parameters, non-zeros, latency.

Every number here is measured on the model in hand, never assumed:

* ``size_bytes`` is the length of the saved artefact, ``encode(model).nbytes``
  (:mod:`optwidgets.compress.artefact`): the deployable state (masks folded, simulated
  quantization at its bits, int8 lean) stored the way that technique ships, CSR for
  pruned weights where smaller, bit-packed codes for k-bit weights, at the model's dtype.
  ``size_encoding`` names how it was stored and ``dense_bytes`` is the same deployed model
  saved as plain dense fp32, for ratios.
* ``count_params`` counts the weights the model computes with, including packed weights
  of quantized modules (which ``nn.Module.parameters()`` does not list).
* ``latency_ms`` is the median of forward passes timed with ``torch.utils.benchmark``
  (``Timer.blocked_autorange``), in ``torch.inference_mode`` and ``eval()``, inputs in the
  model's dtype, the accelerator synchronized around every block of passes;
  ``latency_iqr_ms`` is its interquartile range.

Example
-------
>>> import torch.nn as nn
>>> from optwidgets.compress.measure import measure
>>> m = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
>>> r = measure(m, (1, 8, 8))
>>> r["params"], r["nonzero_params"] > 0, r["size_encoding"]
(650, True, 'dense-fp32')
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, cast

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from optwidgets.compress.artefact import encode
from optwidgets.compress.state import (
    _is_graph_constant,
    _quantized_weights,
    deployable_state,
    load_deployable_state,
    model_device,
    model_dtype,
)

__all__ = [
    "size_bytes",
    "count_params",
    "count_nonzero",
    "Latency",
    "latency",
    "latency_ms",
    "paired_latency",
    "measure",
    "deployable_state",
    "load_deployable_state",
    "model_dtype",
    "model_device",
]


def size_bytes(model: nn.Module) -> int:
    """Bytes of the model's saved artefact: ``encode(model).nbytes``.

    See :func:`optwidgets.compress.artefact.encode` for what is saved, per technique.

    Example
    -------
    >>> import torch.nn as nn
    >>> size_bytes(nn.Linear(64, 10)) > 650 * 4
    True
    """
    return encode(model).nbytes


def _weight_tensors(model: nn.Module) -> Iterator[Tensor]:
    """Every weight the model computes with, each once (effective values, masks applied)."""
    seen: set[int] = set()
    for module in model.modules():
        if parametrize.is_parametrized(module):
            # count the parametrized value (e.g. fake-quantized weight), not the original
            plists = cast(Any, module).parametrizations
            for name, plist in plists.items():
                seen.update(id(p) for p in plist.parameters())
                yield getattr(module, name)
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            if name == "weight" and callable(getattr(module, "deploy_weight", None)):
                yield cast(Any, module).deploy_weight()  # simulated quantization: k-bit values
            elif name.endswith("_orig") and hasattr(module, name[: -len("_orig")] + "_mask"):
                yield getattr(module, name[: -len("_orig")])  # masked weight
            else:
                yield p
        yield from _quantized_weights(module)
        for name, t in vars(module).items():
            if isinstance(t, Tensor) and _is_graph_constant(name) and id(t) not in seen:
                seen.add(id(t))
                yield t
        for name, b in module.named_buffers(recurse=False):
            if _is_graph_constant(name) and id(b) not in seen:
                seen.add(id(b))
                yield b


def count_params(model: nn.Module) -> int:
    """Number of weights and biases, packed weights of quantized modules included.

    ``nn.Module.parameters()`` does not list the int8 weights of ``torch.ao`` quantized
    modules nor the frozen constants of an exported graph; they are counted here, so a
    quantized model reports the same count as its float original. Buffers (BatchNorm
    running statistics, quantization scales) are not parameters and are not counted.

    Example
    -------
    >>> import torch.nn as nn
    >>> count_params(nn.Linear(64, 10))
    650
    """
    return int(sum(t.numel() for t in _weight_tensors(model)))


def _nonzero(t: Tensor) -> int:
    if t.is_quantized:
        t = t.int_repr() - t.q_zero_point() if t.qscheme() in (
            torch.per_tensor_affine, torch.per_tensor_symmetric) else t.dequantize()
    return int(torch.count_nonzero(t.detach()).item())


def count_nonzero(model: nn.Module) -> int:
    """Number of weights and biases that are not exactly zero (masks applied).

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Linear(2, 2); _ = m.weight.data.zero_()
    >>> count_nonzero(m) <= 2
    True
    """
    with torch.no_grad():
        return int(sum(_nonzero(t) for t in _weight_tensors(model)))


def _timer_for(device: torch.device) -> Callable[[], float]:
    """A clock for ``torch.utils.benchmark.Timer`` that waits for ``device`` first."""
    if device.type not in ("cuda", "mps"):
        return time.perf_counter

    def clock() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        else:  # pragma: no cover - needs Apple hardware
            torch.mps.synchronize()
        return time.perf_counter()

    return clock


class Latency(NamedTuple):
    """Milliseconds per forward pass: median and interquartile range over timed blocks."""

    median_ms: float
    iqr_ms: float
    blocks: int  # timed blocks the statistics come from
    passes_per_block: int


def latency(
    model: nn.Module,
    input_shape: tuple[int, ...],
    *,
    batch: int,
    device: torch.device | str = "cpu",
    warmup: int = 3,
    budget_s: float = 0.1,
    dtype: torch.dtype | None = None,
    threads: int | None = None,
) -> Latency:
    """Time forward passes of ``batch`` inputs of ``input_shape``: median and spread.

    ``torch.utils.benchmark.Timer.blocked_autorange(min_run_time=budget_s)`` does the
    timing: it picks how many passes form one block (so the clock's overhead is
    negligible), then times blocks until ``budget_s`` seconds are spent; the median and
    interquartile range are over the blocks' per-pass times. Before that, ``warmup``
    untimed passes. The model is put in ``eval()`` (and restored afterwards), runs under
    ``torch.inference_mode`` on ``device`` (synchronized before each clock reading: CUDA,
    MPS), inputs in the model's dtype unless ``dtype`` says otherwise.

    ``threads`` sets the torch threads for the measurement only (default: as now). On a
    CPU shared with other busy processes, multi-threaded kernels wait for descheduled
    threads and a median can jump from 0.1 ms to 100 ms; one thread stays stable there.

    Example
    -------
    >>> import torch.nn as nn
    >>> lat = latency(nn.Linear(8, 2), (8,), batch=4, budget_s=0.02)
    >>> lat.median_ms > 0, lat.iqr_ms >= 0, lat.blocks >= 1
    (True, True, True)
    """
    from torch.utils.benchmark import Timer  # imported here: loads its own submodules

    device = torch.device(device)
    dtype = dtype or model_dtype(model)
    x = torch.randn((batch, *input_shape), generator=torch.Generator().manual_seed(0))
    x = x.to(device=device, dtype=dtype)
    was_training = model.training
    n_threads = threads if threads is not None else torch.get_num_threads()
    old_threads = torch.get_num_threads()
    model.eval()
    try:
        torch.set_num_threads(n_threads)
        with torch.inference_mode():
            for _ in range(warmup):
                model(x)
            timer = Timer("model(x)", globals={"model": model, "x": x},
                          timer=_timer_for(device), num_threads=n_threads)
            m = timer.blocked_autorange(min_run_time=budget_s)
    finally:
        model.train(was_training)
        torch.set_num_threads(old_threads)
    return Latency(median_ms=float(m.median) * 1e3, iqr_ms=float(m.iqr) * 1e3,
                   blocks=len(m.raw_times), passes_per_block=int(m.number_per_run))


def latency_ms(
    model: nn.Module,
    input_shape: tuple[int, ...],
    *,
    batch: int,
    device: torch.device | str = "cpu",
    warmup: int = 3,
    budget_s: float = 0.1,
    dtype: torch.dtype | None = None,
    threads: int | None = None,
) -> float:
    """Median milliseconds of one forward pass (see :func:`latency`, which adds the spread).

    Example
    -------
    >>> import torch.nn as nn
    >>> latency_ms(nn.Linear(8, 2), (8,), batch=4, budget_s=0.02) > 0
    True
    """
    return latency(model, input_shape, batch=batch, device=device, warmup=warmup,
                   budget_s=budget_s, dtype=dtype, threads=threads).median_ms


def paired_latency(
    models: Mapping[str, nn.Module],
    example_input: Tensor | tuple[int, ...],
    *,
    rounds: int = 5,
    batch: int = 1,
    device: torch.device | str | None = None,
    budget_s: float = 0.05,
    threads: int | None = 1,
) -> Any:
    """Latency of several models measured as a comparison should be: warmed, alternated,
    repeated. Returns a DataFrame with one row per model.

    Every model is warmed up first (untimed passes and one short timing, so lazy
    initialisation and the allocator's first requests are not charged to whichever runs
    first). Then ``rounds`` rounds each time every model once with :func:`latency`, in an
    order that rotates from round to round, so a change in the machine's load hits every
    model alike. Columns: ``name``, ``median_ms`` (median of the rounds' medians),
    ``iqr_ms`` (interquartile range of those, the run-to-run spread), ``min_ms``,
    ``max_ms``, ``ratio`` (median over rounds of this model's time over the first model's
    in the same round: the paired comparison) and ``rounds``.

    ``example_input`` is an input batch (its first dimension is the batch) or an input
    shape without the batch (then ``batch`` inputs). ``device`` defaults to where the
    first model's parameters are. ``threads=1`` by default: on a shared CPU one thread
    gives stable medians (see :func:`latency`); pass None to use torch's current count.

    Example
    -------
    >>> import torch.nn as nn
    >>> small, big = nn.Linear(16, 4), nn.Sequential(nn.Linear(16, 512), nn.Linear(512, 4))
    >>> t = paired_latency({"small": small, "big": big}, (16,), rounds=3, budget_s=0.01)
    >>> list(t["name"]), t["rounds"].tolist(), float(t["ratio"].iloc[0])
    (['small', 'big'], [3, 3], 1.0)
    """
    import numpy as np
    import pandas as pd

    if not models:
        raise ValueError("paired_latency needs at least one model")
    if int(rounds) < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds!r}")
    if isinstance(example_input, Tensor):
        shape, batch = tuple(example_input.shape[1:]), int(example_input.shape[0])
    else:
        shape = tuple(int(d) for d in example_input)
    names = list(models)
    dev = torch.device(device) if device is not None else model_device(models[names[0]])
    for name in names:  # warm-up: every model before any timed round
        latency(models[name], shape, batch=batch, device=dev, warmup=5,
                budget_s=budget_s / 2, threads=threads)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(int(rounds)):
        for name in names[r % len(names):] + names[: r % len(names)]:
            lat = latency(models[name], shape, batch=batch, device=dev, warmup=1,
                          budget_s=budget_s, threads=threads)
            times[name].append(lat.median_ms)
    first = np.asarray(times[names[0]])
    rows = []
    for name in names:
        t = np.asarray(times[name])
        q1, q3 = np.percentile(t, [25, 75])
        rows.append({"name": name, "median_ms": float(np.median(t)), "iqr_ms": float(q3 - q1),
                     "min_ms": float(t.min()), "max_ms": float(t.max()),
                     "ratio": float(np.median(t / first)), "rounds": len(t)})
    return pd.DataFrame(rows)


def measure(
    model: nn.Module,
    input_shape: tuple[int, ...],
    *,
    device: torch.device | str = "cpu",
    large_batch: int = 256,
    threads: int | None = None,
) -> dict[str, Any]:
    """All the deployment numbers of a model in one dict.

    Returns ``params``, ``nonzero_params``, ``size_bytes`` (bytes of the saved artefact,
    :func:`~optwidgets.compress.artefact.encode`), ``size_encoding`` (how it is stored,
    e.g. ``"csr+packed-4bit"``), ``dense_bytes`` (the same deployed model saved dense
    fp32), ``latency_ms`` and ``latency_iqr_ms`` (batch 1), ``latency_ms_b256`` and
    ``latency_iqr_ms_b256`` (batch ``large_batch``; the key keeps its name).
    ``input_shape`` excludes the batch dimension. The latencies get 0.1 s and 0.15 s of
    timing, so a small model is measured in well under half a second. ``threads`` as in
    :func:`latency`.

    Example
    -------
    >>> import torch.nn as nn
    >>> sorted(measure(nn.Linear(8, 2), (8,)))  # doctest: +NORMALIZE_WHITESPACE
    ['dense_bytes', 'latency_iqr_ms', 'latency_iqr_ms_b256', 'latency_ms', 'latency_ms_b256',
     'nonzero_params', 'params', 'size_bytes', 'size_encoding']
    """
    art = encode(model)
    small = latency(model, input_shape, batch=1, device=device, budget_s=0.1, threads=threads)
    large = latency(model, input_shape, batch=large_batch, device=device, budget_s=0.15,
                    threads=threads)
    return {
        "params": count_params(model),
        "nonzero_params": count_nonzero(model),
        "size_bytes": art.nbytes,
        "size_encoding": art.encoding,
        "dense_bytes": art.dense_bytes,
        "latency_ms": small.median_ms,
        "latency_iqr_ms": small.iqr_ms,
        "latency_ms_b256": large.median_ms,
        "latency_iqr_ms_b256": large.iqr_ms,
    }
