"""Plain-data views of a trained model, for figures that :mod:`optwidgets.viz` draws.

:func:`decision_grid` evaluates a classifier of 2-feature data on a regular grid over
the (preprocessed) feature space: the TensorFlow Playground view, redrawn each epoch by
the Explorer and drawn by ``viz.decision_boundary(xx, yy, proba, X, y)``.

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.runs.analysis import decision_grid
>>> from optwidgets.runs import build_model_for, prepare_data
>>> cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(8,))
>>> data = prepare_data(cfg)
>>> xx, yy, proba = decision_grid(build_model_for(cfg, data.input_shape, 2), data,
...                               resolution=20)
>>> xx.shape, proba.shape
((20, 20), (20, 20, 2))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from optwidgets.core.errors import ConfigError

__all__ = ["decision_grid", "prediction_grid", "GRID_CHUNK"]

GRID_CHUNK = 65_536  # grid points per forward pass: bounds memory at high resolutions


def _points(data: Any) -> torch.Tensor:
    """All feature rows of ``data`` (a Dataset: its three splits; or an (N, 2) array)."""
    if all(hasattr(data, f"X_{s}") for s in ("train", "val", "test")):
        X = torch.cat([data.X_train.cpu(), data.X_val.cpu(), data.X_test.cpu()])
        shape = tuple(getattr(data, "input_shape", X.shape[1:]))
        what = f"dataset {getattr(data, 'name', '?')!r} with input_shape {shape}"
    else:
        X = torch.as_tensor(np.asarray(data, dtype=np.float64) if not torch.is_tensor(data)
                            else data).cpu()  # fmt: skip
        shape, what = tuple(X.shape[1:]), f"an array of shape {tuple(X.shape)}"
    if X.dim() != 2 or X.shape[1] != 2:
        raise ConfigError(
            "data", shape, "data with 2 features per sample (input_shape (2,)), e.g. a toy "
            "2-D set such as 'moons'", f"got {what}: a decision grid needs a 2-D feature space",
        )  # fmt: skip
    if len(X) == 0:
        raise ConfigError("data", shape, "at least one sample to span the grid")
    return X.double()


@torch.inference_mode()
def decision_grid(
    model: nn.Module, data: Any, *, resolution: int = 100, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class probabilities of ``model`` on a regular grid covering ``data``.

    Parameters
    ----------
    model : nn.Module
        A classifier of 2-feature inputs returning logits ``(N, K)``. It is evaluated in
        eval mode on its own device and dtype; its training/eval mode is restored after.
    data : Dataset or array-like of shape (N, 2)
        The points the grid must cover. For a Dataset, all three splits, as they are
        (pass the preprocessed data the model was trained on: ``prepare_data(cfg)``).
    resolution : int
        Grid points per axis (>= 2): the grid has ``resolution ** 2`` points.
    margin : float
        Space added beyond the data on each side, in feature units (>= 0).

    Returns
    -------
    xx, yy : ndarray of float64, shape (resolution, resolution)
        ``np.meshgrid`` coordinates: ``xx[i, j]`` is the j-th x, ``yy[i, j]`` the i-th y.
    proba : ndarray of float64, shape (resolution, resolution, K)
        Softmax probabilities; ``proba[i, j]`` belongs to ``(xx[i, j], yy[i, j])``.

    Raises
    ------
    ConfigError
        ``data`` without exactly 2 features (field ``data``), a bad ``resolution`` or
        ``margin``.

    Example
    -------
    >>> import torch
    >>> from optwidgets.runs.analysis import decision_grid
    >>> net = torch.nn.Linear(2, 2)
    >>> xx, yy, p = decision_grid(net, [[0.0, 0.0], [1.0, 2.0]], resolution=3, margin=0)
    >>> xx[0].tolist(), yy[:, 0].tolist(), bool(abs(p.sum(-1) - 1).max() < 1e-6)
    ([0.0, 0.5, 1.0], [0.0, 1.0, 2.0], True)
    """
    xx, yy, out = _grid_outputs(model, data, resolution, margin)
    proba = torch.softmax(out, dim=1).double().numpy()
    return xx, yy, proba.reshape(int(resolution), int(resolution), -1)


@torch.inference_mode()
def prediction_grid(
    model: nn.Module, data: Any, *, resolution: int = 100, margin: float = 0.5,
    target_scale: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regression model's predictions on a regular grid covering ``data``: the predicted
    surface of a 2-feature regression, as :func:`decision_grid` is a classifier's regions.

    Parameters
    ----------
    model : nn.Module
        One output per sample (``(N, 1)`` or ``(N,)``), evaluated as in :func:`decision_grid`.
    data, resolution, margin
        As in :func:`decision_grid`.
    target_scale : (mean, std), optional
        Map the outputs back to target units (``data.target_scale`` of a prepared Dataset,
        whose targets are standardized); default: that of ``data`` when it has one.

    Returns
    -------
    xx, yy : ndarray of float64, shape (resolution, resolution)
    z : ndarray of float64, shape (resolution, resolution)
        The prediction at ``(xx[i, j], yy[i, j])``, in target units.

    Example
    -------
    >>> import torch
    >>> net = torch.nn.Linear(2, 1)
    >>> _ = net.weight.data.copy_(torch.tensor([[1.0, 0.0]])), net.bias.data.zero_()
    >>> xx, yy, z = prediction_grid(net, [[0.0, 0.0], [1.0, 2.0]], resolution=3, margin=0,
    ...                             target_scale=(10.0, 2.0))
    >>> z[0].tolist()  # 10 + 2 * x
    [10.0, 11.0, 12.0]
    """
    xx, yy, out = _grid_outputs(model, data, resolution, margin)
    mean, std = target_scale if target_scale is not None else getattr(
        data, "target_scale", (0.0, 1.0))
    z = out.reshape(len(out), -1)[:, 0].double().numpy() * std + mean
    return xx, yy, z.reshape(int(resolution), int(resolution))


def _grid_outputs(model: nn.Module, data: Any, resolution: int, margin: float
                  ) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """The grid over ``data`` and ``model``'s float32 outputs on it (CPU), in eval mode."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or not 2 <= resolution <= 4096:  # fmt: skip
        raise ConfigError("resolution", resolution, "an integer in [2, 4096]")
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) \
            or not math.isfinite(margin) or margin < 0:  # fmt: skip
        raise ConfigError("margin", margin, "a finite number >= 0")
    X = _points(data)
    lo = X.min(0).values - margin
    hi = X.max(0).values + margin
    axes = [np.linspace(float(lo[d]), float(hi[d]), int(resolution)) for d in (0, 1)]
    xx, yy = np.meshgrid(axes[0], axes[1])
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1)

    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    was_training = model.training
    model.eval()
    try:
        chunks = []
        for i in range(0, len(grid), GRID_CHUNK):
            xb = torch.as_tensor(grid[i : i + GRID_CHUNK], dtype=dtype, device=device)
            chunks.append(model(xb).float().cpu())
        out = torch.cat(chunks)
    finally:
        model.train(was_training)
    return xx, yy, out
