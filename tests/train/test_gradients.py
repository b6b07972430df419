"""Gradient health: per-layer gradient norms and update ratios, every k steps."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from torch import nn

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.train.gradients import (
    GRADIENT_COLUMNS,
    GradientRecorder,
    layer_groups,
    live_recorder,
)
from optwidgets.train.trainer import train_step


def _tiny() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _hand(net: nn.Module, opt_factory, X, y, *, clip: float = 0.0):
    """Grad norm and update ratio of each layer, computed by hand on a copy of ``net``."""
    import copy

    import torch.nn.functional as F

    ref = copy.deepcopy(net)
    opt = opt_factory(ref.parameters())
    opt.zero_grad()
    F.cross_entropy(ref(X), y).backward()
    layers = [ref[0], ref[2]]
    grads = [math.sqrt(sum(float(p.grad.pow(2).sum()) for p in m.parameters())) for m in layers]
    before = [[p.detach().clone() for p in m.parameters()] for m in layers]
    if clip:
        nn.utils.clip_grad_norm_(ref.parameters(), clip)
    opt.step()
    ratios = []
    for m, old in zip(layers, before):
        dw = math.sqrt(sum(float((p.detach() - o).pow(2).sum()) for p, o in zip(m.parameters(), old)))
        w = math.sqrt(sum(float(o.pow(2).sum()) for o in old))
        ratios.append(dw / w)
    return grads, ratios


@pytest.mark.parametrize("opt_factory, clip", [
    (lambda ps: torch.optim.SGD(ps, lr=0.1), 0.0),
    (lambda ps: torch.optim.Adam(ps, lr=0.01), 0.0),
    (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 0.05),  # norms are before clipping
])
def test_norms_equal_a_hand_computation(opt_factory, clip):
    net = _tiny()
    X, y = torch.randn(16, 3, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 2
    want_grads, want_ratios = _hand(net, opt_factory, X, y, clip=clip)
    rec = GradientRecorder(every=1)
    rec.bind(net, "train")
    train_step(net, opt_factory(net.parameters()), X, y, clip=clip, monitor=rec.at(1, 1))
    frame = rec.frame()
    assert list(frame.columns) == GRADIENT_COLUMNS
    assert frame["layer"].tolist() == ["0 (Linear)", "2 (Linear)"]
    assert frame["grad_norm"].tolist() == pytest.approx(want_grads, rel=1e-5)
    assert frame["update_ratio"].tolist() == pytest.approx(want_ratios, rel=1e-4)
    if clip:
        assert math.hypot(*want_grads) > clip  # the clip acted, the record shows the raw norm


def test_records_stay_on_the_device_until_flushed():
    net = _tiny()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    rec = GradientRecorder(every=2)
    rec.bind(net, "train")
    X, y = torch.randn(8, 3), torch.arange(8) % 2
    for step in range(1, 7):
        train_step(net, opt, X, y, monitor=rec.at(step, 1))
    assert rec.rows == [] and len(rec._pending) == 3  # nothing read back per step
    assert all(isinstance(t, torch.Tensor) for *_, t in rec._pending)
    rec.flush()
    assert sorted({r[0] for r in rec.rows}) == [2, 4, 6] and rec._pending == []


def test_a_run_records_every_k_steps_for_every_layer():
    res = ow.run(dataset="xor", model="mlp", hidden=(8, 8), epochs=2, batch_size=32,
                 grad_every=3, store=False)
    g = res.gradients
    steps = res.history.query("split == 'train' and metric == 'loss'")["step"]
    assert sorted(g["step"].unique()) == [s for s in range(1, steps.max() + 1) if s % 3 == 0]
    assert set(g.groupby("step")["layer"].nunique()) == {3}
    assert list(dict.fromkeys(g["layer"])) == ["1 (Linear)", "3 (Linear)", "5 (Linear)"]
    assert (g["grad_norm"] > 0).all() and (g["update_ratio"] > 0).all()
    assert set(g["phase"]) == {"train"}
    assert (g["epoch"].isin([1, 2])).all()


def test_layer_names_are_readable():
    groups = layer_groups(ow.models.build_model("cnn", (1, 8, 8), 10))
    names = [n for n, _ in groups]
    assert names[0] == "0 (Conv2d)" and names[-1].endswith("(Linear)")
    assert all("(" in n for n in names)  # never a bare '0' or '4'
    frozen = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    frozen[0].requires_grad_(False)
    assert [n for n, _ in layer_groups(frozen)] == ["1 (Linear)"]


def test_vanishing_gradients_in_a_deep_sigmoid_mlp():
    res = ow.run(dataset="digits", model="mlp", hidden=(32,) * 6, activation="sigmoid",
                 optimizer="sgd", lr=0.1, epochs=1, grad_every=2, seed=0, store=False)
    med = res.gradients.groupby("layer", sort=False)["grad_norm"].median()
    first, last = med.iloc[0], med.iloc[-1]
    assert med.index[0] == "1 (Linear)" and med.index[-1] == "13 (Linear)"
    assert first < 1e-2 * last, med  # measured ~3e-5 times: each sigmoid passes <= 1/4 back


def test_off_when_zero():
    res = ow.run(dataset="xor", model="mlp", epochs=1, grad_every=0, store=False)
    assert res.gradients.empty and list(res.gradients.columns) == GRADIENT_COLUMNS
    assert live_recorder(res.run_id) is None


@pytest.mark.parametrize("bad", [-1, 1.5, "often", True, 2_000_000])
def test_bad_values_refused(bad):
    with pytest.raises(ConfigError) as info:
        ow.RunConfig(grad_every=bad)
    assert info.value.field == "grad_every"
    assert "integer" in str(info.value)


@pytest.mark.parametrize("bad", [0, -3, 2.0, None])
def test_recorder_refuses_a_bad_interval(bad):
    with pytest.raises(ConfigError) as info:
        GradientRecorder(bad)
    assert info.value.field == "grad_every"


def test_stored_and_reloaded(tmp_path):
    store = ow.RunStore(tmp_path)
    res = ow.run(dataset="xor", model="mlp", hidden=(8,), epochs=2, grad_every=4, store=store)
    back = store.load(res.run_id).gradients
    assert len(back) > 0
    pd.testing.assert_frame_equal(back, res.gradients, check_dtype=False)
    assert ow.RunResult.from_dict(res.to_dict()).gradients.shape == res.gradients.shape


def test_a_stored_run_without_gradients_loads():
    res = ow.run(dataset="xor", model="mlp", epochs=1, grad_every=5, store=False)
    d = res.to_dict()
    d.pop("gradients")  # a store file written before gradients were recorded
    assert ow.RunResult.from_dict(d).gradients.empty


def test_finetune_phase_records_too():
    res = ow.run(dataset="xor", model="mlp", hidden=(16,), epochs=1, prune_method="neuron",
                 prune_ratio=0.5, finetune_epochs=1, grad_every=2, store=False)
    assert res.status == "done", res.error
    assert set(res.gradients["phase"]) == {"train", "finetune"}
    assert res.gradients["step"].is_monotonic_increasing
