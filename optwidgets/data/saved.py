"""Datasets saved in the data home, so every process finds them (CLI runs, search workers).

Each saved dataset is two files in ``data_home() / "saved"``:

- ``<name>.npz``: the arrays, written with ``numpy.savez`` and read with
  ``allow_pickle=False`` (plain numbers only: loading never runs code);
- ``<name>.json``: what the arrays mean (format, kind, input shape, class and feature
  names), written after the arrays, so a dataset without its JSON is not listed.

Two formats: ``"splits"`` (a :class:`Dataset`'s six tensors, used as they are) and
``"raw"`` (arrays before splitting, re-split with each run's seed and fractions, the way
a registered ``from_arrays`` dataset is). :func:`optwidgets.data.save_dataset` writes
either; :func:`optwidgets.data.load_dataset` reads them by name.

Example
-------
>>> import torch
>>> from optwidgets.data import Dataset
>>> from optwidgets.data.saved import write_splits, read_saved, saved_names
>>> X, y = torch.rand(8, 2), torch.arange(8) % 2
>>> ds = Dataset("tiny", X, y, X, y, X, y, input_shape=(2,), num_classes=2,
...              class_names=["a", "b"])
>>> _ = write_splits(ds, "tiny_saved")
>>> "tiny_saved" in saved_names(), read_saved("tiny_saved").num_classes
(True, 2)
>>> from optwidgets.data.saved import delete_saved
>>> delete_saved("tiny_saved")
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.core.io import atomic_write
from optwidgets.data.dataset import KINDS, Dataset
from optwidgets.data.home import data_home
from optwidgets.data.raw import RawData, build_dataset

__all__ = ["FOLDER", "NAME_PATTERN", "saved_folder", "saved_names", "is_saved", "saved_kind",
           "check_name", "write_splits", "write_raw", "read_saved", "delete_saved"]

FOLDER = "saved"  # under data_home()
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # a safe file name
FORMAT_VERSION = 1
_SPLITS = ("train", "val", "test")


def saved_folder() -> Path:
    """``data_home() / "saved"`` (not created until something is saved).

    Example
    -------
    >>> from optwidgets.data.saved import saved_folder
    >>> saved_folder().name
    'saved'
    """
    return data_home() / FOLDER


def check_name(name: Any) -> str:
    """A name that is safe as a file name (letters, digits, ``_ . -``; up to 100).

    Example
    -------
    >>> from optwidgets.data.saved import check_name
    >>> check_name("my_data-v2")
    'my_data-v2'
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ConfigError("name", name, "a name of letters, digits, '_', '.' and '-' "
                          "(starting with a letter or digit, at most 100 characters)")
    return name


def _paths(name: str) -> tuple[Path, Path]:
    folder = saved_folder()
    return folder / f"{name}.npz", folder / f"{name}.json"


def saved_names() -> list[str]:
    """Names of the datasets saved in the data home, sorted.

    Example
    -------
    >>> from optwidgets.data.saved import saved_names
    >>> isinstance(saved_names(), list)
    True
    """
    folder = saved_folder()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json")
                  if NAME_PATTERN.fullmatch(p.stem) and p.with_suffix(".npz").is_file())


