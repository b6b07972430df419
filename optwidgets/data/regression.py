"""Regression data: the built-in sets, telling a target from class labels, unstratified splits.

Built-in regression sets (``n_samples``, ``noise`` and ``seed`` shape the generated ones as
they shape the toy classification sets; ``noise`` is the std of Gaussian noise added to the
*target*, in target units):

=========  ========  ===============================================================
name       features  target
=========  ========  ===============================================================
diabetes   10        scikit-learn's diabetes progression (442 patients, shipped, offline)
sine       1         ``sin(pi * x)`` for ``x`` uniform in ``[-1.5, 1.5]``
ripple     2         ``cos(2 * |x|)``, a radial wave over ``[-1.5, 1.5]^2``
=========  ========  ===============================================================

A regression :class:`~optwidgets.data.Dataset` has ``task="regression"``, float32 targets,
``num_classes=1`` (one output unit) and ``class_names=[target name]``.

Example
-------
>>> from optwidgets.data.regression import make_regression_toy, infer_task
>>> X, y = make_regression_toy("sine", n_samples=100, noise=0.0, seed=0)
>>> X.shape, y.dtype.name, bool(abs(y).max() <= 1.0)
((100, 1), 'float32', True)
>>> infer_task(y), infer_task(np.arange(100) % 3)
('regression', 'classification')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from optwidgets.core.errors import ConfigError, DataError, unknown_name
from optwidgets.data.checks import MAX_DISTINCT_LABELS, check_float32_range
from optwidgets.data.dataset import TASKS, Dataset

__all__ = ["TASKS", "REGRESSION_TOYS", "REGRESSION_DATASETS", "REGRESSION_FEATURES",
           "sine", "ripple", "make_regression_toy", "diabetes_arrays", "infer_task",
           "regression_targets", "shuffle_split", "shuffle_carve", "standardize_targets"]


def sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One feature ``x`` uniform in ``[-1.5, 1.5]``; target ``sin(pi x)`` plus noise.

    Example
    -------
    >>> X, y = sine(5, 0.0, np.random.default_rng(0))
    >>> bool(np.allclose(y, np.sin(np.pi * X[:, 0])))
    True
    """
    x = rng.uniform(-1.5, 1.5, (n, 1))  # 1.5 periods of the wave: two bumps and a half
    return x, np.sin(np.pi * x[:, 0]) + noise * rng.standard_normal(n)


def ripple(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two features uniform in ``[-1.5, 1.5]^2``; target ``cos(2 |x|)`` plus noise: a
    round hill in the middle, a ring-shaped valley, rising again at the corners.

    Example
    -------
    >>> X, y = ripple(4, 0.0, np.random.default_rng(0))
    >>> bool(np.allclose(y, np.cos(2 * np.linalg.norm(X, axis=1))))
    True
    """
    X = rng.uniform(-1.5, 1.5, (n, 2))
    return X, np.cos(2 * np.linalg.norm(X, axis=1)) + noise * rng.standard_normal(n)


# generator(n_samples, noise, rng) -> (X float64 (n, d), y float64 (n,))
REGRESSION_GENERATORS: dict[str, Callable[[int, float, np.random.Generator],
                                          tuple[np.ndarray, np.ndarray]]] = {
    "sine": sine,
    "ripple": ripple,
}
REGRESSION_TOYS: tuple[str, ...] = tuple(REGRESSION_GENERATORS)
REGRESSION_DATASETS: tuple[str, ...] = ("diabetes", *REGRESSION_TOYS)
REGRESSION_FEATURES: dict[str, list[str]] = {"sine": ["x"], "ripple": ["x1", "x2"]}


def make_regression_toy(name: str, *, n_samples: int = 1000, noise: float = 0.1,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate one toy regression set: features float32 ``(n_samples, d)``, targets float32.

    Example
    -------
    >>> X, y = make_regression_toy("ripple", n_samples=30, seed=1)
    >>> X.shape, y.shape
    ((30, 2), (30,))
    """
    if name not in REGRESSION_GENERATORS:
        raise unknown_name("dataset", name, REGRESSION_TOYS)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 20:
        raise ConfigError("n_samples", n_samples, "an integer >= 20")
    if not isinstance(noise, (int, float)) or not 0 <= noise <= 10:
        raise ConfigError("noise", noise, "a number in [0, 10]")
    X, y = REGRESSION_GENERATORS[name](int(n_samples), float(noise), np.random.default_rng(seed))
    return X.astype(np.float32), y.astype(np.float32)


def diabetes_arrays() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """scikit-learn's diabetes set (shipped with it, no download): 442 rows of 10 features
    (already centred and scaled by scikit-learn), the disease progression one year later
    (25..346), and the feature names.

    Example
    -------
    >>> X, y, names = diabetes_arrays()
    >>> X.shape, names[:3], int(y.min()), int(y.max())
    ((442, 10), ['age', 'sex', 'bmi'], 25, 346)
    """
    from sklearn.datasets import load_diabetes  # heavy import, only for this set

    bunch = load_diabetes()
    return bunch.data.astype(np.float32), bunch.target.astype(np.float32), list(
        bunch.feature_names)


def infer_task(y: Any) -> str:
    """``"regression"`` for float targets that are not class labels (values that are not
    whole numbers, or more than ``MAX_DISTINCT_LABELS`` distinct values and more than half
    the rows); ``"classification"`` for everything else (integers, text, whole floats).

    Example
    -------
    >>> infer_task(np.array([0.0, 1.0] * 30)), infer_task(np.linspace(0, 1, 80))
    ('classification', 'regression')
    """
    y = np.asarray(y)
    if y.dtype.kind != "f" or y.size == 0:
        return "classification"
    finite = y[np.isfinite(y)]
    if (np.mod(finite, 1) != 0).any():
        return "regression"
    distinct = len(np.unique(finite))
    return "regression" if distinct > MAX_DISTINCT_LABELS and distinct * 2 > len(y) else \
        "classification"


def _target(y: Any, what: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{what} must be 1-D (one target per sample), got shape {y.shape}")
    if y.dtype == bool or not np.issubdtype(y.dtype, np.number):
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(f"{what} holds values that are not numbers (dtype {y.dtype}); "
                            "a regression target must be numeric") from None
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)):
        raise DataError(f"{what} has {int((~np.isfinite(y)).sum())} NaN or infinite targets; "
                        "drop those rows or fill them first")
    check_float32_range(y, what)
    return y


