"""The built-in datasets' raw arrays, cached in-process.

``digits`` ships with scikit-learn (offline, the default); the toy 2-D sets are
generated; ``mnist``, ``fashion_mnist`` and ``cifar10`` are downloaded once into
:func:`~optwidgets.data.data_home`. Raw arrays are cached with ``lru_cache`` so that a
sweep of many runs reads files and generates points once per process.

Example
-------
>>> from optwidgets.data.builtin import builtin_raw
>>> raw = builtin_raw("digits")
>>> raw.X.shape, raw.scale
((1797, 1, 8, 8), 0.0625)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from optwidgets.data.home import data_home
from optwidgets.data.raw import RawData
from optwidgets.data.regression import (
    REGRESSION_FEATURES,
    REGRESSION_TOYS,
    diabetes_arrays,
    make_regression_toy,
)
from optwidgets.data.toy import TOY_DATASETS, make_toy

__all__ = ["BUILTIN_NAMES", "IMAGE_BUILTINS", "DOWNLOADABLE", "DIGITS_SCALE", "builtin_raw",
           "clear_cache", "digits_arrays"]

DOWNLOADABLE = ("mnist", "fashion_mnist", "cifar10")
IMAGE_BUILTINS = ("digits", *DOWNLOADABLE)
BUILTIN_NAMES: tuple[str, ...] = ("digits", *TOY_DATASETS, *DOWNLOADABLE, "diabetes",
                                  *REGRESSION_TOYS)
DIGITS_SCALE = 1 / 16  # digits' pixels are 0..16: features end up in [0, 1]


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 of scikit-learn's 8x8 digits: uint8 images ``(N, 1, 8, 8)`` with values
    0..16 (multiply by :data:`DIGITS_SCALE` for [0, 1]), and int64 labels 0..9.

    Example
    -------
    >>> X, y = digits_arrays()
    >>> X.shape, X.dtype.name, int(X.max()), y.dtype.name
    ((1797, 1, 8, 8), 'uint8', 16, 'int64')
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.uint8)[:, None], bunch.target.astype(np.int64)


@lru_cache(maxsize=1)
def _digits() -> RawData:
    X, y = digits_arrays()
    return RawData(name="digits", X=X, y=y, class_names=[str(i) for i in range(10)],
                   kind="image", scale=DIGITS_SCALE).frozen()


@lru_cache(maxsize=16)
def _toy(name: str, n_samples: int, noise: float, seed: int) -> RawData:
    X, y = make_toy(name, n_samples=n_samples, noise=noise, seed=seed)
    classes = int(y.max()) + 1
    return RawData(name=name, X=X, y=y, class_names=[str(i) for i in range(classes)],
                   feature_names=["x1", "x2"]).frozen()


@lru_cache(maxsize=1)
def _diabetes() -> RawData:
    X, y, names = diabetes_arrays()
    return RawData(name="diabetes", X=X, y=y, class_names=["progression"],
                   feature_names=names, task="regression").frozen()


@lru_cache(maxsize=16)
def _regression_toy(name: str, n_samples: int, noise: float, seed: int) -> RawData:
    X, y = make_regression_toy(name, n_samples=n_samples, noise=noise, seed=seed)
    return RawData(name=name, X=X, y=y, class_names=["y"],
                   feature_names=list(REGRESSION_FEATURES[name]), task="regression").frozen()


@lru_cache(maxsize=3)
def _downloaded(name: str, home: str) -> RawData:
    # ``home`` is part of the cache key only: another data home means other files.
    del home
    if name == "cifar10":
        from optwidgets.data.cifar import load_cifar10

        return load_cifar10()
    from optwidgets.data.idx import load_idx_dataset

    return load_idx_dataset(name)


def builtin_raw(name: str, *, n_samples: int = 1000, noise: float = 0.1, seed: int = 0) -> RawData:
    """Raw arrays of a built-in dataset (``n_samples``, ``noise``, ``seed`` shape the toy sets).

    Example
    -------
    >>> from optwidgets.data.builtin import builtin_raw
    >>> builtin_raw("moons", n_samples=50).X.shape
    (50, 2)
    """
    if name == "digits":
        return _digits()
    if name in TOY_DATASETS:
        return _toy(name, n_samples, noise, seed)
    if name in DOWNLOADABLE:
        return _downloaded(name, str(data_home()))
    if name == "diabetes":
        return _diabetes()
    if name in REGRESSION_TOYS:
        return _regression_toy(name, n_samples, noise, seed)
    raise KeyError(name)


def clear_cache() -> None:
    """Forget the cached raw arrays (e.g. after replacing files in the data home).

    Example
    -------
    >>> from optwidgets.data.builtin import clear_cache
    >>> clear_cache()
    """
    for f in (_digits, _toy, _downloaded, _diabetes, _regression_toy):
        f.cache_clear()
