import copy
import io

import pytest
import torch
from torch import nn

from optwidgets.compress.artefact import encode
from optwidgets.compress.measure import count_params, measure, model_dtype, size_bytes
from optwidgets.compress.prune import prune_weights, remove_masks, sparse_bytes
from optwidgets.compress.quantize import (
    ActivationFakeQuant,
    calibrate,
    cast_weights,
    fake_quantize,
    freeze,
    packed_bytes,
    quantize_int8,
    simulate_quantization,
)
from optwidgets.compress.state import deployable_state
from optwidgets.core.errors import ConfigError


def test_error_shrinks_as_bits_grow(cnn):
    w = cnn.features[3].weight.detach()
    errs = [float((fake_quantize(w, b) - w).abs().max()) for b in (2, 3, 4, 8, 16)]
    assert all(a > b for a, b in zip(errs, errs[1:]))
    assert errs[-1] < 1e-4
    for b in (2, 4):  # per channel: at most 2**b - 1 levels per output channel
        q = fake_quantize(w, b)
        assert all(len(torch.unique(row)) <= 2**b - 1 for row in q.flatten(1))


def test_ste_gives_gradients_and_qat_trains(cnn, x):
    simulate_quantization(cnn, 4, activations=True)
    cnn.train()
    y = torch.randint(0, 10, (len(x),))
    opt = torch.optim.SGD(cnn.parameters(), lr=0.1)
    before = cnn.features[0].weight.detach().clone()
    loss = nn.functional.cross_entropy(cnn(x), y)
    loss.backward()
    for layer in (cnn.features[0], cnn.features[3], cnn.classifier):
        g = layer.weight.grad
        assert g is not None and g.abs().sum() > 0
    opt.step()
    assert not torch.equal(before, cnn.features[0].weight)


