"""augmentation_preview: the run's own preprocessed training samples, before and after
``cfg.augment`` (the engine side of the Explorer's Augmentation tab)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.data import augment_batch
from optwidgets.runs import prepare_data
from optwidgets.runs.preview import augmentation_preview, clear_preview_cache


def test_shapes_and_units_are_the_runs():
    cfg = ow.RunConfig(dataset="digits", augment={"rotate": 20, "cutout": 3})
    o, a = augmentation_preview(cfg, n=8)
    assert o.shape == a.shape == (8, 1, 8, 8) and o.dtype == a.dtype == np.float32
    expected = prepare_data(cfg).X_train[:8].numpy()  # standardized, as a run sees them
    np.testing.assert_array_equal(o, expected)
    assert not np.array_equal(o, a)


def test_it_is_augment_batch_itself_seeded_by_seed_and_draw():
    cfg = ow.RunConfig(dataset="digits", augment={"translate": 2, "hflip": True}, seed=3)
    o, a = augmentation_preview(cfg, n=5)
    gen = torch.Generator().manual_seed(3 * 1_000_003)
    ref = augment_batch(torch.from_numpy(o), dict(cfg.augment), gen).numpy()
    np.testing.assert_array_equal(a, ref)
    assert np.array_equal(augmentation_preview(cfg, n=5)[1], a)  # same draw, same images
    assert not np.array_equal(augmentation_preview(cfg, n=5, draw=1)[1], a)


def test_no_augmentation_gives_equal_arrays_and_tabular_data_gets_noise():
    o, a = augmentation_preview(ow.RunConfig(dataset="digits"), n=3)
    np.testing.assert_array_equal(o, a)
    cfg = ow.RunConfig(dataset="moons", model="mlp", augment={"noise": 0.3})
    o, a = augmentation_preview(cfg, n=4)
    assert o.shape == (4, 2) and not np.array_equal(o, a)


def test_data_settings_change_the_samples():
    clear_preview_cache()
    base = augmentation_preview(ow.RunConfig(dataset="digits"), n=4)[0]
    scaled = augmentation_preview(ow.RunConfig(dataset="digits", preprocess="minmax"), n=4)[0]
    assert scaled.min() >= 0 and scaled.max() <= 1 and not np.array_equal(base, scaled)
    other = augmentation_preview(ow.RunConfig(dataset="digits", seed=1), n=4)[0]
    assert not np.array_equal(base, other)


def test_bad_arguments_are_named():
    cfg = ow.RunConfig(dataset="digits")
    for n in (0, 65, 2.5, True):
        with pytest.raises(ConfigError, match="^n="):
            augmentation_preview(cfg, n=n)
    with pytest.raises(ConfigError, match="^draw="):
        augmentation_preview(cfg, draw=-1)


def test_the_data_side_engine_modules_do_not_import_ui_libraries():
    import subprocess
    import sys

    code = ("import sys, optwidgets.runs.preview, optwidgets.runs.transfer, optwidgets.runs.userdata;"
            "bad = [m for m in ('ipywidgets', 'plotly', 'anywidget') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
