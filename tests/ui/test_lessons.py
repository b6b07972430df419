"""LearningRateExplorer and OptimizerRace: several runs, one figure, one thread."""

from __future__ import annotations

from optwidgets.ui import LearningRateExplorer, OptimizerRace

from .helpers import TIMEOUT, tiny


def test_learning_rate_explorer_overlays_one_curve_per_rate(store):
    w = LearningRateExplorer(tiny(epochs=1), lrs=(0.01, 0.5), store=store)
    fig = w.figure
    assert w.train(block=True, timeout=TIMEOUT)
    assert w.state == "done" and [r.config.lr for r in w.results] == [0.01, 0.5]
    assert w.figure is fig and len(fig.data) == 2
    assert all(len(t.x) > 0 for t in fig.data)
    assert fig.data[0].name.startswith("lr=0.01 · ") and fig.data[0].name.endswith(" s")
    assert len(store) == 2 and "lr=0.5" in w.table.value
    assert sorted(w.controls) == ["batch_size", "dataset", "epochs", "model", "optimizer"]


def test_bad_learning_rates_block_train(store):
    w = LearningRateExplorer(tiny(), lrs=(0.1,), store=store)
    w.lrs_text.value = "0.1, -3"
    assert w.train_button.disabled and "lr=" in w.choice_message.value
    assert w.train() is False and w.state == "invalid"
    w.lrs_text.value = "0.1"
    assert not w.train_button.disabled


def test_optimizer_race_times_each_optimizer(store):
    w = OptimizerRace(tiny(epochs=1), optimizers=("sgd", "adam"), lrs={"sgd": 0.1}, store=store)
    assert w.train(block=True, timeout=TIMEOUT)
    assert [r.config.optimizer for r in w.results] == ["sgd", "adam"]
    assert [r.config.lr for r in w.results] == [0.1, tiny().lr]
    names = [t.name for t in w.figure.data]
    assert names[0].startswith("sgd · ") and names[1].startswith("adam · ")
    assert "training time" in w.table.value and w.table.value.count("<tr>") == 3
    w.optimizers.value = ()
    assert w.train_button.disabled


def test_stop_ends_the_whole_sequence(store):
    w = OptimizerRace(tiny(epochs=3000), store=store)
    assert w.train()
    w.stop()
    assert w.wait(TIMEOUT)
    assert w.state == "stopped" and len(w.results) <= 1