def test_activation_quant_clips_gradient_outside_range():
    q = ActivationFakeQuant(4).eval()
    q(torch.tensor([0.0, 1.0]))  # range [0, 1] from the first batch
    x = torch.tensor([-0.5, 0.5, 2.0], requires_grad=True)
    q(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    assert float(q.lo) == 0.0 and float(q.hi) == 1.0


def test_freeze_gives_plain_model_with_same_outputs(mlp, x):
    simulate_quantization(mlp, 3)
    ref = mlp(x)
    freeze(mlp)
    assert all(type(m) in (nn.Flatten, nn.ReLU, nn.Linear) for m in mlp)
    assert torch.allclose(mlp(x), ref, atol=1e-6)
    assert all(len(torch.unique(r)) <= 7 for r in mlp[1].weight)


def test_activation_quant_calibrate_and_freeze(cnn, x):
    w_only = simulate_quantization(copy.deepcopy(cnn), 4)
    both = simulate_quantization(copy.deepcopy(cnn), 4, activations=True)
    calibrate(both, x)
    assert all(bool(m.input_quant.initialized) for m in both.modules() if hasattr(m, "input_quant"))
    assert not torch.allclose(both(x), w_only(x))
    out = both(x)
    frozen = freeze(copy.deepcopy(both))
    assert torch.allclose(frozen(x), out, atol=1e-6)  # activation quantizers kept
    plain = freeze(copy.deepcopy(both), keep_activations=False)
    assert torch.allclose(plain(x), w_only(x), atol=1e-6)
    assert not any(hasattr(m, "input_quant") for m in plain.modules())


def test_pruning_masks_survive_qat(mlp, x):
    prune_weights(mlp, 0.7)
    zero = mlp[1].weight == 0
    simulate_quantization(mlp, 4)
    mlp.train()
    opt = torch.optim.SGD(mlp.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(mlp(x), torch.zeros(len(x), dtype=torch.long)).backward()
        opt.step()
    freeze(mlp)
    assert bool((mlp[1].weight[zero] == 0).all())


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_packed_bytes_is_bits_over_32_of_fp32_weights(bits):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(256, 256, bias=False), nn.ReLU(), nn.Linear(256, 10, bias=False))
    fp32 = 4 * sum(p.numel() for p in m.parameters())
    got = packed_bytes(m, bits)
    assert got - 4 * (256 + 10) == fp32 * bits // 32  # packed weights + fp32 scales
    assert got == pytest.approx(fp32 * bits / 32, rel=0.07)
    simulate_quantization(m, bits)
    assert packed_bytes(m, bits) == got


def test_simulated_model_is_measurable_copyable_picklable(cnn, x):
    import io
    import pickle

    n = count_params(cnn)
    simulate_quantization(cnn, 2, activations=True)
    r = measure(cnn, (1, 8, 8), large_batch=8)
    assert r["params"] == n and r["size_bytes"] == size_bytes(cnn)
    assert r["nonzero_params"] < n  # ternary weights: many round to zero
    twin = copy.deepcopy(cnn)
    freeze(twin)
    assert torch.allclose(cnn(x), twin(x), atol=1e-6)  # freezing a copy leaves this one be
    assert type(cnn.features[0]).__name__ == "SimQuantConv2d"
    again = pickle.loads(pickle.dumps(cnn))
    assert torch.allclose(again(x), cnn(x))
    torch.save(cnn, io.BytesIO())


def test_bad_bits():
    with pytest.raises(ConfigError) as e:
        simulate_quantization(nn.Linear(2, 2), 1)
    assert e.value.field == "quant_bits"
    with pytest.raises(ConfigError):
        packed_bytes(nn.Linear(2, 2), 17)


def test_int8_cnn_runs_smaller_and_close(cnn, x):
    calib = torch.randn(128, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    state = copy.deepcopy(cnn.state_dict())
    q = quantize_int8(cnn, calib, example_input=x[:1])
    assert q.int8_scheme == "static-fx"
    assert all(torch.equal(state[k], v) for k, v in cnn.state_dict().items())  # untouched
    with torch.no_grad():
        ref, out = cnn(x), q(x)
    assert out.shape == ref.shape and out.dtype == torch.float32
    assert float((out - ref).abs().max()) < 0.1 * float(ref.abs().max())
    assert (out.argmax(1) == ref.argmax(1)).float().mean() > 0.8
    assert size_bytes(q) < 0.6 * size_bytes(cnn)
    r = measure(q, (1, 8, 8), large_batch=8)
    assert r["size_bytes"] == size_bytes(q) and r["latency_ms"] > 0
    assert r["params"] > 0.9 * count_params(cnn)  # BatchNorm folded into the convs


def test_int8_mlp_and_untraceable_fallback(mlp, x):
    q = quantize_int8(mlp, x, example_input=x[:1])
    assert q.int8_scheme == "static-fx" and size_bytes(q) < 0.65 * size_bytes(mlp)

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(64, 32), nn.Linear(32, 10)

        def forward(self, x):
            h = self.a(x.flatten(1))
            if h.sum() > 0:  # data-dependent control flow: FX cannot trace it
                h = h.relu()
            return self.b(h)

    torch.manual_seed(0)
    m = Branchy().eval()
    q = quantize_int8(m, x, example_input=x[:1])
    assert q.int8_scheme == "dynamic"
    assert q(x).shape == (32, 10) and size_bytes(q) < 0.6 * size_bytes(m)


def test_int8_refused_off_cpu(mlp, x):
    for dev in ("cuda", "mps"):
        with pytest.raises(ConfigError) as e:
            quantize_int8(mlp, x, example_input=x[:1], device=dev)
        assert e.value.field == "quant_mode" and dev in str(e.value)


def test_sparse_bytes_of_int8_model():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)).eval()
    remove_masks(prune_weights(m, 0.9))
    q = quantize_int8(m, torch.randn(64, 128), example_input=torch.randn(1, 128))
    buf = io.BytesIO()
    torch.save(deployable_state(q), buf)
    assert sparse_bytes(q) < len(buf.getvalue())  # computed: every int8 weight as CSR
    assert encode(q).encoding == "csr+int8" and size_bytes(q) < sparse_bytes(q)  # saved


@pytest.mark.parametrize("name,dtype", [("fp16", torch.float16), ("bf16", torch.bfloat16)])
def test_cast_weights(cnn, x, name, dtype):
    ref = cnn(x).detach()
    fp32 = size_bytes(cnn)
    cast_weights(cnn, name, example_input=x[:1])
    assert model_dtype(cnn) == dtype and cnn.features[1].running_var.dtype == dtype
    assert size_bytes(cnn) < 0.65 * fp32
    out = cnn(x.to(dtype)).detach().float()
    assert torch.allclose(out, ref, atol=0.05 * float(ref.abs().max()))
    assert measure(cnn, (1, 8, 8), large_batch=8)["latency_ms"] > 0  # inputs fed in the model's dtype


def test_cast_refused_when_device_cannot_run_it():
    class NoHalf(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 2)

        def forward(self, x):
            if x.dtype == torch.float16:
                raise RuntimeError('"addmm" not implemented for \'Half\'')
            return self.lin(x)

    m = NoHalf()
    with pytest.raises(ConfigError) as e:
        cast_weights(m, torch.float16, example_input=torch.randn(1, 4))
    assert e.value.field == "quant_mode" and "cpu" in str(e.value)
    assert m.lin.weight.dtype == torch.float32  # cast undone
    with pytest.raises(ConfigError):
        cast_weights(m, "int4")
