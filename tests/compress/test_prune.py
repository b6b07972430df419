import copy
import io
import math

import pytest
import torch
import torch.nn.utils.prune as tprune
from torch import nn

from optwidgets.compress.measure import count_nonzero, count_params, size_bytes
from optwidgets.compress.prune import (
    agp_schedule,
    is_masked,
    output_layer,
    prunable_layers,
    prune_filters,
    prune_neurons,
    prune_weights,
    remove_masks,
    sensitivity,
    sparse_bytes,
    sparse_state,
    step_amounts,
)
from optwidgets.core.errors import ConfigError


def test_layer_masks_equal_torch_l1_unstructured(cnn):
    ref = copy.deepcopy(cnn)
    prune_weights(cnn, 0.4, scope="layer")
    for (_, ours), (_, theirs) in zip(prunable_layers(cnn), prunable_layers(ref)):
        tprune.l1_unstructured(theirs, "weight", amount=0.4)
        assert torch.equal(ours.weight_mask, theirs.weight_mask)


def test_global_masks_equal_torch_and_differ_from_layer(mlp):
    ref, layer = copy.deepcopy(mlp), copy.deepcopy(mlp)
    prune_weights(mlp, 0.6, scope="global")
    tprune.global_unstructured([(m, "weight") for _, m in prunable_layers(ref)],
                               pruning_method=tprune.L1Unstructured, amount=0.6)
    for (_, a), (_, b) in zip(prunable_layers(mlp), prunable_layers(ref)):
        assert torch.equal(a.weight_mask, b.weight_mask)
    prune_weights(layer, 0.6, scope="layer")
    per_layer = [float((m.weight == 0).float().mean()) for _, m in prunable_layers(layer)]
    per_global = [float((m.weight == 0).float().mean()) for _, m in prunable_layers(mlp)]
    assert all(abs(s - 0.6) < 0.01 for s in per_layer)
    assert max(per_global) - min(per_global) > 0.05  # one threshold: uneven per layer
    total = sum(int((m.weight == 0).sum()) for _, m in prunable_layers(mlp))
    assert total == round(0.6 * sum(m.weight.numel() for _, m in prunable_layers(mlp)))


def test_repeated_amount_prunes_remaining_and_remove_masks_folds(mlp):
    n = sum(m.weight.numel() for _, m in prunable_layers(mlp))
    for a in step_amounts(agp_schedule(0.8, 3)):
        prune_weights(mlp, a)
    zeros = sum(int((m.weight == 0).sum()) for _, m in prunable_layers(mlp))
    assert abs(zeros / n - 0.8) < 0.01
    assert is_masked(mlp)
    x = torch.randn(3, 1, 8, 8)
    out = mlp(x)
    remove_masks(mlp)
    assert not is_masked(mlp)
    assert all(not hasattr(m, "weight_mask") for _, m in prunable_layers(mlp))
    assert torch.equal(out, mlp(x))
    assert count_nonzero(mlp) == count_params(mlp) - zeros


def test_bad_amounts_and_scope(mlp):
    for bad in (1.0, -0.1, -1, True, "half"):
        with pytest.raises(ConfigError) as e:
            prune_weights(mlp, bad)
        assert e.value.field == "prune_ratio"
    with pytest.raises(ConfigError) as e:
        prune_weights(mlp, 0.5, scope="everywhere")
    assert e.value.field == "prune_scope"


def test_prune_neurons_physically_shrinks_and_keeps_classifier(mlp):
    x = torch.randn(4, 1, 8, 8)
    before = (size_bytes(mlp), count_params(mlp))
    ref_mask = tprune.ln_structured(copy.deepcopy(mlp[1]), "weight", amount=0.5, n=1, dim=0)
    kept_rows = ref_mask.weight_mask[:, 0].bool()
    w1 = mlp[1].weight.detach().clone()
    prune_neurons(mlp, 0.5, example_input=x)
    assert (mlp[1].out_features, mlp[3].in_features, mlp[3].out_features) == (24, 24, 16)
    assert mlp[5].out_features == 10 and mlp[5].in_features == 16
    assert torch.equal(mlp[1].weight, w1[kept_rows])  # same units kept as ln_structured
    assert mlp(x).shape == (4, 10)
    assert size_bytes(mlp) < before[0] and count_params(mlp) < before[1]


