"""The Explorer on a 2-D regression set, headless: the task note says what the dataset
declares, Train draws the predicted surface, the trade-off point and the status line use
R², the runs grid shows R² and RMSE, and the loss control applies to regression only."""

from __future__ import annotations

import numpy as np
import pytest

import optwidgets as ow
from optwidgets import viz

from .helpers import TIMEOUT, tiny


@pytest.fixture
def reg_explorer(store, tmp_path):
    cfg = tiny(dataset="ripple", hidden=(16,), n_samples=300, epochs=3, lr=0.01)
    ex = ow.Explorer(cfg, store=store, export_dir=tmp_path / "exports")
    assert ex.ready(TIMEOUT)
    yield ex
    ex.stop()
    assert ex.wait(TIMEOUT), "a background run did not end"


def test_train_draws_the_surface_and_the_tradeoff_uses_r2(reg_explorer, store):
    ex = reg_explorer
    assert "task: regression" in ex.task_note.value and "'ripple'" in ex.task_note.value
    assert ex.tradeoff.y.value == "test_r2"  # chosen from the dataset, before any run
    assert ex.train(block=True) is True
    assert ex.state == "done", ex.status
    res = ex.last_result
    assert res.task == "regression" and res.metrics["test_r2"] is not None
    assert "regression: test R²" in ex.status and "test accuracy" not in ex.status
    # the predicted surface, in target units, drawn beside the curves
    b = ex.boundary
    assert b.last_error is None and b.redraws >= 1 and b.widget.layout.display is None
    surface, points = b.figure.data[0], b.figure.data[1]
    assert surface.name == "prediction" and points.name == "data"
    z = np.asarray(surface.z, dtype=float)
    assert z.shape == (b.resolution, b.resolution) and np.isfinite(z).all()
    assert np.ptp(z) > 0.3  # a trained model follows the ripple: not a flat plane
    # the trade-off point sits at the run's R²
    fig = ex.tradeoff.figure
    latest = [t for t in fig.data if t.name == viz.TRACE_LATEST][0]
    assert list(latest.customdata) == [res.run_id]
    assert float(latest.y[0]) == pytest.approx(res.metrics["test_r2"])
    assert fig.layout.yaxis.title.text == "Test R²"
    # the runs grid shows R² and RMSE, and no accuracy
    row = ex.runs.shown.iloc[0]
    assert row["test R²"] == pytest.approx(res.metrics["test_r2"], abs=1e-4)
    assert row["test RMSE"] == pytest.approx(res.metrics["test_rmse"], rel=1e-3)
    assert np.isnan(row["test acc"])


def test_the_loss_control_applies_to_regression_only(reg_explorer):
    ex = reg_explorer
    loss = ex.controls["loss"]
    assert not loss.disabled
    loss.value = "huber"
    assert ex.config.loss == "huber" and "loss huber" in ex.task_note.value
    loss.value = "mse"
    ex.controls["dataset"].value = "moons"
    assert loss.disabled  # inactive: classification trains on cross-entropy
    assert "task: classification" in ex.task_note.value
    assert ex.tradeoff.y.value == "test_acc"
    assert ex.boundary.applies("moons") and not ex.boundary.applies("sine")
