"""Pruning: unstructured weight masks, and structured removal of neurons and filters.

The API has the shape of ``torch.nn.utils.prune``: plain functions on a module, where
``amount`` is a fraction of the units in ``[0, 1)`` when it is a float and a count when it
is an int.

* :func:`prune_weights` zeroes the smallest-magnitude weights with masks, delegating to
  ``torch.nn.utils.prune`` (``l1_unstructured`` per layer, ``global_unstructured`` for one
  global threshold), so masks are exactly PyTorch's and can be inspected
  (``module.weight_mask``) and folded with :func:`remove_masks`. A masked model still
  computes densely (no faster), but its artefact (:mod:`optwidgets.compress.artefact`)
  saves each weight as CSR where that is smaller, so ``size_bytes`` falls with sparsity.
* :func:`prune_neurons` / :func:`prune_filters` *physically remove* Linear output units /
  Conv output channels. Units are ranked by the L1 norm of their own weights (the criterion
  of ``torch.nn.utils.prune.ln_structured(n=1, dim=0)``), and the removal is carried out
  by Torch-Pruning's dependency graph. We use Torch-Pruning rather than slicing tensors by
  hand because removing a channel must also shrink everything that depends on it: the
  BatchNorm after a conv, the input columns of the next Linear/Conv (through Flatten and
  pooling), and every layer coupled through a residual addition or concatenation. Doing that
  bookkeeping by hand is where structured pruning usually goes wrong. The classifier's
  output layer is never pruned and every pruned layer keeps at least one unit.

Example
-------
>>> import torch, torch.nn as nn
>>> from optwidgets.compress.prune import prune_neurons
>>> m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
>>> _ = prune_neurons(m, 0.5, example_input=torch.randn(1, 8))
>>> m[0].out_features, m[2].in_features, m[2].out_features
(8, 8, 3)
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import cast

import pandas as pd
import torch
import torch.nn.utils.prune as tprune
from torch import Tensor, nn

from optwidgets.compress.state import _int8_layers, _quantized_weights, deployable_state
from optwidgets.core.errors import ConfigError
from optwidgets.models.outputs import logits_of

__all__ = [
    "check_prunable",
    "prunable_layers",
    "output_layer",
    "prune_weights",
    "remove_masks",
    "is_masked",
    "prune_neurons",
    "prune_filters",
    "agp_schedule",
    "step_amounts",
    "sparse_bytes",
    "sparse_state",
    "sensitivity",
]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_LAYER = (nn.Linear, *_CONV)


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every Linear and Conv layer, in registration order.

    Example
    -------
    >>> import torch.nn as nn
    >>> [n for n, _ in prunable_layers(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))]
    ['0', '2']
    """
    return [(n, m) for n, m in model.named_modules() if isinstance(m, _LAYER)]


def check_prunable(model: nn.Module, method: str) -> None:
    """Refuse a structured pruning method the model has no layers for (the one place).

    ``"filter"`` needs a Conv layer, and no grouped conv other than depthwise ones
    (``groups == in_channels == out_channels``: removing a filter removes its group; in
    other grouped convs single filters cannot go); ``"neuron"`` needs a hidden Linear
    layer (at least two: the output layer is never pruned). ``"weight"`` and ``"none"``
    take any model.

    Raises
    ------
    ConfigError
        naming ``prune_method``.

    Example
    -------
    >>> import torch.nn as nn
    >>> check_prunable(nn.Sequential(nn.Linear(4, 2)), "filter")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: prune_method='filter' is not allowed: ...
    """
    if method == "filter" and not any(isinstance(m, _CONV) for m in model.modules()):
        raise ConfigError("prune_method", "filter", "'weight' or 'neuron' for a model "
                          "without convolutions", f"{type(model).__name__} has no Conv layer")
    if method == "filter":
        for name, m in model.named_modules():
            conv = cast(nn.Conv2d, m)
            if (isinstance(m, _CONV) and conv.groups > 1
                    and not conv.groups == conv.in_channels == conv.out_channels):
                raise ConfigError(
                    "prune_method", "filter", "'weight' for a model with grouped "
                    "convolutions", f"{type(model).__name__}.{name} has groups={conv.groups} "
                    f"({conv.in_channels} -> {conv.out_channels} channels): only whole groups "
                    "could go, not single filters (depthwise convs, groups = channels, are fine)")
    if method == "neuron" and sum(isinstance(m, nn.Linear) for m in model.modules()) < 2:
        raise ConfigError("prune_method", "neuron", "'weight' or 'filter' for a model "
                          "without hidden Linear layers", "the output layer is never pruned")


