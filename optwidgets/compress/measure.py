"""Measure a model as it would be deployed: bytes saved, parameters, non-zeros, latency.

Every number here is measured on the model in hand, never assumed:

* ``size_bytes`` is the length of ``torch.save(state_dict)`` of the *deployable* state:
  pruning masks are folded into the weights (``weight_orig * weight_mask`` saved once as
  ``weight``), simulated quantization ships its k-bit values (``deploy_weight()``), parametrizations are
  evaluated. Quantized (int8) Linear/Conv layers are saved lean, without the
  waste of their ``state_dict``: int8 weights (``int_repr``), per-channel scales as float32
  and zero points as int8 (each only where that is exact; checked, the wider dtype kept
  otherwise), the bias as is, and scalar quantization parameters as Python numbers.
  :func:`load_deployable_state` loads that state back, bit for bit.
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
from collections.abc import Iterator, Mapping
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
    "load_deployable_state",
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


def _int8_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Quantized Linear/Conv modules whose weight is an affine int8 quantized tensor.

    Those of ``torch.ao`` keep weight and bias packed (``weight()`` / ``bias()`` are
    methods, ``set_weight_bias`` writes them) and the output qparams as ``scale`` /
    ``zero_point`` attributes. Other quantized modules (fp16 dynamic, embeddings) are not
    listed and keep their ordinary state.
    """
    out: list[tuple[str, nn.Module]] = []
    for name, m in model.named_modules():
        w = getattr(m, "weight", None)
        if not (callable(getattr(m, "set_weight_bias", None)) and callable(w)
                and not isinstance(w, (Tensor, nn.Module))
                and callable(getattr(m, "bias", None))
                and hasattr(m, "scale") and hasattr(m, "zero_point")):
            continue
        if any(name.startswith(f"{n}.") or not n for n, _ in out):
            continue  # inside a layer already listed
        try:
            t = w()
        except Exception:  # pragma: no cover - not a quantized module after all
            continue
        if (isinstance(t, Tensor) and t.is_quantized
                and t.qscheme() in (torch.per_channel_affine, torch.per_tensor_affine)):
            out.append((name, m))
    return out


def _exact_float32(t: Tensor) -> Tensor:
    """``t`` as float32 if that is exact for every value, else ``t`` unchanged."""
    f = t.float()
    return f if torch.equal(f.to(t.dtype), t) else t


