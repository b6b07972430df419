"""Input scaling whose statistics come from the training split only.

========== =============================== ===========================
kind       shift                           scale
========== =============================== ===========================
none       0                               1
minmax     min                             max - min
standardize mean                           standard deviation
robust     median                          interquartile range (q75 - q25)
========== =============================== ===========================

``transform(X) = (X - shift) / scale``, per feature for tabular data and per channel for
images. A scale of (almost) zero, as for a constant feature, is replaced by 1 so the
feature becomes ``X - shift`` instead of a division by zero.

Example
-------
>>> import torch
>>> from optwidgets.data import fit_preprocessor
>>> X_train = torch.tensor([[0.0, 10.0], [2.0, 10.0], [4.0, 10.0]])
>>> p = fit_preprocessor("minmax", X_train, image=False)
>>> p.transform(torch.tensor([[2.0, 10.0]])).tolist()
[[0.5, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from optwidgets.core.errors import ConfigError, DataError, unknown_name

__all__ = ["PREPROCESSORS", "SCALE_EPS", "Preprocessor", "fit_preprocessor", "fit_statistics",
           "column_statistics", "apply_scaling"]

PREPROCESSORS = ("none", "minmax", "standardize", "robust")
SCALE_EPS = 1e-8  # scales below this (relative to the data's magnitude) count as zero


@dataclass
class Preprocessor:
    """A fitted scaling: ``(X - shift_) / scale_``, broadcast over features or channels.

    Attributes
    ----------
    kind : str
        One of :data:`PREPROCESSORS`.
    image : bool
        Statistics are per channel (dim 1 of ``(N, C, H, W)``) instead of per feature.
    shift_, scale_ : torch.Tensor
        Fitted statistics, shape ``(F,)`` or ``(C,)`` (float32, CPU).

    Example
    -------
    >>> import torch
    >>> from optwidgets.data import Preprocessor, fit_preprocessor
    >>> p = fit_preprocessor("standardize", torch.randn(100, 1, 4, 4), image=True)
    >>> q = Preprocessor.from_state_dict(p.state_dict())
    >>> bool(torch.equal(q.shift_, p.shift_))
    True
    """

    kind: str
    image: bool
    shift_: torch.Tensor
    scale_: torch.Tensor

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        """Scale ``X`` (any device, any floating dtype); returns a new tensor.

        Example
        -------
        >>> import torch
        >>> from optwidgets.data import fit_preprocessor
        >>> p = fit_preprocessor("none", torch.ones(4, 2), image=False)
        >>> p.transform(torch.ones(1, 2)).tolist()
        [[1.0, 1.0]]
        """
        if self.kind == "none":
            return X
        expected = len(self.shift_)
        got = X.shape[1] if X.dim() >= 2 else -1
        if got != expected:
            what = "channels" if self.image else "features"
            raise DataError(f"{self.kind} preprocessor was fitted on {expected} {what}, "
                            f"got input of shape {tuple(X.shape)}")
        return apply_scaling(X, self.shift_, self.scale_, image=self.image)

    __call__ = transform

    def state_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe data (lists of floats) to save with a model.

        Example
        -------
        >>> import torch
        >>> from optwidgets.data import fit_preprocessor
        >>> fit_preprocessor("minmax", torch.tensor([[0.0], [2.0]]), image=False).state_dict()
        {'kind': 'minmax', 'image': False, 'shift': [0.0], 'scale': [2.0]}
        """
        return {"kind": self.kind, "image": self.image, "shift": self.shift_.tolist(),
                "scale": self.scale_.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Preprocessor:
        """Rebuild a preprocessor saved with :meth:`state_dict`."""
        return cls(kind=state["kind"], image=bool(state["image"]),
                   shift_=torch.tensor(state["shift"], dtype=torch.float32),
                   scale_=torch.tensor(state["scale"], dtype=torch.float32))


def apply_scaling(X: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor, *,
                  image: bool) -> torch.Tensor:
    """``(X - shift) / scale``, per feature of ``(N, F)`` or per channel (dim 1) of images,
    on ``X``'s device and dtype: the arithmetic of :meth:`Preprocessor.transform`, unchecked.

    Example
    -------
    >>> X = torch.ones(2, 3, 4, 4)
    >>> apply_scaling(X, torch.tensor([0.0, 1.0, 2.0]), torch.full((3,), 2.0), image=True)[0, :, 0, 0]
    tensor([ 0.5000,  0.0000, -0.5000])
    """
    shape = (1, -1) + (1,) * (X.dim() - 2) if image else (-1,)
    shift = shift.to(device=X.device, dtype=X.dtype).reshape(shape)
    scale = scale.to(device=X.device, dtype=X.dtype).reshape(shape)
    return (X - shift) / scale


def column_statistics(kind: str, cols: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Shift and guarded scale (float64) of each column of ``cols`` ``(n, k)``, for ``kind``
    ``minmax``, ``standardize`` or ``robust`` (see the module table). A scale of (almost)
    zero becomes 1: a constant column is shifted, not divided.

    Example
    -------
    >>> shift, scale = column_statistics("minmax", torch.tensor([[0.0, 5.0], [4.0, 5.0]]))
    >>> shift.tolist(), scale.tolist()
    ([0.0, 5.0], [4.0, 1.0])
    """
    a = cols.detach().to("cpu", torch.float64).numpy()
    if kind == "minmax":
        shift = a.min(axis=0)
        scale = a.max(axis=0) - shift
    elif kind == "standardize":
        shift, scale = a.mean(axis=0), a.std(axis=0)
    else:  # robust
        q25, shift, q75 = np.percentile(a, [25, 50, 75], axis=0)
        scale = q75 - q25
    usable = (scale > 0) & (scale > SCALE_EPS * np.abs(a).max(axis=0))
    return shift, np.where(usable, scale, 1.0)  # a constant column is shifted, not divided


def fit_statistics(kind: str, X_train: torch.Tensor, *,
                   image: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Shift and scale of ``kind`` from ``X_train``: float32 CPU tensors of shape ``(F,)``,
    or ``(C,)`` per channel for images. The computation of :func:`fit_preprocessor`,
    unchecked; ``none`` gives zeros and ones.

    Example
    -------
    >>> shift, scale = fit_statistics("standardize", torch.tensor([[1.0], [3.0]]), image=False)
    >>> shift.tolist(), scale.tolist()
    ([2.0], [1.0])
    """
    k = X_train.shape[1]
    if kind == "none":
        return torch.zeros(k), torch.ones(k)
    if image:  # one channel at a time keeps the float64 copy small (CIFAR: 50000*1024)
        parts = [column_statistics(kind, X_train[:, c].reshape(-1, 1)) for c in range(k)]
        shift = np.concatenate([p[0] for p in parts])
        scale = np.concatenate([p[1] for p in parts])
    else:
        shift, scale = column_statistics(kind, X_train)
    return torch.tensor(shift, dtype=torch.float32), torch.tensor(scale, dtype=torch.float32)


def fit_preprocessor(kind: str, X_train: torch.Tensor, *, image: bool) -> Preprocessor:
    """Fit a scaling on the training features only.

    Parameters
    ----------
    kind : {"none", "minmax", "standardize", "robust"}
        Which statistics (see the module table).
    X_train : torch.Tensor
        Training features: ``(N, F)`` tabular, or ``(N, C, H, W)`` images (any device).
    image : bool
        Per-channel statistics (images) instead of per-feature.

    Returns
    -------
    Preprocessor
        With ``shift_`` and ``scale_`` of shape ``(F,)`` or ``(C,)``.

    Example
    -------
    >>> import torch
    >>> from optwidgets.data import fit_preprocessor
    >>> X = torch.tensor([[1.0, 5.0], [3.0, 5.0]])
    >>> p = fit_preprocessor("standardize", X, image=False)
    >>> p.shift_.tolist(), p.scale_.tolist()  # the constant feature keeps scale 1
    ([2.0, 5.0], [1.0, 1.0])
    """
    if not isinstance(kind, str) or kind.lower() not in PREPROCESSORS:
        raise unknown_name("preprocess", kind, PREPROCESSORS)
    kind = kind.lower()
    if not isinstance(X_train, torch.Tensor) or not X_train.is_floating_point():
        raise ConfigError("X_train", type(X_train).__name__, "a floating-point torch.Tensor")
    if image and X_train.dim() < 3:
        raise DataError(f"image=True needs (N, C, H, W) features, got {tuple(X_train.shape)}")
    if not image and X_train.dim() != 2:
        raise DataError(f"image=False needs (N, F) features, got {tuple(X_train.shape)}")
    if len(X_train) == 0:
        raise DataError("cannot fit a preprocessor on an empty training split")
    shift, scale = fit_statistics(kind, X_train, image=image)
    return Preprocessor(kind, image, shift, scale)
