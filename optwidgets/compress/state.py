"""The deployable state of a model: what would ship, as plain tensors and numbers.

:func:`deployable_state` folds pruning masks into weights, evaluates parametrizations,
ships the k-bit values of simulated quantization and saves quantized int8 layers lean;
:func:`load_deployable_state` loads such a state back, bit for bit. The artefact
(:mod:`optwidgets.compress.artefact`) encodes this state for saving.

Example
-------
>>> import torch.nn as nn
>>> from optwidgets.compress.state import deployable_state
>>> sorted(deployable_state(nn.Linear(2, 1)))
['bias', 'weight']
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, cast

import torch
from torch import Tensor, nn

__all__ = ["deployable_state", "load_deployable_state", "model_dtype", "model_device"]


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


def model_dtype(model: nn.Module) -> torch.dtype:
    """The floating dtype the model's inputs should have (float32 if it holds none).

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> model_dtype(nn.Linear(2, 2).to(torch.bfloat16)), model_dtype(nn.ReLU())
    (torch.bfloat16, torch.float32)
    """
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (cpu if it holds none).

    Example
    -------
    >>> import torch.nn as nn
    >>> model_device(nn.Linear(2, 2)).type
    'cpu'
    """
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device("cpu")
