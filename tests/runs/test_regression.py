"""Regression runs: the task is inferred and recorded, a short run fits the 1-D toy set,
the three losses are the ones named, R² / RMSE / MAE match scikit-learn on the run's own
predictions, compression is measured the same way, the store round-trips, a search
maximizes R², and every bad value is refused naming field, value and what is allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.export import export_script
from optwidgets.runs import prepare_data

# A tiny but real fit of sin(pi x): 400 points, two 32-unit layers, 8 epochs (~1 s).
SINE = ow.RunConfig(dataset="sine", model="mlp", hidden=(32, 32), epochs=8, lr=0.01,
                    n_samples=400, batch_size=32)
RIPPLE = ow.RunConfig(dataset="ripple", model="mlp", hidden=(32, 32), epochs=6, lr=0.01,
                      n_samples=400, batch_size=32)


@pytest.fixture(scope="module")
def sine_run():
    return ow.run(SINE, store=False)


def _predictions(model, cfg):
    """``model`` on the config's prepared test split, back in target units."""
    data = prepare_data(cfg)
    with torch.inference_mode():
        out = model.eval()(data.X_test).reshape(-1)
    mean, std = data.target_scale
    return (out * std + mean).numpy(), (data.y_test * std + mean).numpy(), data


def test_a_short_run_fits_the_1d_toy_set(sine_run):
    res = sine_run
    assert res.status == "done", res.error
    assert res.task == "regression" and res.config.task == "auto"
    assert res.metrics["test_r2"] > 0.8 and res.metrics["val_r2"] > 0.8
    assert set(res.metrics) >= {"test_r2", "test_rmse", "test_mae", "val_r2", "val_rmse",
                                "val_mae", "test_loss", "train_loss", "val_loss"}
    assert "test_acc" not in res.metrics and res.confusion == []
    assert res.num_classes == 1 and res.class_names == ["y"]
    # the history logs validation R² each epoch (not accuracy), and the loss falls
    h = res.history
    assert len(h[(h["split"] == "val") & (h["metric"] == "r2")]) == SINE.epochs
    assert not len(h[h["metric"] == "acc"])
    train = h[(h["split"] == "train") & (h["metric"] == "loss")]
    assert train[train["epoch"] == SINE.epochs]["value"].mean() < train[
        train["epoch"] == 1]["value"].mean()
    assert "test R²" in res.summary()


def test_metrics_match_scikit_learn_on_the_runs_own_predictions(sine_run):
    pred, target, _ = _predictions(sine_run.model, SINE)
    m = sine_run.metrics
    assert m["test_r2"] == pytest.approx(r2_score(target, pred), abs=1e-5)
    assert m["test_rmse"] == pytest.approx(mean_squared_error(target, pred) ** 0.5, rel=1e-4)
    assert m["test_mae"] == pytest.approx(mean_absolute_error(target, pred), rel=1e-4)


@pytest.mark.parametrize("loss,reference", [("mse", F.mse_loss), ("mae", F.l1_loss),
                                            ("huber", F.huber_loss)])
def test_each_loss_is_the_one_named(loss, reference):
    cfg = SINE.replace(loss=loss, epochs=3)
    res = ow.run(cfg, store=False)
    assert res.status == "done", res.error
    assert res.metrics["test_r2"] > 0.3  # three epochs: learning, whatever the loss
    data = prepare_data(cfg)
    with torch.inference_mode():
        out = res.model.eval()(data.X_test).reshape(-1)
    # test_loss is the named loss on the standardized targets
    assert res.metrics["test_loss"] == pytest.approx(float(reference(out, data.y_test)),
                                                     rel=1e-5)


def test_the_losses_train_differently():
    losses = {loss: ow.run(SINE.replace(loss=loss, epochs=2), store=False).metrics["train_loss"]
              for loss in ("mse", "mae", "huber")}
    # on the same data and seed: Huber is at most MSE / 2 where errors are below one std,
    # MAE is larger than MSE for errors below one std; all three differ
    assert len({round(v, 6) for v in losses.values()}) == 3
    assert losses["huber"] < losses["mse"] < losses["mae"]


def test_user_data_with_a_continuous_target_runs_as_regression():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        price=1000 + 250 * X[:, 0] - 100 * X[:, 1] + rng.normal(0, 10, 300))
    res = ow.run(model="mlp", hidden=(16,), epochs=10, lr=0.01, data=df, target="price",
                 store=False)
    assert res.status == "done", res.error
    assert res.task == "regression" and res.metrics["test_r2"] > 0.7
    assert 5 < res.metrics["test_rmse"] < 150  # in the target's units (std about 150)
    counts = rng.integers(0, 5, 300)  # integer targets: classes unless task says otherwise
    res = ow.run(model="mlp", hidden=(8,), epochs=1, data=(X, counts), store=False)
    assert res.task == "classification" and "test_acc" in res.metrics
    res = ow.run(model="mlp", hidden=(8,), epochs=1, data=(X, counts), task="regression",
                 store=False)
    assert res.task == "regression" and "test_r2" in res.metrics


