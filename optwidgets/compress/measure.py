"""Measure a model as it would be deployed: bytes saved, parameters, non-zeros, latency.

Every number here is measured on the model in hand, never assumed:

* ``size_bytes`` is the length of ``torch.save(state_dict)`` of the *deployable* state:
  pruning masks are folded into the weights (``weight_orig * weight_mask`` saved once as
  ``weight``), simulated quantization ships its k-bit values (``deploy_weight()``), parametrizations are
  evaluated, quantized modules
  save their packed int8 weights as they are.
* ``count_params`` counts the weights the model computes with, including packed weights
  of quantized modules (which ``nn.Module.parameters()`` does not list).
* ``latency_ms`` is a median of timed forward passes after warm-up, in
  ``torch.inference_mode`` and ``eval()``, with CUDA synchronized around every pass.

Example
-------
>>> import torch.nn as nn
>>> from optwidgets.compress.measure import measure
>>> m = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
>>> r = measure(m, (1, 8, 8))
>>> r["params"], r["nonzero_params"] > 0
(650, True)
"""

from __future__ import annotations

import io
import statistics
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

__all__ = [
    "size_bytes",
    "count_params",
    "count_nonzero",
    "latency_ms",
    "measure",
    "deployable_state",
    "model_dtype",
    "model_device",
]


def _quantized_weights(module: nn.Module) -> Iterator[Tensor]:
    """Weights and biases held in packed form by ``torch.ao`` quantized modules.

    Quantized Linear/Conv modules keep their weights in ``_packed_params`` and expose
    them through methods ``weight()`` / ``bias()``, not as parameters.
    """
    w = getattr(module, "weight", None)
    if callable(w) and not isinstance(w, (Tensor, nn.Module)):
        try:
            t = w()
        except Exception:  # pragma: no cover - not a quantized module after all
            return
        if isinstance(t, Tensor):
            yield t
        b = getattr(module, "bias", None)
        if callable(b) and not isinstance(b, (Tensor, nn.Module)):
            bt = b()
            if isinstance(bt, Tensor):
                yield bt


def _is_graph_constant(name: str) -> bool:
    # torch.export / PT2E convert() stores frozen (quantized) weights as plain tensor
    # attributes of the GraphModule named like "_frozen_param0" or "_param_constant0".
    return name.startswith(("_frozen_param", "_param_constant", "_tensor_constant"))


def deployable_state(model: nn.Module) -> dict[str, object]:
    """The state dict that would ship: masks folded in, parametrizations evaluated.

    Builds a new dict; the model is not changed (no deep copy needed).

    Example
    -------
    >>> import torch.nn as nn, torch.nn.utils.prune as P
    >>> m = nn.Linear(4, 2); _ = P.l1_unstructured(m, "weight", amount=0.5)
    >>> sorted(deployable_state(m))
    ['bias', 'weight']
    """
    sd = model.state_dict(keep_vars=False)
    out: dict[str, object] = OrderedDict()
    out._metadata = getattr(sd, "_metadata", None)  # type: ignore[attr-defined]  # as saved
    for key, value in sd.items():
        if key.endswith("_mask") and key[: -len("_mask")] + "_orig" in sd:
            continue  # folded into the weight below
        if key.endswith("_orig") and key[: -len("_orig")] + "_mask" in sd:
            base = key[: -len("_orig")]
            out[base] = (value * sd[base + "_mask"]).detach().clone()
            continue
        if ".parametrizations." in key or key.startswith("parametrizations."):
            # "<prefix>.parametrizations.<name>.original" -> evaluate "<prefix>.<name>"
            head, _, tail = key.partition("parametrizations.")
            name = tail.split(".", 1)[0]
            if tail != f"{name}.original":
                continue  # a parametrization's own state belongs to the simulation
            owner = model.get_submodule(head[:-1]) if head else model
            with torch.no_grad():
                out[head + name] = getattr(owner, name).detach().clone()
            continue
        out[key] = value
    for name, module in model.named_modules():
        deploy = getattr(module, "deploy_weight", None)
        if callable(deploy):  # simulated quantization: ship the k-bit values, not the shadow
            prefix = f"{name}." if name else ""
            with torch.no_grad():
                out[prefix + "weight"] = deploy().detach().clone()
            out.pop(prefix + "sim_mask", None)
    return out


