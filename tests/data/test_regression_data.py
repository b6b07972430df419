"""Regression data: the built-in sets (diabetes, sine, ripple), telling a continuous target
from class labels, unstratified splits, and your own continuous targets through arrays,
DataFrames and CSV files."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import (
    REGRESSION_DATASETS,
    as_dataset,
    dataset_names,
    dataset_task,
    from_arrays,
    from_csv,
    from_dataframe,
    is_image_dataset,
    load_dataset,
    register,
    unregister,
)
from optwidgets.data.regression import (
    infer_task,
    make_regression_toy,
    regression_targets,
    standardize_targets,
)
from optwidgets.data.saved import write_splits


def test_the_regression_sets_are_built_in_and_declare_their_task():
    assert REGRESSION_DATASETS == ("diabetes", "sine", "ripple")
    assert dataset_names()[:3] == ["digits", "moons", "circles"]  # the order others rely on
    for name in REGRESSION_DATASETS:
        assert name in dataset_names() and dataset_task(name) == "regression"
        assert not is_image_dataset(name)
    assert dataset_task("digits") == dataset_task("moons") == "classification"


@pytest.mark.parametrize("name,features", [("diabetes", 10), ("sine", 1), ("ripple", 2)])
def test_a_regression_dataset_has_float_targets_and_one_output(name, features):
    ds = load_dataset(name, seed=0)
    assert ds.task == "regression" and ds.num_classes == 1 and len(ds.class_names) == 1
    assert ds.input_shape == (features,)
    for split in ("train", "val", "test"):
        y = getattr(ds, f"y_{split}")
        assert y.dtype == torch.float32 and y.dim() == 1
    n = len(ds.y_train) + len(ds.y_val) + len(ds.y_test)
    assert len(ds.y_test) == math.ceil(0.2 * n) and ds.summary()["task"] == "regression"


def test_diabetes_is_scikit_learns_without_a_download():
    from sklearn.datasets import load_diabetes

    ds = load_dataset("diabetes", seed=0)
    ref = load_diabetes()
    got = torch.cat([ds.y_train, ds.y_val, ds.y_test]).sort().values.numpy()
    np.testing.assert_allclose(got, np.sort(ref.target).astype(np.float32))
    assert ds.feature_names == list(ref.feature_names)


def test_toy_regression_sets_are_seeded_and_take_n_samples_and_noise():
    a = make_regression_toy("ripple", n_samples=200, noise=0.0, seed=3)
    b = make_regression_toy("ripple", n_samples=200, noise=0.0, seed=3)
    c = make_regression_toy("ripple", n_samples=200, noise=0.0, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    X, y = a
    np.testing.assert_allclose(y, np.cos(2 * np.linalg.norm(X, axis=1)), atol=1e-6)
    X, y = make_regression_toy("sine", n_samples=400, noise=0.5, seed=0)
    residual = y - np.sin(np.pi * X[:, 0])
    assert X.shape == (400, 1) and 0.4 < residual.std() < 0.6  # noise is in target units
    assert len(load_dataset("sine", n_samples=100).y_test) == 20
    with pytest.raises(ConfigError, match="n_samples"):
        make_regression_toy("sine", n_samples=5)
    with pytest.raises(ConfigError, match="noise"):
        make_regression_toy("sine", noise=-1.0)


def test_splits_are_seeded_disjoint_and_not_stratified():
    a, b = load_dataset("sine", seed=1), load_dataset("sine", seed=1)
    assert torch.equal(a.X_test, b.X_test)
    c = load_dataset("sine", seed=2)
    assert not torch.equal(a.X_test, c.X_test)
    xs = torch.cat([a.X_train, a.X_val, a.X_test])[:, 0]
    assert len(torch.unique(xs)) == 1000  # every sample once


def test_class_options_are_refused_naming_the_field():
    with pytest.raises(ConfigError, match="classes=.*regression"):
        load_dataset("diabetes", classes=(0, 1))
    with pytest.raises(ConfigError, match="labels_per_class=5.*regression"):
        load_dataset("diabetes", labels_per_class=5)
    thinned = load_dataset("sine", train_fraction=0.5)
    assert len(thinned.y_train) == 325  # half of 650, val and test untouched
    assert len(thinned.y_test) == 200


@pytest.mark.parametrize("y,task", [
    (np.linspace(0, 1, 100), "regression"),  # fractional floats
    (np.arange(100) + 0.0, "regression"),  # 100 distinct whole floats for 100 rows
    (np.array([0.0, 1.0, 2.0] * 30), "classification"),  # whole floats: labels
    (np.arange(100), "classification"),  # integers are labels (or refused as IDs)
    (np.array(["a", "b"] * 20), "classification"),
])
def test_the_task_is_inferred_from_the_targets(y, task):
    assert infer_task(y) == task


def test_continuous_targets_from_arrays_make_a_regression_set():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    ds = from_arrays(X, y, name="reg_arrays")
    try:
        assert ds.task == "regression" and dataset_task("reg_arrays") == "regression"
        again = load_dataset("reg_arrays", seed=3)  # re-split by a run's seed
        assert again.task == "regression" and again.y_train.dtype == torch.float32
    finally:
        unregister("reg_arrays")
    # integer targets are classes unless asked for: then they are numbers
    counts = np.arange(200) % 7
    assert from_arrays(X, counts, register=False).task == "classification"
    ds = from_arrays(X, counts, register=False, task="regression")
    assert ds.task == "regression" and float(ds.y_train.max()) == 6.0


def test_continuous_targets_from_a_dataframe_and_a_csv(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"area": rng.uniform(20, 200, 120), "kind": ["flat", "house"] * 60})
    df["price"] = df["area"] * 3.5 + (df["kind"] == "house") * 40 + rng.normal(0, 5, 120)
    ds = from_dataframe(df, target="price", register=False)
    assert ds.task == "regression" and ds.class_names == ["price"]
    assert ds.feature_names == ["area", "kind=flat", "kind=house"]
    path = tmp_path / "prices.csv"
    df.to_csv(path, index=False)
    ds = from_csv(path, target="price", register=False)
    assert ds.task == "regression" and len(ds.y_test) == 24
    test = as_dataset(df.iloc[:100], target="price", test=df.iloc[100:])
    assert test.task == "regression" and len(test.y_test) == 20


def test_bad_continuous_targets_are_refused_with_a_reason():
    X = np.zeros((50, 2))
    y = np.linspace(0, 1, 50)
    y[3] = np.nan
    with pytest.raises(DataError, match="NaN or infinite"):
        from_arrays(X, y, register=False, task="regression")
    with pytest.raises(DataError, match="single value"):
        from_arrays(X, np.full(50, 2.5), register=False, task="regression")
    with pytest.raises(DataError, match="not numbers"):
        from_arrays(X, np.array(["a", "b"] * 25), register=False, task="regression")
    with pytest.raises(ConfigError, match="task='ordinal'"):
        regression_targets(y, None, "y", "ordinal")
    with pytest.raises(ConfigError, match="task='ordinal'"):
        register("bad_task", lambda seed=0: None, task="ordinal")


def test_standardized_targets_keep_their_units():
    ds = standardize_targets(load_dataset("diabetes", seed=0))
    assert abs(float(ds.y_train.mean())) < 1e-5 and abs(float(ds.y_train.std()) - 1) < 1e-2
    mean, std = ds.target_scale
    raw = load_dataset("diabetes", seed=0)
    torch.testing.assert_close(ds.y_test * std + mean, raw.y_test, rtol=1e-5, atol=1e-3)
    assert standardize_targets(load_dataset("moons")).target_scale == (0.0, 1.0)


def test_saving_regression_data_is_refused_clearly():
    with pytest.raises(DataError, match="regression target"):
        write_splits(load_dataset("sine", n_samples=40), "sine_40")
