"""Train / Stop on the background thread, live curves and truthful progress, the runs
grid and the trade-off plot, loading and saving, the Explorer as a widget."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import ipywidgets as W
import numpy as np
import pandas as pd
import pytest

import optwidgets as ow
from optwidgets import viz
from optwidgets.train import optim, trainer
from optwidgets.ui import _runner
from optwidgets.ui._runner import run_safely
from optwidgets.ui._runs_table import GRID_COLUMNS

from .helpers import TIMEOUT, tiny, wait_until


def test_train_fills_live_curves_and_adds_a_row(explorer, store):
    fig = explorer.figure
    assert fig.layout.annotations and fig.layout.xaxis.visible is False  # a placeholder
    assert len(store) == 0 and len(explorer.runs.shown) == 0
    t0 = time.perf_counter()
    assert explorer.train() is True
    assert time.perf_counter() - t0 < 1.0  # returns at once: the kernel stays free
    assert explorer.running and explorer.train_button.disabled
    assert not explorer.stop_button.disabled
    assert explorer.wait(TIMEOUT)
    assert explorer.state == "done", explorer.status
    res = explorer.last_result
    assert explorer.status.startswith("done · baseline · test accuracy")
    assert f"run {res.run_id}" in explorer.status and "(dense-fp32)" in explorer.status
    traces = {t.name: t for t in fig.data}
    assert len(traces[viz.TRACE_TRAIN_SMOOTH].x) > 0 and len(traces[viz.TRACE_TRAIN_RAW].y) > 0
    assert len(traces[viz.TRACE_VAL_LOSS].x) == 2 and len(traces[viz.TRACE_VAL_ACC].y) == 2
    assert not fig.layout.annotations and fig.layout.xaxis.visible  # axes back
    assert traces[viz.TRACE_TRAIN_SMOOTH].line.color == viz.technique_color("baseline")
    assert explorer.live.last_error is None and explorer.live.redraws >= 1
    assert explorer.progress.bar.bar_style == "success"
    assert explorer.progress.bar.value == explorer.progress.bar.max
    assert len(store) == 1 and explorer.runs.shown["run"].tolist() == [res.run_id]
    names = [t.name for t in explorer.tradeoff.figure.data]
    assert names == [viz.TRACE_PARETO, "baseline", viz.TRACE_LATEST]
    assert list(explorer.tradeoff.figure.data[-1].customdata) == [res.run_id]
    assert not explorer.train_button.disabled and explorer.stop_button.disabled


def test_the_first_train_pays_no_one_time_cost(explorer):
    # made while the dashboard was drawn: the figures and the dynamo import of optimizers
    assert optim._warm
    assert explorer.figure is not None and explorer.tradeoff.figure is not None
    assert explorer.runs.overlay is not None and explorer.boundary.slot.figure is not None
    assert "ow-ready" in explorer._dom_classes


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


def _numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"step ([\d,]+)", text)]


def test_progress_tells_the_truth_while_running_and_after_stop(explorer):
    explorer.config.epochs = 5000
    seen = []
    explorer.live.listeners.append(lambda run, rec: seen.append(explorer.progress.text))
    assert explorer.train()
    assert wait_until(lambda: len(seen) >= 3 and "ETA" in seen[-1])
    line = seen[-1]
    assert re.match(r"train · epoch \d+/5000 · step [\d,]+/[\d,]+ · \d+\.\d+ s · ETA ", line)
    assert "ETA 0 s" not in line and " 0.0 s" not in line  # the clock runs
    explorer.stop_button.click()
    assert explorer.wait(TIMEOUT)
    assert explorer.last_result.status == "stopped" and explorer.state == "stopped"
    final = explorer.progress.final
    assert final["status"] == "stopped" and final["step"] > 0
    # the same step count everywhere: progress line, status line, the live curve's last x
    assert explorer.status.startswith(f"stopped at step {final['step']:,} (epoch ")
    assert _numbers(explorer.progress.text) == [final["step"]]
    assert f"epoch {final['epoch']}/5000" in explorer.status
    assert explorer.runs.frame["status"].tolist() == ["stopped"]


def test_progress_names_the_compression_phases(explorer):
    explorer.config.prune_method = "weight"
    explorer.config.prune_ratio = 0.5
    explorer.config.finetune_epochs = 1
    phases = []

    class Phases(ow.Callback):
        def on_phase(self, run, phase):
            phases.append(explorer.progress.text)

    explorer.callbacks.append(Phases())
    explorer.train(block=True)
    assert explorer.state == "done", explorer.status
    assert explorer.last_result.technique == "prune-weight"
    assert any(t.startswith("prune") for t in phases) and any("measure" in t for t in phases)
    assert explorer.progress.text.startswith("done · ")
    assert "prune-weight" in explorer.status and "× dense" in explorer.status


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
    shown = explorer.runs.shown.iloc[0]
    assert "ow-badge-failed" in shown["status"] and "boom" in shown["error"]
    assert not explorer.train_button.disabled
    explorer.train(block=True)  # usable again
    assert explorer.state == "done" and len(store) == 2


def test_an_error_before_the_start_is_shown_not_raised(explorer, monkeypatch):
    def refuse(*args, **kwargs):
        raise ow.ConfigError("device", "cuda", "one of auto, cpu", "no CUDA here")

    monkeypatch.setattr(_runner, "run", refuse)  # the ow.run the Train button calls
    assert explorer.train(block=True)
    assert explorer.state == "error" and explorer.last_result is None
    assert explorer.status == (
        "not started: device='cuda' is not allowed: expected one of auto, cpu (no CUDA here)"
    )
    assert not explorer.train_button.disabled


def test_a_diverged_run_says_so_and_is_greyed_on_the_plot(explorer, monkeypatch):
    def diverge(self, epochs, *, phase="train"):
        raise trainer.RunDiverged("training loss became nan at step 3")

    monkeypatch.setattr(trainer.Trainer, "fit", diverge)
    explorer.train(block=True)
    assert explorer.state == "diverged" and "smaller learning rate" in explorer.status
    assert explorer.runs.frame["status"].tolist() == ["diverged"]
    names = [t.name for t in explorer.tradeoff.figure.data]
    assert "baseline" not in names  # never a coloured point, never on the front
    assert len(explorer.tradeoff.figure.data[0].x) == 0


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


def test_clicking_a_tradeoff_point_loads_its_config_and_says_so_beside_the_plot(explorer):
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
    note = explorer.tradeoff.note.value
    assert first[-6:] in note and "press Train" in note  # on the plot's own line
    assert explorer.load_run("no-such-run") is None
    assert "could not load" in explorer.tradeoff.note.value


def test_every_measure_is_offered_on_the_x_axis(explorer):
    explorer.train(block=True)
    offered = [v for _, v in explorer.tradeoff.x.options]
    assert offered == list(viz.X_CHOICES)
    assert {"nonzero_params", "latency_ms_b256", "dense_bytes"} <= set(offered)
    explorer.tradeoff.x.value = "train_seconds"
    explorer.tradeoff.y.value = "f1"
    fig = explorer.tradeoff.figure
    assert fig.layout.xaxis.title.text == "Training time"
    assert all(t.endswith(" s") for t in fig.layout.xaxis.ticktext)
    assert fig.layout.yaxis.title.text == viz.axis_label("f1")
    assert len(fig.data[1].x) == 1
    explorer.tradeoff.x.value = "sparse_bytes"  # not measured for a dense run
    assert "pick another x" in explorer.tradeoff.figure.layout.annotations[0].text


def test_fewer_bits_move_the_point_left_on_the_default_axis(explorer):
    explorer.config = ow.RunConfig(dataset="digits", model="mlp", hidden=(32,), epochs=1,
                                   device="cpu")  # fmt: skip
    explorer.train(block=True)
    dense = explorer.last_result
    explorer.controls["quant_mode"].value = "simulated"
    explorer.controls["quant_bits"].value = 2
    explorer.train(block=True)
    two = explorer.last_result
    assert two.technique == "sim-2bit" and two.size_encoding == "packed-2bit"
    assert two.size_bytes < dense.size_bytes
    fig = explorer.tradeoff.figure
    by_family = {t.name: t for t in fig.data}
    assert list(by_family["quantization"].x) == [two.size_bytes]
    assert list(by_family["baseline"].x) == [dense.size_bytes]
    assert list(fig.data[-1].customdata) == [two.run_id]  # the latest, ringed


def test_the_grid_has_the_compression_columns(explorer):
    explorer.controls["prune_method"].value = "weight"
    explorer.controls["prune_ratio"].value = 0.5
    explorer.train(block=True)
    assert list(explorer.runs.shown.columns) == list(GRID_COLUMNS)
    row = explorer.runs.shown.iloc[0]
    assert row["prune"] == "weight 0.5" and row["quant"] == "—"
    assert row["encoding"] == explorer.last_result.size_encoding
    assert row["× dense"] == pytest.approx(
        explorer.last_result.size_bytes / explorer.last_result.dense_bytes, abs=1e-3
    )
    assert viz.technique_color("prune-weight") in row["technique"]  # the family's colour
    args = explorer.runs.grid._dt_args
    assert args["scrollY"] and args["scrollX"] and args["paging"] is False
    assert explorer.runs.grid.patched  # selections reach Python after every refresh


def test_grid_selection_drives_the_overlay_and_the_confusion_matrix(explorer, tmp_path):
    for lr in (0.01, 0.2):
        explorer.config.lr = lr
        explorer.train(block=True)
    runs = explorer.runs
    ids = runs.shown["run"].tolist()  # newest first
    runs.grid.selected_rows = [0, 1]  # what clicking two rows in the browser sends
    assert runs.selected == ids
    assert len(runs.overlay.data) == 2
    assert {str(t.customdata[0]) for t in runs.overlay.data} == set(ids)
    runs.overlay_metric.value = "val accuracy"
    assert all(len(t.y) == 2 for t in runs.overlay.data)
    runs.grid.selected_rows = [1]  # the older run alone: its confusion matrix
    older = explorer.store.load(ids[1])
    assert np.asarray(runs.confusion.data[0].z).sum() == sum(map(sum, older.confusion))
    assert ids[1][-6:] in runs.confusion.layout.title.text
    explorer.train(block=True)  # a new row: the selection follows the run, not the row
    now = runs.shown["run"].tolist()
    assert len(now) == 3 and runs.selected == [ids[1]]
    assert runs.grid.selected_rows == [now.index(ids[1])]
    runs.grid.selected_rows = []
    assert runs.overlay.layout.annotations  # the placeholder again


def test_export_csv_downloads_and_saves(explorer, tmp_path):
    for lr in (0.01, 0.2):
        explorer.config.lr = lr
        explorer.train(block=True)
    path = explorer.export_csv()
    assert path.parent == tmp_path / "exports" and str(path) in explorer.runs.message.value
    assert "downloaded" in explorer.runs.message.value
    csv = pd.read_csv(path)
    assert sorted(csv["lr"]) == [0.01, 0.2] and set(csv["run_id"]) == set(explorer.runs.shown["run"])
    content, buffers = explorer.bridge.sent[-1]
    assert content == {"kind": "download", "filename": path.name, "mime": "text/csv"}
    assert bytes(buffers[0]).decode() == path.read_text()


def test_runs_from_another_process_appear_without_train(explorer, store):
    code = (
        "import optwidgets as ow, sys; "
        "ow.run(ow.RunConfig(dataset='moons', model='mlp', hidden=(8,), n_samples=200, "
        "epochs=1, device='cpu'), store=sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", code, str(store.path)], check=True, timeout=120)
    # the watcher redraws within a few seconds (the record may first show as running)
    assert wait_until(lambda: explorer.runs.frame["status"].tolist() == ["done"]
                      if len(explorer.runs.frame) else False, timeout=15)  # fmt: skip
    assert len(explorer.tradeoff.frame) == 1 and len(explorer.tradeoff.figure.data[1].x) == 1
    assert explorer.poll_store() is False  # nothing new since


def test_runs_stored_before_display_are_read_when_displayed(explorer, store):
    ow.run(tiny(epochs=1), store=store)
    explorer._repr_mimebundle_()  # display(explorer)
    assert len(explorer.runs.shown) == 1


def test_a_store_with_unusable_files_opens_and_says_how_many(store, tmp_path):
    ow.run(tiny(epochs=1), store=store)
    (store.runs_dir / "20260101-000000-aaaaaa.json").write_text("{not json")
    (store.runs_dir / "20260101-000000-bbbbbb.json").write_text("[1, 2]")
    ex = ow.Explorer(tiny(), store=store.path)
    assert len(ex.runs.shown) == 1 and len(ex.store_problems) == 2
    assert "2 unusable files in the store skipped" in ex.runs.title.value


def test_running_and_interrupted_records_are_not_points(explorer, store):
    ow.run(tiny(epochs=1), store=store)
    frame = store.to_frame()
    explorer.tradeoff.refresh(frame.assign(status="running"))
    assert explorer.tradeoff.figure.layout.annotations  # nothing to draw
    explorer.tradeoff.refresh(frame.assign(status="interrupted"))
    assert len(explorer.tradeoff.figure.data) == 1


def test_runs_table_survives_a_restart(explorer, store):
    explorer.train(block=True)
    fresh = ow.Explorer(tiny(), store=store.path)  # a new kernel: same folder
    assert fresh.runs.frame["run_id"].tolist() == [explorer.last_result.run_id]
    assert fresh.ready(TIMEOUT)
    assert len(fresh.tradeoff.figure.data[1].x) == 1


def test_confusion_matrix_of_the_latest_run_without_a_selection(explorer):
    explorer.train(block=True)
    z = np.asarray(explorer.runs.confusion.data[0].z)
    assert z.sum() == sum(map(sum, explorer.last_result.confusion))


def test_decision_boundary_for_toy_data_only(explorer, store):
    explorer.config.epochs = 3
    explorer.train(block=True)
    b = explorer.boundary
    assert b.last_error is None and b.redraws >= 2
    assert b.widget.layout.display is None
    assert b.figure.data[0].name == "P(class 1)"
    assert b.figure.data[0].showscale is False  # compact: it sits beside the curves
    assert np.asarray(b.figure.data[0].z).shape == (b.resolution, b.resolution)
    explorer.controls["dataset"].value = "digits"
    assert b.widget.layout.display == "none"


def test_the_explorer_is_a_widget(explorer):
    assert isinstance(explorer, W.VBox) and explorer.widget is explorer
    box = W.VBox([explorer])
    app = W.AppLayout(center=explorer)
    assert box.children[0] is explorer and app.center is explorer
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    assert "ow-dash" in explorer._dom_classes


def test_extra_callbacks_go_to_every_run(store, tmp_path):
    class Count(ow.Callback):
        starts = 0

        def on_run_start(self, run):
            Count.starts += 1

    ex = ow.Explorer(tiny(epochs=1, prune_method="weight"), store=store, callbacks=[Count()])
    ex.train(block=True)
    ex.sweep.knob.value = "prune_ratio"
    ex.sweep.values.value = "0, 0.5"
    ex.sweep.start(block=True)
    assert Count.starts == 3
    with pytest.raises(ow.ConfigError, match="callbacks"):
        ow.Explorer(tiny(), store=store, callbacks=[print])


def test_copy_config_goes_to_the_clipboard_button(explorer, store):
    explorer.config.lr = 0.04
    explorer.controls["epochs"].value = 3  # an edit: the button's text follows the config
    assert json.loads(explorer.copy_button.text) == explorer.config.to_dict()
    explorer.copy_button._received(None, {"event": "copied", "ok": True}, [])
    assert "copied to the clipboard" in explorer.message.value
    explorer.copy_button._received(None, {"event": "copied", "ok": False, "error": "denied"}, [])
    assert "could not copy" in explorer.message.value
    assert explorer.json_box.layout.display is None  # shown to copy by hand
    text = explorer.copy_config()
    again = ow.Explorer.from_json(text, store=store)
    assert again.config == explorer.config and again.config is not explorer.config
    explorer.train(block=True)
    saved = (store.runs_dir / f"{explorer.last_result.run_id}.json").read_text()
    assert ow.Explorer.from_json(saved, store=store).config == explorer.config


def test_loading_json_in_the_box(explorer):
    explorer.json_button.click()
    assert explorer.json_box.layout.display is None
    explorer.json_text.value = json.dumps({"dataset": "xor", "model": "mlp", "epochs": 4})
    explorer.json_apply.click()
    assert explorer.config.dataset == "xor" and explorer.controls["epochs"].value == 4
    explorer.json_text.value = '{"lr": -1}'
    explorer.json_apply.click()
    assert "lr=-1" in explorer.message.value and explorer.config.dataset == "xor"
    explorer.json_text.value = "{not json"
    assert explorer.apply_json() is False and "JSON not loaded" in explorer.message.value


def test_export_script_downloads_and_saves(explorer, tmp_path):
    explorer.export_button.click()
    path = tmp_path / "exports" / "train_moons_mlp.py"
    assert path.exists() and str(path) in explorer.message.value
    assert "import optwidgets" not in path.read_text()
    content, buffers = explorer.bridge.sent[-1]
    assert content["filename"] == "train_moons_mlp.py" and bytes(buffers[0]) == path.read_bytes()
    explorer.config = ow.RunConfig(dataset="digits", model="mlp", quant_mode="fp16")
    explorer.export_button.click()  # a setting the script cannot do: message, no traceback
    assert "cannot export" in explorer.message.value


def test_start_job_runs_a_tab_job_like_train(explorer, store):
    def two_runs(cancel):
        out = None
        for lr in (0.01, 0.1):
            out = run_safely(explorer.config.replace(lr=lr), explorer.run_callbacks(), cancel,
                             store)  # fmt: skip
        return out

    assert explorer.start_job(two_runs, status="two runs …", block=True)
    assert explorer.state == "done" and len(store) == 2
    assert len(explorer.runs.frame) == 2  # refreshed at the end

    def broken(cancel):
        raise KeyError("oops")

    assert explorer.start_job(broken, status="…", block=True)
    assert explorer.state == "error" and explorer.status == "error: KeyError: 'oops'"
    assert not explorer.train_button.disabled
    explorer.controls["augment.noise"].value = 0.1  # fine for feature vectors
    explorer.controls["model"].value = "cnn"  # not offered for moons: refused
    assert explorer.config.model == "mlp"
