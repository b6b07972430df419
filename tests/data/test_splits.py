"""Seeded, stratified, disjoint splits; classes; training thinning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import load_dataset
from optwidgets.data.splits import carve_validation, check_fractions, stratified_split


def _rows(X: torch.Tensor) -> set[bytes]:
    return {r.numpy().tobytes() for r in X.reshape(len(X), -1)}


def test_splits_are_disjoint_and_cover_everything():
    y = np.arange(200) % 4
    tr, va, te = stratified_split(y, seed=0, val_fraction=0.15, test_fraction=0.2)
    assert (len(tr), len(va), len(te)) == (130, 30, 40)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(200))


def test_splits_are_stratified():
    y = np.array([0] * 300 + [1] * 100 + [2] * 100)  # imbalanced on purpose
    for part, n in zip(stratified_split(y, seed=3, val_fraction=0.2, test_fraction=0.2),
                       (300, 100, 100)):
        counts = np.bincount(y[part], minlength=3)
        np.testing.assert_allclose(counts / n, [0.6, 0.2, 0.2], atol=0.02)


def test_loaded_splits_stratified_and_disjoint_digits():
    ds = load_dataset("digits", seed=0)
    full = np.bincount(np.concatenate([ds.y_train, ds.y_val, ds.y_test]), minlength=10)
    for y in (ds.y_train, ds.y_val, ds.y_test):
        share = np.bincount(y.numpy(), minlength=10) / len(y)
        np.testing.assert_allclose(share, full / full.sum(), atol=0.012)
    tr, va, te = _rows(ds.X_train), _rows(ds.X_val), _rows(ds.X_test)
    # digits has a few duplicate images; distinct rows shared across splits stay rare
    assert len(tr & te) < 5 and len(tr & va) < 5
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 1797


def test_same_seed_same_tensors_other_seed_other_split():
    a, b, c = (load_dataset("digits", seed=s) for s in (0, 0, 1))
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert not torch.equal(a.y_train, c.y_train)


def test_returned_tensors_do_not_alias_the_cache():
    a = load_dataset("digits")
    a.X_train.fill_(5.0)
    assert float(load_dataset("digits").X_train.max()) == 1.0


def test_carve_validation_sizes():
    tr, va = carve_validation(np.arange(100) % 5, seed=0, val_fraction=0.1)
    assert len(tr) == 90 and len(va) == 10 and not set(tr) & set(va)


@pytest.mark.parametrize("val, test, field", [(0, 0.2, "val_fraction"), (0.2, 0.6, "test_fraction"),
                                              (0.5, 0.45, "test_fraction")])
def test_bad_fractions(val, test, field):
    with pytest.raises(ConfigError, match=field):
        check_fractions(val, test)
    with pytest.raises(ConfigError, match=field):
        load_dataset("xor", val_fraction=val, test_fraction=test)


def test_too_few_samples_to_stratify():
    with pytest.raises(DataError, match="stratified"):
        stratified_split(np.array([0, 0, 0, 1, 1, 1, 2]), seed=0, val_fraction=0.2,
                         test_fraction=0.2)


def test_classes_keep_and_relabel():
    ds = load_dataset("digits", classes=(5, 6, 7, 8, 9))
    assert ds.num_classes == 5 and ds.class_names == ["5", "6", "7", "8", "9"]
    for y in (ds.y_train, ds.y_val, ds.y_test):
        assert set(y.tolist()) == {0, 1, 2, 3, 4}
    full = load_dataset("digits")
    assert len(ds.y_test) == int((full.y_test >= 5).sum())
    # order given is the order kept: label 9 becomes 0
    rev = load_dataset("digits", classes=(9, 3))
    assert rev.class_names == ["9", "3"]
    assert torch.equal(rev.X_test[rev.y_test == 0], full.X_test[full.y_test == 9])


@pytest.mark.parametrize("classes", [(1,), (3, 3), (0, 10), (-1, 2)])
def test_bad_classes(classes):
    with pytest.raises(ConfigError, match="classes"):
        load_dataset("digits", classes=classes)


def test_labels_per_class():
    ds = load_dataset("digits", labels_per_class=7, seed=2)
    assert np.bincount(ds.y_train.numpy()).tolist() == [7] * 10
    full = load_dataset("digits", seed=2)
    assert torch.equal(ds.X_val, full.X_val) and torch.equal(ds.X_test, full.X_test)
    assert _rows(ds.X_train) <= _rows(full.X_train)
    again = load_dataset("digits", labels_per_class=7, seed=2)
    assert torch.equal(ds.X_train, again.X_train)


def test_labels_per_class_too_many_names_max():
    ds = load_dataset("gaussians", n_samples=60)
    most = int(np.bincount(ds.y_train.numpy()).min())
    with pytest.raises(ConfigError) as err:
        load_dataset("gaussians", n_samples=60, labels_per_class=most + 1)
    assert err.value.field == "labels_per_class"
    assert str(most + 1) in str(err.value) and f"at most {most}" in str(err.value)
    assert len(load_dataset("gaussians", n_samples=60, labels_per_class=most).y_train) == 3 * most


def test_train_fraction_thins_train_only_stratified():
    full = load_dataset("digits", seed=0)
    ds = load_dataset("digits", seed=0, train_fraction=0.25)
    assert abs(len(ds.y_train) - 0.25 * len(full.y_train)) <= 1
    assert torch.equal(ds.y_val, full.y_val) and torch.equal(ds.y_test, full.y_test)
    share = np.bincount(ds.y_train.numpy(), minlength=10) / len(ds.y_train)
    np.testing.assert_allclose(share, np.bincount(full.y_train.numpy()) / len(full.y_train),
                               atol=0.02)


def test_classes_then_thinning_combined():
    ds = load_dataset("digits", classes=(0, 1), train_fraction=0.5, labels_per_class=20)
    assert ds.num_classes == 2 and np.bincount(ds.y_train.numpy()).tolist() == [20, 20]


@pytest.mark.parametrize("kw, field", [({"train_fraction": 0.0}, "train_fraction"),
                                       ({"train_fraction": 0.001}, "train_fraction"),
                                       ({"labels_per_class": -1}, "labels_per_class"),
                                       ({"seed": -1}, "seed")])
def test_bad_thinning(kw, field):
    with pytest.raises(ConfigError, match=field):
        load_dataset("digits", **kw)
