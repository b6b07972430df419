"""The Compression tab: every knob edits its RunConfig field; *sweep this knob* runs a
series on the background thread, draws each run and the curve, and stops on Stop."""

from __future__ import annotations

import threading

import pytest

import optwidgets as ow
from optwidgets import viz
from optwidgets.ui.tabs import compression
from optwidgets.ui.tabs import tabs as all_tabs

from .helpers import TIMEOUT, tiny, wait_until

KNOBS = (
    "prune_method", "prune_ratio", "prune_scope", "prune_schedule", "prune_steps",
    "finetune_epochs", "quant_mode", "quant_bits", "quant_activations", "qat_epochs",
    "distill_student", "distill_teacher", "distill_temperature", "distill_alpha",
    "lowrank_rank",
)  # fmt: skip


def sweep_trace(explorer):
    found = [
        t
        for t in explorer.tradeoff.figure.data
        if t.name and t.name.startswith(compression.TRACE_SWEEP)
    ]
    return found[0] if found else None


def test_the_tab_is_found_and_has_every_knob(explorer):
    assert "Compression" in [t.title for t in all_tabs()]
    assert compression.TAB.fields() == KNOBS
    assert all(name in explorer.controls for name in KNOBS)
    options = [v for _, v in explorer.controls["distill_student"].options]
    assert options[0] == "" and set(ow.models.model_names()) <= set(options)


def test_each_control_edits_its_config_field(explorer):
    values = {
        "prune_method": "neuron", "prune_ratio": 0.5, "prune_scope": "global",
        "prune_schedule": "agp", "prune_steps": 3, "finetune_epochs": 2,
        "quant_mode": "simulated", "quant_bits": 4, "quant_activations": True,
        "qat_epochs": 1, "distill_student": "mlp_small", "distill_teacher": "20261122-x",
        "distill_temperature": 2.5, "distill_alpha": 0.25, "lowrank_rank": 0.5,
    }  # fmt: skip
    for name, value in values.items():
        explorer.controls[name].value = value
    assert {name: getattr(explorer.config, name) for name in values} == values
    assert explorer.form.valid and not explorer.train_button.disabled
    # and the other way: loading a config writes every knob back into its widget
    explorer.config = tiny(quant_mode="int8", lowrank_rank=3)
    assert explorer.controls["quant_mode"].value == "int8"
    assert explorer.controls["lowrank_rank"].value == 3
    assert explorer.controls["distill_student"].value == ""


def test_a_refused_value_names_the_field_and_keeps_the_config(explorer):
    explorer.controls["lowrank_rank"].value = 1.5
    assert "lowrank_rank=1.5" in explorer.form.messages["lowrank_rank"].value
    assert explorer.config.lowrank_rank == 0.0  # the config kept its valid value
    assert explorer.controls["lowrank_rank"].value == 0.0
    assert not explorer.train_button.disabled and not explorer.sweep.button.disabled
    explorer.controls["lowrank_rank"].value = 0.5
    assert explorer.config.lowrank_rank == 0.5
    assert explorer.form.messages["lowrank_rank"].value == ""


def test_a_sweep_waits_for_settings_that_agree(explorer):
    explorer.controls["dataset"].value = "digits"
    explorer.controls["augment.rotate"].value = 10
    explorer.controls["dataset"].value = "moons"  # rotate on feature vectors: they disagree
    assert not explorer.form.valid
    assert explorer.train_button.disabled and explorer.sweep.button.disabled
    assert explorer.sweep.start() is False and "rotate" in explorer.sweep.message.value


def test_sweep_refuses_a_knob_that_is_off_and_bad_values(explorer, store):
    sweep = explorer.sweep
    sweep.knob.value = "prune_ratio"
    assert sweep.values.value.startswith("0, 0.1") and sweep.values.value.endswith("0.9")
    assert sweep.start() is False and "prune_method" in sweep.message.value  # method is none
    explorer.config.prune_method = "weight"
    sweep.values.value = "0, half"
    assert sweep.start() is False and "half" in sweep.message.value
    sweep.values.value = "0, 1.2"
    assert sweep.start() is False and "prune_ratio=1.2" in sweep.message.value
    assert len(store) == 0 and not explorer.running


