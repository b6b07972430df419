"""The deployable state (what the artefact encodes) is lean for int8 and loads back exactly."""

import io

import pytest
import torch
from torch import nn

from optwidgets.compress.quantize import quantize_int8
from optwidgets.compress.state import _int8_layers, deployable_state, load_deployable_state

from .conftest import make_cnn, make_mlp


def _save(model: nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.save(deployable_state(model), buf)
    return buf.getvalue()


def _load(data: bytes) -> dict:
    return torch.load(io.BytesIO(data), weights_only=True)


def _int8(make, seed: int, scale: float = 1.0) -> nn.Module:
    g = torch.Generator().manual_seed(100 + seed)
    calib = torch.randn(128, 1, 8, 8, generator=g) * scale
    return quantize_int8(make(seed), calib, example_input=calib[:1])


@pytest.mark.parametrize("make", [make_cnn, make_mlp], ids=["cnn", "mlp"])
def test_int8_saved_bytes_load_back_bit_identical(make):
    x = torch.randn(64, 1, 8, 8, generator=torch.Generator().manual_seed(7))
    q = _int8(make, 0)
    # a fresh copy quantized from other weights and other calibration data: every weight,
    # scale, zero point and activation qparam differs
    fresh = _int8(make, 1, scale=3.0)
    data = _save(q)
    with torch.inference_mode():
        ref = q(x)
        assert not torch.equal(fresh(x), ref)
        load_deployable_state(fresh, _load(data))
        assert torch.equal(fresh(x), ref)
    for (_, a), (_, b) in zip(_int8_layers(q), _int8_layers(fresh), strict=True):
        wa, wb = a.weight(), b.weight()
        assert torch.equal(wa.int_repr(), wb.int_repr())
        assert torch.equal(wa.q_per_channel_scales(), wb.q_per_channel_scales())
        assert torch.equal(wa.q_per_channel_zero_points(), wb.q_per_channel_zero_points())
        assert torch.equal(a.bias(), b.bias())
        assert (a.scale, a.zero_point) == (b.scale, b.zero_point)


def test_int8_state_is_lean_and_smaller_than_state_dict():
    q = _int8(make_cnn, 0)
    state = deployable_state(q)
    assert len(_int8_layers(q)) == 3  # two convs and the classifier
    for name, _ in _int8_layers(q):
        assert state[f"{name}.weight"].dtype == torch.int8
        assert state[f"{name}.weight_scale"].dtype == torch.float32  # exact: checked
        assert state[f"{name}.weight_zero_point"].dtype == torch.int8
        assert isinstance(state[f"{name}.scale"], float)
        assert isinstance(state[f"{name}.zero_point"], int)
    assert not any(isinstance(v, torch.Tensor) and v.dim() == 0 for v in state.values())
    buf = io.BytesIO()
    torch.save(q.state_dict(), buf)
    assert len(_save(q)) < 0.8 * len(buf.getvalue())


def test_int8_qparams_that_do_not_fit_keep_their_wider_dtype():
    """Zero points outside int8, an output scale float32 would round: kept, nothing lost."""
    x = torch.randn(32, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    q = _int8(make_cnn, 0)
    name, layer = _int8_layers(q)[0]
    w = layer.weight()
    n = w.shape[0]
    scales = torch.full((n,), 0.1, dtype=torch.float64) / torch.arange(1, n + 1)
    zps = torch.arange(n, dtype=torch.int64) * 20 - 150  # beyond [-128, 127]
    wide = torch._make_per_channel_quantized_tensor(w.int_repr(), scales, zps, 0)
    layer.set_weight_bias(wide, layer.bias())
    layer.scale = 0.1  # a double that float32 would round
    state = deployable_state(q)
    # the packed weight itself holds float32 scales (fbgemm), so float32 stays exact here
    assert torch.equal(state[f"{name}.weight_scale"].double(), w_scales := scales.float().double())
    assert state[f"{name}.weight_zero_point"].dtype == torch.int16
    fresh = _int8(make_cnn, 1, scale=3.0)
    buf = io.BytesIO()
    torch.save(state, buf)
    load_deployable_state(fresh, _load(buf.getvalue()))
    got = _int8_layers(fresh)[0][1]
    assert torch.equal(got.weight().q_per_channel_scales(), w_scales)
    assert torch.equal(got.weight().q_per_channel_zero_points(), zps)
    assert got.scale == 0.1
    with torch.inference_mode():
        assert torch.equal(fresh(x), q(x))


def test_load_deployable_state_checks_keys():
    q, fresh = _int8(make_mlp, 0), _int8(make_mlp, 1)
    state = deployable_state(q)
    extra = {**state, "nonsense": 1.0}
    with pytest.raises(RuntimeError, match="unexpected keys"):
        load_deployable_state(fresh, extra)
    missing = {k: v for k, v in state.items() if not k.endswith("_scale_0")}
    with pytest.raises(RuntimeError, match="missing keys"):
        load_deployable_state(fresh, missing)


def test_ordinary_model_loads_as_state_dict(mlp):
    other = make_mlp(seed=1).eval()
    x = torch.randn(8, 1, 8, 8)
    load_deployable_state(other, _load(_save(mlp)))
    assert torch.equal(other(x), mlp(x))
    with pytest.raises(RuntimeError):
        load_deployable_state(nn.Linear(3, 3), deployable_state(mlp))


def test_exactness_checks_fall_back_to_wider_dtypes():
    from optwidgets.compress.state import _exact_float32, _narrowest_int

    exact = torch.tensor([0.5, 0.25], dtype=torch.float64)
    assert _exact_float32(exact).dtype == torch.float32
    inexact = torch.tensor([0.5, 0.1], dtype=torch.float64)
    assert _exact_float32(inexact) is inexact  # 0.1 is not a float32: kept as float64
    assert _narrowest_int(torch.tensor([-128, 127])).dtype == torch.int8
    assert _narrowest_int(torch.tensor([0, 128])).dtype == torch.int16
    assert _narrowest_int(torch.tensor([0, 40_000])).dtype == torch.int32
    assert _narrowest_int(torch.tensor([0, 2**40])).dtype == torch.int64
