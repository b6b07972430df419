"""Data in every usual form, turned into a :class:`Dataset`: one set of rules for all.

:func:`as_dataset` takes

- ``(X, y)`` arrays (numpy, torch, lists): ``(N, F)`` features or ``(N, [C,] H, W)`` images;
- ``(X_df, y)``: a DataFrame of features and the labels (or ``(df, "label")``);
- a pandas DataFrame with ``target=`` naming the label column;
- a CSV file path (``str`` or ``Path``) with ``target=``;
- a map-style ``torch.utils.data.Dataset`` whose items are ``(x, y)`` (TensorDataset
  included) and a ``torch.utils.data.DataLoader`` yielding ``(x, y)`` batches;
- a :class:`Dataset` (returned as it is);

and an optional separate test set ``test=`` in the same form (for a DataFrame or CSV:
the same columns). Everything is held in memory as tensors: more than
:data:`~optwidgets.data.checks.MAX_BYTES` (2 GiB of float32 features) is refused with the
size it would take, before a torch Dataset is read past its first item. The refusal
rules are those of :mod:`optwidgets.data.checks`.

:func:`register_dataset_object` registers any of these under a name (for
``RunConfig(dataset=...)`` and the Explorer's menu); :func:`save_dataset` writes one to
the data home, where every process finds it by name.

Example
-------
>>> import torch
>>> from torch.utils.data import DataLoader, TensorDataset
>>> from optwidgets.data import as_dataset
>>> X, y = torch.randn(100, 3), torch.arange(100) % 2
>>> as_dataset(DataLoader(TensorDataset(X, y), batch_size=32)).input_shape
(3,)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, IterableDataset, TensorDataset
from torch.utils.data import Dataset as TorchDataset

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import registry as _registry
from optwidgets.data import saved as _saved
from optwidgets.data.builtin import BUILTIN_NAMES
from optwidgets.data.checks import check_fits_in_memory
from optwidgets.data.custom import MAX_CATEGORIES, arrays_raw, finish, frame_raw, read_csv
from optwidgets.data.dataset import Dataset
from optwidgets.data.raw import RawData

__all__ = ["as_dataset", "register_dataset_object", "save_dataset", "delete_saved_dataset",
           "torch_arrays", "FORMS"]

FORMS = ("(X, y) arrays, a pandas DataFrame (with target=), a CSV file path (with target=), "
         "a torch Dataset of (x, y) items, a DataLoader of (x, y) batches, or a Dataset")


def _is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _is_torch(obj: Any) -> bool:
    return isinstance(obj, (TorchDataset, DataLoader))


def _pair(item: Any, where: str) -> tuple[Any, Any]:
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    what = (f"a dict with keys {sorted(item)}" if isinstance(item, dict)
            else f"a {type(item).__name__}" + (f" of {len(item)}" if isinstance(
                item, (tuple, list)) else ""))
    raise DataError(f"{where} is {what}; expected an (x, y) pair (input, label)")


def _stack(parts: list[Any], where: str) -> np.ndarray:
    try:
        if isinstance(parts[0], torch.Tensor):
            return torch.stack([torch.as_tensor(p) for p in parts]).numpy()
        out = np.stack([np.asarray(p) for p in parts])
    except (RuntimeError, ValueError, TypeError) as e:
        raise DataError(f"{where}: the samples do not stack into one array ({e}); every "
                        "sample must have the same shape") from None
    if type(parts[0]).__module__.startswith("PIL.") and out.ndim == 4:
        out = out.transpose(0, 3, 1, 2)  # PIL colour images are (H, W, C): make (C, H, W)
    return out


def _concat(parts: list[Any], where: str) -> np.ndarray:
    try:
        return np.concatenate([p.detach().cpu().numpy() if isinstance(p, torch.Tensor)
                               else np.asarray(p) for p in parts])
    except ValueError as e:
        raise DataError(f"{where}: the batches do not join into one array ({e})") from None


def _estimate(first_x: Any, n: int, what: str) -> None:
    shape = tuple(np.shape(first_x))
    check_fits_in_memory(n, shape, what)


def torch_arrays(data: TorchDataset | DataLoader, what: str = "the data") -> tuple[
        np.ndarray, np.ndarray]:
    """All ``(x, y)`` of a map-style torch Dataset or a DataLoader, as two numpy arrays.

    The size is checked against :data:`~optwidgets.data.checks.MAX_BYTES` from the first
    item (or batch) before the rest is read.

    Example
    -------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from optwidgets.data.convert import torch_arrays
    >>> X, y = torch_arrays(TensorDataset(torch.zeros(5, 2), torch.arange(5)))
    >>> X.shape, y.tolist()
    ((5, 2), [0, 1, 2, 3, 4])
    """
    kind = type(data).__name__
    if isinstance(data, TensorDataset):
        if len(data.tensors) != 2:
            raise DataError(f"the TensorDataset holds {len(data.tensors)} tensors; expected 2 "
                            "(inputs, labels)")
        X, y = data.tensors
        if len(X) == 0:
            raise DataError(f"{what} (a TensorDataset) has no rows: there is nothing to train on")
        _estimate(X[0], len(X), what)
        return X.detach().cpu().numpy(), y.detach().cpu().numpy()
    if isinstance(data, DataLoader):
        try:
            n_batches = len(data)
        except TypeError:
            raise DataError(f"{what} is a DataLoader without a length (over an "
                            "IterableDataset); give a map-style Dataset") from None
        batches = iter(data)
        first = next(batches, None)
        if first is None:
            raise DataError(f"{what} (a DataLoader) gave no batches: there is nothing to "
                            "train on")
        xb, yb = _pair(first, f"{what}: the first batch")
        xb_shape = np.shape(xb)
        per_batch = xb_shape[0] if len(xb_shape) else 1
        try:
            n = len(data.dataset)  # type: ignore[arg-type]
        except TypeError:
            n = per_batch * n_batches
        _estimate(xb[0], n, what)
        xs, ys = [xb], [yb]
        for i, batch in enumerate(batches, start=1):
            x, y = _pair(batch, f"{what}: batch {i}")
            xs.append(x)
            ys.append(y)
        return _concat(xs, what), _concat(ys, what)
    if isinstance(data, IterableDataset):
        raise DataError(f"{what} is an IterableDataset ({kind}), which has no length; give a "
                        "map-style Dataset (with __len__ and __getitem__)")
    try:
        n = len(data)  # type: ignore[arg-type]
    except TypeError:
        raise DataError(f"{what} ({kind}) has no length; give a map-style Dataset (with "
                        "__len__ and __getitem__)") from None
    if n == 0:
        raise DataError(f"{what} (a {kind} of length 0) has no rows: there is nothing to "
                        "train on")
    x0, y0 = _pair(data[0], f"{what}: item 0 of the {kind}")
    _estimate(x0, n, what)
    xs, ys = [x0], [y0]
    for i in range(1, n):
        x, y = _pair(data[i], f"{what}: item {i} of the {kind}")
        xs.append(x)
        ys.append(y)
    return _stack(xs, what), _stack(ys, what)


def _default_name(data: Any) -> str:
    if isinstance(data, Dataset):
        return data.name
    if isinstance(data, pd.DataFrame) or (isinstance(data, (tuple, list)) and data
                                          and isinstance(data[0], pd.DataFrame)):
        return "dataframe"
    if _is_path(data):
        return Path(data).stem
    if isinstance(data, DataLoader):
        return "dataloader"
    if isinstance(data, TorchDataset):
        return type(data).__name__.lower()
    return "arrays"


def _as_arrays(obj: Any, what: str) -> tuple[Any, Any]:
    if _is_torch(obj):
        return torch_arrays(obj, what)
    return _pair(obj, what) if isinstance(obj, (tuple, list)) else _refuse(obj, what)


def _refuse(obj: Any, field: str) -> Any:
    raise ConfigError(field, type(obj).__name__, FORMS)


def _raw(data: Any, *, target: str | None, test: Any, name: str,
         class_names: Sequence[str] | None, feature_names: Sequence[str] | None,
         one_hot: bool | Literal["auto"], max_categories: int, task: str = "auto") -> RawData:
    frame_opts: dict[str, Any] = {"class_names": class_names, "one_hot": one_hot,
                                  "max_categories": max_categories, "task": task}
    is_pair = isinstance(data, (tuple, list)) and len(data) == 2
    if is_pair and isinstance(data[0], pd.DataFrame):  # (X_df, y) or (df, "label")
        if isinstance(data[1], str):
            if target is not None and target != data[1]:
                raise ConfigError("target", target, f"{data[1]!r}, the target given with the "
                                  "DataFrame (or no target=)")
            if isinstance(test, (tuple, list)) and len(test) == 2 and isinstance(test[1], str):
                test = test[0]  # (df_test, "label"), like the training pair
            return _raw(data[0], target=data[1], test=test, name=name, class_names=class_names,
                        feature_names=feature_names, one_hot=one_hot,
                        max_categories=max_categories, task=task)
        if target is not None:
            raise ConfigError("target", target, "no target with (X, y): y holds the labels")
        if test is not None and not (isinstance(test, (tuple, list)) and len(test) == 2):
            raise ConfigError("test", type(test).__name__, "(X_test, y_test), like (X, y)")
        return frame_raw(data[0], labels=data[1], name=name, test=test, **frame_opts)
    if isinstance(data, str) and not os.path.exists(data) and data in _registry.dataset_names():
        raise ConfigError("data", data, FORMS, f"{data!r} names a dataset: use "
                          f"RunConfig(dataset={data!r}) instead of data=")
    if isinstance(data, pd.DataFrame) or _is_path(data):
        if target is None:
            columns = (list(data.columns) if isinstance(data, pd.DataFrame)
                       else list(read_csv(data).columns))
            raise ConfigError("target", None, "the name of the label column",
                              "one of " + ", ".join(repr(c) for c in columns))
        source, test_source = "", ""
        df = data
        if _is_path(data):
            source, df = str(data), read_csv(data)
        test_df = test
        if _is_path(test):
            test_source, test_df = str(test), read_csv(test)
        elif test is not None and not isinstance(test, pd.DataFrame):
            raise ConfigError("test", type(test).__name__,
                              "a DataFrame or CSV path with the same columns as the data")
        return frame_raw(df, target, name=name, test=test_df, source=source,
                         test_source=test_source, row_word="line" if source else "row",
                         **frame_opts)
    if target is not None:
        raise ConfigError("target", target, "no target for (X, y) arrays or a torch Dataset",
                          "target names the label column of a DataFrame or CSV file")
    if not (is_pair or _is_torch(data)):
        _refuse(data, "data")
    X, y = _as_arrays(data, "the data")
    test_arrays = None if test is None else _as_arrays(test, "test")
    return arrays_raw(X, y, name=name, class_names=class_names, feature_names=feature_names,
                      test=test_arrays, task=task)


def as_dataset(
    data: Any,
    *,
    target: str | None = None,
    test: Any = None,
    name: str | None = None,
    seed: int = 0,
    val_fraction: float = 0.15,
    test_fraction: float = 0.2,
    class_names: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    one_hot: bool | Literal["auto"] = "auto",
    max_categories: int = MAX_CATEGORIES,
    register: bool = False,
    task: str = "auto",
) -> Dataset:
    """A :class:`Dataset` from data in any of the usual forms (see the module list).

    Parameters
    ----------
    data
        ``(X, y)``, ``(X_df, y)``, a DataFrame or CSV path (with ``target``), a torch
        Dataset or DataLoader of ``(x, y)``, or a :class:`Dataset` (returned unchanged,
        renamed if ``name`` is given).
    target : str, optional
        The label column of a DataFrame or CSV file (refused for other forms).
    test : optional
        A separate test set in the same form; it becomes the test split as given and the
        validation split is carved from ``data`` (``test_fraction`` is then unused).
    name : str, optional
        The Dataset's name (default ``"arrays"``, ``"dataframe"``, the CSV file's stem,
        ``"dataloader"`` or the torch Dataset's class name in lower case).
    seed, val_fraction, test_fraction
        The seeded, stratified split, as in :func:`~optwidgets.data.load_dataset`.
    class_names, feature_names, one_hot, max_categories
        As in :func:`~optwidgets.data.from_arrays` / :func:`~optwidgets.data.from_dataframe`.
    register : bool
        Also register it under ``name``, re-split by each run's seed and fractions.
    task : {"auto", "classification", "regression"}
        As in :func:`~optwidgets.data.from_arrays` (``"auto"``: inferred from the targets).

    Raises
    ------
    ConfigError
        A form it does not take, or ``target`` / ``test`` that do not fit the form.
    DataError
        Data refused by :mod:`optwidgets.data.checks` (the message names the column or
        file, the row and the value), or more than 2 GiB.

    Example
    -------
    >>> import pandas as pd
    >>> from optwidgets.data import as_dataset
    >>> df = pd.DataFrame({"x": range(40), "label": ["a", "b"] * 20})
    >>> ds = as_dataset(df, target="label", test=df.iloc[:10])
    >>> ds.class_names, len(ds.y_test), len(ds.y_train) + len(ds.y_val)
    (['a', 'b'], 10, 40)
    """
    if isinstance(data, Dataset):
        if target is not None or test is not None:
            field = "target" if target is not None else "test"
            raise ConfigError(field, target if target is not None else type(test).__name__,
                              "nothing: a Dataset has its own labels and test split")
        ds = data if name is None or name == data.name else dataclasses.replace(data, name=name)
        if register:
            _registry.register(ds.name, ds)
        return ds
    raw = _raw(data, target=target, test=test, name=name or _default_name(data),
               class_names=class_names, feature_names=feature_names, one_hot=one_hot,
               max_categories=max_categories, task=task)
    return finish(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                  register=register)


def _taken(name: str) -> bool:
    return name in BUILTIN_NAMES or name in _registry._REGISTRY or _saved.is_saved(name)


def _free_name(base: str) -> str:
    base = base if _saved.NAME_PATTERN.fullmatch(base) else "data"
    if not _taken(base):
        return base
    for i in range(2, 10_000):
        if not _taken(f"{base}-{i}"):
            return f"{base}-{i}"
    raise DataError(f"no free dataset name like {base!r} (tried {base}-2 .. {base}-9999)")


def _check_new_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("name", name, "a non-empty string")
    if name in BUILTIN_NAMES:
        raise ConfigError("name", name, "a name that is not built in",
                          f"built-in names: {', '.join(BUILTIN_NAMES)}")
    return name


def register_dataset_object(data: Any, *, target: str | None = None, test: Any = None,
                            name: str | None = None, unique: bool = True,
                            save: bool = False, task: str = "auto") -> str:
    """Register data in any form of :func:`as_dataset` and return the name to select.

    ``RunConfig(dataset=<data>)`` and ``Explorer(data=...)`` use this: the config keeps
    the name. Arrays, frames and torch data are re-split by each run's seed and
    fractions; a :class:`Dataset` keeps its splits.

    Parameters
    ----------
    data, target, test
        As in :func:`as_dataset`.
    name : str, optional
        Register under this name (replacing what was registered under it; built-in names
        are refused). Without it the name is the form's default (see :func:`as_dataset`).
    unique : bool
        Without ``name``: pick a name not in use (``arrays-2``, ``moons-2``) rather than
        replace one (a Dataset registered before keeps its name). With ``unique=False``
        the default name is replaced (built-in names never are).
    save : bool
        Also save it in the data home (:func:`save_dataset`), so other processes (CLI
        runs, search workers) find it under the same name.
    task : {"auto", "classification", "regression"}
        As in :func:`as_dataset`.

    Example
    -------
    >>> from optwidgets.data import register_dataset_object, load_dataset
    >>> ds = load_dataset("moons", n_samples=100)
    >>> register_dataset_object(ds)  # 'moons' is built in (with other n_samples): a new name
    'moons-2'
    >>> register_dataset_object(ds)  # the same object again: the same name
    'moons-2'
    >>> from optwidgets.data import unregister
    >>> unregister("moons-2")
    """
    if name is None:
        if isinstance(data, Dataset):
            same = [n for n, v in _registry._REGISTRY.items() if v is data]
            if same:
                return same[0]
        base = _default_name(data)
        name = _free_name(base) if unique or base in BUILTIN_NAMES else base
    name = _check_new_name(name)
    if isinstance(data, Dataset):
        as_dataset(data, target=target, test=test)  # refuses target= and test=
        _registry.register(name, data)  # the object itself: found again by identity
        if save:
            _saved.write_splits(data, name)
        return name
    raw = _raw(data, target=target, test=test, name=name, class_names=None,
               feature_names=None, one_hot="auto", max_categories=MAX_CATEGORIES, task=task)
    finish(raw, seed=0, val_fraction=0.15, test_fraction=0.2, register=True)  # splits: checked
    if save:
        _saved.write_raw(raw, name)
    return name


def save_dataset(data: Any, name: str | None = None, *, target: str | None = None,
                 test: Any = None) -> Path:
    """Save data in the data home as ``name``: every process then loads it by name.

    Writes ``data_home()/saved/<name>.npz`` (numbers only, read back with
    ``allow_pickle=False``) and ``<name>.json`` (kind, shapes, class and feature names).
    A :class:`Dataset` is saved with its splits, used as they are; other forms of
    :func:`as_dataset` are saved before splitting and re-split by each run's seed and
    fractions. ``load_dataset(name)`` and ``RunConfig(dataset=name)`` then work in any
    process (a name registered in a process is looked up before a saved one, so a
    registration of the same name in this process is removed).

    Parameters
    ----------
    data, target, test
        A Dataset, or data in a form of :func:`as_dataset`.
    name : str, optional
        Letters, digits, ``_ . -``; not a built-in name. Default: the Dataset's name.

    Returns
    -------
    pathlib.Path
        The ``.npz`` file written (an existing one of that name is replaced).

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data import save_dataset, load_dataset, delete_saved_dataset
    >>> X, y = np.random.default_rng(0).normal(size=(60, 3)), np.arange(60) % 3
    >>> save_dataset((X, y), "my_saved_table").name
    'my_saved_table.npz'
    >>> load_dataset("my_saved_table", seed=1).num_classes
    3
    >>> delete_saved_dataset("my_saved_table")
    """
    if name is None:
        name = data.name if isinstance(data, Dataset) else _default_name(data)
    _saved.check_name(_check_new_name(name))
    if isinstance(data, Dataset):
        path = _saved.write_splits(as_dataset(data, target=target, test=test), name)
    else:
        raw = _raw(data, target=target, test=test, name=name, class_names=None,
                   feature_names=None, one_hot="auto", max_categories=MAX_CATEGORIES)
        path = _saved.write_raw(raw, name)
    if name in _registry._REGISTRY:
        _registry.unregister(name)
    return path


def delete_saved_dataset(name: str) -> None:
    """Delete a dataset saved with :func:`save_dataset` (both of its files).

    Example
    -------
    >>> from optwidgets.data import save_dataset, delete_saved_dataset, dataset_names
    >>> from optwidgets.data import load_dataset
    >>> _ = save_dataset(load_dataset("xor", n_samples=40), "xor_tmp")
    >>> delete_saved_dataset("xor_tmp"); "xor_tmp" in dataset_names()
    False
    """
    _saved.delete_saved(name)
