"""The data path on a GPU: tensors moved, statistics and augmentation computed there."""

from __future__ import annotations

import pytest
import torch

from optwidgets.data import augment_batch, fit_preprocessor, load_dataset

pytestmark = pytest.mark.gpu


def _device() -> str:
    return "cuda" if torch.cuda.is_available() else "mps"


def test_dataset_preprocess_augment_on_gpu():
    dev = _device()
    ds = load_dataset("digits").to(dev)
    assert ds.X_train.device.type == dev and ds.y_test.device.type == dev
    p = fit_preprocessor("robust", ds.X_train, image=True)
    cpu = fit_preprocessor("robust", ds.X_train.cpu(), image=True)
    assert torch.equal(p.shift_, cpu.shift_) and torch.equal(p.scale_, cpu.scale_)
    x = p.transform(ds.X_train[:64])
    assert x.device.type == dev
    spec = {"rotate": 20, "translate": 1, "hflip": True, "cutout": 2, "noise": 0.1}
    g = torch.Generator(device=dev).manual_seed(0)
    a = augment_batch(x, spec, g)
    b = augment_batch(x, spec, torch.Generator(device=dev).manual_seed(0))
    assert a.device.type == dev and torch.equal(a, b)
    # a CPU generator also works for a GPU batch (numbers drawn on the CPU, then moved)
    c = augment_batch(x, spec, torch.Generator().manual_seed(0))
    assert c.device.type == dev and c.shape == x.shape