def output_layer(model: nn.Module, example_input: Tensor) -> nn.Module:
    """The Linear/Conv layer that runs last in a forward pass: the classifier's output.

    Found by running ``example_input`` once (in eval mode, without gradients) and recording
    the order in which layers are called.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> output_layer(m, torch.randn(1, 2)) is m[2]
    True
    """
    order: list[nn.Module] = []
    handles = [m.register_forward_hook(lambda mod, i, o: order.append(mod))
               for _, m in prunable_layers(model)]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(example_input)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    if not order:
        raise ConfigError("prune_method", "structured", "a model with Linear or Conv layers",
                          f"{type(model).__name__} ran none")
    return order[-1]


def _check_amount(amount: float | int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise ConfigError("prune_ratio", amount, "a fraction in [0, 1) or a count >= 0")
    if isinstance(amount, numbers.Integral):
        if amount < 0:
            raise ConfigError("prune_ratio", amount, "a count >= 0")
    elif not 0.0 <= float(amount) < 1.0:
        raise ConfigError("prune_ratio", amount, "a fraction in [0, 1)")


def _n_to_prune(amount: float | int, n: int) -> int:
    # same rounding as torch.nn.utils.prune._compute_nparams_toprune
    return int(amount) if isinstance(amount, numbers.Integral) else round(float(amount) * n)


# ---------------------------------------------------------------------------------------
# unstructured


def prune_weights(model: nn.Module, amount: float | int, *, scope: str = "layer") -> nn.Module:
    """Zero the smallest-|w| weights of every Linear/Conv layer with masks (L1 unstructured).

    Parameters
    ----------
    model : nn.Module
        Changed in place (and returned). Biases are not pruned.
    amount : float or int
        Fraction in ``[0, 1)`` (or count) of the still-unpruned weights to prune, per layer
        (``scope="layer"``) or across all layers at once (``scope="global"``). Applied again,
        it prunes that share of what remains, as ``torch.nn.utils.prune`` does.
    scope : {"layer", "global"}
        One threshold per layer, or one threshold over all layers.

    Example
    -------
    >>> import torch.nn as nn
    >>> m = prune_weights(nn.Sequential(nn.Linear(10, 10)), 0.3)
    >>> int((m[0].weight == 0).sum())
    30
    """
    _check_amount(amount)
    layers = prunable_layers(model)
    if scope == "layer":
        for _, m in layers:
            tprune.l1_unstructured(m, "weight", amount=amount)
    elif scope == "global":
        tprune.global_unstructured([(m, "weight") for _, m in layers],
                                   pruning_method=tprune.L1Unstructured, amount=amount)
    else:
        raise ConfigError("prune_scope", scope, "'layer' or 'global'")
    return model


def is_masked(model: nn.Module) -> bool:
    """True when some module still carries a pruning mask.

    Example
    -------
    >>> import torch.nn as nn
    >>> is_masked(prune_weights(nn.Sequential(nn.Linear(4, 4)), 0.5)), is_masked(nn.Linear(4, 4))
    (True, False)
    """
    return any(isinstance(h, tprune.BasePruningMethod)
               for m in model.modules() for h in m._forward_pre_hooks.values())


def remove_masks(model: nn.Module) -> nn.Module:
    """Fold every pruning mask into its weight (``torch.nn.utils.prune.remove``); in place.

    Example
    -------
    >>> import torch.nn as nn
    >>> m = remove_masks(prune_weights(nn.Sequential(nn.Linear(4, 4)), 0.5))
    >>> hasattr(m[0], "weight_mask")
    False
    """
    for m in model.modules():
        for hook in list(m._forward_pre_hooks.values()):
            if isinstance(hook, tprune.BasePruningMethod):
                tprune.remove(m, hook._tensor_name)
    return model


# ---------------------------------------------------------------------------------------
# structured (physical removal with Torch-Pruning)


def _structured(model: nn.Module, amount: float | int, example_input: Tensor,
                kinds: tuple[type, ...], layers: Sequence[str] | None) -> nn.Module:
    import torch_pruning as tp  # imported here: only structured pruning needs it

    _check_amount(amount)
    out_layer = output_layer(model, example_input)
    names = {m: n for n, m in model.named_modules()}
    roots = [m for n, m in prunable_layers(model)
             if isinstance(m, kinds) and m is not out_layer and (layers is None or n in layers)]
    if not roots:
        raise ConfigError(
            "prune_method", "neuron" if kinds == (nn.Linear,) else "filter",
            "a method whose layers the model has",
            "no layer to prune: the output layer is never pruned",
        )
    ignored = [m for _, m in prunable_layers(model) if m not in roots]

    # Torch-Pruning traces a forward pass with autograd: use eval mode so BatchNorm
    # statistics are untouched, and make every weight require grad for the trace.
    was_training = model.training
    grads = {p: p.requires_grad for p in model.parameters()}
    try:
        model.eval()
        for p in grads:
            p.requires_grad_(True)
        # the input as a 1-tuple (Torch-Pruning unpacks it into the call), and the
        # logits out of a dict or an object with .logits (which it would not trace)
        graph = tp.DependencyGraph().build_dependency(model, example_inputs=(example_input,),
                                                      output_transform=logits_of)
        plan = []
        for group in graph.get_all_groups(ignored_layers=ignored, root_module_types=kinds):
            root = group[0].dep.target.module
            n = root.weight.shape[0]
            k = _n_to_prune(amount, n)
            if n - k < 1:
                raise ConfigError(
                    "prune_ratio", amount, f"a ratio that leaves layer {names.get(root)!r} "
                    f"({n} units) at least one unit", f"it would remove {k} of {n}")
            # L1 norm of each unit's own weights; keep the largest, as ln_structured does
            norm = root.weight.detach().abs().flatten(1).sum(1)
            keep = torch.topk(norm, k=n - k, largest=True).indices
            drop = sorted(set(range(n)) - set(keep.tolist()))
            plan.append((group, drop))
        for group, drop in plan:  # every layer checked before any is changed
            if drop:
                group.prune(idxs=drop)
    finally:
        model.train(was_training)
        for p in model.parameters():
            p.requires_grad_(grads.get(p, True))
    return model


def prune_neurons(model: nn.Module, amount: float | int, *, example_input: Tensor,
                  layers: Sequence[str] | None = None) -> nn.Module:
    """Remove the lowest-L1 output units of every hidden Linear layer; in place.

    Parameters
    ----------
    amount : float or int
        Fraction in ``[0, 1)`` of each layer's units (rounded like PyTorch), or a count
        per layer. A layer may not lose all its units: :class:`ConfigError` on
        ``prune_ratio``.
    example_input : Tensor
        One batch the model accepts (to trace dependencies and find the output layer).
    layers : list of str, optional
        Module names to prune; default every Linear except the output layer.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 2))
    >>> prune_neurons(m, 3, example_input=torch.randn(1, 4))[0].out_features
    7
    """
    check_prunable(model, "neuron")
    return _structured(model, amount, example_input, (nn.Linear,), layers)


def prune_filters(model: nn.Module, amount: float | int, *, example_input: Tensor,
                  layers: Sequence[str] | None = None) -> nn.Module:
    """Remove the lowest-L1 output channels of every Conv layer; in place.

    BatchNorm layers and the next layers' inputs shrink with them. A model without
    convolutions raises :class:`ConfigError` on ``prune_method``.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 36, 2))
    >>> prune_filters(m, 0.5, example_input=torch.randn(1, 1, 8, 8))[0].out_channels
    4
    """
    check_prunable(model, "filter")
    return _structured(model, amount, example_input, _CONV, layers)


# ---------------------------------------------------------------------------------------
# schedules


def agp_schedule(final_ratio: float, steps: int) -> list[float]:
    """Sparsity after each step of Automated Gradual Pruning (Zhu & Gupta, 2017).

    ``s_t = s_f * (1 - (1 - t / n) ** 3)`` for ``t = 1..n``: prune fast while there is
    redundancy, slowly near the target. The last value is ``final_ratio``.

    Example
    -------
    >>> [round(s, 3) for s in agp_schedule(0.8, 4)]
    [0.463, 0.7, 0.788, 0.8]
    """
    if steps < 1:
        raise ConfigError("prune_steps", steps, "an integer >= 1")
    return [final_ratio * (1.0 - (1.0 - t / steps) ** 3) for t in range(1, steps + 1)]


def step_amounts(schedule: Sequence[float]) -> list[float]:
    """Per-step fractions of the *remaining* units that reach each total in ``schedule``.

    Pruning ``a_t = 1 - (1 - s_t) / (1 - s_{t-1})`` of what is left takes the total from
    ``s_{t-1}`` to ``s_t`` (the amount semantics of repeated ``torch.nn.utils.prune``).

    Example
    -------
    >>> [round(a, 3) for a in step_amounts([0.5, 0.75])]
    [0.5, 0.5]
    """
    out, prev = [], 0.0
    for s in schedule:
        out.append(max(0.0, 1.0 - (1.0 - s) / (1.0 - prev)))
        prev = s
    return out


# ---------------------------------------------------------------------------------------
# what a sparse encoding would weigh


def _index_dtype(t: Tensor) -> torch.dtype:
    """The narrowest of uint8 / int16 / int32 / int64 holding every (non-negative) index."""
    hi = int(t.max()) if t.numel() else 0
    for dtype in (torch.uint8, torch.int16, torch.int32):
        if hi <= torch.iinfo(dtype).max:
            return dtype
    return torch.int64


def _csr_parts(t: Tensor) -> dict[str, Tensor]:
    """CSR of a weight reshaped to (out, rest); indices in the narrowest type that fits."""
    with warnings.catch_warnings():
        # torch warns once that sparse CSR is "beta"; we only build and size the tensors
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        csr = t.detach().reshape(t.shape[0], -1).to_sparse_csr()
    crow, col = csr.crow_indices(), csr.col_indices()
    return {"crow_indices": crow.to(_index_dtype(crow)), "col_indices": col.to(_index_dtype(col)),
            "values": csr.values()}


def sparse_state(model: nn.Module) -> dict[str, object]:
    """The deployable state with every Linear/Conv weight replaced by its CSR parts.

    ``<layer>.weight`` becomes ``<layer>.weight.values``, ``.col_indices`` and
    ``.crow_indices`` (see :func:`sparse_bytes`); everything else is
    :func:`~optwidgets.compress.measure.deployable_state` as is. Rebuild a weight with
    ``torch.sparse_csr_tensor(crow.long(), col.long(), values, (out, rest)).to_dense()``.

    Example
    -------
    >>> import torch.nn as nn
    >>> sorted(sparse_state(prune_weights(nn.Sequential(nn.Linear(4, 4)), 0.5)))
    ['0.bias', '0.weight.col_indices', '0.weight.crow_indices', '0.weight.values']
    """
    state = dict(deployable_state(model))
    int8 = {name for name, _ in _int8_layers(model)}
    for name, m in model.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(m, _LAYER):
            w = state.pop(prefix + "weight", None)  # masks applied, k-bit values shipped
            parts = _csr_parts(w if isinstance(w, Tensor) else m.weight)
        elif name in int8 and prefix + "weight_scale" in state:
            # lean int8 layer: its int8 values go sparse; scales, bias stay as saved
            parts = _csr_parts(cast(Tensor, state.pop(prefix + "weight")))
        else:
            q = list(_quantized_weights(m))
            if not q:
                continue
            w = q[0]
            for k in [k for k in state if k.startswith(prefix + "_packed_params")
                      or k in (prefix + "weight", prefix + "bias")]:
                state.pop(k)
            parts = _csr_parts(w.int_repr() if w.is_quantized else w)
            if w.is_quantized and w.qscheme() in (torch.per_channel_affine,
                                                  torch.per_channel_symmetric):
                parts["scales"] = w.q_per_channel_scales()
                parts["zero_points"] = w.q_per_channel_zero_points()
            elif w.is_quantized:
                parts["scales"] = torch.tensor([w.q_scale()])
                parts["zero_points"] = torch.tensor([w.q_zero_point()])
            if len(q) > 1:
                state[prefix + "bias"] = q[1].detach()
        for part, t in parts.items():
            state[f"{prefix}weight.{part}"] = t
    return state


def sparse_bytes(model: nn.Module) -> int:
    """Computed bytes of ``torch.save`` of the model with *every* Linear/Conv weight as CSR.

    A what-if for teaching (CSR everywhere, even where it is larger), not the saved size:
    ``size_bytes`` is the artefact, which stores a weight as CSR only where that is
    smaller (:mod:`optwidgets.compress.artefact`).

    Each weight (masks applied, as :func:`~optwidgets.compress.measure.deployable_state`
    ships it) is reshaped to ``(out, in * k * k)`` and converted with
    ``Tensor.to_sparse_csr``; its values (in the weight's dtype; int8 for quantized layers,
    whose scales and zero points stay dense as deployed), column indices and row pointers
    are saved instead of the dense tensor (see :func:`sparse_state`). Each index tensor has
    the narrowest integer type that holds its largest entry: uint8 up to 255, int16 up to
    32,767, else int32 (int64 beyond), as deployment sparse formats do; a row of at most
    256 columns is indexed with one byte per non-zero. Biases, BatchNorm buffers and
    everything else stay dense. At low sparsity CSR is still *larger* than dense (an index
    per value): that is shown, not hidden.

    Example
    -------
    >>> import io, torch, torch.nn as nn
    >>> m = prune_weights(nn.Sequential(nn.Linear(100, 100)), 0.9)
    >>> buf = io.BytesIO(); torch.save(m.state_dict(), buf)
    >>> sparse_bytes(m) < len(buf.getvalue())
    True
    """
    import io

    buf = io.BytesIO()
    torch.save(sparse_state(model), buf)
    return buf.getbuffer().nbytes


# ---------------------------------------------------------------------------------------
# sensitivity analysis


def sensitivity(
    model: nn.Module,
    evaluate: Callable[[nn.Module], float],
    *,
    ratios: Sequence[float] = (0.25, 0.5, 0.75),
    method: str = "weight",
    example_input: Tensor | None = None,
    finetune: Callable[[nn.Module], None] | None = None,
) -> pd.DataFrame:
    """Accuracy when each layer alone is pruned, one deep copy per (layer, ratio).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(model) -> accuracy`` on held-out data.
    method : {"weight", "neuron", "filter"}
        Unstructured masks (every Linear/Conv), or structured removal (hidden Linear /
        Conv layers; the output layer is never pruned). Structured needs ``example_input``.
    finetune : callable, optional
        ``finetune(model)`` run on each pruned copy before it is evaluated.

    Returns
    -------
    DataFrame with columns ``layer, ratio, acc``; ``acc`` is NaN where the ratio would
    leave a layer without units.

    Example
    -------
    >>> import torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> sensitivity(m, lambda mod: 1.0, ratios=(0.5,)).shape
    (2, 3)
    """
    probe = example_input if example_input is not None else torch.empty(0)
    if method == "weight":
        names = [n for n, _ in prunable_layers(model)]
    elif method in ("neuron", "filter"):
        if example_input is None:
            raise ConfigError("example_input", None, f"one input batch for method={method!r}")
        check_prunable(model, method)
        kinds = (nn.Linear,) if method == "neuron" else _CONV
        out = output_layer(model, example_input)
        names = [n for n, m in prunable_layers(model) if isinstance(m, kinds) and m is not out]
    else:
        raise ConfigError("prune_method", method, "'weight', 'neuron' or 'filter'")

    rows = []
    for name in names:
        for ratio in ratios:
            pruned = copy.deepcopy(model)
            try:
                if method == "weight":
                    tprune.l1_unstructured(pruned.get_submodule(name), "weight", amount=ratio)
                elif method == "neuron":
                    prune_neurons(pruned, ratio, example_input=probe, layers=[name])
                else:
                    prune_filters(pruned, ratio, example_input=probe, layers=[name])
            except ConfigError as err:
                if err.field != "prune_ratio":
                    raise
                rows.append({"layer": name, "ratio": float(ratio), "acc": math.nan})
                continue
            if finetune is not None:
                finetune(pruned)
            rows.append({"layer": name, "ratio": float(ratio), "acc": float(evaluate(pruned))})
    return pd.DataFrame(rows, columns=["layer", "ratio", "acc"])
