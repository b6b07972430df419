"""Batched, device-agnostic data augmentation (no per-sample Python loop, no PIL).

Spec keys (the same as ``RunConfig.augment``); a value of 0 / False is off:

========== =====================================================================
key        effect
========== =====================================================================
rotate     rotate each image by an angle drawn uniformly in [-v, v] degrees
translate  shift each image by [-v, v] pixels on each axis (drawn uniformly)
hflip      if True, flip each image left-right with probability 0.5
cutout     zero a v x v pixel square at a uniformly drawn centre (all channels)
noise      add Gaussian noise of std v (images and tabular ``(B, F)`` batches)
========== =====================================================================

Rotation, translation and flip are fused into one affine warp
(``F.affine_grid`` + ``F.grid_sample``, bilinear, zero padding); then cutout, then
noise. The same generator state gives the same output. Random numbers are drawn on the
generator's device, so on a GPU pass ``torch.Generator(device="cuda")`` for speed.

Example
-------
>>> import torch
>>> from optwidgets.data import augment_batch
>>> x = torch.rand(16, 1, 8, 8)
>>> g = torch.Generator().manual_seed(0)
>>> augment_batch(x, {"rotate": 15, "hflip": True, "noise": 0.1}, g).shape
torch.Size([16, 1, 8, 8])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from optwidgets.core.errors import ConfigError, DataError, unknown_name

__all__ = ["AUGMENT_KEYS", "GEOMETRIC_KEYS", "check_spec", "augment_batch"]

AUGMENT_KEYS = ("rotate", "translate", "hflip", "cutout", "noise")
GEOMETRIC_KEYS = ("rotate", "translate", "hflip", "cutout")


def check_spec(spec: Mapping[str, Any] | None) -> dict[str, float | bool]:
    """Validate an augmentation spec; returns it with only the active keys.

    Raises
    ------
    ConfigError
        An unknown key (closest names suggested) or a value that is not a number >= 0
        (``hflip``: not a bool).

    Example
    -------
    >>> from optwidgets.data.augment import check_spec
    >>> check_spec({"rotate": 10, "noise": 0, "hflip": False})
    {'rotate': 10.0}
    """
    active: dict[str, float | bool] = {}
    for key, v in (spec or {}).items():
        if key not in AUGMENT_KEYS:
            raise unknown_name("augment key", key, AUGMENT_KEYS)
        if key == "hflip":
            if not isinstance(v, (bool, int)) or v not in (0, 1):
                raise ConfigError("augment['hflip']", v, "True or False")
            if v:
                active[key] = True
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or v < 0:
            raise ConfigError(f"augment[{key!r}]", v, "a finite number >= 0")
        if v > 0:
            active[key] = float(v)
    return active


def _affine(x: torch.Tensor, spec: dict[str, Any], rand) -> torch.Tensor:
    B, _, H, W = x.shape
    if "rotate" not in spec and "translate" not in spec:  # flip only: exact and cheap
        flip = rand(B) < 0.5
        return torch.where(flip[:, None, None, None], x.flip(-1), x)
    angle = (rand(B) * 2 - 1) * math.radians(spec.get("rotate", 0.0))
    sign = torch.where(rand(B) < 0.5, -1.0, 1.0) if spec.get("hflip") else torch.ones_like(angle)
    shift = spec.get("translate", 0.0)
    # Normalized coordinates span 2 units per side, so one pixel is 2/W (x) or 2/H (y).
    tx = (rand(B) * 2 - 1) * shift * 2 / W
    ty = (rand(B) * 2 - 1) * shift * 2 / H
    cos, sin = torch.cos(angle), torch.sin(angle)
    # A pixel-space rotation expressed in normalized coords (exact for non-square images),
    # applied after the optional flip (x -> -x).
    theta = torch.stack([
        torch.stack([cos * sign, -sin * H / W, tx], dim=1),
        torch.stack([sin * W / H * sign, cos, ty], dim=1),
    ], dim=1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _cutout(x: torch.Tensor, side: float, rand) -> torch.Tensor:
    B, _, H, W = x.shape
    s = int(round(side))
    if s <= 0:
        return x
    top = (rand(B) * H).long() - s // 2
    left = (rand(B) * W).long() - s // 2
    rows = torch.arange(H, device=x.device)[None, :]
    cols = torch.arange(W, device=x.device)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < top[:, None] + s)  # (B, H)
    in_cols = (cols >= left[:, None]) & (cols < left[:, None] + s)  # (B, W)
    hole = in_rows[:, :, None] & in_cols[:, None, :]  # (B, H, W)
    return x.masked_fill(hole[:, None], 0.0)


def augment_batch(
    x: torch.Tensor, spec: Mapping[str, Any], generator: torch.Generator | None = None
) -> torch.Tensor:
    """Augment a batch: images ``(B, C, H, W)``, or tabular ``(B, F)`` with ``noise`` only.

    Parameters
    ----------
    x : torch.Tensor
        Floating-point batch on any device; it is not modified.
    spec : dict
        Keys from :data:`AUGMENT_KEYS` (see the module table); ``{}`` returns ``x``.
    generator : torch.Generator, optional
        Source of randomness; the same generator state gives the same result. ``None``
        uses torch's global generator of ``x``'s device.

    Returns
    -------
    torch.Tensor
        Same shape, dtype and device as ``x``.

    Raises
    ------
    ConfigError
        Unknown key, bad value, or an active geometric key (rotate, translate, hflip,
        cutout) on a tabular batch; the message names the key.

    Example
    -------
    >>> import torch
    >>> from optwidgets.data import augment_batch
    >>> x = torch.zeros(4, 3)
    >>> g = torch.Generator().manual_seed(0)
    >>> bool((augment_batch(x, {"noise": 0.5}, g) != 0).any())
    True
    """
    active = check_spec(spec)
    if not active:
        return x
    if not x.is_floating_point():
        raise DataError(f"augment_batch needs floating-point input, got {x.dtype}")
    if x.dim() == 2:
        for key in GEOMETRIC_KEYS:
            if key in active:
                raise ConfigError(f"augment[{key!r}]", active[key], "0 / False for tabular data",
                                  f"{key!r} needs image batches (B, C, H, W); only 'noise' "
                                  "applies to feature vectors")
    elif x.dim() != 4:
        raise DataError(f"augment_batch expects (B, C, H, W) images or (B, F) features, "
                        f"got shape {tuple(x.shape)}")
    rand_device = generator.device if generator is not None else x.device

    def rand(n: int) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=rand_device).to(x.device)

    work = x if x.dtype in (torch.float32, torch.float64) else x.float()
    out = work
    if any(k in active for k in ("rotate", "translate", "hflip")):
        out = _affine(out, active, rand)
    if "cutout" in active:
        out = _cutout(out, active["cutout"], rand)
    if "noise" in active:
        noise = torch.randn(out.shape, generator=generator, device=rand_device,
                            dtype=out.dtype)
        out = out + active["noise"] * noise.to(out.device)
    return out.to(x.dtype) if out.dtype != x.dtype else out