def test_prune_filters_shrinks_cnn_with_batchnorm(cnn, x):
    before = (size_bytes(cnn), count_params(cnn))
    prune_filters(cnn, 0.5, example_input=x[:1])
    f = cnn.features
    assert (f[0].out_channels, f[1].num_features, f[3].in_channels) == (8, 8, 8)
    assert (f[3].out_channels, f[4].num_features, cnn.classifier.in_features) == (16, 16, 16)
    assert cnn.classifier.out_features == 10
    assert cnn(x).shape == (32, 10)
    assert size_bytes(cnn) < 0.5 * before[0] and count_params(cnn) < 0.5 * before[1]


def test_structured_count_and_filter_in_train_mode_keeps_bn_stats(cnn, x):
    cnn.train()
    stats = cnn.features[1].running_mean.clone()
    prune_filters(cnn, 3, example_input=x[:1])
    assert cnn.features[0].out_channels == 13
    assert cnn.training
    kept = cnn.features[1].running_mean
    assert all(bool((stats == v).any()) for v in kept)  # untouched by the trace


def test_residual_coupling_is_pruned_together():
    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(1, 8, 3, padding=1)
            self.a = nn.Conv2d(8, 8, 3, padding=1)
            self.bn = nn.BatchNorm2d(8)
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))

        def forward(self, x):
            h = torch.relu(self.stem(x))
            return self.head(h + self.bn(self.a(h)))

    torch.manual_seed(0)
    m = Res().eval()
    x = torch.randn(2, 1, 8, 8)
    prune_filters(m, 0.5, example_input=x)
    assert m.stem.out_channels == m.a.out_channels == m.bn.num_features == 4
    assert m.head[2].in_features == 4 and m(x).shape == (2, 10)


def test_at_least_one_unit_stays_and_nothing_half_done(mlp):
    x = torch.randn(1, 1, 8, 8)
    state = copy.deepcopy(mlp.state_dict())
    with pytest.raises(ConfigError) as e:
        prune_neurons(mlp, 0.99, example_input=x)  # 32 units: round(31.68) = 32
    assert e.value.field == "prune_ratio" and "at least one" in str(e.value)
    assert all(torch.equal(state[k], v) for k, v in mlp.state_dict().items())
    with pytest.raises(ConfigError):
        prune_neurons(mlp, 32, example_input=x)
    prune_neurons(mlp, 0.98, example_input=x)  # 48 -> 1, 32 -> 1
    assert mlp[1].out_features == 1 and mlp[3].out_features == 1
    assert mlp(x).shape == (1, 10)


def test_filter_on_mlp_and_neuron_without_hidden_linear_refused(mlp, cnn, x):
    with pytest.raises(ConfigError) as e:
        prune_filters(mlp, 0.5, example_input=x[:1])
    assert e.value.field == "prune_method"
    with pytest.raises(ConfigError) as e:
        prune_neurons(cnn, 0.5, example_input=x[:1])  # the only Linear is the classifier
    assert e.value.field == "prune_method"


def test_output_layer(cnn, x):
    assert output_layer(cnn, x[:1]) is cnn.classifier


def test_agp_schedule():
    s = agp_schedule(0.9, 5)
    assert len(s) == 5 and s[-1] == pytest.approx(0.9)
    assert all(a < b for a, b in zip(s, s[1:]))
    steps = [b - a for a, b in zip([0.0, *s], s)]
    assert all(a > b for a, b in zip(steps, steps[1:]))  # cubic: big steps first
    assert agp_schedule(0.5, 1) == [0.5]
    with pytest.raises(ConfigError):
        agp_schedule(0.5, 0)