def size_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save`` of the deployable state dict (see :func:`deployable_state`).

    Example
    -------
    >>> import torch.nn as nn
    >>> size_bytes(nn.Linear(64, 10)) > 650 * 4
    True
    """
    buf = io.BytesIO()
    torch.save(deployable_state(model), buf)
    return buf.getbuffer().nbytes


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


def model_dtype(model: nn.Module) -> torch.dtype:
    """The floating dtype the model's inputs should have (float32 if it holds none)."""
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (cpu if it holds none)."""
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device("cpu")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":  # pragma: no cover - needs Apple hardware
        torch.mps.synchronize()


def latency_ms(
    model: nn.Module,
    input_shape: tuple[int, ...],
    *,
    batch: int,
    device: torch.device | str = "cpu",
    warmup: int = 3,
    min_repeats: int = 5,
    max_repeats: int = 50,
    budget_s: float = 0.3,
    dtype: torch.dtype | None = None,
    threads: int | None = None,
) -> float:
    """Median milliseconds of one forward pass of ``batch`` inputs of ``input_shape``.

    The model is put in ``eval()`` (and restored afterwards), runs under
    ``torch.inference_mode``, and inputs have the model's dtype unless ``dtype`` says
    otherwise. After ``warmup`` untimed passes it times passes until ``max_repeats`` or
    until ``budget_s`` seconds are spent, but never fewer than ``min_repeats``.

    ``threads`` sets ``torch.set_num_threads`` for the measurement only (restored after).
    On a CPU shared with other busy processes, multi-threaded kernels wait for descheduled
    threads and a median can jump from 0.1 ms to 100 ms; one thread stays stable there.

    Example
    -------
    >>> import torch.nn as nn
    >>> latency_ms(nn.Linear(8, 2), (8,), batch=4) > 0
    True
    """
    device = torch.device(device)
    dtype = dtype or model_dtype(model)
    x = torch.randn((batch, *input_shape), generator=torch.Generator().manual_seed(0))
    x = x.to(device=device, dtype=dtype)
    was_training = model.training
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    model.eval()
    times: list[float] = []
    try:
        with torch.inference_mode():
            for _ in range(warmup):
                model(x)
            _sync(device)
            start = time.perf_counter()
            while len(times) < max_repeats:
                t0 = time.perf_counter()
                model(x)
                _sync(device)
                times.append(time.perf_counter() - t0)
                if len(times) >= min_repeats and time.perf_counter() - start >= budget_s:
                    break
    finally:
        model.train(was_training)
        if threads is not None:
            torch.set_num_threads(old_threads)
    return statistics.median(times) * 1e3


def measure(
    model: nn.Module,
    input_shape: tuple[int, ...],
    *,
    device: torch.device | str = "cpu",
    large_batch: int = 256,
    threads: int | None = None,
) -> dict[str, float]:
    """All the deployment numbers of a model in one dict.

    Returns ``{"params", "nonzero_params", "size_bytes", "latency_ms" (batch 1),
    "latency_ms_b256" (batch ``large_batch``)}``. ``input_shape`` excludes the batch
    dimension. Each latency gets a budget of about 0.15 s, so a small model is measured in
    well under half a second. ``threads`` as in :func:`latency_ms`.

    Example
    -------
    >>> import torch.nn as nn
    >>> sorted(measure(nn.Linear(8, 2), (8,)))
    ['latency_ms', 'latency_ms_b256', 'nonzero_params', 'params', 'size_bytes']
    """
    return {
        "params": count_params(model),
        "nonzero_params": count_nonzero(model),
        "size_bytes": size_bytes(model),
        "latency_ms": latency_ms(model, input_shape, batch=1, device=device, budget_s=0.1,
                                 threads=threads),
        "latency_ms_b256": latency_ms(
            model, input_shape, batch=large_batch, device=device, budget_s=0.15, threads=threads
        ),
    }
