"""The Explorer's Gradients view, headless: folded until asked for, live, every layer."""

from __future__ import annotations

import numpy as np

import optwidgets as ow
from optwidgets.ui._gradients import GradientView

from .helpers import TIMEOUT, tiny


def test_after_train_the_view_has_every_layer(explorer):
    view = explorer.gradients
    assert view is not None and not view.visible  # folded: the one-screen layout as before
    assert view.toggle in explorer.children[1].children  # its button on the action bar
    explorer.config.hidden = (8, 8)
    explorer.config.grad_every = 2
    assert explorer.train() is True
    assert explorer.wait(TIMEOUT) and explorer.state == "done", explorer.status
    res = explorer.last_result
    want = ["1 (Linear)", "3 (Linear)", "5 (Linear)"]
    assert view.layers() == want
    assert list(dict.fromkeys(res.gradients["layer"])) == want
    assert view.frame.equals(res.gradients)
    assert view.redraws == 0  # nothing sent while folded
    view.toggle.value = True  # the user unfolds it: drawn from the records
    assert view.visible and view.redraws == 1
    heat = view.figure.data[0]
    assert list(heat.y) == want
    assert len(heat.x) == res.gradients["step"].nunique()
    z = np.asarray(heat.z, dtype=float)
    assert np.isfinite(z).all()
    view.measure.value = "update_ratio"  # the other measure, from the same records
    assert view.redraws == 2
    assert np.asarray(view.figure.data[0].customdata, dtype=float)[0, 0] == \
        res.gradients["update_ratio"].iloc[0]


def test_the_view_is_drawn_live_while_unfolded():
    view = GradientView(min_interval=0.0, max_share=1e9)  # no throttle: every epoch's end
    view.first_delay = 0.0
    view.show(True)
    res = ow.run(tiny(hidden=(8,), epochs=4, grad_every=1), callbacks=[view], store=False)
    assert res.status == "done"
    assert view.redraws >= 4  # each epoch's end, and the run's end
    assert view.layers() == ["1 (Linear)", "3 (Linear)"]


def test_off_says_so_and_draws_nothing():
    view = GradientView()
    view.show(True)
    res = ow.run(tiny(grad_every=0), callbacks=[view], store=False)
    assert res.gradients.empty and view.redraws == 0
    assert "off" in view.note.value


def test_a_long_run_is_strided_to_max_steps():
    view = GradientView(max_steps=5)
    view.show(True)
    ow.run(tiny(epochs=3, grad_every=1), callbacks=[view], store=False)
    assert view.frame["step"].nunique() > 5
    assert len(view.figure.data[0].x) <= 5


def test_a_panel_list_without_gradients_has_no_view(store):
    ex = ow.Explorer(tiny(), store=store, panels=("curves", "runs"))
    assert ex.gradients is None
    assert ex.gradients not in ex.run_callbacks()
