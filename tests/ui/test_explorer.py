"""Train / Stop on the background thread, live curves, runs views, loading and saving."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

import optwidgets as ow
from conftest import TIMEOUT, tiny, wait_until
from optwidgets import viz


def test_train_fills_live_curves_and_adds_a_row(explorer, store):
    fig = explorer.figure
    assert len(store) == 0 and "No runs yet" in explorer.runs.table.value
    t0 = time.perf_counter()
    assert explorer.train() is True
    assert time.perf_counter() - t0 < 1.0  # returns at once: the kernel stays free
    assert explorer.running and explorer.train_button.disabled
    assert not explorer.stop_button.disabled
    assert explorer.wait(TIMEOUT)
    assert explorer.state == "done", explorer.status
    assert explorer.status.startswith("done: test accuracy")
    assert explorer.last_result.status == "done"
    traces = {t.name: t for t in fig.data}
    assert len(traces[viz.TRACE_TRAIN_SMOOTH].x) > 0 and len(traces[viz.TRACE_TRAIN_RAW].y) > 0
    assert len(traces[viz.TRACE_VAL_LOSS].x) == 2 and len(traces[viz.TRACE_VAL_ACC].y) == 2
    assert explorer.live.last_error is None and explorer.live.redraws >= 1
    assert explorer.progress.bar.bar_style == "success"
    assert explorer.progress.bar.value == explorer.progress.bar.max
    assert len(store) == 1 and explorer.last_result.run_id in explorer.runs.table.value
    assert [t.name for t in explorer.tradeoff.figure.data] == [viz.TRACE_PARETO, "baseline"]
    assert not explorer.train_button.disabled and explorer.stop_button.disabled


def test_same_figure_reused_across_runs(explorer, store):
    fig, tradeoff = explorer.figure, explorer.tradeoff.figure
    explorer.train(block=True)
    first = len(fig.data[0].x)
    explorer.config.epochs = 1
    explorer.train(block=True)
    assert explorer.figure is fig and explorer.tradeoff.figure is tradeoff
    assert len(fig.data) == 4
    assert 0 < len(fig.data[0].x) < first  # cleared, then refilled by the shorter run
    assert len(store) == 2


def test_stop_ends_the_run_with_status_stopped(explorer):
    explorer.config.epochs = 5000
    assert explorer.train()
    assert wait_until(lambda: explorer.live.recording.n_points > 0)
    explorer.stop_button.click()
    assert explorer.wait(TIMEOUT)
    assert explorer.last_result.status == "stopped" and explorer.state == "stopped"
    assert explorer.status.startswith("stopped at step")
    assert explorer.runs.frame["status"].tolist() == ["stopped"]


def test_second_click_during_a_run_does_nothing(explorer, store):
    explorer.config.epochs = 20
    explorer.train_button.click()
    explorer.train_button.click()  # disabled in the browser; guarded here too
    assert explorer.train() is False
    assert explorer.wait(TIMEOUT)
    assert len(store) == 1


def test_a_failing_run_shows_a_readable_message_and_the_ui_stays_usable(
    explorer, store, monkeypatch
):
    from optwidgets.train import trainer

    def boom(self, epochs, *, phase="train"):
        raise RuntimeError("boom in the training loop")

    with monkeypatch.context() as m:
        m.setattr(trainer.Trainer, "fit", boom)
        explorer.train(block=True)
    assert explorer.state == "failed"
    assert explorer.status.startswith("failed: RuntimeError: boom in the training loop")
    assert "Traceback" not in explorer.status_html.value
    row = explorer.runs.frame.iloc[0]
    assert row["status"] == "failed" and "boom" in row["error"]
    assert "boom" in explorer.runs.table.value  # the table shows status and error
    assert not explorer.train_button.disabled
    explorer.train(block=True)  # usable again
    assert explorer.state == "done" and len(store) == 2


def test_an_error_before_the_start_is_shown_not_raised(explorer, monkeypatch):
    import optwidgets.runs as experiment

    def refuse(*args, **kwargs):
        raise ow.ConfigError("device", "cuda", "one of auto, cpu", "no CUDA here")

    monkeypatch.setattr(experiment, "run", refuse)
    assert explorer.train(block=True)
    assert explorer.state == "error" and explorer.last_result is None
    assert explorer.status == (
        "not started: device='cuda' is not allowed: expected one of auto, cpu (no CUDA here)"
    )
    assert not explorer.train_button.disabled


def test_a_diverged_run_says_so(explorer, monkeypatch):
    from optwidgets.train import trainer

    def diverge(self, epochs, *, phase="train"):
        raise trainer.RunDiverged("training loss became nan at step 3")

    monkeypatch.setattr(trainer.Trainer, "fit", diverge)
    explorer.train(block=True)
    assert explorer.state == "diverged" and "smaller learning rate" in explorer.status
    assert explorer.runs.frame["status"].tolist() == ["diverged"]


def _click(fig, trace_index: int, point_index: int) -> None:
    """What the browser sends when a point is clicked (plotly's FigureWidget protocol)."""
    t = fig.data[trace_index]
    fig._js2py_pointsCallback = {
        "event_type": "plotly_click",
        "device_state": None,
        "selector": None,
        "points": {
            "xs": [t.x[point_index]],
            "ys": [t.y[point_index]],
            "point_indexes": [point_index],
            "trace_indexes": [trace_index],
        },
    }


def test_clicking_a_tradeoff_point_loads_its_config(explorer, store):
    explorer.config.lr = 0.02
    explorer.train(block=True)
    first = explorer.last_result.run_id
    explorer.config.lr = 0.3
    explorer.train(block=True)
    fig = explorer.tradeoff.figure
    trace = fig.data[1]
    assert set(trace.customdata) == {first, explorer.last_result.run_id}
    explorer.controls["lr"].value = 0.001
    _click(fig, 1, list(trace.customdata).index(first))
    assert explorer.config.lr == pytest.approx(0.02)
    assert explorer.controls["lr"].value == pytest.approx(0.02)
    assert first in explorer.message.value
    assert explorer.load_run("no-such-run") is None and "could not load" in explorer.message.value


def test_tradeoff_axes_are_selectable(explorer):
    explorer.train(block=True)
    explorer.tradeoff.x.value = "train_seconds"
    explorer.tradeoff.y.value = "f1"
    fig = explorer.tradeoff.figure
    assert fig.layout.xaxis.title.text == viz.axis_label("train_seconds")
    assert fig.layout.yaxis.title.text == viz.axis_label("f1")
    assert len(fig.data[1].x) == 1


def test_runs_table_sorts_exports_and_overlays(explorer, store, tmp_path):
    for lr in (0.01, 0.2):
        explorer.config.lr = lr
        explorer.train(block=True)
    table = explorer.runs
    table.sort_by.value = "lr"
    table.ascending.value = True
    assert table.sorted_frame()["lr"].tolist() == [0.01, 0.2]
    table.ascending.value = False
    assert table.sorted_frame()["lr"].tolist() == [0.2, 0.01]
    html = table.table.value
    assert html.index("0.2") < html.index("0.01")
    path = explorer.export_csv()
    assert path.parent == tmp_path / "exports" and str(path) in table.message.value
    assert pd.read_csv(path)["lr"].tolist() == [0.2, 0.01]
    ids = [v for _, v in table.select.options]
    table.select.value = tuple(ids)
    assert len(table.overlay.data) == 2
    assert {str(t.customdata[0]) for t in table.overlay.data} == set(ids)
    table.overlay_metric.value = "val accuracy"
    assert all(len(t.y) == 2 for t in table.overlay.data)
    conf = np.asarray(table.confusion.data[0].z)
    assert conf.shape == (2, 2) and conf.sum() > 0


def test_runs_table_survives_a_restart(explorer, store):
    explorer.train(block=True)
    fresh = ow.Explorer(tiny(), store=store.path)  # a new kernel: same folder
    assert fresh.runs.frame["run_id"].tolist() == [explorer.last_result.run_id]
    assert len(fresh.tradeoff.figure.data[1].x) == 1


def test_confusion_matrix_of_the_latest_run_without_a_selection(explorer):
    explorer.train(block=True)
    z = np.asarray(explorer.runs.confusion.data[0].z)
    assert z.sum() == sum(map(sum, explorer.last_result.confusion))


def test_decision_boundary_for_toy_data_only(explorer, store):
    pytest.importorskip("optwidgets.runs.analysis")
    explorer.config.epochs = 3
    explorer.train(block=True)
    b = explorer.boundary
    assert b.last_error is None and b.redraws >= 2
    assert b.widget.layout.display is None
    assert b.figure.data[0].name == "P(class 1)"
    assert np.asarray(b.figure.data[0].z).shape == (b.resolution, b.resolution)
    explorer.controls["dataset"].value = "digits"
    assert b.widget.layout.display == "none"


def test_copy_config_and_from_json_round_trip(explorer, store):
    explorer.config.lr = 0.04
    text = explorer.copy_config()
    assert explorer.json_box.layout.display is None and explorer.json_text.value == text
    again = ow.Explorer.from_json(text, store=store)
    assert again.config == explorer.config and again.config is not explorer.config
    explorer.train(block=True)
    saved = (store.runs_dir / f"{explorer.last_result.run_id}.json").read_text()
    assert ow.Explorer.from_json(saved, store=store).config == explorer.config


def test_loading_json_in_the_box(explorer):
    explorer.copy_config()
    explorer.json_text.value = json.dumps({"dataset": "xor", "model": "mlp", "epochs": 4})
    explorer.json_apply.click()
    assert explorer.config.dataset == "xor" and explorer.controls["epochs"].value == 4
    explorer.json_text.value = '{"lr": -1}'
    explorer.json_apply.click()
    assert "lr=-1" in explorer.message.value and explorer.config.dataset == "xor"
    explorer.json_text.value = "{not json"
    assert explorer.apply_json() is False and "JSON not loaded" in explorer.message.value


def test_export_script_writes_a_file(explorer, tmp_path):
    pytest.importorskip("optwidgets.export")
    explorer.export_button.click()
    path = tmp_path / "exports" / "train_moons_mlp.py"
    assert path.exists() and str(path) in explorer.message.value
    assert "import optwidgets" not in path.read_text()
    explorer.config = ow.RunConfig(dataset="digits", model="mlp", quant_mode="fp16")
    explorer.export_button.click()  # a setting the script cannot do: message, no traceback
    assert "cannot export" in explorer.message.value


def test_start_job_runs_a_tab_job_like_train(explorer, store):
    from optwidgets.ui._runner import Outcome, run_safely

    def two_runs(cancel):
        out = None
        for lr in (0.01, 0.1):
            out = run_safely(explorer.config.replace(lr=lr), [explorer.live], cancel, store)
        return out

    assert explorer.start_job(two_runs, status="two runs …", block=True)
    assert explorer.state == "done" and len(store) == 2
    assert len(explorer.runs.frame) == 2  # refreshed at the end

    def broken(cancel):
        raise KeyError("oops")

    assert explorer.start_job(broken, status="…", block=True)
    assert explorer.state == "error" and explorer.status == "error: KeyError: 'oops'"
    assert not explorer.train_button.disabled
    explorer.controls["epochs"].value = 0
    assert explorer.start_job(lambda c: Outcome(None, "x"), status="…") is False
