"""Compression on CUDA (skipped without a GPU)."""

import pytest
import torch

from optwidgets.compress.measure import latency_ms, measure, model_device
from optwidgets.compress.pipeline import compress
from optwidgets.compress.prune import prune_filters
from optwidgets.compress.quantize import cast_weights, freeze, simulate_quantization
from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError

from .conftest import make_cnn

pytestmark = pytest.mark.gpu


@pytest.fixture
def cuda():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    return torch.device("cuda")


def test_measure_and_structured_pruning_on_cuda(cuda):
    m = make_cnn().to(cuda)
    x = torch.randn(4, 1, 8, 8, device=cuda)
    before = measure(m, (1, 8, 8), device=cuda)
    prune_filters(m, 0.5, example_input=x[:1])
    assert model_device(m).type == "cuda" and m(x).shape == (4, 10)
    after = measure(m, (1, 8, 8), device=cuda)
    assert after["params"] < before["params"] and after["latency_ms"] > 0


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_cast_and_simulated_on_cuda(cuda, dtype):
    x = torch.randn(4, 1, 8, 8, device=cuda)
    m = cast_weights(make_cnn().to(cuda), dtype, example_input=x)
    assert latency_ms(m, (1, 8, 8), batch=8, device=cuda) > 0
    s = simulate_quantization(make_cnn().to(cuda), 4, activations=True)
    s(x).sum().backward()
    assert freeze(s)(x).shape == (4, 10)


def test_int8_refused_on_cuda(cuda):
    m = make_cnn().to(cuda)
    x = torch.randn(4, 1, 8, 8, device=cuda)
    cfg = RunConfig(dataset="digits", model="cnn", quant_mode="int8")
    with pytest.raises(ConfigError) as e:
        compress(m, cfg, example_input=x, calibration=x, finetune=lambda m, e, p: m,
                 phase=lambda p: None, device=cuda)
    assert e.value.field == "quant_mode"


@pytest.mark.parametrize("fields", [dict(quant_mode="simulated", quant_bits=4),
                                    dict(prune_method="weight", prune_ratio=0.8,
                                         quant_mode="fp16")], ids=["sim-4bit", "weight+fp16"])
def test_artefact_of_a_cuda_model_loads_on_cuda_and_cpu(cuda, fields):
    from optwidgets.compress.artefact import encode, load
    from optwidgets.compress.pipeline import rebuild

    cfg = RunConfig(dataset="digits", model="cnn", **fields)
    x = torch.randn(16, 1, 8, 8, device=cuda)
    out = compress(make_cnn().to(cuda), cfg, example_input=x, calibration=x,
                   finetune=lambda m, e, p: m, phase=lambda p: None, device=cuda)
    m = out.model.eval()
    art = encode(m)
    zeros = torch.zeros(1, 1, 8, 8)
    on_gpu = load(art, rebuild(make_cnn(seed=3), cfg, example_input=zeros,
                               meta=art.meta).to(cuda))
    xin = x.to(next(m.parameters()).dtype)
    with torch.inference_mode():
        assert torch.equal(on_gpu(xin), m(xin))
    on_cpu = load(art, rebuild(make_cnn(seed=3), cfg, example_input=zeros, meta=art.meta))
    for (k, a), b in zip(m.state_dict().items(), on_cpu.state_dict().values(), strict=True):
        assert torch.equal(a.cpu(), b), k  # the same bits wherever it is loaded
