"""augment_batch: shapes, determinism, every key has an effect, bad keys."""

from __future__ import annotations

import time

import pytest
import torch

from optwidgets.config import AUGMENT_KEYS as CONFIG_KEYS
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.data import AUGMENT_KEYS, augment_batch

ON = {"rotate": 30.0, "translate": 2.0, "hflip": True, "cutout": 3.0, "noise": 0.2}


def _batch(shape=(32, 3, 10, 12)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(1)) + 0.5  # no zeros


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_keys_match_runconfig():
    assert set(AUGMENT_KEYS) == set(CONFIG_KEYS)


@pytest.mark.parametrize("key", AUGMENT_KEYS)
def test_each_key_changes_the_batch(key):
    x = _batch()
    out = augment_batch(x, {key: ON[key]}, _g())
    assert out.shape == x.shape and out.dtype == x.dtype and not torch.equal(out, x)
    assert torch.equal(x, _batch())  # input untouched


def test_all_keys_together_shape_and_determinism():
    x = _batch()
    a, b = augment_batch(x, ON, _g(7)), augment_batch(x, ON, _g(7))
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.equal(a, augment_batch(x, ON, _g(8)))


def test_empty_or_zero_spec_is_identity():
    x = _batch()
    assert augment_batch(x, {}) is x
    assert augment_batch(x, {"rotate": 0, "hflip": False, "noise": 0.0}, _g()) is x


def test_hflip_flips_exactly_about_half():
    x = _batch((400, 1, 5, 6))
    out = augment_batch(x, {"hflip": True}, _g())
    flipped = (out == x.flip(-1)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert bool((flipped | kept).all()) and 150 < int(flipped.sum()) < 250


def test_translate_shifts_content():
    x = torch.zeros(64, 1, 9, 9)
    x[:, :, 4, 4] = 1.0
    out = augment_batch(x, {"translate": 3}, _g())
    ys, xs = torch.meshgrid(torch.arange(9.0), torch.arange(9.0), indexing="ij")
    mass = out[:, 0].sum((1, 2))
    cx = (out[:, 0] * xs).sum((1, 2)) / mass
    assert (cx - 4).abs().max() <= 3.01 and (cx - 4).abs().max() > 1


def test_rotate_by_small_angle_keeps_centre():
    x = torch.zeros(8, 1, 9, 9)
    x[:, :, 4, 4] = 1.0
    out = augment_batch(x, {"rotate": 10}, _g())
    assert torch.allclose(out[:, 0, 4, 4], torch.ones(8), atol=1e-5)  # centre is fixed


def test_cutout_zeroes_a_square_across_channels():
    x = _batch((16, 3, 12, 12))
    out = augment_batch(x, {"cutout": 4}, _g())
    holes = out == 0
    assert bool((holes.all(1) == holes.any(1)).all())  # same pixels in every channel
    per_image = holes[:, 0].flatten(1).sum(1)
    assert int(per_image.max()) == 16 and int(per_image.min()) >= 4  # clipped at borders


def test_noise_std_and_tabular():
    x = torch.zeros(2000, 5)
    out = augment_batch(x, {"noise": 0.5}, _g())
    assert out.shape == x.shape and abs(float(out.std()) - 0.5) < 0.02


@pytest.mark.parametrize("key", ["rotate", "translate", "hflip", "cutout"])
def test_geometric_key_on_tabular_refused(key):
    with pytest.raises(ConfigError, match=key):
        augment_batch(torch.zeros(4, 3), {key: ON[key]})
    assert augment_batch(torch.zeros(4, 3), {key: 0 if key != "hflip" else False}) is not None


@pytest.mark.parametrize("spec, words", [
    ({"rotation": 10}, "did you mean 'rotate'"),
    ({"rotate": -5}, "rotate"),
    ({"noise": float("nan")}, "noise"),
    ({"hflip": "yes"}, "hflip"),
    ({"cutout": True}, "cutout"),
])
def test_bad_spec(spec, words):
    with pytest.raises(ConfigError, match=words):
        augment_batch(_batch(), spec)


def test_bad_input():
    with pytest.raises(DataError, match="floating"):
        augment_batch(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), {"noise": 0.1})
    with pytest.raises(DataError, match="shape"):
        augment_batch(torch.zeros(2, 4, 4), {"noise": 0.1})


def test_half_precision_and_global_generator():
    x = _batch((4, 1, 6, 6)).to(torch.bfloat16)
    out = augment_batch(x, ON)
    assert out.dtype == torch.bfloat16 and out.shape == x.shape


def test_fast_enough_on_digits_sized_batches():
    x = torch.rand(64, 1, 8, 8)
    g = _g()
    augment_batch(x, ON, g)
    start = time.perf_counter()
    for _ in range(200):
        augment_batch(x, ON, g)
    per_batch = (time.perf_counter() - start) / 200
    assert per_batch < 2e-3, f"{per_batch * 1e3:.2f} ms per batch of 64 digits"
