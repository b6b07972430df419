"""save_dataset: a safe on-disk format in the data home, found by name in any process."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import optwidgets as ow
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import (
    dataset_names,
    delete_saved_dataset,
    from_arrays,
    is_image_dataset,
    load_dataset,
    register_dataset_object,
    save_dataset,
)
from optwidgets.data.saved import saved_folder


class _Hostile:
    """Unpickling this object would create a marker file (it must never be unpickled)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_save_a_dataset_and_load_it_by_name(home):
    digits = load_dataset("digits", seed=4, classes=(3, 8))
    path = save_dataset(digits, "three_or_eight")
    assert path == saved_folder() / "three_or_eight.npz" and path.parent.parent == home.resolve()
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["format"] == "splits" and meta["class_names"] == ["3", "8"]
    assert "three_or_eight" in dataset_names() and is_image_dataset("three_or_eight")
    again = load_dataset("three_or_eight", seed=99)  # saved splits are used as they are
    for split in ("train", "val", "test"):
        assert torch.equal(getattr(again, f"X_{split}"), getattr(digits, f"X_{split}"))
        assert torch.equal(getattr(again, f"y_{split}"), getattr(digits, f"y_{split}"))
    assert again.name == "three_or_eight" and again.kind == "image"
    assert len(load_dataset("three_or_eight", labels_per_class=3).y_train) == 6  # subsets apply
    assert ow.RunConfig(dataset="three_or_eight", model="cnn").dataset == "three_or_eight"
    delete_saved_dataset("three_or_eight")
    assert "three_or_eight" not in dataset_names()
    with pytest.raises(DataError, match="no saved dataset 'three_or_eight'"):
        delete_saved_dataset("three_or_eight")


def test_arrays_are_saved_before_splitting_and_resplit_per_seed(home):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 4)), np.array(["a", "b"] * 40)
    save_dataset((X, y), "table", test=(X[:10], y[:10]))
    one, two = load_dataset("table", seed=1), load_dataset("table", seed=2)
    assert one.class_names == ["a", "b"] and len(one.y_test) == 10
    assert torch.equal(one.X_test, two.X_test)  # the test set as given
    assert not torch.equal(one.y_train, two.y_train)  # validation carved per seed
    assert not is_image_dataset("table")


def test_another_process_finds_it(home):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    save_dataset((X, (X[:, 0] > 0).astype(int)), "shared_table")
    code = textwrap.dedent("""
        import json, optwidgets as ow
        cfg = ow.RunConfig(dataset="shared_table", model="mlp", epochs=1, batch_size=16)
        res = ow.run(cfg, store=False)
        print(json.dumps([res.status, res.num_classes, res.input_shape]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "OPTWIDGETS_DATA": str(home)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == ["done", 2, [2]]


def test_registered_names_come_first_and_saving_replaces_them(home):
    rng = np.random.default_rng(2)
    from_arrays(rng.normal(size=(40, 3)), np.arange(40) % 2, name="mine")
    save_dataset(load_dataset("moons", n_samples=60), "mine")
    assert load_dataset("mine").input_shape == (2,)  # the saved one: the registration went
    register_dataset_object((rng.normal(size=(40, 5)), np.arange(40) % 2), name="mine")
    assert load_dataset("mine").input_shape == (5,)  # registered in this process: first
    assert dataset_names().count("mine") == 1
    # register_dataset_object(save=True): registered here and saved for other processes
    name = register_dataset_object((rng.normal(size=(40, 3)), np.arange(40) % 2), save=True)
    assert (saved_folder() / f"{name}.npz").is_file()


def test_hostile_npz_is_refused_and_never_unpickled(home, tmp_path):
    save_dataset(load_dataset("xor", n_samples=40), "hostile")
    marker = tmp_path / "marker"
    npz = saved_folder() / "hostile.npz"
    arrays = _arrays_of(npz)
    arrays["X_train"] = np.array([_Hostile(marker)], dtype=object)
    np.savez(npz, **arrays)  # an object array: stored as a pickle inside the .npz
    with pytest.raises(DataError) as err:
        load_dataset("hostile")
    assert str(npz) in str(err.value)
    assert not marker.exists()


def _arrays_of(npz):
    with np.load(npz) as f:
        return dict(f)


def _bare_npy(npz):
    with open(npz, "wb") as f:  # np.save(path) would add ".npy" to the name
        np.save(f, np.zeros(3))


def _rewrite(npz, **changes):
    arrays = {**_arrays_of(npz), **changes}
    np.savez(npz, **{k: v for k, v in arrays.items() if v is not None})


@pytest.mark.parametrize("damage, words", [
    (lambda npz, js: js.write_text("{not json"), "not a readable dataset description"),
    (lambda npz, js: js.write_text('{"format": "pickle"}'), "not a dataset description"),
    (lambda npz, js: npz.write_bytes(b"PK\x03\x04 truncated"), "not a readable saved dataset"),
    (lambda npz, js: _rewrite(npz, y_test=np.array([0, 7])), "labels outside 0..1"),
    (lambda npz, js: _rewrite(npz, y_val=None), "no array 'y_val'"),
    (lambda npz, js: _bare_npy(npz), "not a .npz archive"),
    (lambda npz, js: npz.write_bytes(pickle.dumps(_Hostile(npz.with_name("m")))),
     "not a readable saved dataset"),
])
def test_damaged_files_are_refused_naming_the_file(home, damage, words):
    save_dataset(load_dataset("circles", n_samples=50), "damaged")
    npz = saved_folder() / "damaged.npz"
    damage(npz, npz.with_suffix(".json"))
    with pytest.raises(DataError, match=words) as err:
        load_dataset("damaged")
    assert "damaged." in str(err.value)
    assert not (npz.with_name("m")).exists()  # the pickled payload never ran


def test_names_must_be_safe_and_not_built_in(home):
    moons = load_dataset("moons", n_samples=50)
    for bad in ("../escape", "a/b", "", ".hidden", "x" * 101):
        with pytest.raises(ConfigError, match="name="):
            save_dataset(moons, bad)
    with pytest.raises(ConfigError, match="not built in"):
        save_dataset(moons, "digits")
    with pytest.raises(ConfigError, match="not built in"):
        save_dataset(moons)  # its own name, 'moons', is built in
    assert not saved_folder().exists() or not any(saved_folder().iterdir())
