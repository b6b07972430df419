"""SearchPanel and the Explorer's Search tab, driven headless: set values, click, join."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

import optwidgets as ow  # noqa: E402
from optwidgets import viz  # noqa: E402
from optwidgets.ui.search_panel import SearchPanel  # noqa: E402

from .helpers import MOONS2, TINY  # noqa: E402


def _panel(store, cfg=TINY, **kw):
    panel = SearchPanel(cfg, store=store, **kw)
    panel.method.value = "random"
    panel.n_trials.value = 3
    return panel


def test_click_start_runs_the_search_and_draws_it(store):
    panel = _panel(store)
    assert panel.history is None  # figures are made on the first drawing
    panel.knob("optimizer").spec.value = "choice:adam,sgd"
    panel.start_button.click()
    assert panel.join(120)
    res = panel.result
    assert res is not None and panel.error is None and panel.draw_error is None
    frame = res.trials_frame()
    assert len(frame) == 3 and (frame["state"] == "COMPLETE").all()
    assert set(frame["run_id"]) == set(store.run_ids())
    assert "search done" in panel.status_text and "best val_acc" in panel.status_text
    assert panel.table.value.count("<tr") == 4  # header + 3 trials
    hist = {t.name: t for t in panel.history.data}
    assert sorted(hist[viz.TRACE_OBJECTIVE].x) == [0, 1, 2]
    labels = [d.label for d in panel.parallel.data[0].dimensions]
    assert labels[1:] == ["lr (log)" if "lr (log)" in labels else "lr", "optimizer"]
    assert panel.pareto is None  # one objective: no Pareto plot
    assert not panel.start_button.disabled and panel.stop_button.disabled


def test_multi_objective_draws_the_pareto_front(store):
    panel = _panel(store, cfg=MOONS2)
    panel.method.value = "evolution"
    panel.n_trials.value = 4
    panel.objectives.value = ("test_acc", "size_bytes")
    panel.knob("hidden").enabled.value = True
    panel.knob("hidden").spec.value = "choice:2|32,32"
    panel.knob("optimizer").enabled.value = False
    assert panel.settings()["pruner"] is False  # no pruning with several objectives
    assert panel.start(block=True, timeout=120)
    names = [t.name for t in panel.pareto.data]
    assert names == ["Pareto front", viz.TRACE_TRIALS, viz.TRACE_PARETO_TRIALS]
    assert panel._pareto_box.layout.display is None  # shown
    front = panel.result.pareto_front()
    assert sorted(panel.pareto.data[2].customdata) == sorted(front["number"])


def test_stop_ends_the_search_early(store):
    panel = _panel(store, cfg=MOONS2.replace(epochs=30))
    panel.n_trials.value = 40
    panel.min_interval = 0.0
    assert panel.start()
    deadline = time.monotonic() + 60
    while panel.redraws == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    panel.stop_button.click()
    assert panel.join(60)
    n = len(panel.result.trials_frame())
    assert 1 <= n < 40 and panel.status_text.startswith("search done")
    assert "stopped" in panel.status.value or "search done" in panel.status.value


def test_redraws_are_throttled_and_the_last_one_happens(store):
    panel = _panel(store, min_interval=60.0)
    panel.n_trials.value = 4
    assert panel.start(block=True, timeout=120)
    # one drawing at the first trial, the rest deferred, then the final one at the end
    assert panel.redraws == 2
    assert len(panel.history.data[0].x) == 4


def test_bad_range_is_shown_and_nothing_starts(store):
    panel = _panel(store)
    panel.knob("lr").spec.value = "log:0:0.1"
    assert panel.start() is False
    assert "lr" in panel.status_text and "low > 0" in panel.status_text
    panel.knob("lr").spec.value = "log:1e-3:1e-1"
    panel.more.value = "lrate=float:0:1"
    assert panel.start() is False and "did you mean 'lr'" in panel.status_text
    assert len(store) == 0 and not panel.running


def test_search_tab_in_the_explorer(tmp_path):
    ex = ow.Explorer(TINY.replace(), store=tmp_path / "store")  # it edits its config in place
    assert "Search" in [t.title for t in ow.ui.tabs()]
    panel = ex.search
    panel.method.value, panel.n_trials.value = "grid", 4
    panel.knob("lr").spec.value = "log:1e-3:1e-1:2"
    panel.knob("optimizer").spec.value = "choice:adam,sgd"
    ex.controls["epochs"].value = 2  # the search starts from the Explorer's settings
    assert panel.start(block=True, timeout=120)
    assert ex.train_button.disabled is False and ex.state == "done"
    assert "search done" in ex.status
    frame = panel.result.trials_frame()
    assert len(frame) == 4 and (frame["state"] == "COMPLETE").all()
    assert len(ex.tradeoff.frame) == 4  # every trial is on the trade-off plot
    assert {ex.store.load(r).config.epochs for r in frame["run_id"]} == {2}
    best = panel.result.best
    ex.load_run(best.run_id)  # clicking its point loads the best settings
    assert ex.config.lr == best.config.lr and ex.config.optimizer == best.config.optimizer
