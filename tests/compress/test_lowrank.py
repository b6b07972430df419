import copy

import pytest
import torch
from torch import nn

from optwidgets.compress.lowrank import factorize, layer_rank
from optwidgets.compress.measure import count_params
from optwidgets.core.errors import ConfigError


def test_full_rank_reproduces_outputs(mlp, cnn, x):
    for model in (mlp, cnn):
        ref = model(x)
        factorize(model, 10_000, keep_output=False, only_if_smaller=False)
        assert torch.allclose(model(x), ref, atol=1e-5)
    assert isinstance(cnn.features[0], nn.Sequential)
    first, second = cnn.features[3]
    assert first.kernel_size == (3, 3) and first.padding == (1, 1) and second.kernel_size == (1, 1)
    assert first.out_channels == min(32, 16 * 9) and first.bias is None


def test_rank_reduces_params_and_keeps_output_layer(mlp, x):
    n = count_params(mlp)
    twin = copy.deepcopy(mlp)
    factorize(mlp, 0.25, example_input=x[:1])
    assert count_params(mlp) < n
    # 64->48: r = 12, 12 * 112 < 3072; 48->32: r = 8, 8 * 80 < 1536; output kept
    assert [m[0].out_features for m in (mlp[1], mlp[3])] == [12, 8]
    assert isinstance(mlp[5], nn.Linear)
    assert mlp(x).shape == (32, 10)
    factorize(twin, 0.25, keep_output=False)  # 32->10: r = 2, 2 * 42 < 320
    assert twin[5][0].out_features == 2
    cnn_like = nn.Sequential(nn.Conv2d(1, 16, 3), nn.Flatten(), nn.Linear(576, 10))
    factorize(cnn_like, 0.1)  # no example input: the last registered layer is kept
    assert isinstance(cnn_like[2], nn.Linear) and isinstance(cnn_like[0], nn.Sequential)
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 10))
    factorize(m, 0.9, keep_output=False)  # r = 43: 43 * 112 > 3072 -> skipped; r = 9: 9 * 58 > 480 -> skipped
    assert isinstance(m[0], nn.Linear) and isinstance(m[2], nn.Linear)


@torch.no_grad()
def test_lower_rank_bigger_error(cnn, x):
    ref = cnn(x)
    errs = []
    for r in (0.75, 0.5, 0.25):
        m = factorize(copy.deepcopy(cnn), r)
        errs.append(float((m(x) - ref).abs().mean()))
    assert errs[0] < errs[1] < errs[2]


def test_layer_rank_and_bad_rank():
    assert layer_rank(0.01, 10) == 1
    assert layer_rank(3, 2) == 2
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError) as e:
            layer_rank(bad, 10)
        assert e.value.field == "lowrank_rank"
    with pytest.raises(ConfigError):
        factorize(nn.Sequential(nn.ReLU()), 0)


def test_grouped_conv_left_alone():
    m = nn.Sequential(nn.Conv2d(8, 8, 3, groups=8), nn.Conv2d(8, 16, 3))
    factorize(m, 0.25, keep_output=False)
    assert isinstance(m[0], nn.Conv2d) and isinstance(m[1], nn.Sequential)
