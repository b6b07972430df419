"""The Trainer against a plain PyTorch loop, and its knobs."""

import collections
import copy
import math
import threading

import pytest
import torch
import torch.nn.functional as F

from optwidgets.config import RunConfig
from optwidgets.runs import build_model_for, prepare_data
from optwidgets.train import Callback, CallbackList, RunState, StopRun, Trainer, trainer
from optwidgets.train.trainer import RunDiverged, l1_parameters, shuffle_seed, train_step


@pytest.fixture(scope="module")
def digits():
    return prepare_data(RunConfig(model="mlp"))


def _plain_losses(cfg, data, opt_factory):
    model = build_model_for(cfg, data.input_shape, data.num_classes)
    opt = opt_factory(model.parameters())
    gen = torch.Generator().manual_seed(shuffle_seed(cfg.seed, 0))
    out = []
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(data.X_train), generator=gen)
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            loss = F.cross_entropy(model(data.X_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
    return out


@pytest.mark.parametrize("optimizer,factory", [
    ("adam", lambda p: torch.optim.Adam(p, lr=3e-3)),
    ("sgd", lambda p: torch.optim.SGD(p, lr=3e-3, momentum=0.9)),
])
def test_step_losses_match_a_plain_pytorch_loop(digits, optimizer, factory):
    cfg = RunConfig(model="mlp", optimizer=optimizer, epochs=2, lr=3e-3)
    model = build_model_for(cfg, digits.input_shape, digits.num_classes)
    run = RunState(cfg, "t")
    Trainer(model, digits, cfg, run=run).fit(cfg.epochs)
    ours = [r[-1] for r in run.history_rows if r[3] == "train" and r[4] == "loss"]
    ref = _plain_losses(cfg, digits, factory)
    assert len(ours) == len(ref)
    assert ours == pytest.approx(ref, rel=1e-5, abs=1e-6)


def test_history_has_val_metrics_per_epoch(digits):
    cfg = RunConfig(model="mlp", epochs=3)
    run = RunState(cfg, "t")
    Trainer(build_model_for(cfg, digits.input_shape, 10), digits, cfg, run=run).fit(3)
    val = [r for r in run.history_rows if r[3] == "val"]
    assert [(r[1], r[4]) for r in val] == [(e, m) for e in (1, 2, 3) for m in ("loss", "acc")]
    assert val[-1][-1] > 0.8  # digits mlp learns within 3 epochs


class _StopAt(Callback):
    def __init__(self, step, cancel):
        self.step, self.cancel, self.seen = step, cancel, []

    def on_batch_end(self, run, loss):
        self.seen.append(run.step)
        if run.step == self.step:
            self.cancel.set()


def test_cancel_stops_within_one_batch(digits):
    cfg = RunConfig(model="mlp", epochs=5)
    cancel = threading.Event()
    cb = _StopAt(7, cancel)
    run = RunState(cfg, "t", cancel=cancel)
    with pytest.raises(StopRun):
        Trainer(build_model_for(cfg, digits.input_shape, 10), digits, cfg, run=run,
                callbacks=CallbackList([cb])).fit(5)
    assert cb.seen[-1] == 7 and run.step == 7


class TurnsNaN(torch.nn.Module):
    """A linear model whose output becomes NaN from its 5th forward pass on."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(64, 10)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        out = self.lin(x.flatten(1))
        return out * float("nan") if self.calls >= 5 else out


def test_nan_loss_ends_the_fit_as_diverged(digits):
    cfg = RunConfig(model="mlp", epochs=5)
    run = RunState(cfg, "t")
    with pytest.raises(RunDiverged, match="loss became nan at step 5"):
        Trainer(TurnsNaN(), digits, cfg, run=run).fit(5)
    assert len([r for r in run.history_rows if r[4] == "loss"]) == 5


@pytest.mark.parametrize("schedule", ["step", "cosine", "onecycle"])
def test_schedules_change_the_learning_rate(digits, schedule):
    cfg = RunConfig(model="mlp", epochs=3, schedule=schedule, step_size=1, lr=0.01)
    run = RunState(cfg, "t")
    Trainer(build_model_for(cfg, digits.input_shape, 10), digits, cfg, run=run).fit(3)
    lrs = [r[-1] for r in run.history_rows if r[4] == "lr"]
    assert len(set(lrs)) == 3 and lrs[-1] < 0.01


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "adagrad", "rmsprop"])
def test_every_optimizer_learns(digits, optimizer):
    lr = {"sgd": 0.05, "adagrad": 0.05}.get(optimizer, 3e-3)
    cfg = RunConfig(model="mlp", optimizer=optimizer, lr=lr, epochs=3, nesterov=True)
    run = RunState(cfg, "t")
    Trainer(build_model_for(cfg, digits.input_shape, 10), digits, cfg, run=run).fit(3)
    assert [r[-1] for r in run.history_rows if r[4] == "acc"][-1] > 0.8


def test_early_stopping_restores_the_best_weights(digits):
    # a tiny validation improvement threshold with a high lr makes val loss bounce
    cfg = RunConfig(model="mlp", epochs=30, patience=2, lr=0.05, optimizer="sgd", momentum=0.9)
    run = RunState(cfg, "t")
    model = build_model_for(cfg, digits.input_shape, 10)
    t = Trainer(model, digits, cfg, run=run)
    t.fit(30)
    assert "early_stopped_epoch" in run.extra and run.extra["early_stopped_epoch"] < 30
    val = [r[-1] for r in run.history_rows if r[3] == "val" and r[4] == "loss"]
    from optwidgets.train import evaluate
    now, _, _ = evaluate(model, digits.X_val, digits.y_val)
    assert now == pytest.approx(min(val), rel=1e-5)
    assert run.extra["best_epoch"] == val.index(min(val)) + 1


def test_l1_and_clipping_and_weight_decay_shrink_weights(digits):
    def weight_norm(**kw):
        cfg = RunConfig(model="mlp", epochs=2, **kw)
        model = build_model_for(cfg, digits.input_shape, 10)
        Trainer(model, digits, cfg, run=RunState(cfg, "t")).fit(2)
        return sum(p.abs().sum().item() for p in model.parameters() if p.dim() > 1)
    base = weight_norm()
    assert weight_norm(l1=1e-3) < base
    assert weight_norm(weight_decay=0.1, optimizer="adamw") < base
    assert math.isfinite(weight_norm(grad_clip=0.1))


def test_bf16_autocast_on_cpu_trains(digits):
    cfg = RunConfig(model="mlp", epochs=1, amp="bf16")
    run = RunState(cfg, "t")
    Trainer(build_model_for(cfg, digits.input_shape, 10), digits, cfg, run=run).fit(1)
    assert [r[-1] for r in run.history_rows if r[4] == "acc"][-1] > 0.5


def test_train_step_matches_a_hand_written_step_with_l1_and_clipping():
    torch.manual_seed(0)
    ours = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ref = copy.deepcopy(ours)
    X, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    opt_ours = torch.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        got = train_step(ours, opt_ours, X, y, l1=1e-2, l1_params=l1_parameters(ours), clip=0.5)
        loss = F.cross_entropy(ref(X), y) + 1e-2 * (ref[0].weight.abs().sum()
                                                    + ref[2].weight.abs().sum())
        opt_ref.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
        opt_ref.step()
        assert got.item() == pytest.approx(loss.item(), rel=1e-6)
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_fit_runs_the_shared_functions_the_exported_script_carries(digits, monkeypatch):
    """Trainer.fit is built from trainer's top-level functions, not a private copy of them."""
    calls = collections.Counter()

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    for name in ("make_optimizer", "make_scheduler", "amp_context", "l1_parameters",
                 "batch_order", "train_step", "keep_loss", "epoch_losses", "check_epoch_loss",
                 "evaluate"):
        monkeypatch.setattr(trainer, name, counting(name, getattr(trainer, name)))
    for method in ("update", "restore"):
        monkeypatch.setattr(trainer.EarlyStopping, method,
                            counting(method, getattr(trainer.EarlyStopping, method)))
    cfg = RunConfig(model="mlp", epochs=2, patience=5)
    run = RunState(cfg, "t")
    Trainer(build_model_for(cfg, digits.input_shape, 10), digits, cfg, run=run).fit(2)
    spe = math.ceil(len(digits.X_train) / cfg.batch_size)
    assert calls == {"make_optimizer": 1, "make_scheduler": 1, "amp_context": 1,
                     "l1_parameters": 1, "batch_order": 2, "train_step": 2 * spe,
                     "keep_loss": 2 * spe, "epoch_losses": 2, "check_epoch_loss": 2,
                     "evaluate": 2, "update": 2, "restore": 1}
    assert run.extra["best_epoch"] in (1, 2)


def test_a_loss_that_only_climbs_is_diverged_not_done():
    """rmsprop at lr 10 never reaches inf on digits: it climbs to ~1e7 and would finish
    "done" with test accuracy 0.10 if only NaN/inf counted."""
    import optwidgets as ow
    from optwidgets.train.trainer import DIVERGENCE_GROWTH

    res = ow.run(ow.RunConfig(dataset="digits", model="mlp", optimizer="rmsprop", lr=10,
                              epochs=3), store=False)
    assert res.status == "diverged" and f"past {DIVERGENCE_GROWTH:g} times its start" in res.error
    healthy = ow.run(ow.RunConfig(dataset="digits", model="mlp", epochs=3), store=False)
    assert healthy.status == "done"
