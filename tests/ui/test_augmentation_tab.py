"""The Augmentation tab (and the Transfer tab): every knob edits RunConfig (a new
``augment`` dict, so RunConfig validates it), refusals are shown, and the preview grid is
redrawn from the current dataset when a knob moves. Headless: widgets driven as a user
would, no kernel, no browser."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import optwidgets as ow
from optwidgets.ui.augment_preview import png_bytes, tile_grid
from optwidgets.ui.tabs import augmentation
from optwidgets.ui.tabs import tabs as all_tabs
from optwidgets.ui.tabs import transfer as transfer_tab

from .helpers import TIMEOUT, tiny

KNOBS = ("preprocess", "augment.rotate", "augment.translate", "augment.hflip",
         "augment.noise", "augment.cutout")  # fmt: skip


@pytest.fixture
def digits_explorer(store, tmp_path):
    cfg = ow.RunConfig(dataset="digits", model="cnn", epochs=1, device="cpu")
    ex = ow.Explorer(cfg, store=store, export_dir=tmp_path / "exports")
    assert ex.ready(TIMEOUT)
    yield ex
    ex.stop()
    assert ex.wait(TIMEOUT)


def test_the_tabs_are_found_in_order(digits_explorer):
    titles = [t.title for t in all_tabs()]
    assert "Augmentation" in titles and "Transfer" in titles
    assert augmentation.TAB.fields() == KNOBS
    assert augmentation.TAB.order < transfer_tab.TAB.order
    assert all(name in digits_explorer.controls for name in KNOBS)


def test_each_knob_edits_a_new_augment_dict(digits_explorer):
    ex = digits_explorer
    cfg = ex.config
    before = cfg.augment
    ex.controls["augment.rotate"].value = 15
    assert cfg.augment == {"rotate": 15.0} and cfg.augment is not before
    for name, value in (("translate", 1.5), ("hflip", True), ("noise", 0.1), ("cutout", 3)):
        ex.controls[f"augment.{name}"].value = value
    assert cfg.augment == {"rotate": 15.0, "translate": 1.5, "hflip": True, "noise": 0.1,
                           "cutout": 3.0}
    ex.controls["augment.rotate"].value = 0  # 0 / off removes the key
    ex.controls["augment.hflip"].value = False
    assert cfg.augment == {"translate": 1.5, "noise": 0.1, "cutout": 3.0}
    ex.controls["preprocess"].value = "robust"
    assert cfg.preprocess == "robust"
    assert ex.form.valid and not ex.train_button.disabled
    # loading a config writes the knobs back
    ex.config = ow.RunConfig(dataset="digits", augment={"rotate": 40, "hflip": True})
    assert ex.controls["augment.rotate"].value == 40
    assert ex.controls["augment.hflip"].value is True
    assert ex.controls["augment.cutout"].value == 0


def test_a_refused_value_is_named_and_blocks_train(digits_explorer):
    ex = digits_explorer
    ex.controls["augment.rotate"].value = 10
    ex.controls["dataset"].value = "moons"  # geometric augmentation on feature vectors
    assert "augment['rotate']" in (ex.form.form_error or "")
    assert ex.train_button.disabled
    ex.controls["augment.rotate"].value = 0
    assert ex.form.valid and not ex.train_button.disabled


def test_the_preview_is_redrawn_when_a_knob_moves(digits_explorer):
    preview = digits_explorer.augment_preview
    assert preview.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(preview.originals, preview.augmented)  # nothing on yet
    first, count = preview.image.value, preview.refreshes
    digits_explorer.controls["augment.rotate"].value = 30
    assert preview.refreshes == count + 1 and preview.image.value != first
    assert preview.originals.shape == (8, 1, 8, 8)
    assert not np.array_equal(preview.originals, preview.augmented)
    assert "rotate=30" in preview.message.value
    shown = preview.augmented.copy()
    preview.new_draw.click()  # same augmentation, other random numbers
    assert preview.draw == 1 and not np.array_equal(preview.augmented, shown)
    originals = preview.originals.copy()
    digits_explorer.controls["seed"].value = 4  # another split: other samples
    assert not np.array_equal(preview.originals, originals)


def test_the_preview_follows_the_dataset(digits_explorer):
    ex = digits_explorer
    preview = ex.augment_preview
    ex.controls["augment.noise"].value = 0.2
    ex.controls["dataset"].value = "moons"  # noise applies, but there are no images
    assert preview.originals.shape == (8, 2)
    assert preview.image.layout.display == "none"
    assert "feature vectors" in preview.message.value
    ex.controls["dataset"].value = "digits"
    assert ex.controls["model"].value == "mlp"  # switched for moons; kept
    assert preview.image.layout.display is None and preview.originals.ndim == 4


def test_a_training_run_uses_the_tabs_settings(digits_explorer):
    ex = digits_explorer
    ex.controls["augment.rotate"].value = 10
    ex.controls["augment.translate"].value = 1
    assert ex.train(block=True, timeout=TIMEOUT)
    assert ex.last_result.status == "done"
    assert ex.last_result.config.augment == {"rotate": 10.0, "translate": 1.0}


def test_transfer_tab_edits_its_fields_and_refuses_a_missing_source(explorer):
    c = explorer.controls
    c["transfer"].value = "feature_extraction"
    assert "source" in (explorer.form.form_error or "") and explorer.train_button.disabled
    c["source"].value = "digits_0_4_mlp"
    c["classes"].value = "5, 6, 7, 8, 9"
    c["labels_per_class"].value = 5
    c["backbone_lr_scale"].value = 0.3
    c["train_fraction"].value = 0.5
    cfg = explorer.config
    assert (cfg.transfer, cfg.source, cfg.classes, cfg.labels_per_class) == (
        "feature_extraction", "digits_0_4_mlp", (5, 6, 7, 8, 9), 5)
    assert (cfg.backbone_lr_scale, cfg.train_fraction) == (0.3, 0.5)
    assert explorer.form.valid


def test_grid_image_helpers():
    x = np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32)
    img = tile_grid(x, 1 - x, n=3)
    assert img.dtype == np.uint8 and img.shape == (2 * 64 + 2, 3 * 64 + 2 * 2, 3)
    assert (img[64:66] == 255).all()  # the white gap between the rows
    png = png_bytes(img)
    w, h = struct.unpack(">II", png[16:24])
    assert (w, h) == (img.shape[1], img.shape[0])
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * 3)
    np.testing.assert_array_equal(rows[:, 1:].reshape(img.shape), img)


def test_tiny_fixture_still_builds(explorer):
    assert explorer.config == tiny() and explorer.augment_preview.originals.shape[1] == 2
