"""The Search tab's architecture preset, driven headless: choosing it fills the knobs and
the objectives, and a tiny search over the model's shape runs into the Explorer's store."""

from __future__ import annotations

import optwidgets as ow
from optwidgets.models import MLP, register
from optwidgets.tune import ARCHITECTURE_RANGES
from optwidgets.ui.search_panel import SearchPanel

from .helpers import TIMEOUT

SHAPE = ("depth", "units", "activation", "dropout")


def _ticked(panel) -> dict[str, str]:
    return {f: r.spec.value for f, r in panel.knobs.items() if r.enabled.value}


def test_preset_fills_the_fields_and_a_tiny_search_runs(explorer, store):
    panel = explorer.search
    panel.more.value = "momentum=float:0.5:0.9"
    assert panel.knobs["lr"].enabled.value  # the default knobs are ticked at first
    panel.preset.value = "architecture"
    assert _ticked(panel) == {k: ARCHITECTURE_RANGES[k] for k in SHAPE}
    assert panel.more.value == ""
    assert panel.objectives.value == ("val_acc", "size_bytes")
    assert panel.settings()["pruner"] is False  # two objectives: nothing to prune on
    assert "preset architecture applied" in panel.status_text and "'mlp'" in panel.status_text
    assert panel.preset.value == ""  # a menu: ready to fill again
    # a tiny budget: narrow the ranges as a user would, then Start
    panel.knob("units").spec.value = "int:2:6"
    panel.method.value, panel.n_trials.value = "random", 3
    panel.start_button.click()
    assert explorer.wait(TIMEOUT)
    res = panel.result
    assert res is not None and panel.error is None, panel.error
    frame = res.trials_frame()
    assert len(frame) == 3 and (frame["state"] == "COMPLETE").all()
    assert res.objectives == ("val_acc", "size_bytes")
    for _, row in frame.iterrows():
        cfg = store.load(row["run_id"]).config
        assert cfg.hidden == (int(row["params_units"]),) * int(row["params_depth"])
        assert 2 <= cfg.hidden[0] <= 6 and cfg.activation == row["params_activation"]
    assert len(store) == 3  # every trial is a run in the Explorer's store
    assert panel.pareto is not None and panel._pareto_box.layout.display is None
    assert panel.draw_error is None
    front = {tr.name: list(tr.customdata) for tr in panel.pareto.data[1:]}
    assert sorted(front["Pareto-optimal trials"]) == sorted(res.pareto_front()["number"])
    assert "search done" in panel.status_text and "Pareto front" in panel.status_text


def test_preset_follows_the_model(store):
    panel = SearchPanel(ow.RunConfig(dataset="digits", model="cnn"), store=store)
    assert panel.apply_preset("architecture") == ["width", "dropout"]
    assert _ticked(panel) == {k: ARCHITECTURE_RANGES[k] for k in ("width", "dropout")}
    panel.config = ow.RunConfig(dataset="digits", model="mlp")
    panel.preset.value = "architecture"  # the menu, after the model changed
    assert set(_ticked(panel)) == set(SHAPE)
    panel.config = ow.RunConfig(dataset="digits", model="cnn")
    panel.preset.value = "architecture"  # chosen again: filled again for the cnn
    assert set(_ticked(panel)) == {"width", "dropout"}


def test_preset_for_a_model_without_shape_knobs_says_why(store):
    register("ui_fixed_mlp", lambda input_shape, num_classes: MLP(input_shape, num_classes))
    panel = SearchPanel(ow.RunConfig(dataset="moons", model="ui_fixed_mlp"), store=store)
    before = _ticked(panel)
    assert panel.apply_preset("architecture") == []
    assert _ticked(panel) == before  # nothing half-applied
    assert "not applied" in panel.status_text and "takes none of them" in panel.status_text
