"""Bring your own data: arrays, a pandas DataFrame or a CSV file.

Each function splits the data like the built-ins (seeded, stratified) and, by default,
registers it under ``name`` so that ``RunConfig(dataset=name)`` works; the registered
entry re-splits with the run's own ``seed``, ``val_fraction`` and ``test_fraction``.

Labels may be any values (ints, strings): they are encoded as ``0..k-1`` in sorted
order and ``class_names`` are their text (unless you pass ``class_names``, in which case
labels must already be ``0..len(class_names)-1``).

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
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import registry as _registry
from optwidgets.data.dataset import Dataset
from optwidgets.data.raw import RawData, build_dataset

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["from_arrays", "from_dataframe", "from_csv", "MAX_CATEGORIES"]

MAX_CATEGORIES = 50  # text columns with more distinct values look like free text or IDs


def _to_numpy(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):  # torch.Tensor
        a = a.detach().cpu().numpy()
    elif hasattr(a, "to_numpy"):  # pandas
        a = a.to_numpy()
    return np.asarray(a)


def _encode_labels(y: np.ndarray, class_names: Sequence[str] | None) -> tuple[np.ndarray, list]:
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
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)  # 0.0 / 1.0 labels read from a CSV
        uniques, codes = np.unique(y if y.dtype != object else y.astype(str), return_inverse=True)
        names = [str(u) for u in uniques]
    if len(np.unique(codes)) < 2:
        raise DataError(f"the labels have a single class ({names[int(codes[0])]!r} for all "
                        f"{len(codes)} samples); classification needs at least 2")
    return codes.astype(np.int64), names


def _arrays_to_raw(X: Any, y: Any, name: str, class_names: Sequence[str] | None,
                   feature_names: Sequence[str] | None) -> RawData:
    X, y = _to_numpy(X), _to_numpy(y)
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} samples but y has {len(y)} labels")
    if X.dtype == bool:
        X = X.astype(np.float32)
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise DataError(f"X must be numeric, got dtype {X.dtype} (encode text columns first, "
                        "or use from_dataframe, which one-hot encodes them)")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim not in (2, 3, 4):
        raise DataError(f"X must be (N, F) features or (N, H, W) / (N, C, H, W) images, "
                        f"got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise DataError(f"X has {int(np.size(X) - np.isfinite(X).sum())} NaN or infinite "
                        "values; fill or drop them first")
    codes, names = _encode_labels(y, class_names)
    kind = "tabular" if X.ndim == 2 else "image"
    if X.ndim == 3:
        X = X[:, None]  # (N, H, W) -> one channel
    scale = 1 / 255 if X.dtype == np.uint8 and kind == "image" else 1.0
    if feature_names is not None and (kind != "tabular" or len(feature_names) != X.shape[1]):
        raise DataError(f"{len(feature_names)} feature_names for {X.shape[1:]} features")
    return RawData(name=name, X=X.copy(), y=codes, class_names=names, kind=kind, scale=scale,
                   feature_names=None if feature_names is None else [str(f) for f in
                                                                     feature_names]).frozen()


def _finish(raw: RawData, *, seed: int, val_fraction: float, test_fraction: float,
            register: bool) -> Dataset:
    ds = build_dataset(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
    if register:
        def loader(seed: int = 0, val_fraction: float = 0.15,
                   test_fraction: float = 0.2) -> Dataset:
            return build_dataset(raw, seed=seed, val_fraction=val_fraction,
                                 test_fraction=test_fraction)

        _registry.register(raw.name, loader, kind=raw.kind)
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
) -> Dataset:
    """A :class:`Dataset` from arrays (numpy, torch, lists).

    Parameters
    ----------
    X : array-like
        ``(N, F)`` (or ``(N,)``) features give a tabular set; ``(N, H, W)`` or
        ``(N, C, H, W)`` images give kind ``"image"``; uint8 images are scaled by 1/255.
        NaN and infinite values are refused.
    y : array-like
        ``N`` labels of any type, at least 2 distinct.
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

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data import from_arrays, is_image_dataset
    >>> imgs = np.random.default_rng(0).integers(0, 256, (60, 12, 12), dtype=np.uint8)
    >>> ds = from_arrays(imgs, np.arange(60) % 3, name="my_images")
    >>> ds.input_shape, is_image_dataset("my_images")
    ((1, 12, 12), True)
    """
    raw = _arrays_to_raw(X, y, name, class_names, feature_names)
    return _finish(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                   register=register)


def _encode_frame(features: pd.DataFrame, one_hot: bool | str,
                  max_categories: int) -> tuple[np.ndarray, list[str]]:
    import pandas as pd

    if one_hot not in (True, False, "auto"):
        raise ConfigError("one_hot", one_hot, "True, False or 'auto'")
    blocks: list[np.ndarray] = []
    names: list[str] = []
    unsupported, text, refused = [], [], []
    for col in features.columns:
        s = features[col]
        if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s)
                                             and not pd.api.types.is_complex_dtype(s)):
            v = s.to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(v)):
                raise DataError(f"column {col!r} has infinite values")
            blocks.append(v[:, None])
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
) -> Dataset:
    """A tabular :class:`Dataset` from a DataFrame: ``target`` is the label column.

    Feature columns are handled by type:

    - numbers and booleans: used as they are (booleans as 0 / 1);
    - ``category`` columns: one-hot encoded, one 0/1 column per category, named
      ``"column=value"`` (unless ``one_hot=False``);
    - text (object / string) columns: one-hot encoded when they have at most
      ``max_categories`` distinct values (``one_hot="auto"``, the default) or always
      (``one_hot=True``); with more values under ``"auto"`` they look like free text or
      IDs and are refused, naming the columns;
    - ``one_hot=False`` refuses every non-numeric column, naming them;
    - dates, durations and other types are refused, naming the columns.

    Missing values (NaN) anywhere are refused with the columns named; so is a target with
    a single class.

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
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if target not in df.columns:
        raise ConfigError("target", target,
                          "one of the columns " + ", ".join(repr(c) for c in df.columns))
    with_nan = [repr(c) for c in df.columns if df[c].isna().any()]
    if with_nan:
        raise DataError("columns with missing values (NaN): " + ", ".join(with_nan)
                        + ". Fill them (df.fillna) or drop those rows (df.dropna) first.")
    features = df.drop(columns=[target])
    if features.shape[1] == 0:
        raise DataError(f"the DataFrame has no feature columns besides target {target!r}")
    X, feature_names = _encode_frame(features, one_hot, max_categories)
    raw = _arrays_to_raw(X, df[target].to_numpy(), name, class_names, feature_names)
    return _finish(raw, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                   register=register)


def from_csv(
    path: str | os.PathLike[str],
    target: str,
    *,
    name: str | None = None,
    **kwargs: Any,
) -> Dataset:
    """A tabular :class:`Dataset` from a CSV file with a header row.

    Reads the file with ``pandas.read_csv`` and passes everything else to
    :func:`from_dataframe` (so text columns are one-hot encoded by default,
    ``one_hot=False`` refuses them, empty cells are refused as missing values).
    ``name`` defaults to the file name without extension.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from optwidgets.data import from_csv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "iris_like.csv"
    >>> _ = p.write_text("a,b,y\\n" + "".join(f"{i},{i % 3},{i % 2}\\n" for i in range(40)))
    >>> from_csv(p, target="y").name
    'iris_like'
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"no CSV file at {path}")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read {path} as CSV: {e}") from None
    return from_dataframe(df, target, name=name or path.stem, **kwargs)