def test_sparse_bytes_vs_dense():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    dense = size_bytes(m)
    assert sparse_bytes(m) > dense  # 0% sparse: indices cost extra, shown honestly
    prune_weights(m, 0.8)
    assert sparse_bytes(m) < 0.6 * dense
    remove_masks(m)
    assert sparse_bytes(m) == sparse_bytes(copy.deepcopy(m))


def _int32_csr_bytes(model: nn.Module) -> int:
    """The former encoding: the same CSR parts with int32 indices."""
    state = {k: v.to(torch.int32) if k.endswith("_indices") else v
             for k, v in sparse_state(model).items()}
    buf = io.BytesIO()
    torch.save(state, buf)
    return len(buf.getvalue())


def test_sparse_indices_narrowest_dtype_that_fits():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(200, 300), nn.ReLU(), nn.Linear(300, 10), nn.Linear(10, 70_000))
    prune_weights(m, 0.8)
    st = sparse_state(m)
    # 200 wide -> uint8 columns, 300 wide -> int16; 12,000 non-zeros -> int16 row pointers
    assert st["0.weight.col_indices"].dtype == torch.uint8
    assert st["0.weight.crow_indices"].dtype == torch.int16
    assert st["2.weight.col_indices"].dtype == torch.int16
    assert st["2.weight.crow_indices"].dtype == torch.int16  # 600 non-zeros
    assert st["3.weight.col_indices"].dtype == torch.uint8  # 10 wide
    assert st["3.weight.crow_indices"].dtype == torch.int32  # 140,000 non-zeros
    assert st["0.weight.values"].dtype == torch.float32  # values keep their dtype


def test_sparse_narrow_indices_smaller_at_80_and_still_larger_than_dense_at_0():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    dense = size_bytes(m)
    assert _int32_csr_bytes(m) > sparse_bytes(m) > dense  # 0%: still larger, shown
    prune_weights(m, 0.8)
    assert sparse_bytes(m) < _int32_csr_bytes(m)
    assert sparse_bytes(m) < 0.45 * dense


def test_sparse_round_trip_rebuilds_masked_weight(cnn):
    prune_weights(cnn, 0.8)
    buf = io.BytesIO()
    torch.save(sparse_state(cnn), buf)
    saved = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    assert len(buf.getvalue()) == sparse_bytes(cnn)
    for name, layer in prunable_layers(cnn):
        w = layer.weight.detach()  # masked
        assert int((w == 0).sum()) >= 0.79 * w.numel()
        crow, col, values = (saved[f"{name}.weight.{p}"]
                             for p in ("crow_indices", "col_indices", "values"))
        assert crow.dtype in (torch.uint8, torch.int16) and col.dtype == torch.uint8
        rows = torch.sparse_csr_tensor(crow.long(), col.long(), values,
                                       (w.shape[0], w[0].numel()),
                                       check_invariants=True).to_dense()
        assert torch.equal(rows.reshape(w.shape), w)
        assert f"{name}.weight" not in saved


def test_sensitivity(mlp, cnn, x):
    w = copy.deepcopy(mlp.state_dict())
    df = sensitivity(mlp, lambda m: float(count_nonzero(m)), ratios=(0.25, 0.5))
    assert list(df.columns) == ["layer", "ratio", "acc"] and len(df) == 3 * 2
    assert all(torch.equal(w[k], v) for k, v in mlp.state_dict().items())  # copies only
    assert not is_masked(mlp)
    tuned = []
    df = sensitivity(cnn, lambda m: 1.0, method="filter", example_input=x[:1],
                     ratios=(0.5, 0.99), finetune=tuned.append)
    assert list(df.layer.unique()) == ["features.0", "features.3"]
    assert len(tuned) == 2
    assert df[df.ratio == 0.99].acc.map(math.isnan).all()
    df = sensitivity(mlp, lambda m: 1.0, method="neuron", example_input=x[:1])
    assert list(df.layer.unique()) == ["1", "3"]
