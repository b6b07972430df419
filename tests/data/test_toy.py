"""The generated toy 2-D sets."""

from __future__ import annotations

import numpy as np
import pytest

from optwidgets.core.errors import ConfigError
from optwidgets.data import TOY_DATASETS, is_image_dataset, load_dataset
from optwidgets.data.toy import TOY_CLASSES, make_toy


def test_names():
    assert TOY_DATASETS == ("moons", "circles", "spiral", "xor", "gaussians")


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_each_toy_set(name):
    X, y = make_toy(name, n_samples=301, noise=0.1, seed=0)
    assert X.shape == (301, 2) and X.dtype == np.float32 and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == TOY_CLASSES[name] and counts.max() - counts.min() <= 1  # balanced
    assert np.abs(X).max() < 4
    ds = load_dataset(name, n_samples=301, noise=0.1)
    assert ds.kind == "tabular" and ds.input_shape == (2,) and ds.feature_names == ["x1", "x2"]
    assert ds.num_classes == TOY_CLASSES[name] and not is_image_dataset(name)
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 301


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_seeded_and_noise_matters(name):
    a, b = make_toy(name, n_samples=100, noise=0.2, seed=4), make_toy(name, n_samples=100,
                                                                      noise=0.2, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    other = make_toy(name, n_samples=100, noise=0.2, seed=5)
    assert not np.array_equal(a[0], other[0])
    # more noise: points move further from the noise-free shape (same seed, same draws)
    clean = make_toy(name, n_samples=100, noise=0.0, seed=4)[0]
    noisy = make_toy(name, n_samples=100, noise=0.5, seed=4)[0]
    assert np.abs(noisy - clean).mean() > np.abs(a[0] - clean).mean() > 0


def _nearest_neighbour_accuracy(X, y):
    d = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return (y[d.argmin(1)] == y).mean()


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_noise_free_sets_are_learnable(name):
    X, y = make_toy(name, n_samples=400, noise=0.0, seed=0)
    assert _nearest_neighbour_accuracy(X, y) > 0.95


def test_xor_quadrants_and_spiral_arms():
    X, y = make_toy("xor", n_samples=200, noise=0.0, seed=0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    X, y = make_toy("spiral", n_samples=200, noise=0.0, seed=0)
    r = np.linalg.norm(X, axis=1)
    assert r.max() <= 1.0 + 1e-6
    # the two arms are point reflections of each other: same radius range
    assert abs(r[y == 0].mean() - r[y == 1].mean()) < 0.1


@pytest.mark.parametrize("kw, field", [({"n_samples": 5}, "n_samples"),
                                       ({"noise": -1.0}, "noise"),
                                       ({"n_samples": 50.5}, "n_samples")])
def test_bad_arguments(kw, field):
    with pytest.raises(ConfigError, match=field):
        make_toy("moons", **kw)


def test_unknown_toy_name():
    with pytest.raises(ConfigError, match="did you mean 'moons'"):
        make_toy("moon")
