"""Runs on a GPU (skipped without one: CI has none)."""

import pytest

import optwidgets as ow

pytestmark = pytest.mark.gpu


def _cuda():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")


@pytest.mark.parametrize("amp", ["none", "bf16", "fp16"])
def test_digits_cnn_trains_on_cuda(amp):
    _cuda()
    res = ow.run(ow.RunConfig(dataset="digits", model="cnn", device="cuda", amp=amp), store=False)
    assert res.status == "done" and res.device.startswith("cuda")
    assert res.metrics["test_acc"] >= 0.95
    assert res.latency_ms > 0


def test_auto_picks_cuda():
    _cuda()
    res = ow.run(ow.RunConfig(dataset="xor", model="mlp", epochs=1), store=False)
    assert res.device.startswith("cuda")


def test_same_config_same_result_on_cuda():
    _cuda()
    cfg = ow.RunConfig(dataset="digits", model="mlp", device="cuda", epochs=2)
    a, b = ow.run(cfg, store=False), ow.run(cfg, store=False)
    assert a.metrics["test_acc"] == b.metrics["test_acc"]
