"""Raw arrays of a dataset, and turning them into a split :class:`Dataset`.

Loaders produce a :class:`RawData` (numpy arrays as stored: uint8 pixels, float
features) that can be cached in-process and split many times; :func:`build_dataset`
splits it and makes float32 / int64 tensors.

Example
-------
>>> import numpy as np
>>> from optwidgets.data.raw import RawData, build_dataset
>>> raw = RawData("demo", np.random.rand(50, 3), np.arange(50) % 2, ["a", "b"])
>>> ds = build_dataset(raw, seed=0, val_fraction=0.2, test_fraction=0.2)
>>> ds.X_train.shape, ds.kind
(torch.Size([30, 3]), 'tabular')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from optwidgets.data.dataset import Dataset
from optwidgets.data.regression import shuffle_carve, shuffle_split
from optwidgets.data.splits import carve_validation, check_fractions, stratified_split

__all__ = ["RawData", "build_dataset"]


@dataclass(frozen=True)
class RawData:
    """Arrays of one dataset before splitting.

    Attributes
    ----------
    name : str
        Dataset name.
    X, y : ndarray
        All samples (or the official training samples when ``X_test`` is given), shape
        ``(n, *input_shape)``, and their integer labels ``0 .. len(class_names) - 1``.
    class_names : list of str
        Name of each label.
    kind : str
        ``"image"`` or ``"tabular"``.
    scale : float
        Features are ``X * scale`` as float32 (``1/255`` keeps bytes as bytes until split).
    X_test, y_test : ndarray or None
        Official test split, used as is (validation is then carved from ``X``).
    feature_names : list of str or None
        Tabular column names.
    task : str
        ``"classification"`` (integer labels) or ``"regression"`` (float targets in ``y``;
        ``class_names`` is then ``[target name]``, split without stratifying).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    class_names: list[str]
    kind: str = "tabular"
    scale: float = 1.0
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    feature_names: list[str] | None = None
    task: str = "classification"

    def frozen(self) -> RawData:
        """Mark the arrays read-only, so a cached copy cannot be changed by accident."""
        for a in (self.X, self.y, self.X_test, self.y_test):
            if a is not None:
                a.setflags(write=False)
        return self


def _features(X: np.ndarray, idx: np.ndarray, scale: float) -> torch.Tensor:
    # Fancy indexing always copies, so the tensor owns writable memory (no torch warning
    # about read-only arrays) and the cached RawData is never aliased.
    out = np.ascontiguousarray(X[idx], dtype=np.float32)
    if scale != 1.0:
        out *= np.float32(scale)
    return torch.from_numpy(out)


def _labels(y: np.ndarray, idx: np.ndarray, task: str = "classification") -> torch.Tensor:
    dtype = np.float32 if task == "regression" else np.int64  # targets, or class labels
    return torch.from_numpy(np.ascontiguousarray(y[idx], dtype=dtype))


def build_dataset(raw: RawData, *, seed: int, val_fraction: float, test_fraction: float) -> Dataset:
    """Split ``raw`` (stratified, seeded) into a :class:`Dataset` of CPU tensors.

    With an official test split (``raw.X_test``), that split is the test set,
    ``test_fraction`` is not used, and ``val_fraction`` of the official training
    samples become the validation set.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.raw import RawData, build_dataset
    >>> raw = RawData("d", np.zeros((40, 1, 2, 2), np.uint8), np.arange(40) % 2, ["a", "b"],
    ...               kind="image", scale=1 / 255)
    >>> build_dataset(raw, seed=0, val_fraction=0.25, test_fraction=0.25).input_shape
    (1, 2, 2)
    """
    check_fractions(val_fraction, test_fraction)
    task = raw.task
    if raw.X_test is None:
        split = shuffle_split if task == "regression" else None  # no classes to stratify by
        tr, va, te = (split(len(raw.y), seed=seed, val_fraction=val_fraction,
                            test_fraction=test_fraction) if split else
                      stratified_split(raw.y, seed=seed, val_fraction=val_fraction,
                                       test_fraction=test_fraction))
        X_test, y_test = _features(raw.X, te, raw.scale), _labels(raw.y, te, task)
    else:
        tr, va = (shuffle_carve(len(raw.y), seed=seed, val_fraction=val_fraction)
                  if task == "regression" else
                  carve_validation(raw.y, seed=seed, val_fraction=val_fraction))
        assert raw.y_test is not None
        every = np.arange(len(raw.y_test))
        X_test, y_test = (_features(raw.X_test, every, raw.scale),
                          _labels(raw.y_test, every, task))
    return Dataset(
        name=raw.name,
        X_train=_features(raw.X, tr, raw.scale),
        y_train=_labels(raw.y, tr, task),
        X_val=_features(raw.X, va, raw.scale),
        y_val=_labels(raw.y, va, task),
        X_test=X_test,
        y_test=y_test,
        input_shape=tuple(raw.X.shape[1:]),
        num_classes=len(raw.class_names),
        class_names=list(raw.class_names),
        kind=raw.kind,
        feature_names=None if raw.feature_names is None else list(raw.feature_names),
        task=task,
    )