def is_saved(name: str) -> bool:
    """Whether ``name`` is saved in the data home (both of its files are there).

    Example
    -------
    >>> from optwidgets.data.saved import is_saved
    >>> is_saved("no such name")
    False
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        return False
    arrays, meta = _paths(name)
    return arrays.is_file() and meta.is_file()


def _write(name: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    check_name(name)
    for key, a in arrays.items():  # numbers only: nothing that would need pickle to read
        _check_numeric(a, f"array {key!r} of dataset {name!r}")
    npz, js = _paths(name)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub types the keywords as bool
    atomic_write(npz, buf.getvalue())
    atomic_write(js, json.dumps({"format_version": FORMAT_VERSION, "name": name, **meta},
                                indent=1).encode())
    return npz


def write_splits(ds: Dataset, name: str) -> Path:
    """Save a Dataset's six tensors (CPU, float32 / int64) as ``name``; returns the .npz path.

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> from optwidgets.data.saved import write_splits
    >>> from optwidgets.data.saved import delete_saved
    >>> write_splits(load_dataset("xor", n_samples=60), "xor_60").suffix
    '.npz'
    >>> delete_saved("xor_60")
    """
    _refuse_regression(ds.task, name)
    arrays = {f"{p}_{s}": getattr(ds, f"{p}_{s}").detach().cpu().numpy()
              for p in ("X", "y") for s in _SPLITS}
    return _write(name, arrays, {
        "format": "splits", "kind": ds.kind, "input_shape": list(ds.input_shape),
        "num_classes": ds.num_classes, "class_names": list(ds.class_names),
        "feature_names": None if ds.feature_names is None else list(ds.feature_names)})


def write_raw(raw: RawData, name: str) -> Path:
    """Save arrays before splitting (re-split by each run); returns the .npz path.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.raw import RawData, build_dataset
    >>> from optwidgets.data.saved import write_raw, read_saved
    >>> _ = write_raw(RawData("r", np.zeros((40, 3)), np.arange(40) % 2, ["a", "b"]), "r40")
    >>> len(read_saved("r40", seed=1, val_fraction=0.25, test_fraction=0.25).y_test)
    10
    >>> from optwidgets.data.saved import delete_saved
    >>> delete_saved("r40")
    """
    _refuse_regression(raw.task, name)
    arrays = {"X": raw.X, "y": raw.y}
    if raw.X_test is not None and raw.y_test is not None:
        arrays.update(X_test=raw.X_test, y_test=raw.y_test)
    return _write(name, arrays, {
        "format": "raw", "kind": raw.kind, "scale": raw.scale,
        "class_names": list(raw.class_names),
        "feature_names": None if raw.feature_names is None else list(raw.feature_names)})


def _refuse_regression(task: str, name: str) -> None:
    # The saved format (version 1) stores class labels; a float target would be read back
    # as labels. Regression data is registered in the process instead (from_arrays & co.).
    if task == "regression":
        raise DataError(f"dataset {name!r} has a regression target; saving it in the data "
                        "home holds class labels only. Register it in the process "
                        "(ow.data.from_arrays / from_dataframe) instead.")


def _meta(name: str) -> dict[str, Any]:
    _, js = _paths(check_name(name))
    try:
        meta = json.loads(js.read_text())
    except FileNotFoundError:
        raise DataError(f"no saved dataset {name!r} in {saved_folder()}") from None
    except (OSError, ValueError) as e:
        raise DataError(f"{js} is not a readable dataset description: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") not in ("splits", "raw") or meta.get(
            "kind") not in KINDS or not isinstance(meta.get("class_names"), list):
        raise DataError(f"{js} is not a dataset description written by save_dataset")
    return meta


def saved_kind(name: str) -> str:
    """``"image"`` or ``"tabular"``, from the JSON alone (the arrays are not read).

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> from optwidgets.data.saved import write_splits, saved_kind
    >>> _ = write_splits(load_dataset("digits"), "digits_copy")
    >>> saved_kind("digits_copy")
    'image'
    >>> from optwidgets.data.saved import delete_saved
    >>> delete_saved("digits_copy")
    """
    return str(_meta(name)["kind"])


def _arrays(name: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    npz, _ = _paths(name)
    try:
        # our own handle: np.load leaves its file open when the zip is broken
        with open(npz, "rb") as fh:
            f = np.load(fh, allow_pickle=False)
            if not isinstance(f, np.lib.npyio.NpzFile):  # a bare .npy array
                raise DataError(f"{npz} is not a .npz archive of named arrays")
            with f:
                missing = [k for k in keys if k not in f.files]
                if missing:
                    raise DataError(f"{npz} has no array {missing[0]!r}")
                return {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        # ValueError: an object array, which would need pickle: refused
        raise DataError(f"{npz} is not a readable saved dataset: {e}") from None


def _check_numeric(a: np.ndarray, where: str) -> None:
    if a.dtype.kind not in "biuf":
        raise DataError(f"{where} holds {a.dtype} values, not numbers")


def _numbers(a: np.ndarray, where: str, dtype: type) -> torch.Tensor:
    _check_numeric(a, where)
    return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))


def read_saved(name: str, *, seed: int = 0, val_fraction: float = 0.15,
               test_fraction: float = 0.2) -> Dataset:
    """The saved dataset ``name``: its splits as saved, or re-split (``"raw"`` format).

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> from optwidgets.data.saved import write_splits, read_saved
    >>> _ = write_splits(load_dataset("moons", n_samples=100), "moons_100")
    >>> len(read_saved("moons_100").y_test)
    20
    >>> from optwidgets.data.saved import delete_saved
    >>> delete_saved("moons_100")
    """
    meta = _meta(name)
    npz, _ = _paths(name)
    feature_names = meta.get("feature_names")
    if meta["format"] == "raw":
        a = _arrays(name, ("X", "y"))
        for k, v in a.items():
            _check_numeric(v, f"{npz} array {k!r}")
        raw = RawData(name=name, X=a["X"], y=a["y"].astype(np.int64),
                      class_names=[str(c) for c in meta["class_names"]], kind=meta["kind"],
                      scale=float(meta.get("scale", 1.0)), X_test=a.get("X_test"),
                      y_test=None if "y_test" not in a else a["y_test"].astype(np.int64),
                      feature_names=feature_names)
        _check_labels(raw.y, len(raw.class_names), npz)
        if raw.y_test is not None:
            _check_labels(raw.y_test, len(raw.class_names), npz)
        return build_dataset(raw, seed=seed, val_fraction=val_fraction,
                             test_fraction=test_fraction)
    keys = tuple(f"{p}_{s}" for p in ("X", "y") for s in _SPLITS)
    a = _arrays(name, keys)
    tensors: dict[str, Any] = {k: _numbers(a[k], f"{npz} array {k!r}",
                                           np.float32 if k[0] == "X" else np.int64)
                               for k in keys}
    for s in _SPLITS:
        _check_labels(tensors[f"y_{s}"].numpy(), len(meta["class_names"]), npz)
    return Dataset(name=name, **tensors, input_shape=tuple(meta["input_shape"]),
                   num_classes=int(meta["num_classes"]), class_names=meta["class_names"],
                   kind=meta["kind"], feature_names=feature_names)


def _check_labels(y: np.ndarray, k: int, where: Path) -> None:
    if y.ndim != 1 or (len(y) and (y.min() < 0 or y.max() >= k)):
        raise DataError(f"{where}: labels outside 0..{k - 1}")


def delete_saved(name: str) -> None:
    """Delete the saved dataset ``name`` (both files).

    Example
    -------
    >>> from optwidgets.data import load_dataset
    >>> from optwidgets.data.saved import write_splits, delete_saved, is_saved
    >>> _ = write_splits(load_dataset("xor", n_samples=40), "to_delete")
    >>> delete_saved("to_delete"); is_saved("to_delete")
    False
    """
    if not is_saved(name):
        raise DataError(f"no saved dataset {name!r} in {saved_folder()}")
    for p in reversed(_paths(name)):  # the JSON first: a half-deleted one is not listed
        p.unlink(missing_ok=True)
