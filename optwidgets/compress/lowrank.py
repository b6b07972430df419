"""Low-rank factorization of Linear and Conv2d layers by truncated SVD.

A Linear ``W (out x in)`` becomes ``Linear(in, r, bias=False)`` then ``Linear(r, out)``
with weights ``sqrt(S_r) V_r^T`` and ``U_r sqrt(S_r)``. A Conv2d is reshaped to
``out x (in*k*k)`` and becomes a ``k x k`` conv with ``r`` outputs (same stride, padding,
dilation) followed by a ``1 x 1`` conv to ``out`` channels carrying the bias. Each layer is
replaced in place by an ``nn.Sequential`` of the two, so its state-dict keys gain ``.0`` /
``.1``.

Which layers: every ``nn.Linear`` and ungrouped ``nn.Conv2d`` where the two factors hold
fewer weights than the original, ``r * (in*k*k + out) < out * in*k*k``; layers where
the rank would not save parameters are left alone. The classifier's output layer is left
alone too (``keep_output=True``): its full rank is the number of classes, so factorizing
it only saves parameters below that rank, and then the logits can span only ``r`` of the
class directions. Measured on digits (fraction 0.25, no fine-tuning): MLP 64-128-10 keeps
0.95 accuracy with the classifier intact but falls to 0.40 with it factorized, for ~1,000
fewer parameters.

Example
-------
>>> import torch.nn as nn
>>> from optwidgets.compress.lowrank import factorize
>>> m = factorize(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)), 0.25)
>>> [type(l).__name__ for l in m]
['Sequential', 'ReLU', 'Linear']
"""

from __future__ import annotations

import math
import numbers
from typing import Any, cast

import torch
from torch import Tensor, nn

from optwidgets.compress.prune import output_layer
from optwidgets.core.errors import ConfigError

__all__ = ["factorize", "layer_rank"]


def layer_rank(rank: float | int, full: int) -> int:
    """The rank used for a layer whose full rank is ``full``.

    A fraction in ``(0, 1)`` gives ``max(1, round(rank * full))``; a count ``>= 1`` gives
    ``min(count, full)``.

    Example
    -------
    >>> layer_rank(0.25, 10), layer_rank(4, 10), layer_rank(40, 10)
    (2, 4, 10)
    """
    if isinstance(rank, bool) or not isinstance(rank, numbers.Real) or rank <= 0:
        raise ConfigError("lowrank_rank", rank, "a fraction in (0, 1) or a whole count >= 1")
    if rank < 1:
        return max(1, round(float(rank) * full))
    if float(rank) != int(rank):
        raise ConfigError("lowrank_rank", rank, "a fraction in (0, 1) or a whole count >= 1")
    return min(int(rank), full)


def _svd_factors(w2d: Tensor, r: int) -> tuple[Tensor, Tensor]:
    """``A (out x r)``, ``B (r x rest)`` with ``A @ B`` the best rank-r approximation."""
    u, s, vh = torch.linalg.svd(w2d.detach().double(), full_matrices=False)
    root = s[:r].sqrt()
    a = (u[:, :r] * root).to(w2d.dtype)
    b = (root[:, None] * vh[:r]).to(w2d.dtype)
    return a, b


def _factor_linear(m: nn.Linear, r: int) -> nn.Sequential:
    a, b = _svd_factors(m.weight, r)
    first = nn.Linear(m.in_features, r, bias=False, device=m.weight.device, dtype=m.weight.dtype)
    second = nn.Linear(r, m.out_features, bias=m.bias is not None, device=m.weight.device,
                       dtype=m.weight.dtype)
    with torch.no_grad():
        first.weight.copy_(b)
        second.weight.copy_(a)
        if m.bias is not None and second.bias is not None:
            second.bias.copy_(m.bias)
    return nn.Sequential(first, second)


def _factor_conv(m: nn.Conv2d, r: int) -> nn.Sequential:
    out, cin, kh, kw = m.weight.shape
    a, b = _svd_factors(m.weight.reshape(out, cin * kh * kw), r)
    dev, dt = m.weight.device, m.weight.dtype
    c = cast(Any, m)  # stride/padding/dilation are 2-tuples on a Conv2d
    first = nn.Conv2d(cin, r, (kh, kw), stride=c.stride, padding=c.padding,
                      dilation=c.dilation, bias=False, padding_mode=c.padding_mode,
                      device=dev, dtype=dt)
    second = nn.Conv2d(r, out, 1, bias=m.bias is not None, device=dev, dtype=dt)
    with torch.no_grad():
        first.weight.copy_(b.reshape(r, cin, kh, kw))
        second.weight.copy_(a.reshape(out, r, 1, 1))
        if m.bias is not None and second.bias is not None:
            second.bias.copy_(m.bias)
    return nn.Sequential(first, second)


def factorize(
    model: nn.Module,
    rank: float | int,
    *,
    example_input: Tensor | None = None,
    keep_output: bool = True,
    only_if_smaller: bool = True,
) -> nn.Module:
    """Replace Linear / Conv2d layers by rank-``rank`` factor pairs; in place.

    Parameters
    ----------
    rank : float or int
        Fraction in ``(0, 1)`` of each layer's full rank ``min(out, in*k*k)``, or a count.
    example_input : Tensor, optional
        One input batch, used to find the output layer (the last layer a forward pass
        runs). Without it, the last Linear/Conv2d registered in the model is taken.
    keep_output : bool
        Leave the classifier's output layer unfactorized (default; see module docstring).
    only_if_smaller : bool
        Skip layers the factorization would not shrink (default). ``False`` factorizes
        every layer, e.g. at full rank to check that outputs are reproduced.

    The model's own top module is not replaced (pass a container holding it).

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(6, 4))
    >>> x = torch.randn(2, 6); y = m(x)
    >>> f = factorize(m, 4, keep_output=False, only_if_smaller=False)
    >>> torch.allclose(f(x), y, atol=1e-5), type(f[0]).__name__
    (True, 'Sequential')
    """
    layer_rank(rank, 1)  # validate once, even for a model with no layer to factorize
    targets = [(name, m) for name, m in model.named_modules()
               if name and (type(m) is nn.Linear
                            or (type(m) is nn.Conv2d and m.groups == 1))]
    if keep_output and targets:
        if example_input is not None:
            out_layer = output_layer(model, example_input)
        else:
            out_layer = [m for _, m in model.named_modules()
                         if isinstance(m, (nn.Linear, nn.Conv2d))][-1]
        targets = [(n, m) for n, m in targets if m is not out_layer]
    for name, m in targets:
        out = m.weight.shape[0]
        rest = math.prod(m.weight.shape[1:])
        r = layer_rank(rank, min(out, rest))
        if only_if_smaller and r * (rest + out) >= out * rest:
            continue
        new = _factor_linear(m, r) if isinstance(m, nn.Linear) else _factor_conv(m, r)
        new.train(m.training)
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, new)
    return model
