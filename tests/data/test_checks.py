"""Your own data is refused at load time, with the column (or file, or array), the row and
the value named: empty data, continuous targets, values beyond float32, text in numeric
columns. Each case is checked in every form it can arrive in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from optwidgets.core.errors import DataError
from optwidgets.data import as_dataset, from_arrays, from_csv, from_dataframe
from optwidgets.data.checks import MAX_DISTINCT_LABELS, check_labels, format_bytes, stray_text

N = 200


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=N), "w": rng.normal(size=N),
                         "label": np.arange(N) % 2})


def _refused(call, *words):
    with pytest.raises(DataError) as err:
        call()
    msg = str(err.value)
    for word in words:
        assert word in msg, (word, msg)
    return msg


# ------------------------------------------------------------------- empty data ----
def test_header_only_csv_names_the_file_and_columns(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("x,w,label\n")
    _refused(lambda: from_csv(path, target="label"), str(path), "no data rows", "'label'")
    _refused(lambda: as_dataset(path, target="label"), str(path), "no data rows")
    path.write_text("")
    _refused(lambda: from_csv(path, target="label"), str(path))


@pytest.mark.parametrize("data", [
    (np.zeros((0, 3)), np.zeros(0)),
    (torch.zeros(0, 1, 8, 8), torch.zeros(0)),
    ([], []),
], ids=["numpy", "torch images", "lists"])
def test_zero_row_arrays(data):
    _refused(lambda: from_arrays(*data, register=False), "has no rows")
    _refused(lambda: as_dataset(data), "has no rows")


def test_empty_frames_and_torch_data(frame):
    _refused(lambda: from_dataframe(frame.iloc[:0], target="label"), "DataFrame has no rows")
    empty = TensorDataset(torch.zeros(0, 3), torch.zeros(0))
    _refused(lambda: as_dataset(empty), "TensorDataset", "no rows")
    _refused(lambda: as_dataset(DataLoader(empty)), "DataLoader", "no batches")
    _refused(lambda: as_dataset((np.zeros((10, 0)), np.arange(10) % 2)), "no features")
    _refused(lambda: as_dataset(frame, target="label", test=frame.iloc[:0]),
             "the test DataFrame has no rows")


# ----------------------------------------------------------- regression targets ----
# A continuous target makes a regression set by default (task="auto"; see
# tests/data/test_regression_data.py); asked for classification, it is refused, named.
def test_continuous_target_in_a_frame_names_the_column(frame):
    df = frame.assign(price=np.linspace(1.0, 2.0, N)).drop(columns="label")
    assert from_dataframe(df, target="price", register=False).task == "regression"
    _refused(lambda: from_dataframe(df, target="price", task="classification"),
             "target column 'price'",
             "looks like a regression target", f"{N} distinct float values for {N} rows",
             "classification needs class labels")


def test_continuous_target_in_arrays_and_csv(frame, tmp_path):
    X = np.array(frame[["x", "w"]])
    _refused(lambda: from_arrays(X, frame["x"].to_numpy(), register=False,
                                 task="classification"),
             "y looks like a regression target", f"{N} distinct float values")
    path = tmp_path / "prices.csv"
    frame.assign(label=frame["x"] * 100).to_csv(path, index=False)
    _refused(lambda: from_csv(path, target="label", task="classification"),
             "target column 'label'", str(path), "regression target")
    # torch labels too
    _refused(lambda: as_dataset(TensorDataset(torch.from_numpy(X), torch.rand(N)),
                                task="classification"), "regression target")


def test_many_distinct_labels_are_not_classes():
    X = np.zeros((N, 2))
    _refused(lambda: from_arrays(X, np.arange(N), register=False),
             f"{N} distinct int values for {N} rows",
             f"more than {MAX_DISTINCT_LABELS} distinct values")
    _refused(lambda: from_arrays(X, [f"id{i}" for i in range(N)], register=False),
             "looks like IDs or free text", f"{N} distinct values for {N} rows")


@pytest.mark.parametrize("labels", [
    np.array([0.0, 1.0, 2.0] * 40),  # whole floats, as read from a CSV: classes
    np.arange(120) % 60,  # 60 classes for 120 rows: not more than half the rows
    np.arange(120) % 51 + 0.0,
    np.arange(50),  # 50 distinct: the limit itself
])
def test_class_labels_that_pass(labels):
    check_labels(labels, "y")


def test_whole_float_labels_become_classes():
    ds = from_arrays(np.zeros((30, 2)), np.array([0.0, 1.0, 2.0] * 10), register=False)
    assert ds.class_names == ["0", "1", "2"]


def test_missing_labels_in_arrays():
    _refused(lambda: from_arrays(np.zeros((10, 2)), [0, 1, np.nan, 1, 0, 1, 0, 1, 0, 1],
                                 register=False), "1 missing labels (NaN)")


# ------------------------------------------------------------ beyond float32 ----
def test_value_beyond_float32_names_column_row_and_value(frame, tmp_path):
    df = frame.copy()
    df.loc[17, "w"] = 5e38
    msg = _refused(lambda: from_dataframe(df, target="label"), "column 'w'", "5e+38",
                   "row 17", "float32")
    assert "inf" in msg
    path = tmp_path / "huge.csv"
    df.to_csv(path, index=False)
    _refused(lambda: from_csv(path, target="label"), "column 'w'", str(path), "5e+38",
             "line 19")  # line 1 is the header: row 17 is line 19
    X = np.array(frame[["x", "w"]])
    X[3, 1] = -1e300
    _refused(lambda: from_arrays(X, frame["label"], register=False), "X has -1e+300",
             "index (3, 1)", "float32")
    # the largest float32 itself is fine
    X[3, 1] = float(np.finfo(np.float32).max)
    assert from_arrays(X, frame["label"], register=False).n_features == 2


# ---------------------------------------------------- text in numeric columns ----
def test_stray_string_in_a_numeric_column_is_not_one_hot_encoded(frame):
    df = frame.copy()
    df["x"] = df["x"].astype(object)
    df.loc[7, "x"] = "abc"
    _refused(lambda: from_dataframe(df, target="label"), "column 'x' is numeric except for "
             "'abc' in row 7")
    df.loc[9, "x"] = "n/a"
    _refused(lambda: from_dataframe(df, target="label"), "'abc' in row 7",
             "and 1 more values")
    # on purpose: a category column is one-hot encoded whatever its values
    df["x"] = df["x"].astype(str).astype("category")
    assert from_dataframe(df, target="label", one_hot=True).n_features > 2


def test_stray_string_in_a_csv_names_the_line(tmp_path):
    rows = [f"{i * 0.5},{i % 3},{i % 2}" for i in range(60)]
    rows[5] = "abc,1,1"
    path = tmp_path / "dirty.csv"
    path.write_text("x,w,label\n" + "\n".join(rows) + "\n")
    _refused(lambda: from_csv(path, target="label"), "column 'x'", str(path),
             "numeric except for 'abc' in line 7")
    rows[5] = "2.5,1,?"
    path.write_text("x,w,label\n" + "\n".join(rows) + "\n")
    _refused(lambda: from_csv(path, target="label"), "target column 'label'",
             "except for '?' in line 7")


def test_stray_string_in_object_arrays_names_the_index():
    X = np.arange(40, dtype=float).reshape(20, 2).astype(object)
    X[4, 1] = "oops"
    _refused(lambda: from_arrays(X, np.arange(20) % 2, register=False),
             "X is numeric except for 'oops' at index (4, 1)")
    X[4, 1] = 9.0  # numbers stored as objects are numbers
    assert from_arrays(X, np.arange(20) % 2, register=False).n_features == 2


def test_text_columns_are_still_categories(frame):
    df = frame.assign(color=["red", "green", "blue", "7"] * (N // 4))  # 1 number in 4: text
    ds = from_dataframe(df, target="label")
    assert ds.feature_names[-4:] == ["color=7", "color=blue", "color=green", "color=red"]
    assert stray_text(pd.Series(["1", "2", "x", "y"])) is None  # half text: a category


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 2048, 3 * 1024**3)] == ["0 B", "2 KiB", "3 GiB"]
