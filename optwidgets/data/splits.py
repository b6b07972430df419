"""Seeded, stratified splits; keeping a subset of classes; thinning the training labels.

Every function here is pure: same inputs and seed, same output. Stratified means each
split keeps the class proportions of the whole (scikit-learn's
``train_test_split(stratify=...)``).

Example
-------
>>> import numpy as np
>>> from optwidgets.data.splits import stratified_split
>>> y = np.repeat([0, 1], 50)
>>> tr, va, te = stratified_split(y, seed=0, val_fraction=0.2, test_fraction=0.2)
>>> len(tr), len(va), len(te), int(y[te].sum())
(60, 20, 20, 10)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data.dataset import Dataset

__all__ = [
    "check_fractions",
    "stratified_split",
    "carve_validation",
    "select_classes",
    "thin_train",
    "split_indices",
    "relabel_classes",
    "thin_indices",
]


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    """Refuse split fractions outside (0, 0.5] or adding up to 0.9 or more.

    Example
    -------
    >>> from optwidgets.data.splits import check_fractions
    >>> check_fractions(0.15, 0.2)
    """
    for name, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v <= 0.5:
            raise ConfigError(name, v, "a number in (0, 0.5]")
    if val_fraction + test_fraction >= 0.9:
        raise ConfigError(
            "test_fraction", test_fraction,
            f"val_fraction + test_fraction < 0.9 (val_fraction is {val_fraction})",
        )


def _split(idx: np.ndarray, y: np.ndarray, size: float, seed: int, what: str):
    from sklearn.model_selection import train_test_split  # heavy import, only when splitting

    try:
        return train_test_split(idx, test_size=size, stratify=y, random_state=seed)
    except ValueError as e:
        counts = np.bincount(y) if len(y) else np.zeros(0, int)
        present = counts[counts > 0]
        raise DataError(
            f"cannot carve a stratified {what} split ({size:.3g} of {len(y)} samples, "
            f"{len(present)} classes, smallest class {present.min() if len(present) else 0} "
            f"samples): {e}. Use more samples or larger fractions."
        ) from None


def split_indices(
    y: np.ndarray, *, seed: int, val_fraction: float, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, validation and test indices, stratified by ``y``: the computation only.

    Two seeded ``train_test_split`` calls: first the test share of all samples, then the
    validation share (also of all samples) from the rest. :func:`stratified_split` checks
    the fractions and explains a failure; this raises scikit-learn's ``ValueError``.

    Example
    -------
    >>> tr, va, te = split_indices(np.repeat([0, 1], 50), seed=0, val_fraction=0.2,
    ...                            test_fraction=0.2)
    >>> len(tr), len(va), len(te)
    (60, 20, 20)
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    pool, test = train_test_split(idx, test_size=test_fraction, stratify=y, random_state=seed)
    train, val = train_test_split(pool, test_size=val_fraction / (1.0 - test_fraction),
                                  stratify=y[pool], random_state=seed)
    return train, val, test


def stratified_split(
    y: np.ndarray, *, seed: int, val_fraction: float, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of train, validation and test samples, stratified by ``y``.

    ``val_fraction`` and ``test_fraction`` are shares of all samples.

    Parameters
    ----------
    y : ndarray of int
        Labels of all samples.
    seed : int
        Seeds the shuffle; the same seed gives the same indices.
    val_fraction, test_fraction : float
        Shares of all samples put in validation and test.

    Returns
    -------
    (train, val, test) : tuple of int ndarrays
        Disjoint indices covering every sample.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.splits import stratified_split
    >>> tr, va, te = stratified_split(np.arange(40) % 2, seed=1, val_fraction=0.25,
    ...                               test_fraction=0.25)
    >>> sorted(np.concatenate([tr, va, te]).tolist()) == list(range(40))
    True
    """
    check_fractions(val_fraction, test_fraction)
    y = np.asarray(y)
    try:
        return split_indices(y, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
    except ValueError:
        pass
    # Split again one step at a time, to say which split cannot be carved, and why.
    pool, _ = _split(np.arange(len(y)), y, test_fraction, seed, "test")
    _split(pool, y[pool], val_fraction / (1.0 - test_fraction), seed, "validation")
    raise AssertionError("unreachable: the split that failed above fails again")


def carve_validation(y: np.ndarray, *, seed: int, val_fraction: float) -> tuple[np.ndarray, ...]:
    """Indices ``(train, val)`` of a training set whose test split is fixed (official splits).

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.splits import carve_validation
    >>> tr, va = carve_validation(np.arange(100) % 4, seed=0, val_fraction=0.2)
    >>> len(tr), len(va)
    (80, 20)
    """
    check_fractions(val_fraction, 0.1)
    y = np.asarray(y)
    return tuple(_split(np.arange(len(y)), y, val_fraction, seed, "validation"))


def relabel_classes(
    y: torch.Tensor, classes: Sequence[int], num_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Which samples have a label in ``classes`` (a bool mask), and their new labels:
    ``classes[i]`` becomes ``i``. The computation of :func:`select_classes`, unchecked.

    Example
    -------
    >>> keep, new = relabel_classes(torch.tensor([0, 3, 1, 3]), (3, 1), num_classes=4)
    >>> keep.tolist(), new.tolist()
    ([False, True, True, True], [0, 1, 0])
    """
    lut = torch.full((num_classes,), -1, dtype=torch.long)
    lut[list(classes)] = torch.arange(len(classes))
    new = lut.to(y.device)[y]
    keep = new >= 0
    return keep, new[keep]


def select_classes(ds: Dataset, classes: Sequence[int]) -> Dataset:
    """Keep only the samples whose label is in ``classes``, relabelled ``0 .. k-1``.

    Label ``classes[i]`` becomes ``i`` (the order you give is kept);
    ``class_names`` keeps the original names. ``()`` keeps every class.

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> from optwidgets.data.splits import select_classes
    >>> ds = select_classes(load_dataset("digits"), (5, 6, 7, 8, 9))
    >>> ds.num_classes, ds.class_names[0], int(ds.y_train.max())
    (5, '5', 4)
    """
    classes = tuple(classes)
    if not classes:
        return ds
    if ds.task == "regression":
        raise ConfigError("classes", classes, "() for a regression dataset",
                          f"{ds.name!r} has a continuous target, no classes to keep")
    allowed = f"distinct labels in 0..{ds.num_classes - 1}, at least 2 of them"
    if any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) for c in classes):
        raise ConfigError("classes", classes, allowed)
    if len(set(classes)) != len(classes) or len(classes) < 2:
        raise ConfigError("classes", classes, allowed)
    bad = [c for c in classes if not 0 <= c < ds.num_classes]
    if bad:
        raise ConfigError("classes", classes, allowed, f"dataset {ds.name!r} has no label {bad[0]}")
    out = {}
    for split in ("train", "val", "test"):
        X, y = getattr(ds, f"X_{split}"), getattr(ds, f"y_{split}")
        keep, new = relabel_classes(y, classes, ds.num_classes)
        out[f"X_{split}"], out[f"y_{split}"] = X[keep], new
    return dataclasses.replace(
        ds, num_classes=len(classes), class_names=[ds.class_names[c] for c in classes], **out
    )


def thin_train(
    ds: Dataset, *, seed: int, train_fraction: float = 1.0, labels_per_class: int = 0
) -> Dataset:
    """Keep a seeded, stratified subset of the *training* split; val and test are untouched.

    ``train_fraction`` keeps that share of the training samples; then
    ``labels_per_class`` (if > 0) keeps exactly that many samples of each class.

    Raises
    ------
    ConfigError
        ``labels_per_class`` larger than the smallest class of the training split
        (the message names the maximum available), or a ``train_fraction`` that leaves
        fewer samples than classes.

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> from optwidgets.data.splits import thin_train
    >>> ds = thin_train(load_dataset("digits"), seed=0, labels_per_class=5)
    >>> len(ds.y_train)
    50
    """
    if not (isinstance(train_fraction, (int, float)) and 0 < train_fraction <= 1):
        raise ConfigError("train_fraction", train_fraction, "a number in (0, 1]")
    if isinstance(labels_per_class, bool) or not isinstance(labels_per_class, (int, np.integer)) \
            or labels_per_class < 0:
        raise ConfigError("labels_per_class", labels_per_class, "an integer >= 0 (0 = all)")
    if train_fraction == 1 and labels_per_class == 0:
        return ds
    if ds.task == "regression":  # no classes: labels_per_class has no meaning, no strata
        if labels_per_class:
            raise ConfigError("labels_per_class", labels_per_class, "0 for a regression "
                              "dataset", f"{ds.name!r} has a continuous target, no classes")
        n = len(ds.y_train)
        keep_n = max(1, int(round(train_fraction * n)))
        idx = np.sort(np.random.default_rng(seed).permutation(n)[:keep_n])
        keep = torch.from_numpy(idx).to(ds.y_train.device)
        return dataclasses.replace(ds, X_train=ds.X_train[keep], y_train=ds.y_train[keep])
    y = ds.y_train.cpu().numpy()
    try:
        idx = thin_indices(y, seed=seed, train_fraction=train_fraction,
                           labels_per_class=labels_per_class, num_classes=ds.num_classes)
    except ValueError:
        raise _thin_failure(ds, y, seed, train_fraction, labels_per_class) from None
    if len(idx) == len(y):
        return ds
    keep = torch.from_numpy(idx).to(ds.y_train.device)
    return dataclasses.replace(ds, X_train=ds.X_train[keep], y_train=ds.y_train[keep])


def thin_indices(
    y: np.ndarray, *, seed: int, train_fraction: float, labels_per_class: int, num_classes: int
) -> np.ndarray:
    """Sorted indices of the training samples that :func:`thin_train` keeps: the computation
    only. A seeded, stratified ``train_fraction`` of ``y`` (if < 1), then
    ``labels_per_class`` samples of each class drawn from those (if > 0).

    Raises scikit-learn's or NumPy's ``ValueError`` where a class is too small for either;
    :func:`thin_train` says which setting asked for too much.

    Example
    -------
    >>> thin_indices(np.repeat([0, 1], 4), seed=0, train_fraction=1.0, labels_per_class=2,
    ...              num_classes=2).tolist()
    [2, 3, 4, 5]
    """
    idx = np.arange(len(y))
    if train_fraction < 1:
        from sklearn.model_selection import train_test_split

        idx = train_test_split(idx, train_size=train_fraction, stratify=y, random_state=seed)[0]
    if labels_per_class > 0:
        counts = np.bincount(y[idx], minlength=num_classes)
        rng = np.random.default_rng(seed)
        idx = np.concatenate([rng.choice(idx[y[idx] == c], labels_per_class, replace=False)
                              for c in range(num_classes) if counts[c] > 0])
    return np.sort(idx)


def _thin_failure(ds: Dataset, y: np.ndarray, seed: int, train_fraction: float,
                  labels_per_class: int) -> ConfigError:
    """Which setting of a failed :func:`thin_indices` asked for too much, and the most it can."""
    idx = np.arange(len(y))
    if train_fraction < 1:
        from sklearn.model_selection import train_test_split

        try:
            idx = train_test_split(idx, train_size=train_fraction, stratify=y,
                                   random_state=seed)[0]
        except ValueError:
            return ConfigError(
                "train_fraction", train_fraction,
                f"a share that keeps at least one training sample per class "
                f"({ds.num_classes} classes, {len(y)} training samples)",
            )
    counts = np.bincount(y[idx], minlength=ds.num_classes)
    present = counts[counts > 0]
    most = int(present.min()) if len(present) else 0
    return ConfigError(
        "labels_per_class", labels_per_class, f"at most {most}",
        f"the smallest class of the training split of {ds.name!r} has {most} samples",
    )
