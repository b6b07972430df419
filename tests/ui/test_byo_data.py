"""Bring your own data into the Explorer: ``Explorer(data=df, target=...)`` and
``Explorer(data=(X, y))`` register it, put it in the dataset menu and select it; feature
vectors get the mlp family; bad data is refused with the columns named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import optwidgets as ow
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import unregister
from optwidgets.runs.userdata import use_data

from .helpers import TIMEOUT


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 240
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = np.where(rng.random(n) < 0.5, "red", "blue")
    label = np.where((x1 + x2 > 0) ^ (color == "red"), "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "label": label})


@pytest.fixture
def registered():
    names = []
    yield names
    for name in names:
        unregister(name)


def test_a_dataframe_goes_into_the_menu_and_trains(frame, store, registered):
    ex = ow.Explorer(ow.RunConfig(epochs=2, device="cpu"), data=frame, target="label",
                     store=store)
    registered.append(ex.config.dataset)
    assert ex.config.dataset == "dataframe" and ex.config.model == "mlp"  # tabular: mlp
    assert ex.controls["dataset"].value == "dataframe"
    assert "dataframe" in [v for _, v in ex.controls["dataset"].options]
    assert ex.train(block=True, timeout=TIMEOUT)
    assert ex.last_result.status == "done"
    assert ex.last_result.config.dataset == "dataframe"


def test_image_arrays_keep_the_cnn(store, registered):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (90, 8, 8), dtype=np.uint8)
    y = np.arange(90) % 3
    cfg = ow.RunConfig(dataset="digits", model="cnn")
    ex = ow.Explorer(cfg, data=(X, y), store=store)
    registered.append(ex.config.dataset)
    assert ex.config is cfg  # the Explorer edits the config it was given
    assert (cfg.dataset, cfg.model) == ("arrays", "cnn")
    assert ex.ready(TIMEOUT)  # the preview is drawn in the background
    assert ex.augment_preview.originals.shape[1:] == (1, 8, 8)


def test_bad_data_is_refused_naming_what_is_wrong(frame, store):
    with pytest.raises(ConfigError) as info:
        ow.Explorer(data=frame, store=store)
    assert info.value.field == "target" and "'label'" in str(info.value)
    with pytest.raises(ConfigError, match="target"):
        ow.Explorer(target="label", store=store)
    with pytest.raises(ConfigError, match="target"):
        ow.Explorer(data=frame, target="nope", store=store)
    holes = frame.assign(x2=frame["x2"].where(frame.index % 7 != 0))
    with pytest.raises(DataError, match="'x2'"):
        ow.Explorer(data=holes, target="label", store=store)
    with pytest.raises(DataError, match="single class"):
        ow.Explorer(data=frame.assign(label="yes"), target="label", store=store)
    with pytest.raises(ConfigError, match="data"):
        ow.Explorer(data=42, store=store)


def test_use_data_takes_a_dataset_a_csv_file_or_a_name(frame, tmp_path, registered):
    path = tmp_path / "my_table.csv"
    frame.to_csv(path, index=False)
    registered.append(use_data(path, target="label"))
    assert registered[-1] == "my_table"
    ds = ow.data.load_dataset("moons", n_samples=100)
    registered.append(use_data(ds, name="my_moons"))
    assert ow.data.load_dataset("my_moons").num_classes == 2
    assert use_data("digits") == "digits"  # already a dataset: nothing registered
    with pytest.raises(ConfigError, match="target"):
        use_data((np.zeros((10, 2)), np.arange(10) % 2), target="label")
