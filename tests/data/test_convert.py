"""as_dataset: every usual form of data becomes the same Dataset; register_dataset_object,
use_data, prepare_data and ow.run(data=...) all go through it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, Subset, TensorDataset
from torch.utils.data import Dataset as TorchDataset

import optwidgets as ow
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import as_dataset, checks, dataset_names, load_dataset
from optwidgets.data import register_dataset_object as register_object
from optwidgets.runs.prepare import prepare_data
from optwidgets.runs.userdata import use_data

N = 120


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y


class Pairs(TorchDataset):
    """A map-style Dataset of (x, y) that counts how often it is read."""

    def __init__(self, X, y):
        self.X, self.y, self.reads = torch.as_tensor(X), torch.as_tensor(y), 0

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        self.reads += 1
        return self.X[i], int(self.y[i])


def _all_rows(ds):
    X = torch.cat([ds.X_train, ds.X_val, ds.X_test])
    y = torch.cat([ds.y_train, ds.y_val, ds.y_test])
    order = torch.argsort(X[:, 0])
    return X[order], y[order]


def test_every_form_gives_the_same_dataset(arrays, tmp_path):
    X, y = arrays
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": y})
    df.to_csv(tmp_path / "table.csv", index=False)
    tensor_ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    forms = {
        "numpy": (X, y),
        "torch": (torch.from_numpy(X), torch.from_numpy(y)),
        "lists": (X.tolist(), y.tolist()),
        "TensorDataset": tensor_ds,
        "map Dataset": Pairs(X, y),
        "Subset": Subset(tensor_ds, range(N)),
        "DataLoader": DataLoader(tensor_ds, batch_size=32),
        "(X_df, y)": (df[["a", "b", "c"]], df["label"]),
        "(df, target)": (df, "label"),
    }
    reference = as_dataset(df, target="label", seed=3)
    ref_X, ref_y = _all_rows(reference)
    for form, data in forms.items():
        ds = as_dataset(data, seed=3)
        assert ds.input_shape == (3,) and ds.num_classes == 2, form
        assert ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64, form
        X_all, y_all = _all_rows(ds)
        assert torch.allclose(X_all, ref_X, atol=1e-6) and torch.equal(y_all, ref_y), form
        # the same seeded split as from_arrays
        assert torch.equal(ds.y_test, reference.y_test), form
    assert as_dataset(tmp_path / "table.csv", target="label", seed=3).name == "table"
    assert torch.equal(as_dataset(str(tmp_path / "table.csv"), target="label", seed=3).X_test,
                       reference.X_test)


def test_shuffled_loader_and_image_dataset():
    imgs = torch.rand(60, 1, 6, 6)
    labels = torch.arange(60) % 3
    ds = as_dataset(DataLoader(TensorDataset(imgs, labels), batch_size=7, shuffle=True))
    assert ds.kind == "image" and ds.input_shape == (1, 6, 6) and ds.num_classes == 3
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 60  # the last short batch too
    rows = {tuple(r) for r in torch.cat([ds.X_train, ds.X_val, ds.X_test]).flatten(1).tolist()}
    assert rows == {tuple(r) for r in imgs.flatten(1).tolist()}


def test_a_dataset_passes_through_and_keeps_its_splits():
    moons = load_dataset("moons", n_samples=100)
    assert as_dataset(moons) is moons
    assert as_dataset(moons, name="m").name == "m"
    with pytest.raises(ConfigError, match="test"):
        as_dataset(moons, test=(np.zeros((2, 2)), [0, 1]))


def test_separate_test_set_in_each_form(arrays, tmp_path):
    X, y = arrays
    Xt, yt = X[:20] + 10, y[:20]
    ds = as_dataset((X, y), test=(Xt, yt), seed=0, val_fraction=0.25)
    assert torch.allclose(ds.X_test, torch.from_numpy(Xt)) and torch.equal(ds.y_test,
                                                                         torch.from_numpy(yt))
    assert len(ds.y_train) + len(ds.y_val) == N and len(ds.y_val) == 30
    loader_ds = as_dataset(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                           test=DataLoader(TensorDataset(torch.from_numpy(Xt),
                                                         torch.from_numpy(yt)), batch_size=8))
    assert torch.allclose(loader_ds.X_test, ds.X_test)
    # frames: one-hot encoded together, so a category gets one column in train and test
    df = pd.DataFrame({"x": X[:, 0], "color": np.where(y == 1, "red", "blue"), "label": y})
    test_df = pd.DataFrame({"x": [0.5, -0.5], "color": ["red", "red"], "label": [1, 0]})
    fds = as_dataset(df, target="label", test=test_df)
    assert fds.feature_names == ["x", "color=blue", "color=red"]
    assert fds.X_test[:, 2].tolist() == [1.0, 1.0] and fds.y_test.tolist() == [1, 0]
    df.to_csv(tmp_path / "train.csv", index=False)
    test_df.to_csv(tmp_path / "test.csv", index=False)
    cds = as_dataset(tmp_path / "train.csv", target="label", test=tmp_path / "test.csv")
    assert torch.equal(cds.X_test, fds.X_test)
    # string labels: one mapping for both
    sds = as_dataset((X, np.where(y == 1, "yes", "no")), test=(Xt, np.where(yt == 1, "yes", "no")))
    assert sds.class_names == ["no", "yes"] and torch.equal(sds.y_test, torch.from_numpy(yt))


def test_test_set_refusals(arrays):
    X, y = arrays
    with pytest.raises(DataError, match="'maybe', which the training labels do not have"):
        as_dataset((X, y.astype(str)), test=(X[:3], ["0", "1", "maybe"]))
    with pytest.raises(DataError, match=r"X_test samples have shape \(2,\)"):
        as_dataset((X, y), test=(X[:5, :2], y[:5]))
    df = pd.DataFrame({"x": X[:, 0], "label": y})
    with pytest.raises(DataError, match=r"test.*columns \['z'\].*\['x'\]"):
        as_dataset(df, target="label", test=pd.DataFrame({"z": [1.0], "label": [0]}))
    with pytest.raises(ConfigError, match="test"):
        as_dataset(df, target="label", test=(X, y))


def test_forms_and_targets_that_do_not_fit(arrays):
    X, y = arrays
    df = pd.DataFrame({"x": X[:, 0], "label": y})
    with pytest.raises(ConfigError) as err:
        as_dataset(df)
    assert err.value.field == "target" and "'label'" in str(err.value)
    with pytest.raises(ConfigError, match="target='label'"):
        as_dataset((X, y), target="label")
    with pytest.raises(ConfigError, match="data='int'.*DataLoader"):
        as_dataset(42)
    with pytest.raises(DataError, match="no CSV file at .*missing.csv"):
        as_dataset("missing.csv", target="y")


def test_torch_data_that_is_not_pairs():
    class Dicts(TorchDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"image": torch.zeros(2), "label": i % 2}

    with pytest.raises(DataError, match=r"item 0 of the Dicts is a dict with keys \['image', "
                                        r"'label'\]; expected an \(x, y\) pair"):
        as_dataset(Dicts())

    class Stream(IterableDataset):
        def __iter__(self):
            yield torch.zeros(2), 0

    with pytest.raises(DataError, match="IterableDataset"):
        as_dataset(Stream())
    with pytest.raises(DataError, match="DataLoader without a length"):
        as_dataset(DataLoader(Stream()))
    with pytest.raises(DataError, match="3 tensors; expected 2"):
        as_dataset(TensorDataset(torch.zeros(4, 2), torch.zeros(4), torch.zeros(4)))


def test_too_big_is_refused_before_reading_it(monkeypatch):
    monkeypatch.setattr(checks, "MAX_BYTES", 10_000)
    data = Pairs(torch.zeros(100, 1, 8, 8), torch.arange(100) % 2)  # 25.6 KB as float32
    with pytest.raises(DataError) as err:
        as_dataset(data)
    msg = str(err.value)
    assert "25 KiB" in msg and "100 samples of 1x8x8" in msg and "9.77 KiB" in msg
    assert "MAX_BYTES" in msg and data.reads == 1  # judged from the first item
    with pytest.raises(DataError, match="limit is 9.77 KiB"):
        as_dataset(DataLoader(TensorDataset(torch.zeros(100, 64), torch.arange(100) % 2)))
    with pytest.raises(DataError, match="limit is 9.77 KiB"):
        as_dataset((np.zeros((100, 64)), np.arange(100) % 2))
    wide = pd.DataFrame({"t": [f"v{i}" for i in range(60)] * 2, "label": [0, 1] * 60})
    with pytest.raises(DataError, match="one-hot encoded DataFrame would take"):
        as_dataset(wide, target="label", one_hot=True)  # 120 rows x 60 columns


def test_register_dataset_object_names(arrays):
    X, y = arrays
    first = register_object((X, y))
    second = register_object((X, y))
    assert first == "arrays" and second == "arrays-2"
    assert {first, second} <= set(dataset_names())
    # re-split by the run's seed, like from_arrays
    assert not torch.equal(load_dataset(first, seed=1).y_test, load_dataset(first, seed=2).y_test)
    moons = load_dataset("moons", n_samples=80)
    name = register_object(moons)
    assert name.startswith("moons-") and register_object(moons) == name
    assert torch.equal(load_dataset(name).X_train, moons.X_train)
    assert register_object((X, y), name="chosen") == "chosen"
    assert register_object((X + 1, y), name="chosen") == "chosen"  # an explicit name replaces
    assert float(load_dataset("chosen").X_train.min()) > float(X.min())
    with pytest.raises(ConfigError, match="name='digits'"):
        register_object((X, y), name="digits")


def test_use_data_takes_every_form_and_names(arrays):
    X, y = arrays
    assert use_data(TensorDataset(torch.from_numpy(X), torch.from_numpy(y))) == "tensordataset"
    assert use_data((X, y), name="mine") == "mine"
    assert use_data((X, y)) == "arrays" and use_data((X, y)) == "arrays"  # replaced
    assert use_data((X, y), test=(X[:10], y[:10]), name="with_test") == "with_test"
    assert len(load_dataset("with_test").y_test) == 10
    assert use_data("digits") == "digits"
    with pytest.raises(ConfigError, match="did you mean 'digits'"):
        use_data("digts")


def test_prepare_data_and_run_take_any_form(arrays):
    X, y = arrays
    cfg = ow.RunConfig(model="mlp", epochs=1, batch_size=16, seed=2, preprocess="standardize")
    data = prepare_data(cfg, (X, y))
    assert data.X_train.shape == (78, 3)
    assert abs(float(data.X_train.mean())) < 1e-5  # standardized on the training split
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": y})
    assert prepare_data(cfg, df, target="label").input_shape == (2,)
    assert len(prepare_data(cfg, (X, y), test=(X[:9], y[:9])).y_test) == 9
    sub = prepare_data(cfg.replace(labels_per_class=5), (X, y))  # the config's subset applies
    assert len(sub.y_train) == 10
    with pytest.raises(ConfigError, match="target"):
        prepare_data(cfg, target="label")
    result = ow.run(cfg, data=(X, y), store=False)
    assert result.status == "done", result.error
    assert ow.run(cfg, data=(df, "label"), store=False).status == "done"
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=10)
    assert ow.run(cfg, data=loader, store=False).status == "done"


def test_pil_images_from_a_torch_dataset_become_channels_first():
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (30, 5, 6, 3), dtype=np.uint8)

    class Pictures(TorchDataset):
        def __len__(self):
            return len(pixels)

        def __getitem__(self, i):
            return Image.fromarray(pixels[i]), i % 3

    ds = as_dataset(Pictures())
    assert ds.kind == "image" and ds.input_shape == (3, 5, 6)
    X = torch.cat([ds.X_train, ds.X_val, ds.X_test])
    expected = torch.from_numpy(pixels.transpose(0, 3, 1, 2) / 255).float()
    assert {tuple(r) for r in X.flatten(1).round(decimals=4).tolist()} == {
        tuple(r) for r in expected.flatten(1).round(decimals=4).tolist()}


def test_a_dataset_name_is_not_data():
    with pytest.raises(ConfigError, match="RunConfig\\(dataset='digits'\\)"):
        as_dataset("digits")