def regression_targets(y: Any, y_test: Any, what: str, task: str = "auto"
                       ) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Float targets for ``task`` (``"auto"`` infers it from ``y``), or None when it is
    classification (then the labels are encoded as classes).

    Raises DataError for targets that are not numbers, NaN or infinite, or all one value.

    Example
    -------
    >>> regression_targets(np.array([1, 2, 3]), None, "y", "regression")[0].tolist()
    [1.0, 2.0, 3.0]
    >>> regression_targets(np.array([0, 1, 0]), None, "y") is None
    True
    """
    if task not in ("auto", *TASKS):
        raise ConfigError("task", task, "one of 'auto', 'classification', 'regression'")
    if task == "auto":
        task = infer_task(y)
    if task == "classification":
        return None
    y = _target(y, what)
    if len(np.unique(y)) < 2:
        raise DataError(f"{what} has a single value ({y[0]:g} for all {len(y)} samples); "
                        "there is nothing to regress")
    return y, None if y_test is None else _target(y_test, f"{what} of the test set")


def shuffle_split(n: int, *, seed: int, val_fraction: float, test_fraction: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, validation and test indices of ``n`` samples, shuffled but not stratified
    (a continuous target has no classes): the same two seeded ``train_test_split`` calls
    as the stratified split, shares of all samples.

    Example
    -------
    >>> tr, va, te = shuffle_split(100, seed=0, val_fraction=0.2, test_fraction=0.2)
    >>> len(tr), len(va), len(te), len(set(tr) | set(va) | set(te))
    (60, 20, 20, 100)
    """
    from sklearn.model_selection import train_test_split  # heavy import, only when splitting

    idx = np.arange(n)
    try:
        pool, test = train_test_split(idx, test_size=test_fraction, random_state=seed)
        train, val = train_test_split(pool, test_size=val_fraction / (1.0 - test_fraction),
                                      random_state=seed)
    except ValueError as e:
        raise DataError(f"cannot split {n} samples into train / validation / test "
                        f"({val_fraction:g} and {test_fraction:g} held out): {e}") from None
    return train, val, test


def shuffle_carve(n: int, *, seed: int, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, val)`` of ``n`` training samples whose test split is given.

    Example
    -------
    >>> tr, va = shuffle_carve(50, seed=0, val_fraction=0.2)
    >>> len(tr), len(va)
    (40, 10)
    """
    from sklearn.model_selection import train_test_split

    try:
        train, val = train_test_split(np.arange(n), test_size=val_fraction, random_state=seed)
    except ValueError as e:
        raise DataError(f"cannot carve a validation split from {n} samples: {e}") from None
    return train, val


def standardize_targets(ds: Dataset) -> Dataset:
    """Targets as ``(y - mean) / std`` with the *training* split's mean and std (so one loss
    scale, and Huber's delta of 1, fit every dataset); ``target_scale`` keeps ``(mean, std)``
    in target units, to report RMSE and MAE back in them. Classification data is returned
    unchanged.

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> ds = standardize_targets(load_dataset("diabetes"))
    >>> round(float(ds.y_train.mean()), 6), ds.target_scale[1] > 50
    (0.0, True)
    """
    if ds.task != "regression":
        return ds
    import dataclasses

    mean = float(ds.y_train.double().mean())
    std = float(ds.y_train.double().std(unbiased=False)) or 1.0  # a constant split: keep units
    m0, s0 = ds.target_scale  # already scaled once: compose, so units stay the original's
    return dataclasses.replace(
        ds, y_train=(ds.y_train - mean) / std, y_val=(ds.y_val - mean) / std,
        y_test=(ds.y_test - mean) / std, target_scale=(m0 + s0 * mean, s0 * std))
