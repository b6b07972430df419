"""optwidgets.runs.analysis.decision_grid: the grid, the probabilities, the model left as it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.runs import build_model_for, prepare_data
from optwidgets.runs.analysis import decision_grid


def _net(k: int = 2, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Dropout(dropout), nn.Linear(16, k))


def test_grid_spans_the_data_plus_margin():
    X = np.array([[-1.0, 2.0], [3.0, 5.0], [0.0, 4.0]])
    xx, yy, proba = decision_grid(_net(), X, resolution=7, margin=0.5)
    assert xx.shape == yy.shape == (7, 7)
    assert proba.shape == (7, 7, 2)
    assert xx.dtype == yy.dtype == proba.dtype == np.float64
    assert xx[0].tolist() == pytest.approx(np.linspace(-1.5, 3.5, 7).tolist())
    assert yy[:, 0].tolist() == pytest.approx(np.linspace(1.5, 5.5, 7).tolist())
    assert (xx == xx[0]).all() and (yy[:, 0] == yy.T).all()  # a np.meshgrid pair


def test_probabilities_are_the_softmax_of_the_model_at_each_point():
    net = _net(k=3)
    xx, yy, proba = decision_grid(net, torch.randn(50, 2), resolution=11)
    pts = torch.tensor(np.stack([xx.ravel(), yy.ravel()], 1), dtype=torch.float32)
    with torch.no_grad():
        expected = torch.softmax(net(pts), 1).double().numpy().reshape(11, 11, 3)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(proba.sum(-1), 1.0, atol=1e-6)


def test_eval_mode_during_the_call_and_the_mode_restored_after():
    net = _net(dropout=0.5).train()
    before = [p.detach().clone() for p in net.parameters()]
    a = decision_grid(net, np.random.default_rng(0).normal(size=(30, 2)), resolution=9)[2]
    b = decision_grid(net, np.random.default_rng(0).normal(size=(30, 2)), resolution=9)[2]
    np.testing.assert_array_equal(a, b)  # dropout off: deterministic
    assert net.training
    net.eval()
    decision_grid(net, np.zeros((2, 2)) + [[0, 0], [1, 1]], resolution=3)
    assert not net.training
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters()))


def test_a_trained_model_on_preprocessed_toy_data():
    cfg = ow.RunConfig(dataset="gaussians", model="mlp", hidden=(16,), epochs=3, lr=0.01,
                       n_samples=300, device="cpu")  # fmt: skip
    res = ow.run(cfg, store=False)
    data = prepare_data(cfg)
    xx, yy, proba = decision_grid(res.model, data, resolution=40, margin=0.25)
    X = torch.cat([data.X_train, data.X_val, data.X_test]).double()
    assert xx.min() == pytest.approx(float(X[:, 0].min()) - 0.25)
    assert yy.max() == pytest.approx(float(X[:, 1].max()) + 0.25)
    assert proba.shape == (40, 40, 3)
    # The grid's predicted classes agree with the model's own accuracy: the cell nearest
    # each test point predicts what the model predicts there, for most points.
    col = np.abs(xx[0][None, :] - data.X_test[:, :1].double().numpy()).argmin(1)
    row = np.abs(yy[:, 0][None, :] - data.X_test[:, 1:].double().numpy()).argmin(1)
    grid_pred = proba[row, col].argmax(-1)
    acc = float((grid_pred == data.y_test.numpy()).mean())
    assert acc == pytest.approx(res.metrics["test_acc"], abs=0.1)

    import optwidgets.viz as viz

    fig = viz.decision_boundary(xx, yy, proba, X.numpy(), torch.cat(
        [data.y_train, data.y_val, data.y_test]).numpy())  # fmt: skip
    assert fig.data[0].name == "predicted class"


def test_refuses_data_without_two_features():
    cfg = ow.RunConfig(dataset="digits", model="mlp")
    data = prepare_data(cfg)
    net = build_model_for(cfg, data.input_shape, data.num_classes)
    with pytest.raises(ConfigError) as info:
        decision_grid(net, data)
    assert info.value.field == "data"
    assert "(1, 8, 8)" in str(info.value) and "digits" in str(info.value)
    with pytest.raises(ConfigError, match="data="):
        decision_grid(_net(), np.zeros((5, 3)))
    with pytest.raises(ConfigError, match="data="):
        decision_grid(_net(), np.zeros((0, 2)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"resolution": 1}, "resolution"), ({"resolution": 2.5}, "resolution"),
     ({"margin": -0.1}, "margin"), ({"margin": float("nan")}, "margin")],
)  # fmt: skip
def test_refuses_bad_options(kwargs, field):
    with pytest.raises(ConfigError) as info:
        decision_grid(_net(), np.zeros((3, 2)), **kwargs)
    assert info.value.field == field
