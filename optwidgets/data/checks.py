"""What your own data must satisfy, checked where it enters, with errors that name the
column (or array), the row and the value.

The rules, in the order they are checked:

- **not empty**: at least one row (a header-only CSV, zero-row arrays, a torch Dataset of
  length 0 are refused) and at least one feature;
- **numbers are numbers**: a text column whose values are mostly numbers (more than half
  parse as numbers) is dirty data, not a category: it is refused naming the column, the
  first value that is not a number and its row (make it a pandas ``category`` to one-hot
  encode it on purpose);
- **fits in float32**: training uses float32, so a value finite in float64 but beyond
  float32's range (about ±3.4e38) would turn into inf; refused naming column, row, value;
- **class labels, not a measurement**: a target is refused as a regression target when it
  holds float values that are not whole numbers, or more than :data:`MAX_DISTINCT_LABELS`
  distinct values and more distinct values than half the rows;
- **fits in memory**: features are held as float32 tensors; more than :data:`MAX_BYTES`
  (2 GiB) is refused with the size it would take.

Example
-------
>>> import numpy as np
>>> from optwidgets.data.checks import check_labels
>>> check_labels(np.linspace(0, 1, 200), "target column 'price'")
Traceback (most recent call last):
...
optwidgets.core.errors.DataError: target column 'price' looks like a regression target: 200 distinct float values for 200 rows (values that are not whole numbers, e.g. 0.005025); classification needs class labels. Bin the values into classes first (e.g. pandas.cut), or, if they are labels, convert them to int or str.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from optwidgets.core.errors import DataError

__all__ = [
    "MAX_BYTES",
    "MAX_DISTINCT_LABELS",
    "FLOAT32_MAX",
    "check_not_empty",
    "check_fits_in_memory",
    "check_float32_range",
    "check_labels",
    "stray_text",
    "refuse_stray_text",
    "format_bytes",
]

# Features are held in memory as float32 tensors (on the CPU, then on the device): 2 GiB
# is about 700 MB of uint8 images as stored, and leaves room for the model on a laptop.
# Beyond it, train on a subset or with your own DataLoader-based loop.
MAX_BYTES = 2 * 1024**3
# A target with more distinct values than this, and than half its rows, is not a set of
# class labels (IDs, prices, measurements); 50 is also the largest text category count
# one-hot encoded by default (custom.MAX_CATEGORIES).
MAX_DISTINCT_LABELS = 50
FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028235e+38


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``: binary units, three significant digits.

    Example
    -------
    >>> from optwidgets.data.checks import format_bytes
    >>> format_bytes(3 * 1024**3), format_bytes(100)
    ('3 GiB', '100 B')
    """
    if n < 1024:
        return f"{int(n)} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.3g} {unit}" if n < 1000 else f"{n:,.0f} {unit}"
    raise AssertionError("unreachable")


def check_not_empty(n_rows: int, n_features: int, what: str) -> None:
    """Refuse data with no rows or no features; ``what`` names it (``"X"``, a file).

    Example
    -------
    >>> from optwidgets.data.checks import check_not_empty
    >>> check_not_empty(0, 3, "X (shape (0, 3))")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.DataError: X (shape (0, 3)) has no rows: there is nothing to train on
    """
    if n_rows == 0:
        raise DataError(f"{what} has no rows: there is nothing to train on")
    if n_features == 0:
        raise DataError(f"{what} has no features (0 values per sample)")


def check_fits_in_memory(n_rows: int, sample_shape: Sequence[int], what: str) -> None:
    """Refuse data whose float32 features would take more than :data:`MAX_BYTES`.

    Example
    -------
    >>> from optwidgets.data.checks import check_fits_in_memory
    >>> check_fits_in_memory(50_000, (3, 32, 32), "CIFAR-sized arrays")  # 614 MB: fine
    """
    size = n_rows * math.prod(int(d) for d in sample_shape) * 4
    if size > MAX_BYTES:
        shape = "x".join(str(int(d)) for d in sample_shape)
        raise DataError(
            f"{what} would take {format_bytes(size)} as float32 tensors ({n_rows:,} samples "
            f"of {shape} values); data is held in memory and the limit is "
            f"{format_bytes(MAX_BYTES)} (optwidgets.data.checks.MAX_BYTES). Use a subset "
            "(e.g. torch.utils.data.Subset or fewer rows), smaller images, or fewer features."
        )


