"""Names, is_image_dataset, register, load_dataset and load_dataset_for."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import (
    Dataset,
    dataset_names,
    is_image_dataset,
    load_dataset,
    register,
    unregister,
)
from optwidgets.runs.prepare import load_dataset_for


def test_builtin_names_and_kinds():
    names = dataset_names()
    assert names[:9] == ["digits", "moons", "circles", "spiral", "xor", "gaussians", "mnist",
                         "fashion_mnist", "cifar10"]
    for n in ("digits", "mnist", "fashion_mnist", "cifar10"):
        assert is_image_dataset(n)
    for n in ("moons", "circles", "spiral", "xor", "gaussians"):
        assert not is_image_dataset(n)


def test_is_image_dataset_does_not_load(home):
    # mnist is not in the (empty) data home: answering must not try to load it
    assert is_image_dataset("mnist")
    assert not home.exists() or not any(home.iterdir())


def test_unknown_name_suggests():
    with pytest.raises(ConfigError, match="did you mean 'digits'"):
        load_dataset("digit")
    with pytest.raises(ConfigError, match="dataset"):
        is_image_dataset("nope")


def test_digits_values():
    ds = load_dataset("digits")
    assert ds.kind == "image" and ds.input_shape == (1, 8, 8) and ds.num_classes == 10
    assert ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert float(ds.X_train.min()) == 0.0 and float(ds.X_train.max()) == 1.0
    assert ds.class_names == [str(i) for i in range(10)]
    assert (ds.X_train * 16 == (ds.X_train * 16).round()).all()  # pixel/16


def _fixed(kind="tabular") -> Dataset:
    base = load_dataset("digits") if kind == "image" else load_dataset("gaussians", n_samples=90)
    return base


def test_register_dataset_object():
    ds = _fixed()
    register("fixed", ds)
    assert "fixed" in dataset_names() and not is_image_dataset("fixed")
    got = load_dataset("fixed", seed=7)
    assert got.name == "fixed" and torch.equal(got.X_test, ds.X_test)
    sub = load_dataset("fixed", classes=(2, 0), labels_per_class=3)
    assert sub.class_names == ["2", "0"] and len(sub.y_train) == 6
    register("imgs", _fixed("image"))
    assert is_image_dataset("imgs")


def test_register_keyword_loader_gets_what_it_names():
    calls = []

    def loader(seed, val_fraction, test_fraction, n_samples):
        calls.append((seed, val_fraction, test_fraction, n_samples))
        return load_dataset("moons", seed=seed, val_fraction=val_fraction,
                            test_fraction=test_fraction, n_samples=n_samples)

    register("my_moons", loader, kind="tabular")
    assert not is_image_dataset("my_moons") and not calls  # kind given: nothing loaded
    ds = load_dataset("my_moons", seed=3, n_samples=100, labels_per_class=10)
    assert calls == [(3, 0.15, 0.2, 100)]
    assert ds.name == "my_moons" and len(ds.y_train) == 20  # thinning applied afterwards


def test_register_positional_loader_and_kind_discovery():
    calls = []

    def loader(s, v, t):
        calls.append((s, v, t))
        return load_dataset("digits", seed=s, val_fraction=v, test_fraction=t)

    register("pos", loader)
    assert is_image_dataset("pos") and calls == [(0, 0.15, 0.2)]
    is_image_dataset("pos")
    assert len(calls) == 1  # the kind is remembered


def test_loader_that_handles_subsets_itself():
    def loader(**kw):
        return load_dataset("digits", **kw)

    register("kw", loader)
    ds = load_dataset("kw", classes=(1, 2), train_fraction=0.5, labels_per_class=4)
    assert ds.num_classes == 2 and len(ds.y_train) == 8


def test_register_as_decorator_and_unregister():
    @register("deco", kind="image")
    def deco(seed=0, val_fraction=0.15, test_fraction=0.2):
        return load_dataset("digits", seed=seed)

    assert callable(deco) and is_image_dataset("deco")
    unregister("deco")
    assert "deco" not in dataset_names()


def test_register_refusals():
    with pytest.raises(ConfigError, match="name"):
        register("digits", _fixed())
    with pytest.raises(ConfigError, match="name"):
        register("", _fixed())
    with pytest.raises(ConfigError, match="kind"):
        register("x", lambda **kw: None, kind="audio")
    with pytest.raises(ConfigError, match="dataset_or_loader"):
        register("x", 42)
    register("bad", lambda seed, val_fraction, test_fraction: "not a dataset")
    with pytest.raises(DataError, match="not a Dataset"):
        load_dataset("bad")


def test_load_dataset_for_passes_the_config_fields():
    cfg = SimpleNamespace(dataset="spiral", seed=4, val_fraction=0.1, test_fraction=0.3,
                          n_samples=200, noise=0.05, classes=(), train_fraction=0.5,
                          labels_per_class=0)
    ds = load_dataset_for(cfg)
    direct = load_dataset("spiral", seed=4, val_fraction=0.1, test_fraction=0.3, n_samples=200,
                          noise=0.05, train_fraction=0.5)
    assert torch.equal(ds.X_train, direct.X_train) and len(ds.y_test) == 60


def test_load_dataset_for_real_runconfig():
    config = pytest.importorskip("optwidgets.config")
    try:
        cfg = config.RunConfig(dataset="digits", model="mlp", classes=(3, 4), seed=1)
    except ConfigError as e:  # pragma: no cover - model registry not there yet
        pytest.skip(f"RunConfig not constructible here: {e}")
    ds = load_dataset_for(cfg)
    assert ds.num_classes == 2 and ds.class_names == ["3", "4"]
