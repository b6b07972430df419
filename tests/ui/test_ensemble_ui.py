"""The ensemble controls of the Training tab, the progress line naming the member that
trains, and the ensemble's own colour on the trade-off plot."""

from __future__ import annotations

import optwidgets as ow
from optwidgets import viz
from optwidgets.ui.tabs import training

from .helpers import TIMEOUT


def test_the_controls_edit_the_config_and_bootstrap_waits_for_k(explorer):
    assert {"ensemble", "ensemble_bootstrap"} <= set(training.TAB.fields())
    k, boot = explorer.controls["ensemble"], explorer.controls["ensemble_bootstrap"]
    assert k.value == 1 and boot.disabled  # k = 1: one model, nothing to bootstrap
    assert "ensemble > 1" in boot.tooltip
    k.value = 4
    assert explorer.config.ensemble == 4 and not boot.disabled
    boot.value = True
    assert explorer.config.ensemble_bootstrap is True
    assert explorer.form.valid and not explorer.train_button.disabled
    explorer.config = explorer.config.replace(ensemble=2, ensemble_bootstrap=False)
    assert k.value == 2 and boot.value is False  # a loaded config writes them back


def test_progress_says_which_member_trains_and_the_point_is_an_ensemble(explorer, store):
    explorer.controls["ensemble"].value = 3
    lines = []

    class Phases(ow.Callback):
        def on_phase(self, run, phase):
            lines.append(explorer.progress.text)

    explorer.callbacks.append(Phases())
    explorer.live.listeners.append(lambda run, rec: lines.append(explorer.progress.text))
    explorer.train(block=True)
    assert explorer.wait(TIMEOUT)
    assert explorer.state == "done", explorer.status
    res = explorer.last_result
    assert res.technique == "ensemble-3" and len(res.model) == 3
    for i in (1, 2, 3):
        assert any(line.startswith(f"train · member {i}/3") for line in lines), lines
    assert not any("member" in line for line in lines if line.startswith("measure"))
    assert "ensemble-3" in explorer.status
    assert explorer.live.color == viz.FAMILY_COLORS["ensemble"]
    traces = {t.name: t for t in explorer.tradeoff.figure.data}
    assert "ensemble" in traces
    assert traces["ensemble"].marker.color == viz.FAMILY_COLORS["ensemble"]
    assert list(traces["ensemble"].customdata) == [res.run_id]
    assert store.to_frame()["size_bytes"].tolist() == [res.size_bytes]
