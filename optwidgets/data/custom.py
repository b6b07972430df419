"""Bring your own data: arrays, a pandas DataFrame or a CSV file.

Each function splits the data like the built-ins (seeded, stratified) and, by default,
registers it under ``name`` so that ``RunConfig(dataset=name)`` works; the registered
entry re-splits with the run's own ``seed``, ``val_fraction`` and ``test_fraction``.
With a separate test set (``test=``) that set is the test split as given, and the
validation split is carved from the training data.

Labels may be any values (ints, strings): they are encoded as ``0..k-1`` in sorted
order and ``class_names`` are their text (unless you pass ``class_names``, in which case
labels must already be ``0..len(class_names)-1``). What is refused, and why, is listed
in :mod:`optwidgets.data.checks` (empty data, text in numeric columns, values beyond
float32, more than 2 GiB). A continuous target (float values of many distinct values)
makes a regression set (``task="regression"``; see :mod:`optwidgets.data.regression`).

:func:`optwidgets.data.as_dataset` takes every form (these three, torch Datasets and
DataLoaders) through the builders here.

Example
-------
>>> import numpy as np
>>> from optwidgets.data import from_arrays
>>> rng = np.random.default_rng(0)
>>> ds = from_arrays(rng.normal(size=(100, 4)), rng.integers(0, 2, 100), name="mine")
>>> ds.kind, ds.input_shape, ds.class_names
('tabular', (4,), ['0', '1'])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import registry as _registry
from optwidgets.data.checks import (
    check_fits_in_memory,
    check_float32_range,
    check_labels,
    check_not_empty,
    refuse_stray_text,
)
from optwidgets.data.dataset import Dataset
from optwidgets.data.raw import RawData, build_dataset
from optwidgets.data.regression import regression_targets

__all__ = ["from_arrays", "from_dataframe", "from_csv", "MAX_CATEGORIES",
           "arrays_raw", "frame_raw", "read_csv", "finish", "to_numpy"]

MAX_CATEGORIES = 50  # text columns with more distinct values look like free text or IDs


def to_numpy(a: Any) -> np.ndarray:
    """A numpy array from a tensor, a pandas object or a list (no copy when possible).

    Example
    -------
    >>> import torch
    >>> from optwidgets.data.custom import to_numpy
    >>> to_numpy(torch.ones(2)).dtype.name
    'float32'
    """
    if hasattr(a, "detach"):  # torch.Tensor
        a = a.detach().cpu().numpy()
    elif hasattr(a, "to_numpy"):  # pandas
        a = a.to_numpy()
    return np.asarray(a)


def _numeric_array(X: np.ndarray, what: str) -> np.ndarray:
    if X.dtype == bool:
        return X.astype(np.float32)
    if X.dtype == object or X.dtype.kind in "US":
        flat = pd.Series(X.reshape(-1))
        numbers = pd.to_numeric(flat, errors="coerce")
        bad = (numbers.isna() & flat.notna()).to_numpy()
        if not bad.any():  # numbers stored as objects or text: they are numbers
            return numbers.to_numpy(dtype=np.float64).reshape(X.shape)
        if bad.sum() * 2 < bad.size:
            first = int(np.argmax(bad))
            index = tuple(int(i) for i in np.unravel_index(first, X.shape))
            raise DataError(f"{what} is numeric except for {flat.iloc[first]!r} at index "
                            f"{index} ({int(bad.sum())} values that are not numbers); fix "
                            "or drop those samples")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise DataError(f"{what} must be numeric, got dtype {X.dtype} (encode text columns "
                        "first, or use from_dataframe, which one-hot encodes them)")
    return X


def _encode_labels(y: np.ndarray, class_names: Sequence[str] | None,
                   what: str, check_text: bool = True) -> tuple[np.ndarray, list]:
    if y.ndim != 1:
        raise DataError(f"labels must be 1-D (one label per sample), got shape {y.shape}")
    if class_names is not None:
        names = [str(c) for c in class_names]
        ok = np.issubdtype(y.dtype, np.integer) or (
            np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0))
        if not ok or len(y) == 0 or y.min() < 0 or y.max() >= len(names):
            raise DataError(f"with class_names given ({len(names)} names), labels must be "
                            f"integers in 0..{len(names) - 1}")
        codes = y.astype(np.int64)
    else:
        if check_text and y.dtype == object:  # numbers mixed with text, e.g. [0, 1, "?"]
            refuse_stray_text(pd.Series(y), what)
        check_labels(y, what)
        if np.issubdtype(y.dtype, np.floating):
            y = y.astype(np.int64)  # whole numbers (check_labels): 0.0 / 1.0 read from a CSV
        uniques, codes = np.unique(y if y.dtype != object else y.astype(str), return_inverse=True)
        names = [str(u) for u in uniques]
    if len(np.unique(codes)) < 2:
        raise DataError(f"the labels have a single class ({names[int(codes[0])]!r} for all "
                        f"{len(codes)} samples); classification needs at least 2")
    return codes.astype(np.int64), names


def _joint_labels(y: np.ndarray, y_test: np.ndarray | None, class_names: Sequence[str] | None,
                  what: str) -> tuple[np.ndarray, np.ndarray | None, list]:
    """Encode training and test labels with one mapping; test labels must occur in training."""
    if y_test is None:
        codes, names = _encode_labels(y, class_names, what)
        return codes, None, names
    for part, where in ((y, what), (y_test, f"{what} of the test set")):
        if part.dtype == object:  # checked apart, so that a row number means that part's row
            refuse_stray_text(pd.Series(part), where)
    same_kind = y.dtype.kind == y_test.dtype.kind or {y.dtype.kind, y_test.dtype.kind} <= set("iuf")
    both = np.concatenate([y, y_test]) if same_kind else np.concatenate(
        [y.astype(str), y_test.astype(str)])
    codes, names = _encode_labels(both, class_names, what, check_text=False)
    train, test = codes[:len(y)], codes[len(y):]
    unseen = sorted(set(test.tolist()) - set(train.tolist()))
    if unseen:
        shown = ", ".join(repr(names[c]) for c in unseen[:5])
        raise DataError(f"the test labels include {shown}, which the training labels do not "
                        "have; a model cannot learn a class it never sees")
    return train, test, names


def _shape_arrays(X: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = to_numpy(X), to_numpy(y)
    if X.ndim == 0 or y.ndim == 0:
        raise DataError(f"{what}: X and y must be arrays with one row per sample, got shapes "
                        f"{X.shape} and {y.shape}")
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} samples but y has {len(y)} labels")
    if X.ndim == 1:
        X = X[:, None]
    check_not_empty(len(X), int(np.prod(X.shape[1:])), f"{what} (shape {X.shape})")
    X = _numeric_array(X, what)
    if X.ndim not in (2, 3, 4):
        raise DataError(f"X must be (N, F) features or (N, H, W) / (N, C, H, W) images, "
                        f"got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise DataError(f"{what} has {int(np.size(X) - np.isfinite(X).sum())} NaN or infinite "
                        "values; fill or drop them first")
    check_float32_range(X, what)
    if X.ndim == 3:
        X = X[:, None]  # (N, H, W) -> one channel
    return X, y


def arrays_raw(X: Any, y: Any, *, name: str, class_names: Sequence[str] | None = None,
               feature_names: Sequence[str] | None = None,
               test: tuple[Any, Any] | None = None, task: str = "auto") -> RawData:
    """Check and encode ``(X, y)`` (and an optional ``(X_test, y_test)``) as :class:`RawData`.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.custom import arrays_raw
    >>> raw = arrays_raw(np.zeros((6, 2)), ["a", "b"] * 3, name="demo",
    ...                  test=(np.ones((2, 2)), ["b", "a"]))
    >>> raw.class_names, raw.y_test.tolist()
    (['a', 'b'], [1, 0])
    """
    X, y = _shape_arrays(X, y, "X")
    X_test = y_test = None
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            raise ConfigError("test", type(test).__name__, "a pair (X_test, y_test)")
        X_test, y_test = _shape_arrays(test[0], test[1], "X_test")
        if X_test.shape[1:] != X.shape[1:]:
            raise DataError(f"X_test samples have shape {X_test.shape[1:]} but X samples have "
                            f"shape {X.shape[1:]}")
    n_all = len(X) + (0 if X_test is None else len(X_test))
    check_fits_in_memory(n_all, X.shape[1:], "the data")
    targets = None if class_names is not None else regression_targets(y, y_test, "y", task)
    codes, test_codes, names = (_joint_labels(y, y_test, class_names, "y") if targets is None
                                else (*targets, ["y"]))
    kind = "tabular" if X.ndim == 2 else "image"
    scale = 1 / 255 if X.dtype == np.uint8 and kind == "image" else 1.0
    if feature_names is not None and (kind != "tabular" or len(feature_names) != X.shape[1]):
        raise DataError(f"{len(feature_names)} feature_names for {X.shape[1:]} features")
    if X_test is not None and X_test.dtype != X.dtype:  # one scale for both
        X, X_test = X.astype(np.float64), X_test.astype(np.float64)
        scale = 1.0
    return RawData(name=name, X=X.copy(), y=codes, class_names=names, kind=kind, scale=scale,
                   X_test=None if X_test is None else X_test.copy(), y_test=test_codes,
                   feature_names=None if feature_names is None else [str(f) for f in
                                                                     feature_names],
                   task="classification" if targets is None else "regression").frozen()


def finish(raw: RawData, *, seed: int, val_fraction: float, test_fraction: float,
           register: bool) -> Dataset:
    """Split ``raw`` into a Dataset; with ``register``, register a loader that re-splits it
    with each run's seed and fractions.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.custom import arrays_raw, finish
    >>> raw = arrays_raw(np.zeros((20, 2)), np.arange(20) % 2, name="demo")
    >>> len(finish(raw, seed=0, val_fraction=0.2, test_fraction=0.2, register=False).y_test)
    4
    """
    ds = build_dataset(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
    if register:
        def loader(seed: int = 0, val_fraction: float = 0.15,
                   test_fraction: float = 0.2) -> Dataset:
            return build_dataset(raw, seed=seed, val_fraction=val_fraction,
                                 test_fraction=test_fraction)

        _registry.register(raw.name, loader, kind=raw.kind, task=raw.task)
    return ds


def from_arrays(
    X: Any,
    y: Any,
    *,
    name: str = "arrays",
    seed: int = 0,
    val_fraction: float = 0.15,
    test_fraction: float = 0.2,
    class_names: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    register: bool = True,
    test: tuple[Any, Any] | None = None,
    task: str = "auto",
) -> Dataset:
    """A :class:`Dataset` from arrays (numpy, torch, lists).

    Parameters
    ----------
    X : array-like
        ``(N, F)`` (or ``(N,)``) features give a tabular set; ``(N, H, W)`` or
        ``(N, C, H, W)`` images give kind ``"image"``; uint8 images are scaled by 1/255.
        NaN, infinite values and values beyond float32 are refused.
    y : array-like
        ``N`` labels of any type, at least 2 distinct; or ``N`` continuous targets (float
        values that are not class labels: a regression set, see ``task``).
    name : str
        Name to register under (built-in names are refused).
    seed, val_fraction, test_fraction
        As in :func:`~optwidgets.data.load_dataset`.
    class_names : list of str, optional
        Names of labels ``0..k-1``; default: the sorted distinct labels as text.
    feature_names : list of str, optional
        Column names of tabular features.
    register : bool
        Register under ``name`` (replacing an earlier registration of that name).
    test : (X_test, y_test), optional
        A separate test set, used as the test split (``test_fraction`` is then unused).
    task : {"auto", "classification", "regression"}
        ``"auto"`` infers it from ``y`` (:func:`~optwidgets.data.regression.infer_task`:
        float targets of many distinct values are a regression target, integer labels are
        classes); ``"regression"`` also takes integer targets (counts, ages) as numbers.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data import from_arrays, is_image_dataset
    >>> imgs = np.random.default_rng(0).integers(0, 256, (60, 12, 12), dtype=np.uint8)
    >>> ds = from_arrays(imgs, np.arange(60) % 3, name="my_images")
    >>> ds.input_shape, is_image_dataset("my_images")
    ((1, 12, 12), True)
    """
    raw = arrays_raw(X, y, name=name, class_names=class_names, feature_names=feature_names,
                     test=test, task=task)
    return finish(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                  register=register)


def _check_frame(features: pd.DataFrame, y: pd.Series | None, target: str, source: str,
                 row_word: str) -> None:
    """Missing values, stray text in numeric columns, values beyond float32: named."""
    of = f" of {source}" if source else ""
    columns = [(str(c), features[c]) for c in features.columns]
    if y is not None:
        columns.append((target, y))
    with_nan = [repr(c) for c, s in columns if s.isna().any()]
    if with_nan:
        raise DataError(f"columns{of} with missing values (NaN): " + ", ".join(with_nan)
                        + ". Fill them (df.fillna) or drop those rows (df.dropna) first.")
    for col, s in columns:
        if isinstance(s.dtype, pd.CategoricalDtype):
            continue  # a category is one-hot encoded on purpose, whatever its values
        what = f"target column {col!r}{of}" if y is not None and s is y else f"column {col!r}{of}"
        refuse_stray_text(s, what, row_word)
        if pd.api.types.is_float_dtype(s):
            v = s.to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(v)):
                raise DataError(f"{what} has infinite values")
            check_float32_range(v[:, None], source or "the DataFrame", columns=[col],
                                rows=list(s.index), row_word=row_word)


def _encode_frame(features: pd.DataFrame, one_hot: bool | str,
                  max_categories: int) -> tuple[np.ndarray, list[str]]:
    if one_hot not in (True, False, "auto"):
        raise ConfigError("one_hot", one_hot, "True, False or 'auto'")
    blocks: list[np.ndarray] = []
    names: list[str] = []
    unsupported, text, refused = [], [], []
    for col in features.columns:
        s = features[col]
        if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s)
                                             and not pd.api.types.is_complex_dtype(s)):
            blocks.append(s.to_numpy(dtype=np.float64)[:, None])
            names.append(str(col))
            continue
        is_cat = isinstance(s.dtype, pd.CategoricalDtype)
        if not (is_cat or pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            unsupported.append(f"{col!r} ({s.dtype})")
            continue
        if one_hot is False:
            refused.append(repr(col))
            continue
        cats = [str(c) for c in s.cat.categories] if is_cat else sorted(s.astype(str).unique())
        if one_hot == "auto" and not is_cat and len(cats) > max_categories:
            text.append(f"{col!r} ({len(cats)} distinct values)")
            continue
        values = s.astype(str).to_numpy()
        blocks.append((values[:, None] == np.array(cats)[None, :]).astype(np.float64))
        names.extend(f"{col}={c}" for c in cats)
    if unsupported:
        raise DataError("feature columns of a type that cannot be used as numbers: "
                        + ", ".join(unsupported) + ". Convert them (e.g. dates to numbers) "
                        "or drop them.")
    if refused:
        raise DataError("non-numeric feature columns " + ", ".join(refused) + " with "
                        "one_hot=False; pass one_hot='auto' or True to one-hot encode them, "
                        "or drop them.")
    if text:
        raise DataError("text columns with more than max_categories="
                        f"{max_categories} distinct values look like free text or IDs: "
                        + ", ".join(text) + ". Drop them, encode them yourself, or pass "
                        "one_hot=True to one-hot encode them anyway.")
    return np.concatenate(blocks, axis=1).astype(np.float32), names


def _split_frame(df: Any, target: str | None, labels: Any, what: str) -> tuple[
        pd.DataFrame, pd.Series]:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame{what}, got {type(df).__name__}")
    if labels is not None:
        y = pd.Series(to_numpy(labels), index=df.index if len(labels) == len(df) else None,
                      name=getattr(labels, "name", None))
        if len(y) != len(df):
            raise DataError(f"the DataFrame{what} has {len(df)} rows but y has {len(y)} labels")
        return df, y
    if target not in df.columns:
        raise ConfigError("target", target,
                          "one of the columns " + ", ".join(repr(c) for c in df.columns))
    return df.drop(columns=[target]), df[target]


def frame_raw(df: pd.DataFrame, target: str | None = None, *, name: str,
              labels: Any = None, test: pd.DataFrame | tuple[Any, Any] | None = None,
              class_names: Sequence[str] | None = None,
              one_hot: bool | Literal["auto"] = "auto", max_categories: int = MAX_CATEGORIES,
              source: str = "", test_source: str = "", row_word: str = "row",
              task: str = "auto") -> RawData:
    """Check and encode a DataFrame (``target`` column, or separate ``labels``) as RawData.

    ``test`` is a DataFrame with the same columns (or ``(features, labels)`` when
    ``labels`` is used); train and test are one-hot encoded together, so a category gets
    the same column in both. ``source`` names the data in messages (a CSV file);
    ``row_word`` is how a row is called there (``"line"`` for a CSV's line numbers).

    Example
    -------
    >>> import pandas as pd
    >>> from optwidgets.data.custom import frame_raw
    >>> df = pd.DataFrame({"x": [1.0, 2.0] * 5, "c": ["u", "v"] * 5, "y": [0, 1] * 5})
    >>> frame_raw(df, "y", name="demo").feature_names
    ['x', 'c=u', 'c=v']
    """
    target_name = str(target) if labels is None else str(getattr(labels, "name", None) or "y")
    features, y = _split_frame(df, target, labels, "")
    check_not_empty(len(df), features.shape[1] + 1, source or "the DataFrame")
    if features.shape[1] == 0:
        raise DataError(f"the DataFrame has no feature columns besides target {target_name!r}")
    _check_frame(features, y, target_name, source, row_word)
    of = f" of {source}" if source else ""
    y_test = None
    if test is not None:
        if labels is not None:
            if not isinstance(test, (tuple, list)) or len(test) != 2:
                raise ConfigError("test", type(test).__name__,
                                  "a pair (X_test, y_test) like the training (X, y)")
            test_features, y_test = _split_frame(test[0], None, test[1], " test")
        else:
            test_features, y_test = _split_frame(test, target, None, " test")
        tsrc = test_source or "the test DataFrame"
        check_not_empty(len(test_features), test_features.shape[1] + 1, tsrc)
        if set(test_features.columns) != set(features.columns):
            raise DataError(f"{tsrc} has columns {list(test_features.columns)} but the training "
                            f"data has {list(features.columns)}; they must match")
        test_features = test_features[features.columns]
        _check_frame(test_features, y_test, target_name, tsrc, row_word)
        both = pd.concat([features, test_features], ignore_index=True)
        for col in features.columns:  # a category dtype must survive the concatenation
            if isinstance(features[col].dtype, pd.CategoricalDtype):
                both[col] = both[col].astype("category")
    else:
        both = features
    check_fits_in_memory(len(both), (features.shape[1],), source or "the DataFrame")
    X, feature_names = _encode_frame(both, one_hot, max_categories)
    check_fits_in_memory(len(X), X.shape[1:], source or "the one-hot encoded DataFrame")
    what = f"target column {target_name!r}{of}"
    y_np, y_test_np = y.to_numpy(), None if y_test is None else y_test.to_numpy()
    targets = None if class_names is not None else regression_targets(y_np, y_test_np, what,
                                                                      task)
    codes, test_codes, names = (_joint_labels(y_np, y_test_np, class_names, what)
                                if targets is None else (*targets, [target_name]))
    n = len(features)
    return RawData(name=name, X=X[:n].copy(), y=codes, class_names=names, kind="tabular",
                   X_test=None if y_test is None else X[n:].copy(), y_test=test_codes,
                   feature_names=feature_names,
                   task="classification" if targets is None else "regression").frozen()


def from_dataframe(
    df: pd.DataFrame,
    target: str,
    *,
    name: str = "dataframe",
    seed: int = 0,
    val_fraction: float = 0.15,
    test_fraction: float = 0.2,
    class_names: Sequence[str] | None = None,
    one_hot: bool | Literal["auto"] = "auto",
    max_categories: int = MAX_CATEGORIES,
    register: bool = True,
    test: pd.DataFrame | None = None,
    task: str = "auto",
) -> Dataset:
    """A tabular :class:`Dataset` from a DataFrame: ``target`` is the label column (or a
    continuous target: ``task="auto"`` infers regression from float values of many
    distinct values, as :func:`from_arrays` does).

    Feature columns are handled by type:

    - numbers and booleans: used as they are (booleans as 0 / 1);
    - ``category`` columns: one-hot encoded, one 0/1 column per category, named
      ``"column=value"`` (unless ``one_hot=False``);
    - text (object / string) columns: one-hot encoded when they have at most
      ``max_categories`` distinct values (``one_hot="auto"``, the default) or always
      (``one_hot=True``); with more values under ``"auto"`` they look like free text or
      IDs and are refused, naming the columns;
    - a text column whose values are mostly numbers is refused, naming the column, the
      first value that is not a number and its row (dirty data, not a category);
    - ``one_hot=False`` refuses every non-numeric column, naming them;
    - dates, durations and other types are refused, naming the columns.

    Missing values (NaN) anywhere are refused with the columns named; so are an empty
    DataFrame, values beyond float32, and a target with a single class or continuous
    values. ``test`` is a separate test DataFrame with the same columns.

    Example
    -------
    >>> import pandas as pd
    >>> from optwidgets.data import from_dataframe
    >>> df = pd.DataFrame({"size": [1.0, 2, 3, 4] * 10, "color": ["red", "blue"] * 20,
    ...                    "label": ["cat", "dog"] * 20})
    >>> ds = from_dataframe(df, target="label", name="pets")
    >>> ds.feature_names, ds.class_names
    (['size', 'color=blue', 'color=red'], ['cat', 'dog'])
    """
    raw = frame_raw(df, target, name=name, test=test, class_names=class_names,
                    one_hot=one_hot, max_categories=max_categories, task=task)
    return finish(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                  register=register)


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV file with a header row; the index is each row's line number in the file.

    Raises
    ------
    DataError
        No such file, not readable as CSV, or a header without data rows (all naming the file).

    Example
    -------
    >>> import tempfile, pathlib
    >>> from optwidgets.data.custom import read_csv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,y\\n1,0\\n2,1\\n")
    >>> read_csv(p).index.tolist()  # lines 2 and 3 of the file
    [2, 3]
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no CSV file at {path}")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read {path} as CSV: {e}") from None
    if len(df) == 0:
        raise DataError(f"the CSV file {path} has a header (columns "
                        + ", ".join(repr(c) for c in df.columns) + ") but no data rows")
    df.index = pd.RangeIndex(2, len(df) + 2)  # line 1 is the header
    return df


def from_csv(
    path: str | os.PathLike[str],
    target: str,
    *,
    name: str | None = None,
    test: str | os.PathLike[str] | pd.DataFrame | None = None,
    **kwargs: Any,
) -> Dataset:
    """A tabular :class:`Dataset` from a CSV file with a header row.

    Reads the file with ``pandas.read_csv`` and applies the rules of
    :func:`from_dataframe` (so text columns are one-hot encoded by default,
    ``one_hot=False`` refuses them, empty cells are refused as missing values); errors
    name the file and the line. ``name`` defaults to the file name without extension;
    ``test`` is a separate test CSV file (or DataFrame) with the same columns.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from optwidgets.data import from_csv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "iris_like.csv"
    >>> _ = p.write_text("a,b,y\\n" + "".join(f"{i},{i % 3},{i % 2}\\n" for i in range(40)))
    >>> from_csv(p, target="y").name
    'iris_like'
    """
    split = {k: kwargs.pop(k) for k in ("seed", "val_fraction", "test_fraction", "register")
             if k in kwargs}
    test_df = test if test is None or isinstance(test, pd.DataFrame) else read_csv(test)
    raw = frame_raw(read_csv(path), target, name=name or Path(path).stem, test=test_df,
                    source=str(path), row_word="line",
                    test_source="" if test is None or isinstance(test, pd.DataFrame)
                    else str(test), **kwargs)
    return finish(raw, seed=split.get("seed", 0), val_fraction=split.get("val_fraction", 0.15),
                  test_fraction=split.get("test_fraction", 0.2),
                  register=split.get("register", True))