def test_a_tiny_sweep_adds_rows_and_draws_its_curve(explorer, store):
    explorer.config.prune_method = "neuron"
    explorer.config.epochs = 1
    sweep = explorer.sweep
    sweep.knob.value = "prune_ratio"
    sweep.values.value = "0.5, 0, 0.25"
    sweep.button.click()
    assert explorer.running
    assert explorer.train_button.disabled and sweep.button.disabled
    assert not sweep.stop_button.disabled
    assert explorer.wait(TIMEOUT) and explorer.state == "done", explorer.status
    assert [r.config.prune_ratio for r in sweep.results] == [0.5, 0.0, 0.25]
    assert len(store) == 3 and explorer.last_result.run_id == sweep.results[-1].run_id
    assert explorer.status.startswith("sweep prune_ratio: 3 runs (3 done)")
    # the trade-off plot: the runs, coloured by family, shaped by technique, and the curve
    names = [t.name for t in explorer.tradeoff.figure.data]
    assert names[0] == viz.TRACE_PARETO and names[1:3] == ["baseline", "pruning"]
    marker = {t.name: t.marker for t in explorer.tradeoff.figure.data[1:3]}
    assert set(marker["pruning"].symbol) == {viz.technique_symbol("prune-neuron")} == {"square"}
    assert set(marker["baseline"].symbol) == {"circle"}
    assert marker["pruning"].color == viz.technique_color("prune-neuron")
    line = sweep_trace(explorer)
    assert line is not None and line.mode == "lines+text"
    assert list(line.text) == ["0", "0.25", "0.5"]  # joined in knob order
    by_id = {r.run_id: r for r in sweep.results}
    assert [by_id[i].config.prune_ratio for i in line.customdata] == [0.0, 0.25, 0.5]
    assert list(line.x) == [by_id[i].size_bytes for i in line.customdata]
    # the curve follows the axes
    explorer.tradeoff.x.value = "params"
    line = sweep_trace(explorer)
    assert list(line.x) == [by_id[i].params for i in line.customdata]
    assert line.x[0] > line.x[1] > line.x[2]


def test_each_run_appears_on_the_plot_while_the_sweep_goes_on(explorer, store):
    second_started, release = threading.Event(), threading.Event()

    class HoldTheSecondRun(ow.Callback):  # runs on the worker thread
        starts = 0

        def on_run_start(self, run):
            HoldTheSecondRun.starts += 1
            if HoldTheSecondRun.starts == 2:
                second_started.set()
                release.wait(TIMEOUT)

    explorer.callbacks.append(HoldTheSecondRun())
    explorer.config.prune_method = "weight"
    explorer.sweep.values.value = "0, 0.5"
    assert explorer.sweep.start()
    try:
        assert second_started.wait(TIMEOUT)
        finished = store.to_frame()["status"].tolist()
        assert explorer.running and finished.count("done") == 1  # (+ the 2nd, running)
        line = sweep_trace(explorer)
        assert line is not None and len(line.x) == 1  # the first point, drawn already
        assert "1/2 runs" in explorer.sweep.message.value
        assert explorer.progress.job.startswith("run 2/2 · prune ratio 0.5")
    finally:
        release.set()
    assert explorer.wait(TIMEOUT) and len(store) == 2
    assert len(sweep_trace(explorer).x) == 2


def test_stop_mid_sweep(explorer, store):
    explorer.config.epochs = 5000
    explorer.config.quant_mode = "simulated"
    sweep = explorer.sweep
    sweep.knob.value = "quant_bits"
    sweep.values.value = "2, 4, 8"
    assert sweep.start()
    assert wait_until(lambda: explorer.live.recording.n_points > 0)
    sweep.stop_button.click()
    assert explorer.wait(TIMEOUT)
    assert [r.status for r in sweep.results] == ["stopped"]
    assert explorer.state == "stopped" and len(store) == 1
    # the same step count in the progress line and the status line
    step = explorer.progress.final["step"]
    assert f"stopped at step {step:,}" in explorer.status
    assert f"stopped at step {step:,}" in explorer.progress.text
    assert explorer.progress.text.startswith("run 1/3 · bits (simulated) 2 · ")
    assert not explorer.train_button.disabled and sweep.stop_button.disabled
    # the Explorer is usable again: a plain Train works
    explorer.config.epochs = 1
    assert explorer.train(block=True) and explorer.last_result.status == "done"


def test_train_while_a_sweep_runs_does_nothing(explorer, store):
    explorer.config.epochs = 5000
    sweep = explorer.sweep
    sweep.knob.value = "lowrank_rank"
    sweep.values.value = "0.5, 0.25"
    assert sweep.start()
    assert explorer.train() is False and sweep.start() is False
    explorer.stop()
    assert explorer.wait(TIMEOUT)
    frame = store.to_frame()  # stopped before or during its first run: at most that one
    assert len(frame) <= 1 and set(frame.get("status", [])) <= {"stopped"}


@pytest.mark.parametrize("show", [["lr"]])
def test_classroom_mode_without_the_tab_builds_no_sweep(store, show):
    ex = ow.Explorer(tiny(), store=store, show=show)
    assert "Compression" not in [t.title for t in ex.form.visible_tabs()]
    assert not hasattr(ex, "sweep")