def _narrowest_int(t: Tensor) -> Tensor:
    """``t`` in the narrowest of int8 / int16 / int32 / int64 that holds every value."""
    if t.is_floating_point() or t.is_complex():
        return t
    lo, hi = (int(t.min()), int(t.max())) if t.numel() else (0, 0)
    for dtype in (torch.int8, torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return t.to(dtype)
    return t.to(torch.int64)


def _lean_int8_layer(prefix: str, m: nn.Module) -> dict[str, object]:
    """One quantized layer's lean state (see :func:`deployable_state`)."""
    layer = cast(Any, m)
    w, b = layer.weight(), layer.bias()
    out: dict[str, object] = {prefix + "weight": w.int_repr()}
    if w.qscheme() == torch.per_channel_affine:
        out[prefix + "weight_scale"] = _exact_float32(w.q_per_channel_scales())
        out[prefix + "weight_zero_point"] = _narrowest_int(w.q_per_channel_zero_points())
        out[prefix + "weight_axis"] = int(w.q_per_channel_axis())
    else:  # per tensor: Python numbers (float is a double: exact)
        out[prefix + "weight_scale"] = float(w.q_scale())
        out[prefix + "weight_zero_point"] = int(w.q_zero_point())
    out[prefix + "bias"] = None if b is None else b.detach()
    out[prefix + "scale"] = float(layer.scale)
    out[prefix + "zero_point"] = int(layer.zero_point)
    return out


def _under(key: str, prefix: str) -> bool:
    return key.startswith(prefix)  # prefix "" (the model itself is the layer): every key


def deployable_state(model: nn.Module) -> dict[str, object]:
    """The state dict that would ship: masks folded in, parametrizations evaluated.

    Builds a new dict; the model is not changed (no deep copy needed).

    For a model with quantized int8 Linear/Conv layers (``quantize_int8``) the state is
    *lean*, a plain dict. ``torch.save`` of their ordinary ``state_dict`` stores per-channel
    scales as float64, zero points as int64, every scalar qparam as a 0-d tensor (a record
    of framing each) and module version metadata. Here each such layer ``<p>`` saves
    ``<p>.weight`` (int8 values, ``int_repr``), ``<p>.weight_scale`` (float32 where exact,
    else float64), ``<p>.weight_zero_point`` (int8 where in range, else the narrowest wider
    int), ``<p>.weight_axis``, ``<p>.bias`` (as is), and ``<p>.scale`` / ``<p>.zero_point``
    (Python numbers; per-tensor weights likewise). Every other 0-d tensor becomes a Python
    number (its dtype comes back from the model on loading). Nothing is lost:
    :func:`load_deployable_state` rebuilds the same quantized tensors.

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
    layers = _int8_layers(model)
    if not layers:
        return out
    lean: dict[str, object] = {}
    prefixes = [f"{name}." if name else "" for name, _ in layers]
    for prefix, (_, m) in zip(prefixes, layers):
        lean.update(_lean_int8_layer(prefix, m))
    for key, value in out.items():
        if any(_under(key, p) for p in prefixes):
            continue
        if isinstance(value, Tensor) and value.dim() == 0 and not value.is_quantized:
            value = value.item()
        lean[key] = value
    return lean


def load_deployable_state(model: nn.Module, state: Mapping[str, object]) -> nn.Module:
    """Load a :func:`deployable_state` (e.g. read back by ``torch.load``) into ``model``.

    ``model`` must have the same structure as the model the state came from. For a model
    without quantized int8 layers this is ``model.load_state_dict(state)`` (strict). For an
    int8 model the lean layers are rebuilt (same int8 values, scales, zero points, bias and
    output qparams, bit for bit) and every other entry is loaded strictly, Python numbers
    cast back to the dtype the model holds. Missing or unexpected keys raise
    ``RuntimeError``. Returns ``model``.

    Example
    -------
    >>> import torch.nn as nn
    >>> a, b = nn.Linear(4, 2), nn.Linear(4, 2)
    >>> _ = load_deployable_state(b, deployable_state(a))
    >>> bool((a.weight == b.weight).all())
    True
    """
    layers = [(n, m) for n, m in _int8_layers(model)
              if (f"{n}." if n else "") + "weight_scale" in state]
    if not layers:
        model.load_state_dict(state)
        return model
    rest = dict(state)
    prefixes = [f"{name}." if name else "" for name, _ in layers]
    sd = model.state_dict()
    full: dict[str, object] = OrderedDict()
    full._metadata = getattr(sd, "_metadata", None)  # type: ignore[attr-defined]
    missing = []
    for key, old in sd.items():
        if any(_under(key, p) for p in prefixes):
            full[key] = old  # rebuilt below
        elif key not in rest:
            missing.append(key)
        else:
            new = rest.pop(key)
            if isinstance(old, Tensor) and not isinstance(new, Tensor):
                new = torch.tensor(new, dtype=old.dtype)
            full[key] = new
    parts = {}
    for p in prefixes:
        parts[p] = {k[len(p):]: rest.pop(k) for k in [k for k in rest if _under(k, p)]}
    if missing or rest:
        raise RuntimeError(f"load_deployable_state: missing keys {missing}, "
                           f"unexpected keys {sorted(rest)}")
    model.load_state_dict(full)
    for p, (_, m) in zip(prefixes, layers):
        lp = parts[p]
        scale, zero_point = lp["weight_scale"], lp["weight_zero_point"]
        if "weight_axis" in lp:
            w = torch._make_per_channel_quantized_tensor(
                cast(Tensor, lp["weight"]), cast(Tensor, scale).double(),
                cast(Tensor, zero_point).long(), cast(int, lp["weight_axis"]))
        else:
            w = torch._make_per_tensor_quantized_tensor(
                cast(Tensor, lp["weight"]), cast(float, scale), cast(int, zero_point))
        layer = cast(Any, m)
        layer.set_weight_bias(w, lp["bias"])
        # after load_state_dict, which passes output qparams through float32 tensors
        layer.scale, layer.zero_point = float(cast(float, lp["scale"])), int(
            cast(int, lp["zero_point"]))
    return model


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
