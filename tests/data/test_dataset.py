"""The Dataset container and data_home."""

from __future__ import annotations

import pytest
import torch

from optwidgets.core.errors import DataError
from optwidgets.data import Dataset, data_home, load_dataset


def _tiny(**changes):
    X, y = torch.zeros(10, 3), torch.arange(10) % 2
    kw = dict(name="t", X_train=X, y_train=y, X_val=X[:4], y_val=y[:4], X_test=X[:2],
              y_test=y[:2], input_shape=(3,), num_classes=2, class_names=["a", "b"])
    kw.update(changes)
    return Dataset(**kw)


def test_fields_and_properties():
    ds = _tiny()
    assert ds.n_features == 3 and ds.kind == "tabular" and ds.feature_names is None
    assert ds.summary() == {"name": "t", "kind": "tabular", "input_shape": [3], "num_classes": 2,
                            "class_names": ["a", "b"], "task": "classification",
                            "n_train": 10, "n_val": 4, "n_test": 2}
    assert "train=10" in repr(ds) and "tensor" not in repr(ds)


def test_image_n_features():
    ds = load_dataset("digits")
    assert ds.n_features == 64 and ds.input_shape == (1, 8, 8)


def test_to_moves_all_six_tensors():
    ds = _tiny().to("meta")
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        assert getattr(ds, name).device.type == "meta"
    assert ds.device.type == "meta" and ds.name == "t"


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"kind": "audio"}, "kind"),
        ({"class_names": ["a"]}, "class_names"),
        ({"y_val": torch.zeros(3, dtype=torch.long)}, "X_val has 4 rows"),
        ({"input_shape": (4,)}, "input_shape"),
    ],
)
def test_inconsistent_dataset_refused(changes, words):
    with pytest.raises(DataError, match=words):
        _tiny(**changes)


def test_data_home_env_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTWIDGETS_DATA", str(tmp_path / "x" / "y"))
    assert data_home() == (tmp_path / "x" / "y").resolve() and data_home().is_dir()
    monkeypatch.delenv("OPTWIDGETS_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_home() == (tmp_path / "home" / ".cache" / "optwidgets").resolve()