def test_compression_is_measured_the_same_way():
    base = ow.run(RIPPLE, store=False)
    pruned = ow.run(RIPPLE.replace(prune_method="weight", prune_ratio=0.5), store=False)
    quant = ow.run(RIPPLE.replace(quant_mode="int8", device="cpu"), store=False)
    for res in (pruned, quant):
        assert res.status == "done", res.error
        before = res.before
        # the model before compression is this run's trained one: the baseline's numbers
        assert before["test_r2"] == pytest.approx(base.metrics["test_r2"], abs=1e-6)
        assert {"test_rmse", "test_mae", "size_bytes", "latency_ms"} <= set(before)
        assert res.latency_ms > 0 and res.latency_iqr_ms is not None
        assert "test_r2" in res.metrics and "test_acc" not in res.metrics
    assert pruned.nonzero_params < 0.6 * base.nonzero_params
    assert quant.size_bytes < base.size_bytes and quant.size_encoding == "int8"
    # int8 changes R² a little on a smooth surface: measured, not assumed
    assert abs(quant.metrics["test_r2"] - base.metrics["test_r2"]) < 0.1


def test_store_round_trip_and_frame(tmp_path):
    store = ow.RunStore(tmp_path / "store")
    res = ow.run(SINE.replace(epochs=2), store=store)
    back = store.load(res.run_id)
    assert back.task == "regression" and back.metrics == pytest.approx(res.metrics)
    assert back.config == res.config
    frame = store.to_frame()
    row = frame.set_index("run_id").loc[res.run_id]
    assert row["task"] == "regression"
    assert row["test_r2"] == pytest.approx(res.metrics["test_r2"])
    assert row["test_rmse"] == pytest.approx(res.metrics["test_rmse"])
    assert pd.isna(row["test_acc"])
    # the stored model predicts what the run measured
    model = store.load_model(res.run_id)
    pred, target, _ = _predictions(model, SINE.replace(epochs=2))
    assert r2_score(target, pred) == pytest.approx(res.metrics["test_r2"], abs=1e-5)


def test_a_search_maximizes_r2(tmp_path):
    store = ow.RunStore(tmp_path / "store")
    result = ow.search(SINE.replace(epochs=2), space={"lr": ("log", 1e-3, 3e-2)},
                       method="random", n_trials=2, store=store, seed=0)
    assert tuple(result.objectives) == ("val_r2",) and tuple(result.directions) == ("maximize",)
    frame = result.trials_frame()
    assert (frame["state"] == "COMPLETE").all() and len(frame) == 2
    best = result.best
    assert best.values["val_r2"] == max(frame["value"])  # chosen on validation
    assert "test_r2" in best.metrics  # the test split reports it
    rmse = ow.search(SINE.replace(epochs=1), space={"lr": ("log", 1e-3, 3e-2)},
                     method="random", n_trials=1, store=False, objectives="test_rmse")
    assert tuple(rmse.directions) == ("minimize",)
    with pytest.raises(ConfigError) as err:
        ow.search(SINE, space={"lr": ("log", 1e-3, 1e-1)}, n_trials=1, objectives="test_acc",
                  store=False)
    assert err.value.field == "objectives" and "test_r2" in err.value.allowed


@pytest.mark.parametrize("changes,field,value,allowed", [
    ({"loss": "l2"}, "loss", "l2", "'mse'"),
    ({"task": "regression", "dataset": "digits", "model": "mlp"}, "task", "regression",
     "'auto' or 'classification'"),
    ({"task": "classification"}, "task", "classification", "'auto' or 'regression'"),
    ({"task": "ordinal"}, "task", "ordinal", "'classification'"),
    ({"distill_student": "mlp_small"}, "distill_student", "mlp_small", "'' (off)"),
    ({"classes": (0, 1)}, "classes", (0, 1), "() (its default)"),
])
def test_bad_values_are_refused_naming_field_value_and_allowed(changes, field, value,
                                                              allowed):
    with pytest.raises(ConfigError) as err:
        ow.run(store=False, **({"dataset": "sine", "model": "mlp", "epochs": 1} | changes))
    e = err.value
    assert e.field == field and e.value == value and allowed in e.allowed, str(e)


def test_loss_is_inactive_for_classification():
    cfg = ow.RunConfig(dataset="moons", model="mlp", loss="huber")
    assert "regression" in cfg.inactive_reason("loss")
    assert ow.RunConfig(dataset="sine", model="mlp").inactive_reason("loss") is None
    with pytest.raises(ConfigError) as err:
        ow.run(cfg, store=False)
    assert err.value.field == "loss" and "'mse' (its default)" in err.value.allowed


def test_the_exported_script_refuses_a_regression_clearly():
    with pytest.raises(ConfigError) as err:
        export_script(SINE)
    assert err.value.field == "task" and err.value.value == "regression"
    assert "classification" in err.value.allowed
