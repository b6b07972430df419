"""from_arrays, from_dataframe, from_csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import (
    dataset_names,
    from_arrays,
    from_csv,
    from_dataframe,
    is_image_dataset,
    load_dataset,
)


def _frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "height": rng.normal(size=n),
        "count": np.arange(n),
        "flag": np.arange(n) % 2 == 0,
        "color": pd.Series(["red", "green", "blue"] * (n // 3)),
        "size": pd.Categorical(["S", "M"] * (n // 2), categories=["S", "M", "L"]),
        "species": ["cat", "dog", "cat"] * (n // 3),
    })


def test_from_arrays_tabular_registers_and_resplits():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 5)), rng.integers(0, 3, 100)
    ds = from_arrays(X, y, name="mine", seed=1)
    assert ds.kind == "tabular" and ds.input_shape == (5,) and ds.class_names == ["0", "1", "2"]
    assert ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert "mine" in dataset_names() and not is_image_dataset("mine")
    again = load_dataset("mine", seed=1)
    assert torch.equal(again.X_train, ds.X_train)
    assert not torch.equal(load_dataset("mine", seed=2).y_train, ds.y_train)
    rows = {tuple(r) for r in np.round(X.astype(np.float32), 5).tolist()}
    assert {tuple(r) for r in np.round(ds.X_test.numpy(), 5).tolist()} <= rows


def test_from_arrays_no_register_and_torch_input():
    X, y = torch.randn(40, 3), torch.arange(40) % 2
    ds = from_arrays(X, y, name="unlisted", register=False, class_names=["no", "yes"])
    assert "unlisted" not in dataset_names() and ds.class_names == ["no", "yes"]


@pytest.mark.parametrize("shape, input_shape", [((60, 6, 7), (1, 6, 7)), ((60, 3, 5, 5), (3, 5, 5))])
def test_from_arrays_images(shape, input_shape):
    X = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    ds = from_arrays(X, np.arange(60) % 3, name="pics")
    assert ds.kind == "image" and ds.input_shape == input_shape and is_image_dataset("pics")
    assert float(ds.X_train.max()) <= 1.0  # uint8 scaled by 1/255


def test_from_arrays_string_labels_sorted():
    ds = from_arrays(np.zeros((30, 2)), np.array(["b", "a", "c"] * 10), register=False)
    assert ds.class_names == ["a", "b", "c"]


@pytest.mark.parametrize("X, y, words", [
    (np.zeros((10, 2)), np.zeros(10), "single class"),
    (np.zeros((10, 2)), np.arange(9) % 2, "10 samples but y has 9"),
    (np.array([[1.0, np.nan]] * 10), np.arange(10) % 2, "NaN"),
    (np.zeros((10, 1, 1, 1, 1)), np.arange(10) % 2, "shape"),
    (np.array([["a", "b"]] * 10), np.arange(10) % 2, "numeric"),
    (np.zeros((10, 2)), np.ones((10, 2)), "1-D"),
])
def test_from_arrays_refusals(X, y, words):
    with pytest.raises(DataError, match=words):
        from_arrays(X, y, register=False)


def test_class_names_need_matching_labels():
    with pytest.raises(DataError, match="class_names"):
        from_arrays(np.zeros((20, 2)), np.arange(20) % 3, class_names=["a", "b"], register=False)


def test_builtin_name_refused():
    with pytest.raises(ConfigError, match="name"):
        from_arrays(np.zeros((20, 2)), np.arange(20) % 2, name="digits")


def test_from_dataframe_one_hot_auto():
    ds = from_dataframe(_frame(), target="species", name="zoo")
    assert ds.feature_names == ["height", "count", "flag", "color=blue", "color=green",
                                "color=red", "size=S", "size=M", "size=L"]
    assert ds.class_names == ["cat", "dog"] and ds.input_shape == (9,)
    X = torch.cat([ds.X_train, ds.X_val, ds.X_test])
    assert torch.equal(X[:, 3:6].sum(1), torch.ones(len(X)))  # one color per row
    assert set(X[:, 2].tolist()) == {0.0, 1.0}
    assert "zoo" in dataset_names()


def test_from_dataframe_one_hot_false_names_columns():
    with pytest.raises(DataError) as err:
        from_dataframe(_frame(), target="species", one_hot=False)
    assert "'color'" in str(err.value) and "'size'" in str(err.value) and "one_hot" in str(err.value)
    numeric = _frame()[["height", "count", "species"]]
    assert from_dataframe(numeric, target="species", one_hot=False).input_shape == (2,)


def test_free_text_column_refused_unless_forced():
    df = _frame()
    df["id"] = [f"row{i}" for i in range(len(df))]
    with pytest.raises(DataError, match="'id' \\(60 distinct values\\)"):
        from_dataframe(df, target="species")
    assert from_dataframe(df, target="species", one_hot=True).input_shape == (9 + 60,)


def test_unsupported_dtype_refused():
    df = _frame()
    df["when"] = pd.date_range("2024-01-01", periods=len(df))
    with pytest.raises(DataError, match="'when'"):
        from_dataframe(df, target="species")


def test_nan_refused_naming_columns():
    df = _frame()
    df.loc[3, "height"] = np.nan
    df.loc[5, "color"] = None
    with pytest.raises(DataError) as err:
        from_dataframe(df, target="species")
    assert "'height'" in str(err.value) and "'color'" in str(err.value)
    assert "'count'" not in str(err.value)


def test_missing_target_names_value_and_columns():
    with pytest.raises(ConfigError) as err:
        from_dataframe(_frame(), target="label")
    assert err.value.field == "target" and "'label'" in str(err.value)
    for col in ("height", "species"):
        assert repr(col) in str(err.value)


def test_one_class_target_refused():
    df = _frame()
    df["species"] = "cat"
    with pytest.raises(DataError, match="single class"):
        from_dataframe(df, target="species")


def test_from_csv(tmp_path):
    path = tmp_path / "animals.csv"
    _frame().to_csv(path, index=False)
    ds = from_csv(path, target="species")
    assert ds.name == "animals" and "animals" in dataset_names()
    # a csv has no category dtype: 'size' is text with its 2 seen values
    assert ds.feature_names[-2:] == ["size=M", "size=S"] and ds.input_shape == (8,)
    with pytest.raises(ConfigError, match="target='nope'.*'height'"):
        from_csv(path, target="nope")
    with pytest.raises(DataError, match="'color'"):
        from_csv(path, target="species", one_hot=False)
    with pytest.raises(DataError, match="no CSV file"):
        from_csv(tmp_path / "missing.csv", target="y")


def test_from_csv_numeric_labels_and_empty_cells(tmp_path):
    path = tmp_path / "nums.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i * 2},{float(i % 2)}\n" for i in range(30)))
    ds = from_csv(path, target="y", name="nums")
    assert ds.class_names == ["0", "1"] and ds.feature_names == ["a", "b"]
    path.write_text("a,b,y\n1,,0\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(30)))
    with pytest.raises(DataError, match="'b'"):
        from_csv(path, target="y")
