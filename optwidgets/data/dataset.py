"""The :class:`Dataset` container: three labelled splits as tensors plus what they mean.

Every loader in :mod:`optwidgets.data` returns one. Features are float32, labels int64,
and all six tensors live on one device (CPU when loaded; see :meth:`Dataset.to`).

Example
-------
>>> import torch
>>> from optwidgets.data import Dataset
>>> X, y = torch.zeros(10, 2), torch.zeros(10, dtype=torch.long)
>>> ds = Dataset("demo", X, y, X[:2], y[:2], X[:3], y[:3], input_shape=(2,),
...              num_classes=2, class_names=["a", "b"])
>>> ds.n_features, len(ds.y_train), ds.kind
(2, 10, 'tabular')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch

from optwidgets.core.errors import DataError

__all__ = ["Dataset", "KINDS", "TASKS"]

KINDS = ("image", "tabular")
TASKS = ("classification", "regression")
_SPLITS = ("train", "val", "test")


@dataclass(repr=False)
class Dataset:
    """Train / validation / test splits of one classification (or regression) dataset.

    Attributes
    ----------
    name : str
        Registered name (``"digits"``, ``"moons"``, a name you chose in ``from_arrays``).
    X_train, y_train, X_val, y_val, X_test, y_test : torch.Tensor
        Features (float32, shape ``(n, *input_shape)``) and labels (int64, in
        ``0 .. num_classes - 1``). The test split is never used for training.
    input_shape : tuple of int
        Shape of one sample: ``(1, 8, 8)`` for digits, ``(2,)`` for the toy sets.
    num_classes : int
        Number of classes (labels run from 0 to ``num_classes - 1``).
    class_names : list of str
        Human-readable name of each label, ``class_names[label]``.
    kind : str
        ``"image"`` (samples are ``(C, H, W)``) or ``"tabular"`` (feature vectors).
    feature_names : list of str or None
        Column names of tabular features, when known.
    task : str
        ``"classification"``, or ``"regression"``: then the ``y_*`` are float32 targets,
        ``num_classes`` is 1 (one output unit) and ``class_names`` is ``[target name]``.
    target_scale : (float, float)
        ``(mean, std)`` with which regression targets were standardized (target =
        ``y * std + mean``); ``(0, 1)`` as loaded.

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> ds = load_dataset("moons", n_samples=200)
    >>> ds.input_shape, ds.num_classes, ds.X_train.dtype
    ((2,), 2, torch.float32)
    """

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    input_shape: tuple[int, ...]
    num_classes: int
    class_names: list[str]
    kind: str = "tabular"
    feature_names: list[str] | None = None
    task: str = "classification"  # or "regression": float targets, num_classes=1 (one output)
    # regression: the targets are (y - mean) / std with the training split's (mean, std);
    # RMSE and MAE are reported back in target units. (0, 1) = the targets as given.
    target_scale: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(d) for d in self.input_shape)
        self.class_names = [str(c) for c in self.class_names]
        if self.kind not in KINDS:
            raise DataError(f"Dataset {self.name!r}: kind={self.kind!r}, expected one of {KINDS}")
        if self.task not in TASKS:
            raise DataError(f"Dataset {self.name!r}: task={self.task!r}, expected one of {TASKS}")
        if self.task == "regression" and (self.num_classes != 1
                                          or not self.y_train.is_floating_point()):
            raise DataError(f"Dataset {self.name!r}: a regression dataset has float targets "
                            f"and num_classes=1 (one output), got {self.y_train.dtype} and "
                            f"{self.num_classes}")
        if len(self.class_names) != self.num_classes:
            raise DataError(
                f"Dataset {self.name!r}: {len(self.class_names)} class_names for "
                f"num_classes={self.num_classes}"
            )
        for split in _SPLITS:
            X, y = getattr(self, f"X_{split}"), getattr(self, f"y_{split}")
            if len(X) != len(y):
                raise DataError(
                    f"Dataset {self.name!r}: X_{split} has {len(X)} rows but y_{split} has {len(y)}"
                )
            if tuple(X.shape[1:]) != self.input_shape:
                raise DataError(
                    f"Dataset {self.name!r}: X_{split} samples have shape {tuple(X.shape[1:])}, "
                    f"input_shape says {self.input_shape}"
                )

    @property
    def n_features(self) -> int:
        """Number of input values per sample (the product of ``input_shape``)."""
        return math.prod(self.input_shape)

    @property
    def device(self) -> torch.device:
        """Device the tensors live on."""
        return self.X_train.device

    def to(self, device: str | torch.device) -> Dataset:
        """A copy with all six tensors moved to ``device`` (the same object if already there).

        Example
        -------
        >>> from optwidgets.data import load_dataset
        >>> load_dataset("xor", n_samples=100).to("cpu").X_val.device.type
        'cpu'
        """
        device = torch.device(device)
        moved = {
            f"{p}_{s}": getattr(self, f"{p}_{s}").to(device) for p in ("X", "y") for s in _SPLITS
        }
        return dataclasses.replace(self, **moved)

    def summary(self) -> dict[str, Any]:
        """Plain-data description (sizes, shape, classes) for tables and the UI.

        Example
        -------
        >>> from optwidgets.data import load_dataset
        >>> load_dataset("circles", n_samples=100).summary()["n_test"]
        20
        """
        return {
            "name": self.name,
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "task": self.task,
            **{f"n_{s}": len(getattr(self, f"y_{s}")) for s in _SPLITS},
        }

    def __repr__(self) -> str:
        sizes = ", ".join(f"{s}={len(getattr(self, f'y_{s}'))}" for s in _SPLITS)
        return (
            f"Dataset({self.name!r}, kind={self.kind!r}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes}, {sizes}, device={self.device.type!r})"
        )