def check_float32_range(values: np.ndarray, what: str,
                        columns: Sequence[str] | None = None,
                        rows: Sequence[Any] | None = None, row_word: str = "row") -> None:
    """Refuse finite values that float32 cannot hold (they would become inf in training).

    ``columns`` names the columns of a 2-D ``values`` (then the error names the column and
    the row: ``rows`` are the row labels, ``row_word`` what a row is called, e.g. ``"line"``
    of a CSV file); otherwise the error gives the index into ``values``.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.checks import check_float32_range
    >>> check_float32_range(np.array([[1.0, 2e39]]), "the DataFrame", columns=["a", "income"])
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.DataError: column 'income' of the DataFrame has 2e+39 in row 0, beyond float32's range (largest 3.4e+38), which training uses: it would become inf. Rescale the column (e.g. divide it by a power of ten) or take its logarithm.
    """
    if values.dtype.kind != "f" or values.dtype.itemsize <= 4 or values.size == 0:
        return
    big = np.abs(values) > FLOAT32_MAX
    if not big.any():
        return
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(big)), values.shape))
    value = values[index]
    if columns is not None and values.ndim == 2:
        row = index[0] if rows is None else rows[index[0]]
        where = f"column {columns[index[1]]!r} of {what} has {value:.4g} in {row_word} {row}"
    else:
        where = f"{what} has {value:.4g} at index {index}"
    raise DataError(
        f"{where}, beyond float32's range (largest {FLOAT32_MAX:.2g}), which training uses: "
        "it would become inf. Rescale the column (e.g. divide it by a power of ten) or take "
        "its logarithm."
    )


def stray_text(values: pd.Series) -> tuple[Any, Any, int] | None:
    """For a text column that is mostly numbers: (first non-number, its row label, count).

    None when the column has no text, or is mostly text (a genuine category column).

    Example
    -------
    >>> import pandas as pd
    >>> from optwidgets.data.checks import stray_text
    >>> stray_text(pd.Series(["1.5", "2", "abc", "4"]))
    ('abc', 2, 1)
    >>> stray_text(pd.Series(["red", "blue", "7"])) is None
    True
    """
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return None
    present = values[values.notna()]
    as_numbers = pd.to_numeric(present, errors="coerce")
    bad = as_numbers.isna().to_numpy()
    n_bad = int(bad.sum())
    if n_bad == 0 or n_bad * 2 >= len(present):  # all numbers, or half or more are text
        return None
    first = int(np.argmax(bad))
    return present.iloc[first], present.index[first], n_bad


def refuse_stray_text(values: pd.Series, what: str, row_word: str = "row") -> None:
    """Raise :class:`DataError` if :func:`stray_text` finds text in a numeric column.

    Example
    -------
    >>> import pandas as pd
    >>> from optwidgets.data.checks import refuse_stray_text
    >>> refuse_stray_text(pd.Series(["1", "2", "3", "x", "5"]), "column 'w'")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.DataError: column 'w' is numeric except for 'x' in row 3. Fix or drop that row; to one-hot encode the column on purpose, make it a pandas category (df[col].astype('category')).
    """
    found = stray_text(values)
    if found is None:
        return
    value, row, count = found
    more = f" (and {count - 1} more values that are not numbers)" if count > 1 else ""
    raise DataError(
        f"{what} is numeric except for {value!r} in {row_word} {row}{more}. Fix or drop "
        f"{'that row' if count == 1 else 'those rows'}; to one-hot encode the column on "
        "purpose, make it a pandas category (df[col].astype('category'))."
    )


def check_labels(y: np.ndarray, what: str) -> None:
    """Refuse labels that look like a regression target (see the module rules).

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.checks import check_labels
    >>> check_labels(np.array([0.0, 1.0, 2.0] * 20), "y")  # whole numbers: class labels
    >>> check_labels(np.arange(300), "y")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.DataError: y looks like a regression target: 300 distinct int values for 300 rows (more than 50 distinct values, and more than half the rows); classification needs class labels. Bin the values into classes first (e.g. pandas.cut), or, if they are labels, convert them to int or str.
    """
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise DataError(f"{what} has {int(np.isnan(y).sum())} missing labels (NaN); drop "
                        "those rows or fill them first")
    n = len(y)
    if y.dtype.kind == "f":
        fractional = np.mod(y, 1) != 0
        if fractional.any():
            reason = (f"values that are not whole numbers, e.g. "
                      f"{float(y[np.argmax(fractional)]):.4g}")
        else:
            reason = ""
    else:
        reason = ""
    distinct = len(np.unique(y if y.dtype != object else y.astype(str)))
    if not reason and distinct > MAX_DISTINCT_LABELS and distinct * 2 > n:
        reason = (f"more than {MAX_DISTINCT_LABELS} distinct values, and more than half the "
                  "rows")
    if reason:
        kind = {"f": "float", "i": "int", "u": "int", "b": "bool"}.get(y.dtype.kind, "text")
        if kind == "text":
            raise DataError(
                f"{what} looks like IDs or free text, not class labels: {distinct} distinct "
                f"values for {n} rows ({reason}); classification needs a few labels, each "
                "shared by many rows."
            )
        raise DataError(
            f"{what} looks like a regression target: {distinct} distinct {kind} values for "
            f"{n} rows ({reason}); classification needs class labels. Bin the values into "
            "classes first (e.g. pandas.cut), or, if they are labels, convert them to int "
            "or str."
        )
