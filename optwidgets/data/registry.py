"""Dataset names: the built-ins, the ones you register, the ones saved in the data home;
loading one by name (registered names are looked up before saved ones).

Example
-------
>>> from optwidgets.data import load_dataset, dataset_names, is_image_dataset
>>> "digits" in dataset_names(), is_image_dataset("digits"), is_image_dataset("moons")
(True, True, False)
>>> ds = load_dataset("digits", seed=1, classes=(5, 6, 7, 8, 9), labels_per_class=10)
>>> ds.num_classes, len(ds.y_train)
(5, 50)
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from optwidgets.core.errors import ConfigError, DataError, unknown_name
from optwidgets.data.builtin import BUILTIN_NAMES, IMAGE_BUILTINS, builtin_raw
from optwidgets.data.dataset import KINDS, TASKS, Dataset
from optwidgets.data.raw import build_dataset
from optwidgets.data.regression import REGRESSION_DATASETS
from optwidgets.data.saved import is_saved, read_saved, saved_kind, saved_names
from optwidgets.data.splits import check_fractions, select_classes, thin_train

__all__ = [
    "register",
    "unregister",
    "dataset_names",
    "is_image_dataset",
    "dataset_task",
    "load_dataset",
]

Loader = Callable[..., Dataset]
T = TypeVar("T", Dataset, Callable[..., Dataset])

_REGISTRY: dict[str, Dataset | Loader] = {}
_KIND: dict[str, str] = {}  # kind of registered entries, when known without loading
_TASK: dict[str, str] = {}  # task of registered entries, when known without loading
_SUBSET_KEYS = ("classes", "train_fraction", "labels_per_class")


def dataset_names() -> list[str]:
    """Names ``load_dataset`` accepts: built-ins first, then registered ones in order, then
    the ones saved in the data home (:func:`optwidgets.data.save_dataset`), sorted.

    Example
    -------
    >>> from optwidgets.data import dataset_names
    >>> dataset_names()[:3]
    ['digits', 'moons', 'circles']
    """
    return [*BUILTIN_NAMES, *_REGISTRY, *(n for n in saved_names() if n not in _REGISTRY
                                          and n not in BUILTIN_NAMES)]


def register(name: str, dataset_or_loader: T | None = None, *, kind: str | None = None,
             task: str | None = None) -> Any:
    """Add a dataset under ``name`` so ``load_dataset(name)`` and ``RunConfig(dataset=name)`` work.

    Parameters
    ----------
    name : str
        New name; built-in names cannot be replaced, a registered one is replaced.
    dataset_or_loader : Dataset or callable
        A ready :class:`Dataset` (its splits are used as they are; ``classes`` and the
        training thinning still apply), or a loader called as
        ``loader(seed=, val_fraction=, test_fraction=, ...)`` returning a Dataset. The
        loader receives those of ``n_samples, noise, classes, train_fraction,
        labels_per_class`` that its signature names (or all, with ``**kwargs``); the
        subset options it does not take are applied to what it returns. Omit it to use
        ``register`` as a decorator.
    kind : {"image", "tabular"}, optional
        What a loader returns, so :func:`is_image_dataset` can answer without loading;
        if omitted, the first such question loads it once with ``seed=0``.
    task : {"classification", "regression"}, optional
        What a loader returns, so :func:`dataset_task` can answer without loading (as
        ``kind``).

    Returns
    -------
    The registered object (so it can decorate a loader).

    Example
    -------
    >>> from optwidgets.data import register, load_dataset, load_dataset as ld
    >>> @register("small_moons", kind="tabular")
    ... def small_moons(seed=0, val_fraction=0.15, test_fraction=0.2):
    ...     return ld("moons", seed=seed, n_samples=100, val_fraction=val_fraction,
    ...               test_fraction=test_fraction)
    >>> len(load_dataset("small_moons").y_test)
    20
    """
    if dataset_or_loader is None:
        return lambda obj: register(name, obj, kind=kind, task=task)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("name", name, "a non-empty string")
    if name in BUILTIN_NAMES:
        raise ConfigError("name", name, "a name that is not built in",
                          f"built-in names: {', '.join(BUILTIN_NAMES)}")
    if kind is not None and kind not in KINDS:
        raise ConfigError("kind", kind, f"one of {', '.join(map(repr, KINDS))}")
    if task is not None and task not in TASKS:
        raise ConfigError("task", task, f"one of {', '.join(map(repr, TASKS))}")
    if isinstance(dataset_or_loader, Dataset):
        kind, task = dataset_or_loader.kind, dataset_or_loader.task
    elif not callable(dataset_or_loader):
        raise ConfigError("dataset_or_loader", type(dataset_or_loader).__name__,
                          "a Dataset or a callable returning one")
    _REGISTRY[name] = dataset_or_loader
    _KIND.pop(name, None)
    _TASK.pop(name, None)
    if kind is not None:
        _KIND[name] = kind
    if task is not None:
        _TASK[name] = task
    return dataset_or_loader


def unregister(name: str) -> None:
    """Remove a registered dataset (built-ins cannot be removed).

    Example
    -------
    >>> from optwidgets.data import register, load_dataset
    >>> from optwidgets.data.registry import unregister
    >>> _ = register("tmp", load_dataset("xor", n_samples=40))
    >>> unregister("tmp")
    """
    if name not in _REGISTRY:
        raise unknown_name("dataset", name, list(_REGISTRY))
    del _REGISTRY[name]
    _KIND.pop(name, None)
    _TASK.pop(name, None)


def is_image_dataset(name: str) -> bool:
    """Whether ``name`` gives images ``(C, H, W)`` (conv models need them), without loading.

    Example
    -------
    >>> from optwidgets.data import is_image_dataset
    >>> [is_image_dataset(n) for n in ("digits", "cifar10", "spiral")]
    [True, True, False]
    """
    if name in BUILTIN_NAMES:
        return name in IMAGE_BUILTINS
    if name not in _REGISTRY:
        if is_saved(name):
            return saved_kind(name) == "image"
        raise unknown_name("dataset", name, dataset_names())
    if name not in _KIND:  # a loader registered without kind: ask it once
        _KIND[name] = load_dataset(name).kind
    return _KIND[name] == "image"


def dataset_task(name: str) -> str:
    """``"classification"`` or ``"regression"``: what ``name``'s targets are, without
    loading a built-in (a loader registered without ``task`` is asked once).

    Example
    -------
    >>> from optwidgets.data import dataset_task
    >>> [dataset_task(n) for n in ("digits", "moons", "diabetes", "sine")]
    ['classification', 'classification', 'regression', 'regression']
    """
    if name in BUILTIN_NAMES:
        return "regression" if name in REGRESSION_DATASETS else "classification"
    if name not in _REGISTRY:
        if is_saved(name):
            return "classification"  # saved datasets hold class labels (see saved.py)
        raise unknown_name("dataset", name, dataset_names())
    if name not in _TASK:
        _TASK[name] = load_dataset(name).task
    return _TASK[name]


def _call_loader(name: str, loader: Loader, args: dict[str, Any]) -> tuple[Dataset, set[str]]:
    params: Mapping[str, inspect.Parameter]
    try:
        params = inspect.signature(loader).parameters
    except (TypeError, ValueError):  # builtins without a signature: pass the basics
        params = {}
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    given = {k: v for k, v in args.items() if takes_all or k in params}
    basics = ("seed", "val_fraction", "test_fraction")
    if takes_all or all(k in params for k in basics):
        ds = loader(**given)
    else:  # positional loader(seed, val_fraction, test_fraction, ...)
        ds = loader(*(args[k] for k in basics), **{k: v for k, v in given.items()
                                                   if k not in basics})
    if not isinstance(ds, Dataset):
        raise DataError(f"loader registered as {name!r} returned {type(ds).__name__}, "
                        "not a Dataset")
    return ds, set(given)


def load_dataset(
    name: str,
    *,
    seed: int = 0,
    val_fraction: float = 0.15,
    test_fraction: float = 0.2,
    n_samples: int = 1000,
    noise: float = 0.1,
    classes: Sequence[int] = (),
    train_fraction: float = 1.0,
    labels_per_class: int = 0,
) -> Dataset:
    """Load a dataset by name as seeded, stratified train / val / test splits.

    Parameters
    ----------
    name : str
        A name from :func:`dataset_names`: built in, registered in this process, or saved
        in the data home (registered names are looked up first).
    seed : int
        Seeds the splits, the toy generators and the training thinning.
    val_fraction, test_fraction : float
        Shares of all samples for validation and test, each in (0, 0.5]. Datasets with an
        official test split (mnist, fashion_mnist, cifar10) use it as the test set and
        ignore ``test_fraction``; validation is then ``val_fraction`` of the official
        training set.
    n_samples, noise : int, float
        Points and coordinate noise of the toy 2-D sets; ignored by the others.
    classes : sequence of int
        Keep only these labels, relabelled ``0..k-1`` in the order given; ``class_names``
        keep the original names. ``()`` keeps all.
    train_fraction : float
        Keep this share of the training split (stratified); val and test are untouched.
    labels_per_class : int
        Keep exactly this many training samples per class; 0 keeps all.

    Returns
    -------
    Dataset
        CPU tensors: float32 features, int64 labels.

    Raises
    ------
    ConfigError
        Unknown name or an option out of range (the message names the option).
    DataError
        Files missing and no network, a checksum mismatch, or too few samples to split.

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> ds = load_dataset("digits", seed=0)
    >>> ds.input_shape, ds.num_classes, float(ds.X_train.max())
    ((1, 8, 8), 10, 1.0)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError("seed", seed, "an integer >= 0")
    check_fractions(val_fraction, test_fraction)
    chosen = tuple(classes)
    subset = {"classes": chosen, "train_fraction": train_fraction,
              "labels_per_class": labels_per_class}
    if name in BUILTIN_NAMES:
        raw = builtin_raw(name, n_samples=n_samples, noise=noise, seed=int(seed))
        ds = build_dataset(raw, seed=int(seed), val_fraction=val_fraction,
                           test_fraction=test_fraction)
        done: set[str] = set()
    elif name in _REGISTRY:
        entry = _REGISTRY[name]
        if isinstance(entry, Dataset):
            ds, done = entry, set()
        else:
            args = {"seed": int(seed), "val_fraction": val_fraction,
                    "test_fraction": test_fraction, "n_samples": n_samples, "noise": noise,
                    **subset}
            ds, done = _call_loader(name, entry, args)
            _KIND[name], _TASK[name] = ds.kind, ds.task
        if ds.name != name:
            ds = dataclasses.replace(ds, name=name)
    elif is_saved(name):
        ds = read_saved(name, seed=int(seed), val_fraction=val_fraction,
                        test_fraction=test_fraction)
        done = set()
    else:
        raise unknown_name("dataset", name, dataset_names())
    if "classes" not in done:
        ds = select_classes(ds, chosen)
    ds = thin_train(
        ds,
        seed=int(seed),
        train_fraction=1.0 if "train_fraction" in done else train_fraction,
        labels_per_class=0 if "labels_per_class" in done else labels_per_class,
    )
    return ds

