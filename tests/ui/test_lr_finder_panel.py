"""The Training tab's learning-rate finder: draws the curve, sets lr, respects locks."""

from __future__ import annotations

import optwidgets as ow
from optwidgets.runs.lr_find import lr_find
from optwidgets.viz import lr_finder_curve

from .helpers import TIMEOUT, tiny


def test_the_button_draws_the_curve_and_sets_lr_to_the_suggestion(explorer):
    panel = explorer.lr_finder
    assert panel.slot.figure is None and panel.button.description == "Find learning rate"
    explorer.controls["lr"].value = 0.5
    panel.button.click()
    assert explorer.wait(TIMEOUT)
    found = panel.result
    assert found is not None and explorer.state == "ready", explorer.status
    # the rate the engine suggests for these settings, shown with two significant digits
    again = lr_find(explorer.config.replace(lr=0.5), steps=200)
    assert abs(found.suggestion - again.suggestion) <= 1e-12 * again.suggestion
    assert explorer.config.lr == found.suggestion_shown == float(f"{again.suggestion:.2g}")
    assert explorer.controls["lr"].value == found.suggestion_shown
    assert "lr set to" in explorer.status and "was 0.5" in explorer.status
    names = [t.name for t in panel.slot.figure.data]
    assert names == [t.name for t in lr_finder_curve(found.found.curve,
                                                     suggestion=found.suggestion).data]
    assert len(panel.slot.figure.data[1].x) == len(found.found.curve)
    # and Train goes on with the new rate
    assert explorer.train(block=True, timeout=TIMEOUT) and explorer.state == "done"
    assert explorer.last_result.config.lr == found.suggestion_shown


def test_nothing_starts_while_a_run_is_going_on(explorer):
    explorer.config.epochs = 200
    assert explorer.train()
    try:
        assert not explorer.lr_finder.find()
    finally:
        explorer.stop()
        assert explorer.wait(TIMEOUT)
    assert explorer.lr_finder.result is None


def test_a_locked_learning_rate_disables_the_finder(store):
    ex = ow.Explorer(tiny(), store=store, lock={"lr": 0.01})
    assert ex.lr_finder.button.disabled and "fixed" in ex.lr_finder.button.tooltip
    assert not ex.lr_finder.find(block=True) and ex.config.lr == 0.01
